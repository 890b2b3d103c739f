//! API keys in the console: a new key is shown once, works on the relay,
//! and is gone after navigating away and back; a key disabled there is
//! refused by the relay until enabled, and a deleted one is unknown.

use serde_json::json;

use super::{logged_in, world};
use crate::kit::suno_data;

#[test]
fn a_new_key_is_shown_once_and_works_on_the_relay() {
    let w = world(60_000, 0.0, 0);
    w.customer("alice");
    let Some(browser) = logged_in("keys", &w.app, "alice") else {
        return;
    };
    browser.navigate("#/keys");
    browser.wait_for("#key-form");
    browser.type_into("#key-name", "from the console");
    browser.click("#key-create");
    browser.wait_js(
        "the new key is shown",
        "const k = document.querySelector('#key-created code#new-key');
         return !!k && k.offsetParent !== null && k.textContent.trim().startsWith('sk-');",
        vec![],
    );
    let key = browser.text("#new-key").expect("the key");
    browser.click("#key-copy");
    browser.wait_js(
        "the copy button says it copied",
        "return document.querySelector('#key-copy').textContent.includes('Copied');",
        vec![],
    );
    browser.wait_js(
        "the key's row",
        "return [...document.querySelectorAll('#keys-table tr[data-key-id] td.col-name')]
             .some(c => c.textContent.trim() === 'from the console');",
        vec![],
    );
    browser.screenshot("created");
    assert!(
        !browser
            .text("#keys-table")
            .unwrap_or_default()
            .contains(&key[3..]),
        "the list never shows the whole key"
    );

    let (status, body) = w
        .app
        .submit(&key, "music", &json!({"prompt": "made with a console key"}));
    let task_id = suno_data(status, &body).as_str().expect("a task id");
    assert!(task_id.starts_with("task_"), "{body}");

    browser.navigate("#/tasks");
    browser.wait_for("#tasks-table");
    browser.navigate("#/keys");
    browser.wait_for("#keys-table tr[data-key-id]");
    assert_eq!(browser.count("#new-key"), 0, "the key is not shown again");
    let page = browser.js("return document.body.textContent;", vec![]);
    assert!(
        !page.as_str().unwrap_or_default().contains(&key),
        "the key is nowhere on the page"
    );
}

#[test]
fn a_key_disabled_in_the_console_is_refused_by_the_relay_until_enabled_and_a_deleted_one_is_gone() {
    let w = world(60_000, 0.0, 0);
    let alice = w.customer("alice");
    let Some(browser) = logged_in("key-manage", &w.app, "alice") else {
        return;
    };
    browser.navigate("#/keys");
    let row = format!("#keys-table tr[data-key-id=\"{}\"]", alice.key_id);
    browser.wait_for(&row);

    browser.click(&format!("{row} button.key-toggle"));
    browser.wait_js(
        "the key reads Disabled",
        "return document.querySelector(arguments[0] + ' td.col-status')?.textContent.trim() === 'Disabled'
             && document.querySelector(arguments[0] + ' button.key-toggle').textContent === 'Enable';",
        vec![json!(row)],
    );
    browser.screenshot("disabled");
    let (status, body) = w.app.submit(&alice.key, "music", &json!({"prompt": "la"}));
    assert_eq!(status, 403, "the relay refuses a disabled key: {body}");
    assert_eq!(w.app.db.task_count(alice.id), 0);

    browser.click(&format!("{row} button.key-toggle"));
    browser.wait_js(
        "the key reads Enabled",
        "return document.querySelector(arguments[0] + ' td.col-status')?.textContent.trim() === 'Enabled';",
        vec![json!(row)],
    );
    w.app.submit_music(&alice.key, "la");

    // Deleting asks first: a "no" keeps the key, a "yes" deletes it.
    let confirm = "const answer = arguments[0];
         window.__asked = [];
         window.confirm = m => { window.__asked.push(m); return answer; };
         return true;";
    browser.js(confirm, vec![json!(false)]);
    browser.click(&format!("{row} button.key-delete"));
    let asked = browser.js("return window.__asked;", vec![]);
    assert_eq!(asked.as_array().map(Vec::len), Some(1), "{asked}");
    assert_eq!(browser.count(&row), 1, "a declined delete keeps the key");
    browser.js(confirm, vec![json!(true)]);
    browser.click(&format!("{row} button.key-delete"));
    browser.wait_js(
        "the row is gone",
        "return !document.querySelector(arguments[0]);",
        vec![json!(row)],
    );
    browser.screenshot("deleted");
    let (status, _) = w.app.submit(&alice.key, "music", &json!({"prompt": "la"}));
    assert_eq!(status, 401, "a deleted key is unknown");
}
