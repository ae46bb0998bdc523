//! Conditions of data rules: field tests combined with `all`, `any` and `not`, compiled once
//! (literal sets into Aho-Corasick automata, patterns into regexes).

use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;
use serde::Deserialize;

use super::RuleError;
use crate::event::Event;
use crate::ingest::fields::parse_bool;
use crate::tenant::{Tenant, addresses_in};

/// One value or a list of them in YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

/// A condition as written in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ConditionSpec {
    All { all: Vec<ConditionSpec> },
    Any { any: Vec<ConditionSpec> },
    Not { not: Box<ConditionSpec> },
    Test(TestSpec),
}

/// A test on the values of one or more fields. Exactly one operator is given. A test holds
/// when any value of any of the fields passes (for `present: false`, when none is present).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    pub field: OneOrMany,
    /// A non-empty value exists.
    pub present: Option<bool>,
    /// Equal to one of these, ignoring case (list items `a;b` are compared one by one).
    pub equals: Option<OneOrMany>,
    /// Contains one of these, ignoring case.
    pub contains: Option<OneOrMany>,
    pub starts_with: Option<OneOrMany>,
    pub regex: Option<String>,
    /// `True`/`False` (any spelling).
    pub is_true: Option<bool>,
    /// An email address in the value is outside the tenant (`true`) / all are inside (`false`).
    pub external: Option<bool>,
    /// Equal to an entry of a named list (`rules/lists/<name>.txt`); folder paths compare by
    /// their last segment.
    pub in_list: Option<String>,
    /// Contains an entry of a named list, ignoring case.
    pub contains_list: Option<String>,
    /// A .NET TimeSpan (`1.00:00:00`) or a number of days, below this many days.
    pub days_below: Option<f64>,
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Test { fields: Vec<String>, op: Op },
}

#[derive(Debug, Clone)]
pub enum Op {
    Present(bool),
    Equals(Vec<String>),
    Contains(Arc<AhoCorasick>),
    StartsWith(Vec<String>),
    Regex(Regex),
    IsTrue(bool),
    External(bool),
    InList(Arc<Vec<String>>),
    DaysBelow(f64),
}

/// Named word lists shipped with the rules.
pub type Lists = std::collections::BTreeMap<String, Arc<Vec<String>>>;

fn automaton(words: &[String]) -> Result<Arc<AhoCorasick>, String> {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(words.iter().map(|w| w.to_lowercase()))
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

impl Condition {
    pub fn compile(
        spec: &ConditionSpec,
        lists: &Lists,
        rule: &str,
    ) -> Result<Condition, RuleError> {
        let err = |message: String| RuleError::Invalid {
            rule: rule.to_string(),
            message,
        };
        Ok(match spec {
            ConditionSpec::All { all } => Condition::All(
                all.iter()
                    .map(|c| Condition::compile(c, lists, rule))
                    .collect::<Result<_, _>>()?,
            ),
            ConditionSpec::Any { any } => Condition::Any(
                any.iter()
                    .map(|c| Condition::compile(c, lists, rule))
                    .collect::<Result<_, _>>()?,
            ),
            ConditionSpec::Not { not } => {
                Condition::Not(Box::new(Condition::compile(not, lists, rule)?))
            }
            ConditionSpec::Test(t) => {
                let mut ops = Vec::new();
                if let Some(p) = t.present {
                    ops.push(Op::Present(p));
                }
                if let Some(v) = &t.equals {
                    ops.push(Op::Equals(
                        v.clone()
                            .into_vec()
                            .iter()
                            .map(|s| s.to_lowercase())
                            .collect(),
                    ));
                }
                if let Some(v) = &t.contains {
                    ops.push(Op::Contains(automaton(&v.clone().into_vec()).map_err(err)?));
                }
                if let Some(v) = &t.starts_with {
                    ops.push(Op::StartsWith(
                        v.clone()
                            .into_vec()
                            .iter()
                            .map(|s| s.to_lowercase())
                            .collect(),
                    ));
                }
                if let Some(r) = &t.regex {
                    ops.push(Op::Regex(
                        Regex::new(r).map_err(|e| err(format!("bad regex {r:?}: {e}")))?,
                    ));
                }
                if let Some(b) = t.is_true {
                    ops.push(Op::IsTrue(b));
                }
                if let Some(b) = t.external {
                    ops.push(Op::External(b));
                }
                if let Some(name) = &t.in_list {
                    let list = lists
                        .get(name)
                        .ok_or_else(|| err(format!("unknown list {name:?}")))?;
                    ops.push(Op::InList(list.clone()));
                }
                if let Some(name) = &t.contains_list {
                    let list = lists
                        .get(name)
                        .ok_or_else(|| err(format!("unknown list {name:?}")))?;
                    ops.push(Op::Contains(automaton(list).map_err(err)?));
                }
                if let Some(d) = t.days_below {
                    ops.push(Op::DaysBelow(d));
                }
                if ops.len() != 1 {
                    return Err(err(format!(
                        "a test on {:?} needs exactly one operator, found {}",
                        t.field,
                        ops.len()
                    )));
                }
                Condition::Test {
                    fields: t.field.clone().into_vec(),
                    op: ops.remove(0),
                }
            }
        })
    }

    /// Calls `f` with every field the condition reads.
    pub fn fields(&self, f: &mut impl FnMut(&str)) {
        match self {
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| c.fields(f)),
            Condition::Not(c) => c.fields(f),
            Condition::Test { fields, .. } => fields.iter().for_each(|x| f(x)),
        }
    }

    pub fn eval(&self, event: &Event, tenant: &Tenant) -> bool {
        match self {
            Condition::All(cs) => cs.iter().all(|c| c.eval(event, tenant)),
            Condition::Any(cs) => cs.iter().any(|c| c.eval(event, tenant)),
            Condition::Not(c) => !c.eval(event, tenant),
            Condition::Test { fields, op } => {
                let mut values = fields.iter().flat_map(|f| field_values(event, f));
                match op {
                    Op::Present(want) => values.any(|v| !v.trim().is_empty()) == *want,
                    Op::External(want) => {
                        let addresses: Vec<String> = values
                            .flat_map(|v| {
                                let mut found = addresses_in(&v);
                                // Exchange-internal recipients (`[EX:/o=...]`) have no SMTP
                                // address in the dump but are inside the tenant by definition.
                                let lower = v.to_ascii_lowercase();
                                if lower.contains("ex:/") || lower.starts_with("/o=") {
                                    found.push("EX:".into());
                                }
                                found
                            })
                            .collect();
                        if *want {
                            addresses.iter().any(|a| !tenant.is_internal(a))
                        } else {
                            !addresses.is_empty() && addresses.iter().all(|a| tenant.is_internal(a))
                        }
                    }
                    _ => values.any(|v| test_value(op, &v)),
                }
            }
        }
    }
}

