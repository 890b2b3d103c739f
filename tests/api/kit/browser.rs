//! A real browser for the console tests: headless Chromium driven over
//! WebDriver (`fantoccini`) through a `chromedriver` child process.
//!
//! [`Browser::start`] finds `chromium` and `chromedriver` (on `PATH`, then
//! `/usr/bin`), starts the driver on a free port and opens a session with a
//! fresh profile. Without them it prints `BROWSER TESTS SKIPPED: ...` and
//! answers `None`, so the scenario returns; with `TASKCENTER_REQUIRE_BROWSER`
//! set (CI) it panics instead. Everything is blocking, like the rest of the
//! kit: the session lives on a runtime of its own.
//!
//! Screenshots go to `target/console-screenshots/<name>.png` (under
//! `CARGO_TARGET_DIR` when set); a wait that times out saves one first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use super::app::TestApp;

/// Set (to anything) where a missing browser must fail the suite (CI).
pub const REQUIRE_BROWSER: &str = "TASKCENTER_REQUIRE_BROWSER";
/// How long a wait lasts unless told otherwise.
pub const WAIT: Duration = Duration::from_secs(15);
/// Browsers open at once: each Chromium takes a core while it starts.
const MAX_BROWSERS: usize = 2;

/// Chromium's arguments: headless, no sandbox (root in CI), and nothing that
/// reaches beyond 127.0.0.1.
const CHROME_ARGS: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// A browser session and its driver; both end when dropped.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Driver,
    _profile: tempfile::TempDir,
    _slot: Slot,
    /// The scenario's name, which screenshots start with.
    name: String,
}

