//! The tenant and its people: names, identifiers, where each person works from, their
//! devices, and the traits (office, VPN, traveller, Outlook mobile, rules, forwards...) that
//! decide what benign activity they produce.

use std::collections::HashSet;

use crate::fmt::w_hex;
use crate::infra::Infra;
use crate::net::{self, COUNTRIES, Ip};
use crate::rng::{Rng, guid_of, mix2};

/// User traits, a bit set. `TRAIT_NAMES` gives their names in truth.json.
pub mod t {
    pub const OFFICE: u32 = 1 << 0;
    pub const VPN: u32 = 1 << 1;
    pub const TRAVELLER: u32 = 1 << 2;
    pub const OUTLOOK_MOBILE: u32 = 1 << 3;
    pub const MOBILE_CARRIER: u32 = 1 << 4;
    pub const NEW_AUTHENTICATOR: u32 = 1 << 5;
    pub const PRIVATE_FORWARD: u32 = 1 << 6;
    pub const INTERNAL_FORWARD: u32 = 1 << 7;
    pub const VENDOR_RULE: u32 = 1 << 8;
    pub const ALERT_RULE: u32 = 1 << 9;
    pub const NEWSLETTER_RULE: u32 = 1 << 10;
    pub const RULE_RESTAMP: u32 = 1 << 11;
    pub const HOUSEKEEPING: u32 = 1 << 12;
    pub const EMPTIES_DELETED: u32 = 1 << 13;
    pub const MARKETING: u32 = 1 << 14;
    pub const ADMIN: u32 = 1 << 15;
    pub const LOCKOUT: u32 = 1 << 16;
    pub const LEAVER: u32 = 1 << 17;
    pub const SERVICE_MAILBOX: u32 = 1 << 18;
    pub const SHARED_MAILBOX: u32 = 1 << 19;
    pub const HOME_IP_CHANGE: u32 = 1 << 20;
    pub const IPV6_HOME: u32 = 1 << 21;
    pub const ABROAD_RESIDENT: u32 = 1 << 22;
    pub const HYBRID: u32 = 1 << 23;
    pub const TYPO_PRONE: u32 = 1 << 24;
    pub const LEGACY_AUTH: u32 = 1 << 25;
}

pub const TRAIT_NAMES: &[(u32, &str)] = &[
    (t::OFFICE, "office"),
    (t::VPN, "vpn"),
    (t::TRAVELLER, "traveller"),
    (t::OUTLOOK_MOBILE, "outlook_mobile"),
    (t::MOBILE_CARRIER, "mobile_carrier"),
    (t::NEW_AUTHENTICATOR, "new_authenticator"),
    (t::PRIVATE_FORWARD, "private_forward"),
    (t::INTERNAL_FORWARD, "internal_forward"),
    (t::VENDOR_RULE, "vendor_rule"),
    (t::ALERT_RULE, "alert_rule"),
    (t::NEWSLETTER_RULE, "newsletter_rule"),
    (t::RULE_RESTAMP, "rule_restamp"),
    (t::HOUSEKEEPING, "housekeeping_deletes"),
    (t::EMPTIES_DELETED, "empties_deleted_items"),
    (t::MARKETING, "marketing"),
    (t::ADMIN, "admin"),
    (t::LOCKOUT, "lockout"),
    (t::LEAVER, "leaver_forwarded"),
    (t::SERVICE_MAILBOX, "service_mailbox"),
    (t::SHARED_MAILBOX, "shared_mailbox"),
    (t::HOME_IP_CHANGE, "home_ip_change"),
    (t::IPV6_HOME, "ipv6_home"),
    (t::ABROAD_RESIDENT, "lives_abroad"),
    (t::HYBRID, "hybrid"),
    (t::TYPO_PRONE, "typo_prone"),
    (t::LEGACY_AUTH, "legacy_auth"),
];

