//! `--csv`: the timeline as CSV, one row per event, safe to open in a spreadsheet.
//!
//! Log-derived text is attacker-controlled, so every cell is defused against formula injection
//! (OWASP "CSV Injection"): a value that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a leading `'`, which spreadsheets show as text. Line breaks inside a value are
//! folded to spaces so that every event stays on one line (Timeline Explorer, `sort`, `grep`).

use std::io::Write;

use super::{Display, Report, Reporter};

/// Renders `timeline[]` as CSV with a header row; `time_local` is in `display.tz`.
pub struct CsvReporter {
    pub display: Display,
}

pub const COLUMNS: [&str; 11] = [
    "time_utc",
    "time_local",
    "user",
    "source",
    "action",
    "ip",
    "country",
    "summary",
    "findings",
    "input",
    "line",
];

impl Reporter for CsvReporter {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        w.write_record(COLUMNS)?;
        for e in report.timeline {
            let row = [
                e.time.map(super::timesketch::iso_utc).unwrap_or_default(),
                e.time.map(|t| self.display.time(t)).unwrap_or_default(),
                e.user.clone().unwrap_or_default(),
                e.source.as_str().to_string(),
                e.action.clone(),
                e.ip.clone().unwrap_or_default(),
                e.country.clone().unwrap_or_default(),
                e.summary.clone(),
                e.findings.join(" "),
                e.evidence.input.clone(),
                e.evidence.line.to_string(),
            ];
            w.write_record(row.iter().map(|cell| defuse(cell)))?;
        }
        w.flush()?;
        Ok(())
    }
}

/// A cell that a spreadsheet will not evaluate, on one line.
pub fn defuse(cell: &str) -> String {
    let mut out = String::with_capacity(cell.len() + 1);
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    let mut chars = cell.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::defuse;

    #[test]
    fn defuses_formulas() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("+1"), "'+1");
        assert_eq!(defuse("-2+3"), "'-2+3");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("\t=1"), "'\t=1");
        assert_eq!(defuse("\r=1"), "' =1");
        assert_eq!(defuse("a=1"), "a=1");
        assert_eq!(defuse(""), "");
        assert_eq!(defuse("two\r\nlines\nhere"), "two lines here");
        assert_eq!(defuse("2001:db8::1"), "2001:db8::1");
    }
}
