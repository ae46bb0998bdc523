//! What the HTML report's case summary says, checked by meaning on the sample case against its
//! ground truth (testdata/contoso-bec.truth.json): who was compromised, when, from where, what
//! was done (each statement citing findings of that account), and what to do about it.
//!
//! The page is not XHTML, so no parser among the dev-dependencies reads it; the checks read the
//! page's view model ([`Page::build`]), and one test checks that the rendered page prints it.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uala::analysis::{Analysis, AnalysisOptions, analyze};
use uala::finding::Finding;
use uala::ingest::{IngestOptions, ingest};
use uala::report::html::{Case, HtmlReporter, Page};
use uala::report::{Display, Report, Reporter};
use uala::window::Verdict;

/// The sample case, analysed once.
fn analysis() -> &'static Analysis {
    static ANALYSIS: std::sync::OnceLock<Analysis> = std::sync::OnceLock::new();
    ANALYSIS.get_or_init(|| {
        let ingested = ingest(&[common::sample_case()], &IngestOptions::default()).unwrap();
        analyze(ingested, common::catalogue(), &AnalysisOptions::default())
    })
}

fn report() -> Report<'static> {
    let generated = "2025-03-10T09:00:00Z".parse().unwrap();
    Report::new(analysis(), common::catalogue(), generated)
}

/// The page's view model, times in UTC.
fn page() -> Page {
    Page::build(&report(), &Display::default())
}

fn truth() -> Value {
    let path = common::sample_case().with_extension("truth.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The accounts of the truth file with `verdict`.
fn truth_accounts(verdict: &str) -> BTreeMap<String, Value> {
    truth()["accounts"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, a)| a["verdict"] == verdict)
        .map(|(user, a)| (user.clone(), a.clone()))
        .collect()
}

/// Each compromised account of the truth file: its case on the page, and its truth.
fn victims(page: &Page) -> Vec<(&Case, Value)> {
    truth_accounts("compromised")
        .into_iter()
        .map(|(user, truth)| {
            let case = page.cases.iter().find(|c| c.user == user);
            (case.unwrap_or_else(|| panic!("{user} has no case")), truth)
        })
        .collect()
}

fn finding(id: &str) -> Option<&'static Finding> {
    analysis().findings.iter().find(|f| f.id == id)
}

