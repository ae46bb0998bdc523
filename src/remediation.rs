//! Remediation checklist per account, from its findings, following Microsoft's "Responding to a
//! compromised email account" guidance. Every step names the findings that call for it and the
//! exact command with the account filled in.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::finding::{Finding, Severity};
use crate::rules::Catalogue;
use crate::window::{Account, Step, Verdict};

/// Every step this module can recommend; catalogue entries name the rule-specific ones.
pub const STEPS: &[&str] = &[
    "reset-password",
    "revoke-sessions",
    "block-sign-in",
    "review-mfa",
    "review-consents",
    "remove-admin-roles",
    "remove-forwarding",
    "remove-inbox-rules",
    "remove-mailbox-permissions",
    "disable-protocols",
    "restore-auditing",
    "restore-signature",
    "unblock-sending",
    "notify-contacts",
];

/// A PowerShell string expression whose value is exactly `s`, safe to paste into a shell.
///
/// PowerShell takes U+2018, U+2019, U+201A and U+201B as single quotes too, so every one of them
/// is doubled, not only `'`: an attacker-chosen rule name cannot close the string. Characters
/// that would end the command line (NUL, line breaks, other controls) or hide what it does
/// (bidirectional and zero-width formatting) are spliced in as `[char]0xNNNN`, giving
/// `('…' + [char]0x000A + '…')`; the expression starts with a string so that `+` concatenates.
fn quote(s: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut literal = String::from("'");
    for c in s.chars() {
        if is_single_quote(c) {
            literal.push(c);
            literal.push(c);
        } else if needs_char_escape(c) {
            literal.push('\'');
            if parts.is_empty() || literal != "''" {
                parts.push(literal);
            }
            literal = String::from("'");
            parts.push(format!("[char]0x{:04X}", u32::from(c)));
        } else {
            literal.push(c);
        }
    }
    literal.push('\'');
    if parts.is_empty() {
        return literal;
    }
    if literal != "''" {
        parts.push(literal);
    }
    format!("({})", parts.join(" + "))
}

/// The characters PowerShell's tokenizer treats as a single quote.
fn is_single_quote(c: char) -> bool {
    matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}')
}

