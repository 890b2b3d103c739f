//! The Tasks page over tasks placed in the store: status and time filters
//! narrow the table and `#tasks-total` (and survive a reload through the
//! hash), paging walks 25 tasks 10 at a time, and the admin-only channel
//! and user filters narrow an admin's table.

use serde_json::json;

use super::{total_is, user_with_password};
use crate::kit::browser::Browser;
use crate::kit::{TaskStatus, TestApp, new_task_id, spawn_app, task, unix_now};

/// 25 finished tasks of user `id`, a minute apart (half past each minute),
/// every fifth FAILURE; their ids, oldest first, and the first minute.
fn history(app: &TestApp, id: i64) -> (Vec<String>, i64) {
    let base = (unix_now() / 60 - 60) * 60;
    let specs: Vec<_> = (0..25)
        .map(|i| {
            let mut t = task(id, base + i * 60 + 30);
            t.task_id = new_task_id();
            if i % 5 == 0 {
                t.status = TaskStatus::Failure;
                t.fail_reason = format!("failed on purpose {i}");
            }
            t
        })
        .collect();
    app.insert_tasks(&specs);
    (specs.into_iter().map(|t| t.task_id).collect(), base)
}

/// The task ids of the table's rows, top to bottom.
fn rows(browser: &Browser) -> Vec<String> {
    let ids = browser.js(
        "return [...document.querySelectorAll('#tasks-table tbody tr[data-task-id]')]
             .map(r => r.getAttribute('data-task-id'));",
        vec![],
    );
    serde_json::from_value(ids).expect("row ids")
}

/// `unix` seconds as a `datetime-local` value in the browser's time zone.
fn local_minute(browser: &Browser, unix: i64) -> String {
    let value = browser.js(
        "const d = new Date(arguments[0] * 1000), p = n => String(n).padStart(2, '0');
         return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;",
        vec![json!(unix)],
    );
    value.as_str().expect("a local time").to_string()
}

/// Alice's [`history`] on the Tasks page of a browser logged in as her,
/// all 25 counted; `None` without a browser.
fn alice_s_tasks(scenario: &str) -> Option<(TestApp, Browser, Vec<String>, i64)> {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice", 1);
    let (ids, base) = history(&app, alice.id);
    let browser = super::logged_in(scenario, &app, "alice")?;
    total_is(&browser, 25);
    Some((app, browser, ids, base))
}

#[test]
fn status_and_time_filters_narrow_the_table_and_the_total() {
    let Some((_app, browser, ids, base)) = alice_s_tasks("filters") else {
        return;
    };
    let shown = rows(&browser);
    assert_eq!(shown.len(), 20, "20 a page by default");
    assert_eq!(shown[0], ids[24], "newest first");

    browser.set_value("#f-status", "FAILURE");
    browser.click("#f-apply");
    total_is(&browser, 5);
    let failed: Vec<String> = ids.iter().step_by(5).rev().cloned().collect();
    assert_eq!(rows(&browser), failed);
    let reasons = browser.js(
        "return [...document.querySelectorAll('#tasks-table tbody tr[data-task-id] td.col-reason')]
             .map(c => c.textContent.trim());",
        vec![],
    );
    assert_eq!(reasons[0], "failed on purpose 20");
    let hash = browser.js("return location.hash;", vec![]);
    assert!(
        hash.as_str().is_some_and(|h| h.contains("status=FAILURE")),
        "{hash}"
    );
    browser.screenshot("status");

    // A reload keeps the filter.
    let url = browser.js("return location.href;", vec![]);
    browser.goto(url.as_str().expect("the url"));
    total_is(&browser, 5);
    assert_eq!(rows(&browser), failed);

    browser.set_value("#f-status", "");
    let (start, end) = (base + 10 * 60, base + 15 * 60);
    browser.set_value("#f-start", &local_minute(&browser, start));
    browser.set_value("#f-end", &local_minute(&browser, end));
    browser.click("#f-apply");
    total_is(&browser, 5);
    let window: Vec<String> = ids[10..15].iter().rev().cloned().collect();
    assert_eq!(rows(&browser), window);
    browser.screenshot("time");
}

