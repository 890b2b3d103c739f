//! Talking HTTP to a test server: headers for each kind of credential, JSON
//! requests whose answers are recorded for the leak check, and raw requests
//! for what a client library would not send (declared sizes never sent,
//! chunked bodies, invalid bytes in headers).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use serde_json::Value;

use super::app::{ROOT_TOKEN, TestApp};

/// Request headers as (name, value) pairs.
pub type Headers = Vec<(&'static str, String)>;

/// Answer headers as (lowercase name, value) pairs.
pub type HeaderList = Vec<(String, String)>;

/// Headers that authenticate as the root user.
pub fn as_root() -> Headers {
    as_user(1, ROOT_TOKEN)
}

/// Headers that authenticate as user `id` with its access token.
pub fn as_user(id: i64, token: &str) -> Headers {
    vec![
        ("Authorization", format!("Bearer {token}")),
        ("New-Api-User", id.to_string()),
    ]
}

/// `Authorization: Bearer <key>`: a relay client with an API key.
pub fn bearer(key: &str) -> Headers {
    vec![("Authorization", format!("Bearer {key}"))]
}

/// Root's credentials as raw header lines.
pub fn root_auth() -> String {
    format!("Authorization: Bearer {ROOT_TOKEN}\r\nNew-Api-User: 1\r\n")
}

/// A blocking agent that reports every status as a response.
///
/// No pooled connections: a request the server answers before reading its
/// body (a 401 on a POST, a 405) may leave hyper closing that connection,
/// and a reused one would then fail the next request with a broken pipe.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_idle_connections(0)
        .max_idle_connections_per_host(0)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Sends a request (a JSON body when given); the status and the body as
/// text, or the transport error.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Result<(u16, String), String> {
    send_full(agent, method, url, headers, body).map(|(status, _, text)| (status, text))
}

/// [`send`], with the answer's headers (names in lowercase).
pub fn send_full(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, String)],
    body: Option<Vec<u8>>,
) -> Result<(u16, HeaderList, String), String> {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    let result = match body {
        Some(bytes) => agent.run(
            builder
                .header("Content-Type", "application/json")
                .body(bytes)
                .expect("build the request"),
        ),
        None => agent.run(builder.body(()).expect("build the request")),
    };
    let mut response = result.map_err(|e| format!("transport error: {e}"))?;
    let status = response.status().as_u16();
    let answer_headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_ascii_lowercase(), value)
        })
        .collect();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("cannot read the body: {e}"))?;
    Ok((status, answer_headers, text))
}

/// An answer with its headers.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names in lowercase.
    pub headers: HeaderList,
    /// The JSON body.
    pub body: Value,
}

impl Answer {
    /// The values of header `name`.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// The status and JSON body of the answer to `what` (`METHOD url`). Every
/// answer of the service is JSON, so one that is not, or none, fails the test.
pub fn json_answer(what: &str, answer: Result<(u16, String), String>) -> (u16, Value) {
    let (status, text) = answer.unwrap_or_else(|e| panic!("{what}: {e}"));
    let value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("{what}: answered {status} with a body that is not JSON ({e}): {text:?}")
    });
    (status, value)
}

