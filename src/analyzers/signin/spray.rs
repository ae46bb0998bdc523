//! `signin.password-spray` and the `signin.brute-force-success` of an account that a spraying
//! address then signed in to.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::{Auth, Scope, is_credential_failure};
use crate::analyzers::finding_for;
use crate::finding::{Finding, Severity};
use crate::ingest::time::format_utc;

/// One password spray: an address, when it ran, and the accounts it tried.
struct Spray {
    ip: IpAddr,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    targets: BTreeSet<String>,
}

/// The sprays of the evidence: one address failing against many accounts in a short window.
#[allow(clippy::type_complexity)]
fn sprays<'a>(scope: &Scope<'a>) -> (Vec<Spray>, BTreeMap<IpAddr, Vec<&'a Auth>>) {
    let mut sprays: Vec<Spray> = Vec::new();
    let mut failures_by_ip: BTreeMap<IpAddr, Vec<&Auth>> = BTreeMap::new();
    for a in scope.auths.iter().filter(|a| is_credential_failure(a)) {
        if let Some(ip) = a.ip {
            failures_by_ip.entry(ip).or_default().push(a);
        }
    }
    for (ip, fails) in &failures_by_ip {
        if scope.allowed(Some(*ip)) {
            continue;
        }
        let mut start = 0;
        let mut current: Option<Spray> = None;
        for end in 0..fails.len() {
            while fails[end].time - fails[start].time > scope.options.spray_window {
                start += 1;
            }
            let users: BTreeSet<String> =
                fails[start..=end].iter().map(|a| a.user.clone()).collect();
            if users.len() >= scope.options.spray_accounts {
                match current.as_mut() {
                    // Overlapping windows are one spray.
                    Some(c) if fails[start].time <= c.last + scope.options.spray_window => {
                        c.last = fails[end].time;
                        c.targets.extend(users);
                    }
                    _ => {
                        sprays.extend(current.take());
                        current = Some(Spray {
                            ip: *ip,
                            first: fails[start].time,
                            last: fails[end].time,
                            targets: users,
                        });
                    }
                }
            }
        }
        sprays.extend(current);
    }
    (sprays, failures_by_ip)
}

/// Every spray, and every success from a spraying address within the hour around it.
pub(super) fn findings(scope: &Scope<'_>) -> Vec<Finding> {
    let (sprays, failures_by_ip) = sprays(scope);
    let mut findings = Vec::new();
    for Spray {
        ip,
        first,
        last,
        targets,
    } in &sprays
    {
        let hour = Duration::hours(1);
        let successes: Vec<&Auth> = scope
            .auths
            .iter()
            .filter(|a| {
                a.success && a.ip == Some(*ip) && a.time >= *first - hour && a.time <= *last + hour
            })
            .collect();
        let failed: Vec<&&Auth> = failures_by_ip[ip]
            .iter()
            .filter(|a| a.time >= *first && a.time <= *last)
            .collect();
        let anchor = successes
            .first()
            .map(|a| a.event)
            .unwrap_or(failed[0].event);
        let compromised: BTreeSet<&str> = successes.iter().map(|a| a.user.as_str()).collect();
        let mut f = finding_for(
            &scope.events[anchor],
            scope.inputs,
            "signin.password-spray",
            Severity::Medium,
            format!(
                "{ip} failed to sign in as {} accounts between {} and {}{}",
                targets.len(),
                format_utc(*first),
                format_utc(*last),
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
        f.time = Some(*first);
        if compromised.is_empty() {
            // A spray that got nowhere is about the tenant, not one account.
            f.user = None;
            f.actor = None;
        }
        f.fields
            .insert("source_ip".into(), Value::String(ip.to_string()));
        f.fields.insert(
            "targets".into(),
            Value::from(targets.iter().cloned().collect::<Vec<_>>()),
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
            let e = crate::analyzers::evidence(&scope.events[a.event], scope.inputs);
            if !f.evidence.contains(&e) {
                f.evidence.push(e);
            }
        }
        findings.push(f);
        for s in &successes {
            let mut f = finding_for(
                &scope.events[s.event],
                scope.inputs,
                "signin.brute-force-success",
                Severity::High,
                format!(
                    "{} signed in successfully from {ip}, which failed against {} accounts between {} and {}",
                    s.user,
                    targets.len(),
                    format_utc(*first),
                    format_utc(*last)
                ),
            );
            f.fields
                .insert("source_ip".into(), Value::String(ip.to_string()));
            findings.push(f);
        }
    }

    findings
}
