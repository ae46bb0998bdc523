//! The rule catalogue (docs/rules.md): every rule id uala can report, with its metadata, and
//! the engine of the single-event rules that are data.
//!
//! Each rule is a YAML document embedded in the binary from `rules/` and extendable with
//! `--rules DIR`. A data rule names the source kinds and operations it applies to, a
//! condition, severity escalations and the fields it reports; an analyzer entry names the Rust
//! analyzer that makes its findings. Both carry the title, ATT&CK ids, what a finding proves,
//! remediation, the report's narrative and examples that must fire and must stay quiet. Data
//! rules compile once; events are routed to them by (source, operation) and evaluated in
//! parallel over chunks of events; findings are then put in the report's total order, so output
//! never depends on the thread count.

pub mod condition;
pub mod doc;
mod selftest;
pub mod spec;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::event::{Event, SourceKind};
use crate::finding::{Evidence, Finding, Indicators, Severity};
use crate::ingest::InputSummary;
use crate::tenant::{Tenant, is_system_actor};
use condition::{Condition, Lists, field_values};
pub use spec::{Example, Narrative, RuleSpec, SystemActors};

/// Problems with rule files: fatal for the run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule file {file}: {message}")]
    Yaml { file: String, message: String },
    #[error("rule {rule}: {message}")]
    Invalid { rule: String, message: String },
    #[error("cannot read rules from {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// One catalogue entry: its metadata, where it came from, and for a data rule its compiled
/// condition.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule came from (`builtin:forwarding.yml` or a path).
    pub origin: String,
    /// `None` for an analyzer's entry.
    compiled: Option<Compiled>,
}

#[derive(Debug, Clone)]
struct Compiled {
    condition: Condition,
    severity_when: Vec<(Severity, Condition)>,
}

impl Rule {
    fn compile(spec: RuleSpec, origin: String, lists: &Lists) -> Result<Rule, RuleError> {
        let invalid = |message: &str| RuleError::Invalid {
            rule: spec.id.clone(),
            message: message.into(),
        };
        if spec.examples.fire.is_empty() || spec.examples.quiet.is_empty() {
            return Err(invalid(
                "needs at least one example that fires and one that stays quiet",
            ));
        }
        for example in spec.examples.fire.iter().chain(&spec.examples.quiet) {
            let single = example.kind.is_some() && example.record.is_some();
            let partial = example.kind.is_some() != example.record.is_some();
            if partial || single == example.is_sequence() {
                return Err(invalid(
                    "an example gives either `kind` and `record`, or `records`",
                ));
            }
        }
        let compiled = match (&spec.analyzer, &spec.condition) {
            (None, Some(condition)) => Some(Compiled {
                condition: Condition::compile(condition, lists, &spec.id)?,
                severity_when: spec
                    .severity_when
                    .iter()
                    .map(|w| {
                        Ok((
                            w.severity,
                            Condition::compile(&w.condition, lists, &spec.id)?,
                        ))
                    })
                    .collect::<Result<_, RuleError>>()?,
            }),
            (Some(_), None) => {
                if !spec.severity_when.is_empty() || !spec.operations.is_empty() {
                    return Err(invalid(
                        "an analyzer's entry has no operations or severity_when",
                    ));
                }
                if spec
                    .examples
                    .fire
                    .iter()
                    .chain(&spec.examples.quiet)
                    .any(|e| !e.is_sequence())
                {
                    return Err(invalid("an analyzer's examples are sequences (`records`)"));
                }
                None
            }
            (None, None) => return Err(invalid("needs `match` (or `analyzer`)")),
            (Some(_), Some(_)) => return Err(invalid("has both `match` and `analyzer`")),
        };
        Ok(Rule {
            spec,
            origin,
            compiled,
        })
    }

    /// Is this a data rule (as opposed to an analyzer's entry)?
    pub fn is_data(&self) -> bool {
        self.compiled.is_some()
    }

