//! Findings: what the rules and analyzers conclude, with the evidence behind each.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{Event, Provenance};

/// Severity of a finding (design.md section 4). Ordered: `Info < Low < ... < Critical`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record behind a finding: the input's report path, the line, and the record's own id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    pub input: String,
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// Position of the input in the report's `inputs`; for ordering, not output.
    #[serde(skip)]
    pub input_index: u32,
}

/// What ties a finding to an attacker: the addresses, user agents and sessions involved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Indicators {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ips: Vec<IpAddr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_agents: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<String>,
}

impl Indicators {
    pub fn is_empty(&self) -> bool {
        self.ips.is_empty() && self.user_agents.is_empty() && self.sessions.is_empty()
    }

    /// The indicators carried by one event.
    pub fn of(event: &Event) -> Indicators {
        Indicators {
            ips: event.ip.into_iter().collect(),
            user_agents: event
                .client
                .user_agent
                .iter()
                .map(|u| u.to_string())
                .collect(),
            sessions: event.client.session.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn merge(&mut self, other: &Indicators) {
        for ip in &other.ips {
            if !self.ips.contains(ip) {
                self.ips.push(*ip);
            }
        }
        for ua in &other.user_agents {
            if !self.user_agents.contains(ua) {
                self.user_agents.push(ua.clone());
            }
        }
        for s in &other.sessions {
            if !self.sessions.contains(s) {
                self.sessions.push(s.clone());
            }
        }
        self.ips.sort();
        self.user_agents.sort();
        self.sessions.sort();
    }
}

/// One conclusion (report schema `findings[]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// `F0001`...: assigned once every finding is known, in the report's total order.
    pub id: String,
    pub rule: String,
    pub title: String,
    pub severity: Severity,
    /// The account affected (lower case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The account that acted (lower case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    pub summary: String,
    pub attack: Vec<String>,
    pub evidence: Vec<Evidence>,
    pub fields: BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Indicators::is_empty")]
    pub indicators: Indicators,
    /// Provenance of the first evidence record, for ordering and joins.
    #[serde(skip)]
    pub prov: Provenance,
}

impl Finding {
    /// The report's total order: time, user, rule, then where the evidence is.
    pub fn order_key(&self) -> impl Ord + '_ {
        (
            self.time,
            self.user.as_deref(),
            self.rule.as_str(),
            self.prov.input,
            self.prov.line,
            self.prov.record,
            self.summary.as_str(),
        )
    }

    pub fn family(&self) -> &str {
        self.rule.split('.').next().unwrap_or(&self.rule)
    }
}

/// Sorts findings into the report order, merges the same conclusion drawn from two copies of
/// one action (the UAL and the Entra audit log both record a password reset; a Set-Mailbox and
/// the Get-Mailbox dump both show a forwarding), and numbers them `F0001`, `F0002`...
pub fn finalize(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    for f in findings.drain(..) {
        if let Some(last) = merged
            .iter_mut()
            .rev()
            .take(8)
            .find(|m| same_conclusion(m, &f))
        {
            for e in f.evidence {
                if !last.evidence.contains(&e) {
                    last.evidence.push(e);
                }
            }
            last.evidence.sort();
            last.indicators.merge(&f.indicators);
            last.severity = last.severity.max(f.severity);
            continue;
        }
        merged.push(f);
    }
    *findings = merged;
    for (i, f) in findings.iter_mut().enumerate() {
        f.id = format!("F{:04}", i + 1);
    }
}

fn same_conclusion(a: &Finding, b: &Finding) -> bool {
    let close = match (a.time, b.time) {
        (Some(x), Some(y)) => (x - y).num_seconds().abs() <= 5,
        (None, None) => true,
        _ => false,
    };
    close && a.rule == b.rule && a.user == b.user && a.summary == b.summary
}
