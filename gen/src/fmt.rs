//! Text helpers shared by every writer: GUIDs, JSON strings and keys, CSV fields, timestamps
//! (seconds since the Unix epoch, UTC) in the spellings the exports use.

use std::fmt::Write as _;

use crate::rng::Rng;

const HEX: &[u8; 16] = b"0123456789abcdef";
pub const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub const B64STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn w_guid(b: &mut String, g: u128) {
    for (i, shift) in (0..32).rev().enumerate() {
        if matches!(i, 8 | 12 | 16 | 20) {
            b.push('-');
        }
        b.push(HEX[((g >> (shift * 4)) & 0xF) as usize] as char);
    }
}

pub fn guid_s(g: u128) -> String {
    let mut s = String::with_capacity(36);
    w_guid(&mut s, g);
    s
}

/// `n` hex digits of `x` (upper or lower case).
pub fn w_hex(b: &mut String, x: u64, n: usize, upper: bool) {
    for i in (0..n).rev() {
        let c = HEX[((x >> ((i % 16) * 4)) & 0xF) as usize] as char;
        b.push(if upper { c.to_ascii_uppercase() } else { c });
    }
}

pub fn w_rand_chars(b: &mut String, r: &mut Rng, n: usize, alpha: &[u8; 64]) {
    let mut x = r.next_u64();
    for i in 0..n {
        if i % 10 == 9 {
            x = r.next_u64();
        }
        b.push(alpha[(x & 63) as usize] as char);
        x >>= 6;
    }
}

// ───────────── JSON ─────────────

/// JSON string body (no quotes).
pub fn esc_inner(b: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => b.push_str("\\\""),
            '\\' => b.push_str("\\\\"),
            '\n' => b.push_str("\\n"),
            '\r' => b.push_str("\\r"),
            '\t' => b.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(b, "\\u{:04x}", c as u32);
            }
            c => b.push(c),
        }
    }
}

/// JSON string with quotes.
pub fn esc(b: &mut String, s: &str) {
    b.push('"');
    esc_inner(b, s);
    b.push('"');
}

/// `,"k":` — every helper below assumes an object is already open with a first member.
#[inline]
pub fn key(b: &mut String, k: &str) {
    b.push_str(",\"");
    b.push_str(k);
    b.push_str("\":");
}

pub fn ks(b: &mut String, k: &str, v: &str) {
    key(b, k);
    esc(b, v);
}

pub fn kn(b: &mut String, k: &str, n: i64) {
    key(b, k);
    let _ = write!(b, "{n}");
}

pub fn kb(b: &mut String, k: &str, v: bool) {
    key(b, k);
    b.push_str(if v { "true" } else { "false" });
}

pub fn kg(b: &mut String, k: &str, g: u128) {
    key(b, k);
    b.push('"');
    w_guid(b, g);
    b.push('"');
}

pub fn kraw(b: &mut String, k: &str, raw: &str) {
    key(b, k);
    b.push_str(raw);
}

/// `,"k":[{"Name":..,"Value":..},..]`
pub fn name_values(b: &mut String, k: &str, nv: &[(&str, &str)]) {
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

pub fn str_array(b: &mut String, a: &[&str]) {
    b.push('[');
    for (i, s) in a.iter().enumerate() {
        if i > 0 {
            b.push(',');
        }
        esc(b, s);
    }
    b.push(']');
}

// ───────────── CSV ─────────────

/// Field body with every `"` doubled.
pub fn dq(b: &mut String, s: &str) {
    for c in s.chars() {
        if c == '"' {
            b.push('"');
        }
        b.push(c);
    }
}

/// Always-quoted field (Export-Csv style).
pub fn csv_q(b: &mut String, s: &str) {
    b.push('"');
    dq(b, s);
    b.push('"');
}

/// Field quoted only when needed (Purview style).
pub fn csv_min(b: &mut String, s: &str) {
    if s.bytes().any(|c| matches!(c, b',' | b'"' | b'\r' | b'\n')) || s.starts_with(' ') {
        csv_q(b, s);
    } else {
        b.push_str(s);
    }
}

// ───────────── time ─────────────

pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;
pub const MIN: i64 = 60;

pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
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

/// Day of week, 0 = Monday.
pub fn weekday(t: i64) -> u32 {
    ((t.div_euclid(DAY) + 3).rem_euclid(7)) as u32
}

fn push2(b: &mut String, v: u32) {
    b.push((b'0' + (v / 10) as u8) as char);
    b.push((b'0' + (v % 10) as u8) as char);
}

/// `2025-03-04T10:15:30` (no zone).
pub fn w_iso(b: &mut String, t: i64) {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let s = t.rem_euclid(DAY) as u32;
    let _ = write!(b, "{y:04}-");
    push2(b, m);
    b.push('-');
    push2(b, d);
    b.push('T');
    push2(b, s / 3600);
    b.push(':');
    push2(b, s / 60 % 60);
    b.push(':');
    push2(b, s % 60);
}

pub fn iso(t: i64) -> String {
    let mut s = String::with_capacity(20);
    w_iso(&mut s, t);
    s
}

pub fn iso_z(t: i64) -> String {
    let mut s = iso(t);
    s.push('Z');
    s
}

/// `3/4/2025 10:21:07 AM` (en-US culture, as PowerShell writes dates into CSV).
pub fn w_us(b: &mut String, t: i64) {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    let s = t.rem_euclid(DAY) as u32;
    let h = s / 3600;
    let h12 = match h % 12 {
        0 => 12,
        x => x,
    };
    let _ = write!(b, "{m}/{d}/{y} {h12}:");
    push2(b, s / 60 % 60);
    b.push(':');
    push2(b, s % 60);
    b.push_str(if h < 12 { " AM" } else { " PM" });
}

pub fn us(t: i64) -> String {
    let mut s = String::with_capacity(22);
    w_us(&mut s, t);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = days_from_civil(2025, 3, 4) * DAY + 10 * HOUR + 15 * MIN + 30;
        assert_eq!(iso(t), "2025-03-04T10:15:30");
        assert_eq!(us(t), "3/4/2025 10:15:30 AM");
        assert_eq!(us(t - 10 * HOUR - 15 * MIN - 30), "3/4/2025 12:00:00 AM");
        assert_eq!(weekday(days_from_civil(2025, 3, 3) * DAY), 0); // a Monday
    }

    #[test]
    fn json_and_csv_escaping() {
        let mut b = String::new();
        esc(&mut b, "a\"b\\c\nd");
        assert_eq!(b, r#""a\"b\\c\nd""#);
        b.clear();
        csv_min(&mut b, "x,\"y\"");
        assert_eq!(b, r#""x,""y""""#);
    }
}
