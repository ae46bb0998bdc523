//! The command line (design.md section 2): clap definitions and the commands' top level.
//!
//! The flag groups that several commands take are declared once here ([`InputArgs`] with
//! [`ReadFlags`], [`OutputFlags`], [`AnalysisFlags`]); `batch` and `merge` are in [`batch`],
//! which turns their flags into the plain plans `crate::batch` runs (it never sees clap).

pub mod batch;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

pub use batch::{BatchArgs, MergeArgs};

use crate::config::AnalysisSettings;
use crate::error::ExitStatus;
use crate::field_plan::FieldPlan;
use crate::finding::Severity;
use crate::ingest::time::DateOrder;
use crate::ingest::{self, IngestOptions, Ingested};
use crate::inspect::{InspectReport, inputs_table};
use crate::output::{check_output, generated_at};
use crate::report::csv::CsvReporter;
use crate::report::html::HtmlReporter;
use crate::report::sarif::SarifReporter;
use crate::report::terminal::TerminalReporter;
use crate::report::timesketch::TimesketchReporter;
use crate::report::{Display, JsonReporter, Report, Reporter};
use crate::rules::Catalogue;

/// Offline analyzer of Microsoft 365 exports for compromised-mailbox (BEC) investigations.
#[derive(Debug, Parser)]
#[command(name = "uala", version, about, propagate_version = true)]
#[command(
    after_help = "Exit codes: 0 completed, 1 findings at or above --fail-on, 2 usage or input error, 3 some input was skipped."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse evidence folders or files: ingest summary and reports.
    Analyze(Box<AnalyzeArgs>),
    /// List what was found: kind, format, encoding, records, skipped, time span, users.
    Inspect(InspectArgs),
    /// The rule catalogue: list, show one, or run every rule's examples.
    Rules(RulesArgs),
    /// Analyse every tenant folder under ROOT: per-tenant reports, summary, JUnit, campaigns.
    Batch(Box<BatchArgs>),
    /// Merge the output folders of sharded `batch` jobs into one summary.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    /// Also load the rules in this folder (*.yml; same id replaces a built-in rule).
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// One line per rule (the default).
    List,
    /// A rule in full.
    Show {
        /// Rule id, e.g. forwarding.inbox-rule
        id: String,
    },
    /// Run every rule's examples: those that must fire and those that must stay quiet.
    Test,
    /// The catalogue as Markdown (the catalogue section of docs/rules.md).
    Doc,
}

/// The evidence of `analyze` and `inspect`, and how it is read.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Evidence folders or files (folders are walked; .zip and .gz are read in place).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub read: ReadFlags,
}

/// How evidence is read, and the run's threads and stderr: shared by every command that reads
/// evidence (`analyze`, `inspect`, `batch`).
#[derive(Debug, Args)]
pub struct ReadFlags {
    /// Day/month order of culture-formatted dates (e.g. message trace `Received`); learnt per
    /// file when not given.
    #[arg(long, value_enum, help_heading = "Input")]
    pub date_order: Option<DateOrder>,
    /// Largest decompressed size read from one archive, in bytes.
    #[arg(long, default_value_t = 4 << 30, value_name = "BYTES", help_heading = "Input")]
    pub max_decompressed: u64,
    /// Stop at the first input error (exit code 2) instead of skipping and reporting it
    /// (`batch`: that tenant stops, and its row gets exit code 2).
    #[arg(long, help_heading = "Input")]
    pub strict: bool,
    /// Worker threads (default: all cores). Output does not depend on it.
    #[arg(long, value_name = "N", help_heading = "Run")]
    pub threads: Option<usize>,
    /// No progress bar and no diagnostics on stderr (they stay in the reports).
    #[arg(long, short, help_heading = "Run")]
    pub quiet: bool,
}

impl ReadFlags {
    /// The ingest options these flags give (no field plan: the caller's rules decide it).
    pub fn ingest_options(&self) -> IngestOptions {
        IngestOptions {
            date_order: self.date_order,
            max_decompressed: self.max_decompressed,
            strict: self.strict,
            field_plan: None,
        }
    }
}

