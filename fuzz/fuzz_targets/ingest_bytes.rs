//! Any bytes through the whole per-file path: decode, sniff, every parser and normalizer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uala::ingest::{IngestOptions, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let options = IngestOptions::default();
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
    for d in &diagnostics {
        assert_eq!(d.input, "fuzz/input");
    }
});
