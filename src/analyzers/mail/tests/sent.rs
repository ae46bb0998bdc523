//! `sent_items.missing`, and what could not be checked.

use super::*;
use crate::event::Attrs;

#[test]
fn fraud_mail_over_smtp_auth_absent_from_sent_items_fires_missing() {
    let mut c = Case::default();
    c.history(MEGAN);
    c.signin(
        "2025-03-04T11:20:00Z",
        MEGAN,
        ATTACKER,
        "Authenticated SMTP",
    );
    let id = "<174108726700.9456.226149688677069300@WIN-7Q2K9LM3>";
    c.trace(
        "2025-03-04T11:21:07Z",
        MEGAN,
        &["finance@northwind.example"],
        id,
        "Urgent: wire transfer - new bank details",
        Some(ATTACKER),
    );
    let findings = c.run(&[]);
    let missing = of(&findings, MISSING);
    assert_eq!(missing.len(), 1, "{findings:#?}");
    let f = missing[0];
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.user.as_deref(), Some(MEGAN));
    assert_eq!(field(f, "message_id"), id);
    assert_eq!(field(f, "in_trace"), &Value::Bool(true));
    assert_eq!(field(f, "in_send_audit"), &Value::Bool(false));
    assert_eq!(field(f, "in_sent_items"), &Value::Bool(false));
    assert_eq!(field(f, "smtp_submitted"), &Value::Bool(true));
    assert_eq!(field(f, "from_ip"), ATTACKER);
    assert!(
        field(f, "legacy_signin")
            .as_str()
            .unwrap()
            .starts_with("Authenticated SMTP sign-in from 203.0.113.77")
    );
    assert!(f.summary.contains("submitted over SMTP from 203.0.113.77"));
    assert_eq!(f.indicators.ips, vec![ATTACKER.parse::<IpAddr>().unwrap()]);
    // The subject is fraud too.
    let scam = of(&findings, SCAM_SUBJECT);
    assert_eq!(scam.len(), 1);
    assert_eq!(scam[0].severity, Severity::Medium);
    assert_eq!(field(scam[0], "pattern"), "bank details");
    assert_eq!(findings.len(), 2, "{findings:#?}");
}

#[test]
fn internal_only_missing_mail_is_medium_and_attacker_ip_raises_it() {
    let mut c = Case::default();
    c.history(MEGAN);
    let mut e = Event::new(
        SourceKind::MessageTrace,
        "MessageTrace",
        Provenance {
            input: 1,
            line: 900,
            record: 900,
        },
    );
    e.time = Some(t("2025-03-04T12:00:00Z"));
    e.user = Some(MEGAN.into());
    e.attrs.push(
        "MessageId",
        "<INT1@SA1PR10MB5633.namprd10.prod.outlook.com>",
    );
    e.attrs.push("Subject", "Lunch?");
    e.attrs.push("Recipient", "patti.fernandez@contoso.com");
    e.attrs.push("Direction", "Originating");
    c.events.push(e);
    let findings = c.run(&[]);
    let missing = of(&findings, MISSING);
    assert_eq!(missing.len(), 1, "{findings:#?}");
    assert_eq!(missing[0].severity, Severity::High);
    assert_eq!(
        field(missing[0], "external_recipients"),
        &Value::from(Vec::<String>::new())
    );
    // Without Direction, internal mail is not outbound and is not judged.
    let last = c.events.last_mut().unwrap();
    last.attrs = Attrs::default();
    last.attrs.push("MessageId", "<INT1@x.prod.outlook.com>");
    last.attrs.push("Recipient", "patti.fernandez@contoso.com");
    assert!(of(&c.run(&[]), MISSING).is_empty());
}

