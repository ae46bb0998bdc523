//! Single-event rules as data (design.md sections 1 and 4).
//!
//! Rules are YAML documents (format in docs/rules.md) embedded in the binary from `rules/`, and
//! extendable with `--rules DIR`. Each names the source kinds and operations it applies to, a
//! condition, severity escalations, the fields it reports, and examples that must fire and
//! must stay quiet. Rules compile once; events are routed to rules by (source, operation) and
//! evaluated in parallel over chunks of events; the findings are then put in the report's total
//! order, so output never depends on the thread count.

pub mod condition;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::event::{Event, Provenance, SourceKind};
use crate::finding::{Evidence, Finding, Indicators, Severity};
use crate::ingest::InputSummary;
use crate::tenant::{Tenant, is_system_actor};
use condition::{Condition, ConditionSpec, Lists, OneOrMany, field_values};

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

/// What a rule does with changes made by the system itself (design.md section 8).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SystemActors {
    /// Report at most `low`.
    #[default]
    CapLow,
    /// Not a finding at all.
    Ignore,
}

/// A rule as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    #[serde(default)]
    pub attack: Vec<String>,
    pub sources: Vec<SourceKind>,
    /// Operations (case-insensitive, a trailing period ignored); empty means any.
    #[serde(default)]
    pub operations: Vec<String>,
    #[serde(rename = "match")]
    pub condition: ConditionSpec,
    #[serde(default)]
    pub severity_when: Vec<SeverityWhen>,
    #[serde(default)]
    pub system_actors: SystemActors,
    pub summary: String,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSpec>,
    pub examples: Examples,
    #[serde(default)]
    pub references: Vec<String>,
}

/// Where a reported field comes from: the first of several references that has a value, or
/// (`all:`) the values of every reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldSpec {
    All { all: Vec<String> },
    First(OneOrMany),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityWhen {
    pub severity: Severity,
    #[serde(rename = "if")]
    pub condition: ConditionSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    pub fire: Vec<Example>,
    pub quiet: Vec<Example>,
}

/// A record as an export holds it, with its kind; normalized by the real ingest code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    #[serde(default)]
    pub note: String,
    pub kind: SourceKind,
    pub record: Value,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule came from (`builtin:forwarding.yml` or a path).
    pub origin: String,
    condition: Condition,
    severity_when: Vec<(Severity, Condition)>,
}

impl Rule {
    fn compile(spec: RuleSpec, origin: String, lists: &Lists) -> Result<Rule, RuleError> {
        let condition = Condition::compile(&spec.condition, lists, &spec.id)?;
        let severity_when = spec
            .severity_when
            .iter()
            .map(|w| {
                Ok((
                    w.severity,
                    Condition::compile(&w.condition, lists, &spec.id)?,
                ))
            })
            .collect::<Result<_, RuleError>>()?;
        if spec.examples.fire.is_empty() || spec.examples.quiet.is_empty() {
            return Err(RuleError::Invalid {
                rule: spec.id.clone(),
                message: "needs at least one example that fires and one that stays quiet".into(),
            });
        }
        Ok(Rule {
            spec,
            origin,
            condition,
            severity_when,
        })
    }

