//! Inbox-rule lifecycles and hidden rules.
//!
//! Each rule's history is rebuilt from the audit log (New, Set, Enable, Disable, Remove-InboxRule
//! and Outlook's UpdateInboxRules) and compared with the Get-InboxRule dumps of the same mailbox.
//! A rule the audit log shows created and never removed, but that the dump does not list, is
//! hidden (MAPI tampering with PR_RULE_MSG_PROVIDER or the name: input-formats.md §4.6); so are
//! rules added with an empty name or provider, and non-system rules with an empty name in a dump.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::finding_for;
use crate::event::{Event, SourceKind};
use crate::finding::{Finding, Severity};
use crate::ingest::InputSummary;
use crate::ingest::time::format_utc;

/// What the audit log tells about one rule of one mailbox.
#[derive(Debug, Default, Clone)]
pub struct RuleHistory {
    pub created: Option<usize>,
    pub removed: Option<usize>,
    pub disabled: Option<usize>,
    pub changes: Vec<usize>,
}

/// The rules of every mailbox, by (mailbox, lower-case rule name).
#[derive(Debug, Default)]
pub struct RuleBook {
    pub histories: BTreeMap<(String, String), RuleHistory>,
    /// Rule names per mailbox as the dumps list them, with the dump inputs.
    pub dumped: BTreeMap<String, (BTreeSet<String>, BTreeSet<u32>)>,
    /// RuleIdentity → name, from the dumps.
    identities: BTreeMap<String, String>,
}

fn rule_part(identity: &str) -> &str {
    identity
        .rsplit_once('\\')
        .map_or(identity, |(_, r)| r)
        .trim()
}

impl RuleBook {
    pub fn build(events: &[Event]) -> RuleBook {
        let mut book = RuleBook::default();
        for e in events.iter().filter(|e| e.source == SourceKind::InboxRules) {
            let (Some(mailbox), Some(name)) = (e.user.as_deref(), e.object.as_deref()) else {
                continue;
            };
            let entry = book.dumped.entry(mailbox.to_string()).or_default();
            entry.0.insert(name.trim().to_lowercase());
            entry.1.insert(e.prov.input);
            if let Some(id) = e.record_id.as_deref() {
                book.identities
                    .insert(id.to_string(), name.trim().to_lowercase());
            }
        }
        let mut order: Vec<usize> = (0..events.len())
            .filter(|&i| events[i].source == SourceKind::Ual)
            .collect();
        order.sort_by_key(|&i| (events[i].time, events[i].prov));
        for i in order {
            let e = &events[i];
            let Some(mailbox) = e.user.as_deref() else {
                continue;
            };
            let op = e.operation.to_ascii_lowercase();
            let (name, action) = match op.as_str() {
                "new-inboxrule" => (e.attr("Parameters.Name").map(str::to_owned), "new"),
                "set-inboxrule" | "enable-inboxrule" | "disable-inboxrule" | "remove-inboxrule" => {
                    let id = e
                        .attr("Parameters.Identity")
                        .map(rule_part)
                        .or_else(|| e.attr("Parameters.Name"));
                    (id.map(str::to_owned), op.split('-').next().unwrap_or(""))
                }
                "updateinboxrules" => {
                    let action = match e
                        .attr("OperationProperties.RuleOperation")
                        .map(str::to_ascii_lowercase)
                    {
                        Some(a) if a == "addmailboxrule" => "new",
                        Some(a) if a == "removemailboxrule" => "remove",
                        Some(a) if a == "modifymailboxrule" => "set",
                        _ => continue,
                    };
                    (
                        e.attr("OperationProperties.RuleName").map(str::to_owned),
                        action,
                    )
                }
                _ => continue,
            };
            let Some(name) = name else { continue };
            let name = name.trim().to_lowercase();
            let name = book.identities.get(&name).cloned().unwrap_or(name);
            let history = book
                .histories
                .entry((mailbox.to_string(), name))
                .or_default();
            match action {
                "new" => {
                    *history = RuleHistory {
                        created: Some(i),
                        ..RuleHistory::default()
                    }
                }
                "remove" => history.removed = Some(i),
                "disable" => history.disabled = Some(i),
                "enable" => history.disabled = None,
                _ => history.changes.push(i),
            }
        }
        book
    }
}

/// Inbox rules' histories: hidden rules, and each rule's fate on the findings about it.
pub struct InboxRules;

impl super::Analyzer for InboxRules {
    fn name(&self) -> &'static str {
        "inbox_rules"
    }

    fn rules(&self) -> &'static [&'static str] {
        &["inbox_rule.hidden"]
    }

    fn annotate(&self, cx: &super::Context<'_>, findings: &mut [Finding]) {
        annotate_lifecycle(findings, cx.events, &RuleBook::build(cx.events));
    }

    fn run(&self, cx: &super::Context<'_>, _prior: &[Finding]) -> Vec<Finding> {
        hidden_rules(cx.events, &RuleBook::build(cx.events), cx.inputs)
    }
}

