//! Verdicts and suspect windows per account (design.md sections 5 and 8).
//!
//! Attacker indicators are the addresses, user agents and sessions of an account's anomalous
//! sign-ins and of its high and critical findings (never the tenant's own office egress). The
//! window starts at the account's earliest event that shares an indicator (or its earliest high
//! finding) and ends at the first containment after it — a password reset, session revocation,
//! account disabled, or rule or forwarding removed by someone other than the attacker — or else
//! at the last event that shares an indicator.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::Event;
use crate::finding::{Finding, Severity};
use crate::ingest::ip::is_internal;
use crate::tenant::is_system_actor;

/// Verdict on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Clean,
    Suspicious,
    Compromised,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Suspicious => "suspicious",
            Verdict::Compromised => "compromised",
        }
    }
}

/// The period during which the attacker is taken to have had the account.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Findings whose indicators set the window.
    pub basis: Vec<String>,
    /// What ended it: a containment action, or the last indicator event.
    pub end_reason: String,
}

/// One remediation step (filled in by `remediation.rs`).
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub step: &'static str,
    pub title: String,
    pub command: String,
    pub because: Vec<String>,
}

/// One account's standing (report `accounts[]`).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub user: String,
    pub verdict: Verdict,
    pub max_severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    pub attacker_ips: Vec<IpAddr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attacker_user_agents: Vec<String>,
    /// Ids of the findings about this account.
    pub findings: Vec<String>,
    pub remediation: Vec<Step>,
}

/// Operations that contain a compromise when someone other than the attacker performs them.
const CONTAINMENT: &[&str] = &[
    "reset user password",
    "reset password (by admin)",
    "update stsrefreshtokenvalidfrom timestamp",
    "revoke-mgusersigninsession",
    "disable account",
    "remove-inboxrule",
    "disable-inboxrule",
    "block user",
];

/// Does this event contain the compromise of `user`, given the attacker indicators?
fn is_containment(e: &Event, user: &str, ips: &BTreeSet<IpAddr>) -> bool {
    let op = crate::rules::normalize_operation(&e.operation);
    let by_other = e
        .actor
        .as_deref()
        .is_some_and(|a| a != user && !is_system_actor(a));
    let from_attacker = e.ip.is_some_and(|ip| ips.contains(&ip));
    if !by_other || from_attacker {
        return false;
    }
    if CONTAINMENT.contains(&op.as_str()) {
        return true;
    }
    // Forwarding cleared, or the account disabled through Update user.
    (op == "set-mailbox"
        && e.attrs
            .get_all("Parameters.ForwardingSmtpAddress")
            .any(|v| v.trim().is_empty()))
        || (op == "update user"
            && e.attr("ModifiedProperties.AccountEnabled.NewValue")
                .is_some_and(|v| v.to_ascii_lowercase().contains("false")))
}

