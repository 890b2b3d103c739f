//! A song and a video submitted through the API reach SUCCESS on the Tasks
//! page while it stays open (live refresh, no reload); the song's audio
//! plays and the video's content and poster come through taskcenter.

use std::time::Duration;

use serde_json::json;

use super::{badge_is, logged_in, world};
use crate::kit::suno_data;

#[test]
fn a_song_and_a_video_reach_success_live_and_their_media_loads() {
    let w = world(6_000, 0.0, 6_000);
    let alice = w.customer("alice");
    let (status, body) = w.app.submit(
        &alice.key,
        "music",
        &json!({"prompt": "[Verse]\nA tone at dawn", "title": "Dawn Tone", "tags": "ambient"}),
    );
    let song = suno_data(status, &body)
        .as_str()
        .expect("a task id")
        .to_string();
    let video = w
        .app
        .create_video_ok(&alice.key, &json!({"prompt": "waves at dawn"}));
    let video_id = video["id"].as_str().expect("a video id").to_string();

    let Some(browser) = logged_in("live", &w.app, "alice") else {
        return;
    };
    browser.wait_for(&format!("#tasks-table tr[data-task-id=\"{song}\"]"));
    browser.wait_for(&format!("#tasks-table tr[data-task-id=\"{video_id}\"]"));
    browser.js("window.__notReloaded = true; return true;", vec![]);
    assert_eq!(
        browser.js(
            "return document.querySelector('#tasks-table').getAttribute('data-live');",
            vec![]
        ),
        json!("1"),
        "polling while tasks are in flight"
    );
    browser.screenshot("in-flight");

    browser.wait_until("both tasks SUCCESS", Duration::from_secs(30), |b| {
        let done = |id: &str| {
            b.js(
                "const b = document.querySelector(
                     `#tasks-table tr[data-task-id=\"${arguments[0]}\"] span.badge`);
                 return !!b && b.getAttribute('data-status') === 'SUCCESS';",
                vec![json!(id)],
            ) == json!(true)
        };
        done(&song) && done(&video_id)
    });
    badge_is(&browser, &song, "SUCCESS");
    assert_eq!(
        browser.js("return window.__notReloaded === true;", vec![]),
        json!(true),
        "the page was never reloaded"
    );
    browser.wait_js(
        "polling stops once every task is final",
        "return document.querySelector('#tasks-table').getAttribute('data-live') === '0';",
        vec![],
    );
    assert_eq!(
        browser
            .text(&format!(
                "tr[data-task-id=\"{song}\"] td.col-status span.badge"
            ))
            .as_deref(),
        Some("SUCCESS")
    );

    // The song: both clips, each with a title, a cover and a player that
    // has the whole (mock) file.
    let clips = &w.app.task_self(&alice.headers, &song)["data"];
    let titles = browser.js(
        "const row = document.querySelector(`tr[data-task-id=\"${arguments[0]}\"]`);
         const detail = document.querySelector(`tr.detail[data-detail-for=\"${arguments[0]}\"]`);
         return [row, detail].filter(Boolean).map(r => r.textContent).join(' ')
             .split('Dawn Tone').length - 1;",
        vec![json!(song)],
    );
    assert_eq!(titles, json!(2), "each clip's title is shown");
    for clip in clips.as_array().expect("clips") {
        let clip_id = clip["id"].as_str().expect("a clip id");
        let selector = format!("audio[data-clip-id=\"{clip_id}\"]");
        browser.wait_for(&selector);
        let src = browser.js(
            "return document.querySelector(arguments[0]).getAttribute('src');",
            vec![json!(selector)],
        );
        assert_eq!(src, clip["audio_url"], "the clip's own audio");
        browser.wait_js(
            &format!("{selector} has enough data to play"),
            "const a = document.querySelector(arguments[0]);
             return a.readyState === 4 && a.controls;",
            vec![json!(selector)],
        );
    }
    let covers = browser.js(
        "return [...document.querySelectorAll('img')]
             .filter(i => i.complete && i.naturalWidth > 0).length;",
        vec![],
    );
    assert!(covers.as_u64() >= Some(2), "two covers shown: {covers}");

    // The video: served by taskcenter, never by the upstream.
    let content = format!("/api/task/self/{video_id}/content");
    let player = browser.js(
        "const v = document.querySelector('video.task-video');
         return v && {src: v.getAttribute('src'), poster: v.getAttribute('poster'),
                      controls: v.controls};",
        vec![],
    );
    assert_eq!(
        player,
        json!({"src": content, "poster": format!("{content}?variant=thumbnail"), "controls": true})
    );
    let got = browser.js_async(
        "const done = arguments[arguments.length - 1];
         fetch(arguments[0], {credentials: 'same-origin'})
           .then(async r => done({status: r.status, type: r.headers.get('content-type'),
                                  bytes: (await r.arrayBuffer()).byteLength}))
           .catch(e => done({status: 0, type: String(e)}));",
        vec![json!(content)],
    );
    assert_eq!(
        got["status"], 200,
        "the page's cookie fetches the video: {got}"
    );
    assert!(got["bytes"].as_u64() > Some(0), "{got}");
    browser.js(
        "const i = new Image(); i.id = 'poster-probe'; i.src = arguments[0];
         document.body.append(i); return true;",
        vec![json!(format!("{content}?variant=thumbnail"))],
    );
    browser.wait_js(
        "the poster decodes",
        "const i = document.getElementById('poster-probe');
         return i.complete && i.naturalWidth > 0;",
        vec![],
    );
    browser.js(
        "document.getElementById('poster-probe').remove(); return true;",
        vec![],
    );
    browser.screenshot("finished");
}
