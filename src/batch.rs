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

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analysis::{Analysis, AnalysisOptions, Verdict};
use crate::error::{Error, ExitStatus};
use crate::finding::Severity;
use crate::ingest::time::DateOrder;
use crate::ingest::{self, IngestOptions};
use crate::report::csv::CsvReporter;
use crate::report::html::HtmlReporter;
use crate::report::sarif::SarifReporter;
use crate::report::timesketch::TimesketchReporter;
use crate::report::{Display, JsonReporter, Report, Reporter};
use crate::rules::Catalogue;

/// Schema of `summary.json`.
pub const SUMMARY_SCHEMA: &str = "uala.batch/1";
/// Schema of `DIR/<tenant>/tenant.json`.
pub const TENANT_SCHEMA: &str = "uala.tenant/1";

/// Rule families of the catalogue (design.md section 4): one JUnit test case each per tenant.
pub const FAMILIES: [&str; 7] = [
    "forwarding",
    "inbox_rule",
    "signin",
    "sent_items",
    "mailbox",
    "persistence",
    "audit",
];

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Folder whose sub-folders are the tenants (tenant id = sub-folder name).
    #[arg(value_name = "ROOT")]
    pub root: PathBuf,
    /// Where the summary, JUnit XML and per-tenant reports (`DIR/<tenant>/`) go.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub out_dir: PathBuf,
    /// Write each tenant's JSON report to `DIR/<tenant>/report.json`.
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// Write each tenant's HTML report to `DIR/<tenant>/report.html`.
    #[arg(long, help_heading = "Output")]
    pub html: bool,
    /// Write each tenant's CSV timeline to `DIR/<tenant>/report.csv`.
    #[arg(long, help_heading = "Output")]
    pub csv: bool,
    /// Write each tenant's Timesketch JSON Lines to `DIR/<tenant>/report.timesketch.jsonl`.
    #[arg(long, help_heading = "Output")]
    pub timesketch: bool,
    /// Write each tenant's SARIF 2.1.0 to `DIR/<tenant>/report.sarif`.
    #[arg(long, help_heading = "Output")]
    pub sarif: bool,
    /// Write events and findings as Parquet, hive-partitioned: `DIR/tenant=<id>/*.parquet`.
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub parquet: Option<PathBuf>,
    /// Overwrite existing output files.
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// Time zone of the HTML and CSV reports (IANA name); machine outputs stay UTC.
    #[arg(long, default_value = "UTC", value_parser = crate::cli::parse_tz, help_heading = "Output")]
    pub tz: chrono_tz::Tz,
    /// This job's share of the tenants, `I/N` (1-based): the I-th of every N tenants in name
    /// order. Combine the jobs' outputs with `uala merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard, help_heading = "Run")]
    pub shard: Option<Shard>,
    /// Tenants analysed at once (each uses every worker thread); at most this many tenants'
    /// events are in memory. Default: the worker threads, at most 4.
    #[arg(long, value_name = "N", help_heading = "Run")]
    pub jobs: Option<usize>,
    /// Worker threads (default: all cores). Output does not depend on it.
    #[arg(long, value_name = "N", help_heading = "Run")]
    pub threads: Option<usize>,
    /// No progress bar and no diagnostics on stderr (they stay in the reports).
    #[arg(long, short, help_heading = "Run")]
    pub quiet: bool,
    #[command(flatten)]
    pub analysis: crate::cli::AnalysisFlags,
    /// Day/month order of culture-formatted dates; learnt per file when not given.
    #[arg(long, value_enum, help_heading = "Input")]
    pub date_order: Option<DateOrder>,
    /// Largest decompressed size read from one archive, in bytes.
    #[arg(long, default_value_t = 4 << 30, value_name = "BYTES", help_heading = "Input")]
    pub max_decompressed: u64,
    /// A tenant stops at its first input error (its row gets exit code 2).
    #[arg(long, help_heading = "Input")]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Output folders of `uala batch` jobs (each with its summary.json).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where the merged summary.json and junit.xml go.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Threshold of exit code 1 and failing JUnit cases (default: the one the jobs used).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// Merge even when some shards of an `I/N` split are missing.
    #[arg(long)]
    pub partial: bool,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// Nothing on stderr but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--shard I/N`: the I-th (1-based) of N jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Does the tenant at `position` (0-based, in name order) belong to this shard?
    pub fn owns(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

pub fn parse_shard(s: &str) -> Result<Shard, String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("expected I/N (e.g. 1/3), got {s:?}"))?;
    let index: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("shard index {i:?} is not a number"))?;
    let count: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("shard count {n:?} is not a number"))?;
    if count == 0 || index == 0 || index > count {
        return Err(format!("shard {s:?}: need 1 <= I <= N"));
    }
    Ok(Shard { index, count })
}

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
    fn failed(tenant: &str, path: &Path, output: Option<String>, error: String) -> TenantRow {
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
    fn exit_under(&self, fail_on: Option<Severity>) -> ExitStatus {
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

/// Kinds of cross-tenant indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// An attacker IP of a compromised account.
    Ip,
    /// An attacker (tool) user agent of a compromised account.
    UserAgent,
    /// An external address that a forwarding finding sends mail to.
    ForwardTo,
}

impl IndicatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "ip",
            IndicatorKind::UserAgent => "user_agent",
            IndicatorKind::ForwardTo => "forward_to",
        }
    }
}

