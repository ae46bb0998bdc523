//! Sent-Items matching and mailbox activity: what left the mailbox that the user cannot see
//! (detections.md EXF-01, EXF-02, EXF-07, EXF-09, EXF-10, DEL-01; input-formats.md §2.8.4-2.8.6,
//! §6 and §7).
//!
//! Three views of the mail an account sent are joined per message: the message trace (what
//! left), the mailbox audit's `Send` / `SendAs` / `SendOnBehalf` records (what the mailbox says
//! it sent) and, when given, a Sent Items listing (what the user can still see). They join on the
//! Internet message id (angle brackets optional, domain part compared without case), and on
//! mailbox + subject + time (within five minutes, recipients overlapping) when one side has no
//! id; such joins are labelled `heuristic`. Deletions (`MoveToDeletedItems`, `SoftDelete`,
//! `HardDelete`) join on the ids of their affected items.
//!
//! A view is said to lack a message only when it could have held it: a Sent Items listing of
//! that mailbox whose range covers the send time (a listing is a snapshot taken at collection, so
//! it is taken to run from its earliest item to the end of the evidence), or an audit export that
//! holds `Send` records at all and mailbox-audit records of that mailbox, over a period that
//! covers the send time. Otherwise the finding says "could not be checked".
//!
//! Rules: `sent_items.missing`, `sent_items.deleted`, `sent_items.scam-subject`,
//! `sent_items.burst`, `mailbox.mass-delete`, `mailbox.items-accessed`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use regex::Regex;
use serde_json::Value;

use super::{evidence, finding_for};
use crate::event::{Event, SourceKind};
use crate::finding::{Finding, Severity};
use crate::ingest::InputSummary;
use crate::ingest::fields::{normalize_message_id, parse_bool};
use crate::ingest::time::format_utc;
use crate::tenant::{Tenant, is_system_actor};

pub const MISSING: &str = "sent_items.missing";
pub const DELETED: &str = "sent_items.deleted";
pub const SCAM_SUBJECT: &str = "sent_items.scam-subject";
pub const BURST: &str = "sent_items.burst";
pub const MASS_DELETE: &str = "mailbox.mass-delete";
pub const ITEMS_ACCESSED: &str = "mailbox.items-accessed";

/// What a field says when a view could not have held the message.
pub const COULD_NOT_CHECK: &str = "could not be checked";

/// Thresholds (the config file will be able to change them).
#[derive(Debug, Clone)]
pub struct SentItemsOptions {
    /// Largest time difference between two views of one message joined without an id.
    pub match_slack: Duration,
    /// A sent message deleted within this long after sending makes `sent_items.deleted`.
    pub deleted_within: Duration,
    /// Deleted within this long (EXF-07: one hour), the finding is high even for internal mail.
    pub quick_delete: Duration,
    /// The sliding window of bursts, mass deletions and mail-item access volume.
    pub window: Duration,
    /// External recipients in one window that make a sending burst.
    pub burst_external_recipients: usize,
    /// Messages in one window that make a sending burst.
    pub burst_messages: usize,
    /// One subject sent to `burst_external_recipients` within this long is a burst too.
    pub subject_window: Duration,
    /// Items deleted in one window that are a mass deletion whatever the baseline.
    pub mass_delete_items: usize,
    /// "Far above the baseline": at least this many times the busiest earlier window...
    pub baseline_factor: f64,
    /// ...and at least this many deleted items...
    pub mass_delete_floor: usize,
    /// ...or this many mail items bound.
    pub items_accessed_floor: usize,
    /// Earlier days with activity an account needs before its baseline counts.
    pub min_baseline_days: usize,
    /// Days on which one submitting address sent mail that no other view has, from the start of
    /// the trace on, before it counts as the account's routine relay (CRM, scanner, app).
    pub routine_submitter_days: usize,
    /// Mail-item access from attacker indicators further apart than this is two episodes.
    pub access_gap: Duration,
    /// A forward sent this soon after a message with the same subject came in was likely made
    /// by an inbox rule.
    pub forward_gap: Duration,
    /// A received message with a fraud subject deleted this soon after arrival (DEL-03).
    pub received_delete_within: Duration,
    /// Evidence records kept per finding.
    pub max_evidence: usize,
    /// Message ids, recipients and subjects listed per finding.
    pub max_listed: usize,
}

impl Default for SentItemsOptions {
    fn default() -> Self {
        SentItemsOptions {
            match_slack: Duration::minutes(5),
            deleted_within: Duration::hours(24),
            quick_delete: Duration::hours(1),
            window: Duration::hours(1),
            burst_external_recipients: 50,
            burst_messages: 30,
            subject_window: Duration::hours(24),
            mass_delete_items: 50,
            baseline_factor: 5.0,
            mass_delete_floor: 20,
            items_accessed_floor: 100,
            min_baseline_days: 3,
            routine_submitter_days: 3,
            access_gap: Duration::hours(2),
            forward_gap: Duration::minutes(5),
            received_delete_within: Duration::hours(4),
            max_evidence: 25,
            max_listed: 50,
        }
    }
}

const SEND_OPS: &[&str] = &["Send", "SendAs", "SendOnBehalf"];
const DELETE_OPS: &[&str] = &["MoveToDeletedItems", "SoftDelete", "HardDelete"];
/// Exchange mailbox-audit operations (RecordType 2, 3, 50): their presence shows the mailbox is
/// audited.
const MAILBOX_AUDIT_OPS: &[&str] = &[
    "Send",
    "SendAs",
    "SendOnBehalf",
    "MailItemsAccessed",
    "MoveToDeletedItems",
    "SoftDelete",
    "HardDelete",
    "Move",
    "Copy",
    "Create",
    "Update",
    "FolderBind",
    "MailboxLogin",
    "UpdateInboxRules",
    "AddFolderPermissions",
    "ModifyFolderPermissions",
    "RemoveFolderPermissions",
    "UpdateFolderPermissions",
    "UpdateCalendarDelegation",
    "ApplyRecord",
    "SearchQueryInitiatedExchange",
];
/// Sign-in client types (`clientAppUsed`) of legacy protocols.
const LEGACY_CLIENTS: &[&str] = &[
    "smtp",
    "imap",
    "pop3",
    "activesync",
    "other clients",
    "exchange web services",
    "autodiscover",
    "offline address book",
    "outlook anywhere",
    "reporting web services",
];
/// Reply and forward prefixes, in the languages Outlook writes them.
const SUBJECT_PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "tr", "rv", "sv", "vs", "vb", "antw", "doorst", "rif", "enc",
    "res", "odp", "pd",
];
const FORWARD_PREFIXES: &[&str] = &["fw", "fwd", "wg", "tr", "rv", "doorst", "enc", "rif", "pd"];

fn is_op(e: &Event, ops: &[&str]) -> bool {
    ops.iter().any(|op| e.operation.eq_ignore_ascii_case(op))
}

/// The message id as compared (`<local@domain>`, domain in lower case) and as shown.
fn id_key(raw: &str) -> Option<(String, String)> {
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

/// A subject for comparison: white space folded, lower case. Prefixes stay (identity).
fn subject_key(subject: &str) -> Option<String> {
    let s = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then(|| s.to_lowercase())
}

/// The subject without reply and forward prefixes, for grouping only; and whether a forward
/// prefix was removed.
fn base_subject(subject: &str) -> (String, bool) {
    let mut s = subject_key(subject).unwrap_or_default();
    let mut forwarded = false;
    while let Some((head, rest)) = s.split_once(':') {
        let head = head.trim();
        if !SUBJECT_PREFIXES.contains(&head) {
            break;
        }
        forwarded |= FORWARD_PREFIXES.contains(&head);
        s = rest.trim_start().to_string();
    }
    (s, forwarded)
}

/// A message id Exchange Online made (`...@<server>.<region>.prod.outlook.com`).
fn exchange_online_id(key: &str) -> bool {
    let domain = key
        .trim_end_matches('>')
        .rsplit_once('@')
        .map_or("", |(_, d)| d);
    domain.ends_with(".outlook.com") || domain.ends_with(".exchangelabs.com")
}

fn lower_addr(s: &str) -> Option<String> {
    let t = crate::ingest::fields::strip_smtp_prefix(s.trim()).trim_matches(['<', '>']);
    (!t.is_empty()).then(|| t.to_lowercase())
}

/// Fraud subject patterns (`rules/lists/scam_subjects.txt`).
struct ScamPatterns {
    plain: Vec<String>,
    wild: Vec<(String, Regex)>,
}

fn scam_patterns() -> &'static ScamPatterns {
    static PATTERNS: OnceLock<ScamPatterns> = OnceLock::new();
    PATTERNS
        .get_or_init(|| parse_scam_patterns(include_str!("../../rules/lists/scam_subjects.txt")))
}

fn parse_scam_patterns(text: &str) -> ScamPatterns {
    let mut patterns = ScamPatterns {
        plain: Vec::new(),
        wild: Vec::new(),
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(p) = subject_key(line) else { continue };
        if p.contains('*') {
            let body = p
                .split('*')
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(".*");
            if let Ok(re) = Regex::new(&format!("(?s){body}")) {
                patterns.wild.push((p, re));
            }
        } else {
            patterns.plain.push(p);
        }
    }
    patterns
}

/// The first fraud pattern a subject matches.
pub fn scam_match(subject: &str) -> Option<&'static str> {
    let s = subject_key(subject)?;
    let p = scam_patterns();
    p.plain
        .iter()
        .find(|pat| s.contains(pat.as_str()))
        .map(String::as_str)
        .or_else(|| {
            p.wild
                .iter()
                .find(|(_, re)| re.is_match(&s))
                .map(|(pat, _)| pat.as_str())
        })
}

/// Whether one view held a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Present,
    Absent,
    /// The view could not have held it (no listing, no audit coverage at that time).
    Unchecked,
}

impl Seen {
    fn value(self) -> Value {
        match self {
            Seen::Present => Value::Bool(true),
            Seen::Absent => Value::Bool(false),
            Seen::Unchecked => Value::String(COULD_NOT_CHECK.into()),
        }
    }
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
    key: Option<String>,
    subject_cmp: Option<String>,
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

