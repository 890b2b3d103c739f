//! A Suno-API compatible upstream simulator for tests, benchmarks and the quickstart.
//!
//! It speaks the wire protocol of `../shared/protocols/suno.md`: `POST /suno/submit/{action}`,
//! `POST /suno/fetch`, `GET /suno/fetch/{id}` and `GET /ping`, behind
//! `Authorization: Bearer <secret>`. Music tasks walk NOT_START → SUBMITTED → QUEUED →
//! IN_PROGRESS → SUCCESS (or FAILURE) as time passes; lyrics are finished at once.
//!
//! Faults ([`Fault`]) break every Suno route on demand, for good or for the next `n` requests,
//! either from Rust ([`Mock::set_fault`], [`Mock::fail_next`]) or over HTTP (`/mock/...`, see
//! [`control_routes`]) for out-of-process users.
//!
//! The file is self-contained (warp, tokio, serde, serde_json and log only) because integration
//! tests include it with `#[path = "../../examples/mock_suno/mock.rs"] mod mock;`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

/// How long a stall lasts when none is given: longer than taskcenter's default 60 s timeout.
pub const DEFAULT_STALL_MS: u64 = 65_000;
/// Size of the padding a [`Fault::HugeBody`] answer carries.
pub const HUGE_BODY_BYTES: usize = 10 * 1024 * 1024;
/// How many submissions [`Mock::submitted`] remembers (the most recent ones).
pub const SUBMISSION_MEMORY: usize = 20_000;
/// The `fail_reason` of tasks that fail by [`MockConfig::failure_ratio`].
pub const FAIL_REASON: &str = "mock failure: the model could not generate this song";
/// The `fail_reason` of tasks forced to FAILURE by [`Mock::set_status`].
pub const FORCED_FAIL_REASON: &str = "mock failure: forced by the test";
/// After shutdown starts, how long open requests (stalls) may still run.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(300);

/// How the simulator behaves.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// The secret expected in `Authorization: Bearer <secret>`.
    pub secret: String,
    /// Time from submit to SUCCESS/FAILURE of a music task; 0 finishes at once.
    pub music_duration_ms: u64,
    /// Delay added to every Suno route before it answers.
    pub latency_ms: u64,
    /// Fraction of music tasks that end FAILURE (decided at submit, evenly spread: 0.5 fails
    /// every second task, 1.0 all of them).
    pub failure_ratio: f64,
    /// Answer fetches of unknown ids as if they had been submitted when first asked about
    /// (lets a benchmark seed upstream ids in its own database without submitting them).
    pub adopt_unknown_ids: bool,
    /// Tokio worker threads of the server.
    pub worker_threads: usize,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            secret: "mock-secret".to_string(),
            music_duration_ms: 20_000,
            latency_ms: 0,
            failure_ratio: 0.0,
            adopt_unknown_ids: false,
            worker_threads: 2,
        }
    }
}

/// A way the upstream misbehaves; applies to every Suno route (not to `/mock/...`).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Healthy.
    None,
    /// Close the connection without an answer: the client sees the connection closed before
    /// any response byte (hyper aborts the connection when the body fails before being sent).
    Disconnect,
    /// Sleep this many ms, then answer normally (the task is created even if the client left).
    Stall(u64),
    /// Answer this HTTP status with a Suno error envelope; nothing is created.
    Http(u16),
    /// HTTP 200 with a truncated JSON body; nothing is created.
    MalformedJson,
    /// HTTP 200 with `"code":"internal_error"`; nothing is created.
    CodeNotSuccess,
    /// Fetch answers start with two made-up FAILURE tasks nobody asked for, then the asked
    /// ones in reverse order.
    ExtraIds,
    /// Fetch answers leave out every second asked id (indices 1, 3, 5, ... of the request);
    /// a fetch of one id answers 404.
    MissingSome,
    /// Fetch answers carry the status word `WEIRD`.
    UnknownStatus,
    /// Fetch answers carry times in milliseconds instead of seconds.
    MillisecondTimes,
    /// The normal answer with a ~10 MB `padding` field added to the envelope.
    HugeBody,
    /// Alternate per request: healthy, HTTP 500, healthy, HTTP 500, ...
    Flip,
}

impl Fault {
    /// Parses a control name: `none`, `disconnect`, `stall` (with `stall_ms`), `stall_<ms>`,
    /// `http_<status>`, `malformed_json`, `code_not_success`, `extra_ids`, `missing_some`,
    /// `unknown_status`, `millisecond_times`, `huge_body`, `flip`.
    pub fn parse(name: &str, stall_ms: Option<u64>) -> Result<Fault, String> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        let fault = match name.as_str() {
            "none" | "healthy" | "ok" => Fault::None,
            "disconnect" | "drop" | "refused" | "connection_refused" => Fault::Disconnect,
            "stall" => Fault::Stall(stall_ms.unwrap_or(DEFAULT_STALL_MS)),
            "malformed" | "malformed_json" | "garbage" => Fault::MalformedJson,
            "code_not_success" | "internal_error" => Fault::CodeNotSuccess,
            "extra_ids" => Fault::ExtraIds,
            "missing_some" => Fault::MissingSome,
            "unknown_status" | "weird" => Fault::UnknownStatus,
            "millisecond_times" | "ms_times" => Fault::MillisecondTimes,
            "huge_body" | "huge" => Fault::HugeBody,
            "flip" => Fault::Flip,
            other => {
                if let Some(ms) = other.strip_prefix("stall_") {
                    Fault::Stall(
                        ms.parse()
                            .map_err(|_| format!("bad stall ms in {other:?}"))?,
                    )
                } else if let Some(code) = other.strip_prefix("http_") {
                    match code.parse::<u16>() {
                        Ok(code) if StatusCode::from_u16(code).is_ok() => Fault::Http(code),
                        _ => return Err(format!("bad HTTP status in {other:?}")),
                    }
                } else {
                    return Err(format!("unknown fault {other:?}"));
                }
            }
        };
        Ok(fault)
    }
}

