//! A streaming reader for every JSON container the exports use (input-formats.md §1.3): one
//! array, a bare object, several arrays or objects one after another (JSON Lines, `Out-File
//! -Append`), Graph `{"value": [...]}` pages, Azure Monitor `{"records": [...]}`, and JSON strings
//! that hold a record (AuditData written one string per line).
//!
//! Top-level arrays are read element by element, so a large array is never held as one value.

use serde_json::{Map, Value};

/// How the records were laid out in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonContainer {
    /// One or more top-level arrays, or a single object.
    Document,
    /// Several top-level objects: JSON Lines.
    Lines,
}

/// One record with the 1-based line it starts on, and the envelope's `@odata.context` when it
/// came from a Graph page (it names the mailbox of a message listing).
#[derive(Debug)]
pub struct JsonRecord {
    pub object: Map<String, Value>,
    pub line: u64,
    pub odata_context: Option<String>,
}

/// A problem at a line; reading goes on after it where the container allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub line: u64,
    pub message: String,
}

/// Counts newlines incrementally so each record's line is found in one pass over the text.
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, pos: usize) -> u64 {
        let pos = pos.min(self.bytes.len());
        if pos >= self.pos {
            self.line += memchr::memchr_iter(b'\n', &self.bytes[self.pos..pos]).count() as u64;
        } else {
            self.line -= memchr::memchr_iter(b'\n', &self.bytes[pos..self.pos]).count() as u64;
        }
        self.pos = pos;
        self.line
    }
}

/// Reads every record of `text`, calling `on_record` for each object and `on_error` for each
/// unreadable part. Returns the container shape.
pub fn read_records(
    text: &str,
    mut on_record: impl FnMut(JsonRecord),
    mut on_error: impl FnMut(JsonError),
) -> JsonContainer {
    let bytes = text.as_bytes();
    let mut lines = LineCounter {
        bytes,
        pos: 0,
        line: 1,
    };
    let mut pos = 0;
    let mut top_level_objects = 0usize;
    loop {
        pos = skip_ws(bytes, pos);
        if pos >= bytes.len() {
            break;
        }
        match bytes[pos] {
            b'[' => {
                pos = read_array(text, pos + 1, &mut lines, &mut on_record, &mut on_error);
            }
            b'{' | b'"' => {
                top_level_objects += 1;
                let line = lines.line_at(pos);
                match parse_one(&text[pos..]) {
                    Ok((value, used)) => {
                        pos += used;
                        emit(value, line, &mut on_record, &mut on_error);
                    }
                    Err(e) => {
                        // Reported at the record's first line: in JSON Lines that is the line
                        // to look at, whatever the parser read past it.
                        on_error(JsonError {
                            line,
                            message: format!("invalid JSON: {e}"),
                        });
                        pos = next_line(bytes, pos);
                    }
                }
            }
            _ => {
                let line = lines.line_at(pos);
                on_error(JsonError {
                    line,
                    message: "not JSON: expected an object or an array".into(),
                });
                pos = next_line(bytes, pos);
            }
        }
    }
    if top_level_objects > 1 {
        JsonContainer::Lines
    } else {
        JsonContainer::Document
    }
}

/// Reads array elements from `pos` (just after `[`) to the closing `]`; returns the position
/// after it. A broken element ends the array: without a record separator there is no safe
/// place to resume. Nested arrays (`[[...],[...]]`, pages collected into one array) are parsed
/// as values, whose depth serde_json bounds, so hostile nesting cannot exhaust the stack.
fn read_array(
    text: &str,
    mut pos: usize,
    lines: &mut LineCounter<'_>,
    on_record: &mut impl FnMut(JsonRecord),
    on_error: &mut impl FnMut(JsonError),
) -> usize {
    let bytes = text.as_bytes();
    loop {
        pos = skip_ws(bytes, pos);
        match bytes.get(pos) {
            None => {
                on_error(JsonError {
                    line: lines.line_at(pos),
                    message: "truncated JSON: the array is not closed".into(),
                });
                return pos;
            }
            Some(b']') => return pos + 1,
            Some(b',') => pos += 1,
            Some(_) => {
                let line = lines.line_at(pos);
                match parse_one(&text[pos..]) {
                    Ok((value, used)) => {
                        pos += used;
                        emit(value, line, on_record, on_error);
                    }
                    Err(e) => {
                        on_error(JsonError {
                            line: line + e.line().saturating_sub(1) as u64,
                            message: format!("invalid JSON: {e}"),
                        });
                        return bytes.len();
                    }
                }
            }
        }
    }
}

fn parse_one(text: &str) -> Result<(Value, usize), serde_json::Error> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match stream.next() {
        Some(Ok(value)) => Ok((value, stream.byte_offset())),
        Some(Err(e)) => Err(e),
        None => Err(serde::de::Error::custom("unexpected end of input")),
    }
}

