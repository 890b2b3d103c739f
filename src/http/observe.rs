//! The request metrics: every answered request counted and timed under
//! its route template (`route_names`), its method and status.

use std::sync::Arc;
use std::time::Duration;

use warp::http::{Method, StatusCode};

use super::route_names::RouteNames;
use crate::context::Context;
use crate::metrics::Metrics;

/// What the request wrapper records into.
#[derive(Clone)]
pub struct Observer {
    metrics: Arc<Metrics>,
    names: Arc<RouteNames>,
}

impl Observer {
    /// The observer of `ctx`'s service.
    pub fn of(ctx: &Context) -> Observer {
        Observer {
            metrics: ctx.metrics.clone(),
            names: Arc::new(RouteNames::of(&ctx.platforms)),
        }
    }

    /// Records one answered request (nothing while metrics are off).
    pub fn record(&self, method: &Method, path: &str, status: StatusCode, took: Duration) {
        if !self.metrics.enabled() {
            return;
        }
        let route = self.names.classify(path);
        self.metrics
            .record_request(route, method_label(method), status.as_str(), took);
    }
}

/// A method as a bounded label: the common ones, else `other`.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
