//! CSV reading with the header hygiene of input-formats.md §1.2: `#TYPE` lines, padded,
//! double-spaced, duplicate and blank header names, `[UTC]` suffixes, `;` delimiters.

use serde_json::{Map, Value};

/// Lower-cases, trims, collapses inner white space and drops a Log Analytics ` [UTC]` suffix, so
/// `"Application ID "`, `"Autonomous system  number"` and `"TimeGenerated [UTC]"` are found by
/// their plain names.
pub fn normalize_header(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    let mut out = out.to_lowercase();
    if let Some(stripped) = out.strip_suffix(" [utc]") {
        out.truncate(stripped.len());
    }
    out
}

/// A header row: the raw names (positions kept, duplicates and all) and their lookup forms.
#[derive(Debug, Clone)]
pub struct Header {
    pub raw: Vec<String>,
    pub normalized: Vec<String>,
}

impl Header {
    pub fn new(raw: Vec<String>) -> Header {
        let normalized = raw.iter().map(|h| normalize_header(h)).collect();
        Header { raw, normalized }
    }

    /// Position of the first column with this name (compared after normalization).
    pub fn find(&self, name: &str) -> Option<usize> {
        let want = normalize_header(name);
        self.normalized.iter().position(|h| *h == want)
    }

    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    pub fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.has(n))
    }

    pub fn has_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.has(n))
    }

    /// The row as an object keyed by raw header name (trimmed). A duplicate name keeps its first
    /// value; a blank header name is keyed by its position (`column7`).
    pub fn to_object(&self, row: &csv::StringRecord) -> Map<String, Value> {
        let mut object = Map::with_capacity(self.raw.len());
        for (i, name) in self.raw.iter().enumerate() {
            let value = row.get(i).unwrap_or("");
            let key = name.trim();
            let key = if key.is_empty() {
                format!("column{}", i + 1)
            } else {
                let key = key.split_whitespace().collect::<Vec<_>>().join(" ");
                match key.len().checked_sub(6) {
                    Some(cut)
                        if key.is_char_boundary(cut)
                            && key[cut..].eq_ignore_ascii_case(" [utc]") =>
                    {
                        key[..cut].to_string()
                    }
                    _ => key,
                }
            };
            object
                .entry(key)
                .or_insert_with(|| Value::String(value.to_owned()));
        }
        object
    }
}

/// A CSV text ready to read: where the header starts, its delimiter, and the header itself.
pub struct CsvText<'a> {
    text: &'a str,
    /// Lines before the header (a `#TYPE` line).
    lines_skipped: u64,
    pub delimiter: u8,
    pub header: Header,
}

impl<'a> CsvText<'a> {
    /// The text the rows are read from (record positions are offsets into it).
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Reads the header. `None` when the text has no plausible CSV header line.
    pub fn open(text: &'a str) -> Option<CsvText<'a>> {
        let mut text = text;
        let mut lines_skipped = 0;
        // Blank lines and a `#TYPE ...` line (Export-Csv without -NoTypeInformation) precede
        // the header.
        loop {
            let line_end = text.find('\n').map_or(text.len(), |i| i + 1);
            let line = text[..line_end].trim();
            let blank = line.is_empty() && line_end < text.len();
            if blank || line.starts_with("#TYPE") || line.starts_with("#type") {
                text = &text[line_end..];
                lines_skipped += 1;
            } else {
                break;
            }
        }
        let first_line = text.lines().next()?;
        let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = builder(delimiter).from_reader(text.as_bytes());
        let mut record = csv::StringRecord::new();
        if !reader.read_record(&mut record).ok()? {
            return None;
        }
        let raw: Vec<String> = record.iter().map(str::to_owned).collect();
        if raw.len() < 2 {
            return None;
        }
        Some(CsvText {
            text,
            lines_skipped,
            delimiter,
            header: Header::new(raw),
        })
    }

    /// Calls `on_row(row, line)` for every data row (1-based line of the row's start in the
    /// whole file). Blank lines are passed over.
    pub fn for_each_row(&self, mut on_row: impl FnMut(&csv::StringRecord, u64)) {
        let mut reader = builder(self.delimiter).from_reader(self.text.as_bytes());
        let mut record = csv::StringRecord::new();
        let mut first = true;
        let bytes = self.text.as_bytes();
        let (mut counted_to, mut line_base) = (0usize, 1u64);
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                // The input is already valid UTF-8 text, so the reader has nothing to reject;
                // stop rather than spin if that ever changes.
                Err(_) => break,
            }
            if first {
                first = false;
                continue;
            }
            if record.len() == 1 && record[0].trim().is_empty() {
                continue;
            }
            // After a CRLF the reader's position points at the LF (it ends records at the CR),
            // and its line count lags; count newlines up to the record's first byte instead.
            let mut offset = record.position().map_or(0, |p| p.byte() as usize);
            while bytes
                .get(offset)
                .is_some_and(|b| *b == b'\n' || *b == b'\r')
            {
                offset += 1;
            }
            if offset >= counted_to {
                line_base += line_breaks(&bytes[counted_to..offset]);
                counted_to = offset;
            }
            let line = line_base + self.lines_skipped;
            on_row(&record, line);
        }
    }

    /// Data rows, for accounting of files whose format is not supported.
    pub fn count_rows(&self) -> u64 {
        let mut n = 0;
        self.for_each_row(|_, _| n += 1);
        n
    }
}

/// Line breaks in `bytes`: LF, CRLF (once), and a lone CR (old Mac line ends).
fn line_breaks(bytes: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', bytes).count();
    let lone_cr = memchr::memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .double_quote(true)
        .quoting(true);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_hygiene() {
        assert_eq!(normalize_header(" Application ID "), "application id");
        assert_eq!(
            normalize_header("Autonomous system  number"),
            "autonomous system number"
        );
        assert_eq!(normalize_header("TimeGenerated [UTC]"), "timegenerated");
        let h = Header::new(vec![
            "Incoming token type".into(),
            "Resource ID ".into(),
            "Incoming token type".into(),
        ]);
        assert_eq!(h.find("resource id"), Some(1));
        assert_eq!(h.find("Incoming token type"), Some(0));
    }

    #[test]
    fn skips_type_line_and_counts_lines() {
        let text = "#TYPE Deserialized.Microsoft.Exchange\r\n\"A\",\"B\"\r\n\"1\",\"x\ny\"\r\n\"2\",\"z\"\r\n";
        let csv = CsvText::open(text).unwrap();
        assert_eq!(csv.header.raw, vec!["A", "B"]);
        let mut rows = Vec::new();
        csv.for_each_row(|r, line| rows.push((r[0].to_string(), line)));
        assert_eq!(rows, vec![("1".into(), 3), ("2".into(), 5)]);
    }

    #[test]
    fn lone_carriage_returns_count_as_lines() {
        let csv = CsvText::open("A,B\r1,x\r2,y\r").unwrap();
        let mut lines = Vec::new();
        csv.for_each_row(|_, line| lines.push(line));
        assert_eq!(lines, vec![2, 3]);
    }

    #[test]
    fn semicolon_delimited() {
        let csv = CsvText::open("A;B;C\n1;2;3\n").unwrap();
        assert_eq!(csv.delimiter, b';');
        assert_eq!(csv.count_rows(), 1);
    }
}
