//! Ingest: from evidence folders to normalized [`Event`]s, with exact provenance and an account
//! of every input (design.md section 1).
//!
//! discover (walk, archives) → decode (encoding) → sniff (kind and format from content) → parse
//! (per container) → normalize (per kind). Files are processed in parallel; large CSV files are
//! normalized in parallel batches of rows. Output order never depends on scheduling.

pub mod decode;
pub mod discover;
pub mod fields;
pub mod format_list;
pub mod inbox_rules;
pub mod ip;
pub mod json;
pub mod mail;
pub mod signin;
pub mod sniff;
pub mod table;
pub mod time;
pub mod ual;

/// Helpers of the normalizers' unit tests.
#[cfg(test)]
pub(crate) mod test_util {
    use serde_json::{Map, Value};

    use crate::event::Provenance;

    pub fn prov(line: u64) -> Provenance {
        Provenance {
            input: 0,
            line,
            record: 1,
        }
    }

    /// The object inside a `json!` literal.
    pub fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(o) => o,
            other => panic!("not an object: {other}"),
        }
    }
}

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Level};
use crate::error::{Error, Result};
use crate::event::{Event, Provenance, SourceKind};
use decode::TextEncoding;
use sniff::Format;
use table::CsvText;
use time::DateOrder;

/// Options of the ingest stage.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Day/month order for culture-formatted dates; `None` learns it per file.
    pub date_order: Option<DateOrder>,
    /// Largest decompressed size of one archive member (and of all members of one zip).
    pub max_decompressed: u64,
    /// Stop at the first input error.
    pub strict: bool,
    /// The attributes audit and sign-in events keep; `None` keeps all (tests, tools).
    pub field_plan: Option<std::sync::Arc<crate::field_plan::FieldPlan>>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            date_order: None,
            max_decompressed: 4 << 30,
            strict: false,
            field_plan: None,
        }
    }
}

/// What was found and read in one input: the `inputs[]` entry of the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    /// A [`SourceKind`] name, `unsupported`, or `unreadable`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<&'static str>,
    pub encoding: &'static str,
    pub records: u64,
    pub skipped: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<DateTime<Utc>>,
    /// Distinct accounts named by the input's events.
    pub users: u64,
    /// Why the input is unsupported or unreadable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The archive the input was read from, and that archive's SHA-256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_sha256: Option<String>,
}

impl InputSummary {
    /// A file of a known kind that lost records (or could not be read): the run is incomplete.
    pub fn is_incomplete(&self) -> bool {
        self.kind == "unreadable" || (self.kind != "unsupported" && self.skipped > 0)
    }

    pub fn source_kind(&self) -> Option<SourceKind> {
        SourceKind::parse(&self.kind)
    }
}

/// Everything the ingest stage produced.
#[derive(Debug, Default)]
pub struct Ingested {
    pub inputs: Vec<InputSummary>,
    /// Events in input order, then record order; `prov.input` indexes `inputs`.
    pub events: Vec<Event>,
    pub diagnostics: Vec<Diagnostic>,
    /// Records seen twice (same id, same content) and analysed once.
    pub duplicates_dropped: u64,
}

impl Ingested {
    /// True when some input of a known kind was skipped in whole or in part (exit code 3).
    pub fn is_incomplete(&self) -> bool {
        self.inputs.iter().any(InputSummary::is_incomplete)
    }
}

/// At most this many diagnostics are kept per input; the rest are counted in one line.
const MAX_DIAGNOSTICS_PER_INPUT: usize = 50;

