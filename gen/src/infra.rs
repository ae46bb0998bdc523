//! The tenant's shared infrastructure: office NAT egress, the corporate VPN egress, the
//! mobile carriers' CGNAT pools, and the Microsoft service addresses Outlook mobile reads
//! mail from. All of it is drawn per seed, so three seeds give three different networks.

use serde::Serialize;

use crate::net::{self, Block, COUNTRIES, City, Country, Ip, v4};
use crate::rng::{Rng, mix2};

/// Microsoft's published Exchange Online / Outlook service ranges (Microsoft 365 endpoints,
/// "Exchange Online" service area, IDs 1 and 2). Outlook mobile's MailItemsAccessed records
/// come from addresses inside these.
pub const MS_V4: &[Block] = &[Block(v4(40, 96, 0, 0), 13), Block(v4(52, 96, 0, 0), 14)];
/// IPv6 /36 prefixes (upper 36 bits as the top of a u128).
pub const MS_V6: &[(u128, &str)] = &[
    (
        0x2603_1036_0000_0000_0000_0000_0000_0000u128,
        "2603:1036::/36",
    ),
    (
        0x2603_1056_0000_0000_0000_0000_0000_0000u128,
        "2603:1056::/36",
    ),
    (
        0x2603_1026_0000_0000_0000_0000_0000_0000u128,
        "2603:1026::/36",
    ),
    (
        0x2603_1046_0000_0000_0000_0000_0000_0000u128,
        "2603:1046::/36",
    ),
];

/// An office site and its NAT egress addresses.
#[derive(Debug, Clone)]
pub struct Office {
    pub country: usize,
    pub city: City,
    pub nat: Vec<Ip>,
    pub asn: u32,
}

/// A mobile carrier's CGNAT pool: many unrelated subscribers share each address.
#[derive(Debug, Clone)]
pub struct Carrier {
    pub pool: Vec<Ip>,
    pub asn: u32,
}

#[derive(Debug, Clone)]
pub struct Infra {
    /// Home country of the tenant (index into COUNTRIES).
    pub hq: usize,
    pub offices: Vec<Office>,
    /// Corporate VPN egress (a datacentre in another country).
    pub vpn: Vec<Ip>,
    pub vpn_country: usize,
    pub vpn_city: City,
    pub vpn_asn: u32,
    pub carriers: Vec<Carrier>,
    /// Per-seed Microsoft /48s (v6) and /24s (v4) that Outlook service traffic uses.
    pub ms_v6_nets: Vec<u128>,
    pub ms_v4_nets: Vec<u32>,
}

#[derive(Serialize)]
pub struct InfraTruth {
    pub office_nat: Vec<OfficeTruth>,
    pub vpn: Vec<String>,
    pub vpn_country: String,
    pub carrier_cgnat_addresses: usize,
    pub microsoft_ranges: Vec<String>,
    pub microsoft_networks_used: Vec<String>,
}

#[derive(Serialize)]
pub struct OfficeTruth {
    pub city: String,
    pub country: String,
    pub nat: Vec<String>,
}

