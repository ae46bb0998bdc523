//! `sent_items.deleted` and the items a deletion record names.

use super::*;
use crate::analyzers::mail::deletions::deleted_items;

#[test]
fn mail_sent_then_hard_deleted_from_sent_items_fires_deleted() {
    let mut c = Case::default();
    c.history(MEGAN);
    let id = "<SA1PR10MB56332557BA52CB0AE38C42524ACE@SA1PR10MB5633.namprd10.prod.outlook.com>";
    let subject = "RE: Updated remittance details";
    c.send(
        "2025-03-04T11:03:45Z",
        MEGAN,
        id,
        subject,
        &["ap@fabrikam.example"],
        ATTACKER,
    );
    c.trace(
        "2025-03-04T11:03:46Z",
        MEGAN,
        &["ap@fabrikam.example"],
        id,
        subject,
        None,
    );
    c.delete(
        "2025-03-04T11:06:02Z",
        MEGAN,
        "HardDelete",
        "\\Sent Items",
        &[(id, subject)],
        ATTACKER,
    );
    let prior = [high(MEGAN, "signin.impossible-travel", ATTACKER)];
    let findings = c.run(&prior);
    let deleted = of(&findings, DELETED);
    assert_eq!(deleted.len(), 1, "{findings:#?}");
    let f = deleted[0];
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.time, Some(t("2025-03-04T11:06:02Z")));
    assert_eq!(field(f, "message_id"), id);
    assert_eq!(field(f, "gap_minutes"), &Value::from(2));
    assert_eq!(field(f, "gap_seconds"), &Value::from(137));
    assert_eq!(field(f, "deleted_at"), "2025-03-04T11:06:02Z");
    assert_eq!(field(f, "deleted_from"), "\\Sent Items");
    assert_eq!(field(f, "in_trace"), &Value::Bool(true));
    assert_eq!(field(f, "in_send_audit"), &Value::Bool(true));
    assert_eq!(field(f, "in_sent_items"), &Value::Bool(false));
    assert_eq!(
        field(f, "deleted_by_attacker_indicator"),
        &Value::Bool(true)
    );
    // Evidence: the deletion, the Send record, the trace row.
    assert_eq!(f.evidence.len(), 3);
    // The deletion explains the absence from Sent Items: not also "missing".
    assert!(of(&findings, MISSING).is_empty(), "{findings:#?}");
    assert_eq!(of(&findings, SCAM_SUBJECT).len(), 1);
    // Deleted a day and a half later, the same message is no longer "soon after".
    let mut late = Case::default();
    late.history(MEGAN);
    late.send(
        "2025-03-04T11:03:45Z",
        MEGAN,
        id,
        "Q1 budget",
        &["ap@fabrikam.example"],
        OFFICE,
    );
    late.delete(
        "2025-03-05T23:00:00Z",
        MEGAN,
        "MoveToDeletedItems",
        "\\Sent Items",
        &[(id, "Q1 budget")],
        OFFICE,
    );
    let findings = late.run(&[]);
    assert!(
        of(&findings, DELETED).is_empty() && of(&findings, MISSING).is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn a_recipient_deleting_their_copy_is_not_a_deleted_sent_item() {
    let mut c = Case::default();
    c.history(MEGAN);
    let id = "<X1@SA1PR10MB5633.namprd10.prod.outlook.com>";
    c.send(
        "2025-03-04T10:00:00Z",
        MEGAN,
        id,
        "Minutes",
        &["patti.fernandez@contoso.com"],
        OFFICE,
    );
    c.listed(
        "2025-03-04T10:00:00Z",
        MEGAN,
        id,
        "Minutes",
        &["patti.fernandez@contoso.com"],
    );
    c.delete(
        "2025-03-04T10:05:00Z",
        "patti.fernandez@contoso.com",
        "MoveToDeletedItems",
        "\\Inbox",
        &[(id, "Minutes")],
        OFFICE,
    );
    assert!(c.run(&[]).is_empty());
}

#[test]
fn deleted_items_pair_by_position() {
    let mut c = Case::default();
    c.delete(
        "2025-03-04T10:00:00Z",
        MEGAN,
        "HardDelete",
        "\\Sent Items",
        &[("<a@x>", "one"), ("", "two"), ("<c@x>", "three")],
        OFFICE,
    );
    // One item lacks its id: subjects and folders pair by position, the ids cannot.
    let (items, count) = deleted_items(&c.events[0]);
    assert_eq!(count, 3);
    assert_eq!(items.len(), 5);
    assert_eq!(items[1].subject.as_deref(), Some("two"));
    assert_eq!(items[1].folder.as_deref(), Some("\\Sent Items"));
    assert!(items[..3].iter().all(|i| i.key.is_none()));
    assert_eq!(items[4].id.as_deref(), Some("<c@x>"));
    // Every item complete, in name order as the UAL reader leaves them: pairs kept.
    let mut c = Case::default();
    c.delete(
        "2025-03-04T10:00:00Z",
        MEGAN,
        "HardDelete",
        "\\Sent Items",
        &[("<a@x>", "one"), ("<b@x>", "two")],
        OFFICE,
    );
    c.events[0].attrs.sort_by_key();
    let (items, count) = deleted_items(&c.events[0]);
    assert_eq!((items.len(), count), (2, 2));
    assert_eq!(items[1].id.as_deref(), Some("<b@x>"));
    assert_eq!(items[1].subject.as_deref(), Some("two"));
}
