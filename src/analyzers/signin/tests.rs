//! Sign-in analyzer fixtures.
use super::*;
use crate::event::{Location, Provenance};

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
    let findings = analyze_events(&events, &[], &SigninOptions::default());
    let travel: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "signin.impossible-travel")
        .collect();
    assert_eq!(travel.len(), 1, "{findings:#?}");
    assert!(travel[0].summary.contains("km/h"));
    assert_eq!(travel[0].evidence.len(), 2, "both points are evidence");
    assert!(rules_of(&findings, "megan@contoso.com").contains(&"signin.new-country".to_string()));
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
    let findings = analyze_events(&events, &[], &SigninOptions::default());
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
    // Thirty colleagues behind the office NAT on three mornings: tenant infrastructure.
    for day in ["2025-02-26", "2025-02-27", "2025-02-28"] {
        for u in 0..30 {
            let n = events.len();
            events.push(signin(
                n,
                &format!("user{u}@contoso.com"),
                &format!("{day}T09:00:00Z"),
                "198.51.100.10",
                "0",
                SEA,
            ));
        }
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
    let findings = analyze_events(&events, &[], &SigninOptions::default());
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
        analyze_events(&lonely, &[], &SigninOptions::default())
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
    let findings = analyze_events(&events, &[], &SigninOptions::default());
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
        !analyze_events(&few, &[], &SigninOptions::default())
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
    let findings = analyze_events(&events, &[], &SigninOptions::default());
    let fatigue: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule == "signin.mfa-fatigue")
        .collect();
    assert_eq!(fatigue.len(), 1);
    assert_eq!(fatigue[0].evidence.len(), 4);
}
