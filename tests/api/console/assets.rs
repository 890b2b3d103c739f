//! Serving: ETag and 304, gzip, the cache and security headers on every
//! console answer, unknown assets, and routes beside the console intact.

use std::io::Read;

use flate2::read::GzDecoder;

use super::{asset_paths, page, raw_get};
use crate::kit::{as_root, assert_error, spawn_app};

/// The policy every console answer carries.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: http: https:; media-src 'self' http: https:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn assert_secure(answer: &super::Raw, what: &str) {
    assert_eq!(
        answer.header("content-security-policy"),
        Some(CSP),
        "{what}"
    );
    assert_eq!(
        answer.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        answer.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{what}");
    let csp = answer.header("content-security-policy").unwrap_or("");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
}

#[test]
fn the_page_and_every_asset_carry_the_security_and_cache_headers() {
    let app = spawn_app();
    let mut paths = vec!["/".to_string()];
    paths.extend(asset_paths(&page(&app)));
    for path in &paths {
        for gzip in [false, true] {
            let headers: &[(&str, &str)] = if gzip {
                &[("Accept-Encoding", "gzip, deflate")]
            } else {
                &[]
            };
            let answer = raw_get(&app, path, headers);
            assert_eq!(answer.status, 200, "{path}");
            assert_secure(&answer, path);
            assert_eq!(answer.header("vary"), Some("Accept-Encoding"), "{path}");
            let etag = answer.header("etag").unwrap_or("");
            assert!(
                etag.starts_with('"') && etag.ends_with('"') && etag.len() > 10,
                "a strong ETag: {etag}"
            );
            let cache = if path == "/" {
                "no-cache"
            } else {
                "public, max-age=31536000, immutable"
            };
            assert_eq!(answer.header("cache-control"), Some(cache), "{path}");
        }
    }
}

#[test]
fn a_matching_if_none_match_is_304_without_a_body_and_a_stale_one_gets_the_bytes() {
    let app = spawn_app();
    let mut paths = vec!["/".to_string()];
    paths.extend(asset_paths(&page(&app)));
    for path in &paths {
        let first = raw_get(&app, path, &[]);
        let etag = first.header("etag").expect("an ETag").to_string();
        let again = raw_get(&app, path, &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}: no body with 304");
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{path}");
        assert_secure(&again, path);
        let listed = format!("\"stale\", {etag}");
        assert_eq!(
            raw_get(&app, path, &[("If-None-Match", &listed)]).status,
            304
        );
        let stale = raw_get(&app, path, &[("If-None-Match", "\"stale\"")]);
        assert_eq!(stale.status, 200, "{path}");
        assert_eq!(stale.body, first.body, "{path}");
    }
}

#[test]
fn gzip_is_sent_when_asked_and_decompresses_to_the_same_bytes() {
    let app = spawn_app();
    let mut paths = vec!["/".to_string()];
    paths.extend(asset_paths(&page(&app)));
    for path in &paths {
        let plain = raw_get(&app, path, &[]);
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        let gzipped = raw_get(&app, path, &[("Accept-Encoding", "br, gzip;q=0.8")]);
        assert_eq!(gzipped.status, 200, "{path}");
        assert_eq!(gzipped.header("content-encoding"), Some("gzip"), "{path}");
        assert!(gzipped.body.len() < plain.body.len(), "{path}: smaller");
        assert_eq!(gzipped.header("content-type"), plain.header("content-type"));
        let mut unzipped = Vec::new();
        GzDecoder::new(&gzipped.body[..])
            .read_to_end(&mut unzipped)
            .expect("valid gzip");
        assert_eq!(unzipped, plain.body, "{path}: the same bytes");
        // Each representation has its own strong tag, and revalidates.
        let tag = gzipped.header("etag").expect("an ETag");
        assert_ne!(Some(tag), plain.header("etag"), "{path}");
        let again = raw_get(
            &app,
            path,
            &[("Accept-Encoding", "gzip"), ("If-None-Match", tag)],
        );
        assert_eq!(again.status, 304, "{path}");
        // Refused with q=0: plain.
        let refused = raw_get(&app, path, &[("Accept-Encoding", "gzip;q=0, identity")]);
        assert_eq!(refused.header("content-encoding"), None, "{path}");
        assert_eq!(refused.body, plain.body, "{path}");
    }
}

#[test]
fn an_unknown_asset_is_404_in_the_error_envelope_with_the_security_headers() {
    let app = spawn_app();
    for path in [
        "/assets/nope.js",
        "/assets/..%2Fsecret",
        "/assets/index.html",
    ] {
        let answer = raw_get(&app, path, &[]);
        assert_eq!(answer.status, 404, "{path}");
        assert_secure(&answer, path);
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("JSON");
        assert_eq!(body["success"], false, "{path}");
    }
}

#[test]
fn routes_beside_the_console_keep_their_404_and_405() {
    let app = spawn_app();
    for path in ["/api/nope", "/nothing", "/assets"] {
        let (status, body) = app.get(path, &as_root());
        assert_error(status, &body, 404);
    }
    for path in ["/v1/videos/nope/extra/more", "/suno/nope"] {
        assert_eq!(raw_get(&app, path, &[]).status, 404, "{path}");
    }
    for (method, path) in [("POST", "/api/task/self"), ("DELETE", "/api/user/self")] {
        let (status, body) = app.request(method, path, &as_root(), None);
        assert_error(status, &body, 405);
    }
    // The console only answers GET.
    let (status, body) = app.request("POST", "/", &as_root(), None);
    assert!(status == 404 || status == 405, "{status} {body}");
    assert_eq!(body["success"], false);
}
