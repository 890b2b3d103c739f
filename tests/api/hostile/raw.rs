//! Raw requests: 10 MB bodies declared, sent or chunked, and invalid UTF-8
//! in bodies, queries and credential headers.

use serde_json::json;

use super::bodies::{B, BODY_ROUTES};
use super::queries::LIST_ROUTES;
use super::{fixture, refused_without_a_trace};
use crate::kit::{
    ROOT_TOKEN, as_root, assert_unchanged, chunked, raw_get, request_head, root_auth,
};

const TEN_MB: usize = 10 * 1024 * 1024;

#[test]
fn ten_megabyte_bodies_get_413_on_every_body_route_without_a_dropped_connection() {
    refused_without_a_trace(0, 31, |fx, _, report| {
        let app = &fx.app;
        for route in BODY_ROUTES {
            let path = route.path(fx);
            let method = route.method();
            let auth = route.auth(fx);
            let declared = format!("Content-Length: {TEN_MB}\r\n");
            let cases = [
                (
                    "declared, never sent",
                    request_head(method, &path, &auth, &declared),
                    Vec::new(),
                ),
                (
                    "declared and sent",
                    request_head(method, &path, &auth, &declared),
                    vec![b'{'; TEN_MB],
                ),
                (
                    "chunked",
                    request_head(method, &path, &auth, "Transfer-Encoding: chunked\r\n"),
                    chunked(TEN_MB),
                ),
            ];
            for (how, head, body) in cases {
                let (status, answer) = app.exchange(&head, body);
                let what = format!("{method} {path} with 10 MB {how}");
                if report.check(&what, &path, status, &answer) && status != 413 {
                    report.fail(format!("{what}: expected 413, got {status}"));
                }
            }
        }
        // Without credentials a management route refuses before the body.
        let (status, answer) = app.exchange(
            &request_head(
                "POST",
                "/api/user/",
                "",
                &format!("Content-Length: {TEN_MB}\r\n"),
            ),
            vec![b' '; TEN_MB],
        );
        report.check("anonymous 10 MB", "/api/user/", status, &answer);
    });
}