    /// The message id, or a description of the message when it has none.
    fn label(&self) -> String {
        self.message_id.clone().unwrap_or_else(|| {
            format!(
                "(no message id) '{}' at {}",
                self.subject.as_deref().unwrap_or(""),
                format_utc(self.time)
            )
        })
    }
}

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
    #[allow(clippy::too_many_arguments)]
    fn locate(
        &self,
        mailbox: &str,
        key: Option<&str>,
        subject: Option<&str>,
        time: DateTime<Utc>,
        recipients: &BTreeSet<String>,
        slack: Duration,
        free: impl Fn(&MessageView) -> bool,
    ) -> Option<(usize, bool)> {
        if let Some(&ix) = key.and_then(|k| self.by_key.get(k)) {
            return Some((ix, false));
        }
        let subject = subject_key(subject?)?;
        self.by_subject
            .get(&(mailbox.to_string(), subject))?
            .iter()
            .copied()
            .filter(|&ix| {
                let v = &self.views[ix];
                (key.is_none() || v.key.is_none())
                    && free(v)
                    && (v.time - time).abs() <= slack
                    && (recipients.is_empty()
                        || v.recipients.is_empty()
                        || !v.recipients.is_disjoint(recipients))
            })
            .min_by_key(|&ix| ((self.views[ix].time - time).num_milliseconds().abs(), ix))
            .map(|ix| (ix, true))
    }

    /// Joins one sighting of a message into the view it belongs to (by id, else heuristically)
    /// or a new one, merging its time, subject and recipients; `free` says whether a view still
    /// lacks this source's copy. Returns the view's index.
    #[allow(clippy::too_many_arguments)]
    fn join(
        &mut self,
        mailbox: &str,
        id: Option<&(String, String)>,
        subject: Option<&str>,
        time: DateTime<Utc>,
        recipients: BTreeSet<String>,
        slack: Duration,
        free: impl Fn(&MessageView) -> bool,
    ) -> usize {
        let found = self.locate(
            mailbox,
            id.map(|(k, _)| k.as_str()),
            subject,
            time,
            &recipients,
            slack,
            free,
        );
        let ix = match found {
            Some((ix, heuristic)) => {
                self.views[ix].heuristic |= heuristic;
                self.learn_key(ix, id);
                ix
            }
            None => self.add(MessageView::new(mailbox, id, subject, time)),
        };
        let v = &mut self.views[ix];
        v.time = v.time.min(time);
        if v.subject.is_none() {
            v.subject = subject.map(str::to_owned);
        }
        v.recipients.extend(recipients);
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
pub fn join(events: &[Event], tenant: &Tenant, options: &SentItemsOptions) -> Vec<MessageView> {
    let mailboxes = known_mailboxes(events);
    let is_mailbox = |a: &str| tenant.is_internal(a) || mailboxes.contains(a);
    let mut j = Joiner::default();

    // 1. The message trace, one view per message.
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
    for rows in groups.values() {
        let first = &events[rows[0]];
        let id = rows
            .iter()
            .find_map(|&r| events[r].attr("MessageId").and_then(id_key));
        let subject = rows
            .iter()
            .find_map(|&r| events[r].attr("Subject").filter(|s| !s.trim().is_empty()));
        let time = rows.iter().filter_map(|&r| events[r].time).min();
        let (Some(mailbox), Some(time)) = (first.user.as_deref(), time) else {
            continue;
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
        v.trace = rows.clone();
        j.add(v);
    }

    // 2. The mailbox audit's Send records.
    for (i, e) in events.iter().enumerate() {
        if e.source != SourceKind::Ual || !is_op(e, SEND_OPS) || e.outcome.success == Some(false) {
            continue;
        }
        let (Some(time), Some(mailbox)) = (e.time, send_mailbox(e)) else {
            continue;
        };
        let id = e.attr("Item.InternetMessageId").and_then(id_key);
        let subject = e.attr("Item.Subject").filter(|s| !s.trim().is_empty());
        let recipients: BTreeSet<String> = e
            .attrs
            .get_all("recipientList.Address")
            .filter_map(lower_addr)
            .collect();
        let ix = j.join(
            &mailbox,
            id.as_ref(),
            subject,
            time,
            recipients,
            options.match_slack,
            |v| v.audit.is_empty(),
        );
        let v = &mut j.views[ix];
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

    // 3. Sent Items listings.
    for (i, e) in events.iter().enumerate() {
        let (SourceKind::SentItems, Some(time), Some(mailbox)) =
            (e.source, e.time, e.user.as_deref())
        else {
            continue;
        };
        let id = e.attr("MessageId").and_then(id_key);
        let subject = e.attr("Subject").filter(|s| !s.trim().is_empty());
        let recipients: BTreeSet<String> = e
            .attrs
            .get_all("Recipient")
            .filter_map(lower_addr)
            .collect();
        let ix = j.join(
            mailbox,
            id.as_ref(),
            subject,
            time,
            recipients,
            options.match_slack,
            |v| v.listing.is_empty(),
        );
        j.views[ix].listing.push(i);
    }

    for v in &mut j.views {
        let own = v.mailbox.clone();
        v.recipients.remove(&own);
        v.external = v
            .recipients
            .iter()
            .filter(|r| !tenant.is_internal(r))
            .cloned()
            .collect();
        v.recipient_count = v.recipient_count.max(v.recipients.len());
        v.outbound = !v.external.is_empty() || v.direction_out;
    }
    j.views
}

/// A period, first and last instant.
type Span = (DateTime<Utc>, DateTime<Utc>);
/// A listing's first and last item, and the end assumed for its snapshot.
type ListingSpan = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>);

/// Which periods each view covers.
struct Coverage {
    /// Per mailbox: first and last listed item, and the end assumed for the snapshot.
    listing: BTreeMap<String, ListingSpan>,
    /// Per mailbox: periods of audit exports that hold Send records and its mailbox audit.
    audit: BTreeMap<String, Vec<Span>>,
    /// Periods of the message-trace inputs.
    trace: Vec<Span>,
}

fn widen(range: &mut Option<Span>, t: DateTime<Utc>) -> Span {
    let r = range.get_or_insert((t, t));
    r.0 = r.0.min(t);
    r.1 = r.1.max(t);
    *r
}

impl Coverage {
    fn build(events: &[Event]) -> Coverage {
        let end = events.iter().filter_map(|e| e.time).max();
        let mut ual_range: BTreeMap<u32, Option<Span>> = BTreeMap::new();
        let mut ual_sends: BTreeSet<u32> = BTreeSet::new();
        let mut ual_mailboxes: BTreeMap<u32, BTreeSet<&str>> = BTreeMap::new();
        let mut trace_range: BTreeMap<u32, Option<Span>> = BTreeMap::new();
        let mut listed: BTreeMap<String, Option<Span>> = BTreeMap::new();
        for e in events {
            let Some(t) = e.time else { continue };
            match e.source {
                SourceKind::Ual => {
                    widen(ual_range.entry(e.prov.input).or_default(), t);
                    if is_op(e, SEND_OPS) {
                        ual_sends.insert(e.prov.input);
                    }
                    if is_op(e, MAILBOX_AUDIT_OPS) {
                        if let Some(u) = e.user.as_deref() {
                            ual_mailboxes.entry(e.prov.input).or_default().insert(u);
                        }
                    }
                }
                SourceKind::MessageTrace => {
                    widen(trace_range.entry(e.prov.input).or_default(), t);
                }
                SourceKind::SentItems => {
                    if let Some(u) = e.user.as_deref() {
                        widen(listed.entry(u.to_string()).or_default(), t);
                    }
                }
                _ => {}
            }
        }
        let mut audit: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        for input in &ual_sends {
            let Some(Some(range)) = ual_range.get(input) else {
                continue;
            };
            for mailbox in ual_mailboxes.get(input).into_iter().flatten() {
                audit.entry(mailbox.to_string()).or_default().push(*range);
            }
        }
        Coverage {
            listing: listed
                .into_iter()
                .filter_map(|(m, r)| {
                    let (first, last) = r?;
                    Some((m, (first, last, end.map_or(last, |e| e.max(last)))))
                })
                .collect(),
            audit,
            trace: trace_range.into_values().flatten().collect(),
        }
    }

    fn audited(&self, mailbox: &str, t: DateTime<Utc>, slack: Duration) -> bool {
        self.audit.get(mailbox).is_some_and(|ranges| {
            ranges
                .iter()
                .any(|(a, b)| t >= *a - slack && t <= *b + slack)
        })
    }

    fn traced(&self, t: DateTime<Utc>, slack: Duration) -> bool {
        self.trace
            .iter()
            .any(|(a, b)| t >= *a - slack && t <= *b + slack)
    }

    fn listing_range(&self, mailbox: &str) -> Option<String> {
        let (first, last, end) = self.listing.get(mailbox)?;
        Some(format!(
            "{} to {} (items listed up to {}; a listing is a snapshot taken at collection, so it is taken to run to the end of the evidence)",
            format_utc(*first),
            format_utc(*end),
            format_utc(*last)
        ))
    }
}

/// One item a deletion record names.
#[derive(Debug, Clone, Default)]
struct DelItem {
    key: Option<String>,
    id: Option<String>,
    subject: Option<String>,
    folder: Option<String>,
}

/// One MoveToDeletedItems / SoftDelete / HardDelete record.
#[derive(Debug, Clone)]
struct Deletion {
    event: usize,
    time: DateTime<Utc>,
    mailbox: String,
    folder: Option<String>,
    items: Vec<DelItem>,
    /// Items the record names (at least one).
    count: usize,
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The affected items of a deletion record, and how many it names. `AffectedItems[]` is
/// flattened to one repeated key per field (`AffectedItems.InternetMessageId`,
/// `AffectedItems.Subject`, ...), and the attributes may be ordered by name, so a field pairs with
/// the others by position only when every item has it; the values of a field some items lack
/// are kept as items of their own (an id without its subject), which match but are not counted.
fn deleted_items(e: &Event) -> (Vec<DelItem>, usize) {
    let (mut ids, mut subjects, mut folders): (Vec<&str>, Vec<&str>, Vec<&str>) =
        Default::default();
    for (k, v) in e.attrs.iter() {
        let Some(field) = strip_prefix_ci(k, "AffectedItems.") else {
            continue;
        };
        if field.eq_ignore_ascii_case("InternetMessageId") {
            ids.push(v);
        } else if field.eq_ignore_ascii_case("Subject") {
            subjects.push(v);
        } else if field.eq_ignore_ascii_case("ParentFolder.Path") {
            folders.push(v);
        }
    }
    let n = ids.len().max(subjects.len()).max(folders.len());
    let text = |v: &str| Some(v.to_string()).filter(|s| !s.trim().is_empty());
    let mut items: Vec<DelItem> = (0..n)
        .map(|i| {
            let id = if ids.len() == n { id_key(ids[i]) } else { None };
            DelItem {
                key: id.as_ref().map(|(k, _)| k.clone()),
                id: id.map(|(_, s)| s),
                subject: (subjects.len() == n).then(|| text(subjects[i])).flatten(),
                folder: (folders.len() == n).then(|| text(folders[i])).flatten(),
            }
        })
        .collect();
    if ids.len() != n {
        items.extend(
            ids.iter()
                .filter_map(|v| id_key(v))
                .map(|(key, shown)| DelItem {
                    key: Some(key),
                    id: Some(shown),
                    ..DelItem::default()
                }),
        );
    }
    if subjects.len() != n {
        items.extend(subjects.iter().map(|v| DelItem {
            subject: text(v),
            ..DelItem::default()
        }));
    }
    let count = n;
    if items.is_empty() {
        // Some records name one item under `Item`.
        let id = e.attr("Item.InternetMessageId").and_then(id_key);
        let subject = e.attr("Item.Subject");
        if id.is_some() || subject.is_some() {
            items.push(DelItem {
                key: id.as_ref().map(|(k, _)| k.clone()),
                id: id.map(|(_, s)| s),
                subject: subject.map(str::to_owned),
                folder: e.attr("Item.ParentFolder.Path").map(str::to_owned),
            });
        }
    }
    let count = count.max(1);
    let folder = e.attr("Folder.Path").map(str::to_owned);
    for item in &mut items {
        if item.folder.is_none() {
            item.folder = folder.clone();
        }
    }
    (items, count)
}

fn deletions(events: &[Event]) -> Vec<Deletion> {
    let mut out: Vec<Deletion> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.source == SourceKind::Ual && is_op(e, DELETE_OPS) && e.outcome.success != Some(false)
        })
        .filter_map(|(i, e)| {
            let (items, count) = deleted_items(e);
            Some(Deletion {
                event: i,
                time: e.time?,
                mailbox: e.user.as_deref()?.to_string(),
                folder: e.attr("Folder.Path").map(str::to_owned),
                items,
                count,
            })
        })
        .collect();
    out.sort_by_key(|d| (d.time, events[d.event].prov));
    out
}

/// Attacker indicators of one account: the addresses and sessions of its high and critical
/// findings, with the rules that named each address.
#[derive(Debug, Default)]
struct Attacker {
    ips: BTreeMap<IpAddr, BTreeSet<String>>,
    sessions: BTreeSet<String>,
}

impl Attacker {
    fn matches(&self, e: &Event) -> bool {
        e.ip.is_some_and(|ip| self.ips.contains_key(&ip))
            || e.client
                .session
                .as_deref()
                .is_some_and(|s| self.sessions.contains(s))
    }

    fn basis(&self, ips: &BTreeSet<IpAddr>) -> Vec<String> {
        ips.iter()
            .filter_map(|ip| {
                let rules = self.ips.get(ip)?;
                Some(format!(
                    "{ip} ({})",
                    rules.iter().cloned().collect::<Vec<_>>().join(", ")
                ))
            })
            .collect()
    }
}

/// Findings made by someone else on the account (an administrator's reset) say nothing about
/// the attacker's addresses, and system actors are never attackers.
fn attackers(prior: &[Finding]) -> BTreeMap<String, Attacker> {
    let mut out: BTreeMap<String, Attacker> = BTreeMap::new();
    for f in prior.iter().filter(|f| f.severity >= Severity::High) {
        let Some(user) = f.user.as_deref() else {
            continue;
        };
        if let Some(actor) = f.actor.as_deref() {
            if is_system_actor(actor) || (actor != user && f.family() != "signin") {
                continue;
            }
        }
        let a = out.entry(user.to_string()).or_default();
        for ip in &f.indicators.ips {
            a.ips.entry(*ip).or_default().insert(f.rule.clone());
        }
        a.sessions.extend(f.indicators.sessions.iter().cloned());
    }
    out
}

/// One MailItemsAccessed record, read.
struct Access {
    event: usize,
    time: DateTime<Utc>,
    sync: bool,
    throttled: bool,
    /// Items bound (0 for a Sync, which lists none).
    items: usize,
}

fn access(i: usize, e: &Event) -> Option<Access> {
    let kind = e
        .attr("OperationProperties.MailAccessType")
        .or_else(|| e.attr("MailAccessType"))
        .unwrap_or("");
    let sync = kind.trim().eq_ignore_ascii_case("Sync");
    let throttled = e
        .attr("OperationProperties.IsThrottled")
        .or_else(|| e.attr("IsThrottled"))
        .and_then(parse_bool)
        .unwrap_or(false);
    let ids = e
        .attrs
        .get_all("Folders.FolderItems.InternetMessageId")
        .count();
    let count = e
        .attr("OperationCount")
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(1);
    Some(Access {
        event: i,
        time: e.time?,
        sync,
        throttled,
        items: if sync { 0 } else { ids.max(count) },
    })
}

fn date(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

fn strings<I, S>(items: I, cap: usize) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Value::from(
        items
            .into_iter()
            .take(cap)
            .map(Into::into)
            .collect::<Vec<String>>(),
    )
}

/// A sliding window over time-sorted items: for each start, the end (exclusive) of the items
/// within `len` of it.
fn window_ends(times: &[DateTime<Utc>], len: Duration) -> Vec<usize> {
    let mut ends = Vec::with_capacity(times.len());
    let mut j = 0;
    for (i, t) in times.iter().enumerate() {
        j = j.max(i);
        while j < times.len() && times[j] < *t + len {
            j += 1;
        }
        ends.push(j);
    }
    ends
}

/// Sliding-window totals over time-sorted, weighted items, and what came before each window.
struct Windows {
    times: Vec<DateTime<Utc>>,
    /// For each start, the end (exclusive) of its window.
    ends: Vec<usize>,
    /// Total weight of each window.
    sums: Vec<usize>,
    /// `prefix_max[k]`: the largest of `sums[..k]`.
    prefix_max: Vec<usize>,
    /// `prefix_days[k]`: distinct days among `times[..k]`.
    prefix_days: Vec<usize>,
}

impl Windows {
    fn new(times: Vec<DateTime<Utc>>, weights: &[usize], len: Duration) -> Windows {
        let ends = window_ends(&times, len);
        let mut prefix_weight = vec![0; times.len() + 1];
        for (k, w) in weights.iter().enumerate() {
            prefix_weight[k + 1] = prefix_weight[k] + w;
        }
        let sums: Vec<usize> = (0..times.len())
            .map(|i| prefix_weight[ends[i]] - prefix_weight[i])
            .collect();
        let mut prefix_max = vec![0; times.len() + 1];
        let mut prefix_days = vec![0; times.len() + 1];
        for k in 0..times.len() {
            prefix_max[k + 1] = prefix_max[k].max(sums[k]);
            let new_day = k == 0 || date(times[k]) != date(times[k - 1]);
            prefix_days[k + 1] = prefix_days[k] + usize::from(new_day);
        }
        Windows {
            times,
            ends,
            sums,
            prefix_max,
            prefix_days,
        }
    }

    /// Windows wholly before item `i` and on earlier days are those starting at `..earlier(i)`.
    fn earlier(&self, i: usize) -> usize {
        let day = date(self.times[i]);
        let wholly_before = self.ends.partition_point(|&e| e <= i);
        let earlier_days = self.times.partition_point(|t| date(*t) < day);
        wholly_before.min(earlier_days)
    }
}

struct Ctx<'a> {
    events: &'a [Event],
    inputs: &'a [InputSummary],
    options: &'a SentItemsOptions,
    attackers: BTreeMap<String, Attacker>,
    coverage: Coverage,
    deletions: Vec<Deletion>,
    /// Deleted items by (mailbox, message id) and by (mailbox, subject): (deletion, item).
    deleted_by_key: BTreeMap<(String, String), Vec<(usize, usize)>>,
    deleted_by_subject: BTreeMap<(String, String), Vec<(usize, usize)>>,
    /// Successful legacy-protocol sign-ins per account.
    legacy: BTreeMap<String, Vec<usize>>,
    none: Attacker,
}

