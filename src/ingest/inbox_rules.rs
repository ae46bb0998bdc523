//! Inbox-rule dumps (input-formats.md §4): `Get-InboxRule` as Format-List, Export-Csv or
//! ConvertTo-Json, the Microsoft-Extractor-Suite CSV layouts, and Graph `messageRule` objects.
//! Every shape becomes one `InboxRule` snapshot event per rule with the cmdlet's property names.

use serde_json::{Map, Value};

use super::fields::{self, get, lower, recipient_addresses, split_list, text};
use crate::event::{Attrs, Event, Provenance, SourceKind};

/// Properties holding recipient lists.
pub const RECIPIENT_PROPERTIES: &[&str] = &[
    "ForwardTo",
    "ForwardAsAttachmentTo",
    "RedirectTo",
    "SendTextMessageNotificationTo",
    "From",
    "SentTo",
    "ExceptIfFrom",
    "ExceptIfSentTo",
];

/// Properties holding lists of words or other strings.
const LIST_PROPERTIES: &[&str] = &[
    "SubjectContainsWords",
    "SubjectOrBodyContainsWords",
    "BodyContainsWords",
    "FromAddressContainsWords",
    "RecipientAddressContainsWords",
    "HeaderContainsWords",
    "ApplyCategory",
    "ExceptIfSubjectContainsWords",
    "ExceptIfSubjectOrBodyContainsWords",
    "ExceptIfBodyContainsWords",
    "ExceptIfFromAddressContainsWords",
    "MessageTypeMatches",
];

/// Extractor Suite column names and the cmdlet property they hold.
const RENAMES: &[(&str, &str)] = &[
    ("RuleName", "Name"),
    ("UserName", "MailboxOwnerId"),
    ("UserPrincipalName", "MailboxOwnerId"),
    ("RuleEnabled", "Enabled"),
    ("CopytoFolder", "CopyToFolder"),
    ("MovetoFolder", "MoveToFolder"),
    ("TextDescription", "Description"),
    ("ForwardAsAttachment", "ForwardAsAttachmentTo"),
    ("Delete", "DeleteMessage"),
    ("PermanentDelete", "DeleteMessage"),
    ("SubjectContains", "SubjectContainsWords"),
    ("BodyContains", "BodyContainsWords"),
    ("HasAttachments", "HasAttachment"),
    ("Sequence", "Priority"),
    ("RuleId", "RuleIdentity"),
];

/// A cell whose whole value is a .NET type name: `Export-Csv` lost the collection it held.
pub fn is_type_name(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("System.") || v.starts_with("Microsoft.Exchange.Data.")
}

/// Builds the snapshot event of one rule from its properties (any casing, Extractor Suite
/// names accepted). `lossy` notes type-name cells.
pub fn normalize(
    properties: &Map<String, Value>,
    prov: Provenance,
    lossy: &mut bool,
) -> Result<Event, String> {
    let mut canonical = Map::new();
    for (key, value) in properties {
        let key = RENAMES
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(key))
            .map_or(key.as_str(), |(_, to)| to);
        canonical
            .entry(key.to_string())
            .or_insert_with(|| value.clone());
    }
    if get(&canonical, "displayName").is_some() && get(&canonical, "actions").is_some() {
        canonical = from_graph(&canonical);
    }
    let name = match get(&canonical, "Name") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    if get(&canonical, "Name").is_none() && get(&canonical, "RuleIdentity").is_none() {
        return Err("no Name or RuleIdentity: not an inbox rule".into());
    }

    let mut event = Event::new(SourceKind::InboxRules, "InboxRule", prov);
    event.object = Some(name.as_str().into());
    let owner = text(&canonical, &["MailboxOwnerId"])
        .map(|s| s.into_owned())
        .or_else(|| {
            text(&canonical, &["Identity"])
                .and_then(|i| i.rsplit_once('\\').map(|(owner, _)| owner.to_string()))
        });
    event.user = owner.map(|o| lower(&o));
    event.record_id = text(&canonical, &["RuleIdentity"]).map(|r| r.trim().into());

    let mut attrs = Attrs::default();
    for (key, value) in &canonical {
        let is_recipients = RECIPIENT_PROPERTIES
            .iter()
            .any(|p| p.eq_ignore_ascii_case(key));
        let is_list = is_recipients || LIST_PROPERTIES.iter().any(|p| p.eq_ignore_ascii_case(key));
        match value {
            Value::String(s) if is_type_name(s) => {
                *lossy = true;
                attrs.push(key.as_str(), s.as_str());
            }
            Value::String(s) if is_list => {
                let (items, truncated) = split_list(s);
                for item in &items {
                    attrs.push(key.as_str(), item.as_str());
                }
                if truncated {
                    attrs.push(format!("{key}.Truncated"), "True");
                }
            }
            Value::Array(items) if is_list => {
                for item in items.iter().filter_map(fields::scalar_text) {
                    attrs.push(key.as_str(), item);
                }
            }
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => fields::flatten(&mut attrs, key, other),
        }
        if is_recipients {
            let raw: Vec<String> = attrs.get_all(key).map(str::to_owned).collect();
            for item in raw {
                for address in recipient_addresses(&item) {
                    attrs.push(format!("{key}.Address"), address);
                }
            }
        }
    }
    event.attrs = attrs;
    Ok(event)
}

