//! Helpers shared by the normalizers: case-insensitive field access on JSON objects, text of
//! scalar values, JSON held in strings, and flattening a record into [`Attrs`].

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::event::Attrs;

/// A field by name: exact first, then ASCII case-insensitive (producers disagree on case).
pub fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// The first of several field names that is present and not empty, as text.
pub fn text<'a>(object: &'a Map<String, Value>, keys: &[&str]) -> Option<Cow<'a, str>> {
    keys.iter()
        .filter_map(|k| get(object, k))
        .find_map(scalar_text)
}

/// A field that may be an object or JSON text holding one (Sentinel and Log Analytics write
/// nested values as text).
pub fn object<'a>(
    object: &'a Map<String, Value>,
    key: &str,
) -> Option<Cow<'a, Map<String, Value>>> {
    match get(object, key)? {
        Value::Object(o) => Some(Cow::Borrowed(o)),
        Value::String(s) => match embedded_json(s)? {
            Value::Object(o) => Some(Cow::Owned(o)),
            _ => None,
        },
        _ => None,
    }
}

/// A path of nested objects (`["status", "errorCode"]`), each step case-insensitive and each
/// step allowed to be JSON text.
pub fn path_text<'a>(root: &'a Map<String, Value>, path: &[&str]) -> Option<String> {
    let (last, parents) = path.split_last()?;
    let mut current: Cow<'a, Map<String, Value>> = Cow::Borrowed(root);
    for step in parents {
        let next = match object(&current, step)? {
            Cow::Borrowed(o) => Cow::Owned(o.clone()),
            Cow::Owned(o) => Cow::Owned(o),
        };
        current = next;
    }
    get(&current, last)
        .and_then(scalar_text)
        .map(Cow::into_owned)
}

/// Text of a scalar; `None` for null, empty or whitespace-only strings, arrays and objects.
pub fn scalar_text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "True" } else { "False" })),
        _ => None,
    }
}

/// JSON held in a string (`"[{\"Name\":...}]"`), when the text is an object or an array.
pub fn embedded_json(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        serde_json::from_str(t).ok()
    } else {
        None
    }
}

/// `True`/`true`/`1`/`Yes` and their opposites.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Some(true),
        "false" | "0" | "no" | "n" => Some(false),
        _ => None,
    }
}

pub fn lower(s: &str) -> Box<str> {
    s.trim().to_lowercase().into_boxed_str()
}

const NAME_KEYS: [&str; 3] = ["Name", "displayName", "key"];
const VALUE_KEYS: [&str; 3] = ["Value", "NewValue", "OldValue"];

/// Is this array a Name/Value bag (`Parameters`, `ExtendedProperties`, `ModifiedProperties`,
/// Entra `modifiedProperties`/`additionalDetails`)? Every element names itself, and at least
/// one carries a value; elements of bags have few keys (unlike `targetResources`).
fn is_bag(items: &[Value]) -> bool {
    !items.is_empty()
        && items.iter().all(|item| match item {
            Value::Object(o) => {
                o.len() <= 3
                    && NAME_KEYS
                        .iter()
                        .any(|k| get(o, k).is_some_and(Value::is_string))
            }
            _ => false,
        })
        && items.iter().any(|item| match item {
            Value::Object(o) => VALUE_KEYS.iter().any(|k| get(o, k).is_some()),
            _ => false,
        })
}

/// Record fields whose string values are JSON text in some exports (Sentinel, Log Analytics,
/// Extractor Suite CSV) and are read as JSON when they parse.
const JSON_TEXT_FIELDS: &[&str] = &[
    "Parameters",
    "OperationProperties",
    "ExtendedProperties",
    "DeviceProperties",
    "ModifiedProperties",
    "Folders",
    "Folder",
    "DestFolder",
    "Item",
    "AffectedItems",
    "Actor",
    "Target",
    "AppAccessContext",
    "recipientList",
    "InitiatedBy",
    "TargetResources",
    "AdditionalDetails",
    "DeviceDetail",
    "LocationDetails",
    "Status",
    "ConditionalAccessPolicies",
    "AuthenticationDetails",
    "AuthenticationProcessingDetails",
];

