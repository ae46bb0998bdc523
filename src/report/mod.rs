//! Reports, all rendered from one in-memory [`Report`] (design.md sections 3 and 6).

pub mod terminal;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::analysis::{Account, Analysis, Verdict};
use crate::diag::Diagnostic;
use crate::finding::{Finding, Severity};
use crate::ingest::InputSummary;
use crate::inspect::Tool;

/// The JSON report, schema `uala.report/1`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub schema: &'static str,
    pub tool: Tool,
    pub generated_at: DateTime<Utc>,
    pub tenant: Option<&'a str>,
    pub internal_domains: Vec<&'a str>,
    pub inputs: &'a [InputSummary],
    pub diagnostics: &'a [Diagnostic],
    pub duplicates_dropped: u64,
    pub events: usize,
    pub accounts: &'a [Account],
    pub findings: &'a [Finding],
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub findings: BTreeMap<&'static str, usize>,
    pub accounts: BTreeMap<&'static str, usize>,
}

impl<'a> Report<'a> {
    pub fn new(analysis: &'a Analysis, generated_at: DateTime<Utc>) -> Report<'a> {
        let mut findings = BTreeMap::new();
        for s in Severity::ALL {
            findings.insert(
                s.as_str(),
                analysis.findings.iter().filter(|f| f.severity == s).count(),
            );
        }
        let mut accounts = BTreeMap::new();
        for (name, v) in [
            ("compromised", Verdict::Compromised),
            ("suspicious", Verdict::Suspicious),
        ] {
            accounts.insert(
                name,
                analysis.accounts.iter().filter(|a| a.verdict == v).count(),
            );
        }
        Report {
            schema: "uala.report/1",
            tool: Tool::current(),
            generated_at,
            tenant: analysis.tenant_name.as_deref(),
            internal_domains: analysis
                .tenant
                .internal_domains
                .iter()
                .map(String::as_str)
                .collect(),
            inputs: &analysis.ingested.inputs,
            diagnostics: &analysis.ingested.diagnostics,
            duplicates_dropped: analysis.ingested.duplicates_dropped,
            events: analysis.ingested.events.len(),
            accounts: &analysis.accounts,
            findings: &analysis.findings,
            summary: Summary { findings, accounts },
        }
    }

    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let mut out = serde_json::to_vec_pretty(self)?;
        out.push(b'\n');
        Ok(out)
    }
}
