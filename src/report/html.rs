//! `--html`: one self-contained HTML file for counsel (design.md section 6).
//!
//! Everything shown is computed here into plain view structs and printed by the askama template
//! `templates/report.html`, which escapes every value: the template uses no `safe` filter, so no
//! log-derived string (rule names, subjects, user agents, file names) can reach the page as
//! markup. The page carries a strict Content-Security-Policy, loads nothing, runs no script, and
//! draws its activity charts as inline SVG built from numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use askama::Template;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::{Display, Report, Reporter};
use crate::finding::{Finding, Severity};
use crate::rules::Narrative;
use crate::timeline::Entry;
use crate::window::{Account, Verdict, Window};

/// Renders the report as one HTML page, times in `display.tz`.
pub struct HtmlReporter {
    pub display: Display,
}

impl Reporter for HtmlReporter {
    fn name(&self) -> &'static str {
        "html"
    }

    fn render(&self, report: &Report<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let page = Page::build(report, &self.display);
        let html = page
            .render()
            .map_err(|e| std::io::Error::other(format!("HTML template: {e}")))?;
        out.write_all(html.as_bytes())
    }
}

#[derive(Template)]
#[template(path = "report.html", whitespace = "minimize")]
/// The template's `<meta http-equiv="Content-Security-Policy">` lets nothing load and no script
/// run; only the inline stylesheet and `data:` images are allowed.
struct Page {
    title: String,
    tool: String,
    version: String,
    generated: String,
    generated_utc: String,
    tz: String,
    headline: String,
    overview: Vec<Sentence>,
    cases: Vec<Case>,
    others: Vec<Sentence>,
    severity_counts: Vec<(String, usize)>,
    scope: Scope,
    inputs: Vec<InputRow>,
    diagnostics: Vec<DiagRow>,
    diagnostics_summary: String,
    accounts: Vec<AccountRow>,
    findings: Vec<FindingRow>,
    timelines: Vec<AccountTimeline>,
    other_timeline: Vec<TimelineRow>,
    plans: Vec<Plan>,
    limitations: Vec<String>,
}

/// A sentence in plain words and the findings it rests on.
struct Sentence {
    text: String,
    refs: Vec<String>,
}

/// A compromised account, told as a story.
struct Case {
    anchor: String,
    user: String,
    access: String,
    ended: String,
    addresses: String,
    agents: String,
    did: Vec<Sentence>,
}

struct Scope {
    tenant: String,
    internal_domains: String,
    period: String,
    events: usize,
    duplicates: u64,
    files: usize,
    kinds: Vec<KindRow>,
    accounts_with_findings: usize,
    windows: Vec<(String, String)>,
}

