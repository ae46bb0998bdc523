//! Sign-in and IP anomalies (detections.md section 4; design.md section 8 for spray thresholds).
//!
//! Authentication events come from the Entra sign-in logs and, for accounts those logs do not
//! cover, from the UAL's UserLoggedIn / UserLoginFailed. Every account's baseline is its own
//! successful sign-ins before the event (all of them, or those before `--since`), together with
//! the tenant's: an address many colleagues sign in from is office egress, and a country several
//! accounts use is home ground. Locations come from the sign-in records themselves and are
//! spread to every event from the same address.
//!
//! One module per detection: `spray` (password spray and the successes from it), `account`
//! (each account's sign-ins in time order: brute force and MFA fatigue, with `novelty` for new
//! countries and addresses, `travel` for impossible travel and `client` for legacy protocols,
//! tool user agents and Entra risk), and `unseen` (mailbox activity from addresses that never
//! signed in). `baseline` holds the tenant's view of addresses and countries; `geo` locations.

mod account;
mod baseline;
mod client;
mod geo;
mod novelty;
mod spray;
mod travel;
mod unseen;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use ipnet::IpNet;

use crate::event::{Event, SourceKind};
use crate::finding::Finding;
use crate::ingest::InputSummary;
pub use client::is_tool_agent;
pub use geo::spread_locations;

/// Thresholds (design.md section 8; the config file will be able to change them).
#[derive(Debug, Clone)]
pub struct SigninOptions {
    /// Distinct accounts one address must fail against to be a spray.
    pub spray_accounts: usize,
    pub spray_window: Duration,
    /// Failures against one account, then a success, to be a brute force.
    pub brute_force_failures: usize,
    /// Distinct accounts signing in from one address before it counts as office egress.
    pub shared_ip_accounts: usize,
    /// Successful sign-ins an account needs before a first-seen country or address is news.
    pub min_baseline: usize,
    /// Impossible travel: at least this fast, over at least this far.
    pub travel_kmh: f64,
    pub travel_min_km: f64,
    /// MFA denials in a row that make fatigue.
    pub mfa_denials: usize,
    /// Known corporate egress; never anomalous.
    pub allow: Vec<IpNet>,
    /// Events before this are baseline only.
    pub since: Option<DateTime<Utc>>,
}

impl Default for SigninOptions {
    fn default() -> Self {
        SigninOptions {
            spray_accounts: 5,
            spray_window: Duration::minutes(30),
            brute_force_failures: 5,
            shared_ip_accounts: 5,
            min_baseline: 3,
            travel_kmh: 900.0,
            travel_min_km: 500.0,
            mfa_denials: 3,
            allow: Vec::new(),
            since: None,
        }
    }
}

/// Error codes that are interrupts (the password was right, more is asked), not failures.
const INTERRUPTS: &[&str] = &[
    "50074", "50076", "50079", "50072", "50097", "50125", "50140", "50158", "50199", "16000",
    "16003", "53003", "53000", "53001", "65001", "90094", "7000218", "50055",
];
/// Credential failures that count towards spray and brute force.
const CREDENTIAL_FAILURES: &[&str] = &[
    "50126", "50053", "50057", "50056", "50034", "50055", "500011",
];
/// MFA denied, not answered, or failed.
const MFA_DENIALS: &[&str] = &["500121", "50158"];

/// One authentication attempt, whichever log it came from.
#[derive(Debug, Clone)]
struct Auth {
    event: usize,
    time: DateTime<Utc>,
    user: String,
    ip: Option<IpAddr>,
    success: bool,
    code: String,
    user_agent: String,
}

fn auths(events: &[Event]) -> Vec<Auth> {
    let covered: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.source == SourceKind::Signin)
        .filter_map(|e| e.user.as_deref())
        .collect();
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let from_ual = e.source == SourceKind::Ual
            && (e.operation.eq_ignore_ascii_case("UserLoggedIn")
                || e.operation.eq_ignore_ascii_case("UserLoginFailed"));
        if !(e.source == SourceKind::Signin || from_ual) {
            continue;
        }
        let (Some(time), Some(user)) = (e.time, e.user.as_deref()) else {
            continue;
        };
        if from_ual && covered.contains(user) {
            continue;
        }
        out.push(Auth {
            event: i,
            time,
            user: user.to_string(),
            ip: e.ip,
            success: e.outcome.success == Some(true),
            code: e.outcome.code.as_deref().unwrap_or("").trim().to_string(),
            user_agent: e.client.user_agent.as_deref().unwrap_or("").to_string(),
        });
    }
    out.sort_by(|a, b| (a.time, events[a.event].prov).cmp(&(b.time, events[b.event].prov)));
    out
}

fn is_credential_failure(a: &Auth) -> bool {
    !a.success
        && (CREDENTIAL_FAILURES.contains(&a.code.as_str())
            || (a.code.is_empty() || a.code == "0") // UserLoginFailed without a code
            || !INTERRUPTS.contains(&a.code.as_str()) && !MFA_DENIALS.contains(&a.code.as_str()))
}

fn network(ip: IpAddr) -> IpNet {
    let prefix = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, prefix)
        .map(|n| n.trunc())
        .unwrap_or_else(|_| IpNet::from(ip))
}

/// Sign-in baselines and anomalies.
pub struct Signins;

impl super::Analyzer for Signins {
    fn name(&self) -> &'static str {
        "signin"
    }

    fn rules(&self) -> &'static [&'static str] {
        &[
            "signin.password-spray",
            "signin.brute-force-success",
            "signin.mfa-fatigue",
            "signin.new-country",
            "signin.new-ip",
            "signin.impossible-travel",
            "signin.legacy-auth",
            "signin.suspicious-user-agent",
            "signin.risky",
            "signin.unseen-ip-mailbox-access",
        ]
    }

    fn run(&self, cx: &super::Context<'_>, _prior: &[Finding]) -> Vec<Finding> {
        analyze(cx.events, cx.inputs, &cx.options.signin)
    }
}

/// What every detection of this module reads.
struct Scope<'a> {
    events: &'a [Event],
    inputs: &'a [InputSummary],
    options: &'a SigninOptions,
    /// Every authentication attempt, in time order.
    auths: &'a [Auth],
    view: baseline::TenantView<'a>,
}

impl Scope<'_> {
    /// Known corporate egress (`--allow-ip`): never anomalous.
    fn allowed(&self, ip: Option<IpAddr>) -> bool {
        ip.is_some_and(|ip| self.options.allow.iter().any(|n| n.contains(&ip)))
    }

    /// Inside the evaluated period (`--since`); earlier events are baseline only.
    fn in_scope(&self, t: DateTime<Utc>) -> bool {
        self.options.since.is_none_or(|s| t >= s)
    }
}

/// Every sign-in finding.
pub fn analyze(events: &[Event], inputs: &[InputSummary], options: &SigninOptions) -> Vec<Finding> {
    let auths = auths(events);
    let scope = Scope {
        events,
        inputs,
        options,
        auths: &auths,
        view: baseline::TenantView::build(events, &auths, options),
    };
    let mut findings = spray::findings(&scope);
    let mut by_user: BTreeMap<&str, Vec<&Auth>> = BTreeMap::new();
    for a in &auths {
        by_user.entry(a.user.as_str()).or_default().push(a);
    }
    for (user, list) in &by_user {
        findings.extend(account::findings(&scope, user, list));
    }
    findings.extend(unseen::findings(&scope));
    findings
}

#[cfg(test)]
mod tests;