fn test_value(op: &Op, value: &str) -> bool {
    match op {
        Op::Equals(want) => {
            items(value).any(|item| want.iter().any(|w| item.eq_ignore_ascii_case(w)))
        }
        Op::Contains(ac) => ac.is_match(value),
        Op::StartsWith(prefixes) => {
            let lower = value.trim().to_lowercase();
            prefixes.iter().any(|p| lower.starts_with(p.as_str()))
        }
        Op::Regex(re) => re.is_match(value),
        Op::IsTrue(want) => parse_bool(value) == Some(*want),
        Op::InList(list) => items(value).any(|item| {
            let folder = folder_name(item);
            list.iter()
                .any(|entry| entry.eq_ignore_ascii_case(item) || entry.eq_ignore_ascii_case(folder))
        }),
        Op::DaysBelow(limit) => timespan_days(value).is_some_and(|d| d < *limit),
        Op::Present(_) | Op::External(_) => unreachable!("handled on the whole value set"),
    }
}

/// Items of a multi-valued parameter (`a;b`), trimmed, non-empty.
fn items(value: &str) -> impl Iterator<Item = &str> {
    value.split(';').map(str::trim).filter(|s| !s.is_empty())
}

/// `megan:\Inbox\RSS Feeds`, `\RSS Feeds`, `RSS Feeds` → `RSS Feeds`.
pub fn folder_name(value: &str) -> &str {
    let v = value.trim();
    let v = v.rsplit_once(":\\").map_or(v, |(_, rest)| rest);
    v.rsplit('\\').next().unwrap_or(v).trim()
}

/// `1.00:00:00` (d.hh:mm:ss), `90`, `00:30:00` → days.
pub fn timespan_days(value: &str) -> Option<f64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Ok(days) = v.parse::<f64>() {
        return Some(days);
    }
    let (days, clock) = match v.split_once('.') {
        Some((d, rest)) if rest.contains(':') => (d.parse::<f64>().ok()?, rest),
        _ => (0.0, v),
    };
    let mut parts = clock.split(':').map(|p| p.parse::<f64>().ok());
    let h = parts.next()??;
    let m = parts.next().flatten().unwrap_or(0.0);
    let s = parts.next().flatten().unwrap_or(0.0);
    Some(days + (h + m / 60.0 + s / 3600.0) / 24.0)
}

