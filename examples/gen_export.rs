//! # gen_export — synthetic Microsoft 365 BEC evidence, large and fast
//!
//! Writes a realistic Microsoft 365 tenant export with planted business-email-compromise
//! (BEC) intrusions and the ground truth needed to score `uala` against it. It is a
//! standalone example: it does **not** use the `uala` library, only std, `clap`,
//! `serde_json` (for `truth.json`) and its own seeded PRNG (splitmix64), so the same
//! arguments always give byte-identical files.
//!
//! ```text
//! cargo run --release --example gen_export -- --out <DIR> [--size 1GiB|200MB|...]
//!     [--seed 7] [--users 500] [--tenant contoso] [--layout purview|export-csv]
//!     [--signins-ratio 0.15] [--start 2025-03-01] [--days 30] [--compromises N]
//!     [--line-ending crlf|lf] [--bom] [--force]
//! ```
//!
//! `--size` accepts `1GiB`, `512MiB`, `200MB`, `5G`, `10k`, or plain bytes (`K`/`M`/`G`
//! without `B` are binary). `DIR` must be missing or empty unless `--force` is given (then
//! only the three files below are overwritten). Files written to `DIR`:
//!
//! * `ual.csv` — Unified Audit Log, about `(1 - signins-ratio) * size` bytes.
//!   * `--layout purview` (default): Purview portal "new search" layout, header
//!     `RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames`,
//!     `CreationDate` as `"2025-03-04T10:15:30.0000000Z "` (quoted, trailing space),
//!     integer RecordType, only needed fields quoted.
//!   * `--layout export-csv`: `Search-UnifiedAuditLog | Export-Csv -NoTypeInformation`,
//!     every field quoted, RecordType enum name, `CreationDate` as `3/4/2025 10:21:07 AM`,
//!     `ResultIndex`/`ResultCount` per simulated search session (1,000–5,000 rows each).
//!   * AuditData is JSON text (quotes doubled per RFC 4180), `CreationTime` without zone.
//!     Mix by count: MailItemsAccessed ~35 % (Bind with `Folders[].FolderItems[]`, and
//!     Sync), UserLoggedIn/UserLoginFailed ~25 %, SharePoint FileAccessed/FileDownloaded/
//!     FileModified ~20 %, Send ~5 %, Update/MoveToDeletedItems/SoftDelete ~5 %, Exchange
//!     cmdlets by `NT AUTHORITY\SYSTEM (Microsoft.Exchange.Servicehost)` ~5 %,
//!     AzureActiveDirectory directory operations ~5 %, plus a few users' benign
//!     `New-InboxRule` and an admin's internal `Set-Mailbox` forwarding.
//!     `ClientIP` is spelled `v4`, `v4:port` or `[v6]:port` depending on the workload.
//! * `signins.jsonl` — Entra sign-ins, one Graph beta `signIn` object per line
//!   (camelCase, `createdDateTime` with `Z`), interactive and non-interactive mixed,
//!   about `signins-ratio * size` bytes. `--signins-ratio 0` skips the file.
//! * `truth.json` — what was planted (see below), the benign look-alikes, and totals
//!   (records and bytes per file).
//!
//! Time spans `--days` (30) days from `--start`, with a business-hours/weekday profile.
//! Records are roughly in time order per file but shuffled within a few minutes, as real
//! exports are not sorted. IPs are fictional: benign users use 198.18.0.0/15 and
//! 2001:db8:1xx/2xx::, attackers use 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and
//! 2001:db8:bad::; ASNs are private-use numbers. Each user has a home country, a home
//! IP and a phone IP; most also sit behind an office egress IP shared by their site.
//! Every IP a benign user shows in mailbox/SharePoint activity was seen for that user in
//! `signins.jsonl` (a sign-in is emitted first if needed), so the only mailbox access from
//! a never-signed-in IP is the attacker's. Benign credential failures (50126, 50055) come
//! only from a user's personal IPs, never from shared office egress; benign interrupts
//! (50140 "keep me signed in", 50074 MFA required) can come from any IP.
//!
//! ## Planted compromises (≈ 1 per 100 users, at least 1; `--compromises` overrides)
//!
//! For each victim, between 25 % and 85 % into the time span (so there is a baseline):
//! 1. **Password spray** from one attacker IP against 10–20 real accounts plus a few
//!    non-existent names (50126 / 50034 failures, two rounds) in `signins.jsonl` and as
//!    UAL `UserLoginFailed`; in round two the victim's attempt **succeeds**.
//! 2. **Sign-in from a new country** (another attacker IP, never the victim's home
//!    country), an interactive `OfficeHome` sign-in plus non-interactive token refreshes.
//! 3. **`New-InboxRule`** from that IP with a punctuation-only name (`.`, `..`, `,` …),
//!    either forwarding (`ForwardTo`) to an external address, or moving to a hiding folder
//!    (`RSS Feeds`, `RSS Subscriptions`, `Conversation History`, `Archive`) with
//!    `MarkAsRead`, usually with finance keywords.
//! 4. **`Set-Mailbox -ForwardingSmtpAddress smtp:<external>`** by the victim from that IP
//!    (the first and last compromise share the destination when there are two or more).
//! 5. A fraud **`Send`** ("updated banking details" style) then `MoveToDeletedItems` and
//!    `SoftDelete` of the sent copy; some compromises also register an MFA method
//!    (`Update user.` with `StrongAuthenticationPhoneAppDetail`).
//! 6. **`MailItemsAccessed`** (Bind and Sync, via REST) from a third IP that never appears
//!    in any sign-in (token replay), over the following hours to days.
//! 7. Often, containment by the admin: `Reset user password.`,
//!    `Update StsRefreshTokenValidFrom Timestamp.`, `Remove-InboxRule`, and `Set-Mailbox`
//!    clearing the forwarding (empty value).
//!
//! `truth.json` lists for each compromise the account, attacker IPs by role, spray
//! targets, first/last attacker event, containment time, the rule ids from design.md §4
//! that must fire (`rules`) and those that may legitimately also fire (`may_fire`).

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, ValueEnum};
use serde_json::json;

// ───────────────────────────── CLI ─────────────────────────────

#[derive(Parser, Debug)]
#[command(
    about = "Generate a synthetic Microsoft 365 BEC export (UAL CSV + sign-ins JSONL + truth.json)"
)]
struct Args {
    /// Output directory (must be missing or empty unless --force).
    #[arg(long)]
    out: PathBuf,
    /// Total size target: 1GiB, 200MB, 512M, 100000 …
    #[arg(long, default_value = "100MiB")]
    size: String,
    /// PRNG seed; same seed and arguments give byte-identical output.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Number of user accounts in the tenant.
    #[arg(long, default_value_t = 500)]
    users: usize,
    /// Tenant short name: <tenant>.com, <tenant>.onmicrosoft.com.
    #[arg(long, default_value = "contoso")]
    tenant: String,
    /// UAL CSV layout.
    #[arg(long, value_enum, default_value_t = Layout::Purview)]
    layout: Layout,
    /// Share of --size spent on signins.jsonl (0 disables the file).
    #[arg(long, default_value_t = 0.15)]
    signins_ratio: f64,
    /// First day (UTC) of the exported period, YYYY-MM-DD.
    #[arg(long, default_value = "2025-03-01")]
    start: String,
    /// Length of the exported period in days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Number of planted compromises (default: users / 100, at least 1).
    #[arg(long)]
    compromises: Option<usize>,
    /// Line ending of ual.csv (signins.jsonl always uses LF).
    #[arg(long, value_enum, default_value_t = Eol::Crlf)]
    line_ending: Eol,
    /// Start ual.csv with a UTF-8 byte-order mark.
    #[arg(long)]
    bom: bool,
    /// Write into a non-empty DIR (overwrites ual.csv, signins.jsonl, truth.json).
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Layout {
    Purview,
    ExportCsv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Eol {
    Crlf,
    Lf,
}

fn fatal(msg: impl std::fmt::Display) -> ! {
    eprintln!("gen_export: {msg}");
    std::process::exit(2)
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1e3,
        "m" | "mib" => 1024.0 * 1024.0,
        "mb" => 1e6,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "gb" => 1e9,
        "t" | "tib" => 1024f64.powi(4),
        "tb" => 1e12,
        _ => return None,
    };
    Some((n * mult) as u64)
}

// ───────────────────────────── PRNG ─────────────────────────────

/// splitmix64: tiny, fast, good enough for test data, and fully deterministic.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    #[inline]
    fn idx(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }
    /// Inclusive range.
    #[inline]
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    #[inline]
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    #[inline]
    fn pick<'a, T>(&mut self, s: &'a [T]) -> &'a T {
        &s[self.idx(s.len())]
    }
    fn guid(&mut self) -> u128 {
        let g = ((self.next() as u128) << 64) | self.next() as u128;
        let g = (g & !(0xFu128 << 76)) | (0x4u128 << 76);
        (g & !(0xCu128 << 60)) | (0x8u128 << 60)
    }
    fn weighted(&mut self, w: &[u32]) -> usize {
        let total: u32 = w.iter().sum();
        let mut x = self.below(total as u64) as u32;
        for (i, &wi) in w.iter().enumerate() {
            if x < wi {
                return i;
            }
            x -= wi;
        }
        w.len() - 1
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.idx(i + 1);
            v.swap(i, j);
        }
    }
}

/// A GUID derived deterministically from `x` and `salt` (valid v4 layout).
fn derive_guid(x: u128, salt: u64) -> u128 {
    let mut r = Rng(mix(x as u64 ^ (x >> 64) as u64, salt));
    r.guid()
}

fn mix(a: u64, b: u64) -> u64 {
    let mut r = Rng(a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b);
    r.next()
}

// ───────────────────────────── formatting helpers ─────────────────────────────

const HEX: &[u8; 16] = b"0123456789abcdef";
const HEXU: &[u8; 16] = b"0123456789ABCDEF";
const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn w_guid(b: &mut String, g: u128) {
    let mut buf = [0u8; 36];
    let mut j = 0;
    for i in 0..32 {
        if i == 8 || i == 12 || i == 16 || i == 20 {
            buf[j] = b'-';
            j += 1;
        }
        buf[j] = HEX[((g >> (124 - 4 * i)) & 0xf) as usize];
        j += 1;
    }
    b.push_str(std::str::from_utf8(&buf).unwrap());
}

fn guid_s(g: u128) -> String {
    let mut s = String::with_capacity(36);
    w_guid(&mut s, g);
    s
}

fn w_hex(b: &mut String, mut x: u64, n: usize, upper: bool) {
    let t = if upper { HEXU } else { HEX };
    let mut buf = [0u8; 16];
    for i in (0..n).rev() {
        buf[i] = t[(x & 0xf) as usize];
        x >>= 4;
    }
    b.push_str(std::str::from_utf8(&buf[..n]).unwrap());
}

fn w_rand_chars(b: &mut String, r: &mut Rng, n: usize, alpha: &[u8; 64]) {
    let mut left = 0;
    let mut x = 0u64;
    let mut buf = [0u8; 128];
    for slot in buf.iter_mut().take(n) {
        if left == 0 {
            x = r.next();
            left = 10;
        }
        *slot = alpha[(x & 63) as usize];
        x >>= 6;
        left -= 1;
    }
    b.push_str(std::str::from_utf8(&buf[..n]).unwrap());
}

/// JSON string body escaping (no surrounding quotes).
fn esc_inner(b: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let rep: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => {
                b.push_str(&s[start..i]);
                let _ = write!(b, "\\u{:04x}", c);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        b.push_str(&s[start..i]);
        b.push_str(rep);
        start = i + 1;
    }
    b.push_str(&s[start..]);
}

#[inline]
fn esc(b: &mut String, s: &str) {
    b.push('"');
    esc_inner(b, s);
    b.push('"');
}
#[inline]
fn key(b: &mut String, k: &str) {
    b.push_str(",\"");
    b.push_str(k);
    b.push_str("\":");
}
#[inline]
fn ks(b: &mut String, k: &str, v: &str) {
    key(b, k);
    esc(b, v);
}
#[inline]
fn kraw(b: &mut String, k: &str, raw: &str) {
    key(b, k);
    b.push_str(raw);
}
#[inline]
fn kn(b: &mut String, k: &str, n: i64) {
    key(b, k);
    let _ = write!(b, "{n}");
}
#[inline]
fn kb(b: &mut String, k: &str, v: bool) {
    key(b, k);
    b.push_str(if v { "true" } else { "false" });
}
#[inline]
fn kg(b: &mut String, k: &str, g: u128) {
    key(b, k);
    b.push('"');
    w_guid(b, g);
    b.push('"');
}
/// `{"Name":n,"Value":v}` list.
fn name_values(b: &mut String, k: &str, nv: &[(&str, &str)]) {
    key(b, k);
    b.push('[');
    for (i, (n, v)) in nv.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"Name\":");
        esc(b, n);
        b.push_str(",\"Value\":");
        esc(b, v);
        b.push('}');
    }
    b.push(']');
}

// ───────────────────────────── time ─────────────────────────────

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Dt {
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
}

#[inline]
fn dt(t: i64) -> Dt {
    let days = t.div_euclid(86_400);
    let sec = t.rem_euclid(86_400) as u32;
    let (y, mo, d) = civil_from_days(days);
    Dt {
        y,
        mo,
        d,
        h: sec / 3600,
        mi: sec / 60 % 60,
        s: sec % 60,
    }
}

fn push2(b: &mut String, v: u32) {
    b.push((b'0' + (v / 10) as u8) as char);
    b.push((b'0' + (v % 10) as u8) as char);
}

/// `2025-03-04T10:15:30` (AuditData.CreationTime form, no zone).
fn w_iso(b: &mut String, t: i64) {
    let x = dt(t);
    let _ = write!(b, "{:04}-", x.y);
    push2(b, x.mo);
    b.push('-');
    push2(b, x.d);
    b.push('T');
    push2(b, x.h);
    b.push(':');
    push2(b, x.mi);
    b.push(':');
    push2(b, x.s);
}

fn iso_z(t: i64) -> String {
    let mut s = String::with_capacity(20);
    w_iso(&mut s, t);
    s.push('Z');
    s
}

/// `3/4/2025 10:21:07 AM` (en-US Export-Csv DateTime).
fn w_us(b: &mut String, t: i64) {
    let x = dt(t);
    let (h12, ampm) = match x.h {
        0 => (12, "AM"),
        1..=11 => (x.h, "AM"),
        12 => (12, "PM"),
        _ => (x.h - 12, "PM"),
    };
    let _ = write!(b, "{}/{}/{} {}:", x.mo, x.d, x.y, h12);
    push2(b, x.mi);
    b.push(':');
    push2(b, x.s);
    b.push(' ');
    b.push_str(ampm);
}

// ───────────────────────────── IPs ─────────────────────────────

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ip {
    V4(u32),
    V6([u16; 8]),
}

impl Ip {
    fn is_v6(&self) -> bool {
        matches!(self, Ip::V6(_))
    }
}

fn w_ip(b: &mut String, ip: Ip) {
    match ip {
        Ip::V4(a) => {
            let _ = write!(
                b,
                "{}.{}.{}.{}",
                a >> 24,
                (a >> 16) & 255,
                (a >> 8) & 255,
                a & 255
            );
        }
        Ip::V6(seg) => {
            // RFC 5952: compress the longest run (>= 2) of zero groups, lowercase hex.
            let (mut best_s, mut best_l) = (8usize, 0usize);
            let mut i = 0;
            while i < 8 {
                if seg[i] == 0 {
                    let s = i;
                    while i < 8 && seg[i] == 0 {
                        i += 1;
                    }
                    if i - s > best_l {
                        best_s = s;
                        best_l = i - s;
                    }
                } else {
                    i += 1;
                }
            }
            if best_l < 2 {
                best_s = 8;
                best_l = 0;
            }
            let mut i = 0;
            while i < 8 {
                if i == best_s {
                    b.push_str("::");
                    i += best_l;
                    continue;
                }
                if i > 0 && i != best_s + best_l {
                    b.push(':');
                }
                let _ = write!(b, "{:x}", seg[i]);
                i += 1;
            }
        }
    }
}

