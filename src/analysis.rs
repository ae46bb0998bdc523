//! The analysis stage: from ingested events to findings and per-account verdicts.
//!
//! identity resolution → tenant domains → data rules (parallel) → analyzers → total order.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use crate::analyzers;
use crate::finding::{self, Finding, Severity};
use crate::identity::{self, Directory};
use crate::ingest::Ingested;
use crate::rules::RuleSet;
use crate::tenant::{Tenant, is_system_actor};

/// Options of the analysis stage.
#[derive(Debug, Clone, Default)]
pub struct AnalysisOptions {
    /// Internal mail domains; inferred from the evidence when empty.
    pub internal_domains: Vec<String>,
    /// Tenant name for the report; inferred when `None`.
    pub tenant: Option<String>,
    pub signin: analyzers::signin::SigninOptions,
}

/// Verdict on an account (design.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Clean,
    Suspicious,
    Compromised,
}

/// One account's standing (report `accounts[]`).
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub user: String,
    pub verdict: Verdict,
    pub max_severity: Severity,
    /// Ids of the findings about this account.
    pub findings: Vec<String>,
    pub attacker_ips: Vec<IpAddr>,
}

/// Everything the analysis produced.
#[derive(Debug)]
pub struct Analysis {
    pub ingested: Ingested,
    pub tenant_name: Option<String>,
    pub tenant: Tenant,
    pub findings: Vec<Finding>,
    pub accounts: Vec<Account>,
}

pub fn analyze(mut ingested: Ingested, rules: &RuleSet, options: &AnalysisOptions) -> Analysis {
    let directory = Directory::build(&ingested.events);
    identity::resolve_events(&mut ingested.events, &directory);
    analyzers::signin::spread_locations(&mut ingested.events);
    let tenant = Tenant::infer(&ingested.events, &options.internal_domains);
    let tenant_name = options
        .tenant
        .clone()
        .or_else(|| crate::ingest::tenant(&ingested.events));

    let events = &ingested.events;
    let inputs = &ingested.inputs;
    let mut findings = rules.evaluate(events, &tenant, inputs);
    let book = analyzers::inbox_rules::RuleBook::build(events);
    analyzers::inbox_rules::annotate_lifecycle(&mut findings, events, &book);
    findings.extend(analyzers::inbox_rules::hidden_rules(events, &book, inputs));
    findings.extend(analyzers::signin::analyze(events, inputs, &options.signin));
    let shared = analyzers::forwarding::shared_destinations(&findings, &tenant);
    findings.extend(shared);
    finding::finalize(&mut findings);
    let accounts = accounts(&findings);
    Analysis {
        ingested,
        tenant_name,
        tenant,
        findings,
        accounts,
    }
}

/// Verdicts per account (design.md section 8, "Verdict"): compromised on a high or critical
/// finding from non-system activity, or two medium findings of different families that share
/// an indicator; suspicious on any medium finding or an IP shared with a compromised account.
fn accounts(findings: &[Finding]) -> Vec<Account> {
    let mut by_user: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        if let Some(user) = f.user.as_deref() {
            by_user.entry(user).or_default().push(f);
        }
    }
    let person = |f: &Finding| !f.actor.as_deref().is_some_and(is_system_actor);
    let mut accounts: Vec<Account> = by_user
        .iter()
        .map(|(user, fs)| {
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
            let mut attacker_ips: BTreeSet<IpAddr> = BTreeSet::new();
            if verdict == Verdict::Compromised {
                let chosen = if medium_pair {
                    serious.iter().chain(mediums.iter()).collect::<Vec<_>>()
                } else {
                    serious.iter().collect()
                };
                for f in chosen {
                    attacker_ips.extend(f.indicators.ips.iter().copied());
                }
            }
            Account {
                user: user.to_string(),
                verdict,
                max_severity,
                findings: fs.iter().map(|f| f.id.clone()).collect(),
                attacker_ips: attacker_ips.into_iter().collect(),
            }
        })
        .collect();
    // An account seen from a compromised account's attacker IPs is at least suspicious.
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
