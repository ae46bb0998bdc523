//! Tenant infrastructure: addresses that are the organisation's or Microsoft's, never an
//! attacker indicator by themselves (docs/rules.md, "Tenant infrastructure").
//!
//! Three sources: the addresses given with `--allow-ip` or the configuration file; Microsoft's
//! published service ranges ([`microsoft`]); and shared egress learnt from the evidence, an
//! address (or a network of several addresses, /24 or /48) that many of the tenant's accounts
//! sign in from successfully on several days: the office NAT, the corporate VPN, a proxy. The
//! learning refuses what an attacker's address looks like: successes right after the address's
//! own failure burst do not count, an address first seen in a failure burst is never
//! infrastructure, nor one whose successes are mostly scripts and attack tools.

pub mod auth;
pub mod known;
pub mod microsoft;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ipnet::IpNet;
use serde::Serialize;

use crate::event::Event;
use auth::Attempt;

/// Thresholds of the learning (configuration `[infrastructure]`).
#[derive(Debug, Clone)]
pub struct InfraOptions {
    /// At least this many distinct accounts signing in successfully...
    pub min_accounts: usize,
    /// ...and at least this share of the tenant's active accounts...
    pub min_share: f64,
    /// ...on at least this many distinct days.
    pub min_days: usize,
    /// A network counts only when its successes come from this many addresses.
    pub network_min_addresses: usize,
    /// Successes within this long after the address's own failure burst do not count.
    pub burst_quarantine: Duration,
    /// A failure burst: this many distinct accounts failing within `burst_window`...
    pub burst_accounts: usize,
    pub burst_window: Duration,
    /// ...with at least this share of the address's attempts in that window failing.
    pub burst_failure_ratio: f64,
    /// Addresses whose successes are more than this share tool user agents are not learnt.
    pub max_tool_share: f64,
}

impl Default for InfraOptions {
    fn default() -> Self {
        InfraOptions {
            min_accounts: 5,
            min_share: 0.02,
            min_days: 3,
            network_min_addresses: 3,
            burst_quarantine: Duration::hours(24),
            burst_accounts: 5,
            burst_window: Duration::minutes(30),
            burst_failure_ratio: 0.5,
            max_tool_share: 0.2,
        }
    }
}

/// Why an address is infrastructure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InfraKind {
    /// Given with `--allow-ip` or in the configuration.
    Allowed,
    /// One of Microsoft's published service ranges, or an Exchange Online proxy.
    Microsoft,
    /// Learnt: many accounts sign in from this address.
    SharedAddress,
    /// Learnt: many accounts sign in from several addresses of this network.
    SharedNetwork,
}

/// How the tenant's accounts used a learnt address or network.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Usage {
    /// `198.51.100.10` or `198.51.100.0/24`.
    pub address: String,
    pub kind: InfraKind,
    /// Distinct accounts that signed in successfully from it.
    pub accounts: usize,
    /// Distinct days with such successes.
    pub days: usize,
}

/// The tenant's infrastructure, learnt once per analysis.
#[derive(Debug, Clone, Default)]
pub struct Infrastructure {
    allowed: Vec<IpNet>,
    addresses: BTreeMap<IpAddr, Usage>,
    networks: BTreeMap<IpNet, Usage>,
}

impl Infrastructure {
    /// Learns shared egress from every authentication in the evidence (interactive,
    /// non-interactive, service principal and UAL logons alike).
    pub fn learn(events: &[Event], allowed: &[IpNet], options: &InfraOptions) -> Infrastructure {
        let attempts = auth::attempts(events);
        let active: BTreeSet<&str> = attempts
            .iter()
            .filter(|a| a.success)
            .map(|a| a.user)
            .collect();
        let needed = options
            .min_accounts
            .max((active.len() as f64 * options.min_share).ceil() as usize);
        let mut by_ip: BTreeMap<IpAddr, Vec<&Attempt>> = BTreeMap::new();
        for a in &attempts {
            if let Some(ip) = a.ip {
                by_ip.entry(ip).or_default().push(a);
            }
        }
        let mut addresses = BTreeMap::new();
        let mut by_net: BTreeMap<IpNet, Vec<&Attempt>> = BTreeMap::new();
        for (ip, list) in &by_ip {
            if let Some(usage) = usage(list, options)
                .filter(|(accounts, days)| *accounts >= needed && *days >= options.min_days)
            {
                addresses.insert(
                    *ip,
                    Usage {
                        address: ip.to_string(),
                        kind: InfraKind::SharedAddress,
                        accounts: usage.0,
                        days: usage.1,
                    },
                );
            }
            by_net
                .entry(network(*ip))
                .or_default()
                .extend(list.iter().copied());
        }
        let mut networks = BTreeMap::new();
        for (net, mut list) in by_net {
            let ips: BTreeSet<IpAddr> = list
                .iter()
                .filter(|a| a.success)
                .filter_map(|a| a.ip)
                .collect();
            if ips.len() < options.network_min_addresses {
                continue;
            }
            list.sort_by_key(|a| (a.time, a.order));
            if let Some((accounts, days)) = usage(&list, options)
                .filter(|(accounts, days)| *accounts >= needed && *days >= options.min_days)
            {
                networks.insert(
                    net,
                    Usage {
                        address: net.to_string(),
                        kind: InfraKind::SharedNetwork,
                        accounts,
                        days,
                    },
                );
            }
        }
        Infrastructure {
            allowed: allowed.to_vec(),
            addresses,
            networks,
        }
    }

