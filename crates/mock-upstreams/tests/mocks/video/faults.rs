//! Faults as a client sees them, switched from Rust and over `/mock/...`, and the latency
//! knob.

use std::time::{Duration, Instant};

use mock_upstreams::video::VideoStatus;
use mock_upstreams::{Fault, HUGE_BODY_BYTES, VideoMockConfig};

use super::support::{VideoCalls, completed_video, mock, mock_with};
use crate::common::{Client, assert_disconnects_once, assert_fail_next_wears_off, with_client};

#[test]
fn http_faults_answer_openai_errors_and_create_nothing() {
    let (mock, client) = with_client(mock(0));
    mock.set_fault(Fault::Http(500));
    let broken = client
        .post("/v1/videos", r#"{"prompt":"la"}"#)
        .expect("create");
    assert_eq!(broken.status, 500);
    assert_eq!(broken.json["error"]["type"], "server_error");
    assert_eq!(
        broken.json["error"]["message"],
        "mock_video fault: 500 Internal Server Error"
    );
    mock.set_fault(Fault::Http(429));
    let limited = client.get("/v1/videos").expect("list");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json["error"]["code"], "rate_limit_exceeded");
    let stats = mock.stats();
    assert_eq!((stats.creates, stats.faulted, stats.videos), (1, 2, 0));
    assert!(
        mock.created().is_empty(),
        "a faulted create never reaches the handler"
    );
}

#[test]
fn fail_next_wears_off_into_the_standing_fault() {
    let (mock, client) = with_client(mock(0));
    assert_fail_next_wears_off(&mock, &client, "/v1/videos");
}

