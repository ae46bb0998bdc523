//! Fixtures of the mail analyzer: a `Case` of events built record by record, one file of tests
//! per detection.

mod access;
mod bursts;
mod deletions;
mod join;
mod mass_delete;
mod scam;
mod sent;

use super::*;
use crate::event::{Provenance, SourceKind};
use crate::ingest::fields::normalize_message_id;

const MEGAN: &str = "megan.bowen@contoso.com";
const ATTACKER: &str = "203.0.113.77";
const OFFICE: &str = "198.51.100.10";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn tenant() -> Tenant {
    Tenant {
        internal_domains: ["contoso.com".to_string()].into(),
    }
}

#[derive(Default)]
struct Case {
    events: Vec<Event>,
}

impl Case {
    fn push(&mut self, source: SourceKind, op: &str, time: DateTime<Utc>) -> &mut Event {
        let n = self.events.len() as u64 + 1;
        let input = match source {
            SourceKind::Ual => 0,
            SourceKind::MessageTrace => 1,
            SourceKind::SentItems => 2,
            _ => 3,
        };
        let mut e = Event::new(
            source,
            op,
            Provenance {
                input,
                line: n,
                record: n,
            },
        );
        e.time = Some(time);
        self.events.push(e);
        self.events.last_mut().unwrap()
    }

    /// One message-trace row per recipient.
    fn trace(
        &mut self,
        time: &str,
        sender: &str,
        recipients: &[&str],
        id: &str,
        subject: &str,
        from_ip: Option<&str>,
    ) {
        for r in recipients {
            let e = self.push(SourceKind::MessageTrace, "MessageTrace", t(time));
            e.user = Some(sender.into());
            e.actor = Some(sender.into());
            e.ip = from_ip.map(|ip| ip.parse().unwrap());
            if !id.is_empty() {
                e.attrs.push("MessageId", normalize_message_id(id));
            }
            e.attrs.push("Subject", subject);
            e.attrs.push("Recipient", *r);
            e.attrs.push("Status", "Delivered");
            if let Some(ip) = from_ip {
                e.attrs.push("FromIP", ip);
            }
        }
    }

    fn send(
        &mut self,
        time: &str,
        mailbox: &str,
        id: &str,
        subject: &str,
        recipients: &[&str],
        ip: &str,
    ) -> &mut Event {
        let e = self.push(SourceKind::Ual, "Send", t(time));
        e.user = Some(mailbox.into());
        e.actor = Some(mailbox.into());
        e.ip = Some(ip.parse().unwrap());
        e.outcome.success = Some(true);
        e.client.client_info = Some("Client=MSExchangeRPC".into());
        if !id.is_empty() {
            e.attrs.push("Item.InternetMessageId", id);
        }
        e.attrs.push("Item.Subject", subject);
        e.attrs.push("Item.ParentFolder.Path", "\\Sent Items");
        e.attrs.push("SaveToSentItems", "True");
        e.attrs.push("recipientCount", recipients.len().to_string());
        for r in recipients {
            e.attrs.push("recipientList.Address", *r);
        }
        e
    }

    fn listed(&mut self, time: &str, mailbox: &str, id: &str, subject: &str, to: &[&str]) {
        let e = self.push(SourceKind::SentItems, "SentItem", t(time));
        e.user = Some(mailbox.into());
        e.actor = Some(mailbox.into());
        if !id.is_empty() {
            // As a listing may write it: without angle brackets.
            e.attrs.push("MessageId", id);
        }
        e.attrs.push("Subject", subject);
        for r in to {
            e.attrs.push("Recipient", *r);
        }
    }

    fn delete(
        &mut self,
        time: &str,
        mailbox: &str,
        op: &str,
        folder: &str,
        items: &[(&str, &str)],
        ip: &str,
    ) {
        let e = self.push(SourceKind::Ual, op, t(time));
        e.user = Some(mailbox.into());
        e.actor = Some(mailbox.into());
        e.ip = Some(ip.parse().unwrap());
        e.outcome.success = Some(true);
        e.attrs.push("Folder.Path", folder);
        for (id, subject) in items {
            if !id.is_empty() {
                e.attrs.push("AffectedItems.InternetMessageId", *id);
            }
            e.attrs.push("AffectedItems.ParentFolder.Path", folder);
            e.attrs.push("AffectedItems.Subject", *subject);
        }
    }