impl Ctx<'_> {
    fn attacker(&self, mailbox: &str) -> &Attacker {
        self.attackers.get(mailbox).unwrap_or(&self.none)
    }

    /// Adds evidence records (deduplicated, sorted, at most `max_evidence`).
    fn attach(&self, f: &mut Finding, idxs: impl IntoIterator<Item = usize>) {
        let mut total = f.evidence.len();
        for i in idxs {
            let ev = evidence(&self.events[i], self.inputs);
            if f.evidence.contains(&ev) {
                continue;
            }
            total += 1;
            if f.evidence.len() < self.options.max_evidence {
                f.evidence.push(ev);
            }
        }
        f.evidence.sort();
        if total > f.evidence.len() {
            f.fields
                .insert("evidence_total".into(), Value::from(total as u64));
        }
    }

    /// What each view says about a message, with the reason where it could not be checked.
    fn views_of(&self, v: &MessageView) -> ViewState {
        let slack = self.options.match_slack;
        let in_trace = if !v.trace.is_empty() {
            Seen::Present
        } else if self.coverage.traced(v.time, slack) {
            Seen::Absent
        } else {
            Seen::Unchecked
        };
        let (in_audit, audit_note) = if !v.audit.is_empty() {
            (Seen::Present, None)
        } else if self.coverage.audited(&v.mailbox, v.time, slack) {
            (Seen::Absent, None)
        } else {
            (
                Seen::Unchecked,
                Some(format!(
                    "no audit export holding Send records and mailbox-audit records of {} covers {}",
                    v.mailbox,
                    format_utc(v.time)
                )),
            )
        };
        let listing = self.coverage.listing.get(&v.mailbox);
        let (in_sent, sent_note) = if !v.listing.is_empty() {
            (Seen::Present, None)
        } else if v.save_to_sent == Some(false) {
            (
                Seen::Unchecked,
                Some(
                    "the Send record has SaveToSentItems false: no copy was meant to be kept"
                        .into(),
                ),
            )
        } else {
            match listing {
                None => (
                    Seen::Unchecked,
                    Some(format!("no Sent Items listing of {} was given", v.mailbox)),
                ),
                Some((first, _, end)) if v.time < *first - slack || v.time > *end + slack => (
                    Seen::Unchecked,
                    Some(format!(
                        "the Sent Items listing of {} covers {} to {}, not {}",
                        v.mailbox,
                        format_utc(*first),
                        format_utc(*end),
                        format_utc(v.time)
                    )),
                ),
                Some(_) => (Seen::Absent, None),
            }
        };
        ViewState {
            in_trace,
            in_audit,
            audit_note,
            in_sent,
            sent_note,
        }
    }

    fn view_fields(&self, f: &mut Finding, v: &MessageView, state: &ViewState) {
        let cap = self.options.max_listed;
        let fields = &mut f.fields;
        fields.insert("message_id".into(), Value::String(v.label()));
        if let Some(s) = &v.subject {
            fields.insert("subject".into(), Value::String(s.clone()));
        }
        fields.insert("sent_at".into(), Value::String(format_utc(v.time)));
        fields.insert(
            "recipients".into(),
            strings(v.recipients.iter().cloned(), cap),
        );
        fields.insert(
            "recipient_count".into(),
            Value::from(v.recipient_count as u64),
        );
        fields.insert(
            "external_recipients".into(),
            strings(v.external.iter().cloned(), cap),
        );
        fields.insert("in_trace".into(), state.in_trace.value());
        fields.insert("in_send_audit".into(), state.in_audit.value());
        fields.insert("in_sent_items".into(), state.in_sent.value());
        if let Some(n) = &state.audit_note {
            fields.insert("in_send_audit_note".into(), Value::String(n.clone()));
        }
        if let Some(n) = &state.sent_note {
            fields.insert("in_sent_items_note".into(), Value::String(n.clone()));
        }
        if let Some(range) = self.coverage.listing_range(&v.mailbox) {
            fields.insert("sent_items_listing".into(), Value::String(range));
        }
        fields.insert(
            "match".into(),
            Value::String(
                if v.heuristic {
                    "heuristic (subject, mailbox, time)"
                } else {
                    "message id"
                }
                .into(),
            ),
        );
        if let Some(ip) = v.from_ip {
            fields.insert("from_ip".into(), Value::String(ip.to_string()));
        }
        if !v.statuses.is_empty() {
            fields.insert(
                "trace_status".into(),
                strings(v.statuses.iter().cloned(), cap),
            );
        }
        if let Some(save) = v.save_to_sent {
            fields.insert("save_to_sent_items".into(), Value::Bool(save));
        }
    }

    /// Deletion records of a sent message in its own mailbox, at or after sending: by message
    /// id, else by subject.
    fn deletions_of(&self, v: &MessageView) -> Vec<(usize, usize, bool)> {
        let earliest = v.time - Duration::minutes(1);
        let mut out: Vec<(usize, usize, bool)> = Vec::new();
        if let Some(key) = &v.key {
            if let Some(list) = self.deleted_by_key.get(&(v.mailbox.clone(), key.clone())) {
                out.extend(list.iter().map(|&(di, ii)| (di, ii, false)));
            }
        }
        if let Some(subject) = &v.subject_cmp {
            if let Some(list) = self
                .deleted_by_subject
                .get(&(v.mailbox.clone(), subject.clone()))
            {
                out.extend(
                    list.iter()
                        .filter(|&&(di, ii)| {
                            (v.key.is_none() || self.deletions[di].items[ii].key.is_none())
                                && self.deletions[di].time - v.time <= self.options.deleted_within
                        })
                        .map(|&(di, ii)| (di, ii, true)),
                );
            }
        }
        out.retain(|&(di, _, _)| self.deletions[di].time >= earliest);
        out.sort();
        out.dedup_by_key(|d| (d.0, d.1));
        out
    }

    /// Messages this mailbox received (trace), by message id and by base subject.
    fn inbound(&self, tenant: &Tenant) -> Inbound {
        let mut inbound = Inbound::default();
        for e in self.events {
            let (SourceKind::MessageTrace, Some(time)) = (e.source, e.time) else {
                continue;
            };
            let sender = e.user.as_deref().unwrap_or("");
            let key = e.attr("MessageId").and_then(id_key).map(|(k, _)| k);
            let (base, _) = base_subject(e.attr("Subject").unwrap_or(""));
            for r in e.attrs.get_all("Recipient").filter_map(lower_addr) {
                let ours = tenant.is_internal(&r) || self.coverage.listing.contains_key(&r);
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

#[derive(Default)]
struct Inbound {
    by_key: BTreeMap<(String, String), DateTime<Utc>>,
    by_subject: BTreeMap<(String, String), Vec<DateTime<Utc>>>,
}

struct ViewState {
    in_trace: Seen,
    in_audit: Seen,
    audit_note: Option<String>,
    in_sent: Seen,
    sent_note: Option<String>,
}

/// The analyzer of mail that left the mailbox and of mailbox activity.
pub struct Mail;

impl super::Analyzer for Mail {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn rules(&self) -> &'static [&'static str] {
        &[
            MISSING,
            DELETED,
            SCAM_SUBJECT,
            BURST,
            MASS_DELETE,
            ITEMS_ACCESSED,
        ]
    }

    fn run(&self, cx: &super::Context<'_>, prior: &[Finding]) -> Vec<Finding> {
        // Tenant infrastructure and the account's own habitual addresses are never attacker
        // indicators, whatever finding names them (an administrator's consent from the office
        // NAT, a user's forward to their private mail set from home).
        let prior: Vec<Finding> = prior
            .iter()
            .filter(|f| f.severity >= Severity::High)
            .map(|f| {
                let mut f = f.clone();
                let user = f.actor.clone().or(f.user.clone()).unwrap_or_default();
                f.indicators
                    .ips
                    .retain(|ip| !cx.infra.contains(*ip) && !cx.known.is_habitual(&user, *ip));
                f
            })
            .collect();
        analyze_with(cx.events, cx.inputs, cx.tenant, &prior, &cx.options.mail)
    }
}

/// Every finding of this module, with the default thresholds.
pub fn analyze(
    events: &[Event],
    inputs: &[InputSummary],
    tenant: &Tenant,
    prior: &[Finding],
) -> Vec<Finding> {
    analyze_with(events, inputs, tenant, prior, &SentItemsOptions::default())
}

/// Every finding of this module. `prior` are the findings so far (sign-ins above all): the
/// addresses and sessions of an account's high and critical findings are its attacker
/// indicators.
pub fn analyze_with(
    events: &[Event],
    inputs: &[InputSummary],
    tenant: &Tenant,
    prior: &[Finding],
    options: &SentItemsOptions,
) -> Vec<Finding> {
    let views = join(events, tenant, options);
    let deletions = deletions(events);
    let mut deleted_by_key: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    let mut deleted_by_subject: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (di, d) in deletions.iter().enumerate() {
        for (ii, item) in d.items.iter().enumerate() {
            if let Some(k) = &item.key {
                deleted_by_key
                    .entry((d.mailbox.clone(), k.clone()))
                    .or_default()
                    .push((di, ii));
            }
            if let Some(s) = item.subject.as_deref().and_then(subject_key) {
                deleted_by_subject
                    .entry((d.mailbox.clone(), s))
                    .or_default()
                    .push((di, ii));
            }
        }
    }
    let mut legacy: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.source != SourceKind::Signin || e.outcome.success == Some(false) || e.time.is_none() {
            continue;
        }
        let client = e
            .client
            .client_info
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !LEGACY_CLIENTS.iter().any(|l| client.contains(l)) {
            continue;
        }
        if let Some(user) = e.user.as_deref() {
            legacy.entry(user.to_string()).or_default().push(i);
        }
    }
    let ctx = Ctx {
        events,
        inputs,
        options,
        attackers: attackers(prior),
        coverage: Coverage::build(events),
        deletions,
        deleted_by_key,
        deleted_by_subject,
        legacy,
        none: Attacker::default(),
    };
    let inbound = ctx.inbound(tenant);
    let mut findings = Vec::new();
    sent_findings(&ctx, &views, &inbound, &mut findings);
    deleted_scam_subjects(&ctx, &views, &inbound, &mut findings);
    bursts(&ctx, &views, &mut findings);
    mass_delete(&ctx, &mut findings);
    items_accessed(&ctx, &mut findings);
    findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    findings
}

/// How a message with no Send record left: the trace's submitting address, a client-made
/// message id, an inbox rule.
fn submission(v: &MessageView, inbound: &Inbound, options: &SentItemsOptions) -> (String, bool) {
    let foreign_id = v
        .key
        .as_deref()
        .filter(|k| !exchange_online_id(k))
        .and(v.message_id.as_deref());
    if v.rule_generated {
        return (
            "made by an inbox rule (trace source MAILBOXRULE)".into(),
            false,
        );
    }
    if let Some(ip) = v.from_ip {
        let mut s = format!(
            "submitted over SMTP from {ip} (the trace's client address; mail sent through Outlook or OWA has none)"
        );
        if let Some(k) = foreign_id {
            s.push_str(&format!(
                "; the message id {k} was not made by Exchange Online but by the sending client"
            ));
        }
        return (s, true);
    }
    if let Some(k) = foreign_id {
        return (
            format!(
                "the message id {k} was not made by Exchange Online: submitted by another client (SMTP AUTH, a script, a connector)"
            ),
            true,
        );
    }
    let (base, forwarded) = base_subject(v.subject.as_deref().unwrap_or(""));
    if forwarded {
        let received = inbound
            .by_subject
            .get(&(v.mailbox.clone(), base))
            .and_then(|times| {
                times
                    .iter()
                    .filter(|t| **t <= v.time && v.time - **t <= options.forward_gap)
                    .max()
            });
        if let Some(t) = received {
            return (
                format!(
                    "likely an inbox-rule forward: a message with the same subject reached {} at {}, {} s earlier",
                    v.mailbox,
                    format_utc(*t),
                    (v.time - *t).num_seconds()
                ),
                false,
            );
        }
    }
    (
        "sent through Exchange Online with no Send record: an app, an inbox or transport rule, or a client that is not audited".into(),
        false,
    )
}

/// A legacy-protocol sign-in of the mailbox within an hour of the send, the submitting address
/// first.
fn legacy_signin(ctx: &Ctx, v: &MessageView) -> Option<String> {
    let candidates: Vec<&Event> = ctx
        .legacy
        .get(&v.mailbox)?
        .iter()
        .map(|&i| &ctx.events[i])
        .filter(|e| {
            e.time
                .is_some_and(|t| (t - v.time).abs() <= Duration::hours(1))
        })
        .collect();
    let best = candidates
        .iter()
        .find(|e| v.from_ip.is_some() && e.ip == v.from_ip)
        .or_else(|| candidates.first())?;
    Some(format!(
        "{} sign-in from {} at {}",
        best.client.client_info.as_deref().unwrap_or("legacy"),
        best.ip
            .map_or_else(|| "an unknown address".into(), |i| i.to_string()),
        best.time.map(format_utc).unwrap_or_default()
    ))
}

fn quote(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("'{s}'"),
        None => "(no subject)".into(),
    }
}

