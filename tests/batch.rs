//! `uala batch` and `uala merge` through the real binary: three copies of the sample case as
//! three tenants plus two broken ones, summary counts, exit codes, campaigns, JUnit, Parquet,
//! and sharded runs merged back to the whole.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use polars::prelude::*;
use serde_json::Value;

const COPIES: [&str; 3] = ["fabrikam", "northwind", "tailspin"];
/// A folder holding only binary junk, and an empty folder.
const BROKEN: [&str; 2] = ["broken-junk", "broken-empty"];

fn uala() -> Command {
    let mut cmd = Command::cargo_bin("uala").unwrap();
    cmd.env("SOURCE_DATE_EPOCH", "1735689600").env_remove("CI");
    cmd
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// ROOT with the three copies and the two broken tenants.
fn tenants_root(base: &Path) -> PathBuf {
    let root = base.join("tenants");
    for name in COPIES {
        copy_dir(&common::sample_case(), &root.join(name));
    }
    let junk = root.join(BROKEN[0]);
    std::fs::create_dir_all(&junk).unwrap();
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(junk.join("export.bin"), bytes).unwrap();
    std::fs::create_dir_all(root.join(BROKEN[1])).unwrap();
    root
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn row<'a>(summary: &'a Value, tenant: &str) -> &'a Value {
    summary["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tenant"] == tenant)
        .unwrap_or_else(|| panic!("no row for {tenant}"))
}

fn parquet_rows(path: &Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// JUnit XML parsed strictly; returns (suites, tests, failures, errors) of the root element,
/// checking that they agree with the test cases.
fn junit_counts(path: &Path) -> (usize, usize, usize, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("junit.xml is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr = |n: roxmltree::Node, a: &str| -> usize { n.attribute(a).unwrap().parse().unwrap() };
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for suite in &suites {
        assert!(suite.attribute("name").is_some());
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(attr(*suite, "tests"), cases.len());
        let f = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
            .count();
        let e = cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name("error")))
            .count();
        assert_eq!(attr(*suite, "failures"), f);
        assert_eq!(attr(*suite, "errors"), e);
        for c in &cases {
            assert!(c.attribute("classname").is_some() && c.attribute("name").is_some());
        }
        tests += cases.len();
        failures += f;
        errors += e;
    }
    assert_eq!(attr(root, "tests"), tests);
    assert_eq!(attr(root, "failures"), failures);
    assert_eq!(attr(root, "errors"), errors);
    (suites.len(), tests, failures, errors)
}

