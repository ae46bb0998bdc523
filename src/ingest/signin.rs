//! Entra ID sign-ins (input-formats.md §3): Graph `signIn` objects (camelCase or PascalCase),
//! Azure Monitor diagnostic records (`properties` wrapper), Log Analytics rows, and the Entra
//! portal CSV (turned into a Graph-shaped object first).

use serde_json::{Map, Value};

use super::fields::{self, get, lower, object, parse_bool, path_text, text};
use super::ip::parse_ip;
use super::time::{DateOrder, parse_timestamp};
use crate::event::{Attrs, Event, Location, Provenance, SourceKind};

/// Builds the event of one sign-in record of any JSON shape.
pub fn normalize(record: &Map<String, Value>, prov: Provenance) -> Result<Event, String> {
    // Azure Monitor diagnostic settings: the Graph object sits in `properties`.
    let diagnostic = match get(record, "properties") {
        Some(Value::Object(p)) if get(record, "operationName").is_some() => Some(p),
        _ => None,
    };
    let main = diagnostic.unwrap_or(record);

    let raw_time = text(
        main,
        &["createdDateTime", "Date (UTC)", "Date", "CreatedDateTime"],
    )
    .or_else(|| text(record, &["TimeGenerated", "time"]))
    .ok_or("no createdDateTime")?;
    let time = parse_timestamp(&raw_time, DateOrder::Mdy)
        .ok_or_else(|| format!("unreadable createdDateTime {raw_time:?}"))?;

    let mut event = Event::new(SourceKind::Signin, operation(main, record), prov);
    event.time = Some(time);
    event.record_id = text(main, &["id", "Id"]).map(|s| s.trim().to_ascii_lowercase().into());
    let account = text(
        main,
        &["userPrincipalName", "UserPrincipalName", "signInIdentifier"],
    )
    .or_else(|| text(main, &["servicePrincipalId", "servicePrincipalName"]))
    .or_else(|| text(record, &["identity"]));
    event.user = account.map(|a| lower(&a));
    event.actor = event.user.clone();
    event.ip = text(main, &["ipAddress", "IPAddress"])
        .or_else(|| text(record, &["callerIpAddress"]))
        .and_then(|s| parse_ip(s.trim()));

    let error_code = path_text(main, &["status", "errorCode"])
        .or_else(|| text(main, &["ResultType"]).map(|s| s.into_owned()))
        .or_else(|| text(record, &["resultType"]).map(|s| s.into_owned()));
    event.outcome.success = error_code.as_deref().map(|c| c.trim() == "0");
    event.outcome.code = error_code.map(Into::into);
    event.outcome.reason = path_text(main, &["status", "failureReason"])
        .or_else(|| text(main, &["ResultDescription"]).map(|s| s.into_owned()))
        .map(Into::into);

    event.client.app = text(main, &["appDisplayName", "AppDisplayName", "appId"]).map(|s| s.into());
    event.client.user_agent = text(main, &["userAgent"]).map(|s| s.into());
    event.client.client_info = text(main, &["clientAppUsed"]).map(|s| s.into());
    event.client.session = text(main, &["sessionId", "correlationId"]).map(|s| s.into());
    event.object = text(main, &["resourceDisplayName", "resourceId"]).map(|s| s.into());
    event.location = location(main).map(Box::new);

    let mut attrs = Attrs::default();
    fields::flatten_object(&mut attrs, "", main);
    event.attrs = attrs;
    Ok(event)
}

/// `InteractiveSignIn`, `NonInteractiveSignIn`, `ServicePrincipalSignIn`, `ManagedIdentitySignIn`.
fn operation(main: &Map<String, Value>, record: &Map<String, Value>) -> &'static str {
    let category = text(record, &["category", "Category", "Type"]).unwrap_or_default();
    let types = match get(main, "signInEventTypes") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    };
    let hint = format!("{category},{types}").to_ascii_lowercase();
    if hint.contains("serviceprincipal") || get(main, "servicePrincipalCredentialKeyId").is_some() {
        "ServicePrincipalSignIn"
    } else if hint.contains("managedidentity") || get(main, "managedServiceIdentity").is_some() {
        "ManagedIdentitySignIn"
    } else if hint.contains("noninteractive")
        || text(main, &["isInteractive"]).is_some_and(|v| parse_bool(&v) == Some(false))
    {
        "NonInteractiveSignIn"
    } else {
        "InteractiveSignIn"
    }
}

