//! `uala-gen`: write a synthetic Microsoft 365 tenant export with ground truth.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "uala-gen",
    about = "Generate a realistic Microsoft 365 tenant export (UAL, sign-ins, Entra audit, inbox rules, mailboxes, message trace) with planted BEC compromises and truth.json"
)]
struct Args {
    /// Output directory (created if missing; existing files of the export are overwritten).
    #[arg(long)]
    out: PathBuf,
    /// PRNG seed: the same arguments always give byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Accounts in the tenant (people plus a few service and shared mailboxes).
    #[arg(long, default_value_t = 600)]
    users: usize,
    /// Length of the period in days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// First day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2025-04-07")]
    start: String,
    /// Trailing days the sign-in log covers.
    #[arg(long, default_value_t = 14)]
    signin_days: u32,
    /// Bulk mailbox/file activity multiplier per user-day.
    #[arg(long, default_value_t = 1.0)]
    activity: f64,
    /// Approximate total size (1GB, 500MB, 5GiB, ...): users, then activity, are scaled.
    #[arg(long)]
    size: Option<String>,
    /// Upper bound on users when scaling to --size.
    #[arg(long, default_value_t = 10_000)]
    max_users: usize,
    /// One campaign's attacker addresses in 10.0.0.0/8 (anonymised export).
    #[arg(long)]
    private_attacker: bool,
    /// Write only ual/audit.csv (and truth.json).
    #[arg(long)]
    ual_only: bool,
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1e3,
        "m" | "mib" => 1048576.0,
        "mb" => 1e6,
        "g" | "gib" => 1073741824.0,
        "gb" => 1e9,
        _ => return None,
    };
    Some((n * mult) as u64)
}

fn main() -> ExitCode {
    let a = Args::parse();
    let Ok(start) = NaiveDate::parse_from_str(&a.start, "%Y-%m-%d") else {
        eprintln!("uala-gen: --start must be YYYY-MM-DD");
        return ExitCode::from(2);
    };
    let target_bytes = match a.size.as_deref().map(parse_size) {
        Some(None) => {
            eprintln!("uala-gen: cannot read --size (try 1GB, 500MB, 5GiB)");
            return ExitCode::from(2);
        }
        Some(Some(b)) => Some(b),
        None => None,
    };
    let s = uala_gen::Scenario {
        seed: a.seed,
        users: a.users,
        days: a.days,
        start,
        target_bytes,
        signin_days: a.signin_days,
        activity: a.activity,
        private_attacker: a.private_attacker,
        ual_only: a.ual_only,
        max_users: a.max_users,
    };
    let t0 = Instant::now();
    match uala_gen::generate(&s, &a.out) {
        Ok(tr) => {
            let secs = t0.elapsed().as_secs_f64();
            let bytes = tr.total_bytes();
            for (f, x) in &tr.files {
                eprintln!("{f:32} {:>12} records {:>15} bytes", x.records, x.bytes);
            }
            eprintln!(
                "uala-gen: {} ({} users, activity {}): {} victims, {} bytes in {:.1} s ({:.0} MB/s)",
                tr.tenant.domain,
                tr.scenario.users,
                tr.scenario.activity,
                tr.victims.len(),
                bytes,
                secs,
                bytes as f64 / 1e6 / secs.max(1e-9)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("uala-gen: {}: {e}", a.out.display());
            ExitCode::from(1)
        }
    }
}