fn ip_s(ip: Ip) -> String {
    let mut s = String::new();
    w_ip(&mut s, ip);
    s
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum IpStyle {
    /// `203.0.113.7` / `2001:db8::1`
    Bare,
    /// `203.0.113.7:50412` / `[2001:db8::1]:50412`
    Port,
    /// key absent
    Absent,
}

fn client_ip(b: &mut String, k: &str, ip: Ip, style: IpStyle, port: u16) {
    match style {
        IpStyle::Absent => {}
        IpStyle::Bare => {
            key(b, k);
            b.push('"');
            w_ip(b, ip);
            b.push('"');
        }
        IpStyle::Port => {
            key(b, k);
            b.push('"');
            if ip.is_v6() {
                b.push('[');
                w_ip(b, ip);
                b.push(']');
            } else {
                w_ip(b, ip);
            }
            let _ = write!(b, ":{port}\"");
        }
    }
}

// ───────────────────────────── static tables ─────────────────────────────

struct Country {
    code: &'static str,
    cities: &'static [(&'static str, &'static str, f64, f64)],
}

const BENIGN: [Country; 8] = [
    Country {
        code: "US",
        cities: &[
            ("New York", "New York", 40.71, -74.01),
            ("Chicago", "Illinois", 41.88, -87.63),
            ("Austin", "Texas", 30.27, -97.74),
            ("Seattle", "Washington", 47.61, -122.33),
            ("Newark", "New Jersey", 40.74, -74.17),
        ],
    },
    Country {
        code: "GB",
        cities: &[
            ("London", "England", 51.51, -0.13),
            ("Manchester", "England", 53.48, -2.24),
            ("Leeds", "England", 53.80, -1.55),
            ("Reading", "England", 51.45, -0.97),
        ],
    },
    Country {
        code: "DE",
        cities: &[
            ("Frankfurt am Main", "Hessen", 50.11, 8.68),
            ("Berlin", "Berlin", 52.52, 13.40),
            ("München", "Bayern", 48.14, 11.58),
            ("Köln", "Nordrhein-Westfalen", 50.94, 6.96),
        ],
    },
    Country {
        code: "NL",
        cities: &[
            ("Amsterdam", "Noord-Holland", 52.37, 4.89),
            ("Rotterdam", "Zuid-Holland", 51.92, 4.48),
            ("Utrecht", "Utrecht", 52.09, 5.12),
        ],
    },
    Country {
        code: "FR",
        cities: &[
            ("Paris", "Paris", 48.86, 2.35),
            ("Lyon", "Auvergne-Rhône-Alpes", 45.76, 4.84),
        ],
    },
    Country {
        code: "IE",
        cities: &[
            ("Dublin", "Dublin", 53.35, -6.26),
            ("Cork", "Cork", 51.90, -8.47),
        ],
    },
    Country {
        code: "CA",
        cities: &[
            ("Toronto", "Ontario", 43.65, -79.38),
            ("Montréal", "Quebec", 45.50, -73.57),
        ],
    },
    Country {
        code: "ES",
        cities: &[
            ("Madrid", "Madrid", 40.42, -3.70),
            ("Barcelona", "Catalunya", 41.39, 2.17),
        ],
    },
];

const ATTACK: [Country; 12] = [
    Country {
        code: "NG",
        cities: &[("Lagos", "Lagos", 6.45, 3.39)],
    },
    Country {
        code: "RU",
        cities: &[("Moscow", "Moscow", 55.76, 37.62)],
    },
    Country {
        code: "VN",
        cities: &[("Ho Chi Minh City", "Ho Chi Minh", 10.82, 106.63)],
    },
    Country {
        code: "BR",
        cities: &[("São Paulo", "São Paulo", -23.55, -46.63)],
    },
    Country {
        code: "RO",
        cities: &[("Bucharest", "Bucuresti", 44.43, 26.10)],
    },
    Country {
        code: "ID",
        cities: &[("Jakarta", "Jakarta", -6.21, 106.85)],
    },
    Country {
        code: "TR",
        cities: &[("Istanbul", "Istanbul", 41.01, 28.98)],
    },
    Country {
        code: "ZA",
        cities: &[("Johannesburg", "Gauteng", -26.20, 28.05)],
    },
    Country {
        code: "IN",
        cities: &[("Mumbai", "Maharashtra", 19.08, 72.88)],
    },
    Country {
        code: "PH",
        cities: &[("Manila", "Metro Manila", 14.60, 120.98)],
    },
    Country {
        code: "US",
        cities: &[("Ashburn", "Virginia", 39.04, -77.49)],
    },
    Country {
        code: "NL",
        cities: &[("Amsterdam", "Noord-Holland", 52.37, 4.89)],
    },
];

/// (site name, BENIGN country index, city index, share of users in %)
const SITES: [(&str, usize, usize, u32); 5] = [
    ("New York HQ", 0, 0, 30),
    ("Chicago", 0, 1, 20),
    ("London", 1, 0, 20),
    ("Frankfurt", 2, 0, 15),
    ("Amsterdam", 3, 0, 5),
];
/// Remote-only users (10 %) live in one of these BENIGN countries.
const REMOTE_COUNTRIES: [usize; 6] = [4, 5, 6, 7, 0, 1];

const FIRST: [(&str, &str); 40] = [
    ("Megan", "megan"),
    ("James", "james"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Siobhán", "siobhan"),
    ("Łukasz", "lukasz"),
    ("Anna", "anna"),
    ("Mohammed", "mohammed"),
    ("Priya", "priya"),
    ("Wei", "wei"),
    ("Olivia", "olivia"),
    ("Lars", "lars"),
    ("Chloé", "chloe"),
    ("Jürgen", "juergen"),
    ("Aisha", "aisha"),
    ("Noah", "noah"),
    ("Emma", "emma"),
    ("Liam", "liam"),
    ("Sofía", "sofia"),
    ("Mateo", "mateo"),
    ("Hannah", "hannah"),
    ("Yuki", "yuki"),
    ("Fatima", "fatima"),
    ("Daniel", "daniel"),
    ("Grace", "grace"),
    ("Oliver", "oliver"),
    ("Isabella", "isabella"),
    ("Ethan", "ethan"),
    ("Mia", "mia"),
    ("Lucas", "lucas"),
    ("Amelia", "amelia"),
    ("Henrik", "henrik"),
    ("Ingrid", "ingrid"),
    ("Rajesh", "rajesh"),
    ("Camille", "camille"),
    ("Pieter", "pieter"),
    ("Niamh", "niamh"),
    ("Tomás", "tomas"),
    ("Alex", "alex"),
    ("Debra", "debra"),
];
const LAST: [(&str, &str); 40] = [
    ("Bowen", "bowen"),
    ("Smith", "smith"),
    ("O'Brien", "obrien"),
    ("Müller", "mueller"),
    ("García", "garcia"),
    ("Nowak", "nowak"),
    ("Johnson", "johnson"),
    ("Khan", "khan"),
    ("Patel", "patel"),
    ("Chen", "chen"),
    ("Williams", "williams"),
    ("Andersen", "andersen"),
    ("Dubois", "dubois"),
    ("Schmidt", "schmidt"),
    ("Okafor", "okafor"),
    ("Brown", "brown"),
    ("de Vries", "devries"),
    ("van den Berg", "vandenberg"),
    ("Rossi", "rossi"),
    ("Kowalski", "kowalski"),
    ("Nakamura", "nakamura"),
    ("Haddad", "haddad"),
    ("Murphy", "murphy"),
    ("Fernández", "fernandez"),
    ("Larsen", "larsen"),
    ("Jones", "jones"),
    ("Taylor", "taylor"),
    ("Wilson", "wilson"),
    ("Martin", "martin"),
    ("Lefèvre", "lefevre"),
    ("Byrne", "byrne"),
    ("Novák", "novak"),
    ("Singh", "singh"),
    ("Kim", "kim"),
    ("Nguyen", "nguyen"),
    ("Silva", "silva"),
    ("Walsh", "walsh"),
    ("Bergström", "bergstrom"),
    ("Ivanova", "ivanova"),
    ("Clarke", "clarke"),
];

struct App {
    id: &'static str,
    name: &'static str,
    res_id: &'static str,
    res_name: &'static str,
    client_app: &'static str,
    browser: bool,
}

const EXO: &str = "00000002-0000-0ff1-ce00-000000000000";
const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
const APPS: [App; 9] = [
    App {
        id: "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        name: "Microsoft Office",
        res_id: EXO,
        res_name: "Office 365 Exchange Online",
        client_app: "Mobile Apps and Desktop clients",
        browser: false,
    },
    App {
        id: "4765445b-32c6-49b0-83e6-1d93765276ca",
        name: "OfficeHome",
        res_id: "4765445b-32c6-49b0-83e6-1d93765276ca",
        res_name: "OfficeHome",
        client_app: "Browser",
        browser: true,
    },
    App {
        id: "9199bf20-a13f-4107-85dc-02114787ef48",
        name: "One Outlook Web",
        res_id: EXO,
        res_name: "Office 365 Exchange Online",
        client_app: "Browser",
        browser: true,
    },
    App {
        id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        name: "Microsoft Teams",
        res_id: "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
        res_name: "Microsoft Teams Services",
        client_app: "Mobile Apps and Desktop clients",
        browser: false,
    },
    App {
        id: "27922004-5251-4030-b22d-91ecd9a37ea4",
        name: "Outlook Mobile",
        res_id: EXO,
        res_name: "Office 365 Exchange Online",
        client_app: "Mobile Apps and Desktop clients",
        browser: false,
    },
    App {
        id: "ab9b8c07-8f02-4f72-87fa-80105867a763",
        name: "OneDrive SyncEngine",
        res_id: "00000003-0000-0ff1-ce00-000000000000",
        res_name: "Office 365 SharePoint Online",
        client_app: "Mobile Apps and Desktop clients",
        browser: false,
    },
    App {
        id: "38aa3b87-a06d-4817-b275-7a316988d93b",
        name: "Windows Sign In",
        res_id: "00000002-0000-0000-c000-000000000000",
        res_name: "Windows Azure Active Directory",
        client_app: "Mobile Apps and Desktop clients",
        browser: false,
    },
    App {
        id: "08e18876-6177-487e-b8b5-cf950c1e598c",
        name: "SharePoint Online Web Client Extensibility",
        res_id: GRAPH,
        res_name: "Microsoft Graph",
        client_app: "Browser",
        browser: true,
    },
    App {
        id: "ecd6b820-32c2-49b6-98a6-444530e5a77a",
        name: "Microsoft Edge",
        res_id: GRAPH,
        res_name: "Microsoft Graph",
        client_app: "Mobile Apps and Desktop clients",
        browser: false,
    },
];
const APP_OFFICE: usize = 0;
const APP_OFFICEHOME: usize = 1;
const APP_OWA: usize = 2;
const APP_OUTLOOK_MOBILE: usize = 4;
/// Apps used from desktops / from phones (indices into APPS) and their weights.
const DESK_APPS: [(usize, u32); 8] = [
    (0, 30),
    (1, 12),
    (2, 14),
    (3, 18),
    (5, 10),
    (6, 8),
    (7, 4),
    (8, 4),
];
const PHONE_APPS: [(usize, u32); 2] = [(4, 70), (3, 30)];

struct Dev {
    ua: &'static str,
    native_ua: &'static str,
    os: &'static str,
    browser: &'static str,
    dp_browser: &'static str,
    sp_platform: &'static str,
}

const DEVS: [Dev; 5] = [
    Dev {
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
        native_ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
        os: "Windows10",
        browser: "Chrome 122.0.0",
        dp_browser: "Chrome",
        sp_platform: "WinDesktop",
    },
    Dev {
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
        native_ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.22631",
        os: "Windows10",
        browser: "Edge 122.0.2365",
        dp_browser: "Edge",
        sp_platform: "WinDesktop",
    },
    Dev {
        ua: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
        native_ua: "Microsoft Office/16.0 (Macintosh; Mac OS X 14.3; Microsoft Outlook 16.82.24021116; Pro)",
        os: "MacOs",
        browser: "Safari 17.3",
        dp_browser: "Safari",
        sp_platform: "MacDesktop",
    },
    Dev {
        ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        native_ua: "Outlook-iOS/2.0",
        os: "Ios 17.3.1",
        browser: "Mobile Safari",
        dp_browser: "MobileSafari",
        sp_platform: "iOS",
    },
    Dev {
        ua: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.6261.105 Mobile Safari/537.36",
        native_ua: "Outlook-Android/2.0",
        os: "Android 14",
        browser: "Chrome Mobile 122.0.6261",
        dp_browser: "Chrome Mobile",
        sp_platform: "Android",
    },
];

const FOLDERS: [&str; 9] = [
    "\\Inbox",
    "\\Sent Items",
    "\\Drafts",
    "\\Archive",
    "\\Deleted Items",
    "\\Inbox\\Projects",
    "\\Inbox\\Vendors",
    "\\Junk Email",
    "\\Inbox\\Team",
];
const F_INBOX: usize = 0;
const F_SENT: usize = 1;
const F_DRAFTS: usize = 2;
const F_DELETED: usize = 4;
const FOLDER_W: [u32; 9] = [50, 12, 3, 10, 4, 8, 6, 2, 5];

const PARTNERS: [(&str, &str); 8] = [
    ("fabrikam.example", "Fabrikam"),
    ("northwind.example", "Northwind Traders"),
    ("adatum.example", "Adatum"),
    ("tailspintoys.example", "Tailspin Toys"),
    ("wingtiptoys.example", "Wingtip"),
    ("litware.example", "Litware"),
    ("proseware.example", "Proseware"),
    ("cohowinery.example", "Coho Winery"),
];
const PROJECTS: [&str; 8] = [
    "Atlas",
    "Phoenix",
    "Q3 close",
    "Orion",
    "Helios migration",
    "Budget 2025",
    "Kestrel",
    "ERP rollout",
];

const ATT_DOMAINS: [&str; 6] = [
    "mailbox-secure.example",
    "docs-archive.example",
    "outlook-relay.example",
    "protonmail.example",
    "gmx-mail.example",
    "finance-dept.example",
];
const RULE_NAMES: [&str; 8] = [".", "..", ",", "...", ".,", ";", "-", "_"];
const HIDE_FOLDERS: [&str; 4] = [
    "RSS Feeds",
    "RSS Subscriptions",
    "Conversation History",
    "Archive",
];
const FRAUD_KEYWORDS: [&str; 4] = [
    "invoice;payment;wire",
    "invoice;payment;remittance;bank details",
    "payment;transfer;IBAN;bank",
    "invoice;wire;ACH;account details",
];
const FRAUD_SUBJECTS: [&str; 4] = [
    "RE: Updated banking details",
    "Change of remittance account – urgent",
    "RE: Invoice payment instructions",
    "URGENT: wire transfer today",
];

const SP_FILES: [&str; 24] = [
    "Q3 Forecast v2.xlsx",
    "Board deck – March.pptx",
    "Invoice #4471, ACME.pdf",
    "Budget 2025 (final).xlsx",
    "Onboarding checklist.docx",
    "Vendor master list.xlsx",
    "Sales pipeline.xlsx",
    "Team offsite agenda.docx",
    "Contract - Fabrikam MSA.pdf",
    "Payroll summary Feb.xlsx",
    "Architecture overview.vsdx",
    "Release notes 4.2.md",
    "Expense policy.pdf",
    "Customer list \"EMEA\".csv",
    "Roadmap H2.pptx",
    "Meeting notes 2025-03-04.docx",
    "Logo_final_v3.png",
    "Übersicht Kosten.xlsx",
    "Rapport trimestriel.docx",
    "Project Atlas plan.mpp",
    "Security awareness.mp4",
    "IT asset inventory.xlsx",
    "NDA template.docx",
    "Price list 2025.xlsx",
];
const SP_SITES: [&str; 8] = [
    "Finance",
    "HR",
    "Sales",
    "Engineering",
    "Legal",
    "Marketing",
    "ProjectAtlas",
    "ITOps",
];

const SYSTEM_ID: &str = "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.Servicehost)";
const SYSTEM_KEY: &str = "NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)";

/// (errorCode, failureReason, UAL LogonError)
fn err_info(code: u32) -> (&'static str, &'static str) {
    match code {
        0 => ("Other.", ""),
        50140 => (
            "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
            "KmsiInterrupt",
        ),
        50074 => (
            "Strong Authentication is required.",
            "UserStrongAuthClientAuthNRequiredInterrupt",
        ),
        50126 => (
            "Error validating credentials due to invalid username or password.",
            "InvalidUserNameOrPassword",
        ),
        50034 => (
            "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.",
            "UserAccountNotFound",
        ),
        50055 => ("The password is expired.", "InvalidPasswordExpiredPassword"),
        70043 => (
            "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issueDate} and the maximum allowed lifetime for this request is {time}.",
            "BadTokenDueToSignInFrequency",
        ),
        50173 => (
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
            "FreshTokenNeeded",
        ),
        _ => ("Other.", "Other"),
    }
}

// ───────────────────────────── world ─────────────────────────────

const SLOTS: usize = 6; // 0..=3 office egress of the user's site, 4 home, 5 phone
const HOME: usize = 4;
const PHONE: usize = 5;

struct Site {
    country: usize,
    city: usize,
    ips: [Ip; 4],
    asn: u32,
}

struct User {
    upn: String,
    display: String,
    first_a: &'static str,
    last_a: &'static str,
    oid: u128,
    puid: String,
    mbx: u128,
    sid: String,
    country: usize,
    city: usize,
    site: Option<usize>,
    home: Ip,
    phone: Ip,
    desk: usize,
    mob: usize,
    device_id: u128,
    device_name: String,
    phone_device_id: u128,
    managed: bool,
    srv: String,
    cluster: &'static str,
    prod: &'static str,
    od_url: String,
    home_asn: u32,
}

struct World {
    domain: String,
    onms: String,
    org: u128,
    start: i64,
    end: i64,
    hour_cum: Vec<f64>,
    hour_w: Vec<f64>,
    users: Vec<User>,
    sites: Vec<Site>,
    user_cum: Vec<u64>,
    admin: usize,
    team_sites: Vec<(String, u128, u128)>,
    dirsync: String,
    dirsync_oid: u128,
    groups: Vec<(String, u128)>,
}

fn benign_v4(country: usize, off: u32) -> Ip {
    // 198.18.0.0/15, 16384 addresses per country.
    Ip::V4((198 << 24 | 18 << 16) + country as u32 * 16384 + off)
}

impl World {
    fn build(args: &Args, r: &mut Rng, start: i64) -> World {
        let t = args.tenant.to_ascii_lowercase();
        let domain = format!("{t}.com");
        let onms = format!("{t}.onmicrosoft.com");
        let org = r.guid();
        let end = start + args.days as i64 * 86_400;

        // Hourly activity profile (UTC): US+EU business hours, quiet nights and weekends.
        let hours = args.days as usize * 24;
        let mut hour_w = Vec::with_capacity(hours);
        let mut hour_cum = Vec::with_capacity(hours + 1);
        hour_cum.push(0.0);
        for h in 0..hours {
            let abs = start / 3600 + h as i64;
            let hod = abs.rem_euclid(24);
            let wd = (abs.div_euclid(24) + 3).rem_euclid(7); // 0 = Monday
            let mut wgt = match hod {
                7..=21 => 1.0,
                5 | 6 | 22 | 23 => 0.4,
                _ => 0.15,
            };
            if wd >= 5 {
                wgt *= 0.2;
            }
            hour_w.push(wgt);
            hour_cum.push(hour_cum[h] + wgt);
        }

        let mut sites = Vec::new();
        let mut per_country = [0u32; 8];
        for (i, &(_, c, city, _)) in SITES.iter().enumerate() {
            let local = per_country[c];
            per_country[c] += 1;
            let base = local * 256 + 11;
            sites.push(Site {
                country: c,
                city,
                ips: [
                    benign_v4(c, base),
                    benign_v4(c, base + 1),
                    benign_v4(c, base + 2),
                    Ip::V6([0x2001, 0xdb8, 0x100 + i as u16, 0x10, 0, 0, 0, 1]),
                ],
                asn: 4_200_000_100 + i as u32,
            });
        }

        let n = args.users.max(1);
        let mut users = Vec::with_capacity(n);
        let mut taken = std::collections::HashSet::new();
        let site_w: Vec<u32> = SITES.iter().map(|s| s.3).collect();
        for i in 0..n {
            let (fd, fa) = *r.pick(&FIRST);
            let (ld, la) = *r.pick(&LAST);
            let mut local = format!("{fa}.{la}");
            if i == 0 {
                local = "it.admin".into();
            }
            let mut k = 2;
            while !taken.insert(local.clone()) {
                local = format!("{fa}.{la}{k}");
                k += 1;
            }
            let upn = format!("{local}@{domain}");
            let display = if i == 0 {
                "IT Admin".to_string()
            } else if r.chance(0.1) {
                format!("{ld}, {fd}")
            } else {
                format!("{fd} {ld}")
            };
            let (site, country, city) = if i == 0 || r.chance(0.9) {
                let s = if i == 0 { 0 } else { r.weighted(&site_w) };
                (Some(s), SITES[s].1, SITES[s].2)
            } else {
                let c = *r.pick(&REMOTE_COUNTRIES);
                (None, c, r.idx(BENIGN[c].cities.len()))
            };
            let home = benign_v4(country, 1024 + r.below(15_360) as u32);
            let phone = if r.chance(0.5) {
                Ip::V6([
                    0x2001,
                    0xdb8,
                    0x200 + country as u16,
                    1 + r.below(0xfffe) as u16,
                    0,
                    0,
                    0,
                    1 + r.below(0xfffe) as u16,
                ])
            } else {
                benign_v4(country, 1024 + r.below(15_360) as u32)
            };
            let nam = BENIGN[country].code == "US" || BENIGN[country].code == "CA";
            let srv_pref = if nam {
                *r.pick(&["CH3PR10MB", "BN0PR11MB", "SA1PR12MB", "DM6PR04MB"])
            } else {
                *r.pick(&["AM0PR01MB", "DB9PR08MB", "PA4PR10MB", "FR3P281MB"])
            };
            let srv = format!("{srv_pref}{}", r.range(1000, 9999));
            let mut puid = String::from("1003");
            w_hex(&mut puid, r.next(), 12, true);
            let sid = format!(
                "S-1-5-21-{}-{}-{}-{}",
                1_000_000_000 + r.below(3_000_000_000),
                1_000_000_000 + r.below(3_000_000_000),
                1_000_000_000 + r.below(3_000_000_000),
                10_000 + r.below(90_000_000)
            );
            let desk = r.weighted(&[55, 30, 15]);
            let mob = 3 + r.idx(2);
            let mut device_name = String::from(if desk == 2 { "MBP-" } else { "LAPTOP-" });
            w_rand_chars(
                &mut device_name,
                r,
                7,
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ01",
            );
            let od_url = format!(
                "https://{t}-my.sharepoint.com/personal/{}",
                upn.replace(['.', '@'], "_")
            );
            users.push(User {
                upn,
                display,
                first_a: fa,
                last_a: la,
                oid: r.guid(),
                puid,
                mbx: r.guid(),
                sid,
                country,
                city,
                site,
                home,
                phone,
                desk,
                mob,
                device_id: r.guid(),
                device_name,
                phone_device_id: r.guid(),
                managed: r.chance(0.85),
                srv,
                cluster: if nam {
                    "NAMPR10A003.PROD.OUTLOOK.COM"
                } else {
                    "EURPR01A001.PROD.OUTLOOK.COM"
                },
                prod: if nam { "namprd10" } else { "eurprd01" },
                od_url,
                home_asn: 4_200_000_200 + country as u32,
            });
        }
        // Heavy-tailed activity per user.
        let mut user_cum = Vec::with_capacity(n);
        let mut acc = 0u64;
        for _ in 0..n {
            let x = r.unit();
            acc += 10 + (x * x * x * 200.0) as u64;
            user_cum.push(acc);
        }
        let team_sites = SP_SITES
            .iter()
            .map(|s| {
                (
                    format!("https://{t}.sharepoint.com/sites/{s}"),
                    r.guid(),
                    r.guid(),
                )
            })
            .collect();
        let groups = [
            "Finance Team",
            "All Staff",
            "Sales EMEA",
            "Engineering",
            "Project Atlas",
            "VPN Users",
        ]
        .iter()
        .map(|g| (g.to_string(), r.guid()))
        .collect();
        let mut dirsync = String::from("Sync_HQ-DC01_");
        w_hex(&mut dirsync, r.next(), 12, false);
        dirsync.push('@');
        dirsync.push_str(&onms);
        World {
            domain,
            onms,
            org,
            start,
            end,
            hour_cum,
            hour_w,
            users,
            sites,
            user_cum,
            admin: 0,
            team_sites,
            dirsync,
            dirsync_oid: r.guid(),
            groups,
        }
    }

    fn time_at(&self, f: f64) -> i64 {
        let f = f.clamp(0.0, 1.0);
        let total = *self.hour_cum.last().unwrap();
        let target = f * total;
        let h = match self
            .hour_cum
            .binary_search_by(|x| x.partial_cmp(&target).unwrap())
        {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
        .min(self.hour_w.len() - 1);
        let within = ((target - self.hour_cum[h]) / self.hour_w[h]).clamp(0.0, 0.9999);
        self.start + h as i64 * 3600 + (within * 3600.0) as i64
    }

    fn pick_user(&self, r: &mut Rng) -> usize {
        let total = *self.user_cum.last().unwrap();
        let x = r.below(total);
        self.user_cum.partition_point(|&c| c <= x)
    }

    fn slot_ip(&self, u: usize, slot: usize) -> Ip {
        let us = &self.users[u];
        match slot {
            HOME => us.home,
            PHONE => us.phone,
            s => self.sites[us.site.expect("office slot without site")].ips[s],
        }
    }

    /// (country code, city, state, lat, lon, asn)
    fn slot_loc(
        &self,
        u: usize,
        slot: usize,
    ) -> (&'static str, &'static str, &'static str, f64, f64, u32) {
        let us = &self.users[u];
        let (c, city, asn) = match slot {
            HOME => (us.country, us.city, us.home_asn),
            PHONE => (us.country, us.city, us.home_asn + 50),
            _ => {
                let s = &self.sites[us.site.unwrap()];
                (s.country, s.city, s.asn)
            }
        };
        let ct = &BENIGN[c];
        let (cn, st, la, lo) = ct.cities[city % ct.cities.len()];
        (ct.code, cn, st, la, lo, asn)
    }

    fn folder_id(&self, b: &mut String, u: usize, f: usize) {
        let mut r = Rng(mix(u as u64 * 31 + f as u64, self.org as u64));
        b.push_str("LgAAAAB");
        w_rand_chars(b, &mut r, 56, B64STD);
        b.push_str("AAAB");
    }
}

// ───────────────────────────── output sinks ─────────────────────────────

struct Out {
    w: BufWriter<File>,
    bytes: u64,
    records: u64,
}

impl Out {
    fn create(p: &Path) -> Out {
        let f = File::create(p).unwrap_or_else(|e| fatal(format!("{}: {e}", p.display())));
        Out {
            w: BufWriter::with_capacity(8 << 20, f),
            bytes: 0,
            records: 0,
        }
    }
    #[inline]
    fn put(&mut self, s: &[u8]) {
        self.bytes += s.len() as u64;
        if let Err(e) = self.w.write_all(s) {
            fatal(format!("write: {e}"));
        }
    }
    fn finish(&mut self) {
        if let Err(e) = self.w.flush() {
            fatal(format!("flush: {e}"));
        }
    }
}

struct SiSink {
    out: Out,
}

impl SiSink {
    fn line(&mut self, s: &str) {
        self.out.put(s.as_bytes());
        self.out.put(b"\n");
        self.out.records += 1;
    }
}

struct UalMeta<'a> {
    t: i64,
    rt: u8,
    op: &'a str,
    user: &'a str,
    id: u128,
}

fn rt_name(rt: u8) -> &'static str {
    match rt {
        1 => "ExchangeAdmin",
        2 => "ExchangeItem",
        3 => "ExchangeItemGroup",
        4 => "SharePoint",
        6 => "SharePointFileOperation",
        8 => "AzureActiveDirectory",
        15 => "AzureActiveDirectoryStsLogon",
        50 => "ExchangeItemAggregated",
        _ => "Unknown",
    }
}

/// Writes `s` with every `"` doubled (RFC 4180 field body).
fn dq(b: &mut String, s: &str) {
    let mut first = true;
    for part in s.split('"') {
        if !first {
            b.push_str("\"\"");
        }
        b.push_str(part);
        first = false;
    }
}

/// RFC 4180 field, quoted only when needed (Purview style).
fn csv_min(b: &mut String, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\r' | b'\n'))
        || s.starts_with(' ')
        || s.ends_with(' ')
    {
        b.push('"');
        dq(b, s);
        b.push('"');
    } else {
        b.push_str(s);
    }
}

struct UalSink {
    out: Out,
    layout: Layout,
    eol: &'static str,
    row: String,
    // Export-Csv: buffered "search session" so ResultCount can be filled in.
    chunk: Vec<u8>,
    splits: Vec<usize>,
    chunk_target: usize,
    runspace: u128,
    rng: Rng,
    pending_records: u64,
}

impl UalSink {
    fn new(path: &Path, layout: Layout, eol: Eol, bom: bool, seed: u64) -> UalSink {
        let mut out = Out::create(path);
        let eol = if eol == Eol::Crlf { "\r\n" } else { "\n" };
        if bom {
            out.put(b"\xEF\xBB\xBF");
        }
        let header = match layout {
            Layout::Purview => {
                "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames"
            }
            Layout::ExportCsv => {
                "\"RunspaceId\",\"RecordType\",\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\",\"ResultIndex\",\"ResultCount\",\"Identity\",\"IsValid\",\"ObjectState\""
            }
        };
        out.put(header.as_bytes());
        out.put(eol.as_bytes());
        let mut rng = Rng::new(seed ^ 0xE0C5);
        let chunk_target = rng.range(1000, 5000) as usize;
        let runspace = rng.guid();
        UalSink {
            out,
            layout,
            eol,
            row: String::with_capacity(8192),
            chunk: Vec::new(),
            splits: Vec::new(),
            chunk_target,
            runspace,
            rng,
            pending_records: 0,
        }
    }

    fn progress(&self) -> u64 {
        self.out.bytes + self.chunk.len() as u64
    }
    fn records(&self) -> u64 {
        self.out.records + self.pending_records
    }

    fn write(&mut self, m: &UalMeta, ad: &str) {
        let b = &mut self.row;
        b.clear();
        match self.layout {
            Layout::Purview => {
                w_guid(b, m.id);
                b.push_str(",\"");
                w_iso(b, m.t);
                b.push_str(".0000000Z \",");
                let _ = write!(b, "{},", m.rt);
                csv_min(b, m.op);
                b.push(',');
                csv_min(b, m.user);
                b.push_str(",\"");
                dq(b, ad);
                b.push_str("\",,");
                b.push_str(self.eol);
                self.out.put(self.row.as_bytes());
                self.out.records += 1;
            }
            Layout::ExportCsv => {
                b.push('"');
                w_guid(b, self.runspace);
                b.push_str("\",\"");
                b.push_str(rt_name(m.rt));
                b.push_str("\",\"");
                w_us(b, m.t);
                b.push_str("\",\"");
                dq(b, m.user);
                b.push_str("\",\"");
                dq(b, m.op);
                b.push_str("\",\"");
                dq(b, ad);
                let _ = write!(b, "\",\"{}\",\"", self.splits.len() + 1);
                self.chunk.extend_from_slice(b.as_bytes());
                self.splits.push(self.chunk.len());
                b.clear();
                b.push_str("\",\"");
                w_guid(b, m.id);
                b.push_str("\",\"True\",\"Unchanged\"");
                b.push_str(self.eol);
                self.chunk.extend_from_slice(b.as_bytes());
                self.pending_records += 1;
                if self.splits.len() >= self.chunk_target {
                    self.flush_chunk();
                }
            }
        }
    }

    fn flush_chunk(&mut self) {
        if self.splits.is_empty() {
            return;
        }
        let count = self.splits.len().to_string();
        let mut prev = 0;
        let chunk = std::mem::take(&mut self.chunk);
        for &s in &self.splits {
            self.out.put(&chunk[prev..s]);
            self.out.put(count.as_bytes());
            prev = s;
        }
        self.out.put(&chunk[prev..]);
        self.out.records += self.pending_records;
        self.pending_records = 0;
        self.splits.clear();
        self.chunk = chunk;
        self.chunk.clear();
        self.chunk_target = self.rng.range(1000, 5000) as usize;
        self.runspace = self.rng.guid();
    }

    fn finish(&mut self) {
        self.flush_chunk();
        self.out.finish();
    }
}

// ───────────────────────────── mutable generator state ─────────────────────────────

struct St {
    r: Rng,
    /// Per user: bit set of IP slots already shown in signins.jsonl.
    seen: Vec<u8>,
    /// Per (user, slot): current Entra session id.
    sess: Vec<u128>,
    si: Option<SiSink>,
    sbuf: String,
}

impl St {
    fn session(&mut self, u: usize, slot: usize) -> u128 {
        let i = u * SLOTS + slot;
        if self.sess[i] == 0 || self.r.chance(0.01) {
            self.sess[i] = self.r.guid();
        }
        self.sess[i]
    }
}

fn slot_choices(w: &World, u: usize) -> &'static [(usize, u32)] {
    if w.users[u].site.is_some() {
        &[(0, 25), (1, 20), (2, 15), (3, 10), (HOME, 20), (PHONE, 10)]
    } else {
        &[(HOME, 75), (PHONE, 25)]
    }
}

