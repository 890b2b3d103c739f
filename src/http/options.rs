//! Option routes (root): `GET /api/option/`, `PUT /api/option/`.

use serde::Deserialize;
use serde_json::json;
use warp::{Filter, Rejection, Reply};

use super::envelope::ok;
use super::{State, auth, blocking, body, with_state};
use crate::domain::Role;

/// Both option routes.
pub fn routes(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    list(state.clone()).or(update(state))
}

/// `GET /api/option/` → `[{"key","value"}]` (values are JSON text).
pub fn list(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "option")
        .and(warp::get())
        .and(auth::role(state.clone(), Role::Root))
        .and(with_state(state))
        .and_then(|_root, state: State| async move {
            let opts = blocking(move || state.store.list_options()).await?;
            let data: Vec<_> = opts
                .into_iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect();
            Ok::<_, Rejection>(ok(data))
        })
}

#[derive(Debug, Deserialize)]
struct SetOption {
    key: String,
    value: serde_json::Value,
}

/// `PUT /api/option/` `{"key": "ModelPrice"|"GroupRatio", "value": "<JSON object as a string>"}`.
pub fn update(state: State) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("api" / "option")
        .and(warp::put())
        .and(auth::role(state.clone(), Role::Root))
        .and(body::json::<SetOption>())
        .and(with_state(state))
        .and_then(|_root, req: SetOption, state: State| async move {
            // new-api sends the value as a string; accept an object as well.
            let value = match req.value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            blocking(move || state.store.set_option(&req.key, &value)).await?;
            Ok::<_, Rejection>(ok(serde_json::Value::Null))
        })
}
