//! Random secrets (access tokens, API keys, public task ids) and their hashes.

use sha2::{Digest, Sha256};

const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random alphanumerics from the OS generator (about 5.95 bits each).
pub fn random_alphanumeric(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        if getrandom::fill(&mut buf).is_err() {
            // The OS generator does not fail on supported platforms; if it ever
            // did, refusing to go on is safer than issuing a guessable secret.
            panic!("operating system random generator failed");
        }
        for b in buf {
            // Rejection sampling keeps the distribution uniform: 248 = 62 * 4.
            if b < 248 && out.len() < len {
                out.push(ALPHANUMERIC[(b % 62) as usize] as char);
            }
        }
    }
    out
}

/// A user access token: 32 alphanumerics, about 190 bits.
pub fn new_access_token() -> String {
    random_alphanumeric(32)
}

/// An API key: `sk-` + 48 alphanumerics.
pub fn new_api_key() -> String {
    format!("sk-{}", random_alphanumeric(48))
}

/// A public task id: `task_` + 32 alphanumerics.
pub fn new_task_id() -> String {
    format!("task_{}", random_alphanumeric(32))
}

/// A webhook message id (`webhook-id`): `msg_` + 32 alphanumerics.
pub fn new_webhook_msg_id() -> String {
    format!("msg_{}", random_alphanumeric(32))
}

/// A webhook signing secret as Standard Webhooks spells it: `whsec_` and
/// the base64 of 32 random bytes (the HMAC key is the decoded bytes).
pub fn new_webhook_secret() -> String {
    use base64::Engine;
    let mut key = [0u8; 32];
    if getrandom::fill(&mut key).is_err() {
        panic!("operating system random generator failed");
    }
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// Hex SHA-256 of a secret. The secrets are long random strings, so a fast
/// hash is enough: there is nothing to brute-force.
pub fn hash_secret(secret: &str) -> String {
    sha256_hex(&[secret.as_bytes()])
}

/// Hex SHA-256 of `parts` one after the other.
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push(HEX[(b >> 4) as usize] as char);
        hex.push(HEX[(b & 15) as usize] as char);
    }
    hex
}

/// A random number in `0..n` (n > 0), for weighted channel choice and jitter.
pub fn random_below(n: u64) -> u64 {
    let mut buf = [0u8; 8];
    if getrandom::fill(&mut buf).is_err() || n == 0 {
        return 0;
    }
    u64::from_le_bytes(buf) % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_format() {
        let id = new_task_id();
        assert_eq!(id.len(), 37);
        assert!(id[5..].chars().all(|c| c.is_ascii_alphanumeric()));
        let key = new_api_key();
        assert!(key.starts_with("sk-") && key.len() == 51);
        assert_ne!(new_access_token(), new_access_token());
        assert_eq!(hash_secret("a").len(), 64);
    }
}
