//! The client of a successful sign-in: `signin.legacy-auth` (protocols that skip MFA),
//! `signin.suspicious-user-agent` (scripts and attack tools) and `signin.risky` (Entra ID
//! Protection's own rating).

use serde_json::Value;

use super::account::{Success, Walk};
use crate::analyzers::finding_for;
use crate::event::SourceKind;
use crate::finding::Severity;

pub use crate::infra::auth::is_tool_agent;

impl Walk<'_, '_> {
    pub(super) fn legacy(&mut self, s: &Success<'_>) {
        let (a, e) = (s.auth, s.event);
        let client = e.client.client_info.as_deref().unwrap_or("").trim();
        let protocol = e.attr("authenticationProtocol").unwrap_or("");
        let ropc = protocol.eq_ignore_ascii_case("ropc")
            || a.user_agent.to_ascii_lowercase().contains("bav2ropc");
        let legacy = (!client.is_empty()
            && !client.eq_ignore_ascii_case("Browser")
            && !client.eq_ignore_ascii_case("Mobile Apps and Desktop clients")
            && e.source == SourceKind::Signin
            && !client.starts_with("Client="))
            || ropc;
        if !s.judge || s.infra || !legacy {
            return;
        }
        let label = if ropc {
            "ROPC (password-only OAuth)".to_string()
        } else {
            client.to_string()
        };
        let ip = a.ip.map(|i| i.to_string()).unwrap_or_default();
        if !self.reported_legacy.insert((label.clone(), ip.clone())) {
            return;
        }
        let mut f = finding_for(
            e,
            self.scope.inputs,
            "signin.legacy-auth",
            Severity::Medium,
            format!(
                "{} signed in with {label} from {ip}: legacy protocols skip MFA and Conditional Access",
                self.user
            ),
        );
        f.fields.insert("client_app".into(), Value::String(label));
        self.findings.push(f);
    }

    /// Scripted or tool user agents, and interactive sign-ins without one.
    pub(super) fn tool_agent(&mut self, s: &Success<'_>) {
        let (a, e) = (s.auth, s.event);
        let ua = a.user_agent.to_ascii_lowercase();
        let tool = is_tool_agent(&ua);
        let empty_interactive = ua.trim().is_empty() && e.operation.as_ref() == "InteractiveSignIn";
        if !s.judge || s.infra || !(tool || empty_interactive) || !self.reported_agents.insert(ua) {
            return;
        }
        let severity = if tool {
            Severity::Medium
        } else {
            Severity::Low
        };
        let mut f = finding_for(
            e,
            self.scope.inputs,
            "signin.suspicious-user-agent",
            severity,
            format!(
                "{} signed in from {} with user agent '{}'",
                self.user,
                a.ip.map(|i| i.to_string()).unwrap_or_default(),
                if a.user_agent.is_empty() {
                    "(empty)"
                } else {
                    &a.user_agent
                }
            ),
        );
        f.fields
            .insert("user_agent".into(), Value::String(a.user_agent.clone()));
        self.findings.push(f);
    }

    /// Entra ID Protection's rating, reported once per account.
    pub(super) fn risk(&mut self, s: &Success<'_>) {
        let e = s.event;
        let risk = |k: &str| e.attr(k).unwrap_or("").to_ascii_lowercase();
        let level = [risk("riskLevelDuringSignIn"), risk("riskLevelAggregated")];
        let state = risk("riskState");
        let risky = level.iter().any(|l| l == "high" || l == "medium")
            || state == "atrisk"
            || state == "confirmedcompromised";
        if !s.judge || !risky || self.reported_risk {
            return;
        }
        self.reported_risk = true;
        let severity = if state == "confirmedcompromised" {
            Severity::High
        } else {
            Severity::Medium
        };
        let mut f = finding_for(
            e,
            self.scope.inputs,
            "signin.risky",
            severity,
            format!(
                "Entra rated a sign-in of {} from {} as risky (during sign-in: {}, aggregated: {}, state: {})",
                self.user,
                s.auth.ip.map(|i| i.to_string()).unwrap_or_default(),
                level[0],
                level[1],
                state
            ),
        );
        let types: Vec<&str> = e
            .attrs
            .get_all("riskEventTypes_v2")
            .chain(e.attrs.get_all("riskEventTypes"))
            .collect();
        if !types.is_empty() {
            f.fields.insert(
                "risk_events".into(),
                Value::from(types.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            );
        }
        self.findings.push(f);
    }
}
