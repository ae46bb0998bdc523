//! What uala knows about the tenant: its own mail domains (so "external" can be decided) and
//! which actors are the system rather than a person.

use std::collections::{BTreeMap, BTreeSet};

use crate::event::{Event, SourceKind};

/// The tenant's internal mail domains.
#[derive(Debug, Clone, Default)]
pub struct Tenant {
    /// Lower-case domains; sub-domains of these are internal too.
    pub internal_domains: BTreeSet<String>,
}

impl Tenant {
    /// Domains given by the user, plus those inferred from the evidence: the UPN domains of
    /// accounts that hold mailboxes or signed in successfully, the organization's
    /// `*.onmicrosoft.com` name, and the actors of audited changes. Addresses that appear only
    /// as rule or forwarding targets never make a domain internal.
    pub fn infer(events: &[Event], given: &[String]) -> Tenant {
        let mut domains: BTreeSet<String> = given
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        if given.is_empty() {
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for e in events {
                let account = match e.source {
                    SourceKind::Mailbox => e.user.as_deref(),
                    SourceKind::Signin if e.outcome.success == Some(true) => e.user.as_deref(),
                    SourceKind::Ual if e.outcome.success != Some(false) => e.actor.as_deref(),
                    SourceKind::EntraAudit => e.actor.as_deref(),
                    _ => None,
                };
                if let Some(domain) = account.and_then(domain_of) {
                    *counts.entry(domain.to_string()).or_default() += 1;
                }
                if let Some(org) = e.attr("OrganizationName") {
                    let org = org.trim().to_lowercase();
                    if org.ends_with(".onmicrosoft.com") {
                        *counts.entry(org).or_default() += 1;
                    }
                }
            }
            domains.extend(counts.into_keys());
        }
        Tenant {
            internal_domains: domains,
        }
    }

    /// Is this address (or bare domain) inside the tenant? Exchange-internal `EX:` recipients
    /// are internal by construction.
    pub fn is_internal(&self, address: &str) -> bool {
        let a = address.trim().to_lowercase();
        if a.starts_with("ex:") || a.starts_with("/o=") {
            return true;
        }
        let domain = domain_of(&a).unwrap_or(&a);
        self.internal_domains
            .iter()
            .any(|d| domain == d || domain.ends_with(&format!(".{d}")))
    }
}

fn domain_of(account: &str) -> Option<&str> {
    let (_, domain) = account.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('>');
    (domain.contains('.') && !domain.contains(' ')).then_some(domain)
}

/// Actors that are the service itself (design.md section 8): never an attacker.
pub fn is_system_actor(actor: &str) -> bool {
    let a = actor.trim().to_ascii_lowercase();
    a.starts_with("nt authority\\")
        || a.starts_with("nt service\\")
        || a.starts_with("s-1-5-18")
        || a == "app@sharepoint"
        || a.starts_with("microsoft exchange")
        || a.contains("(microsoft.exchange.")
        || a.ends_with(".prod.outlook.com")
        || a.starts_with("servicehost")
        || a == "certificate"
}

/// Email addresses found anywhere in a text (recipient strings, JSON rule actions).
pub fn addresses_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for token in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ';' | ',' | '"' | '\'' | '[' | ']' | '<' | '>' | '(' | ')' | '{' | '}' | '\\'
            )
    }) {
        let t = token.trim_matches(|c: char| !c.is_alphanumeric());
        let t = crate::ingest::fields::strip_smtp_prefix(t);
        if let Some((local, domain)) = t.split_once('@') {
            if !local.is_empty() && domain.contains('.') && !domain.contains('@') {
                out.push(t.to_lowercase());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_and_external() {
        let t = Tenant {
            internal_domains: [
                "contoso.com".to_string(),
                "contoso.onmicrosoft.com".to_string(),
            ]
            .into(),
        };
        assert!(t.is_internal("a@contoso.com"));
        assert!(t.is_internal("a@eu.contoso.com"));
        assert!(t.is_internal("EX:/o=ExchangeLabs/cn=x"));
        assert!(!t.is_internal("a@fabrikam.example"));
        assert!(!t.is_internal("a@notcontoso.com"));
    }

    #[test]
    fn system_actors() {
        assert!(is_system_actor(
            "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)"
        ));
        assert!(is_system_actor("NT SERVICE\\MSExchangeAdminApiNetCore"));
        assert!(!is_system_actor("megan.bowen@contoso.com"));
    }

    #[test]
    fn finds_addresses() {
        assert_eq!(
            addresses_in("\"Hacker\" [SMTP:Hacker@Gmail.com];smtp:x@fabrikam.example"),
            vec!["hacker@gmail.com", "x@fabrikam.example"]
        );
        assert!(addresses_in("no address here").is_empty());
    }
}
