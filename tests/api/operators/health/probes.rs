//! The worker probes auto-disabled channels on the manual clock: not before
//! `--channel-probe-min-secs`, then with the wait doubling up to an hour; a
//! probe that works enables the channel with a log row. A channel disabled
//! by hand is never probed nor enabled.

use serde_json::json;

use super::{channel_log, payer, set_status, view};
use crate::kit::{Settings, TestApp, Upstream, spawn_app_with};
use crate::mock::Fault;

/// An app on the manual clock whose one channel a 401 just disabled.
fn disabled_by_a_401() -> (TestApp, Upstream) {
    let app = spawn_app_with(Settings::manual().channel_probe_min_secs(60));
    let up = app.upstream("main", 0);
    up.mock.set_fault(Fault::Http(401));
    let c = payer(&app);
    let (status, _) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
    assert_eq!(status, 502, "the only channel refused its key");
    assert_eq!(view(&app, &up)["status"], 3);
    (app, up)
}

/// When the worker probes the channel next, unix s.
fn probe_at(app: &TestApp, id: i64) -> i64 {
    app.db
        .scalar("SELECT probe_at FROM channels WHERE id = ?1", [id])
}

fn disabled_at(app: &TestApp, up: &Upstream) -> i64 {
    view(app, up)["disabled_at"].as_i64().expect("disabled_at")
}

#[test]
fn probes_wait_the_minimum_then_double_up_to_an_hour_and_a_working_one_re_enables() {
    let (app, up) = disabled_by_a_401();
    let disabled = disabled_at(&app, &up);
    assert_eq!(probe_at(&app, up.channel_id), disabled + 60);

    // Not before the minimum.
    app.move_to_ms((disabled + 59) * 1000);
    assert_eq!(app.pass().probes, 0);
    app.move_to_ms((disabled + 60) * 1000);
    assert_eq!(app.pass().probes, 1, "probed at the minimum");
    assert_eq!(view(&app, &up)["status"], 3, "the key is still refused");

    // Each failed probe doubles the wait, up to an hour.
    let mut waits = Vec::new();
    let mut last = disabled + 60;
    for _ in 0..7 {
        let next = probe_at(&app, up.channel_id);
        waits.push(next - last);
        app.move_to_ms((next - 1) * 1000);
        assert_eq!(app.pass().probes, 0, "not before the wait is over");
        app.move_to_ms(next * 1000);
        assert_eq!(app.pass().probes, 1);
        last = next;
    }
    assert_eq!(waits, [120, 240, 480, 960, 1920, 3600, 3600]);
    assert_eq!(view(&app, &up)["status"], 3);
    assert_eq!(
        channel_log(&app, up.channel_id).len(),
        1,
        "failed probes log nothing"
    );
    // The passes run on a context of their own: what they saw is in the
    // health they saved.
    let saved: Vec<String> = app.db.rows(
        "SELECT last_error FROM channel_health WHERE channel_id = ?1",
        [up.channel_id],
        |r| r.get(0),
    );
    assert!(saved[0].starts_with("probe: "), "{saved:?}");

    // The key works again: the next probe enables the channel.
    up.mock.set_fault(Fault::None);
    app.move_to_ms(probe_at(&app, up.channel_id) * 1000);
    let report = app.pass();
    assert_eq!((report.probes, report.channels_enabled), (1, 1));
    let enabled = view(&app, &up);
    assert_eq!(enabled["status"], 1, "{enabled}");
    assert_eq!(enabled["disabled_reason"], "", "{enabled}");
    let log = channel_log(&app, up.channel_id);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[1].contains("enabled again"), "{log:?}");
    app.advance_ms(7_200_000);
    assert_eq!(app.pass().probes, 0, "an enabled channel is not probed");
}

#[test]
fn a_channel_disabled_by_hand_is_never_probed_nor_enabled() {
    let (app, auto) = disabled_by_a_401();
    // An operator takes the auto-disabled channel out by hand.
    set_status(&app, auto.channel_id, 2);
    auto.mock.set_fault(Fault::None);
    let by_hand = app.upstream("by-hand", 0);
    set_status(&app, by_hand.channel_id, 2);

    for _ in 0..4 {
        app.advance_ms(3_600_000);
        assert_eq!(app.pass().probes, 0);
    }
    assert_eq!(view(&app, &auto)["status"], 2);
    assert_eq!(view(&app, &by_hand)["status"], 2);
    assert_eq!(auto.mock.stats().fetch, 0, "no probe reached the upstream");
}
