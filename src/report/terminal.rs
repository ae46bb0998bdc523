//! The terminal report: accounts by verdict and severity, the findings, then each suspect
//! window's timeline, times in the `--tz` zone, colour only on a terminal.

use std::io::Write;

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use super::{Display, Report, Reporter};
use crate::finding::Severity;
use crate::window::Verdict;

pub struct TerminalReporter {
    pub display: Display,
}

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

impl Reporter for TerminalReporter {
    fn name(&self) -> &'static str {
        "terminal"
    }

    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        let d = self.display;
        let mut accounts = Table::new();
        if !d.color {
            // Without colour we are not drawing for a terminal: fixed layout, same bytes every run.
            accounts.force_no_tty();
        }
        accounts
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
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
                Verdict::Compromised => paint(d.color, "1;31", "compromised"),
                Verdict::Suspicious => paint(d.color, "33", "suspicious"),
                Verdict::Clean => "clean".to_string(),
            };
            let mut row = vec![Cell::new(&a.user), Cell::new(verdict), Cell::new(window)];
            for s in Severity::ALL {
                row.push(Cell::new(count(s)).set_alignment(CellAlignment::Right));
            }
            accounts.add_row(row);
        }
        writeln!(out, "{accounts}")?;

        if !report.findings.is_empty() {
            let mut table = Table::new();
            if !d.color {
                table.force_no_tty();
            }
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec!["id", "time", "severity", "rule", "account", "what"]);
            for f in report.findings {
                table.add_row(vec![
                    Cell::new(&f.id),
                    Cell::new(f.time.map(|t| d.time(t)).unwrap_or_default()),
                    Cell::new(paint(
                        d.color,
                        severity_code(f.severity),
                        f.severity.as_str(),
                    )),
                    Cell::new(&f.rule),
                    Cell::new(f.user.as_deref().unwrap_or("")),
                    Cell::new(&f.summary),
                ]);
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
