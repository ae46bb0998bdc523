//! PowerShell Format-List text: object splitting, continuation lines, sniffing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uala::ingest::format_list::{looks_like_format_list, parse};
use uala::ingest::sniff::sniff_format_list;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = looks_like_format_list(&text);
    let _ = sniff_format_list(&text);
    let lines = text.lines().count() as u64;
    let mut last = 0u64;
    for object in parse(&text) {
        assert!(
            object.line >= 1 && object.line <= lines,
            "object line {} of {lines}",
            object.line
        );
        assert!(object.line > last);
        last = object.line;
        assert!(!object.properties.is_empty());
    }
});
