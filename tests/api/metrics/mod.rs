//! `GET /metrics`: off by default, behind its token, on its own listener,
//! and numbers that add up to what the service did.

mod access;
mod examples;
mod refunds;
mod workload;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::kit::TestApp;
use crate::kit::http::{agent, send_full};

/// One sample of the text format: name, labels, value.
#[derive(Debug, Clone)]
pub struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A parsed scrape.
#[derive(Debug, Clone)]
pub struct Scrape(Vec<Sample>);

impl Scrape {
    /// Parses the Prometheus text format (comments skipped); a line that
    /// does not parse fails the test.
    pub fn parse(text: &str) -> Scrape {
        let samples = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| parse_line(l).unwrap_or_else(|| panic!("not a sample line: {l:?}")))
            .collect();
        Scrape(samples)
    }

    /// The sum of `name`'s samples whose labels include every pair of
    /// `with` (0 when there is none).
    pub fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.matching(name, with).map(|s| s.value).sum()
    }

    /// Whether `name` has a sample with these labels.
    pub fn has(&self, name: &str, with: &[(&str, &str)]) -> bool {
        self.matching(name, with).next().is_some()
    }

    /// Every sample's name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| s.name.as_str())
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        with: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> {
        self.0.iter().filter(move |s| {
            s.name == name
                && with
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

fn parse_line(line: &str) -> Option<Sample> {
    let (series, value) = line.rsplit_once(' ')?;
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        v => v.parse().ok()?,
    };
    let (name, labels) = match series.split_once('{') {
        None => (series, BTreeMap::new()),
        Some((name, rest)) => {
            let inner = rest.strip_suffix('}')?;
            let mut labels = BTreeMap::new();
            for pair in inner.split("\",").filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once("=\"")?;
                labels.insert(k.to_string(), v.trim_end_matches('"').to_string());
            }
            (name, labels)
        }
    };
    Some(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// `GET http://{at}/metrics` with an optional bearer token: status,
/// `Content-Type` and body.
pub fn scrape_at(at: SocketAddr, token: Option<&str>) -> (u16, String, String) {
    get_at(at, "/metrics", token)
}

/// `GET http://{at}{path}` with an optional bearer token: status,
/// `Content-Type` and body.
pub fn get_at(at: SocketAddr, path: &str, token: Option<&str>) -> (u16, String, String) {
    let headers: Vec<(&str, String)> = token
        .map(|t| vec![("Authorization", format!("Bearer {t}"))])
        .unwrap_or_default();
    let (status, answer_headers, body) = send_full(
        &agent(Duration::from_secs(10)),
        "GET",
        &format!("http://{at}{path}"),
        &headers,
        None,
    )
    .expect("scrape /metrics");
    let content_type = answer_headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    (status, content_type, body)
}

/// A scrape of the app's main listener that must succeed.
pub fn scrape(app: &TestApp, token: Option<&str>) -> Scrape {
    let (status, content_type, body) = scrape_at(app.addr, token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/plain; version=0.0.4");
    Scrape::parse(&body)
}

#[test]
fn the_text_format_parser_reads_names_labels_and_values() {
    let s = Scrape::parse(
        "# HELP x y\n# TYPE x counter\nx_total{a=\"1\",b=\"/api/user/{id}\"} 3\nx_total{a=\"2\",b=\"c\"} 4\ny 1.5\nh_bucket{le=\"+Inf\"} 2\n",
    );
    assert_eq!(s.sum("x_total", &[]), 7.0);
    assert_eq!(s.sum("x_total", &[("b", "/api/user/{id}")]), 3.0);
    assert_eq!(s.sum("y", &[]), 1.5);
    assert!(s.has("h_bucket", &[("le", "+Inf")]));
    assert!(!s.has("x_total", &[("a", "3")]));
}
