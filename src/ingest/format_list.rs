//! PowerShell `Format-List` text (input-formats.md §4.3): `Name   : value` lines, values wrapped
//! onto indented continuation lines, multi-line `Description`, objects separated by blank lines.

use serde_json::{Map, Value};

/// One object of a Format-List dump with the 1-based line of its first property.
#[derive(Debug)]
pub struct ListObject {
    pub properties: Map<String, Value>,
    pub line: u64,
}

/// A `Name : value` line: a name at column 0 made of word characters, padding, a colon.
fn property(line: &str) -> Option<(&str, &str)> {
    let first = line.chars().next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let name_end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
    let rest = &line[name_end..];
    let after_pad = rest.trim_start_matches(' ');
    let value = after_pad.strip_prefix(':')?;
    Some((&line[..name_end], value.strip_prefix(' ').unwrap_or(value)))
}

/// Does this text look like Format-List output: at least five property lines among the first
/// 40 non-blank lines?
pub fn looks_like_format_list(text: &str) -> bool {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .take(40)
        .filter(|l| {
            property(l).is_some_and(|(name, _)| name.len() > 1) && l.contains(" : ")
                || l.ends_with(" :")
        })
        .count()
        >= 5
}

/// Parses every object. A property name that repeats within the current object starts the next
/// object, so blank lines inside multi-line values do not split a record.
pub fn parse(text: &str) -> Vec<ListObject> {
    let mut objects = Vec::new();
    let mut current: Option<ListObject> = None;
    let mut last_key: Option<String> = None;
    for (index, raw_line) in text.lines().enumerate() {
        let line = raw_line.trim_end_matches('\r');
        let line_no = index as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        if let Some((name, value)) = property(line) {
            let repeats = current
                .as_ref()
                .is_some_and(|o| o.properties.contains_key(name));
            if repeats || current.is_none() {
                objects.extend(current.take());
                current = Some(ListObject {
                    properties: Map::new(),
                    line: line_no,
                });
            }
            if let Some(object) = current.as_mut() {
                object.properties.insert(
                    name.to_string(),
                    Value::String(value.trim_end().to_string()),
                );
            }
            last_key = Some(name.to_string());
        } else if let (Some(object), Some(key)) = (current.as_mut(), last_key.as_ref()) {
            // A continuation of the previous value: wrapped text, or the next line of a
            // multi-line Description.
            // Format-List wraps long values at word boundaries, so a wrapped piece is joined
            // with a space; Description keeps its own line breaks.
            if let Some(Value::String(v)) = object.properties.get_mut(key) {
                let piece = line.trim();
                if key.eq_ignore_ascii_case("Description") {
                    if !v.is_empty() {
                        v.push('\n');
                    }
                } else if !(v.is_empty() || v.ends_with('{')) {
                    v.push(' ');
                }
                v.push_str(piece);
            }
        }
    }
    objects.extend(current);
    objects
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "\r\n\
Description                           : If the message:\r\n\
                                            the message includes specific words in the subject or body 'invoice' or 'payment'\r\n\
                                        Take the following actions:\r\n\
                                            move the message to folder 'RSS Feeds'\r\n\
\r\n\
Enabled                               : True\r\n\
Identity                              : megan.b\\15394007230974001153\r\n\
Name                                  : .\r\n\
SubjectOrBodyContainsWords            : {invoice, payment, wire transfer, bank\r\n\
                                        details}\r\n\
ForwardTo                             :\r\n\
MoveToFolder                          : megan.b:\\RSS Feeds\r\n\
\r\n\
\r\n\
Description                           : \r\n\
Enabled                               : True\r\n\
Name                                  : Junk E-mail Rule\r\n\
Priority                              : 0\r\n";

    #[test]
    fn parses_objects_wrapping_and_descriptions() {
        assert!(looks_like_format_list(DUMP));
        let objects = parse(DUMP);
        assert_eq!(objects.len(), 2);
        let first = &objects[0].properties;
        assert_eq!(objects[0].line, 2);
        assert_eq!(first["Name"], ".");
        assert_eq!(first["MoveToFolder"], "megan.b:\\RSS Feeds");
        assert_eq!(first["ForwardTo"], "");
        assert_eq!(
            first["SubjectOrBodyContainsWords"],
            "{invoice, payment, wire transfer, bank details}"
        );
        assert!(
            first["Description"]
                .as_str()
                .unwrap()
                .contains("\nTake the following actions:")
        );
        assert_eq!(objects[1].properties["Name"], "Junk E-mail Rule");
        assert_eq!(objects[1].line, 16);
    }

    #[test]
    fn plain_text_is_not_format_list() {
        assert!(!looks_like_format_list(
            "hello world\nthis is: not a list\n"
        ));
    }
}
