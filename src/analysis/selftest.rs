//! `uala rules test` for sequences: each example's records, normalized by the real ingest
//! code, go through the whole analysis (every data rule and analyzer), and the example's rule
//! must fire (or stay quiet).

use serde_json::Value;

use super::{AnalysisOptions, analyze};
use crate::event::{Provenance, SourceKind};
use crate::ingest::{Ingested, InputSummary};
use crate::rules::{Catalogue, Example, example_tenant};

/// Runs every sequence example of the catalogue; returns one line per failure.
pub fn self_test(catalogue: &Catalogue) -> Vec<String> {
    let mut failures = Vec::new();
    for rule in &catalogue.rules {
        let id = rule.spec.id.as_str();
        for (want_fire, examples) in [
            (true, &rule.spec.examples.fire),
            (false, &rule.spec.examples.quiet),
        ] {
            let what = if want_fire { "fire" } else { "quiet" };
            for (n, example) in examples.iter().enumerate().filter(|(_, e)| e.is_sequence()) {
                let label = if example.note.is_empty() {
                    format!("{id}: {what} example {}", n + 1)
                } else {
                    format!("{id}: {what} example {} ({})", n + 1, example.note)
                };
                match fired(catalogue, example) {
                    Err(e) => failures.push(format!("{label} does not normalize: {e}")),
                    Ok(rules) => {
                        let mut must: Vec<&str> =
                            example.also_fire.iter().map(String::as_str).collect();
                        let mut must_not: Vec<&str> =
                            example.quiet_rules.iter().map(String::as_str).collect();
                        if want_fire {
                            must.push(id);
                        } else {
                            must_not.push(id);
                        }
                        for m in must.iter().filter(|m| !rules.iter().any(|r| r == *m)) {
                            failures.push(format!("{label}: {m} did not fire"));
                        }
                        for m in must_not.iter().filter(|m| rules.iter().any(|r| r == *m)) {
                            failures.push(format!("{label}: {m} fired"));
                        }
                    }
                }
            }
        }
    }
    failures
}

/// The rule ids of every finding the analysis makes of one example.
fn fired(catalogue: &Catalogue, example: &Example) -> Result<Vec<String>, String> {
    let mut ingested = Ingested::default();
    for kind in SourceKind::ALL {
        ingested.inputs.push(InputSummary {
            path: format!("example/{kind}"),
            kind: kind.to_string(),
            ..InputSummary::default()
        });
    }
    for (n, (kind, record)) in example.expanded().into_iter().enumerate() {
        let Value::Object(record) = record else {
            return Err(format!("record {} is not an object", n + 1));
        };
        let input = SourceKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u32;
        let prov = Provenance {
            input,
            line: n as u64 + 1,
            record: n as u64 + 1,
        };
        let event = crate::ingest::normalize_record(kind, &record, prov)
            .map_err(|e| format!("record {}: {e}", n + 1))?;
        ingested.events.push(event);
    }
    let options = AnalysisOptions {
        internal_domains: example_tenant().internal_domains.into_iter().collect(),
        ..AnalysisOptions::default()
    };
    let analysis = analyze(ingested, catalogue, &options);
    Ok(analysis.findings.into_iter().map(|f| f.rule).collect())
}