/// The values of a field reference: an attribute key, or one of the `@` pseudo-fields.
pub fn field_values<'a>(event: &'a Event, field: &str) -> Vec<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    let one = |v: Option<&'a str>| v.map(Cow::Borrowed).into_iter().collect::<Vec<_>>();
    match field {
        // Without the trailing period of Entra operation names, so rules can name either form.
        "@operation" => one(Some(event.operation.trim().trim_end_matches('.'))),
        "@source" => one(Some(event.source.as_str())),
        "@actor" => one(event.actor.as_deref()),
        "@user" => one(event.user.as_deref()),
        "@object" => one(event.object.as_deref()),
        "@object_name" => event
            .object
            .as_deref()
            .map(|o| Cow::Borrowed(o.rsplit('\\').next().unwrap_or(o)))
            .into_iter()
            .collect(),
        "@user_agent" => one(event.client.user_agent.as_deref()),
        "@client_info" => one(event.client.client_info.as_deref()),
        "@app" => one(event.client.app.as_deref()),
        "@ip" => event
            .ip
            .map(|ip| Cow::Owned(ip.to_string()))
            .into_iter()
            .collect(),
        "@target_name" => {
            // Entra Target[] entries of type 1 carry display names (the app, the role).
            let ids: Vec<&str> = event.attrs.get_all("Target.ID").collect();
            let types: Vec<&str> = event.attrs.get_all("Target.Type").collect();
            let mut names: Vec<Cow<'a, str>> = ids
                .iter()
                .zip(types.iter())
                .filter(|(_, t)| **t == "1")
                .map(|(id, _)| Cow::Borrowed(*id))
                .collect();
            names.extend(
                event
                    .attrs
                    .get_all("targetResources.displayName")
                    .map(Cow::Borrowed),
            );
            names
        }
        "@rule_actions" => rule_words(event, RULE_ACTIONS)
            .into_iter()
            .map(Cow::Owned)
            .collect(),
        "@rule_conditions" => rule_words(event, RULE_CONDITIONS)
            .into_iter()
            .map(Cow::Owned)
            .collect(),
        "@actor_is_user" => {
            let same = event.actor.is_some() && event.actor == event.user;
            vec![Cow::Borrowed(if same { "True" } else { "False" })]
        }
        key => match key.strip_prefix("@addresses:") {
            // Email addresses mentioned anywhere in the field's text (JSON rule actions).
            Some(inner) => event
                .attrs
                .get_all(inner)
                .flat_map(addresses_in)
                .map(Cow::Owned)
                .collect(),
            None => event.attrs.get_all(key).map(Cow::Borrowed).collect(),
        },
    }
}

/// Inbox-rule properties and how to say what they do, for `@rule_actions`.
const RULE_ACTIONS: &[(&str, &str)] = &[
    ("ForwardTo", "forwards it to {}"),
    (
        "ForwardAsAttachmentTo",
        "forwards it as an attachment to {}",
    ),
    ("RedirectTo", "redirects it to {}"),
    ("MoveToFolder", "moves it to '{}'"),
    ("CopyToFolder", "copies it to '{}'"),
    ("DeleteMessage", "deletes it"),
    ("SoftDeleteMessage", "deletes it"),
    ("PermanentDelete", "deletes it permanently"),
    ("MarkAsRead", "marks it as read"),
    ("StopProcessingRules", "stops processing other rules"),
];

/// Conditions, for `@rule_conditions`.
const RULE_CONDITIONS: &[(&str, &str)] = &[
    ("SubjectContainsWords", "the subject contains '{}'"),
    (
        "SubjectOrBodyContainsWords",
        "the subject or body contains '{}'",
    ),
    ("BodyContainsWords", "the body contains '{}'"),
    (
        "FromAddressContainsWords",
        "the sender address contains '{}'",
    ),
    ("From", "it is from {}"),
    ("SentTo", "it is sent to {}"),
    ("HeaderContainsWords", "a header contains '{}'"),
    ("HasAttachment", "it has an attachment"),
];

/// An inbox rule's actions in plain words ("forwards it to x@y", "marks it as read").
pub fn rule_actions(event: &Event) -> Vec<String> {
    rule_words(event, RULE_ACTIONS)
}

/// An inbox rule's conditions in plain words ("the subject contains 'invoice'").
pub fn rule_conditions(event: &Event) -> Vec<String> {
    rule_words(event, RULE_CONDITIONS)
}

/// Plain-words phrases for the rule properties an event sets, from cmdlet parameters or dump
/// properties. Boolean properties count only when true.
fn rule_words(event: &Event, table: &[(&str, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (property, phrase) in table {
        let values: Vec<&str> = event
            .attrs
            .get_all(&format!("Parameters.{property}"))
            .chain(event.attrs.get_all(property))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            continue;
        }
        if phrase.contains("{}") {
            let joined = values
                .iter()
                .flat_map(|v| v.split(';'))
                .map(|v| folder_name(v).trim_matches('"'))
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join("', '");
            let text = phrase.replace("{}", &joined);
            if !out.contains(&text) {
                out.push(text);
            }
        } else if values.iter().any(|v| parse_bool(v) == Some(true))
            && !out.iter().any(|o| o == phrase)
        {
            out.push(phrase.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_timespans() {
        assert_eq!(folder_name("megan:\\RSS Feeds"), "RSS Feeds");
        assert_eq!(folder_name("\\Inbox\\Archive"), "Archive");
        assert_eq!(folder_name(":\\Deleted Items"), "Deleted Items");
        assert_eq!(timespan_days("1.00:00:00"), Some(1.0));
        assert_eq!(timespan_days("90"), Some(90.0));
        assert_eq!(timespan_days("00:00:00"), Some(0.0));
        assert_eq!(timespan_days("180.00:00:00"), Some(180.0));
        assert_eq!(timespan_days("nope"), None);
    }
}
