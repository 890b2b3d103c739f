//! Every request gets an id: the client's `X-Request-Id` when it is sane,
//! else a new one. It comes back in `X-Request-Id`, starts the request's log
//! line, and names the request in the message of a 500, whose detail goes
//! only to the log, under the same id.

use std::sync::Arc;
use std::time::Instant;

use warp::http::{HeaderValue, Method};
use warp::path::FullPath;
use warp::reply::Response;
use warp::{Filter, Reply};

use super::observe::Observer;

/// Longest accepted client-supplied id.
const MAX_LEN: usize = 64;

/// A request's id.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Attached to a 500 response by the envelope that rendered it: the detail
/// for the log, and how to render the same envelope with another message.
#[derive(Clone)]
pub struct InternalFailure {
    /// What went wrong, for the server log only.
    pub detail: String,
    /// Renders the response again with the given client message.
    pub render: Arc<dyn Fn(&str) -> Response + Send + Sync>,
}

/// Whether a client-supplied id can be echoed and logged as it is.
fn is_sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The request's id, taken or made.
fn request_id() -> impl Filter<Extract = (RequestId,), Error = std::convert::Infallible> + Clone {
    warp::header::optional::<String>("x-request-id")
        .or(warp::any().map(|| None))
        .unify()
        .map(|given: Option<String>| {
            RequestId(match given {
                Some(id) if is_sane(&id) => id,
                _ => format!("req_{}", crate::secrets::random_alphanumeric(20)),
            })
        })
}

/// Wraps the service's routes: ids, the access log, the request metrics,
/// and 500s that name their request instead of showing what failed.
pub fn wrap<F, R>(
    routes: F,
    observer: Observer,
) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible> + Clone
where
    F: Filter<Extract = (R,), Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
    R: Reply,
{
    warp::any()
        .map(Instant::now)
        .and(request_id())
        .and(warp::method())
        .and(warp::path::full())
        .and(routes)
        .map(
            move |started: Instant, id: RequestId, method: Method, path: FullPath, reply: R| {
                let resp = finish(started, id, &method, &path, reply.into_response());
                observer.record(&method, path.as_str(), resp.status(), started.elapsed());
                resp
            },
        )
}

fn finish(
    started: Instant,
    id: RequestId,
    method: &Method,
    path: &FullPath,
    mut resp: Response,
) -> Response {
    if let Some(failure) = resp.extensions_mut().remove::<InternalFailure>() {
        log::error!(
            "{} {method} {} failed: {}",
            id.0,
            path.as_str(),
            failure.detail
        );
        let status = resp.status();
        resp = (failure.render)(&format!("internal error (request {})", id.0));
        *resp.status_mut() = status;
    }
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        resp.headers_mut().insert("x-request-id", v);
    }
    log::info!(
        "{} {method} {} {} {:.1}ms",
        id.0,
        path.as_str(),
        resp.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken() {
        assert!(is_sane("abc-123_x.y:z"));
        assert!(!is_sane(""));
        assert!(!is_sane("a b"));
        assert!(!is_sane("a\nb"));
        assert!(!is_sane(&"a".repeat(65)));
    }
}
