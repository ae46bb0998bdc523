//! Every real export in ../shared/testdata/MANIFEST.tsv is recognised as its listed kind, with
//! exactly the listed record count and nothing skipped.

mod common;

use uala::ingest::{IngestOptions, ingest};

#[test]
fn manifest_kinds_and_record_counts() {
    let Some(root) = common::shared_testdata() else {
        return;
    };
    let rows = common::read_tsv(&root.join("MANIFEST.tsv"));
    assert!(rows.len() > 50, "manifest looks truncated");
    let mut failures = Vec::new();
    for row in &rows {
        let (path, kind, records) = (&row[0], &row[1], row[2].parse::<u64>().unwrap());
        let ingested = ingest(&[root.join(path)], &IngestOptions::default()).unwrap();
        assert_eq!(ingested.inputs.len(), 1, "{path}");
        let input = &ingested.inputs[0];
        let got = (input.kind.as_str(), input.records, input.skipped);
        if got != (kind.as_str(), records, 0) {
            failures.push(format!(
                "{path}: want ({kind}, {records} records, 0 skipped), got ({}, {} records, {} skipped) format={:?} reason={:?} diagnostics={:?}",
                got.0, got.1, got.2, input.format, input.reason, ingested.diagnostics
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
