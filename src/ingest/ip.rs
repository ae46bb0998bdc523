//! Client address parsing (input-formats.md §2.6): every spelling the exports use.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A client address field, split into address and port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientAddr {
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
    /// The field's text when it held no IP address (`localhost`, a host name).
    pub host: Option<String>,
}

/// Parses `203.0.113.7`, `203.0.113.7:50412`, `2001:db8::1`, `[2001:db8::1]:443`,
/// `::ffff:203.0.113.7` (mapped to IPv4), `[10.1.2.3]`, host names with or without a port.
/// Empty and `null`-like values give the default (nothing).
pub fn parse_client_addr(raw: &str) -> ClientAddr {
    let s = raw.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("null") || s == "-" {
        return ClientAddr::default();
    }
    let (addr, port) = if let Some(rest) = s.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inside, after)) => (inside, after.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (rest, None),
        }
    } else if s.matches(':').count() == 1 {
        // One colon: `v4:port` or `host:port`; a bare IPv6 address always has at least two.
        let (left, right) = s.split_once(':').unwrap_or((s, ""));
        (left, right.parse().ok())
    } else {
        (s, None)
    };
    match parse_ip(addr) {
        Some(ip) => ClientAddr {
            ip: Some(ip),
            port,
            host: None,
        },
        None => ClientAddr {
            ip: None,
            port,
            host: Some(addr.to_string()),
        },
    }
}

/// An IP address, with IPv4-mapped IPv6 turned into IPv4 so one client has one spelling.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    // A zone index (`fe80::1%12`) is not part of the address.
    let s = s.split('%').next().unwrap_or(s);
    match s.parse::<IpAddr>().ok()? {
        IpAddr::V6(v6) => Some(canonical_v6(v6)),
        v4 => Some(v4),
    }
}

fn canonical_v6(v6: Ipv6Addr) -> IpAddr {
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

/// True for loopback, private, link-local and similar addresses that say nothing about where a
/// client really was (Exchange front ends, proxies).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4 == Ipv4Addr::BROADCAST
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn every_client_ip_spelling() {
        type Case<'a> = (&'a str, Option<IpAddr>, Option<u16>, Option<&'a str>);
        let cases: &[Case] = &[
            ("203.0.113.77", ip("203.0.113.77"), None, None),
            ("203.0.113.77:50412", ip("203.0.113.77"), Some(50412), None),
            ("2001:db8:4f::17", ip("2001:db8:4f::17"), None, None),
            (
                "[2001:db8:4f::17]:53462",
                ip("2001:db8:4f::17"),
                Some(53462),
                None,
            ),
            ("[2001:db8::abcd]", ip("2001:db8::abcd"), None, None),
            ("::ffff:203.0.113.77", ip("203.0.113.77"), None, None),
            (
                "[::ffff:10.11.12.13]:12345",
                ip("10.11.12.13"),
                Some(12345),
                None,
            ),
            ("[10.11.12.13]:12345", ip("10.11.12.13"), Some(12345), None),
            ("[10.11.12.13]", ip("10.11.12.13"), None, None),
            (" 198.51.100.23 ", ip("198.51.100.23"), None, None),
            ("localhost", None, None, Some("localhost")),
            ("localhost:12345", None, Some(12345), Some("localhost")),
            ("[localhost]:12345", None, Some(12345), Some("localhost")),
            ("", None, None, None),
            ("null", None, None, None),
        ];
        for (raw, want_ip, want_port, want_host) in cases {
            let got = parse_client_addr(raw);
            assert_eq!(got.ip, *want_ip, "{raw}");
            assert_eq!(got.port, *want_port, "{raw}");
            assert_eq!(got.host.as_deref(), *want_host, "{raw}");
        }
    }

    #[test]
    fn internal_ranges() {
        assert!(is_internal("10.1.2.3".parse().unwrap()));
        assert!(is_internal("fd00::1".parse().unwrap()));
        assert!(!is_internal("203.0.113.7".parse().unwrap()));
    }
}
