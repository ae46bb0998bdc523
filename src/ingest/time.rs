//! Timestamp parsing (input-formats.md §1.5). Every instant becomes UTC.
//!
//! Accepted, per source:
//! - ISO 8601 / RFC 3339 with `Z` or an offset, 0-9 fraction digits (Graph, sign-ins, Purview
//!   `CreationDate` with its trailing space);
//! - ISO 8601 without a zone, taken as UTC (`AuditData.CreationTime`, documented as UTC);
//! - `\/Date(ms)\/` and `/Date(ms+hhmm)/` (Windows PowerShell 5.1 `ConvertTo-Json`), and the
//!   `{"value": "\/Date(..)\/", "DateTime": ...}` wrapper, by its `value`;
//! - culture-formatted `Export-Csv` strings: `M/d/yyyy h:mm:ss tt`, `d/M/yyyy H:mm:ss`,
//!   `dd.MM.yyyy HH:mm:ss`, `yyyy/MM/dd HH:mm:ss`, Log Analytics `9/19/2023, 1:45:17.287 PM`.
//!   Day and month order is a per-file [`DateOrder`]; see [`infer_date_order`].

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Day/month order of slash-separated culture dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DateOrder {
    /// Month first (en-US), the default when values do not tell.
    #[default]
    Mdy,
    /// Day first (en-GB, en-AU, de-DE, fr-FR ...).
    Dmy,
}

/// Parses any supported timestamp form; `None` when the text is not a timestamp.
pub fn parse_timestamp(raw: &str, order: DateOrder) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(t) = parse_iso(s) {
        return Some(t);
    }
    if let Some(t) = parse_ms_date(s) {
        return Some(t);
    }
    parse_culture(s, order)
}

/// `yyyy-MM-ddTHH:mm:ss[.fffffff][Z|±hh:mm|±hhmm]` (also with a space for `T`); no zone means UTC.
pub fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&b[0..4])? as i32;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    if b.len() == 10 {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let mut i = 16;
    let mut second = 0;
    if b.len() >= 19 && b[16] == b':' {
        second = digits(&b[17..19])?;
        i = 19;
    }
    let mut nanos: u32 = 0;
    if i < b.len() && (b[i] == b'.' || b[i] == b',') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    // A leap second (`:60`) is folded onto the next second by chrono's nanosecond rule.
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second.min(59), nanos)?;
    let naive = date.and_time(time);
    let offset_seconds = match &b[i..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let (oh, om) = match rest {
                [h1, h2, b':', m1, m2] | [h1, h2, m1, m2] => {
                    (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?)
                }
                [h1, h2] => (digits(&[*h1, *h2])?, 0),
                _ => return None,
            };
            let secs = (oh * 3600 + om * 60) as i64;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    Some(Utc.from_utc_datetime(&(naive - Duration::seconds(offset_seconds))))
}

/// `\/Date(1727345775000)\/`, `/Date(1727345775000)/`, `/Date(1727345775000+0200)/`: the
/// number is milliseconds since the Unix epoch in UTC; the offset only says how the producer
/// would have displayed it.
fn parse_ms_date(s: &str) -> Option<DateTime<Utc>> {
    let inner = s
        .trim_start_matches('\\')
        .strip_prefix("/Date(")?
        .trim_end_matches('/')
        .trim_end_matches('\\')
        .strip_suffix(")")?;
    let digits_end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    let ms: i64 = inner[..digits_end].parse().ok()?;
    DateTime::from_timestamp_millis(ms)
}

/// Culture-formatted dates; the zone is taken as UTC (what the sources document or imply).
fn parse_culture(s: &str, order: DateOrder) -> Option<DateTime<Utc>> {
    let (date_part, rest) = s.split_once([' ', 'T'])?;
    let rest = rest.trim_start_matches([',', ' ']).trim();
    let date_part = date_part.trim_end_matches(',');
    let sep = if date_part.contains('/') {
        '/'
    } else if date_part.contains('.') {
        '.'
    } else if date_part.contains('-') {
        '-'
    } else {
        return None;
    };
    let fields: Vec<&str> = date_part.split(sep).collect();
    if fields.len() != 3 {
        return None;
    }
    let nums: Vec<u32> = fields
        .iter()
        .map(|f| f.trim().parse::<u32>().ok())
        .collect::<Option<_>>()?;
    let (year, month, day) = if fields[0].len() == 4 {
        (nums[0] as i32, nums[1], nums[2])
    } else if sep == '.' {
        // Dotted dates are day-first in every culture that writes them.
        (nums[2] as i32, nums[1], nums[0])
    } else {
        match order {
            DateOrder::Mdy => (nums[2] as i32, nums[0], nums[1]),
            DateOrder::Dmy => (nums[2] as i32, nums[1], nums[0]),
        }
    };
    let year = if year < 100 { year + 2000 } else { year };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = parse_clock(rest)?;
    Some(Utc.from_utc_datetime(&NaiveDateTime::new(date, time)))
}

