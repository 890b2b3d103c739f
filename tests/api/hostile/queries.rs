//! Hostile query parameters on every list route, and hostile path
//! parameters on every route that takes one.

use super::generator::{Hostile, RAW_QUERY_VALUES, RAW_SEGMENTS, encode};
use super::{refused_without_a_trace, shorten};
use crate::kit::{as_root, bearer};

/// A list route, its query parameters and those compared exactly
/// (a value no row holds must match nothing).
pub(super) struct ListRoute {
    /// The route.
    pub(super) path: &'static str,
    /// Every query parameter it reads.
    params: &'static [&'static str],
    /// Those compared exactly.
    exact: &'static [&'static str],
    /// Lists only the caller's rows.
    pub(super) own: bool,
}

const TIME: &str = "start_timestamp";
const UNTIL: &str = "end_timestamp";

#[rustfmt::skip]
pub(super) const LIST_ROUTES: &[ListRoute] = &[
    ListRoute {
        path: "/api/task/self",
        params: &["p", "page_size", "status", "platform", "task_id", "action", TIME, UNTIL, "channel_id"],
        exact: &["platform", "task_id"],
        own: true,
    },
    ListRoute {
        path: "/api/task/",
        params: &["p", "page_size", "channel_id", "status", "platform", "task_id", "action", TIME, UNTIL],
        exact: &["platform", "task_id"],
        own: false,
    },
    ListRoute {
        path: "/api/log/self",
        params: &["p", "page_size", "type", "model_name", "task_id", "token_name", TIME, UNTIL, "user_id"],
        exact: &["model_name", "task_id", "token_name"],
        own: true,
    },
    ListRoute {
        path: "/api/log/",
        params: &["p", "page_size", "type", "model_name", "task_id", "token_name", "username",
                  "user_id", "channel_id", TIME, UNTIL],
        exact: &["model_name", "task_id", "token_name", "username"],
        own: false,
    },
    ListRoute { path: "/api/user/", params: &["p", "page_size", "keyword"], exact: &["keyword"], own: false },
    ListRoute { path: "/api/token/", params: &["p", "page_size"], exact: &[], own: true },
    ListRoute { path: "/api/channel/", params: &["p", "page_size"], exact: &[], own: false },
];

/// A query parameter's value: text this test encoded, or a raw fragment.
enum QueryValue {
    Text(String),
    Raw(&'static str),
}

/// Valid, if extreme, values of the numeric and enumerated parameters.
fn plausible(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "p" => Some(&["0", "1", "2", "99999999999999999999"]),
        "page_size" => Some(&["1", "20", "100", "1000", "99999999999999999999"]),
        "start_timestamp" | "end_timestamp" => Some(&[
            "0",
            "-9223372036854775808",
            "9223372036854775807",
            "1700000000",
        ]),
        "channel_id" | "user_id" | "type" => Some(&["-1", "0", "1", "2", "9223372036854775807"]),
        "status" => Some(&["SUCCESS", "FAILURE", "IN_PROGRESS", "NOT_START"]),
        _ => None,
    }
}

/// Text that cannot be part of any name, id or model in the fixture.
fn matches_nothing(s: &str) -> bool {
    !s.trim().is_empty() && s.chars().any(|c| !c.is_ascii() || "'\"%_\\;\0".contains(c))
}

