//! Sent-Items matching and mailbox activity: what left the mailbox that the user cannot see
//! (detections.md EXF-01, EXF-02, EXF-07, EXF-09, EXF-10, DEL-01; input-formats.md §2.8.4-2.8.6,
//! §6 and §7).
//!
//! Three views of the mail an account sent are joined per message: the message trace (what
//! left), the mailbox audit's `Send` / `SendAs` / `SendOnBehalf` records (what the mailbox says
//! it sent) and, when given, a Sent Items listing (what the user can still see). They join on the
//! Internet message id (angle brackets optional, domain part compared without case), and on
//! mailbox + subject + time (within five minutes, recipients overlapping) when one side has no
//! id; such joins are labelled `heuristic`. Deletions (`MoveToDeletedItems`, `SoftDelete`,
//! `HardDelete`) join on the ids of their affected items.
//!
//! A view is said to lack a message only when it could have held it (see `coverage`); otherwise
//! the finding says "could not be checked".
//!
//! One module per detection: `sent` (`sent_items.missing`, and the judging of every sent
//! message), `deletions` (deleted items and `sent_items.deleted`), `scam`
//! (`sent_items.scam-subject`), `bursts` (`sent_items.burst`), `mass_delete`
//! (`mailbox.mass-delete`) and `access` (`mailbox.items-accessed`). `join` builds the message
//! views, `coverage` says what each view could have held, `subjects` normalizes subjects and
//! holds the fraud patterns, `windows` the sliding windows of the volume baselines.

mod access;
mod bursts;
mod coverage;
mod deletions;
mod join;
mod mass_delete;
mod scam;
mod sent;
mod subjects;
mod windows;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::evidence;
use crate::event::Event;
use crate::finding::{Finding, Indicators, Severity};
use crate::ingest::InputSummary;
use crate::ingest::time::format_utc;
use crate::tenant::{Tenant, is_system_actor};
use coverage::Coverage;
pub use coverage::Seen;
use deletions::{DeletedIndex, Deletion};
use join::Inbound;
pub use join::{MessageView, join};
pub use subjects::scam_match;

pub const MISSING: &str = "sent_items.missing";
pub const DELETED: &str = "sent_items.deleted";
pub const SCAM_SUBJECT: &str = "sent_items.scam-subject";
pub const BURST: &str = "sent_items.burst";
pub const MASS_DELETE: &str = "mailbox.mass-delete";
pub const ITEMS_ACCESSED: &str = "mailbox.items-accessed";

/// What a field says when a view could not have held the message.
pub const COULD_NOT_CHECK: &str = "could not be checked";

/// Thresholds (the config file will be able to change them).
#[derive(Debug, Clone)]
pub struct MailOptions {
    /// Largest time difference between two views of one message joined without an id.
    pub match_slack: Duration,
    /// A sent message deleted within this long after sending makes `sent_items.deleted`.
    pub deleted_within: Duration,
    /// Deleted within this long (EXF-07: one hour), the finding is high even for internal mail.
    pub quick_delete: Duration,
    /// The sliding window of bursts, mass deletions and mail-item access volume.
    pub window: Duration,
    /// External recipients in one window that make a sending burst.
    pub burst_external_recipients: usize,
    /// Messages in one window that make a sending burst.
    pub burst_messages: usize,
    /// One subject sent to `burst_external_recipients` within this long is a burst too.
    pub subject_window: Duration,
    /// Items deleted in one window that are a mass deletion whatever the baseline.
    pub mass_delete_items: usize,
    /// "Far above the baseline": at least this many times the busiest earlier window...
    pub baseline_factor: f64,
    /// ...and at least this many deleted items...
    pub mass_delete_floor: usize,
    /// ...or this many mail items bound.
    pub items_accessed_floor: usize,
    /// Earlier days with activity an account needs before its baseline counts.
    pub min_baseline_days: usize,
    /// Days on which one submitting address sent mail that no other view has, from the start of
    /// the trace on, before it counts as the account's routine relay (CRM, scanner, app).
    pub routine_submitter_days: usize,
    /// Mail-item access from attacker indicators further apart than this is two episodes.
    pub access_gap: Duration,
    /// A forward sent this soon after a message with the same subject came in was likely made
    /// by an inbox rule.
    pub forward_gap: Duration,
    /// A received message with a fraud subject deleted this soon after arrival (DEL-03).
    pub received_delete_within: Duration,
    /// Evidence records kept per finding.
    pub max_evidence: usize,
    /// Message ids, recipients and subjects listed per finding.
    pub max_listed: usize,
}

