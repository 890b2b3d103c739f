//! The worker's fetches count like submissions: a 5xx is a failure in the
//! saved health, a refused key disables the channel (one log row), and
//! the tasks wait for it instead of failing.

use super::{channel_log, view};
use crate::kit::{Settings, mock, spawn_payer_app};
use crate::mock::Fault;

/// The saved `(consecutive_failures, last_error)` of channel `id`.
fn saved(app: &crate::kit::TestApp, id: i64) -> (i64, String) {
    app.db.rows(
        "SELECT consecutive_failures, last_error FROM channel_health WHERE channel_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )[0]
    .clone()
}

#[test]
fn a_failed_fetch_is_counted_and_a_refused_key_on_a_fetch_disables_the_channel() {
    let (app, up, payer) = spawn_payer_app(Settings::manual(), mock());
    let task = app.submit_tracked(&payer.key);

    up.mock.set_fault(Fault::Http(502));
    let report = app.pass_when_due();
    assert_eq!(report.request_failures, 1, "{report:?}");
    let (failures, error) = saved(&app, up.channel_id);
    assert_eq!(failures, 1);
    assert!(error.contains("502"), "{error}");
    assert_eq!(view(&app, &up)["status"], 1, "a 5xx disables nothing");

    up.mock.set_fault(Fault::Http(401));
    assert_eq!(app.pass_when_due().request_failures, 1);
    assert_eq!(view(&app, &up)["status"], 3);
    assert_eq!(channel_log(&app, up.channel_id).len(), 1);
    assert_eq!(saved(&app, up.channel_id).0, 2);
    assert_eq!(
        app.db.task(&task.task_id).status,
        "SUBMITTED",
        "the task waits for its channel"
    );

    // The key works again: the worker's next fetch succeeds and heals the count.
    up.mock.set_fault(Fault::None);
    assert_eq!(app.pass_when_due().request_failures, 0);
    assert_eq!(saved(&app, up.channel_id).0, 0);
}