/// The canonical control name, which [`Fault::parse`] reads back.
impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::None => f.write_str("none"),
            Fault::Disconnect => f.write_str("disconnect"),
            Fault::Stall(ms) => write!(f, "stall_{ms}"),
            Fault::Http(status) => write!(f, "http_{status}"),
            Fault::MalformedJson => f.write_str("malformed_json"),
            Fault::CodeNotSuccess => f.write_str("code_not_success"),
            Fault::ExtraIds => f.write_str("extra_ids"),
            Fault::MissingSome => f.write_str("missing_some"),
            Fault::UnknownStatus => f.write_str("unknown_status"),
            Fault::MillisecondTimes => f.write_str("millisecond_times"),
            Fault::HugeBody => f.write_str("huge_body"),
            Fault::Flip => f.write_str("flip"),
        }
    }
}

/// Requests received (every request is counted, faulted or not) and tasks held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// `POST /suno/submit/{action}` requests.
    pub submit: u64,
    /// `POST /suno/fetch` requests.
    pub fetch: u64,
    /// `GET /suno/fetch/{id}` requests.
    pub fetch_one: u64,
    /// Ids asked for by all authorized `POST /suno/fetch` requests together.
    pub fetched_ids: u64,
    /// `GET /ping` requests.
    pub ping: u64,
    /// Requests refused for a wrong or missing secret.
    pub unauthorized: u64,
    /// Requests a fault other than `None` was applied to.
    pub faulted: u64,
    /// Tasks the mock currently knows.
    pub tasks: u64,
}

/// One submit request as received (recorded before the secret is checked).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Submission {
    /// The action as written in the path (`music`, `MUSIC`, ...).
    pub action: String,
    /// The body as JSON (a JSON string holding the raw text when it was not JSON).
    pub body: Value,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// The upstream id answered, when the submit was accepted.
    pub upstream_id: Option<String>,
}

/// A running simulator; the server stops when this is dropped.
pub struct Mock {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: tokio::sync::watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Mock {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves on its own thread; panics if it cannot bind.
    pub fn start(addr: &str, cfg: MockConfig) -> Mock {
        match Mock::try_start(addr, cfg) {
            Ok(mock) => mock,
            Err(err) => panic!("mock_suno cannot start on {addr}: {err}"),
        }
    }