/// Unwraps envelopes and JSON-in-a-string, then hands each object on.
fn emit(
    value: Value,
    line: u64,
    on_record: &mut impl FnMut(JsonRecord),
    on_error: &mut impl FnMut(JsonError),
) {
    match value {
        Value::Object(mut object) => {
            let context = object
                .get("@odata.context")
                .and_then(Value::as_str)
                .map(str::to_owned);
            for envelope_key in ["value", "records"] {
                let is_envelope = matches!(object.get(envelope_key), Some(Value::Array(_)))
                    && object
                        .keys()
                        .all(|k| k == envelope_key || k.starts_with('@') || k == "nextLink");
                if is_envelope {
                    if let Some(Value::Array(items)) = object.remove(envelope_key) {
                        for item in items {
                            match item {
                                Value::Object(o) => on_record(JsonRecord {
                                    object: o,
                                    line,
                                    odata_context: context.clone(),
                                }),
                                other => emit(other, line, on_record, on_error),
                            }
                        }
                    }
                    return;
                }
            }
            on_record(JsonRecord {
                object,
                line,
                odata_context: None,
            })
        }
        Value::String(s) if s.trim_start().starts_with('{') => {
            match serde_json::from_str::<Value>(&s) {
                Ok(inner @ Value::Object(_)) => emit(inner, line, on_record, on_error),
                _ => on_error(JsonError {
                    line,
                    message: "a JSON string that does not hold a JSON object".into(),
                }),
            }
        }
        Value::Array(items) => {
            for item in items {
                emit(item, line, on_record, on_error);
            }
        }
        other => on_error(JsonError {
            line,
            message: format!("expected a JSON object, found {}", type_name(&other)),
        }),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && matches!(bytes[pos], b' ' | b'\t' | b'\r' | b'\n' | b'\x0c') {
        pos += 1;
    }
    pos
}

fn next_line(bytes: &[u8], pos: usize) -> usize {
    match memchr::memchr(b'\n', &bytes[pos.min(bytes.len())..]) {
        Some(i) => pos + i + 1,
        None => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<(u64, String)>, Vec<JsonError>, JsonContainer) {
        let mut records = Vec::new();
        let mut errors = Vec::new();
        let container = read_records(
            text,
            |r| {
                records.push((
                    r.line,
                    r.object.get("n").map(|v| v.to_string()).unwrap_or_default(),
                ))
            },
            |e| errors.push(e),
        );
        (records, errors, container)
    }

    #[test]
    fn array_object_and_lines() {
        let (r, e, c) = read("[\n {\"n\":1},\n {\"n\":2}\n]\n");
        assert_eq!(r, vec![(2, "1".into()), (3, "2".into())]);
        assert!(e.is_empty());
        assert_eq!(c, JsonContainer::Document);

        let (r, _, c) = read("{\"n\":1}");
        assert_eq!(r.len(), 1);
        assert_eq!(c, JsonContainer::Document);

        let (r, _, c) = read("{\"n\":1}\n{\"n\":2}\n\n{\"n\":3}\n");
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 2, 4]);
        assert_eq!(c, JsonContainer::Lines);
    }

    #[test]
    fn concatenated_arrays_and_envelopes() {
        let (r, e, _) = read("[{\"n\":1}]\n[{\"n\":2},{\"n\":3}]\n");
        assert_eq!(r.len(), 3);
        assert!(e.is_empty());
        let (r, _, _) = read(
            "{\"@odata.context\":\"x\",\"@odata.nextLink\":\"y\",\"value\":[{\"n\":1},{\"n\":2}]}",
        );
        assert_eq!(r.len(), 2);
        let (r, _, _) = read("{\"records\":[{\"n\":1},{\"n\":2}]}");
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn a_record_held_as_a_json_string() {
        let (r, e, _) = read("\"{\\\"n\\\":1}\"\n\"{\\\"n\\\":2}\"\n");
        assert_eq!(r.len(), 2);
        assert!(e.is_empty());
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let (r, e, _) = read("{\"n\":1}\n{\"n\":\n{\"n\":3}\ngarbage\n{\"n\":5}\n");
        assert_eq!(r.iter().map(|x| x.0).collect::<Vec<_>>(), vec![1, 3, 5]);
        assert_eq!(e.iter().map(|x| x.line).collect::<Vec<_>>(), vec![2, 4]);
    }

    #[test]
    fn truncated_array_keeps_the_good_records() {
        let (r, e, _) = read("[{\"n\":1},{\"n\":2},{\"n\":");
        assert_eq!(r.len(), 2);
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (r, e, _) = read(&deep);
        assert!(r.is_empty());
        assert!(!e.is_empty());
    }
}