/// Files, records, first and last time of one kind of input.
type KindTotals = (usize, u64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

struct KindRow {
    label: String,
    files: usize,
    records: u64,
    span: String,
}

struct InputRow {
    anchor: String,
    n: usize,
    path: String,
    sha256: String,
    bytes: String,
    kind: String,
    format: String,
    encoding: String,
    records: u64,
    skipped: u64,
    span: String,
    note: String,
    incomplete: bool,
}

struct DiagRow {
    level: String,
    location: String,
    message: String,
}

struct AccountRow {
    anchor: String,
    user: String,
    verdict: String,
    max_severity: String,
    window: String,
    ended: String,
    ips: String,
    agents: String,
    counts: Vec<usize>,
}

struct FindingRow {
    id: String,
    time: String,
    severity: String,
    user: String,
    actor: String,
    rule: String,
    title: String,
    summary: String,
    attack: String,
    fields: Vec<(String, String)>,
    evidence: Vec<EvidenceRef>,
}

/// `[n] file:line`, linked to input `n`'s row in the chain of custody, which gives its full
/// path and hash.
struct EvidenceRef {
    anchor: String,
    n: String,
    text: String,
    path: String,
    record: String,
}

struct TimelineRow {
    time: String,
    user: String,
    place: String,
    summary: String,
    source: String,
    evidence: EvidenceRef,
    findings: Vec<String>,
    /// Outside the account's suspect window (shown greyed).
    outside: bool,
    attacker: bool,
}

struct AccountTimeline {
    anchor: String,
    user: String,
    verdict: String,
    window: String,
    chart: Option<Chart>,
    rows: Vec<TimelineRow>,
    undated: Vec<TimelineRow>,
}

struct Chart {
    id: String,
    width: u32,
    height: u32,
    plot_left: String,
    plot_right: String,
    plot_top: String,
    plot_bottom: String,
    plot_height: String,
    tick_bottom: String,
    window_x: String,
    window_w: String,
    bars: Vec<Bar>,
    xticks: Vec<XTick>,
    yticks: Vec<YTick>,
    title: String,
    caption: String,
}

struct Bar {
    x: String,
    w: String,
    atk_y: String,
    atk_h: String,
    oth_y: String,
    oth_h: String,
    tip: String,
}

struct XTick {
    x: String,
    time: String,
    date: String,
}

struct YTick {
    y: String,
    label: usize,
}

struct Plan {
    anchor: String,
    user: String,
    steps: Vec<PlanStep>,
}

struct PlanStep {
    title: String,
    command: String,
    because: Vec<String>,
}

impl Page {
    fn build(report: &Report<'_>, d: &Display) -> Page {
        let tenant = report.tenant.unwrap_or("").to_string();
        let anchors: BTreeMap<&str, String> = report
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.user.as_str(), format!("account-{}", i + 1)))
            .collect();
        let inputs_by_path: BTreeMap<&str, usize> = report
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| (input.path.as_str(), i + 1))
            .collect();
        let evidence_ref = |input: &str, line: u64, record: Option<&str>| {
            let n = inputs_by_path.get(input);
            EvidenceRef {
                anchor: n.map(|n| format!("input-{n}")).unwrap_or_default(),
                n: n.map(|n| format!("[{n}]")).unwrap_or_default(),
                text: format!("{}:{line}", input.rsplit('/').next().unwrap_or(input)),
                path: input.to_string(),
                record: record.unwrap_or("").to_string(),
            }
        };
        let places = places(report.timeline);

        let compromised: Vec<&Account> = report
            .accounts
            .iter()
            .filter(|a| a.verdict == Verdict::Compromised)
            .collect();
        let suspicious: Vec<&Account> = report
            .accounts
            .iter()
            .filter(|a| a.verdict == Verdict::Suspicious)
            .collect();

        let headline = match (compromised.len(), suspicious.len()) {
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
        };

        let (first, last) = evidence_span(report);
        let mut overview = Vec::new();
        if !tenant.is_empty() {
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

        let cases = compromised
            .iter()
            .map(|a| case(a, report, d, &anchors, &places))
            .collect();

        let mut others = Vec::new();
        let attacker_ips: BTreeSet<IpAddr> = compromised
            .iter()
            .flat_map(|a| a.attacker_ips.iter().copied())
            .collect();
        for a in &suspicious {
            let mine: Vec<&Finding> = findings_of(report, &a.user)
                .filter(|f| f.severity >= Severity::Medium)
                .collect();
            let mut titles: Vec<String> = Vec::new();
            for f in &mine {
                if !titles.contains(&f.title) {
                    titles.push(f.title.clone());
                }
            }
            let shares = findings_of(report, &a.user)
                .any(|f| f.indicators.ips.iter().any(|ip| attacker_ips.contains(ip)));
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
            others.push(Sentence {
                text,
                refs: mine.iter().map(|f| f.id.clone()).collect(),
            });
        }
        let clean_with_findings = report
            .accounts
            .iter()
            .filter(|a| a.verdict == Verdict::Clean && !a.findings.is_empty())
            .count();
        if clean_with_findings > 0 {
            others.push(Sentence::plain(format!(
                "{} had only minor observations (for example a first sign-in from a new address \
                 or an ordinary mail rule); {} listed under Findings for completeness and {} not, \
                 on this evidence, signs of compromise.",
                if clean_with_findings == 1 {
                    "One other account".to_string()
                } else {
                    format!("{clean_with_findings} other accounts")
                },
                if clean_with_findings == 1 {
                    "it is"
                } else {
                    "they are"
                },
                if clean_with_findings == 1 {
                    "is"
                } else {
                    "are"
                },
            )));
        }

        let severity_counts = Severity::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    report.findings.iter().filter(|f| f.severity == *s).count(),
                )
            })
            .collect();

        // Scope.
        let mut kinds: BTreeMap<String, KindTotals> = BTreeMap::new();
        for input in report.inputs {
            let k = kinds.entry(input.kind.clone()).or_default();
            k.0 += 1;
            k.1 += input.records;
            k.2 = min_opt(k.2, input.first);
            k.3 = max_opt(k.3, input.last);
        }
        let scope = Scope {
            tenant: if tenant.is_empty() {
                "not identified in the evidence".into()
            } else {
                tenant.clone()
            },
            internal_domains: if report.internal_domains.is_empty() {
                "none identified".into()
            } else {
                report.internal_domains.join(", ")
            },
            period: match (first, last) {
                (Some(a), Some(b)) => format!("{} to {}", d.time(a), d.time(b)),
                _ => "no dated records".into(),
            },
            events: report.events,
            duplicates: report.duplicates_dropped,
            files: report.inputs.len(),
            kinds: kinds
                .into_iter()
                .map(|(kind, (files, records, a, b))| KindRow {
                    label: kind_label(&kind).to_string(),
                    files,
                    records,
                    span: span(d, a, b),
                })
                .collect(),
            accounts_with_findings: report.accounts.len(),
            windows: report
                .accounts
                .iter()
                .filter_map(|a| {
                    a.window
                        .as_ref()
                        .map(|w| (a.user.clone(), window_text(d, w)))
                })
                .collect(),
        };

        let inputs = report
            .inputs
            .iter()
            .enumerate()
            .map(|(i, input)| {
                let mut note = Vec::new();
                if let Some(reason) = &input.reason {
                    note.push(reason.clone());
                }
                if let Some(container) = &input.container {
                    note.push(format!(
                        "read from the archive {container}{}",
                        input
                            .container_sha256
                            .as_deref()
                            .map(|h| format!(" (SHA-256 {h})"))
                            .unwrap_or_default()
                    ));
                }
                InputRow {
                    anchor: format!("input-{}", i + 1),
                    n: i + 1,
                    path: input.path.clone(),
                    sha256: input.sha256.clone(),
                    bytes: thousands(input.bytes),
                    kind: kind_label(&input.kind).to_string(),
                    format: input.format.unwrap_or("").to_string(),
                    encoding: input.encoding.to_string(),
                    records: input.records,
                    skipped: input.skipped,
                    span: span(d, input.first, input.last),
                    note: note.join("; "),
                    incomplete: input.is_incomplete(),
                }
            })
            .collect();

        let mut levels: BTreeMap<&str, usize> = BTreeMap::new();
        for diag in report.diagnostics {
            *levels.entry(diag.level.as_str()).or_default() += 1;
        }
        let diagnostics_summary = if report.diagnostics.is_empty() {
            "Every input was read without remark.".to_string()
        } else {
            let parts: Vec<String> = ["error", "warning", "info"]
                .iter()
                .filter_map(|l| levels.get(l).map(|n| format!("{n} {l}")))
                .collect();
            format!(
                "{} recorded while reading the inputs ({}); they are listed in the appendix.",
                count_phrase(report.diagnostics.len(), "remark was", "remarks were"),
                parts.join(", ")
            )
        };
        // The same remark on many lines of one input is listed once, with its lines.
        let mut grouped: Vec<(&crate::diag::Diagnostic, Vec<u64>)> = Vec::new();
        for diag in report.diagnostics {
            match grouped.iter_mut().find(|(g, _)| {
                g.level == diag.level && g.input == diag.input && g.message == diag.message
            }) {
                Some((_, lines)) => lines.extend(diag.line),
                None => grouped.push((diag, diag.line.into_iter().collect())),
            }
        }
        let diagnostics = grouped
            .into_iter()
            .map(|(diag, lines)| DiagRow {
                level: diag.level.as_str().to_string(),
                location: match lines.as_slice() {
                    [] => diag.input.clone(),
                    [line] => format!("{}:{line}", diag.input),
                    _ => format!("{}, lines {}", diag.input, line_ranges(&lines)),
                },
                message: diag.message.clone(),
            })
            .collect();

        let accounts = order_accounts(report.accounts)
            .into_iter()
            .map(|a| AccountRow {
                anchor: anchors[a.user.as_str()].clone(),
                user: a.user.clone(),
                verdict: a.verdict.as_str().to_string(),
                max_severity: a.max_severity.as_str().to_string(),
                window: a
                    .window
                    .as_ref()
                    .map(|w| window_text(d, w))
                    .unwrap_or_default(),
                ended: a
                    .window
                    .as_ref()
                    .map(|w| w.end_reason.clone())
                    .unwrap_or_default(),
                ips: a
                    .attacker_ips
                    .iter()
                    .map(|ip| place_of(&places, ip))
                    .collect::<Vec<_>>()
                    .join(", "),
                agents: a.attacker_user_agents.join(", "),
                counts: Severity::ALL
                    .iter()
                    .map(|s| {
                        findings_of(report, &a.user)
                            .filter(|f| f.severity == *s)
                            .count()
                    })
                    .collect(),
            })
            .collect();

        let findings = report
            .findings
            .iter()
            .map(|f| FindingRow {
                id: f.id.clone(),
                time: f
                    .time
                    .map(|t| d.time(t))
                    .unwrap_or_else(|| "(no time)".into()),
                severity: f.severity.as_str().to_string(),
                user: f.user.clone().unwrap_or_default(),
                actor: f
                    .actor
                    .clone()
                    .filter(|a| Some(a) != f.user.as_ref())
                    .unwrap_or_default(),
                rule: f.rule.clone(),
                title: f.title.clone(),
                summary: f.summary.clone(),
                attack: f.attack.join(", "),
                fields: f
                    .fields
                    .iter()
                    .map(|(k, v)| (k.replace('_', " "), value_text(v)))
                    .filter(|(_, v)| !v.is_empty())
                    .collect(),
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| evidence_ref(&e.input, e.line, e.record.as_deref()))
                    .collect(),
            })
            .collect();

        // Timelines: one per account that is not clean, then the rest together.
        let row = |e: &Entry, account: Option<&Account>| {
            let attacker =
                e.ip.as_deref()
                    .and_then(|ip| ip.parse::<IpAddr>().ok())
                    .is_some_and(|ip| attacker_ips.contains(&ip));
            TimelineRow {
                time: e
                    .time
                    .map(|t| d.time(t))
                    .unwrap_or_else(|| "(no time)".into()),
                user: e.user.clone().unwrap_or_default(),
                place: match (&e.ip, &e.country) {
                    (Some(ip), Some(c)) => format!("{ip} ({c})"),
                    (Some(ip), None) => ip.clone(),
                    (None, Some(c)) => c.clone(),
                    (None, None) => String::new(),
                },
                summary: e.summary.clone(),
                source: source_label(e.source.as_str()).to_string(),
                evidence: evidence_ref(&e.evidence.input, e.evidence.line, None),
                findings: e.findings.clone(),
                outside: account.is_some_and(|a| a.window.is_some()) && !e.in_window,
                attacker,
            }
        };
        let mut timelines = Vec::new();
        let mut told: BTreeSet<&str> = BTreeSet::new();
        for a in order_accounts(report.accounts) {
            if a.verdict == Verdict::Clean && a.window.is_none() {
                continue;
            }
            let entries: Vec<&Entry> = report
                .timeline
                .iter()
                .filter(|e| e.user.as_deref() == Some(a.user.as_str()))
                .collect();
            if entries.is_empty() {
                continue;
            }
            told.insert(a.user.as_str());
            let anchor = anchors[a.user.as_str()].clone();
            timelines.push(AccountTimeline {
                chart: a
                    .window
                    .as_ref()
                    .map(|w| chart(&format!("chart-{anchor}"), &entries, a, w, &attacker_ips, d)),
                anchor,
                user: a.user.clone(),
                verdict: a.verdict.as_str().to_string(),
                window: a
                    .window
                    .as_ref()
                    .map(|w| format!("Suspect window {}.", window_text(d, w)))
                    .unwrap_or_else(|| "No suspect window: only flagged events are shown.".into()),
                rows: entries
                    .iter()
                    .filter(|e| e.time.is_some())
                    .map(|e| row(e, Some(a)))
                    .collect(),
                undated: entries
                    .iter()
                    .filter(|e| e.time.is_none())
                    .map(|e| row(e, Some(a)))
                    .collect(),
            });
        }
        let by_user: BTreeMap<&str, &Account> = report
            .accounts
            .iter()
            .map(|a| (a.user.as_str(), a))
            .collect();
        let other_timeline = report
            .timeline
            .iter()
            .filter(|e| !e.user.as_deref().is_some_and(|u| told.contains(u)))
            .map(|e| row(e, e.user.as_deref().and_then(|u| by_user.get(u).copied())))
            .collect();

        let plans = order_accounts(report.accounts)
            .into_iter()
            .filter(|a| !a.remediation.is_empty())
            .map(|a| Plan {
                anchor: anchors[a.user.as_str()].clone(),
                user: a.user.clone(),
                steps: a
                    .remediation
                    .iter()
                    .map(|s| PlanStep {
                        title: s.title.clone(),
                        command: s.command.clone(),
                        because: s.because.clone(),
                    })
                    .collect(),
            })
            .collect();

        Page {
            title: if tenant.is_empty() {
                "Microsoft 365 account compromise report".to_string()
            } else {
                format!("Microsoft 365 account compromise report: {tenant}")
            },
            tool: report.tool.name.to_string(),
            version: report.tool.version.to_string(),
            generated: d.time(report.generated_at),
            generated_utc: iso_utc(report.generated_at),
            tz: d.tz.name().to_string(),
            headline,
            overview,
            cases,
            others,
            severity_counts,
            scope,
            inputs,
            diagnostics,
            diagnostics_summary,
            accounts,
            findings,
            timelines,
            other_timeline,
            plans,
            limitations: report.limitations.clone(),
        }
    }
}

