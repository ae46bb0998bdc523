//! Microsoft's published service address ranges (data/microsoft_ranges.tsv, with its sources
//! and refresh script in docs/microsoft-ranges.md): Microsoft 365 endpoints and the Entra ID and
//! Exchange Online Protection service tags. Azure compute is deliberately not in the list:
//! attackers rent it.

use std::net::IpAddr;
use std::sync::OnceLock;

use ipnet::IpNet;

/// Address ranges as sorted, merged intervals per family, for binary search.
#[derive(Debug, Default)]
pub struct Ranges {
    v4: Vec<(u128, u128)>,
    v6: Vec<(u128, u128)>,
}

impl Ranges {
    pub fn from_nets(nets: impl IntoIterator<Item = IpNet>) -> Ranges {
        let mut ranges = Ranges::default();
        for net in nets {
            let (lo, hi, list) = match net {
                IpNet::V4(n) => (
                    u128::from(u32::from(n.network())),
                    u128::from(u32::from(n.broadcast())),
                    &mut ranges.v4,
                ),
                IpNet::V6(n) => (
                    u128::from(n.network()),
                    u128::from(n.broadcast()),
                    &mut ranges.v6,
                ),
            };
            list.push((lo, hi));
        }
        for list in [&mut ranges.v4, &mut ranges.v6] {
            list.sort_unstable();
            let mut merged: Vec<(u128, u128)> = Vec::with_capacity(list.len());
            for &(lo, hi) in list.iter() {
                match merged.last_mut() {
                    Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                    _ => merged.push((lo, hi)),
                }
            }
            *list = merged;
        }
        ranges
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (list, n) = match ip {
            IpAddr::V4(v4) => (&self.v4, u128::from(u32::from(v4))),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => (&self.v4, u128::from(u32::from(v4))),
                None => (&self.v6, u128::from(v6)),
            },
        };
        let i = list.partition_point(|&(lo, _)| lo <= n);
        i > 0 && n <= list[i - 1].1
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }
}

/// The shipped ranges, parsed once.
pub fn ranges() -> &'static Ranges {
    static RANGES: OnceLock<Ranges> = OnceLock::new();
    RANGES.get_or_init(|| {
        Ranges::from_nets(
            include_str!("../../data/microsoft_ranges.tsv")
                .lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .filter_map(|l| l.split('\t').next()?.trim().parse::<IpNet>().ok()),
        )
    })
}

/// Is this one of Microsoft's published service addresses?
pub fn is_microsoft(ip: IpAddr) -> bool {
    ranges().contains(ip)
}

/// Exchange Online's own back-end servers proxy Outlook mobile and REST clients; their IPv6
/// addresses (2603:10xx::) are in no current published list. A mailbox record from such an
/// address whose client string names the service is Microsoft's, not the user's device.
pub fn is_exchange_service_proxy(ip: IpAddr, client_info: Option<&str>) -> bool {
    let IpAddr::V6(v6) = ip else {
        return false;
    };
    let [a, b, ..] = v6.segments();
    let in_block = (a == 0x2603 && (b & 0xff00) == 0x1000) || (a == 0x2a01 && b == 0x0111);
    let service = client_info.is_some_and(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("client=outlookservice")
            || c.contains("client=restsystem")
            || c.contains("client=rest;")
            || c.contains("outlook-ios")
            || c.contains("outlook-android")
    });
    in_block && service
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn shipped_ranges_hold_exchange_and_entra_but_not_azure_compute() {
        assert!(!ranges().is_empty());
        assert!(
            is_microsoft(ip("40.97.1.2")),
            "Exchange Online 40.96.0.0/13"
        );
        assert!(
            is_microsoft(ip("52.97.5.6")),
            "Exchange Online 52.96.0.0/14"
        );
        assert!(is_microsoft(ip("2603:1036::1")), "Exchange Online IPv6");
        // Azure compute (customer VMs) is not Microsoft's service.
        assert!(!is_microsoft(ip("20.42.0.1")));
        assert!(!is_microsoft(ip("203.0.113.7")));
        assert!(!is_microsoft(ip("::ffff:203.0.113.7")));
    }

    #[test]
    fn merged_intervals_answer_at_their_edges() {
        let r = Ranges::from_nets(
            ["10.0.0.0/24", "10.0.1.0/24", "192.0.2.8/29"].map(|n| n.parse().unwrap()),
        );
        assert!(r.contains(ip("10.0.0.0")) && r.contains(ip("10.0.1.255")));
        assert!(!r.contains(ip("10.0.2.0")) && !r.contains(ip("9.255.255.255")));
        assert!(r.contains(ip("192.0.2.15")) && !r.contains(ip("192.0.2.16")));
    }

    #[test]
    fn the_exchange_proxy_needs_both_block_and_client() {
        let proxy = ip("2603:10b6:510:13c::19");
        assert!(is_exchange_service_proxy(
            proxy,
            Some("Client=OutlookService;Outlook-iOS/2.0;")
        ));
        assert!(!is_exchange_service_proxy(
            proxy,
            Some("Client=OWA;Action=ViaProxy")
        ));
        assert!(!is_exchange_service_proxy(
            ip("2001:db8::1"),
            Some("Client=OutlookService;")
        ));
    }
}
