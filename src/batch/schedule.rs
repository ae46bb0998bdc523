//! Which tenants a job analyses (the tenant folders of ROOT, `--shard I/N`), how many at once
//! (`--jobs`), and the workers that run them with a progress bar on a terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};

use crate::error::Error;

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

/// This job's tenants: those of `shard` (all without one); no tenant folder at all is an error.
pub(super) fn tenants(root: &Path, shard: Option<Shard>) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let all = tenant_folders(root)?;
    if all.is_empty() {
        bail!(Error::NoInput(format!(
            "no tenant folders under {}",
            root.display()
        )));
    }
    Ok(all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| shard.is_none_or(|s| s.owns(*i)))
        .map(|(_, t)| t)
        .collect())
}

/// Tenants analysed at once: `--jobs`, by default the worker threads but at most 4; never more
/// than there are tenants.
pub(super) fn jobs(asked: Option<usize>, tenants: usize) -> usize {
    asked
        .unwrap_or_else(|| rayon::current_num_threads().min(4))
        .clamp(1, tenants.max(1))
}

/// The progress bar (stderr, on a terminal, unless quiet) and the diagnostics printed around it.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
}

impl Progress {
    pub(super) fn new(tenants: usize, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(tenants as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} tenants {wide_msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress { bar, quiet }
    }

    /// One diagnostic line on stderr (none when quiet).
    pub(super) fn say(&self, line: String) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn start(&self, tenant: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(tenant.to_string());
        }
    }

    fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Runs `work` on every tenant, `jobs` at a time on plain threads (each tenant uses the whole
/// rayon pool for its own files, so at most `jobs` tenants are in memory), and returns the
/// results in the tenants' order.
pub(super) fn run_all<T: Send>(
    tenants: &[(String, PathBuf)],
    jobs: usize,
    progress: &Progress,
    work: impl Fn(&str, &Path) -> T + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..tenants.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((tenant, path)) = tenants.get(i) else {
                        break;
                    };
                    progress.start(tenant);
                    let result = work(tenant, path);
                    results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(result);
                    progress.done();
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