    /// The finding this rule makes of `event`, if any (always `None` for an analyzer's entry).
    pub fn apply(
        &self,
        event: &Event,
        tenant: &Tenant,
        inputs: &[InputSummary],
    ) -> Option<Finding> {
        let compiled = self.compiled.as_ref()?;
        if !self.spec.sources.contains(&event.source) || !compiled.condition.eval(event, tenant) {
            return None;
        }
        let system = event.actor.as_deref().is_some_and(is_system_actor);
        if system && self.spec.system_actors == SystemActors::Ignore {
            return None;
        }
        let mut severity = compiled
            .severity_when
            .iter()
            .find(|(_, c)| c.eval(event, tenant))
            .map_or(self.spec.severity, |(s, _)| *s);
        if system {
            severity = severity.min(Severity::Low);
        }
        let mut fields = BTreeMap::new();
        for (name, spec) in &self.spec.fields {
            let (refs, union) = spec.refs();
            let mut values: Vec<String> = Vec::new();
            for r in refs {
                for v in field_values(event, &r) {
                    let v = v.trim();
                    if !v.is_empty() && !values.iter().any(|x| x == v) {
                        values.push(v.to_string());
                    }
                }
                if !union && !values.is_empty() {
                    break;
                }
            }
            match values.len() {
                0 => {}
                1 => {
                    fields.insert(name.clone(), Value::String(values.remove(0)));
                }
                _ => {
                    fields.insert(name.clone(), Value::from(values));
                }
            }
        }
        let summary = render(&self.spec.summary, &fields, event);
        Some(Finding {
            id: String::new(),
            rule: self.spec.id.clone(),
            title: self.spec.title.clone(),
            severity,
            user: event.user.as_deref().map(str::to_owned),
            actor: event.actor.as_deref().map(str::to_owned),
            time: event.time,
            summary,
            attack: self.spec.attack.clone(),
            evidence: vec![evidence_of(event, inputs)],
            fields,
            indicators: Indicators::of(event),
            prov: event.prov,
        })
    }
}

/// The evidence entry of one event.
pub fn evidence_of(event: &Event, inputs: &[InputSummary]) -> Evidence {
    Evidence {
        input: inputs
            .get(event.prov.input as usize)
            .map_or_else(String::new, |i| i.path.clone()),
        line: event.prov.line,
        record: event.record_id.as_deref().map(str::to_owned),
        input_index: event.prov.input,
    }
}

/// Fills `{name}` placeholders from the finding's fields (lists joined with ", ") or from `@`
/// pseudo-fields of the event. `{name|text}` gives the text to use when there is no value;
/// otherwise an empty placeholder becomes `(none)`.
fn render(template: &str, fields: &BTreeMap<String, Value>, event: &Event) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let (name, default) = match rest[open + 1..open + close].split_once('|') {
            Some((n, d)) => (n, Some(d)),
            None => (&rest[open + 1..open + close], None),
        };
        let value = if name.starts_with('@') {
            field_values(event, name).join(", ")
        } else {
            match fields.get(name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::new(),
            }
        };
        out.push_str(if !value.is_empty() {
            &value
        } else {
            default.unwrap_or("(none)")
        });
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Rule files embedded in the binary.
const BUILTIN_RULES: &[(&str, &str)] = &[
    ("forwarding.yml", include_str!("../../rules/forwarding.yml")),
    ("inbox_rule.yml", include_str!("../../rules/inbox_rule.yml")),
    ("signin.yml", include_str!("../../rules/signin.yml")),
    ("sent_items.yml", include_str!("../../rules/sent_items.yml")),
    ("mailbox.yml", include_str!("../../rules/mailbox.yml")),
    (
        "persistence.yml",
        include_str!("../../rules/persistence.yml"),
    ),
    ("audit.yml", include_str!("../../rules/audit.yml")),
];

/// Word lists the rules refer to by name.
const BUILTIN_LISTS: &[(&str, &str)] = &[
    (
        "hiding_folders",
        include_str!("../../rules/lists/hiding_folders.txt"),
    ),
    (
        "bec_keywords",
        include_str!("../../rules/lists/bec_keywords.txt"),
    ),
    (
        "admin_roles",
        include_str!("../../rules/lists/admin_roles.txt"),
    ),
];

fn builtin_lists() -> Lists {
    BUILTIN_LISTS
        .iter()
        .map(|(name, text)| (name.to_string(), Arc::new(parse_list(text))))
        .collect()
}

fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Operation names compare without case and without the trailing period of Entra operations.
pub fn normalize_operation(op: &str) -> String {
    op.trim().trim_end_matches('.').trim().to_lowercase()
}