impl TestApp {
    /// Sends a request (a JSON body when given) and returns the status and
    /// the JSON answer, which is recorded for the leak check.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base_url());
        let answer = send(&self.agent, method, &url, headers, body);
        let (status, value) = json_answer(&format!("{method} {url}"), answer);
        self.leaks.record(&value);
        (status, value)
    }

    /// Like [`TestApp::request`], with the answer's headers.
    pub fn request_with_headers(
        &self,
        method: &str,
        path: &str,
        headers: &Headers,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let url = format!("{}{path}", self.base_url());
        let what = format!("{method} {url}");
        let (status, answer_headers, text) = send_full(&self.agent, method, &url, headers, body)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let (status, body) = json_answer(&what, Ok((status, text)));
        self.leaks.record(&body);
        Answer {
            status,
            headers: answer_headers,
            body,
        }
    }

    /// `GET path`.
    pub fn get(&self, path: &str, headers: &Headers) -> (u16, Value) {
        self.request("GET", path, headers, None)
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, headers: &Headers, body: &Value) -> (u16, Value) {
        self.request("POST", path, headers, Some(body.to_string().into_bytes()))
    }

    /// `PUT path` with a JSON body.
    pub fn put(&self, path: &str, headers: &Headers, body: &Value) -> (u16, Value) {
        self.request("PUT", path, headers, Some(body.to_string().into_bytes()))
    }

    /// `DELETE path`.
    pub fn delete(&self, path: &str, headers: &Headers) -> (u16, Value) {
        self.request("DELETE", path, headers, None)
    }

    /// Writes `head` on a fresh connection, then `body` from a second thread
    /// while this one reads the answer, so that an answer given before the
    /// body is read (a 401, a 413) is heard however much of the body the
    /// server refused. A connection closed or reset before a whole answer
    /// arrived fails the test.
    pub fn exchange(&self, head: &str, body: Vec<u8>) -> (u16, Value) {
        let line = head.lines().next().unwrap_or_default().to_string();
        let mut stream = TcpStream::connect(self.addr).expect("connect to the app");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("set a read timeout");
        stream.write_all(head.as_bytes()).expect("send the head");
        let mut writer = stream.try_clone().expect("clone the socket");
        writer
            .set_write_timeout(Some(Duration::from_secs(30)))
            .expect("set a write timeout");
        let sender = std::thread::spawn(move || {
            for chunk in body.chunks(64 * 1024) {
                if writer.write_all(chunk).is_err() {
                    break;
                }
            }
        });
        let answer = read_answer(&mut stream);
        let _ = stream.shutdown(Shutdown::Both);
        let _ = sender.join();
        let (status, value) =
            answer.unwrap_or_else(|e| panic!("{line}: the connection dropped: {e}"));
        self.leaks.record(&value);
        (status, value)
    }

    /// Sends a whole raw request (head and body) and reads the answer.
    pub fn exchange_bytes(&self, request: &[u8]) -> (u16, Value) {
        let split = request
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(request.len(), |i| i + 4);
        let head = String::from_utf8_lossy(&request[..split]).into_owned();
        self.exchange(&head, request[split..].to_vec())
    }

    /// `POST path` with `key` and a chunked body of `total` spaces (no
    /// Content-Length): a body too large is only found out while reading.
    pub fn post_chunked(&self, path: &str, key: &str, total: usize) -> (u16, Value) {
        let auth = format!("Authorization: Bearer {key}\r\n");
        let head = request_head("POST", path, &auth, "Transfer-Encoding: chunked\r\n");
        self.exchange(&head, chunked(total))
    }
}

/// The request line and headers of a raw JSON request; `auth` and `extra`
/// are whole header lines.
pub fn request_head(method: &str, path: &str, auth: &str, extra: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Content-Type: application/json\r\n\
         {extra}Connection: close\r\n\r\n"
    )
}

/// A raw GET with these header lines.
pub fn raw_get(path: &str, header_lines: &[u8]) -> Vec<u8> {
    [
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n").as_bytes(),
        header_lines,
        b"Connection: close\r\n\r\n",
    ]
    .concat()
}

/// `total` spaces framed as 64 KiB chunks and the last chunk.
pub fn chunked(total: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(total + total / 1000 + 16);
    let mut left = total;
    while left > 0 {
        let n = left.min(64 * 1024);
        out.extend_from_slice(format!("{n:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b' ', n));
        out.extend_from_slice(b"\r\n");
        left -= n;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// Reads one answer: its head, then a body framed by Content-Length,
/// chunks, or the end of the connection.
fn read_answer(stream: &mut TcpStream) -> Result<(u16, Value), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .map_err(|e| format!("{e} after {:?}", String::from_utf8_lossy(&buf)))?;
        buf.extend_from_slice(&chunk[..n]);
        if let Some(answer) = parse_answer(&buf, n == 0)? {
            return Ok(answer);
        }
    }
}

/// The answer in `buf` once it is whole; an error if the connection
/// `closed` before that.
fn parse_answer(buf: &[u8], closed: bool) -> Result<Option<(u16, Value)>, String> {
    let text = String::from_utf8_lossy(buf);
    let incomplete = |what: &str| {
        if closed {
            Err(format!("closed {what}: {text:?}"))
        } else {
            Ok(None)
        }
    };
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return incomplete("before a whole head");
    };
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line: {head:?}"))?;
    let lower = head.to_ascii_lowercase();
    let length = lower.lines().find_map(|l| {
        l.strip_prefix("content-length:")
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let body = if let Some(len) = length {
        match body.get(..len) {
            Some(b) => b.to_string(),
            None => return incomplete("inside the body"),
        }
    } else if lower.contains("transfer-encoding: chunked") {
        match dechunk(body) {
            Some(b) => b,
            None => return incomplete("inside the chunks"),
        }
    } else if closed {
        body.to_string()
    } else {
        return Ok(None);
    };
    serde_json::from_str(&body)
        .map(|v| Some((status, v)))
        .map_err(|e| format!("the body is not JSON ({e}): {text:?}"))
}

/// The body of a chunked answer, once its last chunk has arrived.
pub fn dechunk(mut s: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n")?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..n)?);
        s = rest.get(n..)?.strip_prefix("\r\n")?;
    }
}
