//! `sent_items.burst`.

use super::*;

#[test]
fn newsletter_bursts_of_a_marketing_account_stay_quiet() {
    const DIEGO: &str = "diego.siciliani@contoso.com";
    let recipients: Vec<String> = (0..150)
        .map(|n| {
            format!(
                "reader{n}@{}.example",
                ["litware", "tailspin", "wingtip"][n % 3]
            )
        })
        .collect();
    let to: Vec<&str> = recipients.iter().map(String::as_str).collect();
    let mut c = Case::default();
    for (n, day) in ["02-04", "02-11", "02-18", "02-25", "03-04"]
        .iter()
        .enumerate()
    {
        let id = format!("<WEEKLY{n}@DM6PR10MB3981.namprd10.prod.outlook.com>");
        let subject = format!("Contoso Weekly #{}: Spring sale preview", n + 6);
        c.send(
            &format!("2025-{day}T18:00:31Z"),
            DIEGO,
            &id,
            &subject,
            &to,
            OFFICE,
        );
        if n >= 3 {
            c.trace(
                &format!("2025-{day}T18:00:34Z"),
                DIEGO,
                &to,
                &id,
                &subject,
                None,
            );
        }
    }
    let findings = c.run(&[]);
    assert!(
        findings.iter().all(|f| f.severity <= Severity::Low),
        "{findings:#?}"
    );
    // Only the first newsletter, with nothing earlier to compare with, is noted (low).
    let bursts = of(&findings, BURST);
    assert_eq!(bursts.len(), 1, "{findings:#?}");
    assert_eq!(bursts[0].time, Some(t("2025-02-04T18:00:31Z")));
    assert_eq!(field(bursts[0], "baseline"), &Value::Bool(false));
    assert_eq!(
        field(bursts[0], "external_recipient_count"),
        &Value::from(150)
    );
}

#[test]
fn a_burst_far_above_the_account_baseline_fires_medium() {
    let mut c = Case::default();
    c.history(MEGAN);
    for n in 0..60 {
        let id = format!("<SPRAY{n}@SA1PR10MB5633.namprd10.prod.outlook.com>");
        let to = format!("contact{n}@customer{n}.example");
        let time = format_utc(t("2025-03-04T11:40:00Z") + Duration::seconds(20 * n));
        c.send(
            &time,
            MEGAN,
            &id,
            "Please review the attached document",
            &[&to],
            ATTACKER,
        );
        c.trace(
            &time,
            MEGAN,
            &[&to],
            &id,
            "Please review the attached document",
            None,
        );
        c.listed(
            &time,
            MEGAN,
            &id,
            "Please review the attached document",
            &[&to],
        );
    }
    let findings = c.run(&[]);
    let bursts = of(&findings, BURST);
    assert_eq!(bursts.len(), 1, "{findings:#?}");
    assert_eq!(bursts[0].severity, Severity::Medium);
    assert_eq!(field(bursts[0], "messages"), &Value::from(60));
    assert_eq!(
        field(bursts[0], "external_recipient_count"),
        &Value::from(60)
    );
    assert_eq!(field(bursts[0], "baseline_days"), &Value::from(5));
}
