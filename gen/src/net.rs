//! Addresses and places: the IP type, the countries the tenant, its travellers and its
//! attackers live in, and the address blocks each kind of network draws from. The blocks are
//! public-looking ranges chosen for this generator (residential, business, mobile carrier,
//! hosting), disjoint from each other and from the Microsoft service ranges in `infra.rs`.

use std::fmt;

use crate::rng::Rng;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Ip {
    V4(u32),
    V6(u128),
}

impl fmt::Display for Ip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Ip::V4(x) => write!(
                f,
                "{}.{}.{}.{}",
                x >> 24,
                (x >> 16) & 255,
                (x >> 8) & 255,
                x & 255
            ),
            Ip::V6(x) => write!(f, "{}", std::net::Ipv6Addr::from(x)),
        }
    }
}

impl Ip {
    pub fn is_v6(self) -> bool {
        matches!(self, Ip::V6(_))
    }
}

pub const fn v4(a: u32, b: u32, c: u32, d: u32) -> u32 {
    (a << 24) | (b << 16) | (c << 8) | d
}

/// An IPv4 block `base/len`.
#[derive(Clone, Copy, Debug)]
pub struct Block(pub u32, pub u8);

impl Block {
    /// A host address in the block (never .0 or .255 in its /24).
    pub fn host(self, r: &mut Rng) -> u32 {
        let size = 1u64 << (32 - self.1 as u32);
        loop {
            let a = self.0 + r.below(size) as u32;
            if !matches!(a & 255, 0 | 255) {
                return a;
            }
        }
    }
    pub fn contains(self, a: u32) -> bool {
        let mask = if self.1 == 0 {
            0
        } else {
            u32::MAX << (32 - self.1 as u32)
        };
        a & mask == self.0 & mask
    }
}

pub fn cidr(b: Block) -> String {
    format!("{}/{}", Ip::V4(b.0), b.1)
}

/// A city a sign-in can be located in.
#[derive(Clone, Copy, Debug)]
pub struct City {
    pub name: &'static str,
    pub state: &'static str,
    pub lat: f64,
    pub lon: f64,
}

const fn c(name: &'static str, state: &'static str, lat: f64, lon: f64) -> City {
    City {
        name,
        state,
        lat,
        lon,
    }
}

/// A country and its networks.
#[derive(Debug)]
pub struct Country {
    pub cc: &'static str,
    /// Offset of local office hours from UTC.
    pub tz: i64,
    pub cities: &'static [City],
    pub residential: &'static [Block],
    pub residential_asn: &'static [u32],
    /// IPv6 /32 of the largest home ISP (some homes show IPv6).
    pub residential_v6: u32,
    pub business: Block,
    pub carrier: &'static [Block],
    pub carrier_asn: &'static [u32],
}

