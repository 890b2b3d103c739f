//! A failed song: the Tasks page says why, and the Account page shows the
//! charge and its refund side by side with the balance back where it was.

use std::time::Duration;

use serde_json::json;

use super::{START_QUOTA, badge_is, logged_in, world};
use crate::kit::{LOG_CONSUME, LOG_REFUND, MUSIC_CHARGE};
use crate::mock::FAIL_REASON;

#[test]
fn a_failed_task_shows_its_reason_and_its_refund_in_the_usage_log() {
    let w = world(1_000, 1.0, 0);
    let alice = w.customer("alice");
    let song = w.app.submit_music(&alice.key, "a song that will not be");
    w.app
        .wait_until_final(&alice.headers, &song, Duration::from_secs(10));
    let Some(browser) = logged_in("failure", &w.app, "alice") else {
        return;
    };
    badge_is(&browser, &song, "FAILURE");
    let reason = browser.text(&format!("tr[data-task-id=\"{song}\"] td.col-reason"));
    assert!(
        reason.as_deref().is_some_and(|r| r.contains(FAIL_REASON)),
        "{reason:?}"
    );
    browser.screenshot("tasks");

    browser.navigate("#/account");
    browser.wait_js(
        "the refund row",
        "return !!document.querySelector('#log-table tr[data-log-type=\"6\"]');",
        vec![],
    );
    let logged = browser.js(
        "return [...document.querySelectorAll('#log-table tbody tr[data-log-type]')].map(r => ({
             type: Number(r.getAttribute('data-log-type')),
             quota: r.querySelector('td.col-quota').textContent.trim(),
             task: r.querySelector('td.col-task').textContent.trim(),
             words: r.querySelector('td.col-type').textContent.trim()}));",
        vec![],
    );
    let rows = logged.as_array().expect("log rows");
    let of_song = |kind: i64| {
        rows.iter()
            .find(|r| r["type"] == kind && r["task"] == json!(song))
            .unwrap_or_else(|| panic!("a row of type {kind} for {song}: {logged}"))
    };
    let (charge, refund) = (of_song(LOG_CONSUME), of_song(LOG_REFUND));
    assert_eq!(charge["words"], "Consume");
    assert_eq!(refund["words"], "Refund");
    assert_eq!(refund["quota"], MUSIC_CHARGE.to_string());
    let position = |row: &serde_json::Value| rows.iter().position(|r| r == row);
    assert!(
        position(refund) < position(charge),
        "newest first: {logged}"
    );
    assert_eq!(browser.text("#balance"), Some(START_QUOTA.to_string()));
    assert_eq!(browser.text("#balance-usd").as_deref(), Some("$2.00"));
    browser.screenshot("account");
}
