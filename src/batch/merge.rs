//! `uala merge`: one summary, JUnit and campaign table from the output folders of sharded
//! `uala batch` jobs, rebuilt from each job's `summary.json` and its tenants' `tenant.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::schedule::parse_shard;
use super::summary::{
    SUMMARY_SCHEMA, Summary, SummaryMeta, TenantRow, exit_of, publish, summarize,
};
use super::tenant::TenantFile;
use crate::error::{Error, ExitStatus};
use crate::finding::Severity;
use crate::output::{generated_at, refuse_existing};
use crate::rules::Catalogue;

/// A merge, resolved from the command line.
#[derive(Debug, Clone)]
pub struct MergePlan {
    /// Output folders of `uala batch` jobs (each with its summary.json).
    pub dirs: Vec<PathBuf>,
    /// Where the merged summary.json and junit.xml go.
    pub out_dir: PathBuf,
    /// Threshold of exit code 1 and failing JUnit cases; `None`: the one the jobs used.
    pub fail_on: Option<Severity>,
    /// Merge even when some shards of an `I/N` split are missing.
    pub partial: bool,
    /// Overwrite existing output files.
    pub force: bool,
    /// Nothing on stderr but errors.
    pub quiet: bool,
}

/// What the jobs' folders hold.
#[derive(Default)]
struct Jobs {
    files: Vec<TenantFile>,
    thresholds: BTreeSet<Option<Severity>>,
    roots: BTreeSet<Option<String>>,
    /// Shard indexes seen, per shard count.
    shards: BTreeMap<usize, BTreeSet<usize>>,
    /// Some folder holds a whole (unsharded) run.
    whole: bool,
}

pub fn merge(plan: MergePlan) -> anyhow::Result<ExitStatus> {
    let jobs = read_jobs(&plan.dirs)?;
    if !plan.partial {
        jobs.check_complete()?;
    }
    let fail_on = match plan.fail_on {
        Some(s) => Some(s),
        None if jobs.thresholds.len() <= 1 => jobs.thresholds.iter().next().copied().flatten(),
        None => bail!(Error::Usage(
            "the jobs used different --fail-on thresholds; give one with --fail-on".into()
        )),
    };
    let root = if jobs.roots.len() == 1 {
        jobs.roots.iter().next().cloned().flatten()
    } else {
        None
    };
    refuse_existing(
        &[
            plan.out_dir.join("summary.json"),
            plan.out_dir.join("junit.xml"),
        ],
        plan.force,
    )?;
    std::fs::create_dir_all(&plan.out_dir)
        .with_context(|| format!("cannot create {}", plan.out_dir.display()))?;
    let summary = summarize(
        &jobs.files,
        SummaryMeta {
            generated_at: generated_at(),
            root,
            shard: None,
            merged_from: plan.dirs.iter().map(|d| d.display().to_string()).collect(),
            fail_on,
        },
    );
    // No --rules here: the JUnit cases follow the built-in catalogue's families (others that
    // the tenant files name come after them).
    let catalogue = Catalogue::load(None)?;
    publish(
        &summary,
        &jobs.files,
        catalogue.families(),
        &plan.out_dir,
        plan.force,
    )?;
    if !plan.quiet {
        for row in summary.tenants.iter().filter(|r| r.error.is_some()) {
            eprintln!(
                "{}: error: {}",
                row.tenant,
                row.error.as_deref().unwrap_or("")
            );
        }
    }
    Ok(exit_of(&summary))
}

/// Every job's summary and tenant files; a tenant in two folders is an error.
fn read_jobs(dirs: &[PathBuf]) -> anyhow::Result<Jobs> {
    let mut jobs = Jobs::default();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in dirs {
        let path = dir.join("summary.json");
        let summary = read_summary(&path)?;
        jobs.thresholds.insert(summary.fail_on);
        jobs.roots.insert(summary.root.clone());
        match summary.shard.as_deref().map(parse_shard) {
            Some(Ok(s)) => {
                jobs.shards.entry(s.count).or_default().insert(s.index);
            }
            Some(Err(e)) => bail!(Error::Usage(format!("{}: {e}", path.display()))),
            None => jobs.whole = true,
        }
        for row in &summary.tenants {
            if let Some(other) = seen.insert(row.tenant.clone(), dir.clone()) {
                bail!(Error::Usage(format!(
                    "tenant {:?} is in both {} and {}",
                    row.tenant,
                    other.display(),
                    dir.display()
                )));
            }
            jobs.files.push(read_tenant_file(dir, row)?);
        }
    }
    Ok(jobs)
}

fn read_summary(path: &Path) -> anyhow::Result<Summary> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let summary: Summary = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a uala batch summary", path.display()))?;
    if summary.schema != SUMMARY_SCHEMA {
        bail!(Error::Usage(format!(
            "{}: schema {:?}, expected {SUMMARY_SCHEMA}",
            path.display(),
            summary.schema
        )));
    }
    Ok(summary)
}

/// `dir/<tenant>/tenant.json`, with the row as the job's summary has it (the tenant file may lag
/// a --force rerun).
fn read_tenant_file(dir: &Path, row: &TenantRow) -> anyhow::Result<TenantFile> {
    let path = dir.join(&row.tenant).join("tenant.json");
    let mut file = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<TenantFile>(&text)
            .with_context(|| format!("{} is not a tenant file", path.display()))?,
        // A failed tenant whose folder could not be written: its row is all there is.
        Err(_) if row.error.is_some() => TenantFile::failed(row.clone()),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display())));
        }
    };
    file.row = row.clone();
    Ok(file)
}

impl Jobs {
    /// Refuses folders of different splits, or a split with shards missing.
    fn check_complete(&self) -> anyhow::Result<()> {
        if self.shards.len() > 1 || (self.whole && !self.shards.is_empty()) {
            bail!(Error::Usage(
                "the folders come from different splits (--shard I/N with different N, or whole runs); pass --partial to merge anyway".into()
            ));
        }
        if let Some((count, have)) = self.shards.iter().next() {
            let missing: Vec<String> = (1..=*count)
                .filter(|i| !have.contains(i))
                .map(|i| format!("{i}/{count}"))
                .collect();
            if !missing.is_empty() {
                bail!(Error::Usage(format!(
                    "shard(s) {} missing; pass --partial to merge anyway",
                    missing.join(", ")
                )));
            }
        }
        Ok(())
    }
}
