//! `mailbox.items-accessed`.

use super::*;

#[test]
fn mail_items_accessed_from_attacker_indicators() {
    let mut c = Case::default();
    c.daily_access(MEGAN, "Sync", 1);
    c.accessed("2025-03-04T10:40:12Z", MEGAN, ATTACKER, "Bind", 45, false);
    c.accessed("2025-03-04T10:43:55Z", MEGAN, ATTACKER, "Bind", 40, false);
    c.accessed(
        "2025-03-04T10:49:02Z",
        MEGAN,
        "198.51.100.23",
        "Bind",
        50,
        false,
    );
    let prior = [
        high(MEGAN, "signin.impossible-travel", ATTACKER),
        high(MEGAN, "signin.unseen-ip-mailbox-access", "198.51.100.23"),
        // Another account's indicators say nothing about this one.
        high("patti.fernandez@contoso.com", "signin.new-country", OFFICE),
    ];
    let findings = c.run(&prior);
    let accessed = of(&findings, ITEMS_ACCESSED);
    assert_eq!(accessed.len(), 1, "{findings:#?}");
    let f = accessed[0];
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(field(f, "bound_items"), &Value::from(135));
    assert_eq!(field(f, "is_throttled"), &Value::Bool(false));
    assert_eq!(field(f, "from_attacker_indicator"), &Value::Bool(true));
    assert_eq!(f.indicators.ips.len(), 2);
    assert_eq!(field(f, "attacker_basis").as_array().unwrap().len(), 2);
    // A Sync from the attacker means the whole folder: high.
    c.accessed("2025-03-04T10:59:00Z", MEGAN, ATTACKER, "Sync", 1, false);
    let findings = c.run(&prior);
    let f = of(&findings, ITEMS_ACCESSED)[0];
    assert_eq!(f.severity, Severity::High);
    assert!(field(f, "limitation").as_str().unwrap().contains("Sync"));
    // Throttling: high, and said to be a limitation.
    c.accessed("2025-03-04T11:05:00Z", MEGAN, ATTACKER, "Bind", 10, true);
    let findings = c.run(&prior);
    let f = of(&findings, ITEMS_ACCESSED)[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(field(f, "is_throttled"), &Value::Bool(true));
    assert!(
        field(f, "limitation")
            .as_str()
            .unwrap()
            .contains("IsThrottled")
    );
    // Without attacker indicators the same records are judged by volume alone.
    let findings = c.run(&[]);
    let accessed = of(&findings, ITEMS_ACCESSED);
    assert_eq!(accessed.len(), 1, "{findings:#?}");
    // Throttled, from no attacker indicator: a limit on what can be known, medium.
    assert_eq!(accessed[0].severity, Severity::Medium);
    assert_eq!(
        field(accessed[0], "from_attacker_indicator"),
        &Value::Bool(false)
    );
}

#[test]
fn mail_items_accessed_volume_against_the_baseline() {
    let mut c = Case::default();
    c.daily_access(MEGAN, "Bind", 10);
    c.accessed("2025-03-04T10:40:00Z", MEGAN, OFFICE, "Bind", 80, false);
    c.accessed("2025-03-04T10:50:00Z", MEGAN, OFFICE, "Bind", 80, false);
    let findings = c.run(&[]);
    let f = of(&findings, ITEMS_ACCESSED);
    assert_eq!(f.len(), 1, "{findings:#?}");
    assert_eq!(f[0].severity, Severity::Medium);
    assert_eq!(field(f[0], "prior_max_items_per_window"), &Value::from(10));
    // A heavy reader whose every day looks like this stays quiet.
    let mut heavy = Case::default();
    heavy.daily_access(MEGAN, "Bind", 150);
    heavy.accessed("2025-03-04T10:40:00Z", MEGAN, OFFICE, "Bind", 160, false);
    assert!(
        of(&heavy.run(&[]), ITEMS_ACCESSED)
            .iter()
            .all(|f| f.severity <= Severity::Low)
    );
}
