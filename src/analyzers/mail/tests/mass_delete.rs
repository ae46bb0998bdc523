//! `mailbox.mass-delete`.

use super::*;

#[test]
fn mass_deletion_fires_medium_and_a_habitual_cleaner_low() {
    let mut c = Case::default();
    c.history(MEGAN);
    let items: Vec<(String, String)> = (0..20)
        .map(|n| {
            (
                format!("<old{n}@mail.fabrikam.example>"),
                format!("Newsletter {n}"),
            )
        })
        .collect();
    let items: Vec<(&str, &str)> = items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    for minute in ["10", "25", "40"] {
        c.delete(
            &format!("2025-03-04T11:{minute}:00Z"),
            MEGAN,
            "SoftDelete",
            "\\Inbox",
            &items,
            ATTACKER,
        );
    }
    let findings = c.run(&[]);
    let mass = of(&findings, MASS_DELETE);
    assert_eq!(mass.len(), 1, "{findings:#?}");
    assert_eq!(mass[0].severity, Severity::Medium);
    assert_eq!(field(mass[0], "items"), &Value::from(60));
    assert_eq!(field(mass[0], "records"), &Value::from(3));
    // Ten items is nothing.
    let mut small = Case::default();
    small.delete(
        "2025-03-04T11:10:00Z",
        MEGAN,
        "SoftDelete",
        "\\Inbox",
        &items[..10],
        OFFICE,
    );
    assert!(small.run(&[]).is_empty());
    // An account that deletes this much every few days is a habitual cleaner.
    for d in ["2025-02-10", "2025-02-17", "2025-02-24"] {
        for minute in ["10", "25", "40"] {
            c.delete(
                &format!("{d}T11:{minute}:00Z"),
                MEGAN,
                "SoftDelete",
                "\\Inbox",
                &items,
                OFFICE,
            );
        }
    }
    let findings = c.run(&[]);
    let last = of(&findings, MASS_DELETE)
        .into_iter()
        .find(|f| f.time == Some(t("2025-03-04T11:10:00Z")))
        .unwrap();
    assert_eq!(last.severity, Severity::Low);
}