pub fn is_json_text_field(key: &str) -> bool {
    JSON_TEXT_FIELDS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Flattens `value` into `attrs` under `prefix`: nested objects become `A.B`, Name/Value bags
/// become `Bag.<Name>` (and `Bag.<Name>.NewValue`/`.OldValue` for modified properties), arrays
/// repeat their key. OData annotations are dropped.
pub fn flatten(attrs: &mut Attrs, prefix: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Object(o) => flatten_object(attrs, prefix, o),
        Value::Array(items) if is_bag(items) => flatten_bag(attrs, prefix, items),
        Value::Array(items) => {
            for item in items {
                flatten(attrs, prefix, item);
            }
        }
        scalar => push_scalar(attrs, prefix.to_string(), scalar),
    }
}

/// [`flatten`] for an object, without wrapping it in a [`Value`] first.
pub fn flatten_object(attrs: &mut Attrs, prefix: &str, o: &Map<String, Value>) {
    for (k, v) in o {
        if k.contains('@') {
            continue;
        }
        let key = join(prefix, k);
        match v {
            Value::String(s) if is_json_text_field(k) => match embedded_json(s) {
                Some(parsed) => flatten(attrs, &key, &parsed),
                None if k.eq_ignore_ascii_case("Parameters") && s.trim_start().starts_with('-') => {
                    for (name, value) in powershell_parameters(s) {
                        attrs.push(join(&key, &name), value);
                    }
                }
                None => attrs.push(key, s.as_str()),
            },
            _ => flatten(attrs, &key, v),
        }
    }
}

fn flatten_bag(attrs: &mut Attrs, prefix: &str, items: &[Value]) {
    for item in items {
        let Value::Object(o) = item else { continue };
        let Some(name) = NAME_KEYS
            .iter()
            .find_map(|k| get(o, k).and_then(Value::as_str))
        else {
            continue;
        };
        let key = join(prefix, name.trim());
        let plain = get(o, "Value");
        let new = get(o, "NewValue");
        let old = get(o, "OldValue");
        if new.is_some() || old.is_some() {
            if let Some(v) = new {
                push_scalar(attrs, format!("{key}.NewValue"), v);
            }
            if let Some(v) = old {
                push_scalar(attrs, format!("{key}.OldValue"), v);
            }
        } else {
            match plain {
                Some(v) => push_scalar(attrs, key, v),
                // `{"Name":"RuleState"}` with no Value: present but empty.
                None => attrs.push(key, ""),
            }
        }
    }
}

