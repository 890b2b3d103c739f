//! Faults as a client sees them, switched from Rust.

use std::time::{Duration, Instant};

use mock_upstreams::{Fault, HUGE_BODY_BYTES};

use super::support::{SECRET, SunoCalls, mock};
use crate::common::{
    Client, assert_disconnects_once, assert_fail_next_wears_off, statuses, with_client,
};

#[test]
fn http_500_answers_the_error_envelope_and_creates_nothing() {
    let (mock, client) = with_client(mock(0));
    mock.set_fault(Fault::Http(500));
    let reply = client
        .post("/suno/submit/music", r#"{"prompt":"la"}"#)
        .expect("submit");
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json["code"], "internal_error");
    assert_eq!(
        reply.json["message"],
        "mock_suno fault: 500 Internal Server Error"
    );
    assert_eq!(mock.fault(), Fault::Http(500));
    let stats = mock.stats();
    assert_eq!((stats.submit, stats.faulted, stats.tasks), (1, 1, 0));
    assert!(
        mock.submitted().is_empty(),
        "a faulted submit never reaches the handler"
    );
}

#[test]
fn malformed_json_is_a_truncated_200() {
    let (mock, client) = with_client(mock(0));
    let id = client.submit_music("la");
    mock.set_fault(Fault::MalformedJson);
    let reply = client
        .post("/suno/fetch", &format!(r#"{{"ids":["{id}"]}}"#))
        .expect("fetch");
    assert_eq!(reply.status, 200);
    assert!(
        reply.text().starts_with(r#"{"code":"success""#),
        "{}",
        reply.text()
    );
    assert!(serde_json::from_str::<serde_json::Value>(&reply.text()).is_err());
}

#[test]
fn a_stall_delays_the_answer_then_answers_normally() {
    let (mock, client) = with_client(mock(0));
    mock.set_fault(Fault::Stall(400));
    let started = Instant::now();
    let id = client.submit_music("la");
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(mock.status_of(&id).as_deref(), Some("SUCCESS"));
}

#[test]
fn a_client_that_gives_up_during_a_stall_leaves_no_task_behind() {
    let mock = mock(0);
    mock.set_fault(Fault::Stall(1_000));
    let impatient = Client::with_timeout(&mock, Some(SECRET), Duration::from_millis(200));
    let err = impatient
        .post("/suno/submit/music", r#"{"prompt":"la"}"#)
        .expect_err("the client gives up first");
    assert!(matches!(err, ureq::Error::Timeout(_)), "{err:?}");
    // The server drops the request with its connection, so the stall never ends in a task.
    std::thread::sleep(Duration::from_millis(1_500));
    let stats = mock.stats();
    assert_eq!((stats.submit, stats.tasks), (1, 0));
    assert!(mock.submitted().is_empty());
}

#[test]
fn fail_next_applies_to_n_requests_then_the_standing_fault_returns() {
    let (mock, client) = with_client(mock(0));
    assert_fail_next_wears_off(&mock, &client, "/ping");
    mock.fail_next(3, Fault::Http(429));
    mock.set_fault(Fault::None);
    assert_eq!(
        client.get("/ping").expect("ping").status,
        200,
        "set_fault cancels fail_next"
    );
    assert_eq!(mock.stats().faulted, 2);
}

#[test]
fn flip_alternates_healthy_and_500() {
    let (mock, client) = with_client(mock(0));
    mock.set_fault(Fault::Flip);
    assert_eq!(statuses(&client, "/ping", 4), [200, 500, 200, 500]);
}

#[test]
fn disconnect_closes_the_connection_unanswered() {
    assert_disconnects_once(mock(0), "/ping");
}

#[test]
fn fetch_faults_reshape_the_answer() {
    let (mock, client) = with_client(mock(0));
    let ids = client.submit_songs(4);
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();

    mock.set_fault(Fault::MissingSome);
    let kept: Vec<String> = client
        .fetch(&refs)
        .iter()
        .map(|t| t["task_id"].as_str().expect("task_id").to_string())
        .collect();
    assert_eq!(
        kept,
        [refs[0], refs[2]],
        "every second asked id is left out"
    );
    assert_eq!(
        client
            .get(&format!("/suno/fetch/{}", ids[0]))
            .expect("one")
            .status,
        404
    );

    mock.set_fault(Fault::ExtraIds);
    let tasks = client.fetch(&refs[..2]);
    assert_eq!(tasks.len(), 4);
    assert_eq!(tasks[0]["status"], "FAILURE");
    assert_eq!(tasks[2]["task_id"], refs[1], "asked ones come reversed");

    mock.set_fault(Fault::UnknownStatus);
    assert_eq!(client.fetch(&refs[..1])[0]["status"], "WEIRD");

    mock.set_fault(Fault::MillisecondTimes);
    let submit_time = client.fetch(&refs[..1])[0]["submit_time"].as_u64().unwrap();
    assert!(submit_time > 1_000_000_000_000, "ms, not s: {submit_time}");
}

#[test]
fn huge_body_pads_the_envelope_but_keeps_it_json() {
    let (mock, client) = with_client(mock(0));
    let id = client.submit_music("la");
    mock.set_fault(Fault::HugeBody);
    let reply = client.get(&format!("/suno/fetch/{id}")).expect("fetch one");
    assert!(reply.text().len() > HUGE_BODY_BYTES);
    assert_eq!(reply.json["data"]["task_id"], id.as_str());
    assert_eq!(reply.json["code"], "success");
}

#[test]
fn code_not_success_is_a_200_carrying_an_error_code() {
    let (mock, client) = with_client(mock(0));
    mock.set_fault(Fault::CodeNotSuccess);
    let reply = client
        .post("/suno/submit/music", r#"{"prompt":"la"}"#)
        .expect("submit");
    assert_eq!(
        (reply.status, reply.json["code"].as_str()),
        (200, Some("internal_error"))
    );
    assert_eq!(mock.stats().tasks, 0);
}
