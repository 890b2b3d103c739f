//! Answers as the platforms send them: JSON kept as bytes, or no answer at all.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use warp::Reply;
use warp::http::header::CONTENT_TYPE;
use warp::http::{HeaderValue, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;

use crate::fault::HUGE_BODY_BYTES;

/// A JSON answer; kept as bytes until the end so that [`crate::Fault::HugeBody`] can pad it
/// and [`crate::Fault::MalformedJson`] can send what no serializer would.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// HTTP 200 with `body` sent byte for byte.
    pub(crate) fn raw(body: &[u8]) -> Answer {
        Answer {
            status: StatusCode::OK,
            body: body.to_vec(),
        }
    }

    /// Adds a ~10 MB `padding` member in front of a JSON object body.
    pub(crate) fn padded(self) -> Answer {
        let mut body = Vec::with_capacity(HUGE_BODY_BYTES + self.body.len() + 16);
        body.extend_from_slice(b"{\"padding\":\"");
        body.resize(body.len() + HUGE_BODY_BYTES, b'x');
        body.extend_from_slice(b"\",");
        body.extend_from_slice(self.body.get(1..).unwrap_or_default());
        Answer {
            status: self.status,
            body,
        }
    }
}

impl Reply for Answer {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.body.into());
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// A response whose body fails before its first byte, so hyper drops the connection
/// unanswered ([`crate::Fault::Disconnect`]).
pub(crate) fn disconnect() -> Response {
    warp::reply::stream(Abort).into_response()
}

/// A body stream that fails at once.
struct Abort;

impl warp::Stream for Abort {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "mock fault: disconnect",
        ))))
    }
}
