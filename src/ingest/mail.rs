//! Mailbox configuration (`Get-Mailbox`, input-formats.md §5), message trace (§6), Sent Items
//! listings (§7.2) and the Entra directory audit (§8.1).

use serde_json::{Map, Value};

use super::fields::{
    self, get, lower, normalize_message_id, object, recipient_addresses, strip_smtp_prefix, text,
};
use super::ip::parse_ip;
use super::time::{DateOrder, parse_timestamp};
use crate::event::{Attrs, Event, Provenance, SourceKind};

/// One `Get-Mailbox` object: the account and its forwarding settings. `time` is `WhenChanged`
/// (the last change of any attribute) where present.
pub fn mailbox(
    record: &Map<String, Value>,
    order: DateOrder,
    prov: Provenance,
) -> Result<Event, String> {
    let account = text(
        record,
        &[
            "UserPrincipalName",
            "PrimarySmtpAddress",
            "WindowsEmailAddress",
            "Identity",
            "Alias",
        ],
    )
    .ok_or("no UserPrincipalName, PrimarySmtpAddress or Identity")?;
    let mut event = Event::new(SourceKind::Mailbox, "MailboxConfig", prov);
    event.user = Some(lower(strip_smtp_prefix(&account)));
    event.time =
        text(record, &["WhenChangedUTC", "WhenChanged"]).and_then(|t| parse_timestamp(&t, order));
    let mut attrs = Attrs::default();
    fields::flatten_object(&mut attrs, "", record);
    if let Some(fwd) = text(record, &["ForwardingSmtpAddress"]) {
        attrs.push(
            "ForwardingSmtpAddress.Address",
            strip_smtp_prefix(&fwd).to_lowercase(),
        );
    }
    event.attrs = attrs;
    Ok(event)
}

/// Column synonyms of the message-trace variants: Get-MessageTrace/V2, the portal export, the
/// Enhanced summary and Extended reports.
const TRACE_TIME: &[&str] = &[
    "Received",
    "origin_timestamp_utc",
    "origin_timestamp",
    "date_time_utc",
    "Date (UTC)",
    "Date",
    "Received Time",
    "receivedDateTime",
];
const TRACE_SENDER: &[&str] = &["SenderAddress", "sender_address", "Sender", "senderAddress"];
const TRACE_RECIPIENT: &[&str] = &[
    "RecipientAddress",
    "recipient_address",
    "Recipient",
    "recipientAddress",
];
const TRACE_MESSAGE_ID: &[&str] = &["MessageId", "message_id", "Message ID", "messageId"];
const TRACE_SUBJECT: &[&str] = &["Subject", "message_subject", "subject"];
const TRACE_FROM_IP: &[&str] = &[
    "FromIP",
    "original_client_ip",
    "client_ip",
    "From IP",
    "fromIP",
];

/// Message-trace time columns, for learning a file's date order.
pub fn trace_time_columns() -> &'static [&'static str] {
    TRACE_TIME
}

/// One message-trace row (one recipient of one message, or one event of the Extended report).
pub fn message_trace(
    record: &Map<String, Value>,
    order: DateOrder,
    prov: Provenance,
) -> Result<Event, String> {
    let raw_time = text(record, TRACE_TIME).ok_or("no Received time")?;
    let time = parse_timestamp(&raw_time, order)
        .ok_or_else(|| format!("unreadable Received time {raw_time:?}"))?;
    let mut event = Event::new(SourceKind::MessageTrace, "MessageTrace", prov);
    event.time = Some(time);
    let sender = text(record, TRACE_SENDER).map(|s| lower(strip_smtp_prefix(&s)));
    event.user = sender.clone();
    event.actor = sender;
    event.ip = text(record, TRACE_FROM_IP).and_then(|ip| parse_ip(ip.trim()));
    event.record_id = text(record, &["MessageTraceId"]).map(|s| s.to_ascii_lowercase().into());
    let mut attrs = Attrs::default();
    if let Some(id) = text(record, TRACE_MESSAGE_ID) {
        attrs.push("MessageId", normalize_message_id(&id));
        event.object = Some(normalize_message_id(&id).into());
    }
    if let Some(subject) = text(record, TRACE_SUBJECT) {
        attrs.push("Subject", subject);
    }
    if let Some(recipients) = text(record, TRACE_RECIPIENT) {
        for r in recipients
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            attrs.push("Recipient", r.to_lowercase());
        }
    }
    // Enhanced summary: `addr##Event, Event;addr2##Event`.
    if let Some(status) = text(record, &["recipient_status"]) {
        for part in status.split(';') {
            if let Some((addr, events)) = part.split_once("##") {
                attrs.push("Recipient", addr.trim().to_lowercase());
                attrs.push("RecipientStatus", events.trim());
            }
        }
    }
    for (key, names) in [
        ("Status", &["Status", "event_id"][..]),
        ("Size", &["Size", "total_bytes", "Message size"][..]),
        ("ToIP", &["ToIP", "To IP"][..]),
        ("FromIP", TRACE_FROM_IP),
        ("Direction", &["directionality", "Direction"][..]),
        ("Source", &["source"][..]),
        ("Reference", &["reference"][..]),
        (
            "NetworkMessageId",
            &["network_message_id", "NetworkMessageId"][..],
        ),
        ("Organization", &["Organization", "tenant_id"][..]),
    ] {
        if let Some(v) = text(record, names) {
            attrs.push(key, v);
        }
    }
    event.attrs = attrs;
    Ok(event)
}

