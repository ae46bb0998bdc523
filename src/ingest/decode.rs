//! Character-encoding detection (input-formats.md §1.1): detect, never assume.

use std::borrow::Cow;

use serde::Serialize;

/// How an input's bytes were encoded. The string forms are part of the report contract
/// (`inputs[].encoding`, documented in docs/formats.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16le-bom")]
    Utf16LeBom,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "utf-16be-bom")]
    Utf16BeBom,
    /// Not valid UTF-8: decoded as Windows-1252, with a warning.
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// Binary content; not decoded.
    #[serde(rename = "binary")]
    Binary,
}

impl TextEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16LeBom => "utf-16le-bom",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Utf16BeBom => "utf-16be-bom",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Binary => "binary",
        }
    }
}

/// Decoded text plus what was learnt while decoding.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: TextEncoding,
    /// Byte-order marks found after the start (files concatenated with `cat` or `copy /b`); they
    /// have been removed from `text`.
    pub inner_boms: usize,
    /// The text has long runs of `?` where letters were expected: Windows PowerShell 5.1
    /// `Export-Csv` without `-Encoding` replaced every non-ASCII character (irreversibly).
    pub ascii_degraded: bool,
    /// NUL characters removed from the end (a file copied while it was being written).
    pub trailing_nuls: usize,
}

const BOM: char = '\u{FEFF}';

/// Decodes `bytes` to text. Never fails: undecodable content is reported as
/// [`TextEncoding::Binary`] with empty text.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    let (text, encoding): (Cow<'_, str>, TextEncoding) =
        if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            (lossless_utf8(rest), TextEncoding::Utf8Bom)
        } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
            (utf16(rest, true).into(), TextEncoding::Utf16LeBom)
        } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
            (utf16(rest, false).into(), TextEncoding::Utf16BeBom)
        } else if let Some(little_endian) = sniff_utf16(bytes) {
            let encoding = if little_endian {
                TextEncoding::Utf16Le
            } else {
                TextEncoding::Utf16Be
            };
            (utf16(bytes, little_endian).into(), encoding)
        } else {
            match std::str::from_utf8(bytes) {
                Ok(text) => (Cow::Borrowed(text), TextEncoding::Utf8),
                Err(_) => {
                    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
                    (Cow::Owned(text.into_owned()), TextEncoding::Windows1252)
                }
            }
        };

    // A file copied while it was being written ends in a run of NUL bytes; the text before them
    // is still evidence.
    let trailing_nuls = text.len() - text.trim_end_matches('\0').len();
    let text = match text {
        Cow::Borrowed(t) => Cow::Borrowed(t.trim_end_matches('\0')),
        Cow::Owned(t) if trailing_nuls > 0 => Cow::Owned(t.trim_end_matches('\0').to_string()),
        owned => owned,
    };
    if looks_binary(&text) {
        return Decoded {
            text: Cow::Borrowed(""),
            encoding: TextEncoding::Binary,
            inner_boms: 0,
            ascii_degraded: false,
            trailing_nuls: 0,
        };
    }

    let inner_boms = text.matches(BOM).count();
    let text = if inner_boms > 0 {
        Cow::Owned(text.replace(BOM, ""))
    } else {
        text
    };
    let ascii_degraded = looks_ascii_degraded(&text);
    Decoded {
        text,
        encoding,
        inner_boms,
        ascii_degraded,
        trailing_nuls,
    }
}