#[test]
fn batch_summary_exit_codes_campaigns_junit_and_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tenants_root(tmp.path());
    let out = tmp.path().join("out");
    let pq = tmp.path().join("parquet");

    // Without --fail-on: the copies complete (0), the broken tenants fail (2), so the run is 3.
    uala()
        .arg("batch")
        .arg(&root)
        .arg("--out-dir")
        .arg(&out)
        .args(["--json", "--sarif", "--quiet", "--parquet"])
        .arg(&pq)
        .assert()
        .code(3);

    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["schema"], "uala.batch/1");
    assert_eq!(summary["exit"], 3);
    let names: Vec<&str> = summary["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "broken-empty",
            "broken-junk",
            "fabrikam",
            "northwind",
            "tailspin"
        ]
    );
    for name in COPIES {
        let r = row(&summary, name);
        let report = read_json(&out.join(name).join("report.json"));
        assert_eq!(report["tenant"], name, "the tenant id is the folder name");
        assert_eq!(r["exit"], 0);
        assert!(r["error"].is_null());
        assert_eq!(r["path"], root.join(name).display().to_string());
        assert_eq!(r["findings"], report["summary"]["findings"]);
        assert_eq!(r["accounts"]["compromised"], 1);
        assert_eq!(r["accounts"]["suspicious"], 1);
        let accounts = report["accounts"].as_array().unwrap();
        assert_eq!(
            r["accounts"]["clean"],
            accounts.iter().filter(|a| a["verdict"] == "clean").count()
        );
        assert_eq!(
            r["windows"],
            accounts
                .iter()
                .filter(|a| a.get("window").is_some())
                .count()
        );
        assert_eq!(r["windows"], 1);
        assert!(out.join(name).join("report.sarif").is_file());
        assert!(!out.join(name).join("report.html").exists());

        // Parquet read back with polars: one row per event and per finding of the report.
        let part = pq.join(format!("tenant={name}"));
        let events = parquet_rows(&part.join("events.parquet"));
        assert_eq!(events.height() as u64, report["events"].as_u64().unwrap());
        assert_eq!(
            events.column("time").unwrap().dtype(),
            &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
        );
        let tenants = events.column("tenant").unwrap().str().unwrap();
        assert!(
            !tenants.is_empty(),
            "{name}: no events in the parquet partition"
        );
        assert!((0..tenants.len()).all(|i| tenants.get(i) == Some(name)));
        assert_eq!(events.column("line").unwrap().dtype(), &DataType::Int64);
        let findings = parquet_rows(&part.join("findings.parquet"));
        assert_eq!(
            findings.height(),
            report["findings"].as_array().unwrap().len()
        );
        assert_eq!(
            findings.column("attack").unwrap().dtype(),
            &DataType::List(Box::new(DataType::String))
        );
        let ids = findings.column("id").unwrap().str().unwrap();
        assert_eq!(ids.get(0), Some("F0001"));
    }
    for name in BROKEN {
        let r = row(&summary, name);
        assert_eq!(r["exit"], 2);
        assert!(r["error"].as_str().unwrap().contains("no readable input"));
        assert!(!pq.join(format!("tenant={name}")).exists());
    }

    // The copies share the sample's attacker IP, tool user agent and forwarding addresses.
    let campaigns = summary["campaigns"].as_array().unwrap();
    let campaign = |kind: &str, indicator: &str| {
        campaigns
            .iter()
            .find(|c| c["kind"] == kind && c["indicator"] == indicator)
            .unwrap_or_else(|| panic!("no {kind} campaign {indicator}: {campaigns:#?}"))
    };
    let ip = campaign("ip", "203.0.113.77");
    assert_eq!(ip["tenants"], serde_json::json!(COPIES));
    assert_eq!(ip["accounts"][0]["user"], "megan.bowen@contoso.com");
    campaign("user_agent", "python-requests/2.31.0");
    campaign("forward_to", "payments.collector@protonmail.example");
    assert!(
        campaigns
            .iter()
            .all(|c| c["tenants"].as_array().unwrap().len() > 1)
    );

    // JUnit: one suite per tenant; nothing fails without --fail-on; the broken ones error.
    let (suites, tests, failures, errors) = junit_counts(&out.join("junit.xml"));
    assert_eq!(suites, 5);
    assert_eq!(tests, 5 * 8);
    assert_eq!((failures, errors), (0, 2));

    // Existing outputs are not overwritten without --force.
    uala()
        .arg("batch")
        .arg(&root)
        .arg("--out-dir")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .code(2);

    // With --fail-on high: the copies fail (1), and so does the run.
    uala()
        .arg("batch")
        .arg(&root)
        .arg("--out-dir")
        .arg(&out)
        .args(["--quiet", "--force", "--fail-on", "high"])
        .assert()
        .code(1);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["exit"], 1);
    for name in COPIES {
        assert_eq!(row(&summary, name)["exit"], 1);
    }
    let (_, _, failures, errors) = junit_counts(&out.join("junit.xml"));
    assert!(failures >= 3, "high findings fail their family's case");
    assert_eq!(errors, 2);
    // One tenant alone: 1 with a threshold it reaches, 0 without one.
    let mut quiet_root = tmp.path().join("quiet");
    std::fs::create_dir_all(&quiet_root).unwrap();
    copy_dir(&root.join("fabrikam"), &quiet_root.join("fabrikam"));
    uala()
        .arg("batch")
        .arg(&quiet_root)
        .arg("--out-dir")
        .arg(tmp.path().join("out-quiet"))
        .args(["--quiet", "--fail-on", "critical"])
        .assert()
        .code(1);
    // Only broken tenants: 2.
    quiet_root = tmp.path().join("all-broken");
    std::fs::create_dir_all(quiet_root.join("empty")).unwrap();
    uala()
        .arg("batch")
        .arg(&quiet_root)
        .arg("--out-dir")
        .arg(tmp.path().join("out-broken"))
        .args(["--quiet", "--fail-on", "high"])
        .assert()
        .code(2);
    uala()
        .arg("batch")
        .arg(tmp.path().join("quiet"))
        .arg("--out-dir")
        .arg(tmp.path().join("out-zero"))
        .arg("--quiet")
        .assert()
        .code(0);
}

/// A summary without what differs between runs: the generated time, where the reports went,
/// and which shard or merge wrote it.
fn comparable(mut summary: Value) -> Value {
    let o = summary.as_object_mut().unwrap();
    o.remove("generated_at");
    o.remove("shard");
    o.remove("merged_from");
    for r in o["tenants"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("output");
    }
    summary
}

