//! `uala inspect`: what was found in the evidence, as a table or as the `inputs` and
//! `diagnostics` parts of the report.

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::diag::Diagnostic;
use crate::ingest::{Ingested, InputSummary};

/// The JSON document of `inspect --json`: the report schema's `inputs` and `diagnostics`.
#[derive(Serialize)]
pub struct InspectReport<'a> {
    pub schema: &'static str,
    pub tool: Tool,
    pub inputs: &'a [InputSummary],
    pub diagnostics: &'a [Diagnostic],
    pub duplicates_dropped: u64,
    pub events: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn current() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

impl<'a> InspectReport<'a> {
    pub fn new(ingested: &'a Ingested) -> InspectReport<'a> {
        InspectReport {
            schema: "uala.report/1",
            tool: Tool::current(),
            inputs: &ingested.inputs,
            diagnostics: &ingested.diagnostics,
            duplicates_dropped: ingested.duplicates_dropped,
            events: ingested.events.len(),
        }
    }
}

/// The inputs as a terminal table.
pub fn inputs_table(inputs: &[InputSummary]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "file",
            "kind",
            "format",
            "encoding",
            "records",
            "skipped",
            "time span (UTC)",
            "users",
        ]);
    for input in inputs {
        let span = match (input.first, input.last) {
            (Some(a), Some(b)) => format!(
                "{} – {}",
                a.format("%Y-%m-%d %H:%M"),
                b.format("%Y-%m-%d %H:%M")
            ),
            _ => String::new(),
        };
        let format = match (&input.format, &input.reason) {
            (Some(f), _) => f.to_string(),
            (None, Some(reason)) => reason.clone(),
            (None, None) => String::new(),
        };
        table.add_row(vec![
            Cell::new(&input.path),
            Cell::new(&input.kind),
            Cell::new(format),
            Cell::new(input.encoding),
            Cell::new(input.records).set_alignment(CellAlignment::Right),
            Cell::new(input.skipped).set_alignment(CellAlignment::Right),
            Cell::new(span),
            Cell::new(input.users).set_alignment(CellAlignment::Right),
        ]);
    }
    table
}