/// Output options shared by `analyze` and `batch`.
#[derive(Debug, Args)]
pub struct OutputFlags {
    /// Overwrite existing output files.
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    /// Time zone for times shown to people (IANA name, e.g. Europe/Berlin); machine outputs stay UTC.
    #[arg(long, default_value = "UTC", value_parser = parse_tz, help_heading = "Output")]
    pub tz: chrono_tz::Tz,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the inputs and diagnostics as JSON to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub json: Option<PathBuf>,
    /// Overwrite existing output files.
    #[arg(long, help_heading = "Output")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub analysis: AnalysisFlags,
    /// Write the JSON report (schema uala.report/1) to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report for counsel to FILE.
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub html: Option<PathBuf>,
    /// Write the timeline as CSV (spreadsheet-safe) to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub csv: Option<PathBuf>,
    /// Write the timeline and findings as Timesketch JSON Lines to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub timesketch: Option<PathBuf>,
    /// Write the findings as SARIF 2.1.0 to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub sarif: Option<PathBuf>,
    /// Write events and findings as Parquet under DIR/tenant=<id>/ (docs/parquet.md).
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    pub parquet: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputFlags,
    /// The tenant's own mail domains (default: inferred from its accounts).
    #[arg(
        long = "internal-domain",
        value_name = "DOMAIN",
        help_heading = "Analysis"
    )]
    pub internal_domains: Vec<String>,
    /// Tenant name for the report (default: the *.onmicrosoft.com name in the evidence).
    #[arg(long, value_name = "NAME", help_heading = "Analysis")]
    pub tenant: Option<String>,
    /// Colour in the terminal report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Output")]
    pub color: ColorChoice,
}

/// Analysis options shared by `analyze` and `batch`.
#[derive(Debug, Args)]
pub struct AnalysisFlags {
    /// Exit with code 1 when a finding reaches this severity (`batch`: that tenant fails, in
    /// the summary and as a JUnit case).
    #[arg(long, value_enum, value_name = "SEVERITY", help_heading = "Analysis")]
    pub fail_on: Option<Severity>,
    /// Also load the rules in this folder (*.yml; same id replaces a built-in rule).
    #[arg(long, value_name = "DIR", help_heading = "Analysis")]
    pub rules: Option<PathBuf>,
    /// Configuration file: domains, egress, thresholds, severity overrides (docs/config.md).
    /// `batch` uses it for every tenant but infers each tenant's name and domains.
    #[arg(long, value_name = "FILE", help_heading = "Analysis")]
    pub config: Option<PathBuf>,
    /// MaxMind or DB-IP City/ASN databases (.mmdb) for addresses the logs do not locate.
    #[arg(long, value_name = "MMDB", help_heading = "Analysis")]
    pub geoip: Vec<PathBuf>,
    /// Known corporate egress (CIDR); never anomalous.
    #[arg(long = "allow-ip", value_name = "CIDR", value_parser = parse_cidr, help_heading = "Analysis")]
    pub allow_ip: Vec<ipnet::IpNet>,
    /// Start of the evaluated period (RFC 3339); earlier events are baseline only.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339, help_heading = "Analysis")]
    pub since: Option<DateTime<Utc>>,
}

impl From<AnalysisFlags> for AnalysisSettings {
    fn from(flags: AnalysisFlags) -> AnalysisSettings {
        AnalysisSettings {
            fail_on: flags.fail_on,
            rules: flags.rules,
            config: flags.config,
            geoip: flags.geoip,
            allow_ip: flags.allow_ip,
            since: flags.since,
        }
    }
}

/// When to colour the terminal report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

pub(crate) fn parse_tz(s: &str) -> Result<chrono_tz::Tz, String> {
    s.parse::<chrono_tz::Tz>()
        .map_err(|e| format!("unknown time zone {s:?}: {e}"))
}

pub(crate) fn parse_cidr(s: &str) -> Result<ipnet::IpNet, String> {
    crate::config::parse_net(s)
}

pub(crate) fn parse_rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => ExitCode::from(status.code()),
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::from(0);
            }
            eprintln!("error: {err:#}");
            ExitCode::from(ExitStatus::Error.code())
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Inspect(args) => inspect(args),
        Command::Analyze(args) => analyze(*args),
        Command::Rules(args) => rules(args),
        Command::Batch(args) => crate::batch::run((*args).into()),
        Command::Merge(args) => crate::batch::merge(args.into()),
    }
}