/// Maps a Graph `messageRule` onto the cmdlet's property names.
fn from_graph(rule: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let copy = |out: &mut Map<String, Value>, from: &str, to: &str| {
        if let Some(v) = get(rule, from) {
            out.insert(to.into(), v.clone());
        }
    };
    copy(&mut out, "displayName", "Name");
    copy(&mut out, "sequence", "Priority");
    copy(&mut out, "isEnabled", "Enabled");
    copy(&mut out, "id", "RuleIdentity");
    copy(&mut out, "hasError", "InError");
    let addresses = |v: &Value| -> Value {
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        Value::Array(
            items
                .into_iter()
                .filter_map(|r| {
                    let email = r.get("emailAddress")?;
                    let addr = email.get("address")?.as_str()?;
                    let name = email.get("name").and_then(Value::as_str).unwrap_or(addr);
                    Some(Value::String(format!("\"{name}\" [SMTP:{addr}]")))
                })
                .collect(),
        )
    };
    if let Some(Value::Object(actions)) = get(rule, "actions") {
        for (from, to) in [
            ("forwardTo", "ForwardTo"),
            ("forwardAsAttachmentTo", "ForwardAsAttachmentTo"),
            ("redirectTo", "RedirectTo"),
        ] {
            if let Some(v) = get(actions, from) {
                out.insert(to.into(), addresses(v));
            }
        }
        for (from, to) in [
            ("moveToFolder", "MoveToFolder"),
            ("copyToFolder", "CopyToFolder"),
            ("delete", "DeleteMessage"),
            ("permanentDelete", "PermanentDelete"),
            ("markAsRead", "MarkAsRead"),
            ("stopProcessingRules", "StopProcessingRules"),
            ("markImportance", "MarkImportance"),
            ("assignCategories", "ApplyCategory"),
        ] {
            if let Some(v) = get(actions, from) {
                out.insert(to.into(), v.clone());
            }
        }
    }
    if let Some(Value::Object(conditions)) = get(rule, "conditions") {
        for (from, to) in [
            ("subjectContains", "SubjectContainsWords"),
            ("bodyContains", "BodyContainsWords"),
            ("bodyOrSubjectContains", "SubjectOrBodyContainsWords"),
            ("senderContains", "FromAddressContainsWords"),
            ("headerContains", "HeaderContainsWords"),
        ] {
            if let Some(v) = get(conditions, from) {
                out.insert(to.into(), v.clone());
            }
        }
        if let Some(v) = get(conditions, "fromAddresses") {
            out.insert("From".into(), addresses(v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_util::obj;

    fn prov() -> Provenance {
        crate::ingest::test_util::prov(1)
    }
    use serde_json::json;

    #[test]
    fn convertto_json_rule() {
        let mut lossy = false;
        let e = normalize(
            &obj(json!({
                "Name": "..", "Enabled": true, "RuleIdentity": 15394007230974001153u64,
                "Identity": "266c83ec-bf20-452d-a6d1-909734c3106f\\15394007230974001153",
                "ForwardTo": ["\"Collections Desk\" [SMTP:collect@fabrikam.example]"],
                "SubjectContainsWords": ["invoice"], "DeleteMessage": true, "MarkImportance": null
            })),
            prov(),
            &mut lossy,
        )
        .unwrap();
        assert_eq!(e.object.as_deref(), Some(".."));
        assert_eq!(e.record_id.as_deref(), Some("15394007230974001153"));
        assert_eq!(
            e.user.as_deref(),
            Some("266c83ec-bf20-452d-a6d1-909734c3106f")
        );
        assert_eq!(
            e.attr("ForwardTo.Address"),
            Some("collect@fabrikam.example")
        );
        assert_eq!(e.attr("DeleteMessage"), Some("True"));
        assert!(!lossy);
    }

    #[test]
    fn format_list_and_extractor_suite_rows() {
        let mut lossy = false;
        let e = normalize(
            &obj(
                json!({"Name": ".", "MailboxOwnerId": "megan.b", "RuleIdentity": "1",
                        "SubjectOrBodyContainsWords": "{invoice, payment}", "ForwardTo": ""}),
            ),
            prov(),
            &mut lossy,
        )
        .unwrap();
        assert_eq!(
            e.attrs
                .get_all("SubjectOrBodyContainsWords")
                .collect::<Vec<_>>(),
            vec!["invoice", "payment"]
        );
        let e = normalize(
            &obj(
                json!({"UserName": "FortunaHodan", "RuleName": "..", "RuleEnabled": "True",
                        "ForwardTo": "\"hacker@gmail.com\" [SMTP:hacker@gmail.com]"}),
            ),
            prov(),
            &mut lossy,
        )
        .unwrap();
        assert_eq!(e.object.as_deref(), Some(".."));
        assert_eq!(e.user.as_deref(), Some("fortunahodan"));
        assert_eq!(e.attr("ForwardTo.Address"), Some("hacker@gmail.com"));
        let _ = normalize(
            &obj(json!({"Name": "x", "ForwardTo": "System.Collections.ArrayList"})),
            prov(),
            &mut lossy,
        )
        .unwrap();
        assert!(lossy);
    }

    #[test]
    fn graph_message_rule() {
        let mut lossy = false;
        let e = normalize(
            &obj(json!({"id": "AQAAAJ5dZqA=", "displayName": "fwd", "sequence": 2, "isEnabled": true,
                        "actions": {"forwardTo": [{"emailAddress": {"name": "X", "address": "x@fabrikam.example"}}],
                                    "moveToFolder": "AAMkAGI2", "markAsRead": true}})),
            prov(),
            &mut lossy,
        )
        .unwrap();
        assert_eq!(e.object.as_deref(), Some("fwd"));
        assert_eq!(e.attr("ForwardTo.Address"), Some("x@fabrikam.example"));
        assert_eq!(e.attr("MarkAsRead"), Some("True"));
    }
}