    /// Binds `addr` and serves on its own thread; returns once the port is bound.
    pub fn try_start(addr: &str, cfg: MockConfig) -> io::Result<Mock> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cfg.worker_threads.max(1))
            .thread_name("mock-suno")
            .enable_all()
            .build()?;
        let state = Arc::new(State::new(cfg));
        let (shutdown, signal) = tokio::sync::watch::channel(false);
        let routes = routes(state.clone());
        let thread = std::thread::Builder::new()
            .name("mock-suno".to_string())
            .spawn(move || serve(runtime, listener, routes, signal))?;
        Ok(Mock {
            addr,
            state,
            shutdown,
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, the base URL to give a channel.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The secret the mock expects.
    pub fn secret(&self) -> &str {
        &self.state.cfg.secret
    }

    /// Applies `fault` to every request from now on (and cancels a pending [`Mock::fail_next`]).
    pub fn set_fault(&self, fault: Fault) {
        self.state.set_fault(fault);
    }

    /// Applies `fault` to the next `n` Suno requests only, then the standing fault again.
    pub fn fail_next(&self, n: u64, fault: Fault) {
        self.state.fail_next(n, fault);
    }

    /// The standing fault.
    pub fn fault(&self) -> Fault {
        self.state.faults().standing.clone()
    }

    /// Counts of requests received so far.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Sets every count back to zero (tasks and submissions are kept).
    pub fn reset_stats(&self) {
        self.state.counters.reset();
    }

    /// Submissions received, oldest first (the most recent [`SUBMISSION_MEMORY`]).
    pub fn submitted(&self) -> Vec<Submission> {
        self.state.submissions().iter().cloned().collect()
    }

    /// Forces the status word fetches report for a task (any string, e.g. `FAILURE`, `WEIRD`);
    /// returns false if the task is unknown.
    pub fn set_status(&self, upstream_id: &str, status: &str) -> bool {
        self.state.set_status(upstream_id, status)
    }

    /// Forgets a task so that fetches leave it out; returns false if it was unknown.
    pub fn forget(&self, upstream_id: &str) -> bool {
        self.state.tasks().remove(upstream_id).is_some()
    }

    /// The status word a fetch would report now (without faults), if the task is known.
    pub fn status_of(&self, upstream_id: &str) -> Option<String> {
        let entry = self.state.tasks().get(upstream_id).cloned()?;
        let clock = Clock::now();
        Some(entry.view(&clock, Shape::default()).status.to_string())
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs the server until the signal, then gives open requests a short grace and drops them.
fn serve<F>(
    runtime: tokio::runtime::Runtime,
    listener: std::net::TcpListener,
    routes: F,
    signal: tokio::sync::watch::Receiver<bool>,
) where
    F: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
{
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(err) => {
                log::error!("mock_suno cannot listen: {err}");
                return;
            }
        };
        let mut graceful = signal.clone();
        let server = warp::serve(routes)
            .incoming(listener)
            .graceful(async move {
                let _ = graceful.wait_for(|stop| *stop).await;
            })
            .run();
        let mut hard = signal;
        let deadline = async move {
            let _ = hard.wait_for(|stop| *stop).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        };
        tokio::select! {
            _ = server => {}
            _ = deadline => {}
        }
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
}

// ---------------------------------------------------------------------------------------------
// State

/// Everything the routes share.
struct State {
    cfg: MockConfig,
    tasks: Mutex<HashMap<String, Entry>>,
    faults: Mutex<Faults>,
    counters: Counters,
    submissions: Mutex<VecDeque<Submission>>,
    /// Music tasks created so far; decides which fail (see [`MockConfig::failure_ratio`]).
    music_count: AtomicU64,
    ids: IdSource,
}

/// The standing fault, the one for the next n requests, and the Flip alternation.
#[derive(Debug)]
struct Faults {
    standing: Fault,
    next: Option<(u64, Fault)>,
    flips: u64,
}

/// A known task: its immutable description and the status a test forced on it.
#[derive(Clone)]
struct Entry {
    task: Arc<Task>,
    forced: Option<Forced>,
}

/// A status forced by a test, and when (unix ms).
#[derive(Clone)]
struct Forced {
    status: String,
    at_ms: u64,
}

#[derive(Default)]
struct Counters {
    submit: AtomicU64,
    fetch: AtomicU64,
    fetch_one: AtomicU64,
    fetched_ids: AtomicU64,
    ping: AtomicU64,
    unauthorized: AtomicU64,
    faulted: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    fn reset(&self) {
        for counter in [
            &self.submit,
            &self.fetch,
            &self.fetch_one,
            &self.fetched_ids,
            &self.ping,
            &self.unauthorized,
            &self.faulted,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// A poisoned lock only means a handler panicked; the data is still usable for a mock.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    fn new(cfg: MockConfig) -> State {
        State {
            cfg,
            tasks: Mutex::new(HashMap::new()),
            faults: Mutex::new(Faults {
                standing: Fault::None,
                next: None,
                flips: 0,
            }),
            counters: Counters::default(),
            submissions: Mutex::new(VecDeque::new()),
            music_count: AtomicU64::new(0),
            ids: IdSource::new(),
        }
    }

    fn tasks(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        lock(&self.tasks)
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    fn submissions(&self) -> MutexGuard<'_, VecDeque<Submission>> {
        lock(&self.submissions)
    }

    fn set_fault(&self, fault: Fault) {
        let mut faults = self.faults();
        faults.standing = fault;
        faults.next = None;
    }

    fn fail_next(&self, n: u64, fault: Fault) {
        self.faults().next = (n > 0).then_some((n, fault));
    }

    /// The fault for the request arriving now; Flip is resolved to None or Http(500).
    fn take_fault(&self) -> Fault {
        let mut faults = self.faults();
        let fault = match faults.next.take() {
            Some((left, fault)) => {
                if left > 1 {
                    faults.next = Some((left - 1, fault.clone()));
                }
                fault
            }
            None => faults.standing.clone(),
        };
        if fault != Fault::Flip {
            return fault;
        }
        faults.flips += 1;
        if faults.flips.is_multiple_of(2) {
            Fault::Http(500)
        } else {
            Fault::None
        }
    }

    fn stats(&self) -> Stats {
        let c = &self.counters;
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Stats {
            submit: get(&c.submit),
            fetch: get(&c.fetch),
            fetch_one: get(&c.fetch_one),
            fetched_ids: get(&c.fetched_ids),
            ping: get(&c.ping),
            unauthorized: get(&c.unauthorized),
            faulted: get(&c.faulted),
            tasks: self.tasks().len() as u64,
        }
    }

    fn set_status(&self, upstream_id: &str, status: &str) -> bool {
        match self.tasks().get_mut(upstream_id) {
            Some(entry) => {
                entry.forced = Some(Forced {
                    status: status.to_string(),
                    at_ms: unix_ms(),
                });
                true
            }
            None => false,
        }
    }

    fn record(&self, submission: Submission) {
        let mut submissions = self.submissions();
        if submissions.len() >= SUBMISSION_MEMORY {
            submissions.pop_front();
        }
        submissions.push_back(submission);
    }

    /// Whether the next music task fails: evenly spread so that n tasks hold
    /// floor(n × ratio) failures at every point.
    fn next_music_fails(&self) -> bool {
        let ratio = self.cfg.failure_ratio.clamp(0.0, 1.0);
        let n = self.music_count.fetch_add(1, Ordering::Relaxed) as f64;
        ((n + 1.0) * ratio).floor() > (n * ratio).floor()
    }

    fn new_music(&self, task_id: String, input: MusicInput, clock: &Clock) -> Task {
        let fails = self.next_music_fails();
        let clip_ids = [self.ids.uuid(), self.ids.uuid()];
        let seed = self.ids.next();
        Task {
            task_id,
            submitted_at: clock.instant,
            submit_ms: clock.unix_ms,
            duration_ms: self.cfg.music_duration_ms,
            fails,
            kind: Kind::Music(Box::new(Music {
                created_at: iso8601(clock.unix_ms),
                clips: clip_ids.map(|id| Clip {
                    id,
                    duration_secs: 120.0 + (seed % 12_000) as f64 / 100.0,
                }),
                input,
            })),
        }
    }
}

/// Unique ids: a per-mock random prefix and a counter scrambled by a bijection.
struct IdSource {
    seed: u64,
    counter: AtomicU64,
}

impl IdSource {
    fn new() -> IdSource {
        static MOCKS: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seed = mix(nanos ^ (u64::from(std::process::id()) << 32))
            ^ mix(MOCKS.fetch_add(1, Ordering::Relaxed));
        IdSource {
            seed,
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    /// 128 bits, the low half unique within this mock.
    fn bits(&self) -> (u64, u64) {
        let n = self.next();
        (mix(self.seed.rotate_left(32) ^ mix(n)), mix(n ^ self.seed))
    }

    /// 32 hex chars, as Suno-API answers for music.
    fn hex32(&self) -> String {
        let (hi, lo) = self.bits();
        format!("{hi:016x}{lo:016x}")
    }

    /// A dashed version-4 UUID, as Suno uses for clips and lyrics.
    fn uuid(&self) -> String {
        let (hi, lo) = self.bits();
        let hi = (hi & !0xF000) | 0x4000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            ((lo >> 48) & 0x3FFF) | 0x8000,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

/// splitmix64's finaliser: a bijection on u64, so distinct counters give distinct ids.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------------------------
// Tasks and how they look at a given moment

/// A task as submitted; its status is computed from the time of each fetch.
struct Task {
    task_id: String,
    submitted_at: Instant,
    submit_ms: u64,
    duration_ms: u64,
    fails: bool,
    kind: Kind,
}

enum Kind {
    Music(Box<Music>),
    Lyrics { title: String, text: String },
}

struct Music {
    input: MusicInput,
    created_at: String,
    clips: [Clip; 2],
}

struct Clip {
    id: String,
    duration_secs: f64,
}

/// The submit body of a music job (unknown fields ignored).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct MusicInput {
    prompt: Option<String>,
    gpt_description_prompt: Option<String>,
    mv: Option<String>,
    title: Option<String>,
    tags: Option<String>,
    continue_clip_id: Option<String>,
    continue_at: Option<f64>,
    task_id: Option<String>,
    make_instrumental: Option<bool>,
}

/// The submit body of a lyrics job.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LyricsInput {
    prompt: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    NotStart,
    Submitted,
    Queued,
    InProgress,
    Success,
    Failure,
}

impl Phase {
    fn word(self) -> &'static str {
        match self {
            Phase::NotStart => "NOT_START",
            Phase::Submitted => "SUBMITTED",
            Phase::Queued => "QUEUED",
            Phase::InProgress => "IN_PROGRESS",
            Phase::Success => "SUCCESS",
            Phase::Failure => "FAILURE",
        }
    }

    fn from_word(word: &str) -> Option<Phase> {
        [
            Phase::NotStart,
            Phase::Submitted,
            Phase::Queued,
            Phase::InProgress,
            Phase::Success,
            Phase::Failure,
        ]
        .into_iter()
        .find(|phase| phase.word() == word)
    }

    fn clip_status(self) -> &'static str {
        match self {
            Phase::NotStart | Phase::Submitted => "submitted",
            Phase::Queued => "queued",
            Phase::InProgress => "streaming",
            Phase::Success => "complete",
            Phase::Failure => "error",
        }
    }

    fn is_final(self) -> bool {
        matches!(self, Phase::Success | Phase::Failure)
    }
}

/// The moment a request is answered at.
struct Clock {
    instant: Instant,
    unix_ms: u64,
}

impl Clock {
    fn now() -> Clock {
        Clock {
            instant: Instant::now(),
            unix_ms: unix_ms(),
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// How faults reshape task objects in fetch answers.
#[derive(Clone, Copy, Default)]
struct Shape {
    weird_status: bool,
    millisecond_times: bool,
}

impl Task {
    /// Where the task stands by the elapsed fraction of its duration.
    fn natural_phase(&self, now: Instant) -> Phase {
        let elapsed = now.saturating_duration_since(self.submitted_at).as_millis() as u64;
        if elapsed >= self.duration_ms {
            return if self.fails {
                Phase::Failure
            } else {
                Phase::Success
            };
        }
        match elapsed * 100 / self.duration_ms {
            0..10 => Phase::NotStart,
            10..25 => Phase::Submitted,
            25..40 => Phase::Queued,
            _ => Phase::InProgress,
        }
    }

    fn start_ms(&self) -> u64 {
        self.submit_ms + self.duration_ms * 2 / 5
    }

    fn finish_ms(&self) -> u64 {
        self.submit_ms + self.duration_ms
    }
}

impl Entry {
    fn view(&self, clock: &Clock, shape: Shape) -> TaskView<'_> {
        let task = &*self.task;
        let natural = task.natural_phase(clock.instant);
        let (status, phase, changed_ms) = match &self.forced {
            Some(forced) => {
                let phase = Phase::from_word(&forced.status).unwrap_or(natural);
                (forced.status.as_str(), phase, forced.at_ms)
            }
            None => (natural.word(), natural, clock.unix_ms),
        };
        let fail_reason = match phase {
            Phase::Failure if natural == Phase::Failure => FAIL_REASON,
            Phase::Failure => FORCED_FAIL_REASON,
            _ => "",
        };
        let start_ms = if phase >= Phase::InProgress {
            task.start_ms().min(changed_ms)
        } else {
            0
        };
        let finish_ms = if phase.is_final() {
            if natural.is_final() {
                task.finish_ms()
            } else {
                changed_ms
            }
        } else {
            0
        };
        let time = |ms: u64| match (ms, shape.millisecond_times) {
            (0, _) => 0,
            (ms, true) => ms,
            (ms, false) => ms / 1000,
        };
        let (action, data) = match &task.kind {
            Kind::Music(music) => ("MUSIC", DataView::Clips(music.clip_views(phase))),
            Kind::Lyrics { title, text } => (
                "LYRICS",
                DataView::Lyrics(LyricsView {
                    id: &task.task_id,
                    status: match phase {
                        Phase::Success => "complete",
                        Phase::Failure => "error",
                        _ => "running",
                    },
                    title,
                    text,
                }),
            ),
        };
        TaskView {
            task_id: &task.task_id,
            action,
            status: if shape.weird_status { "WEIRD" } else { status },
            fail_reason,
            submit_time: time(task.submit_ms),
            start_time: time(start_ms),
            finish_time: time(finish_ms),
            data,
        }
    }
}

impl Music {
    fn clip_views(&self, phase: Phase) -> Vec<ClipView<'_>> {
        let input = &self.input;
        let mv = input.mv.as_deref().unwrap_or("chirp-v3-0");
        let title = input.title.as_deref().unwrap_or("");
        self.clips
            .iter()
            .map(|clip| {
                let id = clip.id.as_str();
                let streaming = phase == Phase::InProgress;
                let done = phase == Phase::Success;
                let images = streaming || done;
                let url = |on: bool, url: String| if on { url } else { String::new() };
                ClipView {
                    id,
                    title,
                    status: phase.clip_status(),
                    audio_url: if done {
                        format!("https://cdn1.suno.ai/{id}.mp3")
                    } else {
                        url(
                            streaming,
                            format!("https://audiopipe.suno.ai/?item_id={id}"),
                        )
                    },
                    video_url: url(done, format!("https://cdn1.suno.ai/{id}.mp4")),
                    image_url: url(images, format!("https://cdn2.suno.ai/image_{id}.jpeg")),
                    image_large_url: url(
                        images,
                        format!("https://cdn2.suno.ai/image_large_{id}.jpeg"),
                    ),
                    is_video_pending: !done,
                    model_name: mv,
                    major_model_version: major_version(mv),
                    created_at: &self.created_at,
                    metadata: MetadataView {
                        tags: input.tags.as_deref().unwrap_or(""),
                        prompt: input.prompt.as_deref().unwrap_or(""),
                        gpt_description_prompt: input.gpt_description_prompt.as_deref(),
                        duration: done.then_some(clip.duration_secs),
                        r#type: if input.continue_clip_id.is_some() {
                            "concat"
                        } else {
                            "gen"
                        },
                        stream: true,
                        error_type: (phase == Phase::Failure).then_some("mock_error"),
                        error_message: (phase == Phase::Failure).then_some(FAIL_REASON),
                    },
                }
            })
            .collect()
    }
}

/// `chirp-v3-5` → `v3`.
fn major_version(mv: &str) -> &str {
    mv.split('-')
        .find(|part| part.starts_with('v'))
        .unwrap_or("v3")
}

#[derive(Serialize)]
struct TaskView<'a> {
    task_id: &'a str,
    action: &'static str,
    status: &'a str,
    fail_reason: &'static str,
    submit_time: u64,
    start_time: u64,
    finish_time: u64,
    data: DataView<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum DataView<'a> {
    Clips(Vec<ClipView<'a>>),
    Lyrics(LyricsView<'a>),
}

#[derive(Serialize)]
struct ClipView<'a> {
    id: &'a str,
    title: &'a str,
    status: &'static str,
    audio_url: String,
    video_url: String,
    image_url: String,
    image_large_url: String,
    is_video_pending: bool,
    model_name: &'a str,
    major_model_version: &'a str,
    created_at: &'a str,
    metadata: MetadataView<'a>,
}

#[derive(Serialize)]
struct MetadataView<'a> {
    tags: &'a str,
    prompt: &'a str,
    gpt_description_prompt: Option<&'a str>,
    duration: Option<f64>,
    r#type: &'static str,
    stream: bool,
    error_type: Option<&'static str>,
    error_message: Option<&'static str>,
}

#[derive(Serialize)]
struct LyricsView<'a> {
    id: &'a str,
    status: &'static str,
    title: &'a str,
    text: &'a str,
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    code: &'a str,
    message: &'a str,
    data: T,
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (days to civil date after Howard Hinnant).
fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let days = (secs / 86_400) as i64 + 719_468;
    let (era, doe) = (days.div_euclid(146_097), days.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sod = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        unix_ms % 1000
    )
}

// ---------------------------------------------------------------------------------------------
// Replies

/// A JSON answer; kept as bytes until the end so that [`Fault::HugeBody`] can pad it.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

impl Reply for Answer {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.body.into());
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            warp::http::header::CONTENT_TYPE,
            warp::http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

fn success<T: Serialize>(data: T) -> Answer {
    let envelope = Envelope {
        code: "success",
        message: "",
        data,
    };
    match serde_json::to_vec(&envelope) {
        Ok(body) => Answer {
            status: StatusCode::OK,
            body,
        },
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()),
    }
}

/// Suno's error envelope: `invalid_request` for 4xx, `internal_error` for 5xx.
fn error(status: StatusCode, message: &str) -> Answer {
    let code = if status.is_server_error() {
        "internal_error"
    } else {
        "invalid_request"
    };
    let envelope = Envelope {
        code,
        message,
        data: (),
    };
    Answer {
        status,
        body: serde_json::to_vec(&envelope).unwrap_or_default(),
    }
}

/// A body that fails before its first byte, so hyper drops the connection unanswered.
struct Abort;

impl warp::Stream for Abort {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "mock_suno fault: disconnect",
        ))))
    }
}

