//! Downloads: the renditions' bytes and types, byte ranges, the upstream header, large
//! bodies.

use mock_upstreams::VideoMockConfig;
use mock_upstreams::video::{UPSTREAM_REQUEST_ID_HEADER, Variant, VideoStatus};

use super::support::{VideoCalls, assert_invalid, completed_video, mock, mock_with};
use crate::common::{Client, with_client};

#[test]
fn content_is_404_until_completed_then_the_exact_mp4() {
    let (mock, client) = with_client(mock(60_000));
    let id = client.create_id("a lighthouse");
    let early = client
        .get(&format!("/v1/videos/{id}/content"))
        .expect("content");
    assert_eq!(early.status, 404, "{early:?}");
    assert_eq!(early.json["error"]["type"], "invalid_request_error");

    assert!(mock.set_status(&id, VideoStatus::Completed));
    let video = client
        .get(&format!("/v1/videos/{id}/content"))
        .expect("content");
    assert_eq!(video.status, 200);
    assert_eq!(video.header("content-type"), Some("video/mp4"));
    assert_eq!(video.header("accept-ranges"), Some("bytes"));
    let expected = mock
        .content_bytes(&id, Variant::Video)
        .expect("known video");
    assert_eq!(expected.len(), 4 * 1024, "a few KB by default");
    assert_eq!(video.header("content-length"), Some("4096"));
    assert!(video.bytes == expected, "the download is the mock's bytes");
    assert_eq!(&video.bytes[4..8], b"ftyp");
    assert_eq!(&video.bytes[36..40], b"mdat");
    let request_id = video
        .header(UPSTREAM_REQUEST_ID_HEADER)
        .expect("request id");
    assert!(request_id.starts_with("req_"), "{request_id}");
    let stats = mock.stats();
    assert_eq!((stats.contents, stats.bytes_served), (2, 4096));
}

#[test]
fn ranges_answer_206_with_content_range_or_416() {
    let (mock, client) = with_client(mock(60_000));
    let id = completed_video(&mock, &client);
    let whole = mock.content_bytes(&id, Variant::Video).expect("known");
    let path = format!("/v1/videos/{id}/content?variant=video");
    for (range, start, end) in [
        ("bytes=100-199", 100, 200),
        ("bytes=4000-", 4000, 4096),
        ("bytes=-96", 4000, 4096),
    ] {
        let part = client.get_with(&path, &[("Range", range)]).expect("range");
        assert_eq!(part.status, 206, "{range}");
        let expected = format!("bytes {start}-{}/4096", end - 1);
        assert_eq!(
            part.header("content-range"),
            Some(expected.as_str()),
            "{range}"
        );
        assert_eq!(
            part.header("content-length"),
            Some((end - start).to_string().as_str())
        );
        assert!(part.bytes == whole[start..end], "{range}");
    }
    let past = client
        .get_with(&path, &[("Range", "bytes=5000-")])
        .expect("range");
    assert_eq!(
        (past.status, past.header("content-range")),
        (416, Some("bytes */4096"))
    );
    let ignored = client
        .get_with(&path, &[("Range", "bytes=0-1,5-6")])
        .expect("range");
    assert_eq!((ignored.status, ignored.bytes.len()), (200, 4096));
}

#[test]
fn thumbnails_and_spritesheets_are_jpegs_naming_their_video() {
    let (mock, client) = with_client(mock(60_000));
    let id = completed_video(&mock, &client);
    for (variant, name) in [
        (Variant::Thumbnail, "thumbnail"),
        (Variant::Spritesheet, "spritesheet"),
    ] {
        let image = client
            .get(&format!("/v1/videos/{id}/content?variant={name}"))
            .expect("image");
        assert_eq!(
            (image.status, image.header("content-type")),
            (200, Some("image/jpeg"))
        );
        assert_eq!(
            &image.bytes[..3],
            &[0xFF, 0xD8, 0xFF],
            "JPEG start of image"
        );
        assert_eq!(&image.bytes[image.bytes.len() - 2..], &[0xFF, 0xD9]);
        let named = image.bytes.windows(id.len()).any(|w| w == id.as_bytes());
        assert!(named, "the comment names {id}");
        assert_eq!(Some(image.bytes), mock.content_bytes(&id, variant));
    }
    let bad = client
        .get(&format!("/v1/videos/{id}/content?variant=poster"))
        .expect("bad variant");
    assert_invalid(&bad, "variant");
}

#[test]
fn a_large_video_streams_whole_and_two_videos_differ() {
    let size = 24 * 1024 * 1024;
    let mock = mock_with(VideoMockConfig {
        video_bytes: size,
        ..VideoMockConfig::default().lasting(0)
    });
    let client = Client::new(&mock);
    let (first, second) = (client.create_id("one"), client.create_id("two"));
    let download = client
        .get(&format!("/v1/videos/{first}/content"))
        .expect("download");
    assert_eq!(download.status, 200);
    assert_eq!(download.bytes.len(), size);
    let expected = mock.content_bytes(&first, Variant::Video).expect("known");
    assert!(
        download.bytes == expected,
        "the streamed body is the mock's bytes"
    );
    let other = client
        .get_with(
            &format!("/v1/videos/{second}/content"),
            &[("Range", "bytes=1000-1999")],
        )
        .expect("range");
    assert!(
        other.bytes != expected[1000..2000],
        "each video has its own bytes"
    );
    assert_eq!(mock.stats().bytes_served, size as u64 + 1000);
}
