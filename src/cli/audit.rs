//! `taskcenter audit`: the ledger audit on a database file, as text or JSON.

use std::process::ExitCode;

use super::args::AuditArgs;
use crate::Config;
use crate::clock::{Clock, SystemClock};
use crate::store::Store;

/// Runs the audit and prints it; exit 1 on any violation.
pub fn run(args: AuditArgs) -> Result<ExitCode, String> {
    // Read-only: an audit works on a copy nobody may write, and a mistyped
    // path is an error, not the audit of a fresh, empty file.
    let store =
        Store::open_read_only(&args.db.db).map_err(|e| format!("cannot open database: {e}"))?;
    let config = Config {
        task_timeout_secs: args.task_timeout_secs,
        poll_interval_ms: args.poll_interval_ms,
        ..Config::default()
    };
    let report = store
        .audit(SystemClock.now(), crate::audit::horizons(&config))
        .map_err(|e| format!("audit failed: {e}"))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        let verdict = if report.ok {
            "OK".to_string()
        } else {
            format!("{} violation(s)", report.violations.len())
        };
        println!(
            "audit: {} users, {} keys, {} tasks, {} log rows: {verdict}",
            report.users, report.tokens, report.tasks, report.logs
        );
        for v in &report.violations {
            println!("VIOLATION {}: {}", v.kind, v.detail);
        }
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
