//! The rule loader: YAML rule files (as `--rules DIR` reads them) parsed, validated and compiled,
//! then every example the file carries normalized and evaluated by its rule.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uala::rules::Catalogue;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let files = [("fuzz.yml".to_string(), text)];
    if let Ok(rules) = Catalogue::from_texts(false, &files) {
        // Fire/quiet mismatches are findings about the rule file, not crashes; the examples
        // still go through normalization, routing and condition evaluation.
        let _ = rules.self_test();
    }
});
