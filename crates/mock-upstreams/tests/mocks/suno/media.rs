//! `serve_media`: finished songs point at the mock's own WAV and JPEG, which it serves whole
//! or by byte range; off by default, where the URLs stay Suno's CDN's.

use mock_upstreams::MockConfig;

use super::support::{SunoCalls, mock, mock_with};
use crate::common::Client;

#[test]
fn with_serve_media_a_finished_clip_plays_from_the_mock_itself() {
    let mock = mock_with(MockConfig {
        music_duration_ms: 0,
        serve_media: true,
        ..MockConfig::default()
    });
    let client = Client::new(&mock);
    let id = client.submit_music("a tone");
    let task = &client.fetch(&[&id])[0];
    assert_eq!(task["status"], "SUCCESS", "{task}");
    let clip = &task["data"][0];
    let clip_id = clip["id"].as_str().expect("a clip id");
    let audio = clip["audio_url"].as_str().expect("an audio url");
    assert_eq!(audio, format!("{}/media/{clip_id}.wav", mock.base_url()));
    let image = clip["image_url"].as_str().expect("an image url");
    assert_eq!(image, format!("{}/media/{clip_id}.jpeg", mock.base_url()));

    // No secret needed, as on Suno's CDN.
    let anyone = Client::with_secret(&mock, None);
    let path = audio.trim_start_matches(&mock.base_url());
    let whole = anyone.get(path).expect("the audio");
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("content-type"), Some("audio/wav"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    let len = whole.bytes.len();
    assert_eq!(
        whole.header("content-length"),
        Some(len.to_string().as_str())
    );
    assert_eq!(&whole.bytes[0..4], b"RIFF");
    assert_eq!(&whole.bytes[8..12], b"WAVE");

    let part = anyone
        .get_with(path, &[("Range", "bytes=4-11")])
        .expect("a range");
    assert_eq!(part.status, 206);
    assert_eq!(part.bytes, whole.bytes[4..12]);
    let range = format!("bytes 4-11/{len}");
    assert_eq!(part.header("content-range"), Some(range.as_str()));

    let cover = anyone
        .get(image.trim_start_matches(&mock.base_url()))
        .expect("the cover");
    assert_eq!(cover.status, 200);
    assert_eq!(cover.header("content-type"), Some("image/jpeg"));
    assert_eq!(&cover.bytes[0..2], b"\xff\xd8", "a JPEG starts with SOI");
    assert_eq!(
        anyone.get("/media/x.mp3").expect("an unknown file").status,
        404
    );
}

#[test]
fn by_default_finished_clips_point_at_suno_s_cdn() {
    let mock = mock(0);
    let client = Client::new(&mock);
    let id = client.submit_music("a tone");
    let clip = &client.fetch(&[&id])[0]["data"][0];
    let clip_id = clip["id"].as_str().expect("a clip id");
    assert_eq!(
        clip["audio_url"],
        format!("https://cdn1.suno.ai/{clip_id}.mp3")
    );
    assert_eq!(
        clip["image_url"],
        format!("https://cdn2.suno.ai/image_{clip_id}.jpeg")
    );
}
