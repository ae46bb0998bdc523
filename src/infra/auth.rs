//! Authentication attempts, whichever log they came from: Entra sign-ins of every kind and the
//! UAL's `UserLoggedIn` / `UserLoginFailed`, with what their error codes mean.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::event::{Event, Provenance, SourceKind};

/// Error codes that are interrupts (the password was right, more is asked), not failures.
pub const INTERRUPTS: &[&str] = &[
    "50074", "50076", "50079", "50072", "50097", "50125", "50140", "50158", "50199", "16000",
    "16003", "53003", "53000", "53001", "65001", "90094", "7000218", "50055",
];
/// Credential failures that count towards spray and brute force.
pub const CREDENTIAL_FAILURES: &[&str] = &[
    "50126", "50053", "50057", "50056", "50034", "50055", "500011",
];
/// MFA denied, not answered, or failed.
pub const MFA_DENIALS: &[&str] = &["500121", "50158"];
/// The account does not exist in the tenant: sprays try guessed names.
pub const NONEXISTENT_ACCOUNT: &str = "50034";
/// The account is locked after too many failures (Smart Lockout).
pub const LOCKED_OUT: &str = "50053";

/// A failed attempt that says the password (or account) was wrong, rather than an interrupt
/// or an MFA denial.
pub fn is_credential_failure(success: bool, code: &str) -> bool {
    !success
        && (CREDENTIAL_FAILURES.contains(&code)
            || (code.is_empty() || code == "0") // UserLoginFailed without a code
            || !INTERRUPTS.contains(&code) && !MFA_DENIALS.contains(&code))
}

/// Is this event an authentication attempt: a sign-in log record, or a UAL logon?
pub fn is_attempt(e: &Event) -> bool {
    e.source == SourceKind::Signin
        || (e.source == SourceKind::Ual
            && (e.operation.eq_ignore_ascii_case("UserLoggedIn")
                || e.operation.eq_ignore_ascii_case("UserLoginFailed")))
}

/// One authentication attempt.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub event: usize,
    pub time: DateTime<Utc>,
    pub user: &'a str,
    pub ip: Option<IpAddr>,
    pub success: bool,
    pub code: &'a str,
    pub credential_failure: bool,
    /// A script's or attack tool's user agent.
    pub tool_agent: bool,
    /// Where the record is, to order attempts of the same second.
    pub order: Provenance,
}

/// Every authentication attempt of the evidence, in time order.
pub fn attempts(events: &[Event]) -> Vec<Attempt<'_>> {
    let mut out: Vec<Attempt> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| is_attempt(e))
        .filter_map(|(i, e)| {
            let success = e.outcome.success == Some(true);
            let code = e.outcome.code.as_deref().unwrap_or("").trim();
            Some(Attempt {
                event: i,
                time: e.time?,
                user: e.user.as_deref()?,
                ip: e.ip,
                success,
                code,
                credential_failure: is_credential_failure(success, code),
                tool_agent: e.client.user_agent.as_deref().is_some_and(is_tool_agent),
                order: e.prov,
            })
        })
        .collect();
    out.sort_by_key(|a| (a.time, a.order));
    out
}

/// The kinds of tool user agent, in the sections of rules/lists/tool_user_agents.txt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolClass {
    /// Phishing kits and attack tools: no legitimate enterprise use.
    Kit,
    /// Password-only OAuth (ROPC) and legacy clients.
    Ropc,
    /// HTTP libraries and generic clients: automation, not a person's browser.
    Library,
    /// Administrators' tooling (PowerShell): context only, never a finding alone.
    Admin,
}

/// The class of a tool user agent, if it is one.
pub fn tool_class(ua: &str) -> Option<ToolClass> {
    let ua = ua.to_ascii_lowercase();
    tool_agents()
        .iter()
        .find(|(fragment, _)| ua.contains(fragment.as_str()))
        .map(|(_, class)| *class)
}

/// Is this the user agent of a script or attack tool (not administrators' tooling)?
pub fn is_tool_agent(ua: &str) -> bool {
    tool_class(ua).is_some_and(|c| c != ToolClass::Admin)
}

/// The tool user-agent fragments, lower case, with their section's class.
fn tool_agents() -> &'static [(String, ToolClass)] {
    static LIST: std::sync::OnceLock<Vec<(String, ToolClass)>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let mut class = ToolClass::Kit;
        let mut out = Vec::new();
        for line in include_str!("../../rules/lists/tool_user_agents.txt").lines() {
            let line = line.trim();
            if let Some(header) = line.strip_prefix("# ---") {
                let header = header.to_ascii_lowercase();
                class = if header.contains("ropc") {
                    ToolClass::Ropc
                } else if header.contains("http libraries") {
                    ToolClass::Library
                } else if header.contains("admin") {
                    ToolClass::Admin
                } else {
                    ToolClass::Kit
                };
            } else if !line.is_empty() && !line.starts_with('#') {
                out.push((line.to_ascii_lowercase(), class));
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_agents_by_section() {
        assert_eq!(
            tool_class("python-requests/2.31.0"),
            Some(ToolClass::Library)
        );
        assert_eq!(tool_class("BAV2ROPC"), Some(ToolClass::Ropc));
        assert_eq!(tool_class("AADInternals"), Some(ToolClass::Kit));
        assert_eq!(
            tool_class("Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1"),
            Some(ToolClass::Admin)
        );
        assert!(!is_tool_agent("Mozilla/5.0 WindowsPowerShell/5.1"));
        assert!(is_tool_agent("axios/1.7.7"));
        assert!(!is_tool_agent(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"
        ));
    }

    #[test]
    fn credential_failures_are_not_interrupts() {
        assert!(is_credential_failure(false, "50126"));
        assert!(is_credential_failure(false, ""));
        assert!(!is_credential_failure(false, "50074"));
        assert!(!is_credential_failure(false, "500121"));
        assert!(!is_credential_failure(true, "0"));
    }
}