fn disconnect() -> Response {
    warp::reply::stream(Abort).into_response()
}

/// Adds a ~10 MB `padding` member in front of a JSON object body.
fn pad(answer: Answer) -> Answer {
    let mut body = Vec::with_capacity(HUGE_BODY_BYTES + answer.body.len() + 16);
    body.extend_from_slice(b"{\"padding\":\"");
    body.resize(body.len() + HUGE_BODY_BYTES, b'x');
    body.extend_from_slice(b"\",");
    body.extend_from_slice(answer.body.get(1..).unwrap_or_default());
    Answer {
        status: answer.status,
        body,
    }
}

// ---------------------------------------------------------------------------------------------
// Suno routes

/// A Suno request, before faults and auth.
enum Call {
    Submit { action: String, body: Bytes },
    Fetch { body: Bytes },
    FetchOne { id: String },
    Ping,
}

/// All routes: the Suno API, the `/mock` control API, and JSON envelopes for rejections.
fn routes(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    suno_routes(state.clone())
        .or(control_routes(state))
        .unify()
        .recover(recover)
        .unify()
}

fn with_state(
    state: Arc<State>,
) -> impl Filter<Extract = (Arc<State>,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// `POST /suno/submit/{action}` `{"prompt": ..., "mv": ...}`
fn submit_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("suno" / "submit" / String)
        .and(warp::post())
        .and(warp::body::bytes())
        .map(|action, body| Call::Submit { action, body })
}

