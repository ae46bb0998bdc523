//! `--timesketch`: flat JSON Lines for Timesketch import (ecosystem.md section 1.1).
//!
//! One object per line: every dated timeline entry, then every dated finding. Each carries the
//! three fields Timesketch requires (`message`, `datetime` in ISO 8601 UTC, `timestamp_desc`),
//! `timestamp` in microseconds, and flat attributes (`user`, `source`, `action`, `ip`,
//! `country`, `findings`, `severity`, `rule`, `input`, `line`, `tag`...). Nothing is nested
//! except `tag`, a list of strings, which is how Timesketch stores tags.
//!
//! Timesketch cannot place an event without a time, so timeline entries and findings without
//! one (current-state dumps such as Get-InboxRule) are skipped here; they remain in the JSON,
//! CSV and HTML reports.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Report, Reporter};
use crate::finding::{Finding, Severity};
use crate::timeline::Entry;

pub struct TimesketchReporter;

/// `2025-03-04T10:15:30.000000Z`: UTC, microseconds, fixed width (sorts as text).
pub fn iso_utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// One Timesketch event. Field order is the output order.
#[derive(Serialize)]
struct Row<'a> {
    message: String,
    datetime: String,
    timestamp: i64,
    timestamp_desc: &'static str,
    data_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor: Option<&'a str>,
    source: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'a str>,
    /// The event's address; for a finding, its indicator addresses, comma-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'a str>,
    /// Finding ids, comma-separated.
    #[serde(skip_serializing_if = "String::is_empty")]
    findings: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    /// Rule ids, comma-separated.
    #[serde(skip_serializing_if = "String::is_empty")]
    rule: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    attack: String,
    input: &'a str,
    line: u64,
    /// Every evidence record of a finding, `input:line; ...`.
    #[serde(skip_serializing_if = "String::is_empty")]
    evidence: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_window: Option<bool>,
    tag: Vec<String>,
}

impl Reporter for TimesketchReporter {
    fn name(&self) -> &'static str {
        "timesketch"
    }

    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        let by_id: BTreeMap<&str, &Finding> =
            report.findings.iter().map(|f| (f.id.as_str(), f)).collect();
        for e in report.timeline {
            // Undated entries cannot be placed on a Timesketch timeline: skipped.
            let Some(row) = entry_row(report, e, &by_id) else {
                continue;
            };
            write_line(out, &row)?;
        }
        for f in report.findings {
            // Undated findings likewise.
            let Some(row) = finding_row(report, f) else {
                continue;
            };
            write_line(out, &row)?;
        }
        Ok(())
    }
}

fn write_line(out: &mut dyn Write, row: &Row<'_>) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, row)?;
    out.write_all(b"\n")
}

fn entry_row<'a>(
    report: &Report<'a>,
    e: &'a Entry,
    by_id: &BTreeMap<&str, &'a Finding>,
) -> Option<Row<'a>> {
    let t = e.time?;
    let linked: Vec<&Finding> = e
        .findings
        .iter()
        .filter_map(|id| by_id.get(id.as_str()).copied())
        .collect();
    let severity = linked.iter().map(|f| f.severity).max();
    let mut rules: Vec<&str> = linked.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules.dedup();
    let mut tag = Vec::new();
    if !linked.is_empty() {
        tag.push("uala-flagged".to_string());
    }
    if e.in_window {
        tag.push("suspect-window".to_string());
    }
    if let Some(s) = severity {
        tag.push(format!("severity-{s}"));
    }
    Some(Row {
        message: e.summary.clone(),
        datetime: iso_utc(t),
        timestamp: t.timestamp_micros(),
        timestamp_desc: timestamp_desc(e.source.as_str()),
        data_type: format!("m365:{}", e.source.as_str()),
        tenant: report.tenant,
        user: e.user.as_deref(),
        actor: None,
        source: e.source.as_str(),
        action: Some(e.action.as_str()),
        ip: e.ip.clone(),
        country: e.country.as_deref(),
        findings: e.findings.join(","),
        severity: severity.map(Severity::as_str),
        rule: rules.join(","),
        attack: String::new(),
        input: &e.evidence.input,
        line: e.evidence.line,
        evidence: String::new(),
        in_window: Some(e.in_window),
        tag,
    })
}

fn finding_row<'a>(report: &Report<'a>, f: &'a Finding) -> Option<Row<'a>> {
    let t = f.time?;
    let first = f.evidence.first();
    Some(Row {
        message: format!("[{}] {}: {}", f.severity, f.title, f.summary),
        datetime: iso_utc(t),
        timestamp: t.timestamp_micros(),
        timestamp_desc: "Time of the event behind the finding",
        data_type: "uala:finding".to_string(),
        tenant: report.tenant,
        user: f.user.as_deref(),
        actor: f.actor.as_deref(),
        source: "finding",
        action: None,
        ip: Some(
            f.indicators
                .ips
                .iter()
                .map(|ip| ip.to_string())
                .collect::<Vec<_>>()
                .join(","),
        )
        .filter(|s| !s.is_empty()),
        country: None,
        findings: f.id.clone(),
        severity: Some(f.severity.as_str()),
        rule: f.rule.clone(),
        attack: f.attack.join(","),
        input: first.map_or("", |e| e.input.as_str()),
        line: first.map_or(0, |e| e.line),
        evidence: f
            .evidence
            .iter()
            .map(|e| format!("{}:{}", e.input, e.line))
            .collect::<Vec<_>>()
            .join("; "),
        in_window: None,
        tag: vec![
            "uala-finding".to_string(),
            format!("severity-{}", f.severity),
        ],
    })
}

/// What the time of an event of this source is, in Timesketch's words.
fn timestamp_desc(source: &str) -> &'static str {
    match source {
        "ual" => "UAL CreationTime",
        "signin" => "Sign-in createdDateTime",
        "entra_audit" => "Directory audit activityDateTime",
        "message_trace" => "Message trace Received",
        "sent_items" => "Sent Items sentDateTime",
        "mailbox" => "Mailbox WhenChanged",
        "inbox_rules" => "Inbox rule time",
        _ => "Event time",
    }
}