/// One message of a Graph Sent Items listing. `context` is the page's `@odata.context`, which
/// names the mailbox (`users('megan.b%40contoso.com')`).
pub fn sent_item(
    record: &Map<String, Value>,
    context: Option<&str>,
    prov: Provenance,
) -> Result<Event, String> {
    let raw_time = text(
        record,
        &["sentDateTime", "createdDateTime", "receivedDateTime"],
    )
    .ok_or("no sentDateTime")?;
    let time = parse_timestamp(&raw_time, DateOrder::Mdy)
        .ok_or_else(|| format!("unreadable sentDateTime {raw_time:?}"))?;
    let mut event = Event::new(SourceKind::SentItems, "SentItem", prov);
    event.time = Some(time);
    let address = |v: Option<&Value>| -> Option<String> {
        Some(
            v?.get("emailAddress")?
                .get("address")?
                .as_str()?
                .to_lowercase(),
        )
    };
    event.user = context
        .and_then(mailbox_from_context)
        .or_else(|| address(get(record, "from")))
        .or_else(|| address(get(record, "sender")))
        .map(|u| lower(&u));
    event.actor = address(get(record, "from")).map(|a| a.into());
    event.record_id = text(record, &["id"]).map(|s| s.into());
    let mut attrs = Attrs::default();
    if let Some(id) = text(record, &["internetMessageId"]) {
        attrs.push("MessageId", normalize_message_id(&id));
        event.object = Some(normalize_message_id(&id).into());
    }
    if let Some(subject) = text(record, &["subject"]) {
        attrs.push("Subject", subject);
    }
    for field in ["toRecipients", "ccRecipients", "bccRecipients"] {
        if let Some(Value::Array(list)) = get(record, field) {
            for r in list {
                if let Some(a) = address(Some(r)) {
                    attrs.push("Recipient", a);
                }
            }
        }
    }
    for (key, field) in [
        ("ParentFolderId", "parentFolderId"),
        ("IsDraft", "isDraft"),
        ("HasAttachments", "hasAttachments"),
        ("ConversationId", "conversationId"),
    ] {
        if let Some(v) = text(record, &[field]) {
            attrs.push(key, v);
        }
    }
    event.attrs = attrs;
    Ok(event)
}

/// `...users('megan.b%40contoso.com')/mailFolders('sentitems')/messages` → the mailbox.
fn mailbox_from_context(context: &str) -> Option<String> {
    let start = context.find("users('")? + "users('".len();
    let end = context[start..].find('\'')? + start;
    Some(context[start..end].replace("%40", "@").replace("%2E", "."))
}

/// One Entra directory audit record: Graph `directoryAudit` or a Log Analytics `AuditLogs` row
/// (nested values as JSON text).
pub fn entra_audit(record: &Map<String, Value>, prov: Provenance) -> Result<Event, String> {
    let raw_time =
        text(record, &["activityDateTime", "TimeGenerated"]).ok_or("no activityDateTime")?;
    let time = parse_timestamp(&raw_time, DateOrder::Mdy)
        .ok_or_else(|| format!("unreadable activityDateTime {raw_time:?}"))?;
    let activity = text(record, &["activityDisplayName", "OperationName"]).unwrap_or_default();
    let mut event = Event::new(SourceKind::EntraAudit, activity.trim(), prov);
    event.time = Some(time);
    event.record_id = text(record, &["id"]).map(|s| s.to_ascii_lowercase().into());
    if let Some(initiated) = object(record, "initiatedBy") {
        if let Some(user) = object(&initiated, "user") {
            event.actor =
                text(&user, &["userPrincipalName", "displayName", "id"]).map(|u| lower(&u));
            event.ip = text(&user, &["ipAddress"]).and_then(|ip| parse_ip(ip.trim()));
        }
        if event.actor.is_none() {
            if let Some(app) = object(&initiated, "app") {
                event.actor = text(&app, &["servicePrincipalName", "displayName", "appId"])
                    .map(|a| lower(&a));
            }
        }
    }
    let targets = match get(record, "targetResources") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => match fields::embedded_json(s) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    event.user = targets
        .iter()
        .find_map(|t| {
            t.get("userPrincipalName")?
                .as_str()
                .filter(|u| !u.is_empty())
        })
        .map(lower)
        .or_else(|| event.actor.clone());
    event.object = targets
        .iter()
        .find_map(|t| t.get("displayName")?.as_str().filter(|u| !u.is_empty()))
        .map(Into::into);
    event.outcome.success = text(record, &["result"]).map(|r| r.eq_ignore_ascii_case("success"));
    event.outcome.reason = text(record, &["resultReason"])
        .filter(|r| !r.is_empty())
        .map(|r| r.into());
    let mut attrs = Attrs::default();
    fields::flatten_object(&mut attrs, "", record);
    event.attrs = attrs;
    Ok(event)
}

