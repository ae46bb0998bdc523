//! Properties of generated tenants: determinism, per-seed variety, trait proportions at 600
//! and 2,000 users, generation time, and the shape of every file written.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::time::Instant;

use serde_json::Value;
use uala_gen::{Scenario, generate};

fn truth(dir: &Path) -> Value {
    serde_json::from_slice(&fs::read(dir.join("truth.json")).unwrap()).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn same_seed_gives_the_same_bytes() {
    let s = Scenario {
        seed: 11,
        users: 150,
        days: 10,
        ..Scenario::default()
    };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    generate(&s, a.path()).unwrap();
    generate(&s, b.path()).unwrap();
    let fa = files(a.path());
    assert_eq!(fa, files(b.path()));
    assert!(fa.len() >= 8, "{fa:?}");
    for f in &fa {
        let (x, y) = (
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
        );
        assert!(x == y, "{f} differs between two runs of the same seed");
    }
}

#[test]
fn seeds_give_different_tenants_and_networks() {
    let mut domains = HashSet::new();
    let mut nats = HashSet::new();
    let mut vpns = HashSet::new();
    for seed in [1, 2, 3] {
        let s = Scenario {
            seed,
            users: 60,
            days: 4,
            ual_only: true,
            ..Scenario::default()
        };
        let d = tempfile::tempdir().unwrap();
        let t = generate(&s, d.path()).unwrap();
        domains.insert(t.tenant.domain.clone());
        nats.insert(format!(
            "{:?}",
            t.infrastructure
                .office_nat
                .iter()
                .map(|o| o.nat.clone())
                .collect::<Vec<_>>()
        ));
        vpns.insert(format!("{:?}", t.infrastructure.vpn));
        assert_eq!(
            files(d.path()),
            vec![
                "truth.json".to_string(),
                format!("ual{}audit.csv", std::path::MAIN_SEPARATOR)
            ]
        );
    }
    assert_eq!(domains.len(), 3, "{domains:?}");
    assert_eq!(nats.len(), 3, "{nats:?}");
    assert_eq!(vpns.len(), 3, "{vpns:?}");
}

fn check_proportions(t: &Value) {
    let p = &t["proportions"];
    let f = |k: &str| p[k].as_f64().unwrap_or_else(|| panic!("no proportion {k}"));
    assert!(f("office") >= 0.30, "office {}", f("office"));
    assert!(f("traveller") >= 0.08, "traveller {}", f("traveller"));
    assert!(
        f("outlook_mobile") >= 0.20,
        "outlook_mobile {}",
        f("outlook_mobile")
    );
    assert!(
        f("new_authenticator") >= 0.02,
        "new_authenticator {}",
        f("new_authenticator")
    );
    assert!(f("vpn") >= 0.15 && f("mobile_carrier") >= 0.5);
    assert!(f("private_forward") > 0.0 && f("internal_forward") > 0.0);
    assert!(f("vendor_rule") > 0.0 && f("alert_rule") > 0.0 && f("newsletter_rule") > 0.0);
    assert!(
        f("rule_restamp") > 0.0
            && f("housekeeping_deletes") > 0.0
            && f("empties_deleted_items") > 0.0
    );
    let b = &t["benign"];
    assert!(b["marketing"].as_array().unwrap().len() >= 3);
    let admins = b["admins"].as_array().unwrap().len();
    assert!((2..=10).contains(&admins), "{admins} admins");
    assert_eq!(b["service_mailboxes"].as_array().unwrap().len(), 2);
    let fw = b["forwards"].as_array().unwrap();
    assert!(
        fw.iter()
            .any(|f| f["external"] == true && f["how"] == "inbox_rule")
    );
    assert!(
        fw.iter()
            .any(|f| f["external"] == false && f["set_by"] == "admin"),
        "leaver forward"
    );
}

fn check_victims(t: &Value, users: usize) {
    let v = t["victims"].as_array().unwrap();
    let people = users as f64;
    assert!(
        v.len() >= 5 && v.len() as f64 <= (people / 100.0).max(5.0),
        "{} victims",
        v.len()
    );
    let kinds: HashSet<&str> = v.iter().map(|x| x["kind"].as_str().unwrap()).collect();
    for k in ["spray", "aitm", "token_replay", "device_code"] {
        assert!(kinds.contains(k), "no {k} victim");
    }
    assert!(v.iter().any(|x| x["ual_only"] == true));
    assert!(v.iter().any(|x| x["hidden_rule"] == true));
    assert!(v.iter().any(|x| x["contained"] == true));
    let si = t["signin_coverage"]["start"].as_str().unwrap();
    for x in v {
        let (s, e) = (
            x["window"]["start"].as_str().unwrap(),
            x["window"]["end"].as_str().unwrap(),
        );
        assert!(s < e, "{x}");
        if x["ual_only"] == true {
            assert!(e < si, "UAL-only victim inside the sign-in coverage: {x}");
        } else {
            assert!(s >= si, "{x}");
        }
        assert!(!x["attacker_ips"].as_array().unwrap().is_empty());
    }
    assert_eq!(t["touched"].as_array().unwrap().len(), 1);
}

/// Every UAL row: 8 columns, AuditData valid JSON whose Id is the RecordId.
fn check_ual(dir: &Path) -> usize {
    let mut r = csv::ReaderBuilder::new()
        .from_path(dir.join("ual/audit.csv"))
        .unwrap();
    assert_eq!(r.headers().unwrap().len(), 8);
    let mut n = 0;
    let mut ops = HashSet::new();
    for row in r.records() {
        let row = row.unwrap();
        assert_eq!(row.len(), 8);
        let ad: Value = serde_json::from_str(&row[5]).unwrap_or_else(|e| panic!("row {n}: {e}"));
        assert_eq!(ad["Id"].as_str().unwrap(), &row[0]);
        assert_eq!(ad["Operation"].as_str().unwrap(), &row[3]);
        ops.insert(row[3].to_string());
        n += 1;
    }
    for op in [
        "UserLoggedIn",
        "UserLoginFailed",
        "MailItemsAccessed",
        "Send",
        "UpdateInboxRules",
        "New-InboxRule",
        "Set-Mailbox",
        "Add member to role.",
        "Update user.",
        "Add app role assignment grant to user.",
        "Register device.",
        "Add registered owner to device.",
        "User registered security info.",
        "Reset user password.",
        "HardDelete",
        "SoftDelete",
        "MoveToDeletedItems",
        "FileAccessed",
        "Remove-InboxRule",
        "Add-MailboxPermission",
        "Update StsRefreshTokenValidFrom Timestamp.",
    ] {
        assert!(ops.contains(op), "no {op} in the UAL");
    }
    n
}

fn check_exports(dir: &Path, t: &Value) {
    let si = t["signin_coverage"]["start"].as_str().unwrap();
    for f in ["signins/interactive.json", "signins/noninteractive.json"] {
        let v: Value = serde_json::from_slice(&fs::read(dir.join(f)).unwrap()).unwrap();
        let a = v.as_array().unwrap();
        assert!(!a.is_empty());
        assert!(
            a.iter()
                .all(|s| s["createdDateTime"].as_str().unwrap() >= si),
            "{f} outside its coverage"
        );
        assert_eq!(a.len() as u64, t["files"][f]["records"].as_u64().unwrap());
    }
    let ints: Value =
        serde_json::from_slice(&fs::read(dir.join("signins/interactive.json")).unwrap()).unwrap();
    assert!(
        ints.as_array()
            .unwrap()
            .iter()
            .any(|s| s["authenticationProtocol"] == "deviceCode")
    );
    let audit: Value =
        serde_json::from_slice(&fs::read(dir.join("entra/audit.json")).unwrap()).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["activityDisplayName"] == "User registered security info")
    );
    // The dump lists visible rules only: no hidden attacker rule, recipients in SMTP form.
    let mut r = csv::Reader::from_path(dir.join("mailbox/inbox_rules.csv")).unwrap();
    let h: Vec<String> = r
        .headers()
        .unwrap()
        .iter()
        .map(|x| x.trim_start_matches('\u{feff}').to_string())
        .collect();
    assert_eq!(
        &h[..5],
        [
            "UserName",
            "RuleName",
            "Enabled",
            "Priority",
            "RuleIdentity"
        ]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    for v in t["victims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["hidden_rule"] == true)
    {
        let user = v["user"].as_str().unwrap();
        for name in v["rules"].as_array().unwrap() {
            assert!(
                !rows
                    .iter()
                    .any(|r| &r[0] == user && &r[1] == name.as_str().unwrap()),
                "hidden rule listed"
            );
        }
    }
    assert!(rows.iter().any(|r| r[9].contains("[SMTP:")));
    let mut m = csv::Reader::from_path(dir.join("mailbox/mailboxes.csv")).unwrap();
    assert!(
        m.headers()
            .unwrap()
            .iter()
            .any(|x| x == "ForwardingSMTPAddress")
    );
    assert!(m.records().any(|x| x.unwrap()[4].starts_with("smtp:")));
    let mut tr = csv::Reader::from_path(dir.join("messagetrace/trace.csv")).unwrap();
    assert_eq!(tr.headers().unwrap().len(), 14);
    assert!(tr.records().count() > 0);
}

#[test]
fn six_hundred_users_thirty_days() {
    let d = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let tr = generate(&Scenario::default(), d.path()).unwrap();
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "600 users x 30 days: {} bytes in {secs:.2} s",
        tr.total_bytes()
    );
    assert!(secs < 60.0, "generation took {secs:.1} s");
    let t = truth(d.path());
    assert_eq!(t["users"].as_array().unwrap().len(), 600);
    check_proportions(&t);
    check_victims(&t, 600);
    let rows = check_ual(d.path());
    assert_eq!(
        rows as u64,
        t["files"]["ual/audit.csv"]["records"].as_u64().unwrap()
    );
    check_exports(d.path(), &t);
}

