//! Kind and format detection from content (input-formats.md §9). File names are never used.

use serde_json::{Map, Value};

use super::fields::{get, text};
use super::table::Header;
use crate::event::SourceKind;

/// Every format uala reads. The `name` strings are reported in `inputs[].format` and documented
/// in docs/formats.md; they are a stable contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Purview audit search export, current 8-column layout.
    UalPurviewCsv,
    /// Purview/compliance portal export, classic 4-column layout.
    UalPurviewClassicCsv,
    /// `Search-UnifiedAuditLog | Export-Csv` (any column subset with AuditData).
    UalSearchCsv,
    /// Graph audit search records exported to CSV (Extractor Suite `Get-UALGraph`).
    UalGraphCsv,
    /// AuditData flattened to one column per field (`-AuditDataOnly`, Hawk `Simple_*`,
    /// `Parameters[0].Name` expansions). Lossy.
    UalFlattenedCsv,
    /// Sentinel `OfficeActivity` rows exported as CSV.
    UalSentinelCsv,
    /// AuditData objects: Management Activity API blobs, JSON Lines, single objects.
    UalAuditDataJson,
    /// Search-UnifiedAuditLog wrapper objects with AuditData as string or object.
    UalWrapperJson,
    /// Graph audit search `auditLogRecord` objects.
    UalGraphJson,
    /// Sentinel `OfficeActivity` rows as JSON.
    UalSentinelJson,
    SigninGraphJson,
    SigninAzureMonitorJson,
    SigninLogAnalyticsJson,
    SigninPortalCsv,
    SigninLogAnalyticsCsv,
    InboxRulesFormatList,
    InboxRulesCsv,
    InboxRulesJson,
    InboxRulesExtractorCsv,
    InboxRulesExtractorLegacyCsv,
    InboxRulesExtractorGraphCsv,
    InboxRulesGraphJson,
    MailboxFormatList,
    MailboxCsv,
    MailboxJson,
    MessageTraceCsv,
    MessageTraceJson,
    MessageTraceEnhancedCsv,
    MessageTraceExtendedCsv,
    MessageTracePortalCsv,
    SentItemsGraphJson,
    EntraAuditGraphJson,
    EntraAuditLogAnalyticsJson,
    EntraAuditLogAnalyticsCsv,
}

impl Format {
    pub fn kind(self) -> SourceKind {
        use Format::*;
        match self {
            UalPurviewCsv | UalPurviewClassicCsv | UalSearchCsv | UalGraphCsv | UalFlattenedCsv
            | UalSentinelCsv | UalAuditDataJson | UalWrapperJson | UalGraphJson
            | UalSentinelJson => SourceKind::Ual,
            SigninGraphJson
            | SigninAzureMonitorJson
            | SigninLogAnalyticsJson
            | SigninPortalCsv
            | SigninLogAnalyticsCsv => SourceKind::Signin,
            InboxRulesFormatList
            | InboxRulesCsv
            | InboxRulesJson
            | InboxRulesExtractorCsv
            | InboxRulesExtractorLegacyCsv
            | InboxRulesExtractorGraphCsv
            | InboxRulesGraphJson => SourceKind::InboxRules,
            MailboxFormatList | MailboxCsv | MailboxJson => SourceKind::Mailbox,
            MessageTraceCsv
            | MessageTraceJson
            | MessageTraceEnhancedCsv
            | MessageTraceExtendedCsv
            | MessageTracePortalCsv => SourceKind::MessageTrace,
            SentItemsGraphJson => SourceKind::SentItems,
            EntraAuditGraphJson | EntraAuditLogAnalyticsJson | EntraAuditLogAnalyticsCsv => {
                SourceKind::EntraAudit
            }
        }
    }

