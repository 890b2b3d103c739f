//! `GET /metrics`: the Prometheus text exposition, behind a bearer token
//! when `--metrics-token` is set.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use warp::filters::BoxedFilter;
use warp::http::header::CONTENT_TYPE;
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::error::reject;
use super::{blocking, with_ctx};
use crate::context::Context;
use crate::error::Error;

/// `GET /metrics` (`Authorization: Bearer <token>` when a token is set)
/// → `200 text/plain; version=0.0.4`; a missing or wrong token → 401.
pub fn route(ctx: Context) -> BoxedFilter<(Response,)> {
    warp::path!("metrics")
        .and(warp::get())
        .and(warp::header::optional::<String>("authorization"))
        .and(with_ctx(ctx))
        .and_then(scrape)
        .boxed()
}

async fn scrape(authorization: Option<String>, ctx: Context) -> Result<Response, Rejection> {
    if let Some(token) = &ctx.config.metrics_token
        && !bearer_matches(authorization.as_deref(), token)
    {
        return Err(reject(Error::Unauthenticated(
            "a scrape of /metrics needs Authorization: Bearer <metrics token>".into(),
        )));
    }
    let text = blocking(move || {
        let in_flight = ctx.store.in_flight_summary()?;
        ctx.metrics
            .render(&in_flight, ctx.clock.now())
            .map_err(Error::Internal)
    })
    .await?;
    let mut resp = Response::new(text.into());
    resp.headers_mut().insert(
        CONTENT_TYPE,
        warp::http::HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
    );
    Ok(resp)
}

/// Whether `header` is `Bearer <token>`. Both sides are hashed first, so
/// the constant-time comparison does not leak the token's length either.
fn bearer_matches(header: Option<&str>, token: &str) -> bool {
    let given = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(token.as_bytes()),
    );
    header.is_some() && bool::from(a.as_slice().ct_eq(b.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_matches() {
        assert!(bearer_matches(Some("Bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(Some("Bearer s3cret2"), "s3cret"));
        assert!(!bearer_matches(Some("bearer s3cret"), "s3cret"));
        assert!(!bearer_matches(Some("s3cret"), "s3cret"));
        assert!(!bearer_matches(None, "s3cret"));
    }
}
