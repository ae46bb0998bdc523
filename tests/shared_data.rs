//! The shared real-world labels, one test per row (a custom harness, `harness = false`):
//!
//! - `manifest::PATH`, one per row of MANIFEST.tsv (`path, kind, records`): the export is
//!   recognised as its listed kind, with exactly the listed record count and nothing skipped;
//! - `expected::PATH`, one per row of EXPECTED.tsv (`path, must_fire, note`): the file, analysed
//!   alone, fires every rule listed in `must_fire` (comma-separated);
//! - `benign::PATH`, one per row of BENIGN.tsv (`path, note`): the file, analysed alone, yields
//!   events and no finding above `low`;
//! - `tables::*`: the tables are not truncated (more than 50 manifest rows, at least 30 expected
//!   rule firings, at least one benign file).
//!
//! The folder is `../shared/testdata` beside the clone, or `$UALA_SHARED_TESTDATA`. Without it,
//! the rows cannot be listed: one ignored test stands for each table (`cargo test` shows them as
//! ignored; `--include-ignored` runs them, and they fail), and with `CI=true` a missing folder is
//! one failing test instead.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use uala::analysis::{Analysis, AnalysisOptions, analyze};
use uala::finding::Severity;
use uala::ingest::{IngestOptions, ingest};

fn main() {
    let args = Arguments::from_args();
    libtest_mimic::run(&args, trials()).exit();
}

type RowCheck = fn(&Path, &[String]) -> Result<(), Failed>;
type TableChecks = fn(&[Vec<String>]) -> Vec<Trial>;

/// The three tables: the file, the prefix of its tests, the check of one row, and the tests of
/// the table as a whole.
const TABLES: [(&str, &str, RowCheck, TableChecks); 3] = [
    ("MANIFEST.tsv", "manifest", manifest_row, manifest_table),
    ("EXPECTED.tsv", "expected", expected_row, expected_table),
    ("BENIGN.tsv", "benign", benign_row, benign_table),
];

fn trials() -> Vec<Trial> {
    let root = common::shared_testdata_dir();
    if !root.is_dir() {
        let missing = format!("the shared test data ({}) is missing", root.display());
        if common::ci() {
            return vec![Trial::test("shared_testdata_present", move || {
                Err(format!("CI=true but {missing}").into())
            })];
        }
        return TABLES
            .iter()
            .map(|(file, prefix, ..)| {
                let missing = format!("{missing}: no {file} rows to check");
                Trial::test(*prefix, move || Err(missing.into())).with_ignored_flag(true)
            })
            .collect();
    }
    let mut trials = Vec::new();
    for (file, prefix, row_check, table_checks) in TABLES {
        let path = root.join(file);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                let message = format!("{}: {e}", path.display());
                trials.push(Trial::test(format!("tables::{prefix}"), move || {
                    Err(message.into())
                }));
                continue;
            }
        };
        let rows = common::parse_tsv(&text);
        trials.extend(table_checks(&rows));
        // One test per row, named by its path; a path listed twice gets its row number too.
        let mut seen = HashSet::new();
        for (i, row) in rows.into_iter().enumerate() {
            let mut name = format!("{prefix}::{}", row[0]);
            if !seen.insert(name.clone()) {
                name = format!("{name} (row {})", i + 1);
            }
            let root = root.clone();
            trials.push(Trial::test(name, move || row_check(&root, &row)));
        }
    }
    trials
}

/// The first `N` fields of a row, or a failure showing the row when it has fewer.
fn fields<const N: usize>(row: &[String]) -> Result<&[String; N], Failed> {
    row.get(..N)
        .and_then(|f| f.try_into().ok())
        .ok_or_else(|| format!("{N} tab-separated fields expected, got {row:?}").into())
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), Failed> {
    if ok { Ok(()) } else { Err(message().into()) }
}

