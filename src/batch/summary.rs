//! `summary.json` (`uala.batch/1`, design.md section 8): one row per tenant, the campaigns and
//! the run's exit code; written with the JUnit file and printed as tables.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::campaigns::{Campaign, campaigns};
use super::tenant::TenantFile;
use crate::analysis::Verdict;
use crate::error::ExitStatus;
use crate::finding::Severity;
use crate::output::write_new;

/// Schema of `summary.json`.
pub const SUMMARY_SCHEMA: &str = "uala.batch/1";

/// The tool that wrote a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl ToolInfo {
    fn current() -> ToolInfo {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// `summary.json`, schema `uala.batch/1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema: String,
    pub tool: ToolInfo,
    pub generated_at: DateTime<Utc>,
    /// The ROOT folder (in a merge: the jobs' common ROOT, if they share one).
    pub root: Option<String>,
    /// This job's shard (`I/N`); absent for a whole run or a merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The job folders a merge read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    pub fail_on: Option<Severity>,
    /// The run's exit code (docs/batch.md).
    pub exit: u8,
    pub tenants: Vec<TenantRow>,
    pub campaigns: Vec<Campaign>,
}

/// One tenant's row of the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantRow {
    pub tenant: String,
    /// The tenant's evidence folder.
    pub path: String,
    /// The tenant's own exit code, as `uala analyze` would give it.
    pub exit: u8,
    /// Accounts by verdict: `compromised`, `suspicious`, `clean`.
    pub accounts: BTreeMap<String, usize>,
    /// Findings by severity.
    pub findings: BTreeMap<String, usize>,
    /// Accounts with a suspect window.
    pub windows: usize,
    /// Why the tenant could not be analysed (exit 2).
    pub error: Option<String>,
    pub events: usize,
    pub inputs: usize,
    /// Inputs of a known kind that were not read in full (exit 3).
    pub inputs_skipped: usize,
    /// Where this tenant's reports are.
    pub output: Option<String>,
}

impl TenantRow {
    pub(super) fn failed(
        tenant: &str,
        path: &Path,
        output: Option<String>,
        error: String,
    ) -> TenantRow {
        TenantRow {
            tenant: tenant.to_string(),
            path: path.display().to_string(),
            exit: ExitStatus::Error.code(),
            accounts: verdict_counts([].into_iter()),
            findings: severity_counts([].into_iter()),
            windows: 0,
            error: Some(error),
            events: 0,
            inputs: 0,
            inputs_skipped: 0,
            output,
        }
    }

    /// The row's exit code under `fail_on`: 2 failed, 1 findings at or above it, 3 some input
    /// skipped, else 0.
    pub(super) fn exit_under(&self, fail_on: Option<Severity>) -> ExitStatus {
        if self.error.is_some() {
            ExitStatus::Error
        } else if fail_on.is_some_and(|t| {
            Severity::ALL
                .iter()
                .any(|s| *s >= t && self.findings.get(s.as_str()).copied().unwrap_or(0) > 0)
        }) {
            ExitStatus::Findings
        } else if self.inputs_skipped > 0 {
            ExitStatus::Incomplete
        } else {
            ExitStatus::Clean
        }
    }
}

/// Accounts per verdict, every verdict present.
pub(super) fn verdict_counts<'a>(
    verdicts: impl Iterator<Item = &'a Verdict>,
) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> =
        [Verdict::Compromised, Verdict::Suspicious, Verdict::Clean]
            .iter()
            .map(|v| (v.as_str().to_string(), 0))
            .collect();
    for v in verdicts {
        *out.entry(v.as_str().to_string()).or_default() += 1;
    }
    out
}

/// Findings per severity, every severity present.
pub(super) fn severity_counts<'a>(
    severities: impl Iterator<Item = &'a Severity>,
) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for s in severities {
        *out.entry(s.as_str().to_string()).or_default() += 1;
    }
    out
}

/// The run's exit code from its rows (docs/batch.md): 1 if any tenant reached `--fail-on`; else
/// 2 if every tenant failed; else 3 if some tenant failed or skipped input; else 0.
pub fn batch_exit(rows: &[TenantRow]) -> ExitStatus {
    let code = |r: &TenantRow| r.exit;
    if rows.iter().any(|r| code(r) == ExitStatus::Findings.code()) {
        ExitStatus::Findings
    } else if !rows.is_empty() && rows.iter().all(|r| code(r) == ExitStatus::Error.code()) {
        ExitStatus::Error
    } else if rows
        .iter()
        .any(|r| code(r) == ExitStatus::Error.code() || code(r) == ExitStatus::Incomplete.code())
    {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Clean
    }
}

/// What a summary says beyond its tenants.
pub(super) struct SummaryMeta {
    pub(super) generated_at: DateTime<Utc>,
    pub(super) root: Option<String>,
    pub(super) shard: Option<String>,
    pub(super) merged_from: Vec<String>,
    pub(super) fail_on: Option<Severity>,
}

