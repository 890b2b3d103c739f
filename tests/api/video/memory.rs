//! A 50 MB video through the compiled binary: the download is streamed,
//! so the server's memory does not grow by the video's size, and every
//! byte arrives as the upstream sent it.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::kit::http::{agent, bearer};
use crate::kit::process::{ServerProcess, cli_on};
use crate::kit::upstream::unique_secret;
use crate::mock::video::{Variant, VideoMock, VideoMockConfig};

const ROOT: &str = "memory-root-token-0123456789abcdef";
/// The video's length: 50 MiB.
const VIDEO_BYTES: usize = 50 * 1024 * 1024;
/// How much the server's resident memory may grow while it passes the
/// video on: a fifth of the video, far below what buffering would cost.
const MAX_GROWTH_KIB: u64 = 10 * 1024;

/// `VmRSS` of `pid` in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line")
}

/// FNV-1a over `bytes`, continuing from `hash`.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    hash
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

#[test]
#[ignore = "long: a 50 MB download through the compiled binary (CI runs it)"]
fn a_50_mb_video_streams_through_the_binary_without_growing_its_memory() {
    let mock = VideoMock::start(
        "127.0.0.1:0",
        VideoMockConfig {
            secret: unique_secret("memory-video"),
            video_bytes: VIDEO_BYTES,
            ..VideoMockConfig::default().lasting(0)
        },
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("memory.db");
    let user = cli_on(
        &db,
        &["user", "add", "--username", "viewer", "--quota", "1000000"],
    );
    let user_id = user["id"].as_i64().expect("the user's id").to_string();
    let key = cli_on(
        &db,
        &[
            "token",
            "add",
            "--user-id",
            &user_id,
            "--name",
            "v",
            "--unlimited",
        ],
    )["key"]
        .as_str()
        .expect("the key")
        .to_string();
    let base_url = mock.base_url();
    let channel = [
        "channel",
        "add",
        "--type",
        "sora",
        "--base-url",
        &base_url,
        "--key",
    ];
    cli_on(
        &db,
        &[&channel[..], &[mock.secret(), "--models", "sora-2"]].concat(),
    );
    let server = ServerProcess::start(&db, ROOT, &["--poll-interval-ms", "100"]);
    let pid = server.child.id();

    let (status, video) = server.request(
        "POST",
        "/v1/videos",
        &bearer(&key),
        Some(&json!({"prompt": "a long take"})),
    );
    assert_eq!(status, 200, "{video}");
    let id = video["id"].as_str().expect("the video's id").to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, now) = server.request("GET", &format!("/v1/videos/{id}"), &bearer(&key), None);
        if now["status"] == "completed" {
            break;
        }
        assert!(Instant::now() < deadline, "never completed: {now}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let upstream_id = mock.created()[0].id.clone();
    let expected = mock
        .content_bytes(&upstream_id, Variant::Video)
        .expect("the mock's bytes");
    assert_eq!(expected.len(), VIDEO_BYTES);

    let client = agent(Duration::from_secs(120));
    let url = server.url(&format!("/v1/videos/{id}/content"));
    let auth = format!("Bearer {key}");
    // A small range first, so the download path's one-time allocations
    // (connection, threads) are in the baseline.
    let mut warm = client
        .get(&url)
        .header("Authorization", &auth)
        .header("Range", "bytes=0-1023")
        .call()
        .expect("a range");
    assert_eq!(warm.status().as_u16(), 206);
    assert_eq!(
        warm.body_mut().read_to_vec().expect("bytes"),
        &expected[..1024]
    );

    let baseline = rss_kib(pid);
    let peak = AtomicU64::new(baseline);
    let done = AtomicBool::new(false);
    let (length, checksum) = std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let response = client
            .get(&url)
            .header("Authorization", &auth)
            .call()
            .expect("the download");
        assert_eq!(response.status().as_u16(), 200);
        let mut body = response.into_body().into_reader();
        let (mut length, mut checksum) = (0usize, FNV_START);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = body.read(&mut buf).expect("the body reads to its end");
            if n == 0 {
                break;
            }
            length += n;
            checksum = fnv1a(checksum, &buf[..n]);
        }
        done.store(true, Ordering::Relaxed);
        (length, checksum)
    });
    assert_eq!(length, VIDEO_BYTES, "the whole video arrived");
    assert_eq!(
        checksum,
        fnv1a(FNV_START, &expected),
        "the bytes are the upstream's"
    );
    let growth = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    assert!(
        growth < MAX_GROWTH_KIB,
        "the server's RSS grew by {growth} KiB (from {baseline} KiB) passing a {VIDEO_BYTES}-byte video on"
    );
}