impl Infra {
    pub fn new(seed: u64, users: usize) -> Infra {
        let mut r = Rng::fork(seed, 0x1AF2A);
        let hq = r.idx(net::HQ_COUNT);
        let home: &Country = &COUNTRIES[hq];
        let mut offices = Vec::new();
        // Headquarters: two ISPs, two egress addresses; a branch office with one.
        let hq_city = home.cities[r.idx(home.cities.len())];
        let base = home.business.host(&mut r) & !7;
        offices.push(Office {
            country: hq,
            city: hq_city,
            nat: vec![Ip::V4(base + 2), Ip::V4(home.business.host(&mut r))],
            asn: home.residential_asn[0],
        });
        let branch_city = *home
            .cities
            .iter()
            .find(|c| c.name != hq_city.name)
            .unwrap_or(&hq_city);
        offices.push(Office {
            country: hq,
            city: branch_city,
            nat: vec![Ip::V4(home.business.host(&mut r))],
            asn: home.residential_asn[home.residential_asn.len() - 1],
        });
        // VPN egress in a neighbouring country's datacentre.
        let vpn_country = loop {
            let c = r.idx(net::HQ_COUNT);
            if c != hq {
                break c;
            }
        };
        let vc = &COUNTRIES[vpn_country];
        let vb = vc.business.host(&mut r) & !3;
        let vpn = vec![Ip::V4(vb + 1), Ip::V4(vb + 2)];
        let per_pool = (users / 12).clamp(24, 4000);
        let carriers = home
            .carrier
            .iter()
            .enumerate()
            .map(|(i, b)| Carrier {
                pool: (0..per_pool).map(|_| Ip::V4(b.host(&mut r))).collect(),
                asn: home.carrier_asn[i % home.carrier_asn.len()],
            })
            .collect();
        let ms_v6_nets = (0..6)
            .map(|i| {
                let (p, _) = MS_V6[i % MS_V6.len()];
                p | ((r.next_u64() as u128 & 0xFFF) << 80)
            })
            .collect();
        let ms_v4_nets = (0..4)
            .map(|i| MS_V4[i % MS_V4.len()].host(&mut r) & !255)
            .collect();
        Infra {
            hq,
            offices,
            vpn,
            vpn_country,
            vpn_city: vc.cities[0],
            vpn_asn: *r.pick(&[24940, 16276, 51167, 12876]),
            carriers,
            ms_v6_nets,
            ms_v4_nets,
        }
    }

    /// The carrier address a subscriber gets on a given day (CGNAT: changes daily, shared).
    pub fn carrier_ip(&self, carrier: usize, user: usize, day: i64, salt: u64) -> Ip {
        let pool = &self.carriers[carrier % self.carriers.len()].pool;
        pool[(mix2(user as u64 ^ salt, day as u64) % pool.len() as u64) as usize]
    }

    /// A Microsoft service address (Outlook mobile / Exchange Online sync).
    pub fn ms_addr(&self, r: &mut Rng) -> Ip {
        if r.chance(0.8) {
            let net = self.ms_v6_nets[r.idx(self.ms_v6_nets.len())];
            Ip::V6(net | (r.below(0x1_0000) as u128) << 64 | (r.below(0x100) as u128 + 1))
        } else {
            let net = self.ms_v4_nets[r.idx(self.ms_v4_nets.len())];
            Ip::V4(net | (r.below(250) as u32 + 2))
        }
    }

    pub fn is_office(&self, ip: Ip) -> bool {
        self.offices.iter().any(|o| o.nat.contains(&ip))
    }

    pub fn truth(&self) -> InfraTruth {
        InfraTruth {
            office_nat: self
                .offices
                .iter()
                .map(|o| OfficeTruth {
                    city: o.city.name.to_string(),
                    country: COUNTRIES[o.country].cc.to_string(),
                    nat: o.nat.iter().map(|i| i.to_string()).collect(),
                })
                .collect(),
            vpn: self.vpn.iter().map(|i| i.to_string()).collect(),
            vpn_country: COUNTRIES[self.vpn_country].cc.to_string(),
            carrier_cgnat_addresses: self.carriers.iter().map(|c| c.pool.len()).sum(),
            microsoft_ranges: MS_V4
                .iter()
                .map(|b| net::cidr(*b))
                .chain(MS_V6.iter().map(|(_, s)| s.to_string()))
                .collect(),
            microsoft_networks_used: self
                .ms_v6_nets
                .iter()
                .map(|n| format!("{}/48", Ip::V6(*n)))
                .chain(self.ms_v4_nets.iter().map(|n| format!("{}/24", Ip::V4(*n))))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_addresses_stay_in_published_ranges() {
        let inf = Infra::new(9, 600);
        let mut r = Rng::new(1);
        for _ in 0..500 {
            match inf.ms_addr(&mut r) {
                Ip::V4(a) => assert!(MS_V4.iter().any(|b| b.contains(a))),
                Ip::V6(a) => assert!(
                    MS_V6.iter().any(|(p, _)| a >> 92 == p >> 92),
                    "{}",
                    Ip::V6(a)
                ),
            }
        }
    }

    #[test]
    fn seeds_differ() {
        let a = Infra::new(1, 600);
        let b = Infra::new(2, 600);
        assert_ne!(a.offices[0].nat, b.offices[0].nat);
        assert_ne!(a.vpn, b.vpn);
    }
}
