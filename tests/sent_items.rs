//! Sent-Items matching on the shipped sample case and on the real message-trace samples.
//!
//! The analyzer runs as `uala::analysis::analyze` will run it: after ingest, identity
//! resolution, location spreading and tenant inference, with the sign-in findings as `prior`
//! (their high findings carry the attacker's addresses and sessions).

mod common;

use std::collections::BTreeSet;

use serde_json::Value;
use uala::analyzers::{mail, signin};
use uala::finding::{Finding, Severity};
use uala::identity::{self, Directory};
use uala::ingest::{IngestOptions, Ingested, ingest};
use uala::tenant::Tenant;

struct Run {
    ingested: Ingested,
    tenant: Tenant,
    findings: Vec<Finding>,
}

fn run(paths: &[std::path::PathBuf], domains: &[String]) -> Run {
    let mut ingested = ingest(paths, &IngestOptions::default()).unwrap();
    let directory = Directory::build(&ingested.events);
    identity::resolve_events(&mut ingested.events, &directory);
    signin::spread_locations(&mut ingested.events);
    let tenant = Tenant::infer(&ingested.events, domains);
    let prior = signin::analyze_events(
        &ingested.events,
        &ingested.inputs,
        &signin::SigninOptions::default(),
    );
    let findings = mail::analyze(&ingested.events, &ingested.inputs, &tenant, &prior);
    Run {
        ingested,
        tenant,
        findings,
    }
}

fn truth() -> Value {
    let path = common::sample_case().with_extension("truth.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn field<'a>(f: &'a Finding, name: &str) -> &'a Value {
    f.fields
        .get(name)
        .unwrap_or_else(|| panic!("{} has no field {name}: {:?}", f.rule, f.fields))
}

#[test]
fn sample_case_planted_mismatches() {
    let Run { findings, .. } = run(&[common::sample_case()], &[]);
    let truth = truth();
    for f in &findings {
        eprintln!(
            "{:<24} {:<8} {:<30} {}",
            f.rule,
            f.severity,
            f.user.as_deref().unwrap_or(""),
            f.summary
        );
    }
    let megan = "megan.bowen@contoso.com";
    let of = |rule: &str| -> Vec<&Finding> {
        findings
            .iter()
            .filter(|f| f.rule == rule && f.user.as_deref() == Some(megan))
            .collect()
    };

    // Every planted sent-items and items-accessed symptom fires for megan.
    for m in truth["must_fire"].as_array().unwrap() {
        let rule = m["rule"].as_str().unwrap();
        if rule.starts_with("sent_items.") || rule == "mailbox.items-accessed" {
            assert!(
                findings
                    .iter()
                    .any(|f| f.rule == rule && f.user.as_deref() == m["user"].as_str()),
                "{rule} did not fire: {}",
                m["note"]
            );
        }
    }

    // The SMTP AUTH fraud mail: in the trace, no Send record, not in Sent Items.
    let smtp = truth["message_ids"]["smtp_auth_missing"].as_str().unwrap();
    let missing = of("sent_items.missing");
    let f = missing
        .iter()
        .find(|f| field(f, "message_id") == smtp)
        .expect("the SMTP AUTH message is missing from Sent Items");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(field(f, "in_trace"), &Value::Bool(true));
    assert_eq!(field(f, "in_send_audit"), &Value::Bool(false));
    assert_eq!(field(f, "in_sent_items"), &Value::Bool(false));
    assert_eq!(field(f, "smtp_submitted"), &Value::Bool(true));
    assert_eq!(field(f, "from_ip"), "203.0.113.77");
    assert_eq!(field(f, "from_attacker_ip"), &Value::Bool(true));
    assert!(
        field(f, "legacy_signin")
            .as_str()
            .unwrap()
            .contains("Authenticated SMTP"),
        "{:?}",
        f.fields
    );
    assert_eq!(
        field(f, "external_recipients"),
        &Value::from(vec!["finance@northwind.example"])
    );
    // The 10:48 rule auto-forward to protonmail.example left the account too.
    let forward = missing
        .iter()
        .find(|f| {
            field(f, "recipients")
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "payments.collector@protonmail.example")
        })
        .expect("the auto-forward to protonmail.example");
    assert!(forward.severity >= Severity::High);
    assert!(
        field(forward, "submission")
            .as_str()
            .unwrap()
            .contains("inbox-rule forward"),
        "{:?}",
        forward.fields
    );
    assert_eq!(
        missing.len(),
        2,
        "only the two planted messages are missing"
    );

    // The fraud reply: sent 11:03, hard-deleted from Sent Items 11:06.
    let reply = truth["message_ids"]["fraud_reply_deleted"]
        .as_str()
        .unwrap();
    let deleted = of("sent_items.deleted");
    assert_eq!(deleted.len(), 1);
    let f = deleted[0];
    assert_eq!(field(f, "message_id"), reply);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(field(f, "gap_minutes"), &Value::from(2));
    assert_eq!(field(f, "deleted_at"), "2025-03-04T11:06:02Z");
    assert_eq!(field(f, "deletion"), "HardDelete");
    assert_eq!(field(f, "in_send_audit"), &Value::Bool(true));
    assert_eq!(field(f, "in_trace"), &Value::Bool(true));
    assert_eq!(field(f, "in_sent_items"), &Value::Bool(false));
    assert!(f.evidence.len() >= 3, "{:?}", f.evidence);
    assert!(
        f.evidence
            .iter()
            .all(|e| e.input.starts_with("contoso-bec/"))
    );

    // Both fraud subjects.
    let subjects: BTreeSet<&str> = of("sent_items.scam-subject")
        .iter()
        .filter_map(|f| f.fields.get("subject").and_then(Value::as_str))
        .collect();
    assert!(subjects.contains("Urgent: wire transfer - new bank details"));
    assert!(subjects.contains("RE: Updated remittance details"));

    // ~300 items bound 10:40-11:00 from the two attacker addresses.
    let accessed = of("mailbox.items-accessed");
    assert_eq!(accessed.len(), 1, "{accessed:#?}");
    let f = accessed[0];
    assert!(f.severity >= Severity::Medium);
    let bound = field(f, "bound_items").as_u64().unwrap();
    assert!((250..=350).contains(&bound), "{bound}");
    let ips: BTreeSet<String> = f.indicators.ips.iter().map(|i| i.to_string()).collect();
    assert!(
        ips.contains("203.0.113.77") && ips.contains("198.51.100.23"),
        "{ips:?}"
    );
    assert_eq!(field(f, "is_throttled"), &Value::Bool(false));

    // Nobody else's mail is missing or deleted, and the benign accounts stay at low or below.
    assert!(
        findings
            .iter()
            .filter(|f| f.severity > Severity::Low)
            .all(|f| f.user.as_deref() == Some(megan)),
        "only megan has findings above low"
    );
    for quiet in truth["must_not_fire_above_low"].as_array().unwrap() {
        let user = quiet["user"].as_str().unwrap();
        for f in findings.iter().filter(|f| f.user.as_deref() == Some(user)) {
            assert!(
                f.severity <= Severity::Low,
                "{user}: {} {}",
                f.rule,
                f.summary
            );
        }
    }
    // Diego's weekly newsletter to 150 external recipients is his normal: no burst after the
    // first one seen.
    let diego: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.user.as_deref() == Some("diego.siciliani@contoso.com"))
        .collect();
    assert!(diego.len() <= 1, "{diego:#?}");
    assert!(
        diego
            .iter()
            .all(|f| f.time < Some("2025-02-05T00:00:00Z".parse().unwrap()))
    );

    // Deterministic: the same input gives the same findings.
    let again = run(&[common::sample_case()], &[]).findings;
    assert_eq!(findings, again);
}