/// `1:45:17.287 PM`, `13:45:17`, `01:45`, `1:45:17 a.m.`
fn parse_clock(s: &str) -> Option<NaiveTime> {
    let lower = s.to_ascii_lowercase();
    let (clock, meridiem) = if let Some(c) = lower
        .strip_suffix("pm")
        .or_else(|| lower.strip_suffix("p.m."))
    {
        (c.trim(), Some(true))
    } else if let Some(c) = lower
        .strip_suffix("am")
        .or_else(|| lower.strip_suffix("a.m."))
    {
        (c.trim(), Some(false))
    } else {
        (lower.trim(), None)
    };
    let mut parts = clock.split(':');
    let mut hour: u32 = parts.next()?.trim().parse().ok()?;
    let minute: u32 = parts.next()?.trim().parse().ok()?;
    let (second, nanos) = match parts.next() {
        Some(sec) => match sec.split_once(['.', ',']) {
            Some((whole, frac)) => {
                let mut nanos: u32 = 0;
                for (i, c) in frac.chars().enumerate() {
                    if i >= 9 {
                        break;
                    }
                    nanos = nanos * 10 + c.to_digit(10)?;
                }
                for _ in frac.len().min(9)..9 {
                    nanos *= 10;
                }
                (whole.parse().ok()?, nanos)
            }
            None => (sec.parse().ok()?, 0),
        },
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    match meridiem {
        Some(pm) => {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour %= 12;
            if pm {
                hour += 12;
            }
        }
        None if hour > 23 => return None,
        None => {}
    }
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Learns a file's day/month order from its slash-separated dates: a first field above 12 means
/// day first, a second field above 12 means month first. `None` when every value is ambiguous
/// (or the values disagree), so the caller can say it assumed the default.
pub fn infer_date_order<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<DateOrder> {
    let (mut day_first, mut month_first) = (false, false);
    for v in values {
        let Some(date) = v.trim().split([' ', ',']).next() else {
            continue;
        };
        let fields: Vec<&str> = date.split('/').collect();
        if fields.len() != 3 || fields[0].len() == 4 {
            continue;
        }
        let (Ok(a), Ok(b)) = (fields[0].parse::<u32>(), fields[1].parse::<u32>()) else {
            continue;
        };
        day_first |= a > 12;
        month_first |= b > 12;
    }
    match (day_first, month_first) {
        (true, false) => Some(DateOrder::Dmy),
        (false, true) => Some(DateOrder::Mdy),
        _ => None,
    }
}

/// Formats a UTC instant the way every uala report writes it: RFC 3339 with `Z`, and
/// fractions only where the source had them.
pub fn format_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn iso_forms() {
        let mdy = DateOrder::Mdy;
        assert_eq!(
            parse_timestamp("2025-03-04T10:15:30", mdy),
            Some(utc("2025-03-04T10:15:30Z"))
        );
        assert_eq!(
            parse_timestamp("2025-03-04T10:15:30Z", mdy),
            Some(utc("2025-03-04T10:15:30Z"))
        );
        assert_eq!(
            parse_timestamp("2026-01-24T06:54:24.0000000Z ", mdy),
            Some(utc("2026-01-24T06:54:24Z"))
        );
        assert_eq!(
            parse_timestamp("2025-03-04T10:15:30.1234567Z", mdy),
            Some(utc("2025-03-04T10:15:30.1234567Z"))
        );
        assert_eq!(
            parse_timestamp("2019-10-18T04:45:48.0729893-05:00", mdy),
            Some(utc("2019-10-18T09:45:48.0729893Z"))
        );
        assert_eq!(
            parse_timestamp("2025-03-04 10:15:30", mdy),
            Some(utc("2025-03-04T10:15:30Z"))
        );
        assert_eq!(
            parse_timestamp("2025-03-04T10:15:30+0100", mdy),
            Some(utc("2025-03-04T09:15:30Z"))
        );
        assert_eq!(parse_timestamp("2025-13-04T10:15:30", mdy), None);
    }

    #[test]
    fn powershell_json_dates() {
        let want = Some(utc("2024-10-08T05:08:37Z"));
        assert_eq!(
            parse_timestamp("\\/Date(1728364117000)\\/", DateOrder::Mdy),
            want
        );
        assert_eq!(
            parse_timestamp("/Date(1728364117000)/", DateOrder::Mdy),
            want
        );
        assert_eq!(
            parse_timestamp("/Date(1728364117000+0200)/", DateOrder::Mdy),
            want
        );
    }

    #[test]
    fn culture_forms() {
        assert_eq!(
            parse_timestamp("3/4/2025 10:21:07 AM", DateOrder::Mdy),
            Some(utc("2025-03-04T10:21:07Z"))
        );
        assert_eq!(
            parse_timestamp("12/2/2024 9:50:07 PM", DateOrder::Mdy),
            Some(utc("2024-12-02T21:50:07Z"))
        );
        assert_eq!(
            parse_timestamp("3/12/2025 7:31:34 AM", DateOrder::Dmy),
            Some(utc("2025-12-03T07:31:34Z"))
        );
        assert_eq!(
            parse_timestamp("26.09.2023 01:56:15", DateOrder::Mdy),
            Some(utc("2023-09-26T01:56:15Z"))
        );
        assert_eq!(
            parse_timestamp("9/19/2023, 1:45:17.287 PM", DateOrder::Mdy),
            Some(utc("2023-09-19T13:45:17.287Z"))
        );
        assert_eq!(
            parse_timestamp("12/2/2024 12:05:00 AM", DateOrder::Mdy),
            Some(utc("2024-12-02T00:05:00Z"))
        );
        assert_eq!(parse_timestamp("not a date", DateOrder::Mdy), None);
        assert_eq!(parse_timestamp("13/13/2024 10:00:00", DateOrder::Mdy), None);
    }

    #[test]
    fn learns_the_date_order() {
        assert_eq!(
            infer_date_order(["3/4/2025 1:00 PM", "3/14/2025 1:00 PM"]),
            Some(DateOrder::Mdy)
        );
        assert_eq!(
            infer_date_order(["26/09/2023 01:56:15"]),
            Some(DateOrder::Dmy)
        );
        assert_eq!(infer_date_order(["3/4/2025 1:00 PM"]), None);
    }
}
