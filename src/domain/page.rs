//! Page parameters of every list endpoint.

use super::Invalid;
use super::QueryParams;

/// Default page size, as the console sends.
pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// Larger page sizes are clamped to this.
pub const MAX_PAGE_SIZE: i64 = 100;

/// A validated page request: `p` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based page number.
    pub p: i64,
    /// Rows per page, 1..=100.
    pub page_size: i64,
}

impl Page {
    /// Reads `p` and `page_size`: p=0 means 1; negative or non-numeric → 400;
    /// page_size above 100 is clamped; below 1 → 400.
    pub fn parse(q: &QueryParams) -> Result<Self, Invalid> {
        let p = match q.get("p") {
            None => 1,
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n >= 0 => n.max(1),
                Ok(n) => {
                    return Err(Invalid::new(format!(
                        "invalid p '{n}': must be 0 or a positive integer"
                    )));
                }
                // Beyond i64 but all digits: a page far past the end.
                Err(_) if is_digits(v) => i64::MAX,
                Err(_) => return Err(Invalid::new(format!("invalid p '{v}': not an integer"))),
            },
        };
        let page_size = match q.get("page_size") {
            None => DEFAULT_PAGE_SIZE,
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n >= 1 => n.min(MAX_PAGE_SIZE),
                Ok(n) => {
                    return Err(Invalid::new(format!(
                        "invalid page_size '{n}': must be at least 1"
                    )));
                }
                Err(_) if is_digits(v) => MAX_PAGE_SIZE,
                Err(_) => {
                    return Err(Invalid::new(format!(
                        "invalid page_size '{v}': not an integer"
                    )));
                }
            },
        };
        Ok(Page { p, page_size })
    }

    /// Rows to skip, saturating for absurd page numbers.
    pub fn offset(&self) -> i64 {
        (self.p - 1).saturating_mul(self.page_size)
    }
}

fn is_digits(v: &str) -> bool {
    let v = v.trim().trim_start_matches('+');
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> QueryParams {
        QueryParams::new(
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn edges() {
        assert_eq!(
            Page::parse(&q(&[])).unwrap(),
            Page {
                p: 1,
                page_size: 20
            }
        );
        assert_eq!(Page::parse(&q(&[("p", "0")])).unwrap().p, 1);
        assert_eq!(
            Page::parse(&q(&[("page_size", "1000")])).unwrap().page_size,
            100
        );
        assert!(Page::parse(&q(&[("p", "-1")])).is_err());
        assert!(Page::parse(&q(&[("p", "x")])).is_err());
        assert!(Page::parse(&q(&[("page_size", "0")])).is_err());
        assert!(Page::parse(&q(&[("page_size", "-5")])).is_err());
        let huge = Page::parse(&q(&[("p", "99999999999999999999999")])).unwrap();
        assert_eq!(huge.offset(), i64::MAX);
    }
}
