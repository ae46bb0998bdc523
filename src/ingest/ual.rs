//! Unified Audit Log records (input-formats.md §2): whatever the wrapper, the AuditData object is
//! what carries meaning; wrapper columns are used only where AuditData lacks a field.

use serde_json::{Map, Value};

use super::fields::{self, lower, text};
use super::ip::parse_client_addr;
use super::time::{DateOrder, parse_timestamp};
use crate::event::{Attrs, Event, Location, Provenance, SourceKind};

/// RecordType names as `Search-UnifiedAuditLog` writes them, for the ones uala reasons about.
const RECORD_TYPES: &[(&str, u16)] = &[
    ("ExchangeAdmin", 1),
    ("ExchangeItem", 2),
    ("ExchangeItemGroup", 3),
    ("SharePoint", 4),
    ("SharePointFileOperation", 6),
    ("OneDrive", 7),
    ("AzureActiveDirectory", 8),
    ("AzureActiveDirectoryAccountLogon", 9),
    ("DataCenterSecurityCmdlet", 10),
    ("ComplianceDLPSharePoint", 11),
    ("SharePointSharingOperation", 14),
    ("AzureActiveDirectoryStsLogon", 15),
    ("SecurityComplianceCenterEOPCmdlet", 18),
    ("ExchangeAggregatedOperation", 19),
    ("PowerBIAudit", 20),
    ("MicrosoftTeams", 25),
    ("ThreatIntelligence", 28),
    ("ExchangeItemAggregated", 50),
    ("HygieneEvent", 51),
    ("AirInvestigation", 64),
];

/// `RecordType` as a number, whether the export wrote the number or the enum name.
pub fn record_type(value: &str) -> Option<u16> {
    let v = value.trim();
    v.parse().ok().or_else(|| {
        RECORD_TYPES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(v))
            .map(|(_, n)| *n)
    })
}

/// Builds the event of one audit record. `audit` is the AuditData object; `wrapper` the export's
/// row or object around it, if any (its `CreationDate`, `UserIds`, `Operations`, `Identity` are
/// fallbacks). `date_order` reads culture-formatted wrapper dates.
pub fn normalize(
    audit: &Map<String, Value>,
    wrapper: Option<&Map<String, Value>>,
    date_order: DateOrder,
    prov: Provenance,
) -> Result<Event, String> {
    let mut attrs = Attrs::default();
    fields::flatten_object(&mut attrs, "", audit);
    attrs.sort_by_key();
    normalize_flat(attrs, wrapper, date_order, prov)
}

/// [`normalize`] for AuditData still in its JSON text: flattened straight from the text, without
/// building a JSON tree first (the CSV exports' hot path).
pub fn normalize_text(
    audit: &str,
    wrapper: Option<&Map<String, Value>>,
    date_order: DateOrder,
    prov: Provenance,
) -> Result<Event, String> {
    let mut attrs = Attrs::default();
    fields::flatten_json_text(&mut attrs, audit).map_err(|e| {
        if audit.trim().is_empty() {
            "empty AuditData".to_string()
        } else {
            format!("AuditData is not valid JSON: {e}")
        }
    })?;
    normalize_flat(attrs, wrapper, date_order, prov)
}

/// The first non-empty top-level value of several AuditData fields.
fn first<'a>(attrs: &'a Attrs, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| attrs.get(k).filter(|v| !v.trim().is_empty()))
}