fn choose_slot(w: &World, r: &mut Rng, u: usize) -> usize {
    let c = slot_choices(w, u);
    let ws: Vec<u32> = c.iter().map(|x| x.1).collect();
    c[r.weighted(&ws)].0
}

/// Slot for a UAL record of user `u`: one already seen in sign-ins. If the user has no
/// sign-in yet, one is written first (a few minutes before `t`).
fn ual_slot(w: &World, st: &mut St, u: usize, t: i64) -> usize {
    if st.si.is_none() {
        return choose_slot(w, &mut st.r, u);
    }
    let mask = st.seen[u];
    if mask == 0 {
        let slot = choose_slot(w, &mut st.r, u);
        let ts = (t - st.r.range(30, 900)).max(w.start);
        let mut b = std::mem::take(&mut st.sbuf);
        b.clear();
        benign_signin(w, st, &mut b, u, ts, slot, true);
        st.si.as_mut().unwrap().line(&b);
        st.sbuf = b;
        st.seen[u] |= 1 << slot;
        return slot;
    }
    let n = mask.count_ones() as usize;
    let mut k = st.r.idx(n);
    for s in 0..SLOTS {
        if mask & (1 << s) != 0 {
            if k == 0 {
                return s;
            }
            k -= 1;
        }
    }
    unreachable!()
}

// ───────────────────────────── sign-in records ─────────────────────────────

struct SiRec<'a> {
    t: i64,
    id: u128,
    corr: u128,
    upn: &'a str,
    display: &'a str,
    uid: Option<u128>,
    app: &'a App,
    ip: Ip,
    loc: (&'a str, &'a str, &'a str, f64, f64, u32),
    client_app: &'a str,
    ua: &'a str,
    interactive: bool,
    err: u32,
    os: &'a str,
    browser: &'a str,
    device_id: Option<u128>,
    device_name: &'a str,
    compliant: bool,
    managed: bool,
    trust: &'a str,
    mfa: bool,
    protocol: &'a str,
    session: u128,
    risk: &'a str,
    risk_events: &'a [&'a str],
    incoming: &'a str,
    tenant: u128,
}

