//! `mailbox.mass-delete`: at least `mass_delete_items` items deleted in one window, or far above
//! the account's busiest earlier window (DEL-01). An account that deleted comparable amounts on
//! earlier days is a habitual cleaner: reported low.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde_json::Value;

use super::deletions::Deletion;
use super::windows::Windows;
use super::{Ctx, MASS_DELETE, baseline_fields, date, strings, window_fields};
use crate::analyzers::finding_for;
use crate::finding::{Finding, Severity};
use crate::ingest::time::format_utc;
use crate::tenant::is_system_actor;

/// One mass deletion: the deletion records of a window and how they compare with the account's
/// history.
struct MassDelete<'a> {
    mailbox: &'a str,
    group: &'a [&'a Deletion],
    /// Items the records name.
    items: usize,
    /// Earlier days with a window of at least half as many items.
    habitual_days: usize,
    baseline: bool,
    /// The busiest earlier window.
    prior_max: usize,
}

/// Every mass deletion of every mailbox (system actors aside).
pub(super) fn findings(ctx: &Ctx, out: &mut Vec<Finding>) {
    let options = ctx.options;
    let mut by_mailbox: BTreeMap<&str, Vec<&Deletion>> = BTreeMap::new();
    for d in &ctx.deletions {
        let actor = ctx.events[d.event].actor.as_deref().unwrap_or("");
        if !is_system_actor(actor) {
            by_mailbox.entry(d.mailbox.as_str()).or_default().push(d);
        }
    }
    for (mailbox, list) in by_mailbox {
        let weights: Vec<usize> = list.iter().map(|d| d.count).collect();
        let w = Windows::new(
            list.iter().map(|d| d.time).collect(),
            &weights,
            options.window,
        );
        let mut i = 0;
        while i < list.len() {
            let earlier = w.earlier(i);
            let baseline = w.prefix_days[earlier] >= options.min_baseline_days;
            let prior_max = w.prefix_max[earlier];
            let sum = w.sums[i];
            let far_above = baseline
                && sum >= options.mass_delete_floor
                && sum as f64 >= options.baseline_factor * prior_max as f64;
            if sum < options.mass_delete_items && !far_above {
                i += 1;
                continue;
            }
            let habitual: BTreeSet<NaiveDate> = (0..earlier)
                .filter(|&k| 2 * w.sums[k] >= sum)
                .map(|k| date(w.times[k]))
                .collect();
            out.push(finding(
                ctx,
                &MassDelete {
                    mailbox,
                    group: &list[i..w.ends[i]],
                    items: sum,
                    habitual_days: habitual.len(),
                    baseline,
                    prior_max,
                },
            ));
            i = w.ends[i];
        }
    }
}

fn finding(ctx: &Ctx, m: &MassDelete) -> Finding {
    let (mailbox, group, sum, prior_max) = (m.mailbox, m.group, m.items, m.prior_max);
    let severity = if m.habitual_days >= 2 {
        Severity::Low
    } else {
        Severity::Medium
    };
    let mut ops: BTreeMap<String, u64> = BTreeMap::new();
    let mut folders: BTreeSet<&str> = BTreeSet::new();
    let mut subjects: Vec<&str> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    let mut hostile = false;
    for d in group {
        let e = &ctx.events[d.event];
        *ops.entry(e.operation.to_string()).or_default() += d.count as u64;
        hostile |= ctx.attacker(mailbox).matches(e);
        for item in &d.items {
            folders.extend(d.folder_of(item));
            subjects.extend(item.subject.as_deref());
            ids.extend(item.id.as_deref());
        }
    }
    let start = group[0].time;
    let end = group.last().map_or(start, |d| d.time);
    let mut f = finding_for(
        &ctx.events[group[0].event],
        ctx.inputs,
        MASS_DELETE,
        severity,
        format!(
            "{sum} mail items deleted from {mailbox} between {} and {} ({}){}",
            format_utc(start),
            format_utc(end),
            ops.iter()
                .map(|(o, n)| format!("{o} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            if m.habitual_days >= 2 {
                format!(
                    "; comparable deletions on {} earlier days: a habitual clean-up",
                    m.habitual_days
                )
            } else if m.baseline {
                format!("; the busiest earlier hour deleted {prior_max}")
            } else {
                String::new()
            }
        ),
    );
    f.user = Some(mailbox.to_string());
    let cap = ctx.options.max_listed;
    f.fields.insert("items".into(), Value::from(sum as u64));
    f.fields
        .insert("records".into(), Value::from(group.len() as u64));
    f.fields.insert(
        "operations".into(),
        Value::Object(ops.into_iter().map(|(k, v)| (k, Value::from(v))).collect()),
    );
    f.fields
        .insert("folders".into(), strings(folders.iter().copied(), cap));
    f.fields
        .insert("subjects".into(), strings(subjects.iter().copied(), cap));
    f.fields
        .insert("message_ids".into(), strings(ids.iter().copied(), cap));
    window_fields(&mut f, start, end);
    baseline_fields(&mut f, m.baseline, prior_max);
    f.fields
        .insert("from_attacker_indicator".into(), Value::Bool(hostile));
    ctx.merge_indicators(&mut f, group.iter().map(|d| d.event));
    ctx.attach(&mut f, group.iter().map(|d| d.event));
    f
}
