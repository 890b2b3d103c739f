//! The language switch: Chinese renders the Tasks page at once (no reload)
//! and is remembered.

use serde_json::json;

use super::{badge_is, logged_in, user_with_password};
use crate::kit::{new_task_id, spawn_app, task, unix_now};

#[test]
fn switching_to_chinese_renders_the_tasks_page_in_chinese() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice", 1);
    let mut done = task(alice.id, unix_now() - 120);
    done.task_id = new_task_id();
    app.insert_tasks(&[done.clone()]);
    let Some(browser) = logged_in("chinese", &app, "alice") else {
        return;
    };
    badge_is(&browser, &done.task_id, "SUCCESS");
    assert_eq!(
        browser.js("return document.documentElement.lang;", vec![]),
        json!("en")
    );
    browser.js("window.__notReloaded = true; return true;", vec![]);

    browser.set_value("select#lang", "zh-CN");
    browser.wait_js(
        "the heading in Chinese",
        "return document.querySelector('main h1')?.textContent.trim() === '任务';",
        vec![],
    );
    let badge = format!(
        "tr[data-task-id=\"{}\"] td.col-status span.badge",
        done.task_id
    );
    assert_eq!(browser.text(&badge).as_deref(), Some("成功"));
    badge_is(&browser, &done.task_id, "SUCCESS");
    assert_eq!(
        browser.js("return document.documentElement.lang;", vec![]),
        json!("zh-CN")
    );
    assert_eq!(
        browser.js("return window.__notReloaded === true;", vec![]),
        json!(true)
    );
    assert_eq!(
        browser.js("return localStorage.getItem('taskcenter.lang');", vec![]),
        json!("zh-CN")
    );
    browser.screenshot("zh-CN");

    // Remembered across a reload.
    browser.open(&app, "#/tasks");
    browser.wait_js(
        "still Chinese after a reload",
        "return document.querySelector('main h1')?.textContent.trim() === '任务';",
        vec![],
    );
}
