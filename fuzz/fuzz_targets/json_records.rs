//! The streaming JSON container reader on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uala::ingest::json::read_records;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.matches('\n').count() as u64 + 1;
    let mut records = 0u64;
    read_records(
        &text,
        |record| {
            records += 1;
            assert!(
                record.line >= 1 && record.line <= lines,
                "record line {} of {lines}",
                record.line
            );
            let _ = uala::ingest::sniff::sniff_json(&record.object);
        },
        |error| {
            assert!(
                error.line >= 1 && error.line <= lines,
                "error line {} of {lines}",
                error.line
            );
        },
    );
    let _ = records;
});
