//! The real sign-in exports in ../shared/testdata run through the sign-in analysis without
//! error. What they show, and why it is right:
//!
//! - `InteractiveSignIns_2025-03-11_2025-03-18.csv` (Entra portal CSV of a Microsoft 365 demo
//!   tenant): the lab accounts sign in from Azure regions — Singapore, Boydton (Virginia), Hong
//!   Kong — minutes apart, so `signin.impossible-travel` fires for jonis@ (an investigator would
//!   confirm these are cloud-hosted lab machines and allow-list them with `--allow-ip`); the
//!   directory-sync account signs in with ROPC, which is `signin.legacy-auth`; the rest are
//!   first-seen countries and addresses, `low` where the account had no baseline.
//! - the Extractor Suite service-principal and managed-identity sign-ins: machine identities
//!   signing in from cloud addresses; only first-seen notes at `low`, nothing more.
//! - the Elastic Azure Monitor sample: five non-successful (50140 "keep me signed in")
//!   interrupts: nothing to report.

mod common;

use uala::analysis::{AnalysisOptions, analyze};
use uala::finding::Severity;
use uala::ingest::{IngestOptions, ingest};
use uala::rules::Catalogue;

fn run(path: &str) -> uala::analysis::Analysis {
    let root = common::shared_testdata().unwrap();
    let ingested = ingest(&[root.join(path)], &IngestOptions::default()).unwrap();
    assert!(ingested.inputs.iter().all(|i| i.skipped == 0), "{path}");
    analyze(
        ingested,
        &Catalogue::load(None).unwrap(),
        &AnalysisOptions::default(),
    )
}

#[test]
fn entra_portal_csv() {
    if common::shared_testdata().is_none() {
        return;
    }
    let a =
        run("techjollof__M365UnifiedAuditLogAnalyzer/InteractiveSignIns_2025-03-11_2025-03-18.csv");
    assert_eq!(a.ingested.events.len(), 214);
    let travel: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.rule == "signin.impossible-travel")
        .collect();
    assert!(!travel.is_empty());
    assert!(
        travel
            .iter()
            .all(|f| f.user.as_deref() == Some("jonis@m365x44824121.onmicrosoft.com"))
    );
    assert!(
        a.findings
            .iter()
            .any(|f| f.rule == "signin.legacy-auth"
                && f.user.as_deref().unwrap().starts_with("sync_"))
    );
}

#[test]
fn graph_json_machine_identities() {
    if common::shared_testdata().is_none() {
        return;
    }
    for path in [
        "invictus-ir__Microsoft-Extractor-Suite/20250502132320-servicePrincipal-SignInLogs.json",
        "invictus-ir__Microsoft-Extractor-Suite/20250502132321-managedIdentity-SignInLogs.json",
        "elastic__integrations/test-signinlogs-raw.log",
    ] {
        let a = run(path);
        assert!(!a.ingested.events.is_empty(), "{path}");
        for f in &a.findings {
            assert!(
                f.severity <= Severity::Low,
                "{path}: {} {}",
                f.rule,
                f.summary
            );
        }
    }
}
