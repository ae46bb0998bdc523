//! Whose event is it? Resolves the identities the exports use — UPNs, aliases, display names,
//! mailbox and object GUIDs, Exchange object paths — to one lower-case UPN per account, using
//! everything else in the evidence (design.md section 8, "Whose finding"). Unresolved
//! identities are kept as given.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::event::{Event, SourceKind};
use crate::ingest::fields::strip_smtp_prefix;

/// The fields of a `Get-Mailbox` record that name its mailbox (besides `EmailAddresses`).
pub const MAILBOX_NAME_KEYS: &[&str] = &[
    "Alias",
    "Name",
    "DisplayName",
    "ExchangeGuid",
    "Guid",
    "ExternalDirectoryObjectId",
    "PrimarySmtpAddress",
    "Identity",
    "SamAccountName",
    "WindowsEmailAddress",
];

/// Known names of accounts, each pointing to a UPN.
#[derive(Debug, Default)]
pub struct Directory {
    names: HashMap<String, String>,
}

/// Exchange admin cmdlets whose `Identity` (or `Mailbox`) parameter names the mailbox acted on.
const MAILBOX_CMDLET_NOUNS: &[&str] = &[
    "inboxrule",
    "mailbox",
    "casmailbox",
    "mailboxpermission",
    "recipientpermission",
    "mailboxmessageconfiguration",
    "mailboxauditbypassassociation",
    "mailboxfolderpermission",
    "mailboxjunkemailconfiguration",
    "mailboxautoreplyconfiguration",
    "mailuser",
    "remotemailbox",
    "user",
];

impl Directory {
    /// Learns names from every event: mailbox dumps (alias, name, GUIDs, addresses), mailbox
    /// audit records (owner UPN and mailbox GUID), sign-ins (UPN and object id), and the UPNs
    /// themselves (their local part is the usual alias).
    pub fn build(events: &[Event]) -> Directory {
        let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut add = |name: &str, upn: &str| {
            let name = normalize(name);
            if !name.is_empty() {
                names.entry(name).or_default().insert(upn.to_string());
            }
        };
        let mut upns: BTreeSet<String> = BTreeSet::new();
        for e in events {
            match e.source {
                SourceKind::Mailbox => {
                    let Some(upn) = e.user.as_deref() else {
                        continue;
                    };
                    upns.insert(upn.to_string());
                    for key in MAILBOX_NAME_KEYS {
                        for v in e.attrs.get_all(key) {
                            add(v, upn);
                        }
                    }
                    for v in e.attrs.get_all("EmailAddresses") {
                        add(strip_prefix_any(v), upn);
                    }
                }
                SourceKind::Ual => {
                    // A rule made without `-Mailbox` is on the actor's own mailbox: the
                    // ObjectId's Exchange alias (`…/stinger_b5cd7fb7af\Rule`) is the actor's.
                    if let Some((alias, actor)) = own_mailbox_rule(e) {
                        add(alias, &actor);
                        upns.insert(actor);
                    }
                    if let (Some(upn), Some(guid)) =
                        (e.attr("MailboxOwnerUPN"), e.attr("MailboxGuid"))
                    {
                        add(guid, &normalize(upn));
                        upns.insert(normalize(upn));
                    }
                    if let Some(actor) = e.actor.as_deref().filter(|a| a.contains('@')) {
                        upns.insert(actor.to_string());
                        // STS logons carry the account's object id as UserKey.
                        if let Some(key) = e.attr("UserKey").filter(|k| looks_like_guid(k)) {
                            add(key, actor);
                        }
                    }
                }
                SourceKind::Signin => {
                    if let Some(upn) = e.user.as_deref().filter(|u| u.contains('@')) {
                        upns.insert(upn.to_string());
                        if let Some(id) = e.attr("userId") {
                            add(id, upn);
                        }
                    }
                }
                _ => {}
            }
        }
        for upn in &upns {
            add(upn, upn);
            if let Some((local, _)) = upn.split_once('@') {
                add(local, upn);
            }
        }
        // A name claimed by two accounts resolves to neither.
        let names = names
            .into_iter()
            .filter(|(_, set)| set.len() == 1)
            .filter_map(|(name, set)| set.into_iter().next().map(|upn| (name, upn)))
            .collect();
        Directory { names }
    }

