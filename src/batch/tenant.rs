//! One tenant of a batch: read its folder, analyse it, write the reports asked for under
//! `DIR/<tenant>/` (and Parquet), and keep what the summary needs in `DIR/<tenant>/tenant.json`.
//! A tenant never fails the batch: a broken one (even a panic) is a row with an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Plan;
use super::campaigns::{Indicator, indicators};
use super::schedule::Progress;
use super::summary::{TenantRow, severity_counts, verdict_counts};
use crate::analysis::{Analysis, AnalysisOptions};
use crate::error::Error;
use crate::finding::Severity;
use crate::ingest::{self, IngestOptions, Ingested};
use crate::output::write_new;
use crate::report::csv::CsvReporter;
use crate::report::html::HtmlReporter;
use crate::report::sarif::SarifReporter;
use crate::report::timesketch::TimesketchReporter;
use crate::report::{Display, JsonReporter, Report, Reporter};
use crate::rules::Catalogue;

/// Schema of `DIR/<tenant>/tenant.json`.
pub const TENANT_SCHEMA: &str = "uala.tenant/1";

/// Names that a tenant folder may not have: they are the batch's own outputs.
const RESERVED: [&str; 2] = ["summary.json", "junit.xml"];

/// `DIR/<tenant>/tenant.json`: what `uala merge` needs of one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantFile {
    pub schema: String,
    pub row: TenantRow,
    /// Findings per rule id and severity (JUnit cases per family).
    pub rules: BTreeMap<String, BTreeMap<Severity, usize>>,
    /// Attacker indicators (cross-tenant campaigns).
    pub indicators: Vec<Indicator>,
}

impl TenantFile {
    /// The file of a tenant that could not be analysed.
    pub(super) fn failed(row: TenantRow) -> TenantFile {
        TenantFile {
            schema: TENANT_SCHEMA.into(),
            row,
            rules: BTreeMap::new(),
            indicators: Vec::new(),
        }
    }
}

/// A report written for every tenant, as `DIR/<tenant>/<file name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Html,
    Csv,
    Timesketch,
    Sarif,
}

impl ReportFormat {
    /// Every format, in the order a tenant's reports are written.
    pub const ALL: [ReportFormat; 5] = [
        ReportFormat::Json,
        ReportFormat::Html,
        ReportFormat::Csv,
        ReportFormat::Timesketch,
        ReportFormat::Sarif,
    ];

    /// The report's name under `DIR/<tenant>/`.
    pub fn file_name(self) -> &'static str {
        match self {
            ReportFormat::Json => "report.json",
            ReportFormat::Html => "report.html",
            ReportFormat::Csv => "report.csv",
            ReportFormat::Timesketch => "report.timesketch.jsonl",
            ReportFormat::Sarif => "report.sarif",
        }
    }

    /// The reporter, showing times in `tz` where people read them (never coloured).
    pub(super) fn reporter(self, tz: chrono_tz::Tz) -> Box<dyn Reporter + Send + Sync> {
        let display = Display { tz, color: false };
        match self {
            ReportFormat::Json => Box::new(JsonReporter),
            ReportFormat::Html => Box::new(HtmlReporter { display }),
            ReportFormat::Csv => Box::new(CsvReporter { display }),
            ReportFormat::Timesketch => Box::new(TimesketchReporter),
            ReportFormat::Sarif => Box::new(SarifReporter),
        }
    }
}

/// What every tenant of a run shares.
pub(super) struct TenantContext<'a> {
    pub(super) plan: &'a Plan,
    pub(super) rules: &'a Catalogue,
    /// How evidence is read, with the field plan of `rules` (the attributes the rules and
    /// analyzers read; the rest is not kept).
    pub(super) ingest: IngestOptions,
    /// Analysis options shared by every tenant (the tenant name is set per tenant).
    pub(super) options: &'a AnalysisOptions,
    pub(super) reporters: Vec<(&'static str, Box<dyn Reporter + Send + Sync>)>,
    pub(super) generated_at: DateTime<Utc>,
    pub(super) progress: &'a Progress,
}

/// Analyses one tenant and writes its outputs; the analysis (and its events) is dropped on
/// return. Never fails, not even on a panic: a broken tenant is a row with an error.
pub(super) fn run(ctx: &TenantContext<'_>, tenant: &str, path: &Path) -> TenantFile {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analyse(ctx, tenant, path)));
    let file = match run {
        Ok(file) => file,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".into());
            let file = TenantFile::failed(TenantRow::failed(
                tenant,
                path,
                Some(ctx.plan.out_dir.join(tenant).display().to_string()),
                format!("internal error (panic: {what})"),
            ));
            save_tenant_file(&ctx.plan.out_dir, &file);
            file
        }
    };
    if let Some(e) = &file.row.error {
        ctx.progress.say(format!("{tenant}: error: {e}"));
    }
    file
}

