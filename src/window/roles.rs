//! What each finding means for its account's verdict: attacker access, an action on the
//! account, or proof of control on its own; and the links that tie access to action.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::{Indicators, Reason, is_distinctive_agent};
use crate::event::{Event, SourceKind};
use crate::finding::{Finding, Severity};
use crate::infra::Infrastructure;
use crate::infra::known::Known;
use crate::tenant::addresses_in;

/// A finding's part in the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Someone signed in or used a session who should not have.
    Access,
    /// Something was done to or with the account.
    Action,
    /// Neither alone (a spray that got nowhere, a new address).
    Context,
}

/// Rule ids that are attacker access whenever they fire; other sign-in findings are access only
/// with a tool's user agent, or a confirmed-compromised risk state.
const ACCESS: &[&str] = &[
    "signin.brute-force-success",
    "signin.unseen-ip-mailbox-access",
    "signin.impossible-travel",
    "signin.mfa-fatigue",
    "signin.aitm-session",
    "signin.device-code",
];

pub(super) fn role(f: &Finding) -> Role {
    if ACCESS.contains(&f.rule.as_str()) {
        return Role::Access;
    }
    if f.family() == "signin" {
        let tool = f
            .indicators
            .user_agents
            .iter()
            .any(|u| is_distinctive_agent(u));
        let confirmed = f.rule == "signin.risky" && f.severity >= Severity::High;
        return if (tool && f.rule != "signin.password-spray") || confirmed {
            Role::Access
        } else {
            Role::Context
        };
    }
    Role::Action
}

/// The judge of one analysis: infrastructure, what each account is known from, and when each
/// external address was first seen.
pub(super) struct Judge<'a> {
    infra: &'a Infrastructure,
    known: &'a Known,
    /// External mail addresses and when the evidence first shows them (as a recipient).
    first_seen: BTreeMap<String, DateTime<Utc>>,
}

/// Minutes between access and an action without an address of its own, for time alone to link
/// them.
const TIME_LINK: i64 = 60;

