//! Who may call what: every route × anonymous, two common users, a disabled
//! user, an admin, root and an impostor × each credential kind (a management
//! access token with `New-Api-User`, an `sk-` API key). And data isolation:
//! nobody reads or touches another user's tasks, logs or keys, and no answer
//! ever holds a channel key, an upstream task id, or another caller's
//! access token or API key.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::{Value, json};
use taskcenter::clock::{Clock, ManualClock, SystemClock};
use taskcenter::platform::Platforms;
use taskcenter::store::tokens::NewToken;
use taskcenter::worker::run_once;

use crate::helpers::{Headers, as_root, as_user, assert_error, assert_ok};
use crate::mock::{Mock, MockConfig};
use crate::relay_support::{Env, Upstream, dead_base_url, relay_config, suno_data};

/// The least a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    /// Nothing.
    Public,
    /// An enabled user's access token.
    User,
    /// An enabled admin's (or root's) access token.
    Admin,
    /// Root's access token.
    Root,
    /// An enabled user's API key.
    Key,
}

/// Every route of the service but token rotation (see its own test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Status,
    UserSelf,
    TaskSelf,
    TaskAll,
    LogSelf,
    LogAll,
    ListUsers,
    GetUser,
    CreateUser,
    UpdateUser,
    AdjustQuota,
    CreateKey,
    ListKeys,
    UpdateKey,
    DeleteKey,
    ListChannels,
    GetChannel,
    CreateChannel,
    UpdateChannel,
    DeleteChannel,
    GetOptions,
    SetOption,
    Audit,
    Submit,
    FetchMany,
    FetchOne,
}

const ROUTES: [Route; 26] = [
    Route::Status,
    Route::UserSelf,
    Route::TaskSelf,
    Route::TaskAll,
    Route::LogSelf,
    Route::LogAll,
    Route::ListUsers,
    Route::GetUser,
    Route::CreateUser,
    Route::UpdateUser,
    Route::AdjustQuota,
    Route::CreateKey,
    Route::ListKeys,
    Route::UpdateKey,
    Route::DeleteKey,
    Route::ListChannels,
    Route::GetChannel,
    Route::CreateChannel,
    Route::UpdateChannel,
    Route::DeleteChannel,
    Route::GetOptions,
    Route::SetOption,
    Route::Audit,
    Route::Submit,
    Route::FetchMany,
    Route::FetchOne,
];

impl Route {
    fn need(self) -> Need {
        match self {
            Route::Status => Need::Public,
            Route::UserSelf
            | Route::TaskSelf
            | Route::LogSelf
            | Route::CreateKey
            | Route::ListKeys
            | Route::UpdateKey
            | Route::DeleteKey => Need::User,
            Route::TaskAll
            | Route::LogAll
            | Route::ListUsers
            | Route::GetUser
            | Route::CreateUser
            | Route::UpdateUser
            | Route::AdjustQuota
            | Route::ListChannels
            | Route::GetChannel
            | Route::CreateChannel
            | Route::UpdateChannel
            | Route::DeleteChannel => Need::Admin,
            Route::GetOptions | Route::SetOption | Route::Audit => Need::Root,
            Route::Submit | Route::FetchMany | Route::FetchOne => Need::Key,
        }
    }
}

/// A user of the fixture with both kinds of credentials.
#[derive(Debug, Clone)]
struct Actor {
    name: &'static str,
    id: i64,
    need: Need,
    enabled: bool,
    token: String,
    key: String,
    key_id: i64,
}

/// How a caller presents itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    /// No credentials at all.
    Nothing,
    /// `Authorization: Bearer <access token>` and `New-Api-User: <id>`.
    AccessToken,
    /// `Authorization: Bearer sk-...` (and `New-Api-User: <id>`, which
    /// must not turn a key into a management credential).
    ApiKey,
    /// Alice's access token claiming to be Bob.
    Impostor,
}

/// One row of the matrix.
#[derive(Debug, Clone)]
struct Caller {
    actor: Actor,
    cred: Cred,
}

