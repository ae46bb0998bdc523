//! `--geoip`: user-supplied MaxMind DB files locate the addresses the logs do not. The databases
//! here are written by a minimal MaxMind DB writer below (the format is public: a binary search
//! tree over address bits, a data section of typed values, and a metadata map).

use assert_cmd::Command;
use serde_json::Value;

/// A value in the MaxMind DB data format.
enum V {
    Str(&'static str),
    Double(f64),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(&'static str, V)>),
    Array(Vec<V>),
}

fn control(kind: u8, size: usize, out: &mut Vec<u8>) {
    assert!(size < 285);
    let (bits, extra) = if size < 29 {
        (size as u8, None)
    } else {
        (29, Some((size - 29) as u8))
    };
    if kind <= 7 {
        out.push((kind << 5) | bits);
    } else {
        out.push(bits);
        out.push(kind - 7);
    }
    out.extend(extra);
}

fn encode(v: &V, out: &mut Vec<u8>) {
    let uint = |kind: u8, bytes: &[u8], out: &mut Vec<u8>| {
        let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        control(kind, trimmed.len(), out);
        out.extend(trimmed);
    };
    match v {
        V::Str(s) => {
            control(2, s.len(), out);
            out.extend(s.as_bytes());
        }
        V::Double(f) => {
            control(3, 8, out);
            out.extend(f.to_be_bytes());
        }
        V::U16(n) => uint(5, &n.to_be_bytes(), out),
        V::U32(n) => uint(6, &n.to_be_bytes(), out),
        V::U64(n) => uint(9, &n.to_be_bytes(), out),
        V::Map(entries) => {
            control(7, entries.len(), out);
            for (k, v) in entries {
                encode(&V::Str(k), out);
                encode(v, out);
            }
        }
        V::Array(items) => {
            control(11, items.len(), out);
            for v in items {
                encode(v, out);
            }
        }
    }
}

/// An IPv4 database mapping /24 networks to records.
fn database(kind: &'static str, networks: &[([u8; 3], V)]) -> Vec<u8> {
    // Data section: one record per network.
    let mut data = Vec::new();
    let mut offsets = Vec::new();
    for (_, record) in networks {
        offsets.push(data.len());
        encode(record, &mut data);
    }
    // Tree: nodes hold two records; `None` = no data, `Some(Ok(node))` = child,
    // `Some(Err(offset))` = data.
    let mut nodes: Vec<[Option<Result<usize, usize>>; 2]> = vec![[None, None]];
    for (i, (prefix, _)) in networks.iter().enumerate() {
        let mut node = 0;
        for bit in 0..24 {
            let side = ((prefix[bit / 8] >> (7 - bit % 8)) & 1) as usize;
            if bit == 23 {
                nodes[node][side] = Some(Err(offsets[i]));
            } else {
                node = match nodes[node][side] {
                    Some(Ok(next)) => next,
                    _ => {
                        nodes.push([None, None]);
                        let next = nodes.len() - 1;
                        nodes[node][side] = Some(Ok(next));
                        next
                    }
                };
            }
        }
    }
    let count = nodes.len();
    let mut out = Vec::new();
    for n in &nodes {
        for record in n {
            let value = match record {
                None => count,
                Some(Ok(next)) => *next,
                Some(Err(offset)) => count + 16 + offset,
            } as u32;
            out.extend(&value.to_be_bytes()[1..]);
        }
    }
    out.extend([0u8; 16]);
    out.extend(data);
    out.extend(b"\xAB\xCD\xEFMaxMind.com");
    encode(
        &V::Map(vec![
            ("node_count", V::U32(count as u32)),
            ("record_size", V::U16(24)),
            ("ip_version", V::U16(4)),
            ("database_type", V::Str(kind)),
            ("languages", V::Array(vec![V::Str("en")])),
            ("binary_format_major_version", V::U16(2)),
            ("binary_format_minor_version", V::U16(0)),
            ("build_epoch", V::U64(1_740_787_200)),
            (
                "description",
                V::Map(vec![("en", V::Str("uala test database"))]),
            ),
        ]),
        &mut out,
    );
    out
}

fn city(iso: &'static str, name: &'static str, lat: f64, lon: f64) -> V {
    V::Map(vec![
        ("country", V::Map(vec![("iso_code", V::Str(iso))])),
        (
            "city",
            V::Map(vec![("names", V::Map(vec![("en", V::Str(name))]))]),
        ),
        (
            "location",
            V::Map(vec![
                ("latitude", V::Double(lat)),
                ("longitude", V::Double(lon)),
            ]),
        ),
    ])
}

/// An audit log with logons only (no sign-in logs, so no locations): five days from the office,
/// then one from elsewhere.
fn evidence(dir: &std::path::Path) {
    let mut lines = String::new();
    for (i, (day, ip)) in [
        (1, "198.51.100.10"),
        (2, "198.51.100.10"),
        (3, "198.51.100.10"),
        (4, "198.51.100.10"),
        (5, "198.51.100.10"),
        (6, "203.0.113.77"),
    ]
    .iter()
    .enumerate()
    {
        lines.push_str(&format!(
            "{{\"CreationTime\":\"2025-03-0{day}T09:00:00\",\"Id\":\"00000000-0000-0000-0000-00000000000{i}\",\"Operation\":\"UserLoggedIn\",\"RecordType\":15,\"ResultStatus\":\"Success\",\"UserId\":\"megan.bowen@contoso.com\",\"ClientIP\":\"{ip}\",\"ErrorNumber\":\"0\",\"Workload\":\"AzureActiveDirectory\"}}\n"
        ));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ual.jsonl"), lines).unwrap();
}

fn run(args: &[&std::ffi::OsStr]) -> Value {
    let out = Command::cargo_bin("uala")
        .unwrap()
        .env("SOURCE_DATE_EPOCH", "1")
        .args(args)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn geoip_databases_locate_audit_log_addresses() {
    let tmp = tempfile::tempdir().unwrap();
    let evidence_dir = tmp.path().join("evidence");
    evidence(&evidence_dir);
    let city_db = tmp.path().join("City.mmdb");
    std::fs::write(
        &city_db,
        database(
            "GeoLite2-City",
            &[
                ([198, 51, 100], city("US", "Seattle", 47.61, -122.33)),
                ([203, 0, 113], city("NG", "Lagos", 6.45, 3.39)),
            ],
        ),
    )
    .unwrap();
    let asn_db = tmp.path().join("ASN.mmdb");
    std::fs::write(
        &asn_db,
        database(
            "GeoLite2-ASN",
            &[(
                [203, 0, 113],
                V::Map(vec![
                    ("autonomous_system_number", V::U32(64510)),
                    ("autonomous_system_organization", V::Str("Example Hosting")),
                ]),
            )],
        ),
    )
    .unwrap();

    let without = run(&[
        "analyze".as_ref(),
        evidence_dir.as_os_str(),
        "--json".as_ref(),
        "-".as_ref(),
        "-q".as_ref(),
    ]);
    assert!(
        !without["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "signin.new-country")
    );
    assert!(without.get("geoip").is_none());

    let with = run(&[
        "analyze".as_ref(),
        evidence_dir.as_os_str(),
        "--json".as_ref(),
        "-".as_ref(),
        "-q".as_ref(),
        "--geoip".as_ref(),
        city_db.as_os_str(),
        "--geoip".as_ref(),
        asn_db.as_os_str(),
    ]);
    let new_country: Vec<&Value> = with["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "signin.new-country")
        .collect();
    // The first-ever sign-in has no baseline (low); Lagos after five days in Seattle is news.
    assert!(
        new_country
            .iter()
            .any(|f| f["severity"] == "medium"
                && f["summary"].as_str().unwrap().contains("Lagos, NG")),
        "{with:#}"
    );
    let dbs = with["geoip"].as_array().unwrap();
    assert_eq!(dbs.len(), 2);
    assert_eq!(dbs[0]["database_type"], "GeoLite2-City");
    assert_eq!(dbs[0]["sha256"].as_str().unwrap().len(), 64);

    // A file that is not a database is a usage error, not a silent skip.
    let bad = tmp.path().join("bad.mmdb");
    std::fs::write(&bad, b"not a database").unwrap();
    Command::cargo_bin("uala")
        .unwrap()
        .arg("analyze")
        .arg(&evidence_dir)
        .arg("--geoip")
        .arg(&bad)
        .assert()
        .code(2);
}