    pub fn name(self) -> &'static str {
        use Format::*;
        match self {
            UalPurviewCsv => "purview-csv",
            UalPurviewClassicCsv => "purview-classic-csv",
            UalSearchCsv => "search-unifiedauditlog-csv",
            UalGraphCsv => "graph-audit-csv",
            UalFlattenedCsv => "flattened-auditdata-csv",
            UalSentinelCsv => "sentinel-officeactivity-csv",
            UalAuditDataJson => "auditdata-json",
            UalWrapperJson => "search-unifiedauditlog-json",
            UalGraphJson => "graph-audit-json",
            UalSentinelJson => "sentinel-officeactivity-json",
            SigninGraphJson => "graph-signin-json",
            SigninAzureMonitorJson => "azure-monitor-signin-json",
            SigninLogAnalyticsJson => "log-analytics-signin-json",
            SigninPortalCsv => "entra-portal-signin-csv",
            SigninLogAnalyticsCsv => "log-analytics-signin-csv",
            InboxRulesFormatList => "get-inboxrule-format-list",
            InboxRulesCsv => "get-inboxrule-csv",
            InboxRulesJson => "get-inboxrule-json",
            InboxRulesExtractorCsv => "extractor-suite-mailboxrules-csv",
            InboxRulesExtractorLegacyCsv => "extractor-suite-mailboxrules-legacy-csv",
            InboxRulesExtractorGraphCsv => "extractor-suite-mailboxrulesgraph-csv",
            InboxRulesGraphJson => "graph-messagerule-json",
            MailboxFormatList => "get-mailbox-format-list",
            MailboxCsv => "get-mailbox-csv",
            MailboxJson => "get-mailbox-json",
            MessageTraceCsv => "get-messagetrace-csv",
            MessageTraceJson => "get-messagetrace-json",
            MessageTraceEnhancedCsv => "messagetrace-enhanced-csv",
            MessageTraceExtendedCsv => "messagetrace-extended-csv",
            MessageTracePortalCsv => "messagetrace-portal-csv",
            SentItemsGraphJson => "graph-messages-json",
            EntraAuditGraphJson => "graph-directoryaudit-json",
            EntraAuditLogAnalyticsJson => "log-analytics-auditlogs-json",
            EntraAuditLogAnalyticsCsv => "log-analytics-auditlogs-csv",
        }
    }

    /// Is this format's time column culture-formatted (so the file's date order matters)?
    pub fn has_culture_dates(self) -> bool {
        use Format::*;
        matches!(
            self,
            UalFlattenedCsv
                | MailboxCsv
                | MessageTraceCsv
                | MessageTracePortalCsv
                | MessageTraceEnhancedCsv
        )
    }
}

fn has(o: &Map<String, Value>, key: &str) -> bool {
    get(o, key).is_some()
}

/// Detects a JSON format from the first record's keys. `Err` carries the reason a file is not
/// supported.
pub fn sniff_json(first: &Map<String, Value>) -> Result<Format, String> {
    use Format::*;
    let o = first;
    let format = if has(o, "auditLogRecordType") && has(o, "auditData") && has(o, "operation") {
        UalGraphJson
    } else if has(o, "AuditData") {
        UalWrapperJson
    } else if has(o, "OfficeWorkload") {
        UalSentinelJson
    } else if text(o, &["operationName"])
        .is_some_and(|n| n.eq_ignore_ascii_case("Sign-in activity"))
        && has(o, "properties")
    {
        SigninAzureMonitorJson
    } else if has(o, "TimeGenerated")
        && has(o, "ResultType")
        && has(o, "UserPrincipalName")
        && text(o, &["Category", "Type"]).is_some_and(|c| c.to_ascii_lowercase().contains("signin"))
    {
        SigninLogAnalyticsJson
    } else if has(o, "createdDateTime")
        && (has(o, "status") || has(o, "ipAddress"))
        && (has(o, "userPrincipalName") || has(o, "servicePrincipalId") || has(o, "appId"))
        && !has(o, "internetMessageId")
    {
        SigninGraphJson
    } else if has(o, "activityDisplayName") && has(o, "initiatedBy") {
        if has(o, "TimeGenerated") {
            EntraAuditLogAnalyticsJson
        } else {
            EntraAuditGraphJson
        }
    } else if has(o, "OperationName") && has(o, "InitiatedBy") && has(o, "TargetResources") {
        EntraAuditLogAnalyticsJson
    } else if has(o, "RuleIdentity") || (has(o, "MailboxOwnerId") && has(o, "Priority")) {
        InboxRulesJson
    } else if has(o, "displayName") && has(o, "sequence") && has(o, "actions") {
        InboxRulesGraphJson
    } else if has(o, "ForwardingSmtpAddress")
        && (has(o, "PrimarySmtpAddress") || has(o, "UserPrincipalName"))
    {
        MailboxJson
    } else if has(o, "MessageTraceId") && has(o, "Received") && has(o, "SenderAddress") {
        MessageTraceJson
    } else if has(o, "internetMessageId") && (has(o, "sentDateTime") || has(o, "receivedDateTime"))
    {
        SentItemsGraphJson
    } else if has(o, "CreationTime")
        && has(o, "Id")
        && (has(o, "Operation") || has(o, "RecordType"))
    {
        UalAuditDataJson
    } else {
        return Err(format!(
            "no known JSON record shape; first keys: {}",
            key_list(o)
        ));
    };
    Ok(format)
}