fn write_signin(b: &mut String, r: &mut Rng, s: &SiRec) {
    b.push_str("{\"id\":\"");
    w_guid(b, s.id);
    b.push_str("\",\"createdDateTime\":\"");
    w_iso(b, s.t);
    b.push_str("Z\"");
    ks(b, "userDisplayName", s.display);
    ks(b, "userPrincipalName", s.upn);
    match s.uid {
        Some(g) => kg(b, "userId", g),
        None => ks(b, "userId", ""),
    }
    ks(b, "appId", s.app.id);
    ks(b, "appDisplayName", s.app.name);
    key(b, "ipAddress");
    b.push('"');
    w_ip(b, s.ip);
    b.push('"');
    kraw(b, "ipAddressFromResourceProvider", "null");
    ks(b, "clientAppUsed", s.client_app);
    ks(b, "userAgent", s.ua);
    kg(b, "correlationId", s.corr);
    ks(
        b,
        "conditionalAccessStatus",
        if s.err == 0 && s.mfa {
            "success"
        } else {
            "notApplied"
        },
    );
    kg(b, "originalRequestId", s.id);
    kb(b, "isInteractive", s.interactive);
    ks(b, "tokenIssuerName", "");
    ks(b, "tokenIssuerType", "AzureAD");
    ks(b, "clientCredentialType", "none");
    kn(b, "processingTimeInMilliseconds", r.range(20, 400));
    ks(b, "riskDetail", "none");
    ks(b, "riskLevelAggregated", s.risk);
    ks(b, "riskLevelDuringSignIn", s.risk);
    ks(
        b,
        "riskState",
        if s.risk == "none" { "none" } else { "atRisk" },
    );
    key(b, "riskEventTypes");
    str_array(b, s.risk_events);
    key(b, "riskEventTypes_v2");
    str_array(b, s.risk_events);
    ks(b, "resourceDisplayName", s.app.res_name);
    ks(b, "resourceId", s.app.res_id);
    kg(b, "resourceTenantId", s.tenant);
    kg(b, "homeTenantId", s.tenant);
    ks(b, "homeTenantName", "");
    key(b, "authenticationMethodsUsed");
    if s.err == 0 && s.interactive {
        str_array(
            b,
            if s.mfa {
                &["Password", "Mobile app notification"]
            } else {
                &["Password"]
            },
        );
    } else {
        b.push_str("[]");
    }
    ks(
        b,
        "authenticationRequirement",
        if s.mfa {
            "multiFactorAuthentication"
        } else {
            "singleFactorAuthentication"
        },
    );
    ks(
        b,
        "signInIdentifier",
        if s.interactive { s.upn } else { "" },
    );
    ks(
        b,
        "signInIdentifierType",
        if s.interactive {
            "userPrincipalName"
        } else {
            ""
        },
    );
    kraw(b, "servicePrincipalName", "null");
    key(b, "signInEventTypes");
    str_array(
        b,
        if s.interactive {
            &["interactiveUser"]
        } else {
            &["nonInteractiveUser"]
        },
    );
    ks(b, "servicePrincipalId", "");
    ks(b, "federatedCredentialId", "");
    ks(b, "userType", "member");
    kb(b, "flaggedForReview", false);
    kb(b, "isTenantRestricted", false);
    kn(b, "autonomousSystemNumber", s.loc.5 as i64);
    ks(b, "crossTenantAccessType", "none");
    ks(b, "servicePrincipalCredentialKeyId", "");
    ks(b, "servicePrincipalCredentialThumbprint", "");
    key(b, "uniqueTokenIdentifier");
    b.push('"');
    w_rand_chars(b, r, 22, B64URL);
    b.push('"');
    ks(b, "incomingTokenType", s.incoming);
    ks(b, "authenticationProtocol", s.protocol);
    ks(b, "resourceServicePrincipalId", "");
    kg(b, "sessionId", s.session);
    ks(b, "originalTransferMethod", "none");
    key(b, "status");
    let (reason, _) = err_info(s.err);
    let _ = write!(b, "{{\"errorCode\":{},\"failureReason\":", s.err);
    esc(b, reason);
    b.push_str(",\"additionalDetails\":");
    match s.err {
        0 if s.mfa && s.interactive => b.push_str("\"MFA requirement satisfied by strong authentication\""),
        0 => b.push_str("null"),
        50140 => b.push_str("\"This is an expected part of the login flow, where a user is asked if they want to remain signed into this browser to make further logins easier.\""),
        50074 => b.push_str("\"This is an expected part of the login flow, where a user is asked to perform multi-factor authentication.\""),
        50126 => b.push_str("\"The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.\""),
        _ => b.push_str("null"),
    }
    b.push('}');
    b.push_str(",\"deviceDetail\":{\"deviceId\":\"");
    if let Some(d) = s.device_id {
        w_guid(b, d);
    }
    b.push('"');
    ks(
        b,
        "displayName",
        if s.device_id.is_some() {
            s.device_name
        } else {
            ""
        },
    );
    ks(b, "operatingSystem", s.os);
    ks(b, "browser", s.browser);
    kb(b, "isCompliant", s.compliant);
    kb(b, "isManaged", s.managed);
    ks(b, "trustType", s.trust);
    b.push('}');
    b.push_str(",\"location\":{\"city\":");
    esc(b, s.loc.1);
    ks(b, "state", s.loc.2);
    ks(b, "countryOrRegion", s.loc.0);
    let _ = write!(
        b,
        ",\"geoCoordinates\":{{\"altitude\":null,\"latitude\":{:.4},\"longitude\":{:.4}}}}}",
        s.loc.3 + (r.unit() - 0.5) * 0.2,
        s.loc.4 + (r.unit() - 0.5) * 0.2
    );
    b.push_str(",\"mfaDetail\":{\"authMethod\":");
    b.push_str(if s.mfa && s.interactive && s.err == 0 {
        "\"PhoneAppNotification\""
    } else {
        "null"
    });
    b.push_str(",\"authDetail\":null}");
    b.push_str(",\"appliedConditionalAccessPolicies\":[{\"id\":\"6b3c1f3e-0c4a-4f55-9a1e-2f8e0d6b7c11\",\"displayName\":\"CA001: Require MFA for all users\",\"enforcedGrantControls\":[\"Mfa\"],\"enforcedSessionControls\":[],\"sessionControlsNotSatisfied\":[],\"result\":\"");
    b.push_str(if s.err == 0 && s.mfa {
        "success"
    } else {
        "notApplied"
    });
    b.push_str("\",\"conditionsSatisfied\":3,\"conditionsNotSatisfied\":0,\"includeRulesSatisfied\":[],\"excludeRulesSatisfied\":[],\"authenticationStrength\":null},{\"id\":\"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\",\"displayName\":\"CA002: Block legacy authentication\",\"enforcedGrantControls\":[\"Block\"],\"enforcedSessionControls\":[],\"sessionControlsNotSatisfied\":[],\"result\":\"notApplied\",\"conditionsSatisfied\":1,\"conditionsNotSatisfied\":2,\"includeRulesSatisfied\":[],\"excludeRulesSatisfied\":[],\"authenticationStrength\":null}]");
    b.push_str(",\"authenticationContextClassReferences\":[],\"authenticationProcessingDetails\":[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Oauth Scope Info\",\"value\":\"[\\\"email\\\",\\\"openid\\\",\\\"profile\\\",\\\"offline_access\\\"]\"},{\"key\":\"Is CAE Token\",\"value\":\"");
    b.push_str(if s.interactive { "False" } else { "True" });
    b.push_str("\"}],\"networkLocationDetails\":[]");
    b.push_str(",\"authenticationDetails\":[");
    if s.interactive {
        b.push_str("{\"authenticationStepDateTime\":\"");
        w_iso(b, s.t);
        b.push_str("Z\",\"authenticationMethod\":\"Password\",\"authenticationMethodDetail\":\"Password in the cloud\",\"succeeded\":");
        b.push_str(if matches!(s.err, 50126 | 50034 | 50055) {
            "false"
        } else {
            "true"
        });
        b.push_str(",\"authenticationStepResultDetail\":");
        b.push_str(match s.err {
            50126 | 50034 => {
                "\"Invalid username or password or Invalid on-premise username or password.\""
            }
            50055 => "\"Password expired\"",
            _ => "\"Correct password\"",
        });
        b.push_str(",\"authenticationStepRequirement\":\"Primary authentication\",\"StatusSequence\":0,\"RequestSequence\":0}");
        if s.mfa && s.err == 0 {
            b.push_str(",{\"authenticationStepDateTime\":\"");
            w_iso(b, s.t);
            b.push_str("Z\",\"authenticationMethod\":\"Mobile app notification\",\"authenticationMethodDetail\":null,\"succeeded\":true,\"authenticationStepResultDetail\":\"MFA successfully completed\",\"authenticationStepRequirement\":\"Primary authentication\",\"StatusSequence\":0,\"RequestSequence\":1}");
        }
    } else {
        b.push_str("{\"authenticationStepDateTime\":\"");
        w_iso(b, s.t);
        b.push_str("Z\",\"authenticationMethod\":\"Previously satisfied\",\"authenticationMethodDetail\":null,\"succeeded\":true,\"authenticationStepResultDetail\":\"First factor requirement satisfied by claim in the token\",\"authenticationStepRequirement\":\"Primary authentication\",\"StatusSequence\":0,\"RequestSequence\":0}");
    }
    b.push(']');
    b.push_str(",\"authenticationRequirementPolicies\":[],\"sessionLifetimePolicies\":[],\"appTokenProtectionStatus\":\"none\",\"tokenProtectionStatusDetails\":{\"signInSessionStatus\":\"unbound\",\"signInSessionStatusCode\":1002}}");
}

fn str_array(b: &mut String, a: &[&str]) {
    b.push('[');
    for (i, s) in a.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        esc(b, s);
    }
    b.push(']');
}

/// A benign sign-in of user `u` from IP slot `slot`.
fn benign_signin(
    w: &World,
    st: &mut St,
    b: &mut String,
    u: usize,
    t: i64,
    slot: usize,
    force_success: bool,
) {
    let us = &w.users[u];
    let phone = slot == PHONE;
    let dev = &DEVS[if phone { us.mob } else { us.desk }];
    let app_i = if phone {
        PHONE_APPS[st.r.weighted(&[PHONE_APPS[0].1, PHONE_APPS[1].1])].0
    } else {
        let ws: Vec<u32> = DESK_APPS.iter().map(|x| x.1).collect();
        DESK_APPS[st.r.weighted(&ws)].0
    };
    let app = &APPS[app_i];
    let interactive = st.r.chance(if app.browser { 0.5 } else { 0.2 });
    let personal = slot == HOME || slot == PHONE;
    let mut err = 0;
    if !force_success {
        let x = st.r.unit();
        err = if interactive {
            if x < 0.025 {
                50140
            } else if x < 0.045 {
                50074
            } else if x < 0.06 && personal {
                50126
            } else if x < 0.063 && personal {
                50055
            } else {
                0
            }
        } else if x < 0.012 {
            70043
        } else if x < 0.02 {
            50173
        } else {
            0
        };
    }
    let ua: &str = if !interactive && st.r.chance(0.5) {
        ""
    } else if app.browser || phone {
        dev.ua
    } else {
        dev.native_ua
    };
    let session = st.session(u, slot);
    let device_id = if phone {
        Some(us.phone_device_id)
    } else if us.managed || app.browser {
        Some(us.device_id)
    } else {
        None
    };
    let trust = if phone {
        "Azure AD registered"
    } else if us.managed {
        "Hybrid Azure AD joined"
    } else {
        "Azure AD registered"
    };
    let rec = SiRec {
        t,
        id: st.r.guid(),
        corr: st.r.guid(),
        upn: &us.upn,
        display: &us.display,
        uid: Some(us.oid),
        app,
        ip: w.slot_ip(u, slot),
        loc: w.slot_loc(u, slot),
        client_app: app.client_app,
        ua,
        interactive,
        err,
        os: dev.os,
        browser: if app.browser || phone {
            dev.browser
        } else {
            ""
        },
        device_id,
        device_name: if phone { "" } else { &us.device_name },
        compliant: us.managed && !phone,
        managed: us.managed && !phone,
        trust,
        mfa: interactive || st.r.chance(0.6),
        protocol: "none",
        session,
        risk: "none",
        risk_events: &[],
        incoming: if interactive {
            "none"
        } else {
            "primaryRefreshToken"
        },
        tenant: w.org,
    };
    write_signin(b, &mut st.r, &rec);
}

// ───────────────────────────── UAL records ─────────────────────────────

/// Exchange mailbox-audit context.
struct Mx<'a> {
    t: i64,
    u: usize,
    ip: Ip,
    style: IpStyle,
    port: u16,
    cis: &'a str,
    app: &'a str,
    client_app: &'a str,
    session: u128,
    aad_session: u128,
    issued: i64,
}

fn origin_server(b: &mut String, r: &mut Rng, us: &User) {
    key(b, "OriginatingServer");
    b.push('"');
    b.push_str(&us.srv);
    b.push_str(" (15.20.8398.010)");
    if r.chance(0.05) {
        b.push_str("\\r\\n");
    }
    b.push('"');
}

fn token_ctx(b: &mut String, r: &mut Rng, aad_session: u128, issued: i64) {
    b.push_str(",\"AppAccessContext\":{\"AADSessionId\":\"");
    w_guid(b, aad_session);
    b.push_str("\",\"IssuedAtTime\":\"");
    w_iso(b, issued);
    b.push_str("\",\"UniqueTokenId\":\"");
    w_rand_chars(b, r, 22, B64URL);
    b.push_str("\"}");
}

fn mbx_head(w: &World, r: &mut Rng, b: &mut String, m: &Mx, id: u128, op: &str, rt: u8) {
    let us = &w.users[m.u];
    b.push_str("{\"CreationTime\":\"");
    w_iso(b, m.t);
    b.push_str("\",\"Id\":\"");
    w_guid(b, id);
    b.push_str("\",\"Operation\":");
    esc(b, op);
    kg(b, "OrganizationId", w.org);
    kn(b, "RecordType", rt as i64);
    ks(b, "ResultStatus", "Succeeded");
    ks(b, "UserKey", &us.puid);
    kn(b, "UserType", 0);
    kn(b, "Version", 1);
    ks(b, "Workload", "Exchange");
    client_ip(b, "ClientIP", m.ip, m.style, m.port);
    ks(b, "UserId", &us.upn);
    ks(b, "AppId", m.app);
    ks(b, "ClientAppId", m.client_app);
    client_ip(b, "ClientIPAddress", m.ip, IpStyle::Bare, 0);
    ks(b, "ClientInfoString", m.cis);
    kb(b, "ExternalAccess", false);
    kn(b, "InternalLogonType", 0);
    kn(b, "LogonType", 0);
    ks(b, "LogonUserSid", &us.sid);
    kg(b, "MailboxGuid", us.mbx);
    ks(b, "MailboxOwnerSid", &us.sid);
    ks(b, "MailboxOwnerUPN", &us.upn);
    ks(b, "OrganizationName", &w.onms);
    origin_server(b, r, us);
    kg(b, "SessionId", m.session);
    token_ctx(b, r, m.aad_session, m.issued);
}

fn msgid(w: &World, r: &mut Rng, u: usize, internal: bool) -> String {
    let mut s = String::with_capacity(80);
    if internal {
        let us = &w.users[u];
        s.push('<');
        s.push_str(&us.srv);
        w_hex(&mut s, r.next(), 16, true);
        s.push('@');
        s.push_str(&us.srv);
        s.push('.');
        s.push_str(us.prod);
        s.push_str(".prod.outlook.com>");
    } else {
        let (dom, _) = *r.pick(&PARTNERS);
        match r.idx(3) {
            0 => {
                let x = dt(w.start + r.below((w.end - w.start) as u64) as i64);
                let _ = write!(
                    s,
                    "<{:04}{:02}{:02}{:02}{:02}{:02}.",
                    x.y, x.mo, x.d, x.h, x.mi, x.s
                );
                w_hex(&mut s, r.next(), 6, true);
                let _ = write!(s, "@mail.{dom}>");
            }
            1 => {
                s.push('<');
                w_hex(&mut s, r.next(), 16, false);
                w_hex(&mut s, r.next(), 16, false);
                let _ = write!(s, "@{dom}>");
            }
            _ => {
                s.push_str("<0100018e");
                w_hex(&mut s, r.next(), 8, false);
                s.push('-');
                w_hex(&mut s, r.next(), 12, false);
                let _ = write!(s, "-000000@bounce.news.{dom}>");
            }
        }
    }
    s
}

fn subject(r: &mut Rng) -> String {
    let p = *r.pick(&PROJECTS);
    let v = r.pick(&PARTNERS).1;
    let n = r.range(1000, 99999);
    match r.idx(16) {
        0 => format!("RE: {p} – weekly status"),
        1 => format!("Invoice {n} from {v}"),
        2 => format!("FW: \"{p}\" kickoff, agenda"),
        3 => format!("Meeting notes: {p}"),
        4 => format!("Updated: {p} timeline"),
        5 => "Lunch on Friday?".to_string(),
        6 => format!("Re: Q{} forecast review", r.range(1, 4)),
        7 => format!("Your order #{n} has shipped"),
        8 => format!("Réunion de suivi – {p}"),
        9 => format!("Angebot Nr. {n}"),
        10 => format!("Action required: expense report {n}"),
        11 => format!("Accepted: {p} sync"),
        12 => "Out of office until Monday".to_string(),
        13 => format!("{v} <> contract renewal"),
        14 => "Slides for tomorrow 📊".to_string(),
        _ => format!("RE: RE: {v} PO {n}, delivery date"),
    }
}

fn benign_recipients(w: &World, r: &mut Rng, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|_| {
            if r.chance(0.6) {
                let o = &w.users[r.idx(w.users.len())];
                (o.upn.clone(), o.display.clone())
            } else {
                let (dom, name) = *r.pick(&PARTNERS);
                let lp = *r.pick(&["ap", "sales", "j.doe", "orders", "support", "m.rossi"]);
                (format!("{lp}@{dom}"), format!("{name} {lp}"))
            }
        })
        .collect()
}

