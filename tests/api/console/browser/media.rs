//! Media: a finished song's `audio_url` is a file Chromium can play and
//! its cover one it can decode (the kit and the mock on their own, no
//! console page); finished lyrics show their text on the Tasks page.

use std::time::Duration;

use serde_json::json;

use super::{logged_in, world};
use crate::kit::accepted_task_id;
use crate::kit::browser::Browser;

#[test]
fn chromium_plays_a_finished_song_s_audio_and_shows_its_cover() {
    let w = world(0, 0.0, 0);
    let alice = w.customer("alice");
    let task_id = w.app.submit_music(&alice.key, "a short tone");
    let task = w
        .app
        .wait_until_final(&alice.headers, &task_id, Duration::from_secs(10));
    assert_eq!(task["status"], "SUCCESS", "{task}");
    let clip = &task["data"][0];
    let audio = clip["audio_url"].as_str().expect("an audio url");
    let cover = clip["image_url"].as_str().expect("a cover url");
    assert!(audio.starts_with(&w.suno.mock.base_url()), "{audio}");

    let Some(browser) = Browser::start("media") else {
        return;
    };
    // A page of some http origin: media on `about:blank` is refused.
    browser.goto(&format!("{}/api/status", w.app.base_url()));
    browser.js(
        "const a = document.createElement('audio');
         a.id = 'a'; a.controls = true; a.preload = 'auto'; a.src = arguments[0];
         const i = document.createElement('img');
         i.id = 'i'; i.src = arguments[1];
         document.body.append(a, i);
         return true;",
        vec![json!(audio), json!(cover)],
    );
    browser.wait_js(
        "the audio has enough data to play (readyState 4)",
        "return document.getElementById('a').readyState === 4;",
        vec![],
    );
    let duration = browser.js("return document.getElementById('a').duration;", vec![]);
    let secs = duration.as_f64().expect("a duration");
    assert!(
        (secs - 1.0).abs() < 0.05,
        "the mock's WAV lasts 1 s: {secs}"
    );
    browser.wait_js(
        "the cover is decoded",
        "const i = document.getElementById('i');
         return i.complete && i.naturalWidth > 0;",
        vec![],
    );
    browser.screenshot("audio");
}

#[test]
fn finished_lyrics_show_their_text_on_the_tasks_page() {
    let w = world(0, 0.0, 0);
    let alice = w.customer("alice");
    let (status, body) = w.app.submit(
        &alice.key,
        "lyrics",
        &json!({"prompt": "the harbour lights"}),
    );
    let task_id = accepted_task_id(status, &body);
    let task = w
        .app
        .wait_until_final(&alice.headers, &task_id, Duration::from_secs(10));
    assert_eq!(task["status"], "SUCCESS", "{task}");
    let text = task["data"]["text"].as_str().expect("the lyrics' text");
    assert!(text.contains("the harbour lights"), "{text}");

    let Some(browser) = logged_in("lyrics", &w.app, "alice") else {
        return;
    };
    browser.wait_js(
        "the lyrics as text",
        "const p = document.querySelector(
             `tr[data-task-id=\"${arguments[0]}\"] pre.lyrics, tr.detail[data-detail-for=\"${arguments[0]}\"] pre.lyrics`);
         return !!p && p.textContent === arguments[1];",
        vec![json!(task_id), json!(text)],
    );
    assert_eq!(
        browser.count("#tasks-table audio"),
        0,
        "lyrics have no audio"
    );
    browser.screenshot("lyrics");
}
