//! # uala-gen — realistic synthetic Microsoft 365 tenants with ground truth
//!
//! A benign population carrying the patterns that fool naive BEC detectors (office NAT
//! shared by hundreds and failing typos daily, a VPN egress abroad alternating with home
//! addresses within minutes, CGNAT carriers, travellers, Outlook mobile reading mail from
//! Microsoft's own addresses, new authenticators, rule re-stamps, housekeeping deletes,
//! internal and private forwards, marketing bursts, admins and service principals, internet
//! noise) plus planted compromises of several kinds, some visible only in the UAL.
//!
//! ```no_run
//! let s = uala_gen::Scenario { users: 600, ..uala_gen::Scenario::default() };
//! let truth = uala_gen::generate(&s, std::path::Path::new("/tmp/tenant")).unwrap();
//! println!("{} victims", truth.victims.len());
//! ```
//!
//! Output is byte-identical for a given `Scenario`. See `gen/README.md` for the layout.

pub mod act;
pub mod admin;
pub mod apps;
pub mod attacker;
pub mod attacks;
pub mod background;
pub mod benign;
pub mod entra;
pub mod fmt;
pub mod infra;
pub mod mailbox;
pub mod net;
pub mod population;
pub mod rng;
pub mod rules;
pub mod signin;
pub mod sink;
pub mod truth;
pub mod ual;
pub mod ual_admin;
pub mod world;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use chrono::NaiveDate;

use crate::act::Act;
use crate::fmt::{DAY, iso_z};
use crate::infra::Infra;
use crate::mailbox::State;
use crate::population::{TRAIT_NAMES, Tenant, t};
use crate::rng::Rng;
use crate::sink::{Emit, Plan, Sinks, Stream};
use crate::truth::*;
use crate::world::World;

pub use crate::truth::Truth;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    pub users: usize,
    pub days: u32,
    pub start: NaiveDate,
    /// Scale users (and, past `max_users`, activity) to reach about this many bytes.
    pub target_bytes: Option<u64>,
    /// Trailing days the sign-in log covers (real exports pair short sign-in logs with a
    /// long UAL).
    pub signin_days: u32,
    /// Multiplier of bulk mailbox and file activity per user-day (1.0 = light).
    pub activity: f64,
    /// One campaign's attacker addresses in 10.0.0.0/8 (anonymised-export case).
    pub private_attacker: bool,
    /// Write only `ual/audit.csv` (and truth.json).
    pub ual_only: bool,
    /// Upper bound on users when scaling to `target_bytes`.
    pub max_users: usize,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            users: 600,
            days: 30,
            start: NaiveDate::from_ymd_opt(2025, 4, 7).expect("valid date"),
            target_bytes: None,
            signin_days: 14,
            activity: 1.0,
            private_attacker: false,
            ual_only: false,
            max_users: 10_000,
        }
    }
}

fn world(s: &Scenario) -> World {
    let days = s.days.max(3) as i64;
    let infra = Infra::new(s.seed, s.users);
    let tn = Tenant::new(s.seed, s.users, days, &infra);
    let start = s
        .start
        .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch"))
        .num_days()
        * DAY;
    let signin_days = (s.signin_days as i64).clamp(1, days);
    World {
        seed: s.seed,
        tn,
        infra,
        start,
        days,
        end: start + days * DAY,
        si_start: start + (days - signin_days) * DAY,
        trace_start: start + (days - 10.min(days)) * DAY,
        activity: s.activity,
        private_attacker: s.private_attacker,
    }
}

/// Generates the tenant into `out_dir` and returns (and writes) its truth.
pub fn generate(s: &Scenario, out_dir: &Path) -> io::Result<Truth> {
    let s = match s.target_bytes {
        Some(target) => scale_to(s, target)?,
        None => s.clone(),
    };
    run(&s, out_dir, true)
}

/// Users and activity that reach `target` bytes, measured on a small sample.
pub fn scale_to(s: &Scenario, target: u64) -> io::Result<Scenario> {
    // Same period and sign-in coverage, few users, nothing written: bytes per user-day.
    let days = s.days.max(3) as f64;
    let probe = |users: usize, activity: f64| -> io::Result<f64> {
        let p = Scenario {
            users,
            activity,
            target_bytes: None,
            ..s.clone()
        };
        let tr = run(&p, Path::new("."), false)?;
        Ok(tr.total_bytes() as f64 / (users as f64 * days))
    };
    let n = 200usize;
    let b1 = probe(n, 1.0)?;
    let b3 = probe(n, 3.0)?;
    let slope = ((b3 - b1) / 2.0).max(1.0);
    let base = b1 - slope;
    let per_user_day = target as f64 / days;
    let mut out = s.clone();
    out.target_bytes = Some(target);
    let users = (per_user_day / b1).round().max(50.0) as usize;
    if users <= s.max_users {
        out.users = users;
        out.activity = 1.0;
    } else {
        out.users = s.max_users;
        out.activity = ((per_user_day / out.users as f64 - base) / slope).max(1.0);
    }
    Ok(out)
}