#[test]
fn a_stall_delays_the_answer_and_latency_delays_every_route() {
    let (mock, client) = with_client(mock(0));
    mock.fail_next(1, Fault::Stall(300));
    let started = Instant::now();
    let id = client.create_id("slow");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(mock.status_of(&id), Some(VideoStatus::Completed));

    let slow = mock_with(VideoMockConfig {
        latency_ms: 50,
        ..VideoMockConfig::default().lasting(0)
    });
    let client = Client::new(&slow);
    let started = Instant::now();
    let id = client.create_id("x");
    client.retrieve(&id);
    client
        .get(&format!("/v1/videos/{id}/content"))
        .expect("content");
    client
        .get("/mock/stats")
        .expect("control routes have no latency");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_retrieve_latency_delays_only_retrieves() {
    let mock = mock_with(VideoMockConfig {
        retrieve_latency_ms: 1_000,
        ..VideoMockConfig::default().lasting(0)
    });
    let client = Client::new(&mock);
    let started = Instant::now();
    let id = client.create_id("quick to create");
    client
        .get(&format!("/v1/videos/{id}/content"))
        .expect("content");
    let unpolled = started.elapsed();
    assert!(
        unpolled < Duration::from_millis(1_000),
        "create and content answer at once: {unpolled:?}"
    );
    let started = Instant::now();
    assert_eq!(client.retrieve(&id)["status"], "completed");
    let polled = started.elapsed();
    assert!(
        polled >= Duration::from_millis(1_000),
        "a retrieve waits its latency: {polled:?}"
    );
}

#[test]
fn malformed_json_truncates_json_and_cuts_downloads_short() {
    let (mock, client) = with_client(mock(0));
    let id = completed_video(&mock, &client);
    mock.set_fault(Fault::MalformedJson);
    let reply = client.get(&format!("/v1/videos/{id}")).expect("retrieve");
    assert_eq!(reply.status, 200);
    assert!(reply.bytes.starts_with(br#"{"id":"video_"#));
    assert!(
        reply.json.is_null(),
        "not JSON: {:?}",
        String::from_utf8_lossy(&reply.bytes)
    );
    let cut = client.get(&format!("/v1/videos/{id}/content"));
    assert!(cut.is_err(), "a download cut short fails: {cut:?}");
    assert_eq!(mock.stats().bytes_served, 2048, "half of the 4 KB");
}

#[test]
fn disconnect_closes_the_connection_unanswered() {
    assert_disconnects_once(mock(0), "/v1/videos");
}

#[test]
fn not_found_hides_known_videos_but_still_creates() {
    let (mock, client) = with_client(mock(0));
    let id = client.create_id("hidden");
    mock.set_fault(Fault::NotFound);
    for reply in [
        client.get(&format!("/v1/videos/{id}")),
        client.get(&format!("/v1/videos/{id}/content")),
        client.delete(&format!("/v1/videos/{id}")),
        client.post(&format!("/v1/videos/{id}/remix"), r#"{"prompt":"x"}"#),
    ] {
        assert_eq!(reply.expect("answer").status, 404);
    }
    assert_eq!(
        client
            .post("/v1/videos", r#"{"prompt":"new"}"#)
            .expect("create")
            .status,
        200
    );
    assert_eq!(mock.stats().videos, 2, "nothing was deleted");
}

#[test]
fn answer_bending_faults_reshape_the_video_object() {
    let (mock, client) = with_client(mock(0));
    let id = client.create_id("bent");
    mock.set_fault(Fault::UnknownStatus);
    assert_eq!(client.retrieve(&id)["status"], "weird");
    mock.set_fault(Fault::MillisecondTimes);
    let created_at = client.retrieve(&id)["created_at"].as_u64().unwrap();
    assert!(created_at > 1_000_000_000_000, "ms, not s: {created_at}");
    mock.set_fault(Fault::CodeNotSuccess);
    let refused = client.get(&format!("/v1/videos/{id}")).expect("retrieve");
    assert_eq!(refused.status, 200);
    assert_eq!(refused.json["error"]["type"], "server_error");
    mock.set_fault(Fault::HugeBody);
    let huge = client.get(&format!("/v1/videos/{id}")).expect("retrieve");
    assert!(huge.bytes.len() > HUGE_BODY_BYTES);
    assert_eq!(huge.json["id"], id.as_str());
}

#[test]
fn the_http_control_routes_switch_faults_force_statuses_and_forget() {
    let mock = mock(60_000);
    let control = Client::with_secret(&mock, None);
    let client = Client::new(&mock);
    let set = control
        .post("/mock/fault", r#"{"fault":"http_502","count":1}"#)
        .expect("set fault");
    assert_eq!(
        set.json,
        serde_json::json!({"fault": "http_502", "count": 1})
    );
    let shown = control.get("/mock/fault").expect("get fault").json;
    assert_eq!(
        shown["next"],
        serde_json::json!({"fault": "http_502", "count": 1})
    );
    assert_eq!(client.get("/v1/videos").expect("list").status, 502);
    assert_eq!(client.get("/v1/videos").expect("list").status, 200);
    let refused = control
        .post("/mock/fault", r#"{"fault":"teapot"}"#)
        .expect("refused");
    assert_eq!(
        (refused.status, refused.json["error"]["type"].as_str()),
        (400, Some("invalid_request_error"))
    );

    let id = client.create_id("controlled");
    let body = format!(r#"{{"id":"{id}","status":"completed"}}"#);
    assert_eq!(
        control.post("/mock/status", &body).expect("status").status,
        200
    );
    assert_eq!(client.retrieve(&id)["status"], "completed");
    let bad = format!(r#"{{"id":"{id}","status":"SUCCESS"}}"#);
    assert_eq!(
        control.post("/mock/status", &bad).expect("status").status,
        400
    );
    let stats = control.get("/mock/stats").expect("stats").json;
    assert_eq!(
        (stats["creates"].as_u64(), stats["videos"].as_u64()),
        (Some(1), Some(1))
    );
    let reset = control.post("/mock/stats/reset", "").expect("reset").json;
    assert_eq!(reset["retrieves"], 0);
    let forget = format!(r#"{{"id":"{id}"}}"#);
    assert_eq!(
        control
            .post("/mock/forget", &forget)
            .expect("forget")
            .status,
        200
    );
    assert_eq!(
        control
            .post("/mock/forget", &forget)
            .expect("forget")
            .status,
        404
    );
}