/// Detects a CSV format from its header.
pub fn sniff_csv(h: &Header) -> Result<Format, String> {
    use Format::*;
    let format = if h.has_all(&[
        "RecordId",
        "CreationDate",
        "RecordType",
        "Operation",
        "UserId",
        "AuditData",
    ]) {
        UalPurviewCsv
    } else if h.normalized.len() == 4
        && h.has_all(&["CreationDate", "UserIds", "Operations", "AuditData"])
    {
        UalPurviewClassicCsv
    } else if h.has("auditLogRecordType") && h.has("auditData") {
        UalGraphCsv
    } else if h.has("AuditData") {
        UalSearchCsv
    } else if h.has("OfficeWorkload") && h.has_any(&["TimeGenerated", "Operation"]) {
        UalSentinelCsv
    } else if h.has("CreationTime") && h.has("Operation") && h.has_any(&["Workload", "RecordType"])
    {
        UalFlattenedCsv
    } else if h.has("Request ID")
        && h.has_any(&["Date (UTC)", "Date"])
        && h.has("Sign-in error code")
    {
        SigninPortalCsv
    } else if h.has_all(&["TimeGenerated", "ResultType", "UserPrincipalName"]) {
        SigninLogAnalyticsCsv
    } else if h.has_any(&["ActivityDisplayName", "OperationName"]) && h.has("InitiatedBy") {
        EntraAuditLogAnalyticsCsv
    } else if h.has_all(&["RuleName", "Sequence", "RuleId"]) {
        InboxRulesExtractorGraphCsv
    } else if h.has_all(&["UserName", "RuleName", "RuleIdentity"]) {
        InboxRulesExtractorCsv
    } else if h.has_all(&["UserName", "RuleName", "RuleEnabled"]) {
        InboxRulesExtractorLegacyCsv
    } else if h.has("RuleIdentity") || h.has_all(&["MailboxOwnerId", "Priority"]) {
        InboxRulesCsv
    } else if h.has("ForwardingSmtpAddress")
        && h.has_any(&["PrimarySmtpAddress", "UserPrincipalName"])
    {
        MailboxCsv
    } else if h.has_all(&["MessageTraceId", "Received", "SenderAddress"]) {
        MessageTraceCsv
    } else if h.has_any(&["origin_timestamp_utc", "origin_timestamp"]) && h.has("recipient_status")
    {
        MessageTraceEnhancedCsv
    } else if h.has_all(&["event_id", "internal_message_id"]) {
        MessageTraceExtendedCsv
    } else if h.has_any(&["Date", "Date (UTC)", "Received Time", "Received"])
        && h.has_any(&["Sender", "SenderAddress"])
        && h.has_any(&["Recipient", "RecipientAddress"])
        && h.has_any(&["Message ID", "MessageId"])
    {
        MessageTracePortalCsv
    } else {
        let shown: Vec<&str> = h.raw.iter().take(8).map(|s| s.trim()).collect();
        return Err(format!(
            "no known CSV header; columns: {}",
            shown.join(", ")
        ));
    };
    Ok(format)
}