fn recipients_text(v: &MessageView) -> String {
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

/// `sent_items.missing`, `sent_items.deleted` and the scam subjects of sent mail.
fn sent_findings(ctx: &Ctx, views: &[MessageView], inbound: &Inbound, out: &mut Vec<Finding>) {
    let options = ctx.options;
    // Missing messages per (mailbox, submitting address), to tell a routine relay apart.
    let mut missing: Vec<(usize, ViewState)> = Vec::new();
    for (vi, v) in views.iter().enumerate() {
        let state = ctx.views_of(v);
        let dels = ctx.deletions_of(v);
        let first_del = dels
            .iter()
            .find(|(di, _, _)| ctx.deletions[*di].time - v.time <= options.deleted_within);
        if let Some(&(di, ii, heuristic)) = first_del {
            out.push(deleted_finding(ctx, v, &state, &dels, di, ii, heuristic));
        } else if v.outbound
            && !v.trace.is_empty()
            // In Sent Items, the user can see it: a gap in the audit, not hidden mail.
            && state.in_sent != Seen::Present
            && (state.in_audit == Seen::Absent || state.in_sent == Seen::Absent)
            // A later deletion explains the absence from Sent Items, not a missing Send record.
            && (dels.is_empty() || state.in_audit == Seen::Absent)
        {
            missing.push((vi, state));
        }
        if let Some(pattern) = v.subject.as_deref().and_then(scam_match) {
            out.push(scam_finding(ctx, v, pattern));
        }
    }

    // A submitting address that was already sending such mail when the trace begins, and kept
    // doing so on several days, is the account's relay; its messages are summarised, not judged.
    let trace_start = ctx.coverage.trace.iter().map(|(a, _)| *a).min();
    let mut by_submitter: BTreeMap<(String, IpAddr), Vec<usize>> = BTreeMap::new();
    for (vi, _) in &missing {
        let v = &views[*vi];
        if let Some(ip) = v.from_ip {
            if !ctx.attacker(&v.mailbox).ips.contains_key(&ip) {
                by_submitter
                    .entry((v.mailbox.clone(), ip))
                    .or_default()
                    .push(*vi);
            }
        }
    }
    let mut routine: BTreeSet<usize> = BTreeSet::new();
    for ((mailbox, ip), list) in &by_submitter {
        let days: BTreeSet<NaiveDate> = list.iter().map(|&vi| date(views[vi].time)).collect();
        let first = list.iter().map(|&vi| views[vi].time).min();
        let from_start = match (first, trace_start) {
            (Some(f), Some(s)) => f - s <= Duration::days(2),
            _ => false,
        };
        if days.len() < options.routine_submitter_days || !from_start {
            continue;
        }
        routine.extend(list.iter().copied());
        let v = &views[list[0]];
        let mut f = finding_for(
            &ctx.events[v.trace[0]],
            ctx.inputs,
            MISSING,
            Severity::Low,
            format!(
                "{} messages submitted over SMTP from {ip} on {} days since the trace begins left {mailbox} with no Send record or Sent Items copy: the account's routine relay (an application, scanner or connector), not judged one by one",
                list.len(),
                days.len()
            ),
        );
        f.user = Some(mailbox.clone());
        f.fields
            .insert("from_ip".into(), Value::String(ip.to_string()));
        f.fields
            .insert("messages".into(), Value::from(list.len() as u64));
        f.fields
            .insert("days".into(), Value::from(days.len() as u64));
        f.fields.insert(
            "message_ids".into(),
            strings(list.iter().map(|&vi| views[vi].label()), options.max_listed),
        );
        f.fields
            .insert("routine_submitter".into(), Value::Bool(true));
        ctx.attach(
            &mut f,
            list.iter().flat_map(|&vi| views[vi].trace.iter().copied()),
        );
        out.push(f);
    }

    for (vi, state) in &missing {
        if routine.contains(vi) {
            continue;
        }
        out.push(missing_finding(ctx, &views[*vi], state, inbound));
    }
}

fn missing_finding(ctx: &Ctx, v: &MessageView, state: &ViewState, inbound: &Inbound) -> Finding {
    let attacker = ctx.attacker(&v.mailbox);
    let attacker_ip = v.from_ip.is_some_and(|ip| attacker.ips.contains_key(&ip));
    let both = state.in_audit == Seen::Absent && state.in_sent == Seen::Absent;
    let external = !v.external.is_empty();
    let severity = match (external, both || attacker_ip) {
        (true, true) => Severity::Critical,
        (true, false) | (false, true) => Severity::High,
        (false, false) => Severity::Medium,
    };
    let (how, smtp) = submission(v, inbound, ctx.options);
    let lacks = match (state.in_audit, state.in_sent) {
        (Seen::Absent, Seen::Absent) => "no Send audit record and no copy in Sent Items",
        (Seen::Absent, _) => "no Send audit record (Sent Items could not be checked)",
        (Seen::Present, _) => {
            "a Send audit record but no copy in Sent Items and no deletion record"
        }
        (_, _) => "no copy in Sent Items (the Send audit could not be checked)",
    };
    let mut f = finding_for(
        &ctx.events[v.trace[0]],
        ctx.inputs,
        MISSING,
        severity,
        format!(
            "{} to {} left {} at {} per the message trace, with {}; {}",
            quote(v.subject.as_deref()),
            recipients_text(v),
            v.mailbox,
            format_utc(v.time),
            lacks,
            how
        ),
    );
    f.user = Some(v.mailbox.clone());
    f.time = Some(v.time);
    ctx.view_fields(&mut f, v, state);
    f.fields.insert("submission".into(), Value::String(how));
    f.fields.insert("smtp_submitted".into(), Value::Bool(smtp));
    f.fields
        .insert("from_attacker_ip".into(), Value::Bool(attacker_ip));
    if let Some(legacy) = legacy_signin(ctx, v) {
        f.fields
            .insert("legacy_signin".into(), Value::String(legacy));
    }
    ctx.attach(
        &mut f,
        v.trace.iter().chain(&v.audit).chain(&v.listing).copied(),
    );
    f
}

#[allow(clippy::too_many_arguments)]
fn deleted_finding(
    ctx: &Ctx,
    v: &MessageView,
    state: &ViewState,
    dels: &[(usize, usize, bool)],
    di: usize,
    ii: usize,
    heuristic: bool,
) -> Finding {
    let d = &ctx.deletions[di];
    let e = &ctx.events[d.event];
    let gap = d.time - v.time;
    let from_attacker = ctx.attacker(&v.mailbox).matches(e);
    let severity = if gap <= ctx.options.quick_delete || from_attacker || !v.external.is_empty() {
        Severity::High
    } else {
        Severity::Medium
    };
    let folder = d.items[ii]
        .folder
        .clone()
        .or_else(|| d.folder.clone())
        .unwrap_or_else(|| "an unknown folder".into());
    let mut f = finding_for(
        e,
        ctx.inputs,
        DELETED,
        severity,
        format!(
            "{} to {}, sent by {} at {}, was removed ({} from {}) {} later{}",
            quote(v.subject.as_deref()),
            recipients_text(v),
            v.mailbox,
            format_utc(v.time),
            e.operation,
            folder,
            human_gap(gap),
            e.ip.map(|ip| format!(", from {ip}")).unwrap_or_default()
        ),
    );
    f.user = Some(v.mailbox.clone());
    ctx.view_fields(&mut f, v, state);
    f.fields
        .insert("deleted_at".into(), Value::String(format_utc(d.time)));
    f.fields
        .insert("gap_minutes".into(), Value::from(gap.num_minutes()));
    f.fields
        .insert("gap_seconds".into(), Value::from(gap.num_seconds()));
    f.fields
        .insert("deletion".into(), Value::String(e.operation.to_string()));
    f.fields
        .insert("deleted_from".into(), Value::String(folder));
    f.fields.insert(
        "deletions".into(),
        strings(
            dels.iter().map(|(di, ii, _)| {
                let d = &ctx.deletions[*di];
                let ev = &ctx.events[d.event];
                format!(
                    "{} {} from {}{}",
                    ev.operation,
                    format_utc(d.time),
                    d.items[*ii]
                        .folder
                        .as_deref()
                        .or(d.folder.as_deref())
                        .unwrap_or("?"),
                    ev.ip.map(|ip| format!(" ({ip})")).unwrap_or_default()
                )
            }),
            ctx.options.max_listed,
        ),
    );
    f.fields.insert(
        "deleted_by_attacker_indicator".into(),
        Value::Bool(from_attacker),
    );
    if heuristic {
        f.fields.insert(
            "deletion_match".into(),
            Value::String("heuristic (subject, mailbox, time)".into()),
        );
    }
    ctx.attach(
        &mut f,
        dels.iter()
            .map(|(di, _, _)| ctx.deletions[*di].event)
            .chain(v.audit.iter().copied())
            .chain(v.trace.iter().copied())
            .chain(v.listing.iter().copied()),
    );
    f
}

fn human_gap(gap: Duration) -> String {
    let s = gap.num_seconds().max(0);
    if s < 120 {
        format!("{s} seconds")
    } else if s < 7200 {
        format!("{} minutes", s / 60)
    } else {
        format!("{} hours", s / 3600)
    }
}

fn scam_finding(ctx: &Ctx, v: &MessageView, pattern: &str) -> Finding {
    let anchor = v
        .audit
        .first()
        .or(v.trace.first())
        .or(v.listing.first())
        .copied()
        .unwrap_or_default();
    let state = ctx.views_of(v);
    let mut f = finding_for(
        &ctx.events[anchor],
        ctx.inputs,
        SCAM_SUBJECT,
        Severity::Medium,
        format!(
            "{} sent {} to {} at {} (matches the fraud pattern '{pattern}')",
            v.mailbox,
            quote(v.subject.as_deref()),
            recipients_text(v),
            format_utc(v.time)
        ),
    );
    f.user = Some(v.mailbox.clone());
    f.time = Some(v.time);
    ctx.view_fields(&mut f, v, &state);
    f.fields
        .insert("pattern".into(), Value::String(pattern.to_string()));
    f.fields.insert("kind".into(), Value::String("sent".into()));
    ctx.attach(
        &mut f,
        v.audit.iter().chain(&v.trace).chain(&v.listing).copied(),
    );
    f
}

/// Scam subjects among deleted items that are not sent mail (sent mail is judged above): when
/// an attacker indicator deleted them, or they were received shortly before (DEL-03).
fn deleted_scam_subjects(
    ctx: &Ctx,
    views: &[MessageView],
    inbound: &Inbound,
    out: &mut Vec<Finding>,
) {
    let sent: BTreeSet<(&str, &str)> = views
        .iter()
        .filter_map(|v| Some((v.mailbox.as_str(), v.key.as_deref()?)))
        .collect();
    let sent_subjects: BTreeSet<(&str, &str)> = views
        .iter()
        .filter_map(|v| Some((v.mailbox.as_str(), v.subject_cmp.as_deref()?)))
        .collect();
    let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
    for d in &ctx.deletions {
        let e = &ctx.events[d.event];
        for item in &d.items {
            let Some(subject) = item.subject.as_deref() else {
                continue;
            };
            let Some(pattern) = scam_match(subject) else {
                continue;
            };
            let cmp = subject_key(subject).unwrap_or_default();
            let is_sent = match &item.key {
                Some(k) => sent.contains(&(d.mailbox.as_str(), k.as_str())),
                None => sent_subjects.contains(&(d.mailbox.as_str(), cmp.as_str())),
            };
            if is_sent {
                continue;
            }
            let received = item
                .key
                .as_ref()
                .and_then(|k| inbound.by_key.get(&(d.mailbox.clone(), k.clone())).copied());
            let soon = received
                .is_some_and(|t| t <= d.time && d.time - t <= ctx.options.received_delete_within);
            let hostile = ctx.attacker(&d.mailbox).matches(e);
            if !(soon || hostile) {
                continue;
            }
            let ident = item.key.clone().unwrap_or_else(|| cmp.clone());
            if !reported.insert((d.mailbox.clone(), ident)) {
                continue;
            }
            let mut f = finding_for(
                e,
                ctx.inputs,
                SCAM_SUBJECT,
                Severity::Medium,
                format!(
                    "{} {} '{subject}' from {} in {} at {} (matches the fraud pattern '{pattern}'){}",
                    e.operation,
                    if hostile {
                        "by an attacker indicator:"
                    } else {
                        "of a message received shortly before:"
                    },
                    item.folder
                        .as_deref()
                        .or(d.folder.as_deref())
                        .unwrap_or("an unknown folder"),
                    d.mailbox,
                    format_utc(d.time),
                    received
                        .map(|t| format!("; it arrived at {}", format_utc(t)))
                        .unwrap_or_default()
                ),
            );
            f.user = Some(d.mailbox.clone());
            f.fields
                .insert("subject".into(), Value::String(subject.to_string()));
            f.fields
                .insert("pattern".into(), Value::String(pattern.to_string()));
            f.fields
                .insert("kind".into(), Value::String("deleted".into()));
            if let Some(id) = &item.id {
                f.fields
                    .insert("message_id".into(), Value::String(id.clone()));
            }
            f.fields
                .insert("deleted_at".into(), Value::String(format_utc(d.time)));
            if let Some(t) = received {
                f.fields
                    .insert("received_at".into(), Value::String(format_utc(t)));
            }
            f.fields
                .insert("deleted_by_attacker_indicator".into(), Value::Bool(hostile));
            out.push(f);
        }
    }
}

/// One window's totals.
#[derive(Clone, Copy, Default)]
struct Tally {
    messages: usize,
    external: usize,
}

/// Messages and distinct external recipients of each window (`ends` from [`window_ends`]).
fn sliding_tallies(msgs: &[&MessageView], ends: &[usize]) -> Vec<Tally> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(msgs.len());
    let mut hi = 0;
    for (i, v) in msgs.iter().enumerate() {
        while hi < ends[i] {
            for r in &msgs[hi].external {
                *counts.entry(r.as_str()).or_default() += 1;
            }
            hi += 1;
        }
        out.push(Tally {
            messages: ends[i] - i,
            external: counts.len(),
        });
        for r in &v.external {
            if let Some(n) = counts.get_mut(r.as_str()) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(r.as_str());
                }
            }
        }
    }
    out
}