/// One indicator of one tenant, with the accounts it was seen on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub kind: IndicatorKind,
    pub indicator: String,
    pub users: Vec<String>,
}

/// An indicator seen in more than one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub indicator: String,
    pub kind: IndicatorKind,
    pub tenants: Vec<String>,
    /// The accounts it was seen on, per tenant.
    pub accounts: Vec<CampaignAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignAccount {
    pub tenant: String,
    pub user: String,
}

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

fn verdict_counts<'a>(verdicts: impl Iterator<Item = &'a Verdict>) -> BTreeMap<String, usize> {
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

fn severity_counts<'a>(severities: impl Iterator<Item = &'a Severity>) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for s in severities {
        *out.entry(s.as_str().to_string()).or_default() += 1;
    }
    out
}

/// The attacker indicators of one analysed tenant: attacker IPs and user agents of its
/// compromised accounts, and the external addresses its forwarding findings send mail to.
pub fn indicators(analysis: &Analysis) -> Vec<Indicator> {
    let mut map: BTreeMap<(IndicatorKind, String), BTreeSet<String>> = BTreeMap::new();
    for a in analysis
        .accounts
        .iter()
        .filter(|a| a.verdict == Verdict::Compromised)
    {
        for ip in &a.attacker_ips {
            map.entry((IndicatorKind::Ip, ip.to_string()))
                .or_default()
                .insert(a.user.clone());
        }
        for ua in &a.attacker_user_agents {
            map.entry((IndicatorKind::UserAgent, ua.trim().to_string()))
                .or_default()
                .insert(a.user.clone());
        }
    }
    for f in analysis
        .findings
        .iter()
        .filter(|f| f.family() == "forwarding")
    {
        for key in ["forward_to", "destination"] {
            let texts: Vec<&str> = match f.fields.get(key) {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for address in texts.into_iter().flat_map(crate::tenant::addresses_in) {
                if analysis.tenant.is_internal(&address) {
                    continue;
                }
                let users = map.entry((IndicatorKind::ForwardTo, address)).or_default();
                if let Some(u) = &f.user {
                    users.insert(u.clone());
                }
            }
        }
    }
    map.into_iter()
        .map(|((kind, indicator), users)| Indicator {
            kind,
            indicator,
            users: users.into_iter().collect(),
        })
        .collect()
}

/// Indicators seen in more than one tenant: most widespread first, then by kind and value.
pub fn campaigns(tenants: &[TenantFile]) -> Vec<Campaign> {
    let mut map: BTreeMap<(IndicatorKind, &str), BTreeMap<&str, &[String]>> = BTreeMap::new();
    for t in tenants {
        for i in &t.indicators {
            map.entry((i.kind, i.indicator.as_str()))
                .or_default()
                .insert(t.row.tenant.as_str(), &i.users);
        }
    }
    let mut out: Vec<Campaign> = map
        .into_iter()
        .filter(|(_, seen)| seen.len() > 1)
        .map(|((kind, indicator), seen)| Campaign {
            indicator: indicator.to_string(),
            kind,
            tenants: seen.keys().map(|t| t.to_string()).collect(),
            accounts: seen
                .iter()
                .flat_map(|(tenant, users)| {
                    users.iter().map(|u| CampaignAccount {
                        tenant: tenant.to_string(),
                        user: u.clone(),
                    })
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| {
        b.tenants
            .len()
            .cmp(&a.tenants.len())
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.indicator.cmp(&b.indicator))
    });
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

/// Report files asked for, with their names under `DIR/<tenant>/`.
fn report_files(args: &BatchArgs) -> Vec<(&'static str, Box<dyn Reporter + Send + Sync>)> {
    let display = Display {
        tz: args.tz,
        color: false,
    };
    let mut out: Vec<(&'static str, Box<dyn Reporter + Send + Sync>)> = Vec::new();
    if args.json {
        out.push(("report.json", Box::new(JsonReporter)));
    }
    if args.html {
        out.push(("report.html", Box::new(HtmlReporter { display })));
    }
    if args.csv {
        out.push(("report.csv", Box::new(CsvReporter { display })));
    }
    if args.timesketch {
        out.push(("report.timesketch.jsonl", Box::new(TimesketchReporter)));
    }
    if args.sarif {
        out.push(("report.sarif", Box::new(SarifReporter)));
    }
    out
}

/// Names that a tenant folder may not have: they are the batch's own outputs.
const RESERVED: [&str; 2] = ["summary.json", "junit.xml"];

/// The tenant folders of ROOT, in name order (hidden folders skipped).
pub fn tenant_folders(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    if !root.is_dir() {
        bail!(Error::Usage(format!(
            "{} is not a folder (batch needs a folder of tenant folders)",
            root.display()
        )));
    }
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(root).with_context(|| format!("cannot list {}", root.display()))?
    {
        let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !path.is_dir() {
            continue;
        }
        out.push((name, path));
    }
    out.sort();
    Ok(out)
}

/// Writes one output file, refusing to overwrite without `force`.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    if !force && path.exists() {
        bail!(Error::Output {
            path: path.to_path_buf(),
            reason: "it exists (use --force to overwrite)".into(),
        });
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn refuse_existing(paths: &[PathBuf], force: bool) -> anyhow::Result<()> {
    if force {
        return Ok(());
    }
    if let Some(p) = paths.iter().find(|p| p.exists()) {
        bail!(Error::Output {
            path: p.clone(),
            reason: "it exists (use --force to overwrite)".into(),
        });
    }
    Ok(())
}

pub fn batch(args: BatchArgs) -> anyhow::Result<ExitStatus> {
    if let Some(n) = args.threads {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let root = args.root.clone();
    let all = tenant_folders(&root)?;
    if all.is_empty() {
        bail!(Error::NoInput(format!(
            "no tenant folders under {}",
            root.display()
        )));
    }
    let tenants: Vec<(String, PathBuf)> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| args.shard.is_none_or(|s| s.owns(*i)))
        .map(|(_, t)| t)
        .collect();

    // Outputs: never inside the evidence, never over existing files without --force; all
    // checked before any work.
    let evidence = [root.clone()];
    crate::parquet::check_dir_outside(&args.out_dir, &evidence)?;
    if let Some(dir) = &args.parquet {
        crate::parquet::check_dir_outside(dir, &evidence)?;
    }
    let reporters = report_files(&args);
    let mut planned = vec![
        args.out_dir.join("summary.json"),
        args.out_dir.join("junit.xml"),
    ];
    for (tenant, _) in &tenants {
        let dir = args.out_dir.join(tenant);
        crate::parquet::check_dir_outside(&dir, &evidence)?;
        planned.push(dir.join("tenant.json"));
        planned.extend(reporters.iter().map(|(name, _)| dir.join(name)));
        if let Some(parquet) = &args.parquet {
            planned.extend(crate::parquet::partition_files(parquet, tenant));
        }
    }
    refuse_existing(&planned, args.force)?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;

    let rules = Catalogue::load(args.analysis.rules.as_deref())?;
    // Each tenant's own name and internal domains are inferred from its evidence.
    let (_, analysis_options) = args.analysis.options()?;
    let generated_at = crate::cli::generated_at();
    let jobs = args
        .jobs
        .unwrap_or_else(|| rayon::current_num_threads().min(4))
        .clamp(1, tenants.len().max(1));
    let progress = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(tenants.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} tenants {wide_msg}",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let say = |line: String| {
        if args.quiet {
            return;
        }
        match &progress {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    };

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<TenantFile>>> = Mutex::new(vec![None; tenants.len()]);
    let ctx = TenantContext {
        args: &args,
        rules: &rules,
        field_plan: std::sync::Arc::new(crate::field_plan::FieldPlan::for_rules(&rules)),
        options: &analysis_options,
        reporters: &reporters,
        generated_at,
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((tenant, path)) = tenants.get(i) else {
                        break;
                    };
                    if let Some(bar) = &progress {
                        bar.set_message(tenant.clone());
                    }
                    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_tenant(&ctx, tenant, path, &say)
                    }));
                    let file = match run {
                        Ok(file) => file,
                        Err(panic) => {
                            let what = panic
                                .downcast_ref::<&str>()
                                .map(|s| s.to_string())
                                .or_else(|| panic.downcast_ref::<String>().cloned())
                                .unwrap_or_else(|| "unknown".into());
                            let row = TenantRow::failed(
                                tenant,
                                path,
                                Some(args.out_dir.join(tenant).display().to_string()),
                                format!("internal error (panic: {what})"),
                            );
                            let file = TenantFile {
                                schema: TENANT_SCHEMA.into(),
                                row,
                                rules: BTreeMap::new(),
                                indicators: Vec::new(),
                            };
                            save_tenant_file(&args.out_dir, &file);
                            file
                        }
                    };
                    if let Some(e) = &file.row.error {
                        say(format!("{tenant}: error: {e}"));
                    }
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(file);
                    if let Some(bar) = &progress {
                        bar.inc(1);
                    }
                }
            });
        }
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let files: Vec<TenantFile> = results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    let summary = summarize(
        files.as_slice(),
        SummaryMeta {
            generated_at,
            root: Some(root.display().to_string()),
            shard: args.shard.map(|s| s.to_string()),
            merged_from: Vec::new(),
            fail_on: args.analysis.fail_on,
        },
    );
    publish(&summary, &files, &args.out_dir, args.force)?;
    Ok(exit_of(&summary))
}

