//! N failures in a row (5xx, no answer) make a channel unhealthy, not
//! disabled: submissions try the healthy channels first and the unhealthy
//! one only after them; one working call heals it.

use serde_json::json;

use super::{channel_log, payer, submit_ok, view};
use crate::kit::{Settings, spawn_app_with};
use crate::mock::Fault;

#[test]
fn three_5xx_in_a_row_make_a_channel_unhealthy_until_one_call_works() {
    // The default --channel-unhealthy-after is 3.
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    let c = payer(&app);
    first.mock.set_fault(Fault::Http(500));

    for n in 1..=3 {
        assert_eq!(submit_ok(&app, &c), second.channel_id, "submit {n}");
        let shown = view(&app, &first);
        assert_eq!(shown["consecutive_failures"], n, "{shown}");
        assert_eq!(shown["healthy"], n < 3, "after {n} failures: {shown}");
    }
    assert_eq!(first.mock.stats().submit, 3);
    let unhealthy = view(&app, &first);
    assert_eq!(
        unhealthy["status"], 1,
        "unhealthy is not disabled: {unhealthy}"
    );
    assert!(
        unhealthy["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("500"),
        "{unhealthy}"
    );
    assert!(channel_log(&app, first.channel_id).is_empty());

    // Unhealthy: the lower-priority healthy channel is tried first.
    first.mock.set_fault(Fault::None);
    for _ in 0..3 {
        assert_eq!(submit_ok(&app, &c), second.channel_id);
    }
    assert_eq!(
        first.mock.stats().submit,
        3,
        "never tried while another works"
    );

    // The healthy one fails once: the unhealthy one is tried after it,
    // works, and is healthy again.
    second.mock.fail_next(1, Fault::Http(503));
    assert_eq!(submit_ok(&app, &c), first.channel_id);
    let healed = view(&app, &first);
    assert_eq!(healed["healthy"], true, "{healed}");
    assert_eq!(healed["consecutive_failures"], 0, "{healed}");
    assert_eq!(submit_ok(&app, &c), first.channel_id, "first again");
}

#[test]
fn the_threshold_is_a_setting_and_an_unanswered_call_counts() {
    let app = spawn_app_with(Settings::relay().channel_unhealthy_after(1));
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    let c = payer(&app);
    first.mock.fail_next(1, Fault::Disconnect);
    assert_eq!(submit_ok(&app, &c), second.channel_id);
    let shown = view(&app, &first);
    assert_eq!(shown["healthy"], false, "{shown}");
    assert!(
        shown["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("unreachable"),
        "{shown}"
    );
    assert_eq!(submit_ok(&app, &c), second.channel_id);
    let (status, _) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    assert_eq!(status, 200);
}
