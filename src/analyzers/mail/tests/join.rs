//! Message views: one per message, joined by id or by subject and time.

use super::*;
use crate::analyzers::mail::join::id_key;
use crate::analyzers::mail::sent::exchange_online_id;
use crate::analyzers::mail::subjects::base_subject;

#[test]
fn mail_sent_normally_is_quiet() {
    let mut c = Case::default();
    c.history(MEGAN);
    c.normal(
        "2025-03-03T18:02:37Z",
        MEGAN,
        30,
        &["controller@tailspin.example"],
        true,
    );
    c.accessed("2025-03-03T17:00:00Z", MEGAN, OFFICE, "Sync", 1, false);
    let findings = c.run(&[]);
    assert!(findings.is_empty(), "{findings:#?}");
    let views = join(&c.events, &tenant(), &MailOptions::default());
    assert_eq!(views.len(), 6);
    assert!(views.iter().all(|v| !v.trace.is_empty()
        && !v.audit.is_empty()
        && !v.listing.is_empty()
        && !v.heuristic));
    // One view per message, not per trace row.
    assert!(views.iter().all(|v| v.trace.len() == v.recipients.len()));
}

#[test]
fn bracketed_and_bare_message_ids_match() {
    let mut c = Case::default();
    c.history(MEGAN);
    c.send(
        "2025-03-03T09:00:00Z",
        MEGAN,
        "<BY5PR10MB42120D45F49FDAE093411550CDE8@BY5PR10MB4212.namprd10.prod.outlook.com>",
        "Re: March forecast",
        &["ap@fabrikam.example"],
        OFFICE,
    );
    // The trace in upper case, the listing without brackets.
    c.trace(
        "2025-03-03T09:00:01Z",
        MEGAN,
        &["ap@fabrikam.example"],
        "<BY5PR10MB42120D45F49FDAE093411550CDE8@BY5PR10MB4212.NAMPRD10.PROD.OUTLOOK.COM>",
        "Re: March forecast",
        None,
    );
    c.listed(
        "2025-03-03T09:00:00Z",
        MEGAN,
        " BY5PR10MB42120D45F49FDAE093411550CDE8@BY5PR10MB4212.namprd10.prod.outlook.com ",
        "Re: March forecast",
        &["ap@fabrikam.example"],
    );
    assert!(c.run(&[]).is_empty());
    let views = join(&c.events, &tenant(), &MailOptions::default());
    let v = views
        .iter()
        .find(|v| v.subject.as_deref() == Some("Re: March forecast"))
        .unwrap();
    assert!(!v.trace.is_empty() && !v.audit.is_empty() && !v.listing.is_empty());
    assert!(!v.heuristic);
    assert_eq!(views.len(), 6);
}

#[test]
fn messages_without_ids_join_on_subject_and_time() {
    let mut c = Case::default();
    c.history(MEGAN);
    c.send(
        "2025-03-03T09:00:00Z",
        MEGAN,
        "",
        "Quote 2291",
        &["buyer@litware.example"],
        OFFICE,
    );
    c.trace(
        "2025-03-03T09:01:30Z",
        MEGAN,
        &["buyer@litware.example"],
        "",
        "Quote 2291",
        None,
    );
    c.listed(
        "2025-03-03T09:00:00Z",
        MEGAN,
        "",
        "Quote 2291",
        &["buyer@litware.example"],
    );
    assert!(c.run(&[]).is_empty(), "{:#?}", c.run(&[]));
    let views = join(&c.events, &tenant(), &MailOptions::default());
    let v = views
        .iter()
        .find(|v| v.subject.as_deref() == Some("Quote 2291"))
        .unwrap();
    assert!(v.heuristic && !v.trace.is_empty() && !v.audit.is_empty() && !v.listing.is_empty());
    // Ten minutes apart is too far for a heuristic join.
    let mut c = Case::default();
    c.history(MEGAN);
    c.send(
        "2025-03-03T09:00:00Z",
        MEGAN,
        "",
        "Quote 2291",
        &["buyer@litware.example"],
        OFFICE,
    );
    c.trace(
        "2025-03-03T09:10:00Z",
        MEGAN,
        &["buyer@litware.example"],
        "",
        "Quote 2291",
        None,
    );
    let findings = c.run(&[]);
    let missing = of(&findings, MISSING);
    assert_eq!(missing.len(), 1);
    assert!(
        field(missing[0], "message_id")
            .as_str()
            .unwrap()
            .starts_with("(no message id)")
    );
}

#[test]
fn ids_and_subjects() {
    assert_eq!(
        id_key(" abc@X.Example ").unwrap(),
        ("<abc@x.example>".to_string(), "<abc@X.Example>".to_string())
    );
    assert!(id_key("<>").is_none());
    assert_eq!(
        base_subject("RE: FW:  Invoice 1"),
        ("invoice 1".into(), true)
    );
    assert_eq!(base_subject("AW: Angebot"), ("angebot".into(), false));
    assert!(exchange_online_id(
        "<a@SA1PR10MB5633.namprd10.prod.outlook.com>"
            .to_lowercase()
            .as_str()
    ));
    assert!(!exchange_online_id("<a@win-7q2k9lm3>"));
}
