//! `signin.impossible-travel`: two consecutive successful sign-ins of one account too far apart
//! for the time between them.

use chrono::Duration;
use serde_json::Value;

use super::account::{Success, Walk};
use super::geo::{km, place, point};
use crate::analyzers::{evidence, finding_for};
use crate::event::Location;
use crate::finding::{Indicators, Severity};
use crate::ingest::time::format_utc;

impl Walk<'_, '_> {
    pub(super) fn travel(&mut self, s: &Success<'_>) {
        let (Some((prev, prev_infra, prev_new)), Some(here)) =
            (self.last_success, s.loc.and_then(point))
        else {
            return;
        };
        let scope = self.scope;
        let (a, options) = (s.auth, scope.options);
        let prev_event = &scope.events[prev.event];
        let Some(there) = prev_event.location.as_deref().and_then(point) else {
            return;
        };
        let distance = km(there.0, here.0);
        let effective = (distance - there.1 - here.1).max(0.0);
        let hours = ((a.time - prev.time).num_seconds().max(1) as f64) / 3600.0;
        let speed = effective / hours;
        let nowhere = Location::default();
        let places = (
            place(prev_event.location.as_deref().unwrap_or(&nowhere)),
            place(s.loc.unwrap_or(&nowhere)),
        );
        let key = if places.0 <= places.1 {
            places.clone()
        } else {
            (places.1.clone(), places.0.clone())
        };
        // Travel needs two places where the account was. A VPN egress, the office NAT or a
        // Microsoft address says nothing of where the user is: with one at either end, the pair
        // counts only when the other end is a new country for the account, or a tool. Between two
        // places, it counts when one of them is foreign to the account: not used on another day
        // (a traveller's hotel and a phone's carrier network are the user's own), or a tool.
        let habitual = |ip: Option<std::net::IpAddr>| {
            ip.is_some_and(|ip| scope.known.is_habitual(self.user, ip))
        };
        let tool = |infra: bool, ua: &str| !infra && crate::infra::auth::is_tool_agent(ua);
        let counts = match (prev_infra, s.infra) {
            (true, true) => false,
            (true, false) => s.anomalous && !habitual(a.ip),
            (false, true) => prev_new && !habitual(prev.ip),
            (false, false) => {
                !habitual(prev.ip)
                    || !habitual(a.ip)
                    || tool(false, &prev.user_agent)
                    || tool(false, &a.user_agent)
            }
        };
        let exempt = !counts;
        if !s.judge
            || exempt
            || effective < options.travel_min_km
            || speed < options.travel_kmh
            || !self.travel_pairs.insert(key)
        {
            return;
        }
        let mut f = finding_for(
            s.event,
            scope.inputs,
            "signin.impossible-travel",
            Severity::High,
            format!(
                "{} signed in from {} ({}) at {} and from {} ({}) at {}: {:.0} km in {:.1} h ({:.0} km/h)",
                self.user,
                places.0,
                prev.ip.map(|i| i.to_string()).unwrap_or_default(),
                format_utc(prev.time),
                places.1,
                a.ip.map(|i| i.to_string()).unwrap_or_default(),
                format_utc(a.time),
                distance,
                hours,
                distance / hours
            ),
        );
        f.fields.insert("from".into(), Value::String(places.0));
        f.fields.insert("to".into(), Value::String(places.1));
        f.fields
            .insert("distance_km".into(), Value::from(distance.round()));
        f.fields.insert(
            "gap_minutes".into(),
            Value::from((a.time - prev.time).num_minutes()),
        );
        f.fields
            .insert("speed_kmh".into(), Value::from((distance / hours).round()));
        let ev = evidence(prev_event, scope.inputs);
        if !f.evidence.contains(&ev) {
            f.evidence.insert(0, ev);
        }
        // The attacker is the side outside the account's known countries; when that cannot be
        // told, both sides are indicators.
        let known = |l: Option<&Location>| {
            l.and_then(|l| l.country.as_deref()).is_some_and(|c| {
                self.country_since
                    .get(c)
                    .is_some_and(|first| a.time - *first >= Duration::hours(24))
            })
        };
        let (prev_known, here_known) = (known(prev_event.location.as_deref()), known(s.loc));
        if here_known && !prev_known {
            f.indicators = Indicators::of(prev_event);
        } else if !prev_known || here_known {
            f.indicators.merge(&Indicators::of(prev_event));
        }
        self.findings.push(f);
    }
}
