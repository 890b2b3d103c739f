//! Seeds a database with a large, balanced ledger and times the ledger
//! audit on it (`Store::audit`, BENCHMARKS.md "Ledger audit at scale").
//!
//! ```text
//! cargo run --release --example bench_audit -- --db /tmp/tc-audit/audit.db \
//!     --tasks 1000000 --logs 2000000
//! ```
//!
//! The rows go in with plain SQL in big transactions, the secondary
//! indexes of `tasks` and `logs` dropped first and built again afterwards
//! (one sort each instead of a million random inserts), so seeding takes
//! about a minute. The balances are added up here while the rows are made,
//! not read back with the audit's own sums, so a clean report means the
//! audit agrees with an independent count. `--reuse` times an existing file
//! again without seeding.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use rusqlite::{Connection, params};
use taskcenter::Config;
use taskcenter::clock::{Clock, SystemClock};
use taskcenter::store::Store;

/// Seeds a ledger and times the audit.
#[derive(Debug, Parser)]
struct Args {
    /// Database file; must not exist unless --reuse.
    #[arg(long)]
    db: PathBuf,
    /// Tasks: one charge row each, and a refund row for each failure.
    #[arg(long, default_value_t = 1_000_000)]
    tasks: u64,
    /// Log rows in all: top-ups fill what charges, refunds and the keys'
    /// limit rows leave.
    #[arg(long, default_value_t = 2_000_000)]
    logs: u64,
    /// Common users (root comes on top); each has a limited and an
    /// unlimited key.
    #[arg(long, default_value_t = 1_000)]
    users: u64,
    /// Share of tasks that failed and were refunded, in percent.
    #[arg(long, default_value_t = 30)]
    failed_pct: u64,
    /// Rows per transaction while seeding.
    #[arg(long, default_value_t = 200_000)]
    batch: u64,
    /// Timed audits.
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Time the audit on an existing file, seeding nothing.
    #[arg(long)]
    reuse: bool,
    /// Also run `GET /api/audit`'s kind of audit with this time limit and
    /// show how soon after it the audit gives up.
    #[arg(long)]
    limit_ms: Option<u64>,
}

/// Synthetic data from a seeded generator (the `fastrand` crate: small,
/// fast, and made for exactly this).
struct Rng(fastrand::Rng);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0.u64(..n.max(1))
    }
    fn alnum(&mut self, len: usize) -> String {
        (0..len).map(|_| self.0.alphanumeric()).collect()
    }
}

/// What a user or a key should hold, added up as rows are made.
#[derive(Debug, Default, Clone, Copy)]
struct Balance {
    quota: i64,
    used: i64,
}

/// Every user starts with this much (one top-up row), every limited key
/// with this limit (one limit row): enough that nothing runs dry.
const GRANT: i64 = 1_000_000_000_000;
const DAY: i64 = 86_400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.reuse {
        if args.db.exists() {
            return Err(format!("{} exists: remove it or pass --reuse", args.db.display()).into());
        }
        let started = Instant::now();
        // Creates the file with the real schema, then lets go of it.
        drop(Store::open(&args.db)?);
        seed(&args)?;
        println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    }
    let store = Store::open(&args.db)?;
    let horizons = taskcenter::audit::horizons(&Config::default());
    let mut times = Vec::new();
    for run in 1..=args.runs {
        let started = Instant::now();
        let cpu = thread_cpu_secs();
        let report = store.audit(SystemClock.now(), horizons)?;
        let took = started.elapsed();
        let cpu = thread_cpu_secs() - cpu;
        times.push(took);
        println!(
            "audit {run}: {:.3} s ({cpu:.2} s CPU): {} users, {} keys, {} tasks, {} log rows, ok = {}, {} violation(s)",
            took.as_secs_f64(),
            report.users,
            report.tokens,
            report.tasks,
            report.logs,
            report.ok,
            report.violations.len()
        );
        for v in report.violations.iter().take(5) {
            println!("  {}: {}", v.kind, v.detail);
        }
    }
    if let Some(ms) = args.limit_ms {
        let started = Instant::now();
        let result = store.audit_within(
            SystemClock.now(),
            horizons,
            std::time::Duration::from_millis(ms),
        );
        println!(
            "audit within {ms} ms: returned after {:.1} ms: {}",
            started.elapsed().as_secs_f64() * 1000.0,
            match result {
                Ok(report) => format!("finished, ok = {}", report.ok),
                Err(e) => format!("error: {e}"),
            }
        );
    }
    times.sort();
    if let Some(best) = times.first() {
        let median = times[times.len() / 2];
        println!(
            "best {:.3} s, median {:.3} s over {} run(s)",
            best.as_secs_f64(),
            median.as_secs_f64(),
            times.len()
        );
    }
    Ok(())
}

