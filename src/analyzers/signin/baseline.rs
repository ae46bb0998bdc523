//! The tenant's view of sign-ins: which accounts use each address, and which countries the
//! tenant's people sign in from. An address many colleagues sign in from is office egress; a
//! country several accounts use is home ground.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::{Auth, SigninOptions};
use crate::event::Event;

pub(super) struct TenantView<'a> {
    /// When each address was first used successfully by each account.
    ip_accounts: BTreeMap<IpAddr, BTreeMap<&'a str, DateTime<Utc>>>,
    country_accounts: BTreeMap<String, BTreeSet<&'a str>>,
    shared_ip_accounts: usize,
}

impl<'a> TenantView<'a> {
    pub(super) fn build(events: &[Event], auths: &'a [Auth], options: &SigninOptions) -> Self {
        let mut ip_accounts: BTreeMap<IpAddr, BTreeMap<&str, DateTime<Utc>>> = BTreeMap::new();
        let mut country_accounts: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for a in auths.iter().filter(|a| a.success) {
            if let Some(ip) = a.ip {
                ip_accounts
                    .entry(ip)
                    .or_default()
                    .entry(a.user.as_str())
                    .or_insert(a.time);
            }
            if let Some(c) = events[a.event]
                .location
                .as_deref()
                .and_then(|l| l.country.as_deref())
            {
                country_accounts
                    .entry(c.to_string())
                    .or_default()
                    .insert(a.user.as_str());
            }
        }
        TenantView {
            ip_accounts,
            country_accounts,
            shared_ip_accounts: options.shared_ip_accounts,
        }
    }

    /// Had enough other accounts signed in from `ip` by `t` for it to be shared egress?
    pub(super) fn shared_before(&self, ip: IpAddr, user: &str, t: DateTime<Utc>) -> bool {
        self.ip_accounts.get(&ip).is_some_and(|users| {
            users
                .iter()
                .filter(|(u, first)| **u != user && **first <= t)
                .count()
                >= self.shared_ip_accounts
        })
    }

    /// Do several of the tenant's accounts sign in from country `c`?
    pub(super) fn tenant_country(&self, c: &str) -> bool {
        self.country_accounts.get(c).is_some_and(|u| u.len() >= 3)
    }
}
