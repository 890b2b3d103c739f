//! The frame of every platform mock's routes: its own calls, the `/mock/...` control routes
//! and one `recover` turning rejections into the platform's error body.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::control::{Controlled, control_routes};
use crate::server::with_state;

/// All routes of a platform mock: each of `calls` (the platform routes, extracting what
/// was asked) answered by `answer` with the `Authorization` header, then the control routes;
/// `recover` answers whatever neither matched.
pub(crate) fn mock_routes<S, C, T, A, Fut, R, RFut>(
    state: Arc<S>,
    calls: C,
    answer: A,
    recover: R,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static
where
    S: Controlled,
    C: Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync + 'static,
    T: Send + 'static,
    A: Fn(T, Option<String>, Arc<S>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send,
    R: Fn(Rejection) -> RFut + Clone + Send + Sync + 'static,
    RFut: Future<Output = Result<Response, Infallible>> + Send,
{
    calls
        .and(warp::header::optional::<String>("authorization"))
        .and(with_state(state.clone()))
        .then(answer)
        .or(control_routes(state))
        .unify()
        .recover(recover)
        .unify()
}
