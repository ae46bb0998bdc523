//! `sent_items.scam-subject` and the fraud patterns.

use super::*;
use crate::analyzers::mail::subjects::parse_scam_patterns;

#[test]
fn fraud_subjects_received_and_deleted_by_the_attacker() {
    let mut c = Case::default();
    c.history(MEGAN);
    let id = "<20250303181240.F15990@mail.fabrikam.example>";
    c.trace(
        "2025-03-04T10:00:00Z",
        "ap@fabrikam.example",
        &[MEGAN],
        id,
        "Re: change of bank details?",
        Some("192.0.2.62"),
    );
    c.delete(
        "2025-03-04T10:30:00Z",
        MEGAN,
        "MoveToDeletedItems",
        "\\Inbox",
        &[(id, "Re: change of bank details?")],
        OFFICE,
    );
    let findings = c.run(&[]);
    let scam = of(&findings, SCAM_SUBJECT);
    assert_eq!(scam.len(), 1, "{findings:#?}");
    assert_eq!(field(scam[0], "kind"), "deleted");
    assert_eq!(field(scam[0], "received_at"), "2025-03-04T10:00:00Z");
    // Deleted a week after arrival by the user's own client: ordinary housekeeping.
    let mut c = Case::default();
    c.trace(
        "2025-02-20T10:00:00Z",
        "ap@fabrikam.example",
        &[MEGAN],
        id,
        "Gift card offer",
        None,
    );
    c.delete(
        "2025-02-27T10:30:00Z",
        MEGAN,
        "MoveToDeletedItems",
        "\\Inbox",
        &[(id, "Gift card offer")],
        OFFICE,
    );
    assert!(c.run(&[]).is_empty());
}

#[test]
fn scam_subject_patterns() {
    for s in [
        "Urgent: wire transfer - new bank details",
        "RE: Updated remittance details",
        "Gift Cards needed today",
        "Help - stuck in Manila, please send the money",
        "URGENT INVOICE 4471",
        "Invoice 4471 - urgent",
        "Neue Bankverbindung ab sofort",
        "Changement de RIB fournisseur",
        "Transferencia urgente",
        "Nieuwe bankgegevens",
    ] {
        assert!(scam_match(s).is_some(), "{s}");
    }
    for s in [
        "Contoso Weekly #10: Spring sale preview",
        "Remittance advice 0225",
        "Q1 budget review",
        "Month-end close checklist",
        "Re: Audit PBC list",
        "Statement reconciliation February",
        "Invoice INV-20931",
        "",
    ] {
        assert!(scam_match(s).is_none(), "{s}");
    }
    let p = parse_scam_patterns("# c\n\nA  B\nx*y\n");
    assert_eq!(p.plain, vec!["a b"]);
    assert_eq!(p.wild.len(), 1);
}