impl Sentence {
    fn plain(text: String) -> Sentence {
        Sentence {
            text,
            refs: Vec::new(),
        }
    }
}

/// The story of one compromised account: when, from where, and what was done.
fn case(
    a: &Account,
    report: &Report<'_>,
    d: &Display,
    anchors: &BTreeMap<&str, String>,
    places: &BTreeMap<String, String>,
) -> Case {
    let (access, ended) = match &a.window {
        Some(w) => {
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
        None => (
            "The evidence does not fix when the attacker's access began.".to_string(),
            String::new(),
        ),
    };
    let addresses = if a.attacker_ips.is_empty() {
        String::new()
    } else {
        format!(
            "The attacker connected from {} {}: {}.",
            if a.attacker_ips.len() == 1 {
                "this"
            } else {
                "these"
            },
            if a.attacker_ips.len() == 1 {
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
    };
    let agents = if a.attacker_user_agents.is_empty() {
        String::new()
    } else {
        format!(
            "It identified itself with the program name (user agent) {}.",
            a.attacker_user_agents
                .iter()
                .map(|u| format!("'{u}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };

    // What was done: the account's own findings (not an administrator's actions), at medium
    // severity or above, or inside the suspect window; grouped into plain-words activities and
    // told in the order they began.
    let in_window = |f: &Finding| {
        a.window
            .as_ref()
            .zip(f.time)
            .is_some_and(|(w, t)| t >= w.start && t <= w.end)
    };
    let mut groups: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in findings_of(report, &a.user) {
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
    Case {
        anchor: anchors[a.user.as_str()].clone(),
        user: a.user.clone(),
        access,
        ended,
        addresses,
        agents,
        did: did.into_iter().map(|(_, s)| s).collect(),
    }
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
        let mut titles: Vec<String> = Vec::new();
        for f in fs {
            if !titles.contains(&f.title) {
                titles.push(f.title.clone());
            }
        }
        return format!("{}.", titles.join("; "));
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

/// Events per time slot across the suspect window: attacker-address events in red, the rest in
/// grey, the window shaded. Slots are an hour, or shorter (down to 5 minutes) when that gives
/// fewer than 12 bars, or longer when it gives more than 96.
fn chart(
    id: &str,
    entries: &[&Entry],
    a: &Account,
    w: &Window,
    attacker_ips: &BTreeSet<IpAddr>,
    d: &Display,
) -> Chart {
    const WIDTH: u32 = 960;
    const HEIGHT: u32 = 230;
    let (left, right, top, bottom) = (44.0, 12.0, 12.0, 46.0);
    let plot_w = f64::from(WIDTH) - left - right;
    let plot_h = f64::from(HEIGHT) - top - bottom;

    let span = (w.end - w.start).num_seconds().max(1);
    let bars = |slot: i64| span / slot + 3;
    let slot = if bars(3600) < 12 {
        [1800, 900, 600, 300]
            .into_iter()
            .find(|s| bars(*s) >= 12)
            .unwrap_or(300)
    } else {
        [3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
            .into_iter()
            .find(|s| bars(*s) <= 96)
            .unwrap_or(604800)
    };
    // One empty slot of context before and after the window.
    let origin = w.start.timestamp().div_euclid(slot) * slot - slot;
    let slots = ((w.end.timestamp() - origin) / slot + 2).max(1) as usize;
    let total = (slots as i64 * slot) as f64;
    let x_of = |secs: i64| left + (secs - origin) as f64 / total * plot_w;

    let mut counts = vec![(0usize, 0usize); slots];
    for e in entries {
        let Some(t) = e.time else { continue };
        let i = (t.timestamp() - origin).div_euclid(slot);
        if i < 0 || i as usize >= slots {
            continue;
        }
        let attacker =
            e.ip.as_deref()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .is_some_and(|ip| attacker_ips.contains(&ip));
        if attacker {
            counts[i as usize].0 += 1;
        } else {
            counts[i as usize].1 += 1;
        }
    }
    let max = counts.iter().map(|(x, y)| x + y).max().unwrap_or(0).max(1);
    let scale_max = nice_ceiling(max);
    let y_of = |n: usize| top + plot_h - n as f64 / scale_max as f64 * plot_h;
    let slot_w = plot_w / slots as f64;
    let at = |i: usize| DateTime::<Utc>::from_timestamp(origin + i as i64 * slot, 0);
    let local = |t: DateTime<Utc>| t.with_timezone(&d.tz);

    let bars = counts
        .iter()
        .enumerate()
        .filter(|(_, (x, y))| x + y > 0)
        .map(|(i, &(atk, oth))| {
            let x = left + i as f64 * slot_w + slot_w * 0.12;
            let bw = slot_w * 0.76;
            let atk_top = y_of(atk);
            let oth_top = y_of(atk + oth);
            let from = at(i).map(|t| local(t).format("%Y-%m-%d %H:%M").to_string());
            let to = at(i + 1).map(|t| local(t).format("%H:%M %Z").to_string());
            Bar {
                x: f1(x),
                w: f1(bw),
                atk_y: f1(atk_top),
                atk_h: f1(top + plot_h - atk_top),
                oth_y: f1(oth_top),
                oth_h: f1(atk_top - oth_top),
                tip: format!(
                    "{}–{}: {} event{}, {} from attacker addresses",
                    from.unwrap_or_default(),
                    to.unwrap_or_default(),
                    atk + oth,
                    if atk + oth == 1 { "" } else { "s" },
                    atk
                ),
            }
        })
        .collect();

    let every = slots.div_ceil(8).max(1);
    let mut last_date = String::new();
    let xticks = (0..=slots)
        .step_by(every)
        .filter_map(|i| {
            let t = local(at(i)?);
            let date = t.format("%Y-%m-%d").to_string();
            let show_date = date != last_date;
            last_date = date.clone();
            Some(XTick {
                x: f1(left + i as f64 * slot_w),
                time: t.format("%H:%M").to_string(),
                date: if show_date { date } else { String::new() },
            })
        })
        .collect();
    let mut yticks: Vec<YTick> = vec![
        YTick {
            y: f1(y_of(0)),
            label: 0,
        },
        YTick {
            y: f1(y_of(scale_max)),
            label: scale_max,
        },
    ];
    if scale_max >= 2 && scale_max % 2 == 0 {
        yticks.insert(
            1,
            YTick {
                y: f1(y_of(scale_max / 2)),
                label: scale_max / 2,
            },
        );
    }

    let in_window: usize = entries
        .iter()
        .filter(|e| e.time.is_some_and(|t| t >= w.start && t <= w.end))
        .count();
    let atk_total: usize = counts.iter().map(|c| c.0).sum();
    Chart {
        id: id.to_string(),
        width: WIDTH,
        height: HEIGHT,
        plot_left: f1(left),
        plot_right: f1(left + plot_w),
        plot_top: f1(top),
        plot_bottom: f1(top + plot_h),
        plot_height: f1(plot_h),
        tick_bottom: f1(top + plot_h + 5.0),
        window_x: f1(x_of(w.start.timestamp())),
        window_w: f1((x_of(w.end.timestamp()) - x_of(w.start.timestamp())).max(1.0)),
        bars,
        xticks,
        yticks,
        title: format!("Activity of {} per {}", a.user, slot_text(slot)),
        caption: format!(
            "Events of {} per {}, times in {}: {} in the suspect window, {} of them from the \
             attacker's addresses (red); other activity in grey; the suspect window is shaded.",
            a.user,
            slot_text(slot),
            d.tz.name(),
            in_window,
            atk_total
        ),
    }
}

fn slot_text(secs: i64) -> String {
    match secs {
        s if s % 86400 == 0 && s > 86400 => format!("{} days", s / 86400),
        86400 => "day".into(),
        3600 => "hour".into(),
        s if s % 3600 == 0 => format!("{} hours", s / 3600),
        s => format!("{} minutes", s / 60),
    }
}

fn nice_ceiling(n: usize) -> usize {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= n {
                return m * step;
            }
        }
        step *= 10;
    }
}

fn f1(x: f64) -> String {
    format!("{x:.1}")
}

/// The country each address was seen from, from the timeline.
fn places(timeline: &[Entry]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in timeline {
        if let (Some(ip), Some(country)) = (&e.ip, &e.country) {
            out.entry(ip.clone()).or_insert_with(|| country.clone());
        }
    }
    out
}

fn place_of(places: &BTreeMap<String, String>, ip: &IpAddr) -> String {
    let ip = ip.to_string();
    match places.get(&ip) {
        Some(country) => format!("{ip} ({country})"),
        None => ip,
    }
}

fn findings_of<'r>(report: &'r Report<'_>, user: &'r str) -> impl Iterator<Item = &'r Finding> {
    report
        .findings
        .iter()
        .filter(move |f| f.user.as_deref() == Some(user))
}

/// Compromised first, then suspicious, then clean; by name within each.
fn order_accounts(accounts: &[Account]) -> Vec<&Account> {
    let mut v: Vec<&Account> = accounts.iter().collect();
    v.sort_by(|a, b| b.verdict.cmp(&a.verdict).then_with(|| a.user.cmp(&b.user)));
    v
}

fn evidence_span(report: &Report<'_>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    report.inputs.iter().fold((None, None), |(a, b), i| {
        (min_opt(a, i.first), max_opt(b, i.last))
    })
}

fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn span(d: &Display, a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => format!("{} to {}", d.time(a), d.time(b)),
        _ => "no dated records".into(),
    }
}

fn window_text(d: &Display, w: &Window) -> String {
    format!(
        "{} to {} ({})",
        d.time(w.start),
        d.time(w.end),
        duration_text(w.end - w.start)
    )
}

fn duration_text(span: Duration) -> String {
    let minutes = span.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(unit(days, "day", "days"));
    }
    if hours > 0 {
        parts.push(unit(hours, "hour", "hours"));
    }
    if mins > 0 && days == 0 {
        parts.push(unit(mins, "minute", "minutes"));
    }
    if parts.is_empty() {
        "under a minute".into()
    } else {
        parts.join(" ")
    }
}

fn iso_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `12,345,678`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `4–9, 12, 15–16`.
fn line_ranges(lines: &[u64]) -> String {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            sorted[i].to_string()
        } else {
            format!("{}–{}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

fn count_phrase(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn was_were(n: usize) -> String {
    if n == 1 {
        "One account was".into()
    } else {
        format!("{n} accounts were")
    }
}

fn field_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().flat_map(|x| field_strings(Some(x))).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.to_string()],
    }
}

fn value_text(v: &Value) -> String {
    field_strings(Some(v)).join(", ")
}

fn kind_label(kind: &str) -> &str {
    match kind {
        "ual" => "Unified Audit Log",
        "signin" => "Entra ID sign-in log",
        "inbox_rules" => "Inbox rules (Get-InboxRule)",
        "mailbox" => "Mailbox settings (Get-Mailbox)",
        "message_trace" => "Message trace",
        "sent_items" => "Sent Items listing",
        "entra_audit" => "Entra ID audit log",
        "unsupported" => "Not a recognised export",
        "unreadable" => "Could not be read",
        other => other,
    }
}

fn source_label(kind: &str) -> &str {
    match kind {
        "ual" => "audit log",
        "signin" => "sign-in log",
        "inbox_rules" => "inbox rules",
        "mailbox" => "mailbox settings",
        "message_trace" => "message trace",
        "sent_items" => "Sent Items",
        "entra_audit" => "directory audit",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(542405), "542,405");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(duration_text(Duration::minutes(250)), "4 hours 10 minutes");
        assert_eq!(duration_text(Duration::minutes(1500)), "1 day 1 hour");
        assert_eq!(duration_text(Duration::seconds(20)), "under a minute");
        assert_eq!(slot_text(900), "15 minutes");
        assert_eq!(slot_text(3600), "hour");
        assert_eq!(line_ranges(&[9, 4, 5, 6, 12, 15, 16]), "4–6, 9, 12, 15–16");
        assert_eq!(line_ranges(&[3]), "3");
    }
}
