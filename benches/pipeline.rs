//! Analysis throughput over at least a million events:
//!
//! * `rules/evaluate` — `Catalogue::evaluate` (the embedded YAML rules) over the events of a
//!   generated mixed export (UAL Purview CSV + sign-ins), prepared as `analysis::analyze`
//!   prepares them (identity resolution, locations spread, tenant inferred), then cloned until
//!   there are at least 1,000,000;
//! * `signin/analyze` — `analyzers::signin::analyze_events` over at least 1,000,000 Entra sign-ins: a
//!   generated sign-in export replicated as independent tenants (each copy renames the accounts
//!   and moves the addresses, so every copy finds what the original finds).
//!
//! ```text
//! cargo bench --bench pipeline
//! ```
//!
//! Criterion reports elements/s; a summary after each group gives events/s and the number of
//! findings. Data is generated at bench run time only (see `benches/common/mod.rs`);
//! `cargo test --benches` runs a smoke test over `testdata/contoso-bec` instead.

mod common;

// The binary's allocator (src/main.rs), so that the figures are those of the shipped program.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use criterion::{BenchmarkId, SamplingMode, Throughput};
use uala::analyzers::signin::{self, SigninOptions};
use uala::event::{Event, SourceKind};
use uala::identity::{self, Directory};
use uala::ingest::{IngestOptions, InputSummary, ingest};
use uala::rules::Catalogue;
use uala::tenant::Tenant;

use common::{DataSet, Times};

/// At least this many events go through each stage.
const MIN_EVENTS: usize = 1_000_000;

const MIXED: DataSet = DataSet {
    name: "mixed-purview-220MB",
    layout: "purview",
    size: "220MB",
    signins_ratio: 0.15,
    seed: 7,
};

/// Shared with the ingest bench (same name and arguments: generated once).
const SIGNINS: DataSet = DataSet {
    name: "signins-220MB",
    layout: "purview",
    size: "220MB",
    signins_ratio: 1.0,
    seed: 7,
};

struct Summary {
    id: String,
    events: u64,
    findings: u64,
    times: Times,
}

fn main() {
    let mut criterion = common::criterion();
    if !common::bench_mode() {
        smoke();
        return;
    }
    let rules = Catalogue::load(None).expect("embedded rules");
    let all = common::rayon_default_threads();
    let mut summaries = Vec::new();

    // Rule pipeline.
    {
        let dir = MIXED.ensure();
        let (events, inputs, tenant) = prepared(&[dir]);
        let original = events.len();
        let events = replicate(events, MIN_EVENTS, |_, _| {});
        eprintln!(
            "bench: rules over {} events ({} ingested, {} rules)",
            events.len(),
            original,
            rules.rules.len()
        );
        let mut group = criterion.benchmark_group("rules");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(events.len() as u64));
        for threads in [1, all] {
            let pool = common::pool(threads);
            let times = RefCell::new(Times::default());
            let findings = Cell::new(0u64);
            group.bench_function(
                BenchmarkId::new("evaluate", common::threads_label(threads)),
                |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let (found, took) = times.borrow_mut().measure(|| {
                                pool.install(|| {
                                    rules.evaluate(black_box(&events), &tenant, &inputs)
                                })
                            });
                            total += took;
                            findings.set(found.len() as u64);
                            drop(black_box(found));
                        }
                        total
                    })
                },
            );
            push(
                &mut summaries,
                "rules/evaluate",
                &events,
                &findings,
                threads,
                times,
            );
        }
        group.finish();
    }

    // Sign-in analysis.
    {
        let dir = SIGNINS.ensure();
        let (events, inputs, _) = prepared(&[dir.join("signins.jsonl")]);
        let events: Vec<Event> = events
            .into_iter()
            .filter(|e| e.source == SourceKind::Signin)
            .collect();
        let original = events.len();
        let events = replicate(events, MIN_EVENTS, as_other_tenant);
        eprintln!(
            "bench: sign-in analysis over {} sign-ins ({} ingested)",
            events.len(),
            original
        );
        let options = SigninOptions::default();
        let mut group = criterion.benchmark_group("signin");
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(events.len() as u64));
        // The analyzer is sequential; one pool is enough.
        let threads = all;
        let times = RefCell::new(Times::default());
        let findings = Cell::new(0u64);
        group.bench_function(
            BenchmarkId::new("analyze", common::threads_label(threads)),
            |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (found, took) = times.borrow_mut().measure(|| {
                            signin::analyze_events(black_box(&events), &inputs, &options)
                        });
                        total += took;
                        findings.set(found.len() as u64);
                        drop(black_box(found));
                    }
                    total
                })
            },
        );
        push(
            &mut summaries,
            "signin/analyze",
            &events,
            &findings,
            threads,
            times,
        );
        group.finish();
    }

    println!();
    println!(
        "pipeline summary: median and best of every timed run (warm-up included); per CPU-second \
         = events / (user + system time); load average now {}",
        common::load_average()
    );
    println!(
        "| case | events | findings | median s | best s | events/s | CPU s | events per CPU-s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for s in &summaries {
        let median = s.times.median().as_secs_f64();
        let cpu = s.times.median_cpu().as_secs_f64().max(1e-9);
        println!(
            "| {} | {} | {} | {:.3} | {:.3} | {} | {:.2} | {} |",
            s.id,
            common::thousands(s.events),
            common::thousands(s.findings),
            median,
            s.times.best().as_secs_f64(),
            common::thousands((s.events as f64 / median) as u64),
            cpu,
            common::thousands((s.events as f64 / cpu) as u64),
        );
    }
    criterion.final_summary();
}

