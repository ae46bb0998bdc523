//! Sign-in and IP anomalies (detections.md section 4; design.md section 8 for spray thresholds).
//!
//! Authentication events come from the Entra sign-in logs and, for accounts those logs do not
//! cover, from the UAL's UserLoggedIn / UserLoginFailed. Every account's baseline is its own
//! successful sign-ins before the event (all of them, or those before `--since`), together with
//! the tenant's: an address many colleagues sign in from is office egress, and a country several
//! accounts use is home ground. Locations come from the sign-in records themselves and are
//! spread to every event from the same address.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use ipnet::IpNet;
use serde_json::Value;

use super::finding_for;
use crate::event::{Event, Location, SourceKind};
use crate::finding::{Finding, Severity};
use crate::ingest::InputSummary;
use crate::ingest::time::format_utc;

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

/// Is this the user agent of a script or attack tool?
pub fn is_tool_agent(ua: &str) -> bool {
    let ua = ua.to_ascii_lowercase();
    TOOL_AGENTS.iter().any(|t| ua.contains(t))
}

/// User-agent fragments of scripts and attack tools (detections.md SIGN-02, SIGN-03).
const TOOL_AGENTS: &[&str] = &[
    "python-requests",
    "python/",
    "python-urllib",
    "aiohttp",
    "axios",
    "node-fetch",
    "undici",
    "go-http-client",
    "go-resty",
    "curl/",
    "wget/",
    "okhttp",
    "postmanruntime",
    "aadinternals",
    "azurehound",
    "roadtools",
    "bav2ropc",
    "cbainprod",
    "kali365",
    "teamfiltration",
    "msolspray",
    "o365spray",
    "fasthttp",
];

fn country_centroids() -> &'static HashMap<String, (f64, f64)> {
    static TABLE: std::sync::OnceLock<HashMap<String, (f64, f64)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../data/country_centroids.tsv")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut parts = l.split('\t');
                let code = parts.next()?.trim().to_string();
                let lat = parts.next()?.trim().parse().ok()?;
                let lon = parts.next()?.trim().parse().ok()?;
                Some((code, (lat, lon)))
            })
            .collect()
    })
}

/// One password spray: an address, when it ran, and the accounts it tried.
struct Spray {
    ip: IpAddr,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    targets: BTreeSet<String>,
}

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

