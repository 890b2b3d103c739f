//! Hostile input on every route: random and huge numbers, negatives, floats,
//! unicode, SQL metacharacters, repeated parameters, invalid UTF-8, wrong
//! JSON types and 10 MB bodies, from a seeded generator so a failure replays.
//!
//! Whatever arrives, the answer is a 2xx or 4xx in the route's envelope
//! (`success` under /api, `code` under /suno), never a 5xx or a dropped
//! connection; the server stays healthy, and requests that must be refused
//! leave every row of the database as it was.

mod bodies;
mod generator;
mod queries;
mod raw;
mod stored_text;

use serde_json::Value;

use crate::kit::rng::Rng;
use crate::kit::{
    Customer, TestApp, as_root, assert_ok, assert_unchanged, envelope_problem, spawn_relay_app,
};

/// The app with a mock channel, a customer with a key and one accepted
/// task, another customer's key, and a user with no quota.
struct Fixture {
    app: TestApp,
    alice: Customer,
    task_id: String,
    bob: Customer,
    broke_user: i64,
}

/// Starts the fixture.
fn fixture() -> Fixture {
    let (app, _) = spawn_relay_app();
    let alice = app.customer("alice", 10_000_000);
    let task_id = app.submit_music(&alice.key, "a song about the sea");
    let bob = app.customer("bob", 1_000_000);
    let (broke_user, _) = app.create_user("carol", 1, 0);
    Fixture {
        app,
        alice,
        task_id,
        bob,
        broke_user,
    }
}

/// Sends what `send` makes of a fresh fixture, a generator seeded with
/// `seed` and a report; then asserts that at least `at_least` requests were
/// sent and none broke the rules, that the server still answers, and that
/// the database holds exactly what it held before.
fn refused_without_a_trace(
    seed: u64,
    at_least: usize,
    send: impl FnOnce(&Fixture, &mut Rng, &mut Report),
) {
    let fx = fixture();
    let before = fx.app.db.fingerprint();
    let mut report = Report::default();
    send(&fx, &mut Rng::new(seed), &mut report);
    report.assert_clean(at_least);
    assert_healthy(&fx.app);
    assert_unchanged(&before, &fx.app.db.fingerprint());
}

/// Asserts the server still answers, anonymously and as root.
fn assert_healthy(app: &TestApp) {
    let (status, body) = app.get("/api/status", &vec![]);
    assert_ok(status, &body);
    let (status, body) = app.get("/api/user/self", &as_root());
    assert_ok(status, &body);
}

/// What was sent and every answer that broke the rules.
#[derive(Default)]
struct Report {
    sent: usize,
    problems: Vec<String>,
}

impl Report {
    /// Checks the status class and the envelope of `path`'s answer.
    fn check(&mut self, what: &str, path: &str, status: u16, body: &Value) -> bool {
        self.sent += 1;
        match envelope_problem(path, status, body) {
            None => true,
            Some(p) => {
                self.fail(format!("{what}: {p}: {status} {}", shorten(body)));
                false
            }
        }
    }

    fn fail(&mut self, problem: String) {
        self.problems.push(problem);
    }

    fn assert_clean(&self, at_least: usize) {
        assert!(
            self.problems.is_empty(),
            "{} of {} hostile requests broke the rules:\n{}",
            self.problems.len(),
            self.sent,
            self.problems
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            self.sent >= at_least,
            "only {} requests were sent, expected at least {at_least}",
            self.sent
        );
    }
}

/// An answer cut to 300 characters for a report.
fn shorten(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        format!("{}...", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}
