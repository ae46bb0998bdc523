//! Unified Audit Log records (input-formats.md §2): whatever the wrapper, the AuditData object is
//! what carries meaning; wrapper columns are used only where AuditData lacks a field.

use serde_json::{Map, Value};

use super::fields::{self, get, lower, text};
use super::ip::parse_client_addr;
use super::time::{DateOrder, parse_timestamp};
use crate::event::{Event, Location, Provenance, SourceKind};

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
    let from_wrapper = |keys: &[&str]| wrapper.and_then(|w| text(w, keys));

    let time = text(
        audit,
        &[
            "CreationTime",
            "TimeGenerated",
            "ElevationTime",
            "Start_Time",
        ],
    )
    .or_else(|| from_wrapper(&["CreationDate", "createdDateTime", "TimeGenerated"]))
    .ok_or("no CreationTime")?;
    let time = parse_timestamp(&time, date_order)
        .ok_or_else(|| format!("unreadable CreationTime {:?}", truncate(&time, 60)))?;

    let operation = text(audit, &["Operation"])
        .or_else(|| from_wrapper(&["Operations", "Operation", "operation"]))
        .unwrap_or_default();
    let mut event = Event::new(SourceKind::Ual, operation.trim(), prov);
    event.time = Some(time);
    event.record_id = text(audit, &["Id", "OfficeId", "SourceRecordId"])
        .or_else(|| from_wrapper(&["RecordId", "Identity", "id"]))
        .map(|s| s.trim().to_ascii_lowercase().into());

    event.actor = text(audit, &["UserId", "UserId_"])
        .or_else(|| from_wrapper(&["UserIds", "UserId", "userPrincipalName"]))
        .map(|s| lower(&s));
    event.user = affected_user(audit, &event.operation).or_else(|| event.actor.clone());

    let addr = text(
        audit,
        &[
            "ClientIP",
            "ClientIPAddress",
            "Client_IPAddress",
            "ActorIpAddress",
            "ActorIP",
            "IPAddress",
        ],
    )
    .or_else(|| from_wrapper(&["clientIp", "ClientIP"]));
    if let Some(addr) = addr {
        let parsed = parse_client_addr(&addr);
        event.ip = parsed.ip;
        event.client_host = parsed.host.map(Into::into);
    }

    let mut attrs = crate::event::Attrs::default();
    fields::flatten_object(&mut attrs, "", audit);
    event.client.user_agent = attrs
        .get("ExtendedProperties.UserAgent")
        .or_else(|| attrs.get("UserAgent"))
        .filter(|s| !s.trim().is_empty())
        .map(Into::into);
    event.client.client_info = attrs
        .get("ClientInfoString")
        .filter(|s| !s.is_empty())
        .map(Into::into);
    event.client.app = [
        "ApplicationId",
        "AppId",
        "ClientAppId",
        "AppAccessContext.ClientAppId",
    ]
    .iter()
    .find_map(|k| attrs.get(k).filter(|s| !s.is_empty()))
    .map(Into::into);
    event.client.session = [
        "AppAccessContext.AADSessionId",
        "SessionId",
        "DeviceProperties.SessionId",
    ]
    .iter()
    .find_map(|k| attrs.get(k).filter(|s| !s.is_empty()))
    .map(Into::into);

    event.outcome.success = outcome(&event.operation, &attrs);
    event.outcome.code = attrs
        .get("ErrorNumber")
        .filter(|s| !s.is_empty())
        .map(Into::into);
    event.outcome.reason = attrs
        .get("LogonError")
        .filter(|s| !s.is_empty())
        .map(Into::into);
    event.object = attrs
        .get("ObjectId")
        .filter(|s| !s.is_empty())
        .map(Into::into);
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
fn affected_user(audit: &Map<String, Value>, operation: &str) -> Option<Box<str>> {
    if let Some(owner) = text(audit, &["MailboxOwnerUPN"]) {
        return Some(lower(&owner));
    }
    // Entra directory operations name their target in Target[] (Type 5 = UPN) or ObjectId.
    if operation.ends_with('.') {
        if let Some(Value::Array(targets)) = get(audit, "Target") {
            let upn = targets.iter().find_map(|t| {
                let id = t.get("ID")?.as_str()?;
                id.contains('@').then(|| lower(id))
            });
            if upn.is_some() {
                return upn;
            }
        }
        if let Some(object) = text(audit, &["ObjectId"]).filter(|o| o.contains('@')) {
            return Some(lower(&object));
        }
    }
    None
}

/// Success or failure. STS logons report `ResultStatus` `Success` even when they failed, so the
/// operation name and error number decide for them.
fn outcome(operation: &str, attrs: &crate::event::Attrs) -> Option<bool> {
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
    use serde_json::json;

    fn prov() -> Provenance {
        Provenance {
            input: 0,
            line: 2,
            record: 1,
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

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
            "AppAccessContext.IssuedAtTime": "2025-03-12T22:00:00"
        }));
        let audit = unflatten(&row);
        let e = normalize(&audit, None, DateOrder::Mdy, prov()).unwrap();
        assert_eq!(
            e.attr("Parameters.ForwardingSmtpAddress"),
            Some("smtp:x@y.example")
        );
        assert_eq!(
            e.attr("AppAccessContext.IssuedAtTime"),
            Some("2025-03-12T22:00:00")
        );
        assert_eq!(record_type("ExchangeAdmin"), Some(1));
        assert_eq!(record_type("15"), Some(15));
    }
}