/// `sent_items.burst`: a window with many messages or external recipients, or one subject to
/// many external recipients, that the account's own history does not match.
fn bursts(ctx: &Ctx, views: &[MessageView], out: &mut Vec<Finding>) {
    let options = ctx.options;
    let mut by_mailbox: BTreeMap<&str, Vec<&MessageView>> = BTreeMap::new();
    for v in views
        .iter()
        .filter(|v| !v.trace.is_empty() || !v.audit.is_empty())
    {
        by_mailbox.entry(v.mailbox.as_str()).or_default().push(v);
    }
    for (mailbox, mut msgs) in by_mailbox {
        msgs.sort_by_key(|v| (v.time, v.trace.first().or(v.audit.first()).copied()));
        let times: Vec<DateTime<Utc>> = msgs.iter().map(|v| v.time).collect();
        let is_burst = |t: Tally| {
            t.external >= options.burst_external_recipients || t.messages >= options.burst_messages
        };
        // Every window of each length, for the history.
        let hour_ends = window_ends(&times, options.window);
        let day_ends = window_ends(&times, options.subject_window);
        let hour = sliding_tallies(&msgs, &hour_ends);
        let day = sliding_tallies(&msgs, &day_ends);

        let mut handled: BTreeSet<usize> = BTreeSet::new();
        let mut candidates: Vec<(usize, usize, bool)> = Vec::new();
        let mut i = 0;
        while i < msgs.len() {
            if is_burst(hour[i]) {
                candidates.push((i, hour_ends[i], false));
                i = hour_ends[i];
            } else {
                i += 1;
            }
        }
        for &(a, b, _) in &candidates {
            handled.extend(a..b);
        }
        // One subject to many external recipients over a day.
        let mut by_subject: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (ix, v) in msgs.iter().enumerate() {
            let (base, _) = base_subject(v.subject.as_deref().unwrap_or(""));
            if !base.is_empty() {
                by_subject.entry(base).or_default().push(ix);
            }
        }
        for list in by_subject.values() {
            let mut k = 0;
            while k < list.len() {
                let start = times[list[k]];
                let members: Vec<usize> = list[k..]
                    .iter()
                    .copied()
                    .take_while(|&ix| times[ix] < start + options.subject_window)
                    .collect();
                let ext: BTreeSet<&str> = members
                    .iter()
                    .flat_map(|&ix| msgs[ix].external.iter().map(String::as_str))
                    .collect();
                if ext.len() >= options.burst_external_recipients
                    && !members.iter().all(|ix| handled.contains(ix))
                {
                    handled.extend(members.iter().copied());
                    let last = *members.last().unwrap_or(&list[k]);
                    candidates.push((list[k], last + 1, true));
                    k += members.len();
                } else {
                    k += 1;
                }
            }
        }

        for (a, b, one_subject) in candidates {
            let start = times[a];
            let members: Vec<&MessageView> = if one_subject {
                let (base, _) = base_subject(msgs[a].subject.as_deref().unwrap_or(""));
                msgs[a..b]
                    .iter()
                    .copied()
                    .filter(|v| base_subject(v.subject.as_deref().unwrap_or("")).0 == base)
                    .collect()
            } else {
                msgs[a..b].to_vec()
            };
            let ext: BTreeSet<&str> = members
                .iter()
                .flat_map(|v| v.external.iter().map(String::as_str))
                .collect();
            let current = Tally {
                messages: members.len(),
                external: ext.len(),
            };
            let (history, ends) = if one_subject {
                (&day, &day_ends)
            } else {
                (&hour, &hour_ends)
            };
            // Earlier windows, wholly before this one and on earlier days.
            let earlier: Vec<usize> = (0..a)
                .filter(|&k| ends[k] <= a && date(times[k]) < date(start))
                .collect();
            let similar: BTreeSet<NaiveDate> = earlier
                .iter()
                .filter(|&&k| {
                    let h = history[k];
                    2 * h.external >= current.external && 2 * h.messages >= current.messages
                })
                .map(|&k| date(times[k]))
                .collect();
            if !similar.is_empty() {
                continue; // the account has done this before: a newsletter, a mailing
            }
            let baseline_days: BTreeSet<NaiveDate> = times[..a]
                .iter()
                .map(|t| date(*t))
                .filter(|d| *d < date(start))
                .collect();
            let baseline = baseline_days.len() >= options.min_baseline_days;
            let prior_max = earlier
                .iter()
                .map(|&k| history[k].external)
                .max()
                .unwrap_or(0);
            let prior_max_messages = earlier
                .iter()
                .map(|&k| history[k].messages)
                .max()
                .unwrap_or(0);
            let severity = if baseline {
                Severity::Medium
            } else {
                Severity::Low
            };
            let end = members.last().map_or(start, |v| v.time);
            let anchor = members[0]
                .audit
                .first()
                .or(members[0].trace.first())
                .copied()
                .unwrap_or_default();
            let subjects: BTreeSet<&str> = members
                .iter()
                .filter_map(|v| v.subject.as_deref())
                .collect();
            let mut f = finding_for(
                &ctx.events[anchor],
                ctx.inputs,
                BURST,
                severity,
                format!(
                    "{mailbox} sent {} to {} external recipients {}{}; {}",
                    if current.messages == 1 {
                        "1 message".to_string()
                    } else {
                        format!("{} messages", current.messages)
                    },
                    current.external,
                    if end == start {
                        format!("at {}", format_utc(start))
                    } else {
                        format!("between {} and {}", format_utc(start), format_utc(end))
                    },
                    if one_subject {
                        format!(
                            " under one subject {}",
                            quote(members[0].subject.as_deref())
                        )
                    } else {
                        String::new()
                    },
                    if baseline {
                        format!(
                            "its busiest earlier {} reached {prior_max} external recipients",
                            if one_subject { "day" } else { "hour" }
                        )
                    } else {
                        "there is no earlier sending to compare with (no baseline)".into()
                    }
                ),
            );
            f.user = Some(mailbox.to_string());
            f.time = Some(start);
            let cap = options.max_listed;
            f.fields
                .insert("window_start".into(), Value::String(format_utc(start)));
            f.fields
                .insert("window_end".into(), Value::String(format_utc(end)));
            f.fields
                .insert("messages".into(), Value::from(current.messages as u64));
            f.fields.insert(
                "external_recipient_count".into(),
                Value::from(current.external as u64),
            );
            f.fields.insert(
                "external_recipients".into(),
                strings(ext.iter().map(|s| s.to_string()), cap),
            );
            f.fields
                .insert("subjects".into(), strings(subjects.iter().copied(), cap));
            f.fields.insert(
                "message_ids".into(),
                strings(members.iter().map(|v| v.label()), cap),
            );
            f.fields.insert(
                "kind".into(),
                Value::String(
                    if one_subject {
                        "one subject to many recipients"
                    } else {
                        "volume"
                    }
                    .into(),
                ),
            );
            f.fields.insert("baseline".into(), Value::Bool(baseline));
            f.fields.insert(
                "baseline_days".into(),
                Value::from(baseline_days.len() as u64),
            );
            f.fields.insert(
                "prior_max_external_recipients".into(),
                Value::from(prior_max as u64),
            );
            f.fields.insert(
                "prior_max_messages".into(),
                Value::from(prior_max_messages as u64),
            );
            for v in &members {
                if let Some(&ix) = v.audit.first().or(v.trace.first()) {
                    f.indicators
                        .merge(&crate::finding::Indicators::of(&ctx.events[ix]));
                }
            }
            ctx.attach(
                &mut f,
                members
                    .iter()
                    .flat_map(|v| v.audit.iter().chain(v.trace.iter().take(1)).copied()),
            );
            out.push(f);
        }
    }
}

