//! Which attributes of the bulk sources an analysis keeps (docs/performance.md, summary).
//!
//! A Unified Audit Log record carries about forty fields, and a sign-in record more; the rules,
//! the analyzers, the timeline and the identity directory read a few of them. Keeping every
//! field of every event made the heap of an analysis about 1.7 times its input. The plan is
//! the union of what the loaded rules name (the rule compiler knows) and what the Rust code
//! reads ([`CONSUMED`], [`CONSUMED_PREFIXES`]); attributes outside it are dropped from audit
//! and sign-in events once they are normalized. The typed core of each event (time, accounts,
//! address, client, outcome, object) is filled before, from the whole record. The small
//! sources (inbox-rule dumps, mailboxes, message traces, Sent Items, directory audit) keep
//! everything. The record itself stays in its input at its line, which the evidence names.
//!
//! `tests/field_plan.rs` runs the analysis with and without the plan over the sample case and
//! the shared exports and requires byte-identical reports: a key read in code but missing here
//! fails it.

use std::collections::BTreeSet;

use crate::event::{Event, FnvHasher, SourceKind};
use crate::rules::Catalogue;

/// Attribute keys read by name outside the rules: analyzers, timeline summaries, identity
/// directory, window and tenant inference.
pub const CONSUMED: &[&str] = &[
    // identity.rs, besides its MAILBOX_NAME_KEYS
    "EmailAddresses",
    "MailboxOwnerUPN",
    "MailboxGuid",
    "UserKey",
    "userId",
    // tenant inference (ingest::tenant, tenant.rs)
    "OrganizationName",
    // analyzers/mail, timeline.rs
    "Direction",
    "FromIP",
    "InternetMessageId",
    "IsThrottled",
    "MailAccessType",
    "MessageId",
    "OperationCount",
    "Recipient",
    "SaveToSentItems",
    "SendAsUserSmtp",
    "SendOnBehalfOfUserSmtp",
    "Source",
    "Status",
    "Subject",
    "recipientCount",
    // signin.rs
    "authenticationProtocol",
    "riskEventTypes",
    "riskEventTypes_v2",
    "riskLevelAggregated",
    "riskLevelDuringSignIn",
    "riskState",
];

/// Attribute families read by prefix or as a whole: cmdlet parameters and properties (rule
/// actions, forwarding, permissions), the items and folders of mailbox audit records (message
/// ids joined with message traces and Sent Items), Entra targets.
pub const CONSUMED_PREFIXES: &[&str] = &[
    "Parameters.",
    "ModifiedProperties.",
    "modifiedProperties.",
    "OperationProperties.",
    "AffectedItems.",
    "Item.",
    "Folder.",
    "Folders.",
    "Target.",
    "targetResources.",
    "recipientList.",
];

fn consumed() -> impl Iterator<Item = &'static str> {
    CONSUMED
        .iter()
        .chain(crate::identity::MAILBOX_NAME_KEYS)
        .copied()
}

/// The attributes kept for audit and sign-in events.
#[derive(Debug, Clone)]
pub struct FieldPlan {
    /// FNV hashes of the lower-cased kept keys, sorted: a key is looked up without allocating.
    exact: Vec<(u64, Box<str>)>,
    prefixes: Vec<Box<str>>,
}

impl FieldPlan {
    /// What an analysis with `rules` reads.
    pub fn for_rules(rules: &Catalogue) -> FieldPlan {
        let mut keys: BTreeSet<String> = consumed().map(str::to_string).collect();
        keys.extend(rules.referenced_fields());
        FieldPlan::new(
            keys.iter().map(String::as_str),
            CONSUMED_PREFIXES.iter().copied(),
        )
    }

    /// What is read without any rule (`inspect`: the tenant name and the identity directory).
    pub fn without_rules() -> FieldPlan {
        FieldPlan::new(consumed(), CONSUMED_PREFIXES.iter().copied())
    }