#[test]
fn hostile_query_parameters_get_200_or_400_and_change_nothing() {
    refused_without_a_trace(0x5eed_0001, 200, |fx, rng, report| {
        let app = &fx.app;
        for route in LIST_ROUTES {
            let (headers, me) = if route.own {
                (fx.alice.headers.clone(), fx.alice.id)
            } else {
                (as_root(), 1)
            };
            for _ in 0..40 {
                let mut pairs: Vec<(String, QueryValue)> = Vec::new();
                for _ in 0..1 + rng.below(4) {
                    let name = if rng.chance(10) {
                        rng.text()
                    } else {
                        rng.pick(route.params).to_string()
                    };
                    let value = match plausible(&name) {
                        // Numbers mostly valid, so that the other filters are read too.
                        Some(values) if rng.chance(55) => QueryValue::Text(rng.pick(values).into()),
                        _ if rng.chance(20) => QueryValue::Raw(rng.pick(RAW_QUERY_VALUES)),
                        _ => QueryValue::Text(rng.text()),
                    };
                    pairs.push((name, value));
                    // The same parameter again with another value.
                    if rng.chance(20) {
                        let again = pairs.last().map(|(n, _)| n.clone()).unwrap_or_default();
                        pairs.push((again, QueryValue::Text(rng.text())));
                    }
                }
                let query: Vec<String> = pairs
                    .iter()
                    .map(|(n, v)| match v {
                        QueryValue::Text(t) => format!("{}={}", encode(n), encode(t)),
                        QueryValue::Raw(r) => format!("{}={r}", encode(n)),
                    })
                    .collect();
                let path = format!("{}?{}", route.path, query.join("&"));
                let (status, body) = app.get(&path, &headers);
                if !report.check(&format!("GET {path}"), route.path, status, &body) {
                    continue;
                }
                if status != 200 && status != 400 {
                    report.fail(format!("GET {path}: expected 200 or 400, got {status}"));
                    continue;
                }
                if status == 400 {
                    continue;
                }
                let data = &body["data"];
                let items = data["items"].as_array();
                let page_size = data["page_size"].as_i64().unwrap_or(0);
                let total = data["total"].as_i64().unwrap_or(-1);
                let Some(items) = items else {
                    report.fail(format!("GET {path}: no items: {}", shorten(&body)));
                    continue;
                };
                if !(1..=100).contains(&page_size) || items.len() as i64 > page_size || total < 0 {
                    report.fail(format!("GET {path}: bad page: {}", shorten(data)));
                }
                if route.own && items.iter().any(|i| i["user_id"].as_i64() != Some(me)) {
                    report.fail(format!("GET {path}: shows another user's rows"));
                }
                // The value the server reads is the last one of its name.
                for exact in route.exact {
                    let last = pairs.iter().rev().find(|(n, _)| n == exact);
                    if let Some((_, QueryValue::Text(t))) = last
                        && matches_nothing(t)
                        && total != 0
                    {
                        report.fail(format!(
                            "GET {path}: {exact}={t:?} matches nothing, yet total is {total}"
                        ));
                    }
                }
            }
        }
    });
}

#[test]
fn hostile_path_parameters_get_4xx_and_change_nothing() {
    refused_without_a_trace(0x5eed_0002, 120, |fx, rng, report| {
        let app = &fx.app;
        let channel_ids: Vec<i64> = app.db.rows("SELECT id FROM channels", [], |r| r.get(0));
        let key = bearer(&fx.alice.key);
        for _ in 0..20 {
            for (method, template, headers) in [
                ("GET", "/api/channel/{}", as_root()),
                ("DELETE", "/api/channel/{}", as_root()),
                ("GET", "/api/user/{}", as_root()),
                ("DELETE", "/api/token/{}", fx.alice.headers.clone()),
                ("POST", "/api/user/{}/quota", as_root()),
                ("GET", "/suno/fetch/{}", key.clone()),
                ("POST", "/suno/submit/{}", key.clone()),
                ("PATCH", "/api/channel/{}", as_root()),
            ] {
                let segment = if rng.chance(20) {
                    rng.pick(RAW_SEGMENTS).to_string()
                } else {
                    let text = rng.text();
                    // Never name a real channel: that DELETE would be accepted.
                    if text.parse::<i64>().is_ok_and(|n| channel_ids.contains(&n)) {
                        continue;
                    }
                    // Nor a real action: that submission could be accepted.
                    if ["music", "lyrics"].contains(&text.to_ascii_lowercase().as_str()) {
                        continue;
                    }
                    encode(&text)
                };
                let path = template.replace("{}", &segment);
                // Bodies that no route accepts whatever the path says.
                let body = match method {
                    "POST" if template.starts_with("/suno") => Some(br#"{"prompt":"  "}"#.to_vec()),
                    "POST" => Some(br#"{"delta":0,"reason":"hostile"}"#.to_vec()),
                    _ => None,
                };
                let (status, answer) = app.request(method, &path, &headers, body);
                let what = format!("{method} {path}");
                if report.check(&what, template, status, &answer) && status < 400 && method != "GET"
                {
                    report.fail(format!("{what}: a write was accepted: {status}"));
                }
            }
        }
    });
}