/// `POST /suno/fetch` `{"ids": [...]}`
fn fetch_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("suno" / "fetch")
        .and(warp::post())
        .and(warp::body::bytes())
        .map(|body| Call::Fetch { body })
}

/// `GET /suno/fetch/{id}`
fn fetch_one_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("suno" / "fetch" / String)
        .and(warp::get())
        .map(|id| Call::FetchOne { id })
}

/// `GET /ping` → `{"message":"pong"}`
fn ping_route() -> impl Filter<Extract = (Call,), Error = Rejection> + Clone {
    warp::path!("ping").and(warp::get()).map(|| Call::Ping)
}

fn suno_routes(state: Arc<State>) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    submit_route()
        .or(fetch_route())
        .unify()
        .or(fetch_one_route())
        .unify()
        .or(ping_route())
        .unify()
        .and(warp::header::optional::<String>("authorization"))
        .and(with_state(state))
        .then(answer)
}

/// Counts the request, waits the latency, applies the fault, checks the secret, answers.
async fn answer(call: Call, authorization: Option<String>, state: Arc<State>) -> Response {
    let counters = &state.counters;
    match &call {
        Call::Submit { .. } => Counters::bump(&counters.submit, 1),
        Call::Fetch { .. } => Counters::bump(&counters.fetch, 1),
        Call::FetchOne { .. } => Counters::bump(&counters.fetch_one, 1),
        Call::Ping => Counters::bump(&counters.ping, 1),
    }
    if state.cfg.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.cfg.latency_ms)).await;
    }
    let fault = state.take_fault();
    if fault != Fault::None {
        Counters::bump(&counters.faulted, 1);
        log::debug!("mock_suno applies fault {fault}");
    }
    let raw = |body: &[u8]| Answer {
        status: StatusCode::OK,
        body: body.to_vec(),
    };
    let answer = match fault {
        Fault::Disconnect => return disconnect(),
        Fault::Http(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reason = status.canonical_reason().unwrap_or("error");
            error(status, &format!("mock_suno fault: {code} {reason}"))
        }
        Fault::MalformedJson => raw(br#"{"code":"success","message":"","data":[{"task_id":"#),
        Fault::CodeNotSuccess => raw(
            br#"{"code":"internal_error","message":"mock_suno fault: upstream refused","data":null}"#,
        ),
        Fault::Stall(ms) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            respond(&state, call, authorization, &fault)
        }
        Fault::HugeBody => pad(respond(&state, call, authorization, &fault)),
        _ => respond(&state, call, authorization, &fault),
    };
    answer.into_response()
}

