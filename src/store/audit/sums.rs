//! The audit's one pass over the log: what every user and key should hold,
//! and which tasks were refunded how often.
//!
//! The log is read once, in storage order, and added up in memory. The
//! first audit asked the log per user, per key and per task instead, and
//! with no index on `logs.token_id` and only `idx_logs_type` to hand for
//! "this task's refund", each of those asks read every row of a type.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use serde::Deserialize;

use super::{Violation, amount, violation};
use crate::store::error::StoreResult;
use crate::store::logs::{LOG_CONSUME, LOG_MANAGE, LOG_REFUND, LOG_SYSTEM, LOG_TOPUP};

/// Every log row, in storage order (a plain table scan: the cheapest way
/// to read all of them). `other` is only needed where it says how a key
/// moved, and the task id only of refunds: the rest is never matched
/// against tasks.
const LOG_PASS: &str = "
    SELECT id, type, user_id, token_id, quota,
           CASE WHEN type IN (2, 4, 6) THEN other END,
           CASE WHEN type = 6 AND task_id != '' THEN task_id END
    FROM logs";

/// Signed sums of a balance and its used amount, wide enough that no
/// log, however corrupt, overflows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sums {
    /// What the balance (a user's quota, a key's remain_quota) should be.
    pub balance: i128,
    /// What used_quota should be.
    pub used: i128,
}

/// The refund rows of one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Refunds {
    /// How many.
    pub rows: i64,
    /// Whose balance the first one credited.
    pub user_id: i64,
}

/// FxHash (rustc's): several times cheaper than the default SipHash on
/// the millions of look-ups of one pass. Its keys are ids and task ids
/// from our own database, so there is no attacker to choose collisions.
#[derive(Default)]
pub(super) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map hashed with [`FxHasher`].
pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// What the log says.
#[derive(Default)]
pub(super) struct LogSums {
    /// By user id.
    pub users: FxMap<i64, Sums>,
    /// By key id (rows of deleted keys are kept and never looked at).
    pub keys: FxMap<i64, Sums>,
    /// By public task id.
    pub refunds: FxMap<Box<str>, Refunds>,
}

impl LogSums {
    /// Reads the whole log once; rows whose amounts are not integers are
    /// left out of the sums and reported in `violations`.
    pub fn read(conn: &Connection, violations: &mut Vec<Violation>) -> StoreResult<LogSums> {
        let mut sums = LogSums::default();
        let mut stmt = conn.prepare(LOG_PASS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let log_type: i64 = r.get(1)?;
            let user_id: i64 = r.get(2)?;
            // A refund row counts as one whatever its amount reads as.
            if let ValueRef::Text(task_id) = r.get_ref(6)? {
                let task_id = String::from_utf8_lossy(task_id);
                sums.refunds
                    .entry(task_id.into())
                    .and_modify(|f| f.rows += 1)
                    .or_insert(Refunds { rows: 1, user_id });
            }
            let other = match r.get_ref(5)? {
                ValueRef::Text(t) => t,
                _ => b"",
            };
            let token_id: i64 = r.get(3)?;
            match (amount(r.get_ref(4)?), row_parts(log_type, other)) {
                (Ok(quota), Ok(parts)) => {
                    sums.add(log_type, user_id, token_id, quota.into(), parts);
                }
                (Err(shown), _) | (_, Err(shown)) => violations.push(Violation {
                    user_id: Some(user_id),
                    token_id: (token_id != 0).then_some(token_id),
                    ..violation(
                        "non_integer_balance",
                        format!(
                            "log row {} (type {log_type}) moves {shown}, not an integer amount",
                            r.get::<_, i64>(0)?
                        ),
                    )
                }),
            }
        }
        Ok(sums)
    }

    /// Books one row with what its `other` says beyond its amount.
    fn add(&mut self, log_type: i64, user_id: i64, token_id: i64, quota: i128, parts: RowParts) {
        let key_part = i128::from(parts.key);
        let user = self.users.entry(user_id).or_default();
        match log_type {
            LOG_TOPUP => user.balance += quota,
            // A refund credits its amount but for what the ceiling kept out.
            LOG_REFUND => user.balance += quota - i128::from(parts.capped),
            LOG_CONSUME | LOG_MANAGE => user.balance -= quota,
            _ => {}
        }
        match log_type {
            LOG_CONSUME => user.used += quota,
            LOG_REFUND => user.used -= quota,
            _ => {}
        }
        // (used, limit) moves of the key; rows of other types leave it be.
        let (used, limit) = match log_type {
            LOG_CONSUME => (quota, -quota * key_part),
            LOG_REFUND => (-quota, (quota - i128::from(parts.key_capped)) * key_part),
            LOG_SYSTEM => (0, key_part),
            _ => return,
        };
        let key = self.keys.entry(token_id).or_default();
        key.used += used;
        key.balance += limit;
    }
}

/// The fields of `other` that say how a key moved, and what a refund's
/// ceiling kept out of the user's and the key's balances.
#[derive(Deserialize)]
struct KeyFields {
    key_charged: Option<serde_json::Value>,
    key_refunded: Option<serde_json::Value>,
    remain_quota_delta: Option<serde_json::Value>,
    capped: Option<serde_json::Value>,
    key_capped: Option<serde_json::Value>,
}

/// What a row's `other` says beyond its amount.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct RowParts {
    /// For a charge or a refund, whether the key's limit moved too (1 or
    /// 0); for a system row, the signed change of the key's limit.
    key: i64,
    /// Units of a refund the user's balance did not get (the ceiling).
    capped: i64,
    /// Units of a refund the key's limit did not get (the ceiling).
    key_capped: i64,
}