fn push_scalar(attrs: &mut Attrs, key: String, value: &Value) {
    match value {
        Value::Null => attrs.push(key, ""),
        Value::String(s) => attrs.push(key, s.as_str()),
        Value::Number(n) => attrs.push(key, n.to_string()),
        Value::Bool(b) => attrs.push(key, if *b { "True" } else { "False" }),
        Value::Array(_) | Value::Object(_) => flatten(attrs, &key, value),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Splits a PowerShell command-line parameter string (`-Name "foo" -Force "True" -Locations
/// ("All")`), as some exports write `Parameters`, into name/value pairs.
pub fn powershell_parameters(s: &str) -> Vec<(String, String)> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '-' {
            i += 1;
            continue;
        }
        let start = i + 1;
        i = start;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        if name.is_empty() {
            continue;
        }
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let value = match chars.get(i) {
            Some('"') => {
                let mut v = String::new();
                i += 1;
                while i < chars.len() {
                    if chars[i] == '"' {
                        if chars.get(i + 1) == Some(&'"') {
                            v.push('"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    v.push(chars[i]);
                    i += 1;
                }
                v
            }
            Some('(') => {
                let mut depth = 0;
                let begin = i;
                while i < chars.len() {
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                let inner: String = chars[begin + 1..i.saturating_sub(1).max(begin + 1)]
                    .iter()
                    .collect();
                inner
                    .split(',')
                    .map(|p| p.trim().trim_matches('"'))
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(";")
            }
            Some('-') | None => String::new(),
            Some(_) => {
                let begin = i;
                while i < chars.len() && chars[i] != ' ' {
                    i += 1;
                }
                chars[begin..i].iter().collect()
            }
        };
        out.push((name, value));
    }
    out
}

/// Splits a list rendered as text — `{a, b, c}` (Format-List), `a, b` or `a; b` (tool CSVs) —
/// outside quotes and brackets, so `"Doe, Jane" [SMTP:jane@x]` stays one item. Returns the items
/// and whether the list was cut short by PowerShell (`{a, b, c, d...}`).
pub fn split_list(raw: &str) -> (Vec<String>, bool) {
    let mut s = raw.trim();
    if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        s = inner.trim();
    }
    let truncated = s.ends_with("...");
    if truncated {
        s = s[..s.len() - 3].trim_end();
    }
    if s.is_empty() {
        return (Vec::new(), truncated);
    }
    let separator = if s.contains(';') && !s.contains(", ") {
        ';'
    } else {
        ','
    };
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut in_quotes, mut depth) = (false, 0i32);
    for c in s.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '[' | '(' if !in_quotes => depth += 1,
            ']' | ')' if !in_quotes => depth -= 1,
            _ => {}
        }
        if c == separator && !in_quotes && depth <= 0 {
            let item = current.trim();
            if !item.is_empty() {
                items.push(item.to_string());
            }
            current.clear();
        } else {
            current.push(c);
        }
    }
    let item = current.trim();
    if !item.is_empty() {
        items.push(item.to_string());
    }
    (items, truncated)
}

/// Email addresses named by a recipient string: `"Name" [SMTP:x@y]`, `smtp:x@y`, a bare
/// `x@y`. Exchange-internal `[EX:/o=...]` recipients give `EX:/o=...` (resolved, where possible,
/// once every input is read).
pub fn recipient_addresses(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']') else {
            break;
        };
        let inside = &rest[open + 1..open + close];
        if let Some((scheme, addr)) = inside.split_once(':') {
            match scheme.to_ascii_uppercase().as_str() {
                "SMTP" => out.push(addr.trim().to_lowercase()),
                "EX" | "X500" => out.push(format!("EX:{}", addr.trim())),
                _ => {}
            }
        }
        rest = &rest[open + close + 1..];
    }
    if out.is_empty() {
        let t = raw.trim().trim_matches('"').trim();
        let t = strip_smtp_prefix(t);
        if t.contains('@') && !t.contains(' ') {
            out.push(t.trim_matches(['<', '>']).to_lowercase());
        }
    }
    out
}

