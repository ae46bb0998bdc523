//! Output files (design.md section 2): never inside the evidence, never over an existing file
//! without `--force`; and the one generated-at time every report of a run carries.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};

use crate::error::Error;

/// The report's one generated-at time: `SOURCE_DATE_EPOCH` when set (reproducible builds'
/// convention), otherwise now.
pub fn generated_at() -> DateTime<Utc> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(|| {
            use chrono::Timelike;
            let now = Utc::now();
            now.with_nanosecond(0).unwrap_or(now)
        })
}

/// Refuses an output path inside any evidence folder (evidence is read-only), or an existing file
/// without `--force`. `-` is stdout.
pub fn check_output(path: &Path, inputs: &[PathBuf], force: bool) -> anyhow::Result<()> {
    if path == Path::new("-") {
        return Ok(());
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let parent = parent
        .canonicalize()
        .with_context(|| format!("output folder {} does not exist", parent.display()))?;
    let target = parent.join(path.file_name().unwrap_or_default());
    for input in inputs {
        if let Ok(input) = input.canonicalize() {
            if target.starts_with(&input) || target == input {
                bail!(Error::Output {
                    path: path.to_path_buf(),
                    reason: format!(
                        "it is inside the evidence at {} (evidence is read-only)",
                        input.display()
                    ),
                });
            }
        }
    }
    if target.exists() && !force {
        bail!(exists(path));
    }
    Ok(())
}

/// Refuses the first of `paths` that exists, unless `force`.
pub fn refuse_existing(paths: &[PathBuf], force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        bail!(exists(p));
    }
    Ok(())
}

/// Writes one output file, refusing to overwrite without `force`.
pub fn write_new(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    refuse_existing(&[path.to_path_buf()], force)?;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn exists(path: &Path) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        reason: "it exists (use --force to overwrite)".into(),
    }
}
