//! The shared real-world labels: every row of EXPECTED.tsv fires its rules on that file alone,
//! and every file of BENIGN.tsv yields nothing above `low`.

mod common;

use std::collections::BTreeSet;

use uala::analysis::{AnalysisOptions, analyze};
use uala::finding::Severity;
use uala::ingest::{IngestOptions, ingest};
use uala::rules::Catalogue;

fn findings_of(path: &std::path::Path) -> Vec<uala::finding::Finding> {
    let rules = Catalogue::load(None).unwrap();
    let ingested = ingest(&[path.to_path_buf()], &IngestOptions::default()).unwrap();
    analyze(ingested, &rules, &AnalysisOptions::default()).findings
}

#[test]
fn expected_rules_fire() {
    let Some(root) = common::shared_testdata() else {
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in common::read_tsv(&root.join("EXPECTED.tsv")) {
        let fired: BTreeSet<String> = findings_of(&root.join(&row[0]))
            .into_iter()
            .map(|f| f.rule)
            .collect();
        for rule in row[1].split(',').map(str::trim) {
            checked += 1;
            if !fired.contains(rule) {
                failures.push(format!(
                    "{}: {rule} did not fire (fired: {fired:?})",
                    row[0]
                ));
            }
        }
    }
    assert!(checked >= 30, "only {checked} expectations checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn benign_files_stay_low() {
    let Some(root) = common::shared_testdata() else {
        return;
    };
    let mut failures = Vec::new();
    for row in common::read_tsv(&root.join("BENIGN.tsv")) {
        for f in findings_of(&root.join(&row[0])) {
            if f.severity > Severity::Low {
                failures.push(format!(
                    "{}: {} {} {}",
                    row[0], f.severity, f.rule, f.summary
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
