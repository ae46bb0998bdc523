//! The case summary in plain words: the headline, the overview, the story of each compromised
//! account (told from the rule catalogue's `narrative` entries), and a sentence on each other
//! account worth a look. Every sentence cites the findings it rests on.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::format::{duration_text, field_strings, place_of, was_were};
use super::view::{Ctx, evidence_span};
use crate::finding::{Finding, Severity};
use crate::report::{Display, Report};
use crate::rules::Narrative;
use crate::window::{Account, Verdict};

/// A sentence in plain words and the ids of the findings it rests on.
pub struct Sentence {
    pub text: String,
    pub refs: Vec<String>,
}

impl Sentence {
    fn plain(text: String) -> Sentence {
        Sentence {
            text,
            refs: Vec::new(),
        }
    }
}

/// A compromised account, told as a story.
pub struct Case {
    /// `account-n`, as in the account table.
    pub anchor: String,
    pub user: String,
    /// When the attacker had access.
    pub access: String,
    /// How the access ended, or that nothing in the evidence ended it.
    pub ended: String,
    /// The attacker's internet addresses (empty when none is known).
    pub addresses: String,
    /// The attacker's user agents (empty when none is known).
    pub agents: String,
    /// What whoever held the account did, one sentence per kind of activity, in the order the
    /// activities began.
    pub did: Vec<Sentence>,
}

/// One line: how many accounts were compromised and how many more look suspicious.
pub fn headline(accounts: &[Account]) -> String {
    let count = |v: Verdict| accounts.iter().filter(|a| a.verdict == v).count();
    match (count(Verdict::Compromised), count(Verdict::Suspicious)) {
        (0, 0) => "No account shows signs of compromise in the evidence examined.".to_string(),
        (0, 1) => "No account was found compromised; one account looks suspicious.".to_string(),
        (0, s) => format!("No account was found compromised; {s} accounts look suspicious."),
        (c, 0) => format!("{} compromised.", was_were(c)),
        (c, 1) => format!(
            "{} compromised; one more account looks suspicious.",
            was_were(c)
        ),
        (c, s) => format!(
            "{} compromised; {s} more accounts look suspicious.",
            was_were(c)
        ),
    }
}

/// The tenant, what was read, and how the statements cite their evidence.
pub fn overview(ctx: &Ctx<'_, '_>) -> Vec<Sentence> {
    let (report, d) = (ctx.report, ctx.d);
    let (first, last) = evidence_span(report);
    let mut overview = Vec::new();
    if let Some(tenant) = report.tenant.filter(|t| !t.is_empty()) {
        overview.push(Sentence::plain(format!(
            "This report covers the Microsoft 365 tenant {tenant}."
        )));
    }
    overview.push(Sentence::plain(format!(
        "uala read {} records from {} evidence {}{}.",
        report.events,
        report.inputs.len(),
        if report.inputs.len() == 1 {
            "file"
        } else {
            "files"
        },
        match (first, last) {
            (Some(a), Some(b)) => format!(", covering {} to {}", d.time(a), d.time(b)),
            _ => String::new(),
        }
    )));
    overview.push(Sentence::plain(
        "Each statement below cites the findings (F-numbers) it rests on, and each finding \
         cites the file and line of the log records behind it, so every statement can be \
         checked against the original exports."
            .to_string(),
    ));
    overview
}

/// The story of each compromised account, in the report's order.
pub fn cases(ctx: &Ctx<'_, '_>) -> Vec<Case> {
    ctx.report
        .accounts
        .iter()
        .filter(|a| a.verdict == Verdict::Compromised)
        .map(|a| case(a, ctx))
        .collect()
}

/// A sentence on each suspicious account, then one on the clean accounts that have findings.
pub fn others(ctx: &Ctx<'_, '_>) -> Vec<Sentence> {
    let mut others: Vec<Sentence> = ctx
        .report
        .accounts
        .iter()
        .filter(|a| a.verdict == Verdict::Suspicious)
        .map(|a| suspicious(a, ctx))
        .collect();
    let clean_with_findings = ctx
        .report
        .accounts
        .iter()
        .filter(|a| a.verdict == Verdict::Clean && !a.findings.is_empty())
        .count();
    if clean_with_findings > 0 {
        let one = clean_with_findings == 1;
        others.push(Sentence::plain(format!(
            "{} had only minor observations (for example a first sign-in from a new address \
             or an ordinary mail rule); {} listed under Findings for completeness and {} not, \
             on this evidence, signs of compromise.",
            if one {
                "One other account".to_string()
            } else {
                format!("{clean_with_findings} other accounts")
            },
            if one { "it is" } else { "they are" },
            if one { "is" } else { "are" },
        )));
    }
    others
}

/// Why a suspicious account is worth a look: its findings of medium severity or above, and
/// whether an attacker's address reached it.
fn suspicious(a: &Account, ctx: &Ctx<'_, '_>) -> Sentence {
    let mine: Vec<&Finding> = ctx
        .findings_of(&a.user)
        .filter(|f| f.severity >= Severity::Medium)
        .collect();
    let titles = titles(&mine);
    let shares = ctx.findings_of(&a.user).any(|f| {
        f.indicators
            .ips
            .iter()
            .any(|ip| ctx.attacker_ips.contains(ip))
    });
    let mut text = format!(
        "{} looks suspicious, but the evidence does not show that it was taken over",
        a.user
    );
    if !titles.is_empty() {
        text.push_str(&format!(": {}", titles.join("; ")));
    }
    text.push('.');
    if shares {
        text.push_str(" It was accessed from an address that the attacker also used, so it should be checked and its password reset.");
    }
    Sentence {
        text,
        refs: mine.iter().map(|f| f.id.clone()).collect(),
    }
}

