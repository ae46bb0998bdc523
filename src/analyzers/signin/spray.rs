//! `signin.password-spray` and the `signin.brute-force-success` of an account that a spraying
//! source then signed in to.
//!
//! A spray is one source, an address or (for rotating proxies) a network, failing against many
//! distinct accounts in a short time, with a failure pattern unlike ordinary typos: accounts that
//! do not exist (50034), lockouts (50053), or failures at least three times the tenant's rate and
//! most of the source's attempts. The office NAT fails against many accounts every morning; as
//! tenant infrastructure its failures are typos unless they burst far beyond its own baseline.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ipnet::IpNet;
use serde_json::Value;

use super::{Auth, Scope, is_credential_failure};
use crate::analyzers::{evidence, finding_for};
use crate::finding::{Finding, Severity};
use crate::infra::auth::{LOCKED_OUT, NONEXISTENT_ACCOUNT};
use crate::infra::network;
use crate::ingest::time::format_utc;

/// Where a spray came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Address(IpAddr),
    /// Several addresses of one /24 or /48 taking turns.
    Network(IpNet),
}

impl Source {
    fn holds(&self, ip: Option<IpAddr>) -> bool {
        match (self, ip) {
            (Source::Address(a), Some(ip)) => *a == ip,
            (Source::Network(n), Some(ip)) => n.contains(&ip),
            _ => false,
        }
    }

    fn text(&self) -> String {
        match self {
            Source::Address(a) => a.to_string(),
            Source::Network(n) => n.to_string(),
        }
    }
}

/// One password spray: its source, when it ran, and the accounts it tried.
struct Spray {
    source: Source,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    targets: BTreeSet<String>,
}

/// Runs of failures against many accounts within the window, overlapping windows merged.
fn runs(fails: &[&Auth], scope: &Scope<'_>, source: Source) -> Vec<Spray> {
    let window = scope.options.spray_window;
    let mut out: Vec<Spray> = Vec::new();
    let mut start = 0;
    for end in 0..fails.len() {
        while fails[end].time - fails[start].time > window {
            start += 1;
        }
        let users: BTreeSet<String> = fails[start..=end].iter().map(|a| a.user.clone()).collect();
        if users.len() < scope.options.spray_accounts {
            continue;
        }
        match out.last_mut() {
            Some(c) if fails[start].time <= c.last + window => {
                c.last = fails[end].time;
                c.targets.extend(users);
            }
            _ => out.push(Spray {
                source,
                first: fails[start].time,
                last: fails[end].time,
                targets: users,
            }),
        }
    }
    out
}

/// Does a run look like a spray rather than the source's ordinary failures?
fn is_spray(run: &Spray, attempts: &[&Auth], scope: &Scope<'_>) -> bool {
    let inside: Vec<&&Auth> = attempts
        .iter()
        .filter(|a| a.time >= run.first && a.time <= run.last)
        .collect();
    let failures: Vec<&&&Auth> = inside.iter().filter(|a| is_credential_failure(a)).collect();
    let nonexistent = failures.iter().any(|a| a.code == NONEXISTENT_ACCOUNT);
    let lockouts = failures.iter().filter(|a| a.code == LOCKED_OUT).count();
    let ratio = failures.len() as f64 / inside.len().max(1) as f64;
    let own_failures = attempts.iter().filter(|a| is_credential_failure(a)).count();
    let tenant = scope
        .view
        .failure_ratio_without(own_failures, attempts.len());
    let unusual_ratio = ratio >= 0.5 && ratio >= 3.0 * tenant;
    nonexistent || lockouts >= 2 || unusual_ratio
}

/// For tenant infrastructure: is the run far beyond the source's own failures on other days?
fn beyond_own_baseline(run: &Spray, fails: &[&Auth], scope: &Scope<'_>) -> bool {
    let day = run.first.date_naive();
    let mut per_day: BTreeMap<NaiveDate, BTreeSet<&str>> = BTreeMap::new();
    for a in fails.iter().filter(|a| a.time.date_naive() != day) {
        per_day
            .entry(a.time.date_naive())
            .or_default()
            .insert(a.user.as_str());
    }
    let mut counts: Vec<usize> = per_day.values().map(BTreeSet::len).collect();
    counts.sort_unstable();
    let typical = counts.get(counts.len() / 2).copied().unwrap_or(0);
    run.targets.len() >= (2 * scope.options.spray_accounts).max(3 * typical)
}

fn failing<'a>(list: &[&'a Auth]) -> Vec<&'a Auth> {
    list.iter()
        .copied()
        .filter(|a| is_credential_failure(a))
        .collect()
}

