//! The per-day task counters behind the admin list's totals: every path
//! that writes a task (the relay's charge and acceptance, a refused
//! submission's refund, the worker's progress and settlement, raw inserts)
//! keeps them equal to a count of the tasks, and the totals the list takes
//! from them equal plain counts for ranges with partial and whole days.

use serde_json::json;

use crate::kit::{
    Settings, TaskStatus, TestApp, as_root, assert_ok, slow_mock, spawn_payer_app, task,
};
use crate::mock::Fault;

const DAY: i64 = 86_400;

/// A task's UTC day in SQL, as the counters key it.
const DAY_OF_SUBMIT: &str = "(submit_time - (submit_time % 86400 + 86400) % 86400) / 86400";

type CounterRow = (i64, String, String, String, i64, i64);

/// Asserts the counters equal a GROUP BY over the tasks (zero rows left
/// by moves aside) and that no count is negative.
fn assert_counters_exact(app: &TestApp, when: &str) {
    let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<CounterRow> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    };
    let kept = app.db.rows(
        "SELECT day, status, platform, action, channel_id, tasks FROM task_day_counts
         WHERE tasks != 0 ORDER BY 1, 2, 3, 4, 5",
        [],
        read,
    );
    let counted = app.db.rows(
        &format!(
            "SELECT {DAY_OF_SUBMIT}, status, platform, action, channel_id, COUNT(*) FROM tasks
             GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
        ),
        [],
        read,
    );
    assert_eq!(kept, counted, "{when}");
    assert!(kept.iter().all(|r| r.5 > 0), "{when}: {kept:?}");
}

/// Asserts the admin list's total for `query` is the plain count of `sql`.
fn assert_total(app: &TestApp, query: &str, sql: &str, params: impl rusqlite::Params) {
    let (status, body) = app.get(&format!("/api/task/?p=1&page_size=5&{query}"), &as_root());
    let data = assert_ok(status, &body);
    let plain = app
        .db
        .scalar(&format!("SELECT COUNT(*) FROM tasks WHERE {sql}"), params);
    assert_eq!(data["total"], plain, "/api/task/?{query}");
}

#[test]
fn day_counters_follow_every_write_and_admin_totals_equal_plain_counts() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), slow_mock());
    let subs: Vec<_> = (0..6).map(|_| app.submit_tracked(&payer.key)).collect();
    assert_counters_exact(&app, "after the relay's charges and acceptances");

    // Every attempt refused: charged as NOT_START, then settled FAILURE.
    up.mock.set_fault(Fault::Http(500));
    let (status, _) = app.submit(&payer.key, "music", &json!({"prompt": "refused"}));
    assert_ne!(status, 200);
    up.mock.set_fault(Fault::None);
    assert_eq!(
        app.db
            .scalar("SELECT COUNT(*) FROM tasks WHERE status = 'FAILURE'", []),
        1
    );
    assert_counters_exact(&app, "after a refused submission's refund");

    // The worker moves them on: progress, success, failure (refunded).
    let words = ["QUEUED", "IN_PROGRESS", "SUCCESS", "SUCCESS", "FAILURE"];
    for (sub, word) in subs.iter().zip(words) {
        assert!(up.mock.set_status(&sub.upstream_id, word));
    }
    let r = app.pass_when_due();
    assert_eq!((r.succeeded, r.failed), (2, 1), "{r}");
    assert_counters_exact(&app, "after the worker's pass");

    // Older tasks on other days, platforms and channels, some on the first
    // and last seconds of a day.
    let now = app.db.scalar("SELECT MAX(submit_time) FROM tasks", []);
    let today = now - now.rem_euclid(DAY);
    let mut older = Vec::new();
    for (i, at) in [
        today - 1,
        today - DAY,
        today - DAY + 1,
        today - 2 * DAY - 1,
        today - 3 * DAY + 7_200,
        today - 5 * DAY,
    ]
    .into_iter()
    .enumerate()
    {
        let mut t = task(payer.id, at);
        t.platform = ["suno", "kling"][i % 2].into();
        t.action = ["MUSIC", "GENERATE"][i % 2].into();
        t.channel_id = 1 + (i % 3) as i64;
        t.status = [TaskStatus::Success, TaskStatus::Failure][i / 3];
        older.push(t);
    }
    app.insert_tasks(&older);
    assert_counters_exact(&app, "after raw inserts");

    let ch = up.channel_id;
    assert_total(&app, "status=SUCCESS", "status = 'SUCCESS'", []);
    assert_total(
        &app,
        "status=FAILURE&platform=suno",
        "status = 'FAILURE' AND platform = 'suno'",
        [],
    );
    assert_total(&app, "action=GENERATE", "action = 'GENERATE'", []);
    assert_total(&app, &format!("channel_id={ch}"), "channel_id = ?1", [ch]);
    for (start, end) in [
        (today, now),
        (today - DAY, today - 1),
        (today - DAY + 1, now),
        (today - 3 * DAY, today - DAY),
        (today - 2 * DAY - 1, today - 1),
        (today - 10 * DAY, now + DAY),
        (today - 3 * DAY + 7_200, today - 3 * DAY + 7_200),
    ] {
        let range = format!("start_timestamp={start}&end_timestamp={end}");
        let between = "submit_time BETWEEN ?1 AND ?2";
        assert_total(&app, &range, between, [start, end]);
        assert_total(
            &app,
            &format!("{range}&status=SUCCESS&platform=suno"),
            &format!("{between} AND status = 'SUCCESS' AND platform = 'suno'"),
            [start, end],
        );
        assert_total(
            &app,
            &format!("{range}&channel_id={ch}&action=MUSIC"),
            &format!("{between} AND channel_id = ?3 AND action = 'MUSIC'"),
            [start, end, ch],
        );
        assert_total(
            &app,
            &format!("start_timestamp={start}&platform=kling"),
            "submit_time >= ?1 AND platform = 'kling'",
            [start],
        );
        assert_total(
            &app,
            &format!("end_timestamp={end}&status=FAILURE"),
            "submit_time <= ?1 AND status = 'FAILURE'",
            [end],
        );
    }
}