/// The story of one compromised account: when, from where, and what was done.
fn case(a: &Account, ctx: &Ctx<'_, '_>) -> Case {
    let (access, ended) = access(a, ctx.d);
    Case {
        anchor: ctx.anchor(&a.user),
        user: a.user.clone(),
        access,
        ended,
        addresses: addresses(a, &ctx.places),
        agents: agents(a),
        did: activities(a, ctx),
    }
}

/// When the attacker had access, and how that access ended.
fn access(a: &Account, d: &Display) -> (String, String) {
    let Some(w) = &a.window else {
        return (
            "The evidence does not fix when the attacker's access began.".to_string(),
            String::new(),
        );
    };
    let access = format!(
        "The attacker had access to this account from {} to {} ({}).",
        d.time(w.start),
        d.time(w.end),
        duration_text(w.end - w.start)
    );
    let ended = if w.end_reason.starts_with("last event") {
        format!(
            "The last activity linked to the attacker is at {}. No containment (password \
             reset, session revocation, account disabled) appears in the evidence after \
             it, so the attacker may still have access.",
            d.time(w.end)
        )
    } else {
        format!(
            "The access was contained at {} by this action: {}.",
            d.time(w.end),
            w.end_reason
        )
    };
    (access, ended)
}

fn addresses(a: &Account, places: &BTreeMap<String, String>) -> String {
    if a.attacker_ips.is_empty() {
        return String::new();
    }
    let one = a.attacker_ips.len() == 1;
    format!(
        "The attacker connected from {} {}: {}.",
        if one { "this" } else { "these" },
        if one {
            "internet address"
        } else {
            "internet addresses"
        },
        a.attacker_ips
            .iter()
            .map(|ip| place_of(places, ip))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn agents(a: &Account) -> String {
    if a.attacker_user_agents.is_empty() {
        return String::new();
    }
    format!(
        "It identified itself with the program name (user agent) {}.",
        a.attacker_user_agents
            .iter()
            .map(|u| format!("'{u}'"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// What was done: the account's own findings (not an administrator's actions), at medium
/// severity or above, or inside the suspect window; grouped into plain-words activities and
/// told in the order they began.
fn activities(a: &Account, ctx: &Ctx<'_, '_>) -> Vec<Sentence> {
    let report = ctx.report;
    let in_window = |f: &Finding| {
        a.window
            .as_ref()
            .zip(f.time)
            .is_some_and(|(w, t)| t >= w.start && t <= w.end)
    };
    let mut groups: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in ctx.findings_of(&a.user) {
        let someone_else = f.actor.as_deref().is_some_and(|actor| {
            actor != a.user
                && !f
                    .indicators
                    .ips
                    .iter()
                    .any(|ip| a.attacker_ips.contains(ip))
        });
        if someone_else || f.severity == Severity::Info {
            continue;
        }
        if f.severity >= Severity::Medium || in_window(f) {
            let text = activity(report, &f.rule).map(|n| n.text.as_str());
            groups.entry(text).or_default().push(f);
        }
    }
    let mut did: Vec<(Option<DateTime<Utc>>, Sentence)> = groups
        .into_iter()
        .map(|(kind, fs)| {
            let began = fs.iter().filter_map(|f| f.time).min();
            let mut refs: Vec<String> = fs.iter().map(|f| f.id.clone()).collect();
            refs.sort();
            refs.dedup();
            (
                began,
                Sentence {
                    text: activity_sentence(report, kind, &fs),
                    refs,
                },
            )
        })
        .collect();
    // Dated activities in time order, then those known only from current-state dumps.
    did.sort_by_key(|(t, s)| (t.is_none(), *t, s.refs.first().cloned()));
    did.into_iter().map(|(_, s)| s).collect()
}

/// The case-story sentence of a rule's findings (catalogue `narrative`), if it has one.
fn activity<'c>(report: &Report<'c>, rule: &str) -> Option<&'c Narrative> {
    report.catalogue.get(rule)?.spec.narrative.as_ref()
}

/// One sentence for a group of findings told together: the narrative's text, the values of its
/// listed field, and any addendum; findings of rules without a narrative are named by title.
fn activity_sentence(report: &Report<'_>, text: Option<&str>, fs: &[&Finding]) -> String {
    let narratives: Vec<&Narrative> = fs
        .iter()
        .filter_map(|f| activity(report, &f.rule))
        .collect();
    let Some(text) = text else {
        return format!("{}.", titles(fs).join("; "));
    };
    let shape = narratives.iter().find(|n| n.list.is_some());
    let mut items: Vec<String> = Vec::new();
    if let Some(shape) = shape {
        let key = shape.list.as_deref().unwrap_or_default();
        for f in fs {
            for v in field_strings(f.fields.get(key)) {
                if !items.contains(&v) {
                    items.push(v);
                }
            }
        }
        if shape.quote || shape.empty.is_some() {
            for item in &mut items {
                *item = match &shape.empty {
                    Some(empty) if item.trim().is_empty() || item == "(empty)" => empty.clone(),
                    _ if shape.quote => format!("'{item}'"),
                    _ => item.clone(),
                };
            }
        }
    }
    let mut sentence = if items.is_empty() {
        text.to_string()
    } else {
        format!("{text} ({})", items.join(", "))
    };
    let mut addenda: Vec<&str> = narratives
        .iter()
        .filter_map(|n| n.addendum.as_deref())
        .collect();
    addenda.dedup();
    for a in addenda {
        sentence.push_str(a);
    }
    sentence.push('.');
    sentence
}

/// The findings' distinct titles, in order.
fn titles(fs: &[&Finding]) -> Vec<String> {
    let mut titles: Vec<String> = Vec::new();
    for f in fs {
        if !titles.contains(&f.title) {
            titles.push(f.title.clone());
        }
    }
    titles
}