impl Default for MailOptions {
    fn default() -> Self {
        MailOptions {
            match_slack: Duration::minutes(5),
            deleted_within: Duration::hours(24),
            quick_delete: Duration::hours(1),
            window: Duration::hours(1),
            burst_external_recipients: 50,
            burst_messages: 30,
            subject_window: Duration::hours(24),
            mass_delete_items: 50,
            baseline_factor: 5.0,
            mass_delete_floor: 20,
            items_accessed_floor: 100,
            min_baseline_days: 3,
            routine_submitter_days: 3,
            access_gap: Duration::hours(2),
            forward_gap: Duration::minutes(5),
            received_delete_within: Duration::hours(4),
            max_evidence: 25,
            max_listed: 50,
        }
    }
}

const SEND_OPS: &[&str] = &["Send", "SendAs", "SendOnBehalf"];
const DELETE_OPS: &[&str] = &["MoveToDeletedItems", "SoftDelete", "HardDelete"];
/// Exchange mailbox-audit operations (RecordType 2, 3, 50): their presence shows the mailbox is
/// audited.
const MAILBOX_AUDIT_OPS: &[&str] = &[
    "Send",
    "SendAs",
    "SendOnBehalf",
    "MailItemsAccessed",
    "MoveToDeletedItems",
    "SoftDelete",
    "HardDelete",
    "Move",
    "Copy",
    "Create",
    "Update",
    "FolderBind",
    "MailboxLogin",
    "UpdateInboxRules",
    "AddFolderPermissions",
    "ModifyFolderPermissions",
    "RemoveFolderPermissions",
    "UpdateFolderPermissions",
    "UpdateCalendarDelegation",
    "ApplyRecord",
    "SearchQueryInitiatedExchange",
];

fn is_op(e: &Event, ops: &[&str]) -> bool {
    ops.iter().any(|op| e.operation.eq_ignore_ascii_case(op))
}

/// Attacker indicators of one account: the addresses and sessions of its high and critical
/// findings, with the rules that named each address.
#[derive(Debug, Default)]
struct Attacker {
    ips: BTreeMap<IpAddr, BTreeSet<String>>,
    sessions: BTreeSet<String>,
}

impl Attacker {
    fn matches(&self, e: &Event) -> bool {
        e.ip.is_some_and(|ip| self.ips.contains_key(&ip))
            || e.client
                .session
                .as_deref()
                .is_some_and(|s| self.sessions.contains(s))
    }

    fn basis(&self, ips: &BTreeSet<IpAddr>) -> Vec<String> {
        ips.iter()
            .filter_map(|ip| {
                let rules = self.ips.get(ip)?;
                Some(format!(
                    "{ip} ({})",
                    rules.iter().cloned().collect::<Vec<_>>().join(", ")
                ))
            })
            .collect()
    }
}

/// Findings made by someone else on the account (an administrator's reset) say nothing about
/// the attacker's addresses, and system actors are never attackers.
fn attackers(prior: &[Finding]) -> BTreeMap<String, Attacker> {
    let mut out: BTreeMap<String, Attacker> = BTreeMap::new();
    for f in prior.iter().filter(|f| f.severity >= Severity::High) {
        let Some(user) = f.user.as_deref() else {
            continue;
        };
        if let Some(actor) = f.actor.as_deref() {
            if is_system_actor(actor) || (actor != user && f.family() != "signin") {
                continue;
            }
        }
        let a = out.entry(user.to_string()).or_default();
        for ip in &f.indicators.ips {
            a.ips.entry(*ip).or_default().insert(f.rule.clone());
        }
        a.sessions.extend(f.indicators.sessions.iter().cloned());
    }
    out
}

fn date(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

/// At most `cap` strings, as a JSON list.
fn strings<I, S>(items: I, cap: usize) -> Value
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Value::from(
        items
            .into_iter()
            .take(cap)
            .map(Into::into)
            .collect::<Vec<String>>(),
    )
}

/// A subject in quotes, or `(no subject)`.
fn quote(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("'{s}'"),
        None => "(no subject)".into(),
    }
}

/// The window a finding covers.
fn window_fields(f: &mut Finding, start: DateTime<Utc>, end: DateTime<Utc>) {
    f.fields
        .insert("window_start".into(), Value::String(format_utc(start)));
    f.fields
        .insert("window_end".into(), Value::String(format_utc(end)));
}

/// The account's history a volume finding was judged against.
fn baseline_fields(f: &mut Finding, baseline: bool, prior_max: usize) {
    f.fields.insert("baseline".into(), Value::Bool(baseline));
    f.fields.insert(
        "prior_max_items_per_window".into(),
        Value::from(prior_max as u64),
    );
}

