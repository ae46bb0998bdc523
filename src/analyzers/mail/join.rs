//! Message views: the mail a mailbox sent, as the message trace (what left), the mailbox audit's
//! `Send` / `SendAs` / `SendOnBehalf` records (what the mailbox says it sent) and the Sent Items
//! listings (what the user can still see) saw it, joined per message on the Internet message id,
//! else on mailbox + subject + time (`heuristic`); and the mail each mailbox received.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};

use super::subjects::{base_subject, subject_key};
use super::{Ctx, MAILBOX_AUDIT_OPS, MailOptions, SEND_OPS, is_op};
use crate::event::{Event, SourceKind};
use crate::ingest::fields::{normalize_message_id, parse_bool};
use crate::ingest::time::format_utc;
use crate::tenant::Tenant;

/// The message id as compared (`<local@domain>`, domain in lower case) and as shown.
pub(super) fn id_key(raw: &str) -> Option<(String, String)> {
    let shown = normalize_message_id(raw);
    let inner = shown[1..shown.len() - 1].trim();
    if inner.is_empty() || inner.eq_ignore_ascii_case("null") {
        return None;
    }
    let key = match inner.rsplit_once('@') {
        Some((local, domain)) => format!("<{local}@{}>", domain.to_ascii_lowercase()),
        None => shown.clone(),
    };
    Some((key, shown))
}

/// An address as compared: no `SMTP:` prefix or angle brackets, lower case.
pub(super) fn lower_addr(s: &str) -> Option<String> {
    let t = crate::ingest::fields::strip_smtp_prefix(s.trim()).trim_matches(['<', '>']);
    (!t.is_empty()).then(|| t.to_lowercase())
}

/// One message a mailbox sent, as the three views saw it. Event indices point into the
/// analysed events.
#[derive(Debug, Clone)]
pub struct MessageView {
    /// The sending mailbox (lower case).
    pub mailbox: String,
    /// As the first view wrote it, in angle brackets.
    pub message_id: Option<String>,
    pub subject: Option<String>,
    /// Earliest time any view gives.
    pub time: DateTime<Utc>,
    pub recipients: BTreeSet<String>,
    /// Recipients outside the tenant.
    pub external: Vec<String>,
    /// The largest recipient count any view gives (`recipientCount` of Send records).
    pub recipient_count: usize,
    /// At least one recipient outside the tenant, or the trace says Originating/Outbound.
    pub outbound: bool,
    /// Some view joined without a message id.
    pub heuristic: bool,
    /// The submitting client address of the trace (`FromIP`, `original_client_ip`).
    pub from_ip: Option<IpAddr>,
    pub statuses: BTreeSet<String>,
    /// The trace marks it as made by an inbox rule (`source` MAILBOXRULE).
    pub rule_generated: bool,
    /// `SaveToSentItems` of the Send record.
    pub save_to_sent: Option<bool>,
    pub trace: Vec<usize>,
    pub audit: Vec<usize>,
    pub listing: Vec<usize>,
    /// The message id as compared (see `id_key`).
    pub(super) key: Option<String>,
    /// The subject as compared (see `subject_key`).
    pub(super) subject_cmp: Option<String>,
    /// The trace says Originating or Outbound.
    direction_out: bool,
}

impl MessageView {
    fn new(
        mailbox: &str,
        id: Option<&(String, String)>,
        subject: Option<&str>,
        time: DateTime<Utc>,
    ) -> MessageView {
        MessageView {
            mailbox: mailbox.to_string(),
            message_id: id.map(|(_, shown)| shown.clone()),
            subject: subject.map(str::to_owned),
            time,
            recipients: BTreeSet::new(),
            external: Vec::new(),
            recipient_count: 0,
            outbound: false,
            heuristic: false,
            from_ip: None,
            statuses: BTreeSet::new(),
            rule_generated: false,
            save_to_sent: None,
            trace: Vec::new(),
            audit: Vec::new(),
            listing: Vec::new(),
            key: id.map(|(k, _)| k.clone()),
            subject_cmp: subject.and_then(subject_key),
            direction_out: false,
        }
    }

    /// The record of the sending: the first Send record, else the first trace row.
    pub(super) fn sent_record(&self) -> Option<usize> {
        self.audit.first().or(self.trace.first()).copied()
    }