#[test]
fn what_could_not_be_checked_is_said_and_not_judged() {
    // No listing and no mailbox audit for the account: nothing to say.
    let mut c = Case::default();
    c.trace(
        "2025-03-04T11:21:07Z",
        "lee.gu@contoso.com",
        &["x@northwind.example"],
        "<A@WIN-1>",
        "Hello",
        Some(ATTACKER),
    );
    assert!(c.run(&[]).is_empty());
    // Audited mailbox, no listing: "no Send record" is judged, Sent Items is not.
    let mut c = Case::default();
    for d in 17..=21 {
        c.normal(
            &format!("2025-02-{d}T15:00:00Z"),
            MEGAN,
            d,
            &["ap@fabrikam.example"],
            false,
        );
    }
    c.trace(
        "2025-02-20T16:00:00Z",
        MEGAN,
        &["x@northwind.example"],
        "<B@SA1PR10MB5633.namprd10.prod.outlook.com>",
        "Hello",
        None,
    );
    let findings = c.run(&[]);
    let missing = of(&findings, MISSING);
    assert_eq!(missing.len(), 1, "{findings:#?}");
    assert_eq!(missing[0].severity, Severity::High);
    assert_eq!(field(missing[0], "in_send_audit"), &Value::Bool(false));
    assert_eq!(field(missing[0], "in_sent_items"), COULD_NOT_CHECK);
    assert!(
        field(missing[0], "in_sent_items_note")
            .as_str()
            .unwrap()
            .contains("no Sent Items listing")
    );
    // Outside the audit export's period the Send audit is not judged either.
    let mut c2 = Case {
        events: c.events.clone(),
    };
    c2.trace(
        "2025-01-02T16:00:00Z",
        MEGAN,
        &["x@northwind.example"],
        "<C@SA1PR10MB5633.namprd10.prod.outlook.com>",
        "Hello",
        None,
    );
    assert_eq!(of(&c2.run(&[]), MISSING).len(), 1);
    // A listing that starts after the message cannot say it is absent.
    let mut c3 = Case::default();
    c3.history(MEGAN);
    c3.trace(
        "2025-02-01T16:00:00Z",
        MEGAN,
        &["x@northwind.example"],
        "<D@SA1PR10MB5633.namprd10.prod.outlook.com>",
        "Hello",
        None,
    );
    assert!(of(&c3.run(&[]), MISSING).is_empty());
}

#[test]
fn save_to_sent_items_false_is_not_absence() {
    let mut c = Case::default();
    c.history(MEGAN);
    let id = "<APP1@SA1PR10MB5633.namprd10.prod.outlook.com>";
    c.send(
        "2025-03-03T09:00:00Z",
        MEGAN,
        id,
        "Report",
        &["x@northwind.example"],
        OFFICE,
    )
    .attrs
    .map_values(|k, _| (k == "SaveToSentItems").then(|| "False".to_string()));
    c.trace(
        "2025-03-03T09:00:01Z",
        MEGAN,
        &["x@northwind.example"],
        id,
        "Report",
        None,
    );
    assert!(c.run(&[]).is_empty(), "{:#?}", c.run(&[]));
}

#[test]
fn inbox_rule_forwards_are_missing_and_called_out() {
    let mut c = Case::default();
    c.history(MEGAN);
    c.trace(
        "2025-03-04T10:48:20Z",
        "billing@fabrikam.example",
        &[MEGAN],
        "<20250304104820.D5AFE7@mail.fabrikam.example>",
        "Invoice INV-20931 - payment due",
        Some("192.0.2.64"),
    );
    c.trace(
        "2025-03-04T10:48:22Z",
        MEGAN,
        &["payments.collector@protonmail.example"],
        "<DM6PR10MB3981735AD0A7E0FDC3EF1CF7C40B@DM6PR10MB3981.namprd10.prod.outlook.com>",
        "FW: Invoice INV-20931 - payment due",
        None,
    );
    let findings = c.run(&[]);
    let missing = of(&findings, MISSING);
    assert_eq!(missing.len(), 1, "{findings:#?}");
    assert_eq!(missing[0].severity, Severity::Critical);
    assert!(
        field(missing[0], "submission")
            .as_str()
            .unwrap()
            .starts_with("likely an inbox-rule forward")
    );
    assert_eq!(field(missing[0], "smtp_submitted"), &Value::Bool(false));
    // Inbound mail is never "sent" by the external sender.
    assert_eq!(findings.len(), 1, "{findings:#?}");
}

#[test]
fn a_routine_smtp_relay_is_summarised_low() {
    let mut c = Case::default();
    c.history(MEGAN);
    for d in 17..=21 {
        c.trace(
            &format!("2025-02-{d}T16:00:00Z"),
            MEGAN,
            &["orders@customer.example"],
            &format!("<scan{d}@printer.contoso.local>"),
            "Scanned document",
            Some("192.0.2.200"),
        );
    }
    let findings = c.run(&[]);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].severity, Severity::Low);
    assert_eq!(field(&findings[0], "routine_submitter"), &Value::Bool(true));
    assert_eq!(field(&findings[0], "messages"), &Value::from(5));
    // The same pattern from an attacker address is judged message by message.
    let prior = [high(MEGAN, "signin.impossible-travel", "192.0.2.200")];
    let findings = c.run(&prior);
    assert_eq!(of(&findings, MISSING).len(), 5);
    assert!(findings.iter().all(|f| f.severity == Severity::Critical));
}