/// Reads every input under `paths`.
pub fn ingest(paths: &[PathBuf], options: &IngestOptions) -> Result<Ingested> {
    let files = discover::find_files(paths)?;
    let per_file: Vec<Vec<FileOutcome>> = files
        .par_iter()
        .map(|file| {
            discover::open(file, options.max_decompressed)
                .into_iter()
                .map(|input| match input {
                    Ok(input) => parse_input(&input, options),
                    Err(unreadable) => FileOutcome::unreadable(unreadable),
                })
                .collect()
        })
        .collect();

    let mut result = Ingested::default();
    for (index, outcome) in per_file.into_iter().flatten().enumerate() {
        let FileOutcome {
            summary,
            mut events,
            diagnostics,
        } = outcome;
        for event in &mut events {
            event.prov.input = index as u32;
        }
        result.events.append(&mut events);
        result.diagnostics.extend(diagnostics);
        result.inputs.push(summary);
    }
    result.duplicates_dropped =
        deduplicate(&mut result.events, &result.inputs, &mut result.diagnostics);

    if options.strict {
        if let Some(first) = result.diagnostics.iter().find(|d| d.level == Level::Error) {
            return Err(Error::Strict {
                path: first.input.clone(),
                line: first.line.unwrap_or(0),
                message: first.message.clone(),
            });
        }
    }
    if result.inputs.is_empty() {
        return Err(Error::NoInput(
            "no files found under the given paths".into(),
        ));
    }
    Ok(result)
}

/// Parses one input held in memory, as if it were a file named `display`: what the fuzz
/// targets and the hostile-input tests drive. Archives are not expanded here.
pub fn parse_bytes(
    display: &str,
    bytes: Vec<u8>,
    options: &IngestOptions,
) -> (InputSummary, Vec<Event>, Vec<Diagnostic>) {
    let input = discover::Input {
        display: display.to_string(),
        sha256: None,
        bytes: discover::Bytes::Owned(bytes),
        container: None,
    };
    let outcome = parse_input(&input, options);
    (outcome.summary, outcome.events, outcome.diagnostics)
}

/// Normalizes one record given as the exporting tool wrote it (an AuditData object or a
/// wrapper, a sign-in, an inbox rule...): what rule examples use, so they exercise the same
/// code as real evidence.
pub fn normalize_record(
    kind: SourceKind,
    record: &Map<String, Value>,
    prov: Provenance,
) -> std::result::Result<Event, String> {
    let mut lossy = false;
    match kind {
        SourceKind::Ual => match fields::get(record, "AuditData") {
            Some(Value::Object(audit)) => ual::normalize(audit, Some(record), DateOrder::Mdy, prov),
            _ => ual::normalize(record, None, DateOrder::Mdy, prov),
        },
        SourceKind::SentItems => mail::sent_item(record, None, prov),
        other => {
            let format = match other {
                SourceKind::Signin => Format::SigninGraphJson,
                SourceKind::InboxRules => Format::InboxRulesJson,
                SourceKind::Mailbox => Format::MailboxJson,
                SourceKind::MessageTrace => Format::MessageTraceJson,
                _ => Format::EntraAuditGraphJson,
            };
            normalize_plain(format, record, DateOrder::Mdy, prov, &mut lossy)
        }
    }
}

/// The outcome of one input.
struct FileOutcome {
    summary: InputSummary,
    events: Vec<Event>,
    diagnostics: Vec<Diagnostic>,
}

impl FileOutcome {
    fn unreadable(u: discover::Unreadable) -> FileOutcome {
        FileOutcome {
            diagnostics: vec![Diagnostic {
                level: Level::Error,
                input: u.display.clone(),
                line: None,
                message: u.reason.clone(),
            }],
            summary: InputSummary {
                path: u.display,
                sha256: u.sha256.unwrap_or_default(),
                bytes: u.bytes,
                kind: "unreadable".into(),
                format: None,
                encoding: "unknown",
                records: 0,
                skipped: 1,
                first: None,
                last: None,
                users: 0,
                reason: Some(u.reason),
                container: None,
                container_sha256: None,
            },
            events: Vec::new(),
        }
    }
}

/// Collects a file's events and problems while it is parsed.
struct Sink<'a> {
    display: String,
    /// The memory map the text is read from, when it is (a UTF-8 file of 256 KiB or more), and
    /// how far its pages were given back.
    mapped: Option<(&'a memmap2::Mmap, usize)>,
    events: Vec<Event>,
    diagnostics: Vec<Diagnostic>,
    suppressed: usize,
    records: u64,
    skipped: u64,
}