/// CPU time of this thread so far (Linux, 10 ms resolution; 0 elsewhere):
/// the machine the figures come from is shared, so wall time alone says
/// little.
fn thread_cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses: utime and
    // stime are the 12th and 13th of them, in clock ticks (100 per second).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: Vec<f64> = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse().ok())
        .collect();
    ticks.iter().sum::<f64>() / 100.0
}

/// Writes users, keys, tasks and log rows, then the balances they imply.
fn seed(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = Connection::open(&args.db)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;",
    )?;
    let indexes: Vec<(String, String)> = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'
             AND tbl_name IN ('tasks', 'logs') AND sql IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (name, _) in &indexes {
        conn.execute_batch(&format!("DROP INDEX {name}"))?;
    }
    let now = SystemClock.now();
    let start = now - 90 * DAY;
    let mut rng = Rng(fastrand::Rng::with_seed(42));
    let users = args.users as i64;
    let mut user_bal = vec![Balance::default(); users as usize + 2];
    // Key ids: user u has 2u - 3 (limited) and 2u - 2 (unlimited).
    let mut key_bal = vec![Balance::default(); 2 * users as usize + 1];

    let tx = conn.transaction()?;
    for u in 2..users + 2 {
        tx.execute(
            "INSERT INTO users (id, username, created_at) VALUES (?1, ?2, ?3)",
            params![u, format!("user{u}"), start],
        )?;
        for unlimited in [0, 1] {
            tx.execute(
                "INSERT INTO tokens (user_id, name, key_hash, unlimited_quota, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    u,
                    format!("key{unlimited}"),
                    rng.alnum(64),
                    unlimited,
                    start
                ],
            )?;
        }
        let key = 2 * u - 3;
        insert_log(&tx, start, 1, u, 0, GRANT, "", "{}")?;
        insert_log(
            &tx,
            start,
            4,
            u,
            key,
            GRANT,
            "",
            &format!(r#"{{"remain_quota_delta":{GRANT}}}"#),
        )?;
        user_bal[u as usize].quota += GRANT;
        key_bal[key as usize].quota += GRANT;
    }
    tx.commit()?;

    let fixed = 2 * args.users + args.tasks + args.tasks * args.failed_pct / 100;
    let top_ups = args.logs.saturating_sub(fixed);
    let step = (90 * DAY) as f64 / args.tasks.max(1) as f64;
    let mut done = 0;
    while done < args.tasks {
        let tx = conn.transaction()?;
        let end = (done + args.batch / 2).min(args.tasks);
        for i in done..end {
            let at = start + (i as f64 * step) as i64;
            let u = 2 + rng.below(args.users) as i64;
            let unlimited = rng.below(4) == 0;
            let key = 2 * u - 3 + unlimited as i64;
            let quota = 10_000 + rng.below(90_000) as i64;
            let failed = rng.below(100) < args.failed_pct;
            // The last minutes are still in flight, as on a live server.
            let status = match (failed, at > now - 600) {
                (true, _) => "FAILURE",
                (false, true) => "IN_PROGRESS",
                (false, false) => "SUCCESS",
            };
            let task_id = format!("task_{}", rng.alnum(32));
            tx.prepare_cached(
                "INSERT INTO tasks (created_at, updated_at, task_id, platform, user_id, channel_id,
                    quota, action, status, submit_time, finish_time, progress, properties, data,
                    upstream_task_id, token_id, model_name, refunded)
                 VALUES (?1, ?1, ?2, 'suno', ?3, 1, ?4, 'MUSIC', ?5, ?1, ?1 + 60, '100%', ?6, ?7,
                    ?8, ?9, 'suno_music', ?10)",
            )?
            .execute(params![
                at,
                task_id,
                u,
                quota,
                status,
                format!(r#"{{"prompt":"a song about ledgers number {i}","mv":"chirp-v4"}}"#),
                format!(r#"[{{"id":"{0}","status":"complete","audio_url":"https://cdn.example/{0}.mp3","duration":182.5}}]"#, rng.alnum(36)),
                rng.alnum(36),
                key,
                failed as i64
            ])?;
            insert_log(
                &tx,
                at,
                2,
                u,
                key,
                quota,
                &task_id,
                &format!(r#"{{"key_charged":{}}}"#, !unlimited),
            )?;
            user_bal[u as usize].quota -= quota;
            user_bal[u as usize].used += quota;
            key_bal[key as usize].used += quota;
            if !unlimited {
                key_bal[key as usize].quota -= quota;
            }
            if failed {
                insert_log(
                    &tx,
                    at + 60,
                    6,
                    u,
                    key,
                    quota,
                    &task_id,
                    &format!(
                        r#"{{"reason":"upstream error: generation timed out","key_refunded":{}}}"#,
                        !unlimited
                    ),
                )?;
                user_bal[u as usize].quota += quota;
                user_bal[u as usize].used -= quota;
                key_bal[key as usize].used -= quota;
                if !unlimited {
                    key_bal[key as usize].quota += quota;
                }
            }
            // Top-ups spread over the history fill the log to --logs rows.
            if i * top_ups / args.tasks != (i + 1) * top_ups / args.tasks {
                let v = 2 + rng.below(args.users) as i64;
                insert_log(&tx, at, 1, v, 0, 1_000_000, "", "{}")?;
                user_bal[v as usize].quota += 1_000_000;
            }
        }
        tx.commit()?;
        done = end;
    }

    let tx = conn.transaction()?;
    for (u, b) in user_bal.iter().enumerate().skip(2) {
        tx.execute(
            "UPDATE users SET quota = ?2, used_quota = ?3 WHERE id = ?1",
            params![u as i64, b.quota, b.used],
        )?;
    }
    for (k, b) in key_bal.iter().enumerate().skip(1) {
        tx.execute(
            "UPDATE tokens SET remain_quota = ?2, used_quota = ?3 WHERE id = ?1",
            params![k as i64, b.quota, b.used],
        )?;
    }
    tx.commit()?;
    let indexing = Instant::now();
    for (_, sql) in &indexes {
        conn.execute_batch(sql)?;
    }
    println!("indexes built in {:.1} s", indexing.elapsed().as_secs_f64());
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
    Ok(())
}

/// One log row as the service writes it.
#[allow(clippy::too_many_arguments)]
fn insert_log(
    conn: &Connection,
    at: i64,
    log_type: i64,
    user_id: i64,
    token_id: i64,
    quota: i64,
    task_id: &str,
    other: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO logs (created_at, type, user_id, username, token_id, token_name, channel_id,
            model_name, quota, content, task_id, other)
         VALUES (?1, ?2, ?3, 'user' || ?3, ?4, 'key', 1, 'suno_music', ?5,
            'charge for suno MUSIC: price 0.1 USD x group ratio 1', ?6, ?7)",
    )?
    .execute(params![
        at, log_type, user_id, token_id, quota, task_id, other
    ])?;
    Ok(())
}
