//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared real-world samples, beside the clone. `None` (and the test passes vacuously)
/// only outside CI; with `CI=true` a missing folder is a failure.
pub fn shared_testdata() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "CI=true but ../shared/testdata is missing"
    );
    eprintln!("../shared/testdata not found; skipping");
    None
}

/// Reads a TSV with a header row into rows of fields.
pub fn read_tsv(path: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

pub fn sample_case() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/contoso-bec")
}

/// The built-in rule catalogue, loaded once.
pub fn catalogue() -> &'static uala::rules::Catalogue {
    static CATALOGUE: std::sync::OnceLock<uala::rules::Catalogue> = std::sync::OnceLock::new();
    CATALOGUE.get_or_init(|| uala::rules::Catalogue::load(None).expect("built-in rules"))
}