    /// The UPN behind an identity as an export wrote it, or the identity (lower case) when it is
    /// not known.
    pub fn resolve(&self, raw: &str) -> String {
        let id = mailbox_part(raw);
        let key = normalize(id);
        self.names.get(&key).cloned().unwrap_or(key)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Sets every event's `user` to the account acted upon and resolves `user` and `actor` to UPNs.
pub fn resolve_events(events: &mut [Event], directory: &Directory) {
    for e in events.iter_mut() {
        if e.source == SourceKind::Ual {
            if let Some(target) = mailbox_cmdlet_target(e) {
                e.user = Some(target.into());
            }
        }
        if let Some(user) = e.user.as_deref() {
            e.user = Some(directory.resolve(user).into());
        }
        if let Some(actor) = e.actor.as_deref().filter(|a| !a.contains(' ')) {
            e.actor = Some(directory.resolve(actor).into());
        }
        if e.source == SourceKind::InboxRules {
            // `EX:/o=.../cn=Recipients/cn=<hex>-alex.wilber`: the alias after the last dash.
            e.attrs.map_values(|key, value| {
                let dn = value.strip_prefix("EX:")?;
                if !key.ends_with(".Address") {
                    return None;
                }
                let cn = dn.rsplit("cn=").next()?;
                let alias = cn.rsplit_once('-').map_or(cn, |(_, a)| a);
                let upn = directory.resolve(alias);
                upn.contains('@').then_some(upn)
            });
        }
    }
}

/// The mailbox an Exchange admin cmdlet acted on: its `Mailbox` parameter, else the mailbox part
/// of `Identity` (`megan\rule`, `megan:\Inbox`), else of `ObjectId`.
fn mailbox_cmdlet_target(e: &Event) -> Option<String> {
    let (_, noun) = e.operation.split_once('-')?;
    if !MAILBOX_CMDLET_NOUNS.contains(&noun.to_ascii_lowercase().as_str()) {
        return None;
    }
    let inbox_rule = noun.eq_ignore_ascii_case("InboxRule");
    if inbox_rule {
        if let Some((_, actor)) = own_mailbox_rule(e) {
            return Some(actor);
        }
    }
    let candidate = e
        .attr("Parameters.Mailbox")
        .filter(|m| !m.trim().is_empty())
        .or_else(|| {
            e.attr("Parameters.Identity")
                .filter(|i| !i.trim().is_empty())
                // Set-InboxRule -Identity may name only the rule; without a backslash it says
                // nothing about the mailbox.
                .filter(|i| !inbox_rule || i.contains('\\'))
        })
        .or_else(|| {
            e.object
                .as_deref()
                .filter(|o| !o.trim().is_empty() && (!inbox_rule || o.contains('\\')))
        })?;
    Some(mailbox_part(candidate).to_string())
}

/// An inbox-rule cmdlet that names no mailbox (no `Mailbox` parameter, an `Identity` that is
/// only the rule's name) acts on the caller's own mailbox (OWA, Outlook, the user's own
/// PowerShell; design.md section 8, "Whose finding"): the mailbox part of its ObjectId, and the
/// actor's lower-case UPN. `None` when the cmdlet names a mailbox or the actor is no UPN.
fn own_mailbox_rule(e: &Event) -> Option<(&str, String)> {
    let (_, noun) = e.operation.split_once('-')?;
    if !noun.eq_ignore_ascii_case("InboxRule") {
        return None;
    }
    if e.attr("Parameters.Mailbox")
        .is_some_and(|m| !m.trim().is_empty())
        || e.attr("Parameters.Identity")
            .is_some_and(|i| i.contains('\\'))
    {
        return None;
    }
    let actor = e.actor.as_deref().filter(|a| a.contains('@'))?;
    let alias = e
        .object
        .as_deref()
        .filter(|o| o.contains('\\'))
        .map(mailbox_part)
        .unwrap_or_default();
    Some((alias, normalize(actor)))
}

/// `EURPR01.../contoso.onmicrosoft.com/266c...\.` → `266c...`; `megan:\Inbox` → `megan`;
/// `megan\15394007230974001153` → `megan`.
pub fn mailbox_part(raw: &str) -> &str {
    let s = raw.trim();
    let s = s.split_once(":\\").map_or(s, |(m, _)| m);
    let s = s.split_once('\\').map_or(s, |(m, _)| m);
    let s = s.rsplit('/').next().unwrap_or(s);
    strip_smtp_prefix(s)
}

fn strip_prefix_any(v: &str) -> &str {
    v.split_once(':')
        .map_or(v, |(scheme, rest)| if scheme.len() <= 4 { rest } else { v })
}

fn normalize(s: &str) -> String {
    let t = s.trim();
    // `{guid}` is a GUID in braces; braces inside a name (`DiscoverySearchMailbox{...}`) stay.
    let t = match t.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        Some(inner) => inner,
        None => t,
    };
    t.to_lowercase()
}

pub fn looks_like_guid(s: &str) -> bool {
    let s = s.trim().trim_matches(|c| c == '{' || c == '}');
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Provenance;

    fn event(source: SourceKind, op: &str, user: Option<&str>, attrs: &[(&str, &str)]) -> Event {
        let mut e = Event::new(
            source,
            op,
            Provenance {
                input: 0,
                line: 1,
                record: 1,
            },
        );
        e.user = user.map(Into::into);
        e.actor = user.map(Into::into);
        for (k, v) in attrs {
            e.attrs.push(*k, *v);
        }
        e
    }

    #[test]
    fn resolves_aliases_guids_and_paths() {
        let mut events = vec![
            event(
                SourceKind::Mailbox,
                "MailboxConfig",
                Some("megan.bowen@contoso.com"),
                &[
                    ("Alias", "megan.bowen"),
                    ("ExchangeGuid", "266C83EC-BF20-452D-A6D1-909734C3106F"),
                ],
            ),
            event(
                SourceKind::Ual,
                "Set-Mailbox",
                Some("it.admin@contoso.com"),
                &[(
                    "Parameters.Identity",
                    "266c83ec-bf20-452d-a6d1-909734c3106f",
                )],
            ),
            event(
                SourceKind::Ual,
                "Set-InboxRule",
                Some("megan.bowen@contoso.com"),
                &[("Parameters.Identity", "Accounts")],
            ),
            event(
                SourceKind::InboxRules,
                "InboxRule",
                Some("megan.bowen"),
                &[],
            ),
        ];
        let directory = Directory::build(&events);
        resolve_events(&mut events, &directory);
        assert_eq!(events[1].user.as_deref(), Some("megan.bowen@contoso.com"));
        assert_eq!(events[1].actor.as_deref(), Some("it.admin@contoso.com"));
        assert_eq!(events[2].user.as_deref(), Some("megan.bowen@contoso.com"));
        assert_eq!(events[3].user.as_deref(), Some("megan.bowen@contoso.com"));
        assert_eq!(
            mailbox_part(
                "EURPR01A001.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/266c\\."
            ),
            "266c"
        );
        assert_eq!(mailbox_part("megan:\\Inbox"), "megan");
    }
}
