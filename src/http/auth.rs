//! Management authentication: `Authorization: Bearer <access token>` plus
//! `New-Api-User: <id>` (also accepted as `Bearer <id>`).

use warp::http::HeaderMap;
use warp::{Filter, Rejection};

use super::{State, blocking, with_state};
use crate::domain::Role;
use crate::domain::role::USER_ENABLED;
use crate::error::AppError;
use crate::store::users::User;

/// Strips an optional `Bearer ` prefix (any case) and surrounding spaces.
pub fn strip_bearer(v: &str) -> &str {
    let v = v.trim();
    if v.len() >= 7 && v[..7].eq_ignore_ascii_case("bearer ") {
        v[7..].trim()
    } else {
        v
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, AppError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s).filter(|s| !s.trim().is_empty()))
            .map_err(|_| AppError::Unauthorized(format!("header {name} is not valid text"))),
    }
}

/// Checks the two headers and returns the authenticated, enabled user.
pub fn authenticate(state: &State, headers: &HeaderMap) -> Result<User, AppError> {
    let token = header(headers, "authorization")?
        .map(strip_bearer)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::Unauthorized("access token is missing".into()))?;
    let claimed = header(headers, "new-api-user")?
        .ok_or_else(|| AppError::Unauthorized("New-Api-User header is missing".into()))?;
    let claimed: i64 = strip_bearer(claimed).parse().map_err(|_| {
        AppError::Unauthorized("New-Api-User header must be a numeric user id".into())
    })?;
    let user = state
        .store
        .user_by_access_token(token)?
        .ok_or_else(|| AppError::Unauthorized("invalid access token".into()))?;
    if user.id != claimed {
        return Err(AppError::Unauthorized(
            "New-Api-User does not match the access token's user".into(),
        ));
    }
    if user.status != USER_ENABLED {
        return Err(AppError::Forbidden("user is disabled".into()));
    }
    Ok(user)
}

/// Any enabled user.
pub fn user(state: State) -> impl Filter<Extract = (User,), Error = Rejection> + Clone {
    role(state, Role::Common)
}

/// An enabled user with at least role `min`.
pub fn role(state: State, min: Role) -> impl Filter<Extract = (User,), Error = Rejection> + Clone {
    warp::header::headers_cloned()
        .and(with_state(state))
        .and_then(move |headers: HeaderMap, state: State| async move {
            let user = blocking(move || authenticate(&state, &headers)).await?;
            if user.role() < min {
                return Err(warp::reject::custom(AppError::Forbidden(format!(
                    "this needs the {} role",
                    match min {
                        Role::Root => "root",
                        Role::Admin => "admin",
                        Role::Common => "user",
                    }
                ))));
            }
            Ok(user)
        })
}