fn w_item_id(b: &mut String, r: &mut Rng) {
    b.push_str("RgAAAAD");
    w_rand_chars(b, r, 60, B64STD);
    b.push_str("AAAJ");
}

fn folder_obj(w: &World, b: &mut String, u: usize, f: usize) {
    b.push_str("{\"Id\":\"");
    w.folder_id(b, u, f);
    b.push_str("\",\"Path\":");
    esc(b, FOLDERS[f]);
    b.push('}');
}

#[allow(clippy::too_many_arguments)]
fn mia(
    w: &World,
    r: &mut Rng,
    b: &mut String,
    m: &Mx,
    id: u128,
    sync: bool,
    n_items: usize,
    throttled: bool,
) {
    mbx_head(w, r, b, m, id, "MailItemsAccessed", 50);
    b.push_str(",\"OperationProperties\":[{\"Name\":\"MailAccessType\",\"Value\":\"");
    b.push_str(if sync { "Sync" } else { "Bind" });
    b.push_str("\"},{\"Name\":\"IsThrottled\",\"Value\":\"");
    b.push_str(if throttled { "True" } else { "False" });
    b.push_str("\"}],\"Folders\":[");
    if sync {
        let f = r.weighted(&FOLDER_W);
        folder_obj(w, b, m.u, f);
        b.push(']');
        kn(b, "OperationCount", 1);
    } else {
        let nf = 1 + r.idx(3).min(n_items.saturating_sub(1));
        let mut left = n_items;
        let mut fi = [usize::MAX; 3];
        for k in 0..nf {
            let mut f = r.weighted(&FOLDER_W);
            while fi[..k].contains(&f) {
                f = (f + 1) % FOLDERS.len();
            }
            fi[k] = f;
            let cnt = if k + 1 == nf {
                left
            } else {
                1 + r.idx(left - (nf - k - 1))
            };
            left -= cnt;
            if k > 0 {
                b.push(',');
            }
            b.push_str("{\"FolderItems\":[");
            for j in 0..cnt {
                if j > 0 {
                    b.push(',');
                }
                b.push_str("{\"InternetMessageId\":");
                let internal = f == F_SENT || f == F_DRAFTS || r.chance(0.4);
                let mid = msgid(w, r, m.u, internal);
                esc(b, &mid);
                let sz = if r.chance(0.15) {
                    r.range(60_000, 4_500_000)
                } else {
                    r.range(2_000, 60_000)
                };
                let _ = write!(b, ",\"SizeInBytes\":{sz}}}");
            }
            b.push_str("],\"Id\":\"");
            w.folder_id(b, m.u, f);
            b.push_str("\",\"Path\":");
            esc(b, FOLDERS[f]);
            b.push('}');
        }
        b.push(']');
        kn(b, "OperationCount", n_items as i64);
    }
    b.push('}');
}

#[allow(clippy::too_many_arguments)]
fn send(
    w: &World,
    r: &mut Rng,
    b: &mut String,
    m: &Mx,
    id: u128,
    subj: &str,
    mid: &str,
    recips: &[(String, String)],
    attach: Option<&str>,
) {
    mbx_head(w, r, b, m, id, "Send", 2);
    b.push_str(",\"Item\":{\"Id\":\"");
    w_item_id(b, r);
    b.push_str("\",\"InternetMessageId\":");
    esc(b, mid);
    b.push_str(",\"ParentFolder\":");
    folder_obj(w, b, m.u, if r.chance(0.7) { F_DRAFTS } else { F_SENT });
    kn(b, "SizeInBytes", r.range(3_000, 90_000));
    ks(b, "Subject", subj);
    if let Some(a) = attach {
        ks(b, "Attachments", a);
    }
    b.push('}');
    kb(b, "SaveToSentItems", true);
    if !recips.is_empty() {
        kn(b, "recipientCount", recips.len() as i64);
        key(b, "recipientList");
        b.push('[');
        for (i, (a, n)) in recips.iter().enumerate() {
            if i > 0 {
                b.push(',');
            }
            b.push_str("{\"Address\":");
            esc(b, a);
            b.push_str(",\"Name\":");
            esc(b, n);
            b.push('}');
        }
        b.push(']');
    }
    b.push('}');
}

fn update_item(w: &World, r: &mut Rng, b: &mut String, m: &Mx, id: u128) {
    mbx_head(w, r, b, m, id, "Update", 2);
    let f = r.weighted(&FOLDER_W);
    b.push_str(",\"Item\":{\"Id\":\"");
    w_item_id(b, r);
    b.push_str("\",\"InternetMessageId\":");
    let mid = msgid(w, r, m.u, f == F_DRAFTS);
    esc(b, &mid);
    b.push_str(",\"ParentFolder\":");
    folder_obj(w, b, m.u, f);
    let s = subject(r);
    ks(b, "Subject", &s);
    b.push('}');
    key(b, "ModifiedProperties");
    let sets: [&[&str]; 4] = [
        &["Categories"],
        &["FlagStatus", "FlagRequest"],
        &["RecipientCollection", "Subject", "Body"],
        &["IsRead"],
    ];
    let set: &[&str] = sets[r.idx(sets.len())];
    str_array(b, set);
    b.push('}');
}

/// MoveToDeletedItems (from `from`) or SoftDelete (from Deleted Items).
#[allow(clippy::too_many_arguments)]
fn delete_items(
    w: &World,
    r: &mut Rng,
    b: &mut String,
    m: &Mx,
    id: u128,
    soft: bool,
    from: usize,
    items: &[(String, String)],
) {
    mbx_head(
        w,
        r,
        b,
        m,
        id,
        if soft {
            "SoftDelete"
        } else {
            "MoveToDeletedItems"
        },
        3,
    );
    kb(b, "CrossMailboxOperation", false);
    if !soft {
        b.push_str(",\"DestFolder\":");
        folder_obj(w, b, m.u, F_DELETED);
    }
    b.push_str(",\"Folder\":");
    folder_obj(w, b, m.u, from);
    b.push_str(",\"AffectedItems\":[");
    for (i, (mid, subj)) in items.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"Id\":\"");
        w_item_id(b, r);
        b.push_str("\",\"InternetMessageId\":");
        esc(b, mid);
        b.push_str(",\"ParentFolder\":");
        folder_obj(w, b, m.u, from);
        ks(b, "Subject", subj);
        b.push('}');
    }
    b.push_str("]}");
}

/// Exchange admin cmdlet record (RecordType 1).
#[allow(clippy::too_many_arguments)]
fn admin_cmd(
    w: &World,
    r: &mut Rng,
    b: &mut String,
    t: i64,
    id: u128,
    op: &str,
    actor: &str,
    actor_key: &str,
    user_type: i64,
    ip: Option<Ip>,
    target: usize,
    rule_name: Option<&str>,
    params: &[(&str, &str)],
    app: &str,
    tok: Option<(u128, i64)>,
) {
    let tu = &w.users[target];
    b.push_str("{\"CreationTime\":\"");
    w_iso(b, t);
    b.push_str("\",\"Id\":\"");
    w_guid(b, id);
    b.push_str("\",\"Operation\":");
    esc(b, op);
    kg(b, "OrganizationId", w.org);
    kn(b, "RecordType", 1);
    ks(b, "ResultStatus", "True");
    ks(b, "UserKey", actor_key);
    kn(b, "UserType", user_type);
    kn(b, "Version", 1);
    ks(b, "Workload", "Exchange");
    if let Some(ip) = ip {
        client_ip(
            b,
            "ClientIP",
            ip,
            IpStyle::Port,
            r.range(1025, 65535) as u16,
        );
    }
    key(b, "ObjectId");
    b.push('"');
    b.push_str(tu.cluster);
    b.push_str("\\/Microsoft Exchange Hosted Organizations\\/");
    b.push_str(&w.onms);
    b.push_str("\\/");
    w_guid(b, tu.mbx);
    if let Some(n) = rule_name {
        b.push_str("\\\\");
        esc_inner(b, n);
    }
    b.push('"');
    ks(b, "UserId", actor);
    ks(b, "AppId", app);
    ks(b, "ClientAppId", "");
    ks(b, "CorrelationID", "");
    kb(b, "ExternalAccess", actor == SYSTEM_ID);
    ks(b, "OrganizationName", &w.onms);
    origin_server(b, r, tu);
    name_values(b, "Parameters", params);
    kg(b, "RequestId", r.guid());
    if let Some((sess, issued)) = tok {
        kg(b, "SessionId", r.guid());
        token_ctx(b, r, sess, issued);
    } else {
        ks(b, "SessionId", "");
    }
    b.push('}');
}

/// Entra STS logon in the UAL (RecordType 15).
#[allow(clippy::too_many_arguments)]
fn aad_logon(
    w: &World,
    r: &mut Rng,
    b: &mut String,
    t: i64,
    id: u128,
    upn: &str,
    oid: Option<u128>,
    ip: Ip,
    app: &App,
    err: u32,
    ua: &str,
    request_type: &str,
    dev: Option<(&str, &str, Option<u128>, &str, bool)>,
    session: u128,
) {
    b.push_str("{\"CreationTime\":\"");
    w_iso(b, t);
    b.push_str("\",\"Id\":\"");
    w_guid(b, id);
    b.push_str("\",\"Operation\":\"");
    b.push_str(if err == 0 {
        "UserLoggedIn"
    } else {
        "UserLoginFailed"
    });
    b.push('"');
    kg(b, "OrganizationId", w.org);
    kn(b, "RecordType", 15);
    ks(
        b,
        "ResultStatus",
        if err != 0 && r.chance(0.5) {
            "Failed"
        } else {
            "Success"
        },
    );
    match oid {
        Some(g) => kg(b, "UserKey", g),
        None => ks(b, "UserKey", "Not Available"),
    }
    kn(b, "UserType", 0);
    kn(b, "Version", 1);
    ks(b, "Workload", "AzureActiveDirectory");
    client_ip(b, "ClientIP", ip, IpStyle::Bare, 0);
    ks(b, "ObjectId", app.res_id);
    ks(b, "UserId", upn);
    kn(b, "AzureActiveDirectoryEventType", 1);
    let detail = if err == 0 {
        "Success"
    } else if matches!(err, 50140 | 50074) {
        "Redirect"
    } else {
        "UserError"
    };
    let mut ext: Vec<(&str, &str)> = vec![("ResultStatusDetail", detail), ("UserAgent", ua)];
    if err == 0 || err == 50074 {
        ext.push(("UserAuthenticationMethod", "1"));
    }
    if err == 50140 {
        ext.push(("KeepMeSignedIn", "true"));
    }
    ext.push(("RequestType", request_type));
    name_values(b, "ExtendedProperties", &ext);
    b.push_str(",\"ModifiedProperties\":[],\"Actor\":[");
    if let Some(g) = oid {
        b.push_str("{\"ID\":\"");
        w_guid(b, g);
        b.push_str("\",\"Type\":0},");
    }
    b.push_str("{\"ID\":");
    esc(b, upn);
    b.push_str(",\"Type\":5}]");
    kg(b, "ActorContextId", w.org);
    client_ip(b, "ActorIpAddress", ip, IpStyle::Bare, 0);
    kg(b, "InterSystemsId", r.guid());
    kg(b, "IntraSystemId", id);
    ks(b, "SupportTicketId", "");
    b.push_str(",\"Target\":[{\"ID\":");
    esc(b, app.res_id);
    b.push_str(",\"Type\":0}]");
    kg(b, "TargetContextId", w.org);
    ks(b, "ApplicationId", app.id);
    key(b, "DeviceProperties");
    let mut sess = String::with_capacity(36);
    w_guid(&mut sess, session);
    let (os, br, did, dname, compliant) = dev.unwrap_or(("Windows10", "Other", None, "", false));
    let c = if compliant { "True" } else { "False" };
    let mut dp: Vec<(&str, &str)> = Vec::with_capacity(8);
    let did_s = did.map(guid_s);
    if let Some(d) = did_s.as_deref() {
        dp.push(("Id", d));
        dp.push(("DisplayName", dname));
    }
    dp.push(("OS", os));
    dp.push(("BrowserType", br));
    dp.push(("IsCompliant", c));
    dp.push(("IsCompliantAndManaged", c));
    if did_s.is_some() {
        dp.push(("TrustType", if compliant { "2" } else { "1" }));
    }
    dp.push(("SessionId", &sess));
    let dp_b = {
        let mut x = String::new();
        name_values(&mut x, "D", &dp);
        x
    };
    b.push_str(&dp_b[5..]);
    let code = err.to_string();
    ks(b, "ErrorNumber", &code);
    if err != 0 {
        ks(b, "LogonError", err_info(err).1);
    }
    b.push('}');
}

#[allow(clippy::too_many_arguments)]
fn sp_file(
    w: &World,
    r: &mut Rng,
    b: &mut String,
    t: i64,
    id: u128,
    u: usize,
    ip: Ip,
    slot: usize,
    aad: u128,
) {
    let us = &w.users[u];
    let dev = &DEVS[if slot == PHONE { us.mob } else { us.desk }];
    let op = *r.pick(&[
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileAccessed",
        "FileDownloaded",
        "FileDownloaded",
        "FileDownloaded",
        "FileDownloaded",
        "FileModified",
    ]);
    let onedrive = r.chance(0.35);
    let (site, site_id, web_id, rel) = if onedrive {
        (
            us.od_url.as_str(),
            derive_guid(us.mbx, 1),
            derive_guid(us.mbx, 2),
            if r.chance(0.5) {
                "Documents"
            } else {
                "Documents/Work"
            },
        )
    } else {
        let (s, a, c) = r.pick(&w.team_sites);
        (
            s.as_str(),
            *a,
            *c,
            if r.chance(0.6) {
                "Shared Documents"
            } else {
                "Shared Documents/General"
            },
        )
    };
    let file = *r.pick(&SP_FILES);
    let ext = file.rsplit('.').next().unwrap_or("");
    b.push_str("{\"CreationTime\":\"");
    w_iso(b, t);
    b.push_str("\",\"Id\":\"");
    w_guid(b, id);
    b.push_str("\",\"Operation\":\"");
    b.push_str(op);
    b.push('"');
    kg(b, "OrganizationId", w.org);
    kn(b, "RecordType", 6);
    key(b, "UserKey");
    b.push_str("\"i:0h.f|membership|");
    b.push_str(&us.puid.to_ascii_lowercase());
    b.push_str("@live.com\"");
    kn(b, "UserType", 0);
    kn(b, "Version", 1);
    ks(
        b,
        "Workload",
        if onedrive { "OneDrive" } else { "SharePoint" },
    );
    client_ip(b, "ClientIP", ip, IpStyle::Bare, 0);
    key(b, "ObjectId");
    b.push('"');
    esc_inner(b, site);
    b.push('/');
    esc_inner(b, rel);
    b.push('/');
    esc_inner(b, file);
    b.push('"');
    ks(b, "UserId", &us.upn);
    kg(b, "CorrelationId", r.guid());
    kb(b, "CustomUniqueId", true);
    ks(b, "EventSource", "SharePoint");
    ks(b, "ItemType", "File");
    kg(b, "ListId", derive_guid(site_id, 7));
    kg(b, "ListItemUniqueId", r.guid());
    kg(b, "Site", site_id);
    ks(
        b,
        "UserAgent",
        if slot == PHONE { dev.native_ua } else { dev.ua },
    );
    kg(b, "WebId", web_id);
    kb(b, "HighPriorityMediaProcessing", false);
    ks(b, "SourceFileExtension", ext);
    key(b, "SiteUrl");
    b.push('"');
    esc_inner(b, site);
    b.push_str("/\"");
    ks(b, "SourceFileName", file);
    ks(b, "SourceRelativeUrl", rel);
    ks(
        b,
        "ApplicationDisplayName",
        if slot == PHONE {
            "Microsoft Office"
        } else if r.chance(0.5) {
            "SharePoint Online Web Client Extensibility"
        } else {
            "OneDrive SyncEngine"
        },
    );
    ks(
        b,
        "GeoLocation",
        if us.prod == "namprd10" { "NAM" } else { "EUR" },
    );
    kb(b, "IsManagedDevice", us.managed && slot != PHONE);
    if slot != PHONE && us.managed {
        ks(b, "DeviceDisplayName", &us.device_name);
    }
    ks(b, "BrowserName", dev.dp_browser);
    ks(b, "Platform", dev.sp_platform);
    ks(b, "AuthenticationType", "OAuth");
    let issued = t - r.range(60, 3000);
    token_ctx(b, r, aad, issued);
    b.push('}');
}