/// `2025-03-04T09:50:12Z` as the page shows it in UTC: `2025-03-04 09:50:12 UTC`.
fn shown_utc(rfc3339: &str) -> String {
    let t: DateTime<Utc> = rfc3339.parse().unwrap();
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The addresses listed in a case's "The attacker connected from these internet addresses:
/// 198.51.100.23, 203.0.113.77 (NG), ...".
fn listed_addresses(sentence: &str) -> BTreeSet<IpAddr> {
    let (_, list) = sentence
        .split_once(": ")
        .unwrap_or_else(|| panic!("no address list in {sentence:?}"));
    list.trim_end_matches('.')
        .split(", ")
        .map(|item| {
            let ip = item.split(' ').next().unwrap();
            ip.parse()
                .unwrap_or_else(|_| panic!("{ip:?} in {sentence:?} is not an address"))
        })
        .collect()
}

#[test]
fn headline_and_cases_name_the_compromised_accounts() {
    let page = page();
    let compromised = truth_accounts("compromised");
    assert_eq!(compromised.len(), 1, "the sample case has one victim");
    assert!(
        page.headline.starts_with("One account was compromised"),
        "headline: {:?}",
        page.headline
    );
    let cases: BTreeSet<&str> = page.cases.iter().map(|c| c.user.as_str()).collect();
    let expected: BTreeSet<&str> = compromised.keys().map(String::as_str).collect();
    assert_eq!(cases, expected);
    assert!(cases.contains("megan.bowen@contoso.com"));
}

#[test]
fn every_case_statement_cites_findings_of_that_account() {
    let page = page();
    assert!(!page.cases.is_empty());
    for case in &page.cases {
        assert!(
            !case.did.is_empty(),
            "{}: the case tells no activity",
            case.user
        );
        for s in &case.did {
            assert!(
                !s.refs.is_empty(),
                "{}: {:?} cites nothing",
                case.user,
                s.text
            );
            for id in &s.refs {
                let f = finding(id)
                    .unwrap_or_else(|| panic!("{:?} cites {id}, which is no finding", s.text));
                assert_eq!(
                    f.user.as_deref(),
                    Some(case.user.as_str()),
                    "{:?} in the case of {} cites {id}, a finding about another account",
                    s.text,
                    case.user
                );
            }
        }
    }
}

#[test]
fn cases_name_the_attackers_addresses() {
    let page = page();
    for (case, truth) in victims(&page) {
        let user = &case.user;
        let listed = listed_addresses(&case.addresses);
        for ip in truth["attacker_ips"].as_array().unwrap() {
            let ip: IpAddr = ip.as_str().unwrap().parse().unwrap();
            assert!(
                listed.contains(&ip),
                "{user}: the attacker address {ip} is missing from {:?}",
                case.addresses
            );
        }
    }
}

#[test]
fn cases_state_the_suspect_window() {
    let page = page();
    for (case, truth) in victims(&page) {
        let user = &case.user;
        let start = shown_utc(truth["window_start"].as_str().unwrap());
        let end = shown_utc(truth["window_end"].as_str().unwrap());
        let from_to = format!("from {start} to {end}");
        assert!(
            case.access.contains(&from_to),
            "{user}: {:?} does not say {from_to:?}",
            case.access
        );
        // The truth's window ends with a password reset by an administrator: containment.
        assert!(
            case.ended
                .starts_with(&format!("The access was contained at {end}")),
            "{user}: {:?}",
            case.ended
        );
    }
}

#[test]
fn every_remediation_step_cites_findings_of_its_account() {
    let page = page();
    let plans: BTreeSet<&str> = page.plans.iter().map(|p| p.user.as_str()).collect();
    for user in truth_accounts("compromised").keys() {
        assert!(plans.contains(user.as_str()), "{user} has no checklist");
    }
    for plan in &page.plans {
        assert!(!plan.steps.is_empty(), "{}: an empty checklist", plan.user);
        for step in &plan.steps {
            assert!(
                !step.because.is_empty(),
                "{}: {:?} cites nothing",
                plan.user,
                step.title
            );
            for id in &step.because {
                let f = finding(id).unwrap_or_else(|| panic!("{:?} cites {id}", step.title));
                assert_eq!(f.user.as_deref(), Some(plan.user.as_str()), "{id}");
            }
        }
    }
}

#[test]
fn no_clean_or_suspicious_account_gets_a_case() {
    let page = page();
    let verdicts: BTreeMap<&str, Verdict> = analysis()
        .accounts
        .iter()
        .map(|a| (a.user.as_str(), a.verdict))
        .collect();
    for case in &page.cases {
        assert_eq!(
            verdicts.get(case.user.as_str()),
            Some(&Verdict::Compromised)
        );
    }
    let mut not_compromised = truth_accounts("clean");
    not_compromised.extend(truth_accounts("suspicious"));
    assert!(!not_compromised.is_empty());
    for user in not_compromised.keys() {
        assert!(
            page.cases.iter().all(|c| &c.user != user),
            "{user} gets a case"
        );
    }
    // The suspicious account is named as such, with its own findings.
    for user in truth_accounts("suspicious").keys() {
        let s = page
            .others
            .iter()
            .find(|s| s.text.starts_with(&format!("{user} looks suspicious")))
            .unwrap_or_else(|| panic!("no sentence on {user}"));
        assert!(!s.refs.is_empty());
        for id in &s.refs {
            assert_eq!(finding(id).unwrap().user.as_deref(), Some(user.as_str()));
        }
    }
}

/// The rendered page prints the view: each case, marked compromised, with every statement and
/// the links to the findings it cites.
#[test]
fn the_page_prints_the_case_summary() {
    let mut out = Vec::new();
    HtmlReporter {
        display: Display::default(),
    }
    .render(&report(), &mut out)
    .unwrap();
    let html = String::from_utf8(out).unwrap();
    let start = html.find("<section id=\"summary\">").unwrap();
    let summary = &html[start..start + html[start..].find("</section>").unwrap()];
    let escape = |s: &str| {
        askama::filters::escape(s, askama::filters::Html)
            .unwrap()
            .to_string()
    };
    assert!(summary.contains(&escape(&page().headline)));
    let blocks: Vec<&str> = summary.split("<div class=\"case\">").skip(1).collect();
    let page = page();
    assert_eq!(blocks.len(), page.cases.len());
    for (block, case) in blocks.iter().zip(&page.cases) {
        let block = &block[..block.find("</div>").unwrap()];
        let title = format!(
            ">{}</a> <span class=\"verdict verdict-compromised\">compromised</span>",
            escape(&case.user)
        );
        assert!(block.contains(&title), "{}: {block}", case.user);
        for text in [&case.access, &case.ended, &case.addresses] {
            assert!(block.contains(&escape(text)), "{text:?} is not shown");
        }
        for s in &case.did {
            assert!(
                block.contains(&escape(&s.text)),
                "{:?} is not shown",
                s.text
            );
            for id in &s.refs {
                assert!(block.contains(&format!("<a href=\"#{id}\">{id}</a>")));
            }
        }
    }
}
