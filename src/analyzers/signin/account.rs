//! One account's sign-ins in time order: what it had done before each success (its baseline),
//! and the detections judged at each success. Brute force and MFA fatigue are here; new
//! countries and addresses in `novelty`, impossible travel in `travel`, legacy protocols, tool
//! user agents and Entra risk in `client`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use ipnet::IpNet;
use serde_json::Value;

use super::{Auth, Scope, is_credential_failure};
use crate::analyzers::{evidence, finding_for};
use crate::event::{Event, Location};
use crate::finding::{Finding, Indicators, Severity};
use crate::infra::auth::MFA_DENIALS;
use crate::infra::network;
use crate::ingest::time::format_utc;

/// The state of the walk through one account's sign-ins.
pub(super) struct Walk<'s, 'a> {
    pub(super) scope: &'s Scope<'a>,
    pub(super) user: &'s str,
    pub(super) findings: Vec<Finding>,
    pub(super) seen_ips: BTreeSet<IpAddr>,
    pub(super) seen_nets: BTreeSet<IpNet>,
    pub(super) seen_countries: BTreeSet<String>,
    /// When each country was first seen for the account: a day-old country is established.
    pub(super) country_since: BTreeMap<String, DateTime<Utc>>,
    pub(super) successes_before: usize,
    pub(super) reported_countries: BTreeSet<String>,
    pub(super) reported_agents: BTreeSet<String>,
    pub(super) reported_legacy: BTreeSet<(String, String)>,
    pub(super) reported_risk: bool,
    recent_failures: Vec<&'s Auth>,
    recent_denials: Vec<&'s Auth>,
    /// The last located success, whether it was from infrastructure, and whether it was new.
    pub(super) last_success: Option<(&'s Auth, bool, bool)>,
    pub(super) travel_pairs: BTreeSet<(String, String)>,
}

/// One successful sign-in as the detections see it.
pub(super) struct Success<'s> {
    pub(super) auth: &'s Auth,
    pub(super) event: &'s Event,
    pub(super) loc: Option<&'s Location>,
    /// Judged at all: in the evaluated period (`--since`).
    pub(super) judge: bool,
    /// From tenant infrastructure (office egress, VPN, allowed, Microsoft).
    pub(super) infra: bool,
    /// New for the account: a country it had not signed in from, or a tool's user agent.
    /// Travel with infrastructure at one end counts only when the other end is this.
    pub(super) anomalous: bool,
    /// The account had enough earlier successes for its own history to count.
    pub(super) baseline: bool,
}

/// Every finding about one account's sign-ins.
pub(super) fn findings<'s>(scope: &'s Scope<'_>, user: &'s str, list: &[&'s Auth]) -> Vec<Finding> {
    let mut walk = Walk {
        scope,
        user,
        findings: Vec::new(),
        seen_ips: BTreeSet::new(),
        seen_nets: BTreeSet::new(),
        seen_countries: BTreeSet::new(),
        country_since: BTreeMap::new(),
        successes_before: 0,
        reported_countries: BTreeSet::new(),
        reported_agents: BTreeSet::new(),
        reported_legacy: BTreeSet::new(),
        reported_risk: false,
        recent_failures: Vec::new(),
        recent_denials: Vec::new(),
        last_success: None,
        travel_pairs: BTreeSet::new(),
    };
    for a in list {
        walk.step(a);
    }
    walk.findings
}

impl<'s> Walk<'s, '_> {
    fn step(&mut self, a: &'s Auth) {
        let scope = self.scope;
        let e = &scope.events[a.event];
        if !a.success {
            if MFA_DENIALS.contains(&a.code.as_str()) {
                self.recent_denials.push(a);
            } else if is_credential_failure(a) {
                self.recent_failures.push(a);
            }
            return;
        }
        let s = Success {
            auth: a,
            event: e,
            loc: e.location.as_deref(),
            judge: scope.in_scope(a.time),
            infra: scope.infra(a.ip),
            anomalous: self.is_new(a, e),
            baseline: self.successes_before >= scope.options.min_baseline,
        };
        self.brute_force(&s);
        self.mfa_fatigue(&s);
        self.new_country(&s);
        self.new_ip(&s);
        self.travel(&s);
        self.legacy(&s);
        self.tool_agent(&s);
        self.risk(&s);

        self.successes_before += 1;
        if let Some(ip) = a.ip {
            self.seen_ips.insert(ip);
            self.seen_nets.insert(network(ip));
        }
        if let Some(c) = s.loc.and_then(|l| l.country.as_deref()) {
            self.country_since.entry(c.to_string()).or_insert(a.time);
            self.seen_countries.insert(c.to_string());
        }
        if s.loc.and_then(super::geo::point).is_some() {
            self.last_success = Some((a, s.infra, s.anomalous));
        }
    }

    /// Is this success from a country the account had not used, or by a tool?
    fn is_new(&self, a: &Auth, e: &Event) -> bool {
        let new_country = e
            .location
            .as_deref()
            .and_then(|l| l.country.as_deref())
            .is_some_and(|c| !self.seen_countries.contains(c));
        (self.successes_before > 0 && new_country)
            || crate::infra::auth::is_tool_agent(&a.user_agent)
    }

    /// Several failures for this account, then a success within the hour.
    fn brute_force(&mut self, s: &Success<'s>) {
        let a = s.auth;
        self.recent_failures
            .retain(|f| a.time - f.time <= Duration::hours(1));
        let failures = self.recent_failures.len();
        // A user mistyping at home or behind the office NAT is not a brute force: the success
        // must come from somewhere that is neither infrastructure nor the account's own.
        let own = a
            .ip
            .is_some_and(|ip| self.seen_ips.contains(&ip) || self.seen_nets.contains(&network(ip)));
        if s.judge && !s.infra && !own && failures >= self.scope.options.brute_force_failures {
            let mut f = finding_for(
                s.event,
                self.scope.inputs,
                "signin.brute-force-success",
                Severity::High,
                format!(
                    "{} signed in from {} after {failures} failed attempts within the hour",
                    self.user,
                    a.ip.map(|i| i.to_string())
                        .unwrap_or_else(|| "an unknown address".into()),
                ),
            );
            f.fields.insert("failures".into(), Value::from(failures));
            self.findings.push(f);
        }
        self.recent_failures.clear();
    }

    /// MFA prompts denied in a row, then a success.
    fn mfa_fatigue(&mut self, s: &Success<'s>) {
        let a = s.auth;
        self.recent_denials
            .retain(|d| a.time - d.time <= Duration::hours(1));
        let denials = &self.recent_denials;
        if s.judge && !s.infra && denials.len() >= self.scope.options.mfa_denials {
            let events = self.scope.events;
            let mut f = finding_for(
                s.event,
                self.scope.inputs,
                "signin.mfa-fatigue",
                Severity::Medium,
                format!(
                    "{} denied or ignored {} MFA prompts between {} and {}, then a sign-in succeeded from {}",
                    self.user,
                    denials.len(),
                    format_utc(denials[0].time),
                    format_utc(denials[denials.len() - 1].time),
                    a.ip.map(|i| i.to_string()).unwrap_or_default()
                ),
            );
            for d in denials {
                f.indicators.merge(&Indicators::of(&events[d.event]));
                let ev = evidence(&events[d.event], self.scope.inputs);
                if !f.evidence.contains(&ev) {
                    f.evidence.push(ev);
                }
            }
            self.findings.push(f);
        }
        self.recent_denials.clear();
    }
}