fn lossless_utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        // A UTF-8 BOM followed by invalid UTF-8: keep what can be kept.
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn utf16(bytes: &[u8], little_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// UTF-16 without a BOM: in the first 512 bytes, at least 60 % of the odd-offset bytes (LE) or
/// even-offset bytes (BE) are zero. Message-trace reports are written this way.
fn sniff_utf16(bytes: &[u8]) -> Option<bool> {
    let sample = &bytes[..bytes.len().min(512)];
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let odd_zero = sample
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let even_zero = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    if odd_zero * 10 >= pairs * 6 && even_zero * 10 < pairs * 2 {
        Some(true)
    } else if even_zero * 10 >= pairs * 6 && odd_zero * 10 < pairs * 2 {
        Some(false)
    } else {
        None
    }
}

/// NUL characters or a high share of control characters in the first 4 KiB.
fn looks_binary(text: &str) -> bool {
    let sample: Vec<char> = text.chars().take(4096).collect();
    if sample.is_empty() {
        return false;
    }
    let control = sample
        .iter()
        .filter(|&&c| c == '\0' || (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')))
        .count();
    sample.contains(&'\0') && control * 100 > sample.len() || control * 10 > sample.len()
}

fn looks_ascii_degraded(text: &str) -> bool {
    // A run of three or more `?` inside a word is what PowerShell's ASCII encoder leaves of
    // non-Latin names ("??????"); a lone `?` is ordinary punctuation.
    let sample = &text[..floor_char_boundary(text, 1 << 20)];
    sample
        .as_bytes()
        .windows(4)
        .any(|w| w[0].is_ascii_alphanumeric() && w[1..].iter().all(|&b| b == b'?'))
        || sample.contains("\"???")
}

/// The largest char boundary at or below `index`.
pub fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    let mut i = index;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(&[0xFF, 0xFE]);
        }
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    }

    fn utf16be(s: &str, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(&[0xFE, 0xFF]);
        }
        for u in s.encode_utf16() {
            out.extend_from_slice(&u.to_be_bytes());
        }
        out
    }

    const SAMPLE: &str = "Name                                  : .\r\nRuleIdentity                          : 15394007230974001153\r\n";

    #[test]
    fn detects_every_unicode_form() {
        let d = decode(SAMPLE.as_bytes());
        assert_eq!((d.encoding, &*d.text), (TextEncoding::Utf8, SAMPLE));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(SAMPLE.as_bytes());
        let d = decode(&bom);
        assert_eq!((d.encoding, &*d.text), (TextEncoding::Utf8Bom, SAMPLE));
        for (bytes, enc) in [
            (utf16le(SAMPLE, true), TextEncoding::Utf16LeBom),
            (utf16le(SAMPLE, false), TextEncoding::Utf16Le),
            (utf16be(SAMPLE, true), TextEncoding::Utf16BeBom),
            (utf16be(SAMPLE, false), TextEncoding::Utf16Be),
        ] {
            let d = decode(&bytes);
            assert_eq!(d.encoding, enc);
            assert_eq!(d.text, SAMPLE);
        }
    }

    #[test]
    fn removes_a_second_bom_mid_file() {
        let mut bytes = b"\xEF\xBB\xBFa,b\r\n1,2\r\n".to_vec();
        bytes.extend_from_slice(b"\xEF\xBB\xBFa,b\r\n3,4\r\n");
        let d = decode(&bytes);
        assert_eq!(d.inner_boms, 1);
        assert_eq!(d.text, "a,b\r\n1,2\r\na,b\r\n3,4\r\n");
    }

    #[test]
    fn falls_back_to_windows_1252() {
        let d = decode(b"Name,City\r\nJos\xe9,M\xfcnchen\r\n");
        assert_eq!(d.encoding, TextEncoding::Windows1252);
        assert!(d.text.contains("José"));
    }

    #[test]
    fn binary_is_not_text() {
        let junk: Vec<u8> = (0..2000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(decode(&junk).encoding, TextEncoding::Binary);
        assert_eq!(
            decode(b"\0\0\0\x01\x02PK\x03\x04").encoding,
            TextEncoding::Binary
        );
    }

    #[test]
    fn trailing_nul_padding_is_dropped_not_binary() {
        let mut bytes = b"\"A\",\"B\"\r\n\"1\",\"2\"\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(0u8, 8192));
        let d = decode(&bytes);
        assert_eq!(d.encoding, TextEncoding::Utf8);
        assert_eq!(d.trailing_nuls, 8192);
        assert!(d.text.ends_with("\"2\"\r\n"));
    }

    #[test]
    fn flags_ascii_degraded_names() {
        assert!(decode(b"\"Name\",\"User\"\r\n\"R??????\",\"x\"\r\n").ascii_degraded);
        assert!(!decode(b"\"Name\"\r\n\"Why?\"\r\n").ascii_degraded);
    }
}
