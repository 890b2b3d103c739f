//! Hostile JSON bodies on every route that takes one: each built around a
//! poison that must make the request fail whatever the other fields hold.

use serde_json::{Value, json};

use super::generator::{HOSTILE_BODIES, Hostile, json_string};
use super::{Fixture, Report, fixture, refused_without_a_trace, shorten};
use crate::kit::rng::Rng;
use crate::kit::{Headers, as_root, assert_unchanged, bearer, root_auth};

/// The routes that take a JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyRoute {
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

pub(super) use BodyRoute as B;

pub(super) const BODY_ROUTES: [BodyRoute; 10] = [
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
    pub(super) fn method(self) -> &'static str {
        match self {
            B::UpdateUser | B::UpdateKey | B::UpdateChannel | B::SetOption => "PUT",
            _ => "POST",
        }
    }

    pub(super) fn path(self, fx: &Fixture) -> String {
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

    pub(super) fn headers(self, fx: &Fixture) -> Headers {
        if self.is_relay() {
            bearer(&fx.alice.key)
        } else {
            as_root()
        }
    }

    /// The same credentials as raw header lines.
    pub(super) fn auth(self, fx: &Fixture) -> String {
        if self.is_relay() {
            format!("Authorization: Bearer {}\r\n", fx.alice.key)
        } else {
            root_auth()
        }
    }

    #[rustfmt::skip]
    pub(super) fn fields(self) -> &'static [&'static str] {
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
    refused_without_a_trace(0x5eed_0003, 250, |fx, rng, report| {
        let app = &fx.app;
        for route in BODY_ROUTES {
            let path = route.path(fx);
            let method = route.method();
            for n in 0..26 {
                let body = route.hostile_body(rng, fx);
                // Every eighth request comes without credentials.
                let anonymous = n % 8 == 7;
                let headers = if anonymous {
                    Vec::new()
                } else {
                    route.headers(fx)
                };
                let (status, answer) =
                    app.request(method, &path, &headers, Some(body.clone().into_bytes()));
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
                        check_fetch_answer(report, &what, fx, &body, &answer)
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
    });
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

/// serde reads a JSON array into a struct field by field, so without a
/// check `[5, "x"]` would pass for `{"delta": 5, "reason": "x"}`: every
/// body documented as an object must be one.
#[test]
fn an_array_body_is_400_not_read_as_the_fields_in_order() {
    let fx = fixture();
    let app = &fx.app;
    let before = app.db.fingerprint();
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
            let (status, answer) = app.request(method, path, &headers, Some(body.into()));
            (status != 400 || answer["success"] != json!(false))
                .then(|| format!("{method} {path} {body}: {status} {}", shorten(&answer)))
        })
        .collect();
    assert!(
        accepted.is_empty(),
        "array bodies were not refused:\n{}",
        accepted.join("\n")
    );
    assert_unchanged(&before, &app.db.fingerprint());
}
