//! `taskcenter doctor`: prints [`crate::doctor::examine`]'s report, one line
//! per check; exit 1 on any finding.

use std::process::ExitCode;

use super::args::DoctorArgs;
use crate::Config;
use crate::clock::{Clock, SystemClock};

/// Runs the checks and prints them.
pub fn run(args: DoctorArgs) -> Result<ExitCode, String> {
    let config = Config {
        task_timeout_secs: args.task_timeout_secs,
        poll_interval_ms: args.poll_interval_ms,
        upstream_timeout_secs: args.probe_timeout_secs.max(1),
        upstream_proxy: args.upstream_proxy,
        allow_private_upstreams: args.allow_private_upstreams,
        ..Config::default()
    };
    let report = crate::doctor::examine(&args.db.db, &config, SystemClock.now(), !args.no_probes)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        for line in &report.passed {
            println!("ok       {line}");
        }
        for f in &report.findings {
            println!("PROBLEM  {}: {}", f.check, f.detail);
        }
        println!(
            "doctor: {}",
            match report.findings.len() {
                0 => "no problems".to_string(),
                n => format!("{n} problem(s)"),
            }
        );
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