/// The summary of these tenants: rows in name order with their exit codes under
/// `meta.fail_on`, the run's exit code, and the campaigns.
pub(super) fn summarize(files: &[TenantFile], meta: SummaryMeta) -> Summary {
    let mut tenants: Vec<TenantRow> = files.iter().map(|f| f.row.clone()).collect();
    for row in &mut tenants {
        row.exit = row.exit_under(meta.fail_on).code();
    }
    tenants.sort_by(|a, b| a.tenant.cmp(&b.tenant));
    let exit = batch_exit(&tenants).code();
    Summary {
        schema: SUMMARY_SCHEMA.into(),
        tool: ToolInfo::current(),
        generated_at: meta.generated_at,
        root: meta.root,
        shard: meta.shard,
        merged_from: meta.merged_from,
        fail_on: meta.fail_on,
        exit,
        tenants,
        campaigns: campaigns(files),
    }
}

/// The process exit status of a summary's exit code.
pub(super) fn exit_of(summary: &Summary) -> ExitStatus {
    match summary.exit {
        1 => ExitStatus::Findings,
        2 => ExitStatus::Error,
        3 => ExitStatus::Incomplete,
        _ => ExitStatus::Clean,
    }
}

/// Writes summary.json and junit.xml (its test cases per family in `families`' order), and
/// prints the tables.
pub(super) fn publish(
    summary: &Summary,
    files: &[TenantFile],
    families: &[String],
    out_dir: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(summary)?;
    json.push(b'\n');
    write_new(&out_dir.join("summary.json"), &json, force)?;
    write_new(
        &out_dir.join("junit.xml"),
        &super::junit::junit(summary, files, families)?,
        force,
    )?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", tenants_table(summary))?;
    if !summary.campaigns.is_empty() {
        writeln!(stdout, "{}", campaigns_table(summary))?;
    }
    let failed = summary.tenants.iter().filter(|r| r.error.is_some()).count();
    writeln!(
        stdout,
        "{} tenant(s), {} failed, {} campaign indicator(s); summary: {}, JUnit: {}",
        summary.tenants.len(),
        failed,
        summary.campaigns.len(),
        out_dir.join("summary.json").display(),
        out_dir.join("junit.xml").display()
    )?;
    Ok(())
}

fn table(header: Vec<&str>) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(header);
    table
}

fn tenants_table(summary: &Summary) -> comfy_table::Table {
    use comfy_table::{Cell, CellAlignment};
    let mut table = table(vec![
        "tenant",
        "exit",
        "compromised",
        "suspicious",
        "critical",
        "high",
        "medium",
        "low",
        "info",
        "windows",
        "events",
        "error",
    ]);
    for r in &summary.tenants {
        let n = |m: &BTreeMap<String, usize>, k: &str| {
            Cell::new(m.get(k).copied().unwrap_or(0)).set_alignment(CellAlignment::Right)
        };
        table.add_row(vec![
            Cell::new(&r.tenant),
            Cell::new(r.exit).set_alignment(CellAlignment::Right),
            n(&r.accounts, "compromised"),
            n(&r.accounts, "suspicious"),
            n(&r.findings, "critical"),
            n(&r.findings, "high"),
            n(&r.findings, "medium"),
            n(&r.findings, "low"),
            n(&r.findings, "info"),
            Cell::new(r.windows).set_alignment(CellAlignment::Right),
            Cell::new(r.events).set_alignment(CellAlignment::Right),
            Cell::new(r.error.as_deref().unwrap_or("")),
        ]);
    }
    table
}

fn campaigns_table(summary: &Summary) -> comfy_table::Table {
    let mut table = table(vec!["campaign indicator", "kind", "tenants", "accounts"]);
    for c in &summary.campaigns {
        table.add_row(vec![
            c.indicator.clone(),
            c.kind.as_str().to_string(),
            c.tenants.join(", "),
            c.accounts
                .iter()
                .map(|a| format!("{}: {}", a.tenant, a.user))
                .collect::<Vec<_>>()
                .join("\n"),
        ]);
    }
    table
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn row(tenant: &str, exit: ExitStatus) -> TenantRow {
        let mut r = TenantRow::failed(tenant, Path::new(tenant), None, String::new());
        r.exit = exit.code();
        r
    }

    #[test]
    fn exit_code_mapping() {
        use ExitStatus::*;
        assert_eq!(batch_exit(&[]), Clean);
        assert_eq!(batch_exit(&[row("a", Clean), row("b", Clean)]), Clean);
        assert_eq!(
            batch_exit(&[row("a", Clean), row("b", Incomplete)]),
            Incomplete
        );
        assert_eq!(batch_exit(&[row("a", Clean), row("b", Error)]), Incomplete);
        assert_eq!(batch_exit(&[row("a", Error), row("b", Error)]), Error);
        assert_eq!(batch_exit(&[row("a", Findings), row("b", Error)]), Findings);
    }
}