fn normalize_flat(
    attrs: Attrs,
    wrapper: Option<&Map<String, Value>>,
    date_order: DateOrder,
    prov: Provenance,
) -> Result<Event, String> {
    let from_wrapper = |keys: &[&str]| wrapper.and_then(|w| text(w, keys));

    let time = first(
        &attrs,
        &[
            "CreationTime",
            "TimeGenerated",
            "ElevationTime",
            "Start_Time",
        ],
    )
    .map(std::borrow::Cow::Borrowed)
    .or_else(|| from_wrapper(&["CreationDate", "createdDateTime", "TimeGenerated"]))
    .ok_or("no CreationTime")?;
    let time = parse_timestamp(&time, date_order)
        .ok_or_else(|| format!("unreadable CreationTime {:?}", truncate(&time, 60)))?;

    let operation = first(&attrs, &["Operation"])
        .map(std::borrow::Cow::Borrowed)
        .or_else(|| from_wrapper(&["Operations", "Operation", "operation"]))
        .unwrap_or_default();
    let mut event = Event::new(SourceKind::Ual, operation.trim(), prov);
    event.time = Some(time);
    event.record_id = first(&attrs, &["Id", "OfficeId", "SourceRecordId"])
        .map(std::borrow::Cow::Borrowed)
        .or_else(|| from_wrapper(&["RecordId", "Identity", "id"]))
        .map(|s| s.trim().to_ascii_lowercase().into());

    event.actor = first(&attrs, &["UserId", "UserId_"])
        .map(std::borrow::Cow::Borrowed)
        .or_else(|| from_wrapper(&["UserIds", "UserId", "userPrincipalName"]))
        .map(|s| lower(&s));
    event.user = affected_user(&attrs, &event.operation).or_else(|| event.actor.clone());

    let addr = first(
        &attrs,
        &[
            "ClientIP",
            "ClientIPAddress",
            "Client_IPAddress",
            "ActorIpAddress",
            "ActorIP",
            "IPAddress",
        ],
    )
    .map(std::borrow::Cow::Borrowed)
    .or_else(|| from_wrapper(&["clientIp", "ClientIP"]));
    if let Some(addr) = addr {
        let parsed = parse_client_addr(&addr);
        event.ip = parsed.ip;
        event.client_host = parsed.host.map(Into::into);
    }

    event.client.user_agent =
        first(&attrs, &["ExtendedProperties.UserAgent", "UserAgent"]).map(Into::into);
    event.client.client_info = first(&attrs, &["ClientInfoString"]).map(Into::into);
    event.client.app = first(
        &attrs,
        &[
            "ApplicationId",
            "AppId",
            "ClientAppId",
            "AppAccessContext.ClientAppId",
        ],
    )
    .map(Into::into);
    event.client.session = first(
        &attrs,
        &[
            "AppAccessContext.AADSessionId",
            "SessionId",
            "DeviceProperties.SessionId",
        ],
    )
    .map(Into::into);

    event.outcome.success = outcome(&event.operation, &attrs);
    event.outcome.code = first(&attrs, &["ErrorNumber"]).map(Into::into);
    event.outcome.reason = first(&attrs, &["LogonError"]).map(Into::into);
    event.object = first(&attrs, &["ObjectId"]).map(Into::into);
    if let Some(country) = attrs.get("Country").filter(|c| c.len() == 2) {
        event.location = Some(Box::new(Location {
            country: Some(country.to_ascii_uppercase().into()),
            ..Location::default()
        }));
    }
    event.attrs = attrs;
    Ok(event)
}

/// The mailbox or identity acted upon, where the record names it as a UPN.
fn affected_user(attrs: &Attrs, operation: &str) -> Option<Box<str>> {
    if let Some(owner) = first(attrs, &["MailboxOwnerUPN"]) {
        return Some(lower(owner));
    }
    // Entra directory operations name their target in Target[] (Type 5 = UPN) or ObjectId.
    if operation.ends_with('.') {
        if let Some(upn) = attrs.get_all("Target.ID").find(|id| id.contains('@')) {
            return Some(lower(upn));
        }
        if let Some(object) = first(attrs, &["ObjectId"]).filter(|o| o.contains('@')) {
            return Some(lower(object));
        }
    }
    None
}

/// Success or failure. STS logons report `ResultStatus` `Success` even when they failed, so the
/// operation name and error number decide for them.
fn outcome(operation: &str, attrs: &Attrs) -> Option<bool> {
    if operation.eq_ignore_ascii_case("UserLoginFailed") {
        return Some(false);
    }
    if operation.eq_ignore_ascii_case("UserLoggedIn") {
        return Some(
            attrs
                .get("ErrorNumber")
                .is_none_or(|e| e.trim() == "0" || e.is_empty()),
        );
    }
    let status = attrs.get("ResultStatus")?.trim().to_ascii_lowercase();
    match status.as_str() {
        "succeeded" | "success" | "true" | "partiallysucceeded" => Some(true),
        "failed" | "failure" | "false" => Some(false),
        _ => None,
    }
}

fn truncate(s: &str, max: usize) -> &str {
    &s[..super::decode::floor_char_boundary(s, max)]
}

