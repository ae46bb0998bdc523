//! How the page words times, durations, counts, places, field values and kinds of input.

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::report::Display;
use crate::window::Window;

/// `203.0.113.77 (NG)`, or the bare address where no country was seen for it.
pub fn place_of(places: &BTreeMap<String, String>, ip: &IpAddr) -> String {
    let ip = ip.to_string();
    match places.get(&ip) {
        Some(country) => format!("{ip} ({country})"),
        None => ip,
    }
}

pub fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

pub fn max_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

pub fn span(d: &Display, a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{} to {}", d.time(a), d.time(b)),
        _ => "no dated records".into(),
    }
}

pub fn window_text(d: &Display, w: &Window) -> String {
    format!(
        "{} to {} ({})",
        d.time(w.start),
        d.time(w.end),
        duration_text(w.end - w.start)
    )
}

pub fn duration_text(span: Duration) -> String {
    let minutes = span.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(unit(days, "day", "days"));
    }
    if hours > 0 {
        parts.push(unit(hours, "hour", "hours"));
    }
    if mins > 0 && days == 0 {
        parts.push(unit(mins, "minute", "minutes"));
    }
    if parts.is_empty() {
        "under a minute".into()
    } else {
        parts.join(" ")
    }
}

pub fn iso_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `12,345,678`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `4–9, 12, 15–16`.
pub fn line_ranges(lines: &[u64]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            sorted[i].to_string()
        } else {
            format!("{}–{}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

pub fn count_phrase(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn was_were(n: usize) -> String {
    if n == 1 {
        "One account was".into()
    } else {
        format!("{n} accounts were")
    }
}

pub fn field_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().flat_map(|x| field_strings(Some(x))).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.to_string()],
    }
}

pub fn value_text(v: &Value) -> String {
    field_strings(Some(v)).join(", ")
}

pub fn kind_label(kind: &str) -> &str {
    match kind {
        "ual" => "Unified Audit Log",
        "signin" => "Entra ID sign-in log",
        "inbox_rules" => "Inbox rules (Get-InboxRule)",
        "mailbox" => "Mailbox settings (Get-Mailbox)",
        "message_trace" => "Message trace",
        "sent_items" => "Sent Items listing",
        "entra_audit" => "Entra ID audit log",
        "unsupported" => "Not a recognised export",
        "unreadable" => "Could not be read",
        other => other,
    }
}

pub fn source_label(kind: &str) -> &str {
    match kind {
        "ual" => "audit log",
        "signin" => "sign-in log",
        "inbox_rules" => "inbox rules",
        "mailbox" => "mailbox settings",
        "message_trace" => "message trace",
        "sent_items" => "Sent Items",
        "entra_audit" => "directory audit",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(542405), "542,405");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(duration_text(Duration::minutes(250)), "4 hours 10 minutes");
        assert_eq!(duration_text(Duration::minutes(1500)), "1 day 1 hour");
        assert_eq!(duration_text(Duration::seconds(20)), "under a minute");
        assert_eq!(line_ranges(&[9, 4, 5, 6, 12, 15, 16]), "4–6, 9, 12, 15–16");
        assert_eq!(line_ranges(&[3]), "3");
    }
}
