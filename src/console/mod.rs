//! The web console: one page (`GET /`) and its assets (`GET /assets/<name>`),
//! embedded in the binary and served with their caching, compression and
//! security headers. The page is a client of the documented JSON API and
//! nothing more: it holds no privilege of its own.
//!
//! - [`assets`]: the embedded files, their content types, hashes and gzip.
//! - [`reply`]: one asset as an HTTP answer (`ETag`/304, gzip, headers).

pub mod assets;
pub mod reply;

use warp::http::HeaderMap;
use warp::reply::Response;
use warp::{Filter, Rejection};

/// Both console routes: `GET /` (also `/index.html`) and `GET /assets/<name>`.
pub fn routes() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    page().or(asset()).unify()
}

/// `GET` or `HEAD` (hyper sends no body for the latter).
fn get_or_head() -> impl Filter<Extract = (), Error = Rejection> + Clone {
    warp::get().or(warp::head()).unify()
}

/// `GET /` or `GET /index.html` → the page (`Cache-Control: no-cache`).
pub fn page() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    let root = warp::path::end();
    let named = warp::path!("index.html");
    root.or(named)
        .unify()
        .and(get_or_head())
        .and(warp::header::headers_cloned())
        .map(|headers: HeaderMap| reply::answer(assets::catalog().page(), &headers))
}

/// `GET /assets/<name>` → the asset (cached for a year: the page names it
/// with its hash, `?v=<hash>`); an unknown name → 404.
pub fn asset() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("assets" / String)
        .and(get_or_head())
        .and(warp::header::headers_cloned())
        .map(
            |name: String, headers: HeaderMap| match assets::catalog().asset(&name) {
                Some(asset) => reply::answer(asset, &headers),
                None => reply::not_found(&name),
            },
        )
}