/// `smtp:x@y` / `SMTP:x@y` → `x@y`.
pub fn strip_smtp_prefix(s: &str) -> &str {
    let t = s.trim();
    // `get` rather than indexing: the fifth byte may fall inside a multi-byte character.
    match (t.get(..5), t.get(5..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("smtp:") && !rest.is_empty() => {
            rest
        }
        _ => t,
    }
}

/// An Internet message id in one canonical spelling: trimmed, in one pair of angle brackets.
pub fn normalize_message_id(raw: &str) -> String {
    let t = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    format!("<{t}>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn folds_name_value_bags() {
        let mut attrs = Attrs::default();
        flatten(
            &mut attrs,
            "",
            &json!({
                "Operation": "New-InboxRule",
                "Parameters": [{"Name": "Name", "Value": "."}, {"Name": "MarkAsRead", "Value": "True"}],
                "OperationProperties": [{"Name": "RuleState"}, {"Name": "RuleName", "Value": ""}],
                "ModifiedProperties": [{"Name": "AccountEnabled", "NewValue": "[false]", "OldValue": "[true]"}],
                "Folders": [{"Path": "\\Inbox", "FolderItems": [{"InternetMessageId": "<a@b>"}, {"InternetMessageId": "<c@d>"}]}],
                "RecordType@odata.type": "#Int64",
                "Item": "{\"Subject\":\"hi\"}"
            }),
        );
        assert_eq!(attrs.get("Parameters.Name"), Some("."));
        assert_eq!(attrs.get("parameters.markasread"), Some("True"));
        assert_eq!(attrs.get("OperationProperties.RuleState"), Some(""));
        assert_eq!(
            attrs.get("ModifiedProperties.AccountEnabled.NewValue"),
            Some("[false]")
        );
        assert_eq!(
            attrs
                .get_all("Folders.FolderItems.InternetMessageId")
                .collect::<Vec<_>>(),
            vec!["<a@b>", "<c@d>"]
        );
        assert_eq!(attrs.get("Item.Subject"), Some("hi"));
        assert!(attrs.iter().all(|(k, _)| !k.contains('@')));
    }

    #[test]
    fn powershell_parameter_strings() {
        let p = powershell_parameters(
            "-Name \"foo\" -Description \"\" -HoldNames () -Force \"True\" -ExchangeLocation (\"All\",\"x\") -Bare value",
        );
        assert_eq!(
            p,
            vec![
                ("Name".into(), "foo".into()),
                ("Description".into(), "".into()),
                ("HoldNames".into(), "".into()),
                ("Force".into(), "True".into()),
                ("ExchangeLocation".into(), "All;x".into()),
                ("Bare".into(), "value".into()),
            ]
        );
    }

    #[test]
    fn lists_and_recipients() {
        assert_eq!(
            split_list("{\"Doe, Jane\" [SMTP:jane@fabrikam.example], b}"),
            (
                vec![
                    "\"Doe, Jane\" [SMTP:jane@fabrikam.example]".to_string(),
                    "b".to_string()
                ],
                false
            )
        );
        assert!(split_list("{a, b, c, d...}").1);
        assert_eq!(split_list("invoice;payment").0, vec!["invoice", "payment"]);
        assert_eq!(
            recipient_addresses("\"Hacker\" [SMTP:Hacker@Gmail.com]"),
            vec!["hacker@gmail.com"]
        );
        assert_eq!(
            recipient_addresses("smtp:x@fabrikam.example"),
            vec!["x@fabrikam.example"]
        );
        assert_eq!(
            recipient_addresses("\"Alex\" [EX:/o=ExchangeLabs/cn=Recipients/cn=abc-alex]"),
            vec!["EX:/o=ExchangeLabs/cn=Recipients/cn=abc-alex"]
        );
        assert_eq!(normalize_message_id(" abc@x "), "<abc@x>");
        assert_eq!(strip_smtp_prefix("ab€cd@x"), "ab€cd@x");
        assert_eq!(strip_smtp_prefix("SMTP:a@x"), "a@x");
        assert_eq!(normalize_message_id("<abc@x>"), "<abc@x>");
    }
}

/// Name/Value bag fields: read whole (they are small) so their elements can be folded.
const BAG_FIELDS: &[&str] = &[
    "Parameters",
    "ExtendedProperties",
    "OperationProperties",
    "DeviceProperties",
    "ModifiedProperties",
    "modifiedProperties",
    "AdditionalDetails",
    "additionalDetails",
];

/// Flattens a JSON object held in text straight into `attrs`, as [`flatten_object`] would after
/// parsing it, but without building the JSON tree (the audit CSV hot path). The result is sorted
/// by key, like [`flatten_object`]'s.
pub fn flatten_json_text(attrs: &mut Attrs, text: &str) -> Result<(), serde_json::Error> {
    use serde::de::{DeserializeSeed, Error as _};
    if !text.trim_start().starts_with('{') {
        return Err(serde_json::Error::custom("AuditData is not a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let mut path = String::new();
    Node {
        attrs,
        path: &mut path,
        json_text: false,
    }
    .deserialize(&mut de)?;
    de.end()?;
    attrs.sort_by_key();
    Ok(())
}

struct Node<'a> {
    attrs: &'a mut Attrs,
    path: &'a mut String,
    /// The field may hold JSON as text.
    json_text: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Node<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Appends a map key to the path buffer.
struct Key<'a>(&'a mut String);

impl<'de> serde::de::DeserializeSeed<'de> for Key<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Key<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push_str(v);
        Ok(())
    }
}

impl<'de> serde::de::Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.attrs
            .push(&*self.path, if v { "True" } else { "False" });
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.attrs.push(&*self.path, v.to_string());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.attrs.push(&*self.path, v.to_string());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        let text = serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string());
        self.attrs.push(&*self.path, text);
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if self.json_text {
            let last = self.path.rsplit('.').next().unwrap_or("");
            if let Some(parsed) = embedded_json(v) {
                let path = self.path.clone();
                flatten(self.attrs, &path, &parsed);
                return Ok(());
            }
            if last.eq_ignore_ascii_case("Parameters") && v.trim_start().starts_with('-') {
                for (name, value) in powershell_parameters(v) {
                    self.attrs.push(join(self.path, &name), value);
                }
                return Ok(());
            }
        }
        self.attrs.push(&*self.path, v);
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Node {
                attrs: self.attrs,
                path: self.path,
                json_text: false,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let base = self.path.len();
        loop {
            if base > 0 {
                self.path.push('.');
            }
            if map.next_key_seed(Key(self.path))?.is_none() {
                self.path.truncate(base);
                break;
            }
            let key = &self.path[if base > 0 { base + 1 } else { 0 }..];
            if key.contains('@') {
                map.next_value::<serde::de::IgnoredAny>()?;
            } else if BAG_FIELDS.contains(&key) {
                let value: Value = map.next_value()?;
                let path = self.path.clone();
                match &value {
                    Value::String(s) => {
                        // A bag written as JSON text, or as a PowerShell parameter string.
                        Node {
                            attrs: self.attrs,
                            path: &mut path.clone(),
                            json_text: true,
                        }
                        .visit_str::<A::Error>(s)?;
                    }
                    other => flatten(self.attrs, &path, other),
                }
            } else {
                let json_text = is_json_text_field(key);
                map.next_value_seed(Node {
                    attrs: self.attrs,
                    path: self.path,
                    json_text,
                })?;
            }
            self.path.truncate(base);
        }
        Ok(())
    }
}