/// Addresses of a recipient-list attribute, for callers that have raw strings.
pub fn addresses(raw: &str) -> Vec<String> {
    recipient_addresses(raw)
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
    fn mailbox_forwarding() {
        let e = mailbox(
            &obj(json!({"DisplayName": "Megan", "UserPrincipalName": "Megan.B@contoso.com",
                        "ForwardingSMTPAddress": "smtp:Backup@Fabrikam.example",
                        "DeliverToMailboxAndForward": "False", "WhenChangedUTC": "3/4/2025 10:31:12 AM"})),
            DateOrder::Mdy,
            prov(),
        )
        .unwrap();
        assert_eq!(e.user.as_deref(), Some("megan.b@contoso.com"));
        assert_eq!(
            e.attr("ForwardingSmtpAddress.Address"),
            Some("backup@fabrikam.example")
        );
        assert_eq!(e.time.unwrap().to_rfc3339(), "2025-03-04T10:31:12+00:00");
    }

    #[test]
    fn trace_row_and_message_ids() {
        let e = message_trace(
            &obj(json!({"MessageId": "\u{003c}AM0PR01@x.outlook.com\u{003e}", "Received": "2022-09-05T18:10:13.4907658",
                        "SenderAddress": "Megan.B@contoso.com", "RecipientAddress": "ap@fabrikam.example",
                        "Subject": "RE: x", "Status": "Delivered", "FromIP": "203.0.113.25", "ToIP": null, "Size": 31877})),
            DateOrder::Mdy,
            prov(),
        )
        .unwrap();
        assert_eq!(e.attr("MessageId"), Some("<AM0PR01@x.outlook.com>"));
        assert_eq!(e.user.as_deref(), Some("megan.b@contoso.com"));
        assert_eq!(e.ip, Some("203.0.113.25".parse().unwrap()));
        assert_eq!(e.attr("Recipient"), Some("ap@fabrikam.example"));
    }

    #[test]
    fn sent_item_mailbox_from_context() {
        let e = sent_item(
            &obj(json!({"sentDateTime": "2025-03-04T11:03:45Z", "internetMessageId": "abc@x",
                        "subject": "hi", "toRecipients": [{"emailAddress": {"address": "AP@fabrikam.example"}}]})),
            Some("https://graph.microsoft.com/v1.0/$metadata#users('megan.b%40contoso.com')/mailFolders('sentitems')/messages"),
            prov(),
        )
        .unwrap();
        assert_eq!(e.user.as_deref(), Some("megan.b@contoso.com"));
        assert_eq!(e.attr("MessageId"), Some("<abc@x>"));
        assert_eq!(e.attr("Recipient"), Some("ap@fabrikam.example"));
    }

    #[test]
    fn directory_audit_graph_and_log_analytics() {
        let e = entra_audit(
            &obj(json!({"id": "Directory_1", "activityDateTime": "2025-03-04T10:10:00Z",
                        "activityDisplayName": "User registered security info", "result": "success",
                        "initiatedBy": {"user": {"userPrincipalName": "Megan.B@contoso.com", "ipAddress": "203.0.113.77"}},
                        "targetResources": [{"userPrincipalName": "megan.b@contoso.com", "modifiedProperties": []}]})),
            prov(),
        )
        .unwrap();
        assert_eq!(e.actor.as_deref(), Some("megan.b@contoso.com"));
        assert_eq!(e.ip, Some("203.0.113.77".parse().unwrap()));
        let e = entra_audit(
            &obj(json!({"TimeGenerated": "2021-08-02T13:29:25.983Z", "OperationName": "Update application",
                        "InitiatedBy": "{\"user\":{\"userPrincipalName\":\"pgustavo@simulandlabs.com\"}}",
                        "TargetResources": "[{\"displayName\":\"SimuLandApp\",\"modifiedProperties\":[{\"displayName\":\"KeyDescription\",\"oldValue\":\"[]\",\"newValue\":\"[x]\"}]}]"})),
            prov(),
        )
        .unwrap();
        assert_eq!(e.actor.as_deref(), Some("pgustavo@simulandlabs.com"));
        assert_eq!(e.object.as_deref(), Some("SimuLandApp"));
        assert_eq!(
            e.attr("TargetResources.modifiedProperties.KeyDescription.NewValue"),
            Some("[x]")
        );
    }
}
