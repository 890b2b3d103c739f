//! `examples/monitoring/`: the dashboard is JSON Grafana can import, and
//! every series the alerts and panels name is one the server exports.

use std::collections::BTreeSet;

use serde_json::Value;

use super::scrape;
use crate::kit::{Settings, slow_mock, spawn_payer_app};

const ALERTS: &str = include_str!("../../../examples/monitoring/alerts.yml");
const DASHBOARD: &str = include_str!("../../../examples/monitoring/grafana-dashboard.json");

/// Every `taskcenter_...` name in `text`.
fn series_named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("taskcenter_") {
        let name: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[i + name.len()..];
        out.insert(name);
    }
    out
}

#[test]
fn every_series_in_the_alerts_and_the_dashboard_is_exported() {
    let dashboard: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert_eq!(panels.len(), 8);
    let exprs: Vec<&str> = panels
        .iter()
        .flat_map(|p| p["targets"].as_array().expect("targets").iter())
        .map(|t| t["expr"].as_str().expect("an expr"))
        .collect();
    let alerts = ALERTS.matches("- alert: ").count();
    assert_eq!(alerts, 6, "{ALERTS}");

    // Series with labels appear once something is recorded under them: a
    // submission, a pass, a task left in flight.
    let (app, _up, payer) = spawn_payer_app(Settings::manual().metrics(), slow_mock());
    app.submit_tracked(&payer.key);
    app.pass_when_due();
    let exported: BTreeSet<String> = scrape(&app, None).names().map(String::from).collect();
    let mut named = series_named(ALERTS);
    named.extend(exprs.iter().flat_map(|e| series_named(e)));
    assert!(named.len() >= 10, "{named:?}");
    let missing: Vec<&String> = named.iter().filter(|n| !exported.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "not exported: {missing:?}\nexported: {exported:?}"
    );
}