fn push(
    summaries: &mut Vec<Summary>,
    name: &str,
    events: &[Event],
    findings: &Cell<u64>,
    threads: usize,
    times: RefCell<Times>,
) {
    let times = times.into_inner();
    if !times.is_empty() {
        summaries.push(Summary {
            id: format!("{name}/{}", common::threads_label(threads)),
            events: events.len() as u64,
            findings: findings.get(),
            times,
        });
    }
}

/// Ingests `paths` and prepares the events as `analysis::analyze` does before the rules run.
fn prepared(paths: &[std::path::PathBuf]) -> (Vec<Event>, Vec<InputSummary>, Tenant) {
    let mut ingested = ingest(paths, &IngestOptions::default()).expect("ingest");
    let directory = Directory::build(&ingested.events);
    identity::resolve_events(&mut ingested.events, &directory);
    signin::spread_locations(&mut ingested.events);
    let tenant = Tenant::infer(&ingested.events, &[]);
    (ingested.events, ingested.inputs, tenant)
}

/// Appends copies of `events` until there are at least `min`; `adjust(copy, k)` may change the
/// k-th copy (k ≥ 1). Record numbers are offset so that copies stay distinct and ordered.
fn replicate(mut events: Vec<Event>, min: usize, adjust: impl Fn(&mut Event, u32)) -> Vec<Event> {
    let n = events.len();
    assert!(n > 0, "no events to replicate");
    let copies = min.div_ceil(n);
    let stride = events.iter().map(|e| e.prov.record).max().unwrap_or(0) + 1;
    events.reserve(n * (copies - 1));
    for k in 1..copies {
        for i in 0..n {
            let mut e = events[i].clone();
            e.prov.record += stride * k as u64;
            adjust(&mut e, k as u32);
            events.push(e);
        }
    }
    events
}

/// Makes the k-th copy of a sign-in belong to a separate tenant: `first.last@x` becomes
/// `first.last.rK@x` and each address moves to its own /24 (IPv4) or /48 (IPv6), so copies
/// neither share baselines nor look like office egress to each other.
fn as_other_tenant(e: &mut Event, k: u32) {
    let rename = |s: &str| match s.split_once('@') {
        Some((local, domain)) => format!("{local}.r{k}@{domain}"),
        None => format!("{s}.r{k}"),
    };
    if let Some(u) = e.user.as_deref() {
        e.user = Some(rename(u).into());
    }
    if let Some(a) = e.actor.as_deref() {
        e.actor = Some(rename(a).into());
    }
    e.ip = e.ip.map(|ip| match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b ^ (k as u8), c, d))
        }
        IpAddr::V6(v6) => {
            let mut s = v6.segments();
            s[2] ^= (k as u16) << 12;
            IpAddr::V6(Ipv6Addr::from(s))
        }
    });
}

/// `cargo test --benches`: run both stages once over the sample case.
fn smoke() {
    let sample = common::manifest_dir().join("testdata/contoso-bec");
    let (events, inputs, tenant) = prepared(&[sample]);
    let rules = Catalogue::load(None).expect("embedded rules");
    let options = SigninOptions::default();
    let once = signin::analyze_events(&events, &inputs, &options).len();
    let events = replicate(events.clone(), events.len() * 2, as_other_tenant);
    let found = rules.evaluate(&events, &tenant, &inputs);
    let signins = signin::analyze_events(&events, &inputs, &options);
    assert!(!found.is_empty() && !signins.is_empty());
    // Each copy is a tenant of its own: it finds what the original finds.
    assert_eq!(signins.len(), 2 * once, "replicated sign-ins interfere");
    println!(
        "pipeline bench: smoke test on testdata/contoso-bec ({} events, {} rule and {} sign-in \
         findings); run `cargo bench --bench pipeline` to measure",
        events.len(),
        found.len(),
        signins.len()
    );
}
