//! The integration tests: one binary, every file a behaviour, all fixtures
//! from the kit (`kit/`).

mod access;
mod audit_limits;
mod auth;
mod channels;
mod checkpoints;
mod cli;
mod cli_parse;
mod console;
mod group_commit;
mod hardening;
mod hostile;
mod idempotency;
mod kit;
mod ledger_audit;
mod ledger_ceiling;
mod login;
mod metrics;
mod operators;
mod options;
mod process;
mod query_plans;
mod quickstart;
mod races;
mod relay;
mod task_counts;
mod task_list;
mod tokens;
mod users;
mod video;
mod webhooks;
mod worker;

use mock_upstreams as mock;