impl Sink<'_> {
    /// Gives back the pages of the mapped input before `parsed`, a position in `text`: the
    /// records before it are parsed and owned by their events. Without this a large input
    /// stays resident until the end of its parse, as large as the input (docs/performance.md).
    /// Nothing happens when `text` is not the mapped file itself (a decoded copy).
    fn release_parsed(&mut self, text: &str, parsed: usize) {
        let Some((map, released)) = &mut self.mapped else {
            return;
        };
        let Some(end) = (text.as_ptr() as usize + parsed.min(text.len()))
            .checked_sub(map.as_ptr() as usize)
            .filter(|end| *end <= map.len())
        else {
            return;
        };
        let end = end / PAGE * PAGE;
        if end > *released {
            discover::give_back(map, *released..end);
            *released = end;
        }
    }

    /// Gives back every page of the mapped input; reading on faults them in again.
    fn release_all(&self) {
        if let Some((map, _)) = &self.mapped {
            discover::give_back(map, 0..map.len());
        }
    }

    fn diag(&mut self, level: Level, line: Option<u64>, message: impl Into<String>) {
        if self.diagnostics.len() < MAX_DIAGNOSTICS_PER_INPUT {
            self.diagnostics.push(Diagnostic {
                level,
                input: self.display.clone(),
                line,
                message: message.into(),
            });
        } else {
            self.suppressed += 1;
        }
    }

    /// Accounts for one record's result.
    fn record(&mut self, line: u64, result: std::result::Result<Event, String>) {
        self.records += 1;
        match result {
            Ok(event) => self.events.push(event),
            Err(message) => {
                self.skipped += 1;
                self.diag(
                    Level::Error,
                    Some(line),
                    format!("record skipped: {message}"),
                );
            }
        }
    }
}

const PAGE: usize = 4096;

/// Parses one input while another thread hashes it (the hash needs every byte once, as does the
/// parse; doing both at once keeps the hash off the critical path).
fn parse_input(input: &discover::Input, options: &IngestOptions) -> FileOutcome {
    let (sha256, mut outcome) = rayon::join(
        || {
            input
                .sha256
                .clone()
                .unwrap_or_else(|| discover::sha256_of(&input.bytes))
        },
        || parse_contents(input, options),
    );
    outcome.summary.sha256 = sha256;
    outcome
}

