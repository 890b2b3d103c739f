//! The video platform driven by a real OpenAI client (`async-openai`)
//! against the compiled binary and the OpenAI video mock: what the raw-HTTP
//! tests beside this folder assert, seen the way an SDK user sees it:
//! typed objects, typed errors, downloads.
//!
//! - [`lifecycle`]: create, poll, download; a failure refunded once; remix;
//!   a reference image; a channel's model mapping.
//! - [`collection`]: list pages and deletion.
//! - [`errors`]: every refusal as `OpenAIError::ApiError`.
//! - [`concurrency`]: 200 creates at once from a user who can pay for 50.

// async-openai marks its Videos API `#[deprecated]` (OpenAI's notice, not
// a change of the wire protocol this server speaks).
#![allow(deprecated)]

mod collection;
mod concurrency;
mod errors;
mod lifecycle;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::error::{ApiError, OpenAIError};
use async_openai::types::videos::{CreateVideoRequest, VideoResource, VideoStatus};
use serde::Serialize;
use serde_json::{Value, json};

use crate::kit::Db;
use crate::kit::http::as_user;
use crate::kit::process::{ServerProcess, cli_on, path_str, taskcenter};
use crate::kit::video::{VIDEO_CHARGE, video_mock};
use crate::mock::video::VideoMock;

const ROOT: &str = "sdk-root-token-0123456789abcdef";

/// An OpenAI client of the server with `key`.
pub type Sdk = Client<OpenAIConfig>;

/// A user made with the CLI: id, access token, API key.
pub struct Person {
    /// User id.
    pub id: i64,
    /// Access token (management API).
    pub token: String,
    /// Unlimited `sk-...` key.
    pub key: String,
    /// Its id.
    pub key_id: i64,
}

/// `taskcenter serve` (the compiled binary) with one `sora` channel in
/// front of a video mock, and alice.
pub struct World {
    /// The server.
    pub server: ServerProcess,
    /// Its database file.
    pub db: Db,
    /// The upstream.
    pub mock: Arc<VideoMock>,
    /// A user with the quota asked for.
    pub alice: Person,
    /// Every answer the SDK handed back, as JSON text, for the leak check.
    seen: Mutex<Vec<String>>,
    _dir: tempfile::TempDir,
}

/// The options a world is made with.
pub struct Setup {
    /// The mock behind the channel.
    pub mock: VideoMock,
    /// alice's quota.
    pub quota: i64,
    /// `--model-mapping` of the channel (`""`: none).
    pub model_mapping: &'static str,
    /// `--poll-interval-ms` of the server.
    pub poll_interval_ms: u64,
}

impl Setup {
    /// A mock whose videos end after `duration_ms`, `failure_ratio` of them
    /// failed; alice can pay for ten videos; polls every 100 ms.
    pub fn new(duration_ms: u64, failure_ratio: f64) -> Setup {
        Setup {
            mock: video_mock(duration_ms, failure_ratio),
            quota: 10 * VIDEO_CHARGE,
            model_mapping: "",
            poll_interval_ms: 100,
        }
    }
}

impl World {
    /// A world of `setup`: users, key and channel made with the CLI on the
    /// database file, then the server started on it.
    pub fn start(setup: Setup) -> World {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db_path: PathBuf = dir.path().join("tc.db");
        let mock = Arc::new(setup.mock);
        let alice = add_person(&db_path, "alice", setup.quota, "default");
        let base_url = mock.base_url();
        cli_on(
            &db_path,
            &[
                "channel",
                "add",
                "--type",
                "sora",
                "--name",
                "sora-main",
                "--base-url",
                &base_url,
                "--key",
                mock.secret(),
                "--model-mapping",
                setup.model_mapping,
            ],
        );
        let poll = setup.poll_interval_ms.to_string();
        let server = ServerProcess::start(
            &db_path,
            ROOT,
            &["--poll-interval-ms", &poll, "--upstream-timeout-secs", "10"],
        );
        World {
            server,
            db: Db::at(&db_path),
            mock,
            alice,
            seen: Mutex::new(Vec::new()),
            _dir: dir,
        }
    }

    /// Another user, made with the CLI while the server runs.
    pub fn person(&self, username: &str, quota: i64, group: &str) -> Person {
        add_person(self.db.path(), username, quota, group)
    }