/// What every detection of this module reads.
struct Ctx<'a> {
    events: &'a [Event],
    inputs: &'a [InputSummary],
    options: &'a MailOptions,
    attackers: BTreeMap<String, Attacker>,
    coverage: Coverage,
    /// Every deletion record, in time order, and their items by message id and subject.
    deletions: Vec<Deletion>,
    deleted: DeletedIndex,
    /// Successful legacy-protocol sign-ins per account.
    legacy: BTreeMap<String, Vec<usize>>,
    /// The indicators of an account with none.
    none: Attacker,
}

impl Ctx<'_> {
    fn attacker(&self, mailbox: &str) -> &Attacker {
        self.attackers.get(mailbox).unwrap_or(&self.none)
    }

    /// Adds evidence records (deduplicated, sorted, at most `max_evidence`).
    fn attach(&self, f: &mut Finding, idxs: impl IntoIterator<Item = usize>) {
        let mut total = f.evidence.len();
        for i in idxs {
            let ev = evidence(&self.events[i], self.inputs);
            if f.evidence.contains(&ev) {
                continue;
            }
            total += 1;
            if f.evidence.len() < self.options.max_evidence {
                f.evidence.push(ev);
            }
        }
        f.evidence.sort();
        if total > f.evidence.len() {
            f.fields
                .insert("evidence_total".into(), Value::from(total as u64));
        }
    }

    /// Adds the addresses, user agents and sessions of these events to the finding's.
    fn merge_indicators(&self, f: &mut Finding, idxs: impl IntoIterator<Item = usize>) {
        for i in idxs {
            f.indicators.merge(&Indicators::of(&self.events[i]));
        }
    }
}

/// The analyzer of mail that left the mailbox and of mailbox activity.
pub struct Mail;

impl super::Analyzer for Mail {
    fn name(&self) -> &'static str {
        "mail"
    }

    fn rules(&self) -> &'static [&'static str] {
        &[
            MISSING,
            DELETED,
            SCAM_SUBJECT,
            BURST,
            MASS_DELETE,
            ITEMS_ACCESSED,
        ]
    }

    fn run(&self, cx: &super::Context<'_>, prior: &[Finding]) -> Vec<Finding> {
        // Tenant infrastructure and the account's own established addresses are never attacker
        // indicators, whatever finding names them (an administrator's consent from the office
        // NAT, a user's forward to their private mail set from home).
        let prior: Vec<Finding> = prior
            .iter()
            .filter(|f| f.severity >= Severity::High)
            .map(|f| {
                let mut f = f.clone();
                let user = f.actor.clone().or(f.user.clone()).unwrap_or_default();
                let t = f.time;
                f.indicators
                    .ips
                    .retain(|ip| !cx.infra.contains(*ip) && !cx.known.is_own(&user, *ip, t));
                // The sessions of a finding made from the account's own address are the user's.
                if f.indicators.ips.is_empty() {
                    f.indicators.sessions.clear();
                }
                f
            })
            .collect();
        analyze_with(cx.events, cx.inputs, cx.tenant, &prior, &cx.options.mail)
    }
}

/// Every finding of this module, with the default thresholds.
pub fn analyze(
    events: &[Event],
    inputs: &[InputSummary],
    tenant: &Tenant,
    prior: &[Finding],
) -> Vec<Finding> {
    analyze_with(events, inputs, tenant, prior, &MailOptions::default())
}

/// Every finding of this module. `prior` are the findings so far (sign-ins above all): the
/// addresses and sessions of an account's high and critical findings are its attacker
/// indicators.
pub fn analyze_with(
    events: &[Event],
    inputs: &[InputSummary],
    tenant: &Tenant,
    prior: &[Finding],
    options: &MailOptions,
) -> Vec<Finding> {
    let views = join(events, tenant, options);
    let deletions = deletions::deletions(events);
    let ctx = Ctx {
        events,
        inputs,
        options,
        attackers: attackers(prior),
        coverage: Coverage::build(events),
        deleted: DeletedIndex::build(&deletions),
        deletions,
        legacy: sent::legacy_signins(events),
        none: Attacker::default(),
    };
    let inbound = Inbound::build(&ctx, tenant);
    let mut findings = Vec::new();
    sent::findings(&ctx, &views, &inbound, &mut findings);
    scam::deleted(&ctx, &views, &inbound, &mut findings);
    bursts::findings(&ctx, &views, &mut findings);
    mass_delete::findings(&ctx, &mut findings);
    access::findings(&ctx, &mut findings);
    findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    findings
}

#[cfg(test)]
mod tests;
