//! The catalogue's YAML schema (docs/rules.md): one document per rule id, whether a data rule
//! (with a `match` condition) or a rule made by a Rust analyzer (with `analyzer:`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::RuleError;
use super::condition::{ConditionSpec, OneOrMany};
use crate::event::SourceKind;
use crate::finding::Severity;

/// What a rule does with changes made by the system itself (docs/rules.md).
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SystemActors {
    /// Report at most `low`.
    #[default]
    CapLow,
    /// Not a finding at all.
    Ignore,
}

/// A catalogue entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The default severity; escalations and analyzers may report others.
    pub severity: Severity,
    #[serde(default)]
    pub attack: Vec<String>,
    pub sources: Vec<SourceKind>,
    /// The Rust analyzer that makes this rule's findings; `None` for a data rule.
    #[serde(default)]
    pub analyzer: Option<String>,
    /// Operations (case-insensitive, a trailing period ignored); empty means any.
    #[serde(default)]
    pub operations: Vec<String>,
    /// The condition of a data rule; analyzer entries have none.
    #[serde(rename = "match", default)]
    pub condition: Option<ConditionSpec>,
    #[serde(default)]
    pub severity_when: Vec<SeverityWhen>,
    #[serde(default)]
    pub system_actors: SystemActors,
    /// The finding's summary template (data rules); analyzers write their own.
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSpec>,
    /// What a finding of this rule proves on its own, in plain words.
    #[serde(default)]
    pub proves: String,
    /// Remediation steps (ids of `remediation.rs`) a finding of this rule calls for, beyond the
    /// account-wide ones (password reset, session revocation).
    #[serde(default)]
    pub remediation: Vec<String>,
    /// How the HTML report's case story tells this rule's findings.
    #[serde(default)]
    pub narrative: Option<Narrative>,
    /// Notes for the report's limitations, each when a finding carries a field value.
    #[serde(default)]
    pub limitations: Vec<LimitationSpec>,
    pub examples: Examples,
    #[serde(default)]
    pub references: Vec<String>,
}

impl RuleSpec {
    /// The rule family: the id's part before the first dot.
    pub fn family(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }
}

/// A sentence of the HTML report's case story. Findings of rules with the same `text` are told
/// together: "{text} ({values of `list`})." or "{text}." when there are no values.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Narrative {
    pub text: String,
    /// A finding field whose values are listed after the text.
    #[serde(default)]
    pub list: Option<String>,
    /// Put each listed value in single quotes.
    #[serde(default)]
    pub quote: bool,
    /// How an empty value reads (a rule with no name, a sign-in without user agent).
    #[serde(default)]
    pub empty: Option<String>,
    /// Appended to the group's sentence when one of its findings is of this rule.
    #[serde(default)]
    pub addendum: Option<String>,
}

/// A limitation of the analysis that a finding reveals: `text` when a finding of the rule has
/// `field` equal to `equals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitationSpec {
    pub field: String,
    pub equals: Value,
    pub text: String,
}

/// Where a reported field comes from: the first of several references that has a value, or
/// (`all:`) the values of every reference.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldSpec {
    All { all: Vec<String> },
    First(OneOrMany),
}

impl FieldSpec {
    /// The references, and whether every one's values are taken.
    pub fn refs(&self) -> (Vec<String>, bool) {
        match self {
            FieldSpec::All { all } => (all.clone(), true),
            FieldSpec::First(refs) => (refs.clone().into_vec(), false),
        }
    }
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

/// Records as an export holds them, normalized by the real ingest code: one record (`kind` and
/// `record`, for data rules) or a sequence (`records`, run through the whole analysis).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub kind: Option<SourceKind>,
    #[serde(default)]
    pub record: Option<Value>,
    #[serde(default)]
    pub records: Vec<ExampleRecords>,
    /// Rule ids that must (in `fire` examples) also fire, or (in either) must stay quiet.
    #[serde(default)]
    pub also_fire: Vec<String>,
    #[serde(default)]
    pub quiet_rules: Vec<String>,
}

/// One record of a sequence, or several: with `each`, one record per entry, each the `record`
/// with the entry's fields merged over it (objects merge key by key).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleRecords {
    pub kind: SourceKind,
    pub record: Value,
    #[serde(default)]
    pub each: Vec<Value>,
}

impl Example {
    /// Is this a sequence for the whole analysis rather than one record for one rule?
    pub fn is_sequence(&self) -> bool {
        !self.records.is_empty()
    }

    /// Every record of the example, in order, with its kind.
    pub fn expanded(&self) -> Vec<(SourceKind, Value)> {
        let mut out = Vec::new();
        if let (Some(kind), Some(record)) = (self.kind, &self.record) {
            out.push((kind, record.clone()));
        }
        for group in &self.records {
            if group.each.is_empty() {
                out.push((group.kind, group.record.clone()));
            }
            for over in &group.each {
                let mut record = group.record.clone();
                merge(&mut record, over);
                out.push((group.kind, record));
            }
        }
        out
    }
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// The documents of one rule file.
pub fn parse_rule_file(file: &str, text: &str) -> Result<Vec<RuleSpec>, RuleError> {
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
    fn each_merges_objects_key_by_key() {
        let example: Example = serde_norway::from_str(
            "records:\n  - kind: signin\n    record: {a: 1, status: {errorCode: 50126, x: 1}}\n    each:\n      - {a: 2}\n      - {status: {errorCode: 0}}\n",
        )
        .unwrap();
        let records = example.expanded();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].1["a"], 2);
        assert_eq!(records[1].1["status"]["errorCode"], 0);
        assert_eq!(records[1].1["status"]["x"], 1);
    }
}