/// Copies the location of sign-ins to every event from the same address that has none (the UAL
/// carries no geolocation).
pub fn spread_locations(events: &mut [Event]) {
    let mut by_ip: BTreeMap<IpAddr, Location> = BTreeMap::new();
    for e in events.iter().filter(|e| e.source == SourceKind::Signin) {
        if let (Some(ip), Some(loc)) = (e.ip, e.location.as_deref()) {
            let entry = by_ip.entry(ip).or_insert_with(|| loc.clone());
            if entry.lat.is_none() && loc.lat.is_some() {
                *entry = loc.clone();
            }
        }
    }
    for e in events.iter_mut().filter(|e| e.location.is_none()) {
        if let Some(loc) = e.ip.and_then(|ip| by_ip.get(&ip)) {
            e.location = Some(Box::new(loc.clone()));
        }
    }
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

fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// A point and how uncertain it is (km): the source's coordinates, else the country's centre.
fn point(loc: &Location) -> Option<((f64, f64), f64)> {
    match (loc.lat, loc.lon) {
        (Some(lat), Some(lon)) if !(lat == 0.0 && lon == 0.0) => Some(((lat, lon), 50.0)),
        _ => loc
            .country
            .as_deref()
            .and_then(|c| country_centroids().get(c))
            .map(|p| (*p, 1500.0)),
    }
}

fn place(loc: &Location) -> String {
    match (loc.city.as_deref(), loc.country.as_deref()) {
        (Some(city), Some(country)) => format!("{city}, {country}"),
        (None, Some(country)) => country.to_string(),
        (Some(city), None) => city.to_string(),
        (None, None) => "unknown".into(),
    }
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

/// Every sign-in finding.
pub fn analyze(events: &[Event], inputs: &[InputSummary], options: &SigninOptions) -> Vec<Finding> {
    let auths = auths(events);
    let allowed =
        |ip: Option<IpAddr>| ip.is_some_and(|ip| options.allow.iter().any(|n| n.contains(&ip)));
    let in_scope = |t: DateTime<Utc>| options.since.is_none_or(|s| t >= s);
    let mut findings = Vec::new();

    // Tenant view: when each address was first used successfully by each account.
    let mut ip_accounts: BTreeMap<IpAddr, BTreeMap<&str, DateTime<Utc>>> = BTreeMap::new();
    let mut country_accounts: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for a in auths.iter().filter(|a| a.success) {
        if let Some(ip) = a.ip {
            ip_accounts
                .entry(ip)
                .or_default()
                .entry(a.user.as_str())
                .or_insert(a.time);
        }
        if let Some(c) = events[a.event]
            .location
            .as_deref()
            .and_then(|l| l.country.as_deref())
        {
            country_accounts
                .entry(c.to_string())
                .or_default()
                .insert(a.user.as_str());
        }
    }
    let shared_before = |ip: IpAddr, user: &str, t: DateTime<Utc>| {
        ip_accounts.get(&ip).is_some_and(|users| {
            users
                .iter()
                .filter(|(u, first)| **u != user && **first <= t)
                .count()
                >= options.shared_ip_accounts
        })
    };
    let tenant_country = |c: &str| country_accounts.get(c).is_some_and(|u| u.len() >= 3);

    // Password spray: one address failing against many accounts in a short window.
    let mut sprays: Vec<Spray> = Vec::new();
    let mut failures_by_ip: BTreeMap<IpAddr, Vec<&Auth>> = BTreeMap::new();
    for a in auths.iter().filter(|a| is_credential_failure(a)) {
        if let Some(ip) = a.ip {
            failures_by_ip.entry(ip).or_default().push(a);
        }
    }
    for (ip, fails) in &failures_by_ip {
        if allowed(Some(*ip)) {
            continue;
        }
        let mut start = 0;
        let mut current: Option<Spray> = None;
        for end in 0..fails.len() {
            while fails[end].time - fails[start].time > options.spray_window {
                start += 1;
            }
            let users: BTreeSet<String> =
                fails[start..=end].iter().map(|a| a.user.clone()).collect();
            if users.len() >= options.spray_accounts {
                match current.as_mut() {
                    // Overlapping windows are one spray.
                    Some(c) if fails[start].time <= c.last + options.spray_window => {
                        c.last = fails[end].time;
                        c.targets.extend(users);
                    }
                    _ => {
                        sprays.extend(current.take());
                        current = Some(Spray {
                            ip: *ip,
                            first: fails[start].time,
                            last: fails[end].time,
                            targets: users,
                        });
                    }
                }
            }
        }
        sprays.extend(current);
    }
    for Spray {
        ip,
        first,
        last,
        targets,
    } in &sprays
    {
        let hour = Duration::hours(1);
        let successes: Vec<&Auth> = auths
            .iter()
            .filter(|a| {
                a.success && a.ip == Some(*ip) && a.time >= *first - hour && a.time <= *last + hour
            })
            .collect();
        let failed: Vec<&&Auth> = failures_by_ip[ip]
            .iter()
            .filter(|a| a.time >= *first && a.time <= *last)
            .collect();
        let anchor = successes
            .first()
            .map(|a| a.event)
            .unwrap_or(failed[0].event);
        let compromised: BTreeSet<&str> = successes.iter().map(|a| a.user.as_str()).collect();
        let mut f = finding_for(
            &events[anchor],
            inputs,
            "signin.password-spray",
            Severity::Medium,
            format!(
                "{ip} failed to sign in as {} accounts between {} and {}{}",
                targets.len(),
                format_utc(*first),
                format_utc(*last),
                if compromised.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; it then signed in successfully as {}",
                        compromised.iter().copied().collect::<Vec<_>>().join(", ")
                    )
                }
            ),
        );
        f.time = Some(*first);
        if compromised.is_empty() {
            // A spray that got nowhere is about the tenant, not one account.
            f.user = None;
            f.actor = None;
        }
        f.fields
            .insert("source_ip".into(), Value::String(ip.to_string()));
        f.fields.insert(
            "targets".into(),
            Value::from(targets.iter().cloned().collect::<Vec<_>>()),
        );
        f.fields
            .insert("failures".into(), Value::from(failed.len()));
        f.fields.insert(
            "compromised".into(),
            Value::from(
                compromised
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
            ),
        );
        for a in failed.iter().take(20) {
            let e = super::evidence(&events[a.event], inputs);
            if !f.evidence.contains(&e) {
                f.evidence.push(e);
            }
        }
        findings.push(f);
        for s in &successes {
            let mut f = finding_for(
                &events[s.event],
                inputs,
                "signin.brute-force-success",
                Severity::High,
                format!(
                    "{} signed in successfully from {ip}, which failed against {} accounts between {} and {}",
                    s.user,
                    targets.len(),
                    format_utc(*first),
                    format_utc(*last)
                ),
            );
            f.fields
                .insert("source_ip".into(), Value::String(ip.to_string()));
            findings.push(f);
        }
    }

    // Per account, in time order.
    let mut by_user: BTreeMap<&str, Vec<&Auth>> = BTreeMap::new();
    for a in &auths {
        by_user.entry(a.user.as_str()).or_default().push(a);
    }
    for (user, list) in &by_user {
        let mut seen_ips: BTreeSet<IpAddr> = BTreeSet::new();
        let mut seen_nets: BTreeSet<IpNet> = BTreeSet::new();
        let mut seen_countries: BTreeSet<String> = BTreeSet::new();
        // When each country was first seen for the account: a day-old country is established.
        let mut country_since: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
        let mut successes_before = 0usize;
        let mut reported_countries: BTreeSet<String> = BTreeSet::new();
        let mut reported_agents: BTreeSet<String> = BTreeSet::new();
        let mut reported_legacy: BTreeSet<(String, String)> = BTreeSet::new();
        let mut reported_risk = false;
        let mut recent_failures: Vec<&Auth> = Vec::new();
        let mut recent_denials: Vec<&Auth> = Vec::new();
        let mut last_success: Option<&Auth> = None;
        let mut travel_pairs: BTreeSet<(String, String)> = BTreeSet::new();
        for a in list {
            let e = &events[a.event];
            let loc = e.location.as_deref();
            let country = loc.and_then(|l| l.country.as_deref()).map(str::to_owned);
            let judge = in_scope(a.time) && !allowed(a.ip);
            if !a.success {
                if MFA_DENIALS.contains(&a.code.as_str()) {
                    recent_denials.push(a);
                } else if is_credential_failure(a) {
                    recent_failures.push(a);
                }
                continue;
            }
            // Brute force: several failures for this account, then a success within the hour.
            recent_failures.retain(|f| a.time - f.time <= Duration::hours(1));
            if judge && recent_failures.len() >= options.brute_force_failures {
                let mut f = finding_for(
                    e,
                    inputs,
                    "signin.brute-force-success",
                    Severity::High,
                    format!(
                        "{user} signed in from {} after {} failed attempts within the hour",
                        a.ip.map(|i| i.to_string())
                            .unwrap_or_else(|| "an unknown address".into()),
                        recent_failures.len()
                    ),
                );
                f.fields
                    .insert("failures".into(), Value::from(recent_failures.len()));
                findings.push(f);
            }
            recent_failures.clear();
            // MFA fatigue: denials in a row, then a success.
            recent_denials.retain(|d| a.time - d.time <= Duration::hours(1));
            if judge && recent_denials.len() >= options.mfa_denials {
                let mut f = finding_for(
                    e,
                    inputs,
                    "signin.mfa-fatigue",
                    Severity::Medium,
                    format!(
                        "{user} denied or ignored {} MFA prompts between {} and {}, then a sign-in succeeded from {}",
                        recent_denials.len(),
                        format_utc(recent_denials[0].time),
                        format_utc(recent_denials[recent_denials.len() - 1].time),
                        a.ip.map(|i| i.to_string()).unwrap_or_default()
                    ),
                );
                for d in &recent_denials {
                    f.indicators
                        .merge(&crate::finding::Indicators::of(&events[d.event]));
                    let ev = super::evidence(&events[d.event], inputs);
                    if !f.evidence.contains(&ev) {
                        f.evidence.push(ev);
                    }
                }
                findings.push(f);
            }
            recent_denials.clear();

            let shared = a.ip.is_some_and(|ip| shared_before(ip, user, a.time));
            let baseline = successes_before >= options.min_baseline;
            // New country.
            if let Some(c) = country.as_deref() {
                if judge
                    && !shared
                    && !seen_countries.contains(c)
                    && !reported_countries.contains(c)
                {
                    let severity = if baseline {
                        Some(Severity::Medium)
                    } else if !tenant_country(c) {
                        Some(Severity::Low)
                    } else {
                        None
                    };
                    if let Some(severity) = severity {
                        reported_countries.insert(c.to_string());
                        let mut f = finding_for(
                            e,
                            inputs,
                            "signin.new-country",
                            severity,
                            format!(
                                "{user} signed in from {} ({}) for the first time{}",
                                place(loc.unwrap_or(&Location::default())),
                                a.ip.map(|i| i.to_string()).unwrap_or_default(),
                                if baseline {
                                    format!(
                                        "; before: {}",
                                        seen_countries
                                            .iter()
                                            .cloned()
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                } else {
                                    " (no baseline for this account; judged against the tenant)"
                                        .to_string()
                                }
                            ),
                        );
                        f.fields
                            .insert("country".into(), Value::String(c.to_string()));
                        f.fields.insert("baseline".into(), Value::Bool(baseline));
                        findings.push(f);
                    }
                }
            }
            // New address.
            if let Some(ip) = a.ip {
                if judge
                    && baseline
                    && !shared
                    && !seen_ips.contains(&ip)
                    && !seen_nets.contains(&network(ip))
                {
                    let mut f = finding_for(
                        e,
                        inputs,
                        "signin.new-ip",
                        Severity::Low,
                        format!(
                            "{user} signed in from {ip} ({}), an address and network not seen for this account before",
                            loc.map(place).unwrap_or_else(|| "location unknown".into())
                        ),
                    );
                    f.fields.insert("ip".into(), Value::String(ip.to_string()));
                    findings.push(f);
                }
            }
            // Impossible travel between consecutive successful sign-ins.
            if let (Some(prev), Some(here)) = (last_success, loc.and_then(point)) {
                let prev_event = &events[prev.event];
                if let Some(there) = prev_event.location.as_deref().and_then(point) {
                    let distance = km(there.0, here.0);
                    let effective = (distance - there.1 - here.1).max(0.0);
                    let hours = ((a.time - prev.time).num_seconds().max(1) as f64) / 3600.0;
                    let speed = effective / hours;
                    let places = (
                        place(
                            prev_event
                                .location
                                .as_deref()
                                .unwrap_or(&Location::default()),
                        ),
                        place(loc.unwrap_or(&Location::default())),
                    );
                    let key = if places.0 <= places.1 {
                        places.clone()
                    } else {
                        (places.1.clone(), places.0.clone())
                    };
                    let exempt = allowed(prev.ip)
                        || prev.ip.is_some_and(|ip| shared_before(ip, user, prev.time))
                        || shared;
                    if judge
                        && !exempt
                        && effective >= options.travel_min_km
                        && speed >= options.travel_kmh
                        && travel_pairs.insert(key)
                    {
                        let mut f = finding_for(
                            e,
                            inputs,
                            "signin.impossible-travel",
                            Severity::High,
                            format!(
                                "{user} signed in from {} ({}) at {} and from {} ({}) at {}: {:.0} km in {:.1} h ({:.0} km/h)",
                                places.0,
                                prev.ip.map(|i| i.to_string()).unwrap_or_default(),
                                format_utc(prev.time),
                                places.1,
                                a.ip.map(|i| i.to_string()).unwrap_or_default(),
                                format_utc(a.time),
                                distance,
                                hours,
                                distance / hours
                            ),
                        );
                        f.fields
                            .insert("from".into(), Value::String(places.0.clone()));
                        f.fields
                            .insert("to".into(), Value::String(places.1.clone()));
                        f.fields
                            .insert("distance_km".into(), Value::from(distance.round()));
                        f.fields.insert(
                            "gap_minutes".into(),
                            Value::from((a.time - prev.time).num_minutes()),
                        );
                        f.fields
                            .insert("speed_kmh".into(), Value::from((distance / hours).round()));
                        let ev = super::evidence(prev_event, inputs);
                        if !f.evidence.contains(&ev) {
                            f.evidence.insert(0, ev);
                        }
                        // The attacker is the side outside the account's known countries; when
                        // that cannot be told, both sides are indicators.
                        let known = |l: Option<&Location>| {
                            l.and_then(|l| l.country.as_deref()).is_some_and(|c| {
                                country_since
                                    .get(c)
                                    .is_some_and(|first| a.time - *first >= Duration::hours(24))
                            })
                        };
                        let (prev_known, here_known) =
                            (known(prev_event.location.as_deref()), known(loc));
                        if here_known && !prev_known {
                            f.indicators = crate::finding::Indicators::of(prev_event);
                        } else if !prev_known || here_known {
                            f.indicators
                                .merge(&crate::finding::Indicators::of(prev_event));
                        }
                        findings.push(f);
                    }
                }
            }
            // Legacy authentication.
            let client = e.client.client_info.as_deref().unwrap_or("").trim();
            let protocol = e.attr("authenticationProtocol").unwrap_or("");
            let legacy = (!client.is_empty()
                && !client.eq_ignore_ascii_case("Browser")
                && !client.eq_ignore_ascii_case("Mobile Apps and Desktop clients")
                && e.source == SourceKind::Signin
                && !client.starts_with("Client="))
                || protocol.eq_ignore_ascii_case("ropc")
                || a.user_agent.to_ascii_lowercase().contains("bav2ropc");
            if judge && legacy {
                let ropc = protocol.eq_ignore_ascii_case("ropc")
                    || a.user_agent.to_ascii_lowercase().contains("bav2ropc");
                let label = if ropc {
                    "ROPC (password-only OAuth)".to_string()
                } else {
                    client.to_string()
                };
                if reported_legacy.insert((
                    label.clone(),
                    a.ip.map(|i| i.to_string()).unwrap_or_default(),
                )) {
                    let mut f = finding_for(
                        e,
                        inputs,
                        "signin.legacy-auth",
                        Severity::Medium,
                        format!(
                            "{user} signed in with {label} from {}: legacy protocols skip MFA and Conditional Access",
                            a.ip.map(|i| i.to_string()).unwrap_or_default()
                        ),
                    );
                    f.fields.insert("client_app".into(), Value::String(label));
                    findings.push(f);
                }
            }
            // Scripted or tool user agents, and interactive sign-ins without one.
            let ua = a.user_agent.to_ascii_lowercase();
            let tool = TOOL_AGENTS.iter().find(|t| ua.contains(*t));
            let empty_interactive =
                ua.trim().is_empty() && e.operation.as_ref() == "InteractiveSignIn";
            if judge && (tool.is_some() || empty_interactive) && reported_agents.insert(ua.clone())
            {
                let severity = if tool.is_some() {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                let mut f = finding_for(
                    e,
                    inputs,
                    "signin.suspicious-user-agent",
                    severity,
                    format!(
                        "{user} signed in from {} with user agent '{}'",
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
                findings.push(f);
            }
            // Entra ID Protection risk.
            let risk = |k: &str| e.attr(k).unwrap_or("").to_ascii_lowercase();
            let level = [risk("riskLevelDuringSignIn"), risk("riskLevelAggregated")];
            let state = risk("riskState");
            let risky = level.iter().any(|l| l == "high" || l == "medium")
                || state == "atrisk"
                || state == "confirmedcompromised";
            if judge && risky && !reported_risk {
                reported_risk = true;
                let severity = if state == "confirmedcompromised" {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let mut f = finding_for(
                    e,
                    inputs,
                    "signin.risky",
                    severity,
                    format!(
                        "Entra rated a sign-in of {user} from {} as risky (during sign-in: {}, aggregated: {}, state: {})",
                        a.ip.map(|i| i.to_string()).unwrap_or_default(),
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
                findings.push(f);
            }

            successes_before += 1;
            if let Some(ip) = a.ip {
                seen_ips.insert(ip);
                seen_nets.insert(network(ip));
            }
            if let Some(c) = country {
                country_since.entry(c.clone()).or_insert(a.time);
                seen_countries.insert(c);
            }
            if loc.and_then(point).is_some() {
                last_success = Some(a);
            }
        }
    }

    // Mailbox activity from addresses the account never signed in from: a stolen token in use.
    let signed_in: BTreeMap<&str, BTreeSet<IpAddr>> = auths
        .iter()
        .filter(|a| a.success || INTERRUPTS.contains(&a.code.as_str()))
        .fold(BTreeMap::new(), |mut m, a| {
            if let Some(ip) = a.ip {
                m.entry(a.user.as_str())
                    .or_insert_with(BTreeSet::new)
                    .insert(ip);
            }
            m
        });
    let mut reported: BTreeSet<(&str, IpAddr)> = BTreeSet::new();
    for e in events.iter().filter(|e| e.source == SourceKind::Ual) {
        let (Some(ip), Some(time), Some(user)) = (e.ip, e.time, e.actor.as_deref()) else {
            continue;
        };
        if !MAILBOX_ACTIVITY
            .iter()
            .any(|op| e.operation.eq_ignore_ascii_case(op))
        {
            continue;
        }
        let Some(known) = signed_in.get(user) else {
            continue;
        };
        if known.contains(&ip)
            || crate::ingest::ip::is_internal(ip)
            || is_microsoft(ip)
            || allowed(Some(ip))
            || shared_before(ip, user, time)
            || !in_scope(time)
            || !reported.insert((user, ip))
        {
            continue;
        }
        let mut f = finding_for(
            e,
            inputs,
            "signin.unseen-ip-mailbox-access",
            Severity::High,
            format!(
                "{} ({}) from {ip}, an address from which {user} never signed in: a replayed token or session",
                e.operation,
                e.client.client_info.as_deref().unwrap_or("client unknown")
            ),
        );
        f.fields.insert("ip".into(), Value::String(ip.to_string()));
        findings.push(f);
    }
    findings
}

/// Mailbox and file operations that need a token (UAL).
const MAILBOX_ACTIVITY: &[&str] = &[
    "MailItemsAccessed",
    "Send",
    "SendAs",
    "SendOnBehalf",
    "New-InboxRule",
    "Set-InboxRule",
    "UpdateInboxRules",
    "Set-Mailbox",
    "HardDelete",
    "SoftDelete",
    "MoveToDeletedItems",
    "FileDownloaded",
    "FileAccessed",
    "Set-MailboxMessageConfiguration",
    "Add-MailboxFolderPermission",
    "Create",
    "Update",
];

/// Microsoft's own front ends and mail servers, which appear as client addresses of some
/// mailbox records.
fn is_microsoft(ip: IpAddr) -> bool {
    const NETS: &[&str] = &[
        "2603:1000::/24",
        "2a01:111::/32",
        "40.92.0.0/15",
        "40.107.0.0/16",
        "52.100.0.0/14",
        "104.47.0.0/17",
    ];
    NETS.iter()
        .filter_map(|n| n.parse::<IpNet>().ok())
        .any(|n| n.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Provenance;

    fn signin(
        n: usize,
        user: &str,
        time: &str,
        ip: &str,
        code: &str,
        loc: Option<(&str, f64, f64)>,
    ) -> Event {
        let mut e = Event::new(
            SourceKind::Signin,
            "InteractiveSignIn",
            Provenance {
                input: 0,
                line: n as u64 + 1,
                record: n as u64 + 1,
            },
        );
        e.time = Some(
            DateTime::parse_from_rfc3339(time)
                .unwrap()
                .with_timezone(&Utc),
        );
        e.user = Some(user.into());
        e.actor = Some(user.into());
        e.ip = Some(ip.parse().unwrap());
        e.outcome.success = Some(code == "0");
        e.outcome.code = Some(code.into());
        e.client.user_agent = Some("Mozilla/5.0".into());
        e.client.client_info = Some("Browser".into());
        if let Some((country, lat, lon)) = loc {
            e.location = Some(Box::new(Location {
                country: Some(country.into()),
                lat: Some(lat),
                lon: Some(lon),
                ..Location::default()
            }));
        }
        e
    }

    fn rules_of(findings: &[Finding], user: &str) -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.user.as_deref() == Some(user))
            .map(|f| f.rule.clone())
            .collect()
    }

    const NYC: Option<(&str, f64, f64)> = Some(("US", 40.71, -74.01));
    const SEA: Option<(&str, f64, f64)> = Some(("US", 47.61, -122.33));
    const LON: Option<(&str, f64, f64)> = Some(("GB", 51.51, -0.13));
    const LOS: Option<(&str, f64, f64)> = Some(("NG", 6.45, 3.39));

    fn history(events: &mut Vec<Event>, user: &str, ip: &str, loc: Option<(&str, f64, f64)>) {
        for d in 1..=5 {
            let n = events.len();
            events.push(signin(
                n,
                user,
                &format!("2025-02-0{d}T09:00:00Z"),
                ip,
                "0",
                loc,
            ));
        }
    }

    #[test]
    fn new_york_then_lagos_an_hour_apart_is_impossible_travel() {
        let mut events = Vec::new();
        history(&mut events, "megan@contoso.com", "192.0.2.50", NYC);
        events.push(signin(
            5,
            "megan@contoso.com",
            "2025-03-04T08:50:00Z",
            "192.0.2.50",
            "0",
            NYC,
        ));
        events.push(signin(
            6,
            "megan@contoso.com",
            "2025-03-04T09:50:00Z",
            "203.0.113.77",
            "0",
            LOS,
        ));
        let findings = analyze(&events, &[], &SigninOptions::default());
        let travel: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == "signin.impossible-travel")
            .collect();
        assert_eq!(travel.len(), 1, "{findings:#?}");
        assert!(travel[0].summary.contains("km/h"));
        assert_eq!(travel[0].evidence.len(), 2, "both points are evidence");
        assert!(
            rules_of(&findings, "megan@contoso.com").contains(&"signin.new-country".to_string())
        );
    }

    #[test]
    fn a_plausible_traveller_stays_quiet() {
        let mut events = Vec::new();
        history(&mut events, "alex@contoso.com", "198.51.100.10", SEA);
        events.push(signin(
            5,
            "alex@contoso.com",
            "2025-02-20T08:00:00Z",
            "198.51.100.10",
            "0",
            SEA,
        ));
        events.push(signin(
            6,
            "alex@contoso.com",
            "2025-02-21T07:00:00Z",
            "192.0.2.80",
            "0",
            LON,
        ));
        let findings = analyze(&events, &[], &SigninOptions::default());
        assert!(
            !findings
                .iter()
                .any(|f| f.rule == "signin.impossible-travel"),
            "{findings:#?}"
        );
    }

    #[test]
    fn an_office_address_shared_by_thirty_colleagues_is_not_new_for_the_thirty_first() {
        let mut events = Vec::new();
        for u in 0..30 {
            let n = events.len();
            events.push(signin(
                n,
                &format!("user{u}@contoso.com"),
                "2025-03-01T09:00:00Z",
                "198.51.100.10",
                "0",
                SEA,
            ));
        }
        history(&mut events, "new.hire@contoso.com", "192.0.2.10", SEA);
        let n = events.len();
        events.push(signin(
            n,
            "new.hire@contoso.com",
            "2025-03-02T09:00:00Z",
            "198.51.100.10",
            "0",
            SEA,
        ));
        let findings = analyze(&events, &[], &SigninOptions::default());
        assert!(
            !findings
                .iter()
                .any(|f| f.rule == "signin.new-ip"
                    && f.user.as_deref() == Some("new.hire@contoso.com")),
            "{findings:#?}"
        );
        // The same address alone for a user with history elsewhere is new.
        let mut lonely = Vec::new();
        history(&mut lonely, "new.hire@contoso.com", "192.0.2.10", SEA);
        lonely.push(signin(
            5,
            "new.hire@contoso.com",
            "2025-03-02T09:00:00Z",
            "198.51.100.10",
            "0",
            SEA,
        ));
        assert!(
            analyze(&lonely, &[], &SigninOptions::default())
                .iter()
                .any(|f| f.rule == "signin.new-ip")
        );
    }

    #[test]
    fn spray_across_ten_accounts_names_the_one_that_fell() {
        let mut events = Vec::new();
        for u in 0..10 {
            let n = events.len();
            events.push(signin(
                n,
                &format!("user{u}@contoso.com"),
                &format!("2025-03-04T09:4{}:00Z", u % 10),
                "203.0.113.140",
                "50126",
                None,
            ));
        }
        let n = events.len();
        events.push(signin(
            n,
            "user3@contoso.com",
            "2025-03-04T09:56:00Z",
            "203.0.113.140",
            "0",
            None,
        ));
        let findings = analyze(&events, &[], &SigninOptions::default());
        let spray: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == "signin.password-spray")
            .collect();
        assert_eq!(spray.len(), 1);
        assert_eq!(spray[0].user.as_deref(), Some("user3@contoso.com"));
        assert_eq!(spray[0].fields["targets"].as_array().unwrap().len(), 10);
        let success: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == "signin.brute-force-success")
            .collect();
        assert_eq!(success.len(), 1);
        assert_eq!(success[0].user.as_deref(), Some("user3@contoso.com"));
        // Four accounts are not a spray.
        let few: Vec<Event> = events.iter().take(4).cloned().collect();
        assert!(
            !analyze(&few, &[], &SigninOptions::default())
                .iter()
                .any(|f| f.rule == "signin.password-spray")
        );
    }

    #[test]
    fn mfa_fatigue_then_success() {
        let mut events = Vec::new();
        history(&mut events, "megan@contoso.com", "192.0.2.50", NYC);
        for (i, t) in ["09:51", "09:52", "09:54"].iter().enumerate() {
            events.push(signin(
                5 + i,
                "megan@contoso.com",
                &format!("2025-03-04T{t}:00Z"),
                "203.0.113.77",
                "500121",
                LOS,
            ));
        }
        events.push(signin(
            9,
            "megan@contoso.com",
            "2025-03-04T09:57:00Z",
            "203.0.113.77",
            "0",
            LOS,
        ));
        let findings = analyze(&events, &[], &SigninOptions::default());
        let fatigue: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == "signin.mfa-fatigue")
            .collect();
        assert_eq!(fatigue.len(), 1);
        assert_eq!(fatigue[0].evidence.len(), 4);
    }
}