    /// The message id, or a description of the message when it has none.
    pub(super) fn label(&self) -> String {
        self.message_id.clone().unwrap_or_else(|| {
            format!(
                "(no message id) '{}' at {}",
                self.subject.as_deref().unwrap_or(""),
                format_utc(self.time)
            )
        })
    }

    /// Once every view is joined: the recipients other than the sender, which of them are
    /// external, and whether the message left the tenant.
    fn finish(&mut self, tenant: &Tenant) {
        let own = self.mailbox.clone();
        self.recipients.remove(&own);
        self.external = self
            .recipients
            .iter()
            .filter(|r| !tenant.is_internal(r))
            .cloned()
            .collect();
        self.recipient_count = self.recipient_count.max(self.recipients.len());
        self.outbound = !self.external.is_empty() || self.direction_out;
    }
}

/// The recipients a summary names: the external ones if there are any, the first two when there
/// are more than three.
pub(super) fn recipients_text(v: &MessageView) -> String {
    let list: Vec<&String> = if v.external.is_empty() {
        v.recipients.iter().collect()
    } else {
        v.external.iter().collect()
    };
    match list.len() {
        0 => "unknown recipients".into(),
        1..=3 => list
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        n => format!("{}, {} and {} more", list[0], list[1], n - 2),
    }
}

/// One record's sighting of a message: a Send record or a listed item.
struct Sighting<'e> {
    mailbox: &'e str,
    id: Option<(String, String)>,
    subject: Option<&'e str>,
    time: DateTime<Utc>,
    recipients: BTreeSet<String>,
}

impl<'e> Sighting<'e> {
    /// Reads the message id, subject and recipients from the fields of `e` named, in that order.
    fn read(
        e: &'e Event,
        mailbox: &'e str,
        time: DateTime<Utc>,
        [id, subject, recipient]: [&str; 3],
    ) -> Sighting<'e> {
        Sighting {
            mailbox,
            id: e.attr(id).and_then(id_key),
            subject: e.attr(subject).filter(|s| !s.trim().is_empty()),
            time,
            recipients: e.attrs.get_all(recipient).filter_map(lower_addr).collect(),
        }
    }
}

/// The views joined so far, by message id and by mailbox and subject.
#[derive(Default)]
struct Joiner {
    views: Vec<MessageView>,
    by_key: BTreeMap<String, usize>,
    by_subject: BTreeMap<(String, String), Vec<usize>>,
}

impl Joiner {
    fn add(&mut self, view: MessageView) -> usize {
        let ix = self.views.len();
        if let Some(k) = &view.key {
            self.by_key.entry(k.clone()).or_insert(ix);
        }
        if let Some(s) = &view.subject_cmp {
            self.by_subject
                .entry((view.mailbox.clone(), s.clone()))
                .or_default()
                .push(ix);
        }
        self.views.push(view);
        ix
    }

    /// The view a record of another source belongs to: by message id, else (when one side has
    /// no id) by mailbox, subject, time and recipients. The flag says the join was heuristic.
    fn locate(
        &self,
        s: &Sighting,
        slack: Duration,
        free: impl Fn(&MessageView) -> bool,
    ) -> Option<(usize, bool)> {
        let key = s.id.as_ref().map(|(k, _)| k.as_str());
        if let Some(&ix) = key.and_then(|k| self.by_key.get(k)) {
            return Some((ix, false));
        }
        let subject = subject_key(s.subject?)?;
        self.by_subject
            .get(&(s.mailbox.to_string(), subject))?
            .iter()
            .copied()
            .filter(|&ix| {
                let v = &self.views[ix];
                (key.is_none() || v.key.is_none())
                    && free(v)
                    && (v.time - s.time).abs() <= slack
                    && (s.recipients.is_empty()
                        || v.recipients.is_empty()
                        || !v.recipients.is_disjoint(&s.recipients))
            })
            .min_by_key(|&ix| ((self.views[ix].time - s.time).num_milliseconds().abs(), ix))
            .map(|ix| (ix, true))
    }

