//! A client's `Idempotency-Key`: 1 to 255 printable ASCII characters.

use super::Invalid;

/// Longest key.
pub const MAX_KEY_LEN: usize = 255;

/// A checked `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks a key.
    pub fn parse(s: &str) -> Result<IdempotencyKey, Invalid> {
        if s.is_empty() || s.len() > MAX_KEY_LEN {
            return Err(Invalid(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} characters, got {}",
                s.len()
            )));
        }
        if !s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return Err(Invalid(
                "Idempotency-Key must be printable ASCII characters".into(),
            ));
        }
        Ok(IdempotencyKey(s.to_string()))
    }

    /// The key as the client sent it.
    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("order 17 / retry ~").is_ok());
        for bad in ["", &"k".repeat(256), "tab\there", "caf\u{e9}", "nl\n"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
