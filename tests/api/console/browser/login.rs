//! Logging in and out through the console's form, and changing the
//! password on the Account view.

use serde_json::json;

use super::{PASSWORD, logged_in, user_with_password};
use crate::kit::browser::Browser;
use crate::kit::{assert_error, assert_ok, spawn_app};

#[test]
fn a_wrong_password_is_refused_with_the_message_and_the_right_one_opens_the_tasks() {
    let app = spawn_app();
    user_with_password(&app, "alice", 1);
    let Some(browser) = Browser::start("login") else {
        return;
    };
    browser.open(&app, "");
    browser.wait_for("#login-form");
    assert_eq!(browser.text("main h1").as_deref(), Some("Log in"));
    assert_eq!(
        browser.js(
            "const n = document.querySelector('nav#nav');
             return !n || n.hidden || getComputedStyle(n).display === 'none';",
            vec![]
        ),
        json!(true),
        "no navigation before logging in"
    );

    browser.submit_login("alice", "not the password");
    browser.wait_js(
        "the refusal is shown",
        "const e = document.querySelector('#login-error');
         return !!e && e.textContent.includes('invalid username or password');",
        vec![],
    );
    assert_eq!(
        browser.js(
            "return document.querySelector('#login-error').getAttribute('role');",
            vec![]
        ),
        json!("alert")
    );
    assert!(browser.js("return location.hash;", vec![]) != json!("#/tasks"));
    assert_eq!(
        browser.cookie("taskcenter_session"),
        None,
        "no session on a refusal"
    );
    browser.screenshot("refused");

    browser.submit_login("alice", PASSWORD);
    browser.wait_js(
        "the tasks view after logging in",
        "return location.hash.startsWith('#/tasks')
             && document.querySelector('main h1')?.textContent === 'Tasks';",
        vec![],
    );
    assert_eq!(browser.text("#whoami").as_deref(), Some("alice"));
    browser.screenshot("accepted");
}

#[test]
fn logging_out_ends_the_session_the_browser_held() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice", 1);
    let Some(browser) = logged_in("logout", &app, "alice") else {
        return;
    };
    let session = browser
        .cookie("taskcenter_session")
        .expect("a session cookie");
    let held = vec![
        ("Cookie", format!("taskcenter_session={session}")),
        ("New-Api-User", alice.id.to_string()),
    ];
    let (status, body) = app.get("/api/user/self", &held);
    assert_eq!(assert_ok(status, &body)["username"], "alice");

    browser.click("#logout");
    browser.wait_for("#login-form");
    assert_eq!(
        browser.js("return localStorage.getItem('taskcenter.user_id');", vec![]),
        json!(null),
        "the stored id is cleared"
    );
    browser.screenshot("logged-out");
    let (status, body) = app.get("/api/user/self", &held);
    assert_error(status, &body, 401);
    // A reload stays on the login view.
    browser.open(&app, "#/tasks");
    browser.wait_for("#login-form");
}

#[test]
fn a_password_changed_on_the_account_view_ends_the_session_and_only_the_new_one_logs_in() {
    let app = spawn_app();
    let alice = user_with_password(&app, "alice", 1);
    let Some(browser) = logged_in("password", &app, "alice") else {
        return;
    };
    let session = browser
        .cookie("taskcenter_session")
        .expect("a session cookie");
    let held = vec![
        ("Cookie", format!("taskcenter_session={session}")),
        ("New-Api-User", alice.id.to_string()),
    ];
    browser.navigate("#/account");
    browser.wait_for("#pw-form");

    // A wrong current password changes nothing.
    browser.type_into("#pw-old", "not the password");
    browser.type_into("#pw-new", "a brand new passphrase");
    browser.click("#pw-submit");
    browser.wait_js(
        "the refusal in #pw-result",
        "return document.querySelector('#pw-result')?.textContent.includes('original_password is wrong');",
        vec![],
    );
    let (status, body) = app.get("/api/user/self", &held);
    assert_ok(status, &body);

    browser.type_into("#pw-old", PASSWORD);
    browser.type_into("#pw-new", "a brand new passphrase");
    browser.click("#pw-submit");
    browser.wait_js(
        "the change is confirmed",
        "return document.querySelector('#pw-result')?.textContent.includes('Password changed');",
        vec![],
    );
    browser.screenshot("changed");
    browser.wait_for("#login-form");
    let (status, body) = app.get("/api/user/self", &held);
    assert_error(status, &body, 401);

    browser.submit_login("alice", PASSWORD);
    browser.wait_js(
        "the old password is refused",
        "return document.querySelector('#login-error')?.textContent.includes('invalid username or password');",
        vec![],
    );
    browser.submit_login("alice", "a brand new passphrase");
    browser.wait_js(
        "the new password opens the tasks",
        "return location.hash.startsWith('#/tasks')
             && document.querySelector('#whoami')?.textContent.includes('alice');",
        vec![],
    );
    browser.screenshot("new-password");
}
