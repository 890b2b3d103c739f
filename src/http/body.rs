//! Request bodies: a size limit that also covers chunked bodies, and JSON
//! parsing with clear 400s.

use bytes::Buf;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use warp::{Filter, Rejection};

use super::error::{HttpError, reject};
use crate::error::Error;

/// Largest accepted body: 1 MiB.
pub const BODY_LIMIT: u64 = 1024 * 1024;

/// The whole body as bytes, 413 past [`BODY_LIMIT`].
pub fn limited_bytes() -> impl Filter<Extract = (Vec<u8>,), Error = Rejection> + Clone {
    limited_bytes_up_to(BODY_LIMIT)
}

/// The whole body as bytes, 413 past `limit` (for routes that take files).
pub fn limited_bytes_up_to(
    limit: u64,
) -> impl Filter<Extract = (Vec<u8>,), Error = Rejection> + Clone {
    warp::header::optional::<u64>("content-length")
        .or(warp::any().map(|| None))
        .unify()
        .and(warp::body::stream())
        .and_then(move |len, stream| collect_limited(limit, len, stream))
}

async fn collect_limited<S, B>(
    limit: u64,
    len: Option<u64>,
    stream: S,
) -> Result<Vec<u8>, Rejection>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: Buf,
{
    if len.is_some_and(|n| n > limit) {
        return Err(reject(HttpError::PayloadTooLarge(limit)));
    }
    let mut stream = Box::pin(stream);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let mut chunk =
            chunk.map_err(|e| reject(Error::invalid(format!("cannot read body: {e}"))))?;
        if out.len() as u64 + chunk.remaining() as u64 > limit {
            return Err(reject(HttpError::PayloadTooLarge(limit)));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(out)
}

/// Parses a JSON body into `T`; malformed or mistyped → 400 naming the problem.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::invalid(
            "request body is empty: expected a JSON object",
        ));
    }
    // serde skips unread fields without checking their bytes: check them all.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| Error::invalid(format!("request body is not valid UTF-8: {e}")))?;
    // Every body of this API is an object; serde would otherwise read an
    // array as the struct's fields in order.
    if !text.trim_start().starts_with('{') {
        return Err(Error::invalid("request body must be a JSON object"));
    }
    serde_json::from_str(text).map_err(|e| Error::invalid(format!("invalid JSON body: {e}")))
}

/// The body parsed as JSON into `T`.
pub fn json<T: DeserializeOwned + Send + 'static>()
-> impl Filter<Extract = (T,), Error = Rejection> + Clone {
    limited_bytes()
        .and_then(|bytes: Vec<u8>| async move { parse_json::<T>(&bytes).map_err(reject) })
}
