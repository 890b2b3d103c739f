//! Quota amounts: the one ceiling every balance, limit and amount stays
//! under, and the arithmetic that keeps them there.

use super::Invalid;

/// 2^53 − 1: the largest balance, limit or amount. Every such number is an
/// exact integer in a JSON client that reads numbers as doubles, and no sum
/// of two of them overflows an i64.
pub const MAX_QUOTA: i64 = 9_007_199_254_740_991;

/// A balance or limit given by a client: 0 to [`MAX_QUOTA`].
pub fn parse_amount(field: &str, v: i64) -> Result<i64, Invalid> {
    if !(0..=MAX_QUOTA).contains(&v) {
        return Err(Invalid::new(format!(
            "{field} must be between 0 and {MAX_QUOTA}, got {v}"
        )));
    }
    Ok(v)
}

/// A signed change of a balance given by an operator: −[`MAX_QUOTA`] to
/// [`MAX_QUOTA`]. Whether the balance it lands on fits is the caller's
/// check; this one keeps the sum of two amounts inside an i64.
pub fn parse_change(field: &str, v: i64) -> Result<i64, Invalid> {
    if !(-MAX_QUOTA..=MAX_QUOTA).contains(&v) {
        return Err(Invalid::new(format!(
            "{field} must be between -{MAX_QUOTA} and {MAX_QUOTA}, got {v}"
        )));
    }
    Ok(v)
}

/// A credit of `amount` to `balance` capped at [`MAX_QUOTA`]: the new
/// balance and the units that did not fit (0 unless the cap bit). A refund
/// must never fail for want of room, so the excess is reported, not refused.
pub fn credit(balance: i64, amount: i64) -> (i64, i64) {
    // i128: total for any i64, though the books only hold 0..=MAX_QUOTA.
    let sum = balance as i128 + amount as i128;
    let new = sum.min(MAX_QUOTA as i128);
    (new as i64, (sum - new) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_stay_under_the_ceiling() {
        assert_eq!(parse_amount("quota", MAX_QUOTA), Ok(MAX_QUOTA));
        assert!(parse_amount("quota", MAX_QUOTA + 1).is_err());
        assert!(parse_amount("quota", -1).is_err());
    }

    #[test]
    fn changes_stay_within_one_ceiling_either_way() {
        assert_eq!(parse_change("delta", MAX_QUOTA), Ok(MAX_QUOTA));
        assert_eq!(parse_change("delta", -MAX_QUOTA), Ok(-MAX_QUOTA));
        for bad in [MAX_QUOTA + 1, -MAX_QUOTA - 1, i64::MAX, i64::MIN] {
            let e = parse_change("delta", bad).expect_err("out of range");
            assert!(e.0.starts_with("delta must be"), "{e}");
        }
    }

    #[test]
    fn a_credit_never_passes_the_ceiling_and_accounts_for_every_unit() {
        // splitmix64 over the whole range, plus the edges.
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) % (MAX_QUOTA as u64 + 1)) as i64
        };
        let edges = [0, 1, 50_000, MAX_QUOTA - 1, MAX_QUOTA];
        let mut cases: Vec<(i64, i64)> = edges
            .iter()
            .flat_map(|&b| edges.iter().map(move |&a| (b, a)))
            .collect();
        cases.extend((0..10_000).map(|_| (next(), next())));
        for (balance, amount) in cases {
            let (new, capped) = credit(balance, amount);
            assert!((0..=MAX_QUOTA).contains(&new), "{balance} + {amount}");
            assert!(capped >= 0, "{balance} + {amount}");
            assert_eq!(
                new as i128 + capped as i128,
                balance as i128 + amount as i128
            );
            assert_eq!(capped == 0, balance + amount <= MAX_QUOTA);
        }
    }
}
