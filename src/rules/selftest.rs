//! The data rules' one-record examples, each normalized by the real ingest code and evaluated
//! by its rule alone.

use serde_json::Value;

use super::{Catalogue, example_tenant, normalize_operation};
use crate::event::Provenance;

pub(super) fn data_rule_examples(catalogue: &Catalogue) -> Vec<String> {
    let tenant = example_tenant();
    let mut failures = Vec::new();
    for rule in catalogue.data_rules() {
        for (want_fire, examples) in [
            (true, &rule.spec.examples.fire),
            (false, &rule.spec.examples.quiet),
        ] {
            let what = if want_fire { "fire" } else { "quiet" };
            for (n, example) in examples.iter().enumerate() {
                let (Some(kind), Some(record)) = (example.kind, &example.record) else {
                    continue;
                };
                let Value::Object(record) = record else {
                    failures.push(format!(
                        "{}: {what} example {} is not an object",
                        rule.spec.id,
                        n + 1
                    ));
                    continue;
                };
                let prov = Provenance {
                    input: 0,
                    line: 1,
                    record: 1,
                };
                let event = match crate::ingest::normalize_record(kind, record, prov) {
                    Ok(e) => e,
                    Err(e) => {
                        failures.push(format!(
                            "{}: {what} example {} does not normalize: {e}",
                            rule.spec.id,
                            n + 1
                        ));
                        continue;
                    }
                };
                let routed =
                    rule.spec.operations.is_empty()
                        || rule.spec.operations.iter().any(|op| {
                            normalize_operation(op) == normalize_operation(&event.operation)
                        });
                let fired = routed && rule.apply(&event, &tenant, &[]).is_some();
                if fired != want_fire {
                    failures.push(format!(
                        "{}: {what} example {}{} {}",
                        rule.spec.id,
                        n + 1,
                        if example.note.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", example.note)
                        },
                        if want_fire { "did not fire" } else { "fired" }
                    ));
                }
            }
        }
    }
    failures
}
