//! Reports, all rendered from one in-memory [`Report`] (design.md sections 3 and 6).

pub mod csv;
pub mod html;
pub mod sarif;
pub mod terminal;
pub mod timesketch;

/// How times are shown to people (machine formats stay UTC).
#[derive(Debug, Clone, Copy)]
pub struct Display {
    pub tz: chrono_tz::Tz,
    pub color: bool,
}

impl Default for Display {
    fn default() -> Self {
        Display {
            tz: chrono_tz::UTC,
            color: false,
        }
    }
}

impl Display {
    /// `2025-03-04 10:15:30 UTC` in the display zone.
    pub fn time(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz)
            .format("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }
}

/// One output format, rendered from the one in-memory report.
pub trait Reporter {
    /// What `--<name>` writes, for messages.
    fn name(&self) -> &'static str;
    fn render(&self, report: &Report<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()>;
}

/// `--json`: the report itself, schema `uala.report/1`.
pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn name(&self) -> &'static str {
        "json"
    }
    fn render(&self, report: &Report<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")
    }
}

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::analysis::{Account, Analysis, Verdict};
use crate::diag::Diagnostic;
use crate::finding::{Finding, Severity};
use crate::ingest::InputSummary;
use crate::inspect::Tool;
use crate::rules::Catalogue;

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
    pub timeline: &'a [crate::timeline::Entry],
    /// What the evidence could not show.
    pub limitations: Vec<String>,
    /// Shared egress learnt from the evidence (office NAT, VPN, proxies): never an attacker
    /// indicator by itself. Allowed addresses and Microsoft's ranges are not listed.
    pub infrastructure: Vec<&'a crate::infra::Usage>,
    /// GeoIP databases used for addresses the logs did not locate.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub geoip: &'a [crate::geoip::DatabaseInfo],
    pub summary: Summary,
    /// The rule catalogue, for descriptions, narratives and limitations.
    #[serde(skip)]
    pub catalogue: &'a Catalogue,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub findings: BTreeMap<&'static str, usize>,
    pub accounts: BTreeMap<&'static str, usize>,
}

impl<'a> Report<'a> {
    pub fn new(
        analysis: &'a Analysis,
        catalogue: &'a Catalogue,
        generated_at: DateTime<Utc>,
    ) -> Report<'a> {
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
            timeline: &analysis.timeline,
            limitations: limitations(analysis, catalogue),
            infrastructure: analysis.infra.learnt(),
            geoip: &analysis.geoip,
            summary: Summary { findings, accounts },
            catalogue,
        }
    }
}

/// What the evidence could not show: missing kinds of evidence, inputs that were not read, and
/// checks that had nothing to compare with.
pub fn limitations(analysis: &Analysis, catalogue: &Catalogue) -> Vec<String> {
    use crate::event::SourceKind;
    let inputs = &analysis.ingested.inputs;
    let has = |k: SourceKind| {
        inputs
            .iter()
            .any(|i| i.source_kind() == Some(k) && i.records > 0)
    };
    let mut out = Vec::new();
    let missing: &[(SourceKind, &str)] = &[
        (
            SourceKind::Ual,
            "No Unified Audit Log: mailbox changes, rules and mail access could not be examined.",
        ),
        (
            SourceKind::Signin,
            "No Entra sign-in logs: sign-in anomalies rest on the audit log's logon records alone, without locations unless GeoIP databases are given.",
        ),
        (
            SourceKind::InboxRules,
            "No Get-InboxRule dump: rules hidden from Get-InboxRule could not be revealed by comparison with the audit log.",
        ),
        (
            SourceKind::MessageTrace,
            "No message trace: mail that left the tenant without an audit record could not be found.",
        ),
        (
            SourceKind::SentItems,
            "No Sent Items listing: whether sent mail is still in Sent Items could not be checked.",
        ),
        (
            SourceKind::Mailbox,
            "No Get-Mailbox dump: current mailbox forwarding is known only from the audit log.",
        ),
    ];
    for (kind, text) in missing {
        if !has(*kind) {
            out.push((*text).to_string());
        }
    }
    let unread: Vec<&str> = inputs
        .iter()
        .filter(|i| i.is_incomplete())
        .map(|i| i.path.as_str())
        .collect();
    if !unread.is_empty() {
        out.push(format!(
            "Some input was not read in full (see the diagnostics): {}.",
            unread.join(", ")
        ));
    }
    let unsupported = inputs.iter().filter(|i| i.kind == "unsupported").count();
    if unsupported > 0 {
        out.push(format!("{unsupported} file(s) were not in a recognised format and were not analysed (listed in the inputs)."));
    }
    // What findings reveal, as their catalogue entries word it.
    for rule in &catalogue.rules {
        for note in &rule.spec.limitations {
            let shown = analysis
                .findings
                .iter()
                .any(|f| f.rule == rule.spec.id && f.fields.get(&note.field) == Some(&note.equals));
            if shown && !out.contains(&note.text) {
                out.push(note.text.clone());
            }
        }
    }
    if analysis
        .ingested
        .diagnostics
        .iter()
        .any(|d| d.message.contains("type names"))
    {
        out.push("Some CSV exports held .NET type names instead of values (Export-Csv of collections): those values are lost.".into());
    }
    out.push("Audit records show what was logged; actions that Microsoft 365 does not audit, or that happened before the audit window, are not visible.".into());
    out
}
