//! `signin.new-country` and `signin.new-ip`: a successful sign-in from somewhere the account
//! had not been, judged against its own history (and, without one, the tenant's).

use serde_json::Value;

use super::account::{Success, Walk};
use super::geo::place;
use crate::analyzers::finding_for;
use crate::event::Location;
use crate::finding::Severity;
use crate::infra::network;

impl Walk<'_, '_> {
    /// A country the account had not signed in from; with no baseline, only one no one in the
    /// tenant uses, at low.
    pub(super) fn new_country(&mut self, s: &Success<'_>) {
        let Some(c) = s.loc.and_then(|l| l.country.as_deref()) else {
            return;
        };
        if !s.judge
            || s.infra
            || self.seen_countries.contains(c)
            || self.reported_countries.contains(c)
        {
            return;
        }
        let severity = if s.baseline {
            Severity::Medium
        } else if !self.scope.view.tenant_country(c) {
            Severity::Low
        } else {
            return;
        };
        self.reported_countries.insert(c.to_string());
        let mut f = finding_for(
            s.event,
            self.scope.inputs,
            "signin.new-country",
            severity,
            format!(
                "{} signed in from {} ({}) for the first time{}",
                self.user,
                place(s.loc.unwrap_or(&Location::default())),
                s.auth.ip.map(|i| i.to_string()).unwrap_or_default(),
                if s.baseline {
                    format!(
                        "; before: {}",
                        self.seen_countries
                            .iter()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    " (no baseline for this account; judged against the tenant)".to_string()
                }
            ),
        );
        f.fields
            .insert("country".into(), Value::String(c.to_string()));
        f.fields.insert("baseline".into(), Value::Bool(s.baseline));
        self.findings.push(f);
    }

    /// An address whose network the account had not used, for an account with a baseline.
    pub(super) fn new_ip(&mut self, s: &Success<'_>) {
        let Some(ip) = s.auth.ip else {
            return;
        };
        if !s.judge
            || !s.baseline
            || s.infra
            || self.seen_ips.contains(&ip)
            || self.seen_nets.contains(&network(ip))
        {
            return;
        }
        let mut f = finding_for(
            s.event,
            self.scope.inputs,
            "signin.new-ip",
            Severity::Low,
            format!(
                "{} signed in from {ip} ({}), an address and network not seen for this account before",
                self.user,
                s.loc
                    .map(place)
                    .unwrap_or_else(|| "location unknown".into())
            ),
        );
        f.fields.insert("ip".into(), Value::String(ip.to_string()));
        self.findings.push(f);
    }
}