#[test]
fn two_thousand_users_keep_the_proportions() {
    // fewer events per user (a shorter period, lighter activity), not fewer users
    let s = Scenario {
        seed: 2,
        users: 2000,
        days: 8,
        activity: 0.2,
        ..Scenario::default()
    };
    let d = tempfile::tempdir().unwrap();
    generate(&s, d.path()).unwrap();
    let t = truth(d.path());
    assert_eq!(t["users"].as_array().unwrap().len(), 2000);
    check_proportions(&t);
    assert!(t["victims"].as_array().unwrap().len() >= 16);
}

#[test]
fn private_attacker_campaign_uses_ten_slash_eight() {
    let s = Scenario {
        seed: 4,
        users: 120,
        days: 20,
        private_attacker: true,
        ual_only: true,
        ..Scenario::default()
    };
    let d = tempfile::tempdir().unwrap();
    let t = generate(&s, d.path()).unwrap();
    let private: Vec<_> = t.victims.iter().filter(|v| v.private_addresses).collect();
    assert_eq!(private.len(), 1);
    assert!(
        private[0]
            .attacker_ips
            .iter()
            .all(|ip| ip.starts_with("10."))
    );
    assert!(
        t.victims
            .iter()
            .filter(|v| !v.private_addresses)
            .all(|v| v.attacker_ips.iter().all(|ip| !ip.starts_with("10.")))
    );
}

#[test]
fn size_target_is_reached_roughly() {
    let target = 40_000_000u64;
    let s = Scenario {
        seed: 3,
        users: 100,
        target_bytes: Some(target),
        ..Scenario::default()
    };
    let d = tempfile::tempdir().unwrap();
    let t = generate(&s, d.path()).unwrap();
    let got = t.total_bytes() as f64;
    assert!(
        (got / target as f64 - 1.0).abs() < 0.3,
        "{got} bytes for a {target} target"
    );
}
