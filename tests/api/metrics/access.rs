//! Who may scrape, and where: off by default, a token when one is set, and
//! a listener of its own.

use super::{Scrape, get_at, scrape_at};
use crate::kit::{Settings, spawn_app_with};

const TOKEN: &str = "scrape-secret-0123456789";

#[test]
fn metrics_are_off_by_default_and_metrics_is_a_404_like_any_unknown_path() {
    let app = spawn_app_with(Settings::manual());
    let (status, _, body) = scrape_at(app.addr, None);
    assert_eq!(status, 404, "{body}");
    let (unknown, _, _) = get_at(app.addr, "/no-such-path", None);
    assert_eq!(unknown, status);
    assert_eq!(app.metrics_addr, None);
}

#[test]
fn with_a_token_a_scrape_without_it_or_with_another_is_401_and_with_it_200() {
    let app = spawn_app_with(Settings::manual().metrics().metrics_token(TOKEN));
    for given in [None, Some("wrong"), Some("scrape-secret-012345678")] {
        let (status, _, body) = scrape_at(app.addr, given);
        assert_eq!(status, 401, "{given:?}: {body}");
        assert!(!body.contains("taskcenter_"), "{body}");
    }
    let (status, content_type, body) = scrape_at(app.addr, Some(TOKEN));
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/plain; version=0.0.4");
    let s = Scrape::parse(&body);
    assert_eq!(
        s.sum(
            "taskcenter_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(s.sum("taskcenter_start_time_seconds", &[]) > 1.7e9);
}

#[test]
fn metrics_listen_serves_metrics_there_and_not_on_the_main_listener() {
    let app = spawn_app_with(Settings::manual().metrics().metrics_listener());
    let at = app.metrics_addr.expect("a metrics listener");
    assert_ne!(at, app.addr);
    let (status, content_type, body) = scrape_at(at, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/plain; version=0.0.4");
    assert!(
        Scrape::parse(&body)
            .names()
            .any(|n| n == "taskcenter_build_info")
    );
    let (main, _, body) = scrape_at(app.addr, None);
    assert_eq!(main, 404, "{body}");
    // The main listener still serves the API.
    let (status, _, _) = get_at(app.addr, "/api/status", None);
    assert_eq!(status, 200);
}

#[test]
fn metrics_listen_without_metrics_and_an_empty_token_are_refused_at_start() {
    for args in [
        &["serve", "--metrics-listen", "127.0.0.1:0"][..],
        &["serve", "--metrics", "--metrics-token", ""][..],
        &["serve", "--metrics", "--metrics-listen", "nowhere"][..],
    ] {
        let out = crate::kit::process::taskcenter(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(text.contains("--metrics"), "{args:?}: {text}");
    }
}
