//! Cross-tenant campaigns (design.md section 8): each tenant's attacker indicators, and those
//! seen in more than one tenant. Plain Rust over a few indicators per tenant, in `batch` and
//! `merge` alike.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::tenant::TenantFile;
use crate::analysis::{Analysis, Verdict};

/// Kinds of cross-tenant indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// An attacker IP of a compromised account.
    Ip,
    /// An attacker (tool) user agent of a compromised account.
    UserAgent,
    /// An external address that a forwarding finding sends mail to.
    ForwardTo,
}

impl IndicatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "ip",
            IndicatorKind::UserAgent => "user_agent",
            IndicatorKind::ForwardTo => "forward_to",
        }
    }
}

/// One indicator of one tenant, with the accounts it was seen on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub kind: IndicatorKind,
    pub indicator: String,
    pub users: Vec<String>,
}

/// An indicator seen in more than one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub indicator: String,
    pub kind: IndicatorKind,
    pub tenants: Vec<String>,
    /// The accounts it was seen on, per tenant.
    pub accounts: Vec<CampaignAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignAccount {
    pub tenant: String,
    pub user: String,
}

/// The attacker indicators of one analysed tenant: attacker IPs and user agents of its
/// compromised accounts, and the external addresses its forwarding findings send mail to.
pub fn indicators(analysis: &Analysis) -> Vec<Indicator> {
    let mut map: BTreeMap<(IndicatorKind, String), BTreeSet<String>> = BTreeMap::new();
    for a in analysis
        .accounts
        .iter()
        .filter(|a| a.verdict == Verdict::Compromised)
    {
        for ip in &a.attacker_ips {
            map.entry((IndicatorKind::Ip, ip.to_string()))
                .or_default()
                .insert(a.user.clone());
        }
        for ua in &a.attacker_user_agents {
            map.entry((IndicatorKind::UserAgent, ua.trim().to_string()))
                .or_default()
                .insert(a.user.clone());
        }
    }
    for f in analysis
        .findings
        .iter()
        .filter(|f| f.family() == "forwarding")
    {
        for key in ["forward_to", "destination"] {
            let texts: Vec<&str> = match f.fields.get(key) {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for address in texts.into_iter().flat_map(crate::tenant::addresses_in) {
                if analysis.tenant.is_internal(&address) {
                    continue;
                }
                let users = map.entry((IndicatorKind::ForwardTo, address)).or_default();
                if let Some(u) = &f.user {
                    users.insert(u.clone());
                }
            }
        }
    }
    map.into_iter()
        .map(|((kind, indicator), users)| Indicator {
            kind,
            indicator,
            users: users.into_iter().collect(),
        })
        .collect()
}

/// Indicators seen in more than one tenant: most widespread first, then by kind and value.
pub fn campaigns(tenants: &[TenantFile]) -> Vec<Campaign> {
    let mut map: BTreeMap<(IndicatorKind, &str), BTreeMap<&str, &[String]>> = BTreeMap::new();
    for t in tenants {
        for i in &t.indicators {
            map.entry((i.kind, i.indicator.as_str()))
                .or_default()
                .insert(t.row.tenant.as_str(), &i.users);
        }
    }
    let mut out: Vec<Campaign> = map
        .into_iter()
        .filter(|(_, seen)| seen.len() > 1)
        .map(|((kind, indicator), seen)| Campaign {
            indicator: indicator.to_string(),
            kind,
            tenants: seen.keys().map(|t| t.to_string()).collect(),
            accounts: seen
                .iter()
                .flat_map(|(tenant, users)| {
                    users.iter().map(|u| CampaignAccount {
                        tenant: tenant.to_string(),
                        user: u.clone(),
                    })
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| {
        b.tenants
            .len()
            .cmp(&a.tenants.len())
            .then(a.kind.cmp(&b.kind))
            .then_with(|| a.indicator.cmp(&b.indicator))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::summary::tests::row;
    use crate::batch::tenant::TENANT_SCHEMA;
    use crate::error::ExitStatus;

    #[test]
    fn campaigns_need_two_tenants() {
        let file = |tenant: &str, indicators: Vec<Indicator>| TenantFile {
            schema: TENANT_SCHEMA.into(),
            row: row(tenant, ExitStatus::Clean),
            rules: BTreeMap::new(),
            indicators,
        };
        let ip = |v: &str, u: &str| Indicator {
            kind: IndicatorKind::Ip,
            indicator: v.into(),
            users: vec![u.into()],
        };
        let c = campaigns(&[
            file(
                "a",
                vec![ip("203.0.113.7", "x@a"), ip("198.51.100.1", "y@a")],
            ),
            file("b", vec![ip("203.0.113.7", "z@b")]),
        ]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].indicator, "203.0.113.7");
        assert_eq!(c[0].tenants, vec!["a", "b"]);
        assert_eq!(c[0].accounts.len(), 2);
    }
}
