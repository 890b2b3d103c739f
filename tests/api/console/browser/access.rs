//! Who sees the admin pages: a common user has no admin menu and the API
//! refuses their session on admin routes; an admin tops a user up in the
//! Admin view and the user's balance follows.

use serde_json::json;

use super::{START_QUOTA, logged_in, user_with_password};
use crate::kit::{as_root, assert_ok, spawn_app};

#[test]
fn a_user_never_sees_the_admin_menu_and_their_session_gets_403_on_admin_routes() {
    let app = spawn_app();
    user_with_password(&app, "alice", 1);
    let Some(browser) = logged_in("user-access", &app, "alice") else {
        return;
    };
    assert_eq!(browser.count("#nav-tasks"), 1);
    assert_eq!(browser.count("#nav-admin"), 0, "no admin link in the DOM");
    for path in ["/api/user/", "/api/channel/", "/api/option/", "/api/user/1"] {
        let answer = browser.fetch_as_console("GET", path);
        assert_eq!(answer["status"], 403, "{path}: {answer}");
    }
    // The user's own routes work with the same session.
    assert_eq!(
        browser.fetch_as_console("GET", "/api/user/self")["status"],
        200
    );
    browser.navigate("#/admin");
    browser.wait_js(
        "the refusal is shown",
        "const e = document.querySelector('#view-error');
         return !!e && e.getAttribute('role') === 'alert' && e.textContent.trim() !== '';",
        vec![],
    );
    assert_eq!(browser.count("#users-table"), 0);
    browser.screenshot("admin-refused");
}

#[test]
fn an_admin_tops_a_user_up_and_the_user_sees_the_new_balance() {
    let app = spawn_app();
    let bob = user_with_password(&app, "bob", 1);
    user_with_password(&app, "admin", 10);
    let Some(admin) = logged_in("topup", &app, "admin") else {
        return;
    };
    admin.wait_for("#nav-admin");
    admin.click("#nav-admin");
    let row = format!("#users-table tr[data-user-id=\"{}\"]", bob.id);
    admin.wait_for(&row);
    assert_eq!(
        admin.text(&format!("{row} td.col-quota")),
        Some(START_QUOTA.to_string())
    );
    admin.click(&format!("{row} button.user-topup"));
    admin.wait_for("#topup-form");
    admin.type_into("#topup-amount", "250000");
    admin.type_into("#topup-reason", "support ticket 42");
    admin.click("#topup-submit");
    let topped = (START_QUOTA + 250_000).to_string();
    admin.wait_js(
        "the row shows the new quota",
        "return document.querySelector(arguments[0])?.textContent.trim() === arguments[1];",
        vec![json!(format!("{row} td.col-quota")), json!(topped)],
    );
    admin.screenshot("admin");

    let (status, body) = app.get(&format!("/api/user/{}", bob.id), &as_root());
    assert_eq!(assert_ok(status, &body)["quota"], START_QUOTA + 250_000);
    drop(admin);

    let Some(user) = logged_in("topup-user", &app, "bob") else {
        return;
    };
    user.navigate("#/account");
    user.wait_js(
        "bob's balance",
        "return document.querySelector('#balance')?.textContent.trim() === arguments[0];",
        vec![json!(topped)],
    );
    assert_eq!(user.text("#balance-usd").as_deref(), Some("$2.50"));
    user.wait_js(
        "the top-up in the usage log",
        "return [...document.querySelectorAll('#log-table tbody tr[data-log-type]')]
             .some(r => r.querySelector('td.col-quota').textContent.trim() === '250000');",
        vec![],
    );
    user.screenshot("user-account");
}