impl Caller {
    fn label(&self) -> String {
        format!("{} with {:?}", self.actor.name, self.cred)
    }

    fn headers(&self, w: &World) -> Headers {
        let a = &self.actor;
        match self.cred {
            Cred::Nothing => Vec::new(),
            Cred::AccessToken => as_user(a.id, &a.token),
            Cred::ApiKey => vec![
                ("Authorization", format!("Bearer {}", a.key)),
                ("New-Api-User", a.id.to_string()),
            ],
            Cred::Impostor => as_user(w.bob.id, &w.alice.token),
        }
    }

    /// The status the matrix expects for `route`.
    fn expected(&self, route: Route, w: &World) -> u16 {
        let a = &self.actor;
        match (route.need(), self.cred) {
            (Need::Public, _) => 200,
            (Need::Key, Cred::ApiKey) if !a.enabled => 403,
            // Only alice owns the task fetched by id.
            (Need::Key, Cred::ApiKey) if route == Route::FetchOne && a.id != w.alice.id => 404,
            (Need::Key, Cred::ApiKey) => 200,
            (Need::Key, _) => 401,
            (_, Cred::AccessToken) if !a.enabled => 403,
            (need, Cred::AccessToken) if a.need < need => 403,
            (_, Cred::AccessToken) => 200,
            _ => 401,
        }
    }
}

/// The app, its users and what they own.
struct World {
    env: Env,
    upstream: Upstream,
    alice: Actor,
    bob: Actor,
    dora: Actor,
    admin: Actor,
    root: Actor,
    /// A common user operators act on.
    victim: i64,
    /// A disabled channel operators rename.
    spare_channel: i64,
    /// Alice's task, submitted through the relay.
    alice_task: String,
    /// Bob's task.
    bob_task: String,
    /// Every task id known, with its owner.
    owners: HashMap<String, i64>,
}

/// A user with an access token, an unlimited API key and `quota`.
fn actor(env: &Env, name: &'static str, role: i64, quota: i64) -> Actor {
    let (id, token) = env.app.create_user(name, role, quota);
    let (key_id, key) = env.new_key(
        &as_user(id, &token),
        &json!({"name": "main", "unlimited_quota": true}),
    );
    Actor {
        name,
        id,
        need: if role >= 10 { Need::Admin } else { Need::User },
        enabled: true,
        token,
        key,
        key_id,
    }
}

fn world() -> World {
    let env = Env::new();
    // Music is done at once upstream, so one worker pass brings the
    // fixture's tasks home with the upstream's data.
    let mock = Arc::new(Mock::start(
        "127.0.0.1:0",
        MockConfig {
            secret: "matrix-upstream-secret-4f1c9a".into(),
            music_duration_ms: 0,
            ..MockConfig::default()
        },
    ));
    let channel_id = env.channel(&json!({
        "name": "main",
        "type": "suno",
        "base_url": mock.base_url(),
        "key": mock.secret(),
        "models": "suno_music,suno_lyrics",
    }));
    let upstream = Upstream { mock, channel_id };
    let alice = actor(&env, "alice", 1, 10_000_000);
    let bob = actor(&env, "bob", 1, 10_000_000);
    let mut dora = actor(&env, "dora", 1, 10_000_000);
    let admin = actor(&env, "admin", 10, 10_000_000);
    let (status, body) = env.post(
        "/api/user/1/quota",
        &as_root(),
        &json!({"delta": 10_000_000, "reason": "matrix"}),
    );
    assert_ok(status, &body);
    let (root_key_id, root_key) = env.new_key(
        &as_root(),
        &json!({"name": "main", "unlimited_quota": true}),
    );
    let root = Actor {
        name: "root",
        id: 1,
        need: Need::Root,
        enabled: true,
        token: crate::helpers::ROOT_TOKEN.to_string(),
        key: root_key,
        key_id: root_key_id,
    };
    // Dora ran a task, then was disabled.
    env.submit_music(&dora.key, "dora's song");
    let (status, body) = env.put(
        "/api/user/",
        &as_root(),
        &json!({"id": dora.id, "status": 2}),
    );
    assert_ok(status, &body);
    dora.enabled = false;
    let (victim, _) = env.app.create_user("victim", 1, 0);
    let spare_channel = disabled_channel(&env, "spare");
    let alice_task = env.submit_music(&alice.key, "alice's song");
    let bob_task = env.submit_music(&bob.key, "bob's song");
    let clock = ManualClock::at_ms(SystemClock.now_ms() + 60_000);
    let pass = run_once(
        &env.app.store,
        &Platforms::builtin(Duration::from_secs(5)),
        &relay_config(),
        &clock,
        &AtomicBool::new(false),
    );
    assert_eq!(pass.errors, 0, "{pass:?}");
    for (user, task) in [(alice.id, &alice_task), (bob.id, &bob_task)] {
        let polled = env.task(user, task);
        assert_eq!(polled.status, "SUCCESS", "{polled:?}");
        assert!(
            polled.data.contains("audio_url"),
            "the upstream's data: {polled:?}"
        );
    }
    let owners = HashMap::from([(alice_task.clone(), alice.id), (bob_task.clone(), bob.id)]);
    World {
        env,
        upstream,
        alice,
        bob,
        dora,
        admin,
        root,
        victim,
        spare_channel,
        alice_task,
        bob_task,
        owners,
    }
}

