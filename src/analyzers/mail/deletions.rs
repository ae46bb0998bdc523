//! Deleted items: the MoveToDeletedItems / SoftDelete / HardDelete records of the mailbox audit,
//! the items each names, and `sent_items.deleted` (a sent message removed soon after sending).
//! Deletions join sent messages on the ids of their affected items, else on the subject.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::coverage::ViewState;
use super::join::{MessageView, id_key, recipients_text};
use super::subjects::subject_key;
use super::{Ctx, DELETE_OPS, DELETED, is_op, quote, strings};
use crate::analyzers::finding_for;
use crate::event::{Event, SourceKind};
use crate::finding::{Finding, Severity};
use crate::ingest::time::format_utc;

/// One item a deletion record names.
#[derive(Debug, Clone, Default)]
pub(super) struct DelItem {
    pub(super) key: Option<String>,
    pub(super) id: Option<String>,
    pub(super) subject: Option<String>,
    pub(super) folder: Option<String>,
}

/// One MoveToDeletedItems / SoftDelete / HardDelete record.
#[derive(Debug, Clone)]
pub(super) struct Deletion {
    pub(super) event: usize,
    pub(super) time: DateTime<Utc>,
    pub(super) mailbox: String,
    pub(super) folder: Option<String>,
    pub(super) items: Vec<DelItem>,
    /// Items the record names (at least one).
    pub(super) count: usize,
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The affected items of a deletion record, and how many it names. `AffectedItems[]` is
/// flattened to one repeated key per field (`AffectedItems.InternetMessageId`,
/// `AffectedItems.Subject`, ...), and the attributes may be ordered by name, so a field pairs with
/// the others by position only when every item has it; the values of a field some items lack
/// are kept as items of their own (an id without its subject), which match but are not counted.
pub(super) fn deleted_items(e: &Event) -> (Vec<DelItem>, usize) {
    let (mut ids, mut subjects, mut folders): (Vec<&str>, Vec<&str>, Vec<&str>) =
        Default::default();
    for (k, v) in e.attrs.iter() {
        let Some(field) = strip_prefix_ci(k, "AffectedItems.") else {
            continue;
        };
        if field.eq_ignore_ascii_case("InternetMessageId") {
            ids.push(v);
        } else if field.eq_ignore_ascii_case("Subject") {
            subjects.push(v);
        } else if field.eq_ignore_ascii_case("ParentFolder.Path") {
            folders.push(v);
        }
    }
    let n = ids.len().max(subjects.len()).max(folders.len());
    let text = |v: &str| Some(v.to_string()).filter(|s| !s.trim().is_empty());
    let mut items: Vec<DelItem> = (0..n)
        .map(|i| {
            let id = if ids.len() == n { id_key(ids[i]) } else { None };
            DelItem {
                key: id.as_ref().map(|(k, _)| k.clone()),
                id: id.map(|(_, s)| s),
                subject: (subjects.len() == n).then(|| text(subjects[i])).flatten(),
                folder: (folders.len() == n).then(|| text(folders[i])).flatten(),
            }
        })
        .collect();
    if ids.len() != n {
        items.extend(
            ids.iter()
                .filter_map(|v| id_key(v))
                .map(|(key, shown)| DelItem {
                    key: Some(key),
                    id: Some(shown),
                    ..DelItem::default()
                }),
        );
    }
    if subjects.len() != n {
        items.extend(subjects.iter().map(|v| DelItem {
            subject: text(v),
            ..DelItem::default()
        }));
    }
    let count = n;
    if items.is_empty() {
        // Some records name one item under `Item`.
        let id = e.attr("Item.InternetMessageId").and_then(id_key);
        let subject = e.attr("Item.Subject");
        if id.is_some() || subject.is_some() {
            items.push(DelItem {
                key: id.as_ref().map(|(k, _)| k.clone()),
                id: id.map(|(_, s)| s),
                subject: subject.map(str::to_owned),
                folder: e.attr("Item.ParentFolder.Path").map(str::to_owned),
            });
        }
    }
    let count = count.max(1);
    let folder = e.attr("Folder.Path").map(str::to_owned);
    for item in &mut items {
        if item.folder.is_none() {
            item.folder = folder.clone();
        }
    }
    (items, count)
}

pub(super) fn deletions(events: &[Event]) -> Vec<Deletion> {
    let mut out: Vec<Deletion> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.source == SourceKind::Ual && is_op(e, DELETE_OPS) && e.outcome.success != Some(false)
        })
        .filter_map(|(i, e)| {
            let (items, count) = deleted_items(e);
            Some(Deletion {
                event: i,
                time: e.time?,
                mailbox: e.user.as_deref()?.to_string(),
                folder: e.attr("Folder.Path").map(str::to_owned),
                items,
                count,
            })
        })
        .collect();
    out.sort_by_key(|d| (d.time, events[d.event].prov));
    out
}

impl Deletion {
    /// The folder one of its items was deleted from.
    pub(super) fn folder_of<'a>(&'a self, item: &'a DelItem) -> Option<&'a str> {
        item.folder.as_deref().or(self.folder.as_deref())
    }
}

/// Deleted items by (mailbox, message id) and by (mailbox, subject): (deletion, item).
#[derive(Default)]
pub(super) struct DeletedIndex {
    by_key: BTreeMap<(String, String), Vec<(usize, usize)>>,
    by_subject: BTreeMap<(String, String), Vec<(usize, usize)>>,
}