const FIRST: &[&str] = &[
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Felix",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Lukas",
    "Maya",
    "Noah",
    "Olivia",
    "Paul",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tara",
    "Umar",
    "Vera",
    "William",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Aisha",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Emma",
    "Farid",
    "Greta",
    "Hannah",
    "Ivan",
    "Julia",
    "Kenji",
    "Lea",
    "Marco",
    "Nina",
    "Oscar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tobias",
    "Ursula",
    "Viktor",
    "Wen",
    "Amara",
    "Jakob",
    "Leon",
    "Mila",
    "Niklas",
    "Selin",
    "Theo",
    "Valentina",
    "Arjun",
    "Beatriz",
    "Carlos",
    "Daniela",
    "Eric",
    "Fatima",
    "Gabriel",
    "Helena",
    "Ismail",
    "Johanna",
    "Karim",
    "Lina",
    "Mateo",
    "Nora",
    "Pia",
    "Ruben",
    "Sara",
    "Tim",
    "Uwe",
    "Wiebke",
    "Yara",
    "Zeynep",
    "Moritz",
    "Ida",
];

const LAST: &[&str] = &[
    "Adler",
    "Baker",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ivanova",
    "Jansen",
    "Keller",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Peters",
    "Quint",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ulrich",
    "Vogel",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Andersen",
    "Bauer",
    "Carter",
    "De Vries",
    "Evans",
    "Ferreira",
    "Gruber",
    "Hoffmann",
    "Iqbal",
    "Jovanovic",
    "Kowalski",
    "Lambert",
    "Meyer",
    "Nielsen",
    "O'Brien",
    "Popescu",
    "Richter",
    "Silva",
    "Thomas",
    "Van Dijk",
    "Wagner",
    "Young",
    "Zhang",
    "Becker",
    "Castillo",
    "Dietrich",
    "Engel",
    "Fuchs",
    "Günther",
    "Hartmann",
    "Kaiser",
    "Lorenz",
    "Martin",
    "Neumann",
    "Otto",
    "Pohl",
    "Roth",
    "Schulz",
    "Wolf",
    "Krüger",
    "Brandt",
    "Haas",
    "Sommer",
    "Frank",
    "Berg",
    "Jung",
    "Kraus",
    "Vargas",
    "Mendes",
    "Nowak",
    "Horvath",
    "Larsen",
    "Moller",
    "Svensson",
];

const PREFIX: &[&str] = &[
    "north", "blue", "river", "stone", "oak", "silver", "harbor", "summit", "cedar", "lake",
    "iron", "bright", "falcon", "maple", "crest", "meadow", "granite", "willow", "amber", "pine",
];
const SUFFIX: &[&str] = &[
    "field", "wind", "gate", "bridge", "works", "line", "point", "haven", "vale", "ridge", "well",
    "mark",
];
const INDUSTRY: &[&str] = &[
    "logistics",
    "partners",
    "group",
    "foods",
    "engineering",
    "legal",
    "health",
    "capital",
    "systems",
    "trading",
];

pub struct Trip {
    pub start_day: i64,
    pub end_day: i64,
    pub country: usize,
    pub hotel: Ip,
}

pub struct User {
    pub upn: String,
    pub display: String,
    pub alias: String,
    pub oid: u128,
    pub puid: String,
    pub sid: String,
    pub mbx: u128,
    pub traits: u32,
    /// Office index (into Infra.offices) for office workers.
    pub site: usize,
    pub country: usize,
    pub city: usize,
    pub home: Ip,
    /// A new home address from this day on (ISP change).
    pub home2: Option<(i64, Ip)>,
    pub home_asn: u32,
    pub carrier: usize,
    pub ios: bool,
    pub mac: bool,
    pub managed: bool,
    pub device_id: u128,
    pub device_name: String,
    pub phone_device_id: u128,
    pub trip: Option<Trip>,
    /// Last working day (leavers).
    pub leaves_day: Option<i64>,
    pub server: String,
    pub cluster: &'static str,
    pub chrome: u32,
}

impl User {
    pub fn has(&self, tr: u32) -> bool {
        self.traits & tr != 0
    }
    pub fn person(&self) -> bool {
        !self.has(t::SERVICE_MAILBOX | t::SHARED_MAILBOX)
    }
    pub fn home_on(&self, day: i64) -> Ip {
        match self.home2 {
            Some((d, ip)) if day >= d => ip,
            _ => self.home,
        }
    }
    pub fn trait_names(&self) -> Vec<&'static str> {
        TRAIT_NAMES
            .iter()
            .filter(|(b, _)| self.traits & b != 0)
            .map(|(_, n)| *n)
            .collect()
    }
    pub fn traveling(&self, day: i64) -> Option<&Trip> {
        self.trip
            .as_ref()
            .filter(|t| day >= t.start_day && day <= t.end_day)
    }
}

