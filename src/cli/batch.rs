//! The flags of `uala batch` and `uala merge`, and the plain plans they resolve to
//! ([`crate::batch::Plan`], [`crate::batch::MergePlan`]).

use std::path::PathBuf;

use clap::Args;

use super::{AnalysisFlags, OutputFlags, ReadFlags};
use crate::batch::{MergePlan, Plan, ReportFormat, Shard, parse_shard};
use crate::finding::Severity;

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
    #[command(flatten)]
    pub output: OutputFlags,
    /// This job's share of the tenants, `I/N` (1-based): the I-th of every N tenants in name
    /// order. Combine the jobs' outputs with `uala merge`.
    #[arg(long, value_name = "I/N", value_parser = parse_shard, help_heading = "Run")]
    pub shard: Option<Shard>,
    /// Tenants analysed at once (each uses every worker thread); at most this many tenants'
    /// events are in memory. Default: the worker threads, at most 4.
    #[arg(long, value_name = "N", help_heading = "Run")]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub analysis: AnalysisFlags,
    #[command(flatten)]
    pub read: ReadFlags,
}

impl From<BatchArgs> for Plan {
    fn from(args: BatchArgs) -> Plan {
        let asked = [args.json, args.html, args.csv, args.timesketch, args.sarif];
        Plan {
            root: args.root,
            out_dir: args.out_dir,
            reports: ReportFormat::ALL
                .into_iter()
                .zip(asked)
                .filter_map(|(format, on)| on.then_some(format))
                .collect(),
            parquet: args.parquet,
            force: args.output.force,
            tz: args.output.tz,
            shard: args.shard,
            jobs: args.jobs,
            threads: args.read.threads,
            quiet: args.read.quiet,
            ingest: args.read.ingest_options(),
            analysis: args.analysis.into(),
        }
    }
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

impl From<MergeArgs> for MergePlan {
    fn from(args: MergeArgs) -> MergePlan {
        MergePlan {
            dirs: args.dirs,
            out_dir: args.out_dir,
            fail_on: args.fail_on,
            partial: args.partial,
            force: args.force,
            quiet: args.quiet,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn plan(args: &[&str]) -> Plan {
        let cli = Cli::try_parse_from(["uala", "batch"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Batch(args) => (*args).into(),
            other => panic!("not batch: {other:?}"),
        }
    }

    #[test]
    fn batch_flags_become_the_plan() {
        let p = plan(&[
            "root",
            "--out-dir",
            "out",
            "--sarif",
            "--json",
            "--shard",
            "2/3",
            "--strict",
            "--threads",
            "2",
            "--tz",
            "Europe/Berlin",
            "--fail-on",
            "high",
            "--force",
        ]);
        assert_eq!(p.reports, vec![ReportFormat::Json, ReportFormat::Sarif]);
        assert_eq!(p.shard, Some(Shard { index: 2, count: 3 }));
        assert!(p.ingest.strict && p.force && !p.quiet);
        assert_eq!(p.threads, Some(2));
        assert_eq!(p.tz, chrono_tz::Europe::Berlin);
        assert_eq!(p.analysis.fail_on, Some(Severity::High));
        assert_eq!(p.ingest.max_decompressed, 4 << 30);
        let p = plan(&["root", "--out-dir", "out"]);
        assert!(p.reports.is_empty() && p.shard.is_none() && p.analysis.fail_on.is_none());
        assert_eq!(p.tz, chrono_tz::UTC);
    }
}
