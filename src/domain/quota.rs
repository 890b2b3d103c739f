//! Quota amounts: the one ceiling every balance, limit and amount stays
//! under.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_stay_under_the_ceiling() {
        assert_eq!(parse_amount("quota", MAX_QUOTA), Ok(MAX_QUOTA));
        assert!(parse_amount("quota", MAX_QUOTA + 1).is_err());
        assert!(parse_amount("quota", -1).is_err());
    }
}