    /// The finding this rule makes of `event`, if any.
    pub fn apply(
        &self,
        event: &Event,
        tenant: &Tenant,
        inputs: &[InputSummary],
    ) -> Option<Finding> {
        if !self.spec.sources.contains(&event.source) || !self.condition.eval(event, tenant) {
            return None;
        }
        let system = event.actor.as_deref().is_some_and(is_system_actor);
        if system && self.spec.system_actors == SystemActors::Ignore {
            return None;
        }
        let mut severity = self
            .severity_when
            .iter()
            .find(|(_, c)| c.eval(event, tenant))
            .map_or(self.spec.severity, |(s, _)| *s);
        if system {
            severity = severity.min(Severity::Low);
        }
        let mut fields = BTreeMap::new();
        for (name, spec) in &self.spec.fields {
            let (refs, union) = match spec {
                FieldSpec::All { all } => (all.clone(), true),
                FieldSpec::First(refs) => (refs.clone().into_vec(), false),
            };
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

/// The loaded, compiled rule catalogue with its routing index.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    by_operation: HashMap<(SourceKind, String), Vec<usize>>,
    any_operation: HashMap<SourceKind, Vec<usize>>,
}

impl RuleSet {
    /// The embedded rules, plus every `*.yml`/`*.yaml` in `extra` (a rule with the id of an
    /// embedded one replaces it).
    pub fn load(extra: Option<&Path>) -> Result<RuleSet, RuleError> {
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
        RuleSet::from_texts(true, &files)
    }

    /// Rules from rule-file texts given as (origin, text), after the embedded ones when
    /// `builtin`; a later rule with the id of an earlier one replaces it. This is the whole
    /// loader apart from reading the directory (the rule-loader fuzz target drives it).
    pub fn from_texts(builtin: bool, files: &[(String, String)]) -> Result<RuleSet, RuleError> {
        let lists = builtin_lists();
        let mut rules: Vec<Rule> = Vec::new();
        if builtin {
            for (file, text) in BUILTIN_RULES {
                for spec in parse_rule_file(file, text)? {
                    rules.push(Rule::compile(spec, format!("builtin:{file}"), &lists)?);
                }
            }
        }
        for (origin, text) in files {
            for spec in parse_rule_file(origin, text)? {
                let rule = Rule::compile(spec, origin.clone(), &lists)?;
                match rules.iter_mut().find(|r| r.spec.id == rule.spec.id) {
                    Some(existing) => *existing = rule,
                    None => rules.push(rule),
                }
            }
        }
        Ok(RuleSet::index(rules))
    }

    fn index(mut rules: Vec<Rule>) -> RuleSet {
        rules.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
        let mut by_operation: HashMap<(SourceKind, String), Vec<usize>> = HashMap::new();
        let mut any_operation: HashMap<SourceKind, Vec<usize>> = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
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
        RuleSet {
            rules,
            by_operation,
            any_operation,
        }
    }

    /// The attribute keys the rules read: condition fields, reported fields and summary
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
            rule.condition.fields(&mut add);
            for (_, c) in &rule.severity_when {
                c.fields(&mut add);
            }
            for spec in rule.spec.fields.values() {
                match spec {
                    FieldSpec::All { all } => all.iter().for_each(|f| add(f)),
                    FieldSpec::First(refs) => refs.clone().into_vec().iter().for_each(|f| add(f)),
                }
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
        self.rules.iter().find(|r| r.spec.id == id)
    }

    /// Every finding the rules make of `events`, unordered.
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
                let mut key = (crate::event::SourceKind::Ual, String::new());
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

    /// Runs every rule's examples; returns one line per failure.
    pub fn self_test(&self) -> Vec<String> {
        let tenant = example_tenant();
        let mut failures = Vec::new();
        for rule in &self.rules {
            for (want_fire, examples) in [
                (true, &rule.spec.examples.fire),
                (false, &rule.spec.examples.quiet),
            ] {
                for (n, example) in examples.iter().enumerate() {
                    let what = if want_fire { "fire" } else { "quiet" };
                    let Value::Object(record) = &example.record else {
                        failures.push(format!(
                            "{}: {what} example {} is not an object",
                            rule.spec.id,
                            n + 1
                        ));
                        continue;
                    };
                    let prov = Provenance {
                        input: 0,
                        line: 1,
                        record: 1,
                    };
                    let event = match crate::ingest::normalize_record(example.kind, record, prov) {
                        Ok(e) => e,
                        Err(e) => {
                            failures.push(format!(
                                "{}: {what} example {} does not normalize: {e}",
                                rule.spec.id,
                                n + 1
                            ));
                            continue;
                        }
                    };
                    let routed = rule.spec.operations.is_empty()
                        || rule.spec.operations.iter().any(|op| {
                            normalize_operation(op) == normalize_operation(&event.operation)
                        });
                    let fired = routed && rule.apply(&event, &tenant, &[]).is_some();
                    if fired != want_fire {
                        failures.push(format!(
                            "{}: {what} example {}{} {}",
                            rule.spec.id,
                            n + 1,
                            if example.note.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", example.note)
                            },
                            if want_fire { "did not fire" } else { "fired" }
                        ));
                    }
                }
            }
        }
        failures
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

fn parse_rule_file(file: &str, text: &str) -> Result<Vec<RuleSpec>, RuleError> {
    let mut specs = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let spec = RuleSpec::deserialize(document).map_err(|e| RuleError::Yaml {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        specs.push(spec);
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_and_pass_their_examples() {
        let rules = RuleSet::load(None).unwrap();
        assert!(rules.rules.len() >= 15);
        let failures = rules.self_test();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_bad_rule_is_an_error() {
        let bad = "id: x\ntitle: t\ndescription: d\nseverity: high\nsources: [ual]\nmatch: {field: a, present: true, equals: b}\nsummary: s\nexamples: {fire: [], quiet: []}\n";
        let spec = parse_rule_file("bad.yml", bad).unwrap().remove(0);
        assert!(Rule::compile(spec, "bad.yml".into(), &Lists::new()).is_err());
        assert!(parse_rule_file("bad.yml", "id: [").is_err());
    }
}