/// AzureActiveDirectory directory operation (RecordType 8).
#[allow(clippy::too_many_arguments)]
fn aad_dir(
    w: &World,
    r: &mut Rng,
    b: &mut String,
    t: i64,
    id: u128,
    op: &str,
    actor: &str,
    actor_oid: u128,
    ip: Option<Ip>,
    target: usize,
    modified: &[(&str, &str, &str)],
    extra_target: Option<(&str, u128)>,
) {
    let tu = &w.users[target];
    b.push_str("{\"CreationTime\":\"");
    w_iso(b, t);
    b.push_str("\",\"Id\":\"");
    w_guid(b, id);
    b.push_str("\",\"Operation\":");
    esc(b, op);
    kg(b, "OrganizationId", w.org);
    kn(b, "RecordType", 8);
    ks(b, "ResultStatus", "Success");
    let mut ak = String::from("1003");
    w_hex(&mut ak, actor_oid as u64, 12, true);
    ks(b, "UserKey", &ak);
    kn(b, "UserType", 0);
    kn(b, "Version", 1);
    ks(b, "Workload", "AzureActiveDirectory");
    match ip {
        Some(ip) => client_ip(b, "ClientIP", ip, IpStyle::Bare, 0),
        None => kraw(b, "ClientIP", "null"),
    }
    ks(b, "ObjectId", &tu.upn);
    ks(b, "UserId", actor);
    kn(b, "AzureActiveDirectoryEventType", 1);
    b.push_str(",\"ExtendedProperties\":[{\"Name\":\"additionalDetails\",\"Value\":\"{}\"},{\"Name\":\"extendedAuditEventCategory\",\"Value\":\"User\"}]");
    key(b, "ModifiedProperties");
    b.push('[');
    for (i, (n, nv, ov)) in modified.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        b.push_str("{\"Name\":");
        esc(b, n);
        b.push_str(",\"NewValue\":");
        esc(b, nv);
        b.push_str(",\"OldValue\":");
        esc(b, ov);
        b.push('}');
    }
    b.push(']');
    b.push_str(",\"Actor\":[{\"ID\":");
    esc(b, actor);
    b.push_str(",\"Type\":5},{\"ID\":\"");
    w_guid(b, actor_oid);
    b.push_str("\",\"Type\":2},{\"ID\":\"User_");
    w_guid(b, actor_oid);
    b.push_str("\",\"Type\":2}]");
    kg(b, "ActorContextId", w.org);
    if let Some(ip) = ip {
        client_ip(b, "ActorIpAddress", ip, IpStyle::Bare, 0);
    }
    kg(b, "InterSystemsId", r.guid());
    kg(b, "IntraSystemId", r.guid());
    ks(b, "SupportTicketId", "");
    b.push_str(",\"Target\":[{\"ID\":\"User_");
    w_guid(b, tu.oid);
    b.push_str("\",\"Type\":2},{\"ID\":\"");
    w_guid(b, tu.oid);
    b.push_str("\",\"Type\":2},{\"ID\":\"User\",\"Type\":2},{\"ID\":");
    esc(b, &tu.upn);
    b.push_str(",\"Type\":5},{\"ID\":");
    esc(b, &tu.puid);
    b.push_str(",\"Type\":3}");
    if let Some((name, gid)) = extra_target {
        b.push_str(",{\"ID\":\"Group_");
        w_guid(b, gid);
        b.push_str("\",\"Type\":2},{\"ID\":");
        esc(b, name);
        b.push_str(",\"Type\":1}");
    }
    b.push(']');
    kg(b, "TargetContextId", w.org);
    b.push('}');
}

fn mx_for<'a>(w: &World, st: &mut St, u: usize, t: i64, slot: usize) -> Mx<'a> {
    let us = &w.users[u];
    let phone = slot == PHONE;
    let ip = w.slot_ip(u, slot);
    let (cis, app, style): (&'static str, &'static str, IpStyle) = if phone {
        (
            "Client=OutlookService;Outlook-iOS/2.0;",
            APPS[APP_OUTLOOK_MOBILE].id,
            IpStyle::Port,
        )
    } else if us.desk == 2 || st.r.chance(0.3) {
        (
            "Client=REST;Client=RESTSystem;;",
            APPS[APP_OWA].id,
            if st.r.chance(0.5) {
                IpStyle::Port
            } else {
                IpStyle::Bare
            },
        )
    } else {
        ("Client=MSExchangeRPC", APPS[APP_OFFICE].id, IpStyle::Port)
    };
    let session = st.session(u, slot);
    Mx {
        t,
        u,
        ip,
        style: if st.r.chance(0.1) {
            IpStyle::Absent
        } else {
            style
        },
        port: st.r.range(1025, 65535) as u16,
        cis,
        app,
        client_app: app,
        session: derive_guid(session, 99),
        aad_session: session,
        issued: t - st.r.range(60, 3500),
    }
}

/// One background UAL record at time `t`.
fn gen_ual<'w>(w: &'w World, st: &mut St, b: &mut String, t: i64) -> UalMeta<'w> {
    let id = st.r.guid();
    let kind = st.r.weighted(&[35, 25, 20, 5, 5, 5, 5]);
    match kind {
        0 | 3 | 4 => {
            let u = w.pick_user(&mut st.r);
            let slot = ual_slot(w, st, u, t);
            let m = mx_for(w, st, u, t, slot);
            let upn = w.users[u].upn.as_str();
            match kind {
                0 => {
                    let sync = m.cis == "Client=MSExchangeRPC" && st.r.chance(0.45);
                    let n = if st.r.chance(0.7) {
                        1 + st.r.idx(4)
                    } else {
                        1 + st.r.idx(20)
                    };
                    mia(w, &mut st.r, b, &m, id, sync, n, false);
                    UalMeta {
                        t,
                        rt: 50,
                        op: "MailItemsAccessed",
                        user: upn,
                        id,
                    }
                }
                3 => {
                    let subj = subject(&mut st.r);
                    let mid = msgid(w, &mut st.r, u, true);
                    let nr = 1 + st.r.idx(3);
                    let rc = benign_recipients(w, &mut st.r, nr);
                    let att = if st.r.chance(0.25) {
                        Some(format!(
                            "{} ({}b)",
                            st.r.pick(&SP_FILES),
                            st.r.range(10_000, 900_000)
                        ))
                    } else {
                        None
                    };
                    let rc = if st.r.chance(0.6) { rc } else { Vec::new() };
                    send(w, &mut st.r, b, &m, id, &subj, &mid, &rc, att.as_deref());
                    UalMeta {
                        t,
                        rt: 2,
                        op: "Send",
                        user: upn,
                        id,
                    }
                }
                _ => {
                    let x = st.r.idx(10);
                    if x < 4 {
                        update_item(w, &mut st.r, b, &m, id);
                        UalMeta {
                            t,
                            rt: 2,
                            op: "Update",
                            user: upn,
                            id,
                        }
                    } else {
                        let soft = x >= 8;
                        let from = if soft {
                            F_DELETED
                        } else {
                            *st.r.pick(&[F_INBOX, F_INBOX, F_INBOX, 5, 6, 7, F_SENT])
                        };
                        let k = if st.r.chance(0.8) { 2 } else { 5 };
                        let n = 1 + st.r.idx(k);
                        let items: Vec<(String, String)> = (0..n)
                            .map(|_| {
                                let internal = st.r.chance(0.3);
                                (msgid(w, &mut st.r, u, internal), subject(&mut st.r))
                            })
                            .collect();
                        delete_items(w, &mut st.r, b, &m, id, soft, from, &items);
                        UalMeta {
                            t,
                            rt: 3,
                            op: if soft {
                                "SoftDelete"
                            } else {
                                "MoveToDeletedItems"
                            },
                            user: upn,
                            id,
                        }
                    }
                }
            }
        }
        1 => {
            let u = w.pick_user(&mut st.r);
            let slot = ual_slot(w, st, u, t);
            let us = &w.users[u];
            let phone = slot == PHONE;
            let dev = &DEVS[if phone { us.mob } else { us.desk }];
            let app = if phone {
                &APPS[APP_OUTLOOK_MOBILE]
            } else {
                &APPS[DESK_APPS[st.r.idx(DESK_APPS.len())].0]
            };
            let personal = slot == HOME || slot == PHONE;
            let x = st.r.unit();
            let err = if x < 0.05 {
                50140
            } else if x < 0.07 {
                50074
            } else if x < 0.08 && personal {
                50126
            } else if x < 0.083 && personal {
                50055
            } else {
                0
            };
            let rt = *st.r.pick(&[
                "OAuth2:Authorize",
                "OAuth2:Authorize",
                "OAuth2:Token",
                "Login:login",
                "Login:reprocess",
                "SAS:ProcessAuth",
            ]);
            let rt = if err == 50140 { "Kmsi:kmsi" } else { rt };
            let sess = st.session(u, slot);
            let did = if phone {
                Some(us.phone_device_id)
            } else if us.managed {
                Some(us.device_id)
            } else {
                None
            };
            let ua = if app.browser || phone {
                dev.ua
            } else {
                dev.native_ua
            };
            let dname = if phone { "" } else { us.device_name.as_str() };
            let ip = w.slot_ip(u, slot);
            aad_logon(
                w,
                &mut st.r,
                b,
                t,
                id,
                &us.upn,
                Some(us.oid),
                ip,
                app,
                err,
                ua,
                rt,
                Some((dev.os, dev.dp_browser, did, dname, us.managed && !phone)),
                sess,
            );
            UalMeta {
                t,
                rt: 15,
                op: if err == 0 {
                    "UserLoggedIn"
                } else {
                    "UserLoginFailed"
                },
                user: &us.upn,
                id,
            }
        }
        2 => {
            let u = w.pick_user(&mut st.r);
            let slot = ual_slot(w, st, u, t);
            let ip = w.slot_ip(u, slot);
            let sess = st.session(u, slot);
            sp_file(w, &mut st.r, b, t, id, u, ip, slot, sess);
            // op is inside the record; re-read it cheaply.
            let op = if b.contains("\"Operation\":\"FileDownloaded\"") {
                "FileDownloaded"
            } else if b.contains("\"Operation\":\"FileModified\"") {
                "FileModified"
            } else {
                "FileAccessed"
            };
            UalMeta {
                t,
                rt: 6,
                op,
                user: &w.users[u].upn,
                id,
            }
        }
        5 => {
            let u = st.r.idx(w.users.len());
            let us = &w.users[u];
            let ident = guid_s(us.mbx);
            let (op, params): (&'static str, Vec<(&str, String)>) = match st.r.idx(6) {
                0 => (
                    "Set-Mailbox",
                    vec![
                        ("Identity", ident),
                        ("RetentionPolicy", "Default MRM Policy".into()),
                    ],
                ),
                1 => (
                    "Set-Mailbox",
                    vec![
                        ("Identity", ident),
                        ("SingleItemRecoveryEnabled", "True".into()),
                        ("RetainDeletedItemsFor", "14.00:00:00".into()),
                    ],
                ),
                2 => (
                    "Set-MailboxPlan",
                    vec![
                        (
                            "Identity",
                            format!("ExchangeOnlineEnterprise-{}", guid_s(w.org)),
                        ),
                        ("MaxSendSize", "35 MB (36,700,160 bytes)".into()),
                        ("MaxReceiveSize", "36 MB (37,748,736 bytes)".into()),
                    ],
                ),
                3 => (
                    "Set-MailboxRegionalConfiguration",
                    vec![
                        ("Identity", ident),
                        ("Language", "en-US".into()),
                        ("DateFormat", "M/d/yyyy".into()),
                        ("TimeZone", "W. Europe Standard Time".into()),
                        ("LocalizeDefaultFolderName", "True".into()),
                    ],
                ),
                4 => (
                    "Set-CalendarProcessing",
                    vec![
                        ("Identity", ident),
                        ("AutomateProcessing", "AutoUpdate".into()),
                    ],
                ),
                _ => (
                    "Set-Mailbox",
                    vec![
                        ("Identity", ident),
                        ("ProhibitSendQuota", "99 GB (106,300,440,576 bytes)".into()),
                        ("IssueWarningQuota", "98 GB (105,226,698,752 bytes)".into()),
                    ],
                ),
            };
            let p: Vec<(&str, &str)> = params.iter().map(|(a, v)| (*a, v.as_str())).collect();
            admin_cmd(
                w, &mut st.r, b, t, id, op, SYSTEM_ID, SYSTEM_KEY, 3, None, u, None, &p, "", None,
            );
            UalMeta {
                t,
                rt: 1,
                op,
                user: SYSTEM_ID,
                id,
            }
        }
        _ => {
            let u = st.r.idx(w.users.len());
            let x = st.r.idx(20);
            if x < 11 {
                let old = iso_z(t - st.r.range(1800, 86_400));
                let new = iso_z(t - st.r.range(0, 300));
                let nv = format!("[\r\n  \"{new}\"\r\n]");
                let ov = format!("[\r\n  \"{old}\"\r\n]");
                aad_dir(
                    w,
                    &mut st.r,
                    b,
                    t,
                    id,
                    "Update user.",
                    &w.dirsync,
                    w.dirsync_oid,
                    None,
                    u,
                    &[
                        ("LastDirSyncTime", &nv, &ov),
                        ("Included Updated Properties", "LastDirSyncTime", ""),
                    ],
                    None,
                );
                UalMeta {
                    t,
                    rt: 8,
                    op: "Update user.",
                    user: &w.dirsync,
                    id,
                }
            } else if x < 16 {
                let add = x < 14;
                let (g, gid) = &w.groups[st.r.idx(w.groups.len())];
                let a = &w.users[w.admin];
                let slot = ual_slot(w, st, w.admin, t);
                let ip = w.slot_ip(w.admin, slot);
                let gid_s = guid_s(*gid);
                let op = if add {
                    "Add member to group."
                } else {
                    "Remove member from group."
                };
                let (nv, ov) = if add {
                    (gid_s.as_str(), "")
                } else {
                    ("", gid_s.as_str())
                };
                let (nn, on) = if add {
                    (g.as_str(), "")
                } else {
                    ("", g.as_str())
                };
                aad_dir(
                    w,
                    &mut st.r,
                    b,
                    t,
                    id,
                    op,
                    &a.upn,
                    a.oid,
                    Some(ip),
                    u,
                    &[("Group.ObjectID", nv, ov), ("Group.DisplayName", nn, on)],
                    Some((g, *gid)),
                );
                UalMeta {
                    t,
                    rt: 8,
                    op,
                    user: &a.upn,
                    id,
                }
            } else {
                let op = if x < 19 {
                    "Update device."
                } else {
                    "Add registered owner to device."
                };
                let ts = iso_z(t - st.r.range(0, 600));
                let nv = format!("[\r\n  \"{ts}\"\r\n]");
                aad_dir(
                    w,
                    &mut st.r,
                    b,
                    t,
                    id,
                    op,
                    "Device Registration Service",
                    0x0000_0000_0000_0000_0000_0000_01ab_c0de,
                    None,
                    u,
                    &[
                        ("ApproximateLastLogonTimestamp", &nv, "[]"),
                        (
                            "Included Updated Properties",
                            "ApproximateLastLogonTimestamp",
                            "",
                        ),
                    ],
                    None,
                );
                UalMeta {
                    t,
                    rt: 8,
                    op,
                    user: "Device Registration Service",
                    id,
                }
            }
        }
    }
}

// ───────────────────────────── planted events ─────────────────────────────

struct PlanUal {
    t: i64,
    rt: u8,
    op: String,
    user: String,
    id: u128,
    ad: String,
}

struct PlanSi {
    t: i64,
    line: String,
}

struct Plan {
    ual: Vec<PlanUal>,
    si: Vec<PlanSi>,
}

impl Plan {
    fn ual(&mut self, t: i64, rt: u8, op: &str, user: &str, id: u128, ad: String) {
        self.ual.push(PlanUal {
            t,
            rt,
            op: op.into(),
            user: user.into(),
            id,
            ad,
        });
    }
}

struct AttIps {
    pool: Vec<Ip>,
    next: usize,
}

impl AttIps {
    fn new(r: &mut Rng) -> AttIps {
        let mut pool = Vec::new();
        for base in [
            (192u32 << 24) | (2 << 8),
            (198 << 24) | (51 << 16) | (100 << 8),
            (203 << 24) | (113 << 8),
        ] {
            for h in 1..255 {
                pool.push(Ip::V4(base | h));
            }
        }
        r.shuffle(&mut pool);
        AttIps { pool, next: 0 }
    }
    fn take(&mut self, r: &mut Rng, v6: bool) -> Ip {
        if !v6 && self.next < self.pool.len() {
            self.next += 1;
            return self.pool[self.next - 1];
        }
        self.next += 1;
        Ip::V6([
            0x2001,
            0xdb8,
            0xbad,
            (self.next % 0xfffe) as u16 + 1,
            0,
            0,
            0,
            1 + r.below(0xfffe) as u16,
        ])
    }
}

/// Benign sign-in planted at a fixed time (victim baseline, actor before an admin action).
fn plant_benign_signin(w: &World, st: &mut St, plan: &mut Plan, u: usize, t: i64, slot: usize) {
    if st.si.is_none() {
        return;
    }
    let mut b = String::new();
    benign_signin(w, st, &mut b, u, t, slot, true);
    st.seen[u] |= 1 << slot;
    plan.si.push(PlanSi { t, line: b });
}

fn office_or_home(w: &World, r: &mut Rng, u: usize) -> usize {
    if w.users[u].site.is_some() {
        r.idx(3)
    } else {
        HOME
    }
}

struct Truth {
    v: serde_json::Value,
}