/// Countries a tenant can be based in (index 0..HQ_COUNT) and that users travel to.
pub static COUNTRIES: &[Country] = &[
    Country {
        cc: "DE",
        tz: 1,
        cities: &[
            c("Berlin", "Berlin", 52.52, 13.40),
            c("Munich", "Bavaria", 48.14, 11.58),
            c("Hamburg", "Hamburg", 53.55, 9.99),
            c("Cologne", "North Rhine-Westphalia", 50.94, 6.96),
        ],
        residential: &[Block(v4(79, 192, 0, 0), 11), Block(v4(91, 48, 0, 0), 12)],
        residential_asn: &[3320, 3209],
        residential_v6: 0x2003_0000,
        business: Block(v4(62, 96, 0, 0), 14),
        carrier: &[Block(v4(80, 187, 0, 0), 16), Block(v4(109, 40, 0, 0), 16)],
        carrier_asn: &[3320, 6805],
    },
    Country {
        cc: "NL",
        tz: 1,
        cities: &[
            c("Amsterdam", "North Holland", 52.37, 4.90),
            c("Rotterdam", "South Holland", 51.92, 4.48),
            c("Utrecht", "Utrecht", 52.09, 5.12),
        ],
        residential: &[Block(v4(77, 160, 0, 0), 12), Block(v4(84, 24, 0, 0), 13)],
        residential_asn: &[1136, 33915],
        residential_v6: 0x2a02_a440,
        business: Block(v4(213, 124, 0, 0), 15),
        carrier: &[Block(v4(31, 20, 0, 0), 16), Block(v4(62, 140, 128, 0), 17)],
        carrier_asn: &[31615, 50266],
    },
    Country {
        cc: "GB",
        tz: 0,
        cities: &[
            c("London", "England", 51.51, -0.13),
            c("Manchester", "England", 53.48, -2.24),
            c("Leeds", "England", 53.80, -1.55),
            c("Bristol", "England", 51.45, -2.59),
        ],
        residential: &[Block(v4(86, 128, 0, 0), 11), Block(v4(92, 16, 0, 0), 12)],
        residential_asn: &[2856, 5089],
        residential_v6: 0x2a00_23c0,
        business: Block(v4(195, 171, 0, 0), 16),
        carrier: &[Block(v4(148, 252, 0, 0), 16), Block(v4(82, 132, 0, 0), 16)],
        carrier_asn: &[12576, 206067],
    },
    Country {
        cc: "FR",
        tz: 1,
        cities: &[
            c("Paris", "Ile-de-France", 48.86, 2.35),
            c("Lyon", "Auvergne-Rhone-Alpes", 45.76, 4.84),
            c("Lille", "Hauts-de-France", 50.63, 3.06),
        ],
        residential: &[Block(v4(90, 0, 0, 0), 11), Block(v4(86, 192, 0, 0), 11)],
        residential_asn: &[3215, 12322],
        residential_v6: 0x2a01_0cb0,
        business: Block(v4(193, 251, 0, 0), 16),
        carrier: &[Block(v4(37, 168, 0, 0), 16), Block(v4(92, 184, 96, 0), 19)],
        carrier_asn: &[51207, 15557],
    },
    Country {
        cc: "US",
        tz: -5,
        cities: &[
            c("New York", "New York", 40.71, -74.01),
            c("Chicago", "Illinois", 41.88, -87.63),
            c("Boston", "Massachusetts", 42.36, -71.06),
            c("Atlanta", "Georgia", 33.75, -84.39),
        ],
        residential: &[Block(v4(71, 160, 0, 0), 11), Block(v4(98, 192, 0, 0), 11)],
        residential_asn: &[7922, 701],
        residential_v6: 0x2601_0000,
        business: Block(v4(63, 116, 0, 0), 15),
        carrier: &[Block(v4(174, 192, 0, 0), 11), Block(v4(172, 56, 0, 0), 14)],
        carrier_asn: &[22394, 21928],
    },
    Country {
        cc: "SE",
        tz: 1,
        cities: &[
            c("Stockholm", "Stockholm", 59.33, 18.07),
            c("Gothenburg", "Vastra Gotaland", 57.71, 11.97),
        ],
        residential: &[Block(v4(78, 64, 0, 0), 12), Block(v4(81, 224, 0, 0), 12)],
        residential_asn: &[3301, 2119],
        residential_v6: 0x2001_2040,
        business: Block(v4(194, 18, 0, 0), 16),
        carrier: &[Block(v4(90, 128, 0, 0), 14)],
        carrier_asn: &[1257],
    },
    // Travel destinations from here on (also possible tenant homes above).
    Country {
        cc: "ES",
        tz: 1,
        cities: &[
            c("Madrid", "Madrid", 40.42, -3.70),
            c("Barcelona", "Catalonia", 41.39, 2.17),
        ],
        residential: &[Block(v4(83, 32, 0, 0), 11)],
        residential_asn: &[3352],
        residential_v6: 0x2a0c_5a80,
        business: Block(v4(195, 55, 0, 0), 16),
        carrier: &[Block(v4(176, 83, 0, 0), 16)],
        carrier_asn: &[12430],
    },
    Country {
        cc: "IT",
        tz: 1,
        cities: &[
            c("Milan", "Lombardy", 45.46, 9.19),
            c("Rome", "Lazio", 41.90, 12.50),
        ],
        residential: &[Block(v4(79, 16, 0, 0), 12)],
        residential_asn: &[3269],
        residential_v6: 0x2001_0b07,
        business: Block(v4(212, 131, 0, 0), 16),
        carrier: &[Block(v4(151, 36, 0, 0), 14)],
        carrier_asn: &[1267],
    },
    Country {
        cc: "SG",
        tz: 8,
        cities: &[c("Singapore", "Central Singapore", 1.29, 103.85)],
        residential: &[Block(v4(116, 86, 0, 0), 15)],
        residential_asn: &[9506],
        residential_v6: 0x2406_3003,
        business: Block(v4(203, 116, 0, 0), 16),
        carrier: &[Block(v4(111, 65, 0, 0), 16)],
        carrier_asn: &[4773],
    },
    Country {
        cc: "AE",
        tz: 4,
        cities: &[c("Dubai", "Dubai", 25.20, 55.27)],
        residential: &[Block(v4(94, 200, 0, 0), 13)],
        residential_asn: &[5384],
        residential_v6: 0x2001_08f8,
        business: Block(v4(213, 42, 0, 0), 16),
        carrier: &[Block(v4(5, 194, 0, 0), 15)],
        carrier_asn: &[15802],
    },
    Country {
        cc: "JP",
        tz: 9,
        cities: &[
            c("Tokyo", "Tokyo", 35.68, 139.69),
            c("Osaka", "Osaka", 34.69, 135.50),
        ],
        residential: &[Block(v4(126, 0, 0, 0), 10)],
        residential_asn: &[17676],
        residential_v6: 0x240b_0010,
        business: Block(v4(210, 130, 0, 0), 16),
        carrier: &[Block(v4(49, 96, 0, 0), 12)],
        carrier_asn: &[2516],
    },
    Country {
        cc: "CA",
        tz: -5,
        cities: &[
            c("Toronto", "Ontario", 43.65, -79.38),
            c("Montreal", "Quebec", 45.50, -73.57),
        ],
        residential: &[Block(v4(142, 112, 0, 0), 12)],
        residential_asn: &[577],
        residential_v6: 0x2607_fea8,
        business: Block(v4(206, 47, 0, 0), 16),
        carrier: &[Block(v4(207, 228, 0, 0), 16)],
        carrier_asn: &[812],
    },
    Country {
        cc: "PT",
        tz: 0,
        cities: &[
            c("Lisbon", "Lisbon", 38.72, -9.14),
            c("Porto", "Porto", 41.15, -8.61),
        ],
        residential: &[Block(v4(85, 240, 0, 0), 13)],
        residential_asn: &[3243],
        residential_v6: 0x2001_0818,
        business: Block(v4(194, 65, 0, 0), 16),
        carrier: &[Block(v4(188, 80, 0, 0), 14)],
        carrier_asn: &[12353],
    },
    // Countries where attacker infrastructure (residential proxies) sits.
    Country {
        cc: "BR",
        tz: -3,
        cities: &[c("Sao Paulo", "Sao Paulo", -23.55, -46.63)],
        residential: &[Block(v4(177, 32, 0, 0), 11)],
        residential_asn: &[28573],
        residential_v6: 0x2804_0d00,
        business: Block(v4(200, 160, 0, 0), 16),
        carrier: &[Block(v4(179, 240, 0, 0), 12)],
        carrier_asn: &[26599],
    },
    Country {
        cc: "VN",
        tz: 7,
        cities: &[c("Ho Chi Minh City", "Ho Chi Minh", 10.82, 106.63)],
        residential: &[Block(v4(113, 160, 0, 0), 11)],
        residential_asn: &[7552],
        residential_v6: 0x2402_0800,
        business: Block(v4(203, 162, 0, 0), 16),
        carrier: &[Block(v4(171, 224, 0, 0), 11)],
        carrier_asn: &[18403],
    },
    Country {
        cc: "NG",
        tz: 1,
        cities: &[c("Lagos", "Lagos", 6.52, 3.38)],
        residential: &[Block(v4(102, 88, 0, 0), 13)],
        residential_asn: &[29465],
        residential_v6: 0x2c0f_f7f0,
        business: Block(v4(196, 46, 0, 0), 16),
        carrier: &[Block(v4(105, 112, 0, 0), 12)],
        carrier_asn: &[36873],
    },
];

