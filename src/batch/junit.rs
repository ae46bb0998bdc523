//! `junit.xml`: one test suite per tenant, with an `input` case (an error when the tenant could
//! not be analysed) and one case per rule family, failing when its findings reach `--fail-on`.
//! The model is built first, then written with quick-xml, which escapes every attribute and
//! text; characters XML 1.0 cannot carry at all become U+FFFD.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::summary::{Summary, TenantRow};
use super::tenant::TenantFile;
use crate::finding::Severity;

/// One test case: its name and how it ended.
#[derive(Debug, PartialEq)]
struct Case {
    name: String,
    outcome: Outcome,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    /// Passed with nothing to say.
    Passed,
    /// Passed, with this `system-out` text.
    Output(String),
    Error {
        message: String,
        text: String,
    },
    Failure {
        message: String,
        kind: &'static str,
        text: String,
    },
    Skipped {
        message: &'static str,
    },
}

/// One tenant's suite.
struct Suite {
    name: String,
    cases: Vec<Case>,
}

impl Suite {
    /// (tests, failures, errors, skipped).
    fn counts(&self) -> [usize; 4] {
        let count = |f: fn(&Outcome) -> bool| self.cases.iter().filter(|c| f(&c.outcome)).count();
        [
            self.cases.len(),
            count(|o| matches!(o, Outcome::Failure { .. })),
            count(|o| matches!(o, Outcome::Error { .. })),
            count(|o| matches!(o, Outcome::Skipped { .. })),
        ]
    }
}

/// JUnit XML of a summary: `families` (the catalogue's, in its order) give the cases, then any
/// other family that the tenant files have findings of, in name order.
pub fn junit(
    summary: &Summary,
    files: &[TenantFile],
    families: &[String],
) -> std::io::Result<Vec<u8>> {
    let by_tenant: BTreeMap<&str, &TenantFile> =
        files.iter().map(|f| (f.row.tenant.as_str(), f)).collect();
    let families = ordered_families(families, files);
    let suites: Vec<Suite> = summary
        .tenants
        .iter()
        .map(|row| Suite {
            name: row.tenant.clone(),
            cases: cases(
                row,
                by_tenant.get(row.tenant.as_str()).map(|f| &f.rules),
                &families,
                summary.fail_on,
            ),
        })
        .collect();
    let timestamp = summary.generated_at.format("%Y-%m-%dT%H:%M:%S").to_string();
    write(&suites, &timestamp)
}

/// The catalogue's families, then the others that rule ids of the files name.
fn ordered_families(catalogue: &[String], files: &[TenantFile]) -> Vec<String> {
    let others: BTreeSet<&str> = files
        .iter()
        .flat_map(|f| f.rules.keys())
        .map(|rule| family(rule))
        .filter(|f| !catalogue.iter().any(|c| c == f))
        .collect();
    catalogue
        .iter()
        .cloned()
        .chain(others.into_iter().map(str::to_string))
        .collect()
}

fn family(rule: &str) -> &str {
    rule.split('.').next().unwrap_or(rule)
}

/// A tenant's cases: `input`, then one per family.
fn cases(
    row: &TenantRow,
    rules: Option<&BTreeMap<String, BTreeMap<Severity, usize>>>,
    families: &[String],
    fail_on: Option<Severity>,
) -> Vec<Case> {
    let input = match &row.error {
        Some(e) => Outcome::Error {
            message: e.clone(),
            text: format!("{}: {}", row.path, e),
        },
        None => Outcome::Output(format!(
            "{}: {} input(s), {} event(s), {} input(s) not read in full",
            row.path, row.inputs, row.events, row.inputs_skipped
        )),
    };
    let mut out = vec![Case {
        name: "input".into(),
        outcome: input,
    }];
    for family in families {
        let outcome = if row.error.is_some() {
            Outcome::Skipped {
                message: "not analysed: the tenant's input failed",
            }
        } else {
            family_outcome(row, rules, family, fail_on)
        };
        out.push(Case {
            name: family.clone(),
            outcome,
        });
    }
    out
}

/// Passed, or failed by the family's findings at or above `fail_on` (worst first).
fn family_outcome(
    row: &TenantRow,
    rules: Option<&BTreeMap<String, BTreeMap<Severity, usize>>>,
    name: &str,
    fail_on: Option<Severity>,
) -> Outcome {
    let Some(threshold) = fail_on else {
        return Outcome::Passed;
    };
    let mut hits: Vec<(&str, Severity, usize)> = rules
        .into_iter()
        .flatten()
        .filter(|(rule, _)| family(rule) == name)
        .flat_map(|(rule, counts)| {
            counts
                .iter()
                .filter(|(s, _)| **s >= threshold)
                .map(move |(s, n)| (rule.as_str(), *s, *n))
        })
        .collect();
    if hits.is_empty() {
        return Outcome::Passed;
    }
    hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let total: usize = hits.iter().map(|h| h.2).sum();
    let detail: Vec<String> = hits
        .iter()
        .map(|(rule, s, n)| format!("{n} {s} {rule}"))
        .collect();
    Outcome::Failure {
        message: format!("{total} finding(s) at or above {threshold}"),
        kind: hits[0].1.as_str(),
        text: format!(
            "{}\nsee {}",
            detail.join("\n"),
            row.output.as_deref().unwrap_or(&row.path)
        ),
    }
}