#[test]
fn invalid_utf8_in_bodies_queries_and_headers_gets_4xx_and_changes_nothing() {
    refused_without_a_trace(0x5eed_0004, 80, |fx, rng, report| {
        let app = &fx.app;
        let bad_bytes: [&[u8]; 5] = [
            b"\xff\xfe",
            b"\xc0\xaf",
            b"\xed\xa0\x80",
            b"\x80",
            b"\xf8\x88\x80\x80\x80",
        ];
        for route in BODY_ROUTES {
            let path = route.path(fx);
            let method = route.method();
            let auth = route.auth(fx);
            let mut bodies: Vec<Vec<u8>> = Vec::new();
            // Invalid bytes inside each string field, the rest of the body valid JSON.
            for field in route.fields() {
                let bad = rng.pick(&bad_bytes);
                bodies.push([format!("{{\"{field}\":\"a").as_bytes(), bad, b"b\"}"].concat());
            }
            if route == B::Fetch {
                bodies.push([b"{\"ids\":[\"".as_slice(), b"\xff\xfe", b"\"]}"].concat());
            }
            // A byte-order mark before a body that is refused anyway.
            bodies.push(b"\xef\xbb\xbf{\"id\":\"x\",\"ids\":1,\"prompt\":1}".to_vec());
            // Noise.
            bodies.push((0..64).map(|_| (rng.next_u64() as u8) | 0x80).collect());
            for body in bodies {
                let extra = format!("Content-Length: {}\r\n", body.len());
                let shown = String::from_utf8_lossy(&body).into_owned();
                let (status, answer) =
                    app.exchange(&request_head(method, &path, &auth, &extra), body);
                let what = format!("{method} {path} {shown:?}");
                if report.check(&what, &path, status, &answer) && status != 400 {
                    report.fail(format!("{what}: expected 400, got {status}"));
                }
            }
        }
        // Percent-escaped invalid UTF-8 in names and values of the query.
        for route in LIST_ROUTES {
            let headers = if route.own {
                fx.alice.headers.clone()
            } else {
                as_root()
            };
            for query in [
                "%FF%FE=%FF%FE",
                "p=%FF",
                "page_size=%C0%AF",
                "task_id=%ED%A0%80&keyword=%FF",
            ] {
                let path = format!("{}?{query}", route.path);
                let (status, answer) = app.get(&path, &headers);
                report.check(&format!("GET {path}"), route.path, status, &answer);
            }
        }
        // Raw bytes and odd numbers in the credential headers: a 401, never a
        // 5xx and never somebody else's identity.
        let alice = fx.alice.id;
        let token_of_alice = fx.alice.headers[0].1.clone();
        let root_token = format!("Authorization: Bearer {ROOT_TOKEN}\r\n");
        let alice_token = format!("Authorization: {token_of_alice}\r\n");
        #[rustfmt::skip]
        let credentials: [(&str, &[u8]); 9] = [
            (&root_token, b"New-Api-User: \xff\xfe\r\n"),
            ("", b"Authorization: Bearer \xff\xfe\r\nNew-Api-User: 1\r\n"),
            (&root_token, b"New-Api-User: 99999999999999999999\r\n"),
            (&root_token, b"New-Api-User: 1e0\r\n"),
            (&root_token, b"New-Api-User: -1\r\n"),
            (&root_token, b"New-Api-User: 1 OR 1=1\r\n"),
            (&root_token, "New-Api-User: \u{661}\r\n".as_bytes()),
            (&alice_token, b"New-Api-User: 1\r\n"),
            ("", b"Authorization: Bearer ' OR 1=1 --\r\nNew-Api-User: 1\r\n"),
        ];
        for (first, second) in credentials {
            let lines = [first.as_bytes(), second].concat();
            for path in ["/api/user/self", "/api/task/self", "/api/log/self"] {
                let (status, answer) = app.exchange_bytes(&raw_get(path, &lines));
                let what = format!("GET {path} with {:?}", String::from_utf8_lossy(&lines));
                if report.check(&what, path, status, &answer) && status != 401 {
                    report.fail(format!("{what}: expected 401, got {status}"));
                }
            }
        }
        // Relay keys with raw bytes, and a repeated Authorization header.
        let repeated = format!(
            "Authorization: Bearer \r\nAuthorization: Bearer {}\r\n",
            fx.alice.key
        );
        let keys: [&[u8]; 3] = [
            b"Authorization: Bearer \xff\xfe\r\n",
            b"Authorization: Bearer sk-' OR 1=1 --\r\n",
            repeated.as_bytes(),
        ];
        for lines in keys {
            let path = format!("/suno/fetch/{}", fx.task_id);
            let (status, answer) = app.exchange_bytes(&raw_get(&path, lines));
            let what = format!("GET {path} with {:?}", String::from_utf8_lossy(lines));
            if report.check(&what, &path, status, &answer) && status != 401 {
                report.fail(format!("{what}: expected 401, got {status}"));
            }
        }
        // A repeated New-Api-User: whichever is read, alice stays alice.
        let request = format!(
            "GET /api/user/self HTTP/1.1\r\nHost: localhost\r\nAuthorization: {token_of_alice}\r\n\
             New-Api-User: {alice}\r\nNew-Api-User: 1\r\nConnection: close\r\n\r\n"
        );
        let (status, answer) = app.exchange_bytes(request.as_bytes());
        if report.check("repeated New-Api-User", "/api/user/self", status, &answer)
            && status == 200
            && answer["data"]["id"] != json!(alice)
        {
            report.fail(format!(
                "repeated New-Api-User: alice became {}",
                answer["data"]
            ));
        }
    });
}

/// serde_json skips a field the target type does not name without checking
/// its bytes, so a body that is not UTF-8 could pass as long as the bad
/// bytes sit in such a field: a JSON body must be UTF-8 as a whole.
#[test]
fn invalid_utf8_in_a_field_the_route_ignores_is_still_400() {
    let fx = fixture();
    let app = &fx.app;
    let before = app.db.fingerprint();
    let cases: [(&str, String, &[u8]); 2] = [
        (
            "/api/token/",
            format!(
                "Authorization: {}\r\nNew-Api-User: {}\r\n",
                fx.alice.headers[0].1, fx.alice.id
            ),
            b"{\"name\":\"k\",\"note\":\"\xff\xfe\"}",
        ),
        (
            "/api/user/",
            root_auth(),
            b"{\"username\":\"dave\",\"note\":\"\xc0\xaf\"}",
        ),
    ];
    for (path, auth, body) in cases {
        let extra = format!("Content-Length: {}\r\n", body.len());
        let (status, answer) =
            app.exchange(&request_head("POST", path, &auth, &extra), body.to_vec());
        assert_eq!(
            status,
            400,
            "POST {path} {:?} is not UTF-8: {answer}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(answer["success"], json!(false), "{answer}");
    }
    assert_unchanged(&before, &app.db.fingerprint());
}
