//! `sent_items.scam-subject`: fraud subjects (see `subjects`) in sent mail, and among deleted
//! items that are not sent mail when an attacker indicator deleted them or they were received
//! shortly before (DEL-03).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::deletions::{DelItem, Deletion};
use super::join::{Inbound, MessageView, recipients_text};
use super::subjects::{scam_match, subject_key};
use super::{Ctx, SCAM_SUBJECT, quote};
use crate::analyzers::finding_for;
use crate::finding::{Finding, Severity};
use crate::ingest::time::format_utc;

/// A sent message with a fraud subject.
pub(super) fn sent_finding(ctx: &Ctx, v: &MessageView, pattern: &str) -> Finding {
    let anchor = v
        .sent_record()
        .or(v.listing.first().copied())
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

/// A deleted item with a fraud subject, and why its deletion matters.
struct DeletedScam<'a> {
    deletion: &'a Deletion,
    item: &'a DelItem,
    subject: &'a str,
    pattern: &'static str,
    /// When the mailbox received it, if the trace shows it.
    received: Option<DateTime<Utc>>,
    /// Deleted by an attacker indicator.
    hostile: bool,
}

/// Scam subjects among deleted items that are not sent mail (sent mail is judged with the rest
/// of the message): when an attacker indicator deleted them, or they were received shortly
/// before (DEL-03). One finding per mailbox and message.
pub(super) fn deleted(ctx: &Ctx, views: &[MessageView], inbound: &Inbound, out: &mut Vec<Finding>) {
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
            out.push(deleted_finding(
                ctx,
                &DeletedScam {
                    deletion: d,
                    item,
                    subject,
                    pattern,
                    received,
                    hostile,
                },
            ));
        }
    }
}

fn deleted_finding(ctx: &Ctx, s: &DeletedScam) -> Finding {
    let (d, item, subject, pattern) = (s.deletion, s.item, s.subject, s.pattern);
    let e = &ctx.events[d.event];
    let mut f = finding_for(
        e,
        ctx.inputs,
        SCAM_SUBJECT,
        Severity::Medium,
        format!(
            "{} {} '{subject}' from {} in {} at {} (matches the fraud pattern '{pattern}'){}",
            e.operation,
            if s.hostile {
                "by an attacker indicator:"
            } else {
                "of a message received shortly before:"
            },
            d.folder_of(item).unwrap_or("an unknown folder"),
            d.mailbox,
            format_utc(d.time),
            s.received
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
    if let Some(t) = s.received {
        f.fields
            .insert("received_at".into(), Value::String(format_utc(t)));
    }
    f.fields.insert(
        "deleted_by_attacker_indicator".into(),
        Value::Bool(s.hostile),
    );
    f
}