pub struct Tenant {
    pub name: String,
    pub domain: String,
    pub onms: String,
    pub org: u128,
    pub users: Vec<User>,
    /// Vendors the tenant buys from / partners it mails (domain, display name).
    pub partners: Vec<(String, String)>,
    pub eu: bool,
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn ascii_local(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'ü' => Some('u'),
            'ö' => Some('o'),
            'ä' => Some('a'),
            'A'..='Z' | 'a'..='z' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

pub fn company_name(seed: u64) -> (String, String) {
    let mut r = Rng::fork(seed, 0xC0);
    let word = format!("{}{}", r.pick(PREFIX), r.pick(SUFFIX));
    let ind = *r.pick(INDUSTRY);
    (
        format!("{} {}", cap(&word), cap(ind)),
        format!("{word}-{ind}"),
    )
}

impl Tenant {
    pub fn new(seed: u64, n: usize, days: i64, infra: &Infra) -> Tenant {
        let mut r = Rng::fork(seed, 0x9E0);
        let (name, dom) = company_name(seed);
        let domain = format!("{dom}.com");
        let onms = format!("{}.onmicrosoft.com", dom.replace('-', ""));
        let org = r.guid();
        let eu = COUNTRIES[infra.hq].tz >= 0;
        let partners = make_partners(&mut r);
        let mut users = Vec::with_capacity(n);
        let mut taken = HashSet::new();
        let specials: &[(&str, &str, u32)] = &[
            (
                "scanner",
                "Scan to Mail",
                t::SERVICE_MAILBOX | t::LEGACY_AUTH,
            ),
            (
                "mfp-floor2",
                "MFP Floor 2",
                t::SERVICE_MAILBOX | t::LEGACY_AUTH,
            ),
            ("info", "Info", t::SHARED_MAILBOX),
            ("accounts", "Accounts Payable", t::SHARED_MAILBOX),
            ("hr", "Human Resources", t::SHARED_MAILBOX),
        ];
        let people = n.saturating_sub(specials.len()).max(8);
        for i in 0..people {
            let (first, last, upn) = {
                let f = *r.pick(FIRST);
                let l = *r.pick(LAST);
                let mut local = format!("{}.{}", ascii_local(f), ascii_local(l));
                let mut k = 2;
                while taken.contains(&local) {
                    local = format!("{}.{}{}", ascii_local(f), ascii_local(l), k);
                    k += 1;
                }
                taken.insert(local.clone());
                (f, l, local)
            };
            users.push(new_user(
                seed,
                &mut r,
                i,
                &upn,
                &format!("{first} {last}"),
                0,
                &domain,
                eu,
                infra,
            ));
        }
        for (k, (local, disp, tr)) in specials.iter().enumerate() {
            users.push(new_user(
                seed,
                &mut r,
                people + k,
                local,
                disp,
                *tr,
                &domain,
                eu,
                infra,
            ));
        }
        let mut tn = Tenant {
            name,
            domain,
            onms,
            org,
            users,
            partners,
            eu,
        };
        assign_traits(&mut tn, &mut r, people, days, infra);
        tn
    }

    /// Indices of people (not service or shared mailboxes).
    pub fn people(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.users.len()).filter(|&i| self.users[i].person())
    }

    pub fn with(&self, tr: u32) -> Vec<usize> {
        (0..self.users.len())
            .filter(|&i| self.users[i].has(tr))
            .collect()
    }
}

fn make_partners(r: &mut Rng) -> Vec<(String, String)> {
    let stems = [
        "lumen", "vexa", "corvid", "tallis", "brava", "quorra", "nimbus", "orchid", "pallas",
        "rilo", "sable", "tessa", "umbra", "verda",
    ];
    let kinds = [
        "supplies",
        "print",
        "freight",
        "consulting",
        "packaging",
        "it",
        "media",
    ];
    let mut out = Vec::new();
    let mut i = r.idx(stems.len());
    for _ in 0..8 {
        let stem = stems[i % stems.len()];
        let kind = *r.pick(&kinds);
        out.push((
            format!("{stem}-{kind}.com"),
            format!("{} {}", cap(stem), cap(kind)),
        ));
        i += 1 + r.idx(2);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn new_user(
    seed: u64,
    r: &mut Rng,
    i: usize,
    local: &str,
    display: &str,
    traits: u32,
    domain: &str,
    eu: bool,
    infra: &Infra,
) -> User {
    let oid = guid_of(seed, i as u64 * 7 + 1);
    let mut puid = String::from("1003");
    w_hex(&mut puid, mix2(seed, i as u64), 12, true);
    let sid = format!(
        "S-1-5-21-{}-{}-{}-{}",
        1_000_000_000 + mix2(seed, 1) % 1_000_000_000,
        1_000_000_000 + mix2(seed, 2) % 1_000_000_000,
        1_000_000_000 + mix2(seed, 3) % 1_000_000_000,
        20_000 + i
    );
    let hq = &COUNTRIES[infra.hq];
    let mut server = String::new();
    let (pfx, prod, cluster) = if eu {
        (
            ["AM0", "AM6", "DB9", "VI1", "PA4"][r.idx(5)],
            "EUR",
            "EURPR01A001.PROD.OUTLOOK.COM",
        )
    } else {
        (
            ["SN7", "CH0", "DM6", "BY5", "SA1"][r.idx(5)],
            "NAM",
            "NAMPR10A002.PROD.OUTLOOK.COM",
        )
    };
    let _ = prod;
    server.push_str(pfx);
    server.push_str(&format!(
        "PR{:02}MB{:04}",
        r.range(1, 12),
        r.range(1000, 9999)
    ));
    let mac = r.chance(0.2);
    User {
        upn: format!("{local}@{domain}"),
        display: display.to_string(),
        alias: local.to_string(),
        oid,
        puid,
        sid,
        mbx: guid_of(seed, i as u64 * 7 + 2),
        traits,
        site: 0,
        country: infra.hq,
        city: r.idx(hq.cities.len()),
        home: Ip::V4(hq.residential[r.idx(hq.residential.len())].host(r)),
        home2: None,
        home_asn: hq.residential_asn[r.idx(hq.residential_asn.len())],
        carrier: r.idx(infra.carriers.len()),
        ios: r.chance(0.6),
        mac,
        managed: false,
        device_id: guid_of(seed, i as u64 * 7 + 3),
        device_name: format!(
            "{}-{}{:04}",
            domain
                .split(['.', '-'])
                .next()
                .unwrap_or("pc")
                .to_uppercase(),
            if mac { "MB" } else { "LT" },
            r.range(100, 9999)
        ),
        phone_device_id: guid_of(seed, i as u64 * 7 + 4),
        trip: None,
        leaves_day: None,
        server,
        cluster,
        chrome: 128 + r.range(0, 8) as u32,
    }
}

/// Picks `k` distinct people (indices) not yet carrying any of `exclude`.
fn choose(tn: &Tenant, r: &mut Rng, people: usize, k: usize, exclude: u32) -> Vec<usize> {
    let mut out = Vec::new();
    let mut tries = 0;
    while out.len() < k && tries < k * 50 + 100 {
        tries += 1;
        let i = r.idx(people);
        if tn.users[i].traits & exclude == 0 && !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn frac(n: usize, f: f64, min: usize) -> usize {
    ((n as f64 * f).round() as usize).max(min)
}

fn assign_traits(tn: &mut Tenant, r: &mut Rng, people: usize, days: i64, infra: &Infra) {
    let hq = &COUNTRIES[infra.hq];
    for i in 0..people {
        let u = &mut tn.users[i];
        let x = r.unit();
        u.traits |= if x < 0.47 {
            u.site = 0;
            t::OFFICE
        } else if x < 0.62 {
            u.site = 1;
            t::OFFICE
        } else if x < 0.92 {
            t::VPN
        } else {
            0 // field staff: home and phone only
        };
        if u.has(t::OFFICE) && r.chance(0.35) {
            u.traits |= t::HYBRID | t::VPN;
        }
        if u.has(t::OFFICE) {
            u.city = hq
                .cities
                .iter()
                .position(|c| c.name == infra.offices[u.site].city.name)
                .unwrap_or(0);
        }
        u.managed = u.has(t::OFFICE | t::VPN) && r.chance(0.75);
        if u.has(t::VPN) && !u.has(t::OFFICE) && r.chance(0.12) {
            // lives in another country, works remotely through the VPN
            let c = net::TRAVEL[r.idx(net::TRAVEL.len())];
            if c != infra.hq {
                let cc = &COUNTRIES[c];
                u.traits |= t::ABROAD_RESIDENT;
                u.country = c;
                u.city = r.idx(cc.cities.len());
                u.home = Ip::V4(cc.residential[0].host(r));
                u.home_asn = cc.residential_asn[0];
            }
        }
        if r.chance(0.3) {
            u.traits |= t::IPV6_HOME;
            u.home = net::home_v6(r, &COUNTRIES[u.country]);
        }
        if r.chance(0.9) {
            u.traits |= t::MOBILE_CARRIER;
        }
        if r.chance(0.34) {
            u.traits |= t::OUTLOOK_MOBILE;
        }
        if r.chance(0.1) {
            u.traits |= t::HOME_IP_CHANGE;
            let c = &COUNTRIES[u.country];
            u.home2 = Some((r.range(3, days - 3), Ip::V4(c.residential[0].host(r))));
        }
        if r.chance(0.25) {
            u.traits |= t::TYPO_PRONE;
        }
        if r.chance(0.1) {
            u.traits |= t::HOUSEKEEPING;
        }
        if r.chance(0.09) {
            u.traits |= t::VENDOR_RULE;
        }
        if r.chance(0.1) {
            u.traits |= t::NEWSLETTER_RULE;
        }
    }
    let n = people;
    for i in choose(tn, r, n, frac(n, 0.12, 2), t::TRAVELLER) {
        let u = &mut tn.users[i];
        u.traits |= t::TRAVELLER;
        let dest = loop {
            let c = net::TRAVEL[r.idx(net::TRAVEL.len())];
            if c != u.country {
                break c;
            }
        };
        let len = r.range(2, 6);
        let start = r.range(2, (days - len - 2).max(3));
        let cc = &COUNTRIES[dest];
        u.trip = Some(Trip {
            start_day: start,
            end_day: (start + len).min(days - 1),
            country: dest,
            hotel: Ip::V4(cc.business.host(r)),
        });
    }
    let mk = |tn: &mut Tenant, r: &mut Rng, f: f64, min: usize, tr: u32, excl: u32| {
        for i in choose(tn, r, n, frac(n, f, min), excl | tr) {
            tn.users[i].traits |= tr;
        }
    };
    mk(tn, r, 0.03, 2, t::NEW_AUTHENTICATOR, 0);
    mk(tn, r, 0.006, 2, t::PRIVATE_FORWARD, 0);
    mk(tn, r, 0.015, 2, t::INTERNAL_FORWARD, 0);
    mk(tn, r, 0.05, 2, t::ALERT_RULE, 0);
    mk(tn, r, 0.03, 1, t::EMPTIES_DELETED, 0);
    mk(tn, r, 0.02, 1, t::LOCKOUT, 0);
    mk(tn, r, 0.0, (n / 200).max(3), t::MARKETING, t::TRAVELLER);
    mk(
        tn,
        r,
        0.0,
        (n / 200).clamp(2, 8),
        t::ADMIN,
        t::TRAVELLER | t::MARKETING,
    );
    for i in choose(
        tn,
        r,
        n,
        (n / 300).max(1),
        t::ADMIN | t::MARKETING | t::TRAVELLER,
    ) {
        tn.users[i].traits |= t::LEAVER;
        tn.users[i].leaves_day = Some(r.range(days / 3, days / 2));
    }
    for i in 0..n {
        let u = &mut tn.users[i];
        if u.has(t::ADMIN) {
            u.traits = (u.traits | t::OFFICE) & !(t::VPN | t::HYBRID);
            u.site = 0;
            u.managed = true;
        }
        let rules = t::VENDOR_RULE | t::ALERT_RULE | t::NEWSLETTER_RULE | t::INTERNAL_FORWARD;
        if u.traits & rules != 0 && !u.mac && r.chance(0.7) {
            u.traits |= t::RULE_RESTAMP;
        }
    }
    // Service mailboxes: the scanners sit in headquarters.
    for u in tn.users.iter_mut().filter(|u| u.has(t::SERVICE_MAILBOX)) {
        u.traits |= t::OFFICE;
        u.site = 0;
    }
}
