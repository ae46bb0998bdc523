//! The timeline: every event of a compromised account inside its suspect window, plus every
//! event behind a finding, one line each in words a non-specialist can follow.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::{Event, SourceKind};
use crate::finding::Finding;
use crate::ingest::InputSummary;
use crate::rules::condition::{rule_actions, rule_conditions};
use crate::window::Account;

/// One line of the timeline (report `timeline[]`).
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub time: Option<DateTime<Utc>>,
    pub user: Option<String>,
    pub source: SourceKind,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub summary: String,
    /// Findings this event is evidence of.
    pub findings: Vec<String>,
    /// Inside the account's suspect window.
    pub in_window: bool,
    pub evidence: EntryEvidence,
}

#[derive(Debug, Clone, Serialize)]
pub struct EntryEvidence {
    pub input: String,
    pub line: u64,
}

/// Builds the timeline in report order (time, user, input, line).
pub fn build(
    events: &[Event],
    findings: &[Finding],
    accounts: &[Account],
    inputs: &[InputSummary],
) -> Vec<Entry> {
    // Which findings each (input, line) is evidence of.
    let mut flagged: BTreeMap<(u32, u64), BTreeSet<String>> = BTreeMap::new();
    for f in findings {
        for e in &f.evidence {
            flagged
                .entry((e.input_index, e.line))
                .or_default()
                .insert(f.id.clone());
        }
    }
    let windows: BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> = accounts
        .iter()
        .filter_map(|a| {
            a.window
                .as_ref()
                .map(|w| (a.user.as_str(), (w.start, w.end)))
        })
        .collect();
    let mut entries = Vec::new();
    for e in events {
        let ids = flagged.get(&(e.prov.input, e.prov.line));
        let account = [e.user.as_deref(), e.actor.as_deref()]
            .into_iter()
            .flatten()
            .find(|u| windows.contains_key(u));
        let in_window = match (account, e.time) {
            (Some(u), Some(t)) => {
                let (start, end) = windows[u];
                t >= start && t <= end
            }
            _ => false,
        };
        if ids.is_none() && !in_window {
            continue;
        }
        entries.push(Entry {
            time: e.time,
            user: account.or(e.user.as_deref()).map(str::to_owned),
            source: e.source,
            action: e.operation.to_string(),
            ip: e.ip.map(|ip| ip.to_string()),
            country: e
                .location
                .as_deref()
                .and_then(|l| l.country.as_deref())
                .map(str::to_owned),
            summary: describe(e),
            findings: ids.map(|s| s.iter().cloned().collect()).unwrap_or_default(),
            in_window,
            evidence: EntryEvidence {
                input: inputs
                    .get(e.prov.input as usize)
                    .map_or_else(String::new, |i| i.path.clone()),
                line: e.prov.line,
            },
        });
    }
    entries.sort_by(|a, b| {
        (a.time, &a.user, &a.evidence.input, a.evidence.line).cmp(&(
            b.time,
            &b.user,
            &b.evidence.input,
            b.evidence.line,
        ))
    });
    entries
}

fn from(e: &Event) -> String {
    let mut s = String::new();
    if let Some(ip) = e.ip {
        s.push_str(&format!(" from {ip}"));
        if let Some(loc) = e.location.as_deref() {
            let place: Vec<&str> = [loc.city.as_deref(), loc.country.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if !place.is_empty() {
                s.push_str(&format!(" ({})", place.join(", ")));
            }
        }
    }
    s
}

fn first<'a>(e: &'a Event, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| e.attr(k).filter(|v| !v.trim().is_empty()))
}

fn list(e: &Event, key: &str, max: usize) -> String {
    let all: Vec<&str> = e.attrs.get_all(key).filter(|v| !v.is_empty()).collect();
    let mut s = all.iter().take(max).copied().collect::<Vec<_>>().join(", ");
    if all.len() > max {
        s.push_str(&format!(" and {} more", all.len() - max));
    }
    s
}

