//! `sent_items.burst`: a window with many messages or external recipients, or one subject to
//! many external recipients over a day, that the account's own history does not match (EXF-07).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::join::MessageView;
use super::subjects::base_subject;
use super::windows::window_ends;
use super::{BURST, Ctx, date, quote, strings, window_fields};
use crate::analyzers::finding_for;
use crate::finding::{Finding, Severity};
use crate::ingest::time::format_utc;

/// One window's totals.
#[derive(Clone, Copy, Default)]
struct Tally {
    messages: usize,
    external: usize,
}

/// Messages and distinct external recipients of each window (`ends` from [`window_ends`]).
fn sliding_tallies(msgs: &[&MessageView], ends: &[usize]) -> Vec<Tally> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(msgs.len());
    let mut hi = 0;
    for (i, v) in msgs.iter().enumerate() {
        while hi < ends[i] {
            for r in &msgs[hi].external {
                *counts.entry(r.as_str()).or_default() += 1;
            }
            hi += 1;
        }
        out.push(Tally {
            messages: ends[i] - i,
            external: counts.len(),
        });
        for r in &v.external {
            if let Some(n) = counts.get_mut(r.as_str()) {
                *n -= 1;
                if *n == 0 {
                    counts.remove(r.as_str());
                }
            }
        }
    }
    out
}

/// `sent_items.burst`, per mailbox: the windows that are bursts, less those the account's
/// history matches (a newsletter, a mailing).
pub(super) fn findings(ctx: &Ctx, views: &[MessageView], out: &mut Vec<Finding>) {
    let mut by_mailbox: BTreeMap<&str, Vec<&MessageView>> = BTreeMap::new();
    for v in views
        .iter()
        .filter(|v| !v.trace.is_empty() || !v.audit.is_empty())
    {
        by_mailbox.entry(v.mailbox.as_str()).or_default().push(v);
    }
    for (mailbox, mut msgs) in by_mailbox {
        msgs.sort_by_key(|v| (v.time, v.trace.first().or(v.audit.first()).copied()));
        let sent = Sent::new(ctx, mailbox, msgs);
        for c in sent.candidates() {
            if let Some(b) = sent.burst(c) {
                out.push(sent.finding(&b));
            }
        }
    }
}

/// The mail one mailbox sent, in time order, with the tallies of every window of each length
/// (an hour for volume, a day for one subject) for its history.
struct Sent<'c, 'a> {
    ctx: &'c Ctx<'a>,
    mailbox: &'c str,
    msgs: Vec<&'c MessageView>,
    times: Vec<DateTime<Utc>>,
    hour_ends: Vec<usize>,
    day_ends: Vec<usize>,
    hour: Vec<Tally>,
    day: Vec<Tally>,
}

/// A window that may be a burst: messages `start..end`, all of them or, for `one_subject`, those
/// with the base subject of the first.
#[derive(Clone, Copy)]
struct Candidate {
    start: usize,
    end: usize,
    one_subject: bool,
}

/// A burst the account's history does not match.
struct Burst<'c> {
    one_subject: bool,
    members: Vec<&'c MessageView>,
    external: BTreeSet<&'c str>,
    current: Tally,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Earlier days with sending.
    baseline_days: usize,
    /// The busiest earlier window of the same length: external recipients, messages.
    prior_max: usize,
    prior_max_messages: usize,
}