fn parse_contents(input: &discover::Input, options: &IngestOptions) -> FileOutcome {
    let decoded = decode::decode(&input.bytes);
    let mut sink = Sink {
        display: input.display.clone(),
        mapped: match &input.bytes {
            discover::Bytes::Mapped(map) => Some((map, 0)),
            discover::Bytes::Owned(_) => None,
        },
        events: Vec::new(),
        diagnostics: Vec::new(),
        suppressed: 0,
        records: 0,
        skipped: 0,
    };
    // Decoding validated every byte, which made the whole file resident; the parse reads it
    // again from the page cache and gives pages back behind itself.
    sink.release_all();
    if decoded.inner_boms > 0 {
        sink.diag(
            Level::Info,
            None,
            format!(
                "{} byte-order mark(s) inside the file (concatenated exports); removed",
                decoded.inner_boms
            ),
        );
    }
    if decoded.trailing_nuls > 0 {
        sink.diag(
            Level::Warning,
            None,
            format!(
                "{} NUL bytes at the end of the file were ignored (copied while it was being written?)",
                decoded.trailing_nuls
            ),
        );
    }
    if decoded.encoding == TextEncoding::Windows1252 {
        sink.diag(
            Level::Warning,
            None,
            "not valid UTF-8; decoded as Windows-1252",
        );
    }
    if decoded.ascii_degraded {
        sink.diag(
            Level::Warning,
            None,
            "runs of '?' where letters are expected: the file was written as ASCII (Windows PowerShell Export-Csv without -Encoding) and non-ASCII names are lost",
        );
    }

    let text: &str = &decoded.text;
    let (format, reason) = if decoded.encoding == TextEncoding::Binary {
        (None, Some("binary content, not a text export".to_string()))
    } else if text.trim().is_empty() {
        (None, Some("empty file".to_string()))
    } else {
        match parse_text(text, options, &mut sink) {
            Ok(format) => (Some(format), None),
            Err(reason) => (None, Some(reason)),
        }
    };

    if sink.suppressed > 0 {
        let n = sink.suppressed;
        sink.diagnostics.push(Diagnostic {
            level: Level::Warning,
            input: input.display.clone(),
            line: None,
            message: format!("{n} more diagnostics for this input not shown"),
        });
    }

    let (first, last) = sink.events.iter().filter_map(|e| e.time).fold(
        (None, None),
        |(lo, hi): (Option<DateTime<Utc>>, Option<DateTime<Utc>>), t| {
            (
                Some(lo.map_or(t, |l| l.min(t))),
                Some(hi.map_or(t, |h| h.max(t))),
            )
        },
    );
    let users: BTreeSet<&str> = sink
        .events
        .iter()
        .filter_map(|e| e.user.as_deref())
        .collect();
    let summary = InputSummary {
        path: input.display.clone(),
        sha256: String::new(),
        bytes: input.bytes.len() as u64,
        kind: format.map_or_else(|| "unsupported".to_string(), |f| f.kind().to_string()),
        format: format.map(Format::name),
        encoding: decoded.encoding.as_str(),
        records: sink.records,
        skipped: if format.is_some() { sink.skipped } else { 0 },
        first,
        last,
        users: users.len() as u64,
        reason,
        container: input.container.as_ref().map(|c| c.0.clone()),
        container_sha256: input.container.as_ref().map(|c| c.1.clone()),
    };
    if format.is_none() {
        sink.events.clear();
    }
    FileOutcome {
        summary,
        events: sink.events,
        diagnostics: sink.diagnostics,
    }
}

