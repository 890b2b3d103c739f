//! The polling worker against the Suno simulator: status mapping, exactly-once
//! refunds (upstream failure, timeout, orphan, deleted channel, concurrent
//! passes), backoff on a failing upstream, and the server's own worker thread.
//!
//! Passes are driven by hand on the app's manual clock (`kit::worker`);
//! each test places the clock on both sides of the horizon it checks.

mod answers;
mod backoff;
mod concurrency;
mod settlement;

use serde_json::Value;

/// Longer than the largest backoff (32 poll intervals plus 25% jitter).
const PAST_ANY_BACKOFF_MS: i64 = 60_000;

/// Asserts the shape of a finished music task as a client sees it.
fn assert_succeeded_with_two_clips(view: &Value) {
    assert_eq!(view["status"], "SUCCESS", "{view}");
    assert_eq!(view["progress"], "100%", "{view}");
    assert_eq!(view["fail_reason"], "", "{view}");
    let finish = view["finish_time"].as_i64().expect("finish_time");
    assert!(finish > 0, "finish_time is set: {view}");
    assert!(
        finish >= view["submit_time"].as_i64().expect("submit_time"),
        "finished after submission: {view}"
    );
    let clips = view["data"].as_array().expect("data is the list of clips");
    assert_eq!(clips.len(), 2, "a music job makes two clips: {view}");
    for clip in clips {
        assert_eq!(clip["status"], "complete", "{clip}");
        let audio = clip["audio_url"].as_str().expect("audio_url");
        assert!(audio.ends_with(".mp3"), "the final audio: {clip}");
    }
}
