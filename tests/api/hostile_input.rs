//! Hostile input on every route: random and huge numbers, negatives, floats,
//! unicode, SQL metacharacters, repeated parameters, invalid UTF-8, wrong
//! JSON types and 10 MB bodies, from a seeded generator so a failure replays.
//!
//! Whatever arrives, the answer is a 2xx or 4xx in the route's envelope
//! (`success` under /api, `code` under /suno), never a 5xx or a dropped
//! connection; the server stays healthy, and requests that must be refused
//! leave every row of the database as it was.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Headers, ROOT_TOKEN, TestApp, as_root, assert_ok};
use crate::relay_support::{Customer, Env, bearer, dead_base_url, suno_data};

/// Texts that break naive parsers, SQL builders and byte handling.
#[rustfmt::skip]
const HOSTILE_TEXT: &[&str] = &[
    "1e30", "99999999999999999999", "9223372036854775808", "-9223372036854775809",
    "9223372036854775807", "-9223372036854775808", "-1", "-0", "0", "1.5", "-2.5e-7", "NaN",
    "inf", "0x1F", " 7 ", "+5", "", "   ", "\u{661}\u{662}", "\u{FF11}", "\u{202E}3pm.exe",
    "\u{5E9}\u{5DC}\u{5D5}\u{5DD}", "😀🎵", "\u{0}", "a\u{0}b", "' OR 1=1 --",
    "'; DROP TABLE users; --", "\" OR \"\"=\"", "%", "_", "%_%", "\\", "\\%", "null", "true",
    "[]", "{}", "<script>alert(1)</script>", "a\r\nb", "../../etc/passwd", "\u{130}\u{17F}",
    "\u{FEFF}1", "e\u{301}\u{301}\u{301}",
];

/// Query fragments sent as they are: percent escapes of invalid UTF-8
/// (a lone continuation byte, an overlong slash, a surrogate), broken escapes.
#[rustfmt::skip]
const RAW_QUERY_VALUES: &[&str] = &[
    "%FF%FE", "%C0%AF", "%ED%A0%80", "%", "%G1", "%%", "+", "%00", "a=b=c", "%2",
];

/// Path segments sent as they are (none of them reads as a number).
const RAW_SEGMENTS: &[&str] = &["..", ".", "%FF%FE", "%2F", "%00", "%", "%zz", "%C0%AF"];

/// JSON values of the wrong type, size or shape for most fields.
#[rustfmt::skip]
const HOSTILE_JSON: &[&str] = &[
    "1e30", "99999999999999999999", "9223372036854775808", "-9223372036854775809", "-1", "0",
    "1.5", "-0.0", "1e-400", "1e400", "\"123\"", "\"\"", "[]", "[1,\"2\",null]", "{}",
    "{\"a\":{\"b\":[{}]}}", "true", "false", "null", "\"\\u0000\"", "\"\\ud800\"",
    "\"\\u202e\"", "\"' OR 1=1 --\"",
];

/// Whole bodies that are not a usable JSON object.
#[rustfmt::skip]
const HOSTILE_BODIES: &[&str] = &[
    "", "   ", "null", "[]", "[{}]", "\"{}\"", "123", "{", "{\"a\":", "}{", "{}{}", "{\"a\":1,}",
    "{'a':1}", "NaN", "\u{FEFF}{}",
];

/// Characters mixed into generated text.
#[rustfmt::skip]
const HOSTILE_CHARS: &[char] = &[
    '\'', '"', '%', '_', '\\', ';', '-', '\u{0}', '\u{202E}', '\u{200B}', 'é', '😀', 'ß', '\n',
    '\t', '*', '/', '?', '#', '&', '=',
];

