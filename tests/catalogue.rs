//! The rule catalogue is one: every rule id any code path can make has one entry, with one
//! title and ATT&CK set, its metadata, and examples that pass; the CLI and docs/rules.md show
//! all of it.

mod common;

use assert_cmd::Command;
use uala::finding::{Finding, Severity};

fn uala() -> Command {
    Command::cargo_bin("uala").unwrap()
}

#[test]
fn analyzers_and_catalogue_agree() {
    let problems = uala::analysis::check_catalogue(common::catalogue());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every analyzer's rule, and every data rule, is in the one catalogue.
    assert!(!uala::analyzers::all().is_empty(), "no analyzer");
    for a in uala::analyzers::all() {
        assert!(!a.rules().is_empty(), "{} declares no rule", a.name());
        for id in a.rules() {
            assert!(common::catalogue().get(id).is_some(), "{id}");
        }
    }
}

#[test]
fn every_entry_says_what_it_proves_how_to_tell_it_and_what_to_do() {
    let known_steps = uala::remediation::STEPS;
    assert!(!common::catalogue().rules.is_empty(), "an empty catalogue");
    for rule in &common::catalogue().rules {
        let s = &rule.spec;
        assert!(!s.proves.trim().is_empty(), "{}: no `proves`", s.id);
        assert!(s.narrative.is_some(), "{}: no `narrative`", s.id);
        assert!(!s.attack.is_empty(), "{}: no ATT&CK id", s.id);
        assert!(!s.references.is_empty(), "{}: no reference", s.id);
        for step in &s.remediation {
            assert!(
                known_steps.contains(&step.as_str()),
                "{}: unknown step {step}",
                s.id
            );
        }
        assert!(
            !s.examples.fire.is_empty() && !s.examples.quiet.is_empty(),
            "{}: needs examples that fire and stay quiet",
            s.id
        );
    }
}

#[test]
fn every_example_passes() {
    let catalogue = common::catalogue();
    let mut failures = catalogue.self_test();
    failures.extend(uala::analysis::self_test(catalogue));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_finding_with_an_uncatalogued_id_is_caught() {
    let mut findings = vec![Finding {
        id: String::new(),
        rule: "signin.made-up".into(),
        title: "t".into(),
        severity: Severity::Low,
        user: None,
        actor: None,
        time: None,
        summary: String::new(),
        attack: Vec::new(),
        evidence: Vec::new(),
        fields: Default::default(),
        indicators: Default::default(),
        prov: Default::default(),
    }];
    assert_eq!(
        common::catalogue().describe(&mut findings),
        vec!["signin.made-up".to_string()]
    );
}

#[test]
fn rules_list_and_show_cover_every_id() {
    let out = uala()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let listed = String::from_utf8(out).unwrap();
    for rule in &common::catalogue().rules {
        let id = &rule.spec.id;
        assert!(
            listed.contains(id.as_str()),
            "{id} missing from `rules list`"
        );
        let shown = uala()
            .args(["rules", "show", id])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let shown = String::from_utf8(shown).unwrap();
        assert!(
            shown.starts_with(&format!("{id} — {}", rule.spec.title)),
            "{shown}"
        );
    }
    uala()
        .args(["rules", "show", "signin.password-spray"])
        .assert()
        .code(0);
    uala()
        .args(["rules", "show", "no.such-rule"])
        .assert()
        .code(2);
}

#[test]
fn docs_rules_md_is_the_catalogue() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md")).unwrap();
    let generated = uala::rules::doc::catalogue_markdown(common::catalogue());
    assert!(
        doc.contains(&generated),
        "docs/rules.md is out of date: replace its catalogue section with `uala rules doc`"
    );
}