/// A disabled channel with a secret of its own, created by root.
fn disabled_channel(env: &Env, name: &str) -> i64 {
    env.channel(&json!({
        "name": name,
        "type": "suno",
        "base_url": dead_base_url(),
        "key": format!("channel-secret-{name}-{}", env.responses_seen()),
        "models": "suno_music",
        "status": 2,
    }))
}

impl World {
    fn anonymous(&self) -> Actor {
        Actor {
            name: "anonymous",
            id: 0,
            need: Need::Public,
            enabled: true,
            token: String::new(),
            key: String::new(),
            key_id: 0,
        }
    }

    /// Every row of the matrix.
    fn callers(&self) -> Vec<Caller> {
        let mut callers = vec![
            Caller {
                actor: self.anonymous(),
                cred: Cred::Nothing,
            },
            Caller {
                actor: self.alice.clone(),
                cred: Cred::Impostor,
            },
        ];
        for actor in [&self.alice, &self.bob, &self.dora, &self.admin, &self.root] {
            for cred in [Cred::AccessToken, Cred::ApiKey] {
                callers.push(Caller {
                    actor: actor.clone(),
                    cred,
                });
            }
        }
        callers
    }

    /// The user a caller acts as if it is let in (alice for callers who are nobody).
    fn owner_of(&self, c: &Caller) -> i64 {
        match c.cred {
            Cred::Nothing | Cred::Impostor => self.alice.id,
            _ => c.actor.id,
        }
    }

    /// Asserts that no answer so far showed a channel key or an upstream id
    /// (the recorder knows channel keys; the upstream ids are added here).
    fn assert_nothing_leaked(&self) {
        let ids: Vec<String> = self
            .upstream
            .mock
            .submitted()
            .into_iter()
            .filter_map(|s| s.upstream_id)
            .collect();
        assert!(!ids.is_empty(), "jobs went upstream");
        for id in &ids {
            self.env.remember_channel_key(id);
        }
        self.env.assert_nothing_leaked();
    }

    /// Access tokens and API keys of everybody: no answer of the matrix may show one.
    fn credentials(&self) -> Vec<String> {
        [&self.alice, &self.bob, &self.dora, &self.admin, &self.root]
            .iter()
            .flat_map(|a| [a.token.clone(), a.key.clone()])
            .collect()
    }
}

/// What a call changes and must be checked afterwards.
enum Aftermath {
    Nothing,
    /// This key is gone when the delete was let in, else still there.
    KeyDeleted {
        owner: i64,
        id: i64,
    },
    /// This channel is gone when the delete was let in, else still there.
    ChannelDeleted(i64),
}