fn location(main: &Map<String, Value>) -> Option<Location> {
    let details = object(main, "location")
        .filter(|o| !o.is_empty())
        .or_else(|| object(main, "LocationDetails"));
    let mut loc = Location::default();
    if let Some(d) = details {
        loc.country = text(&d, &["countryOrRegion"]).map(|c| c.trim().to_ascii_uppercase().into());
        loc.state = text(&d, &["state"]).map(|s| s.trim().into());
        loc.city = text(&d, &["city"]).map(|s| s.trim().into());
        if let Some(geo) = object(&d, "geoCoordinates") {
            loc.lat = get(&geo, "latitude").and_then(Value::as_f64);
            loc.lon = get(&geo, "longitude").and_then(Value::as_f64);
        }
    } else if let Some(code) = text(main, &["location", "Location"]).filter(|c| c.trim().len() == 2)
    {
        loc.country = Some(code.trim().to_ascii_uppercase().into());
    }
    loc.asn = text(main, &["autonomousSystemNumber"]).and_then(|a| a.trim().parse().ok());
    (!loc.is_empty()).then_some(loc)
}

/// Entra portal CSV columns and the Graph fields they carry (input-formats.md §3.4).
const PORTAL_COLUMNS: &[(&str, &str)] = &[
    ("date (utc)", "createdDateTime"),
    ("date", "createdDateTime"),
    ("request id", "id"),
    ("user agent", "userAgent"),
    ("correlation id", "correlationId"),
    ("user id", "userId"),
    ("user", "userDisplayName"),
    ("username", "userPrincipalName"),
    ("user type", "userType"),
    ("application", "appDisplayName"),
    ("application id", "appId"),
    ("resource", "resourceDisplayName"),
    ("resource id", "resourceId"),
    ("ip address", "ipAddress"),
    (
        "ip address (seen by resource)",
        "ipAddressFromResourceProvider",
    ),
    ("client app", "clientAppUsed"),
    ("browser", "browser"),
    ("operating system", "operatingSystem"),
    ("device id", "deviceId"),
    ("authentication requirement", "authenticationRequirement"),
    ("authentication protocol", "authenticationProtocol"),
    ("session id", "sessionId"),
    ("unique token identifier", "uniqueTokenIdentifier"),
    ("autonomous system number", "autonomousSystemNumber"),
    ("conditional access", "conditionalAccessStatus"),
    ("incoming token type", "incomingTokenType"),
    ("sign-in identifier", "signInIdentifier"),
    ("multifactor authentication result", "mfaResult"),
    ("multifactor authentication auth method", "mfaAuthMethod"),
    ("multifactor authentication auth detail", "mfaAuthDetail"),
    ("compliant", "isCompliant"),
    ("managed", "isManaged"),
    ("join type", "trustType"),
    ("cross tenant access type", "crossTenantAccessType"),
    ("token issuer type", "tokenIssuerType"),
    ("flagged for review", "flaggedForReview"),
    ("latency", "processingTimeInMilliseconds"),
];

