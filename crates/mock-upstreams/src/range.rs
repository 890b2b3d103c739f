//! `Range: bytes=...` requests (RFC 9110 §14), resolved against a body's length.
//!
//! Only single ranges are honoured; a header that is not one (other units, several ranges,
//! bad syntax) is ignored and the whole body served, as the RFC allows.

/// What to send for a request's `Range` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// HTTP 200, the whole body.
    Whole,
    /// HTTP 206, bytes `start..=last`.
    Part { start: u64, last: u64 },
    /// HTTP 416: the range starts past the end.
    Unsatisfiable,
}

/// Resolves `header` for a body of `len` bytes.
pub(crate) fn resolve(header: Option<&str>, len: u64) -> Ranged {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ranged::Whole;
    };
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (first.trim().is_empty(), number(first), number(last)) {
        // `bytes=-n`: the last n bytes.
        (true, _, Some(0)) => Ranged::Unsatisfiable,
        (true, _, Some(n)) if len > 0 => Ranged::Part {
            start: len - n.min(len),
            last: len - 1,
        },
        (false, Some(start), _) if start >= len => Ranged::Unsatisfiable,
        // `bytes=a-`: from a to the end.
        (false, Some(start), None) if last.trim().is_empty() => Ranged::Part {
            start,
            last: len - 1,
        },
        // `bytes=a-b`, b clipped to the end.
        (false, Some(start), Some(last)) if start <= last => Ranged::Part {
            start,
            last: last.min(len - 1),
        },
        _ => Ranged::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::{Ranged, resolve};

    #[test]
    fn single_ranges_resolve_and_the_rest_is_ignored() {
        let part = |start, last| Ranged::Part { start, last };
        assert_eq!(resolve(None, 100), Ranged::Whole);
        assert_eq!(resolve(Some("bytes=0-9"), 100), part(0, 9));
        assert_eq!(resolve(Some("bytes=90-"), 100), part(90, 99));
        assert_eq!(resolve(Some("bytes=90-500"), 100), part(90, 99));
        assert_eq!(resolve(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(resolve(Some("bytes=-500"), 100), part(0, 99));
        assert_eq!(resolve(Some("bytes=100-"), 100), Ranged::Unsatisfiable);
        assert_eq!(resolve(Some("bytes=-0"), 100), Ranged::Unsatisfiable);
        for ignored in [
            "items=0-1",
            "bytes=5-1",
            "bytes=0-1,4-5",
            "bytes=x-",
            "bytes=7",
        ] {
            assert_eq!(resolve(Some(ignored), 100), Ranged::Whole, "{ignored}");
        }
    }
}
