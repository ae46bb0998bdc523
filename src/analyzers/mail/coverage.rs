//! What each view could have held. A view is said to lack a message only when it could have
//! held it: a Sent Items listing of that mailbox whose range covers the send time (a listing is
//! a snapshot taken at collection, so it is taken to run from its earliest item to the end of
//! the evidence), or an audit export that holds `Send` records at all and mailbox-audit records
//! of that mailbox, over a period that covers the send time. Otherwise the finding says "could
//! not be checked".

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::join::MessageView;
use super::{COULD_NOT_CHECK, Ctx, MAILBOX_AUDIT_OPS, SEND_OPS, is_op, strings};
use crate::event::{Event, SourceKind};
use crate::finding::Finding;
use crate::ingest::time::format_utc;

/// A period, first and last instant.
type Span = (DateTime<Utc>, DateTime<Utc>);
/// A listing's first and last item, and the end assumed for its snapshot.
type ListingSpan = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>);

/// Which periods each view covers.
pub(super) struct Coverage {
    /// Per mailbox: first and last listed item, and the end assumed for the snapshot.
    pub(super) listing: BTreeMap<String, ListingSpan>,
    /// Per mailbox: periods of audit exports that hold Send records and its mailbox audit.
    audit: BTreeMap<String, Vec<Span>>,
    /// Periods of the message-trace inputs.
    pub(super) trace: Vec<Span>,
}

fn widen(range: &mut Option<Span>, t: DateTime<Utc>) -> Span {
    let r = range.get_or_insert((t, t));
    r.0 = r.0.min(t);
    r.1 = r.1.max(t);
    *r
}

impl Coverage {
    pub(super) fn build(events: &[Event]) -> Coverage {
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

pub(super) struct ViewState {
    pub(super) in_trace: Seen,
    pub(super) in_audit: Seen,
    pub(super) audit_note: Option<String>,
    pub(super) in_sent: Seen,
    pub(super) sent_note: Option<String>,
}

impl Ctx<'_> {
    /// What each view says about a message, with the reason where it could not be checked.
    pub(super) fn views_of(&self, v: &MessageView) -> ViewState {
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

    pub(super) fn view_fields(&self, f: &mut Finding, v: &MessageView, state: &ViewState) {
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
}