/// Turns an Entra portal CSV row into a Graph-shaped sign-in object. `Location` is
/// `"City, State, CC"` (country last); `Status` plus `Sign-in error code` give `status`.
pub fn portal_row_to_graph(
    header: &super::table::Header,
    row: &csv::StringRecord,
) -> Map<String, Value> {
    let mut out = Map::new();
    let mut extras = Map::new();
    for (i, name) in header.normalized.iter().enumerate() {
        let value = row.get(i).unwrap_or("").trim();
        if let Some((_, graph)) = PORTAL_COLUMNS.iter().find(|(col, _)| col == name) {
            // Duplicate columns (`Incoming token type` twice): the first one wins.
            out.entry(graph.to_string())
                .or_insert_with(|| Value::String(value.to_string()));
        } else if !value.is_empty() {
            extras.insert(
                header.raw[i].trim().to_string(),
                Value::String(value.to_string()),
            );
        }
    }
    let col = |n: &str| header.find(n).and_then(|i| row.get(i)).map(str::trim);
    let status_word = col("status").unwrap_or("");
    let code = col("sign-in error code")
        .filter(|c| !c.is_empty())
        .unwrap_or(if status_word.eq_ignore_ascii_case("success") {
            "0"
        } else {
            ""
        });
    let mut status = Map::new();
    if let Ok(n) = code.parse::<i64>() {
        status.insert("errorCode".into(), Value::from(n));
    } else if !status_word.is_empty() {
        // A failure without a code is still a failure.
        let n = if status_word.eq_ignore_ascii_case("success") {
            0
        } else {
            -1
        };
        status.insert("errorCode".into(), Value::from(n));
    }
    if let Some(reason) = col("failure reason").filter(|r| !r.is_empty()) {
        status.insert("failureReason".into(), Value::String(reason.into()));
    }
    if !status_word.is_empty() {
        status.insert(
            "additionalDetails".into(),
            Value::String(status_word.into()),
        );
    }
    out.insert("status".into(), Value::Object(status));
    if let Some(loc) = col("location").filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = loc.rsplitn(3, ',').map(str::trim).collect();
        let mut location = Map::new();
        let mut put = |k: &str, v: Option<&&str>| {
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                location.insert(k.into(), Value::String(v.to_string()));
            }
        };
        put("countryOrRegion", parts.first());
        put("state", parts.get(1));
        put("city", parts.get(2));
        out.insert("location".into(), Value::Object(location));
    }
    if !extras.is_empty() {
        out.insert("portal".into(), Value::Object(extras));
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
    fn graph_sign_in() {
        let e = normalize(
            &obj(json!({
                "id": "4A078E60", "createdDateTime": "2025-03-04T10:47:55Z",
                "userPrincipalName": "Megan.B@contoso.com", "ipAddress": "198.51.100.23",
                "autonomousSystemNumber": 64500, "clientAppUsed": "Browser", "isInteractive": false,
                "status": {"errorCode": 0, "failureReason": "Other."},
                "location": {"city": "Amsterdam", "countryOrRegion": "nl",
                             "geoCoordinates": {"latitude": 52.37, "longitude": 4.89}}
            })),
            prov(),
        )
        .unwrap();
        assert_eq!(e.operation.as_ref(), "NonInteractiveSignIn");
        assert_eq!(e.user.as_deref(), Some("megan.b@contoso.com"));
        assert_eq!(e.outcome.success, Some(true));
        let loc = e.location.unwrap();
        assert_eq!(loc.country.as_deref(), Some("NL"));
        assert_eq!(
            (loc.lat, loc.lon, loc.asn),
            (Some(52.37), Some(4.89), Some(64500))
        );
    }

    #[test]
    fn azure_monitor_record() {
        let e = normalize(
            &obj(json!({
                "time": "2019-10-18T09:45:48Z", "operationName": "Sign-in activity",
                "category": "SignInLogs", "callerIpAddress": "81.2.69.144", "resultType": "50140",
                "properties": {"createdDateTime": "2019-10-18T04:45:48.0729893-05:00",
                               "userPrincipalName": "test@elastic.co", "ipAddress": "81.2.69.144",
                               "status": {"errorCode": 50140}, "isInteractive": true}
            })),
            prov(),
        )
        .unwrap();
        assert_eq!(e.operation.as_ref(), "InteractiveSignIn");
        assert_eq!(e.outcome.success, Some(false));
        assert_eq!(e.outcome.code.as_deref(), Some("50140"));
        assert_eq!(
            e.time.unwrap().to_rfc3339(),
            "2019-10-18T09:45:48.072989300+00:00"
        );
    }

    #[test]
    fn log_analytics_row_with_json_text() {
        let e = normalize(
            &obj(json!({
                "TimeGenerated": "2023-09-19T13:45:17.287Z", "ResultType": "50126",
                "UserPrincipalName": "a@contoso.com", "IPAddress": "203.0.113.9", "Location": "DE",
                "Category": "NonInteractiveUserSignInLogs",
                "Status": "{\"errorCode\":50126}"
            })),
            prov(),
        )
        .unwrap();
        assert_eq!(e.operation.as_ref(), "NonInteractiveSignIn");
        assert_eq!(e.outcome.success, Some(false));
        assert_eq!(e.location.unwrap().country.as_deref(), Some("DE"));
    }
}