#[cfg(test)]
mod streaming_tests {
    use super::*;

    fn both(text: &str) -> (Attrs, Attrs) {
        let mut streamed = Attrs::default();
        flatten_json_text(&mut streamed, text).unwrap();
        let mut tree = Attrs::default();
        match serde_json::from_str::<Value>(text).unwrap() {
            Value::Object(o) => flatten_object(&mut tree, "", &o),
            _ => unreachable!(),
        }
        tree.sort_by_key();
        (streamed, tree)
    }

    #[test]
    fn streaming_flatten_equals_the_tree_flatten() {
        for text in [
            r#"{"CreationTime":"2025-03-04T10:15:30","Id":"x","RecordType":1,"ExternalAccess":false,"Ratio":1.5,
                "Parameters":[{"Name":"Name","Value":"."},{"Name":"MarkAsRead","Value":"True"}],
                "OperationProperties":[{"Name":"RuleState"}],"AppAccessContext":{"UniqueTokenId":"t","@odata.type":"x"},
                "Folders":[{"Path":"\\Inbox","FolderItems":[{"InternetMessageId":"<a@b>"},{"InternetMessageId":"<c@d>"}]}],
                "Item":"{\"Subject\":\"hi\"}","Actor":[{"ID":"a@b","Type":5},{"ID":"guid","Type":0}],"Nothing":null,
                "ModifiedProperties":[{"Name":"X","NewValue":"1","OldValue":"0"}]}"#,
            r#"{"Parameters":"-Name \"foo\" -Force \"True\"","ExtendedProperties":"[{\"Name\":\"UserAgent\",\"Value\":\"ua\"}]"}"#,
            r#"{}"#,
        ] {
            let (streamed, tree) = both(text);
            assert_eq!(streamed, tree, "{text}");
        }
        let mut attrs = Attrs::default();
        assert!(flatten_json_text(&mut attrs, "[1,2]").is_err());
        assert!(flatten_json_text(&mut attrs, "{\"a\":").is_err());
        assert!(flatten_json_text(&mut attrs, "{\"a\":1} trailing").is_err());
    }
}
