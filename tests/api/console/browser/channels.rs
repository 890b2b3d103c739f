//! Admin → Channels: the server's automatic disable shows with its reason
//! (in both languages); an admin adds a channel, tests it (the result in
//! its row) and edits it with the key left blank, which keeps the key.

use serde_json::json;

use super::{logged_in, user_with_password};
use crate::kit::upstream::mock;
use crate::kit::{as_root, assert_ok, spawn_app};
use crate::mock::Fault;

/// The JS condition "the row of channel `name` exists"; returns its id.
fn row_named(browser: &crate::kit::browser::Browser, name: &str) -> String {
    browser.wait_js(
        &format!("the row of channel {name}"),
        "return [...document.querySelectorAll('#channels-table tr[data-channel-id] td.col-name')]
             .some(c => c.textContent.trim() === arguments[0]);",
        vec![json!(name)],
    );
    let id = browser.js(
        "return [...document.querySelectorAll('#channels-table tr[data-channel-id]')]
             .find(r => r.querySelector('td.col-name').textContent.trim() === arguments[0])
             .getAttribute('data-channel-id');",
        vec![json!(name)],
    );
    id.as_str().expect("a channel id").to_string()
}

#[test]
fn an_admin_sees_an_auto_disabled_channel_s_reason_then_adds_tests_and_edits_a_channel() {
    let app = spawn_app();
    let refused = app.upstream("refused", 0);
    refused.mock.set_fault(Fault::Http(401));
    let payer = user_with_password(&app, "payer", 1);
    let (status, _) = app.submit(&payer.key, "music", &json!({"prompt": "la"}));
    assert_eq!(status, 502, "the only channel refused its key");
    user_with_password(&app, "admin", 10);
    let Some(browser) = logged_in("channels", &app, "admin") else {
        return;
    };
    browser.navigate("#/admin");
    let refused_row = format!(
        "#channels-table tr[data-channel-id=\"{}\"]",
        refused.channel_id
    );
    browser.wait_for(&format!("{refused_row} td.col-status .disabled-reason"));
    assert_eq!(
        browser
            .text(&format!("{refused_row} td.col-status span.badge"))
            .as_deref(),
        Some("Disabled by the server")
    );
    let reason = browser
        .text(&format!("{refused_row} .disabled-reason"))
        .unwrap_or_default();
    assert!(
        reason.contains("401"),
        "the reason names the refusal: {reason}"
    );
    let last_error = browser
        .text(&format!("{refused_row} td.col-error .last-error"))
        .unwrap_or_default();
    assert!(!last_error.is_empty(), "the last error is shown");
    browser.screenshot("auto-disabled");

    // Added from the form.
    let fresh = mock();
    browser.type_into("#ch-name", "added in the console");
    browser.set_value("#ch-type", "suno");
    browser.type_into("#ch-base-url", &fresh.base_url());
    browser.type_into("#ch-key", fresh.secret());
    browser.type_into("#ch-models", "suno_music,suno_lyrics");
    browser.type_into("#ch-priority", "3");
    browser.click("#ch-submit");
    let id = row_named(&browser, "added in the console");
    let row = format!("#channels-table tr[data-channel-id=\"{id}\"]");
    assert_eq!(
        browser
            .text(&format!("{row} td.col-status span.badge"))
            .as_deref(),
        Some("Enabled")
    );
    let key_shown = browser
        .text(&format!("{row} td.col-key"))
        .unwrap_or_default();
    assert!(!key_shown.contains(fresh.secret()), "the key is masked");

    // Tested: the probe's answer in the row.
    browser.click(&format!("{row} button.channel-test"));
    browser.wait_js(
        "the test result in the row",
        "const r = document.querySelector(arguments[0] + ' output.test-result');
         return !!r && r.getAttribute('data-ok') === '1' && r.textContent.startsWith('OK');",
        vec![json!(row)],
    );
    browser.screenshot("added-and-tested");

    // Edited with the key left blank.
    browser.click(&format!("{row} button.channel-edit"));
    browser.wait_js(
        "the form is filled from the row",
        "const f = document.querySelector('#channel-form');
         return f.getAttribute('data-mode') === 'edit'
             && document.querySelector('#ch-name').value === 'added in the console'
             && document.querySelector('#ch-priority').value === '3'
             && document.querySelector('#ch-key').value === '';",
        vec![],
    );
    browser.type_into("#ch-name", "edited in the console");
    browser.type_into("#ch-priority", "7");
    browser.type_into("#ch-weight", "5");
    browser.type_into("#ch-model-mapping", r#"{"chirp-v4": "chirp-v4-5"}"#);
    browser.click("#ch-submit");
    row_named(&browser, "edited in the console");
    browser.wait_js(
        "the form is back to adding",
        "return document.querySelector('#channel-form').getAttribute('data-mode') === 'add';",
        vec![],
    );
    let (status, body) = app.get(&format!("/api/channel/{id}"), &as_root());
    let channel = assert_ok(status, &body);
    assert_eq!(channel["name"], "edited in the console", "{channel}");
    assert_eq!(channel["priority"], 7, "{channel}");
    assert_eq!(channel["weight"], 5, "{channel}");
    assert!(
        channel["model_mapping"]
            .as_str()
            .unwrap_or_default()
            .contains("chirp-v4-5"),
        "{channel}"
    );
    // The stored key was kept: the relay's next job lands on this channel.
    let (status, body) = app.submit(&payer.key, "music", &json!({"prompt": "la"}));
    assert_eq!(status, 200, "{body}");
    assert!(fresh.stats().submit >= 1, "the edited channel took the job");
    browser.screenshot("edited");

    // The same page in Chinese.
    browser.set_value("select#lang", "zh-CN");
    browser.wait_js(
        "the auto-disabled badge in Chinese",
        "return document.querySelector(arguments[0] + ' td.col-status span.badge')?.textContent === '已被系统禁用';",
        vec![json!(refused_row)],
    );
    assert_eq!(
        browser
            .text(&format!("{row} button.channel-edit"))
            .as_deref(),
        Some("编辑")
    );
    browser.screenshot("zh");
}