/// One event in plain words.
pub fn describe(e: &Event) -> String {
    let actor = e.actor.as_deref().unwrap_or("someone");
    let user = e.user.as_deref().unwrap_or("the account");
    let by = if e.actor.is_some() && e.actor != e.user {
        format!(" by {actor}")
    } else {
        String::new()
    };
    let op = e.operation.trim_end_matches('.');
    let sign_in =
        e.source == SourceKind::Signin || matches!(op, "UserLoggedIn" | "UserLoginFailed");
    match e.source {
        _ if sign_in => {
            let kind = match op {
                "NonInteractiveSignIn" => "Token sign-in",
                "ServicePrincipalSignIn" => "Application sign-in",
                "ManagedIdentitySignIn" => "Managed-identity sign-in",
                _ => "Sign-in",
            };
            let outcome = match (e.outcome.success, e.outcome.code.as_deref()) {
                (Some(true), _) => "succeeded".to_string(),
                (_, Some(code)) => format!(
                    "failed ({code}{})",
                    e.outcome
                        .reason
                        .as_deref()
                        .map(|r| format!(": {}", r.trim_end_matches('.')))
                        .unwrap_or_default()
                ),
                _ => "failed".to_string(),
            };
            let client = e
                .client
                .client_info
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(|c| format!(" with {c}"))
                .unwrap_or_default();
            let app = e
                .client
                .app
                .as_deref()
                .map(|a| format!(" to {a}"))
                .unwrap_or_default();
            format!("{kind} of {user}{app}{}{client} {outcome}", from(e))
        }
        SourceKind::InboxRules => format!(
            "Get-InboxRule lists rule '{}' on {user}: when {}, it {}",
            e.object.as_deref().unwrap_or(""),
            non_empty(rule_conditions(e), "any message arrives"),
            non_empty(rule_actions(e), "(no action recorded)")
        ),
        SourceKind::Mailbox => format!(
            "Get-Mailbox shows {user} forwarding to {}",
            first(e, &["ForwardingSmtpAddress.Address", "ForwardingAddress"]).unwrap_or("no one")
        ),
        SourceKind::MessageTrace => format!(
            "Message '{}' from {} to {} ({}){}",
            first(e, &["Subject"]).unwrap_or(""),
            user,
            list(e, "Recipient", 3),
            first(e, &["Status"]).unwrap_or("status unknown"),
            first(e, &["FromIP"])
                .map(|ip| format!(", submitted from {ip}"))
                .unwrap_or_default()
        ),
        SourceKind::SentItems => format!(
            "In the Sent Items of {user}: '{}' to {}",
            first(e, &["Subject"]).unwrap_or(""),
            list(e, "Recipient", 3)
        ),
        SourceKind::EntraAudit => format!(
            "{op} for {user}{by}{}{}",
            from(e),
            if e.outcome.success == Some(false) {
                " (failed)"
            } else {
                ""
            }
        ),
        SourceKind::Ual | SourceKind::Signin => describe_audit(e, op, user, &by),
    }
}

fn non_empty(items: Vec<String>, default: &str) -> String {
    if items.is_empty() {
        default.to_string()
    } else {
        items.join(", ")
    }
}

