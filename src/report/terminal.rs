//! The terminal report: accounts by verdict and severity, then the findings.

use std::fmt::Write;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::analysis::Analysis;
use crate::finding::Severity;

/// Renders the summary and findings tables.
pub fn render(analysis: &Analysis) -> String {
    let mut out = String::new();
    let mut accounts = Table::new();
    accounts
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "account", "verdict", "critical", "high", "medium", "low", "info",
        ]);
    for a in &analysis.accounts {
        let count = |s: Severity| {
            analysis
                .findings
                .iter()
                .filter(|f| f.user.as_deref() == Some(a.user.as_str()) && f.severity == s)
                .count()
        };
        let mut row = vec![
            Cell::new(&a.user),
            Cell::new(format!("{:?}", a.verdict).to_lowercase()),
        ];
        for s in Severity::ALL {
            row.push(Cell::new(count(s)).set_alignment(CellAlignment::Right));
        }
        accounts.add_row(row);
    }
    let _ = writeln!(out, "{accounts}");

    if !analysis.findings.is_empty() {
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                "id",
                "time (UTC)",
                "severity",
                "rule",
                "account",
                "what",
            ]);
        for f in &analysis.findings {
            table.add_row(vec![
                Cell::new(&f.id),
                Cell::new(
                    f.time
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_default(),
                ),
                Cell::new(f.severity),
                Cell::new(&f.rule),
                Cell::new(f.user.as_deref().unwrap_or("")),
                Cell::new(&f.summary),
            ]);
        }
        let _ = writeln!(out, "{table}");
    }
    let c = |s: Severity| analysis.findings.iter().filter(|f| f.severity == s).count();
    let _ = writeln!(
        out,
        "{} findings ({} critical, {} high, {} medium, {} low, {} info) from {} events in {} inputs",
        analysis.findings.len(),
        c(Severity::Critical),
        c(Severity::High),
        c(Severity::Medium),
        c(Severity::Low),
        c(Severity::Info),
        analysis.ingested.events.len(),
        analysis.ingested.inputs.len()
    );
    out
}