    pub fn new<'a>(
        keys: impl IntoIterator<Item = &'a str>,
        prefixes: impl IntoIterator<Item = &'a str>,
    ) -> FieldPlan {
        let mut exact: Vec<(u64, Box<str>)> = keys
            .into_iter()
            .filter(|k| !k.starts_with('@'))
            .map(|k| (caseless_hash(k), k.into()))
            .collect();
        exact.sort();
        exact.dedup();
        FieldPlan {
            exact,
            prefixes: prefixes.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether the events of `source` are trimmed to the plan.
    pub fn applies_to(source: SourceKind) -> bool {
        matches!(source, SourceKind::Ual | SourceKind::Signin)
    }

    /// Whether `key` is kept (ASCII case-insensitive, as attribute look-ups are).
    pub fn keeps(&self, key: &str) -> bool {
        let h = caseless_hash(key);
        let start = self.exact.partition_point(|(x, _)| *x < h);
        self.exact[start..]
            .iter()
            .take_while(|(x, _)| *x == h)
            .any(|(_, k)| k.eq_ignore_ascii_case(key))
            || self.prefixes.iter().any(|p| {
                key.len() >= p.len() && key.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
            })
    }

    /// Drops the attributes of `event` outside the plan, if its source is trimmed, and records
    /// a digest of what was dropped.
    pub fn trim(&self, event: &mut Event) {
        if !FieldPlan::applies_to(event.source) {
            return;
        }
        let mut digest = xxhash_rust::xxh3::Xxh3::new();
        let mut dropped = false;
        event.attrs.retain(|key, value| {
            let keep = self.keeps(key);
            if !keep {
                dropped = true;
                digest.update(key.as_bytes());
                digest.update(&[0]);
                digest.update(value.as_bytes());
                digest.update(&[0]);
            }
            keep
        });
        if dropped {
            event.dropped_digest = digest.digest();
        }
    }
}

fn caseless_hash(key: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = FnvHasher::default();
    for b in key.bytes() {
        h.write(&[b.to_ascii_lowercase()]);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Provenance;

    #[test]
    fn keeps_named_keys_and_prefixes_without_case_and_drops_the_rest() {
        let plan = FieldPlan::new(["MailboxOwnerUPN", "@operation"], ["Parameters."]);
        assert!(plan.keeps("MailboxOwnerUPN"));
        assert!(plan.keeps("mailboxownerupn"));
        assert!(plan.keeps("Parameters.ForwardTo"));
        assert!(plan.keeps("PARAMETERS.x"));
        assert!(!plan.keeps("Parameters"));
        assert!(!plan.keeps("DeviceProperties.Name"));
        assert!(!plan.keeps("@operation"));
        assert!(!plan.keeps(""));
    }

    #[test]
    fn trims_bulk_sources_only() {
        let plan = FieldPlan::new(["Subject"], []);
        let prov = Provenance {
            input: 0,
            line: 1,
            record: 1,
        };
        for (source, kept) in [(SourceKind::Ual, 1), (SourceKind::InboxRules, 2)] {
            let mut e = Event::new(source, "x", prov);
            e.attrs.push("Subject", "s");
            e.attrs.push("ClientInfoString", "c");
            plan.trim(&mut e);
            assert_eq!(e.attrs.len(), kept, "{source}");
            assert_eq!(e.dropped_digest != 0, kept == 1, "{source}");
        }
    }

    #[test]
    fn the_builtin_rules_fields_are_in_the_plan() {
        let rules = Catalogue::load(None).unwrap();
        let plan = FieldPlan::for_rules(&rules);
        assert!(plan.keeps("Parameters.ForwardingSmtpAddress"));
        for key in rules.referenced_fields() {
            assert!(plan.keeps(&key), "{key}");
        }
        assert!(!plan.keeps("AppAccessContext.UniqueTokenId"));
        for key in crate::identity::MAILBOX_NAME_KEYS {
            assert!(plan.keeps(key), "{key}");
        }
    }
}
