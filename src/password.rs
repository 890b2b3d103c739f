//! Users' passwords: the length rule, Argon2id hashes (PHC strings), and the
//! check of a login against a stored hash, old salted SHA-256 ones included.
//!
//! Argon2id is memory-hard, so guessing a leaked hash costs memory as well
//! as time; the crate's defaults (m = 19 MiB, t = 2, p = 1, OWASP's
//! minimum) take tens of milliseconds on one core of a small VPS. Hashing
//! and verifying are slow on purpose: callers run them on the blocking
//! pool, never on the async runtime.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

use crate::domain::Invalid;

/// Shortest password accepted, in characters.
pub const MIN_LEN: usize = 8;
/// Longest password accepted, in characters (bounds the work of a hash).
pub const MAX_LEN: usize = 128;

/// Checks the length rule; the error says it.
pub fn check_rules(password: &str) -> Result<(), Invalid> {
    let n = password.chars().count();
    if (MIN_LEN..=MAX_LEN).contains(&n) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "password must be {MIN_LEN} to {MAX_LEN} characters, got {n}"
        )))
    }
}

/// An Argon2id hash of `password` with a fresh random salt, as a PHC string.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    if getrandom::fill(&mut salt).is_err() {
        // As for every other secret: no weak salt rather than a guessable one.
        panic!("operating system random generator failed");
    }
    let salt = SaltString::encode_b64(&salt)
        .unwrap_or_else(|e| unreachable!("16 bytes are a valid salt: {e}"));
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_else(|e| unreachable!("default Argon2 parameters hash: {e}"))
}

/// What a password check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password is right and its hash is Argon2id.
    Right,
    /// The password is right but its hash is an old fast one: store
    /// [`hash`] of it instead.
    RightButOld,
    /// The password is wrong (or the stored value is no hash we know).
    Wrong,
}

/// Checks `password` against a stored hash.
pub fn verify(password: &str, stored: &str) -> Verdict {
    if let Some(rest) = stored.strip_prefix("sha256$") {
        return match rest.split_once('$') {
            Some((salt, hex)) if same(&sha256_hex(&format!("{salt}{password}")), hex) => {
                Verdict::RightButOld
            }
            _ => Verdict::Wrong,
        };
    }
    match PasswordHash::new(stored) {
        Ok(parsed)
            if Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok() =>
        {
            Verdict::Right
        }
        _ => Verdict::Wrong,
    }
}

/// Spends the time of a real check when there is no user to check: an
/// unknown username must not answer faster than a wrong password.
pub fn verify_nobody(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("no user has this password"));
    let _ = verify(password, dummy);
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Equality whose time does not depend on where the texts differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_hashes_are_argon2id_and_verify() {
        let h = hash("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_ne!(h, hash("correct horse"), "each hash has its own salt");
        assert_eq!(verify("correct horse", &h), Verdict::Right);
        assert_eq!(verify("correct horsf", &h), Verdict::Wrong);
    }

    #[test]
    fn old_sha256_hashes_verify_once_as_old() {
        let old = format!("sha256$salty${}", sha256_hex("saltycorrect horse"));
        assert_eq!(verify("correct horse", &old), Verdict::RightButOld);
        assert_eq!(verify("wrong horse", &old), Verdict::Wrong);
        assert_eq!(verify("x", "garbage"), Verdict::Wrong);
    }

    #[test]
    fn passwords_are_8_to_128_characters() {
        assert!(check_rules("1234567").is_err());
        assert!(check_rules("12345678").is_ok());
        assert!(check_rules(&"é".repeat(128)).is_ok());
        assert!(check_rules(&"a".repeat(129)).is_err());
        let msg = check_rules("short").unwrap_err().0;
        assert!(msg.contains("8 to 128"), "{msg}");
    }
}
