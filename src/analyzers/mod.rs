//! Analyzers: detections that need state or joins across events (design.md section 1), written
//! in Rust. Each takes the resolved events (and the data rules' findings where it builds on
//! them) and returns findings of its own.

pub mod forwarding;
pub mod inbox_rules;
pub mod sent_items;
pub mod signin;

use crate::event::Event;
use crate::finding::{Evidence, Finding, Indicators, Severity};
use crate::ingest::InputSummary;

/// A finding about one event, for analyzers.
pub(crate) fn finding_for(
    event: &Event,
    inputs: &[InputSummary],
    rule: &str,
    title: &str,
    severity: Severity,
    attack: &[&str],
    summary: String,
) -> Finding {
    Finding {
        id: String::new(),
        rule: rule.to_string(),
        title: title.to_string(),
        severity,
        user: event.user.as_deref().map(str::to_owned),
        actor: event.actor.as_deref().map(str::to_owned),
        time: event.time,
        summary,
        attack: attack.iter().map(|s| s.to_string()).collect(),
        evidence: vec![evidence(event, inputs)],
        fields: Default::default(),
        indicators: Indicators::of(event),
        prov: event.prov,
    }
}

pub(crate) fn evidence(event: &Event, inputs: &[InputSummary]) -> Evidence {
    crate::rules::evidence_of(event, inputs)
}
