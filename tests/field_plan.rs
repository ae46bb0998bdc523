//! The field plan (src/field_plan.rs) drops the attributes of audit and sign-in events that no
//! rule, analyzer or summary reads. Dropping them must not change a single byte of any report:
//! this runs the analysis with the plan and with every attribute kept, over the sample case and
//! over each folder of the shared real exports, and compares the JSON and CSV reports.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use uala::analysis::{AnalysisOptions, analyze};
use uala::field_plan::FieldPlan;
use uala::ingest::{IngestOptions, ingest};
use uala::report::csv::CsvReporter;
use uala::report::{Display, JsonReporter, Report, Reporter};
use uala::rules::Catalogue;

fn reports(path: &PathBuf, rules: &Catalogue, plan: Option<Arc<FieldPlan>>) -> (String, usize) {
    let options = IngestOptions {
        field_plan: plan,
        ..IngestOptions::default()
    };
    let ingested = ingest(std::slice::from_ref(path), &options).unwrap();
    let attrs = ingested.events.iter().map(|e| e.attrs.len()).sum();
    let analysis = analyze(ingested, rules, &AnalysisOptions::default());
    let report = Report::new(&analysis, rules, "2025-03-10T09:00:00Z".parse().unwrap());
    let mut out = Vec::new();
    JsonReporter.render(&report, &mut out).unwrap();
    CsvReporter {
        display: Display::default(),
    }
    .render(&report, &mut out)
    .unwrap();
    (String::from_utf8(out).unwrap(), attrs)
}

#[test]
fn reports_are_identical_with_and_without_the_field_plan() {
    let rules = Catalogue::load(None).unwrap();
    let plan = Arc::new(FieldPlan::for_rules(&rules));
    let mut cases = vec![common::sample_case()];
    if let Some(shared) = common::shared_testdata() {
        let mut folders: Vec<PathBuf> = std::fs::read_dir(&shared)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        folders.sort();
        cases.extend(folders);
    }
    let (mut kept_total, mut all_total) = (0, 0);
    for case in &cases {
        let (all, all_attrs) = reports(case, &rules, None);
        let (kept, kept_attrs) = reports(case, &rules, Some(plan.clone()));
        if all != kept {
            let dir = std::env::temp_dir();
            std::fs::write(dir.join("uala-field-plan-all.txt"), &all).unwrap();
            std::fs::write(dir.join("uala-field-plan-kept.txt"), &kept).unwrap();
            let line = all
                .lines()
                .zip(kept.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{}: the reports differ from line {}:\n all:  {}\n plan: {}",
                case.display(),
                line + 1,
                all.lines().nth(line).unwrap_or(""),
                kept.lines().nth(line).unwrap_or("")
            );
        }
        kept_total += kept_attrs;
        all_total += all_attrs;
    }
    // The plan must actually drop something, or this test proves nothing.
    assert!(
        kept_total * 2 < all_total,
        "the plan kept {kept_total} of {all_total} attributes"
    );
}

/// A rule given with `--rules` that reads an attribute nothing built in reads
/// (`ClientInfoString` as a raw field) still sees it: the plan takes the loaded rules' fields.
#[test]
fn a_custom_rule_sees_the_fields_it_names() {
    let rules_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        rules_dir.path().join("owa.yml"),
        r#"id: custom.owa-proxy
title: Mail read through an OWA proxy
description: Test rule on a raw attribute outside the built-in field plan.
severity: low
sources: [ual]
operations: [MailItemsAccessed]
match: {field: ClientInfoString, contains: [ViaProxy]}
summary: "{client}"
fields:
  client: [ClientInfoString]
examples:
  fire:
    - kind: ual
      record: {CreationTime: "2025-03-04T12:00:00", Id: "o1", Operation: MailItemsAccessed, RecordType: 50,
               UserId: megan.bowen@contoso.com, ClientInfoString: "Client=OWA;Action=ViaProxy"}
  quiet:
    - kind: ual
      record: {CreationTime: "2025-03-04T12:00:00", Id: "o2", Operation: MailItemsAccessed, RecordType: 50,
               UserId: megan.bowen@contoso.com, ClientInfoString: "Client=REST"}
"#,
    )
    .unwrap();
    let builtin = FieldPlan::for_rules(&Catalogue::load(None).unwrap());
    assert!(!builtin.keeps("ClientInfoString"));

    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("report.json");
    assert_cmd::Command::cargo_bin("uala")
        .unwrap()
        .args(["analyze", "--quiet", "--rules"])
        .arg(rules_dir.path())
        .arg(common::sample_case())
        .arg("--json")
        .arg(&json)
        .assert()
        // No --fail-on, and the sample case skips nothing: exactly 0 (1 would be a finding at
        // --fail-on, 2 a refused rule or input, 3 a skipped input).
        .code(0);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let fired = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "custom.owa-proxy")
        .count();
    assert!(fired > 0, "the custom rule did not fire");
}
