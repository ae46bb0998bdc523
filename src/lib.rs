//! uala: an offline analyzer of Microsoft 365 exports for business-email-compromise
//! investigations.
//!
//! Stages, one module each: [`ingest`] (discover, decode, sniff, parse, normalize) → rules and
//! analyzers → timeline → reports. The binary (`src/main.rs`) only parses the command line and
//! calls [`cli::run`].

pub mod analysis;
pub mod analyzers;
pub mod batch;
pub mod cli;
pub mod config;
pub mod diag;
pub mod error;
pub mod event;
pub mod field_plan;
pub mod finding;
pub mod geoip;
pub mod identity;
pub mod infra;
pub mod ingest;
pub mod inspect;
pub mod output;
pub mod parquet;
pub mod remediation;
pub mod report;
pub mod rules;
pub mod tenant;
pub mod timeline;
pub mod window;

pub use error::{Error, ExitStatus, Result};
pub use event::{Event, SourceKind};
