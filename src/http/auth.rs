//! Management authentication: `Authorization: Bearer <access token>` or
//! the session cookie of a login, plus `New-Api-User: <id>` (also accepted
//! as `Bearer <id>`) naming the same user.

use warp::http::{HeaderMap, Method};
use warp::{Filter, Rejection};

use super::{blocking, with_ctx};
use crate::context::Context;
use crate::domain::Role;
use crate::domain::role::USER_ENABLED;
use crate::error::{Error, Result};
use crate::policy;
use crate::store::users::User;

/// An authenticated caller and the context to serve them with.
#[derive(Clone)]
pub struct Caller {
    /// The enabled user behind the credentials.
    pub user: User,
    /// The service.
    pub ctx: Context,
}

impl Caller {
    /// How the caller is named in log rows they cause.
    pub fn label(&self) -> String {
        format!("{} (id {})", self.user.username, self.user.id)
    }
}

/// Strips an optional `Bearer ` prefix (any case) and surrounding spaces.
pub fn strip_bearer(v: &str) -> &str {
    let v = v.trim();
    if v.len() >= 7 && v[..7].eq_ignore_ascii_case("bearer ") {
        v[7..].trim()
    } else {
        v
    }
}

/// A header's text; `None` when absent or blank, 401 when not text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s).filter(|s| !s.trim().is_empty()))
            .map_err(|_| Error::Unauthenticated(format!("header {name} is not valid text"))),
    }
}

/// The bearer credential of `Authorization`, empty when there is none.
pub fn bearer(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|v| strip_bearer(v).to_string())
        .unwrap_or_default()
}

/// The name of the session cookie `POST /api/user/login` sets.
pub const SESSION_COOKIE: &str = "taskcenter_session";

/// The value of the session cookie, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// What a request authenticates with.
enum Credential<'a> {
    /// An access token from `Authorization`.
    Token(&'a str),
    /// A session id from the cookie.
    Session(String),
}

/// Checks the credentials and returns the authenticated, enabled user:
/// `Authorization: Bearer <access token>` or, without it, the session
/// cookie; either way `New-Api-User` must name the same user.
pub fn authenticate(ctx: &Context, headers: &HeaderMap, method: &Method) -> Result<User> {
    authenticate_as(ctx, headers, method, Claim::Required)
}

/// Whether a request must name its user in `New-Api-User`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Every route but the one below.
    Required,
    /// Only `GET /api/task/self/{id}/content`: a `<video src>` cannot send
    /// headers. Safe because the route only reads, and the session cookie
    /// is `SameSite=Strict` (another site's page cannot make a browser
    /// send it); the header, when sent, must still match.
    Optional,
}

/// [`authenticate`], with `New-Api-User` required or optional.
pub fn authenticate_as(
    ctx: &Context,
    headers: &HeaderMap,
    method: &Method,
    claim: Claim,
) -> Result<User> {
    let token = header(headers, "authorization")?
        .map(strip_bearer)
        .filter(|t| !t.is_empty());
    let credential = match token {
        Some(token) => Credential::Token(token),
        None => Credential::Session(session_cookie(headers).ok_or_else(|| {
            Error::Unauthenticated(
                "access token is missing (or log in for a session cookie)".into(),
            )
        })?),
    };
    let claimed = match (header(headers, "new-api-user")?, claim) {
        (Some(claimed), _) => Some(strip_bearer(claimed).parse::<i64>().map_err(|_| {
            Error::Unauthenticated("New-Api-User header must be a numeric user id".into())
        })?),
        (None, Claim::Optional) => None,
        (None, Claim::Required) => {
            return Err(Error::Unauthenticated(
                "New-Api-User header is missing".into(),
            ));
        }
    };
    let user = match credential {
        Credential::Token(token) => ctx
            .store
            .user_by_access_token(token)?
            .ok_or_else(|| Error::Unauthenticated("invalid access token".into()))?,
        Credential::Session(session) => {
            same_origin(headers, method)?;
            ctx.store.user_by_session(&session)?.ok_or_else(|| {
                Error::Unauthenticated("session expired or ended: log in again".into())
            })?
        }
    };
    if claimed.is_some_and(|claimed| claimed != user.id) {
        return Err(Error::Unauthenticated(
            "New-Api-User does not match the credentials' user".into(),
        ));
    }
    if user.status != USER_ENABLED {
        return Err(Error::Forbidden("user is disabled".into()));
    }
    Ok(user)
}

/// The CSRF rule of cookie-authenticated writes. A browser attaches the
/// cookie to a request another site makes it send; such a request either
/// cannot carry `New-Api-User` (a form, a simple request: the header is
/// required above) or names the other site in `Origin` (a script's
/// request), which must then be this server as the `Host` header names it.
fn same_origin(headers: &HeaderMap, method: &Method) -> Result<()> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(origin) = headers.get("origin") else {
        return Ok(());
    };
    let host = headers.get("host").and_then(|h| h.to_str().ok());
    let origin_host = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
    });
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(Error::Forbidden(
            "cross-origin request refused: a write with the session cookie must come from this server's own origin".into(),
        )),
    }
}

/// The credentials of a request, not checked yet: for a route that checks
/// them on the same blocking-pool hop as its handler ([`Credentials::check`])
/// instead of a hop of their own.
pub struct Credentials {
    headers: HeaderMap,
    method: Method,
    ctx: Context,
    min: Role,
}

impl Credentials {
    /// The enabled caller with at least the role asked for; blocking (reads
    /// the store).
    pub fn check(self) -> Result<Caller> {
        let user = authenticate(&self.ctx, &self.headers, &self.method)?;
        policy::require(user.role(), self.min)?;
        Ok(Caller {
            user,
            ctx: self.ctx,
        })
    }
}

/// The request's credentials for a caller of at least role `min`, taken
/// without checking (never rejects).
pub fn credentials(
    ctx: Context,
    min: Role,
) -> impl Filter<Extract = (Credentials,), Error = std::convert::Infallible> + Clone {
    warp::header::headers_cloned()
        .and(warp::method())
        .and(with_ctx(ctx))
        .map(move |headers, method, ctx| Credentials {
            headers,
            method,
            ctx,
            min,
        })
}

/// Any enabled user.
pub fn user(ctx: Context) -> impl Filter<Extract = (Caller,), Error = Rejection> + Clone {
    role(ctx, Role::Common)
}

/// An enabled user with at least role `min`.
pub fn role(
    ctx: Context,
    min: Role,
) -> impl Filter<Extract = (Caller,), Error = Rejection> + Clone {
    credentials(ctx, min).and_then(|credentials: Credentials| blocking(move || credentials.check()))
}
