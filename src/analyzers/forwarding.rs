//! `forwarding.shared-destination`: several mailboxes forwarding to one address (Sentinel's
//! "Multiple users email forwarded to same destination"), built on the forwarding findings.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::tenant::{Tenant, addresses_in};

/// Several mailboxes forwarding to one destination.
pub struct SharedDestinations;

impl super::Analyzer for SharedDestinations {
    fn name(&self) -> &'static str {
        "forwarding"
    }

    fn rules(&self) -> &'static [&'static str] {
        &["forwarding.shared-destination"]
    }

    fn run(&self, cx: &super::Context<'_>, prior: &[Finding]) -> Vec<Finding> {
        shared_destinations(prior, cx.tenant)
    }
}

pub fn shared_destinations(findings: &[Finding], tenant: &Tenant) -> Vec<Finding> {
    // destination → mailbox → the first forwarding finding of that mailbox
    let mut by_destination: BTreeMap<String, BTreeMap<String, &Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| {
        matches!(
            f.rule.as_str(),
            "forwarding.mailbox-smtp" | "forwarding.inbox-rule"
        )
    }) {
        let Some(user) = f.user.as_deref() else {
            continue;
        };
        let destinations: Vec<String> = match f.fields.get("forward_to") {
            Some(Value::String(s)) => addresses_in(s),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .flat_map(addresses_in)
                .collect(),
            _ => Vec::new(),
        };
        for d in destinations {
            by_destination
                .entry(d)
                .or_default()
                .entry(user.to_string())
                .or_insert(f);
        }
    }
    let mut out = Vec::new();
    for (destination, mailboxes) in by_destination {
        if mailboxes.len() < 2 {
            continue;
        }
        let all: BTreeSet<&str> = mailboxes.keys().map(String::as_str).collect();
        let external = !tenant.is_internal(&destination);
        for (mailbox, source) in &mailboxes {
            let others: Vec<&str> = all.iter().copied().filter(|m| m != mailbox).collect();
            let mut f = (*source).clone();
            f.rule = "forwarding.shared-destination".into();
            f.severity = if external {
                Severity::High
            } else {
                Severity::Medium
            };
            f.summary = format!(
                "{mailbox} forwards to {destination}, as do {} other mailbox(es): {}",
                others.len(),
                others.join(", ")
            );
            f.fields = BTreeMap::from([
                (
                    "destination".to_string(),
                    Value::String(destination.clone()),
                ),
                (
                    "mailboxes".to_string(),
                    Value::from(all.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
                ),
                ("based_on".to_string(), Value::String(source.rule.clone())),
            ]);
            out.push(f);
        }
    }
    out
}
