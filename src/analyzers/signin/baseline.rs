//! The tenant's view of sign-ins: the countries its people sign in from (home ground for an
//! account without history of its own), and how often sign-ins fail tenant-wide (what a
//! spray's failures are measured against).

use std::collections::{BTreeMap, BTreeSet};

use super::{Auth, is_credential_failure};
use crate::event::Event;

pub(super) struct TenantView<'a> {
    country_accounts: BTreeMap<String, BTreeSet<&'a str>>,
    failures: usize,
    attempts: usize,
}

impl<'a> TenantView<'a> {
    pub(super) fn build(events: &[Event], auths: &'a [Auth]) -> Self {
        let mut country_accounts: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for a in auths.iter().filter(|a| a.success) {
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
            country_accounts,
            failures: auths.iter().filter(|a| is_credential_failure(a)).count(),
            attempts: auths.len(),
        }
    }

    /// Credential failures among the tenant's attempts, leaving out `failures` of `attempts`
    /// (a source's own, so a spray is measured against everyone else); 0 when the rest is too
    /// small to be a baseline (an export of the spray alone).
    pub(super) fn failure_ratio_without(&self, failures: usize, attempts: usize) -> f64 {
        const MIN_BASELINE: usize = 20;
        let rest = self.attempts.saturating_sub(attempts);
        if rest < MIN_BASELINE {
            return 0.0;
        }
        self.failures.saturating_sub(failures) as f64 / rest as f64
    }

    /// Do several of the tenant's accounts sign in from country `c`?
    pub(super) fn tenant_country(&self, c: &str) -> bool {
        self.country_accounts.get(c).is_some_and(|u| u.len() >= 3)
    }
}