#[allow(clippy::too_many_arguments)]
fn plant_compromise(
    w: &World,
    st: &mut St,
    plan: &mut Plan,
    att: &mut AttIps,
    ci: usize,
    victim: usize,
    fwd_addr: &str,
    shared: bool,
) -> Truth {
    let us = &w.users[victim];
    let home_code = BENIGN[us.country].code;
    let span = (w.end - w.start) as f64;
    let t0 = w.start + (span * (0.25 + 0.6 * st.r.unit())) as i64;
    let att_countries: Vec<usize> = (0..ATTACK.len())
        .filter(|&i| ATTACK[i].code != home_code)
        .collect();
    let spray_c = *st.r.pick(&att_countries);
    let access_c = if st.r.chance(0.5) {
        spray_c
    } else {
        *st.r.pick(&att_countries)
    };
    let spray_ip = att.take(&mut st.r, false);
    let access_ip = att.take(&mut st.r, false);
    let token_v6 = st.r.chance(0.3);
    let token_ip = att.take(&mut st.r, token_v6);
    let loc = |c: usize| -> (&'static str, &'static str, &'static str, f64, f64, u32) {
        let (city, state, la, lo) = ATTACK[c].cities[0];
        (
            ATTACK[c].code,
            city,
            state,
            la,
            lo,
            4_200_000_900 + c as u32,
        )
    };

    // Baseline: the victim signed in normally during the days before.
    for _ in 0..st.r.range(3, 6) {
        let tb = t0 - st.r.range(3600, 6 * 86_400);
        let slot = office_or_home(w, &mut st.r, victim);
        plant_benign_signin(w, st, plan, victim, tb.max(w.start), slot);
    }

    // 1. Password spray, two rounds; the victim's second attempt succeeds.
    let (spray_ua, spray_client, spray_proto, spray_may): (&str, &str, &str, &[&str]) = match st
        .r
        .idx(3)
    {
        0 => (
            "BAV2ROPC",
            "Other clients",
            "ropc",
            &["signin.legacy-auth", "signin.suspicious-user-agent"],
        ),
        1 => (
            "python-requests/2.31.0",
            "Mobile Apps and Desktop clients",
            "ropc",
            &["signin.suspicious-user-agent"],
        ),
        _ => (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Mobile Apps and Desktop clients",
            "none",
            &[],
        ),
    };
    let n_real = (st.r.range(10, 20) as usize).min(w.users.len().saturating_sub(1));
    let mut targets: Vec<Option<usize>> = vec![Some(victim)];
    while targets.len() < n_real + 1 {
        let x = st.r.idx(w.users.len());
        if x != victim && x != w.admin && !targets.contains(&Some(x)) {
            targets.push(Some(x));
        } else if w.users.len() <= 12 {
            // tiny tenants: take whoever is left
            if let Some(y) = (0..w.users.len()).find(|y| !targets.contains(&Some(*y))) {
                targets.push(Some(y));
            } else {
                break;
            }
        }
    }
    let n_fake = (12usize.saturating_sub(targets.len())).max(st.r.range(1, 3) as usize);
    let fake_names: Vec<String> = (0..n_fake)
        .map(|k| {
            format!(
                "{}{}@{}",
                *st.r.pick(&[
                    "admin",
                    "info",
                    "accounts",
                    "hr",
                    "it.support",
                    "finance",
                    "scanner"
                ]),
                if k > 0 { k.to_string() } else { String::new() },
                w.domain
            )
        })
        .collect();
    for _ in 0..n_fake {
        targets.push(None);
    }
    st.r.shuffle(&mut targets);
    let spray_app = &APPS[APP_OFFICE];
    let mut t = t0;
    let mut succ_t = 0;
    let mut victim_first = i64::MAX;
    let mut fake_i;
    let mut target_names: Vec<String> = Vec::new();
    for round in 0..2 {
        fake_i = 0;
        for tg in &targets {
            t += st.r.range(8, 45);
            let (upn, disp, oid) = match tg {
                Some(x) => (
                    w.users[*x].upn.clone(),
                    w.users[*x].display.clone(),
                    Some(w.users[*x].oid),
                ),
                None => {
                    fake_i += 1;
                    (fake_names[fake_i - 1].clone(), String::new(), None)
                }
            };
            if round == 0 {
                target_names.push(upn.clone());
            }
            let success = round == 1 && *tg == Some(victim);
            let err = if success {
                0
            } else if oid.is_none() {
                50034
            } else {
                50126
            };
            if *tg == Some(victim) {
                victim_first = victim_first.min(t);
            }
            if success {
                succ_t = t;
            }
            let sess = st.r.guid();
            if st.si.is_some() {
                let mut b = String::new();
                let rec = SiRec {
                    t,
                    id: st.r.guid(),
                    corr: st.r.guid(),
                    upn: &upn,
                    display: &disp,
                    uid: oid,
                    app: spray_app,
                    ip: spray_ip,
                    loc: loc(spray_c),
                    client_app: spray_client,
                    ua: spray_ua,
                    interactive: true,
                    err,
                    os: "",
                    browser: "",
                    device_id: None,
                    device_name: "",
                    compliant: false,
                    managed: false,
                    trust: "",
                    mfa: false,
                    protocol: spray_proto,
                    session: sess,
                    risk: if success { "medium" } else { "none" },
                    risk_events: if success {
                        &["unfamiliarFeatures"]
                    } else {
                        &[]
                    },
                    incoming: "none",
                    tenant: w.org,
                };
                write_signin(&mut b, &mut st.r, &rec);
                plan.si.push(PlanSi { t, line: b });
            }
            let id = st.r.guid();
            let mut ad = String::new();
            aad_logon(
                w,
                &mut st.r,
                &mut ad,
                t,
                id,
                &upn,
                oid,
                spray_ip,
                spray_app,
                err,
                spray_ua,
                "OAuth2:Token",
                None,
                sess,
            );
            plan.ual(
                t,
                15,
                if err == 0 {
                    "UserLoggedIn"
                } else {
                    "UserLoginFailed"
                },
                &upn,
                id,
                ad,
            );
        }
        t += st.r.range(300, 900);
    }
    let spray_end = t;

    // 2. Interactive sign-in from a new country, then token refreshes.
    let acc_t = succ_t + st.r.range(1200, 4 * 3600);
    let acc_sess = st.r.guid();
    let att_ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36";
    let risky = st.r.chance(0.5);
    let mut last = acc_t;
    let mut si_times = vec![
        (acc_t, APP_OFFICEHOME, true),
        (acc_t + st.r.range(20, 120), APP_OWA, false),
    ];
    let mut tr = acc_t;
    for _ in 0..st.r.range(3, 8) {
        tr += st.r.range(1800, 5 * 3600);
        si_times.push((
            tr,
            *st.r.pick(&[APP_OWA, APP_OFFICEHOME, APP_OFFICE]),
            false,
        ));
    }
    for &(ts, app_i, inter) in &si_times {
        let ts = ts.min(w.end - 60);
        last = last.max(ts);
        if st.si.is_some() {
            let mut b = String::new();
            let rec = SiRec {
                t: ts,
                id: st.r.guid(),
                corr: st.r.guid(),
                upn: &us.upn,
                display: &us.display,
                uid: Some(us.oid),
                app: &APPS[app_i],
                ip: access_ip,
                loc: loc(access_c),
                client_app: APPS[app_i].client_app,
                ua: att_ua,
                interactive: inter,
                err: 0,
                os: "Windows10",
                browser: "Chrome 121.0.0",
                device_id: None,
                device_name: "",
                compliant: false,
                managed: false,
                trust: "",
                mfa: false,
                protocol: "none",
                session: acc_sess,
                risk: if risky && inter { "medium" } else { "none" },
                risk_events: if risky && inter {
                    &["unfamiliarFeatures", "anonymizedIPAddress"]
                } else {
                    &[]
                },
                incoming: if inter { "none" } else { "refreshToken" },
                tenant: w.org,
            };
            write_signin(&mut b, &mut st.r, &rec);
            plan.si.push(PlanSi { t: ts, line: b });
        }
        if inter || st.r.chance(0.5) {
            let id = st.r.guid();
            let mut ad = String::new();
            aad_logon(
                w,
                &mut st.r,
                &mut ad,
                ts,
                id,
                &us.upn,
                Some(us.oid),
                access_ip,
                &APPS[app_i],
                0,
                att_ua,
                if inter { "Login:login" } else { "OAuth2:Token" },
                Some(("Windows10", "Chrome", None, "", false)),
                acc_sess,
            );
            plan.ual(ts, 15, "UserLoggedIn", &us.upn, id, ad);
        }
    }
    let owa = Mx {
        t: acc_t,
        u: victim,
        ip: access_ip,
        style: IpStyle::Port,
        port: 50000,
        cis: "Client=OWA;Action=ViaProxy",
        app: APPS[APP_OWA].id,
        client_app: APPS[APP_OWA].id,
        session: st.r.guid(),
        aad_session: acc_sess,
        issued: acc_t,
    };

    // 3. Inbox rule.
    let rule_t = acc_t + st.r.range(180, 900);
    let rule_name = *st.r.pick(&RULE_NAMES);
    let forward_variant = st.r.chance(0.5);
    let keywords = if forward_variant && st.r.chance(0.5) {
        None
    } else {
        Some(*st.r.pick(&FRAUD_KEYWORDS))
    };
    let hide_folder = *st.r.pick(&HIDE_FOLDERS);
    let mut params: Vec<(&str, &str)> = vec![
        ("AlwaysDeleteOutlookRulesBlob", "False"),
        ("Force", "False"),
    ];
    if let Some(k) = keywords {
        params.push(("SubjectOrBodyContainsWords", k));
    }
    if forward_variant {
        params.push(("ForwardTo", fwd_addr));
    } else {
        params.push(("MoveToFolder", hide_folder));
        params.push(("MarkAsRead", "True"));
    }
    params.push(("Name", rule_name));
    params.push(("StopProcessingRules", "True"));
    let id = st.r.guid();
    let mut ad = String::new();
    let utype = if st.r.chance(0.3) { 2 } else { 0 };
    admin_cmd(
        w,
        &mut st.r,
        &mut ad,
        rule_t,
        id,
        "New-InboxRule",
        &us.upn,
        &us.puid,
        utype,
        Some(access_ip),
        victim,
        Some(rule_name),
        &params,
        EXO,
        Some((acc_sess, acc_t)),
    );
    plan.ual(rule_t, 1, "New-InboxRule", &us.upn, id, ad);
    last = last.max(rule_t);

    // 4. Mailbox forwarding.
    let fwd_t = rule_t + st.r.range(60, 1200);
    let smtp = format!("smtp:{fwd_addr}");
    let ident = if st.r.chance(0.5) {
        guid_s(us.mbx)
    } else {
        us.display.clone()
    };
    let id = st.r.guid();
    let mut ad = String::new();
    admin_cmd(
        w,
        &mut st.r,
        &mut ad,
        fwd_t,
        id,
        "Set-Mailbox",
        &us.upn,
        &us.puid,
        0,
        Some(access_ip),
        victim,
        None,
        &[
            ("Identity", &ident),
            ("ForwardingSmtpAddress", &smtp),
            ("DeliverToMailboxAndForward", "True"),
        ],
        EXO,
        Some((acc_sess, acc_t)),
    );
    plan.ual(fwd_t, 1, "Set-Mailbox", &us.upn, id, ad);
    last = last.max(fwd_t);

    // 5. Fraud mail, then cover tracks.
    let send_t = acc_t + st.r.range(1200, 5400);
    let fsubj = *st.r.pick(&FRAUD_SUBJECTS);
    let fmid = msgid(w, &mut st.r, victim, true);
    let (pdom, pname) = *st.r.pick(&PARTNERS);
    let rc = vec![(format!("ap@{pdom}"), format!("{pname} Accounts Payable"))];
    let id = st.r.guid();
    let mut ad = String::new();
    let m = Mx { t: send_t, ..owa };
    send(
        w,
        &mut st.r,
        &mut ad,
        &m,
        id,
        fsubj,
        &fmid,
        &rc,
        Some("remittance.pdf (120433b)"),
    );
    plan.ual(send_t, 2, "Send", &us.upn, id, ad);
    let del_t = send_t + st.r.range(60, 300);
    let soft_t = del_t + st.r.range(30, 600);
    let items = vec![(fmid.clone(), fsubj.to_string())];
    for (ts, soft) in [(del_t, false), (soft_t, true)] {
        let id = st.r.guid();
        let mut ad = String::new();
        let m = Mx { t: ts, ..owa };
        delete_items(
            w,
            &mut st.r,
            &mut ad,
            &m,
            id,
            soft,
            if soft { F_DELETED } else { F_SENT },
            &items,
        );
        plan.ual(
            ts,
            3,
            if soft {
                "SoftDelete"
            } else {
                "MoveToDeletedItems"
            },
            &us.upn,
            id,
            ad,
        );
    }
    last = last.max(soft_t);

    // Optional MFA-method persistence.
    let mfa_persist = st.r.chance(0.3);
    if mfa_persist {
        let ts = acc_t + st.r.range(300, 2400);
        let id = st.r.guid();
        let mut ad = String::new();
        aad_dir(
            w,
            &mut st.r,
            &mut ad,
            ts,
            id,
            "Update user.",
            &us.upn,
            us.oid,
            Some(access_ip),
            victim,
            &[
                (
                    "StrongAuthenticationPhoneAppDetail",
                    "[{\"DeviceName\":\"iPhone 12\",\"DeviceToken\":\"apns2-7f3c\",\"DeviceTag\":\"SoftwareTokenActivated\",\"PhoneAppVersion\":\"6.7.19\",\"OathTokenTimeDrift\":0,\"AuthenticationType\":3,\"NotificationType\":4}]",
                    "[]",
                ),
                (
                    "Included Updated Properties",
                    "StrongAuthenticationPhoneAppDetail",
                    "",
                ),
            ],
            None,
        );
        plan.ual(ts, 8, "Update user.", &us.upn, id, ad);
        last = last.max(ts);
    }

    // 6. Mail read: via OWA from the access IP, and via REST from an IP never seen in sign-ins.
    for _ in 0..st.r.range(2, 5) {
        let ts = acc_t + st.r.range(60, 7200);
        let id = st.r.guid();
        let mut ad = String::new();
        let m = Mx { t: ts, ..owa };
        let n = st.r.range(3, 20) as usize;
        mia(w, &mut st.r, &mut ad, &m, id, false, n, false);
        plan.ual(ts, 50, "MailItemsAccessed", &us.upn, id, ad);
    }
    let mia_end = acc_t + st.r.range(6 * 3600, 3 * 86_400);
    let n_mia = st.r.range(5, 25);
    let rest_sess = st.r.guid();
    let mut first_token_t = i64::MAX;
    for k in 0..n_mia {
        let ts = (acc_t + 600 + (mia_end - acc_t - 600) * k / n_mia + st.r.range(0, 300))
            .min(w.end - 60);
        first_token_t = first_token_t.min(ts);
        let id = st.r.guid();
        let mut ad = String::new();
        let m = Mx {
            t: ts,
            u: victim,
            ip: token_ip,
            style: IpStyle::Port,
            port: st.r.range(1025, 65535) as u16,
            cis: "Client=REST;Client=RESTSystem;;",
            app: GRAPH,
            client_app: APPS[APP_OFFICE].id,
            session: rest_sess,
            aad_session: acc_sess,
            issued: acc_t,
        };
        let sync = st.r.chance(0.2);
        let n = st.r.range(5, 20) as usize;
        let throttled = k == n_mia - 1 && st.r.chance(0.3);
        mia(w, &mut st.r, &mut ad, &m, id, sync, n, throttled);
        plan.ual(ts, 50, "MailItemsAccessed", &us.upn, id, ad);
        last = last.max(ts);
    }

    // 7. Containment by the admin.
    let mut contained: Option<i64> = None;
    if st.r.chance(0.65) {
        let tc = last + st.r.range(2 * 3600, 2 * 86_400);
        if tc < w.end - 3600 {
            contained = Some(tc);
            let a = w.admin;
            let au = &w.users[a];
            let slot = office_or_home(w, &mut st.r, a);
            let ts0 = tc - st.r.range(120, 900);
            plant_benign_signin(w, st, plan, a, ts0, slot);
            let aip = w.slot_ip(a, slot);
            let asess = st.session(a, slot);
            let mut ts = tc;
            for op in [
                "Reset user password.",
                "Update StsRefreshTokenValidFrom Timestamp.",
            ] {
                let id = st.r.guid();
                let mut ad = String::new();
                let stamp = iso_z(ts);
                let nv = format!("[\r\n  \"{stamp}\"\r\n]");
                let mods: Vec<(&str, &str, &str)> = if op.starts_with("Reset") {
                    vec![("Included Updated Properties", "", "")]
                } else {
                    vec![
                        ("StsRefreshTokensValidFrom", &nv, "[]"),
                        (
                            "Included Updated Properties",
                            "StsRefreshTokensValidFrom",
                            "",
                        ),
                    ]
                };
                aad_dir(
                    w,
                    &mut st.r,
                    &mut ad,
                    ts,
                    id,
                    op,
                    &au.upn,
                    au.oid,
                    Some(aip),
                    victim,
                    &mods,
                    None,
                );
                plan.ual(ts, 8, op, &au.upn, id, ad);
                ts += st.r.range(20, 120);
            }
            let rid = format!("{}\\{}", us.upn, rule_name);
            for (op, params) in [
                (
                    "Remove-InboxRule",
                    vec![("Identity", rid.as_str()), ("Confirm", "False")],
                ),
                (
                    "Set-Mailbox",
                    vec![
                        ("Identity", us.upn.as_str()),
                        ("ForwardingSmtpAddress", ""),
                        ("DeliverToMailboxAndForward", "False"),
                    ],
                ),
            ] {
                ts += st.r.range(60, 600);
                let id = st.r.guid();
                let mut ad = String::new();
                admin_cmd(
                    w,
                    &mut st.r,
                    &mut ad,
                    ts,
                    id,
                    op,
                    &au.upn,
                    &au.puid,
                    2,
                    Some(aip),
                    victim,
                    if op == "Remove-InboxRule" {
                        Some(rule_name)
                    } else {
                        None
                    },
                    &params,
                    "",
                    Some((asess, ts - 600)),
                );
                plan.ual(ts, 1, op, &au.upn, id, ad);
            }
        }
    }

    let mut rules = vec![
        "signin.password-spray",
        "signin.brute-force-success",
        "forwarding.mailbox-smtp",
        "inbox_rule.suspicious-name",
    ];
    if st.si.is_some() {
        rules.extend(["signin.new-country", "signin.unseen-ip-mailbox-access"]);
    }
    if forward_variant {
        rules.push("forwarding.inbox-rule");
    } else {
        rules.push("inbox_rule.hiding-folder");
        rules.push("inbox_rule.delete-or-mark-read");
    }
    if keywords.is_some() {
        rules.push("inbox_rule.keyword-filter");
    }
    if shared {
        rules.push("forwarding.shared-destination");
    }
    if mfa_persist {
        rules.push("persistence.mfa-method");
    }
    let mut may: Vec<&str> = if st.si.is_some() {
        vec![]
    } else {
        vec!["signin.new-country", "signin.unseen-ip-mailbox-access"]
    };
    may.extend([
        "signin.new-ip",
        "signin.impossible-travel",
        "sent_items.scam-subject",
        "sent_items.deleted",
        "mailbox.items-accessed",
    ]);
    may.extend_from_slice(spray_may);
    if risky {
        may.push("signin.risky");
    }
    if contained.is_some() {
        may.push("persistence.password-change");
    }
    let first = victim_first;
    let mut ips = vec![ip_s(spray_ip), ip_s(access_ip), ip_s(token_ip)];
    ips.dedup();
    Truth {
        v: json!({
            "id": ci + 1,
            "account": us.upn,
            "display_name": us.display,
            "home_country": home_code,
            "attacker_ips": ips,
            "ips_by_role": {
                "spray": ip_s(spray_ip),
                "signin": ip_s(access_ip),
                "mailbox_access_unseen": ip_s(token_ip),
            },
            "attacker_countries": {"spray": ATTACK[spray_c].code, "signin": ATTACK[access_c].code},
            "first_event": iso_z(first),
            "last_event": iso_z(last),
            "spray": {
                "start": iso_z(t0 + 1),
                "end": iso_z(spray_end),
                "success": iso_z(succ_t),
                "user_agent": spray_ua,
                "targets": target_names,
            },
            "new_country_signin": iso_z(acc_t),
            "inbox_rule": {
                "time": iso_z(rule_t),
                "name": rule_name,
                "forward_to": if forward_variant { Some(fwd_addr) } else { None },
                "move_to_folder": if forward_variant { None } else { Some(hide_folder) },
                "mark_as_read": !forward_variant,
                "subject_or_body_contains": keywords,
            },
            "forwarding_smtp_address": fwd_addr,
            "forwarding_time": iso_z(fwd_t),
            "fraud_send": {"time": iso_z(send_t), "subject": fsubj, "internet_message_id": fmid, "deleted": iso_z(del_t), "soft_deleted": iso_z(soft_t)},
            "unseen_ip_mailbox_access": {"first": iso_z(first_token_t), "records": n_mia},
            "mfa_method_added": mfa_persist,
            "contained_at": contained.map(iso_z),
            "rules": rules,
            "may_fire": may,
        }),
    }
}

