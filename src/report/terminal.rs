//! The terminal report: accounts by verdict and severity, the findings, then each suspect
//! window's timeline, times in the `--tz` zone, colour only on a terminal. The tables fit the
//! terminal's width, else `$COLUMNS`, else 100 columns; colour in them is comfy-table's own cell
//! styling, which it leaves out of its width count (escape codes in the text would not be).

use std::io::{IsTerminal, Write};

use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width,
    presets::UTF8_FULL_CONDENSED,
};

use super::{Display, Report, Reporter};
use crate::finding::Severity;
use crate::window::Verdict;

pub struct TerminalReporter {
    pub display: Display,
}

/// `text` in an SGR colour, for the lines outside the tables (in a table cell the escape codes
/// would count toward the column's width: cells use [`styled`]).
fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Columns for the tables when nothing else says: a report read from a file or a pager.
pub const DEFAULT_WIDTH: u16 = 100;

/// The width the tables are fitted to: the terminal's when stdout is one, else `$COLUMNS`, else
/// [`DEFAULT_WIDTH`].
pub fn table_width() -> u16 {
    let terminal = std::io::stdout()
        .is_terminal()
        .then(|| Table::new().width())
        .flatten();
    terminal
        .or_else(|| {
            std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.trim().parse::<u16>().ok())
        })
        .filter(|w| *w > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// A table fitted to `width` columns, styled only with colour.
fn table(color: bool, width: u16) -> Table {
    let mut table = Table::new();
    if color {
        table.enforce_styling();
        table.style_text_only();
    } else {
        table.force_no_tty();
    }
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    table
}

/// Keeps the short columns (ids, severities, verdicts, counts) whole; the others wrap.
fn keep_whole(table: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(column) = table.column_mut(i) {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
}

/// A table cell, in `fg` and bold (or dim) when colour is on: comfy-table's own styling.
fn styled(color: bool, text: &str, fg: Option<Color>, attribute: Option<Attribute>) -> Cell {
    let mut cell = Cell::new(text);
    if color {
        if let Some(fg) = fg {
            cell = cell.fg(fg);
        }
        if let Some(attribute) = attribute {
            cell = cell.add_attribute(attribute);
        }
    }
    cell
}

fn severity_cell(color: bool, s: Severity) -> Cell {
    let (fg, attribute) = match s {
        Severity::Critical => (Some(Color::DarkRed), Some(Attribute::Bold)),
        Severity::High => (Some(Color::DarkRed), None),
        Severity::Medium => (Some(Color::DarkYellow), None),
        Severity::Low => (Some(Color::DarkCyan), None),
        Severity::Info => (None, Some(Attribute::Dim)),
    };
    styled(color, s.as_str(), fg, attribute)
}

impl Reporter for TerminalReporter {
    fn name(&self) -> &'static str {
        "terminal"
    }

    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        self.render_width(report, out, table_width())
    }
}

impl TerminalReporter {
    /// The report with its tables fitted to `width` columns ([`Reporter::render`] takes
    /// [`table_width`]); the same bytes for the same report and width.
    pub fn render_width(
        &self,
        report: &Report<'_>,
        out: &mut dyn Write,
        width: u16,
    ) -> std::io::Result<()> {
        let d = self.display;
        let mut accounts = table(d.color, width);
        accounts.set_header(vec![
            "account", "verdict", "window", "critical", "high", "medium", "low", "info",
        ]);
        for a in report.accounts {
            let count = |s: Severity| {
                report
                    .findings
                    .iter()
                    .filter(|f| f.user.as_deref() == Some(a.user.as_str()) && f.severity == s)
                    .count()
            };
            let window = a
                .window
                .as_ref()
                .map(|w| format!("{} – {}", d.time(w.start), d.time(w.end)))
                .unwrap_or_default();
            let verdict = match a.verdict {
                Verdict::Compromised => styled(
                    d.color,
                    "compromised",
                    Some(Color::DarkRed),
                    Some(Attribute::Bold),
                ),
                Verdict::Suspicious => styled(d.color, "suspicious", Some(Color::DarkYellow), None),
                Verdict::Clean => Cell::new("clean"),
            };
            let mut row = vec![Cell::new(&a.user), verdict, Cell::new(window)];
            for s in Severity::ALL {
                row.push(Cell::new(count(s)).set_alignment(CellAlignment::Right));
            }
            accounts.add_row(row);
        }
        keep_whole(&mut accounts, &[1, 3, 4, 5, 6, 7]);
        writeln!(out, "{accounts}")?;

        if !report.findings.is_empty() {
            let mut table = table(d.color, width);
            table.set_header(vec!["id", "time", "severity", "rule", "account", "what"]);
            for f in report.findings {
                table.add_row(vec![
                    Cell::new(&f.id),
                    Cell::new(f.time.map(|t| d.time(t)).unwrap_or_default()),
                    severity_cell(d.color, f.severity),
                    Cell::new(&f.rule),
                    Cell::new(f.user.as_deref().unwrap_or("")),
                    Cell::new(&f.summary),
                ]);
            }
            keep_whole(&mut table, &[0, 2]);
            // The summary is what a reader came for: at least a third of the width.
            if let Some(what) = table.column_mut(5) {
                what.set_constraint(ColumnConstraint::LowerBoundary(Width::Percentage(33)));
            }
            writeln!(out, "{table}")?;
        }

        for a in report.accounts.iter().filter(|a| a.window.is_some()) {
            let w = a.window.as_ref().expect("filtered on window");
            writeln!(
                out,
                "\n{} {} — suspect window {} to {} (ended by: {})",
                paint(d.color, "1", "Timeline of"),
                paint(d.color, "1", &a.user),
                d.time(w.start),
                d.time(w.end),
                w.end_reason
            )?;
            for e in report
                .timeline
                .iter()
                .filter(|e| e.user.as_deref() == Some(a.user.as_str()))
            {
                let when = e
                    .time
                    .map(|t| d.time(t))
                    .unwrap_or_else(|| "(no time)".into());
                let flags = if e.findings.is_empty() {
                    String::new()
                } else {
                    paint(d.color, "33", &format!(" [{}]", e.findings.join(", ")))
                };
                let marker = if e.in_window { " " } else { "·" };
                writeln!(out, "{marker} {when}  {}{flags}", e.summary)?;
            }
            if !a.remediation.is_empty() {
                writeln!(
                    out,
                    "\n{}",
                    paint(d.color, "1", &format!("Remediation for {}", a.user))
                )?;
                for (i, step) in a.remediation.iter().enumerate() {
                    writeln!(
                        out,
                        "{:>2}. {} [{}]",
                        i + 1,
                        step.title,
                        step.because.join(", ")
                    )?;
                    for line in step.command.lines() {
                        writeln!(out, "      {line}")?;
                    }
                }
            }
        }
        let c = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
        writeln!(
            out,
            "\n{} findings ({} critical, {} high, {} medium, {} low, {} info) from {} events in {} inputs",
            report.findings.len(),
            c(Severity::Critical),
            c(Severity::High),
            c(Severity::Medium),
            c(Severity::Low),
            c(Severity::Info),
            report.events,
            report.inputs.len()
        )
    }
}