fn describe_audit(e: &Event, op: &str, user: &str, by: &str) -> String {
    let failed = if e.outcome.success == Some(false) {
        " (the attempt failed)"
    } else {
        ""
    };
    let at = from(e);
    let text = match op {
        "New-InboxRule" | "Set-InboxRule" | "Enable-InboxRule" | "Disable-InboxRule"
        | "Remove-InboxRule" => {
            let verb = match op {
                "New-InboxRule" => "created",
                "Set-InboxRule" => "changed",
                "Enable-InboxRule" => "enabled",
                "Disable-InboxRule" => "disabled",
                _ => "removed",
            };
            let name = first(e, &["Parameters.Name", "Parameters.Identity"]).unwrap_or("");
            let what = if matches!(op, "New-InboxRule" | "Set-InboxRule") {
                format!(
                    ": when {}, it {}",
                    non_empty(rule_conditions(e), "any message arrives"),
                    non_empty(rule_actions(e), "(no action given)")
                )
            } else {
                String::new()
            };
            format!("Inbox rule '{name}' {verb} on {user}{by}{at}{what}")
        }
        "UpdateInboxRules" => format!(
            "Outlook rule {} on {user}{at} (name '{}', provider '{}')",
            match first(e, &["OperationProperties.RuleOperation"]) {
                Some("AddMailboxRule") => "added",
                Some("RemoveMailboxRule") => "removed",
                _ => "changed",
            },
            e.attr("OperationProperties.RuleName").unwrap_or(""),
            e.attr("OperationProperties.RuleProvider").unwrap_or("")
        ),
        "Set-Mailbox"
            if e.attr("Parameters.ForwardingSmtpAddress").is_some()
                || e.attr("Parameters.ForwardingAddress").is_some() =>
        {
            match first(
                e,
                &[
                    "Parameters.ForwardingSmtpAddress",
                    "Parameters.ForwardingAddress",
                ],
            ) {
                Some(to) => format!(
                    "Forwarding of all mail of {user} set to {}{by}{at} (copy kept: {})",
                    crate::ingest::fields::strip_smtp_prefix(to),
                    e.attr("Parameters.DeliverToMailboxAndForward")
                        .unwrap_or("not said")
                ),
                None => format!("Forwarding of {user} cleared{by}{at}"),
            }
        }
        "MailItemsAccessed" => {
            let access = e.attr("OperationProperties.MailAccessType").unwrap_or("");
            let items = e
                .attrs
                .get_all("Folders.FolderItems.InternetMessageId")
                .count();
            let folders = list(e, "Folders.Path", 3);
            if access.eq_ignore_ascii_case("Sync") {
                format!(
                    "Mail folders of {user} synchronised ({folders}){at} by {}",
                    e.client.client_info.as_deref().unwrap_or("a client")
                )
            } else {
                format!(
                    "{items} message(s) of {user} opened in {folders}{at} by {}",
                    e.client.client_info.as_deref().unwrap_or("a client")
                )
            }
        }
        "Send" | "SendAs" | "SendOnBehalf" => format!(
            "Mail sent as {user}{by}{at}: '{}' to {}",
            first(e, &["Item.Subject"]).unwrap_or(""),
            if e.attr("recipientList.Address").is_some() {
                list(e, "recipientList.Address", 3)
            } else {
                "recipients not logged".into()
            }
        ),
        "HardDelete" | "SoftDelete" | "MoveToDeletedItems" => {
            let how = match op {
                "HardDelete" => "permanently deleted",
                "SoftDelete" => "deleted (recoverable)",
                _ => "moved to Deleted Items",
            };
            format!(
                "{} item(s) of {user} {how} from {}{at}: '{}'",
                e.attrs.get_all("AffectedItems.Subject").count().max(1),
                first(e, &["Folder.Path", "AffectedItems.ParentFolder.Path"]).unwrap_or("a folder"),
                list(e, "AffectedItems.Subject", 2)
            )
        }
        "Consent to application" => format!(
            "{user} consented to the application '{}'{at}",
            first(e, &["Target.ID"]).unwrap_or("")
        ),
        "Set-MailboxMessageConfiguration" => {
            format!("Signature or message settings of {user} changed{by}{at}")
        }
        "Add-MailboxPermission"
        | "Add-RecipientPermission"
        | "Add-MailboxFolderPermission"
        | "Set-MailboxFolderPermission" => format!(
            "{} given {} on {}{by}{at}",
            first(e, &["Parameters.User", "Parameters.Trustee"]).unwrap_or("someone"),
            first(e, &["Parameters.AccessRights"]).unwrap_or("rights"),
            first(e, &["Parameters.Identity"]).unwrap_or(user)
        ),
        _ => {
            let target = if e.user.is_some() && e.user != e.actor {
                format!(" on {user}")
            } else {
                String::new()
            };
            // Exchange cmdlets: show what they set (Identity is already the target).
            let params: Vec<String> = e
                .attrs
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("Parameters.").map(|name| (name, v)))
                .filter(|(name, _)| {
                    !matches!(*name, "Identity" | "DomainController" | "Force" | "Confirm")
                })
                .take(4)
                .map(|(name, v)| format!("{name} {}", v.chars().take(60).collect::<String>()))
                .collect();
            let what = if params.is_empty() {
                String::new()
            } else {
                format!(" ({})", params.join("; "))
            };
            format!(
                "{op}{what}{target} by {}{at}",
                e.actor.as_deref().unwrap_or("someone")
            )
        }
    };
    format!("{text}{failed}")
}
