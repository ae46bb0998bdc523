//! CSV header hygiene, row reading with line numbers, and header sniffing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uala::ingest::sniff::sniff_csv;
use uala::ingest::table::CsvText;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Some(csv) = CsvText::open(&text) else {
        return;
    };
    let _ = sniff_csv(&csv.header);
    // Lines as the reader counts them: LF, CRLF once, and a lone CR (old Mac line ends).
    let lone_crs = text
        .match_indices('\r')
        .filter(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'));
    let lines = text.matches('\n').count() as u64 + lone_crs.count() as u64 + 1;
    let mut last = 0u64;
    let mut rows = 0u64;
    csv.for_each_row(|row, line| {
        rows += 1;
        assert!(line >= 1 && line <= lines, "row line {line} of {lines}");
        // Line numbers never go back.
        assert!(line >= last, "row lines going back: {last} then {line}");
        last = line;
        let _ = csv.header.to_object(row);
    });
    assert_eq!(csv.count_rows(), rows);
});