/// Detects a Format-List text dump by the properties it shows.
pub fn sniff_format_list(text: &str) -> Option<Format> {
    if !super::format_list::looks_like_format_list(text) {
        return None;
    }
    let head = &text[..super::decode::floor_char_boundary(text, 64 * 1024)];
    let has_property = |name: &str| {
        head.lines()
            .any(|l| l.starts_with(name) && l[name.len()..].trim_start().starts_with(':'))
    };
    if has_property("RuleIdentity") {
        Some(Format::InboxRulesFormatList)
    } else if has_property("ForwardingSmtpAddress") {
        Some(Format::MailboxFormatList)
    } else {
        None
    }
}

fn key_list(o: &Map<String, Value>) -> String {
    let keys: Vec<&str> = o.keys().take(8).map(String::as_str).collect();
    keys.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    fn header(names: &[&str]) -> Header {
        Header::new(names.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn json_shapes() {
        let cases = [
            (
                json!({"CreationTime": "x", "Id": "y", "Operation": "z"}),
                Format::UalAuditDataJson,
            ),
            (
                json!({"AuditData": "{}", "Operations": "x"}),
                Format::UalWrapperJson,
            ),
            (
                json!({"auditLogRecordType": "x", "auditData": {}, "operation": "y"}),
                Format::UalGraphJson,
            ),
            (
                json!({"createdDateTime": "x", "userPrincipalName": "u", "status": {}}),
                Format::SigninGraphJson,
            ),
            (
                json!({"operationName": "Sign-in activity", "properties": {}}),
                Format::SigninAzureMonitorJson,
            ),
            (
                json!({"activityDisplayName": "x", "initiatedBy": {}}),
                Format::EntraAuditGraphJson,
            ),
            (
                json!({"Name": ".", "RuleIdentity": 1}),
                Format::InboxRulesJson,
            ),
            (
                json!({"MessageTraceId": "x", "Received": "y", "SenderAddress": "z"}),
                Format::MessageTraceJson,
            ),
            (
                json!({"internetMessageId": "x", "sentDateTime": "y"}),
                Format::SentItemsGraphJson,
            ),
            (
                json!({"OfficeWorkload": "Exchange", "TimeGenerated": "x"}),
                Format::UalSentinelJson,
            ),
        ];
        for (value, want) in cases {
            assert_eq!(sniff_json(&obj(value.clone())), Ok(want), "{value}");
        }
        assert!(
            sniff_json(&obj(
                json!({"Timestamp": "x", "DeviceId": "y", "ActionType": "z"})
            ))
            .is_err()
        );
    }

    #[test]
    fn csv_headers() {
        assert_eq!(
            sniff_csv(&header(&[
                "RecordId",
                "CreationDate",
                "RecordType",
                "Operation",
                "UserId",
                "AuditData",
                "AssociatedAdminUnits",
                "AssociatedAdminUnitsNames"
            ])),
            Ok(Format::UalPurviewCsv)
        );
        assert_eq!(
            sniff_csv(&header(&[
                "CreationDate",
                "UserIds",
                "Operations",
                "AuditData"
            ])),
            Ok(Format::UalPurviewClassicCsv)
        );
        assert_eq!(
            sniff_csv(&header(&[
                "Date (UTC)",
                "Request ID",
                "Application ID ",
                "Sign-in error code"
            ])),
            Ok(Format::SigninPortalCsv)
        );
        assert_eq!(
            sniff_csv(&header(&[
                "UserName",
                "RuleName",
                "RuleEnabled",
                "CopytoFolder",
                "MovetoFolder",
                "RedirectTo",
                "ForwardTo",
                "TextDescription"
            ])),
            Ok(Format::InboxRulesExtractorLegacyCsv)
        );
        assert!(
            sniff_csv(&header(&[
                "Name",
                "Description",
                "CreatedBy",
                "WhenChanged",
                "State"
            ]))
            .is_err()
        );
    }
}
