//! Logging in with a password: `POST /api/user/login` starts a session
//! (the cookie [`SESSION_COOKIE`]), `GET /api/user/logout` ends it. Failed
//! logins are throttled per username and per client address.

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Deserialize;
use warp::http::HeaderMap;
use warp::http::header::{HeaderValue, SET_COOKIE};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use super::auth::{SESSION_COOKIE, session_cookie};
use super::envelope::ok;
use super::{blocking, body, with_ctx};
use crate::context::Context;
use crate::domain::role::USER_ENABLED;
use crate::error::{Error, Result};
use crate::password::{self, Verdict};
use crate::store::sessions::SESSION_TTL_SECS;
use crate::store::users::User;
use crate::throttle::Throttle;

/// Failed logins allowed per username, and per address, in a window.
pub const FAILURES_PER_WINDOW: u32 = 10;
/// The throttle's window, in seconds.
pub const WINDOW_SECS: i64 = 60;

/// The one answer to a wrong username and to a wrong password alike.
const REFUSAL: &str = "invalid username or password";

/// Failed logins, counted per username and per client address.
pub struct Guard {
    usernames: Throttle,
    addresses: Throttle,
}

impl Guard {
    /// A guard reading time from the context's clock.
    fn new(ctx: &Context) -> Guard {
        let t = || Throttle::new(FAILURES_PER_WINDOW, WINDOW_SECS, ctx.clock.clone());
        Guard {
            usernames: t(),
            addresses: t(),
        }
    }
}

/// Both login routes; one guard for the life of the server.
pub fn routes(ctx: Context) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    let guard = Arc::new(Guard::new(&ctx));
    login(ctx.clone(), guard).or(logout(ctx))
}

#[derive(Debug, Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// `POST /api/user/login` `{"username", "password"}` → the user as
/// `GET /api/user/self` shows it, and `Set-Cookie` with a new session.
/// Wrong username or password → 401 `invalid username or password`; after
/// 10 failures in a minute for the username or the address → 429.
pub fn login(
    ctx: Context,
    guard: Arc<Guard>,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / "login")
        .and(warp::post())
        .and(warp::addr::remote())
        .and(body::json::<Credentials>())
        .and(with_ctx(ctx))
        .and(warp::any().map(move || guard.clone()))
        .and_then(answer_login)
}

async fn answer_login(
    remote: Option<SocketAddr>,
    creds: Credentials,
    ctx: Context,
    guard: Arc<Guard>,
) -> std::result::Result<Response, Rejection> {
    let address = remote.map_or_else(|| "unknown".into(), |a| a.ip().to_string());
    let secure = ctx.config.cookie_secure;
    // Argon2 is slow on purpose: on the blocking pool, like the store.
    let (user, session) = blocking(move || log_in(&ctx, &guard, &creds, &address)).await?;
    let mut resp = ok(user);
    resp.headers_mut()
        .append(SET_COOKIE, cookie(&session, SESSION_TTL_SECS, secure));
    Ok(resp)
}

/// Checks the credentials and starts a session: the user and its id.
fn log_in(
    ctx: &Context,
    guard: &Guard,
    creds: &Credentials,
    address: &str,
) -> Result<(User, String)> {
    let username = creds.username.trim();
    if username.is_empty() || creds.password.is_empty() {
        return Err(Error::invalid("username and password are required"));
    }
    // Throttle keys are bounded; no real username is longer than 64.
    let name_key: String = username.chars().take(64).collect();
    let wait = [
        guard.usernames.blocked_for(&name_key),
        guard.addresses.blocked_for(address),
    ]
    .into_iter()
    .flatten()
    .max();
    if let Some(wait) = wait {
        log::warn!("login refused for username {username:?} from {address}: throttled");
        return Err(Error::TooManyRequests(format!(
            "too many failed logins: try again in {wait} s"
        )));
    }
    let found = ctx.store.user_for_login(username)?;
    let verdict = match &found {
        Some((_, Some(hash))) => password::verify(&creds.password, hash),
        // No such user, or no password: the same work and the same answer
        // as a wrong password, so that neither tells which usernames exist.
        _ => {
            password::verify_nobody(&creds.password);
            Verdict::Wrong
        }
    };
    let (user, stored) = match (verdict, found) {
        (Verdict::Right | Verdict::RightButOld, Some((user, Some(stored)))) => (user, stored),
        _ => {
            guard.usernames.fail(&name_key);
            guard.addresses.fail(address);
            log::warn!("failed login for username {username:?} from {address}");
            return Err(Error::Unauthenticated(REFUSAL.into()));
        }
    };
    if verdict == Verdict::RightButOld {
        // Proven right once: from now on stored as Argon2id.
        let upgraded = password::hash(&creds.password);
        ctx.store
            .upgrade_password_hash(user.id, &stored, &upgraded)?;
    }
    if user.status != USER_ENABLED {
        return Err(Error::Forbidden("user is disabled".into()));
    }
    guard.usernames.forget(&name_key);
    let session = ctx.store.start_session(user.id)?;
    log::info!(
        "{} (id {}) logged in from {address}",
        user.username,
        user.id
    );
    Ok((user, session))
}

/// `GET /api/user/logout` → ends the session of the cookie (if any) and
/// clears the cookie; always succeeds.
pub fn logout(ctx: Context) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("api" / "user" / "logout")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_ctx(ctx))
        .and_then(|headers: HeaderMap, ctx: Context| async move {
            let secure = ctx.config.cookie_secure;
            let session = session_cookie(&headers);
            blocking(move || match session {
                Some(id) => Ok(ctx.store.end_session(&id)?),
                None => Ok(()),
            })
            .await?;
            let mut resp = ok(());
            resp.headers_mut().append(SET_COOKIE, cookie("", 0, secure));
            Ok::<_, Rejection>(resp)
        })
}

/// The session cookie: script cannot read it (`HttpOnly`), other sites'
/// requests do not carry it (`SameSite=Strict`), and `Secure` when the
/// server is told it is reached over HTTPS.
fn cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    // The id is alphanumeric, so the header is always valid.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("taskcenter_session="))
}