fn run(s: &Scenario, out_dir: &Path, write: bool) -> io::Result<Truth> {
    let w = world(s);
    let mut st = State::default();
    let mut plan = Plan::default();
    let seed = s.seed;
    let outcome = {
        let mut a = Act::new(&w, Rng::fork(seed, 0xA77));
        attacks::plan(
            &mut a,
            &mut plan,
            &mut st,
            s.signin_days.clamp(1, s.days.max(3)) as i64,
        )
    };
    rules::plan(
        &mut Act::new(&w, Rng::fork(seed, 0x7E5)),
        &mut plan,
        &mut st,
    );
    admin::plan_admin(
        &mut Act::new(&w, Rng::fork(seed, 0xAD1)),
        &mut plan,
        &mut st,
    );
    background::plan_background(&mut Act::new(&w, Rng::fork(seed, 0xB6D)), &mut plan);
    background::plan_marketing(&mut Act::new(&w, Rng::fork(seed, 0x3A7)), &mut plan);
    background::plan_noise(
        &mut Act::new(&w, Rng::fork(seed, 0x401)),
        &mut plan,
        &outcome.nets,
    );
    let planned = plan.into_sorted();

    let mut stream = Stream {
        sinks: Sinks::create(out_dir, write, s.ual_only)?,
        err: None,
    };
    let mut act = Act::new(&w, Rng::fork(seed, 0xDA1));
    let mut day_rng = Rng::fork(seed, 0xD00);
    let mut evs = Vec::new();
    let mut p = 0;
    for day in 0..w.days {
        evs.clear();
        benign::day_events(&w, &mut day_rng, day, &mut evs);
        evs.sort_by_key(|e| e.t);
        for ev in &evs {
            while p < planned.len() && planned[p].t <= ev.t {
                emit_planned(&mut stream, &planned[p], s.ual_only);
                p += 1;
            }
            benign::render(&mut act, &mut stream, ev);
        }
        let next = w.start + (day + 1) * DAY;
        while p < planned.len() && planned[p].t < next {
            emit_planned(&mut stream, &planned[p], s.ual_only);
            p += 1;
        }
        if let Some(e) = stream.err.take() {
            return Err(e);
        }
    }
    while p < planned.len() {
        emit_planned(&mut stream, &planned[p], s.ual_only);
        p += 1;
    }
    stream.sinks.finish()?;
    if let Some(e) = stream.err.take() {
        return Err(e);
    }
    let mut files = BTreeMap::new();
    for o in stream.sinks.all() {
        if !s.ual_only || o.path.ends_with("ual/audit.csv") {
            let rel = o
                .path
                .strip_prefix(out_dir)
                .unwrap_or(&o.path)
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(
                rel,
                FileTruth {
                    records: o.records,
                    bytes: o.bytes,
                },
            );
        }
    }
    if !s.ual_only {
        let (rules_csv, nr) = st.inbox_rules_csv(&w);
        let (mbx_csv, nm) = st.mailboxes_csv(&w);
        for (rel, text, n) in [
            ("mailbox/inbox_rules.csv", rules_csv, nr),
            ("mailbox/mailboxes.csv", mbx_csv, nm),
        ] {
            let bytes = if write {
                sink::write_small(out_dir, rel, &text)?.0
            } else {
                text.len() as u64
            };
            files.insert(
                rel.to_string(),
                FileTruth {
                    records: n as u64,
                    bytes,
                },
            );
        }
    }
    let truth = make_truth(s, &w, &st, outcome, files);
    if write {
        let json = serde_json::to_string_pretty(&truth).map_err(io::Error::other)?;
        sink::write_small(out_dir, "truth.json", &(json + "\n"))?;
    }
    Ok(truth)
}

fn emit_planned(stream: &mut Stream, r: &sink::Rec, ual_only: bool) {
    if !ual_only || r.dest == sink::Dest::Ual {
        stream.emit(r.t, r.dest, &r.text);
    }
}

