//! The suspect window of a compromised account: from the first event that shares an attacker
//! indicator to the first containment by someone else (or the last indicator event); and the
//! other accounts the attacker's addresses reached inside it.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Account, Indicators, Reason, Verdict};
use crate::event::Event;
use crate::finding::{Finding, Severity};
use crate::infra::{Infrastructure, auth};
use crate::tenant::is_system_actor;

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

pub(super) fn window(
    user: &str,
    basis: &[&Finding],
    events: &[Event],
    indicators: &Indicators,
    foreign: &dyn Fn(&Event) -> bool,
) -> Option<Window> {
    let (ips, agents, sessions) = (&indicators.ips, &indicators.agents, &indicators.sessions);
    let mine = |e: &&Event| e.user.as_deref() == Some(user) || e.actor.as_deref() == Some(user);
    // A stolen session and a tool's user agent are the attacker's only away from the user's own
    // addresses: the user goes on using the session the attacker replays.
    let shares = |e: &Event| {
        e.ip.is_some_and(|ip| ips.contains(&ip))
            || (foreign(e)
                && (e
                    .client
                    .user_agent
                    .as_deref()
                    .is_some_and(|u| agents.contains(u))
                    || e.client
                        .session
                        .as_deref()
                        .is_some_and(|s| sessions.contains(s))))
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

/// Marks the accounts a compromised account's attacker addresses reached inside its window: a
/// successful sign-in or an action from them makes the other account at least suspicious (and
/// listed under the compromised one); failed attempts are only listed.
pub(super) fn mark_touched(accounts: &mut Vec<Account>, events: &[Event], infra: &Infrastructure) {
    let mut touched: BTreeMap<String, Vec<(String, IpAddr)>> = BTreeMap::new();
    for a in accounts
        .iter_mut()
        .filter(|a| a.verdict == Verdict::Compromised)
    {
        let Some(w) = a.window.clone() else { continue };
        let ips: BTreeSet<IpAddr> = a
            .attacker_ips
            .iter()
            .copied()
            .filter(|ip| !infra.contains(*ip))
            .collect();
        let mut reached: BTreeSet<String> = BTreeSet::new();
        let mut tried: BTreeSet<String> = BTreeSet::new();
        for e in events {
            let (Some(t), Some(ip)) = (e.time, e.ip) else {
                continue;
            };
            if t < w.start || t > w.end || !ips.contains(&ip) {
                continue;
            }
            let other = e.actor.as_deref().or(e.user.as_deref());
            let Some(other) = other.filter(|o| *o != a.user && !is_system_actor(o)) else {
                continue;
            };
            let attempt = auth::is_attempt(e);
            if attempt && e.outcome.success != Some(true) {
                tried.insert(other.to_string());
            } else {
                reached.insert(other.to_string());
                touched
                    .entry(other.to_string())
                    .or_default()
                    .push((a.user.clone(), ip));
            }
        }
        tried.retain(|u| !reached.contains(u));
        a.touched_accounts = reached.into_iter().collect();
        a.attempted_accounts = tried.into_iter().collect();
    }
    for (user, by) in touched {
        let reason = |by: &[(String, IpAddr)]| Reason {
            kind: "touched",
            findings: Vec::new(),
            text: format!(
                "reached inside the suspect window of {} from its attacker address {}",
                by[0].0, by[0].1
            ),
        };
        match accounts.iter_mut().find(|a| a.user == user) {
            Some(account) if account.verdict == Verdict::Clean => {
                account.verdict = Verdict::Suspicious;
                account.because.push(reason(&by));
            }
            Some(account) if account.verdict == Verdict::Suspicious => {
                account.because.push(reason(&by));
            }
            Some(_) => {}
            None => accounts.push(Account {
                user: user.clone(),
                verdict: Verdict::Suspicious,
                because: vec![reason(&by)],
                max_severity: Severity::Info,
                window: None,
                attacker_ips: Vec::new(),
                attacker_user_agents: Vec::new(),
                touched_accounts: Vec::new(),
                attempted_accounts: Vec::new(),
                findings: Vec::new(),
                remediation: Vec::new(),
            }),
        }
    }
    accounts.sort_by(|a, b| a.user.cmp(&b.user));
}