    /// Joins one sighting of a message into the view it belongs to (by id, else heuristically)
    /// or a new one, merging its time, subject and recipients; `free` says whether a view still
    /// lacks this source's copy. Returns the view's index.
    fn join(&mut self, s: Sighting, slack: Duration, free: impl Fn(&MessageView) -> bool) -> usize {
        let ix = match self.locate(&s, slack, free) {
            Some((ix, heuristic)) => {
                self.views[ix].heuristic |= heuristic;
                self.learn_key(ix, s.id.as_ref());
                ix
            }
            None => self.add(MessageView::new(
                s.mailbox,
                s.id.as_ref(),
                s.subject,
                s.time,
            )),
        };
        let v = &mut self.views[ix];
        v.time = v.time.min(s.time);
        if v.subject.is_none() {
            v.subject = s.subject.map(str::to_owned);
        }
        v.recipients.extend(s.recipients);
        ix
    }

    /// Records the message id a heuristic join brought to a view that had none.
    fn learn_key(&mut self, ix: usize, id: Option<&(String, String)>) {
        let Some((key, shown)) = id else { return };
        if self.views[ix].key.is_none() {
            self.views[ix].key = Some(key.clone());
            self.views[ix].message_id = Some(shown.clone());
            self.by_key.entry(key.clone()).or_insert(ix);
        }
    }

    /// Joins the mailbox audit's Send records.
    fn add_sends(&mut self, events: &[Event], slack: Duration) {
        for (i, e) in events.iter().enumerate() {
            if e.source != SourceKind::Ual
                || !is_op(e, SEND_OPS)
                || e.outcome.success == Some(false)
            {
                continue;
            }
            let (Some(time), Some(mailbox)) = (e.time, send_mailbox(e)) else {
                continue;
            };
            let fields = [
                "Item.InternetMessageId",
                "Item.Subject",
                "recipientList.Address",
            ];
            let seen = Sighting::read(e, &mailbox, time, fields);
            let ix = self.join(seen, slack, |v| v.audit.is_empty());
            let v = &mut self.views[ix];
            v.audit.push(i);
            if let Some(n) = e
                .attr("recipientCount")
                .and_then(|c| c.trim().parse::<usize>().ok())
            {
                v.recipient_count = v.recipient_count.max(n);
            }
            if let Some(save) = e.attr("SaveToSentItems").and_then(parse_bool) {
                v.save_to_sent = Some(v.save_to_sent.unwrap_or(true) && save);
            }
        }
    }

    /// Joins the items of the Sent Items listings.
    fn add_listings(&mut self, events: &[Event], slack: Duration) {
        for (i, e) in events.iter().enumerate() {
            let (SourceKind::SentItems, Some(time), Some(mailbox)) =
                (e.source, e.time, e.user.as_deref())
            else {
                continue;
            };
            let seen = Sighting::read(e, mailbox, time, ["MessageId", "Subject", "Recipient"]);
            let ix = self.join(seen, slack, |v| v.listing.is_empty());
            self.views[ix].listing.push(i);
        }
    }
}

/// Accounts with a mailbox: mailbox-audit records, a Sent Items listing or a Get-Mailbox row.
fn known_mailboxes(events: &[Event]) -> BTreeSet<String> {
    events
        .iter()
        .filter(|e| match e.source {
            SourceKind::Ual => is_op(e, MAILBOX_AUDIT_OPS),
            SourceKind::SentItems | SourceKind::Mailbox => true,
            _ => false,
        })
        .filter_map(|e| e.user.as_deref().map(str::to_owned))
        .collect()
}

/// The mailbox a Send record sent from: the represented mailbox for SendAs / SendOnBehalf.
fn send_mailbox(e: &Event) -> Option<String> {
    let represented = if e.operation.eq_ignore_ascii_case("SendAs") {
        e.attr("SendAsUserSmtp")
    } else if e.operation.eq_ignore_ascii_case("SendOnBehalf") {
        e.attr("SendOnBehalfOfUserSmtp")
    } else {
        None
    };
    represented
        .and_then(lower_addr)
        .or_else(|| e.user.as_deref().map(str::to_owned))
}