/// The loaded catalogue: every entry in id order, with the data rules' routing index.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub rules: Vec<Rule>,
    /// Rule families in the order their rule files are read (design.md section 4's order for
    /// the built-in ones): JUnit cases and the documentation follow it.
    families: Vec<String>,
    by_operation: HashMap<(SourceKind, String), Vec<usize>>,
    any_operation: HashMap<SourceKind, Vec<usize>>,
}

impl Catalogue {
    /// The embedded rules, plus every `*.yml`/`*.yaml` in `extra` (a rule with the id of an
    /// embedded one replaces it).
    pub fn load(extra: Option<&Path>) -> Result<Catalogue, RuleError> {
        let mut files: Vec<(String, String)> = Vec::new();
        if let Some(dir) = extra {
            let io = |e| RuleError::Io {
                path: dir.display().to_string(),
                source: e,
            };
            let mut paths: Vec<_> = std::fs::read_dir(dir)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
                .collect();
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path).map_err(|e| RuleError::Io {
                    path: path.display().to_string(),
                    source: e,
                })?;
                files.push((path.display().to_string(), text));
            }
        }
        Catalogue::from_texts(true, &files)
    }

    /// Rules from rule-file texts given as (origin, text), after the embedded ones when
    /// `builtin`; a later rule with the id of an earlier one replaces it. This is the whole
    /// loader apart from reading the directory (the rule-loader fuzz target drives it).
    pub fn from_texts(builtin: bool, files: &[(String, String)]) -> Result<Catalogue, RuleError> {
        let lists = builtin_lists();
        let mut rules: Vec<Rule> = Vec::new();
        if builtin {
            for (file, text) in BUILTIN_RULES {
                for spec in spec::parse_rule_file(file, text)? {
                    rules.push(Rule::compile(spec, format!("builtin:{file}"), &lists)?);
                }
            }
        }
        for (origin, text) in files {
            for spec in spec::parse_rule_file(origin, text)? {
                let rule = Rule::compile(spec, origin.clone(), &lists)?;
                match rules.iter_mut().find(|r| r.spec.id == rule.spec.id) {
                    Some(existing) => *existing = rule,
                    None => rules.push(rule),
                }
            }
        }
        Ok(Catalogue::index(rules))
    }

    fn index(mut rules: Vec<Rule>) -> Catalogue {
        let mut families: Vec<String> = Vec::new();
        for rule in &rules {
            if !families.iter().any(|f| f == rule.spec.family()) {
                families.push(rule.spec.family().to_string());
            }
        }
        rules.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
        let mut by_operation: HashMap<(SourceKind, String), Vec<usize>> = HashMap::new();
        let mut any_operation: HashMap<SourceKind, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate().filter(|(_, r)| r.is_data()) {
            for &source in &rule.spec.sources {
                if rule.spec.operations.is_empty() {
                    any_operation.entry(source).or_default().push(i);
                }
                for op in &rule.spec.operations {
                    by_operation
                        .entry((source, normalize_operation(op)))
                        .or_default()
                        .push(i);
                }
            }
        }
        Catalogue {
            rules,
            families,
            by_operation,
            any_operation,
        }
    }

    /// The rule families, in the order of the rule files.
    pub fn families(&self) -> &[String] {
        &self.families
    }

    /// The data rules, in id order.
    pub fn data_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.is_data())
    }

    /// The attribute keys the data rules read: condition fields, reported fields and summary
    /// placeholders (`@` pseudo-fields are left out; those reading attributes read ones the
    /// field plan keeps by prefix).
    pub fn referenced_fields(&self) -> std::collections::BTreeSet<String> {
        let mut keys = std::collections::BTreeSet::new();
        let mut add = |field: &str| {
            let field = field.strip_prefix("@addresses:").unwrap_or(field);
            if !field.starts_with('@') && !field.is_empty() {
                keys.insert(field.to_string());
            }
        };
        for rule in &self.rules {
            let Some(compiled) = &rule.compiled else {
                continue;
            };
            compiled.condition.fields(&mut add);
            for (_, c) in &compiled.severity_when {
                c.fields(&mut add);
            }
            for spec in rule.spec.fields.values() {
                spec.refs().0.iter().for_each(|f| add(f));
            }
            let mut rest = rule.spec.summary.as_str();
            while let Some(open) = rest.find('{') {
                let Some(close) = rest[open..].find('}') else {
                    break;
                };
                let inner = &rest[open + 1..open + close];
                add(inner.split('|').next().unwrap_or(inner).trim());
                rest = &rest[open + close + 1..];
            }
        }
        keys
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules
            .binary_search_by(|r| r.spec.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    /// Gives every finding its rule's one title and ATT&CK set; returns the rule ids of
    /// findings that have no catalogue entry (a defect: every id must be catalogued).
    pub fn describe(&self, findings: &mut [Finding]) -> Vec<String> {
        let mut unknown: Vec<String> = Vec::new();
        for f in findings {
            match self.get(&f.rule) {
                Some(rule) => {
                    if f.title != rule.spec.title {
                        f.title.clone_from(&rule.spec.title);
                    }
                    if f.attack != rule.spec.attack {
                        f.attack.clone_from(&rule.spec.attack);
                    }
                }
                None if !unknown.contains(&f.rule) => unknown.push(f.rule.clone()),
                None => {}
            }
        }
        unknown
    }

    /// Every finding the data rules make of `events`, unordered.
    pub fn evaluate(
        &self,
        events: &[Event],
        tenant: &Tenant,
        inputs: &[InputSummary],
    ) -> Vec<Finding> {
        events
            .par_chunks(4096)
            .flat_map_iter(|chunk| {
                let mut found = Vec::new();
                let mut key = (SourceKind::Ual, String::new());
                for event in chunk {
                    // One buffer per chunk: routing is a lookup per event and must not allocate.
                    key.0 = event.source;
                    key.1.clear();
                    let op = event.operation.trim().trim_end_matches('.').trim();
                    key.1.extend(op.chars().flat_map(char::to_lowercase));
                    let candidates = self
                        .by_operation
                        .get(&key)
                        .into_iter()
                        .flatten()
                        .chain(self.any_operation.get(&event.source).into_iter().flatten());
                    for &i in candidates {
                        found.extend(self.rules[i].apply(event, tenant, inputs));
                    }
                }
                found
            })
            .collect()
    }

    /// Runs the data rules' one-record examples; returns one line per failure. (Sequences are
    /// run through the whole analysis by `analysis::self_test`.)
    pub fn self_test(&self) -> Vec<String> {
        selftest::data_rule_examples(self)
    }
}

/// The tenant rule examples are written for.
pub fn example_tenant() -> Tenant {
    Tenant {
        internal_domains: ["contoso.com", "contoso.onmicrosoft.com"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_and_pass_their_examples() {
        let rules = Catalogue::load(None).unwrap();
        assert!(rules.data_rules().count() >= 15);
        let failures = rules.self_test();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_bad_rule_is_an_error() {
        let bad = "id: x\ntitle: t\ndescription: d\nseverity: high\nsources: [ual]\nmatch: {field: a, present: true, equals: b}\nsummary: s\nexamples: {fire: [], quiet: []}\n";
        let spec = spec::parse_rule_file("bad.yml", bad).unwrap().remove(0);
        assert!(Rule::compile(spec, "bad.yml".into(), &Lists::new()).is_err());
        assert!(spec::parse_rule_file("bad.yml", "id: [").is_err());
    }

    #[test]
    fn an_entry_is_a_data_rule_or_an_analyzers_never_both() {
        let record = "{kind: ual, record: {Operation: X}}";
        let base = format!(
            "id: x.y\ntitle: t\ndescription: d\nseverity: low\nsources: [ual]\nexamples: {{fire: [{record}], quiet: [{record}]}}\n"
        );
        let neither = spec::parse_rule_file("a.yml", &base).unwrap().remove(0);
        assert!(Rule::compile(neither, "a".into(), &Lists::new()).is_err());
        let both = format!("{base}analyzer: signin\nmatch: {{field: a, present: true}}\n");
        let both = spec::parse_rule_file("a.yml", &both).unwrap().remove(0);
        assert!(Rule::compile(both, "a".into(), &Lists::new()).is_err());
        // An analyzer's examples must be sequences.
        let single = format!("{base}analyzer: signin\n");
        let single = spec::parse_rule_file("a.yml", &single).unwrap().remove(0);
        assert!(Rule::compile(single, "a".into(), &Lists::new()).is_err());
    }
}