fn make_truth(
    s: &Scenario,
    w: &World,
    st: &State,
    o: attacks::Outcome,
    files: BTreeMap<String, FileTruth>,
) -> Truth {
    let people: Vec<usize> = w.tn.people().collect();
    let mut proportions = BTreeMap::new();
    for (bit, name) in TRAIT_NAMES {
        if *bit & (t::SERVICE_MAILBOX | t::SHARED_MAILBOX | t::LEGACY_AUTH) != 0 {
            continue;
        }
        let k = people.iter().filter(|&&i| w.tn.users[i].has(*bit)).count();
        proportions.insert(name.to_string(), k as f64 / people.len().max(1) as f64);
    }
    let touched: Vec<&str> = o.touched.iter().map(|x| x.user.as_str()).collect();
    let users =
        w.tn.users
            .iter()
            .enumerate()
            .map(|(i, u)| UserTruth {
                upn: u.upn.clone(),
                country: net::COUNTRIES[u.country].cc.to_string(),
                traits: u.trait_names(),
                victim: o.victim_idx.contains(&i),
                touched: touched.contains(&u.upn.as_str()),
            })
            .collect();
    let dom = &w.tn.domain;
    let mut forwards: Vec<ForwardTruth> = Vec::new();
    for r in st
        .rules
        .iter()
        .filter(|r| !r.forward_to.is_empty() && !o.victim_idx.contains(&r.owner))
    {
        let u = &w.tn.users[r.owner];
        forwards.push(ForwardTruth {
            user: u.upn.clone(),
            to: r.forward_to[0].1.clone(),
            how: "inbox_rule",
            set_by: u.upn.clone(),
            external: !r.forward_to[0].1.ends_with(dom.as_str()),
        });
    }
    for f in st
        .forwards
        .iter()
        .filter(|f| !o.victim_idx.contains(&f.owner))
    {
        let u = &w.tn.users[f.owner];
        let by = if u.has(t::LEAVER) {
            "admin"
        } else {
            u.upn.as_str()
        };
        forwards.push(ForwardTruth {
            user: u.upn.clone(),
            to: f.address.clone(),
            how: "mailbox",
            set_by: by.to_string(),
            external: !f.address.ends_with(dom.as_str()),
        });
    }
    let names = |tr: u32| {
        w.tn.with(tr)
            .iter()
            .map(|&i| w.tn.users[i].upn.clone())
            .collect::<Vec<_>>()
    };
    Truth {
        generator: format!("uala-gen {}", env!("CARGO_PKG_VERSION")),
        scenario: ScenarioTruth {
            seed: s.seed,
            users: w.tn.users.len(),
            days: w.days as u32,
            start: s.start.to_string(),
            signin_days: ((w.end - w.si_start) / DAY) as u32,
            activity: (s.activity * 1000.0).round() / 1000.0,
            target_bytes: s.target_bytes,
            private_attacker: s.private_attacker,
            ual_only: s.ual_only,
        },
        tenant: TenantTruth {
            name: w.tn.name.clone(),
            domain: w.tn.domain.clone(),
            onmicrosoft: w.tn.onms.clone(),
            organization_id: fmt::guid_s(w.tn.org),
        },
        period: Span { start: iso_z(w.start), end: iso_z(w.end) },
        signin_coverage: Span { start: iso_z(w.si_start), end: iso_z(w.end) },
        message_trace_coverage: Span { start: iso_z(w.trace_start), end: iso_z(w.end) },
        infrastructure: w.infra.truth(),
        victims: o.victims,
        touched: o.touched,
        benign: BenignTruth {
            forwards,
            rules_in_dump: st.rules.iter().filter(|r| !r.hidden && !r.removed).count(),
            rules_removed_by_owner: st.rules.iter().filter(|r| r.removed && !o.victim_idx.contains(&r.owner)).count(),
            admins: names(t::ADMIN),
            marketing: names(t::MARKETING),
            service_mailboxes: names(t::SERVICE_MAILBOX),
            shared_mailboxes: names(t::SHARED_MAILBOX),
            service_principals: (0..admin::SERVICE_PRINCIPALS.len())
                .map(|k| format!("ServicePrincipal_{} ({})", fmt::guid_s(admin::sp_guid(w, k)), admin::SERVICE_PRINCIPALS[k]))
                .collect(),
            system_actors: vec![apps::SYSTEM_ID.to_string()],
            noise: "1-3 failures (50126 existing, 50034 nonexistent) per hosting source, never a success".into(),
        },
        users,
        files,
        proportions,
    }
}