/// The healthy answer, reshaped by the fetch faults.
fn respond(state: &State, call: Call, authorization: Option<String>, fault: &Fault) -> Answer {
    let authorized = authorization
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer "))
        == Some(state.cfg.secret.as_str());
    let shape = Shape {
        weird_status: *fault == Fault::UnknownStatus,
        millisecond_times: *fault == Fault::MillisecondTimes,
    };
    match call {
        Call::Ping => Answer {
            status: StatusCode::OK,
            body: br#"{"message":"pong"}"#.to_vec(),
        },
        Call::Submit { action, body } => submit(state, action, body, authorization, authorized),
        _ if !authorized => {
            Counters::bump(&state.counters.unauthorized, 1);
            unauthorized()
        }
        Call::Fetch { body } => fetch(state, &body, fault, shape),
        Call::FetchOne { id } => fetch_one(state, &id, fault, shape),
    }
}

fn unauthorized() -> Answer {
    error(StatusCode::UNAUTHORIZED, "unauthorized secret token")
}

fn submit(
    state: &State,
    action: String,
    body: Bytes,
    authorization: Option<String>,
    authorized: bool,
) -> Answer {
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let mut submission = Submission {
        action: action.clone(),
        body: match &parsed {
            Ok(value) => value.clone(),
            Err(_) => Value::String(String::from_utf8_lossy(&body).into_owned()),
        },
        authorization,
        upstream_id: None,
    };
    let answer = if authorized {
        create(state, &action, parsed)
    } else {
        Counters::bump(&state.counters.unauthorized, 1);
        Err(unauthorized())
    };
    let response = match answer {
        Ok(upstream_id) => {
            let response = success(&upstream_id);
            submission.upstream_id = Some(upstream_id);
            response
        }
        Err(response) => response,
    };
    state.record(submission);
    response
}

/// Validates a submit like Suno-API and stores the task; the upstream id or the error reply.
fn create(
    state: &State,
    action: &str,
    body: Result<Value, serde_json::Error>,
) -> Result<String, Answer> {
    let bad = |message: &str| error(StatusCode::BAD_REQUEST, message);
    let body = body.map_err(|_| bad("invalid request body"))?;
    let clock = Clock::now();
    let task = match action.to_ascii_uppercase().as_str() {
        "MUSIC" => {
            let mut input: MusicInput =
                serde_json::from_value(body).map_err(|_| bad("invalid request body"))?;
            let description = input.gpt_description_prompt.clone().unwrap_or_default();
            if !description.trim().is_empty() {
                // Inspiration mode: the description wins, custom fields are dropped.
                input = MusicInput {
                    gpt_description_prompt: Some(description.clone()),
                    title: Some(title_from(&description)),
                    mv: input.mv,
                    make_instrumental: input.make_instrumental,
                    ..MusicInput::default()
                };
            } else if input.prompt.as_deref().unwrap_or("").trim().is_empty() {
                return Err(bad("prompt and gpt_description_prompt are empty"));
            }
            if input
                .continue_clip_id
                .as_deref()
                .is_some_and(|c| !c.is_empty())
                && input.task_id.as_deref().unwrap_or("").is_empty()
            {
                return Err(bad("task_id is empty"));
            }
            state.new_music(state.ids.hex32(), input, &clock)
        }
        "LYRICS" => {
            let input: LyricsInput =
                serde_json::from_value(body).map_err(|_| bad("invalid request body"))?;
            let prompt = input.prompt.unwrap_or_default();
            if prompt.trim().is_empty() {
                return Err(bad("prompt is empty"));
            }
            Task {
                task_id: state.ids.uuid(),
                submitted_at: clock.instant,
                submit_ms: clock.unix_ms,
                duration_ms: 0,
                fails: false,
                kind: Kind::Lyrics {
                    title: title_from(&prompt),
                    text: format!(
                        "[Verse]\n{prompt}\nSinging it loud tonight\n\n[Chorus]\n{prompt}\nAll through the night"
                    ),
                },
            }
        }
        _ => return Err(bad(&format!("unsupported action: {action}"))),
    };
    let upstream_id = task.task_id.clone();
    let entry = Entry {
        task: Arc::new(task),
        forced: None,
    };
    state.tasks().insert(upstream_id.clone(), entry);
    Ok(upstream_id)
}

/// The first words of a prompt, as Suno titles inspiration songs.
fn title_from(prompt: &str) -> String {
    let words: Vec<&str> = prompt.split_whitespace().take(5).collect();
    if words.is_empty() {
        "Untitled".to_string()
    } else {
        words.join(" ")
    }
}

#[derive(Deserialize)]
struct FetchBody {
    #[serde(default)]
    ids: Vec<String>,
}

