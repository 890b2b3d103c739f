//! Regression tests of the hardening of issue 10, one file per theme: what
//! upstreams may not make taskcenter do (follow a redirect, take a proxy
//! from the environment, reach a private address, show their words to
//! users, move a deadline), who may move a channel, the sweep and a
//! submission in flight, request ids and 500s, private files, one server
//! per database, the start-up order, and database paths.
//!
//! Each test names the bug it pins: it fails on the behaviour before the
//! hardening. The upstreams the mock cannot play (a redirect, a proxy, a
//! body with a secret in it) are [`OneOff`] servers.

mod channel_moves;
mod database_paths;
mod files_and_secrets;
mod in_flight;
mod private_upstreams;
mod proxies;
mod request_ids;
mod servers;
mod upstream_answers;
mod upstream_clock;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as a [`OneOff`] server read it (its body read and dropped).
#[derive(Debug, Clone)]
pub struct Request {
    /// The request line and the headers.
    pub head: String,
}

impl Request {
    /// The request line, e.g. `POST /suno/submit/music HTTP/1.1`.
    pub fn line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }
}

/// What a [`OneOff`] server does with a connection once it read the request.
type Handler = dyn Fn(&Request, TcpStream) + Send + Sync;

/// A tiny HTTP/1.1 server on 127.0.0.1 for the upstreams the mock cannot
/// play: it counts every connection, reads one request per connection,
/// records it and hands it to its handler. Stops when dropped.
pub struct OneOff {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl OneOff {
    /// A server that answers every request with the bytes `answer` makes
    /// of it, then closes the connection.
    pub fn answering(answer: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static) -> OneOff {
        OneOff::start(Arc::new(move |request: &Request, mut stream: TcpStream| {
            let _ = stream.write_all(&answer(request));
            let _ = stream.shutdown(Shutdown::Both);
        }))
    }

    /// A server that records connections and answers nothing: a fake
    /// proxy that must never be used.
    pub fn silent() -> OneOff {
        OneOff::start(Arc::new(|_: &Request, stream: TcpStream| {
            let _ = stream.shutdown(Shutdown::Both);
        }))
    }

    /// A minimal HTTP proxy: `CONNECT host:port` is answered 200 and
    /// tunnelled to the target; any other request is answered 502.
    pub fn connect_proxy() -> OneOff {
        OneOff::start(Arc::new(|request: &Request, stream: TcpStream| {
            tunnel(request, stream);
        }))
    }

    fn start(handler: Arc<Handler>) -> OneOff {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a one-off server");
        let addr = listener.local_addr().expect("its address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, log, stopped) = (accepted.clone(), requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let (log, handler) = (log.clone(), handler.clone());
                std::thread::spawn(move || {
                    let Some(request) = read_request(&mut stream) else {
                        return;
                    };
                    log.lock().unwrap().push(request.clone());
                    handler(&request, stream);
                });
            }
        });
        OneOff {
            addr,
            accepted,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections it accepted.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The requests it read, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for OneOff {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop up so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A whole HTTP/1.1 answer that closes the connection; `headers` are whole
/// header lines.
pub fn reply(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one request: the head, then as many bytes as its Content-Length.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())?
    });
    let mut read = buf.len() - head_end;
    while read < length.unwrap_or(0) {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    Some(Request { head })
}

/// The proxy's side of a `CONNECT`: answer 200, then copy bytes both ways
/// until either side closes.
fn tunnel(request: &Request, mut client: TcpStream) {
    let target = request
        .line()
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|host_port| TcpStream::connect(host_port).ok());
    let Some(mut target) = target else {
        let _ = client.write_all(&reply("502 Bad Gateway", "", "{}"));
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut from_client), Ok(mut to_target)) = (client.try_clone(), target.try_clone()) else {
        return;
    };
    let upstream = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_target);
        let _ = to_target.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut target, &mut client);
    let _ = client.shutdown(Shutdown::Both);
    let _ = upstream.join();
}
