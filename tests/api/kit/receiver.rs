//! A webhook receiver: a real HTTP/1.1 server on 127.0.0.1 (std
//! `TcpListener`, a thread per connection, keep-alive) that records every
//! request and answers with the status the test sets. It can go down
//! (listener and connections closed: the port refuses) and come back on the
//! same port, and can hold its answers to stand for a slow endpoint.
//!
//! Signatures are checked by [`verify`], written out here from the
//! Standard Webhooks specification (HMAC-SHA256 built on `sha2` by hand),
//! independent of the server's `hmac`-based signer.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
    /// The raw body.
    pub body: String,
    /// The status it was answered with.
    pub answered: u16,
}

impl Received {
    /// A header's value ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Requests whose body was read (answered or not yet).
    arrived: AtomicU64,
    status: AtomicU16,
    /// Milliseconds to wait before answering.
    hold_ms: AtomicU64,
    stop: AtomicBool,
}

/// A running receiver; stops when dropped.
pub struct Receiver {
    /// Where it listens (kept across [`Receiver::down`] and [`Receiver::up`]).
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Receiver {
    /// A receiver answering 200 on a free port.
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let shared = Arc::new(Shared::default());
        shared.status.store(200, Ordering::SeqCst);
        let mut r = Receiver {
            addr,
            shared,
            acceptor: None,
        };
        r.serve(listener);
        r
    }

    /// `http://127.0.0.1:<port>/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers every request from now on with `status`.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Waits `ms` before each answer from now on.
    pub fn hold(&self, ms: u64) {
        self.shared.hold_ms.store(ms, Ordering::SeqCst);
    }

    /// Requests read so far, answered or held.
    pub fn arrived(&self) -> u64 {
        self.shared.arrived.load(Ordering::SeqCst)
    }

    /// Every request answered so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// The requests answered 2xx (the deliveries that count).
    pub fn delivered(&self) -> Vec<Received> {
        let all = self.received();
        all.into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }

    /// Waits until `n` requests were answered 2xx; panics after `limit`.
    pub fn wait_delivered(&self, n: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let got = self.delivered();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} deliveries after {limit:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes the listener and every connection: the port refuses.
    pub fn down(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.acceptor.take() {
            let _ = h.join();
        }
    }

    /// Listens again on the same port.
    pub fn up(&mut self) {
        self.shared.stop.store(false, Ordering::SeqCst);
        let listener = TcpListener::bind(self.addr).expect("bind the receiver again");
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let shared = self.shared.clone();
        self.acceptor = Some(std::thread::spawn(move || {
            let mut connections = Vec::new();
            for stream in listener.incoming() {
                if shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = shared.clone();
                connections.push(std::thread::spawn(move || {
                    serve_connection(stream, &shared)
                }));
            }
            drop(listener);
            for c in connections {
                let _ = c.join();
            }
        }));
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}

/// Answers requests on one connection until it closes or the receiver stops.
fn serve_connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut reader = BufReader::new(stream);
    while !shared.stop.load(Ordering::SeqCst) {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return,
        }
        let _ = reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_secs(5)));
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        shared.arrived.fetch_add(1, Ordering::SeqCst);
        // Held while the test says so (re-read, so `hold(0)` lets go).
        let held = Instant::now();
        while held.elapsed() < Duration::from_millis(shared.hold_ms.load(Ordering::SeqCst))
            && !shared.stop.load(Ordering::SeqCst)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let status = shared.status.load(Ordering::SeqCst);
        let answer = format!("answered {status}");
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        shared.received.lock().unwrap().push(Received {
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            answered: status,
        });
        if writer
            .write_all(format!("{head}{answer}").as_bytes())
            .is_err()
        {
            return;
        }
        let _ = reader
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(100)));
    }
}

/// HMAC-SHA256 (RFC 2104) written out on `sha2`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.iter().map(|b| b ^ byte).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// Verifies a delivery as a Standard Webhooks receiver does: one of the
/// space-separated `v1,` signatures matches (constant-time compare) the
/// HMAC of `id.timestamp.body` under the decoded `whsec_` secret, and the
/// timestamp is within 5 minutes of `now` (unix s).
pub fn verify(secret: &str, r: &Received, now: i64) -> Result<(), String> {
    let id = r.header("webhook-id");
    let timestamp = r.header("webhook-timestamp");
    let ts: i64 = timestamp
        .parse()
        .map_err(|_| format!("webhook-timestamp '{timestamp}' is not an integer"))?;
    if (now - ts).abs() > 300 {
        return Err(format!("timestamp {ts} is more than 5 minutes from {now}"));
    }
    let key = STANDARD
        .decode(
            secret
                .strip_prefix("whsec_")
                .ok_or("secret without whsec_")?,
        )
        .map_err(|e| format!("secret is not base64: {e}"))?;
    let expected = hmac_sha256(&key, format!("{id}.{timestamp}.{}", r.body).as_bytes());
    let matches = r
        .header("webhook-signature")
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|sig| {
            sig.len() == expected.len()
                && sig
                    .iter()
                    .zip(&expected)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
    if matches {
        Ok(())
    } else {
        Err(format!("no signature matches: {:?}", r.headers))
    }
}

#[test]
fn the_verifier_accepts_the_specifications_example_and_nothing_else() {
    let mut headers = HashMap::new();
    headers.insert(
        "webhook-id".to_string(),
        "msg_p5jXN8AQM9LWM0D4loKWxJek".into(),
    );
    headers.insert("webhook-timestamp".to_string(), "1614265330".into());
    headers.insert(
        "webhook-signature".to_string(),
        "v1,bm9ldHU= v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=".into(),
    );
    let mut r = Received {
        headers,
        body: r#"{"test": 2432232314}"#.into(),
        answered: 200,
    };
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert_eq!(verify(secret, &r, 1_614_265_330), Ok(()));
    assert!(verify(secret, &r, 1_614_265_330 + 301).is_err(), "stale");
    r.body.push(' ');
    assert!(verify(secret, &r, 1_614_265_330).is_err(), "tampered body");
}
