//! One console file as an HTTP answer: content negotiation (gzip),
//! revalidation (`ETag`, `If-None-Match` → 304), caching, and the security
//! headers every console answer carries.

use warp::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HeaderName,
    IF_NONE_MATCH, REFERRER_POLICY, VARY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::{Reply, Response};

use super::assets::Asset;

/// The console's policy: its own scripts and styles only (no inline code
/// at all), media from anywhere (Suno clips play from their `audio_url`,
/// which carries no credentials), requests to this server only.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: http: https:; media-src 'self' http: https:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Cache-Control` of the page: always revalidated, so a new build shows.
const PAGE_CACHE: &str = "no-cache";
/// `Cache-Control` of assets: the page names them by hash.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

/// `asset` answered to a request with `headers`.
pub fn answer(asset: &Asset, headers: &HeaderMap) -> Response {
    let gzip = accepts_gzip(headers).then(|| asset.gzipped()).flatten();
    let etag = asset.etag(gzip.is_some());
    let mut resp = if matches_etag(headers, &etag) {
        let mut r = Response::new(Vec::new().into());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let body = gzip.map_or_else(|| asset.bytes.clone(), <[u8]>::to_vec);
        let mut r = Response::new(body.into());
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
        if gzip.is_some() {
            r.headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(ETAG, v);
    }
    let cache = if asset.immutable {
        ASSET_CACHE
    } else {
        PAGE_CACHE
    };
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    secure(h);
    resp
}

/// 404 for an asset that does not exist, in the management envelope.
pub fn not_found(name: &str) -> Response {
    let body = serde_json::json!({"success": false, "message": format!("no such asset '{name}'")});
    let mut resp =
        warp::reply::with_status(warp::reply::json(&body), StatusCode::NOT_FOUND).into_response();
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE));
    secure(resp.headers_mut());
    resp
}

/// The security headers of every console answer.
fn secure(h: &mut HeaderMap) {
    let pairs: [(HeaderName, &'static str); 4] = [
        (CONTENT_SECURITY_POLICY, CSP),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        (X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in pairs {
        h.insert(name, HeaderValue::from_static(value));
    }
}

/// Whether `Accept-Encoding` allows gzip (`gzip` or `*`, not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all("accept-encoding")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak tags compare by
/// their opaque part, as RFC 9110 asks for this header.
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn gzip_is_accepted_by_name_or_star_unless_its_quality_is_zero() {
        for yes in ["gzip", "GZIP", "br, gzip;q=0.5", "*", "deflate, *;q=0.1"] {
            assert!(accepts_gzip(&headers("accept-encoding", yes)), "{yes}");
        }
        for no in [
            "",
            "br",
            "identity",
            "gzip;q=0",
            "gzip; q=0.0, br",
            "x-gzip2",
        ] {
            assert!(!accepts_gzip(&headers("accept-encoding", no)), "{no}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn if_none_match_matches_the_tag_in_a_list_weak_or_star() {
        let tag = "\"abc\"";
        for yes in ["\"abc\"", "\"x\", \"abc\"", "W/\"abc\"", "*"] {
            assert!(matches_etag(&headers("if-none-match", yes), tag), "{yes}");
        }
        for no in ["\"abcd\"", "abc", "\"ab\", \"c\""] {
            assert!(!matches_etag(&headers("if-none-match", no), tag), "{no}");
        }
    }
}
