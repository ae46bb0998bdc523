//! The terminal report's tables (issue 12): they fit the terminal's width (else `$COLUMNS`,
//! else 100 columns) and colour is comfy-table's own cell styling, so coloured rows stay aligned.
//! Widths are counted in characters (every character of these reports is one column wide).

mod common;

use assert_cmd::Command;

/// `uala analyze` of the sample case with stdout a pipe (not a terminal).
fn analyze(color: &str, columns: Option<&str>) -> String {
    let mut cmd = Command::cargo_bin("uala").unwrap();
    cmd.arg("analyze")
        .arg(common::sample_case())
        .args(["--quiet", "--color", color])
        .env_remove("NO_COLOR")
        .env_remove("COLUMNS");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The text without its ANSI SGR sequences (`ESC [ … m`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            assert_eq!(chars.next(), Some('['), "an escape that is no SGR in {s:?}");
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The report's tables: runs of lines drawn with the box characters of UTF8_FULL_CONDENSED.
fn tables(text: &str) -> Vec<Vec<String>> {
    let mut tables: Vec<Vec<String>> = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        let line = strip_ansi(line);
        let boxed = line.starts_with(['┌', '│', '╞', '├', '└']);
        if boxed && !in_table {
            tables.push(Vec::new());
        }
        in_table = boxed && !line.starts_with('└');
        if boxed {
            tables.last_mut().unwrap().push(line);
        }
    }
    tables
}

fn width(line: &str) -> usize {
    line.chars().count()
}

#[test]
fn tables_fit_columns_without_colour() {
    for (columns, limit) in [(Some("80"), 80), (None, 100)] {
        let text = analyze("never", columns);
        assert!(
            !text.contains('\u{1b}'),
            "an escape byte with --color never"
        );
        let tables = tables(&text);
        assert_eq!(tables.len(), 2, "accounts and findings tables:\n{text}");
        for line in tables.iter().flatten() {
            assert!(
                width(line) <= limit,
                "COLUMNS={columns:?}: a table line {} columns wide:\n{line}",
                width(line)
            );
        }
    }
}

#[test]
fn coloured_tables_keep_their_rows_aligned() {
    let text = analyze("always", Some("80"));
    assert!(text.contains("\u{1b}["), "no colour with --color always");
    for table in tables(&text) {
        let first = width(&table[0]);
        for line in &table {
            assert_eq!(
                width(line),
                first,
                "a row of another visible width than the table's border:\n{}\n{line}",
                table[0]
            );
        }
        assert!(first <= 80, "a table {first} columns wide:\n{}", table[0]);
    }
}
