//! `--sarif`: SARIF 2.1.0 for code-scanning dashboards (ecosystem.md section 2.1).
//!
//! One run; `tool.driver.rules` holds one reporting descriptor per rule id that fired; one
//! result per finding, located at each evidence record's input file (`artifactLocation.uri`,
//! the report path, percent-encoded) and line (`region.startLine`). `partialFingerprints`
//! carries a hash of what identifies the finding across runs (rule, account, input, line,
//! summary), so dashboards de-duplicate it. The inputs are listed as `run.artifacts` with their
//! size and SHA-256, and the ingest diagnostics as tool execution notifications. Validated in
//! `tests/reports.rs` against the OASIS schema shipped in `tests/schemas/`.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use super::{Report, Reporter};
use crate::diag::Level;
use crate::finding::{Finding, Severity};
use crate::ingest::discover::sha256_hex;

pub struct SarifReporter;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF `level` of a severity: critical/high are errors, medium warnings, low/info notes.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` (0.0–10.0), which it shows as
/// critical/high/medium/low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// The stable identity of a finding across runs on the same evidence.
pub fn fingerprint(f: &Finding) -> String {
    let first = f.evidence.first();
    let key = [
        f.rule.as_str(),
        f.user.as_deref().unwrap_or(""),
        first.map_or("", |e| e.input.as_str()),
        &first.map_or(0, |e| e.line).to_string(),
        f.summary.as_str(),
    ]
    .join("\u{0}");
    sha256_hex(key.as_bytes())
}

/// A report path as a relative URI reference: unreserved characters and `/` as they are,
/// every other byte percent-encoded (so spaces, `#`, `%` and a drive-letter colon are safe).
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Reporter for SarifReporter {
    fn name(&self) -> &'static str {
        "sarif"
    }

    fn render(&self, report: &Report<'_>, out: &mut dyn Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &document(report))?;
        out.write_all(b"\n")
    }
}

/// The SARIF log as JSON.
pub fn document(report: &Report<'_>) -> Value {
    // Rules that fired, in id order, each with the most severe level it was reported at.
    let mut rules: BTreeMap<&str, (&Finding, Severity)> = BTreeMap::new();
    for f in report.findings {
        let e = rules.entry(f.rule.as_str()).or_insert((f, f.severity));
        e.1 = e.1.max(f.severity);
    }
    let rule_index: BTreeMap<&str, usize> =
        rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|(id, (f, severity))| {
            // The catalogue's one title and ATT&CK set, whichever finding came first.
            let entry = report.catalogue.get(id).map(|r| &r.spec);
            let family = entry.map_or_else(|| f.family(), |e| e.family());
            let mut tags = vec![
                "security".to_string(),
                "m365".to_string(),
                family.to_string(),
            ];
            let attack = entry.map_or(&f.attack, |e| &e.attack);
            tags.extend(attack.iter().map(|t| format!("attack:{t}")));
            let mut descriptor = json!({
                "id": id,
                "shortDescription": {"text": entry.map_or(&f.title, |e| &e.title)},
                "defaultConfiguration": {"level": level(*severity)},
                "properties": {
                    "security-severity": security_severity(*severity),
                    "tags": tags,
                },
            });
            if let Some(e) = entry {
                descriptor["fullDescription"] = json!({"text": e.description.trim()});
                if !e.proves.is_empty() {
                    descriptor["help"] = json!({"text": e.proves.trim()});
                }
            }
            descriptor
        })
        .collect();

    let artifact_index: BTreeMap<&str, usize> = report
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| (input.path.as_str(), i))
        .collect();
    let artifacts: Vec<Value> = report
        .inputs
        .iter()
        .map(|input| {
            let mut a = json!({
                "location": {"uri": uri(&input.path)},
                "length": input.bytes,
                "properties": {
                    "kind": input.kind,
                    "records": input.records,
                    "skipped": input.skipped,
                },
            });
            if !input.sha256.is_empty() {
                a["hashes"] = json!({"sha-256": input.sha256});
            }
            if let Some(format) = input.format {
                a["properties"]["format"] = json!(format);
            }
            a
        })
        .collect();
    let location = |input: &str, line: u64| {
        let mut artifact = json!({"uri": uri(input)});
        if let Some(i) = artifact_index.get(input) {
            artifact["index"] = json!(i);
        }
        let mut physical = json!({"artifactLocation": artifact});
        if line > 0 {
            physical["region"] = json!({"startLine": line});
        }
        physical
    };

    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            // Every finding has evidence; a result without a physical location would make
            // GitHub reject the whole file, so the location list is never empty in practice.
            let locations: Vec<Value> = f
                .evidence
                .iter()
                .map(|e| {
                    let mut l = json!({"physicalLocation": location(&e.input, e.line)});
                    if let Some(user) = &f.user {
                        l["logicalLocations"] =
                            json!([{"fullyQualifiedName": user, "kind": "account"}]);
                    }
                    l
                })
                .collect();
            let mut properties = json!({
                "severity": f.severity.as_str(),
                "finding": f.id,
                "title": f.title,
                "attack": f.attack,
            });
            if let Some(user) = &f.user {
                properties["user"] = json!(user);
            }
            if let Some(actor) = &f.actor {
                properties["actor"] = json!(actor);
            }
            if let Some(t) = f.time {
                properties["time"] = json!(super::timesketch::iso_utc(t));
            }
            let records: Vec<&str> = f
                .evidence
                .iter()
                .filter_map(|e| e.record.as_deref())
                .collect();
            if !records.is_empty() {
                properties["records"] = json!(records);
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index[f.rule.as_str()],
                "level": level(f.severity),
                "message": {"text": f.summary},
                "locations": locations,
                "partialFingerprints": {"ualaFinding/v1": fingerprint(f)},
                "properties": properties,
            })
        })
        .collect();

    let notifications: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "level": match d.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                    Level::Info => "note",
                },
                "message": {"text": d.message},
                "locations": [{"physicalLocation": location(&d.input, d.line.unwrap_or(0))}],
            })
        })
        .collect();

    let mut run = json!({
        "tool": {"driver": {
            "name": report.tool.name,
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "rules": descriptors,
        }},
        "invocations": [{
            "executionSuccessful": true,
            "endTimeUtc": super::timesketch::iso_utc(report.generated_at),
            "toolExecutionNotifications": notifications,
        }],
        "artifacts": artifacts,
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "schema": report.schema,
            "events": report.events,
            "duplicatesDropped": report.duplicates_dropped,
        },
    });
    if let Some(tenant) = report.tenant {
        run["automationDetails"] = json!({"id": format!("uala/{tenant}/")});
        run["properties"]["tenant"] = json!(tenant);
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri("case/ual/audit.csv"), "case/ual/audit.csv");
        assert_eq!(uri("my case/a#b%.json"), "my%20case/a%23b%25.json");
        assert_eq!(uri("C:\\x"), "C%3A/x");
        assert_eq!(uri("ü"), "%C3%BC");
    }

    #[test]
    fn levels() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
    }
}