/// `mailbox.mass-delete`: at least `mass_delete_items` items in one window, or far above the
/// account's busiest earlier window. An account that deleted comparable amounts on earlier days
/// is a habitual cleaner: reported low.
fn mass_delete(ctx: &Ctx, out: &mut Vec<Finding>) {
    let options = ctx.options;
    let mut by_mailbox: BTreeMap<&str, Vec<&Deletion>> = BTreeMap::new();
    for d in &ctx.deletions {
        let actor = ctx.events[d.event].actor.as_deref().unwrap_or("");
        if !is_system_actor(actor) {
            by_mailbox.entry(d.mailbox.as_str()).or_default().push(d);
        }
    }
    for (mailbox, list) in by_mailbox {
        let count = |d: &Deletion| d.count;
        let weights: Vec<usize> = list.iter().map(|d| count(d)).collect();
        let w = Windows::new(
            list.iter().map(|d| d.time).collect(),
            &weights,
            options.window,
        );
        let (times, ends, sums) = (&w.times, &w.ends, &w.sums);
        let mut i = 0;
        while i < list.len() {
            let start = times[i];
            let earlier = w.earlier(i);
            let baseline = w.prefix_days[earlier] >= options.min_baseline_days;
            let prior_max = w.prefix_max[earlier];
            let sum = sums[i];
            let far_above = baseline
                && sum >= options.mass_delete_floor
                && sum as f64 >= options.baseline_factor * prior_max as f64;
            if sum < options.mass_delete_items && !far_above {
                i += 1;
                continue;
            }
            let group = &list[i..ends[i]];
            let habitual: BTreeSet<NaiveDate> = (0..earlier)
                .filter(|&k| 2 * sums[k] >= sum)
                .map(|k| date(times[k]))
                .collect();
            let severity = if habitual.len() >= 2 {
                Severity::Low
            } else {
                Severity::Medium
            };
            let mut ops: BTreeMap<String, u64> = BTreeMap::new();
            let mut folders: BTreeSet<&str> = BTreeSet::new();
            let mut subjects: Vec<&str> = Vec::new();
            let mut ids: Vec<&str> = Vec::new();
            let mut hostile = false;
            for d in group {
                let e = &ctx.events[d.event];
                *ops.entry(e.operation.to_string()).or_default() += count(d) as u64;
                hostile |= ctx.attacker(mailbox).matches(e);
                for item in &d.items {
                    if let Some(fo) = item.folder.as_deref().or(d.folder.as_deref()) {
                        folders.insert(fo);
                    }
                    subjects.extend(item.subject.as_deref());
                    ids.extend(item.id.as_deref());
                }
            }
            let end = group.last().map_or(start, |d| d.time);
            let first = &ctx.events[group[0].event];
            let mut f = finding_for(
                first,
                ctx.inputs,
                MASS_DELETE,
                severity,
                format!(
                    "{sum} mail items deleted from {mailbox} between {} and {} ({}){}",
                    format_utc(start),
                    format_utc(end),
                    ops.iter()
                        .map(|(o, n)| format!("{o} {n}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if habitual.len() >= 2 {
                        format!(
                            "; comparable deletions on {} earlier days: a habitual clean-up",
                            habitual.len()
                        )
                    } else if baseline {
                        format!("; the busiest earlier hour deleted {prior_max}")
                    } else {
                        String::new()
                    }
                ),
            );
            f.user = Some(mailbox.to_string());
            let cap = options.max_listed;
            f.fields.insert("items".into(), Value::from(sum as u64));
            f.fields
                .insert("records".into(), Value::from(group.len() as u64));
            f.fields.insert(
                "operations".into(),
                Value::Object(ops.into_iter().map(|(k, v)| (k, Value::from(v))).collect()),
            );
            f.fields
                .insert("folders".into(), strings(folders.iter().copied(), cap));
            f.fields
                .insert("subjects".into(), strings(subjects.iter().copied(), cap));
            f.fields
                .insert("message_ids".into(), strings(ids.iter().copied(), cap));
            f.fields
                .insert("window_start".into(), Value::String(format_utc(start)));
            f.fields
                .insert("window_end".into(), Value::String(format_utc(end)));
            f.fields.insert("baseline".into(), Value::Bool(baseline));
            f.fields.insert(
                "prior_max_items_per_window".into(),
                Value::from(prior_max as u64),
            );
            f.fields
                .insert("from_attacker_indicator".into(), Value::Bool(hostile));
            for d in group {
                f.indicators
                    .merge(&crate::finding::Indicators::of(&ctx.events[d.event]));
            }
            ctx.attach(&mut f, group.iter().map(|d| d.event));
            out.push(f);
            i = ends[i];
        }
    }
}

const THROTTLED_LIMITATION: &str = "IsThrottled was True: for up to 24 hours after it the service stopped logging MailItemsAccessed for this mailbox, so every item in the mailbox must be treated as accessed in that period";
const SYNC_LIMITATION: &str = "a Sync record lists no items: the client downloaded the whole folder, so every item in it must be treated as accessed";

/// `mailbox.items-accessed`: MailItemsAccessed from attacker indicators (EXF-02), else volume
/// far above the account's own baseline or throttling (EXF-01).
fn items_accessed(ctx: &Ctx, out: &mut Vec<Finding>) {
    let options = ctx.options;
    let mut by_mailbox: BTreeMap<&str, Vec<Access>> = BTreeMap::new();
    for (i, e) in ctx.events.iter().enumerate() {
        if e.source != SourceKind::Ual
            || !e.operation.eq_ignore_ascii_case("MailItemsAccessed")
            || e.outcome.success == Some(false)
        {
            continue;
        }
        let (Some(user), Some(a)) = (e.user.as_deref(), access(i, e)) else {
            continue;
        };
        by_mailbox.entry(user).or_default().push(a);
    }
    for (mailbox, mut list) in by_mailbox {
        list.sort_by_key(|a| (a.time, ctx.events[a.event].prov));
        let attacker = ctx.attacker(mailbox);
        let (hostile, rest): (Vec<Access>, Vec<Access>) = list
            .into_iter()
            .partition(|a| attacker.matches(&ctx.events[a.event]));

        // Episodes from attacker indicators.
        let mut episodes: Vec<Vec<&Access>> = Vec::new();
        for a in &hostile {
            match episodes.last_mut() {
                Some(ep) if a.time - ep[ep.len() - 1].time <= options.access_gap => ep.push(a),
                _ => episodes.push(vec![a]),
            }
        }
        for ep in episodes {
            let sync = ep.iter().any(|a| a.sync);
            let throttled = ep.iter().any(|a| a.throttled);
            let severity = if sync || throttled {
                Severity::High
            } else {
                Severity::Medium
            };
            let ips: BTreeSet<IpAddr> = ep.iter().filter_map(|a| ctx.events[a.event].ip).collect();
            let mut f = access_finding(ctx, mailbox, &ep, severity, true);
            f.fields.insert(
                "attacker_basis".into(),
                strings(attacker.basis(&ips), options.max_listed),
            );
            out.push(f);
        }

        // Volume and throttling of the rest, against the account's own history.
        let items: Vec<usize> = rest.iter().map(|a| a.items).collect();
        let throttles: Vec<usize> = rest.iter().map(|a| usize::from(a.throttled)).collect();
        let w = Windows::new(
            rest.iter().map(|a| a.time).collect(),
            &items,
            options.window,
        );
        let t = Windows::new(w.times.clone(), &throttles, options.window);
        let (ends, sums) = (&w.ends, &w.sums);
        let mut i = 0;
        while i < rest.len() {
            let throttled = t.sums[i] > 0;
            let sum = sums[i];
            if !throttled && sum < options.items_accessed_floor {
                i += 1;
                continue;
            }
            let group: Vec<&Access> = rest[i..ends[i]].iter().collect();
            let earlier = w.earlier(i);
            let baseline = w.prefix_days[earlier] >= options.min_baseline_days;
            let prior_max = w.prefix_max[earlier];
            let severity = if throttled {
                Some(Severity::High)
            } else if !baseline {
                Some(Severity::Low)
            } else if sum as f64 >= options.baseline_factor * prior_max as f64 {
                Some(Severity::Medium)
            } else {
                None
            };
            if let Some(severity) = severity {
                let mut f = access_finding(ctx, mailbox, &group, severity, false);
                f.fields.insert("baseline".into(), Value::Bool(baseline));
                f.fields.insert(
                    "prior_max_items_per_window".into(),
                    Value::from(prior_max as u64),
                );
                out.push(f);
            }
            i = ends[i];
        }
    }
}

fn access_finding(
    ctx: &Ctx,
    mailbox: &str,
    group: &[&Access],
    severity: Severity,
    hostile: bool,
) -> Finding {
    let cap = ctx.options.max_listed;
    let first = &ctx.events[group[0].event];
    let start = group[0].time;
    let end = group[group.len() - 1].time;
    let bound: usize = group.iter().map(|a| a.items).sum();
    let binds = group.iter().filter(|a| !a.sync).count();
    let syncs = group.iter().filter(|a| a.sync).count();
    let throttled: Vec<&&Access> = group.iter().filter(|a| a.throttled).collect();
    let mut folders: BTreeSet<&str> = BTreeSet::new();
    let mut ids: BTreeSet<&str> = BTreeSet::new();
    let mut clients: BTreeSet<&str> = BTreeSet::new();
    let mut ips: BTreeSet<IpAddr> = BTreeSet::new();
    for a in group {
        let e = &ctx.events[a.event];
        folders.extend(e.attrs.get_all("Folders.Path"));
        ids.extend(e.attrs.get_all("Folders.FolderItems.InternetMessageId"));
        clients.extend(e.client.client_info.as_deref());
        ips.extend(e.ip);
    }
    let mut f = finding_for(
        first,
        ctx.inputs,
        ITEMS_ACCESSED,
        severity,
        format!(
            "{bound} mail items bound in {binds} record(s){} in {mailbox} between {} and {}{}{}",
            if syncs > 0 {
                format!(" and {syncs} folder Sync(s)")
            } else {
                String::new()
            },
            format_utc(start),
            format_utc(end),
            if hostile {
                format!(
                    " from attacker indicators ({})",
                    ips.iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            },
            if throttled.is_empty() {
                String::new()
            } else {
                "; logging was throttled, so more was read than is recorded".into()
            }
        ),
    );
    f.user = Some(mailbox.to_string());
    f.fields
        .insert("bound_items".into(), Value::from(bound as u64));
    f.fields
        .insert("bind_records".into(), Value::from(binds as u64));
    f.fields
        .insert("sync_records".into(), Value::from(syncs as u64));
    f.fields
        .insert("folders".into(), strings(folders.iter().copied(), cap));
    f.fields
        .insert("message_ids".into(), strings(ids.iter().copied(), cap));
    f.fields
        .insert("message_ids_listed".into(), Value::from(ids.len() as u64));
    f.fields.insert(
        "ips".into(),
        strings(ips.iter().map(|i| i.to_string()), cap),
    );
    f.fields
        .insert("clients".into(), strings(clients.iter().copied(), cap));
    f.fields
        .insert("window_start".into(), Value::String(format_utc(start)));
    f.fields
        .insert("window_end".into(), Value::String(format_utc(end)));
    f.fields
        .insert("is_throttled".into(), Value::Bool(!throttled.is_empty()));
    f.fields
        .insert("from_attacker_indicator".into(), Value::Bool(hostile));
    let mut limitations = Vec::new();
    if let Some(t) = throttled.first() {
        limitations.push(format!(
            "{THROTTLED_LIMITATION} (first at {})",
            format_utc(t.time)
        ));
    }
    if syncs > 0 {
        limitations.push(SYNC_LIMITATION.to_string());
    }
    if !limitations.is_empty() {
        f.fields
            .insert("limitation".into(), Value::String(limitations.join("; ")));
    }
    for a in group {
        f.indicators
            .merge(&crate::finding::Indicators::of(&ctx.events[a.event]));
    }
    ctx.attach(&mut f, group.iter().map(|a| a.event));
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Provenance;
    use crate::finding::Indicators;

    const MEGAN: &str = "megan.bowen@contoso.com";
    const ATTACKER: &str = "203.0.113.77";
    const OFFICE: &str = "198.51.100.10";

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn tenant() -> Tenant {
        Tenant {
            internal_domains: ["contoso.com".to_string()].into(),
        }
    }

    #[derive(Default)]
    struct Case {
        events: Vec<Event>,
    }

    impl Case {
        fn push(&mut self, source: SourceKind, op: &str, time: DateTime<Utc>) -> &mut Event {
            let n = self.events.len() as u64 + 1;
            let input = match source {
                SourceKind::Ual => 0,
                SourceKind::MessageTrace => 1,
                SourceKind::SentItems => 2,
                _ => 3,
            };
            let mut e = Event::new(
                source,
                op,
                Provenance {
                    input,
                    line: n,
                    record: n,
                },
            );
            e.time = Some(time);
            self.events.push(e);
            self.events.last_mut().unwrap()
        }

        /// One message-trace row per recipient.
        fn trace(
            &mut self,
            time: &str,
            sender: &str,
            recipients: &[&str],
            id: &str,
            subject: &str,
            from_ip: Option<&str>,
        ) {
            for r in recipients {
                let e = self.push(SourceKind::MessageTrace, "MessageTrace", t(time));
                e.user = Some(sender.into());
                e.actor = Some(sender.into());
                e.ip = from_ip.map(|ip| ip.parse().unwrap());
                if !id.is_empty() {
                    e.attrs.push("MessageId", normalize_message_id(id));
                }
                e.attrs.push("Subject", subject);
                e.attrs.push("Recipient", *r);
                e.attrs.push("Status", "Delivered");
                if let Some(ip) = from_ip {
                    e.attrs.push("FromIP", ip);
                }
            }
        }

        fn send(
            &mut self,
            time: &str,
            mailbox: &str,
            id: &str,
            subject: &str,
            recipients: &[&str],
            ip: &str,
        ) -> &mut Event {
            let e = self.push(SourceKind::Ual, "Send", t(time));
            e.user = Some(mailbox.into());
            e.actor = Some(mailbox.into());
            e.ip = Some(ip.parse().unwrap());
            e.outcome.success = Some(true);
            e.client.client_info = Some("Client=MSExchangeRPC".into());
            if !id.is_empty() {
                e.attrs.push("Item.InternetMessageId", id);
            }
            e.attrs.push("Item.Subject", subject);
            e.attrs.push("Item.ParentFolder.Path", "\\Sent Items");
            e.attrs.push("SaveToSentItems", "True");
            e.attrs.push("recipientCount", recipients.len().to_string());
            for r in recipients {
                e.attrs.push("recipientList.Address", *r);
            }
            e
        }

        fn listed(&mut self, time: &str, mailbox: &str, id: &str, subject: &str, to: &[&str]) {
            let e = self.push(SourceKind::SentItems, "SentItem", t(time));
            e.user = Some(mailbox.into());
            e.actor = Some(mailbox.into());
            if !id.is_empty() {
                // As a listing may write it: without angle brackets.
                e.attrs.push("MessageId", id);
            }
            e.attrs.push("Subject", subject);
            for r in to {
                e.attrs.push("Recipient", *r);
            }
        }

        fn delete(
            &mut self,
            time: &str,
            mailbox: &str,
            op: &str,
            folder: &str,
            items: &[(&str, &str)],
            ip: &str,
        ) {
            let e = self.push(SourceKind::Ual, op, t(time));
            e.user = Some(mailbox.into());
            e.actor = Some(mailbox.into());
            e.ip = Some(ip.parse().unwrap());
            e.outcome.success = Some(true);
            e.attrs.push("Folder.Path", folder);
            for (id, subject) in items {
                if !id.is_empty() {
                    e.attrs.push("AffectedItems.InternetMessageId", *id);
                }
                e.attrs.push("AffectedItems.ParentFolder.Path", folder);
                e.attrs.push("AffectedItems.Subject", *subject);
            }
        }

        fn accessed(
            &mut self,
            time: &str,
            mailbox: &str,
            ip: &str,
            kind: &str,
            count: usize,
            throttled: bool,
        ) {
            let e = self.push(SourceKind::Ual, "MailItemsAccessed", t(time));
            e.user = Some(mailbox.into());
            e.actor = Some(mailbox.into());
            e.ip = Some(ip.parse().unwrap());
            e.outcome.success = Some(true);
            e.attrs.push("OperationCount", count.to_string());
            e.attrs.push("OperationProperties.MailAccessType", kind);
            e.attrs.push(
                "OperationProperties.IsThrottled",
                if throttled { "True" } else { "False" },
            );
            e.attrs.push("Folders.Path", "\\Inbox");
            if kind == "Bind" {
                for n in 0..count {
                    e.attrs.push(
                        "Folders.FolderItems.InternetMessageId",
                        format!("<in{n}.{time}@mail.fabrikam.example>"),
                    );
                }
            }
        }

        fn signin(&mut self, time: &str, user: &str, ip: &str, client: &str) {
            let e = self.push(SourceKind::Signin, "InteractiveSignIn", t(time));
            e.user = Some(user.into());
            e.actor = Some(user.into());
            e.ip = Some(ip.parse().unwrap());
            e.outcome.success = Some(true);
            e.client.client_info = Some(client.into());
        }

        /// A message sent the normal way: Send record, trace rows, Sent Items copy.
        fn normal(&mut self, time: &str, mailbox: &str, n: usize, to: &[&str], listed: bool) {
            let id = format!("<NORMAL{n}A1B2@SA1PR10MB5633.namprd10.prod.outlook.com>");
            let subject = format!("Month-end close checklist {n}");
            self.send(time, mailbox, &id, &subject, to, OFFICE);
            let later = format_utc(t(time) + Duration::seconds(2));
            self.trace(&later, mailbox, to, &id, &subject, None);
            if listed {
                self.listed(time, mailbox, id.trim_matches(['<', '>']), &subject, to);
            }
        }

        /// Five weekdays of ordinary mail, listed in Sent Items, and a mailbox audit that runs
        /// on to 5 March (an Outlook Sync from the office).
        fn history(&mut self, mailbox: &str) {
            for d in 17..=21 {
                self.normal(
                    &format!("2025-02-{d}T15:00:00Z"),
                    mailbox,
                    d,
                    &["ap@fabrikam.example", "patti.fernandez@contoso.com"],
                    true,
                );
            }
            self.accessed("2025-03-05T08:00:00Z", mailbox, OFFICE, "Sync", 1, false);
        }

        fn run(&self, prior: &[Finding]) -> Vec<Finding> {
            analyze(&self.events, &[], &tenant(), prior)
        }
    }

    fn high(user: &str, rule: &str, ip: &str) -> Finding {
        Finding {
            id: String::new(),
            rule: rule.into(),
            title: String::new(),
            severity: Severity::High,
            user: Some(user.into()),
            actor: Some(user.into()),
            time: None,
            summary: String::new(),
            attack: Vec::new(),
            evidence: Vec::new(),
            fields: Default::default(),
            indicators: Indicators {
                ips: vec![ip.parse().unwrap()],
                ..Indicators::default()
            },
            prov: Provenance {
                input: 9,
                line: 0,
                record: 0,
            },
        }
    }

    fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
        findings.iter().filter(|f| f.rule == rule).collect()
    }

    fn field<'a>(f: &'a Finding, name: &str) -> &'a Value {
        f.fields
            .get(name)
            .unwrap_or_else(|| panic!("no field {name} in {:?}", f.fields))
    }

    #[test]
    fn mail_sent_normally_is_quiet() {
        let mut c = Case::default();
        c.history(MEGAN);
        c.normal(
            "2025-03-03T18:02:37Z",
            MEGAN,
            30,
            &["controller@tailspin.example"],
            true,
        );
        c.accessed("2025-03-03T17:00:00Z", MEGAN, OFFICE, "Sync", 1, false);
        let findings = c.run(&[]);
        assert!(findings.is_empty(), "{findings:#?}");
        let views = join(&c.events, &tenant(), &SentItemsOptions::default());
        assert_eq!(views.len(), 6);
        assert!(views.iter().all(|v| !v.trace.is_empty()
            && !v.audit.is_empty()
            && !v.listing.is_empty()
            && !v.heuristic));
        // One view per message, not per trace row.
        assert!(views.iter().all(|v| v.trace.len() == v.recipients.len()));
    }

    #[test]
    fn fraud_mail_over_smtp_auth_absent_from_sent_items_fires_missing() {
        let mut c = Case::default();
        c.history(MEGAN);
        c.signin(
            "2025-03-04T11:20:00Z",
            MEGAN,
            ATTACKER,
            "Authenticated SMTP",
        );
        let id = "<174108726700.9456.226149688677069300@WIN-7Q2K9LM3>";
        c.trace(
            "2025-03-04T11:21:07Z",
            MEGAN,
            &["finance@northwind.example"],
            id,
            "Urgent: wire transfer - new bank details",
            Some(ATTACKER),
        );
        let findings = c.run(&[]);
        let missing = of(&findings, MISSING);
        assert_eq!(missing.len(), 1, "{findings:#?}");
        let f = missing[0];
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.user.as_deref(), Some(MEGAN));
        assert_eq!(field(f, "message_id"), id);
        assert_eq!(field(f, "in_trace"), &Value::Bool(true));
        assert_eq!(field(f, "in_send_audit"), &Value::Bool(false));
        assert_eq!(field(f, "in_sent_items"), &Value::Bool(false));
        assert_eq!(field(f, "smtp_submitted"), &Value::Bool(true));
        assert_eq!(field(f, "from_ip"), ATTACKER);
        assert!(
            field(f, "legacy_signin")
                .as_str()
                .unwrap()
                .starts_with("Authenticated SMTP sign-in from 203.0.113.77")
        );
        assert!(f.summary.contains("submitted over SMTP from 203.0.113.77"));
        assert_eq!(f.indicators.ips, vec![ATTACKER.parse::<IpAddr>().unwrap()]);
        // The subject is fraud too.
        let scam = of(&findings, SCAM_SUBJECT);
        assert_eq!(scam.len(), 1);
        assert_eq!(scam[0].severity, Severity::Medium);
        assert_eq!(field(scam[0], "pattern"), "bank details");
        assert_eq!(findings.len(), 2, "{findings:#?}");
    }

    #[test]
    fn internal_only_missing_mail_is_medium_and_attacker_ip_raises_it() {
        let mut c = Case::default();
        c.history(MEGAN);
        let mut e = Event::new(
            SourceKind::MessageTrace,
            "MessageTrace",
            Provenance {
                input: 1,
                line: 900,
                record: 900,
            },
        );
        e.time = Some(t("2025-03-04T12:00:00Z"));
        e.user = Some(MEGAN.into());
        e.attrs.push(
            "MessageId",
            "<INT1@SA1PR10MB5633.namprd10.prod.outlook.com>",
        );
        e.attrs.push("Subject", "Lunch?");
        e.attrs.push("Recipient", "patti.fernandez@contoso.com");
        e.attrs.push("Direction", "Originating");
        c.events.push(e);
        let findings = c.run(&[]);
        let missing = of(&findings, MISSING);
        assert_eq!(missing.len(), 1, "{findings:#?}");
        assert_eq!(missing[0].severity, Severity::High);
        assert_eq!(
            field(missing[0], "external_recipients"),
            &Value::from(Vec::<String>::new())
        );
        // Without Direction, internal mail is not outbound and is not judged.
        let last = c.events.last_mut().unwrap();
        last.attrs = Attrs::default();
        last.attrs.push("MessageId", "<INT1@x.prod.outlook.com>");
        last.attrs.push("Recipient", "patti.fernandez@contoso.com");
        assert!(of(&c.run(&[]), MISSING).is_empty());
    }

    use crate::event::Attrs;

    #[test]
    fn mail_sent_then_hard_deleted_from_sent_items_fires_deleted() {
        let mut c = Case::default();
        c.history(MEGAN);
        let id = "<SA1PR10MB56332557BA52CB0AE38C42524ACE@SA1PR10MB5633.namprd10.prod.outlook.com>";
        let subject = "RE: Updated remittance details";
        c.send(
            "2025-03-04T11:03:45Z",
            MEGAN,
            id,
            subject,
            &["ap@fabrikam.example"],
            ATTACKER,
        );
        c.trace(
            "2025-03-04T11:03:46Z",
            MEGAN,
            &["ap@fabrikam.example"],
            id,
            subject,
            None,
        );
        c.delete(
            "2025-03-04T11:06:02Z",
            MEGAN,
            "HardDelete",
            "\\Sent Items",
            &[(id, subject)],
            ATTACKER,
        );
        let prior = [high(MEGAN, "signin.impossible-travel", ATTACKER)];
        let findings = c.run(&prior);
        let deleted = of(&findings, DELETED);
        assert_eq!(deleted.len(), 1, "{findings:#?}");
        let f = deleted[0];
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.time, Some(t("2025-03-04T11:06:02Z")));
        assert_eq!(field(f, "message_id"), id);
        assert_eq!(field(f, "gap_minutes"), &Value::from(2));
        assert_eq!(field(f, "gap_seconds"), &Value::from(137));
        assert_eq!(field(f, "deleted_at"), "2025-03-04T11:06:02Z");
        assert_eq!(field(f, "deleted_from"), "\\Sent Items");
        assert_eq!(field(f, "in_trace"), &Value::Bool(true));
        assert_eq!(field(f, "in_send_audit"), &Value::Bool(true));
        assert_eq!(field(f, "in_sent_items"), &Value::Bool(false));
        assert_eq!(
            field(f, "deleted_by_attacker_indicator"),
            &Value::Bool(true)
        );
        // Evidence: the deletion, the Send record, the trace row.
        assert_eq!(f.evidence.len(), 3);
        // The deletion explains the absence from Sent Items: not also "missing".
        assert!(of(&findings, MISSING).is_empty(), "{findings:#?}");
        assert_eq!(of(&findings, SCAM_SUBJECT).len(), 1);
        // Deleted a day and a half later, the same message is no longer "soon after".
        let mut late = Case::default();
        late.history(MEGAN);
        late.send(
            "2025-03-04T11:03:45Z",
            MEGAN,
            id,
            "Q1 budget",
            &["ap@fabrikam.example"],
            OFFICE,
        );
        late.delete(
            "2025-03-05T23:00:00Z",
            MEGAN,
            "MoveToDeletedItems",
            "\\Sent Items",
            &[(id, "Q1 budget")],
            OFFICE,
        );
        let findings = late.run(&[]);
        assert!(
            of(&findings, DELETED).is_empty() && of(&findings, MISSING).is_empty(),
            "{findings:#?}"
        );
    }

    #[test]
    fn a_recipient_deleting_their_copy_is_not_a_deleted_sent_item() {
        let mut c = Case::default();
        c.history(MEGAN);
        let id = "<X1@SA1PR10MB5633.namprd10.prod.outlook.com>";
        c.send(
            "2025-03-04T10:00:00Z",
            MEGAN,
            id,
            "Minutes",
            &["patti.fernandez@contoso.com"],
            OFFICE,
        );
        c.listed(
            "2025-03-04T10:00:00Z",
            MEGAN,
            id,
            "Minutes",
            &["patti.fernandez@contoso.com"],
        );
        c.delete(
            "2025-03-04T10:05:00Z",
            "patti.fernandez@contoso.com",
            "MoveToDeletedItems",
            "\\Inbox",
            &[(id, "Minutes")],
            OFFICE,
        );
        assert!(c.run(&[]).is_empty());
    }

    #[test]
    fn newsletter_bursts_of_a_marketing_account_stay_quiet() {
        const DIEGO: &str = "diego.siciliani@contoso.com";
        let recipients: Vec<String> = (0..150)
            .map(|n| {
                format!(
                    "reader{n}@{}.example",
                    ["litware", "tailspin", "wingtip"][n % 3]
                )
            })
            .collect();
        let to: Vec<&str> = recipients.iter().map(String::as_str).collect();
        let mut c = Case::default();
        for (n, day) in ["02-04", "02-11", "02-18", "02-25", "03-04"]
            .iter()
            .enumerate()
        {
            let id = format!("<WEEKLY{n}@DM6PR10MB3981.namprd10.prod.outlook.com>");
            let subject = format!("Contoso Weekly #{}: Spring sale preview", n + 6);
            c.send(
                &format!("2025-{day}T18:00:31Z"),
                DIEGO,
                &id,
                &subject,
                &to,
                OFFICE,
            );
            if n >= 3 {
                c.trace(
                    &format!("2025-{day}T18:00:34Z"),
                    DIEGO,
                    &to,
                    &id,
                    &subject,
                    None,
                );
            }
        }
        let findings = c.run(&[]);
        assert!(
            findings.iter().all(|f| f.severity <= Severity::Low),
            "{findings:#?}"
        );
        // Only the first newsletter, with nothing earlier to compare with, is noted (low).
        let bursts = of(&findings, BURST);
        assert_eq!(bursts.len(), 1, "{findings:#?}");
        assert_eq!(bursts[0].time, Some(t("2025-02-04T18:00:31Z")));
        assert_eq!(field(bursts[0], "baseline"), &Value::Bool(false));
        assert_eq!(
            field(bursts[0], "external_recipient_count"),
            &Value::from(150)
        );
    }

    #[test]
    fn a_burst_far_above_the_account_baseline_fires_medium() {
        let mut c = Case::default();
        c.history(MEGAN);
        for n in 0..60 {
            let id = format!("<SPRAY{n}@SA1PR10MB5633.namprd10.prod.outlook.com>");
            let to = format!("contact{n}@customer{n}.example");
            let time = format_utc(t("2025-03-04T11:40:00Z") + Duration::seconds(20 * n));
            c.send(
                &time,
                MEGAN,
                &id,
                "Please review the attached document",
                &[&to],
                ATTACKER,
            );
            c.trace(
                &time,
                MEGAN,
                &[&to],
                &id,
                "Please review the attached document",
                None,
            );
            c.listed(
                &time,
                MEGAN,
                &id,
                "Please review the attached document",
                &[&to],
            );
        }
        let findings = c.run(&[]);
        let bursts = of(&findings, BURST);
        assert_eq!(bursts.len(), 1, "{findings:#?}");
        assert_eq!(bursts[0].severity, Severity::Medium);
        assert_eq!(field(bursts[0], "messages"), &Value::from(60));
        assert_eq!(
            field(bursts[0], "external_recipient_count"),
            &Value::from(60)
        );
        assert_eq!(field(bursts[0], "baseline_days"), &Value::from(5));
    }

    #[test]
    fn bracketed_and_bare_message_ids_match() {
        let mut c = Case::default();
        c.history(MEGAN);
        c.send(
            "2025-03-03T09:00:00Z",
            MEGAN,
            "<BY5PR10MB42120D45F49FDAE093411550CDE8@BY5PR10MB4212.namprd10.prod.outlook.com>",
            "Re: March forecast",
            &["ap@fabrikam.example"],
            OFFICE,
        );
        // The trace in upper case, the listing without brackets.
        c.trace(
            "2025-03-03T09:00:01Z",
            MEGAN,
            &["ap@fabrikam.example"],
            "<BY5PR10MB42120D45F49FDAE093411550CDE8@BY5PR10MB4212.NAMPRD10.PROD.OUTLOOK.COM>",
            "Re: March forecast",
            None,
        );
        c.listed(
            "2025-03-03T09:00:00Z",
            MEGAN,
            " BY5PR10MB42120D45F49FDAE093411550CDE8@BY5PR10MB4212.namprd10.prod.outlook.com ",
            "Re: March forecast",
            &["ap@fabrikam.example"],
        );
        assert!(c.run(&[]).is_empty());
        let views = join(&c.events, &tenant(), &SentItemsOptions::default());
        let v = views
            .iter()
            .find(|v| v.subject.as_deref() == Some("Re: March forecast"))
            .unwrap();
        assert!(!v.trace.is_empty() && !v.audit.is_empty() && !v.listing.is_empty());
        assert!(!v.heuristic);
        assert_eq!(views.len(), 6);
    }

    #[test]
    fn messages_without_ids_join_on_subject_and_time() {
        let mut c = Case::default();
        c.history(MEGAN);
        c.send(
            "2025-03-03T09:00:00Z",
            MEGAN,
            "",
            "Quote 2291",
            &["buyer@litware.example"],
            OFFICE,
        );
        c.trace(
            "2025-03-03T09:01:30Z",
            MEGAN,
            &["buyer@litware.example"],
            "",
            "Quote 2291",
            None,
        );
        c.listed(
            "2025-03-03T09:00:00Z",
            MEGAN,
            "",
            "Quote 2291",
            &["buyer@litware.example"],
        );
        assert!(c.run(&[]).is_empty(), "{:#?}", c.run(&[]));
        let views = join(&c.events, &tenant(), &SentItemsOptions::default());
        let v = views
            .iter()
            .find(|v| v.subject.as_deref() == Some("Quote 2291"))
            .unwrap();
        assert!(v.heuristic && !v.trace.is_empty() && !v.audit.is_empty() && !v.listing.is_empty());
        // Ten minutes apart is too far for a heuristic join.
        let mut c = Case::default();
        c.history(MEGAN);
        c.send(
            "2025-03-03T09:00:00Z",
            MEGAN,
            "",
            "Quote 2291",
            &["buyer@litware.example"],
            OFFICE,
        );
        c.trace(
            "2025-03-03T09:10:00Z",
            MEGAN,
            &["buyer@litware.example"],
            "",
            "Quote 2291",
            None,
        );
        let findings = c.run(&[]);
        let missing = of(&findings, MISSING);
        assert_eq!(missing.len(), 1);
        assert!(
            field(missing[0], "message_id")
                .as_str()
                .unwrap()
                .starts_with("(no message id)")
        );
    }

    #[test]
    fn what_could_not_be_checked_is_said_and_not_judged() {
        // No listing and no mailbox audit for the account: nothing to say.
        let mut c = Case::default();
        c.trace(
            "2025-03-04T11:21:07Z",
            "lee.gu@contoso.com",
            &["x@northwind.example"],
            "<A@WIN-1>",
            "Hello",
            Some(ATTACKER),
        );
        assert!(c.run(&[]).is_empty());
        // Audited mailbox, no listing: "no Send record" is judged, Sent Items is not.
        let mut c = Case::default();
        for d in 17..=21 {
            c.normal(
                &format!("2025-02-{d}T15:00:00Z"),
                MEGAN,
                d,
                &["ap@fabrikam.example"],
                false,
            );
        }
        c.trace(
            "2025-02-20T16:00:00Z",
            MEGAN,
            &["x@northwind.example"],
            "<B@SA1PR10MB5633.namprd10.prod.outlook.com>",
            "Hello",
            None,
        );
        let findings = c.run(&[]);
        let missing = of(&findings, MISSING);
        assert_eq!(missing.len(), 1, "{findings:#?}");
        assert_eq!(missing[0].severity, Severity::High);
        assert_eq!(field(missing[0], "in_send_audit"), &Value::Bool(false));
        assert_eq!(field(missing[0], "in_sent_items"), COULD_NOT_CHECK);
        assert!(
            field(missing[0], "in_sent_items_note")
                .as_str()
                .unwrap()
                .contains("no Sent Items listing")
        );
        // Outside the audit export's period the Send audit is not judged either.
        let mut c2 = Case {
            events: c.events.clone(),
        };
        c2.trace(
            "2025-01-02T16:00:00Z",
            MEGAN,
            &["x@northwind.example"],
            "<C@SA1PR10MB5633.namprd10.prod.outlook.com>",
            "Hello",
            None,
        );
        assert_eq!(of(&c2.run(&[]), MISSING).len(), 1);
        // A listing that starts after the message cannot say it is absent.
        let mut c3 = Case::default();
        c3.history(MEGAN);
        c3.trace(
            "2025-02-01T16:00:00Z",
            MEGAN,
            &["x@northwind.example"],
            "<D@SA1PR10MB5633.namprd10.prod.outlook.com>",
            "Hello",
            None,
        );
        assert!(of(&c3.run(&[]), MISSING).is_empty());
    }

    #[test]
    fn save_to_sent_items_false_is_not_absence() {
        let mut c = Case::default();
        c.history(MEGAN);
        let id = "<APP1@SA1PR10MB5633.namprd10.prod.outlook.com>";
        c.send(
            "2025-03-03T09:00:00Z",
            MEGAN,
            id,
            "Report",
            &["x@northwind.example"],
            OFFICE,
        )
        .attrs
        .map_values(|k, _| (k == "SaveToSentItems").then(|| "False".to_string()));
        c.trace(
            "2025-03-03T09:00:01Z",
            MEGAN,
            &["x@northwind.example"],
            id,
            "Report",
            None,
        );
        assert!(c.run(&[]).is_empty(), "{:#?}", c.run(&[]));
    }

    #[test]
    fn inbox_rule_forwards_are_missing_and_called_out() {
        let mut c = Case::default();
        c.history(MEGAN);
        c.trace(
            "2025-03-04T10:48:20Z",
            "billing@fabrikam.example",
            &[MEGAN],
            "<20250304104820.D5AFE7@mail.fabrikam.example>",
            "Invoice INV-20931 - payment due",
            Some("192.0.2.64"),
        );
        c.trace(
            "2025-03-04T10:48:22Z",
            MEGAN,
            &["payments.collector@protonmail.example"],
            "<DM6PR10MB3981735AD0A7E0FDC3EF1CF7C40B@DM6PR10MB3981.namprd10.prod.outlook.com>",
            "FW: Invoice INV-20931 - payment due",
            None,
        );
        let findings = c.run(&[]);
        let missing = of(&findings, MISSING);
        assert_eq!(missing.len(), 1, "{findings:#?}");
        assert_eq!(missing[0].severity, Severity::Critical);
        assert!(
            field(missing[0], "submission")
                .as_str()
                .unwrap()
                .starts_with("likely an inbox-rule forward")
        );
        assert_eq!(field(missing[0], "smtp_submitted"), &Value::Bool(false));
        // Inbound mail is never "sent" by the external sender.
        assert_eq!(findings.len(), 1, "{findings:#?}");
    }

    #[test]
    fn a_routine_smtp_relay_is_summarised_low() {
        let mut c = Case::default();
        c.history(MEGAN);
        for d in 17..=21 {
            c.trace(
                &format!("2025-02-{d}T16:00:00Z"),
                MEGAN,
                &["orders@customer.example"],
                &format!("<scan{d}@printer.contoso.local>"),
                "Scanned document",
                Some("192.0.2.200"),
            );
        }
        let findings = c.run(&[]);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].severity, Severity::Low);
        assert_eq!(field(&findings[0], "routine_submitter"), &Value::Bool(true));
        assert_eq!(field(&findings[0], "messages"), &Value::from(5));
        // The same pattern from an attacker address is judged message by message.
        let prior = [high(MEGAN, "signin.impossible-travel", "192.0.2.200")];
        let findings = c.run(&prior);
        assert_eq!(of(&findings, MISSING).len(), 5);
        assert!(findings.iter().all(|f| f.severity == Severity::Critical));
    }

    #[test]
    fn mass_deletion_fires_medium_and_a_habitual_cleaner_low() {
        let mut c = Case::default();
        c.history(MEGAN);
        let items: Vec<(String, String)> = (0..20)
            .map(|n| {
                (
                    format!("<old{n}@mail.fabrikam.example>"),
                    format!("Newsletter {n}"),
                )
            })
            .collect();
        let items: Vec<(&str, &str)> = items
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        for minute in ["10", "25", "40"] {
            c.delete(
                &format!("2025-03-04T11:{minute}:00Z"),
                MEGAN,
                "SoftDelete",
                "\\Inbox",
                &items,
                ATTACKER,
            );
        }
        let findings = c.run(&[]);
        let mass = of(&findings, MASS_DELETE);
        assert_eq!(mass.len(), 1, "{findings:#?}");
        assert_eq!(mass[0].severity, Severity::Medium);
        assert_eq!(field(mass[0], "items"), &Value::from(60));
        assert_eq!(field(mass[0], "records"), &Value::from(3));
        // Ten items is nothing.
        let mut small = Case::default();
        small.delete(
            "2025-03-04T11:10:00Z",
            MEGAN,
            "SoftDelete",
            "\\Inbox",
            &items[..10],
            OFFICE,
        );
        assert!(small.run(&[]).is_empty());
        // An account that deletes this much every few days is a habitual cleaner.
        for d in ["2025-02-10", "2025-02-17", "2025-02-24"] {
            for minute in ["10", "25", "40"] {
                c.delete(
                    &format!("{d}T11:{minute}:00Z"),
                    MEGAN,
                    "SoftDelete",
                    "\\Inbox",
                    &items,
                    OFFICE,
                );
            }
        }
        let findings = c.run(&[]);
        let last = of(&findings, MASS_DELETE)
            .into_iter()
            .find(|f| f.time == Some(t("2025-03-04T11:10:00Z")))
            .unwrap();
        assert_eq!(last.severity, Severity::Low);
    }

    #[test]
    fn mail_items_accessed_from_attacker_indicators() {
        let mut c = Case::default();
        for d in 10..=14 {
            c.accessed(
                &format!("2025-02-{d}T09:00:00Z"),
                MEGAN,
                OFFICE,
                "Sync",
                1,
                false,
            );
        }
        c.accessed("2025-03-04T10:40:12Z", MEGAN, ATTACKER, "Bind", 45, false);
        c.accessed("2025-03-04T10:43:55Z", MEGAN, ATTACKER, "Bind", 40, false);
        c.accessed(
            "2025-03-04T10:49:02Z",
            MEGAN,
            "198.51.100.23",
            "Bind",
            50,
            false,
        );
        let prior = [
            high(MEGAN, "signin.impossible-travel", ATTACKER),
            high(MEGAN, "signin.unseen-ip-mailbox-access", "198.51.100.23"),
            // Another account's indicators say nothing about this one.
            high("patti.fernandez@contoso.com", "signin.new-country", OFFICE),
        ];
        let findings = c.run(&prior);
        let accessed = of(&findings, ITEMS_ACCESSED);
        assert_eq!(accessed.len(), 1, "{findings:#?}");
        let f = accessed[0];
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(field(f, "bound_items"), &Value::from(135));
        assert_eq!(field(f, "is_throttled"), &Value::Bool(false));
        assert_eq!(field(f, "from_attacker_indicator"), &Value::Bool(true));
        assert_eq!(f.indicators.ips.len(), 2);
        assert_eq!(field(f, "attacker_basis").as_array().unwrap().len(), 2);
        // A Sync from the attacker means the whole folder: high.
        c.accessed("2025-03-04T10:59:00Z", MEGAN, ATTACKER, "Sync", 1, false);
        let findings = c.run(&prior);
        let f = of(&findings, ITEMS_ACCESSED)[0];
        assert_eq!(f.severity, Severity::High);
        assert!(field(f, "limitation").as_str().unwrap().contains("Sync"));
        // Throttling: high, and said to be a limitation.
        c.accessed("2025-03-04T11:05:00Z", MEGAN, ATTACKER, "Bind", 10, true);
        let findings = c.run(&prior);
        let f = of(&findings, ITEMS_ACCESSED)[0];
        assert_eq!(f.severity, Severity::High);
        assert_eq!(field(f, "is_throttled"), &Value::Bool(true));
        assert!(
            field(f, "limitation")
                .as_str()
                .unwrap()
                .contains("IsThrottled")
        );
        // Without attacker indicators the same records are judged by volume alone.
        let findings = c.run(&[]);
        let accessed = of(&findings, ITEMS_ACCESSED);
        assert_eq!(accessed.len(), 1, "{findings:#?}");
        assert_eq!(accessed[0].severity, Severity::High); // throttled
        assert_eq!(
            field(accessed[0], "from_attacker_indicator"),
            &Value::Bool(false)
        );
    }

    #[test]
    fn mail_items_accessed_volume_against_the_baseline() {
        let mut c = Case::default();
        for d in 10..=14 {
            c.accessed(
                &format!("2025-02-{d}T09:00:00Z"),
                MEGAN,
                OFFICE,
                "Bind",
                10,
                false,
            );
        }
        c.accessed("2025-03-04T10:40:00Z", MEGAN, OFFICE, "Bind", 80, false);
        c.accessed("2025-03-04T10:50:00Z", MEGAN, OFFICE, "Bind", 80, false);
        let findings = c.run(&[]);
        let f = of(&findings, ITEMS_ACCESSED);
        assert_eq!(f.len(), 1, "{findings:#?}");
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(field(f[0], "prior_max_items_per_window"), &Value::from(10));
        // A heavy reader whose every day looks like this stays quiet.
        let mut heavy = Case::default();
        for d in 10..=14 {
            heavy.accessed(
                &format!("2025-02-{d}T09:00:00Z"),
                MEGAN,
                OFFICE,
                "Bind",
                150,
                false,
            );
        }
        heavy.accessed("2025-03-04T10:40:00Z", MEGAN, OFFICE, "Bind", 160, false);
        assert!(
            of(&heavy.run(&[]), ITEMS_ACCESSED)
                .iter()
                .all(|f| f.severity <= Severity::Low)
        );
    }

    #[test]
    fn fraud_subjects_received_and_deleted_by_the_attacker() {
        let mut c = Case::default();
        c.history(MEGAN);
        let id = "<20250303181240.F15990@mail.fabrikam.example>";
        c.trace(
            "2025-03-04T10:00:00Z",
            "ap@fabrikam.example",
            &[MEGAN],
            id,
            "Re: change of bank details?",
            Some("192.0.2.62"),
        );
        c.delete(
            "2025-03-04T10:30:00Z",
            MEGAN,
            "MoveToDeletedItems",
            "\\Inbox",
            &[(id, "Re: change of bank details?")],
            OFFICE,
        );
        let findings = c.run(&[]);
        let scam = of(&findings, SCAM_SUBJECT);
        assert_eq!(scam.len(), 1, "{findings:#?}");
        assert_eq!(field(scam[0], "kind"), "deleted");
        assert_eq!(field(scam[0], "received_at"), "2025-03-04T10:00:00Z");
        // Deleted a week after arrival by the user's own client: ordinary housekeeping.
        let mut c = Case::default();
        c.trace(
            "2025-02-20T10:00:00Z",
            "ap@fabrikam.example",
            &[MEGAN],
            id,
            "Gift card offer",
            None,
        );
        c.delete(
            "2025-02-27T10:30:00Z",
            MEGAN,
            "MoveToDeletedItems",
            "\\Inbox",
            &[(id, "Gift card offer")],
            OFFICE,
        );
        assert!(c.run(&[]).is_empty());
    }

    #[test]
    fn scam_subject_patterns() {
        for s in [
            "Urgent: wire transfer - new bank details",
            "RE: Updated remittance details",
            "Gift Cards needed today",
            "Help - stuck in Manila, please send the money",
            "URGENT INVOICE 4471",
            "Invoice 4471 - urgent",
            "Neue Bankverbindung ab sofort",
            "Changement de RIB fournisseur",
            "Transferencia urgente",
            "Nieuwe bankgegevens",
        ] {
            assert!(scam_match(s).is_some(), "{s}");
        }
        for s in [
            "Contoso Weekly #10: Spring sale preview",
            "Remittance advice 0225",
            "Q1 budget review",
            "Month-end close checklist",
            "Re: Audit PBC list",
            "Statement reconciliation February",
            "Invoice INV-20931",
            "",
        ] {
            assert!(scam_match(s).is_none(), "{s}");
        }
        let p = parse_scam_patterns("# c\n\nA  B\nx*y\n");
        assert_eq!(p.plain, vec!["a b"]);
        assert_eq!(p.wild.len(), 1);
    }

    #[test]
    fn ids_subjects_and_items() {
        assert_eq!(
            id_key(" abc@X.Example ").unwrap(),
            ("<abc@x.example>".to_string(), "<abc@X.Example>".to_string())
        );
        assert!(id_key("<>").is_none());
        assert_eq!(
            base_subject("RE: FW:  Invoice 1"),
            ("invoice 1".into(), true)
        );
        assert_eq!(base_subject("AW: Angebot"), ("angebot".into(), false));
        assert!(exchange_online_id(
            "<a@SA1PR10MB5633.namprd10.prod.outlook.com>"
                .to_lowercase()
                .as_str()
        ));
        assert!(!exchange_online_id("<a@win-7q2k9lm3>"));
        let mut c = Case::default();
        c.delete(
            "2025-03-04T10:00:00Z",
            MEGAN,
            "HardDelete",
            "\\Sent Items",
            &[("<a@x>", "one"), ("", "two"), ("<c@x>", "three")],
            OFFICE,
        );
        // One item lacks its id: subjects and folders pair by position, the ids cannot.
        let (items, count) = deleted_items(&c.events[0]);
        assert_eq!(count, 3);
        assert_eq!(items.len(), 5);
        assert_eq!(items[1].subject.as_deref(), Some("two"));
        assert_eq!(items[1].folder.as_deref(), Some("\\Sent Items"));
        assert!(items[..3].iter().all(|i| i.key.is_none()));
        assert_eq!(items[4].id.as_deref(), Some("<c@x>"));
        // Every item complete, in name order as the UAL reader leaves them: pairs kept.
        let mut c = Case::default();
        c.delete(
            "2025-03-04T10:00:00Z",
            MEGAN,
            "HardDelete",
            "\\Sent Items",
            &[("<a@x>", "one"), ("<b@x>", "two")],
            OFFICE,
        );
        c.events[0].attrs.sort_by_key();
        let (items, count) = deleted_items(&c.events[0]);
        assert_eq!((items.len(), count), (2, 2));
        assert_eq!(items[1].id.as_deref(), Some("<b@x>"));
        assert_eq!(items[1].subject.as_deref(), Some("two"));
    }
}
