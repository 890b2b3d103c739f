//! Who may call what: every route × anonymous, two common users, a disabled
//! user, an admin, root and an impostor × each credential kind (a management
//! access token with `New-Api-User`, an `sk-` API key). And data isolation:
//! nobody reads or touches another user's tasks, logs or keys, and no answer
//! ever holds a channel key, an upstream task id, or another caller's
//! access token or API key.
//!
//! This file holds the cast every test here runs with; `routes` what each
//! route asks of its caller.

mod isolation;
mod matrix;
mod roles;
mod routes;

use std::collections::HashMap;

use serde_json::json;

use crate::kit::{
    Headers, ROOT_TOKEN, Settings, TestApp, Upstream, as_root, as_user, assert_ok, instant_mock,
    spawn_app_with, unlimited_key,
};
use routes::Need;

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

    fn headers(&self, w: &Cast) -> Headers {
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
}

/// The app, its users and what they own.
struct Cast {
    app: TestApp,
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
fn actor(app: &TestApp, name: &'static str, role: i64, quota: i64) -> Actor {
    let (id, token) = app.create_user(name, role, quota);
    let (key_id, key) = app.new_key(&as_user(id, &token), &unlimited_key());
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

/// The app and its cast: alice and bob with a finished task each, dora who
/// ran a task and was disabled, an admin, root with quota and a key, a
/// victim for operators to act on, and a disabled spare channel.
fn cast() -> Cast {
    let app = spawn_app_with(Settings::relay());
    // Music is done at once upstream, so one worker pass brings the
    // fixture's tasks home with the upstream's data.
    let upstream = app.attach(instant_mock(0.0), "main", 0);
    let alice = actor(&app, "alice", 1, 10_000_000);
    let bob = actor(&app, "bob", 1, 10_000_000);
    let mut dora = actor(&app, "dora", 1, 10_000_000);
    let admin = actor(&app, "admin", 10, 10_000_000);
    let (status, body) = app.post(
        "/api/user/1/quota",
        &as_root(),
        &json!({"delta": 10_000_000, "reason": "matrix"}),
    );
    assert_ok(status, &body);
    let (root_key_id, root_key) = app.new_key(&as_root(), &unlimited_key());
    let root = Actor {
        name: "root",
        id: 1,
        need: Need::Root,
        enabled: true,
        token: ROOT_TOKEN.to_string(),
        key: root_key,
        key_id: root_key_id,
    };
    // Dora ran a task, then was disabled.
    app.submit_music(&dora.key, "dora's song");
    app.set_user_status(dora.id, 2);
    dora.enabled = false;
    let (victim, _) = app.create_user("victim", 1, 0);
    let spare_channel = app.disabled_channel("spare");
    let alice_task = app.submit_music(&alice.key, "alice's song");
    let bob_task = app.submit_music(&bob.key, "bob's song");
    app.advance_ms(60_000);
    let pass = app.pass();
    assert_eq!(pass.errors, 0, "{pass:?}");
    for task in [&alice_task, &bob_task] {
        let polled = app.db.task(task);
        assert_eq!(polled.status, "SUCCESS", "{polled:?}");
        assert!(
            polled.data.contains("audio_url"),
            "the upstream's data: {polled:?}"
        );
    }
    let owners = HashMap::from([(alice_task.clone(), alice.id), (bob_task.clone(), bob.id)]);
    Cast {
        app,
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

impl Cast {
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

    /// Asserts that jobs went upstream and that no answer so far showed a
    /// channel key or an upstream id.
    fn assert_nothing_leaked(&self) {
        assert!(
            !self.upstream.mock.submitted().is_empty(),
            "jobs went upstream"
        );
        self.app.assert_nothing_leaked();
    }

    /// Access tokens and API keys of everybody: no answer of the matrix may show one.
    fn credentials(&self) -> Vec<String> {
        [&self.alice, &self.bob, &self.dora, &self.admin, &self.root]
            .iter()
            .flat_map(|a| [a.token.clone(), a.key.clone()])
            .collect()
    }
}
