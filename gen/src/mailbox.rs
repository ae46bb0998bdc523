//! Mailbox state at export time: inbox rules (with how they came to be, and whether the
//! export shows them) and mailbox forwarding. Writes the Get-InboxRule dump in the
//! Microsoft-Extractor-Suite `MailboxRules.csv` layout and the Get-Mailbox CSV.

use crate::fmt::{csv_q, w_us};
use crate::world::World;

/// A recipient as `"Display Name" [SMTP:addr]`.
pub fn recipient(display: &str, addr: &str) -> String {
    format!("\"{display}\" [SMTP:{addr}]")
}

#[derive(Clone, Debug, Default)]
pub struct Rule {
    pub owner: usize,
    pub name: String,
    pub identity: u64,
    pub priority: u32,
    pub enabled: bool,
    /// (display, address) senders.
    pub from: Vec<(String, String)>,
    pub subject_words: Vec<String>,
    pub subject_or_body_words: Vec<String>,
    pub move_to: Option<String>,
    pub mark_read: bool,
    pub forward_to: Vec<(String, String)>,
    pub redirect_to: Vec<(String, String)>,
    pub delete: bool,
    pub stop: bool,
    /// Hidden by MAPI tampering: Exchange runs it, Get-InboxRule does not list it.
    pub hidden: bool,
    /// Removed before the export (by its owner or an admin, audited).
    pub removed: bool,
}

impl Rule {
    /// `New-InboxRule` parameters, as the audit log records them.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut p: Vec<(&'static str, String)> = vec![("Name", self.name.clone())];
        let join = |v: &[(String, String)]| {
            v.iter()
                .map(|(_, a)| a.clone())
                .collect::<Vec<_>>()
                .join(";")
        };
        if !self.from.is_empty() {
            p.push(("From", join(&self.from)));
        }
        if !self.subject_words.is_empty() {
            p.push(("SubjectContainsWords", self.subject_words.join(";")));
        }
        if !self.subject_or_body_words.is_empty() {
            p.push((
                "SubjectOrBodyContainsWords",
                self.subject_or_body_words.join(";"),
            ));
        }
        if let Some(f) = &self.move_to {
            p.push(("MoveToFolder", f.clone()));
        }
        if !self.forward_to.is_empty() {
            p.push(("ForwardTo", join(&self.forward_to)));
        }
        if !self.redirect_to.is_empty() {
            p.push(("RedirectTo", join(&self.redirect_to)));
        }
        if self.mark_read {
            p.push(("MarkAsRead", "True".into()));
        }
        if self.delete {
            p.push(("DeleteMessage", "True".into()));
        }
        if self.stop {
            p.push(("StopProcessingRules", "True".into()));
        }
        p.push(("AlwaysDeleteOutlookRulesBlob", "False".into()));
        p.push(("Force", "False".into()));
        p
    }

    fn description(&self) -> String {
        let mut s = String::from("If the message:\r\n");
        for (d, _) in &self.from {
            s.push_str(&format!("\tthe message was received from '{d}'\r\n"));
        }
        if !self.subject_words.is_empty() {
            s.push_str(&format!(
                "\tincludes these words in the subject: '{}'\r\n",
                self.subject_words.join("' or '")
            ));
        }
        if !self.subject_or_body_words.is_empty() {
            s.push_str(&format!(
                "\tincludes these words in the subject or body: '{}'\r\n",
                self.subject_or_body_words.join("' or '")
            ));
        }
        s.push_str("Take the following actions:\r\n");
        if let Some(f) = &self.move_to {
            s.push_str(&format!("\tmove the message to folder '{f}'\r\n"));
        }
        for (d, _) in &self.forward_to {
            s.push_str(&format!("\tforward the message to '{d}'\r\n"));
        }
        if self.mark_read {
            s.push_str("\tand mark the message as read\r\n");
        }
        if self.delete {
            s.push_str("\tand delete the message\r\n");
        }
        if self.stop {
            s.push_str("\tand stop processing more rules on this message\r\n");
        }
        s
    }
}

/// A mailbox forwarding set with Set-Mailbox.
#[derive(Clone, Debug)]
pub struct Forward {
    pub owner: usize,
    pub address: String,
    pub keep_copy: bool,
    pub when: i64,
    pub cleared: bool,
}

