//! `uala batch` and `uala merge`: many tenants in one run or across CI jobs (design.md sections
//! 2, 7 and 8).
//!
//! Each sub-folder of ROOT is one tenant, its id the folder's name. A fixed number of tenants
//! (`--jobs`) are analysed at once, each with the whole rayon pool for its own files and event
//! chunks; a tenant's events are dropped as soon as its reports are written, so memory is bounded
//! by `--jobs` tenants. Per tenant: the reports asked for under `DIR/<tenant>/`, Parquet under
//! `--parquet DIR`, and `DIR/<tenant>/tenant.json` (its summary row, finding counts per rule and
//! attacker indicators), from which `uala merge` rebuilds the summary of sharded runs. Then one
//! summary: a table on stdout, `DIR/summary.json` (`uala.batch/1`) and `DIR/junit.xml`.
//!
//! Cross-tenant correlation is plain Rust over the per-tenant indicator lists (a map from
//! indicator to tenants): the lists are tiny, and the same code serves `batch` and `merge`.
//!
//! The modules: [`schedule`] (which tenants, how many at once), [`tenant`] (one tenant's
//! analysis and `tenant.json`), [`campaigns`], [`summary`] (`summary.json`, exit codes, the
//! tables), [`junit`] and [`merge`]. This module takes a plain [`Plan`]; the command line
//! (`cli`) builds it and is never seen here.

pub mod campaigns;
pub mod junit;
pub mod merge;
pub mod schedule;
pub mod summary;
pub mod tenant;

use std::path::PathBuf;

use anyhow::Context;

pub use campaigns::{Campaign, CampaignAccount, Indicator, IndicatorKind, campaigns, indicators};
pub use junit::junit;
pub use merge::{MergePlan, merge};
pub use schedule::{Shard, parse_shard, tenant_folders};
pub use summary::{SUMMARY_SCHEMA, Summary, TenantRow, ToolInfo, batch_exit};
pub use tenant::{ReportFormat, TENANT_SCHEMA, TenantFile};

use crate::config::AnalysisSettings;
use crate::error::ExitStatus;
use crate::ingest::IngestOptions;
use crate::rules::Catalogue;
use schedule::Progress;
use summary::{SummaryMeta, exit_of, publish, summarize};
use tenant::TenantContext;

/// A batch run, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Folder whose sub-folders are the tenants (tenant id = sub-folder name).
    pub root: PathBuf,
    /// Where the summary, JUnit XML and per-tenant reports (`DIR/<tenant>/`) go.
    pub out_dir: PathBuf,
    /// The reports written for every tenant.
    pub reports: Vec<ReportFormat>,
    /// Events and findings as Parquet, hive-partitioned: `DIR/tenant=<id>/*.parquet`.
    pub parquet: Option<PathBuf>,
    /// Overwrite existing output files.
    pub force: bool,
    /// Time zone of the HTML and CSV reports; machine outputs stay UTC.
    pub tz: chrono_tz::Tz,
    /// This job's share of the tenants.
    pub shard: Option<Shard>,
    /// Tenants analysed at once; `None`: the worker threads, at most 4.
    pub jobs: Option<usize>,
    /// Worker threads; `None`: all cores.
    pub threads: Option<usize>,
    /// No progress bar and no diagnostics on stderr.
    pub quiet: bool,
    /// How each tenant's evidence is read (the field plan is the catalogue's).
    pub ingest: IngestOptions,
    pub analysis: AnalysisSettings,
}

/// `uala batch`: every tenant of the plan, then the summary, JUnit and tables.
pub fn run(plan: Plan) -> anyhow::Result<ExitStatus> {
    if let Some(n) = plan.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let tenants = schedule::tenants(&plan.root, plan.shard)?;
    check_outputs(&plan, &tenants)?;
    std::fs::create_dir_all(&plan.out_dir)
        .with_context(|| format!("cannot create {}", plan.out_dir.display()))?;

    let rules = Catalogue::load(plan.analysis.rules.as_deref())?;
    // Each tenant's own name and internal domains are inferred from its evidence.
    let (_, analysis_options) = plan.analysis.options()?;
    let generated_at = crate::output::generated_at();
    let jobs = schedule::jobs(plan.jobs, tenants.len());
    let progress = Progress::new(tenants.len(), plan.quiet);
    let ctx = TenantContext {
        plan: &plan,
        rules: &rules,
        ingest: IngestOptions {
            field_plan: Some(std::sync::Arc::new(
                crate::field_plan::FieldPlan::for_rules(&rules),
            )),
            ..plan.ingest.clone()
        },
        options: &analysis_options,
        reporters: plan
            .reports
            .iter()
            .map(|r| (r.file_name(), r.reporter(plan.tz)))
            .collect(),
        generated_at,
        progress: &progress,
    };
    let files = schedule::run_all(&tenants, jobs, &progress, |tenant, path| {
        tenant::run(&ctx, tenant, path)
    });
    progress.finish();
    let summary = summarize(
        &files,
        SummaryMeta {
            generated_at,
            root: Some(plan.root.display().to_string()),
            shard: plan.shard.map(|s| s.to_string()),
            merged_from: Vec::new(),
            fail_on: plan.analysis.fail_on,
        },
    );
    publish(
        &summary,
        &files,
        rules.families(),
        &plan.out_dir,
        plan.force,
    )?;
    Ok(exit_of(&summary))
}

/// Outputs: never inside the evidence, never over existing files without --force; all checked
/// before any work.
fn check_outputs(plan: &Plan, tenants: &[(String, PathBuf)]) -> anyhow::Result<()> {
    let evidence = [plan.root.clone()];
    crate::parquet::check_dir_outside(&plan.out_dir, &evidence)?;
    if let Some(dir) = &plan.parquet {
        crate::parquet::check_dir_outside(dir, &evidence)?;
    }
    let mut planned = vec![
        plan.out_dir.join("summary.json"),
        plan.out_dir.join("junit.xml"),
    ];
    for (tenant, _) in tenants {
        let dir = plan.out_dir.join(tenant);
        crate::parquet::check_dir_outside(&dir, &evidence)?;
        planned.push(dir.join("tenant.json"));
        planned.extend(plan.reports.iter().map(|r| dir.join(r.file_name())));
        if let Some(parquet) = &plan.parquet {
            planned.extend(crate::parquet::partition_files(parquet, tenant));
        }
    }
    crate::output::refuse_existing(&planned, plan.force)
}
