//! Remediation commands built from hostile and real-shaped evidence (issue 12): names an attacker
//! chose stay inside their PowerShell quotes, and accounts are named so the command can work.

use serde_json::{Value, json};
use uala::analysis::{Analysis, AnalysisOptions, analyze};
use uala::ingest::{IngestOptions, ingest};

/// PowerShell takes each of these as a single quote (its tokenizer's `IsSingleQuote`).
const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// One `New-InboxRule` audit record (AuditData JSON, the shape of the blueteam0ps samples).
fn new_inbox_rule(
    n: usize,
    time: &str,
    user: &str,
    object_id: &str,
    params: &[(&str, &str)],
) -> Value {
    json!({
        "CreationTime": time,
        "Id": format!("00000000-0000-0000-0000-{n:012}"),
        "Operation": "New-InboxRule",
        "OrganizationId": "8d4121ed-0008-406d-bff9-0d5bb312183c",
        "OrganizationName": "contoso.onmicrosoft.com",
        "RecordType": 1,
        "ResultStatus": "True",
        "UserKey": user,
        "UserType": 2,
        "Version": 1,
        "Workload": "Exchange",
        "ClientIP": "104.28.196.199:28491",
        "ObjectId": object_id,
        "UserId": user,
        "AppPoolName": "MSExchangeOWAAppPool",
        "ExternalAccess": false,
        "Parameters": params
            .iter()
            .map(|(k, v)| json!({ "Name": k, "Value": v }))
            .collect::<Vec<_>>(),
    })
}

fn analyse(records: &[Value]) -> Analysis {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ual.jsonl");
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let ingested = ingest(&[path], &IngestOptions::default()).unwrap();
    let catalogue = uala::rules::Catalogue::load(None).unwrap();
    analyze(ingested, &catalogue, &AnalysisOptions::default())
}

/// A PowerShell string expression as the remediation writes them: `'…'` with quote-class
/// characters doubled, or `('…' + [char]0xNNNN + '…')`. Returns its value and the rest of the
/// line, or `None` when `s` does not start with one. Tokenizer-free: an unpaired quote-class
/// character inside the outer quotes ends the string, and the skeleton check below then sees
/// whatever follows it as code.
fn string_expr(s: &str) -> Option<(String, &str)> {
    fn literal(s: &str) -> Option<(String, &str)> {
        let mut chars = s.char_indices();
        let (_, open) = chars.next()?;
        if !SINGLE_QUOTES.contains(&open) {
            return None;
        }
        let mut value = String::new();
        let mut chars = chars.peekable();
        while let Some((i, c)) = chars.next() {
            if SINGLE_QUOTES.contains(&c) {
                match chars.peek() {
                    Some(&(_, next)) if SINGLE_QUOTES.contains(&next) => {
                        value.push(c);
                        chars.next();
                    }
                    _ => return Some((value, &s[i + c.len_utf8()..])),
                }
            } else {
                value.push(c);
            }
        }
        None
    }
    if let Some(mut rest) = s.strip_prefix('(') {
        let mut value = String::new();
        loop {
            if let Some(hex) = rest.strip_prefix("[char]0x") {
                let end = hex.find(|c: char| !c.is_ascii_hexdigit())?;
                value.push(char::from_u32(u32::from_str_radix(&hex[..end], 16).ok()?)?);
                rest = &hex[end..];
            } else {
                let (v, r) = literal(rest)?;
                value.push_str(&v);
                rest = r;
            }
            if let Some(r) = rest.strip_prefix(" + ") {
                rest = r;
            } else {
                return Some((value, rest.strip_prefix(')')?));
            }
        }
    }
    literal(s)
}

/// The command with every string expression replaced by `<S>`, and the strings' values.
fn skeleton(command: &str) -> (String, Vec<String>) {
    let (mut out, mut values) = (String::new(), Vec::new());
    let mut rest = command;
    while let Some(c) = rest.chars().next() {
        if let Some((value, r)) = string_expr(rest) {
            out.push_str("<S>");
            values.push(value);
            rest = r;
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    (out, values)
}

const HOSTILE: &[&str] = &[
    "a'; Remove-Mailbox x; '",
    "b\u{2018}; Remove-Mailbox x; \u{2018}",
    "c\u{2019}; Remove-Mailbox x; \u{2019}",
    "d\u{201A}; Remove-Mailbox x; \u{201A}",
    "e\u{201B}; Remove-Mailbox x; \u{201B}",
    "f'\u{2019}'\u{2018}",
    "g\nRemove-Mailbox x",
    "h\r\nRemove-Mailbox x",
    "i\u{2028}Remove-Mailbox x\u{0}",
    "j $(Remove-Mailbox x) $env:USERNAME",
    "\u{202E}k",
];

#[test]
fn hostile_rule_names_stay_inside_their_quotes() {
    let user = "megan.bowen@contoso.com";
    let records: Vec<Value> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, name)| {
            new_inbox_rule(
                i,
                &format!("2025-03-04T10:{i:02}:00"),
                user,
                &format!("NAMPR10A004.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/megan.bowen\\{name}"),
                &[
                    ("Name", name),
                    ("ForwardTo", "payments.collector@protonmail.example"),
                    ("DeleteMessage", "True"),
                ],
            )
        })
        .collect();
    let analysis = analyse(&records);
    let account = analysis
        .accounts
        .iter()
        .find(|a| a.user == user)
        .expect("the account has findings");
    let step = account
        .remediation
        .iter()
        .find(|s| s.step == "remove-inbox-rules")
        .expect("a remove-inbox-rules step");
    let mut removed = Vec::new();
    for line in step.command.lines() {
        let (shape, values) = skeleton(line);
        assert_eq!(
            shape, "Remove-InboxRule -Mailbox <S> -Identity <S> -Confirm:$false",
            "a name escaped its quotes in {line:?}"
        );
        assert_eq!(values[0], user);
        removed.push(values[1].clone());
    }
    let mut want: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    want.sort();
    removed.sort();
    assert_eq!(removed, want, "one command per rule, with its exact name");
    for step in &account.remediation {
        for line in step.command.lines() {
            let (shape, _) = skeleton(line);
            assert!(
                !shape.contains('\u{2019}') && !shape.contains('\u{0}'),
                "{line:?}"
            );
        }
    }
}

