//! `POST /api/user/{id}/quota` and key balances: every change to a balance
//! writes exactly one log row, never goes below zero, and only the roles
//! allowed to make it can.

use serde_json::json;

use crate::kit::{
    LOG_MANAGE, LOG_TOP_UP, as_root, as_user, assert_clean, assert_error, assert_ok, items,
    spawn_app,
};

#[test]
fn a_grant_writes_exactly_one_top_up_row() {
    let app = spawn_app();
    let (_, admin) = app.named_user("admin", "Admin", 10);
    let (bob, bob_headers) = app.named_user("bob", "Bob", 1);
    let (status, body) = app.post(
        &format!("/api/user/{bob}/quota"),
        &admin,
        &json!({"delta": 123_456, "reason": "spring promotion"}),
    );
    assert_eq!(assert_ok(status, &body)["quota"], 123_456, "{body}");
    assert_eq!(app.db.user(bob).quota, 123_456);
    assert_eq!(app.db.log_rows(bob), vec![(LOG_TOP_UP, 123_456)]);

    // The owner sees it, with its reason.
    let data = app.get_ok("/api/log/self", &bob_headers);
    assert_eq!(data["total"], 1, "{data}");
    let row = &items(&data)[0];
    assert_eq!(row["type"], 1, "{row}");
    assert_eq!(row["quota"], 123_456, "{row}");
    assert_eq!(row["user_id"], bob, "{row}");
    assert_eq!(row["username"], "bob", "{row}");
    assert!(
        row.to_string().contains("spring promotion"),
        "the reason is kept: {row}"
    );
    assert_clean(&app.audit());
}

#[test]
fn a_deduction_writes_exactly_one_manage_row() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 10_000);
    let before = app.db.log_rows(bob);
    let (status, body) = app.post(
        &format!("/api/user/{bob}/quota"),
        &as_root(),
        &json!({"delta": -2_500, "reason": "chargeback"}),
    );
    assert_eq!(assert_ok(status, &body)["quota"], 7_500, "{body}");
    assert_eq!(app.db.user(bob).quota, 7_500);
    let rows = app.db.log_rows(bob);
    assert_eq!(rows.len(), before.len() + 1, "one new row: {rows:?}");
    let (kind, amount) = rows[rows.len() - 1];
    assert_eq!(kind, LOG_MANAGE, "a deduction is a manage row: {rows:?}");
    assert_eq!(amount.abs(), 2_500, "{rows:?}");
    assert_clean(&app.audit());
}

#[test]
fn a_result_below_zero_is_400_and_changes_nothing() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 1_000);
    let before = app.db.log_rows(bob);
    for delta in [-1_001, -1_000_000, i64::MIN] {
        let (status, body) = app.adjust_quota(&as_root(), bob, delta);
        assert_error(status, &body, 400);
        assert_eq!(app.db.user(bob).quota, 1_000, "delta {delta}");
        assert_eq!(app.db.log_rows(bob), before, "delta {delta}: no log row");
    }
    // An overflow is refused the same way.
    let (status, body) = app.adjust_quota(&as_root(), bob, i64::MAX);
    assert_error(status, &body, 400);
    assert_eq!(app.db.user(bob).quota, 1_000);
    assert_eq!(app.db.log_rows(bob), before);

    // Exactly to zero is fine.
    let (status, body) = app.adjust_quota(&as_root(), bob, -1_000);
    assert_eq!(assert_ok(status, &body)["quota"], 0);
    assert_clean(&app.audit());
}

#[test]
fn quota_changes_are_for_admins_and_only_root_changes_an_admins() {
    let app = spawn_app();
    let (admin_id, admin) = app.named_user("admin", "Admin", 10);
    let (other, _) = app.named_user("other", "Other Admin", 10);
    let (bob, bob_headers) = app.named_user("bob", "Bob", 1);

    for (headers, id) in [(&bob_headers, bob), (&bob_headers, admin_id)] {
        let (status, body) = app.adjust_quota(headers, id, 1_000);
        assert_error(status, &body, 403);
    }
    let (status, body) = app.adjust_quota(&vec![], bob, 1_000);
    assert_error(status, &body, 401);
    for id in [other, 1] {
        let (status, body) = app.adjust_quota(&admin, id, 1_000);
        assert_error(status, &body, 403);
    }
    for id in [bob, other, 1] {
        assert_eq!(app.db.user(id).quota, 0, "user {id} unchanged");
        assert_eq!(app.db.log_rows(id), vec![], "user {id}: no log row");
    }

    let (status, body) = app.adjust_quota(&admin, bob, 1_000);
    assert_eq!(assert_ok(status, &body)["quota"], 1_000);
    let (status, body) = app.adjust_quota(&as_root(), other, 1_000);
    assert_eq!(assert_ok(status, &body)["quota"], 1_000);
}