struct TenantContext<'a> {
    args: &'a BatchArgs,
    rules: &'a Catalogue,
    /// The attributes the rules and analyzers read (the rest is not kept).
    field_plan: std::sync::Arc<crate::field_plan::FieldPlan>,
    /// Analysis options shared by every tenant (the tenant name is set per tenant).
    options: &'a AnalysisOptions,
    reporters: &'a [(&'static str, Box<dyn Reporter + Send + Sync>)],
    generated_at: DateTime<Utc>,
}

/// Analyses one tenant and writes its outputs; the analysis (and its events) is dropped on
/// return. Never fails: a broken tenant is a row with an error.
fn run_tenant(
    ctx: &TenantContext<'_>,
    tenant: &str,
    path: &Path,
    say: &(dyn Fn(String) + Sync),
) -> TenantFile {
    let args = ctx.args;
    let out = args.out_dir.join(tenant);
    let output = Some(out.display().to_string());
    let result = (|| -> anyhow::Result<TenantFile> {
        if RESERVED.contains(&tenant) {
            bail!("the tenant folder's name clashes with the batch's own {tenant}");
        }
        let options = IngestOptions {
            date_order: args.date_order,
            max_decompressed: args.max_decompressed,
            strict: args.strict,
            field_plan: Some(ctx.field_plan.clone()),
        };
        let ingested = ingest::ingest(&[path.to_path_buf()], &options)?;
        for d in ingested
            .diagnostics
            .iter()
            .filter(|d| d.level > crate::diag::Level::Info)
        {
            say(format!("{tenant}: {d}"));
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
        let options = AnalysisOptions {
            tenant: Some(tenant.to_string()),
            ..ctx.options.clone()
        };
        let analysis = crate::analysis::analyze(ingested, ctx.rules, &options);
        std::fs::create_dir_all(&out)
            .with_context(|| format!("cannot create {}", out.display()))?;
        let report = Report::new(&analysis, ctx.rules, ctx.generated_at);
        for (name, reporter) in ctx.reporters {
            let mut bytes = Vec::new();
            reporter.render(&report, &mut bytes)?;
            write_new(&out.join(name), &bytes, args.force).with_context(|| {
                format!("cannot write the {} report of {tenant}", reporter.name())
            })?;
        }
        if let Some(dir) = &args.parquet {
            crate::parquet::write_tenant(dir, tenant, &analysis)?;
        }
        let mut rules: BTreeMap<String, BTreeMap<Severity, usize>> = BTreeMap::new();
        for f in &analysis.findings {
            *rules
                .entry(f.rule.clone())
                .or_default()
                .entry(f.severity)
                .or_default() += 1;
        }
        let mut row = TenantRow {
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
            output: output.clone(),
        };
        row.exit = row.exit_under(args.analysis.fail_on).code();
        Ok(TenantFile {
            schema: TENANT_SCHEMA.into(),
            row,
            rules,
            indicators: indicators(&analysis),
        })
    })();
    let file = match result {
        Ok(file) => file,
        Err(e) => TenantFile {
            schema: TENANT_SCHEMA.into(),
            row: TenantRow::failed(tenant, path, output, format!("{e:#}")),
            rules: BTreeMap::new(),
            indicators: Vec::new(),
        },
    };
    save_tenant_file(&args.out_dir, &file);
    file
}

/// Writes `DIR/<tenant>/tenant.json` (best effort for a failed tenant whose folder name is not
/// usable; `publish` reports it then).
fn save_tenant_file(out_dir: &Path, file: &TenantFile) {
    if RESERVED.contains(&file.row.tenant.as_str()) {
        return;
    }
    let dir = out_dir.join(&file.row.tenant);
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(mut bytes) = serde_json::to_vec_pretty(file) {
        bytes.push(b'\n');
        let _ = std::fs::write(dir.join("tenant.json"), bytes);
    }
}

struct SummaryMeta {
    generated_at: DateTime<Utc>,
    root: Option<String>,
    shard: Option<String>,
    merged_from: Vec<String>,
    fail_on: Option<Severity>,
}

fn summarize(files: &[TenantFile], meta: SummaryMeta) -> Summary {
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

fn exit_of(summary: &Summary) -> ExitStatus {
    match summary.exit {
        1 => ExitStatus::Findings,
        2 => ExitStatus::Error,
        3 => ExitStatus::Incomplete,
        _ => ExitStatus::Clean,
    }
}

/// Writes summary.json and junit.xml, and prints the tables.
fn publish(
    summary: &Summary,
    files: &[TenantFile],
    out_dir: &Path,
    force: bool,
) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(summary)?;
    json.push(b'\n');
    write_new(&out_dir.join("summary.json"), &json, force)?;
    write_new(
        &out_dir.join("junit.xml"),
        junit(summary, files).as_bytes(),
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

fn tenants_table(summary: &Summary) -> comfy_table::Table {
    use comfy_table::{Cell, CellAlignment};
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(vec![
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
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(vec!["campaign indicator", "kind", "tenants", "accounts"]);
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

/// Text safe inside XML 1.0 attributes and character data.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one suite per tenant; an `input` case (an error when the tenant could not be
/// analysed) and one case per rule family, failing when its findings reach `--fail-on`.
pub fn junit(summary: &Summary, files: &[TenantFile]) -> String {
    let by_tenant: BTreeMap<&str, &TenantFile> =
        files.iter().map(|f| (f.row.tenant.as_str(), f)).collect();
    let mut families: BTreeSet<String> = FAMILIES.iter().map(|f| f.to_string()).collect();
    for f in files {
        for rule in f.rules.keys() {
            families.insert(rule.split('.').next().unwrap_or(rule).to_string());
        }
    }
    let mut ordered: Vec<String> = FAMILIES.iter().map(|f| f.to_string()).collect();
    ordered.extend(
        families
            .into_iter()
            .filter(|f| !FAMILIES.contains(&f.as_str())),
    );

    let timestamp = summary.generated_at.format("%Y-%m-%dT%H:%M:%S");
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_errors, mut all_skipped) = (0, 0, 0, 0);
    for row in &summary.tenants {
        let rules = by_tenant.get(row.tenant.as_str()).map(|f| &f.rules);
        let classname = xml(&format!("uala.{}", row.tenant));
        let mut cases = String::new();
        let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
        tests += 1;
        match &row.error {
            Some(e) => {
                errors += 1;
                cases.push_str(&format!(
                    "    <testcase classname=\"{classname}\" name=\"input\" time=\"0\">\n      <error message=\"{}\" type=\"input\">{}</error>\n    </testcase>\n",
                    xml(e),
                    xml(&format!("{}: {}", row.path, e))
                ));
            }
            None => {
                cases.push_str(&format!(
                    "    <testcase classname=\"{classname}\" name=\"input\" time=\"0\">\n      <system-out>{}</system-out>\n    </testcase>\n",
                    xml(&format!(
                        "{}: {} input(s), {} event(s), {} input(s) not read in full",
                        row.path, row.inputs, row.events, row.inputs_skipped
                    ))
                ));
            }
        }
        for family in &ordered {
            tests += 1;
            let name = xml(family);
            if row.error.is_some() {
                skipped += 1;
                cases.push_str(&format!(
                    "    <testcase classname=\"{classname}\" name=\"{name}\" time=\"0\">\n      <skipped message=\"not analysed: the tenant's input failed\"/>\n    </testcase>\n"
                ));
                continue;
            }
            let mut hits: Vec<(String, Severity, usize)> = Vec::new();
            if let Some(rules) = rules {
                for (rule, counts) in rules {
                    if rule.split('.').next() != Some(family.as_str()) {
                        continue;
                    }
                    for (severity, n) in counts {
                        if summary.fail_on.is_some_and(|t| *severity >= t) {
                            hits.push((rule.clone(), *severity, *n));
                        }
                    }
                }
            }
            if hits.is_empty() {
                cases.push_str(&format!(
                    "    <testcase classname=\"{classname}\" name=\"{name}\" time=\"0\"/>\n"
                ));
                continue;
            }
            failures += 1;
            hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let total: usize = hits.iter().map(|h| h.2).sum();
            let worst = hits[0].1;
            let threshold = summary.fail_on.map(|s| s.as_str()).unwrap_or("");
            let detail: Vec<String> = hits
                .iter()
                .map(|(rule, s, n)| format!("{n} {s} {rule}"))
                .collect();
            cases.push_str(&format!(
                "    <testcase classname=\"{classname}\" name=\"{name}\" time=\"0\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                xml(&format!("{total} finding(s) at or above {threshold}")),
                worst.as_str(),
                xml(&format!(
                    "{}\nsee {}",
                    detail.join("\n"),
                    row.output.as_deref().unwrap_or(&row.path)
                ))
            ));
        }
        all_tests += tests;
        all_failures += failures;
        all_errors += errors;
        all_skipped += skipped;
        suites.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{timestamp}\">\n{cases}  </testsuite>\n",
            xml(&row.tenant)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"uala\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"{all_errors}\" skipped=\"{all_skipped}\" time=\"0\">\n{suites}</testsuites>\n"
    )
}

/// `uala merge`: one summary, JUnit and campaign table from the output folders of sharded
/// `uala batch` jobs.
pub fn merge(args: MergeArgs) -> anyhow::Result<ExitStatus> {
    let mut files: Vec<TenantFile> = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut thresholds: BTreeSet<Option<Severity>> = BTreeSet::new();
    let mut roots: BTreeSet<Option<String>> = BTreeSet::new();
    let mut shards: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    let mut whole = false;
    for dir in &args.dirs {
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let summary: Summary = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a uala batch summary", path.display()))?;
        if summary.schema != SUMMARY_SCHEMA {
            bail!(Error::Usage(format!(
                "{}: schema {:?}, expected {SUMMARY_SCHEMA}",
                path.display(),
                summary.schema
            )));
        }
        thresholds.insert(summary.fail_on);
        roots.insert(summary.root.clone());
        match summary.shard.as_deref().map(parse_shard) {
            Some(Ok(s)) => {
                shards.entry(s.count).or_default().insert(s.index);
            }
            Some(Err(e)) => bail!(Error::Usage(format!("{}: {e}", path.display()))),
            None => whole = true,
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
            let file_path = dir.join(&row.tenant).join("tenant.json");
            let file = match std::fs::read_to_string(&file_path) {
                Ok(text) => serde_json::from_str::<TenantFile>(&text)
                    .with_context(|| format!("{} is not a tenant file", file_path.display()))?,
                // A failed tenant whose folder could not be written: its row is all there is.
                Err(_) if row.error.is_some() => TenantFile {
                    schema: TENANT_SCHEMA.into(),
                    row: row.clone(),
                    rules: BTreeMap::new(),
                    indicators: Vec::new(),
                },
                Err(e) => {
                    return Err(anyhow::Error::new(e)
                        .context(format!("cannot read {}", file_path.display())));
                }
            };
            let mut file = file;
            // The row as the job's summary has it (the tenant file may lag a --force rerun).
            file.row = row.clone();
            files.push(file);
        }
    }
    if !args.partial {
        if shards.len() > 1 || (whole && !shards.is_empty()) {
            bail!(Error::Usage(
                "the folders come from different splits (--shard I/N with different N, or whole runs); pass --partial to merge anyway".into()
            ));
        }
        if let Some((count, have)) = shards.iter().next() {
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
    }
    let fail_on = match args.fail_on {
        Some(s) => Some(s),
        None if thresholds.len() <= 1 => thresholds.into_iter().next().flatten(),
        None => bail!(Error::Usage(
            "the jobs used different --fail-on thresholds; give one with --fail-on".into()
        )),
    };
    let root = if roots.len() == 1 {
        roots.into_iter().next().flatten()
    } else {
        None
    };
    refuse_existing(
        &[
            args.out_dir.join("summary.json"),
            args.out_dir.join("junit.xml"),
        ],
        args.force,
    )?;
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("cannot create {}", args.out_dir.display()))?;
    let summary = summarize(
        &files,
        SummaryMeta {
            generated_at: crate::cli::generated_at(),
            root,
            shard: None,
            merged_from: args.dirs.iter().map(|d| d.display().to_string()).collect(),
            fail_on,
        },
    );
    publish(&summary, &files, &args.out_dir, args.force)?;
    if !args.quiet {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tenant: &str, exit: ExitStatus) -> TenantRow {
        let mut r = TenantRow::failed(tenant, Path::new(tenant), None, String::new());
        r.exit = exit.code();
        r
    }

    #[test]
    fn shards_split_by_position() {
        let s = parse_shard("2/3").unwrap();
        assert_eq!(s, Shard { index: 2, count: 3 });
        let owned: Vec<usize> = (0..7).filter(|i| s.owns(*i)).collect();
        assert_eq!(owned, vec![1, 4]);
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("1/0").is_err());
        assert!(parse_shard("x").is_err());
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

    #[test]
    fn campaigns_need_two_tenants() {
        let file = |tenant: &str, indicators: Vec<Indicator>| TenantFile {
            schema: TENANT_SCHEMA.into(),
            row: row(tenant, ExitStatus::Clean),
            rules: BTreeMap::new(),
            indicators,
        };
        let ip = |v: &str, u: &str| Indicator {
            kind: IndicatorKind::Ip,
            indicator: v.into(),
            users: vec![u.into()],
        };
        let c = campaigns(&[
            file(
                "a",
                vec![ip("203.0.113.7", "x@a"), ip("198.51.100.1", "y@a")],
            ),
            file("b", vec![ip("203.0.113.7", "z@b")]),
        ]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].indicator, "203.0.113.7");
        assert_eq!(c[0].tenants, vec!["a", "b"]);
        assert_eq!(c[0].accounts.len(), 2);
    }

    #[test]
    fn xml_escapes_and_drops_control_characters() {
        assert_eq!(
            xml("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
    }
}