impl<'a> Judge<'a> {
    pub(super) fn new(events: &[Event], infra: &'a Infrastructure, known: &'a Known) -> Judge<'a> {
        let mut first_seen: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        for e in events {
            let (Some(t), true) = (
                e.time,
                matches!(e.source, SourceKind::MessageTrace | SourceKind::SentItems),
            ) else {
                continue;
            };
            for r in e.attrs.get_all("Recipient") {
                let slot = first_seen.entry(r.trim().to_lowercase()).or_insert(t);
                *slot = (*slot).min(t);
            }
        }
        Judge {
            infra,
            known,
            first_seen,
        }
    }

    /// The addresses of a finding that could be an attacker's: not infrastructure, and not
    /// established for the account that acted.
    fn foreign_ips(&self, user: &str, f: &Finding) -> BTreeSet<IpAddr> {
        let actor = f.actor.as_deref().unwrap_or(user);
        f.indicators
            .ips
            .iter()
            .copied()
            .filter(|ip| !self.infra.contains(*ip) && !self.known.is_own(actor, *ip, f.time))
            .collect()
    }

    /// Is access `a` from somewhere other than the account's own or the tenant's addresses (or
    /// from no recorded address)?
    fn comes_from_elsewhere(&self, user: &str, a: &Finding) -> bool {
        a.indicators.ips.is_empty() || !self.foreign_ips(user, a).is_empty()
    }

    /// Is this event from somewhere that could be the attacker's (or from no recorded address)?
    pub(super) fn is_foreign_event(&self, user: &str, e: &Event) -> bool {
        let actor = e.actor.as_deref().unwrap_or(user);
        e.ip.is_none_or(|ip| !self.infra.contains(ip) && !self.known.is_own(actor, ip, e.time))
    }

    /// Reasons to call the account compromised; empty when there are none.
    pub(super) fn compromise(&self, user: &str, fs: &[&Finding]) -> Vec<Reason> {
        let mut reasons: Vec<Reason> = Vec::new();
        for group in inbox_rule_groups(fs) {
            if let Some(text) = rule_proof(&group) {
                reasons.push(Reason {
                    kind: "proof",
                    findings: group.iter().map(|f| f.id.clone()).collect(),
                    text,
                });
            }
        }
        for f in fs {
            if let Some(text) = self.proof(user, f) {
                reasons.push(Reason {
                    kind: "proof",
                    findings: vec![f.id.clone()],
                    text,
                });
            }
        }
        // One reason per shared indicator, naming every finding it ties together.
        let mut links: BTreeMap<String, (BTreeSet<String>, String)> = BTreeMap::new();
        let access: Vec<&&Finding> = fs.iter().filter(|f| role(f) == Role::Access).collect();
        for a in access.iter().filter(|a| self.comes_from_elsewhere(user, a)) {
            let ips = self.foreign_ips(user, a);
            for b in fs
                .iter()
                .filter(|b| b.id != a.id && role(b) == Role::Action)
            {
                if let Some((key, text)) = self.link(a, b, &ips) {
                    let entry = links.entry(key).or_insert_with(|| (BTreeSet::new(), text));
                    entry.0.insert(a.id.clone());
                    entry.0.insert(b.id.clone());
                }
            }
        }
        // Time alone ties an action with no address of its own (an Entra audit record) to the
        // access just before it.
        for b in fs
            .iter()
            .filter(|b| role(b) == Role::Action && b.indicators.ips.is_empty())
        {
            let Some(t) = b.time else { continue };
            let before = access
                .iter()
                .filter(|a| {
                    a.time
                        .is_some_and(|at| at <= t && t - at <= Duration::minutes(TIME_LINK))
                        && self.comes_from_elsewhere(user, a)
                })
                .max_by_key(|a| (a.time, a.id.clone()));
            if let Some(a) = before {
                let gap = human_gap(t - a.time.unwrap_or(t));
                links.insert(
                    format!("time {}", b.id),
                    (
                        [a.id.clone(), b.id.clone()].into(),
                        format!(
                            "{} follows {} {gap}, and has no address of its own",
                            b.id, a.id
                        ),
                    ),
                );
            }
        }
        for (ids, text) in links.into_values() {
            let n = ids.len();
            reasons.push(Reason {
                kind: "access+action",
                findings: ids.into_iter().collect(),
                text: if n > 2 {
                    format!("{text} ({n} findings in all)")
                } else {
                    text
                },
            });
        }
        reasons.sort_by(|x, y| x.findings.cmp(&y.findings));
        reasons.dedup();
        reasons
    }

    /// How access `a` and action `b` are tied, if they are: the shared indicator (the key that
    /// groups links) and the first pair in words.
    fn link(&self, a: &Finding, b: &Finding, ips: &BTreeSet<IpAddr>) -> Option<(String, String)> {
        let within = match (a.time, b.time) {
            (Some(x), Some(y)) => format!(" {}", human_gap(y - x)),
            _ => String::new(),
        };
        let ids = format!("{} and {}", a.id, b.id);
        if let Some(ip) = b.indicators.ips.iter().find(|ip| ips.contains(ip)) {
            return Some((
                format!("address {ip}"),
                format!("{ids} share the address {ip}{within}"),
            ));
        }
        if let Some(s) = b
            .indicators
            .sessions
            .iter()
            .find(|s| a.indicators.sessions.contains(s))
        {
            return Some((
                format!("session {s}"),
                format!("{ids} share the session {s}{within}"),
            ));
        }
        let ua = b
            .indicators
            .user_agents
            .iter()
            .find(|u| is_distinctive_agent(u) && a.indicators.user_agents.contains(u))?;
        Some((
            format!("agent {ua}"),
            format!("{ids} share the tool user agent '{ua}'{within}"),
        ))
    }

    /// Does this one finding prove control of the account on its own?
    fn proof(&self, user: &str, f: &Finding) -> Option<String> {
        match f.rule.as_str() {
            "inbox_rule.hidden" => Some(format!(
                "{}: an inbox rule was hidden from the user and the administrators",
                f.id
            )),
            "audit.tampering" if f.severity >= Severity::High => Some(format!(
                "{}: auditing was switched off, bypassed or shortened",
                f.id
            )),
            "sent_items.missing"
                if f.severity >= Severity::High
                    && strings(f.fields.get("external_recipients"))
                        .next()
                        .is_some() =>
            {
                Some(format!(
                    "{}: mail left for external recipients that the mailbox does not hold",
                    f.id
                ))
            }
            "forwarding.mailbox-smtp" | "forwarding.inbox-rule" => {
                self.new_external_forward(user, f)
            }
            _ => None,
        }
    }

    /// An audited creation of forwarding to an external address never seen before, from an
    /// address outside the account's baseline (users set up forwards to their own private mail
    /// from home; that is suspicious, not proof).
    fn new_external_forward(&self, user: &str, f: &Finding) -> Option<String> {
        if f.severity < Severity::High || f.evidence.is_empty() || f.time.is_none() {
            return None;
        }
        // Dumps carry no address: only an audited change has one. An address the account uses
        // on other days too (home, a hotel) makes it the user's own forward.
        let actor = f.actor.as_deref().unwrap_or(user);
        let foreign: BTreeSet<IpAddr> = self
            .foreign_ips(user, f)
            .into_iter()
            .filter(|ip| !self.known.is_habitual(actor, *ip))
            .collect();
        if foreign.is_empty() {
            return None;
        }
        let t = f.time?;
        let destinations: Vec<String> = strings(f.fields.get("forward_to"))
            .flat_map(|s| addresses_in(&s))
            .collect();
        let new = destinations
            .iter()
            .find(|d| self.first_seen.get(*d).is_none_or(|first| *first >= t))?;
        Some(format!(
            "{}: forwarding to {new}, an address not seen before, was set from {}",
            f.id,
            foreign
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }

    /// Reasons to call an account that is not compromised suspicious.
    pub(super) fn suspicion(&self, user: &str, fs: &[&Finding]) -> Vec<Reason> {
        let mut reasons = Vec::new();
        for f in fs {
            let someone_else = f.actor.as_deref().is_some_and(|a| a != user);
            let foreign = self.foreign_ips(user, f);
            if f.severity >= Severity::High && (!someone_else || !foreign.is_empty()) {
                reasons.push(Reason {
                    kind: "uncorroborated",
                    findings: vec![f.id.clone()],
                    text: format!(
                        "{}: {} ({}), with nothing linking it to attacker access",
                        f.id, f.title, f.severity
                    ),
                });
            } else if f.severity == Severity::Medium
                && foreign.iter().any(|ip| {
                    !self
                        .known
                        .is_habitual(f.actor.as_deref().unwrap_or(user), *ip)
                })
            {
                reasons.push(Reason {
                    kind: "outside-baseline",
                    findings: vec![f.id.clone()],
                    text: format!(
                        "{}: {} from {}, outside the account's usual addresses",
                        f.id,
                        f.title,
                        foreign
                            .iter()
                            .map(|i| i.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        reasons
    }

    /// The attacker's indicators on a compromised account: the foreign addresses, sessions and
    /// tool user agents of the findings the verdict rests on.
    pub(super) fn indicators(&self, user: &str, basis: &[&Finding]) -> Indicators {
        let mut out = Indicators::default();
        for f in basis {
            let foreign = self.foreign_ips(user, f);
            out.ips.extend(foreign.iter().copied());
            if !foreign.is_empty() || role(f) == Role::Access {
                out.sessions.extend(f.indicators.sessions.iter().cloned());
            }
            out.agents.extend(
                f.indicators
                    .user_agents
                    .iter()
                    .filter(|u| is_distinctive_agent(u))
                    .cloned(),
            );
        }
        out
    }
}

/// The findings about one inbox rule (the same record, or the same rule in a dump).
fn inbox_rule_groups<'f>(fs: &[&'f Finding]) -> Vec<Vec<&'f Finding>> {
    let mut groups: BTreeMap<(u32, u64, u64), Vec<&Finding>> = BTreeMap::new();
    for f in fs.iter().filter(|f| {
        f.family() == "inbox_rule" && f.rule != "inbox_rule.hidden"
            || f.rule == "forwarding.inbox-rule"
    }) {
        groups
            .entry((f.prov.input, f.prov.line, f.prov.record))
            .or_default()
            .push(f);
    }
    groups.into_values().collect()
}

/// A rule that moves mail to a hiding folder or deletes it, with a second attacker trait (a
/// meaningless name, finance or security keywords, mark-as-read, an external forward).
fn rule_proof(group: &[&Finding]) -> Option<String> {
    let has = |rule: &str| group.iter().any(|f| f.rule == rule);
    let field_true = |name: &str| {
        group.iter().any(|f| {
            strings(f.fields.get(name)).any(|v| crate::ingest::fields::parse_bool(&v) == Some(true))
        })
    };
    let hiding = has("inbox_rule.hiding-folder");
    let deletes = field_true("delete");
    let mut traits: Vec<&str> = Vec::new();
    if has("inbox_rule.suspicious-name") {
        traits.push("a meaningless name");
    }
    if has("inbox_rule.keyword-filter") {
        traits.push("finance or security keywords");
    }
    if field_true("mark_read") {
        traits.push("marks mail as read");
    }
    if group
        .iter()
        .any(|f| f.rule == "forwarding.inbox-rule" && f.severity >= Severity::High)
    {
        traits.push("an external forward");
    }
    if deletes && hiding {
        traits.push("moves to a hiding folder");
    }
    if !(hiding || deletes) || traits.is_empty() {
        return None;
    }
    let ids: Vec<&str> = group.iter().map(|f| f.id.as_str()).collect();
    let name = group
        .iter()
        .find_map(|f| strings(f.fields.get("rule_name")).next())
        .unwrap_or_default();
    Some(format!(
        "{}: inbox rule '{name}' {} mail and has {}",
        ids.join(", "),
        if hiding { "hides" } else { "deletes" },
        traits.join(", ")
    ))
}

fn strings(v: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    let list: Vec<String> = match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        _ => Vec::new(),
    };
    list.into_iter()
}

/// "within 12 minutes", "3 hours later", as a link reads.
fn human_gap(g: Duration) -> String {
    let m = g.num_minutes().abs();
    if m < 1 {
        "within a minute".into()
    } else if m < 120 {
        format!("within {m} minutes")
    } else if m < 48 * 60 {
        format!("within {} hours", m / 60)
    } else {
        format!("within {} days", m / 1440)
    }
}
