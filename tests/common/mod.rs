//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Whether this is a CI run (`CI=true`), where nothing may be skipped.
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Where the shared real-world samples are looked for: `$UALA_SHARED_TESTDATA` when set, else
/// `../shared/testdata` beside the clone. The shared folder is its parent (`../shared`, with
/// `schemas/` beside `testdata/`).
pub fn shared_testdata_dir() -> PathBuf {
    match std::env::var_os("UALA_SHARED_TESTDATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"),
    }
}

/// The shared folder: the parent of [`shared_testdata_dir`].
pub fn shared_dir() -> PathBuf {
    let testdata = shared_testdata_dir();
    testdata
        .parent()
        .map_or_else(|| testdata.join(".."), PathBuf::from)
}

/// The shared real-world samples. `None` (and the test passes vacuously, saying so on stderr)
/// only outside CI; with `CI=true` a missing folder is a failure. The per-row checks of
/// MANIFEST.tsv, EXPECTED.tsv and BENIGN.tsv (tests/shared_data.rs) show as ignored instead.
pub fn shared_testdata() -> Option<PathBuf> {
    let dir = shared_testdata_dir();
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        !ci(),
        "CI=true but the shared test data ({}) is missing",
        dir.display()
    );
    eprintln!("{} not found; skipping", dir.display());
    None
}

/// The rows of a TSV with a header row, as fields; blank lines are left out.
pub fn parse_tsv(text: &str) -> Vec<Vec<String>> {
    text.lines()
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
