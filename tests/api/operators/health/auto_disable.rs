//! A refused key or balance (401, 402, 403) disables the channel at once:
//! status 3, reason and time on it, exactly one log row however many
//! submissions see it, and the jobs land on another channel.

use std::sync::Barrier;

use serde_json::json;

use super::{channel_log, payer, set_status, submit_ok, view};
use crate::kit::{Settings, spawn_app_with};
use crate::mock::Fault;

#[test]
fn a_401_on_submit_disables_the_channel_once_under_concurrent_submits_and_the_jobs_land_elsewhere()
{
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    first.mock.set_fault(Fault::Http(401));
    let c = payer(&app);

    let barrier = Barrier::new(16);
    let channels: Vec<i64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    submit_ok(&app, &c)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    assert!(
        channels.iter().all(|id| *id == second.channel_id),
        "every job on the second channel: {channels:?}"
    );
    assert!(first.mock.stats().submit >= 1);
    let disabled = view(&app, &first);
    assert_eq!(disabled["status"], 3, "{disabled}");
    let reason = disabled["disabled_reason"].as_str().unwrap_or_default();
    assert!(reason.contains("401"), "{disabled}");
    assert!(disabled["disabled_at"].as_i64().is_some(), "{disabled}");
    let log = channel_log(&app, first.channel_id);
    assert_eq!(log.len(), 1, "one log row: {log:?}");
    assert!(
        log[0].contains(&format!("#{}", first.channel_id)) && log[0].contains("401"),
        "names the channel and the reason: {log:?}"
    );

    // A disabled channel is never picked again.
    let before = first.mock.stats().submit;
    assert_eq!(submit_ok(&app, &c), second.channel_id);
    assert_eq!(first.mock.stats().submit, before);
}

#[test]
fn a_402_or_a_403_disables_the_channel_too_and_the_job_still_succeeds() {
    for code in [402, 403] {
        let app = spawn_app_with(Settings::relay());
        let first = app.upstream("first", 10);
        let second = app.upstream("second", 0);
        first.mock.set_fault(Fault::Http(code));
        let c = payer(&app);
        assert_eq!(submit_ok(&app, &c), second.channel_id, "HTTP {code}");
        let disabled = view(&app, &first);
        assert_eq!(disabled["status"], 3, "HTTP {code}: {disabled}");
        assert!(
            disabled["disabled_reason"]
                .as_str()
                .unwrap_or_default()
                .contains(&code.to_string()),
            "{disabled}"
        );
        assert_eq!(channel_log(&app, first.channel_id).len(), 1, "HTTP {code}");
        assert_eq!(view(&app, &second)["status"], 1);
    }
}

#[test]
fn a_500_or_a_400_never_disables_a_channel() {
    let app = spawn_app_with(Settings::relay());
    let only = app.upstream("only", 0);
    let c = payer(&app);
    for fault in [Fault::Http(500), Fault::Http(400)] {
        only.mock.fail_next(1, fault);
        let (status, _) = app.submit(&c.key, "music", &json!({"prompt": "la"}));
        assert_ne!(status, 200);
    }
    assert_eq!(view(&app, &only)["status"], 1);
    assert!(channel_log(&app, only.channel_id).is_empty());
}

#[test]
fn an_admin_re_enabling_an_auto_disabled_channel_writes_a_log_row_and_clears_the_reason() {
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let second = app.upstream("second", 0);
    first.mock.fail_next(1, Fault::Http(401));
    let c = payer(&app);
    assert_eq!(submit_ok(&app, &c), second.channel_id);
    assert_eq!(view(&app, &first)["status"], 3);

    let enabled = set_status(&app, first.channel_id, 1);
    assert_eq!(enabled["status"], 1, "{enabled}");
    assert_eq!(enabled["disabled_reason"], "", "{enabled}");
    assert!(enabled["disabled_at"].is_null(), "{enabled}");
    let log = channel_log(&app, first.channel_id);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[1].contains("enabled by root"), "{log:?}");
    // Picked again (it has the higher priority).
    assert_eq!(submit_ok(&app, &c), first.channel_id);

    // Status 3 is the server's to set, never an admin's.
    let (code, body) = app.put(
        "/api/channel/",
        &crate::kit::as_root(),
        &json!({"id": first.channel_id, "status": 3}),
    );
    crate::kit::assert_error(code, &body, 400);
}

#[test]
fn the_cli_re_enables_an_auto_disabled_channel_with_a_log_row() {
    let app = spawn_app_with(Settings::relay());
    let first = app.upstream("first", 10);
    let _second = app.upstream("second", 0);
    first.mock.fail_next(1, Fault::Http(403));
    let c = payer(&app);
    submit_ok(&app, &c);
    assert_eq!(view(&app, &first)["status"], 3);
    let db = crate::kit::process::path_str(app.db_path());
    let out = crate::kit::process::cli_json(&[
        "channel",
        "enable",
        "--db",
        db,
        "--id",
        &first.channel_id.to_string(),
    ]);
    assert_eq!(out["status"], 1, "{out}");
    let log = channel_log(&app, first.channel_id);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[1].contains("enabled by taskcenter CLI"), "{log:?}");
}
