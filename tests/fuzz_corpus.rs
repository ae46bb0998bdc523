//! Replays the committed fuzz corpus (fuzz/corpus/<target>/*) through the same entry points the
//! fuzz targets drive, so every input that once found new code paths is re-checked on every
//! `cargo test`: no panic, and the invariants the targets assert.

use std::path::PathBuf;

use uala::ingest::discover::{Bytes, FoundFile, expand};
use uala::ingest::time::{DateOrder, parse_timestamp};
use uala::ingest::{IngestOptions, fields, format_list, ip, json, parse_bytes, sniff, table};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn every_corpus_file_goes_through_every_parser() {
    let mut total = 0;
    for target in [
        "ingest_bytes",
        "json_records",
        "csv_table",
        "format_list",
        "archive",
        "timestamps_and_ips",
    ] {
        for (name, data) in corpus(target) {
            total += 1;
            let (summary, events, diagnostics) =
                parse_bytes(&name, data.clone(), &IngestOptions::default());
            assert!(
                summary.skipped <= summary.records || summary.kind == "unsupported",
                "{name}"
            );
            assert!(events.len() as u64 <= summary.records, "{name}");
            assert!(diagnostics.iter().all(|d| d.input == name), "{name}");

            let text = String::from_utf8_lossy(&data);
            let lines = text.lines().count() as u64 + 1;
            json::read_records(
                &text,
                |r| assert!(r.line <= lines, "{name}"),
                |e| assert!(e.line <= lines, "{name}"),
            );
            if let Some(csv) = table::CsvText::open(&text) {
                let _ = sniff::sniff_csv(&csv.header);
                // LF, CRLF once, and a lone CR each end a line, as the reader counts them.
                let lone_crs = text
                    .match_indices('\r')
                    .filter(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
                    .count() as u64;
                let csv_lines = text.matches('\n').count() as u64 + lone_crs + 1;
                let mut last = 0;
                csv.for_each_row(|_, line| {
                    assert!(line <= csv_lines, "{name}: row line {line} of {csv_lines}");
                    assert!(line >= last, "{name}: line numbers went backwards");
                    last = line;
                });
            }
            let _ = format_list::parse(&text);
            let _ = sniff::sniff_format_list(&text);
            let file = FoundFile {
                fs_path: name.clone().into(),
                display: name.clone(),
            };
            for input in expand(&file, Bytes::Owned(data.clone()), 1 << 20)
                .into_iter()
                .flatten()
            {
                {
                    if input.container.is_some() {
                        assert!(
                            input.bytes.len() as u64 <= 1 << 20,
                            "{name}: member over the cap"
                        );
                    }
                }
            }
            let _ = parse_timestamp(&text, DateOrder::Mdy);
            let _ = parse_timestamp(&text, DateOrder::Dmy);
            let addr = ip::parse_client_addr(&text);
            assert!(!(addr.ip.is_some() && addr.host.is_some()), "{name}");
            let _ = fields::split_list(&text);
            let _ = fields::recipient_addresses(&text);
            let _ = fields::powershell_parameters(&text);
        }
    }
    assert!(total > 100, "only {total} corpus files");
}

/// The rule-loader corpus (it started from the files of `rules/`, one per rule and whole):
/// every file either loads and runs its examples, or is refused with an error; and enough of
/// them load for the replay to reach the compiler and the examples.
#[test]
fn every_rule_loader_corpus_file_loads_or_is_refused() {
    let mut loaded = 0;
    for (_, data) in corpus("rule_loader") {
        let files = [(
            "fuzz.yml".to_string(),
            String::from_utf8_lossy(&data).into_owned(),
        )];
        match uala::rules::Catalogue::from_texts(false, &files) {
            Ok(rules) => {
                loaded += usize::from(!rules.rules.is_empty());
                let _ = rules.self_test();
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    assert!(loaded >= 40, "only {loaded} corpus files load as rules");
}
