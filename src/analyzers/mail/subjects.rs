//! Subjects: the comparison form, the base subject of a reply or forward, and the fraud subject
//! patterns of `sent_items.scam-subject` (`rules/lists/scam_subjects.txt`).

use std::sync::OnceLock;

use regex::Regex;

/// Reply and forward prefixes, in the languages Outlook writes them.
const SUBJECT_PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "tr", "rv", "sv", "vs", "vb", "antw", "doorst", "rif", "enc",
    "res", "odp", "pd",
];
const FORWARD_PREFIXES: &[&str] = &["fw", "fwd", "wg", "tr", "rv", "doorst", "enc", "rif", "pd"];

/// A subject for comparison: white space folded, lower case. Prefixes stay (identity).
pub(super) fn subject_key(subject: &str) -> Option<String> {
    let s = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then(|| s.to_lowercase())
}

/// The subject without reply and forward prefixes, for grouping only; and whether a forward
/// prefix was removed.
pub(super) fn base_subject(subject: &str) -> (String, bool) {
    let mut s = subject_key(subject).unwrap_or_default();
    let mut forwarded = false;
    while let Some((head, rest)) = s.split_once(':') {
        let head = head.trim();
        if !SUBJECT_PREFIXES.contains(&head) {
            break;
        }
        forwarded |= FORWARD_PREFIXES.contains(&head);
        s = rest.trim_start().to_string();
    }
    (s, forwarded)
}

/// Fraud subject patterns (`rules/lists/scam_subjects.txt`).
pub(super) struct ScamPatterns {
    pub(super) plain: Vec<String>,
    pub(super) wild: Vec<(String, Regex)>,
}

fn scam_patterns() -> &'static ScamPatterns {
    static PATTERNS: OnceLock<ScamPatterns> = OnceLock::new();
    PATTERNS
        .get_or_init(|| parse_scam_patterns(include_str!("../../../rules/lists/scam_subjects.txt")))
}

pub(super) fn parse_scam_patterns(text: &str) -> ScamPatterns {
    let mut patterns = ScamPatterns {
        plain: Vec::new(),
        wild: Vec::new(),
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(p) = subject_key(line) else { continue };
        if p.contains('*') {
            let body = p
                .split('*')
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(".*");
            if let Ok(re) = Regex::new(&format!("(?s){body}")) {
                patterns.wild.push((p, re));
            }
        } else {
            patterns.plain.push(p);
        }
    }
    patterns
}

/// The first fraud pattern a subject matches.
pub fn scam_match(subject: &str) -> Option<&'static str> {
    let s = subject_key(subject)?;
    let p = scam_patterns();
    p.plain
        .iter()
        .find(|pat| s.contains(pat.as_str()))
        .map(String::as_str)
        .or_else(|| {
            p.wild
                .iter()
                .find(|(_, re)| re.is_match(&s))
                .map(|(pat, _)| pat.as_str())
        })
}
