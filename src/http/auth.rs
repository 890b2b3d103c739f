//! Management authentication: `Authorization: Bearer <access token>` plus
//! `New-Api-User: <id>` (also accepted as `Bearer <id>`).

use warp::http::HeaderMap;
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

/// Checks the two headers and returns the authenticated, enabled user.
pub fn authenticate(ctx: &Context, headers: &HeaderMap) -> Result<User> {
    let token = header(headers, "authorization")?
        .map(strip_bearer)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Unauthenticated("access token is missing".into()))?;
    let claimed = header(headers, "new-api-user")?
        .ok_or_else(|| Error::Unauthenticated("New-Api-User header is missing".into()))?;
    let claimed: i64 = strip_bearer(claimed).parse().map_err(|_| {
        Error::Unauthenticated("New-Api-User header must be a numeric user id".into())
    })?;
    let user = ctx
        .store
        .user_by_access_token(token)?
        .ok_or_else(|| Error::Unauthenticated("invalid access token".into()))?;
    if user.id != claimed {
        return Err(Error::Unauthenticated(
            "New-Api-User does not match the access token's user".into(),
        ));
    }
    if user.status != USER_ENABLED {
        return Err(Error::Forbidden("user is disabled".into()));
    }
    Ok(user)
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
    warp::header::headers_cloned().and(with_ctx(ctx)).and_then(
        move |headers: HeaderMap, ctx: Context| async move {
            blocking(move || {
                let user = authenticate(&ctx, &headers)?;
                policy::require(user.role(), min)?;
                Ok(Caller { user, ctx })
            })
            .await
        },
    )
}
