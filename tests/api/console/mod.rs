//! The console: its page and assets as served (types, caching, gzip, the
//! security headers, no inline code), and the session-friendly content
//! route its `<video>` elements play from. What the page's scripts do is
//! tested in a real browser (`browser/`), not here.

mod assets;
mod browser;
mod content;
mod page;

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::kit::TestApp;

/// A raw answer: status, headers (names in lowercase), body bytes as sent.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    /// The one value of header `name`, if present.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` with exactly these header lines over a plain socket, so no
/// client decompresses or revalidates behind the test's back.
fn raw_get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Raw {
    raw(app, "GET", path, headers)
}

/// [`raw_get`] with another method.
fn raw(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut stream = TcpStream::connect(app.addr).expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", app.addr);
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("read the answer");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("GET {path}: no header end"));
    let text = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("GET {path}: a status line in {text:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = bytes[split + 4..].to_vec();
    assert!(
        !headers
            .iter()
            .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked")),
        "GET {path}: console answers have a known length"
    );
    Raw {
        status,
        headers,
        body,
    }
}

/// The page as served to a client that takes it plain.
fn page(app: &TestApp) -> String {
    let answer = raw_get(app, "/", &[]);
    assert_eq!(answer.status, 200);
    String::from_utf8(answer.body).expect("the page is UTF-8")
}

/// Every `/assets/...` address the page names (with its `?v=`).
fn asset_paths(html: &str) -> Vec<String> {
    html.split('"')
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_string)
        .collect()
}