/// A xorshift64 generator: the same seed gives the same hostile inputs.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A hostile text: mostly from [`HOSTILE_TEXT`], else generated.
    fn text(&mut self) -> String {
        if self.chance(75) {
            return self.pick(HOSTILE_TEXT).to_string();
        }
        match self.below(4) {
            0 => (self.next() as i64).to_string(),
            1 => {
                let digits = 20 + self.below(30);
                (0..digits)
                    .map(|_| (b'1' + self.below(9) as u8) as char)
                    .collect()
            }
            2 => "é' OR 1=1 -- ".repeat(100 + self.below(800)),
            _ => {
                let len = 1 + self.below(12);
                (0..len).map(|_| self.pick(HOSTILE_CHARS)).collect()
            }
        }
    }

    /// A hostile JSON value as text.
    fn json(&mut self) -> String {
        match self.below(10) {
            0..=4 => self.pick(HOSTILE_JSON).to_string(),
            5..=7 => json_string(&self.text()),
            8 => (self.next() as i64).to_string(),
            _ => {
                // Far deeper than serde_json's recursion limit.
                let depth = 1000 + self.below(9000);
                format!("{}{}", "[".repeat(depth), "]".repeat(depth))
            }
        }
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

/// Percent-encodes every byte but the unreserved ones.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The app with a mock channel, a customer with a key and one accepted
/// task, another customer's key, and a user with no quota.
struct Fixture {
    env: Env,
    alice: Customer,
    task_id: String,
    bob: Customer,
    broke_user: i64,
}

fn fixture() -> Fixture {
    let env = Env::new();
    env.upstream("main", 0);
    let alice = env.customer("alice", 10_000_000);
    let task_id = env.submit_music(&alice.key, "a song about the sea");
    let bob = env.customer("bob", 1_000_000);
    let (broke_user, _) = env.app.create_user("carol", 1, 0);
    Fixture {
        env,
        alice,
        task_id,
        bob,
        broke_user,
    }
}

/// Every row of every table, with row counts and quota sums, as text.
fn fingerprint(app: &TestApp) -> Vec<String> {
    let conn = app.store.conn().expect("a connection");
    let mut lines = Vec::new();
    for (table, sum) in [
        ("users", "quota"),
        ("tokens", "remain_quota"),
        ("tasks", "quota"),
        ("logs", "quota"),
        ("channels", "used_quota"),
        ("options", "length(value)"),
    ] {
        let (count, total): (i64, i64) = conn
            .query_row(
                &format!("SELECT COUNT(*), COALESCE(SUM({sum}), 0) FROM {table}"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("count the rows");
        lines.push(format!("{table}: {count} rows, SUM({sum}) = {total}"));
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
            .expect("prepare the dump");
        let width = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..width)
                    .map(|i| {
                        r.get_ref(i).map(|v| match v {
                            rusqlite::types::ValueRef::Text(t) => {
                                format!("{:?}", String::from_utf8_lossy(t))
                            }
                            other => format!("{other:?}"),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .expect("dump the table")
            .collect::<Result<Vec<_>, _>>()
            .expect("read the rows");
        lines.extend(
            rows.into_iter()
                .map(|row| format!("{table}: {}", row.join(" | "))),
        );
    }
    lines
}

fn assert_unchanged(before: &[String], after: &[String]) {
    let gone: Vec<_> = before.iter().filter(|l| !after.contains(l)).collect();
    let added: Vec<_> = after.iter().filter(|l| !before.contains(l)).collect();
    assert!(
        gone.is_empty() && added.is_empty(),
        "requests that were refused changed the database\nrows before: {gone:#?}\nrows after: {added:#?}"
    );
}

fn assert_healthy(env: &Env) {
    let (status, body) = env.get("/api/status", &vec![]);
    assert_ok(status, &body);
    let (status, body) = env.get("/api/user/self", &as_root());
    assert_ok(status, &body);
}

/// What was sent and every answer that broke the rules.
#[derive(Default)]
struct Report {
    sent: usize,
    problems: Vec<String>,
}

impl Report {
    /// Checks the status class and the envelope of `path`'s answer.
    fn check(&mut self, what: &str, path: &str, status: u16, body: &Value) -> bool {
        self.sent += 1;
        match envelope_problem(path, status, body) {
            None => true,
            Some(p) => {
                self.fail(format!("{what}: {p}: {status} {}", shorten(body)));
                false
            }
        }
    }

    fn fail(&mut self, problem: String) {
        self.problems.push(problem);
    }

    fn assert_clean(&self, at_least: usize) {
        assert!(
            self.problems.is_empty(),
            "{} of {} hostile requests broke the rules:\n{}",
            self.problems.len(),
            self.sent,
            self.problems
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            self.sent >= at_least,
            "only {} requests were sent, expected at least {at_least}",
            self.sent
        );
    }
}

fn shorten(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        format!("{}...", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

/// What is wrong with an answer: a status outside 2xx/4xx or a bad envelope.
fn envelope_problem(path: &str, status: u16, body: &Value) -> Option<String> {
    let ok = (200..300).contains(&status);
    if !ok && !(400..500).contains(&status) {
        return Some("neither 2xx nor 4xx".into());
    }
    let message = body["message"].as_str();
    if path.starts_with("/suno") {
        let code = body["code"].as_str()?;
        if ok != (code == "success") {
            return Some(format!("code {code:?} disagrees with the status"));
        }
        if !ok && (!body["data"].is_null() || message.is_none_or(|m| m.trim().is_empty())) {
            return Some("a Suno error needs data null and a message".into());
        }
        return None;
    }
    let Some(success) = body["success"].as_bool() else {
        return Some("no `success` flag".into());
    };
    if success != ok {
        return Some("`success` disagrees with the status".into());
    }
    match message {
        None => Some("no `message`".into()),
        Some(m) if !ok && m.trim().is_empty() => Some("an empty error message".into()),
        _ => None,
    }
}

/// A list route, its query parameters and those compared exactly
/// (a value no row holds must match nothing).
struct ListRoute {
    path: &'static str,
    params: &'static [&'static str],
    exact: &'static [&'static str],
    /// Lists only the caller's rows.
    own: bool,
}

const TIME: &str = "start_timestamp";
const UNTIL: &str = "end_timestamp";

#[rustfmt::skip]
const LIST_ROUTES: &[ListRoute] = &[
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
    let fx = fixture();
    let env = &fx.env;
    let before = fingerprint(&env.app);
    let mut rng = Rng::new(0x5eed_0001);
    let mut report = Report::default();
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
            let (status, body) = env.get(&path, &headers);
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
    report.assert_clean(200);
    assert_healthy(env);
    assert_unchanged(&before, &fingerprint(&env.app));
}

#[test]
fn hostile_path_parameters_get_4xx_and_change_nothing() {
    let fx = fixture();
    let env = &fx.env;
    let channel_ids: Vec<i64> = {
        let conn = env.app.store.conn().expect("a connection");
        let mut stmt = conn.prepare("SELECT id FROM channels").expect("prepare");
        stmt.query_map([], |r| r.get(0))
            .expect("channel ids")
            .collect::<Result<_, _>>()
            .expect("read the ids")
    };
    let before = fingerprint(&env.app);
    let mut rng = Rng::new(0x5eed_0002);
    let mut report = Report::default();
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
            let (status, answer) = env.request(method, &path, &headers, body);
            let what = format!("{method} {path}");
            if report.check(&what, template, status, &answer) && status < 400 && method != "GET" {
                report.fail(format!("{what}: a write was accepted: {status}"));
            }
        }
    }
    report.assert_clean(120);
    assert_healthy(env);
    assert_unchanged(&before, &fingerprint(&env.app));
}

/// The routes that take a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyRoute {
    CreateUser,
    UpdateUser,
    AdjustQuota,
    CreateKey,
    UpdateKey,
    CreateChannel,
    UpdateChannel,
    SetOption,
    Submit,
    Fetch,
}

use BodyRoute as B;

const BODY_ROUTES: [BodyRoute; 10] = [
    B::CreateUser,
    B::UpdateUser,
    B::AdjustQuota,
    B::CreateKey,
    B::UpdateKey,
    B::CreateChannel,
    B::UpdateChannel,
    B::SetOption,
    B::Submit,
    B::Fetch,
];

/// Body members that make a request fail on their own, whatever the other
/// fields hold: per route, the fields a poison settles and its variants as
/// JSON members ("" leaves the fields out). `{long}` stands for a name of
/// 65 characters, `{alice_key}` and `{bob_key}` for keys root does not own.
/// The fetch is read-only and needs none.
#[rustfmt::skip]
const POISONS: &[(BodyRoute, &[&str], &[&str])] = &[
    (B::CreateUser, &["username"], &[r#""username":1"#, r#""username":[]"#, r#""username":{}"#,
        r#""username":null"#, r#""username":true"#, r#""username":"""#, r#""username":"   ""#,
        r#""username":"{long}""#]),
    (B::CreateUser, &["role"], &[r#""role":5"#, r#""role":-1"#, r#""role":0"#, r#""role":100"#,
        r#""role":1e30"#, r#""role":"1""#, r#""role":9223372036854775808"#, r#""role":1.5"#,
        r#""role":[]"#]),
    (B::CreateUser, &["quota"], &[r#""quota":-1"#, r#""quota":-9223372036854775808"#,
        r#""quota":1.5"#, r#""quota":"5""#, r#""quota":99999999999999999999"#, r#""quota":{}"#]),
    (B::UpdateUser, &["id"], &["", r#""id":0"#, r#""id":-1"#, r#""id":987654321"#,
        r#""id":9223372036854775807"#, r#""id":"1""#, r#""id":1.0"#, r#""id":1e30"#, r#""id":null"#,
        r#""id":[]"#, r#""id":99999999999999999999"#]),
    (B::AdjustQuota, &["reason"], &[r#""reason":5"#, r#""reason":[]"#, r#""reason":{}"#,
        r#""reason":null"#, r#""reason":true"#]),
    // The user holds no quota: any deduction would go negative.
    (B::AdjustQuota, &["delta"], &["", r#""delta":0"#, r#""delta":-1"#,
        r#""delta":-9223372036854775808"#, r#""delta":1.5"#, r#""delta":"5""#, r#""delta":1e30"#,
        r#""delta":99999999999999999999"#, r#""delta":9223372036854775808"#, r#""delta":[]"#,
        r#""delta":null"#, r#""delta":true"#]),
    (B::CreateKey, &["remain_quota"], &[r#""remain_quota":-1"#,
        r#""remain_quota":-9223372036854775808"#, r#""remain_quota":1.5"#, r#""remain_quota":"1""#,
        r#""remain_quota":99999999999999999999"#, r#""remain_quota":[]"#, r#""remain_quota":true"#]),
    (B::CreateKey, &["expired_time"], &[r#""expired_time":-2"#,
        r#""expired_time":-9223372036854775808"#, r#""expired_time":1.5"#,
        r#""expired_time":"never""#, r#""expired_time":{}"#]),
    (B::CreateKey, &["name"], &[r#""name":"{long}""#, r#""name":123"#, r#""name":[]"#,
        r#""name":{}"#, r#""name":null"#, r#""name":false"#]),
    (B::CreateKey, &["unlimited_quota"], &[r#""unlimited_quota":1"#,
        r#""unlimited_quota":"true""#, r#""unlimited_quota":[]"#, r#""unlimited_quota":0"#]),
    (B::UpdateKey, &["id"], &["", r#""id":0"#, r#""id":-1"#, r#""id":987654321"#,
        r#""id":{alice_key}"#, r#""id":{bob_key}"#, r#""id":"1""#, r#""id":1.5"#, r#""id":null"#]),
    (B::CreateChannel, &["type"], &[r#""type":"nope""#, r#""type":35"#, r#""type":37"#,
        r#""type":-36"#, r#""type":36.5"#, r#""type":[]"#, r#""type":{}"#,
        r#""type":"' OR 1=1 --""#, r#""type":null"#, r#""type":"""#]),
    (B::CreateChannel, &["base_url"], &[r#""base_url":"ftp://x""#, r#""base_url":"http://""#,
        r#""base_url":"javascript:alert(1)""#, r#""base_url":"""#, r#""base_url":"http://a b""#,
        r#""base_url":null"#, r#""base_url":5"#, r#""base_url":"//evil""#,
        r#""base_url":"http://\u0000""#]),
    (B::CreateChannel, &["status"], &[r#""status":0"#, r#""status":3"#, r#""status":-1"#,
        r#""status":2.5"#, r#""status":"1""#]),
    (B::CreateChannel, &["weight"], &[r#""weight":-1"#, r#""weight":-9223372036854775808"#]),
    (B::UpdateChannel, &["id"], &["", r#""id":0"#, r#""id":-1"#, r#""id":987654321"#,
        r#""id":"1""#, r#""id":1.5"#, r#""id":null"#]),
    (B::SetOption, &["key"], &[r#""key":"' OR 1=1 --""#, r#""key":"""#, r#""key":"modelprice""#,
        r#""key":"ModelPrice ""#, r#""key":1"#, r#""key":null"#, r#""key":[]"#]),
    (B::SetOption, &["key", "value"], &[r#""key":"ModelPrice","value":"[]""#,
        r#""key":"ModelPrice","value":"{\"a\":-1}""#, r#""key":"GroupRatio","value":"not json""#,
        r#""key":"GroupRatio","value":[1]"#, r#""key":"ModelPrice","value":{"suno_music":"x"}"#,
        r#""key":"GroupRatio","value":{"a":-0.5}"#, r#""key":"ModelPrice","value":"{\"a\":1e400}""#,
        r#""key":"GroupRatio","value":null"#, r#""key":"ModelPrice","value":true"#,
        r#""key":"GroupRatio","value":5"#, r#""key":"ModelPrice","value":"""#,
        r#""key":"GroupRatio","value":{"a":{}}"#, r#""key":"ModelPrice","value":{"a":null}"#]),
    (B::Submit, &["prompt"], &[r#""prompt":1"#, r#""prompt":[]"#, r#""prompt":{}"#,
        r#""prompt":true"#, r#""prompt":1e30"#]),
    (B::Submit, &["prompt", "gpt_description_prompt"], &["", r#""prompt":"""#, r#""prompt":"  ""#,
        r#""prompt":null,"gpt_description_prompt":" \n ""#, r#""gpt_description_prompt":"""#,
        r#""prompt":" ","gpt_description_prompt":null"#]),
    (B::Submit, &["mv"], &[r#""mv":1"#, r#""mv":[]"#, r#""mv":{}"#, r#""mv":true"#]),
    (B::Submit, &["continue_at"], &[r#""continue_at":-1"#, r#""continue_at":-0.5"#,
        r#""continue_at":"5""#, r#""continue_at":[]"#, r#""continue_at":true"#,
        r#""continue_at":-1e30"#]),
    (B::Submit, &["make_instrumental"], &[r#""make_instrumental":1"#, r#""make_instrumental":0"#,
        r#""make_instrumental":"true""#, r#""make_instrumental":[]"#]),
    // A continuation without a parent, or of a task that is not alice's.
    (B::Submit, &["continue_clip_id", "task_id", "gpt_description_prompt"], &[
        r#""continue_clip_id":"clip""#, r#""continue_clip_id":"clip","task_id":"""#,
        r#""continue_clip_id":"clip","task_id":"task_doesnotexist""#,
        r#""continue_clip_id":"clip","task_id":"' OR 1=1 --""#,
        r#""continue_clip_id":"clip","task_id":"%""#]),
];

impl BodyRoute {
    fn method(self) -> &'static str {
        match self {
            B::UpdateUser | B::UpdateKey | B::UpdateChannel | B::SetOption => "PUT",
            _ => "POST",
        }
    }

    fn path(self, fx: &Fixture) -> String {
        match self {
            B::CreateUser | B::UpdateUser => "/api/user/".into(),
            B::AdjustQuota => format!("/api/user/{}/quota", fx.broke_user),
            B::CreateKey | B::UpdateKey => "/api/token/".into(),
            B::CreateChannel | B::UpdateChannel => "/api/channel/".into(),
            B::SetOption => "/api/option/".into(),
            B::Submit => "/suno/submit/music".into(),
            B::Fetch => "/suno/fetch".into(),
        }
    }

    /// Management routes run as root, relay routes with alice's key.
    fn is_relay(self) -> bool {
        matches!(self, B::Submit | B::Fetch)
    }

    fn headers(self, fx: &Fixture) -> Headers {
        if self.is_relay() {
            bearer(&fx.alice.key)
        } else {
            as_root()
        }
    }

    /// The same credentials as raw header lines.
    fn auth(self, fx: &Fixture) -> String {
        if self.is_relay() {
            format!("Authorization: Bearer {}\r\n", fx.alice.key)
        } else {
            root_auth()
        }
    }

    #[rustfmt::skip]
    fn fields(self) -> &'static [&'static str] {
        match self {
            B::CreateUser => &["username", "password", "display_name", "role", "group", "quota"],
            B::UpdateUser => &["id", "display_name", "group", "role", "status", "password"],
            B::AdjustQuota => &["delta", "reason"],
            B::CreateKey => &["name", "remain_quota", "unlimited_quota", "expired_time"],
            B::UpdateKey => &["id", "name", "status", "remain_quota", "unlimited_quota", "expired_time"],
            B::CreateChannel | B::UpdateChannel => &["id", "type", "name", "base_url", "key",
                "models", "group", "priority", "weight", "status"],
            B::SetOption => &["key", "value"],
            B::Submit => &["prompt", "gpt_description_prompt", "mv", "title", "tags",
                "continue_clip_id", "task_id", "continue_at", "make_instrumental"],
            B::Fetch => &["ids"],
        }
    }

    /// One poison of the route: the fields it settles and its members.
    fn poison(self, rng: &mut Rng, fx: &Fixture) -> (&'static [&'static str], String) {
        let rows: Vec<_> = POISONS.iter().filter(|(r, _, _)| *r == self).collect();
        let (_, fields, variants) = rows[rng.below(rows.len())];
        let members = rng
            .pick(variants)
            .replace("{long}", &"é".repeat(65))
            .replace("{alice_key}", &fx.alice.key_id.to_string())
            .replace("{bob_key}", &fx.bob.key_id.to_string());
        (fields, members)
    }

    /// A body no server may accept (or, for the fetch, any body).
    fn hostile_body(self, rng: &mut Rng, fx: &Fixture) -> String {
        if rng.chance(15) {
            return rng.pick(HOSTILE_BODIES).to_string();
        }
        if self == B::Fetch {
            return fetch_body(rng, fx);
        }
        let (settled, poison) = self.poison(rng, fx);
        let mut members: Vec<String> = Vec::new();
        for field in self.fields() {
            if !settled.contains(field) && rng.chance(60) {
                members.push(format!("{}:{}", json_string(field), rng.json()));
                // A repeated key.
                if rng.chance(5) {
                    members.push(format!("{}:{}", json_string(field), rng.json()));
                }
            }
        }
        if rng.chance(15) {
            members.push(format!("{}:{}", json_string(&rng.text()), rng.json()));
        }
        // Last, so that a body read as a map keeps the poison.
        if !poison.is_empty() {
            members.push(poison);
        }
        format!("{{{}}}", members.join(","))
    }
}

/// A fetch body: hostile ids, sometimes with alice's real task among them.
fn fetch_body(rng: &mut Rng, fx: &Fixture) -> String {
    match rng.below(6) {
        0 => format!(
            "{{\"ids\":{}}}",
            rng.pick(&["null", "{}", "\"task_x\"", "[1,2]", "[[\"a\"]]", "1e30"])
        ),
        1 => {
            let ids: Vec<String> = (0..101).map(|i| format!("task_{i}")).collect();
            json!({ "ids": ids }).to_string()
        }
        _ => {
            let mut ids: Vec<String> = (0..1 + rng.below(5)).map(|_| rng.text()).collect();
            if rng.chance(30) {
                ids.push(fx.task_id.clone());
            }
            json!({ "ids": ids }).to_string()
        }
    }
}

#[test]
fn hostile_json_bodies_are_refused_with_4xx_and_change_nothing() {
    let fx = fixture();
    let env = &fx.env;
    let before = fingerprint(&env.app);
    let mut rng = Rng::new(0x5eed_0003);
    let mut report = Report::default();
    for route in BODY_ROUTES {
        let path = route.path(&fx);
        let method = route.method();
        for n in 0..26 {
            let body = route.hostile_body(&mut rng, &fx);
            // Every eighth request comes without credentials.
            let anonymous = n % 8 == 7;
            let headers = if anonymous {
                Vec::new()
            } else {
                route.headers(&fx)
            };
            let (status, answer) =
                env.request(method, &path, &headers, Some(body.clone().into_bytes()));
            let shown: String = body.chars().take(200).collect();
            let who = if anonymous {
                "anonymous"
            } else {
                "as root or alice"
            };
            let what = format!("{route:?} {who} {shown}");
            if !report.check(&what, &path, status, &answer) {
                continue;
            }
            if anonymous && status != 401 {
                report.fail(format!("{what}: anonymous, expected 401, got {status}"));
            }
            match route {
                B::Fetch if status == 200 => {
                    check_fetch_answer(&mut report, &what, &fx, &body, &answer)
                }
                B::Fetch => {}
                _ if status < 400 => report.fail(format!(
                    "{what}: accepted with {status}: {}",
                    shorten(&answer)
                )),
                _ => {}
            }
        }
    }
    report.assert_clean(250);
    assert_healthy(env);
    assert_unchanged(&before, &fingerprint(&env.app));
}

/// A fetch answers alice's own task when asked for it, and nothing else.
fn check_fetch_answer(report: &mut Report, what: &str, fx: &Fixture, sent: &str, answer: &Value) {
    let asked = serde_json::from_str::<Value>(sent)
        .ok()
        .and_then(|b| b["ids"].as_array().cloned())
        .unwrap_or_default();
    let wants_real = asked
        .iter()
        .any(|i| i.as_str() == Some(fx.task_id.as_str()));
    let Some(found) = answer["data"].as_array() else {
        report.fail(format!("{what}: data is not a list: {}", shorten(answer)));
        return;
    };
    let ids: Vec<&str> = found.iter().filter_map(|t| t["task_id"].as_str()).collect();
    let expected: Vec<&str> = if wants_real {
        vec![fx.task_id.as_str()]
    } else {
        Vec::new()
    };
    if ids != expected || found.len() != expected.len() {
        report.fail(format!(
            "{what}: expected tasks {expected:?}, got {}",
            shorten(answer)
        ));
    }
}

/// The request line and headers of a raw request.
fn head(method: &str, path: &str, auth: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\n\
         {extra}Connection: close\r\n\r\n"
    )
}

fn root_auth() -> String {
    format!("Authorization: Bearer {ROOT_TOKEN}\r\nNew-Api-User: 1\r\n")
}

/// Writes `head` and then `body` from a second thread while this one reads
/// the answer, so that an answer given before the body is read (a 401, a
/// 413) is heard however much of the body the server refused. A connection
/// closed or reset before a whole answer arrived fails the test.
fn exchange(app: &TestApp, head: &str, body: Vec<u8>) -> (u16, Value) {
    let line = head.lines().next().unwrap_or_default().to_string();
    let mut stream = TcpStream::connect(app.addr).expect("connect to the app");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set a read timeout");
    stream.write_all(head.as_bytes()).expect("send the head");
    let mut writer = stream.try_clone().expect("clone the socket");
    writer
        .set_write_timeout(Some(Duration::from_secs(30)))
        .expect("set a write timeout");
    let sender = std::thread::spawn(move || {
        for chunk in body.chunks(64 * 1024) {
            if writer.write_all(chunk).is_err() {
                break;
            }
        }
    });
    let answer = read_answer(&mut stream);
    let _ = stream.shutdown(Shutdown::Both);
    let _ = sender.join();
    answer.unwrap_or_else(|e| panic!("{line}: the connection dropped: {e}"))
}

/// Reads one answer: its head, then a body framed by Content-Length,
/// chunks, or the end of the connection.
fn read_answer(stream: &mut TcpStream) -> Result<(u16, Value), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) => {
                return Err(format!("{e} after {:?}", String::from_utf8_lossy(&buf)));
            }
        };
        buf.extend_from_slice(&chunk[..n]);
        if let Some(answer) = parse_answer(&buf, n == 0)? {
            return Ok(answer);
        }
    }
}

fn parse_answer(buf: &[u8], closed: bool) -> Result<Option<(u16, Value)>, String> {
    let text = String::from_utf8_lossy(buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return if closed {
            Err(format!("closed before a whole head: {text:?}"))
        } else {
            Ok(None)
        };
    };
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {head:?}"))?;
    let lower = head.to_ascii_lowercase();
    let length = lower.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let body = if let Some(len) = length {
        if body.len() < len {
            return if closed {
                Err(format!("closed inside the body: {text:?}"))
            } else {
                Ok(None)
            };
        }
        body[..len].to_string()
    } else if lower.contains("transfer-encoding: chunked") {
        match dechunk(body) {
            Some(b) => b,
            None if closed => return Err(format!("closed inside the chunks: {text:?}")),
            None => return Ok(None),
        }
    } else if closed {
        body.to_string()
    } else {
        return Ok(None);
    };
    serde_json::from_str(&body)
        .map(|v| Some((status, v)))
        .map_err(|e| format!("the body is not JSON ({e}): {text:?}"))
}

/// The body of a chunked answer, once its last chunk has arrived.
fn dechunk(mut s: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n")?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..n)?);
        s = rest.get(n..)?.strip_prefix("\r\n")?;
    }
}

/// `total` bytes framed as 64 KiB chunks and the last chunk.
fn chunked(total: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + total / 1000 + 16);
    let mut left = total;
    while left > 0 {
        let n = left.min(64 * 1024);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b' ', n));
        out.extend_from_slice(b"\r\n");
        left -= n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

const TEN_MB: usize = 10 * 1024 * 1024;

#[test]
fn ten_megabyte_bodies_get_413_on_every_body_route_without_a_dropped_connection() {
    let fx = fixture();
    let env = &fx.env;
    let before = fingerprint(&env.app);
    let mut report = Report::default();
    for route in BODY_ROUTES {
        let path = route.path(&fx);
        let method = route.method();
        let auth = route.auth(&fx);
        let declared = format!("Content-Length: {TEN_MB}\r\n");
        let cases = [
            (
                "declared, never sent",
                head(method, &path, &auth, &declared),
                Vec::new(),
            ),
            (
                "declared and sent",
                head(method, &path, &auth, &declared),
                vec![b'{'; TEN_MB],
            ),
            (
                "chunked",
                head(method, &path, &auth, "Transfer-Encoding: chunked\r\n"),
                chunked(TEN_MB),
            ),
        ];
        for (how, request_head, body) in cases {
            let (status, answer) = exchange(&env.app, &request_head, body);
            let what = format!("{method} {path} with 10 MB {how}");
            if report.check(&what, &path, status, &answer) && status != 413 {
                report.fail(format!("{what}: expected 413, got {status}"));
            }
        }
    }
    // Without credentials a management route refuses before the body.
    let (status, answer) = exchange(
        &env.app,
        &head(
            "POST",
            "/api/user/",
            "",
            &format!("Content-Length: {TEN_MB}\r\n"),
        ),
        vec![b' '; TEN_MB],
    );
    report.check("anonymous 10 MB", "/api/user/", status, &answer);
    report.assert_clean(31);
    assert_healthy(env);
    assert_unchanged(&before, &fingerprint(&env.app));
}

#[test]
fn invalid_utf8_in_bodies_queries_and_headers_gets_4xx_and_changes_nothing() {
    let fx = fixture();
    let env = &fx.env;
    let before = fingerprint(&env.app);
    let mut rng = Rng::new(0x5eed_0004);
    let mut report = Report::default();
    let bad_bytes: [&[u8]; 5] = [
        b"\xff\xfe",
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"\x80",
        b"\xf8\x88\x80\x80\x80",
    ];
    for route in BODY_ROUTES {
        let path = route.path(&fx);
        let method = route.method();
        let auth = route.auth(&fx);
        let mut bodies: Vec<Vec<u8>> = Vec::new();
        // Invalid bytes inside each string field, the rest of the body valid JSON.
        for field in route.fields() {
            let bad = rng.pick(&bad_bytes);
            bodies.push([format!("{{\"{field}\":\"a").as_bytes(), bad, b"b\"}"].concat());
        }
        if route == B::Fetch {
            bodies.push([b"{\"ids\":[\"".as_slice(), b"\xff\xfe", b"\"]}"].concat());
        }
        // A byte-order mark before a body that is refused anyway.
        bodies.push(b"\xef\xbb\xbf{\"id\":\"x\",\"ids\":1,\"prompt\":1}".to_vec());
        // Noise.
        bodies.push((0..64).map(|_| (rng.next() as u8) | 0x80).collect());
        for body in bodies {
            let extra = format!("Content-Length: {}\r\n", body.len());
            let shown = String::from_utf8_lossy(&body).into_owned();
            let (status, answer) = exchange(&env.app, &head(method, &path, &auth, &extra), body);
            let what = format!("{method} {path} {shown:?}");
            if report.check(&what, &path, status, &answer) && status != 400 {
                report.fail(format!("{what}: expected 400, got {status}"));
            }
        }
    }
    // Percent-escaped invalid UTF-8 in names and values of the query.
    for route in LIST_ROUTES {
        let headers = if route.own {
            fx.alice.headers.clone()
        } else {
            as_root()
        };
        for query in [
            "%FF%FE=%FF%FE",
            "p=%FF",
            "page_size=%C0%AF",
            "task_id=%ED%A0%80&keyword=%FF",
        ] {
            let path = format!("{}?{query}", route.path);
            let (status, answer) = env.get(&path, &headers);
            report.check(&format!("GET {path}"), route.path, status, &answer);
        }
    }
    // Raw bytes and odd numbers in the credential headers: a 401, never a
    // 5xx and never somebody else's identity.
    let alice = fx.alice.id;
    let token_of_alice = fx.alice.headers[0].1.clone();
    let root_token = format!("Authorization: Bearer {ROOT_TOKEN}\r\n");
    let alice_token = format!("Authorization: {token_of_alice}\r\n");
    #[rustfmt::skip]
    let credentials: [(&str, &[u8]); 9] = [
        (&root_token, b"New-Api-User: \xff\xfe\r\n"),
        ("", b"Authorization: Bearer \xff\xfe\r\nNew-Api-User: 1\r\n"),
        (&root_token, b"New-Api-User: 99999999999999999999\r\n"),
        (&root_token, b"New-Api-User: 1e0\r\n"),
        (&root_token, b"New-Api-User: -1\r\n"),
        (&root_token, b"New-Api-User: 1 OR 1=1\r\n"),
        (&root_token, "New-Api-User: \u{661}\r\n".as_bytes()),
        (&alice_token, b"New-Api-User: 1\r\n"),
        ("", b"Authorization: Bearer ' OR 1=1 --\r\nNew-Api-User: 1\r\n"),
    ];
    for (first, second) in credentials {
        let lines = [first.as_bytes(), second].concat();
        for path in ["/api/user/self", "/api/task/self", "/api/log/self"] {
            let (status, answer) = exchange_bytes(&env.app, &raw_get(path, &lines));
            let what = format!("GET {path} with {:?}", String::from_utf8_lossy(&lines));
            if report.check(&what, path, status, &answer) && status != 401 {
                report.fail(format!("{what}: expected 401, got {status}"));
            }
        }
    }
    // Relay keys with raw bytes, and a repeated Authorization header.
    let repeated = format!(
        "Authorization: Bearer \r\nAuthorization: Bearer {}\r\n",
        fx.alice.key
    );
    let keys: [&[u8]; 3] = [
        b"Authorization: Bearer \xff\xfe\r\n",
        b"Authorization: Bearer sk-' OR 1=1 --\r\n",
        repeated.as_bytes(),
    ];
    for lines in keys {
        let path = format!("/suno/fetch/{}", fx.task_id);
        let (status, answer) = exchange_bytes(&env.app, &raw_get(&path, lines));
        let what = format!("GET {path} with {:?}", String::from_utf8_lossy(lines));
        if report.check(&what, &path, status, &answer) && status != 401 {
            report.fail(format!("{what}: expected 401, got {status}"));
        }
    }
    // A repeated New-Api-User: whichever is read, alice stays alice.
    let request = format!(
        "GET /api/user/self HTTP/1.1\r\nHost: localhost\r\nAuthorization: {token_of_alice}\r\n\
         New-Api-User: {alice}\r\nNew-Api-User: 1\r\nConnection: close\r\n\r\n"
    );
    let (status, answer) = exchange_bytes(&env.app, request.as_bytes());
    if report.check("repeated New-Api-User", "/api/user/self", status, &answer)
        && status == 200
        && answer["data"]["id"] != json!(alice)
    {
        report.fail(format!(
            "repeated New-Api-User: alice became {}",
            answer["data"]
        ));
    }
    report.assert_clean(80);
    assert_healthy(env);
    assert_unchanged(&before, &fingerprint(&env.app));
}

/// serde_json skips a field the target type does not name without checking
/// its bytes, so a body that is not UTF-8 could pass as long as the bad
/// bytes sit in such a field: a JSON body must be UTF-8 as a whole.
#[test]
fn invalid_utf8_in_a_field_the_route_ignores_is_still_400() {
    let fx = fixture();
    let env = &fx.env;
    let before = fingerprint(&env.app);
    let cases: [(&str, String, &[u8]); 2] = [
        (
            "/api/token/",
            format!(
                "Authorization: {}\r\nNew-Api-User: {}\r\n",
                fx.alice.headers[0].1, fx.alice.id
            ),
            b"{\"name\":\"k\",\"note\":\"\xff\xfe\"}",
        ),
        (
            "/api/user/",
            root_auth(),
            b"{\"username\":\"dave\",\"note\":\"\xc0\xaf\"}",
        ),
    ];
    for (path, auth, body) in cases {
        let extra = format!("Content-Length: {}\r\n", body.len());
        let (status, answer) =
            exchange(&env.app, &head("POST", path, &auth, &extra), body.to_vec());
        assert_eq!(
            status,
            400,
            "POST {path} {:?} is not UTF-8: {answer}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(answer["success"], json!(false), "{answer}");
    }
    assert_unchanged(&before, &fingerprint(&env.app));
}

/// serde reads a JSON array into a struct field by field, so without a
/// check `[5, "x"]` would pass for `{"delta": 5, "reason": "x"}`: every
/// body documented as an object must be one.
#[test]
fn an_array_body_is_400_not_read_as_the_fields_in_order() {
    let fx = fixture();
    let env = &fx.env;
    let before = fingerprint(&env.app);
    let quota = format!("/api/user/{}/quota", fx.broke_user);
    let cases: [(&str, &str, Headers, &str); 4] = [
        (
            "POST",
            "/api/token/",
            fx.alice.headers.clone(),
            r#"["k", 0, true, -1]"#,
        ),
        (
            "POST",
            "/api/user/",
            as_root(),
            r#"["dave", null, null, null, null, null]"#,
        ),
        ("POST", &quota, as_root(), r#"[5, "granted by an array"]"#),
        (
            "PUT",
            "/api/option/",
            as_root(),
            r#"["GroupRatio", "{\"default\": 2}"]"#,
        ),
    ];
    let accepted: Vec<String> = cases
        .into_iter()
        .filter_map(|(method, path, headers, body)| {
            let (status, answer) = env.request(method, path, &headers, Some(body.into()));
            (status != 400 || answer["success"] != json!(false))
                .then(|| format!("{method} {path} {body}: {status} {}", shorten(&answer)))
        })
        .collect();
    assert!(
        accepted.is_empty(),
        "array bodies were not refused:\n{}",
        accepted.join("\n")
    );
    assert_unchanged(&before, &fingerprint(&env.app));
}

/// A GET with these raw header lines.
fn raw_get(path: &str, header_lines: &[u8]) -> Vec<u8> {
    [
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n").as_bytes(),
        header_lines,
        b"Connection: close\r\n\r\n",
    ]
    .concat()
}

/// Sends a whole raw request (head and body) and reads the answer.
fn exchange_bytes(app: &TestApp, request: &[u8]) -> (u16, Value) {
    let split = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request.len(), |i| i + 4);
    let line = String::from_utf8_lossy(&request[..split]).into_owned();
    exchange(app, &line, request[split..].to_vec())
}

/// Hostile text that is valid where it is sent: names with quotes, percent
/// signs, right-to-left marks, emoji and NUL.
fn storable_texts() -> Vec<String> {
    let mut texts: Vec<String> = HOSTILE_TEXT
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.to_string())
        .collect();
    texts.push("\u{202E}\u{5E9}\u{5DC}\u{5D5}\u{5DD} 😀 ' OR ''='".into());
    texts.push("x".repeat(64));
    texts
}

#[test]
fn hostile_text_that_is_valid_is_stored_and_shown_verbatim() {
    let fx = fixture();
    let env = &fx.env;
    let mut report = Report::default();
    let count = |sql: &str| -> i64 {
        let conn = env.app.store.conn().expect("a connection");
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    };
    let (users0, keys0, channels0, tasks0) = (
        count("SELECT COUNT(*) FROM users"),
        count("SELECT COUNT(*) FROM tokens"),
        count("SELECT COUNT(*) FROM channels"),
        count("SELECT COUNT(*) FROM tasks"),
    );
    let (mut users, mut keys, mut channels, mut tasks) = (0, 0, 0, 0);
    for (n, text) in storable_texts().iter().enumerate() {
        // A user named by the text (names are trimmed, and must be unique).
        let (status, body) = env.post(
            "/api/user/",
            &as_root(),
            &json!({"username": text, "display_name": text}),
        );
        let what = format!("create user {text:?}");
        if report.check(&what, "/api/user/", status, &body) && status == 200 {
            users += 1;
            let id = body["data"]["id"].as_i64().unwrap_or_default();
            let (status, shown) = env.get(&format!("/api/user/{id}"), &as_root());
            if status != 200
                || shown["data"]["username"] != json!(text.trim())
                || shown["data"]["display_name"] != json!(text)
            {
                report.fail(format!("{what}: shown as {}", shorten(&shown)));
            }
        }
        // A key named by the text.
        let (status, body) = env.post("/api/token/", &fx.alice.headers, &json!({"name": text}));
        let what = format!("create key {text:?}");
        if report.check(&what, "/api/token/", status, &body) && status == 200 {
            keys += 1;
            if body["data"]["name"] != json!(text) {
                report.fail(format!("{what}: shown as {}", shorten(&body)));
            }
        }
        // A disabled channel named by the text.
        let secret = format!("hostile-channel-secret-{n}");
        env.remember_channel_key(&secret);
        let (status, body) = env.post(
            "/api/channel/",
            &as_root(),
            &json!({"name": text, "type": "suno", "base_url": dead_base_url(),
                    "key": secret, "models": text, "status": 2}),
        );
        let what = format!("create channel {text:?}");
        if report.check(&what, "/api/channel/", status, &body) && status == 200 {
            channels += 1;
            let id = body["data"]["id"].as_i64().unwrap_or_default();
            let shown = env.channel_view(id);
            if shown["name"] != json!(text) || shown["models"] != json!(text) {
                report.fail(format!("{what}: shown as {shown}"));
            }
        }
    }
    // Songs whose prompt is hostile reach the upstream byte for byte.
    for prompt in ["' OR 1=1 --", "\u{202E}😀 a\u{0}b", "%_%\\"] {
        let (status, body) = env.submit(&fx.alice.key, "music", &json!({ "prompt": prompt }));
        if report.check(
            &format!("submit {prompt:?}"),
            "/suno/submit/music",
            status,
            &body,
        ) && status == 200
        {
            tasks += 1;
            let id = body["data"].as_str().unwrap_or_default();
            let (status, fetched) = env.fetch_one(&fx.alice.key, id);
            let data = suno_data(status, &fetched);
            if data["task_id"] != json!(id) {
                report.fail(format!("submit {prompt:?}: fetched {data}"));
            }
            let listed = env.get(
                &format!("/api/task/self?task_id={}", encode(id)),
                &fx.alice.headers,
            );
            if listed.1["data"]["items"][0]["properties"]["prompt"] != json!(prompt) {
                report.fail(format!(
                    "submit {prompt:?}: listed as {}",
                    shorten(&listed.1)
                ));
            }
        } else {
            report.fail(format!("submit {prompt:?}: refused with {status}: {body}"));
        }
    }
    // LIKE metacharacters in a search are matched literally.
    let all_users: Vec<(String, String)> = {
        let conn = env.app.store.conn().expect("a connection");
        let mut stmt = conn
            .prepare("SELECT username, display_name FROM users")
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("users")
            .collect::<Result<_, _>>()
            .expect("read the users")
    };
    for keyword in ["%", "_", "\\", "'", "😀", "\u{202E}", "%_%"] {
        let expected = all_users
            .iter()
            .filter(|(u, d)| u.contains(keyword) || d.contains(keyword))
            .count() as i64;
        let path = format!("/api/user/?page_size=100&keyword={}", encode(keyword));
        let (status, body) = env.get(&path, &as_root());
        if report.check(&format!("GET {path}"), "/api/user/", status, &body)
            && body["data"]["total"] != json!(expected)
        {
            report.fail(format!(
                "GET {path}: {expected} users hold {keyword:?}, the search found {}",
                body["data"]["total"]
            ));
        }
    }
    report.assert_clean(100);
    assert!(
        users > 30 && keys > 30 && channels > 30,
        "most texts were accepted"
    );
    assert_eq!(count("SELECT COUNT(*) FROM users"), users0 + users);
    assert_eq!(count("SELECT COUNT(*) FROM tokens"), keys0 + keys);
    assert_eq!(count("SELECT COUNT(*) FROM channels"), channels0 + channels);
    assert_eq!(count("SELECT COUNT(*) FROM tasks"), tasks0 + tasks);
    assert_healthy(env);
}