/// Index bound: tenants are based in the first HQ_COUNT countries.
pub const HQ_COUNT: usize = 6;
/// Travel destinations (indices into COUNTRIES).
pub const TRAVEL: &[usize] = &[0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12];
/// Residential-proxy countries for attackers.
pub const PROXY: &[usize] = &[4, 13, 14, 15, 10];

/// A hosting / VPS provider block with its country and ASN.
#[derive(Clone, Copy, Debug)]
pub struct Hosting {
    pub block: Block,
    pub cc: &'static str,
    pub city: City,
    pub asn: u32,
}

const fn h(a: u32, b: u32, len: u8, cc: &'static str, city: City, asn: u32) -> Hosting {
    Hosting {
        block: Block(v4(a, b, 0, 0), len),
        cc,
        city,
        asn,
    }
}

/// Hosting and VPS ranges: internet noise and attackers come from here.
pub static HOSTING: &[Hosting] = &[
    h(
        45,
        77,
        16,
        "US",
        c("Piscataway", "New Jersey", 40.55, -74.46),
        20473,
    ),
    h(
        64,
        227,
        16,
        "US",
        c("Santa Clara", "California", 37.35, -121.96),
        14061,
    ),
    h(
        104,
        248,
        16,
        "US",
        c("North Bergen", "New Jersey", 40.80, -74.01),
        14061,
    ),
    h(
        149,
        28,
        16,
        "US",
        c("Dallas", "Texas", 32.78, -96.80),
        20473,
    ),
    h(
        185,
        220,
        16,
        "NL",
        c("Amsterdam", "North Holland", 52.37, 4.90),
        60729,
    ),
    h(
        146,
        70,
        16,
        "NL",
        c("Amsterdam", "North Holland", 52.37, 4.90),
        9009,
    ),
    h(
        5,
        181,
        16,
        "LT",
        c("Vilnius", "Vilnius", 54.69, 25.28),
        62282,
    ),
    h(91, 92, 16, "RU", c("Moscow", "Moscow", 55.76, 37.62), 44477),
    h(
        194,
        26,
        16,
        "RU",
        c("Saint Petersburg", "Saint Petersburg", 59.93, 30.36),
        48282,
    ),
    h(
        103,
        149,
        16,
        "SG",
        c("Singapore", "Central Singapore", 1.29, 103.85),
        136557,
    ),
    h(
        139,
        59,
        16,
        "SG",
        c("Singapore", "Central Singapore", 1.29, 103.85),
        14061,
    ),
    h(
        45,
        132,
        16,
        "RO",
        c("Bucharest", "Bucharest", 44.43, 26.10),
        9009,
    ),
    h(
        193,
        233,
        16,
        "UA",
        c("Kyiv", "Kyiv City", 50.45, 30.52),
        21100,
    ),
    h(
        154,
        16,
        16,
        "ZA",
        c("Johannesburg", "Gauteng", -26.20, 28.05),
        328608,
    ),
    h(
        38,
        180,
        16,
        "BR",
        c("Sao Paulo", "Sao Paulo", -23.55, -46.63),
        268624,
    ),
    h(
        103,
        75,
        16,
        "HK",
        c("Hong Kong", "Hong Kong", 22.32, 114.17),
        133398,
    ),
    h(
        178,
        128,
        16,
        "DE",
        c("Frankfurt am Main", "Hesse", 50.11, 8.68),
        14061,
    ),
    h(
        51,
        195,
        16,
        "FR",
        c("Roubaix", "Hauts-de-France", 50.69, 3.17),
        16276,
    ),
];

