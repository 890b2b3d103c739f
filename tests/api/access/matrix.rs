//! The matrix: every route meets every caller, answers with the status the
//! matrix expects in the route's envelope, shows an admitted caller its own
//! data only, and changes a record only when it lets the caller in.

use serde_json::{Value, json};

use super::routes::{ROUTES, Route};
use super::{Caller, Cast, cast};
use crate::kit::upstream::unique_secret;
use crate::kit::{dead_base_url, envelope_problem};

/// What a call changes and must be checked afterwards.
enum Aftermath {
    Nothing,
    /// This key is gone when the delete was let in, else still there.
    KeyDeleted(i64),
    /// This channel is gone when the delete was let in, else still there.
    ChannelDeleted(i64),
}

/// Builds the request of `route` for `c`; `n` makes names unique.
fn request(
    w: &Cast,
    route: Route,
    c: &Caller,
    n: usize,
) -> (&'static str, String, Option<Value>, Aftermath) {
    let owner = w.owner_of(c);
    let own_key = if owner == c.actor.id && c.actor.key_id != 0 {
        c.actor.key_id
    } else {
        w.alice.key_id
    };
    let get = |path: String| ("GET", path, None, Aftermath::Nothing);
    match route {
        Route::Status => get("/api/status".into()),
        Route::UserSelf => get("/api/user/self".into()),
        Route::TaskSelf => get("/api/task/self".into()),
        Route::TaskAll => get("/api/task/".into()),
        Route::LogSelf => get("/api/log/self".into()),
        Route::LogAll => get("/api/log/".into()),
        Route::ListUsers => get("/api/user/".into()),
        Route::GetUser => get(format!("/api/user/{}", w.bob.id)),
        Route::CreateUser => (
            "POST",
            "/api/user/".into(),
            Some(json!({"username": format!("made{n}"), "role": 1})),
            Aftermath::Nothing,
        ),
        Route::UpdateUser => (
            "PUT",
            "/api/user/".into(),
            Some(json!({"id": w.victim, "display_name": format!("renamed {n}")})),
            Aftermath::Nothing,
        ),
        Route::AdjustQuota => (
            "POST",
            format!("/api/user/{}/quota", w.victim),
            Some(json!({"delta": 1, "reason": "matrix"})),
            Aftermath::Nothing,
        ),
        Route::CreateKey => (
            "POST",
            "/api/token/".into(),
            Some(json!({"name": "extra"})),
            Aftermath::Nothing,
        ),
        Route::ListKeys => get("/api/token/".into()),
        Route::UpdateKey => (
            "PUT",
            "/api/token/".into(),
            Some(json!({"id": own_key, "name": "main"})),
            Aftermath::Nothing,
        ),
        Route::DeleteKey => {
            let id = w.app.db.insert_key(owner, &format!("doomed {n}"));
            (
                "DELETE",
                format!("/api/token/{id}"),
                None,
                Aftermath::KeyDeleted(id),
            )
        }
        Route::ListChannels => get("/api/channel/".into()),
        Route::GetChannel => get(format!("/api/channel/{}", w.upstream.channel_id)),
        Route::CreateChannel => {
            let secret = unique_secret("matrix-channel-secret");
            w.app.remember_secret(&secret);
            (
                "POST",
                "/api/channel/".into(),
                Some(json!({"name": format!("matrix {n}"), "type": "suno",
                    "base_url": dead_base_url(), "key": secret,
                    "models": "suno_music", "status": 2})),
                Aftermath::Nothing,
            )
        }
        Route::UpdateChannel => (
            "PUT",
            "/api/channel/".into(),
            Some(json!({"id": w.spare_channel, "name": format!("renamed {n}")})),
            Aftermath::Nothing,
        ),
        Route::DeleteChannel => {
            let id = w.app.disabled_channel(&format!("doomed{n}"));
            (
                "DELETE",
                format!("/api/channel/{id}"),
                None,
                Aftermath::ChannelDeleted(id),
            )
        }
        Route::GetOptions => get("/api/option/".into()),
        Route::SetOption => (
            "PUT",
            "/api/option/".into(),
            Some(json!({"key": "GroupRatio", "value": "{\"default\":1}"})),
            Aftermath::Nothing,
        ),
        Route::Audit => get("/api/audit".into()),
        Route::Submit => (
            "POST",
            "/suno/submit/music".into(),
            Some(json!({"prompt": format!("matrix song {n}")})),
            Aftermath::Nothing,
        ),
        Route::FetchMany => {
            let ids: Vec<&String> = w.owners.keys().collect();
            (
                "POST",
                "/suno/fetch".into(),
                Some(json!({ "ids": ids })),
                Aftermath::Nothing,
            )
        }
        Route::FetchOne => get(format!("/suno/fetch/{}", w.alice_task)),
    }
}