impl Browser {
    /// A fresh headless Chromium for scenario `name`, or `None` (after a
    /// loud notice) when Chromium or chromedriver is not installed.
    pub fn start(name: &str) -> Option<Browser> {
        let (chromium, chromedriver) = match (find("chromium"), find("chromedriver")) {
            (Some(c), Some(d)) => (c, d),
            (c, d) => {
                let missing: Vec<&str> = [("chromium", c), ("chromedriver", d)]
                    .into_iter()
                    .filter(|(_, found)| found.is_none())
                    .map(|(n, _)| n)
                    .collect();
                let why = format!(
                    "{name}: {} not found on PATH or in /usr/bin \
                     (apt-get install -y chromium chromium-driver)",
                    missing.join(" and ")
                );
                assert!(
                    std::env::var_os(REQUIRE_BROWSER).is_none(),
                    "{REQUIRE_BROWSER} is set but {why}"
                );
                // Straight to the process's stderr: `eprintln!` is captured
                // by the test harness and hidden for a passing test.
                let _ = writeln!(std::io::stderr(), "BROWSER TESTS SKIPPED: {why}");
                return None;
            }
        };
        let slot = Slot::take();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the WebDriver session");
        let driver = Driver::spawn(&chromedriver);
        let profile = tempfile::tempdir().expect("a temporary browser profile");
        let mut args: Vec<String> = CHROME_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args}),
        );
        let url = driver.url();
        let client = runtime
            .block_on(
                ClientBuilder::new(HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&url),
            )
            .unwrap_or_else(|e| panic!("{name}: no Chromium session from {url}: {e}"));
        Some(Browser {
            runtime,
            client: Some(client),
            driver,
            _profile: profile,
            _slot: slot,
            name: name.to_string(),
        })
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Opens `url`.
    pub fn goto(&self, url: &str) {
        self.runtime
            .block_on(self.client().goto(url))
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Opens the console of `app` at `hash` (`#/tasks`), a fresh page load.
    pub fn open(&self, app: &TestApp, hash: &str) {
        self.goto(&format!("{}/{hash}", app.base_url()));
    }

    /// Moves to `hash` within the page already open (no reload).
    pub fn navigate(&self, hash: &str) {
        self.js(
            "location.hash = arguments[0]; return true;",
            vec![json!(hash)],
        );
    }

    /// Opens the console of `app` and logs in through the form; waits until
    /// the navigation shows `username`.
    pub fn log_in(&self, app: &TestApp, username: &str, password: &str) {
        self.open(app, "#/login");
        self.submit_login(username, password);
        self.wait_js(
            &format!("{username} logged in"),
            "const who = document.querySelector('#whoami');
             return !!who && who.textContent.includes(arguments[0])
                 && location.hash.startsWith('#/tasks');",
            vec![json!(username)],
        );
    }

    /// Types the credentials into the login form and submits it.
    pub fn submit_login(&self, username: &str, password: &str) {
        self.wait_for("#login-form");
        self.type_into("#login-username", username);
        self.type_into("#login-password", password);
        self.click("#login-submit");
    }

    /// Clears the input `css` and types `text` into it, key by key.
    pub fn type_into(&self, css: &str, text: &str) {
        let client = self.client();
        self.runtime
            .block_on(async {
                let input = client.find(Locator::Css(css)).await?;
                input.clear().await?;
                input.send_keys(text).await
            })
            .unwrap_or_else(|e| self.fail(&format!("type into {css}: {e}")));
    }

    /// Sets the value of the input or select `css` as a user's edit would
    /// (`input` and `change` events); for the fields keys are awkward in
    /// (`datetime-local`, selects).
    pub fn set_value(&self, css: &str, value: &str) {
        let found = self.js(
            "const el = document.querySelector(arguments[0]);
             if (!el) return false;
             el.value = arguments[1];
             el.dispatchEvent(new Event('input', {bubbles: true}));
             el.dispatchEvent(new Event('change', {bubbles: true}));
             return true;",
            vec![json!(css), json!(value)],
        );
        if found != json!(true) {
            self.fail(&format!("no {css} to set to {value:?}"));
        }
    }

    /// Clicks the element `css` (waiting for it first).
    pub fn click(&self, css: &str) {
        self.wait_for(css);
        let client = self.client();
        self.runtime
            .block_on(async { client.find(Locator::Css(css)).await?.click().await })
            .unwrap_or_else(|e| self.fail(&format!("click {css}: {e}")));
    }

    /// Waits until the element `css` exists.
    pub fn wait_for(&self, css: &str) {
        self.wait_js(
            &format!("{css} exists"),
            "return !!document.querySelector(arguments[0]);",
            vec![json!(css)],
        );
    }

    /// The text of the first element `css`, `None` when there is none.
    pub fn text(&self, css: &str) -> Option<String> {
        let value = self.js(
            "const el = document.querySelector(arguments[0]);
             return el ? el.textContent.trim() : null;",
            vec![json!(css)],
        );
        value.as_str().map(str::to_string)
    }

    /// How many elements match `css`.
    pub fn count(&self, css: &str) -> usize {
        let n = self.js(
            "return document.querySelectorAll(arguments[0]).length;",
            vec![json!(css)],
        );
        n.as_u64().unwrap_or(0) as usize
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page;
    /// what it returns.
    pub fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.runtime
            .block_on(self.client().execute(script, args))
            .unwrap_or_else(|e| self.fail(&format!("run {script:?}: {e}")))
    }

    /// Runs `script` whose last argument is a callback it calls once with
    /// its result (for `fetch` and other promises).
    pub fn js_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.runtime
            .block_on(self.client().execute_async(script, args))
            .unwrap_or_else(|e| self.fail(&format!("run {script:?}: {e}")))
    }

    /// `fetch(path)` from the page with its cookie and the `New-Api-User`
    /// the console keeps; `{"status": ..., "body": ...}`.
    pub fn fetch_as_console(&self, method: &str, path: &str) -> Value {
        self.js_async(
            "const done = arguments[arguments.length - 1];
             const id = localStorage.getItem('taskcenter.user_id') || '';
             fetch(arguments[1], {method: arguments[0], credentials: 'same-origin',
                                  headers: {'New-Api-User': id}})
               .then(async r => done({status: r.status, body: await r.text()}))
               .catch(e => done({status: 0, body: String(e)}));",
            vec![json!(method), json!(path)],
        )
    }

    /// The value of cookie `name` as the browser holds it (HttpOnly too).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.runtime
            .block_on(self.client().get_named_cookie(name))
            .ok()
            .map(|c| c.value().to_string())
    }

    /// Waits until `script` (a function body, `args` its arguments) returns
    /// `true`; on timeout saves a screenshot and fails naming `what`.
    pub fn wait_js(&self, what: &str, script: &str, args: Vec<Value>) {
        self.wait_until(what, WAIT, |b| b.js(script, args.clone()) == json!(true));
    }

    /// Polls `condition` every 100 ms until it holds; after `limit` saves a
    /// screenshot and fails naming `what`.
    pub fn wait_until(
        &self,
        what: &str,
        limit: Duration,
        mut condition: impl FnMut(&Self) -> bool,
    ) {
        let deadline = Instant::now() + limit;
        while !condition(self) {
            if Instant::now() >= deadline {
                self.fail(&format!("not within {limit:?}: {what}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a screenshot of the page as `<scenario>-<suffix>.png`; its path.
    pub fn screenshot(&self, suffix: &str) -> PathBuf {
        let png = self
            .runtime
            .block_on(self.client().screenshot())
            .unwrap_or_else(|e| panic!("{}: screenshot: {e}", self.name));
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("create the screenshot directory");
        let path = dir.join(format!("{}-{suffix}.png", self.name));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Fails the scenario with `message`, the page's address and a
    /// screenshot of it.
    pub fn fail(&self, message: &str) -> ! {
        let shot = self.runtime.block_on(self.client().screenshot());
        let saved = shot.ok().and_then(|png| {
            let dir = screenshot_dir();
            std::fs::create_dir_all(&dir).ok()?;
            let path = dir.join(format!("{}-failed.png", self.name));
            std::fs::write(&path, png).ok().map(|_| path)
        });
        let url = self
            .runtime
            .block_on(self.client().current_url())
            .map(|u| u.to_string())
            .unwrap_or_default();
        panic!(
            "{}: {message} (page {url}; screenshot {})",
            self.name,
            saved.map_or("not saved".into(), |p| p.display().to_string())
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session quits Chromium; the driver is killed after.
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(client.close());
        }
        self.driver.stop();
    }
}

/// Where screenshots go: `<target>/console-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("console-screenshots")
}

/// `program` on `PATH`, else in `/usr/bin`.
fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A `chromedriver` child process on a free local port.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `chromedriver` and waits until it answers `/status` ready; a
    /// port taken by someone else between our look and its bind gets a
    /// second and a third try on other ports.
    fn spawn(program: &Path) -> Driver {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let port = free_port();
            let child = Command::new(program)
                .arg(format!("--port={port}"))
                .arg("--allowed-ips=127.0.0.1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
            let mut driver = Driver { child, port };
            match driver.wait_ready() {
                Ok(()) => return driver,
                // Dropping the driver kills the child.
                Err(_) if attempts < 3 => continue,
                Err(why) => panic!("chromedriver: {why}"),
            }
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let agent = super::http::agent(Duration::from_secs(2));
        let status = format!("{}/status", self.url());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = super::http::send(&agent, "GET", &status, &[], None)
                .ok()
                .and_then(|(_, body)| serde_json::from_str::<Value>(&body).ok())
                .is_some_and(|v| v["value"]["ready"] == json!(true));
            if ready {
                return Ok(());
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Err(format!("exited at start on port {}: {exit}", self.port));
            }
            if Instant::now() >= deadline {
                return Err("not ready in 20 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
    listener.local_addr().expect("its address").port()
}

/// One of the [`MAX_BROWSERS`] places a browser may run in; given back on drop.
struct Slot;

static OPEN: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

impl Slot {
    fn take() -> Slot {
        let mut open = lock_open();
        while *open >= MAX_BROWSERS {
            open = FREED.wait(open).unwrap_or_else(|p| p.into_inner());
        }
        *open += 1;
        Slot
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *lock_open() -= 1;
        FREED.notify_one();
    }
}

fn lock_open() -> MutexGuard<'static, usize> {
    OPEN.lock().unwrap_or_else(|p| p.into_inner())
}