/// Joins the message trace, the Send audit records and the Sent Items listings into one view per
/// message sent by a mailbox of the tenant. Message-trace rows (one per recipient) collapse per
/// message id.
pub fn join(events: &[Event], tenant: &Tenant, options: &MailOptions) -> Vec<MessageView> {
    let mailboxes = known_mailboxes(events);
    let is_mailbox = |a: &str| tenant.is_internal(a) || mailboxes.contains(a);
    let mut j = Joiner::default();
    // 1. The message trace, one view per message.
    for rows in trace_messages(events, is_mailbox).values() {
        if let Some(v) = trace_view(events, rows) {
            j.add(v);
        }
    }
    // 2. The mailbox audit's Send records.
    j.add_sends(events, options.match_slack);
    // 3. Sent Items listings.
    j.add_listings(events, options.match_slack);
    for v in &mut j.views {
        v.finish(tenant);
    }
    j.views
}

/// The message-trace rows of mail sent by a mailbox of the tenant, per message: by message id,
/// else by sender, subject and second.
fn trace_messages(
    events: &[Event],
    is_mailbox: impl Fn(&str) -> bool,
) -> BTreeMap<String, Vec<usize>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let (SourceKind::MessageTrace, Some(time), Some(sender)) =
            (e.source, e.time, e.user.as_deref())
        else {
            continue;
        };
        if !is_mailbox(sender) {
            continue;
        }
        let key = match e.attr("MessageId").and_then(id_key) {
            Some((k, _)) => k,
            None => format!(
                "\u{1}{sender}\u{1}{}\u{1}{}",
                e.attr("Subject").and_then(subject_key).unwrap_or_default(),
                time.timestamp()
            ),
        };
        groups.entry(key).or_default().push(i);
    }
    groups
}

/// One message as the trace rows of it (one per recipient) saw it.
fn trace_view(events: &[Event], rows: &[usize]) -> Option<MessageView> {
    let first = &events[rows[0]];
    let id = rows
        .iter()
        .find_map(|&r| events[r].attr("MessageId").and_then(id_key));
    let subject = rows
        .iter()
        .find_map(|&r| events[r].attr("Subject").filter(|s| !s.trim().is_empty()));
    let time = rows.iter().filter_map(|&r| events[r].time).min();
    let (Some(mailbox), Some(time)) = (first.user.as_deref(), time) else {
        return None;
    };
    let mut v = MessageView::new(mailbox, id.as_ref(), subject, time);
    for &r in rows {
        let e = &events[r];
        v.recipients
            .extend(e.attrs.get_all("Recipient").filter_map(lower_addr));
        v.from_ip = v.from_ip.or(e.ip);
        v.statuses.extend(
            e.attrs
                .get_all("Status")
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_string()),
        );
        v.rule_generated |= e
            .attrs
            .get_all("Source")
            .any(|s| s.trim().eq_ignore_ascii_case("MAILBOXRULE"));
        v.direction_out |= e.attrs.get_all("Direction").any(|d| {
            let d = d.trim().to_ascii_lowercase();
            d == "originating" || d == "outbound" || d == "2"
        });
    }
    v.recipients.remove(&v.mailbox);
    v.trace = rows.to_vec();
    Some(v)
}

/// Messages the mailboxes received (trace), by message id and by base subject.
#[derive(Default)]
pub(super) struct Inbound {
    pub(super) by_key: BTreeMap<(String, String), DateTime<Utc>>,
    pub(super) by_subject: BTreeMap<(String, String), Vec<DateTime<Utc>>>,
}

impl Inbound {
    pub(super) fn build(ctx: &Ctx, tenant: &Tenant) -> Inbound {
        let mut inbound = Inbound::default();
        for e in ctx.events {
            let (SourceKind::MessageTrace, Some(time)) = (e.source, e.time) else {
                continue;
            };
            let sender = e.user.as_deref().unwrap_or("");
            let key = e.attr("MessageId").and_then(id_key).map(|(k, _)| k);
            let (base, _) = base_subject(e.attr("Subject").unwrap_or(""));
            for r in e.attrs.get_all("Recipient").filter_map(lower_addr) {
                let ours = tenant.is_internal(&r) || ctx.coverage.listing.contains_key(&r);
                if r == sender || !ours {
                    continue;
                }
                if let Some(k) = &key {
                    inbound.by_key.entry((r.clone(), k.clone())).or_insert(time);
                }
                if !base.is_empty() {
                    inbound
                        .by_subject
                        .entry((r.clone(), base.clone()))
                        .or_default()
                        .push(time);
                }
            }
        }
        inbound
    }
}