/// `key_part` with the refund's caps, from the row's `other` JSON.
fn row_parts(log_type: i64, other: &[u8]) -> Result<RowParts, String> {
    let key = key_part(log_type, other)?;
    if log_type != LOG_REFUND {
        return Ok(RowParts {
            key,
            ..RowParts::default()
        });
    }
    let fields = serde_json::from_slice::<KeyFields>(other).ok();
    let int = |v: Option<serde_json::Value>, name: &str| match v {
        None | Some(serde_json::Value::Null) => Ok(0),
        Some(n) => n.as_i64().ok_or_else(|| format!("{name} {n}")),
    };
    let (capped, key_capped) = match fields {
        Some(f) => (int(f.capped, "capped")?, int(f.key_capped, "key_capped")?),
        None => (0, 0),
    };
    Ok(RowParts {
        key,
        capped,
        key_capped,
    })
}

/// The charge row's `other` as `reserve` writes it: matched as bytes, as
/// most of the log is charges and this saves parsing each.
const CHARGED_KEY: &[u8] = br#"{"key_charged":true}"#;
const UNCHARGED_KEY: &[u8] = br#"{"key_charged":false}"#;

/// How a row of `log_type` moved its key, from its `other` JSON: for a
/// charge or a refund 1 if the key's limit paid or got it back
/// (`key_charged`, `key_refunded`), else 0; for a system row the signed
/// `remain_quota_delta` (0 when absent). Unreadable JSON counts as "no
/// move" and shows up as a key mismatch; a delta that is not an integer is
/// an error showing it.
fn key_part(log_type: i64, other: &[u8]) -> Result<i64, String> {
    if log_type == LOG_CONSUME && other == CHARGED_KEY {
        return Ok(1);
    }
    if log_type == LOG_CONSUME && other == UNCHARGED_KEY {
        return Ok(0);
    }
    if !matches!(log_type, LOG_CONSUME | LOG_REFUND | LOG_SYSTEM) {
        return Ok(0);
    }
    let Ok(fields) = serde_json::from_slice::<KeyFields>(other) else {
        return Ok(0);
    };
    // SQLite's truthiness, which the first audit used: true or non-zero.
    let yes = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::Bool(b)) => b,
        Some(serde_json::Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        _ => false,
    };
    match log_type {
        LOG_CONSUME => Ok(yes(fields.key_charged).into()),
        LOG_REFUND => Ok(yes(fields.key_refunded).into()),
        _ => match fields.remain_quota_delta {
            None | Some(serde_json::Value::Null) => Ok(0),
            Some(delta) => delta
                .as_i64()
                .ok_or_else(|| format!("remain_quota_delta {delta}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charge_rows_fast_path_agrees_with_reading_the_json() {
        for other in [CHARGED_KEY, UNCHARGED_KEY] {
            let parsed = serde_json::from_slice::<KeyFields>(other).expect("JSON");
            let flag = parsed.key_charged.and_then(|v| v.as_bool()).map(i64::from);
            assert_eq!(key_part(LOG_CONSUME, other).ok(), flag);
        }
    }

    #[test]
    fn key_moves_read_as_the_first_audits_sql_did() {
        let part = |t, s: &str| key_part(t, s.as_bytes());
        assert_eq!(
            part(LOG_REFUND, r#"{"key_refunded":true,"reason":"x"}"#),
            Ok(1)
        );
        assert_eq!(
            part(LOG_REFUND, r#"{"reason":"x","key_refunded":false}"#),
            Ok(0)
        );
        assert_eq!(part(LOG_CONSUME, r#"{"key_charged": 1}"#), Ok(1));
        assert_eq!(part(LOG_CONSUME, r#"{}"#), Ok(0));
        assert_eq!(part(LOG_SYSTEM, r#"{"remain_quota_delta":-300}"#), Ok(-300));
        assert_eq!(part(LOG_SYSTEM, r#"{}"#), Ok(0));
        assert_eq!(part(LOG_TOPUP, r#"{"key_charged":true}"#), Ok(0));
        // Unreadable JSON moves nothing (a key mismatch shows it) ...
        assert_eq!(part(LOG_CONSUME, "not json"), Ok(0));
        // ... and a delta that is not an integer is shown, not summed.
        assert!(part(LOG_SYSTEM, r#"{"remain_quota_delta":2.5}"#).is_err());
    }

    /// A row moving its key by `n`.
    fn k(n: i64) -> RowParts {
        RowParts {
            key: n,
            ..RowParts::default()
        }
    }

    #[test]
    fn a_capped_refund_credits_what_the_ceiling_let_in() {
        let other = br#"{"key_refunded":true,"capped":30,"key_capped":40}"#;
        let parts = row_parts(LOG_REFUND, other).unwrap();
        assert_eq!((parts.key, parts.capped, parts.key_capped), (1, 30, 40));
        let mut s = LogSums::default();
        s.add(LOG_REFUND, 7, 3, 100, parts);
        assert_eq!(s.users[&7].balance, 70);
        assert_eq!(s.keys[&3].balance, 60);
    }

    #[test]
    fn sums_follow_the_direction_of_each_log_type() {
        let mut s = LogSums::default();
        s.add(LOG_TOPUP, 7, 0, 1_000, k(0));
        s.add(LOG_CONSUME, 7, 3, 100, k(1));
        s.add(LOG_REFUND, 7, 3, 100, k(1));
        s.add(LOG_CONSUME, 7, 3, 40, k(0));
        s.add(LOG_MANAGE, 7, 0, 10, k(0));
        s.add(LOG_SYSTEM, 7, 3, 500, k(500));
        assert_eq!(
            s.users[&7],
            Sums {
                balance: 950,
                used: 40
            }
        );
        assert_eq!(
            s.keys[&3],
            Sums {
                balance: 500,
                used: 40
            }
        );
    }
}