/// The document, indented by two spaces, with a final newline.
fn write(suites: &[Suite], timestamp: &str) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut total = [0; 4];
    for suite in suites {
        for (t, n) in total.iter_mut().zip(suite.counts()) {
            *t += n;
        }
    }
    let root = with_counts(BytesStart::new("testsuites"), "uala", total);
    w.write_event(Event::Start(root))?;
    for suite in suites {
        let start = with_counts(BytesStart::new("testsuite"), &suite.name, suite.counts())
            .with_attributes([("timestamp", timestamp)]);
        w.write_event(Event::Start(start))?;
        let classname = format!("uala.{}", suite.name);
        for case in &suite.cases {
            write_case(&mut w, &classname, case)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

/// `name`, `tests`, `failures`, `errors`, `skipped` and `time` of a suite or of all suites.
fn with_counts<'a>(start: BytesStart<'a>, name: &str, counts: [usize; 4]) -> BytesStart<'a> {
    let [tests, failures, errors, skipped] = counts.map(|n| n.to_string());
    start.with_attributes([
        ("name", clean(name).as_ref()),
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", errors.as_str()),
        ("skipped", skipped.as_str()),
        ("time", "0"),
    ])
}

fn write_case(w: &mut Writer<Vec<u8>>, classname: &str, case: &Case) -> std::io::Result<()> {
    let start = BytesStart::new("testcase").with_attributes([
        ("classname", clean(classname).as_ref()),
        ("name", clean(&case.name).as_ref()),
        ("time", "0"),
    ]);
    let (tag, attributes, text): (&str, Vec<(&str, &str)>, Option<&str>) = match &case.outcome {
        Outcome::Passed => return w.write_event(Event::Empty(start)),
        Outcome::Output(text) => ("system-out", Vec::new(), Some(text)),
        Outcome::Error { message, text } => (
            "error",
            vec![("message", message.as_str()), ("type", "input")],
            Some(text),
        ),
        Outcome::Failure {
            message,
            kind,
            text,
        } => (
            "failure",
            vec![("message", message.as_str()), ("type", kind)],
            Some(text),
        ),
        Outcome::Skipped { message } => ("skipped", vec![("message", *message)], None),
    };
    w.write_event(Event::Start(start))?;
    let attributes: Vec<(&str, Cow<str>)> =
        attributes.into_iter().map(|(k, v)| (k, clean(v))).collect();
    let child =
        BytesStart::new(tag).with_attributes(attributes.iter().map(|(k, v)| (*k, v.as_ref())));
    match text {
        Some(text) => {
            w.write_event(Event::Start(child))?;
            w.write_event(Event::Text(BytesText::new(&clean(text))))?;
            w.write_event(Event::End(BytesEnd::new(tag)))?;
        }
        None => w.write_event(Event::Empty(child))?,
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
}

/// The text without the characters XML 1.0 forbids (controls other than tab, newline and
/// carriage return, U+FFFE, U+FFFF), each replaced by U+FFFD; escaping is the writer's.
fn clean(text: &str) -> Cow<'_, str> {
    let forbidden = |c: char| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if !text.contains(forbidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if forbidden(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_the_catalogue_then_the_files() {
        use crate::batch::summary::tests::row;
        let file = |rules: &[&str]| TenantFile {
            schema: crate::batch::TENANT_SCHEMA.into(),
            row: row("t", crate::error::ExitStatus::Clean),
            rules: rules
                .iter()
                .map(|r| (r.to_string(), BTreeMap::new()))
                .collect(),
            indicators: Vec::new(),
        };
        let catalogue = ["signin".to_string(), "audit".to_string()];
        let files = [
            file(&["zeta.x", "audit.tampering"]),
            file(&["alpha.y", "zeta.z"]),
        ];
        assert_eq!(
            ordered_families(&catalogue, &files),
            ["signin", "audit", "alpha", "zeta"]
        );
    }

    #[test]
    fn clean_replaces_only_what_xml_forbids() {
        assert_eq!(clean("a<b & \"c\"\t\n"), "a<b & \"c\"\t\n");
        assert_eq!(clean("x\u{1}y\u{FFFF}"), "x\u{FFFD}y\u{FFFD}");
    }
}
