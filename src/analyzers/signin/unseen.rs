//! `signin.unseen-ip-mailbox-access`: mailbox activity from an address the account never signed
//! in from, a stolen token or session in use.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde_json::Value;

use super::Scope;
use crate::analyzers::finding_for;
use crate::event::SourceKind;
use crate::finding::{Finding, Severity};
use crate::infra::auth::INTERRUPTS;

pub(super) fn findings(scope: &Scope<'_>) -> Vec<Finding> {
    // Every authentication counts here, non-interactive refreshes and UAL logons included: an
    // address the account authenticated from in any log is not unseen.
    let attempts = crate::infra::auth::attempts(scope.events);
    let signed_in: BTreeMap<&str, BTreeSet<IpAddr>> = attempts
        .iter()
        .filter(|a| a.success || INTERRUPTS.contains(&a.code))
        .fold(BTreeMap::new(), |mut m, a| {
            if let Some(ip) = a.ip {
                m.entry(a.user).or_insert_with(BTreeSet::new).insert(ip);
            }
            m
        });
    let mut findings = Vec::new();
    let mut reported: BTreeSet<(&str, IpAddr)> = BTreeSet::new();
    for e in scope.events.iter().filter(|e| e.source == SourceKind::Ual) {
        let (Some(ip), Some(time), Some(user)) = (e.ip, e.time, e.actor.as_deref()) else {
            continue;
        };
        if !MAILBOX_ACTIVITY
            .iter()
            .any(|op| e.operation.eq_ignore_ascii_case(op))
        {
            continue;
        }
        let Some(known) = signed_in.get(user) else {
            continue;
        };
        if known.contains(&ip)
            || scope.infra.holds_event(e)
            || !scope.in_scope(time)
            || !reported.insert((user, ip))
        {
            continue;
        }
        let mut f = finding_for(
            e,
            scope.inputs,
            "signin.unseen-ip-mailbox-access",
            Severity::High,
            format!(
                "{} ({}) from {ip}, an address from which {user} never signed in: a replayed token or session",
                e.operation,
                e.client.client_info.as_deref().unwrap_or("client unknown")
            ),
        );
        f.fields.insert("ip".into(), Value::String(ip.to_string()));
        findings.push(f);
    }
    findings
}

/// Mailbox and file operations that need a token (UAL).
const MAILBOX_ACTIVITY: &[&str] = &[
    "MailItemsAccessed",
    "Send",
    "SendAs",
    "SendOnBehalf",
    "New-InboxRule",
    "Set-InboxRule",
    "UpdateInboxRules",
    "Set-Mailbox",
    "HardDelete",
    "SoftDelete",
    "MoveToDeletedItems",
    "FileDownloaded",
    "FileAccessed",
    "Set-MailboxMessageConfiguration",
    "Add-MailboxFolderPermission",
    "Create",
    "Update",
];