/// Rebuilds nested AuditData from flattened CSV columns (`Parameters[0].Name`,
/// `AppAccessContext.IssuedAtTime`), as `-AuditDataOnly` and expanding tools write it.
pub fn unflatten(row: &Map<String, Value>) -> Map<String, Value> {
    let mut root = Value::Object(Map::new());
    for (key, value) in row {
        if value.as_str().is_some_and(|s| s.is_empty()) {
            continue;
        }
        let mut node = &mut root;
        let segments: Vec<&str> = key.split('.').collect();
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            let (name, index) = match segment.split_once('[') {
                Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (*segment, None),
            };
            let Value::Object(map) = node else { break };
            let slot = map.entry(name.to_string()).or_insert(match (index, last) {
                (Some(_), _) => Value::Array(Vec::new()),
                (None, true) => Value::Null,
                (None, false) => Value::Object(Map::new()),
            });
            node = match index {
                Some(ix) => {
                    let Value::Array(items) = slot else { break };
                    while items.len() <= ix {
                        items.push(Value::Object(Map::new()));
                    }
                    &mut items[ix]
                }
                None => slot,
            };
            if last {
                *node = value.clone();
            }
        }
    }
    match root {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::test_util::obj;

    fn prov() -> Provenance {
        crate::ingest::test_util::prov(2)
    }
    use serde_json::json;

    #[test]
    fn new_inbox_rule_record() {
        let audit = obj(json!({
            "CreationTime": "2025-03-04T10:15:30", "Id": "4EC8EA21-162e-4cd2-9c59-02e6ac40e316",
            "Operation": "New-InboxRule", "RecordType": 1, "ResultStatus": "True",
            "ClientIP": "203.0.113.77:50412", "UserId": "Megan.B@Contoso.com",
            "Parameters": [{"Name": "Name", "Value": "."}, {"Name": "MoveToFolder", "Value": "RSS Feeds"}]
        }));
        let e = normalize(&audit, None, DateOrder::Mdy, prov()).unwrap();
        assert_eq!(e.operation.as_ref(), "New-InboxRule");
        assert_eq!(e.actor.as_deref(), Some("megan.b@contoso.com"));
        assert_eq!(e.user.as_deref(), Some("megan.b@contoso.com"));
        assert_eq!(e.ip, Some("203.0.113.77".parse().unwrap()));
        assert_eq!(
            e.record_id.as_deref(),
            Some("4ec8ea21-162e-4cd2-9c59-02e6ac40e316")
        );
        assert_eq!(e.attr("Parameters.MoveToFolder"), Some("RSS Feeds"));
        assert_eq!(e.outcome.success, Some(true));
    }

    #[test]
    fn failed_sts_logon_despite_success_status() {
        let audit = obj(json!({
            "CreationTime": "2025-03-04T09:57:41", "Id": "b8ed", "Operation": "UserLoginFailed",
            "RecordType": 15, "ResultStatus": "Success", "ClientIP": "203.0.113.140",
            "UserId": "megan.b@contoso.com", "ErrorNumber": "50126", "LogonError": "InvalidUserNameOrPassword",
            "ExtendedProperties": [{"Name": "UserAgent", "Value": "python-requests/2.31"}]
        }));
        let e = normalize(&audit, None, DateOrder::Mdy, prov()).unwrap();
        assert_eq!(e.outcome.success, Some(false));
        assert_eq!(e.outcome.code.as_deref(), Some("50126"));
        assert_eq!(e.client.user_agent.as_deref(), Some("python-requests/2.31"));
    }

    #[test]
    fn wrapper_fallbacks_and_missing_time() {
        let audit = obj(json!({"Id": "x", "Operation": "Send"}));
        let wrapper = obj(json!({"CreationDate": "3/4/2025 10:21:07 AM", "UserIds": "A@B.com"}));
        let e = normalize(&audit, Some(&wrapper), DateOrder::Mdy, prov()).unwrap();
        assert_eq!(e.time.unwrap().to_rfc3339(), "2025-03-04T10:21:07+00:00");
        assert_eq!(e.actor.as_deref(), Some("a@b.com"));
        assert!(normalize(&obj(json!({"Id": "x"})), None, DateOrder::Mdy, prov()).is_err());
    }

    #[test]
    fn rebuilds_flattened_columns() {
        let row = obj(json!({
            "CreationTime": "3/12/2025 10:23:03 PM", "Operation": "Set-Mailbox",
            "Parameters[0].Name": "Identity", "Parameters[0].Value": "megan",
            "Parameters[1].Name": "ForwardingSmtpAddress", "Parameters[1].Value": "smtp:x@y.example",
            "AppAccessContext.UniqueTokenId": "tok-1"
        }));
        let audit = unflatten(&row);
        let e = normalize(&audit, None, DateOrder::Mdy, prov()).unwrap();
        assert_eq!(
            e.attr("Parameters.ForwardingSmtpAddress"),
            Some("smtp:x@y.example")
        );
        assert_eq!(e.attr("AppAccessContext.UniqueTokenId"), Some("tok-1"));
        assert_eq!(record_type("ExchangeAdmin"), Some(1));
        assert_eq!(record_type("15"), Some(15));
    }
}
