//! Request paths to route templates, the metrics' bounded `route` label
//! (`/api/user/42` → `/api/user/{id}`; anything unknown → `other`). The
//! management table is kept here beside the router (`http::routes`); each
//! platform lists its own paths (`Platform::route_templates`).

use crate::platform::Platforms;

/// The management API's paths, literal segments before `{...}` ones where
/// both could match (`/api/user/self` before `/api/user/{id}`).
const MANAGEMENT: &[&str] = &[
    "/api/status",
    "/api/user",
    "/api/user/self",
    "/api/user/login",
    "/api/user/logout",
    "/api/user/token",
    "/api/user/{id}",
    "/api/user/{id}/quota",
    "/api/task",
    "/api/task/self",
    "/api/task/self/{id}/content",
    "/api/task/{id}/settle",
    "/api/token",
    "/api/token/{id}",
    "/api/webhook",
    "/api/webhook/{id}",
    "/api/webhook/{id}/rotate",
    "/api/webhook/{id}/deliveries",
    "/api/webhook/{id}/deliveries/{id}/resend",
    "/api/channel",
    "/api/channel/{id}",
    "/api/channel/{id}/test",
    "/api/option",
    "/api/log",
    "/api/log/self",
    "/api/audit",
    "/metrics",
    // The console (`crate::console`).
    "/",
    "/index.html",
    "/assets/{name}",
];

/// The label of a path no template matches.
pub const OTHER: &str = "other";

/// One segment of a template.
#[derive(Debug, Clone, Copy)]
enum Segment {
    Literal(&'static str),
    Any,
}

/// Every known template, ready to match.
#[derive(Debug, Clone)]
pub struct RouteNames {
    templates: Vec<(Vec<Segment>, &'static str)>,
}

impl RouteNames {
    /// The management API's templates and every platform's.
    pub fn of(platforms: &Platforms) -> RouteNames {
        let all = MANAGEMENT
            .iter()
            .chain(platforms.all().flat_map(|p| p.route_templates().iter()));
        RouteNames {
            templates: all.map(|t| (segments(t), *t)).collect(),
        }
    }

    /// The template `path` was served under, or [`OTHER`].
    pub fn classify(&self, path: &str) -> &'static str {
        self.templates
            .iter()
            .find(|(segs, _)| matches(segs, path))
            .map_or(OTHER, |(_, name)| name)
    }
}

fn segments(template: &'static str) -> Vec<Segment> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(|s| match s.starts_with('{') {
            true => Segment::Any,
            false => Segment::Literal(s),
        })
        .collect()
}

fn matches(template: &[Segment], path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let mut parts = rest.split('/');
    for seg in template {
        match (seg, parts.next()) {
            (Segment::Literal(l), Some(p)) if p == *l => {}
            (Segment::Any, Some(p)) if !p.is_empty() => {}
            _ => return false,
        }
    }
    // One trailing slash is the same route (`/api/user/` is `/api/user`).
    matches!(parts.next(), None | Some("")) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> RouteNames {
        let platforms = Platforms::builtin(&crate::Config::default().upstream_settings());
        RouteNames::of(&platforms)
    }

    #[test]
    fn paths_become_their_templates() {
        let n = names();
        assert_eq!(n.classify("/api/user/self"), "/api/user/self");
        assert_eq!(n.classify("/api/user/42"), "/api/user/{id}");
        assert_eq!(n.classify("/api/user/42/quota"), "/api/user/{id}/quota");
        assert_eq!(n.classify("/api/task/self"), "/api/task/self");
        assert_eq!(n.classify("/suno/submit/music"), "/suno/submit/{action}");
        assert_eq!(n.classify("/suno/fetch"), "/suno/fetch");
        assert_eq!(
            n.classify("/v1/videos/video_1/content"),
            "/v1/videos/{id}/content"
        );
        assert_eq!(n.classify("/v1/videos"), "/v1/videos");
        assert_eq!(n.classify("/api/user/"), "/api/user");
        assert_eq!(n.classify("/api/token/"), "/api/token");
        assert_eq!(n.classify("/"), "/");
        assert_eq!(n.classify("/assets/app.js"), "/assets/{name}");
        assert_eq!(
            n.classify("/api/task/self/task_1/content"),
            "/api/task/self/{id}/content"
        );
    }

    #[test]
    fn anything_else_is_other() {
        let n = names();
        for p in [
            "",
            "/api",
            "/api/user//",
            "/api/user/1/2/3",
            "/nope",
            "/api/task//settle",
        ] {
            assert_eq!(n.classify(p), OTHER, "{p}");
        }
    }
}
