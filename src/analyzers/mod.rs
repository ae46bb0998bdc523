//! Analyzers: detections that need state or joins across events, written in Rust. Each declares
//! the rule ids it makes (their catalogue entries, in `rules/*.yml`, name it as `analyzer:`),
//! takes the resolved events and the findings made before it, and returns findings of its own.
//! `analysis.rs` runs them in the order of [`all`].

pub mod forwarding;
pub mod inbox_rules;
pub mod mail;
pub mod signin;

use crate::event::Event;
use crate::finding::{Evidence, Finding, Indicators, Severity};
use crate::infra::Infrastructure;
use crate::infra::known::Known;
use crate::ingest::InputSummary;
use crate::tenant::Tenant;

/// Thresholds of the analyzers (the configuration file sets them).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub signin: signin::SigninOptions,
    pub mail: mail::MailOptions,
}

/// What every analyzer sees.
pub struct Context<'a> {
    pub events: &'a [Event],
    pub inputs: &'a [InputSummary],
    pub tenant: &'a Tenant,
    /// The tenant's and Microsoft's addresses: never attacker indicators by themselves.
    pub infra: &'a Infrastructure,
    /// Where each account signs in from, and since when.
    pub known: &'a Known,
    pub options: &'a Options,
}

/// A detection written in Rust.
pub trait Analyzer: Sync {
    /// The name catalogue entries give as `analyzer:`.
    fn name(&self) -> &'static str;
    /// Every rule id this analyzer can make.
    fn rules(&self) -> &'static [&'static str];
    /// Adds what this analyzer knows to earlier findings (an inbox rule's fate).
    fn annotate(&self, _cx: &Context<'_>, _findings: &mut [Finding]) {}
    /// New findings, given those made before.
    fn run(&self, cx: &Context<'_>, prior: &[Finding]) -> Vec<Finding>;
}

/// Every analyzer, in the order they run: later ones build on earlier ones' findings.
pub fn all() -> &'static [&'static dyn Analyzer] {
    &[
        &inbox_rules::InboxRules,
        &signin::Signins,
        &mail::Mail,
        &forwarding::SharedDestinations,
    ]
}

/// A finding about one event, for analyzers. Its title and ATT&CK ids come from the catalogue.
pub(crate) fn finding_for(
    event: &Event,
    inputs: &[InputSummary],
    rule: &str,
    severity: Severity,
    summary: String,
) -> Finding {
    Finding {
        id: String::new(),
        rule: rule.to_string(),
        title: String::new(),
        severity,
        user: event.user.as_deref().map(str::to_owned),
        actor: event.actor.as_deref().map(str::to_owned),
        time: event.time,
        summary,
        attack: Vec::new(),
        evidence: vec![evidence(event, inputs)],
        fields: Default::default(),
        indicators: Indicators::of(event),
        prov: event.prov,
    }
}

pub(crate) fn evidence(event: &Event, inputs: &[InputSummary]) -> Evidence {
    crate::rules::evidence_of(event, inputs)
}