#[test]
fn shards_merge_to_the_unsharded_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tenants_root(tmp.path());
    let whole = tmp.path().join("whole");
    uala()
        .arg("batch")
        .arg(&root)
        .arg("--out-dir")
        .arg(&whole)
        .args(["--quiet", "--fail-on", "high"])
        .assert()
        .code(1);

    let mut shard_dirs = Vec::new();
    let mut sizes = Vec::new();
    for i in 1..=3 {
        let dir = tmp.path().join(format!("shard-{i}"));
        let code = uala()
            .arg("batch")
            .arg(&root)
            .arg("--out-dir")
            .arg(&dir)
            .args(["--quiet", "--fail-on", "high", "--shard", &format!("{i}/3")])
            .output()
            .unwrap()
            .status
            .code();
        // Every shard holds one copy of the sample (high findings): 1.
        assert_eq!(code, Some(1), "shard {i}");
        let s = read_json(&dir.join("summary.json"));
        assert_eq!(s["shard"], format!("{i}/3"));
        sizes.push(s["tenants"].as_array().unwrap().len());
        shard_dirs.push(dir);
    }
    assert_eq!(sizes, vec![2, 2, 1], "5 tenants round-robin over 3 shards");

    // A missing shard is refused unless --partial.
    uala()
        .arg("merge")
        .args(&shard_dirs[..2])
        .arg("--out-dir")
        .arg(tmp.path().join("partial"))
        .arg("--quiet")
        .assert()
        .code(2);
    uala()
        .arg("merge")
        .args(&shard_dirs[..2])
        .arg("--out-dir")
        .arg(tmp.path().join("partial"))
        .args(["--quiet", "--partial"])
        .assert()
        .code(1);

    let merged = tmp.path().join("merged");
    uala()
        .arg("merge")
        .args(&shard_dirs)
        .arg("--out-dir")
        .arg(&merged)
        .arg("--quiet")
        .assert()
        .code(1);
    let a = comparable(read_json(&whole.join("summary.json")));
    let b = comparable(read_json(&merged.join("summary.json")));
    assert_eq!(a, b);
    // The same JUnit, but for where each tenant's reports are.
    let mut merged_junit = std::fs::read_to_string(merged.join("junit.xml")).unwrap();
    for dir in &shard_dirs {
        merged_junit =
            merged_junit.replace(&dir.display().to_string(), &whole.display().to_string());
    }
    assert_eq!(
        std::fs::read_to_string(whole.join("junit.xml")).unwrap(),
        merged_junit
    );
    assert!(
        b["campaigns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["indicator"] == "203.0.113.77" && c["kind"] == "ip")
    );
}

#[test]
fn analyze_writes_parquet_for_the_inferred_tenant() {
    let tmp = tempfile::tempdir().unwrap();
    let pq = tmp.path().join("pq");
    let json = tmp.path().join("report.json");
    uala()
        .arg("analyze")
        .arg(common::sample_case())
        .arg("--json")
        .arg(&json)
        .arg("--parquet")
        .arg(&pq)
        .arg("--quiet")
        .assert()
        .code(0);
    let report = read_json(&json);
    let part = pq.join("tenant=contoso.onmicrosoft.com");
    assert_eq!(
        parquet_rows(&part.join("events.parquet")).height() as u64,
        report["events"].as_u64().unwrap()
    );
    assert_eq!(
        parquet_rows(&part.join("findings.parquet")).height(),
        report["findings"].as_array().unwrap().len()
    );
    // Not over existing files without --force; never inside the evidence.
    uala()
        .arg("analyze")
        .arg(common::sample_case())
        .arg("--parquet")
        .arg(&pq)
        .arg("--quiet")
        .assert()
        .code(2);
    uala()
        .arg("analyze")
        .arg(common::sample_case())
        .arg("--parquet")
        .arg(common::sample_case().join("pq"))
        .arg("--quiet")
        .assert()
        .code(2);
    assert!(!common::sample_case().join("pq").exists());
}

/// A rule whose id (and so its family) is full of XML's special characters and controls.
const HOSTILE_RULE: &str = r#"id: "odd<&>\"'\x07fam.rule<&>\"'\x01"
title: Inbox rule created (hostile id)
description: Test rule whose id XML must escape.
severity: low
sources: [ual]
operations: [New-InboxRule]
match: {field: "@operation", equals: New-InboxRule}
summary: "inbox rule"
examples:
  fire:
    - kind: ual
      record: {CreationTime: "2025-03-04T12:00:00", Id: "h1", Operation: New-InboxRule, RecordType: 1,
               UserId: megan.bowen@contoso.com}
  quiet:
    - kind: ual
      record: {CreationTime: "2025-03-04T12:00:00", Id: "h2", Operation: Set-InboxRule, RecordType: 1,
               UserId: megan.bowen@contoso.com}
