//! The shipped sample case against its own ground truth, through the real binary.

mod common;

use std::collections::BTreeSet;

use assert_cmd::Command;
use serde_json::Value;

fn uala() -> Command {
    let mut cmd = Command::cargo_bin("uala").unwrap();
    cmd.env("SOURCE_DATE_EPOCH", "1735689600").env_remove("CI");
    cmd
}

fn report(threads: Option<&str>) -> (Vec<u8>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let mut cmd = uala();
    cmd.arg("analyze")
        .arg(common::sample_case())
        .arg("--json")
        .arg(&out)
        .arg("--quiet");
    if let Some(n) = threads {
        cmd.args(["--threads", n]);
    }
    cmd.assert().code(0);
    let bytes = std::fs::read(&out).unwrap();
    let json = serde_json::from_slice(&bytes).unwrap();
    (bytes, json)
}

fn truth() -> Value {
    let path = common::sample_case().with_extension("truth.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn report_is_byte_identical_at_any_thread_count() {
    let (one, _) = report(Some("1"));
    let (all, _) = report(None);
    assert!(
        one == all,
        "--threads 1 and the default give different reports"
    );
    let (again, _) = report(Some("2"));
    assert!(one == again);
}

#[test]
fn planted_symptoms_fire_and_benign_accounts_stay_low() {
    let (_, report) = report(None);
    let truth = truth();
    let findings = report["findings"].as_array().unwrap();
    let fired: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["user"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut missing = Vec::new();
    for m in truth["must_fire"].as_array().unwrap() {
        let rule = m["rule"].as_str().unwrap();
        let user = m["user"].as_str().unwrap();
        if !fired.contains(&(rule.to_string(), user.to_string())) {
            missing.push(format!("{rule} for {user}: {}", m["note"]));
        }
    }
    assert!(missing.is_empty(), "did not fire:\n{}", missing.join("\n"));

    for quiet in truth["must_not_fire_above_low"].as_array().unwrap() {
        let user = quiet["user"].as_str().unwrap();
        for f in findings.iter().filter(|f| f["user"] == user) {
            let severity = f["severity"].as_str().unwrap();
            assert!(
                matches!(severity, "low" | "info"),
                "{user} must stay at low or below, got {severity} {}: {}",
                f["rule"],
                f["summary"]
            );
        }
    }
    // The hidden rule is only visible by comparing the audit log with the dump.
    assert!(
        findings.iter().any(|f| f["rule"] == "inbox_rule.hidden"
            && f["summary"].as_str().unwrap().contains("'sync'"))
    );
    // The rule removed during containment reads as removed.
    assert!(
        findings
            .iter()
            .any(|f| f["fields"]["rule_name"] == "." && f["fields"]["rule_state"] == "removed")
    );
    let megan = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user"] == "megan.bowen@contoso.com")
        .unwrap();
    assert_eq!(megan["verdict"], "compromised");
}

#[test]
fn windows_verdicts_and_remediation_match_the_ground_truth() {
    let (_, report) = report(None);
    let truth = truth();
    let accounts = report["accounts"].as_array().unwrap();
    for (user, want) in truth["accounts"].as_object().unwrap() {
        let got = accounts.iter().find(|a| a["user"] == user.as_str());
        let verdict = got.map_or("clean", |a| a["verdict"].as_str().unwrap());
        assert_eq!(
            verdict,
            want["verdict"].as_str().unwrap(),
            "verdict of {user}"
        );
        if let Some(start) = want.get("window_start") {
            let got = got.unwrap();
            assert_eq!(&got["window"]["start"], start, "window start of {user}");
            assert_eq!(
                &got["window"]["end"], &want["window_end"],
                "window end of {user}"
            );
            let mut ips: Vec<&str> = got["attacker_ips"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            let mut want_ips: Vec<&str> = want["attacker_ips"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            ips.sort();
            want_ips.sort();
            assert_eq!(ips, want_ips, "attacker addresses of {user}");
            let steps: Vec<&str> = got["remediation"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["step"].as_str().unwrap())
                .collect();
            for step in [
                "reset-password",
                "revoke-sessions",
                "review-mfa",
                "review-consents",
                "remove-forwarding",
                "remove-inbox-rules",
            ] {
                assert!(
                    steps.contains(&step),
                    "{user} lacks remediation step {step}: {steps:?}"
                );
            }
            let rules = got["remediation"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["step"] == "remove-inbox-rules")
                .unwrap();
            let command = rules["command"].as_str().unwrap();
            assert!(
                command.contains("-Identity 'sync'") || command.contains("-Identity 'Sync'"),
                "{command}"
            );
            assert!(
                !command.contains("-Identity '.'"),
                "the '.' rule was already removed during containment: {command}"
            );
        }
    }
    // Every event of the window is on the timeline, with its evidence.
    let timeline = report["timeline"].as_array().unwrap();
    assert!(timeline.iter().any(|t| {
        t["in_window"] == true
            && t["summary"]
                .as_str()
                .unwrap()
                .contains("Inbox rule 'Sync' created")
    }));
    assert!(
        timeline
            .iter()
            .all(|t| t["evidence"]["line"].as_u64().unwrap() > 0)
    );
}

#[test]
fn exit_codes_follow_fail_on() {
    let case = common::sample_case();
    uala()
        .arg("analyze")
        .arg(&case)
        .args(["--quiet", "--fail-on", "high"])
        .assert()
        .code(1);
    uala()
        .arg("analyze")
        .arg(&case)
        .args(["--quiet", "--fail-on", "critical"])
        .assert()
        .code(1);
    uala()
        .arg("analyze")
        .arg(&case)
        .arg("--quiet")
        .assert()
        .code(0);
    uala()
        .args(["analyze", "/nonexistent/evidence"])
        .assert()
        .code(2);
    uala()
        .arg("analyze")
        .arg(&case)
        .args(["--fail-on", "bogus"])
        .assert()
        .code(2);
}

#[test]
fn rules_self_test_passes() {
    let out = uala()
        .args(["rules", "test"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.trim_end().ends_with("; 0 failure(s)"), "{text}");
}

#[test]
fn inspect_lists_every_input_of_the_case() {
    let out = uala()
        .arg("inspect")
        .arg(common::sample_case())
        .args(["--json", "-"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&out).unwrap();
    let truth = truth();
    for (path, records) in truth["records"].as_object().unwrap() {
        let input = json["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(path.as_str()))
            .unwrap_or_else(|| panic!("{path} not listed"));
        assert_eq!(&input["records"], records, "{path}");
        assert_eq!(input["skipped"], 0, "{path}");
        assert_eq!(input["sha256"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn configuration_file_changes_thresholds_and_bad_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("uala.toml");
    // The attacker's addresses declared corporate egress: no impossible travel or new country is
    // left for them, and a severity override applies.
    std::fs::write(
        &config,
        "allow_ip = [\"203.0.113.0/24\", \"2001:db8:4f::/48\"]\n[severity]\n\"persistence.signature-change\" = \"info\"\n",
    )
    .unwrap();
    let out = uala()
        .arg("analyze")
        .arg(common::sample_case())
        .args(["--quiet", "--json", "-", "--config"])
        .arg(&config)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(
        !findings
            .iter()
            .any(|f| f["rule"] == "signin.impossible-travel"
                && f["summary"].as_str().unwrap().contains("Lagos"))
    );
    let signature_changes: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "persistence.signature-change")
        .collect();
    assert!(
        !signature_changes.is_empty(),
        "persistence.signature-change did not fire: the severity override is untested"
    );
    assert!(signature_changes.iter().all(|f| f["severity"] == "info"));
    std::fs::write(&config, "allow_ip = [\"nonsense\"]\n").unwrap();
    uala()
        .arg("analyze")
        .arg(common::sample_case())
        .arg("--config")
        .arg(&config)
        .assert()
        .code(2);
}
