//! Operators above their role, and access token rotation by every caller.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::cast;
use super::routes::Route;
use crate::kit::{Headers, as_root, as_user, assert_error, assert_ok, suno_data};

#[test]
fn operators_cannot_act_above_their_role() {
    let w = cast();
    let app = &w.app;
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
        .map(|id| app.db.user(*id))
        .collect();
    for (what, headers, route, body) in refused {
        let (method, path) = route.split_once(' ').expect("METHOD path");
        let (status, answer) =
            app.request(method, path, headers, Some(body.to_string().into_bytes()));
        assert_eq!(status, 403, "{what}: {answer}");
        assert_eq!(answer["success"], json!(false), "{what}: {answer}");
    }
    let after: Vec<_> = [1, w.admin.id, w.alice.id, w.dora.id, w.victim]
        .iter()
        .map(|id| app.db.user(*id))
        .collect();
    assert_eq!(before, after, "no refused change took effect");
    let body = app.get_ok("/api/user/?keyword=root", &as_root());
    assert_eq!(body["total"], json!(1), "still one root: {body}");
    w.assert_nothing_leaked();
}

#[test]
fn rotating_an_access_token_follows_the_matrix_and_retires_the_old_one() {
    let w = cast();
    let app = &w.app;
    // Each user's current access token: a rotation replaces it.
    let mut current: HashMap<i64, String> = [&w.alice, &w.bob, &w.dora, &w.admin, &w.root]
        .iter()
        .map(|a| (a.id, a.token.clone()))
        .collect();
    for c in w.callers() {
        let expected = c.expected(Route::UserSelf, &w);
        let (status, body) = app.get("/api/user/token", &c.headers(&w));
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
            let (status, body) = app.get("/api/user/self", &as_user(a.id, &token));
            assert_eq!(status, if a.enabled { 200 } else { 403 }, "{what}: {body}");
            continue;
        }
        let fresh = assert_ok(status, &body)
            .as_str()
            .unwrap_or_else(|| panic!("{what}: a new token: {body}"))
            .to_string();
        assert_ne!(fresh, token, "{what}");
        let (status, body) = app.get("/api/user/self", &as_user(a.id, &token));
        assert_error(status, &body, 401);
        let body = app.get_ok("/api/user/self", &as_user(a.id, &fresh));
        assert_eq!(body["id"], json!(a.id), "{what}");
        // The API key is a separate credential and keeps working.
        let (status, body) = app.fetch(&a.key, &[]);
        suno_data(status, &body);
        current.insert(a.id, fresh);
    }
    w.assert_nothing_leaked();
}
