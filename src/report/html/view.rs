//! The page's view model: [`Page::build`] computes every value the template prints, from the
//! report, in the display time zone. This file builds the scope, the account and finding tables
//! and the remediation checklist; the case summary, chain of custody, timelines and charts have
//! files of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::format::{
    iso_utc, kind_label, max_opt, min_opt, place_of, span, value_text, window_text,
};
use super::{Page, custody, narrative, timeline};
use crate::finding::{Finding, Severity};
use crate::report::{Display, Report};
use crate::timeline::Entry;
use crate::window::{Account, Verdict};

impl Page {
    /// The page of `report`, times shown in `d`'s zone.
    pub fn build(report: &Report<'_>, d: &Display) -> Page {
        let ctx = Ctx::new(report, d);
        let (timelines, other_timeline) = timeline::timelines(&ctx);
        Page {
            title: match report.tenant {
                None | Some("") => "Microsoft 365 account compromise report".to_string(),
                Some(tenant) => format!("Microsoft 365 account compromise report: {tenant}"),
            },
            tool: report.tool.name.to_string(),
            version: report.tool.version.to_string(),
            generated: d.time(report.generated_at),
            generated_utc: iso_utc(report.generated_at),
            tz: d.tz.name().to_string(),
            headline: narrative::headline(report.accounts),
            overview: narrative::overview(&ctx),
            cases: narrative::cases(&ctx),
            others: narrative::others(&ctx),
            severity_counts: severity_counts(report.findings),
            scope: scope(&ctx),
            inputs: custody::inputs(report.inputs, d),
            diagnostics: custody::diagnostics(report.diagnostics),
            diagnostics_summary: custody::diagnostics_summary(report.diagnostics),
            accounts: accounts(&ctx),
            findings: findings(&ctx),
            timelines,
            other_timeline,
            plans: plans(&ctx),
            limitations: report.limitations.clone(),
        }
    }
}

/// What the parts of the page look up: the report, the display zone, each account's anchor,
/// each input's number, the country of each address, and the addresses of the attackers of
/// every compromised account.
pub struct Ctx<'r, 'c> {
    pub report: &'r Report<'c>,
    pub d: &'r Display,
    anchors: BTreeMap<&'r str, String>,
    inputs: BTreeMap<&'r str, usize>,
    pub places: BTreeMap<String, String>,
    pub attacker_ips: BTreeSet<IpAddr>,
}

impl<'r, 'c> Ctx<'r, 'c> {
    fn new(report: &'r Report<'c>, d: &'r Display) -> Self {
        Ctx {
            report,
            d,
            anchors: report
                .accounts
                .iter()
                .enumerate()
                .map(|(i, a)| (a.user.as_str(), format!("account-{}", i + 1)))
                .collect(),
            inputs: report
                .inputs
                .iter()
                .enumerate()
                .map(|(i, input)| (input.path.as_str(), i + 1))
                .collect(),
            places: places(report.timeline),
            attacker_ips: report
                .accounts
                .iter()
                .filter(|a| a.verdict == Verdict::Compromised)
                .flat_map(|a| a.attacker_ips.iter().copied())
                .collect(),
        }
    }

    /// `account-n`, the anchor of an account's rows, timeline and checklist.
    pub fn anchor(&self, user: &str) -> String {
        self.anchors[user].clone()
    }

    /// A record's place in the evidence, linked to its input's row in the chain of custody.
    pub fn evidence_ref(&self, input: &str, line: u64, record: Option<&str>) -> EvidenceRef {
        let n = self.inputs.get(input);
        EvidenceRef {
            anchor: n.map(|n| format!("input-{n}")).unwrap_or_default(),
            n: n.map(|n| format!("[{n}]")).unwrap_or_default(),
            text: format!("{}:{line}", input.rsplit('/').next().unwrap_or(input)),
            path: input.to_string(),
            record: record.unwrap_or("").to_string(),
        }
    }

    /// The findings about `user`'s account.
    pub fn findings_of<'a>(&'a self, user: &'a str) -> impl Iterator<Item = &'a Finding> {
        self.report
            .findings
            .iter()
            .filter(move |f| f.user.as_deref() == Some(user))
    }

    /// Whether `ip` (as the timeline writes it) is an attacker's address.
    pub fn is_attacker(&self, ip: Option<&str>) -> bool {
        ip.and_then(|ip| ip.parse::<IpAddr>().ok())
            .is_some_and(|ip| self.attacker_ips.contains(&ip))
    }
}

/// `[n] file:line`, linked to input `n`'s row in the chain of custody, which gives its full
/// path and hash.
pub struct EvidenceRef {
    pub anchor: String,
    pub n: String,
    pub text: String,
    pub path: String,
    pub record: String,
}