/// A random host address of a hosting block.
pub fn hosting_addr(r: &mut Rng, hi: usize) -> Ip {
    Ip::V4(HOSTING[hi].block.host(r))
}

pub fn country(cc: &str) -> Option<usize> {
    COUNTRIES.iter().position(|x| x.cc == cc)
}

/// A residential IPv6 address under the country's /32: one /56 per home, a random host.
pub fn home_v6(r: &mut Rng, c: &Country) -> Ip {
    let net = ((c.residential_v6 as u128) << 96) | ((r.next_u64() as u128 & 0xFFFF_FF00) << 64);
    Ip::V6(net | (r.next_u64() as u128))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_disjoint() {
        let mut all: Vec<(Block, &str)> = Vec::new();
        for c in COUNTRIES {
            for b in c.residential.iter().chain(c.carrier) {
                all.push((*b, c.cc));
            }
            all.push((c.business, c.cc));
        }
        for x in HOSTING {
            all.push((x.block, x.cc));
        }
        for (i, (a, ca)) in all.iter().enumerate() {
            for (b, cb) in &all[i + 1..] {
                assert!(
                    !a.contains(b.0) && !b.contains(a.0),
                    "{} ({ca}) overlaps {} ({cb})",
                    cidr(*a),
                    cidr(*b)
                );
            }
        }
    }

    #[test]
    fn display() {
        assert_eq!(Ip::V4(v4(203, 0, 113, 7)).to_string(), "203.0.113.7");
        assert_eq!(
            Ip::V6(0x2603_1036_0000_0000_0000_0000_0000_0001u128).to_string(),
            "2603:1036::1"
        );
    }
}