/// What an admitted answer must show of the caller's own data, and only that.
fn check_admitted(w: &mut Cast, route: Route, c: &Caller, body: &Value) -> Option<String> {
    let me = c.actor.id;
    let data = &body["data"];
    let rows = || data["items"].as_array().cloned().unwrap_or_default();
    let foreign = |rows: Vec<Value>| rows.iter().any(|r| r["user_id"] != json!(me));
    match route {
        Route::UserSelf if data["id"] != json!(me) => Some(format!("shows user {}", data["id"])),
        Route::TaskSelf | Route::LogSelf if foreign(rows()) => {
            Some("lists another user's rows".into())
        }
        Route::ListKeys if foreign(rows()) => Some("lists another user's keys".into()),
        Route::ListKeys if !rows().iter().any(|r| r["id"] == json!(c.actor.key_id)) => {
            Some("misses the caller's own key".into())
        }
        Route::Submit => {
            let id = data.as_str().unwrap_or_default().to_string();
            w.owners.insert(id, me);
            None
        }
        Route::FetchMany => {
            let shown: Vec<&str> = data
                .as_array()
                .map(|a| a.iter().filter_map(|t| t["task_id"].as_str()).collect())
                .unwrap_or_default();
            let mut mine: Vec<&str> = w
                .owners
                .iter()
                .filter(|(_, o)| **o == me)
                .map(|(t, _)| t.as_str())
                .collect();
            let mut shown_sorted = shown.clone();
            shown_sorted.sort_unstable();
            mine.sort_unstable();
            (shown_sorted != mine).then(|| format!("fetched {shown:?}, owns {mine:?}"))
        }
        Route::FetchOne if data["task_id"] != json!(w.alice_task) => {
            Some(format!("fetched {data}"))
        }
        _ => None,
    }
}

#[test]
fn every_route_answers_every_identity_and_credential_as_the_matrix_says() {
    let mut w = cast();
    let mut problems: Vec<String> = Vec::new();
    let mut bodies: Vec<(String, String)> = Vec::new();
    let mut n = 0;
    for route in ROUTES {
        for c in w.callers() {
            n += 1;
            let expected = c.expected(route, &w);
            let (method, path, body, aftermath) = request(&w, route, &c, n);
            let (status, answer) = w.app.request(
                method,
                &path,
                &c.headers(&w),
                body.map(|b| b.to_string().into_bytes()),
            );
            let what = format!("{route:?} ({method} {path}) as {}", c.label());
            bodies.push((what.clone(), answer.to_string()));
            if status != expected {
                problems.push(format!(
                    "{what}: expected {expected}, got {status}: {answer}"
                ));
                continue;
            }
            if let Some(p) = envelope_problem(&path, status, &answer) {
                problems.push(format!("{what}: {p}: {answer}"));
            }
            if status == 200
                && let Some(p) = check_admitted(&mut w, route, &c, &answer)
            {
                problems.push(format!("{what}: {p}"));
            }
            let still_there = match aftermath {
                Aftermath::Nothing => continue,
                Aftermath::KeyDeleted(id) => w.app.db.find_key(id).is_some(),
                Aftermath::ChannelDeleted(id) => w.app.db.channel_used(id).is_some(),
            };
            if still_there == (status == 200) {
                problems.push(format!(
                    "{what}: answered {status} but the record is {}",
                    if still_there { "still there" } else { "gone" }
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {n} calls broke the matrix:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(n, ROUTES.len() * 12, "every route met every caller");

    // No answer shows somebody's credentials, a channel key or an upstream id.
    let mut secrets = w.credentials();
    secrets.push(w.upstream.mock.secret().to_string());
    let upstream_ids: Vec<String> = w
        .upstream
        .mock
        .submitted()
        .into_iter()
        .filter_map(|s| s.upstream_id)
        .collect();
    assert!(
        upstream_ids.len() >= 7,
        "the fixture and the matrix submitted jobs upstream: {upstream_ids:?}"
    );
    secrets.extend(upstream_ids);
    for secret in &secrets {
        for (what, text) in &bodies {
            assert!(
                !text.contains(secret.as_str()),
                "{what}: the answer shows the secret {secret:?}: {text}"
            );
        }
    }
    w.assert_nothing_leaked();
}