#[derive(Default)]
pub struct State {
    pub rules: Vec<Rule>,
    pub forwards: Vec<Forward>,
}

const RULE_HEADER: &[&str] = &[
    "UserName",
    "RuleName",
    "Enabled",
    "Priority",
    "RuleIdentity",
    "StopProcessingRules",
    "CopyToFolder",
    "MoveToFolder",
    "RedirectTo",
    "ForwardTo",
    "ForwardAsAttachmentTo",
    "ApplyCategory",
    "MarkImportance",
    "MarkAsRead",
    "DeleteMessage",
    "SoftDeleteMessage",
    "From",
    "SubjectContainsWords",
    "SubjectOrBodyContainsWords",
    "BodyContainsWords",
    "HasAttachment",
    "Description",
    "InError",
    "ErrorType",
];

fn tf(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

impl State {
    pub fn next_priority(&self, owner: usize) -> u32 {
        self.rules.iter().filter(|r| r.owner == owner).count() as u32 + 1
    }

    /// The Get-InboxRule dump (rules that exist and are visible at export time).
    pub fn inbox_rules_csv(&self, w: &World) -> (String, usize) {
        let mut s = String::from("\u{feff}");
        let hdr: Vec<String> = RULE_HEADER.iter().map(|h| format!("\"{h}\"")).collect();
        s.push_str(&hdr.join(","));
        s.push_str("\r\n");
        let mut rules: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| !r.hidden && !r.removed)
            .collect();
        rules.sort_by_key(|r| (r.owner, r.priority));
        let list = |v: &[(String, String)]| {
            v.iter()
                .map(|(d, a)| recipient(d, a))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for r in &rules {
            let u = &w.tn.users[r.owner];
            let cells: Vec<String> = vec![
                u.upn.clone(),
                r.name.clone(),
                tf(r.enabled).into(),
                r.priority.to_string(),
                r.identity.to_string(),
                tf(r.stop).into(),
                String::new(),
                r.move_to
                    .as_ref()
                    .map(|f| format!("{}:\\{f}", u.alias))
                    .unwrap_or_default(),
                list(&r.redirect_to),
                list(&r.forward_to),
                String::new(),
                String::new(),
                String::new(),
                tf(r.mark_read).into(),
                tf(r.delete).into(),
                "False".into(),
                list(&r.from),
                r.subject_words.join(", "),
                r.subject_or_body_words.join(", "),
                String::new(),
                "False".into(),
                r.description(),
                "False".into(),
                "None".into(),
            ];
            for (i, c) in cells.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                csv_q(&mut s, c);
            }
            s.push_str("\r\n");
        }
        (s, rules.len())
    }

    /// Get-Mailbox forwarding fields of every mailbox.
    pub fn mailboxes_csv(&self, w: &World) -> (String, usize) {
        let mut s = String::from(
            "\u{feff}\"DisplayName\",\"UserPrincipalName\",\"PrimarySMTPAddress\",\"RecipientTypeDetails\",\"ForwardingSMTPAddress\",\"ForwardingAddress\",\"DeliverToMailboxAndForward\",\"WhenChangedUTC\"\r\n",
        );
        for (i, u) in w.tn.users.iter().enumerate() {
            let fw = self.forwards.iter().rev().find(|f| f.owner == i);
            let (addr, keep, when) = match fw {
                Some(f) if !f.cleared => (format!("smtp:{}", f.address), f.keep_copy, f.when),
                Some(f) => (String::new(), false, f.when),
                None => (
                    String::new(),
                    false,
                    w.start - 86_400 * (10 + (i as i64 * 37) % 300),
                ),
            };
            for (j, c) in [
                u.display.as_str(),
                &u.upn,
                &u.upn,
                if u.has(crate::population::t::SHARED_MAILBOX) {
                    "SharedMailbox"
                } else {
                    "UserMailbox"
                },
                &addr,
                "",
                tf(keep),
            ]
            .iter()
            .enumerate()
            {
                if j > 0 {
                    s.push(',');
                }
                csv_q(&mut s, c);
            }
            s.push_str(",\"");
            w_us(&mut s, when);
            s.push_str("\"\r\n");
        }
        (s, w.tn.users.len())
    }
}