/// Builds the request of `route` for `c`; `n` makes names unique.
fn request(
    w: &World,
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
            let (key, _) = w
                .env
                .app
                .store
                .create_token(
                    owner,
                    &NewToken {
                        name: format!("doomed {n}"),
                        unlimited_quota: true,
                        expired_time: -1,
                        ..NewToken::default()
                    },
                )
                .expect("create a key to delete");
            (
                "DELETE",
                format!("/api/token/{}", key.id),
                None,
                Aftermath::KeyDeleted { owner, id: key.id },
            )
        }
        Route::ListChannels => get("/api/channel/".into()),
        Route::GetChannel => get(format!("/api/channel/{}", w.upstream.channel_id)),
        Route::CreateChannel => {
            let secret = format!("matrix-channel-secret-{n}");
            w.env.remember_channel_key(&secret);
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
            let id = disabled_channel(&w.env, &format!("doomed{n}"));
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
fn check_admitted(w: &mut World, route: Route, c: &Caller, body: &Value) -> Option<String> {
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
    let mut w = world();
    let mut problems: Vec<String> = Vec::new();
    let mut bodies: Vec<(String, String)> = Vec::new();
    let mut n = 0;
    for route in ROUTES {
        for c in w.callers() {
            n += 1;
            let expected = c.expected(route, &w);
            let (method, path, body, aftermath) = request(&w, route, &c, n);
            let (status, answer) = w.env.request(
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
            let store = &w.env.app.store;
            let still_there = match aftermath {
                Aftermath::Nothing => continue,
                Aftermath::KeyDeleted { owner, id } => {
                    store.get_token(owner, id).expect("read the key").is_some()
                }
                Aftermath::ChannelDeleted(id) => {
                    store.get_channel(id).expect("read the channel").is_some()
                }
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

/// What is wrong with an answer's envelope, if anything.
fn envelope_problem(path: &str, status: u16, body: &Value) -> Option<String> {
    let ok = status == 200;
    if path.starts_with("/suno") {
        let good = if ok {
            body["code"] == "success"
        } else {
            body["code"].is_string() && body["code"] != "success" && body["data"].is_null()
        };
        return (!good).then(|| "not the Suno envelope".into());
    }
    let good = body["success"] == json!(ok) && body["message"].is_string();
    (!good).then(|| "not the management envelope".into())
}

#[test]
fn a_user_never_sees_or_touches_another_users_tasks_logs_or_keys() {
    let w = world();
    let env = &w.env;
    let (alice, bob) = (&w.alice, &w.bob);
    let bob_headers = as_user(bob.id, &bob.token);
    let submitted = w.upstream.mock.submitted().len();

    // Tasks: bob's lists hold his own task only, whatever he filters on.
    for query in [
        String::new(),
        format!("?task_id={}", w.alice_task),
        format!("?user_id={}", alice.id),
        format!("?channel_id={}", w.upstream.channel_id),
        "?p=1&page_size=100".into(),
    ] {
        let (status, body) = env.get(&format!("/api/task/self{query}"), &bob_headers);
        let data = assert_ok(status, &body);
        let ids: Vec<&str> = data["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|t| t["task_id"].as_str())
            .collect();
        let expected: Vec<&str> = if query.contains("task_id") {
            Vec::new()
        } else {
            vec![w.bob_task.as_str()]
        };
        assert_eq!(ids, expected, "bob's tasks with {query:?}: {body}");
        assert!(!body.to_string().contains(&w.alice_task), "{body}");
    }
    // Logs: his own rows only, and none that names alice's task.
    for query in [
        String::new(),
        format!("?task_id={}", w.alice_task),
        format!("?user_id={}", alice.id),
        format!("?username={}", alice.name),
        "?type=2".into(),
    ] {
        let (status, body) = env.get(&format!("/api/log/self{query}"), &bob_headers);
        let data = assert_ok(status, &body);
        let rows = data["items"].as_array().expect("items");
        assert!(
            rows.iter().all(|r| r["user_id"] == json!(bob.id)),
            "bob's logs with {query:?}: {body}"
        );
        assert!(!body.to_string().contains(&w.alice_task), "{body}");
        if query.is_empty() {
            assert!(!rows.is_empty(), "bob has logs of his own: {body}");
        }
    }
    // The relay: alice's task does not exist for bob's key.
    let (status, body) = env.fetch(&bob.key, std::slice::from_ref(&w.alice_task));
    assert_eq!(suno_data(status, &body), &json!([]), "{body}");
    let (status, body) = env.fetch(&bob.key, &[w.alice_task.clone(), w.bob_task.clone()]);
    let data = suno_data(status, &body);
    assert_eq!(data.as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(data[0]["task_id"], json!(w.bob_task), "{body}");
    let (status, body) = env.fetch_one(&bob.key, &w.alice_task);
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["code"], "task_not_exist", "{body}");
    // Nor can bob continue alice's song.
    let (status, body) = env.submit(
        &bob.key,
        "music",
        &json!({"prompt": "x", "continue_clip_id": "clip", "task_id": w.alice_task}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        w.upstream.mock.submitted().len(),
        submitted,
        "nothing went upstream"
    );
    assert_eq!(env.task_count(bob.id), 1, "no task was created for bob");

    // Keys: bob lists his own, and alice's is not found for him.
    let (status, body) = env.get("/api/token/?page_size=100", &bob_headers);
    let data = assert_ok(status, &body);
    let rows = data["items"].as_array().expect("items");
    assert!(!rows.is_empty(), "{body}");
    assert!(rows.iter().all(|r| r["user_id"] == json!(bob.id)), "{body}");
    assert!(
        !rows.iter().any(|r| r["id"] == json!(alice.key_id)),
        "{body}"
    );
    let (status, body) = env.put(
        "/api/token/",
        &bob_headers,
        &json!({"id": alice.key_id, "name": "stolen", "status": 2, "remain_quota": 0}),
    );
    assert_error(status, &body, 404);
    let (status, body) = env.delete(&format!("/api/token/{}", alice.key_id), &bob_headers);
    assert_error(status, &body, 404);
    let key = env
        .app
        .store
        .get_token(alice.id, alice.key_id)
        .expect("read the key")
        .expect("alice's key survives bob");
    assert_eq!((key.name.as_str(), key.status), ("main", 1));
    let (status, body) = env.fetch_one(&alice.key, &w.alice_task);
    suno_data(status, &body);

    // The other way round, and for operators' own lists.
    let alice_headers = as_user(alice.id, &alice.token);
    let (status, body) = env.fetch_one(&alice.key, &w.bob_task);
    assert_eq!(status, 404, "{body}");
    for who in [
        &alice_headers,
        &as_user(w.admin.id, &w.admin.token),
        &as_root(),
    ] {
        let (status, body) = env.get("/api/task/self?page_size=100", who);
        assert_ok(status, &body);
        assert!(!body.to_string().contains(&w.bob_task), "{body}");
    }
    // Admins see everyone's tasks, but never the upstream side of them.
    let (status, body) = env.get(
        "/api/task/?page_size=100",
        &as_user(w.admin.id, &w.admin.token),
    );
    let text = assert_ok(status, &body).to_string();
    assert!(
        text.contains(&w.alice_task) && text.contains(&w.bob_task),
        "{text}"
    );
    assert!(!text.contains("upstream_task_id"), "{text}");
    w.assert_nothing_leaked();
}

#[test]
fn operators_cannot_act_above_their_role() {
    let w = world();
    let env = &w.env;
    let admin = as_user(w.admin.id, &w.admin.token);
    let alice = as_user(w.alice.id, &w.alice.token);
    let root = as_root();
    let quota = |id: i64| format!("POST /api/user/{id}/quota");
    let grant = json!({"delta": 1, "reason": "x"});
    #[rustfmt::skip]
    let refused: Vec<(&str, &Headers, String, Value)> = vec![
        ("admin creates an admin", &admin, "POST /api/user/".into(), json!({"username": "admin2", "role": 10})),
        ("admin creates a root", &admin, "POST /api/user/".into(), json!({"username": "root2", "role": 100})),
        ("root creates a root", &root, "POST /api/user/".into(), json!({"username": "root3", "role": 100})),
        ("admin renames root", &admin, "PUT /api/user/".into(), json!({"id": 1, "display_name": "pwned"})),
        ("admin makes itself root", &admin, "PUT /api/user/".into(), json!({"id": w.admin.id, "role": 100})),
        ("admin makes a user admin", &admin, "PUT /api/user/".into(), json!({"id": w.victim, "role": 10})),
        ("root disables root", &root, "PUT /api/user/".into(), json!({"id": 1, "status": 2})),
        ("admin grants root quota", &admin, quota(1), grant.clone()),
        ("admin grants itself quota", &admin, quota(w.admin.id), grant.clone()),
        ("user makes itself admin", &alice, "PUT /api/user/".into(), json!({"id": w.alice.id, "role": 10})),
        ("user grants itself quota", &alice, quota(w.alice.id), grant.clone()),
        ("user enables a disabled user", &alice, "PUT /api/user/".into(), json!({"id": w.dora.id, "status": 1})),
        ("admin sets a price", &admin, "PUT /api/option/".into(),
            json!({"key": "ModelPrice", "value": "{\"suno_music\":0}"})),
    ];
    let before: Vec<_> = [1, w.admin.id, w.alice.id, w.dora.id, w.victim]
        .iter()
        .map(|id| env.user(*id))
        .collect();
    for (what, headers, route, body) in refused {
        let (method, path) = route.split_once(' ').expect("METHOD path");
        let (status, answer) =
            env.request(method, path, headers, Some(body.to_string().into_bytes()));
        assert_eq!(status, 403, "{what}: {answer}");
        assert_eq!(answer["success"], json!(false), "{what}: {answer}");
    }
    let after: Vec<_> = [1, w.admin.id, w.alice.id, w.dora.id, w.victim]
        .iter()
        .map(|id| env.user(*id))
        .collect();
    assert_eq!(before, after, "no refused change took effect");
    let (status, body) = env.get("/api/user/?keyword=root", &as_root());
    assert_eq!(
        assert_ok(status, &body)["total"],
        json!(1),
        "still one root: {body}"
    );
    w.assert_nothing_leaked();
}

#[test]
fn rotating_an_access_token_follows_the_matrix_and_retires_the_old_one() {
    let w = world();
    let env = &w.env;
    // Each user's current access token: a rotation replaces it.
    let mut current: HashMap<i64, String> = [&w.alice, &w.bob, &w.dora, &w.admin, &w.root]
        .iter()
        .map(|a| (a.id, a.token.clone()))
        .collect();
    for c in w.callers() {
        let expected = c.expected(Route::UserSelf, &w);
        let (status, body) = env.get("/api/user/token", &c.headers(&w));
        let what = format!("GET /api/user/token as {}", c.label());
        assert_eq!(status, expected, "{what}: {body}");
        let a = &c.actor;
        let Some(token) = current.get(&a.id).cloned() else {
            assert_eq!(body["success"], json!(false), "{what}: {body}");
            continue;
        };
        if status != 200 {
            assert_eq!(body["success"], json!(false), "{what}: {body}");
            // A refused rotation leaves the token as it was.
            let (status, body) = env.get("/api/user/self", &as_user(a.id, &token));
            assert_eq!(status, if a.enabled { 200 } else { 403 }, "{what}: {body}");
            continue;
        }
        let fresh = assert_ok(status, &body)
            .as_str()
            .unwrap_or_else(|| panic!("{what}: a new token: {body}"))
            .to_string();
        assert_ne!(fresh, token, "{what}");
        let (status, body) = env.get("/api/user/self", &as_user(a.id, &token));
        assert_error(status, &body, 401);
        let (status, body) = env.get("/api/user/self", &as_user(a.id, &fresh));
        assert_eq!(assert_ok(status, &body)["id"], json!(a.id), "{what}");
        // The API key is a separate credential and keeps working.
        let (status, body) = env.fetch(&a.key, &[]);
        suno_data(status, &body);
        current.insert(a.id, fresh);
    }
    w.assert_nothing_leaked();
}