/// Issue 5 §1: "An admin cannot change an admin or root": an admin who could
/// top itself up would print money.
#[test]
fn an_admin_cannot_grant_itself_quota() {
    let app = spawn_app();
    let (admin_id, admin) = app.named_user("admin", "Admin", 10);
    let (status, body) = app.adjust_quota(&admin, admin_id, 1_000_000);
    assert_error(status, &body, 403);
    assert_eq!(app.db.user(admin_id).quota, 0);
    assert_eq!(app.db.log_rows(admin_id), vec![]);
}

#[test]
fn bad_quota_requests_are_400_or_404() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 500);
    for body in [
        json!({}),
        json!({"delta": "100"}),
        json!({"delta": 1.5}),
        json!({"reason": "no delta"}),
    ] {
        let (status, reply) = app.post(&format!("/api/user/{bob}/quota"), &as_root(), &body);
        assert_error(status, &reply, 400);
    }
    let (status, reply) = app.adjust_quota(&as_root(), 9999, 100);
    assert_error(status, &reply, 404);
    let (status, reply) = app.adjust_quota(&as_root(), -1, 100);
    assert!(
        status == 400 || status == 404,
        "a negative id: {status} {reply}"
    );
    assert_eq!(app.db.user(bob).quota, 500);
    assert_eq!(app.db.log_rows(bob), vec![(LOG_TOP_UP, 500)]);
}

#[test]
fn concurrent_adjustments_never_go_below_zero_and_each_has_its_row() {
    let app = spawn_app();
    let (bob, _) = app.create_user("bob", 1, 1_000);
    let accepted: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|t| {
                let app = &app;
                s.spawn(move || {
                    let mut ok = Vec::new();
                    for i in 0..8 {
                        let delta = if (t + i) % 2 == 0 { 300 } else { -700 };
                        let (status, body) = app.adjust_quota(&as_root(), bob, delta);
                        match status {
                            200 => ok.push(delta),
                            400 => {}
                            _ => panic!("delta {delta}: {status} {body}"),
                        }
                    }
                    ok
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker"))
            .collect()
    });
    assert!(
        accepted.iter().any(|d| *d < 0),
        "some deductions went through"
    );
    let user = app.db.user(bob);
    assert_eq!(user.quota, 1_000 + accepted.iter().sum::<i64>());
    assert!(user.quota >= 0);
    assert_eq!(
        app.db.log_rows(bob).len(),
        1 + accepted.len(),
        "the creation row and one per accepted change"
    );
    assert_clean(&app.audit());
}

/// Issue 5 §2: "Every change to any balance (user quota, key remain_quota)
/// writes exactly one log row in the same transaction as the change."
#[test]
fn setting_a_keys_remain_quota_writes_one_log_row() {
    let app = spawn_app();
    let (gina, token) = app.create_user("gina", 1, 0);
    let headers = as_user(gina, &token);
    let (status, body) = app.post(
        "/api/token/",
        &headers,
        &json!({"name": "k", "remain_quota": 1000}),
    );
    let key_id = assert_ok(status, &body)["id"].as_i64().expect("key id");
    let rows_of_key = || {
        app.db
            .scalar("SELECT COUNT(*) FROM logs WHERE token_id = ?1", [key_id])
    };
    let before = rows_of_key();
    let (status, body) = app.put(
        "/api/token/",
        &headers,
        &json!({"id": key_id, "remain_quota": 5000}),
    );
    assert_eq!(assert_ok(status, &body)["remain_quota"], 5000, "{body}");
    assert_eq!(
        rows_of_key(),
        before + 1,
        "the key's balance change has its log row"
    );
}