impl<'c, 'a> Sent<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>, mailbox: &'c str, msgs: Vec<&'c MessageView>) -> Self {
        let times: Vec<DateTime<Utc>> = msgs.iter().map(|v| v.time).collect();
        let hour_ends = window_ends(&times, ctx.options.window);
        let day_ends = window_ends(&times, ctx.options.subject_window);
        let hour = sliding_tallies(&msgs, &hour_ends);
        let day = sliding_tallies(&msgs, &day_ends);
        Sent {
            ctx,
            mailbox,
            msgs,
            times,
            hour_ends,
            day_ends,
            hour,
            day,
        }
    }

    /// Windows of an hour with many messages or external recipients, then windows of a day
    /// with one subject to many external recipients that are not wholly among those.
    fn candidates(&self) -> Vec<Candidate> {
        let options = self.ctx.options;
        let is_burst = |t: Tally| {
            t.external >= options.burst_external_recipients || t.messages >= options.burst_messages
        };
        let mut candidates: Vec<Candidate> = Vec::new();
        let mut i = 0;
        while i < self.msgs.len() {
            if is_burst(self.hour[i]) {
                candidates.push(Candidate {
                    start: i,
                    end: self.hour_ends[i],
                    one_subject: false,
                });
                i = self.hour_ends[i];
            } else {
                i += 1;
            }
        }
        let mut handled: BTreeSet<usize> = BTreeSet::new();
        for c in &candidates {
            handled.extend(c.start..c.end);
        }
        candidates.extend(self.subject_candidates(&mut handled));
        candidates
    }

    /// One subject to many external recipients over a day.
    fn subject_candidates(&self, handled: &mut BTreeSet<usize>) -> Vec<Candidate> {
        let options = self.ctx.options;
        let mut by_subject: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (ix, v) in self.msgs.iter().enumerate() {
            let (base, _) = base_subject(v.subject.as_deref().unwrap_or(""));
            if !base.is_empty() {
                by_subject.entry(base).or_default().push(ix);
            }
        }
        let mut candidates: Vec<Candidate> = Vec::new();
        for list in by_subject.values() {
            let mut k = 0;
            while k < list.len() {
                let start = self.times[list[k]];
                let members: Vec<usize> = list[k..]
                    .iter()
                    .copied()
                    .take_while(|&ix| self.times[ix] < start + options.subject_window)
                    .collect();
                let ext: BTreeSet<&str> = members
                    .iter()
                    .flat_map(|&ix| self.msgs[ix].external.iter().map(String::as_str))
                    .collect();
                if ext.len() >= options.burst_external_recipients
                    && !members.iter().all(|ix| handled.contains(ix))
                {
                    handled.extend(members.iter().copied());
                    let last = *members.last().unwrap_or(&list[k]);
                    candidates.push(Candidate {
                        start: list[k],
                        end: last + 1,
                        one_subject: true,
                    });
                    k += members.len();
                } else {
                    k += 1;
                }
            }
        }
        candidates
    }

    /// The candidate as a burst, unless the account did much the same on an earlier day.
    fn burst(&self, c: Candidate) -> Option<Burst<'c>> {
        let (a, times) = (c.start, &self.times);
        let start = times[a];
        let members: Vec<&MessageView> = if c.one_subject {
            let (base, _) = base_subject(self.msgs[a].subject.as_deref().unwrap_or(""));
            self.msgs[a..c.end]
                .iter()
                .copied()
                .filter(|v| base_subject(v.subject.as_deref().unwrap_or("")).0 == base)
                .collect()
        } else {
            self.msgs[a..c.end].to_vec()
        };
        let external: BTreeSet<&str> = members
            .iter()
            .flat_map(|v| v.external.iter().map(String::as_str))
            .collect();
        let current = Tally {
            messages: members.len(),
            external: external.len(),
        };
        let (history, ends) = if c.one_subject {
            (&self.day, &self.day_ends)
        } else {
            (&self.hour, &self.hour_ends)
        };
        // Earlier windows, wholly before this one and on earlier days.
        let earlier: Vec<usize> = (0..a)
            .filter(|&k| ends[k] <= a && date(times[k]) < date(start))
            .collect();
        let similar = earlier.iter().any(|&k| {
            let h = history[k];
            2 * h.external >= current.external && 2 * h.messages >= current.messages
        });
        if similar {
            return None; // the account has done this before: a newsletter, a mailing
        }
        let baseline_days: BTreeSet<NaiveDate> = times[..a]
            .iter()
            .map(|t| date(*t))
            .filter(|d| *d < date(start))
            .collect();
        let prior = |tally: fn(&Tally) -> usize| earlier.iter().map(|&k| tally(&history[k])).max();
        Some(Burst {
            one_subject: c.one_subject,
            end: members.last().map_or(start, |v| v.time),
            members,
            external,
            current,
            start,
            baseline_days: baseline_days.len(),
            prior_max: prior(|t| t.external).unwrap_or(0),
            prior_max_messages: prior(|t| t.messages).unwrap_or(0),
        })
    }

    fn finding(&self, b: &Burst) -> Finding {
        let (ctx, cap) = (self.ctx, self.ctx.options.max_listed);
        let baseline = b.baseline_days >= ctx.options.min_baseline_days;
        let severity = if baseline {
            Severity::Medium
        } else {
            Severity::Low
        };
        let anchor = b.members[0].sent_record().unwrap_or_default();
        let subjects: BTreeSet<&str> = b
            .members
            .iter()
            .filter_map(|v| v.subject.as_deref())
            .collect();
        let mut f = finding_for(
            &ctx.events[anchor],
            ctx.inputs,
            BURST,
            severity,
            self.summary(b, baseline),
        );
        f.user = Some(self.mailbox.to_string());
        f.time = Some(b.start);
        window_fields(&mut f, b.start, b.end);
        f.fields
            .insert("messages".into(), Value::from(b.current.messages as u64));
        f.fields.insert(
            "external_recipient_count".into(),
            Value::from(b.current.external as u64),
        );
        f.fields.insert(
            "external_recipients".into(),
            strings(b.external.iter().map(|s| s.to_string()), cap),
        );
        f.fields
            .insert("subjects".into(), strings(subjects.iter().copied(), cap));
        f.fields.insert(
            "message_ids".into(),
            strings(b.members.iter().map(|v| v.label()), cap),
        );
        let kind = if b.one_subject {
            "one subject to many recipients"
        } else {
            "volume"
        };
        f.fields.insert("kind".into(), Value::String(kind.into()));
        f.fields.insert("baseline".into(), Value::Bool(baseline));
        f.fields
            .insert("baseline_days".into(), Value::from(b.baseline_days as u64));
        f.fields.insert(
            "prior_max_external_recipients".into(),
            Value::from(b.prior_max as u64),
        );
        f.fields.insert(
            "prior_max_messages".into(),
            Value::from(b.prior_max_messages as u64),
        );
        ctx.merge_indicators(&mut f, b.members.iter().filter_map(|v| v.sent_record()));
        ctx.attach(
            &mut f,
            b.members
                .iter()
                .flat_map(|v| v.audit.iter().chain(v.trace.iter().take(1)).copied()),
        );
        f
    }

    fn summary(&self, b: &Burst, baseline: bool) -> String {
        let (mailbox, prior_max) = (self.mailbox, b.prior_max);
        let (start, end) = (b.start, b.end);
        format!(
            "{mailbox} sent {} to {} external recipients {}{}; {}",
            if b.current.messages == 1 {
                "1 message".to_string()
            } else {
                format!("{} messages", b.current.messages)
            },
            b.current.external,
            if end == start {
                format!("at {}", format_utc(start))
            } else {
                format!("between {} and {}", format_utc(start), format_utc(end))
            },
            if b.one_subject {
                format!(
                    " under one subject {}",
                    quote(b.members[0].subject.as_deref())
                )
            } else {
                String::new()
            },
            if baseline {
                format!(
                    "its busiest earlier {} reached {prior_max} external recipients",
                    if b.one_subject { "day" } else { "hour" }
                )
            } else {
                "there is no earlier sending to compare with (no baseline)".into()
            }
        )
    }
}
