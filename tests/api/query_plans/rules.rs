//! What a plan may not do. SQLite's planner has no statistics here (nothing
//! runs ANALYZE), so a plan that reads a whole table, or a whole log type,
//! once per row of another is chosen as readily as a good one, and is only
//! found at scale: the first audit searched `logs` by `idx_logs_type` once
//! per task and ran for over ten minutes on 108k tasks.

use crate::kit::plans::PlanLine;
use crate::kit::store_paths::Reach;

/// The tables that grow without bound (idempotency keys: one per keyed
/// submission over the TTL, a day by default).
const BIG_TABLES: [&str; 3] = ["tasks", "logs", "idempotency_keys"];

/// Words that may follow a table name in a FROM clause and are no alias.
const NOT_ALIASES: [&str; 16] = [
    "WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "INDEXED", "NOT", "GROUP", "ORDER", "LIMIT",
    "SET", "USING", "VALUES", "AS", "WINDOW",
];

/// The names `sql` gives the big tables: each table's own name and every
/// alias it is read under (`FROM tasks t`, `JOIN logs AS l`).
pub fn big_table_names(sql: &str) -> Vec<String> {
    let words: Vec<String> = sql
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let mut names: Vec<String> = BIG_TABLES.iter().map(|t| t.to_string()).collect();
    for (i, word) in words.iter().enumerate() {
        if !BIG_TABLES.contains(&word.to_lowercase().as_str()) {
            continue;
        }
        let mut next = words.get(i + 1);
        if next.is_some_and(|w| w.eq_ignore_ascii_case("AS")) {
            next = words.get(i + 2);
        }
        if let Some(alias) = next
            && !NOT_ALIASES.contains(&alias.to_uppercase().as_str())
        {
            names.push(alias.clone());
        }
    }
    names
}

/// Whether a plan line is a loop over a table or an index.
fn is_loop(line: &PlanLine) -> bool {
    line.detail.starts_with("SCAN ") || line.detail.starts_with("SEARCH ")
}

/// Whether `line` runs once per row of something else: inside a
/// correlated subquery, or after another loop of its own level (a join's
/// inner loop, which is where SQLite puts `EXISTS` it turned into a join).
fn runs_per_row(line: &PlanLine, plan: &[PlanLine]) -> bool {
    let outer_loop_before = plan
        .iter()
        .take_while(|l| l.id != line.id)
        .any(|l| l.parent == line.parent && is_loop(l));
    if outer_loop_before {
        return true;
    }
    let mut parent = line.parent;
    while parent != 0 {
        let Some(up) = plan.iter().find(|l| l.id == parent) else {
            break;
        };
        if up.detail.starts_with("CORRELATED ") {
            return true;
        }
        // An enclosing loop of a nested query also repeats what is inside.
        if runs_per_row(up, plan) && is_loop(up) {
            return true;
        }
        parent = up.parent;
    }
    false
}

/// Whether `sql` pages newest first and stops at its LIMIT, so a walk of
/// the table in id order reads one page, not the table.
fn is_page_walk(sql: &str, plan: &[PlanLine]) -> bool {
    sql.contains("ORDER BY id DESC LIMIT")
        && !plan
            .iter()
            .any(|l| l.detail.starts_with("USE TEMP B-TREE FOR ORDER BY"))
}

/// Whether `sql` asks for one user's or one task's rows (`user_id = ?`,
/// `l.task_id = ...`), which their own indexes find directly: a column
/// written `+col` is pinned off its index and does not count.
fn names_a_user_or_task(sql: &str) -> bool {
    ["user_id", "task_id"].iter().any(|col| {
        sql.match_indices(col).any(|(at, _)| {
            let before =
                sql[..at].trim_end_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '.');
            let after = sql[at + col.len()..].trim_start();
            !before.ends_with('+') && after.starts_with('=') && !after.starts_with("==")
        })
    })
}

/// Every way the plan of `sql` breaks the rules for `reach`, in words.
pub fn problems(reach: Reach, sql: &str, plan: &[PlanLine]) -> Vec<String> {
    let names = big_table_names(sql);
    let mut found = Vec::new();
    for line in plan.iter().filter(|l| is_loop(l)) {
        let Some(name) = line.detail.split_whitespace().nth(1) else {
            continue;
        };
        if !names.iter().any(|n| n == name) {
            continue;
        }
        let d = &line.detail;
        let scan = d.starts_with("SCAN ");
        let whole_table = scan && !d.contains(" INDEX ");
        let whole_type = d.contains("idx_logs_type (type=?)");
        let per_row = runs_per_row(line, plan);
        if d.contains("AUTOMATIC") {
            found.push(format!(
                "builds an index of a whole table on every run: {d}"
            ));
        } else if per_row && (scan || whole_type) {
            found.push(format!(
                "reads a whole table, index or log type once per row: {d}"
            ));
        } else if whole_table && reach == Reach::Hot && !is_page_walk(sql, plan) {
            found.push(format!("full table scan on a hot path: {d}"));
        } else if whole_type && reach == Reach::Hot && names_a_user_or_task(sql) {
            found.push(format!(
                "reads a whole log type for one user's or task's rows (pin `+type`): {d}"
            ));
        }
    }
    found
}
