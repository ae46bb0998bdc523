//! Verdicts and suspect windows per account (docs/rules.md, "How an account is judged").
//!
//! A verdict is corroboration, not a count. `compromised` needs evidence that someone else
//! controlled the account: attacker access (an anomalous successful sign-in or session from an
//! address that is neither tenant infrastructure nor the account's own) linked by address,
//! session, tool user agent or time to an action on the account; or one finding that proves
//! control alone (a hidden rule, audit tampering, mail sent that the mailbox does not hold, a rule
//! hiding or deleting mail with a second attacker trait, an audited external forward to a new
//! address from outside the account's baseline). `suspicious` is an uncorroborated high finding,
//! a medium one from an address outside the actor's baseline, or an account touched by a
//! compromised account's attacker address inside its window. Each verdict names the findings it
//! rests on and the link between them.

mod roles;
mod span;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use crate::event::Event;
use crate::finding::{Finding, Severity};
use crate::infra::Infrastructure;
use crate::infra::auth::is_tool_agent;
use crate::infra::known::Known;
use crate::tenant::is_system_actor;
pub use span::Window;

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

/// What a verdict rests on: findings, and in words how they tie together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// `access+action`, `proof`, `uncorroborated`, `outside-baseline` or `touched`.
    pub kind: &'static str,
    pub findings: Vec<String>,
    pub text: String,
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
    /// The findings the verdict rests on and how they are linked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<Reason>,
    pub max_severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    pub attacker_ips: Vec<IpAddr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attacker_user_agents: Vec<String>,
    /// Other accounts this account's attacker addresses signed in to or acted on inside its
    /// window (each is at least suspicious).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub touched_accounts: Vec<String>,
    /// Other accounts those addresses only tried to sign in to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attempted_accounts: Vec<String>,
    /// Ids of the findings about this account.
    pub findings: Vec<String>,
    pub remediation: Vec<Step>,
}

/// Accounts with verdicts, windows and indicators; remediation is added afterwards.
pub fn accounts(
    findings: &[Finding],
    events: &[Event],
    infra: &Infrastructure,
    known: &Known,
) -> Vec<Account> {
    let judge = roles::Judge::new(events, infra, known);
    let mut by_user: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if let Some(user) = f.user.as_deref() {
            by_user.entry(user).or_default().push(f);
        }
    }
    let mut accounts: Vec<Account> = by_user
        .iter()
        .map(|(user, fs)| account(user, fs, events, &judge))
        .collect();
    span::mark_touched(&mut accounts, events, infra);
    accounts
}

/// The standing of one account from its findings.
fn account(user: &str, fs: &[&Finding], events: &[Event], judge: &roles::Judge<'_>) -> Account {
    let max_severity = fs
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    // System actors never make an account compromised.
    let person: Vec<&Finding> = fs
        .iter()
        .copied()
        .filter(|f| !f.actor.as_deref().is_some_and(is_system_actor))
        .collect();
    let mut because = judge.compromise(user, &person);
    let verdict = if !because.is_empty() {
        Verdict::Compromised
    } else {
        because = judge.suspicion(user, &person);
        if because.is_empty() {
            Verdict::Clean
        } else {
            Verdict::Suspicious
        }
    };
    let mut account = Account {
        user: user.to_string(),
        verdict,
        because,
        max_severity,
        window: None,
        attacker_ips: Vec::new(),
        attacker_user_agents: Vec::new(),
        touched_accounts: Vec::new(),
        attempted_accounts: Vec::new(),
        findings: fs.iter().map(|f| f.id.clone()).collect(),
        remediation: Vec::new(),
    };
    if verdict == Verdict::Compromised {
        let basis: BTreeSet<&str> = account
            .because
            .iter()
            .flat_map(|r| r.findings.iter().map(String::as_str))
            .collect();
        let basis: Vec<&Finding> = person
            .iter()
            .copied()
            .filter(|f| basis.contains(f.id.as_str()))
            .collect();
        let indicators = judge.indicators(user, &basis);
        let foreign = |e: &Event| judge.is_foreign_event(user, e);
        account.window = span::window(user, &basis, events, &indicators, &foreign);
        account.attacker_ips = indicators.ips.iter().copied().collect();
        account.attacker_user_agents = indicators.agents.iter().cloned().collect();
    }
    account
}

/// The attacker's addresses, tool user agents and sessions on one account.
#[derive(Debug, Default)]
pub(crate) struct Indicators {
    pub(crate) ips: BTreeSet<IpAddr>,
    pub(crate) agents: BTreeSet<String>,
    pub(crate) sessions: BTreeSet<String>,
}

/// A user agent specific enough to follow: a script or tool, not a browser the real user may
/// share with the attacker.
fn is_distinctive_agent(ua: &str) -> bool {
    is_tool_agent(ua)
}