/// Benign look-alikes: users' own tidy-up rules and an admin's internal forwarding.
fn plant_benign(w: &World, st: &mut St, plan: &mut Plan, victims: &[usize]) -> serde_json::Value {
    let n_rules = (w.users.len() / 40).clamp(2, 200);
    let mut rules_out = Vec::new();
    let templates: [(&str, &str, &str, &str); 5] = [
        (
            "Newsletters",
            "From",
            "newsletter@news.northwind.example",
            "Newsletters",
        ),
        (
            "Move Jira notifications",
            "FromAddressContainsWords",
            "jira@",
            "Jira",
        ),
        (
            "Vendor invoices",
            "SubjectContainsWords",
            "invoice",
            "Invoices",
        ),
        ("CC'd mail → Later", "MyNameInCcBox", "True", "Later"),
        (
            "Déplacer les alertes",
            "SubjectContainsWords",
            "[ALERT]",
            "Alerts",
        ),
    ];
    for k in 0..n_rules {
        let u = 1 + st.r.idx(w.users.len().max(2) - 1).min(w.users.len() - 1);
        if victims.contains(&u) || u >= w.users.len() {
            continue;
        }
        let us = &w.users[u];
        let (name, cond, val, folder) = templates[k % templates.len()];
        let t = w.start + st.r.range(3600, (w.end - w.start) - 3600);
        let slot = office_or_home(w, &mut st.r, u);
        let ts0 = t - st.r.range(120, 3000);
        plant_benign_signin(w, st, plan, u, ts0, slot);
        let ip = w.slot_ip(u, slot);
        let sess = st.session(u, slot);
        let params = [
            ("AlwaysDeleteOutlookRulesBlob", "False"),
            ("Force", "False"),
            (cond, val),
            ("MoveToFolder", folder),
            ("Name", name),
            ("StopProcessingRules", "False"),
        ];
        let id = st.r.guid();
        let mut ad = String::new();
        admin_cmd(
            w,
            &mut st.r,
            &mut ad,
            t,
            id,
            "New-InboxRule",
            &us.upn,
            &us.puid,
            0,
            Some(ip),
            u,
            Some(name),
            &params,
            EXO,
            Some((sess, t - 1800)),
        );
        plan.ual(t, 1, "New-InboxRule", &us.upn, id, ad);
        rules_out.push((t, json!({"account": us.upn, "time": iso_z(t), "name": name, "move_to_folder": folder, "condition": {cond: val}})));
    }
    rules_out.sort_by_key(|x| x.0);
    let rules_out: Vec<serde_json::Value> = rules_out.into_iter().map(|x| x.1).collect();
    // Admin sets internal forwarding for a leaver's mailbox.
    let mut fwd_out = Vec::new();
    if w.users.len() >= 3 {
        let from = loop {
            let x = 1 + st.r.idx(w.users.len() - 1);
            if !victims.contains(&x) {
                break x;
            }
            if victims.len() + 1 >= w.users.len() {
                break x;
            }
        };
        let to = (from % (w.users.len() - 1)) + 1;
        let t = w.start + st.r.range(86_400, (w.end - w.start) - 86_400);
        let a = &w.users[w.admin];
        let slot = office_or_home(w, &mut st.r, w.admin);
        plant_benign_signin(w, st, plan, w.admin, t - 600, slot);
        let ip = w.slot_ip(w.admin, slot);
        let sess = st.session(w.admin, slot);
        let smtp = format!("smtp:{}", w.users[to].upn);
        let id = st.r.guid();
        let mut ad = String::new();
        admin_cmd(
            w,
            &mut st.r,
            &mut ad,
            t,
            id,
            "Set-Mailbox",
            &a.upn,
            &a.puid,
            2,
            Some(ip),
            from,
            None,
            &[
                ("Identity", &w.users[from].upn),
                ("ForwardingSmtpAddress", &smtp),
                ("DeliverToMailboxAndForward", "True"),
            ],
            "",
            Some((sess, t - 900)),
        );
        plan.ual(t, 1, "Set-Mailbox", &a.upn, id, ad);
        fwd_out.push(json!({"account": w.users[from].upn, "actor": a.upn, "time": iso_z(t), "forwarding_smtp_address": w.users[to].upn, "internal": true}));
    }
    let offices: Vec<serde_json::Value> = w
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"site": SITES[i].0, "country": BENIGN[s.country].code, "egress_ips": s.ips.iter().map(|ip| ip_s(*ip)).collect::<Vec<_>>()}))
        .collect();
    json!({
        "note": "Benign activity that resembles attacker behaviour. These accounts are not compromised; low/medium findings on them are acceptable, a 'compromised' verdict is a false positive.",
        "inbox_rules": rules_out,
        "internal_forwarding": fwd_out,
        "office_egress": offices,
        "admin": w.users[w.admin].upn,
        "login_interrupts": "UserLoginFailed / sign-ins with 50140 (keep me signed in) and 50074 (MFA required) are interrupts of successful logons and come from shared office egress IPs too; only 50126/50034/50053/50055/50057 are credential failures. Benign 50126/50055 come only from each user's own home or phone IP.",
        "system_actors": [SYSTEM_ID, w.dirsync, "Device Registration Service"],
    })
}

// ───────────────────────────── main ─────────────────────────────

fn main() {
    let args = Args::parse();
    let started = Instant::now();
    let size =
        parse_size(&args.size).unwrap_or_else(|| fatal(format!("bad --size {:?}", args.size)));
    if !(0.0..=1.0).contains(&args.signins_ratio) {
        fatal("--signins-ratio must be within 0..1");
    }
    if args.days == 0 {
        fatal("--days must be at least 1");
    }
    if args.tenant.is_empty()
        || !args
            .tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        fatal("--tenant must be ASCII letters, digits or '-'");
    }
    let start = {
        let p: Vec<&str> = args.start.split('-').collect();
        if p.len() != 3 {
            fatal("--start must be YYYY-MM-DD");
        }
        let y: i64 = p[0].parse().unwrap_or_else(|_| fatal("bad --start year"));
        let m: u32 = p[1].parse().unwrap_or_else(|_| fatal("bad --start month"));
        let d: u32 = p[2].parse().unwrap_or_else(|_| fatal("bad --start day"));
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            fatal("bad --start date");
        }
        days_from_civil(y, m, d) * 86_400
    };
    if args.out.exists() {
        let non_empty = fs::read_dir(&args.out)
            .map(|mut d| d.next().is_some())
            .unwrap_or_else(|e| fatal(format!("{}: {e}", args.out.display())));
        if non_empty && !args.force {
            fatal(format!(
                "{} exists and is not empty (use --force)",
                args.out.display()
            ));
        }
    }
    fs::create_dir_all(&args.out).unwrap_or_else(|e| fatal(format!("{}: {e}", args.out.display())));

    let mut r = Rng::new(args.seed);
    let w = World::build(&args, &mut r, start);
    let n_users = w.users.len();
    let si_path = args.out.join("signins.jsonl");
    let si = if args.signins_ratio > 0.0 {
        Some(SiSink {
            out: Out::create(&si_path),
        })
    } else {
        let _ = fs::remove_file(&si_path);
        None
    };
    let mut st = St {
        r: Rng::new(args.seed.wrapping_mul(31).wrapping_add(17)),
        seen: vec![0; n_users],
        sess: vec![0; n_users * SLOTS],
        si,
        sbuf: String::with_capacity(4096),
    };

    // Plan compromises.
    let n_comp = args
        .compromises
        .unwrap_or((n_users / 100).max(1))
        .min(n_users);
    let mut victims: Vec<usize> = Vec::new();
    while victims.len() < n_comp {
        let v = if n_users > 1 {
            1 + st.r.idx(n_users - 1)
        } else {
            0
        };
        if !victims.contains(&v) {
            victims.push(v);
        } else if victims.len() + 1 >= n_users {
            break;
        }
    }
    let mut plan = Plan {
        ual: Vec::new(),
        si: Vec::new(),
    };
    let mut att = AttIps::new(&mut st.r);
    let fwd_addrs: Vec<String> = victims
        .iter()
        .map(|&v| {
            let u = &w.users[v];
            let dom = *st.r.pick(&ATT_DOMAINS);
            match st.r.idx(3) {
                0 => format!("{}.{}.{}@{dom}", u.first_a, u.last_a, st.r.range(10, 99)),
                1 => format!("accounts.payable{}@{dom}", st.r.range(1, 999)),
                _ => format!("{}{}@{dom}", u.last_a, st.r.range(100, 9999)),
            }
        })
        .collect();
    let shared_addr = format!(
        "accounts.payable{}@{}",
        st.r.range(1, 999),
        st.r.pick(&ATT_DOMAINS)
    );
    let mut truths = Vec::new();
    for (ci, &v) in victims.iter().enumerate() {
        let shared = n_comp >= 2 && (ci == 0 || ci == n_comp - 1);
        let addr = if shared {
            shared_addr.clone()
        } else {
            fwd_addrs[ci].clone()
        };
        truths.push(plant_compromise(&w, &mut st, &mut plan, &mut att, ci, v, &addr, shared).v);
    }
    let benign = plant_benign(&w, &mut st, &mut plan, &victims);
    plan.ual.sort_by_key(|p| p.t);
    plan.si.sort_by_key(|p| p.t);

    // Stream.
    let ual_path = args.out.join("ual.csv");
    let mut ual = UalSink::new(
        &ual_path,
        args.layout,
        args.line_ending,
        args.bom,
        args.seed,
    );
    let ual_budget = (size as f64 * (1.0 - args.signins_ratio)) as u64;
    let si_budget = (size as f64 * args.signins_ratio) as u64;
    let mut ad = String::with_capacity(8192);
    let mut sb = String::with_capacity(8192);
    let (mut pu, mut ps) = (0usize, 0usize);
    let jitter = 150i64;
    let mut next_report = size / 10;
    loop {
        let fu = if ual_budget == 0 {
            f64::INFINITY
        } else {
            ual.progress() as f64 / ual_budget as f64
        };
        let fs = match &st.si {
            Some(s) if si_budget > 0 => s.out.bytes as f64 / si_budget as f64,
            _ => f64::INFINITY,
        };
        if fu >= 1.0 && fs >= 1.0 {
            break;
        }
        if fu <= fs {
            let tb = w.time_at(fu);
            while pu < plan.ual.len() && plan.ual[pu].t <= tb {
                let p = &plan.ual[pu];
                ual.write(
                    &UalMeta {
                        t: p.t,
                        rt: p.rt,
                        op: &p.op,
                        user: &p.user,
                        id: p.id,
                    },
                    &p.ad,
                );
                pu += 1;
            }
            let t = (tb + st.r.range(-jitter, jitter)).clamp(w.start, w.end - 1);
            ad.clear();
            let m = gen_ual(&w, &mut st, &mut ad, t);
            ual.write(&m, &ad);
        } else {
            let tb = w.time_at(fs);
            while ps < plan.si.len() && plan.si[ps].t <= tb {
                st.si.as_mut().unwrap().line(&plan.si[ps].line);
                ps += 1;
            }
            let t = (tb + st.r.range(-jitter, jitter)).clamp(w.start, w.end - 1);
            let u = w.pick_user(&mut st.r);
            let slot = choose_slot(&w, &mut st.r, u);
            sb.clear();
            benign_signin(&w, &mut st, &mut sb, u, t, slot, false);
            st.si.as_mut().unwrap().line(&sb);
            st.seen[u] |= 1 << slot;
        }
        let done = ual.progress() + st.si.as_ref().map_or(0, |s| s.out.bytes);
        if done >= next_report {
            eprintln!(
                "gen_export: {:>5.1} % ({} MiB, {:.1} s)",
                done as f64 * 100.0 / size.max(1) as f64,
                done >> 20,
                started.elapsed().as_secs_f64()
            );
            next_report += size / 10;
        }
    }
    for p in &plan.ual[pu..] {
        ual.write(
            &UalMeta {
                t: p.t,
                rt: p.rt,
                op: &p.op,
                user: &p.user,
                id: p.id,
            },
            &p.ad,
        );
    }
    if let Some(si) = st.si.as_mut() {
        for p in &plan.si[ps..] {
            si.line(&p.line);
        }
        si.out.finish();
    }
    ual.finish();

    let elapsed = started.elapsed().as_secs_f64();
    let ual_bytes = ual.out.bytes;
    let si_bytes = st.si.as_ref().map_or(0, |s| s.out.bytes);
    let mut files = vec![
        json!({"path": "ual.csv", "kind": "ual", "layout": match args.layout { Layout::Purview => "purview", Layout::ExportCsv => "export-csv" }, "records": ual.records(), "bytes": ual_bytes}),
    ];
    if let Some(s) = &st.si {
        files.push(json!({"path": "signins.jsonl", "kind": "signin", "format": "graph-signin-jsonl", "records": s.out.records, "bytes": si_bytes}));
    }
    let truth = json!({
        "schema": "uala.gen-truth/1",
        "generator": "examples/gen_export.rs",
        "args": {
            "seed": args.seed, "size": args.size, "size_bytes": size, "users": n_users, "tenant": args.tenant,
            "layout": match args.layout { Layout::Purview => "purview", Layout::ExportCsv => "export-csv" },
            "signins_ratio": args.signins_ratio, "start": args.start, "days": args.days,
        },
        "tenant": {"domain": w.domain, "onmicrosoft": w.onms, "organization_id": guid_s(w.org)},
        "time_range": {"start": iso_z(w.start), "end": iso_z(w.end)},
        "compromises": truths,
        "benign": benign,
        "totals": {
            "files": files,
            "records": ual.records() + st.si.as_ref().map_or(0, |s| s.out.records),
            "bytes": ual_bytes + si_bytes,
        },
    });
    let tp = args.out.join("truth.json");
    let mut s = serde_json::to_string_pretty(&truth).unwrap();
    s.push('\n');
    fs::write(&tp, s).unwrap_or_else(|e| fatal(format!("{}: {e}", tp.display())));
    eprintln!(
        "gen_export: wrote {} ({} records, {:.1} MiB) and signins.jsonl ({} records, {:.1} MiB) in {:.2} s ({:.0} MiB/s); {} compromise(s) planted",
        args.out.display(),
        ual.records(),
        ual_bytes as f64 / 1048576.0,
        st.si.as_ref().map_or(0, |s| s.out.records),
        si_bytes as f64 / 1048576.0,
        elapsed,
        (ual_bytes + si_bytes) as f64 / 1048576.0 / elapsed.max(1e-9),
        victims.len()
    );
}