/// Accounts with verdicts, windows and indicators; remediation is added afterwards.
pub fn accounts(findings: &[Finding], events: &[Event]) -> Vec<Account> {
    let mut by_user: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if let Some(user) = f.user.as_deref() {
            by_user.entry(user).or_default().push(f);
        }
    }
    let person = |f: &Finding| !f.actor.as_deref().is_some_and(is_system_actor);
    let mut accounts: Vec<Account> = Vec::new();
    for (user, fs) in &by_user {
        let max_severity = fs
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info);
        let serious: Vec<&Finding> = fs
            .iter()
            .copied()
            .filter(|f| person(f) && f.severity >= Severity::High)
            .collect();
        let mediums: Vec<&Finding> = fs
            .iter()
            .copied()
            .filter(|f| person(f) && f.severity == Severity::Medium)
            .collect();
        let medium_pair = mediums.iter().any(|a| {
            mediums.iter().any(|b| {
                a.family() != b.family()
                    && a.indicators
                        .ips
                        .iter()
                        .any(|ip| b.indicators.ips.contains(ip))
            })
        });
        let verdict = if !serious.is_empty() || medium_pair {
            Verdict::Compromised
        } else if !mediums.is_empty() {
            Verdict::Suspicious
        } else {
            Verdict::Clean
        };
        // Indicators: anomalous sign-ins (medium and above) and serious findings.
        let indicator_findings: Vec<&Finding> = fs
            .iter()
            .copied()
            .filter(|f| person(f))
            .filter(|f| {
                f.severity >= Severity::High
                    || (f.family() == "signin" && f.severity >= Severity::Medium)
            })
            .filter(|_| verdict != Verdict::Clean)
            .collect();
        let mut ips: BTreeSet<IpAddr> = BTreeSet::new();
        let mut agents: BTreeSet<String> = BTreeSet::new();
        let mut sessions: BTreeSet<String> = BTreeSet::new();
        for f in &indicator_findings {
            // A finding about someone else acting on this account (an admin) is not the
            // attacker's unless it is serious.
            if f.actor.as_deref().is_some_and(|a| a != *user) && f.severity < Severity::High {
                continue;
            }
            ips.extend(
                f.indicators
                    .ips
                    .iter()
                    .copied()
                    .filter(|ip| !is_internal(*ip)),
            );
            agents.extend(
                f.indicators
                    .user_agents
                    .iter()
                    .filter(|u| is_distinctive_agent(u))
                    .cloned(),
            );
            sessions.extend(f.indicators.sessions.iter().cloned());
        }
        let window = if verdict == Verdict::Compromised {
            window(user, &indicator_findings, events, &ips, &agents, &sessions)
        } else {
            None
        };
        accounts.push(Account {
            user: user.to_string(),
            verdict,
            max_severity,
            window,
            attacker_ips: if verdict == Verdict::Compromised {
                ips.into_iter().collect()
            } else {
                Vec::new()
            },
            attacker_user_agents: if verdict == Verdict::Compromised {
                agents.into_iter().collect()
            } else {
                Vec::new()
            },
            findings: fs.iter().map(|f| f.id.clone()).collect(),
            remediation: Vec::new(),
        });
    }
    // An account seen from a compromised account's attacker addresses is at least suspicious.
    let attacker_ips: BTreeSet<IpAddr> = accounts
        .iter()
        .filter(|a| a.verdict == Verdict::Compromised)
        .flat_map(|a| a.attacker_ips.iter().copied())
        .collect();
    for account in accounts.iter_mut().filter(|a| a.verdict == Verdict::Clean) {
        let shares = by_user[account.user.as_str()]
            .iter()
            .any(|f| f.indicators.ips.iter().any(|ip| attacker_ips.contains(ip)));
        if shares {
            account.verdict = Verdict::Suspicious;
        }
    }
    accounts
}

/// A user agent specific enough to follow: a script or tool, not a browser the real user may
/// share with the attacker.
fn is_distinctive_agent(ua: &str) -> bool {
    crate::analyzers::signin::is_tool_agent(ua)
}

fn window(
    user: &str,
    basis: &[&Finding],
    events: &[Event],
    ips: &BTreeSet<IpAddr>,
    agents: &BTreeSet<String>,
    sessions: &BTreeSet<String>,
) -> Option<Window> {
    let mine = |e: &&Event| e.user.as_deref() == Some(user) || e.actor.as_deref() == Some(user);
    let shares = |e: &Event| {
        e.ip.is_some_and(|ip| ips.contains(&ip))
            || e.client
                .user_agent
                .as_deref()
                .is_some_and(|u| agents.contains(u))
            || e.client
                .session
                .as_deref()
                .is_some_and(|s| sessions.contains(s))
    };
    let mut indicator_times: Vec<DateTime<Utc>> = events
        .iter()
        .filter(mine)
        .filter(|e| shares(e))
        .filter_map(|e| e.time)
        .collect();
    indicator_times.extend(
        basis
            .iter()
            .filter(|f| f.severity >= Severity::High)
            .filter_map(|f| f.time),
    );
    indicator_times.sort();
    let start = *indicator_times.first()?;
    let last = *indicator_times.last()?;
    let mut containment: Vec<&Event> = events
        .iter()
        .filter(|e| e.time.is_some_and(|t| t > start))
        .filter(|e| e.user.as_deref() == Some(user))
        .filter(|e| is_containment(e, user, ips))
        .collect();
    containment.sort_by_key(|e| (e.time, e.prov));
    let (end, end_reason) = match containment.first() {
        Some(e) => (
            e.time.unwrap_or(last),
            format!(
                "{} by {}",
                e.operation.trim_end_matches('.'),
                e.actor.as_deref().unwrap_or("an administrator")
            ),
        ),
        None => (last, "last event sharing an attacker indicator".to_string()),
    };
    let mut ids: Vec<String> = basis.iter().map(|f| f.id.clone()).collect();
    ids.sort();
    ids.dedup();
    Some(Window {
        start,
        end: end.max(start),
        basis: ids,
        end_reason,
    })
}
