mod auth;
mod channels;
mod cli;
mod helpers;
mod ledger_audit;
#[path = "../../examples/mock_suno/mock.rs"]
mod mock;
mod operators;
mod options;
mod relay;
mod relay_fetch;
mod relay_retry;
mod relay_support;
mod task_list;
mod tokens;
mod users;
mod worker;
mod worker_support;
