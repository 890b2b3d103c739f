//! Wiring a route to its handler: the route filter matches the method and
//! path, the caller filter authenticates, and the handler is a plain
//! function run on the blocking pool whose result is answered in the
//! management envelope. Each shape of input has one wiring function.

use serde::Serialize;
use serde::de::DeserializeOwned;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::auth::{self, Caller, Credentials};
use super::{answer, body, query};
use crate::context::Context;
use crate::domain::{QueryParams, Role};
use crate::error::Result;

/// A filter extracting `E` that routes can be built from.
pub trait Route<E>: Filter<Extract = E, Error = Rejection> + Clone + Send + Sync + 'static {}

impl<E, F> Route<E> for F where
    F: Filter<Extract = E, Error = Rejection> + Clone + Send + Sync + 'static
{
}

/// A handler of the caller alone.
pub fn plain<R, C, T>(
    route: R,
    caller: C,
    handler: fn(&Caller) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Route<()>,
    C: Route<(Caller,)>,
    T: Serialize + Send + 'static,
{
    route
        .and(caller)
        .and_then(move |c: Caller| answer(move || handler(&c)))
}

/// A handler of the caller and the query string.
pub fn with_query<R, C, T>(
    route: R,
    caller: C,
    handler: fn(&Caller, &QueryParams) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Route<()>,
    C: Route<(Caller,)>,
    T: Serialize + Send + 'static,
{
    route
        .and(caller)
        .and(query())
        .and_then(move |c: Caller, q: QueryParams| answer(move || handler(&c, &q)))
}

/// A handler of the caller and a JSON body.
pub fn with_json<R, C, B, T>(
    route: R,
    caller: C,
    handler: fn(&Caller, B) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Route<()>,
    C: Route<(Caller,)>,
    B: DeserializeOwned + Send + 'static,
    T: Serialize + Send + 'static,
{
    route
        .and(caller)
        .and(body::json::<B>())
        .and_then(move |c: Caller, b: B| answer(move || handler(&c, b)))
}

/// A handler of the caller and the id in the path.
pub fn with_id<R, C, T>(
    route: R,
    caller: C,
    handler: fn(&Caller, &str) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Route<(String,)>,
    C: Route<(Caller,)>,
    T: Serialize + Send + 'static,
{
    route
        .and(caller)
        .and_then(move |id: String, c: Caller| answer(move || handler(&c, &id)))
}

/// A handler of the caller, the id in the path and a JSON body.
pub fn with_id_json<R, C, B, T>(
    route: R,
    caller: C,
    handler: fn(&Caller, &str, B) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Route<(String,)>,
    C: Route<(Caller,)>,
    B: DeserializeOwned + Send + 'static,
    T: Serialize + Send + 'static,
{
    route
        .and(caller)
        .and(body::json::<B>())
        .and_then(move |id: String, c: Caller, b: B| answer(move || handler(&c, &id, b)))
}

/// A resource's two lists: the caller's own at `own`, and everyone's at
/// `all` for administrators; one handler, told which (`true`: all).
///
/// The credentials are checked on the handler's blocking-pool hop rather
/// than one of their own: a list is the busiest read, and each hop is a
/// thread hand-off both ways. The order of refusals stays: the query string
/// cannot be refused (decoding into string pairs is lossy, never an error),
/// so a bad credential is still the first and only thing answered.
pub fn own_and_all<T>(
    own: impl Route<()>,
    all: impl Route<()>,
    ctx: Context,
    handler: fn(&Caller, &QueryParams, bool) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    T: Serialize + Send + 'static,
{
    let list = move |admin: bool| {
        move |credentials: Credentials, q: QueryParams| {
            answer(move || handler(&credentials.check()?, &q, admin))
        }
    };
    let mine = own
        .and(auth::credentials(ctx.clone(), Role::Common))
        .and(query())
        .and_then(list(false));
    let every = all
        .and(auth::credentials(ctx, Role::Admin))
        .and(query())
        .and_then(list(true));
    mine.or(every).unify()
}

/// A handler of the caller, the id in the path and the query string.
pub fn with_id_query<R, C, T>(
    route: R,
    caller: C,
    handler: fn(&Caller, &str, &QueryParams) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Route<(String,)>,
    C: Route<(Caller,)>,
    T: Serialize + Send + 'static,
{
    route
        .and(caller)
        .and(query())
        .and_then(move |id: String, c: Caller, q: QueryParams| answer(move || handler(&c, &id, &q)))
}

/// A handler of the caller and the two ids in the path (a record and one
/// of its parts).
pub fn with_two_ids<R, C, T>(
    route: R,
    caller: C,
    handler: fn(&Caller, &str, &str) -> Result<T>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone
where
    R: Route<(String, String)>,
    C: Route<(Caller,)>,
    T: Serialize + Send + 'static,
{
    route
        .and(caller)
        .and_then(move |a: String, b: String, c: Caller| answer(move || handler(&c, &a, &b)))
}
