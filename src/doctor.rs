//! `taskcenter doctor`: everything an operator should look at, in one
//! read-only pass over a database that a server may be using: the file's
//! integrity, schema version and space, the ledger audit (which also names
//! tasks in flight past their timeout), and a probe of every enabled
//! channel.

use std::path::Path;

use serde::Serialize;

use crate::Config;
use crate::platform::Platforms;
use crate::platform::probe::{ProbeReport, probe};
use crate::store::Store;
use crate::store::channels::CHANNEL_ENABLED;
use crate::store::files::sibling;

/// A WAL this large means checkpoints do not keep up (a reader that never
/// lets go, or a disk too slow for the writes).
pub const WAL_WARN_BYTES: u64 = 256 * 1024 * 1024;

/// Free pages are worth a VACUUM when they are over half of a file over
/// this size.
pub const FREE_WARN_MIN_BYTES: i64 = 64 * 1024 * 1024;

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Which check: `integrity`, `schema`, `wal`, `free_pages`, an audit
    /// rule (`stuck_task`, `user_quota`, ...) or `channel`.
    pub check: String,
    /// What was found, in one line.
    pub detail: String,
}

/// What the doctor saw.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// No finding.
    pub ok: bool,
    /// Checks that passed, one line each.
    pub passed: Vec<String>,
    /// Problems, one line each.
    pub findings: Vec<Finding>,
    /// Every channel probe (empty when probes were skipped).
    pub probes: Vec<ProbeReport>,
}

impl DoctorReport {
    fn finding(&mut self, check: &str, detail: String) {
        self.findings.push(Finding {
            check: check.to_string(),
            detail,
        });
    }
}

/// Examines the database at `db` as a server running with `config` would
/// see it; `probes` decides whether enabled channels are called.
pub fn examine(db: &Path, config: &Config, now: i64, probes: bool) -> Result<DoctorReport, String> {
    let store = Store::open_read_only(db).map_err(|e| format!("cannot open database: {e}"))?;
    let mut report = DoctorReport {
        ok: true,
        passed: Vec::new(),
        findings: Vec::new(),
        probes: Vec::new(),
    };
    database(&store, db, &mut report)?;
    audit(&store, config, now, &mut report)?;
    if probes {
        channels(&store, config, &mut report)?;
    } else {
        report.passed.push("channel probes skipped".into());
    }
    report.ok = report.findings.is_empty();
    Ok(report)
}

fn database(store: &Store, db: &Path, report: &mut DoctorReport) -> Result<(), String> {
    let h = store
        .database_health()
        .map_err(|e| format!("cannot check the database: {e}"))?;
    if h.integrity_errors.is_empty() {
        report.passed.push("integrity_check: ok".into());
    }
    for line in &h.integrity_errors {
        report.finding("integrity", line.clone());
    }
    match h.schema_version.cmp(&h.latest_version) {
        std::cmp::Ordering::Equal => report
            .passed
            .push(format!("schema version {}", h.schema_version)),
        std::cmp::Ordering::Less => report.finding(
            "schema",
            format!(
                "schema version {} is older than this binary's {}: start the server to migrate it",
                h.schema_version, h.latest_version
            ),
        ),
        std::cmp::Ordering::Greater => report.finding(
            "schema",
            format!(
                "schema version {} is newer than this binary's {}: use the newer binary",
                h.schema_version, h.latest_version
            ),
        ),
    }
    let wal = std::fs::metadata(sibling(db, "-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    if wal > WAL_WARN_BYTES {
        report.finding(
            "wal",
            format!(
                "the WAL is {} MiB (over {} MiB): checkpoints are not keeping up; look for a reader that never ends",
                wal >> 20,
                WAL_WARN_BYTES >> 20
            ),
        );
    } else {
        report.passed.push(format!("WAL {} KiB", wal >> 10));
    }
    let file_bytes = h.page_count * h.page_size;
    let free_bytes = h.freelist_count * h.page_size;
    if file_bytes > FREE_WARN_MIN_BYTES && free_bytes * 2 > file_bytes {
        report.finding(
            "free_pages",
            format!(
                "{} of {} pages are free ({} MiB): run VACUUM on a copy or while the server is stopped",
                h.freelist_count,
                h.page_count,
                free_bytes >> 20
            ),
        );
    } else {
        report.passed.push(format!(
            "{} of {} pages free",
            h.freelist_count, h.page_count
        ));
    }
    Ok(())
}

fn audit(
    store: &Store,
    config: &Config,
    now: i64,
    report: &mut DoctorReport,
) -> Result<(), String> {
    let audit = store
        .audit(now, crate::audit::horizons(config))
        .map_err(|e| format!("audit failed: {e}"))?;
    if audit.ok {
        report.passed.push(format!(
            "audit: {} users, {} keys, {} tasks, {} log rows agree",
            audit.users, audit.tokens, audit.tasks, audit.logs
        ));
    }
    for v in audit.violations {
        report.finding(&v.kind, v.detail);
    }
    Ok(())
}

fn channels(store: &Store, config: &Config, report: &mut DoctorReport) -> Result<(), String> {
    let platforms = Platforms::builtin(&config.upstream_settings());
    let enabled: Vec<_> = store
        .all_channels()
        .map_err(|e| format!("cannot read channels: {e}"))?
        .into_iter()
        .filter(|c| c.status == CHANNEL_ENABLED)
        .collect();
    // Side by side: a dozen unreachable channels cost one timeout, not twelve.
    let probes: Vec<ProbeReport> = std::thread::scope(|s| {
        let handles: Vec<_> = enabled
            .iter()
            .map(|c| s.spawn(|| probe(&platforms, c)))
            .collect();
        handles
            .into_iter()
            .zip(&enabled)
            .map(|(h, c)| {
                h.join().unwrap_or_else(|_| ProbeReport {
                    channel_id: c.id,
                    ok: false,
                    status: None,
                    latency_ms: 0,
                    error: Some("the probe panicked".into()),
                })
            })
            .collect()
    });
    for (p, c) in probes.iter().zip(&enabled) {
        if p.ok {
            report.passed.push(format!(
                "channel {} ({}) answered its probe in {} ms",
                c.id, c.name, p.latency_ms
            ));
        } else {
            report.finding(
                "channel",
                format!(
                    "channel {} ({}, {}) failed its probe after {} ms: {}",
                    c.id,
                    c.name,
                    c.base_url,
                    p.latency_ms,
                    p.error.as_deref().unwrap_or("unknown error")
                ),
            );
        }
    }
    if enabled.is_empty() {
        report.passed.push("no enabled channel to probe".into());
    }
    report.probes = probes;
    Ok(())
}
