//! Shared by the criterion benches: bench-mode detection, generated data sets, timing summaries.
//!
//! Data sets are made by `examples/gen_export.rs` **when a bench runs** (never when the bench
//! binary is only compiled, listed or run once by `cargo test --benches`). They are written to
//! `$UALA_BENCH_DATA/<name>/` (default `<target dir>/bench-data/<name>/`) and reused by later
//! runs while their stamp file (`<name>.stamp` beside the folder, so that it is not evidence)
//! matches the generator arguments; set `UALA_BENCH_REGEN=1` to regenerate them.

#![allow(dead_code)] // each bench uses a different part of this module

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Criterion as every bench here runs it: ten samples of whole runs of several seconds each.
pub fn criterion() -> criterion::Criterion {
    criterion::Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(10))
        .configure_from_args()
}

/// True when the binary was started by `cargo bench` (`--bench`, without `--test` or `--list`):
/// only then may data be generated and measured.
pub fn bench_mode() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    has("--bench") && !has("--test") && !has("--list")
}

/// The repository root (where Cargo.toml is).
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The profile directory the bench binary was built into (`<target>/release`): the bench is
/// `<target>/<profile>/deps/<name>-<hash>`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("bench executable lives in <target>/<profile>/deps")
}

/// Where data sets go: `$UALA_BENCH_DATA`, else `<target dir>/bench-data`.
pub fn data_root() -> PathBuf {
    match std::env::var_os("UALA_BENCH_DATA") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => profile_dir()
            .parent()
            .map(|t| t.join("bench-data"))
            .expect("target dir"),
    }
}

/// One generated export: a folder with `ual.csv`, `signins.jsonl` (unless the ratio is 0) and
/// `truth.json`.
#[derive(Debug, Clone)]
pub struct DataSet {
    pub name: &'static str,
    pub layout: &'static str,
    pub size: &'static str,
    pub signins_ratio: f64,
    pub seed: u64,
}

impl DataSet {
    fn args(&self) -> Vec<String> {
        vec![
            "--size".into(),
            self.size.into(),
            "--layout".into(),
            self.layout.into(),
            "--signins-ratio".into(),
            self.signins_ratio.to_string(),
            "--seed".into(),
            self.seed.to_string(),
        ]
    }

    fn command_line(&self, dir: &Path) -> String {
        format!(
            "cargo run --release --example gen_export -- --out {} {} --force",
            dir.display(),
            self.args().join(" ")
        )
    }

    /// The data set's folder, generated now unless an up-to-date copy is there.
    pub fn ensure(&self) -> PathBuf {
        let dir = data_root().join(self.name);
        let stamp_file = data_root().join(format!("{}.stamp", self.name));
        let stamp = self.args().join(" ");
        let regen = std::env::var_os("UALA_BENCH_REGEN").is_some_and(|v| v != "0");
        if !regen
            && dir.is_dir()
            && std::fs::read_to_string(&stamp_file).is_ok_and(|s| s.trim() == stamp)
        {
            return dir;
        }
        let generator = generator_binary().unwrap_or_else(|why| {
            panic!(
                "cannot build the data generator ({why}).\nMake the data set by hand and point \
                 UALA_BENCH_DATA at its parent folder:\n  {}\n  echo '{stamp}' > {}",
                self.command_line(&dir),
                stamp_file.display(),
            )
        });
        eprintln!("bench: generating {} ({})", dir.display(), stamp);
        let _ = std::fs::remove_file(&stamp_file);
        let status = Command::new(&generator)
            .arg("--out")
            .arg(&dir)
            .args(self.args())
            .arg("--force")
            .status()
            .unwrap_or_else(|e| panic!("{}: {e}", generator.display()));
        assert!(
            status.success(),
            "generator failed ({status}): {}",
            self.command_line(&dir)
        );
        std::fs::write(&stamp_file, format!("{stamp}\n")).expect("write stamp");
        dir
    }
}

/// Builds `examples/gen_export` into the bench's own target directory and returns its path.
fn generator_binary() -> Result<PathBuf, String> {
    let profile = profile_dir();
    let target = profile.parent().ok_or("no target dir")?.to_path_buf();
    let profile_name = profile
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("bad profile dir")?
        .to_string();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(manifest_dir().join("Cargo.toml"))
        .args(["--example", "gen_export"])
        .env("CARGO_TARGET_DIR", &target);
    if profile_name == "release" {
        cmd.arg("--release");
    } else {
        cmd.args(["--profile", &profile_name]);
    }
    let status = cmd.status().map_err(|e| format!("cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --example gen_export: {status}"));
    }
    let exe = profile
        .join("examples")
        .join(format!("gen_export{}", std::env::consts::EXE_SUFFIX));
    if exe.is_file() {
        Ok(exe)
    } else {
        Err(format!("{} not found after the build", exe.display()))
    }
}

/// Size of a file or of every file directly in a folder.
pub fn bytes_of(path: &Path) -> u64 {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// A rayon pool of `threads` workers (0: rayon's default, one per core).
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool")
}

/// Human label of a thread count.
pub fn threads_label(threads: usize) -> String {
    if threads == 0 {
        format!("threads={}", rayon_default_threads())
    } else {
        format!("threads={threads}")
    }
}

pub fn rayon_default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// CPU time (user + system) used so far by this process, all threads included, from
/// `/proc/self/stat` (clock ticks of 10 ms); zero where that file does not exist. Throughput per
/// CPU-second is what "per core" means, and it holds when other work shares the machine.
pub fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Wall and CPU times of each run, recorded by `iter_custom` routines and summarised after the
/// criterion group.
#[derive(Debug, Default)]
pub struct Times {
    pub wall: Vec<Duration>,
    pub cpu: Vec<Duration>,
}

impl Times {
    /// Runs `f` once, recording its wall and CPU time; returns its result and wall time.
    pub fn measure<T>(&mut self, f: impl FnOnce() -> T) -> (T, Duration) {
        let cpu = cpu_time();
        let start = std::time::Instant::now();
        let out = f();
        let wall = start.elapsed();
        self.wall.push(wall);
        self.cpu.push(cpu_time().saturating_sub(cpu));
        (out, wall)
    }

    pub fn is_empty(&self) -> bool {
        self.wall.is_empty()
    }

    pub fn median(&self) -> Duration {
        median(&self.wall)
    }

    pub fn best(&self) -> Duration {
        self.wall.iter().min().copied().unwrap_or_default()
    }

    /// Median CPU time of a run.
    pub fn median_cpu(&self) -> Duration {
        median(&self.cpu)
    }
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The machine's load average over the last minute (other work competing for the cores).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

pub use uala::report::html::thousands;