fn read_evidence(input: &InputArgs, field_plan: FieldPlan) -> anyhow::Result<Ingested> {
    if let Some(n) = input.read.threads {
        // Fails only when a pool was already built (tests calling `run` twice); the first
        // setting then stays, which is harmless because output does not depend on it.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let options = IngestOptions {
        field_plan: Some(std::sync::Arc::new(field_plan)),
        ..input.read.ingest_options()
    };
    let progress = (!input.read.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message("reading evidence");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let ingested = ingest::ingest(&input.paths, &options)?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if !input.read.quiet {
        let mut stderr = std::io::stderr().lock();
        // Info-level notes (duplicate ids with different content) stay in the reports.
        for d in ingested
            .diagnostics
            .iter()
            .filter(|d| d.level > crate::diag::Level::Info)
        {
            writeln!(stderr, "{d}")?;
        }
    }
    Ok(ingested)
}

fn exit_status(ingested: &Ingested) -> ExitStatus {
    if ingested.is_incomplete() {
        ExitStatus::Incomplete
    } else {
        ExitStatus::Clean
    }
}

fn inspect(args: InspectArgs) -> anyhow::Result<ExitStatus> {
    if let Some(path) = &args.json {
        check_output(path, &args.input.paths, args.force)?;
    }
    let ingested = read_evidence(&args.input, FieldPlan::without_rules())?;
    let report = InspectReport::new(&ingested);
    match &args.json {
        Some(path) => write_output(path, &serde_json::to_vec_pretty(&report)?)?,
        None => writeln!(
            std::io::stdout().lock(),
            "{}",
            inputs_table(&ingested.inputs)
        )?,
    }
    if args.json.as_deref() != Some(Path::new("-")) {
        writeln!(
            std::io::stdout().lock(),
            "{} inputs, {} events, {} duplicate records dropped",
            ingested.inputs.len(),
            ingested.events.len(),
            ingested.duplicates_dropped
        )?;
    }
    Ok(exit_status(&ingested))
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<ExitStatus> {
    let outputs = [
        &args.json,
        &args.html,
        &args.csv,
        &args.timesketch,
        &args.sarif,
    ];
    for path in outputs.iter().copied().flatten() {
        check_output(path, &args.input.paths, args.output.force)?;
    }
    if let Some(dir) = &args.parquet {
        crate::parquet::check_dir_outside(dir, &args.input.paths)?;
    }
    if outputs
        .iter()
        .copied()
        .flatten()
        .filter(|p| p.as_path() == Path::new("-"))
        .count()
        > 1
    {
        bail!(crate::error::Error::Usage(
            "only one output can go to stdout (-)".into()
        ));
    }
    let settings = AnalysisSettings::from(args.analysis);
    let rules = Catalogue::load(settings.rules.as_deref())?;
    let ingested = read_evidence(&args.input, FieldPlan::for_rules(&rules))?;
    // design.md section 2: no readable input at all is exit code 2, not a clean bill of health.
    if !ingested.inputs.iter().any(|i| i.source_kind().is_some()) {
        writeln!(
            std::io::stdout().lock(),
            "{}",
            inputs_table(&ingested.inputs)
        )?;
        bail!(crate::error::Error::NoInput(format!(
            "none of the {} files found is an export uala can read (see the table above)",
            ingested.inputs.len()
        )));
    }
    let (config, mut options) = settings.options()?;
    options.internal_domains = config.internal_domains.clone();
    options
        .internal_domains
        .extend(args.internal_domains.iter().cloned());
    options.tenant = args.tenant.clone().or(config.tenant.clone());
    let analysis = crate::analysis::analyze(ingested, &rules, &options);
    let report = Report::new(&analysis, &rules, generated_at());
    let display = Display {
        tz: args.output.tz,
        color: match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        },
    };
    let reporters: [(&Option<PathBuf>, Box<dyn Reporter>); 5] = [
        (&args.json, Box::new(JsonReporter)),
        (
            &args.html,
            Box::new(HtmlReporter {
                display: Display {
                    color: false,
                    ..display
                },
            }),
        ),
        (&args.csv, Box::new(CsvReporter { display })),
        (&args.timesketch, Box::new(TimesketchReporter)),
        (&args.sarif, Box::new(SarifReporter)),
    ];
    for (path, reporter) in &reporters {
        if let Some(path) = path {
            write_report(path, reporter.as_ref(), &report)?;
        }
    }
    if let Some(dir) = &args.parquet {
        crate::parquet::write_analysis(dir, &analysis, &args.input.paths, args.output.force)?;
    }
    if !outputs
        .iter()
        .copied()
        .flatten()
        .any(|p| p.as_path() == Path::new("-"))
    {
        let mut stdout = std::io::stdout().lock();
        TerminalReporter { display }.render(&report, &mut stdout)?;
    }
    let failed = settings
        .fail_on
        .is_some_and(|threshold| analysis.findings.iter().any(|f| f.severity >= threshold));
    let status = if failed {
        ExitStatus::Findings
    } else {
        exit_status(&analysis.ingested)
    };
    drop(report);
    // The process ends here: freeing millions of small strings one by one took a tenth of a
    // large run (docs/performance.md), and the operating system reclaims it all at once.
    std::mem::forget(analysis);
    Ok(status)
}

fn rules(args: RulesArgs) -> anyhow::Result<ExitStatus> {
    let catalogue = Catalogue::load(args.rules.as_deref())?;
    let mut stdout = std::io::stdout().lock();
    match args.action.unwrap_or(RulesAction::List) {
        RulesAction::List => {
            let mut table = comfy_table::Table::new();
            table
                .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_header(vec!["id", "severity", "made by", "sources", "title"]);
            for r in &catalogue.rules {
                let sources: Vec<&str> = r.spec.sources.iter().map(|s| s.as_str()).collect();
                table.add_row(vec![
                    r.spec.id.clone(),
                    r.spec.severity.to_string(),
                    made_by(r),
                    sources.join(", "),
                    r.spec.title.clone(),
                ]);
            }
            writeln!(stdout, "{table}")?;
            let data = catalogue.data_rules().count();
            writeln!(
                stdout,
                "{} rules: {data} data rules, {} made by analyzers",
                catalogue.rules.len(),
                catalogue.rules.len() - data
            )?;
            Ok(ExitStatus::Clean)
        }
        RulesAction::Show { id } => {
            let Some(rule) = catalogue.get(&id) else {
                bail!(crate::error::Error::Usage(format!(
                    "no rule {id:?} (see `uala rules list`)"
                )));
            };
            write!(stdout, "{}", crate::rules::doc::show(rule))?;
            Ok(ExitStatus::Clean)
        }
        RulesAction::Doc => {
            write!(
                stdout,
                "{}",
                crate::rules::doc::catalogue_markdown(&catalogue)
            )?;
            Ok(ExitStatus::Clean)
        }
        RulesAction::Test => {
            let mut failures = crate::analysis::check_catalogue(&catalogue);
            failures.extend(catalogue.self_test());
            failures.extend(crate::analysis::self_test(&catalogue));
            let examples: usize = catalogue
                .rules
                .iter()
                .map(|r| r.spec.examples.fire.len() + r.spec.examples.quiet.len())
                .sum();
            for f in &failures {
                writeln!(stdout, "FAIL {f}")?;
            }
            writeln!(
                stdout,
                "{} examples of {} rules; {} failure(s)",
                examples,
                catalogue.rules.len(),
                failures.len()
            )?;
            Ok(if failures.is_empty() {
                ExitStatus::Clean
            } else {
                ExitStatus::Error
            })
        }
    }
}

fn made_by(rule: &crate::rules::Rule) -> String {
    match &rule.spec.analyzer {
        Some(a) => format!("analyzer {a}"),
        None => "data rule".into(),
    }
}

/// Renders one report format to a file or stdout (`-`).
fn write_report(path: &Path, reporter: &dyn Reporter, report: &Report<'_>) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    reporter.render(report, &mut bytes)?;
    if path == Path::new("-") {
        std::io::stdout().lock().write_all(&bytes)?;
        return Ok(());
    }
    std::fs::write(path, bytes).with_context(|| {
        format!(
            "cannot write the {} report to {}",
            reporter.name(),
            path.display()
        )
    })
}

fn write_output(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.write_all(b"\n")?;
        return Ok(());
    }
    let mut content = bytes.to_vec();
    content.push(b'\n');
    std::fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}