/// `inbox_rule.hidden` findings.
pub fn hidden_rules(events: &[Event], book: &RuleBook, inputs: &[InputSummary]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for ((mailbox, name), history) in &book.histories {
        let (Some(created), None) = (history.created, history.removed) else {
            continue;
        };
        let Some((names, dump_inputs)) = book.dumped.get(mailbox) else {
            continue;
        };
        if names.contains(name) {
            continue;
        }
        let event = &events[created];
        let dumps: Vec<&str> = dump_inputs
            .iter()
            .filter_map(|&i| inputs.get(i as usize).map(|x| x.path.as_str()))
            .collect();
        let shown = if name.is_empty() {
            "(no name)".to_string()
        } else {
            format!("'{name}'")
        };
        let mut f = finding_for(
            event,
            inputs,
            "inbox_rule.hidden",
            Severity::Critical,
            format!(
                "Inbox rule {shown} was created on {mailbox} at {} ({}) and never removed in the audit log, but the Get-InboxRule dump ({}) does not list it",
                event.time.map(format_utc).unwrap_or_default(),
                event.operation,
                dumps.join(", ")
            ),
        );
        f.fields
            .insert("rule_name".into(), Value::String(name.clone()));
        f.fields.insert(
            "audit".into(),
            Value::String(format!(
                "{} at {}",
                event.operation,
                event.time.map(format_utc).unwrap_or_default()
            )),
        );
        f.fields.insert(
            "dump".into(),
            Value::from(dumps.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
        );
        f.fields.insert(
            "dump_rules".into(),
            Value::from(names.iter().cloned().collect::<Vec<_>>()),
        );
        findings.push(f);
    }
    for e in events {
        let empty_or_tampered = match (e.source, e.operation.as_ref()) {
            (SourceKind::Ual, op) if op.eq_ignore_ascii_case("UpdateInboxRules") => {
                e.attr("OperationProperties.RuleOperation")
                    .is_some_and(|o| o.eq_ignore_ascii_case("AddMailboxRule"))
                    && (e
                        .attr("OperationProperties.RuleName")
                        .is_some_and(|n| n.trim().is_empty())
                        || e.attr("OperationProperties.RuleProvider")
                            .is_some_and(|p| p.trim().is_empty()))
            }
            (SourceKind::InboxRules, _) => e.object.as_deref().is_some_and(|n| n.trim().is_empty()),
            _ => false,
        };
        if !empty_or_tampered {
            continue;
        }
        let what = if e.source == SourceKind::InboxRules {
            "listed with an empty name in the Get-InboxRule dump"
        } else {
            "added from a MAPI client with an empty name or provider, which hides it from Outlook and Get-InboxRule"
        };
        let mut f = finding_for(
            e,
            inputs,
            "inbox_rule.hidden",
            Severity::Critical,
            format!(
                "An inbox rule on {} was {what}",
                e.user.as_deref().unwrap_or("(unknown mailbox)")
            ),
        );
        if let Some(p) = e.attr("OperationProperties.RuleProvider") {
            f.fields
                .insert("provider".into(), Value::String(p.to_string()));
        }
        findings.push(f);
    }
    findings
}

/// Adds each rule's fate to the findings about it: `rule_state` (active, disabled, removed) with
/// when and by whom, so a rule removed during containment reads as removed.
pub fn annotate_lifecycle(findings: &mut [Finding], events: &[Event], book: &RuleBook) {
    for f in findings.iter_mut() {
        if !(f.rule.starts_with("inbox_rule.") || f.rule == "forwarding.inbox-rule") {
            continue;
        }
        let (Some(mailbox), Some(Value::String(name))) =
            (f.user.as_deref(), f.fields.get("rule_name"))
        else {
            continue;
        };
        let Some(history) = book
            .histories
            .get(&(mailbox.to_string(), name.trim().to_lowercase()))
        else {
            continue;
        };
        let at = |i: usize| -> (Option<DateTime<Utc>>, Option<String>) {
            (
                events[i].time,
                events[i].actor.as_deref().map(str::to_owned),
            )
        };
        let (state, when) = match (history.removed, history.disabled) {
            (Some(i), _) => ("removed", Some(at(i))),
            (None, Some(i)) => ("disabled", Some(at(i))),
            _ => ("active", None),
        };
        f.fields
            .insert("rule_state".into(), Value::String(state.into()));
        if let Some((time, actor)) = when {
            if let Some(t) = time {
                f.fields
                    .insert(format!("{state}_at"), Value::String(format_utc(t)));
            }
            if let Some(a) = actor {
                f.fields.insert(format!("{state}_by"), Value::String(a));
            }
        }
        if let Some(created) = history.created.and_then(|i| events[i].time) {
            f.fields
                .insert("created_at".into(), Value::String(format_utc(created)));
        }
    }
}