pub struct Scope {
    pub tenant: String,
    pub internal_domains: String,
    pub period: String,
    pub events: usize,
    pub duplicates: u64,
    pub files: usize,
    pub kinds: Vec<KindRow>,
    pub accounts_with_findings: usize,
    pub windows: Vec<(String, String)>,
}

/// Files, records, first and last time of one kind of input.
type KindTotals = (usize, u64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

pub struct KindRow {
    pub label: String,
    pub files: usize,
    pub records: u64,
    pub span: String,
}

pub struct AccountRow {
    pub anchor: String,
    pub user: String,
    pub verdict: String,
    pub max_severity: String,
    pub window: String,
    pub ended: String,
    pub ips: String,
    pub agents: String,
    pub counts: Vec<usize>,
}

pub struct FindingRow {
    pub id: String,
    pub time: String,
    pub severity: String,
    pub user: String,
    pub actor: String,
    pub rule: String,
    pub title: String,
    pub summary: String,
    pub attack: String,
    pub fields: Vec<(String, String)>,
    pub evidence: Vec<EvidenceRef>,
}

/// The remediation checklist of one account.
pub struct Plan {
    pub anchor: String,
    pub user: String,
    pub steps: Vec<PlanStep>,
}

/// One step, with the ids of the findings that call for it.
pub struct PlanStep {
    pub title: String,
    pub command: String,
    pub because: Vec<String>,
}

/// How many findings there are of each severity, most severe first.
fn severity_counts(findings: &[Finding]) -> Vec<(String, usize)> {
    Severity::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                findings.iter().filter(|f| f.severity == *s).count(),
            )
        })
        .collect()
}

fn scope(ctx: &Ctx<'_, '_>) -> Scope {
    let (report, d) = (ctx.report, ctx.d);
    let mut kinds: BTreeMap<String, KindTotals> = BTreeMap::new();
    for input in report.inputs {
        let k = kinds.entry(input.kind.clone()).or_default();
        k.0 += 1;
        k.1 += input.records;
        k.2 = min_opt(k.2, input.first);
        k.3 = max_opt(k.3, input.last);
    }
    let (first, last) = evidence_span(report);
    Scope {
        tenant: match report.tenant {
            None | Some("") => "not identified in the evidence".into(),
            Some(tenant) => tenant.to_string(),
        },
        internal_domains: if report.internal_domains.is_empty() {
            "none identified".into()
        } else {
            report.internal_domains.join(", ")
        },
        period: span(d, first, last),
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
    }
}

fn accounts(ctx: &Ctx<'_, '_>) -> Vec<AccountRow> {
    order_accounts(ctx.report.accounts)
        .into_iter()
        .map(|a| AccountRow {
            anchor: ctx.anchor(&a.user),
            user: a.user.clone(),
            verdict: a.verdict.as_str().to_string(),
            max_severity: a.max_severity.as_str().to_string(),
            window: a
                .window
                .as_ref()
                .map(|w| window_text(ctx.d, w))
                .unwrap_or_default(),
            ended: a
                .window
                .as_ref()
                .map(|w| w.end_reason.clone())
                .unwrap_or_default(),
            ips: a
                .attacker_ips
                .iter()
                .map(|ip| place_of(&ctx.places, ip))
                .collect::<Vec<_>>()
                .join(", "),
            agents: a.attacker_user_agents.join(", "),
            counts: Severity::ALL
                .iter()
                .map(|s| {
                    ctx.findings_of(&a.user)
                        .filter(|f| f.severity == *s)
                        .count()
                })
                .collect(),
        })
        .collect()
}

fn findings(ctx: &Ctx<'_, '_>) -> Vec<FindingRow> {
    ctx.report
        .findings
        .iter()
        .map(|f| FindingRow {
            id: f.id.clone(),
            time: f
                .time
                .map(|t| ctx.d.time(t))
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
                .map(|e| ctx.evidence_ref(&e.input, e.line, e.record.as_deref()))
                .collect(),
        })
        .collect()
}

fn plans(ctx: &Ctx<'_, '_>) -> Vec<Plan> {
    order_accounts(ctx.report.accounts)
        .into_iter()
        .filter(|a| !a.remediation.is_empty())
        .map(|a| Plan {
            anchor: ctx.anchor(&a.user),
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
        .collect()
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

/// Compromised first, then suspicious, then clean; by name within each.
pub fn order_accounts(accounts: &[Account]) -> Vec<&Account> {
    let mut v: Vec<&Account> = accounts.iter().collect();
    v.sort_by(|a, b| b.verdict.cmp(&a.verdict).then_with(|| a.user.cmp(&b.user)));
    v
}

/// The first and last time of any input.
pub fn evidence_span(report: &Report<'_>) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    report.inputs.iter().fold((None, None), |(a, b), i| {
        (min_opt(a, i.first), max_opt(b, i.last))
    })
}