    /// Why `ip` is infrastructure, if it is. `client_info` lets an Exchange Online proxy be
    /// told from an Azure customer's address in the same block.
    pub fn kind_with_client(&self, ip: IpAddr, client_info: Option<&str>) -> Option<InfraKind> {
        if self.allowed.iter().any(|n| n.contains(&ip)) {
            Some(InfraKind::Allowed)
        } else if microsoft::is_microsoft(ip)
            || microsoft::is_exchange_service_proxy(ip, client_info)
        {
            Some(InfraKind::Microsoft)
        } else if self.addresses.contains_key(&ip) {
            Some(InfraKind::SharedAddress)
        } else if self.networks.contains_key(&network(ip)) {
            Some(InfraKind::SharedNetwork)
        } else {
            None
        }
    }

    pub fn kind(&self, ip: IpAddr) -> Option<InfraKind> {
        self.kind_with_client(ip, None)
    }

    /// Is `ip` the tenant's or Microsoft's?
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.kind(ip).is_some()
    }

    /// Is the address of this event infrastructure (with its client string for proxies)?
    pub fn holds_event(&self, e: &Event) -> bool {
        e.ip.is_some_and(|ip| {
            self.kind_with_client(ip, e.client.client_info.as_deref())
                .is_some()
        })
    }

    /// The learnt shared egress, addresses then networks, for the report.
    pub fn learnt(&self) -> Vec<&Usage> {
        self.addresses
            .values()
            .chain(self.networks.values())
            .collect()
    }
}

/// The network an address is judged with: its /24 or /48.
pub fn network(ip: IpAddr) -> IpNet {
    let prefix = if ip.is_ipv4() { 24 } else { 48 };
    IpNet::new(ip, prefix)
        .map(|n| n.trunc())
        .unwrap_or_else(|_| IpNet::from(ip))
}

/// Distinct accounts and days of an address's (or network's) counted successes, or `None`
/// when it cannot be infrastructure at all. `list` is in time order.
fn usage(list: &[&Attempt], options: &InfraOptions) -> Option<(usize, usize)> {
    let bursts = failure_bursts(list, options);
    let first = list.first()?;
    if bursts
        .iter()
        .any(|(start, end)| first.time >= *start && first.time <= *end)
    {
        return None;
    }
    let quarantined = |t: DateTime<Utc>| {
        bursts
            .iter()
            .any(|(start, end)| t >= *start && t <= *end + options.burst_quarantine)
    };
    let successes: Vec<&&Attempt> = list.iter().filter(|a| a.success).collect();
    let tools = successes.iter().filter(|a| a.tool_agent).count();
    if successes.is_empty() || tools as f64 > successes.len() as f64 * options.max_tool_share {
        return None;
    }
    let mut accounts: BTreeSet<&str> = BTreeSet::new();
    let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
    for a in successes.iter().filter(|a| !quarantined(a.time)) {
        accounts.insert(a.user);
        days.insert(a.time.date_naive());
    }
    Some((accounts.len(), days.len()))
}

/// The failure bursts of one address: windows where many distinct accounts fail and failures
/// are most of the address's attempts (a spray, not the morning's typos behind a NAT).
fn failure_bursts(
    list: &[&Attempt],
    options: &InfraOptions,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut bursts: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    let mut start = 0;
    for end in 0..list.len() {
        while list[end].time - list[start].time > options.burst_window {
            start += 1;
        }
        if !list[end].credential_failure {
            continue;
        }
        let window = &list[start..=end];
        let failed: BTreeSet<&str> = window
            .iter()
            .filter(|a| a.credential_failure)
            .map(|a| a.user)
            .collect();
        let failures = window.iter().filter(|a| a.credential_failure).count();
        if failed.len() >= options.burst_accounts
            && failures as f64 >= window.len() as f64 * options.burst_failure_ratio
        {
            let (t0, t1) = (list[start].time, list[end].time);
            match bursts.last_mut() {
                Some(last) if t0 <= last.1 => last.1 = t1,
                _ => bursts.push((t0, t1)),
            }
        }
    }
    bursts
}

#[cfg(test)]
mod tests;