#[test]
fn sample_case_views_join_by_message_id() {
    let Run {
        ingested, tenant, ..
    } = run(&[common::sample_case()], &[]);
    let views = mail::join(&ingested.events, &tenant, &mail::MailOptions::default());
    let megan: Vec<&mail::MessageView> = views
        .iter()
        .filter(|v| v.mailbox == "megan.bowen@contoso.com")
        .collect();
    // Every listed item joined its Send record, bare ids included.
    for v in megan.iter().filter(|v| !v.listing.is_empty()) {
        assert!(
            !v.audit.is_empty() && !v.heuristic,
            "{:?} {:?}",
            v.message_id,
            v.subject
        );
    }
    assert_eq!(megan.iter().filter(|v| !v.listing.is_empty()).count(), 15);
    // Diego's newsletters collapse to one view each, 150 recipients.
    let weekly: Vec<&mail::MessageView> = views
        .iter()
        .filter(|v| v.mailbox == "diego.siciliani@contoso.com")
        .filter(|v| {
            v.subject
                .as_deref()
                .unwrap_or("")
                .starts_with("Contoso Weekly")
        })
        .collect();
    assert_eq!(weekly.len(), 5);
    assert!(weekly.iter().all(|v| v.external.len() == 150 && v.outbound));
    let traced: Vec<&&mail::MessageView> = weekly.iter().filter(|v| !v.trace.is_empty()).collect();
    assert!(!traced.is_empty(), "no newsletter is in the message trace");
    assert!(
        traced
            .iter()
            .all(|v| v.trace.len() == 150 && !v.audit.is_empty())
    );
}

#[test]
fn real_message_traces_ingest_and_join() {
    let Some(root) = common::shared_testdata() else {
        return;
    };
    let dir = root.join("elastic__integrations");
    let paths = vec![
        dir.join("microsoft_exchange_online_message_trace_test.ndjson.log"),
        dir.join("test-log.log"),
    ];
    let Run {
        ingested,
        tenant,
        findings,
    } = run(&paths, &[]);
    assert!(
        ingested
            .inputs
            .iter()
            .all(|i| i.kind == "message_trace" && i.skipped == 0)
    );
    assert_eq!(ingested.events.len(), 3);
    for e in &ingested.events {
        let id = e.attr("MessageId").unwrap();
        assert!(id.starts_with('<') && id.ends_with('>'), "{id}");
    }
    // Mail received from Microsoft: nothing was sent by a mailbox, nothing to judge.
    assert!(findings.is_empty(), "{findings:#?}");
    assert!(mail::join(&ingested.events, &tenant, &mail::MailOptions::default()).is_empty());
    // Pretending the senders are ours, the rows join into one view per message id and, with
    // no Send audit and no listing, nothing can be judged missing.
    let ours = Tenant {
        internal_domains: [
            "microsoft.com".to_string(),
            "azure.microsoft.com".to_string(),
        ]
        .into(),
    };
    let views = mail::join(&ingested.events, &ours, &mail::MailOptions::default());
    assert_eq!(views.len(), 3);
    assert!(
        views
            .iter()
            .all(|v| v.trace.len() == 1 && v.message_id.is_some())
    );
    assert!(mail::analyze(&ingested.events, &ingested.inputs, &ours, &[]).is_empty());
}
