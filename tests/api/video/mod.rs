//! The video platform (`/v1/videos`) through the real server against the
//! OpenAI video mock: create, poll, download, failures and refunds, errors
//! in OpenAI's body, and that no upstream id or channel key leaks; a
//! channel's model mapping; the same through a real OpenAI client (`sdk/`).

mod collection;
mod content;
mod create;
mod errors;
mod mapping;
mod memory;
mod polling;
mod sdk;

use crate::kit::video::{VideoUpstream, spawn_video_app, video_mock};
use crate::kit::{Customer, Settings, TestApp};

/// An app with a video channel whose mock never finishes a video on its
/// own (tests force statuses), worker passes by hand, and alice with
/// `quota`.
fn alice_with_video_channel(quota: i64) -> (TestApp, VideoUpstream, Customer) {
    let (app, up) = spawn_video_app(Settings::manual(), video_mock(3_600_000, 0.0));
    let alice = app.customer("alice", quota);
    (app, up, alice)
}