    fn accessed(
        &mut self,
        time: &str,
        mailbox: &str,
        ip: &str,
        kind: &str,
        count: usize,
        throttled: bool,
    ) {
        let e = self.push(SourceKind::Ual, "MailItemsAccessed", t(time));
        e.user = Some(mailbox.into());
        e.actor = Some(mailbox.into());
        e.ip = Some(ip.parse().unwrap());
        e.outcome.success = Some(true);
        e.attrs.push("OperationCount", count.to_string());
        e.attrs.push("OperationProperties.MailAccessType", kind);
        e.attrs.push(
            "OperationProperties.IsThrottled",
            if throttled { "True" } else { "False" },
        );
        e.attrs.push("Folders.Path", "\\Inbox");
        if kind == "Bind" {
            for n in 0..count {
                e.attrs.push(
                    "Folders.FolderItems.InternetMessageId",
                    format!("<in{n}.{time}@mail.fabrikam.example>"),
                );
            }
        }
    }

    /// Five days of MailItemsAccessed from the office, 10 to 14 February.
    fn daily_access(&mut self, mailbox: &str, kind: &str, count: usize) {
        for d in 10..=14 {
            let time = format!("2025-02-{d}T09:00:00Z");
            self.accessed(&time, mailbox, OFFICE, kind, count, false);
        }
    }

    fn signin(&mut self, time: &str, user: &str, ip: &str, client: &str) {
        let e = self.push(SourceKind::Signin, "InteractiveSignIn", t(time));
        e.user = Some(user.into());
        e.actor = Some(user.into());
        e.ip = Some(ip.parse().unwrap());
        e.outcome.success = Some(true);
        e.client.client_info = Some(client.into());
    }

    /// A message sent the normal way: Send record, trace rows, Sent Items copy.
    fn normal(&mut self, time: &str, mailbox: &str, n: usize, to: &[&str], listed: bool) {
        let id = format!("<NORMAL{n}A1B2@SA1PR10MB5633.namprd10.prod.outlook.com>");
        let subject = format!("Month-end close checklist {n}");
        self.send(time, mailbox, &id, &subject, to, OFFICE);
        let later = format_utc(t(time) + Duration::seconds(2));
        self.trace(&later, mailbox, to, &id, &subject, None);
        if listed {
            self.listed(time, mailbox, id.trim_matches(['<', '>']), &subject, to);
        }
    }

    /// Five weekdays of ordinary mail, listed in Sent Items, and a mailbox audit that runs
    /// on to 5 March (an Outlook Sync from the office).
    fn history(&mut self, mailbox: &str) {
        for d in 17..=21 {
            self.normal(
                &format!("2025-02-{d}T15:00:00Z"),
                mailbox,
                d,
                &["ap@fabrikam.example", "patti.fernandez@contoso.com"],
                true,
            );
        }
        self.accessed("2025-03-05T08:00:00Z", mailbox, OFFICE, "Sync", 1, false);
    }

    fn run(&self, prior: &[Finding]) -> Vec<Finding> {
        analyze(&self.events, &[], &tenant(), prior)
    }
}

fn high(user: &str, rule: &str, ip: &str) -> Finding {
    Finding {
        id: String::new(),
        rule: rule.into(),
        title: String::new(),
        severity: Severity::High,
        user: Some(user.into()),
        actor: Some(user.into()),
        time: None,
        summary: String::new(),
        attack: Vec::new(),
        evidence: Vec::new(),
        fields: Default::default(),
        indicators: Indicators {
            ips: vec![ip.parse().unwrap()],
            ..Indicators::default()
        },
        prov: Provenance {
            input: 9,
            line: 0,
            record: 0,
        },
    }
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

fn field<'a>(f: &'a Finding, name: &str) -> &'a Value {
    f.fields
        .get(name)
        .unwrap_or_else(|| panic!("no field {name} in {:?}", f.fields))
}