/// Sniffs and parses one decoded text. `Err` is the reason the text is not supported (its
/// records are still counted in the sink).
fn parse_text(
    text: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> std::result::Result<Format, String> {
    let start = text.trim_start().as_bytes();
    // A leading quote is CSV (`"RecordType",...`) unless it opens a JSON string holding a record
    // (`"{\"CreationTime\"...`, AuditData written one string per line).
    if matches!(start, [b'{' | b'[', ..] | [b'"', b'{' | b'[', ..]) {
        return parse_json(text, options, sink);
    }
    if let Some(format) = sniff::sniff_format_list(text) {
        for object in format_list::parse(text) {
            let prov = Provenance {
                input: 0,
                line: object.line,
                record: sink.records + 1,
            };
            let result =
                normalize_object(format, &object.properties, None, DateOrder::Mdy, prov, sink);
            sink.record(object.line, result);
        }
        return Ok(format);
    }
    let Some(csv) = CsvText::open(text) else {
        return Err("neither JSON, CSV nor Format-List text".into());
    };
    match sniff::sniff_csv(&csv.header) {
        Ok(format) => {
            parse_csv(&csv, format, options, sink);
            Ok(format)
        }
        Err(reason) => {
            sink.records = csv.count_rows();
            Err(reason)
        }
    }
}

fn parse_json(
    text: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> std::result::Result<Format, String> {
    let mut format: Option<std::result::Result<Format, String>> = None;
    let order = options.date_order.unwrap_or_default();
    let mut errors = Vec::new();
    let mut results: Vec<(u64, std::result::Result<Event, String>)> = Vec::new();
    let mut lossy = false;
    let container = json::read_records(
        text,
        |record| {
            let sniffed = format.get_or_insert_with(|| sniff::sniff_json(&record.object));
            let prov = Provenance {
                input: 0,
                line: record.line,
                record: results.len() as u64 + 1,
            };
            let result = match sniffed {
                Ok(f) => trim_to_plan(
                    normalize_json(*f, &record, order, prov, &mut lossy),
                    options,
                ),
                Err(_) => Err(String::new()),
            };
            results.push((record.line, result));
        },
        |error| errors.push(error),
    );
    let _ = container;
    if lossy {
        sink.diag(Level::Warning, None, LOSSY_CSV);
    }
    match format {
        Some(Ok(f)) => {
            for (line, result) in results {
                sink.record(line, result);
            }
            for e in errors {
                sink.records += 1;
                sink.skipped += 1;
                sink.diag(Level::Error, Some(e.line), e.message);
            }
            Ok(f)
        }
        Some(Err(reason)) => {
            sink.records = results.len() as u64;
            Err(reason)
        }
        None => match errors.first() {
            Some(e) => {
                // Nothing readable at all: a file of unknown kind, reported with its first error.
                Err(format!("unreadable JSON at line {}: {}", e.line, e.message))
            }
            None => Err("JSON without any record".into()),
        },
    }
}

/// Applies the field plan to a normalized event (after every check that reads the whole record).
fn trim_to_plan(
    mut result: std::result::Result<Event, String>,
    options: &IngestOptions,
) -> std::result::Result<Event, String> {
    if let (Ok(event), Some(plan)) = (&mut result, &options.field_plan) {
        plan.trim(event);
    }
    result
}

const LOSSY_CSV: &str = "collection values were exported as .NET type names (System.Collections.ArrayList ...): Export-Csv lost them and they cannot be recovered from this file";

fn normalize_json(
    format: Format,
    record: &json::JsonRecord,
    order: DateOrder,
    prov: Provenance,
    lossy: &mut bool,
) -> std::result::Result<Event, String> {
    let object = &record.object;
    match format {
        Format::UalWrapperJson | Format::UalGraphJson => {
            let key = if format == Format::UalGraphJson {
                "auditData"
            } else {
                "AuditData"
            };
            let audit = match fields::get(object, key) {
                Some(Value::Object(o)) => std::borrow::Cow::Borrowed(o),
                Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                    Ok(Value::Object(o)) => std::borrow::Cow::Owned(o),
                    Ok(_) => return Err(format!("{key} is not a JSON object")),
                    Err(e) => return Err(format!("{key} is not valid JSON: {e}")),
                },
                _ => return Err(format!("no {key}")),
            };
            ual::normalize(&audit, Some(object), order, prov)
        }
        Format::SentItemsGraphJson => {
            mail::sent_item(object, record.odata_context.as_deref(), prov)
        }
        _ => {
            let mut sink_lossy = false;
            let r = normalize_plain(format, object, order, prov, &mut sink_lossy);
            *lossy |= sink_lossy;
            r
        }
    }
}

/// Normalizers that take the record's fields as they are.
fn normalize_plain(
    format: Format,
    object: &Map<String, Value>,
    order: DateOrder,
    prov: Provenance,
    lossy: &mut bool,
) -> std::result::Result<Event, String> {
    match format.kind() {
        SourceKind::Ual => ual::normalize(object, None, order, prov),
        SourceKind::Signin => signin::normalize(object, prov),
        SourceKind::InboxRules => inbox_rules::normalize(object, prov, lossy),
        SourceKind::Mailbox => mail::mailbox(object, order, prov),
        SourceKind::MessageTrace => mail::message_trace(object, order, prov),
        SourceKind::SentItems => mail::sent_item(object, None, prov),
        SourceKind::EntraAudit => mail::entra_audit(object, prov),
    }
}

fn normalize_object(
    format: Format,
    object: &Map<String, Value>,
    _wrapper: Option<&Map<String, Value>>,
    order: DateOrder,
    prov: Provenance,
    sink: &mut Sink<'_>,
) -> std::result::Result<Event, String> {
    let mut lossy = false;
    let result = normalize_plain(format, object, order, prov, &mut lossy);
    if lossy {
        sink.diag(Level::Warning, Some(prov.line), LOSSY_CSV);
    }
    result
}

/// Wrapper columns of audit CSV exports used where AuditData lacks the field.
const WRAPPER_FALLBACKS: &[&str] = &[
    "RecordId",
    "Identity",
    "CreationDate",
    "UserIds",
    "UserId",
    "Operations",
    "Operation",
    "clientIp",
    "createdDateTime",
];

/// Rows normalized together; large enough to amortize scheduling, small enough to bound memory.
const CSV_BATCH: usize = 4096;

fn parse_csv(csv: &CsvText<'_>, format: Format, options: &IngestOptions, sink: &mut Sink<'_>) {
    let header = &csv.header;
    let order = match options.date_order {
        Some(order) => order,
        None if format.has_culture_dates() => learn_date_order(csv, sink),
        None => DateOrder::default(),
    };
    let audit_column = match format {
        Format::UalPurviewCsv | Format::UalPurviewClassicCsv | Format::UalSearchCsv => {
            header.find("AuditData")
        }
        Format::UalGraphCsv => header.find("auditData"),
        _ => None,
    };
    let lossy = std::sync::atomic::AtomicBool::new(false);
    let normalize_row = |row: &csv::StringRecord,
                         prov: Provenance|
     -> std::result::Result<Event, String> {
        if let Some(col) = audit_column {
            // Only the wrapper columns AuditData may lack are kept, as fallbacks.
            let mut wrapper = Map::new();
            for (i, name) in header.raw.iter().enumerate() {
                if i == col {
                    continue;
                }
                let value = row.get(i).unwrap_or("");
                // No wrapper column of an audit export holds a line break; one that does
                // swallowed the next row through an unbalanced quote.
                if value.contains('\n') {
                    return Err(format!(
                        "line break inside the {} column: an unbalanced quote merged this row with the next",
                        name.trim()
                    ));
                }
                let name = name.trim();
                if !value.is_empty()
                    && WRAPPER_FALLBACKS
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case(name))
                {
                    wrapper.insert(name.to_string(), Value::String(value.to_string()));
                }
            }
            let event =
                ual::normalize_text(row.get(col).unwrap_or(""), Some(&wrapper), order, prov)?;
            let wrapper_id = fields::text(&wrapper, &["RecordId", "Identity"]);
            if let (Some(w), Some(a)) = (wrapper_id, event.attr("Id")) {
                if w.len() == 36 && !w.trim().eq_ignore_ascii_case(a.trim()) {
                    return Err(format!(
                        "the row's id {w} differs from its AuditData.Id {a}: the row is damaged or merged with another"
                    ));
                }
            }
            return Ok(event);
        }
        let object = match format {
            Format::SigninPortalCsv => signin::portal_row_to_graph(header, row),
            Format::UalFlattenedCsv => ual::unflatten(&header.to_object(row)),
            _ => header.to_object(row),
        };
        let mut row_lossy = false;
        let result = normalize_plain(format, &object, order, prov, &mut row_lossy);
        if row_lossy {
            lossy.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        result
    };

    let mut batch: Vec<(csv::StringRecord, u64)> = Vec::with_capacity(CSV_BATCH);
    let flush = |batch: &mut Vec<(csv::StringRecord, u64)>, sink: &mut Sink<'_>| {
        let base = sink.records;
        let results: Vec<(u64, std::result::Result<Event, String>)> = batch
            .par_iter()
            .enumerate()
            .map(|(i, (row, line))| {
                let prov = Provenance {
                    input: 0,
                    line: *line,
                    record: base + i as u64 + 1,
                };
                (*line, trim_to_plan(normalize_row(row, prov), options))
            })
            .collect();
        for (line, result) in results {
            sink.record(line, result);
        }
        batch.clear();
    };
    csv.for_each_row(|row, line| {
        batch.push((row.clone(), line));
        if batch.len() == CSV_BATCH {
            flush(&mut batch, sink);
            // Every row up to this one is copied out and normalized.
            let parsed = row.position().map_or(0, |p| p.byte() as usize);
            sink.release_parsed(csv.text(), parsed);
        }
    });
    flush(&mut batch, sink);
    if lossy.load(std::sync::atomic::Ordering::Relaxed) {
        sink.diag(Level::Warning, None, LOSSY_CSV);
    }
}

