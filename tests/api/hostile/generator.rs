//! The hostile inputs: texts, JSON values, whole bodies, raw query values
//! and path segments that break naive parsers, SQL builders and byte
//! handling, drawn from a seeded generator so that a failure replays.

use serde_json::Value;

use crate::kit::rng::Rng;

/// Texts that break naive parsers, SQL builders and byte handling.
#[rustfmt::skip]
pub(super) const HOSTILE_TEXT: &[&str] = &[
    "1e30", "99999999999999999999", "9223372036854775808", "-9223372036854775809",
    "9223372036854775807", "-9223372036854775808", "-1", "-0", "0", "1.5", "-2.5e-7", "NaN",
    "inf", "0x1F", " 7 ", "+5", "", "   ", "\u{661}\u{662}", "\u{FF11}", "\u{202E}3pm.exe",
    "\u{5E9}\u{5DC}\u{5D5}\u{5DD}", "😀🎵", "\u{0}", "a\u{0}b", "' OR 1=1 --",
    "'; DROP TABLE users; --", "\" OR \"\"=\"", "%", "_", "%_%", "\\", "\\%", "null", "true",
    "[]", "{}", "<script>alert(1)</script>", "a\r\nb", "../../etc/passwd", "\u{130}\u{17F}",
    "\u{FEFF}1", "e\u{301}\u{301}\u{301}",
];

/// Query fragments sent as they are: percent escapes of invalid UTF-8
/// (a lone continuation byte, an overlong slash, a surrogate), broken escapes.
#[rustfmt::skip]
pub(super) const RAW_QUERY_VALUES: &[&str] = &[
    "%FF%FE", "%C0%AF", "%ED%A0%80", "%", "%G1", "%%", "+", "%00", "a=b=c", "%2",
];

/// Path segments sent as they are (none of them reads as a number).
pub(super) const RAW_SEGMENTS: &[&str] = &["..", ".", "%FF%FE", "%2F", "%00", "%", "%zz", "%C0%AF"];

/// JSON values of the wrong type, size or shape for most fields.
#[rustfmt::skip]
pub(super) const HOSTILE_JSON: &[&str] = &[
    "1e30", "99999999999999999999", "9223372036854775808", "-9223372036854775809", "-1", "0",
    "1.5", "-0.0", "1e-400", "1e400", "\"123\"", "\"\"", "[]", "[1,\"2\",null]", "{}",
    "{\"a\":{\"b\":[{}]}}", "true", "false", "null", "\"\\u0000\"", "\"\\ud800\"",
    "\"\\u202e\"", "\"' OR 1=1 --\"",
];

/// Whole bodies that are not a usable JSON object.
#[rustfmt::skip]
pub(super) const HOSTILE_BODIES: &[&str] = &[
    "", "   ", "null", "[]", "[{}]", "\"{}\"", "123", "{", "{\"a\":", "}{", "{}{}", "{\"a\":1,}",
    "{'a':1}", "NaN", "\u{FEFF}{}",
];

/// Characters mixed into generated text.
#[rustfmt::skip]
pub(super) const HOSTILE_CHARS: &[char] = &[
    '\'', '"', '%', '_', '\\', ';', '-', '\u{0}', '\u{202E}', '\u{200B}', 'é', '😀', 'ß', '\n',
    '\t', '*', '/', '?', '#', '&', '=',
];

/// Hostile inputs drawn from the seeded generator.
pub(super) trait Hostile {
    /// A hostile text: mostly from [`HOSTILE_TEXT`], else generated.
    fn text(&mut self) -> String;
    /// A hostile JSON value as text.
    fn json(&mut self) -> String;
}

impl Hostile for Rng {
    fn text(&mut self) -> String {
        if self.chance(75) {
            return self.pick(HOSTILE_TEXT).to_string();
        }
        match self.below(4) {
            0 => (self.next_u64() as i64).to_string(),
            1 => {
                let digits = 20 + self.below(30);
                (0..digits)
                    .map(|_| (b'1' + self.below(9) as u8) as char)
                    .collect()
            }
            2 => "é' OR 1=1 -- ".repeat(100 + self.below(800)),
            _ => {
                let len = 1 + self.below(12);
                (0..len).map(|_| self.pick(HOSTILE_CHARS)).collect()
            }
        }
    }

    fn json(&mut self) -> String {
        match self.below(10) {
            0..=4 => self.pick(HOSTILE_JSON).to_string(),
            5..=7 => json_string(&self.text()),
            8 => (self.next_u64() as i64).to_string(),
            _ => {
                // Far deeper than serde_json's recursion limit.
                let depth = 1000 + self.below(9000);
                format!("{}{}", "[".repeat(depth), "]".repeat(depth))
            }
        }
    }
}

/// `s` as a JSON string literal.
pub(super) fn json_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// Percent-encodes every byte but the unreserved ones.
pub(super) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