"#;

/// Tenant names and rule ids with `<>&"'` and control characters still give well-formed JUnit
/// XML, with the controls as U+FFFD; the families come from the catalogue, custom ones too.
#[cfg(unix)]
#[test]
fn junit_is_well_formed_with_hostile_names() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tenants");
    let tenant = "evil<&>\"'\u{1}tenant";
    copy_dir(&common::sample_case(), &root.join(tenant));
    std::fs::create_dir_all(root.join("empty<&>\"'\u{2}")).unwrap();
    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("hostile.yml"), HOSTILE_RULE).unwrap();
    // A custom family that no tenant has findings of: still a case, as the catalogue has it.
    let quiet = HOSTILE_RULE
        .replace(r#""odd<&>\"'\x07fam.rule<&>\"'\x01""#, "quiet.never")
        .replace("[New-InboxRule]", "[Never-Seen]");
    std::fs::write(rules.join("quiet.yml"), quiet).unwrap();
    let out = tmp.path().join("out");
    uala()
        .arg("batch")
        .arg(&root)
        .arg("--out-dir")
        .arg(&out)
        .args(["--quiet", "--fail-on", "low", "--rules"])
        .arg(&rules)
        .assert()
        .code(1);

    let (suites, tests, failures, errors) = junit_counts(&out.join("junit.xml"));
    // Each suite: `input`, the 7 built-in families and the two custom ones.
    assert_eq!((suites, tests, errors), (2, 2 * 10, 1));
    assert!(
        failures >= 2,
        "the hostile family's case and a built-in one fail"
    );

    let text = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let suite = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("testsuite") && n.attribute("name") == Some("evil<&>\"'\u{FFFD}tenant")
        })
        .expect("the hostile tenant's suite, its control character replaced");
    let family = "odd<&>\"'\u{FFFD}fam";
    let case = suite
        .children()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(family))
        .expect("a case for the custom rule's family");
    assert_eq!(
        case.attribute("classname"),
        Some("uala.evil<&>\"'\u{FFFD}tenant")
    );
    let failure = case
        .children()
        .find(|n| n.has_tag_name("failure"))
        .expect("the custom family's findings fail its case");
    assert!(
        failure
            .text()
            .unwrap()
            .contains("low odd<&>\"'\u{FFFD}fam.rule<&>\"'\u{FFFD}"),
        "{:?}",
        failure.text()
    );
    let empty = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite") && n.attribute("name") == Some("empty<&>\"'\u{FFFD}"))
        .unwrap();
    let error = empty
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .unwrap();
    assert!(
        error
            .text()
            .unwrap()
            .contains("empty<&>\"'\u{FFFD}: no readable input")
    );
    // The catalogue's families, in its order (built-in, then custom), are every suite's cases.
    for suite in doc.descendants().filter(|n| n.has_tag_name("testsuite")) {
        let names: Vec<&str> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .filter_map(|n| n.attribute("name"))
            .collect();
        assert_eq!(
            names,
            [
                "input",
                "forwarding",
                "inbox_rule",
                "signin",
                "sent_items",
                "mailbox",
                "persistence",
                "audit",
                family,
                "quiet"
            ]
        );
    }
}

/// `uala batch ... | head -1`: once the reader is gone, the tables meet a broken pipe, and the
/// run ends quietly with exit code 0 (no panic), its files written.
#[cfg(unix)]
#[test]
fn batch_into_a_closed_pipe_ends_quietly() {
    use assert_cmd::assert::OutputAssertExt;
    use predicates::prelude::*;
    use std::process::Stdio;

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tenants");
    copy_dir(&common::sample_case(), &root.join("fabrikam"));
    let out = tmp.path().join("out");
    // A pipe whose reading end is already closed: the stdin of a process that has ended.
    let mut reader = std::process::Command::new("true")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    std::process::Command::new(assert_cmd::cargo::cargo_bin("uala"))
        .env("SOURCE_DATE_EPOCH", "1735689600")
        .arg("batch")
        .arg(&root)
        .arg("--out-dir")
        .arg(&out)
        // Exit code 1 without the broken pipe.
        .args(["--quiet", "--fail-on", "high"])
        .stdout(Stdio::from(pipe))
        .output()
        .unwrap()
        .assert()
        .code(0)
        .stderr(predicate::str::is_empty());
    assert!(out.join("summary.json").is_file() && out.join("junit.xml").is_file());
}
