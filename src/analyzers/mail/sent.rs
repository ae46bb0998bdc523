//! `sent_items.missing`: mail the trace shows leaving a mailbox with no Send record, no copy in
//! Sent Items, or neither (EXF-09, EXF-10), and how it was submitted. Every sent message is
//! judged here once: deleted soon after sending (`deletions`), else missing; its subject against
//! the fraud patterns (`scam`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{Duration, NaiveDate};
use serde_json::Value;

use super::coverage::{Seen, ViewState};
use super::join::{Inbound, MessageView, recipients_text};
use super::subjects::{base_subject, scam_match};
use super::{Ctx, MISSING, MailOptions, date, deletions, quote, scam, strings};
use crate::analyzers::finding_for;
use crate::event::{Event, SourceKind};
use crate::finding::{Finding, Severity};
use crate::ingest::time::format_utc;

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

/// Successful legacy-protocol sign-ins per account.
pub(super) fn legacy_signins(events: &[Event]) -> BTreeMap<String, Vec<usize>> {
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
    legacy
}

/// `sent_items.missing`, `sent_items.deleted` and the scam subjects of sent mail.
pub(super) fn findings(
    ctx: &Ctx,
    views: &[MessageView],
    inbound: &Inbound,
    out: &mut Vec<Finding>,
) {
    let missing = judge(ctx, views, out);
    let routine = routine_relays(ctx, views, &missing, out);
    for (vi, state) in &missing {
        if routine.contains(vi) {
            continue;
        }
        out.push(missing_finding(ctx, &views[*vi], state, inbound));
    }
}

/// Judges each message: a deletion soon after sending, or absence from a view that could have
/// held it; and its subject. Returns the missing messages (index and what each view says).
fn judge(ctx: &Ctx, views: &[MessageView], out: &mut Vec<Finding>) -> Vec<(usize, ViewState)> {
    let mut missing: Vec<(usize, ViewState)> = Vec::new();
    for (vi, v) in views.iter().enumerate() {
        let state = ctx.views_of(v);
        let dels = ctx.deletions_of(v);
        let first_del = dels
            .iter()
            .find(|r| ctx.deletions[r.deletion].time - v.time <= ctx.options.deleted_within);
        if let Some(&first) = first_del {
            out.push(deletions::finding(ctx, v, &state, &dels, first));
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
            out.push(scam::sent_finding(ctx, v, pattern));
        }
    }
    missing
}

/// A submitting address that was already sending such mail when the trace begins, and kept
/// doing so on several days, is the account's relay; its messages are summarised in one low
/// finding, not judged. Returns the messages so summarised.
fn routine_relays(
    ctx: &Ctx,
    views: &[MessageView],
    missing: &[(usize, ViewState)],
    out: &mut Vec<Finding>,
) -> BTreeSet<usize> {
    let trace_start = ctx.coverage.trace.iter().map(|(a, _)| *a).min();
    // Missing messages per (mailbox, submitting address).
    let mut by_submitter: BTreeMap<(String, IpAddr), Vec<usize>> = BTreeMap::new();
    for (vi, _) in missing {
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
        if days.len() < ctx.options.routine_submitter_days || !from_start {
            continue;
        }
        routine.extend(list.iter().copied());
        out.push(routine_finding(ctx, views, mailbox, *ip, list, days.len()));
    }
    routine
}

/// The summary of an account's routine relay: `list` are its messages, sent on `days` days.
fn routine_finding(
    ctx: &Ctx,
    views: &[MessageView],
    mailbox: &str,
    ip: IpAddr,
    list: &[usize],
    days: usize,
) -> Finding {
    let v = &views[list[0]];
    let mut f = finding_for(
        &ctx.events[v.trace[0]],
        ctx.inputs,
        MISSING,
        Severity::Low,
        format!(
            "{} messages submitted over SMTP from {ip} on {} days since the trace begins left {mailbox} with no Send record or Sent Items copy: the account's routine relay (an application, scanner or connector), not judged one by one",
            list.len(),
            days
        ),
    );
    f.user = Some(mailbox.to_string());
    f.fields
        .insert("from_ip".into(), Value::String(ip.to_string()));
    f.fields
        .insert("messages".into(), Value::from(list.len() as u64));
    f.fields.insert("days".into(), Value::from(days as u64));
    f.fields.insert(
        "message_ids".into(),
        strings(
            list.iter().map(|&vi| views[vi].label()),
            ctx.options.max_listed,
        ),
    );
    f.fields
        .insert("routine_submitter".into(), Value::Bool(true));
    ctx.attach(
        &mut f,
        list.iter().flat_map(|&vi| views[vi].trace.iter().copied()),
    );
    f
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

/// How a message with no Send record left: the trace's submitting address, a client-made
/// message id, an inbox rule.
fn submission(v: &MessageView, inbound: &Inbound, options: &MailOptions) -> (String, bool) {
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

/// A message id Exchange Online made (`...@<server>.<region>.prod.outlook.com`).
pub(super) fn exchange_online_id(key: &str) -> bool {
    let domain = key
        .trim_end_matches('>')
        .rsplit_once('@')
        .map_or("", |(_, d)| d);
    domain.ends_with(".outlook.com") || domain.ends_with(".exchangelabs.com")
}
