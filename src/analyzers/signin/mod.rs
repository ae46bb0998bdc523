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
use crate::infra::known::Known;
use crate::infra::{Infrastructure, auth};
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
            min_baseline: 3,
            travel_kmh: 900.0,
            travel_min_km: 500.0,
            mfa_denials: 3,
            allow: Vec::new(),
            since: None,
        }
    }
}

/// One authentication attempt that the account's own detections judge: an interactive sign-in,
/// or a UAL logon where no sign-in log covers the account at that time.
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

/// The periods the interactive sign-in logs cover: a log naming several accounts covers the
/// whole tenant over its time span; a per-user export only its account. Real exports pair a
/// week or a month of sign-ins with three to six months of UAL: outside these spans the UAL's
/// logons stand in for the sign-in log.
#[derive(Debug, Default)]
struct Coverage {
    tenant: Vec<Span>,
    accounts: BTreeMap<String, Vec<Span>>,
}

/// From, to.
type Span = (DateTime<Utc>, DateTime<Utc>);

impl Coverage {
    fn build(events: &[Event]) -> Coverage {
        // Per input: its span, and the accounts it names.
        let mut spans: BTreeMap<u32, (Span, BTreeSet<&str>)> = BTreeMap::new();
        for e in events.iter().filter(|e| is_interactive_signin(e)) {
            let (Some(t), Some(user)) = (e.time, e.user.as_deref()) else {
                continue;
            };
            let (span, users) = spans
                .entry(e.prov.input)
                .or_insert(((t, t), BTreeSet::new()));
            span.0 = span.0.min(t);
            span.1 = span.1.max(t);
            users.insert(user);
        }
        let mut coverage = Coverage::default();
        for ((start, end), users) in spans.into_values() {
            if users.len() > 1 {
                coverage.tenant.push((start, end));
            } else if let Some(user) = users.into_iter().next() {
                coverage
                    .accounts
                    .entry(user.to_string())
                    .or_default()
                    .push((start, end));
            }
        }
        coverage
    }

    /// Does an interactive sign-in log cover `user` at `t`?
    fn covers(&self, user: &str, t: DateTime<Utc>) -> bool {
        let within = |spans: &[Span]| spans.iter().any(|(start, end)| t >= *start && t <= *end);
        within(&self.tenant) || self.accounts.get(user).is_some_and(|s| within(s))
    }
}

/// Non-interactive, service-principal and managed-identity sign-ins feed the infrastructure
/// model and the addresses an account is known from, not the account's own detections.
fn is_interactive_signin(e: &Event) -> bool {
    e.source == SourceKind::Signin && e.operation.as_ref() == "InteractiveSignIn"
}

fn auths(events: &[Event], coverage: &Coverage) -> Vec<Auth> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let from_ual = e.source == SourceKind::Ual && auth::is_attempt(e);
        if !(is_interactive_signin(e) || from_ual) {
            continue;
        }
        let (Some(time), Some(user)) = (e.time, e.user.as_deref()) else {
            continue;
        };
        if from_ual && coverage.covers(user, time) {
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
    auth::is_credential_failure(a.success, &a.code)
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
        analyze(cx.events, cx.inputs, cx.infra, cx.known, &cx.options.signin)
    }
}

/// What every detection of this module reads.
struct Scope<'a> {
    events: &'a [Event],
    inputs: &'a [InputSummary],
    options: &'a SigninOptions,
    /// Every authentication attempt the accounts' detections judge, in time order.
    auths: &'a [Auth],
    view: baseline::TenantView<'a>,
    /// The tenant's and Microsoft's addresses.
    infra: &'a Infrastructure,
    known: &'a Known,
}

impl Scope<'_> {
    /// Tenant infrastructure (allowed, learnt egress, Microsoft): never anomalous by itself.
    fn infra(&self, ip: Option<IpAddr>) -> bool {
        ip.is_some_and(|ip| self.infra.contains(ip))
    }

    /// Inside the evaluated period (`--since`); earlier events are baseline only.
    fn in_scope(&self, t: DateTime<Utc>) -> bool {
        self.options.since.is_none_or(|s| t >= s)
    }
}

/// Every sign-in finding, learning the tenant's infrastructure (with `options.allow`) and each
/// account's addresses from `events` themselves: for callers outside the analysis stage (tests,
/// benchmarks).
pub fn analyze_events(
    events: &[Event],
    inputs: &[InputSummary],
    options: &SigninOptions,
) -> Vec<Finding> {
    let infra = Infrastructure::learn(events, &options.allow, &Default::default());
    let known = Known::build(events);
    analyze(events, inputs, &infra, &known, options)
}

/// Every sign-in finding.
pub fn analyze(
    events: &[Event],
    inputs: &[InputSummary],
    infra: &Infrastructure,
    known: &Known,
    options: &SigninOptions,
) -> Vec<Finding> {
    let auths = auths(events, &Coverage::build(events));
    let scope = Scope {
        events,
        inputs,
        options,
        auths: &auths,
        view: baseline::TenantView::build(events, &auths),
        infra,
        known,
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
