//! What each account is known from: the addresses and networks it authenticated from
//! successfully, and when. An attacker's address is new for the account when the attack begins;
//! the user's home, office and phone addresses have days of history.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ipnet::IpNet;

use super::{auth, network};
use crate::event::Event;

#[derive(Debug, Clone, Default)]
struct Use {
    first: Option<DateTime<Utc>>,
    days: BTreeSet<NaiveDate>,
}

impl Use {
    fn add(&mut self, t: DateTime<Utc>) {
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.days.insert(t.date_naive());
    }

    /// Established by `t`: first used a day or more before, on two days or more before `t`.
    fn established(&self, t: DateTime<Utc>) -> bool {
        self.first.is_some_and(|f| t - f >= Duration::hours(24))
            && self.days.iter().filter(|d| **d < t.date_naive()).count() >= 1
            && self.days.iter().filter(|d| **d <= t.date_naive()).count() >= 2
    }
}

/// Every account's successful authentications, by address and by network.
#[derive(Debug, Clone, Default)]
pub struct Known {
    addresses: BTreeMap<(String, IpAddr), Use>,
    networks: BTreeMap<(String, IpNet), Use>,
}

impl Known {
    pub fn build(events: &[Event]) -> Known {
        let mut known = Known::default();
        for a in auth::attempts(events).iter().filter(|a| a.success) {
            let Some(ip) = a.ip else { continue };
            known
                .addresses
                .entry((a.user.to_string(), ip))
                .or_default()
                .add(a.time);
            known
                .networks
                .entry((a.user.to_string(), network(ip)))
                .or_default()
                .add(a.time);
        }
        known
    }

    /// Is `ip` an address the account had established by `t` (used on two days, first a day
    /// before)? Only the address itself counts: an attacker's proxy can share a network with
    /// the user's home.
    pub fn is_own(&self, user: &str, ip: IpAddr, t: Option<DateTime<Utc>>) -> bool {
        let Some(u) = self.addresses.get(&(user.to_string(), ip)) else {
            return false;
        };
        // A state dump has no time: the address counts as the account's if it ever was.
        t.is_none_or(|t| u.established(t))
    }

    /// Does the account use `ip` (or its network) habitually: on two days or more anywhere in
    /// the evidence? A traveller's hotel and a phone's carrier network are habitual; an
    /// attacker's address of an afternoon is not.
    pub fn is_habitual(&self, user: &str, ip: IpAddr) -> bool {
        let key = user.to_string();
        self.addresses
            .get(&(key.clone(), ip))
            .is_some_and(|u| u.days.len() >= 2)
            || self
                .networks
                .get(&(key, network(ip)))
                .is_some_and(|u| u.days.len() >= 2)
    }
}
