//! The page: content, no inline code, and every asset it names served.

use super::{asset_paths, page, raw, raw_get};
use crate::kit::spawn_app;

/// Upper bound of the console's total size, uncompressed (issue 12).
const MAX_TOTAL_BYTES: usize = 300 * 1024;

#[test]
fn the_page_is_served_at_the_root_and_as_index_html() {
    let app = spawn_app();
    let root = raw_get(&app, "/", &[]);
    let named = raw_get(&app, "/index.html", &[]);
    for answer in [&root, &named] {
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(answer.header("cache-control"), Some("no-cache"));
    }
    assert_eq!(root.body, named.body);
    let html = String::from_utf8_lossy(&root.body);
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains("<select id=\"lang\">"), "{html}");
    assert!(html.contains("<nav id=\"nav\""), "{html}");
}

#[test]
fn the_page_has_no_inline_script_style_or_event_handler() {
    let app = spawn_app();
    let html = page(&app).to_ascii_lowercase();
    for (i, _) in html.match_indices("<script") {
        let tag_end = html[i..].find('>').expect("a closed script tag") + i;
        let tag = &html[i..tag_end];
        assert!(tag.contains(" src=\"/assets/"), "a script with src: {tag}");
        assert!(
            html[tag_end + 1..].starts_with("</script>"),
            "no inline code in {tag}"
        );
    }
    assert!(!html.contains("<style"), "no <style> element");
    assert!(!html.contains(" style="), "no style attribute");
    let handler = html
        .split(|c: char| c.is_whitespace())
        .find(|word| word.starts_with("on") && word.contains('='));
    assert_eq!(handler, None, "no on*= attribute");
    assert!(!html.contains("javascript:"), "no javascript: URL");
}

#[test]
fn every_asset_the_page_names_is_served_with_its_version_and_the_total_stays_small() {
    let app = spawn_app();
    let html = page(&app);
    let paths = asset_paths(&html);
    assert!(
        paths.iter().any(|p| p.starts_with("/assets/app.js?v=")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("/assets/app.css?v=")),
        "{paths:?}"
    );
    let mut total = html.len();
    for path in &paths {
        assert!(path.contains("?v="), "named by version: {path}");
        let answer = raw_get(&app, path, &[]);
        assert_eq!(answer.status, 200, "{path}");
        let expected = if path.contains(".css") {
            "text/css; charset=utf-8"
        } else {
            "text/javascript; charset=utf-8"
        };
        assert_eq!(answer.header("content-type"), Some(expected), "{path}");
        let text = String::from_utf8_lossy(&answer.body);
        assert!(!text.contains("eval("), "{path}: no eval");
        assert!(
            !text.contains("innerHTML"),
            "{path}: nothing parsed as HTML"
        );
        total += answer.body.len();
    }
    assert!(total < MAX_TOTAL_BYTES, "the console is {total} bytes");
}

#[test]
fn a_new_build_of_an_asset_gets_a_new_version_in_the_page() {
    // The version is the asset's hash: the bytes served hash to it.
    let app = spawn_app();
    for path in asset_paths(&page(&app)) {
        let (_, version) = path.split_once("?v=").expect("a version");
        let answer = raw_get(&app, &path, &[]);
        let hash = taskcenter::secrets::sha256_hex(&[&answer.body]);
        assert!(hash.starts_with(version), "{path}: {hash}");
    }
}

#[test]
fn head_answers_the_headers_of_get_without_a_body() {
    let app = spawn_app();
    for path in ["/".to_string(), asset_paths(&page(&app))[0].clone()] {
        let get = raw_get(&app, &path, &[]);
        let head = raw(&app, "HEAD", &path, &[]);
        assert_eq!(head.status, 200, "{path}");
        assert!(head.body.is_empty(), "{path}: no body");
        for name in [
            "content-type",
            "etag",
            "cache-control",
            "content-security-policy",
        ] {
            assert_eq!(head.header(name), get.header(name), "{path}: {name}");
        }
    }
}