/// The work of [`run`], panics aside: a failed tenant is a row with an error. Saves
/// `tenant.json`.
fn analyse(ctx: &TenantContext<'_>, tenant: &str, path: &Path) -> TenantFile {
    let out = ctx.plan.out_dir.join(tenant);
    let output = Some(out.display().to_string());
    let result = (|| -> anyhow::Result<TenantFile> {
        let ingested = read(ctx, tenant, path)?;
        let options = AnalysisOptions {
            tenant: Some(tenant.to_string()),
            ..ctx.options.clone()
        };
        let analysis = crate::analysis::analyze(ingested, ctx.rules, &options);
        write_outputs(ctx, tenant, &out, &analysis)?;
        let mut file = tenant_file(&analysis, tenant, path, output.clone());
        file.row.exit = file.row.exit_under(ctx.plan.analysis.fail_on).code();
        Ok(file)
    })();
    let file = match result {
        Ok(file) => file,
        Err(e) => TenantFile::failed(TenantRow::failed(tenant, path, output, format!("{e:#}"))),
    };
    save_tenant_file(&ctx.plan.out_dir, &file);
    file
}

/// The tenant's evidence, its diagnostics said on stderr; no readable input is an error.
fn read(ctx: &TenantContext<'_>, tenant: &str, path: &Path) -> anyhow::Result<Ingested> {
    if RESERVED.contains(&tenant) {
        bail!("the tenant folder's name clashes with the batch's own {tenant}");
    }
    let ingested = ingest::ingest(&[path.to_path_buf()], &ctx.ingest)?;
    for d in ingested
        .diagnostics
        .iter()
        .filter(|d| d.level > crate::diag::Level::Info)
    {
        ctx.progress.say(format!("{tenant}: {d}"));
    }
    // Files of a known kind that could be read, at least in part; without one the tenant
    // has no readable input (exit 2), as an empty folder has.
    if !ingested.inputs.iter().any(|i| i.source_kind().is_some()) {
        let unreadable = ingested
            .inputs
            .iter()
            .filter(|i| i.kind == "unreadable")
            .count();
        bail!(Error::NoInput(format!(
            "{} file(s): {} unreadable, {} in no known export format",
            ingested.inputs.len(),
            unreadable,
            ingested.inputs.len() - unreadable
        )));
    }
    Ok(ingested)
}

/// The reports asked for under `out`, and the tenant's Parquet partition.
fn write_outputs(
    ctx: &TenantContext<'_>,
    tenant: &str,
    out: &Path,
    analysis: &Analysis,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let report = Report::new(analysis, ctx.rules, ctx.generated_at);
    for (name, reporter) in &ctx.reporters {
        let mut bytes = Vec::new();
        reporter.render(&report, &mut bytes)?;
        write_new(&out.join(name), &bytes, ctx.plan.force)
            .with_context(|| format!("cannot write the {} report of {tenant}", reporter.name()))?;
    }
    if let Some(dir) = &ctx.plan.parquet {
        crate::parquet::write_tenant(dir, tenant, analysis)?;
    }
    Ok(())
}

/// The tenant's summary row (its exit code not yet set), finding counts per rule, and attacker
/// indicators.
fn tenant_file(
    analysis: &Analysis,
    tenant: &str,
    path: &Path,
    output: Option<String>,
) -> TenantFile {
    let mut rules: BTreeMap<String, BTreeMap<Severity, usize>> = BTreeMap::new();
    for f in &analysis.findings {
        *rules
            .entry(f.rule.clone())
            .or_default()
            .entry(f.severity)
            .or_default() += 1;
    }
    let row = TenantRow {
        tenant: tenant.to_string(),
        path: path.display().to_string(),
        exit: 0,
        accounts: verdict_counts(analysis.accounts.iter().map(|a| &a.verdict)),
        findings: severity_counts(analysis.findings.iter().map(|f| &f.severity)),
        windows: analysis
            .accounts
            .iter()
            .filter(|a| a.window.is_some())
            .count(),
        error: None,
        events: analysis.ingested.events.len(),
        inputs: analysis.ingested.inputs.len(),
        inputs_skipped: analysis
            .ingested
            .inputs
            .iter()
            .filter(|i| i.is_incomplete())
            .count(),
        output,
    };
    TenantFile {
        schema: TENANT_SCHEMA.into(),
        row,
        rules,
        indicators: indicators(analysis),
    }
}

/// Writes `DIR/<tenant>/tenant.json` (best effort for a failed tenant whose folder name is not
/// usable; `publish` reports it then).
fn save_tenant_file(out_dir: &Path, file: &TenantFile) {
    if RESERVED.contains(&file.row.tenant.as_str()) {
        return;
    }
    let dir: PathBuf = out_dir.join(&file.row.tenant);
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut bytes) = serde_json::to_vec_pretty(file) {
        bytes.push(b'\n');
        let _ = std::fs::write(dir.join("tenant.json"), bytes);
    }
}
