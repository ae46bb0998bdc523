//! The learning of shared egress, on the patterns of real tenants.

use super::*;
use crate::event::{Provenance, SourceKind};

struct Log(Vec<Event>);

impl Log {
    fn new() -> Log {
        Log(Vec::new())
    }

    fn add(&mut self, time: DateTime<Utc>, user: &str, ip: &str, code: &str, ua: &str) {
        let n = self.0.len() as u64 + 1;
        let mut e = Event::new(
            SourceKind::Signin,
            "InteractiveSignIn",
            Provenance {
                input: 0,
                line: n,
                record: n,
            },
        );
        e.time = Some(time);
        e.user = Some(user.into());
        e.ip = Some(ip.parse().unwrap());
        e.outcome.success = Some(code == "0");
        e.outcome.code = Some(code.into());
        e.client.user_agent = Some(ua.into());
        self.0.push(e);
    }

    /// `n` colleagues signing in from `ip` every weekday morning for `days` days, a few of them
    /// mistyping their password first.
    fn office(&mut self, ip: &str, n: usize, days: i64, typos: usize) {
        for d in 0..days {
            let morning = day(d) + Duration::hours(8);
            for u in 0..n {
                let t = morning + Duration::minutes(u as i64 % 30);
                let user = format!("user{u}@contoso.com");
                if u < typos {
                    self.add(t - Duration::seconds(20), &user, ip, "50126", BROWSER);
                }
                self.add(t, &user, ip, "0", BROWSER);
            }
        }
    }

    fn learn(&self) -> Infrastructure {
        Infrastructure::learn(&self.0, &[], &InfraOptions::default())
    }
}

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36";

fn day(d: i64) -> DateTime<Utc> {
    "2025-03-03T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::days(d)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn an_office_nat_with_morning_typos_is_shared_egress() {
    let mut log = Log::new();
    log.office("198.51.100.10", 40, 5, 8);
    let infra = log.learn();
    assert_eq!(
        infra.kind(ip("198.51.100.10")),
        Some(InfraKind::SharedAddress)
    );
    let usage = infra.learnt();
    assert_eq!(usage.len(), 1);
    assert_eq!((usage[0].accounts, usage[0].days), (40, 5));
    // One address is not its whole network: a neighbour stays judged.
    assert_eq!(infra.kind(ip("198.51.100.23")), None);
}

#[test]
fn few_accounts_or_few_days_are_not_enough() {
    let mut log = Log::new();
    log.office("198.51.100.10", 4, 10, 0);
    log.office("192.0.2.10", 40, 2, 0);
    let infra = log.learn();
    assert_eq!(infra.kind(ip("198.51.100.10")), None, "4 accounts");
    assert_eq!(infra.kind(ip("192.0.2.10")), None, "2 days");
}

#[test]
fn a_spray_source_is_never_infrastructure() {
    let mut log = Log::new();
    // First seen failing against 20 accounts, then signing in as 8 of them over 4 days.
    let spray = "203.0.113.140";
    for u in 0..20 {
        log.add(
            day(0) + Duration::minutes(u),
            &format!("user{u}@contoso.com"),
            spray,
            "50126",
            BROWSER,
        );
    }
    for d in 1..5 {
        for u in 0..8 {
            log.add(
                day(d) + Duration::hours(u),
                &format!("user{u}@contoso.com"),
                spray,
                "0",
                BROWSER,
            );
        }
    }
    assert_eq!(log.learn().kind(ip(spray)), None);
}

#[test]
fn successes_right_after_a_burst_do_not_count() {
    let mut log = Log::new();
    let nat = "198.51.100.10";
    log.office(nat, 6, 1, 0);
    // A burst of failures at night, then the same accounts "succeed" within the day after.
    for u in 0..10 {
        log.add(
            day(1) + Duration::minutes(u),
            &format!("x{u}@contoso.com"),
            nat,
            "50126",
            BROWSER,
        );
    }
    for d in 1..3 {
        for u in 0..6 {
            log.add(
                day(d) + Duration::hours(9),
                &format!("user{u}@contoso.com"),
                nat,
                "0",
                BROWSER,
            );
        }
    }
    // Day 1's successes fall within 24 h of the burst and do not count; days 0 and 2 are two
    // days, one short of the three needed.
    let infra = log.learn();
    assert_eq!(infra.kind(ip(nat)), None);
}

#[test]
fn a_rotating_pool_is_shared_by_its_network() {
    let mut log = Log::new();
    for d in 0..4 {
        for u in 0..12 {
            let addr = format!("100.64.7.{}", (u * 7 + d * 3) % 40 + 1);
            log.add(
                day(d) + Duration::hours(9) + Duration::minutes(u),
                &format!("user{u}@contoso.com"),
                &addr,
                "0",
                BROWSER,
            );
        }
    }
    let infra = log.learn();
    assert_eq!(
        infra.kind(ip("100.64.7.200")),
        Some(InfraKind::SharedNetwork)
    );
}

#[test]
fn an_address_of_scripts_is_not_learnt() {
    let mut log = Log::new();
    for d in 0..5 {
        for u in 0..10 {
            log.add(
                day(d) + Duration::hours(u),
                &format!("user{u}@contoso.com"),
                "203.0.113.9",
                "0",
                "python-requests/2.31",
            );
        }
    }
    assert_eq!(log.learn().kind(ip("203.0.113.9")), None);
}

#[test]
fn private_addresses_are_judged_like_any_other() {
    let mut log = Log::new();
    log.add(day(0), "user1@contoso.com", "10.1.2.3", "0", BROWSER);
    let infra = log.learn();
    assert_eq!(
        infra.kind(ip("10.1.2.3")),
        None,
        "private is not infrastructure by itself"
    );
    let allowed = Infrastructure::learn(
        &log.0,
        &["10.0.0.0/8".parse().unwrap()],
        &InfraOptions::default(),
    );
    assert_eq!(allowed.kind(ip("10.1.2.3")), Some(InfraKind::Allowed));
    assert_eq!(infra.kind(ip("40.97.1.2")), Some(InfraKind::Microsoft));
}