impl DeletedIndex {
    pub(super) fn build(deletions: &[Deletion]) -> DeletedIndex {
        let mut index = DeletedIndex::default();
        for (di, d) in deletions.iter().enumerate() {
            for (ii, item) in d.items.iter().enumerate() {
                if let Some(k) = &item.key {
                    index
                        .by_key
                        .entry((d.mailbox.clone(), k.clone()))
                        .or_default()
                        .push((di, ii));
                }
                if let Some(s) = item.subject.as_deref().and_then(subject_key) {
                    index
                        .by_subject
                        .entry((d.mailbox.clone(), s))
                        .or_default()
                        .push((di, ii));
                }
            }
        }
        index
    }
}

/// A deletion record that names a sent message: the record, which of its items, and whether
/// they were matched on the subject (one side has no message id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Removal {
    pub(super) deletion: usize,
    pub(super) item: usize,
    pub(super) heuristic: bool,
}

impl Removal {
    fn new((deletion, item): (usize, usize), heuristic: bool) -> Removal {
        Removal {
            deletion,
            item,
            heuristic,
        }
    }
}

impl Ctx<'_> {
    /// Deletion records of a sent message in its own mailbox, at or after sending: by message
    /// id, else by subject.
    pub(super) fn deletions_of(&self, v: &MessageView) -> Vec<Removal> {
        let earliest = v.time - Duration::minutes(1);
        let mut out: Vec<Removal> = Vec::new();
        if let Some(key) = &v.key {
            if let Some(list) = self.deleted.by_key.get(&(v.mailbox.clone(), key.clone())) {
                out.extend(list.iter().map(|&at| Removal::new(at, false)));
            }
        }
        if let Some(subject) = &v.subject_cmp {
            if let Some(list) = self
                .deleted
                .by_subject
                .get(&(v.mailbox.clone(), subject.clone()))
            {
                out.extend(
                    list.iter()
                        .filter(|&&(di, ii)| {
                            (v.key.is_none() || self.deletions[di].items[ii].key.is_none())
                                && self.deletions[di].time - v.time <= self.options.deleted_within
                        })
                        .map(|&at| Removal::new(at, true)),
                );
            }
        }
        out.retain(|r| self.deletions[r.deletion].time >= earliest);
        out.sort();
        out.dedup_by_key(|r| (r.deletion, r.item));
        out
    }
}

/// `sent_items.deleted`: a sent message removed from its mailbox soon after sending. `dels` are
/// every deletion record of it; `first` is the one within `deleted_within` of sending.
pub(super) fn finding(
    ctx: &Ctx,
    v: &MessageView,
    state: &ViewState,
    dels: &[Removal],
    first: Removal,
) -> Finding {
    let d = &ctx.deletions[first.deletion];
    let e = &ctx.events[d.event];
    let gap = d.time - v.time;
    let from_attacker = ctx.attacker(&v.mailbox).matches(e);
    let severity = if gap <= ctx.options.quick_delete || from_attacker || !v.external.is_empty() {
        Severity::High
    } else {
        Severity::Medium
    };
    let folder = d
        .folder_of(&d.items[first.item])
        .unwrap_or("an unknown folder")
        .to_string();
    let mut f = finding_for(
        e,
        ctx.inputs,
        DELETED,
        severity,
        format!(
            "{} to {}, sent by {} at {}, was removed ({} from {}) {} later{}",
            quote(v.subject.as_deref()),
            recipients_text(v),
            v.mailbox,
            format_utc(v.time),
            e.operation,
            folder,
            human_gap(gap),
            e.ip.map(|ip| format!(", from {ip}")).unwrap_or_default()
        ),
    );
    f.user = Some(v.mailbox.clone());
    ctx.view_fields(&mut f, v, state);
    f.fields
        .insert("deleted_at".into(), Value::String(format_utc(d.time)));
    f.fields
        .insert("gap_minutes".into(), Value::from(gap.num_minutes()));
    f.fields
        .insert("gap_seconds".into(), Value::from(gap.num_seconds()));
    f.fields
        .insert("deletion".into(), Value::String(e.operation.to_string()));
    f.fields
        .insert("deleted_from".into(), Value::String(folder));
    f.fields.insert(
        "deletions".into(),
        strings(
            dels.iter().map(|r| removal_line(ctx, r)),
            ctx.options.max_listed,
        ),
    );
    f.fields.insert(
        "deleted_by_attacker_indicator".into(),
        Value::Bool(from_attacker),
    );
    if first.heuristic {
        f.fields.insert(
            "deletion_match".into(),
            Value::String("heuristic (subject, mailbox, time)".into()),
        );
    }
    ctx.attach(
        &mut f,
        dels.iter()
            .map(|r| ctx.deletions[r.deletion].event)
            .chain(v.audit.iter().copied())
            .chain(v.trace.iter().copied())
            .chain(v.listing.iter().copied()),
    );
    f
}

/// One deletion record of a message as listed: operation, time, folder and address.
fn removal_line(ctx: &Ctx, r: &Removal) -> String {
    let d = &ctx.deletions[r.deletion];
    let e = &ctx.events[d.event];
    format!(
        "{} {} from {}{}",
        e.operation,
        format_utc(d.time),
        d.folder_of(&d.items[r.item]).unwrap_or("?"),
        e.ip.map(|ip| format!(" ({ip})")).unwrap_or_default()
    )
}

fn human_gap(gap: Duration) -> String {
    let s = gap.num_seconds().max(0);
    if s < 120 {
        format!("{s} seconds")
    } else if s < 7200 {
        format!("{} minutes", s / 60)
    } else {
        format!("{} hours", s / 3600)
    }
}