const TENANT_PATH: &str =
    "APCPR02A013.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com";

/// Every command of an account's remediation, one string.
fn commands(analysis: &Analysis, user: &str) -> String {
    let account = analysis
        .accounts
        .iter()
        .find(|a| a.user == user)
        .unwrap_or_else(|| {
            let users: Vec<&str> = analysis.accounts.iter().map(|a| a.user.as_str()).collect();
            panic!("no account {user}: {users:?}")
        });
    assert!(!account.remediation.is_empty(), "{user} has no remediation");
    account
        .remediation
        .iter()
        .map(|s| s.command.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A rule made in OWA (no `Mailbox` parameter) is on the actor's own mailbox: the ObjectId's
/// Exchange alias is the actor's, and the commands name the account by its UPN.
#[test]
fn inbox_rule_without_mailbox_parameter_is_on_the_actors_own_mailbox() {
    let user = "stinger@contoso.onmicrosoft.com";
    let analysis = analyse(&[new_inbox_rule(
        1,
        "2024-10-07T23:46:37",
        user,
        &format!("{TENANT_PATH}/stinger_b5cd7fb7af\\ForwardToHeaven"),
        &[
            ("Name", "ForwardToHeaven"),
            ("ForwardTo", "alpha@localhost.com"),
            ("DeleteMessage", "True"),
            ("StopProcessingRules", "True"),
        ],
    )]);
    let users: Vec<Option<&str>> = analysis
        .findings
        .iter()
        .map(|f| f.user.as_deref())
        .collect();
    assert!(
        !users.is_empty() && users.iter().all(|u| *u == Some(user)),
        "findings are on {users:?}"
    );
    let commands = commands(&analysis, user);
    assert!(
        commands.contains(&format!("Update-MgUser -UserId '{user}'")),
        "{commands}"
    );
    assert!(!commands.contains("stinger_b5cd7fb7af"), "{commands}");
}

/// An admin acting on a mailbox by its Exchange alias: the alias resolves through the evidence
/// (here the account's own OWA rule, whose ObjectId carries the alias).
#[test]
fn exchange_alias_resolves_through_the_evidence() {
    let victim = "adam@contoso.onmicrosoft.com";
    let mut forward = new_inbox_rule(
        2,
        "2024-10-08T09:00:00",
        "it.admin@contoso.onmicrosoft.com",
        &format!("{TENANT_PATH}/adam_b5cd7fb7af"),
        &[
            ("Identity", "adam_b5cd7fb7af"),
            ("ForwardingSmtpAddress", "smtp:adam.private@evil.example"),
            ("DeliverToMailboxAndForward", "False"),
        ],
    );
    forward["Operation"] = json!("Set-Mailbox");
    let analysis = analyse(&[
        new_inbox_rule(
            1,
            "2024-10-07T23:40:00",
            victim,
            &format!("{TENANT_PATH}/adam_b5cd7fb7af\\Newsletters"),
            &[("Name", "Newsletters"), ("MoveToFolder", "Newsletters")],
        ),
        forward,
    ]);
    let forwarding: Vec<Option<&str>> = analysis
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("forwarding."))
        .map(|f| f.user.as_deref())
        .collect();
    assert_eq!(
        forwarding,
        [Some(victim)],
        "the forwarding finding's account"
    );
    let commands = commands(&analysis, victim);
    assert!(
        commands.contains(&format!("Revoke-MgUserSignInSession -UserId '{victim}'")),
        "{commands}"
    );
}

/// Where the evidence gives only an Exchange alias, a Microsoft Graph command cannot take it:
/// the step says how to find the UPN instead of printing a command that fails.
#[test]
fn an_account_known_only_by_its_alias_gets_no_graph_command() {
    let analysis = analyse(&[new_inbox_rule(
        1,
        "2024-10-08T09:00:00",
        "it.admin@contoso.onmicrosoft.com",
        &format!("{TENANT_PATH}/orphan_9f8e7d6c5b\\x"),
        &[
            ("Mailbox", "orphan_9f8e7d6c5b"),
            ("Name", "x"),
            ("ForwardTo", "collector@evil.example"),
            ("DeleteMessage", "True"),
        ],
    )]);
    let commands = commands(&analysis, "orphan_9f8e7d6c5b");
    assert!(
        !commands.contains("-UserId 'orphan_9f8e7d6c5b'"),
        "{commands}"
    );
    assert!(
        commands.contains(
            "The account is known only as the Exchange alias 'orphan_9f8e7d6c5b': find its UPN with Get-Mailbox -Identity 'orphan_9f8e7d6c5b'"
        ),
        "{commands}"
    );
    // Exchange cmdlets take an alias.
    assert!(
        commands.contains("Remove-InboxRule -Mailbox 'orphan_9f8e7d6c5b' -Identity 'x'"),
        "{commands}"
    );
}
