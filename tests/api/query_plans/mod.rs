//! `EXPLAIN QUERY PLAN` of every statement the hot and periodic store paths
//! run (the relay's look-ups and charges, the worker's reads and
//! settlements, the task and log lists, the audit), caught as they run: no
//! full scan of `tasks` or `logs` where a request or a pass waits for it,
//! and nowhere a whole table, index or log type read once per row.
//! `SHOW_PLANS=1` prints every statement with its plan.

mod rules;

use crate::kit::plans::TracedStore;
use crate::kit::store_paths::{PathRun, Reach, run_all};
use crate::kit::{Settings, spawn_app_with};
use rules::problems;

/// Paths whose statements are judged; each must have run some.
const PATHS: [&str; 11] = [
    "audit",
    "ledger::reserve, mark_submitted, settle_failure",
    "idempotency: claim, reserve_with_key, let go, recover, settle, purge",
    "due_tasks, apply_changes, defer_tasks",
    "timed_out_tasks",
    "orphaned_tasks",
    "tasks_on_deleted_channels",
    "token_by_key",
    "user_task, user_tasks",
    "candidate_channels",
    "in_flight_summary",
];

/// The audit's statements: four counts, the log pass, users, keys, the
/// failed tasks, a charge check, a task by id, the stuck tasks.
const AUDIT_STATEMENTS: usize = 11;

#[test]
fn hot_and_periodic_queries_use_an_index_and_never_read_a_table_per_row() {
    let app = spawn_app_with(Settings::manual());
    let runs = run_all(&app);
    let traced = TracedStore::open(app.db_path());

    let mut report = Vec::new();
    let mut judged = 0;
    for PathRun {
        name,
        reach,
        statements,
    } in &runs
    {
        for sql in statements {
            let plan = traced.plan(sql);
            judged += 1;
            let found = problems(*reach, sql, &plan);
            let lines: Vec<&str> = plan.iter().map(|l| l.detail.as_str()).collect();
            let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            if std::env::var_os("SHOW_PLANS").is_some() {
                eprintln!("{name}: {sql}\n  {lines:?}");
            }
            if !found.is_empty() {
                report.push(format!(
                    "{name}:\n  {}\n  SQL: {sql}\n  plan: {lines:?}",
                    found.join("\n  ")
                ));
            }
        }
    }
    assert!(report.is_empty(), "bad plans:\n{}", report.join("\n"));

    // A check of nothing passes too: every path must have run its statements.
    assert!(judged >= 40, "only {judged} statements were judged");
    for name in PATHS {
        let run = runs.iter().find(|r| r.name == name);
        assert!(
            run.is_some_and(|r| !r.statements.is_empty()),
            "{name} ran statements: {runs:#?}"
        );
    }
    let lists = |prefix: &str| runs.iter().filter(|r| r.name.starts_with(prefix)).count();
    assert!(
        lists("list_tasks ") >= 18 && lists("list_logs ") >= 5,
        "{runs:#?}"
    );
    let audit = runs
        .iter()
        .find(|r| r.name == "audit")
        .map(|r| r.statements.len());
    assert_eq!(
        audit,
        Some(AUDIT_STATEMENTS),
        "every branch of the audit ran: {runs:#?}"
    );
}

/// The first audit's rules as they were, each of which read every charge
/// or refund row once per task (issue 10, item 13), and its key rule,
/// which built an index of the whole log on every run.
const FIRST_AUDIT: [&str; 3] = [
    "SELECT t.task_id, t.user_id, t.quota FROM tasks t
     WHERE t.status = 'FAILURE' AND t.quota > 0
       AND EXISTS (SELECT 1 FROM logs c WHERE c.task_id = t.task_id AND c.type = 2)
       AND NOT EXISTS (SELECT 1 FROM logs r WHERE r.task_id = t.task_id AND r.type = 6)",
    "SELECT t.task_id, t.user_id, t.quota FROM tasks t
     WHERE t.status != 'FAILURE'
       AND EXISTS (SELECT 1 FROM logs r WHERE r.task_id = t.task_id AND r.type = 6)",
    "SELECT t.id, SUM(CASE l.type WHEN 2 THEN l.quota ELSE 0 END)
     FROM tokens t LEFT JOIN logs l ON l.token_id = t.id AND l.type IN (2, 4, 6)
     GROUP BY t.id ORDER BY t.id",
];

#[test]
fn the_plan_check_catches_the_first_audits_per_task_searches() {
    let app = spawn_app_with(Settings::manual());
    let traced = TracedStore::open(app.db_path());
    for sql in FIRST_AUDIT {
        let plan = traced.plan(sql);
        assert!(
            !problems(Reach::WholePass, sql, &plan).is_empty(),
            "{sql}\n{plan:#?}"
        );
    }
    // And a full scan is refused on a hot path, allowed for the audit.
    let scan = "SELECT COUNT(*) FROM logs WHERE model_name = ?1";
    let plan = traced.plan(scan);
    assert!(!problems(Reach::Hot, scan, &plan).is_empty(), "{plan:#?}");
    assert!(
        problems(Reach::WholePass, scan, &plan).is_empty(),
        "{plan:#?}"
    );
}
