//! Chain of custody: every input with its hash, size, kind and span, and the remarks made while
//! reading them.

use std::collections::BTreeMap;

use super::format::{count_phrase, kind_label, line_ranges, span, thousands};
use crate::diag::Diagnostic;
use crate::ingest::InputSummary;
use crate::report::Display;

/// One input file. `anchor` is the target of the `[n] file:line` evidence links.
pub struct InputRow {
    pub anchor: String,
    pub n: usize,
    pub path: String,
    pub sha256: String,
    pub bytes: String,
    pub kind: String,
    pub format: String,
    pub encoding: String,
    pub records: u64,
    pub skipped: u64,
    pub span: String,
    pub note: String,
    pub incomplete: bool,
}

/// One remark, with every line of its input it was made on.
pub struct DiagRow {
    pub level: String,
    pub location: String,
    pub message: String,
}

/// The inputs, numbered from 1 in the report's order.
pub fn inputs(inputs: &[InputSummary], d: &Display) -> Vec<InputRow> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let mut note = Vec::new();
            if let Some(reason) = &input.reason {
                note.push(reason.clone());
            }
            if let Some(container) = &input.container {
                note.push(format!(
                    "read from the archive {container}{}",
                    input
                        .container_sha256
                        .as_deref()
                        .map(|h| format!(" (SHA-256 {h})"))
                        .unwrap_or_default()
                ));
            }
            InputRow {
                anchor: format!("input-{}", i + 1),
                n: i + 1,
                path: input.path.clone(),
                sha256: input.sha256.clone(),
                bytes: thousands(input.bytes),
                kind: kind_label(&input.kind).to_string(),
                format: input.format.unwrap_or("").to_string(),
                encoding: input.encoding.to_string(),
                records: input.records,
                skipped: input.skipped,
                span: span(d, input.first, input.last),
                note: note.join("; "),
                incomplete: input.is_incomplete(),
            }
        })
        .collect()
}

/// One sentence on the remarks: none, or how many of each level.
pub fn diagnostics_summary(diagnostics: &[Diagnostic]) -> String {
    let mut levels: BTreeMap<&str, usize> = BTreeMap::new();
    for diag in diagnostics {
        *levels.entry(diag.level.as_str()).or_default() += 1;
    }
    if diagnostics.is_empty() {
        "Every input was read without remark.".to_string()
    } else {
        let parts: Vec<String> = ["error", "warning", "info"]
            .iter()
            .filter_map(|l| levels.get(l).map(|n| format!("{n} {l}")))
            .collect();
        format!(
            "{} recorded while reading the inputs ({}); they are listed in the appendix.",
            count_phrase(diagnostics.len(), "remark was", "remarks were"),
            parts.join(", ")
        )
    }
}

/// The remarks for the appendix: the same remark on many lines of one input is listed once,
/// with its lines.
pub fn diagnostics(diagnostics: &[Diagnostic]) -> Vec<DiagRow> {
    let mut grouped: Vec<(&Diagnostic, Vec<u64>)> = Vec::new();
    for diag in diagnostics {
        match grouped.iter_mut().find(|(g, _)| {
            g.level == diag.level && g.input == diag.input && g.message == diag.message
        }) {
            Some((_, lines)) => lines.extend(diag.line),
            None => grouped.push((diag, diag.line.into_iter().collect())),
        }
    }
    grouped
        .into_iter()
        .map(|(diag, lines)| DiagRow {
            level: diag.level.as_str().to_string(),
            location: match lines.as_slice() {
                [] => diag.input.clone(),
                [line] => format!("{}:{line}", diag.input),
                _ => format!("{}, lines {}", diag.input, line_ranges(&lines)),
            },
            message: diag.message.clone(),
        })
        .collect()
}