/// Looks the ids up (O(ids) under the lock), then renders outside it.
fn fetch(state: &State, body: &[u8], fault: &Fault, shape: Shape) -> Answer {
    let Ok(FetchBody { ids }) = serde_json::from_slice(body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    Counters::bump(&state.counters.fetched_ids, ids.len() as u64);
    let clock = Clock::now();
    let keep_all = *fault != Fault::MissingSome;
    let mut found: Vec<Entry> = {
        let mut tasks = state.tasks();
        ids.iter()
            .enumerate()
            .filter(|(index, _)| keep_all || index % 2 == 0)
            .filter_map(|(_, id)| lookup(state, &mut tasks, id, &clock))
            .collect()
    };
    if *fault == Fault::ExtraIds {
        found.reverse();
        let extras = (0..2).map(|_| {
            let mut task = state.new_music(state.ids.hex32(), MusicInput::default(), &clock);
            task.duration_ms = 0;
            task.fails = true;
            Entry {
                task: Arc::new(task),
                forced: None,
            }
        });
        found.splice(0..0, extras);
    }
    let views: Vec<TaskView<'_>> = found.iter().map(|e| e.view(&clock, shape)).collect();
    success(views)
}

/// `GET /suno/fetch/{id}`: the whole task (as new-api answers), or 404.
fn fetch_one(state: &State, id: &str, fault: &Fault, shape: Shape) -> Answer {
    let clock = Clock::now();
    let entry = if *fault == Fault::MissingSome {
        None
    } else {
        lookup(state, &mut state.tasks(), id, &clock)
    };
    match entry {
        Some(entry) => success(entry.view(&clock, shape)),
        None => error(StatusCode::NOT_FOUND, "task not found"),
    }
}

fn lookup(
    state: &State,
    tasks: &mut HashMap<String, Entry>,
    id: &str,
    clock: &Clock,
) -> Option<Entry> {
    if let Some(entry) = tasks.get(id) {
        return Some(entry.clone());
    }
    if !state.cfg.adopt_unknown_ids || id.is_empty() {
        return None;
    }
    let input = MusicInput {
        prompt: Some("adopted by mock_suno".to_string()),
        ..MusicInput::default()
    };
    let entry = Entry {
        task: Arc::new(state.new_music(id.to_string(), input, clock)),
        forced: None,
    };
    tasks.insert(id.to_string(), entry.clone());
    Some(entry)
}

// ---------------------------------------------------------------------------------------------
// Control API (no auth: the mock is a local test tool)

/// The `/mock` control API for out-of-process users:
/// - `POST /mock/fault` `{"fault": "http_500", "count"?: 3, "stall_ms"?: 2000}`: a standing
///   fault, or one for the next `count` requests; `GET /mock/fault` shows the standing one.
/// - `GET /mock/stats` → [`Stats`]; `POST /mock/stats/reset`.
/// - `POST /mock/status` `{"id", "status"}`: force a task's status word.
/// - `POST /mock/forget` `{"id"}`: drop a task from answers.
///
/// Every answer uses the Suno envelope.
fn control_routes(
    state: Arc<State>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let set_fault = warp::path!("mock" / "fault")
        .and(warp::post())
        .and(warp::body::bytes())
        .and(with_state(state.clone()))
        .map(|body: Bytes, state: Arc<State>| control_fault(&state, &body).into_response());
    let get_fault = warp::path!("mock" / "fault")
        .and(warp::get())
        .and(with_state(state.clone()))
        .map(|state: Arc<State>| {
            let faults = state.faults();
            let next = faults
                .next
                .as_ref()
                .map(|(n, fault)| json!({"fault": fault.to_string(), "count": n}));
            success(json!({"fault": faults.standing.to_string(), "next": next})).into_response()
        });
    let stats = warp::path!("mock" / "stats")
        .and(warp::get())
        .and(with_state(state.clone()))
        .map(|state: Arc<State>| success(state.stats()).into_response());
    let reset = warp::path!("mock" / "stats" / "reset")
        .and(warp::post())
        .and(with_state(state.clone()))
        .map(|state: Arc<State>| {
            state.counters.reset();
            success(state.stats()).into_response()
        });
    let status = warp::path!("mock" / "status")
        .and(warp::post())
        .and(warp::body::bytes())
        .and(with_state(state.clone()))
        .map(|body: Bytes, state: Arc<State>| control_status(&state, &body).into_response());
    let forget = warp::path!("mock" / "forget")
        .and(warp::post())
        .and(warp::body::bytes())
        .and(with_state(state))
        .map(|body: Bytes, state: Arc<State>| control_forget(&state, &body).into_response());
    set_fault
        .or(get_fault)
        .unify()
        .or(stats)
        .unify()
        .or(reset)
        .unify()
        .or(status)
        .unify()
        .or(forget)
        .unify()
}

#[derive(Deserialize)]
struct FaultBody {
    fault: String,
    count: Option<u64>,
    stall_ms: Option<u64>,
}

fn control_fault(state: &State, body: &[u8]) -> Answer {
    let Ok(request) = serde_json::from_slice::<FaultBody>(body) else {
        return error(StatusCode::BAD_REQUEST, "expected {\"fault\": name}");
    };
    let fault = match Fault::parse(&request.fault, request.stall_ms) {
        Ok(fault) => fault,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    log::info!("mock_suno fault set to {fault} (count {:?})", request.count);
    match request.count {
        Some(count) => state.fail_next(count, fault.clone()),
        None => state.set_fault(fault.clone()),
    }
    success(json!({"fault": fault.to_string(), "count": request.count}))
}

#[derive(Deserialize)]
struct TaskBody {
    id: String,
    #[serde(default)]
    status: Option<String>,
}

fn control_status(state: &State, body: &[u8]) -> Answer {
    match serde_json::from_slice::<TaskBody>(body) {
        Ok(TaskBody {
            id,
            status: Some(status),
        }) => {
            if state.set_status(&id, &status) {
                success(json!({"id": id, "status": status}))
            } else {
                error(StatusCode::NOT_FOUND, "task not found")
            }
        }
        _ => error(StatusCode::BAD_REQUEST, "expected {\"id\", \"status\"}"),
    }
}

fn control_forget(state: &State, body: &[u8]) -> Answer {
    match serde_json::from_slice::<TaskBody>(body) {
        Ok(TaskBody { id, .. }) => match state.tasks().remove(&id) {
            Some(_) => success(json!({"id": id})),
            None => error(StatusCode::NOT_FOUND, "task not found"),
        },
        Err(_) => error(StatusCode::BAD_REQUEST, "expected {\"id\"}"),
    }
}

/// Turns every rejection (unknown path, wrong method) into the Suno envelope.
async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let response = if rejection.is_not_found() {
        error(StatusCode::NOT_FOUND, "not found")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    } else {
        error(
            StatusCode::BAD_REQUEST,
            &format!("bad request: {rejection:?}"),
        )
    };
    Ok(response.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// One HTTP/1.1 exchange over a raw socket: (status, body).
    fn http(mock: &Mock, method: &str, path: &str, auth: &str, body: &str) -> (u16, Value) {
        let mut stream = std::net::TcpStream::connect(mock.addr()).expect("connect");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: mock\r\nAuthorization: Bearer {auth}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("write");
        let mut raw = String::new();
        stream.read_to_string(&mut raw).expect("read");
        let status = raw[9..12].parse().expect("status");
        let body = raw.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }

    fn quick(failure_ratio: f64) -> Mock {
        let cfg = MockConfig {
            secret: "s3cret".to_string(),
            music_duration_ms: 0,
            failure_ratio,
            ..MockConfig::default()
        };
        Mock::start("127.0.0.1:0", cfg)
    }

    #[test]
    fn fault_names_round_trip() {
        let faults = [
            Fault::None,
            Fault::Disconnect,
            Fault::Stall(1234),
            Fault::Http(429),
            Fault::MalformedJson,
            Fault::CodeNotSuccess,
            Fault::ExtraIds,
            Fault::MissingSome,
            Fault::UnknownStatus,
            Fault::MillisecondTimes,
            Fault::HugeBody,
            Fault::Flip,
        ];
        for fault in faults {
            assert_eq!(Fault::parse(&fault.to_string(), None), Ok(fault));
        }
        assert_eq!(Fault::parse("stall", Some(5)), Ok(Fault::Stall(5)));
        assert!(Fault::parse("http_99", None).is_err());
        assert!(Fault::parse("teapot", None).is_err());
    }

    #[test]
    fn failure_ratio_spreads_failures_evenly() {
        let fails = |ratio: f64| {
            let state = State::new(MockConfig {
                failure_ratio: ratio,
                ..MockConfig::default()
            });
            (0..10)
                .map(|_| state.next_music_fails())
                .collect::<Vec<_>>()
        };
        assert!(fails(1.0).iter().all(|f| *f));
        assert!(fails(0.0).iter().all(|f| !*f));
        assert_eq!(fails(0.5).iter().filter(|f| **f).count(), 5);
        assert_eq!(fails(0.3).iter().filter(|f| **f).count(), 3);
    }

    #[test]
    fn music_walks_through_the_statuses_by_elapsed_time() {
        let state = State::new(MockConfig {
            music_duration_ms: 1000,
            ..MockConfig::default()
        });
        let clock = Clock::now();
        let task = state.new_music("t".to_string(), MusicInput::default(), &clock);
        let at = |ms| task.natural_phase(clock.instant + Duration::from_millis(ms));
        assert_eq!(at(0), Phase::NotStart);
        assert_eq!(at(150), Phase::Submitted);
        assert_eq!(at(300), Phase::Queued);
        assert_eq!(at(500), Phase::InProgress);
        assert_eq!(at(1000), Phase::Success);
    }

    #[test]
    fn dates_and_ids_have_the_suno_shapes() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(1_726_911_801_123), "2024-09-21T09:43:21.123Z");
        let ids = IdSource::new();
        let hex = ids.hex32();
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            ids.uuid().split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert_ne!(ids.hex32(), hex);
    }

    #[test]
    fn submit_then_fetch_over_http() {
        let mock = quick(0.0);
        let (status, body) = http(
            &mock,
            "POST",
            "/suno/submit/music",
            "s3cret",
            r#"{"prompt":"la"}"#,
        );
        assert_eq!(status, 200, "{body}");
        let id = body["data"].as_str().expect("upstream id").to_string();
        let ids = format!(r#"{{"ids":["{id}","unknown"]}}"#);
        let (status, body) = http(&mock, "POST", "/suno/fetch", "s3cret", &ids);
        assert_eq!(status, 200);
        let tasks = body["data"].as_array().expect("tasks");
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0]["status"], "SUCCESS");
        assert_eq!(tasks[0]["data"][1]["status"], "complete");
        let (status, body) = http(&mock, "POST", "/suno/fetch", "wrong", &ids);
        assert_eq!(
            (status, body["message"].as_str()),
            (401, Some("unauthorized secret token"))
        );
        let submitted = mock.submitted();
        assert_eq!(submitted[0].upstream_id.as_deref(), Some(id.as_str()));
        assert_eq!(submitted[0].authorization.as_deref(), Some("Bearer s3cret"));
        let stats = mock.stats();
        assert_eq!((stats.submit, stats.fetch, stats.fetched_ids), (1, 2, 2));
    }

    #[test]
    fn faults_apply_then_wear_off() {
        let mock = quick(1.0);
        mock.fail_next(1, Fault::Http(502));
        let (status, body) = http(
            &mock,
            "POST",
            "/suno/submit/music",
            "s3cret",
            r#"{"prompt":"la"}"#,
        );
        assert_eq!(
            (status, body["code"].as_str()),
            (502, Some("internal_error"))
        );
        let (_, body) = http(
            &mock,
            "POST",
            "/suno/submit/music",
            "s3cret",
            r#"{"prompt":"la"}"#,
        );
        let id = body["data"].as_str().expect("upstream id").to_string();
        assert_eq!(mock.status_of(&id).as_deref(), Some("FAILURE"));
        assert!(mock.set_status(&id, "SUCCESS"));
        assert_eq!(mock.status_of(&id).as_deref(), Some("SUCCESS"));
        assert!(mock.forget(&id));
        assert_eq!(mock.status_of(&id), None);
    }
}