#[test]
fn paging_walks_25_tasks_10_at_a_time() {
    let Some((_app, browser, ids, _)) = alice_s_tasks("paging") else {
        return;
    };
    browser.set_value("#page-size", "10");
    let page = |p: usize, n: usize| {
        browser.wait_js(
            &format!("page {p} of 3"),
            "return document.querySelector('#page-info')?.textContent.trim() === arguments[0];",
            vec![json!(format!("Page {p} of 3"))],
        );
        let newest = 24 - (p - 1) * 10;
        let expected: Vec<String> = (0..n).map(|i| ids[newest - i].clone()).collect();
        assert_eq!(rows(&browser), expected, "page {p}");
    };
    let disabled = |css: &str| {
        browser.js(
            "return document.querySelector(arguments[0]).disabled;",
            vec![json!(css)],
        ) == json!(true)
    };
    page(1, 10);
    assert!(disabled("#page-prev") && !disabled("#page-next"));
    browser.click("#page-next");
    page(2, 10);
    browser.click("#page-next");
    page(3, 5);
    assert!(!disabled("#page-prev") && disabled("#page-next"));
    total_is(&browser, 25);
    browser.screenshot("last-page");
    browser.click("#page-prev");
    page(2, 10);
}

#[test]
fn the_admin_only_channel_and_user_filters_narrow_the_table_and_the_total() {
    let app = spawn_app();
    let first = app.upstream("first", 0);
    let second = app.upstream("second", 0);
    let alice = user_with_password(&app, "alice", 1);
    let bob = user_with_password(&app, "bob", 1);
    user_with_password(&app, "admin", 10);
    let now = unix_now();
    // Alice: three on the first channel, one on the second; Bob: two on
    // the second.
    let placed = [
        (alice.id, first.channel_id),
        (alice.id, first.channel_id),
        (alice.id, first.channel_id),
        (alice.id, second.channel_id),
        (bob.id, second.channel_id),
        (bob.id, second.channel_id),
    ];
    let specs: Vec<_> = placed
        .iter()
        .enumerate()
        .map(|(i, (user, channel))| {
            let mut t = task(*user, now - 600 + i as i64 * 60);
            t.task_id = new_task_id();
            t.channel_id = *channel;
            t
        })
        .collect();
    app.insert_tasks(&specs);
    let Some(browser) = super::logged_in("admin-filters", &app, "admin") else {
        return;
    };
    total_is(&browser, 6);
    assert_eq!(browser.count("#tasks-table tbody td.col-channel"), 6);

    browser.type_into("#f-channel-id", &second.channel_id.to_string());
    browser.click("#f-apply");
    total_is(&browser, 3);
    let channels = browser.js(
        "return [...document.querySelectorAll('#tasks-table tbody tr[data-task-id] td.col-channel')]
             .map(c => c.textContent.trim());",
        vec![],
    );
    assert_eq!(channels, json!(vec![second.channel_id.to_string(); 3]));
    browser.screenshot("channel");

    browser.type_into("#f-user-id", &bob.id.to_string());
    browser.click("#f-apply");
    total_is(&browser, 2);
    let bob_s: Vec<String> = specs[4..].iter().rev().map(|t| t.task_id.clone()).collect();
    assert_eq!(rows(&browser), bob_s);
    let hash = browser.js("return location.hash;", vec![]);
    assert!(
        hash.as_str()
            .is_some_and(|h| h.contains(&format!("user_id={}", bob.id))
                && h.contains(&format!("channel_id={}", second.channel_id))),
        "{hash}"
    );

    browser.type_into("#f-channel-id", &first.channel_id.to_string());
    browser.click("#f-apply");
    total_is(&browser, 0);
    browser.type_into("#f-user-id", &alice.id.to_string());
    browser.click("#f-apply");
    total_is(&browser, 3);
    browser.screenshot("channel-and-user");
}
