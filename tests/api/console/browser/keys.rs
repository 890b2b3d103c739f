//! Creating an API key in the console: the whole key is shown once, works
//! on the relay, and is gone after navigating away and back.

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