/// Learns the day/month order of a CSV file from its date column, and says so when the values
/// cannot tell.
fn learn_date_order(csv: &CsvText<'_>, sink: &mut Sink<'_>) -> DateOrder {
    let mut candidates: Vec<usize> = mail::trace_time_columns()
        .iter()
        .chain(&[
            "WhenChangedUTC",
            "WhenChanged",
            "CreationTime",
            "CreationDate",
        ])
        .filter_map(|c| csv.header.find(c))
        .collect();
    candidates.dedup();
    let mut values = Vec::new();
    csv.for_each_row(|row, _| {
        for &c in &candidates {
            if let Some(v) = row.get(c) {
                values.push(v.to_string());
            }
        }
    });
    let slashed = values.iter().any(|v| {
        v.split(' ')
            .next()
            .is_some_and(|d| d.matches('/').count() == 2)
    });
    match time::infer_date_order(values.iter().map(String::as_str)) {
        Some(order) => order,
        None => {
            if slashed {
                sink.diag(
                    Level::Warning,
                    None,
                    "every date in this file is ambiguous (day and month both 12 or less); read as month/day (en-US): pass --date-order dmy if it was written day first",
                );
            }
            DateOrder::default()
        }
    }
}

/// Drops records seen twice (same source, same record id, same content after normalization),
/// keeping the first in input order. Same id with different content is kept, with a note.
fn deduplicate(
    events: &mut Vec<Event>,
    inputs: &[InputSummary],
    diagnostics: &mut Vec<Diagnostic>,
) -> u64 {
    let mut first_seen: HashMap<(SourceKind, Box<str>), usize> = HashMap::new();
    let mut keep = vec![true; events.len()];
    let mut dropped = 0;
    let mut notes = 0;
    for i in 0..events.len() {
        let Some(id) = events[i].record_id.clone() else {
            continue;
        };
        // Inbox-rule snapshots are states, not records: the same rule id in two dumps is two
        // observations.
        if events[i].source == SourceKind::InboxRules || events[i].source == SourceKind::Mailbox {
            continue;
        }
        match first_seen.get(&(events[i].source, id.clone())) {
            None => {
                first_seen.insert((events[i].source, id), i);
            }
            Some(&j) => {
                let (a, b) = (&events[j], &events[i]);
                let same = Event {
                    prov: a.prov,
                    ..b.clone()
                } == *a;
                if same {
                    keep[i] = false;
                    dropped += 1;
                } else if notes < MAX_DIAGNOSTICS_PER_INPUT {
                    notes += 1;
                    diagnostics.push(Diagnostic {
                        level: Level::Info,
                        input: inputs[b.prov.input as usize].path.clone(),
                        line: Some(b.prov.line),
                        message: format!(
                            "record id {} also at {}:{} with different content; both kept",
                            id, inputs[a.prov.input as usize].path, a.prov.line
                        ),
                    });
                }
            }
        }
    }
    let mut index = 0;
    events.retain(|_| {
        let k = keep[index];
        index += 1;
        k
    });
    dropped
}

/// The tenant named by the evidence: the most frequent `*.onmicrosoft.com` organization name or
/// UPN domain (ties broken by name, so the answer is stable).
pub fn tenant(events: &[Event]) -> Option<String> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for e in events {
        if let Some(org) = e.attr("OrganizationName") {
            let org = org.trim().to_lowercase();
            if org.ends_with(".onmicrosoft.com") {
                *counts.entry(org).or_default() += 1;
                continue;
            }
        }
        if let Some(domain) = e
            .user
            .as_deref()
            .and_then(|u| u.rsplit_once('@'))
            .map(|(_, d)| d)
        {
            if domain.ends_with(".onmicrosoft.com") {
                *counts.entry(domain.to_string()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(name, _)| name)
}
