//! `mailbox.items-accessed`: MailItemsAccessed from attacker indicators (EXF-02), else volume
//! far above the account's own baseline, or throttling (EXF-01).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::windows::Windows;
use super::{Ctx, ITEMS_ACCESSED, baseline_fields, strings, window_fields};
use crate::analyzers::finding_for;
use crate::event::{Event, SourceKind};
use crate::finding::{Finding, Severity};
use crate::ingest::fields::parse_bool;
use crate::ingest::time::format_utc;

const THROTTLED_LIMITATION: &str = "IsThrottled was True: for up to 24 hours after it the service stopped logging MailItemsAccessed for this mailbox, so every item in the mailbox must be treated as accessed in that period";
const SYNC_LIMITATION: &str = "a Sync record lists no items: the client downloaded the whole folder, so every item in it must be treated as accessed";

/// One MailItemsAccessed record, read.
struct Access {
    event: usize,
    time: DateTime<Utc>,
    sync: bool,
    throttled: bool,
    /// Items bound (0 for a Sync, which lists none).
    items: usize,
}

fn access(i: usize, e: &Event) -> Option<Access> {
    let kind = e
        .attr("OperationProperties.MailAccessType")
        .or_else(|| e.attr("MailAccessType"))
        .unwrap_or("");
    let sync = kind.trim().eq_ignore_ascii_case("Sync");
    let throttled = e
        .attr("OperationProperties.IsThrottled")
        .or_else(|| e.attr("IsThrottled"))
        .and_then(parse_bool)
        .unwrap_or(false);
    let ids = e
        .attrs
        .get_all("Folders.FolderItems.InternetMessageId")
        .count();
    let count = e
        .attr("OperationCount")
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(1);
    Some(Access {
        event: i,
        time: e.time?,
        sync,
        throttled,
        items: if sync { 0 } else { ids.max(count) },
    })
}

/// Every finding of this rule, per mailbox: the records from its attacker indicators, then the
/// rest against its own history.
pub(super) fn findings(ctx: &Ctx, out: &mut Vec<Finding>) {
    let mut by_mailbox: BTreeMap<&str, Vec<Access>> = BTreeMap::new();
    for (i, e) in ctx.events.iter().enumerate() {
        if e.source != SourceKind::Ual
            || !e.operation.eq_ignore_ascii_case("MailItemsAccessed")
            || e.outcome.success == Some(false)
        {
            continue;
        }
        let (Some(user), Some(a)) = (e.user.as_deref(), access(i, e)) else {
            continue;
        };
        by_mailbox.entry(user).or_default().push(a);
    }
    for (mailbox, mut list) in by_mailbox {
        list.sort_by_key(|a| (a.time, ctx.events[a.event].prov));
        let attacker = ctx.attacker(mailbox);
        let (hostile, rest): (Vec<Access>, Vec<Access>) = list
            .into_iter()
            .partition(|a| attacker.matches(&ctx.events[a.event]));
        hostile_episodes(ctx, mailbox, &hostile, out);
        volume(ctx, mailbox, &rest, out);
    }
}

/// Access from attacker indicators, one finding per episode (records at most `access_gap`
/// apart): high when a Sync or throttling hides what was read.
fn hostile_episodes(ctx: &Ctx, mailbox: &str, hostile: &[Access], out: &mut Vec<Finding>) {
    let mut episodes: Vec<Vec<&Access>> = Vec::new();
    for a in hostile {
        match episodes.last_mut() {
            Some(ep) if a.time - ep[ep.len() - 1].time <= ctx.options.access_gap => ep.push(a),
            _ => episodes.push(vec![a]),
        }
    }
    for ep in episodes {
        let sync = ep.iter().any(|a| a.sync);
        let throttled = ep.iter().any(|a| a.throttled);
        let severity = if sync || throttled {
            Severity::High
        } else {
            Severity::Medium
        };
        let ips: BTreeSet<IpAddr> = ep.iter().filter_map(|a| ctx.events[a.event].ip).collect();
        let mut f = access_finding(ctx, mailbox, &ep, severity, true);
        f.fields.insert(
            "attacker_basis".into(),
            strings(ctx.attacker(mailbox).basis(&ips), ctx.options.max_listed),
        );
        out.push(f);
    }
}

/// Volume and throttling of the other records, against the account's own history.
fn volume(ctx: &Ctx, mailbox: &str, rest: &[Access], out: &mut Vec<Finding>) {
    let options = ctx.options;
    let items: Vec<usize> = rest.iter().map(|a| a.items).collect();
    let throttles: Vec<usize> = rest.iter().map(|a| usize::from(a.throttled)).collect();
    let w = Windows::new(
        rest.iter().map(|a| a.time).collect(),
        &items,
        options.window,
    );
    let t = Windows::new(w.times.clone(), &throttles, options.window);
    let mut i = 0;
    while i < rest.len() {
        let throttled = t.sums[i] > 0;
        let sum = w.sums[i];
        if !throttled && sum < options.items_accessed_floor {
            i += 1;
            continue;
        }
        let group: Vec<&Access> = rest[i..w.ends[i]].iter().collect();
        let earlier = w.earlier(i);
        let baseline = w.prefix_days[earlier] >= options.min_baseline_days;
        let prior_max = w.prefix_max[earlier];
        // Throttling from the account's own use is a limit on what can be known (EXF-01), not a
        // sign of the attacker: medium, so it is told and scoped, not taken as proof.
        let severity = if throttled {
            Some(Severity::Medium)
        } else if !baseline {
            Some(Severity::Low)
        } else if sum as f64 >= options.baseline_factor * prior_max as f64 {
            Some(Severity::Medium)
        } else {
            None
        };
        if let Some(severity) = severity {
            let mut f = access_finding(ctx, mailbox, &group, severity, false);
            baseline_fields(&mut f, baseline, prior_max);
            out.push(f);
        }
        i = w.ends[i];
    }
}

