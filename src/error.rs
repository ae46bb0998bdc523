//! Typed errors of the library, and the process exit codes of design.md section 2.

use std::path::PathBuf;

/// Errors that stop a whole command (as opposed to [`crate::diag::Diagnostic`]s, which record a
/// problem with one input or one record and let the run go on).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} does not exist")]
    NotFound { path: PathBuf },
    #[error("no readable input: {0}")]
    NoInput(String),
    #[error("{path}:{line}: {message} (--strict)")]
    Strict {
        path: String,
        line: u64,
        message: String,
    },
    #[error("refusing to write {path}: {reason}")]
    Output { path: PathBuf, reason: String },
    #[error("{0}")]
    Usage(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Process exit codes (design.md section 2): the same for every command and output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Completed; nothing at or above `--fail-on`.
    Clean = 0,
    /// Completed; at least one finding at or above `--fail-on`.
    Findings = 1,
    /// Usage, config or rule error, no readable input, or a `--strict` input error.
    Error = 2,
    /// Completed, but some input was skipped.
    Incomplete = 3,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        self as u8
    }
}