/// The sprays of the evidence, by address, then by network for rotating sources.
fn sprays(scope: &Scope<'_>) -> Vec<Spray> {
    let mut by_ip: BTreeMap<IpAddr, Vec<&Auth>> = BTreeMap::new();
    for a in scope.auths {
        if let Some(ip) = a.ip {
            by_ip.entry(ip).or_default().push(a);
        }
    }
    let mut sprays: Vec<Spray> = Vec::new();
    let mut by_net: BTreeMap<IpNet, Vec<&Auth>> = BTreeMap::new();
    for (ip, list) in &by_ip {
        let fails = failing(list);
        let infra = scope.infra(Some(*ip));
        for run in runs(&fails, scope, Source::Address(*ip)) {
            if is_spray(&run, list, scope) && (!infra || beyond_own_baseline(&run, &fails, scope)) {
                sprays.push(run);
            }
        }
        if !infra {
            by_net
                .entry(network(*ip))
                .or_default()
                .extend(list.iter().copied());
        }
    }
    // Rotating proxies: a network whose addresses each stay under the threshold.
    for (net, mut list) in by_net {
        list.sort_by_key(|a| (a.time, a.event));
        let fails = failing(&list);
        let addresses: BTreeSet<IpAddr> = fails.iter().filter_map(|a| a.ip).collect();
        if addresses.len() < 2 {
            continue;
        }
        for run in runs(&fails, scope, Source::Network(net)) {
            let covered = sprays.iter().any(|s| {
                matches!(s.source, Source::Address(ip) if net.contains(&ip))
                    && s.first <= run.last
                    && run.first <= s.last
            });
            if !covered && is_spray(&run, &list, scope) {
                sprays.push(run);
            }
        }
    }
    sprays
}

/// Every spray, and every success from a spraying source within the hour around it.
pub(super) fn findings(scope: &Scope<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for spray in sprays(scope) {
        let hour = Duration::hours(1);
        let successes: Vec<&Auth> = scope
            .auths
            .iter()
            .filter(|a| {
                a.success
                    && spray.source.holds(a.ip)
                    && a.time >= spray.first - hour
                    && a.time <= spray.last + hour
            })
            .collect();
        let failed: Vec<&Auth> = scope
            .auths
            .iter()
            .filter(|a| {
                is_credential_failure(a)
                    && spray.source.holds(a.ip)
                    && a.time >= spray.first
                    && a.time <= spray.last
            })
            .collect();
        findings.push(spray_finding(scope, &spray, &successes, &failed));
        let source = spray.source.text();
        for s in &successes {
            let mut f = finding_for(
                &scope.events[s.event],
                scope.inputs,
                "signin.brute-force-success",
                Severity::High,
                format!(
                    "{} signed in successfully from {}, which failed against {} accounts between {} and {}",
                    s.user,
                    s.ip.map_or_else(|| source.clone(), |ip| ip.to_string()),
                    spray.targets.len(),
                    format_utc(spray.first),
                    format_utc(spray.last)
                ),
            );
            f.fields
                .insert("source_ip".into(), Value::String(source.clone()));
            findings.push(f);
        }
    }
    findings
}

fn spray_finding(
    scope: &Scope<'_>,
    spray: &Spray,
    successes: &[&Auth],
    failed: &[&Auth],
) -> Finding {
    let anchor = successes
        .first()
        .or(failed.first())
        .map(|a| a.event)
        .unwrap_or_default();
    let compromised: BTreeSet<&str> = successes.iter().map(|a| a.user.as_str()).collect();
    let source = spray.source.text();
    let mut f = finding_for(
        &scope.events[anchor],
        scope.inputs,
        "signin.password-spray",
        Severity::Medium,
        format!(
            "{source} failed to sign in as {} accounts between {} and {}{}",
            spray.targets.len(),
            format_utc(spray.first),
            format_utc(spray.last),
            if compromised.is_empty() {
                String::new()
            } else {
                format!(
                    "; it then signed in successfully as {}",
                    compromised.iter().copied().collect::<Vec<_>>().join(", ")
                )
            }
        ),
    );
    f.time = Some(spray.first);
    if compromised.is_empty() {
        // A spray that got nowhere is about the tenant, not one account.
        f.user = None;
        f.actor = None;
    }
    f.fields.insert("source_ip".into(), Value::String(source));
    f.fields.insert(
        "targets".into(),
        Value::from(spray.targets.iter().cloned().collect::<Vec<_>>()),
    );
    f.fields
        .insert("failures".into(), Value::from(failed.len()));
    f.fields.insert(
        "compromised".into(),
        Value::from(
            compromised
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        ),
    );
    for a in failed.iter().take(20) {
        let e = evidence(&scope.events[a.event], scope.inputs);
        if !f.evidence.contains(&e) {
            f.evidence.push(e);
        }
    }
    f
}
