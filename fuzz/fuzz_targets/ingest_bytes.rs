//! Any bytes through the whole per-file path: decode, sniff, every parser and normalizer.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use uala::field_plan::FieldPlan;
use uala::ingest::{IngestOptions, parse_bytes};

static PLAN: OnceLock<Arc<FieldPlan>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    // Half the inputs (by length) go through the field plan `analyze` uses, half keep everything.
    let options = IngestOptions {
        field_plan: (data.len() % 2 == 1).then(|| {
            PLAN.get_or_init(|| Arc::new(FieldPlan::without_rules()))
                .clone()
        }),
        ..IngestOptions::default()
    };
    let (summary, events, diagnostics) = parse_bytes("fuzz/input", data.to_vec(), &options);
    // Accounting invariants that hold for any input.
    assert!(
        summary.skipped <= summary.records,
        "skipped > records: {summary:?}"
    );
    assert_eq!(summary.bytes, data.len() as u64);
    if summary.kind == "unsupported" {
        assert!(events.is_empty());
        assert!(summary.reason.is_some());
    } else {
        assert!(events.len() as u64 <= summary.records);
    }
    if options.field_plan.is_some() {
        for e in events.iter().filter(|e| FieldPlan::applies_to(e.source)) {
            assert!(e.attrs.iter().all(|(k, _)| PLAN.get().unwrap().keeps(k)));
        }
    }
    for d in &diagnostics {
        assert_eq!(d.input, "fuzz/input");
    }
});