fn manifest_table(rows: &[Vec<String>]) -> Vec<Trial> {
    let count = rows.len();
    vec![Trial::test(
        "tables::manifest_has_more_than_50_rows",
        move || {
            check(count > 50, || {
                format!("MANIFEST.tsv has {count} rows: it looks truncated")
            })
        },
    )]
}

/// The export is recognised as its listed kind, with exactly the listed record count and
/// nothing skipped.
fn manifest_row(root: &Path, row: &[String]) -> Result<(), Failed> {
    let [path, kind, records] = fields(row)?;
    let records: u64 = records
        .parse()
        .map_err(|e| format!("records {records:?}: {e}"))?;
    let ingested = ingest(&[root.join(path)], &IngestOptions::default())
        .map_err(|e| format!("{path}: {e:#}"))?;
    check(ingested.inputs.len() == 1, || {
        format!("{path}: one input expected, got {}", ingested.inputs.len())
    })?;
    let input = &ingested.inputs[0];
    let got = (input.kind.as_str(), input.records, input.skipped);
    check(got == (kind.as_str(), records, 0), || {
        format!(
            "{path}: want ({kind}, {records} records, 0 skipped), got ({}, {} records, {} skipped) format={:?} reason={:?} diagnostics={:?}",
            got.0, got.1, got.2, input.format, input.reason, ingested.diagnostics
        )
    })
}

/// The analysis of one file alone.
fn analysis_of(path: &Path) -> Result<Analysis, Failed> {
    let ingested = ingest(&[path.to_path_buf()], &IngestOptions::default())
        .map_err(|e| format!("{}: {e:#}", path.display()))?;
    Ok(analyze(
        ingested,
        common::catalogue(),
        &AnalysisOptions::default(),
    ))
}

/// The rules of an EXPECTED.tsv `must_fire` cell.
fn must_fire(cell: &str) -> Vec<&str> {
    cell.split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect()
}

fn expected_table(rows: &[Vec<String>]) -> Vec<Trial> {
    let checked: usize = rows
        .iter()
        .map(|r| r.get(1).map_or(0, |cell| must_fire(cell).len()))
        .sum();
    vec![Trial::test(
        "tables::expected_has_at_least_30_expectations",
        move || {
            check(checked >= 30, || {
                format!("only {checked} expectations in EXPECTED.tsv")
            })
        },
    )]
}

/// Every rule the row lists fires on that file alone.
fn expected_row(root: &Path, row: &[String]) -> Result<(), Failed> {
    let [path, cell] = fields(row)?;
    let rules = must_fire(cell);
    check(!rules.is_empty(), || format!("{path}: no rule listed"))?;
    let fired: BTreeSet<String> = analysis_of(&root.join(path))?
        .findings
        .into_iter()
        .map(|f| f.rule)
        .collect();
    let missing: Vec<&str> = rules.into_iter().filter(|r| !fired.contains(*r)).collect();
    check(missing.is_empty(), || {
        format!("{path}: {missing:?} did not fire (fired: {fired:?})")
    })
}

fn benign_table(rows: &[Vec<String>]) -> Vec<Trial> {
    let count = rows.len();
    vec![Trial::test("tables::benign_has_rows", move || {
        check(count > 0, || "BENIGN.tsv has no rows".to_string())
    })]
}

/// The file yields events, and nothing above `low`.
fn benign_row(root: &Path, row: &[String]) -> Result<(), Failed> {
    let [path] = fields(row)?;
    let analysis = analysis_of(&root.join(path))?;
    check(!analysis.ingested.events.is_empty(), || {
        format!("{path}: no events read, so nothing was checked")
    })?;
    let above: Vec<String> = analysis
        .findings
        .iter()
        .filter(|f| f.severity > Severity::Low)
        .map(|f| format!("{} {} {}", f.severity, f.rule, f.summary))
        .collect();
    check(above.is_empty(), || {
        format!("{path}: above low:\n{}", above.join("\n"))
    })
}