/// Control characters (line breaks, NUL, C1 controls), the Unicode line and paragraph
/// separators, and invisible formatting that could disguise a command.
fn needs_char_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn field_values(f: &Finding, key: &str) -> Vec<String> {
    match f.fields.get(key) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Fills in `remediation` for every account that needs it. Beyond the account-wide steps, a
/// step is called for by the findings whose catalogue entries name it.
pub fn plan(accounts: &mut [Account], findings: &[Finding], catalogue: &Catalogue) {
    for account in accounts.iter_mut() {
        let mine: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.user.as_deref() == Some(account.user.as_str()))
            .collect();
        if account.verdict == Verdict::Clean && !mine.iter().any(|f| f.severity >= Severity::Medium)
        {
            continue;
        }
        let upn = account.user.as_str();
        let q = quote(upn);
        // Microsoft Graph's -UserId (and -SenderAddress) take a UPN, address or object id, not
        // the Exchange alias an unresolved account may be known by (Exchange cmdlets take it).
        let by_upn = |command: &dyn Fn(&str) -> String| -> String {
            if upn.contains('@') || crate::identity::looks_like_guid(upn) {
                command(&q)
            } else {
                format!(
                    "# The account is known only as the Exchange alias {q}: find its UPN with Get-Mailbox -Identity {q} | Format-List UserPrincipalName, then: {}",
                    command("'<UPN>'")
                )
            }
        };
        let ids = |pred: &dyn Fn(&Finding) -> bool| -> Vec<String> {
            mine.iter()
                .filter(|f| pred(f))
                .map(|f| f.id.clone())
                .collect()
        };
        let calls_for = |step: &'static str| {
            move |f: &Finding| {
                catalogue
                    .get(&f.rule)
                    .is_some_and(|r| r.spec.remediation.iter().any(|s| s == step))
            }
        };
        let mut steps = Vec::new();
        let mut push =
            |step: &'static str, title: String, command: String, because: Vec<String>| {
                if !because.is_empty() {
                    steps.push(Step {
                        step,
                        title,
                        command,
                        because,
                    });
                }
            };
        let serious = ids(&|f: &Finding| f.severity >= Severity::High);
        let all_ids: Vec<String> = mine.iter().map(|f| f.id.clone()).collect();
        let basis = if account.verdict == Verdict::Compromised {
            serious.clone()
        } else {
            all_ids.clone()
        };
        push(
            "reset-password",
            "Reset the password (twice, some time apart, if it is synchronized from on-premises Active Directory) and require MFA re-registration".into(),
            by_upn(&|q| format!("Update-MgUser -UserId {q} -PasswordProfile @{{ ForceChangePasswordNextSignIn = $true; Password = '<new password>' }}")),
            basis.clone(),
        );
        push(
            "revoke-sessions",
            "Revoke every session and refresh token so stolen tokens stop working".into(),
            by_upn(&|q| format!("Revoke-MgUserSignInSession -UserId {q}")),
            basis.clone(),
        );
        if account.verdict == Verdict::Compromised {
            push(
                "block-sign-in",
                "Block sign-in until the account is clean (optional while investigating)".into(),
                by_upn(&|q| format!("Update-MgUser -UserId {q} -AccountEnabled:$false")),
                serious.clone(),
            );
        }
        push(
            "review-mfa",
            "Review the registered MFA methods and remove any the user does not recognise".into(),
            by_upn(&|q| format!("Get-MgUserAuthenticationMethod -UserId {q}")),
            ids(&calls_for("review-mfa")),
        );
        push(
            "review-consents",
            "Review the applications the account consented to, and remove the grants of unknown ones".into(),
            by_upn(&|q| format!("Get-MgUserOauth2PermissionGrant -UserId {q}   # then: Remove-MgOauth2PermissionGrant -OAuth2PermissionGrantId <id>")),
            ids(&calls_for("review-consents")),
        );
        push(
            "remove-admin-roles",
            "Remove administrative roles the account was given".into(),
            by_upn(&|q| {
                format!(
                    "Get-MgUserMemberOf -UserId {q}   # then: Remove-MgDirectoryRoleMemberByRef -DirectoryRoleId <role> -DirectoryObjectId <user id>"
                )
            }),
            ids(&calls_for("remove-admin-roles")),
        );
        push(
            "remove-forwarding",
            "Remove mailbox forwarding".into(),
            format!(
                "Set-Mailbox -Identity {q} -ForwardingSmtpAddress $null -ForwardingAddress $null -DeliverToMailboxAndForward $false"
            ),
            ids(&calls_for("remove-forwarding")),
        );
        // One command per malicious rule still in place, by name.
        // Keyed without case: Exchange rule names are case-insensitive.
        let mut rule_names: std::collections::BTreeMap<String, String> = Default::default();
        let rule_findings = ids(&|f: &Finding| {
            let relevant = calls_for("remove-inbox-rules")(f) && f.severity >= Severity::Medium;
            let removed = f.fields.get("rule_state").and_then(Value::as_str) == Some("removed");
            relevant && !removed
        });
        for f in mine.iter().filter(|f| rule_findings.contains(&f.id)) {
            for name in field_values(f, "rule_name") {
                if !name.trim().is_empty() {
                    rule_names.entry(name.to_lowercase()).or_insert(name);
                }
            }
        }
        let commands: Vec<String> = rule_names
            .values()
            .map(|n| {
                format!(
                    "Remove-InboxRule -Mailbox {q} -Identity {} -Confirm:$false",
                    quote(n)
                )
            })
            .collect();
        push(
            "remove-inbox-rules",
            "Remove the malicious inbox rules (hidden rules do not show in Outlook or Get-InboxRule: delete them with MFCMAPI, or with Get-InboxRule -IncludeHidden first)".into(),
            if commands.is_empty() { format!("Get-InboxRule -Mailbox {q} -IncludeHidden | Format-List Name,Identity,Enabled,ForwardTo,RedirectTo,MoveToFolder,DeleteMessage") } else { commands.join("\n") },
            rule_findings,
        );
        push(
            "remove-mailbox-permissions",
            "Remove the access granted to other accounts".into(),
            format!(
                "Get-MailboxPermission -Identity {q} | Where-Object {{ -not $_.IsInherited }}   # then: Remove-MailboxPermission / Remove-RecipientPermission / Remove-MailboxFolderPermission"
            ),
            ids(&calls_for("remove-mailbox-permissions")),
        );
        push(
            "disable-protocols",
            "Switch off the legacy protocols that were enabled, and SMTP AUTH".into(),
            format!(
                "Set-CASMailbox -Identity {q} -PopEnabled $false -ImapEnabled $false -SmtpClientAuthenticationDisabled $true"
            ),
            ids(&calls_for("disable-protocols")),
        );
        push(
            "restore-auditing",
            "Restore mailbox auditing and its retention".into(),
            format!(
                "Set-Mailbox -Identity {q} -AuditEnabled $true -AuditLogAgeLimit 180; Set-MailboxAuditBypassAssociation -Identity {q} -AuditBypassEnabled $false"
            ),
            ids(&calls_for("restore-auditing")),
        );
        push(
            "restore-signature",
            "Check the email signature for planted phone numbers or bank details".into(),
            format!("Get-MailboxMessageConfiguration -Identity {q} | Format-List Signature*"),
            ids(&calls_for("restore-signature")),
        );
        push(
            "unblock-sending",
            "If Microsoft restricted the account from sending, release it once clean".into(),
            by_upn(&|q| {
                format!(
                    "Get-BlockedSenderAddress -SenderAddress {q}   # then: Remove-BlockedSenderAddress -SenderAddress {q}"
                )
            }),
            ids(&calls_for("unblock-sending")),
        );
        let recipients: BTreeSet<String> = mine
            .iter()
            .filter(|f| calls_for("notify-contacts")(f))
            .flat_map(|f| {
                field_values(f, "recipients")
                    .into_iter()
                    .chain(field_values(f, "external_recipients"))
            })
            .collect();
        push(
            "notify-contacts",
            format!(
                "Tell the people who received mail sent in the account's name that it was not genuine{}",
                if recipients.is_empty() {
                    String::new()
                } else {
                    format!(
                        ": {}",
                        recipients.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                }
            ),
            "(no command: contact them by phone at a known number)".into(),
            ids(&calls_for("notify-contacts")),
        );
        account.remediation = steps;
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_every_single_quote_character_and_splices_line_breaks() {
        assert_eq!(quote("o'brien@contoso.com"), "'o''brien@contoso.com'");
        assert_eq!(
            quote("a\u{2019}b\u{201A}"),
            "'a\u{2019}\u{2019}b\u{201A}\u{201A}'"
        );
        assert_eq!(quote("$(x)"), "'$(x)'");
        assert_eq!(quote("a\r\nb"), "('a' + [char]0x000D + [char]0x000A + 'b')");
        assert_eq!(
            quote("\nb\u{0}"),
            "('' + [char]0x000A + 'b' + [char]0x0000)"
        );
        assert_eq!(quote(""), "''");
    }
}
