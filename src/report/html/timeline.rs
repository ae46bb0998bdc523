//! The timeline section: one table (and chart) per account that is not clean, then the flagged
//! events of the other accounts together.

use std::collections::{BTreeMap, BTreeSet};

use super::chart::{Chart, chart};
use super::format::{source_label, window_text};
use super::view::{Ctx, EvidenceRef, order_accounts};
use crate::timeline::Entry;
use crate::window::{Account, Verdict};

pub struct TimelineRow {
    pub time: String,
    pub user: String,
    pub place: String,
    pub summary: String,
    pub source: String,
    pub evidence: EvidenceRef,
    pub findings: Vec<String>,
    /// Outside the account's suspect window (shown greyed).
    pub outside: bool,
    pub attacker: bool,
}

pub struct AccountTimeline {
    pub anchor: String,
    pub user: String,
    pub verdict: String,
    pub window: String,
    pub chart: Option<Chart>,
    pub rows: Vec<TimelineRow>,
    pub undated: Vec<TimelineRow>,
}

/// The timelines of the accounts that are not clean (or have a window), in account order, and
/// the rows of every other account.
pub fn timelines(ctx: &Ctx<'_, '_>) -> (Vec<AccountTimeline>, Vec<TimelineRow>) {
    let report = ctx.report;
    let mut timelines = Vec::new();
    let mut told: BTreeSet<&str> = BTreeSet::new();
    for a in order_accounts(report.accounts) {
        if a.verdict == Verdict::Clean && a.window.is_none() {
            continue;
        }
        let entries: Vec<&Entry> = report
            .timeline
            .iter()
            .filter(|e| e.user.as_deref() == Some(a.user.as_str()))
            .collect();
        if entries.is_empty() {
            continue;
        }
        told.insert(a.user.as_str());
        timelines.push(account_timeline(ctx, a, &entries));
    }
    let by_user: BTreeMap<&str, &Account> = report
        .accounts
        .iter()
        .map(|a| (a.user.as_str(), a))
        .collect();
    let others = report
        .timeline
        .iter()
        .filter(|e| !e.user.as_deref().is_some_and(|u| told.contains(u)))
        .map(|e| {
            row(
                ctx,
                e,
                e.user.as_deref().and_then(|u| by_user.get(u).copied()),
            )
        })
        .collect();
    (timelines, others)
}

fn account_timeline(ctx: &Ctx<'_, '_>, a: &Account, entries: &[&Entry]) -> AccountTimeline {
    let anchor = ctx.anchor(&a.user);
    AccountTimeline {
        chart: a
            .window
            .as_ref()
            .map(|w| chart(ctx, &format!("chart-{anchor}"), entries, a, w)),
        anchor,
        user: a.user.clone(),
        verdict: a.verdict.as_str().to_string(),
        window: a
            .window
            .as_ref()
            .map(|w| format!("Suspect window {}.", window_text(ctx.d, w)))
            .unwrap_or_else(|| "No suspect window: only flagged events are shown.".into()),
        rows: entries
            .iter()
            .filter(|e| e.time.is_some())
            .map(|e| row(ctx, e, Some(a)))
            .collect(),
        undated: entries
            .iter()
            .filter(|e| e.time.is_none())
            .map(|e| row(ctx, e, Some(a)))
            .collect(),
    }
}

/// One event; `account` is the account it belongs to, whose window greys the events outside.
fn row(ctx: &Ctx<'_, '_>, e: &Entry, account: Option<&Account>) -> TimelineRow {
    TimelineRow {
        time: e
            .time
            .map(|t| ctx.d.time(t))
            .unwrap_or_else(|| "(no time)".into()),
        user: e.user.clone().unwrap_or_default(),
        place: match (&e.ip, &e.country) {
            (Some(ip), Some(c)) => format!("{ip} ({c})"),
            (Some(ip), None) => ip.clone(),
            (None, Some(c)) => c.clone(),
            (None, None) => String::new(),
        },
        summary: e.summary.clone(),
        source: source_label(e.source.as_str()).to_string(),
        evidence: ctx.evidence_ref(&e.evidence.input, e.evidence.line, None),
        findings: e.findings.clone(),
        outside: account.is_some_and(|a| a.window.is_some()) && !e.in_window,
        attacker: ctx.is_attacker(e.ip.as_deref()),
    }
}