/// What a group of MailItemsAccessed records shows together.
struct Reading<'e> {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Items bound, in how many Bind records, and how many folder Syncs.
    bound: usize,
    binds: usize,
    syncs: usize,
    /// The first throttled record.
    throttled_at: Option<DateTime<Utc>>,
    folders: BTreeSet<&'e str>,
    ids: BTreeSet<&'e str>,
    clients: BTreeSet<&'e str>,
    ips: BTreeSet<IpAddr>,
}

impl<'e> Reading<'e> {
    fn of(events: &'e [Event], group: &[&Access]) -> Reading<'e> {
        let mut r = Reading {
            start: group[0].time,
            end: group[group.len() - 1].time,
            bound: group.iter().map(|a| a.items).sum(),
            binds: group.iter().filter(|a| !a.sync).count(),
            syncs: group.iter().filter(|a| a.sync).count(),
            throttled_at: group.iter().find(|a| a.throttled).map(|a| a.time),
            folders: BTreeSet::new(),
            ids: BTreeSet::new(),
            clients: BTreeSet::new(),
            ips: BTreeSet::new(),
        };
        for a in group {
            let e = &events[a.event];
            r.folders.extend(e.attrs.get_all("Folders.Path"));
            r.ids
                .extend(e.attrs.get_all("Folders.FolderItems.InternetMessageId"));
            r.clients.extend(e.client.client_info.as_deref());
            r.ips.extend(e.ip);
        }
        r
    }

    fn summary(&self, mailbox: &str, hostile: bool) -> String {
        let (bound, binds, syncs) = (self.bound, self.binds, self.syncs);
        format!(
            "{bound} mail items bound in {binds} record(s){} in {mailbox} between {} and {}{}{}",
            if syncs > 0 {
                format!(" and {syncs} folder Sync(s)")
            } else {
                String::new()
            },
            format_utc(self.start),
            format_utc(self.end),
            if hostile {
                format!(
                    " from attacker indicators ({})",
                    self.ips
                        .iter()
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            },
            if self.throttled_at.is_none() {
                String::new()
            } else {
                "; logging was throttled, so more was read than is recorded".into()
            }
        )
    }

    /// What the records cannot show: throttled logging, whole-folder Syncs.
    fn limitation(&self) -> Option<String> {
        let mut limitations = Vec::new();
        if let Some(t) = self.throttled_at {
            limitations.push(format!(
                "{THROTTLED_LIMITATION} (first at {})",
                format_utc(t)
            ));
        }
        if self.syncs > 0 {
            limitations.push(SYNC_LIMITATION.to_string());
        }
        (!limitations.is_empty()).then(|| limitations.join("; "))
    }
}

fn access_finding(
    ctx: &Ctx,
    mailbox: &str,
    group: &[&Access],
    severity: Severity,
    hostile: bool,
) -> Finding {
    let cap = ctx.options.max_listed;
    let r = Reading::of(ctx.events, group);
    let mut f = finding_for(
        &ctx.events[group[0].event],
        ctx.inputs,
        ITEMS_ACCESSED,
        severity,
        r.summary(mailbox, hostile),
    );
    f.user = Some(mailbox.to_string());
    f.fields
        .insert("bound_items".into(), Value::from(r.bound as u64));
    f.fields
        .insert("bind_records".into(), Value::from(r.binds as u64));
    f.fields
        .insert("sync_records".into(), Value::from(r.syncs as u64));
    f.fields
        .insert("folders".into(), strings(r.folders.iter().copied(), cap));
    f.fields
        .insert("message_ids".into(), strings(r.ids.iter().copied(), cap));
    f.fields
        .insert("message_ids_listed".into(), Value::from(r.ids.len() as u64));
    f.fields.insert(
        "ips".into(),
        strings(r.ips.iter().map(|i| i.to_string()), cap),
    );
    f.fields
        .insert("clients".into(), strings(r.clients.iter().copied(), cap));
    window_fields(&mut f, r.start, r.end);
    f.fields
        .insert("is_throttled".into(), Value::Bool(r.throttled_at.is_some()));
    f.fields
        .insert("from_attacker_indicator".into(), Value::Bool(hostile));
    if let Some(limitation) = r.limitation() {
        f.fields
            .insert("limitation".into(), Value::String(limitation));
    }
    ctx.merge_indicators(&mut f, group.iter().map(|a| a.event));
    ctx.attach(&mut f, group.iter().map(|a| a.event));
    f
}