    /// An OpenAI client of this server with `key`, as a user configures
    /// one: only the base URL and the key change.
    pub fn sdk(&self, key: &str) -> Sdk {
        Client::with_config(
            OpenAIConfig::new()
                .with_api_base(self.server.url("/v1"))
                .with_api_key(key),
        )
    }

    /// Remembers an answer for [`World::assert_nothing_leaked`]; returns it.
    pub fn saw<T: Serialize>(&self, answer: T) -> T {
        let text = serde_json::to_string(&answer).expect("SDK objects serialize");
        self.seen.lock().unwrap().push(text);
        answer
    }

    /// Remembers an error's message.
    pub fn saw_error(&self, error: &ApiError) {
        self.seen.lock().unwrap().push(error.message.clone());
    }

    /// No answer the SDK returned names an upstream id or the channel key.
    pub fn assert_nothing_leaked(&self) {
        let seen = self.seen.lock().unwrap();
        assert!(!seen.is_empty(), "the test recorded its answers");
        let secret = self.mock.secret().to_string();
        let upstream_ids: Vec<String> = self.mock.created().into_iter().map(|c| c.id).collect();
        for text in seen.iter() {
            assert!(!text.contains(&secret), "the channel key leaked: {text}");
            for id in &upstream_ids {
                assert!(
                    !text.contains(id.as_str()),
                    "upstream id {id} leaked: {text}"
                );
            }
        }
    }

    /// `taskcenter audit` on the database: the books balance.
    pub fn assert_books_balance(&self) {
        let out = taskcenter(&["audit", "--db", path_str(self.db.path()), "--json"]);
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("an audit report ({e}): {out:?}"));
        assert_eq!(report["ok"], true, "{report}");
    }

    /// Sets one of `person`'s keys' status over the management API.
    pub fn set_key_status(&self, person: &Person, status: i64) {
        let (code, body) = self.server.request(
            "PUT",
            "/api/token/",
            &as_user(person.id, &person.token),
            Some(&json!({"id": person.key_id, "status": status})),
        );
        assert_eq!((code, &body["success"]), (200, &json!(true)), "{body}");
    }
}

fn add_person(db: &std::path::Path, username: &str, quota: i64, group: &str) -> Person {
    let quota = quota.to_string();
    let user = cli_on(
        db,
        &[
            "user",
            "add",
            "--username",
            username,
            "--quota",
            &quota,
            "--group",
            group,
        ],
    );
    let id = user["id"].as_i64().expect("the user's id");
    let token = user["access_token"].as_str().expect("a token").to_string();
    let key = cli_on(
        db,
        &[
            "token",
            "add",
            "--user-id",
            &id.to_string(),
            "--name",
            "sdk",
            "--unlimited",
        ],
    );
    Person {
        id,
        token,
        key: key["key"].as_str().expect("the key").to_string(),
        key_id: key["id"].as_i64().expect("the key's id"),
    }
}

/// A runtime for the async client.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A create request of `prompt` with the SDK's defaults.
pub fn request(prompt: &str) -> CreateVideoRequest {
    CreateVideoRequest {
        prompt: prompt.to_string(),
        ..Default::default()
    }
}

/// Retrieves the video until it is completed or failed (20 s at most).
pub async fn until_final(world: &World, sdk: &Sdk, id: &str) -> VideoResource {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let video = world.saw(sdk.videos().retrieve(id).await.expect("retrieve"));
        if matches!(video.status, VideoStatus::Completed | VideoStatus::Failed) {
            return video;
        }
        assert!(
            Instant::now() < deadline,
            "video {id} still {:?} after 20 s",
            video.status
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The HTTP status and OpenAI error of a refused call.
pub fn api_error<T: std::fmt::Debug>(
    world: &World,
    result: Result<T, OpenAIError>,
) -> (u16, ApiError) {
    match result {
        Err(OpenAIError::ApiError(e)) => {
            world.saw_error(&e.api_error);
            (e.status_code.as_u16(), e.api_error)
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A 4xx as the SDK reports it: status, `type` and `code` as expected, a
/// message; returns the message.
pub fn assert_refused(
    world: &World,
    result: Result<impl std::fmt::Debug, OpenAIError>,
    status: u16,
    error_type: &str,
    code: &str,
) -> String {
    let (got, error) = api_error(world, result);
    assert_eq!(got, status, "{error:?}");
    assert_eq!(error.r#type.as_deref(), Some(error_type), "{error:?}");
    assert_eq!(error.code.as_deref(), Some(code), "{error:?}");
    assert!(!error.message.is_empty(), "{error:?}");
    error.message
}
