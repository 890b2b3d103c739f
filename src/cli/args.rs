//! The command line: every command, subcommand and flag (clap types only).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::Config;
use crate::config::{DEFAULT_DB, DEFAULT_POLL_INTERVAL_MS, DEFAULT_TASK_TIMEOUT_SECS};

/// The self-hosted task center for AI generation jobs (new-api compatible).
#[derive(Debug, Parser)]
#[command(name = "taskcenter", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server and the polling worker.
    Serve(Config),
    /// Check that every balance agrees with the log; exits 1 on any violation.
    Audit(AuditArgs),
    /// Manage users (prints JSON).
    #[command(subcommand)]
    User(UserCmd),
    /// Manage API keys (prints JSON).
    #[command(subcommand)]
    Token(TokenCmd),
    /// Manage channels (prints JSON).
    #[command(subcommand)]
    Channel(ChannelCmd),
    /// Take a consistent copy of the database while the server runs.
    Backup(BackupArgs),
    /// Look at or repair one task (prints JSON).
    #[command(subcommand)]
    Task(TaskCmd),
    /// Check database, ledger, stuck tasks and channels; exits 1 on any problem.
    Doctor(DoctorArgs),
}

/// The database flag every offline command takes.
#[derive(Debug, clap::Args)]
pub struct DbArg {
    /// SQLite database file.
    #[arg(long, env = "TASKCENTER_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

/// `taskcenter audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The database to audit.
    #[command(flatten)]
    pub db: DbArg,
    /// Task timeout the server runs with (a non-final task older than this plus one poll interval is stuck).
    #[arg(long, env = "TASKCENTER_TASK_TIMEOUT_SECS", default_value_t = DEFAULT_TASK_TIMEOUT_SECS)]
    pub task_timeout_secs: u64,
    /// Poll interval the server runs with, in milliseconds.
    #[arg(long, env = "TASKCENTER_POLL_INTERVAL_MS", default_value_t = DEFAULT_POLL_INTERVAL_MS)]
    pub poll_interval_ms: u64,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `taskcenter user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create a user; prints it with its access token (shown only here).
    Add {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Unique login name.
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input
        /// (preferred; 8 to 128 characters).
        #[arg(long, conflicts_with = "password")]
        password_stdin: bool,
        /// Password (optional; kept for compatibility: prefer
        /// --password-stdin, since a flag shows in `ps`).
        #[arg(long)]
        password: Option<String>,
        /// Shown name (default: the username).
        #[arg(long)]
        display_name: Option<String>,
        /// Role: 1 common, 10 admin.
        #[arg(long, default_value_t = 1)]
        role: i64,
        /// Pricing group (default: `default`).
        #[arg(long)]
        group: Option<String>,
        /// Starting quota (500000 = 1 USD, at most 2^53 - 1), logged as a top-up.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        quota: i64,
    },
    /// List users, 100 per page.
    List {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Match username or display name.
        #[arg(long)]
        keyword: Option<String>,
        /// Page, from 1.
        #[arg(long, default_value_t = 1)]
        page: i64,
    },
    /// Set a user's password (ends their sessions); prints the user.
    Passwd {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// User id or username.
        user: String,
        /// Read the new password from the first line of standard input
        /// (preferred; 8 to 128 characters).
        #[arg(
            long,
            conflicts_with = "password",
            required_unless_present = "password"
        )]
        password_stdin: bool,
        /// The new password (prefer --password-stdin, since a flag shows in `ps`).
        #[arg(long)]
        password: Option<String>,
    },
    /// Add a signed amount to a user's quota (logged).
    Quota {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// User id.
        #[arg(long)]
        id: i64,
        /// Signed change, e.g. 500000 or -1000; the balance stays within 0 and 2^53 - 1.
        #[arg(long, allow_hyphen_values = true)]
        delta: i64,
        /// Why (kept in the log).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// `taskcenter token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// Create an API key for a user; prints it with the key (shown only here).
    Add {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Owner's user id.
        #[arg(long)]
        user_id: i64,
        /// Key name (at most 64 characters).
        #[arg(long, default_value = "default")]
        name: String,
        /// Quota this key may spend (0 to 2^53 - 1).
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        remain_quota: i64,
        /// No per-key limit.
        #[arg(long)]
        unlimited: bool,
        /// Unix time of expiry, -1 = never.
        #[arg(long, default_value_t = -1, allow_hyphen_values = true)]
        expired_time: i64,
    },
}

/// `taskcenter channel ...`.
#[derive(Debug, Subcommand)]
pub enum ChannelCmd {
    /// Create a channel.
    Add {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Name.
        #[arg(long, default_value = "")]
        name: String,
        /// Platform type (`suno`, or new-api's number).
        #[arg(long = "type", default_value = "suno")]
        channel_type: String,
        /// Upstream base URL, e.g. http://127.0.0.1:4000.
        #[arg(long)]
        base_url: String,
        /// Upstream secret.
        #[arg(long, default_value = "")]
        key: String,
        /// Comma list of models served (default: every model of the platform).
        #[arg(long)]
        models: Option<String>,
        /// Comma list of user groups served.
        #[arg(long, default_value = "default")]
        group: String,
        /// Higher is tried first.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        priority: i64,
        /// Weight within a priority tier (0 or more).
        #[arg(long, default_value_t = 1)]
        weight: i64,
        /// Client model → upstream model, a JSON object:
        /// '{"sora-2":"sora-2-2025-10-06"}' (default: none).
        #[arg(long, default_value = "")]
        model_mapping: String,
    },
    /// List channels (keys masked).
    List {
        /// The database.
        #[command(flatten)]
        db: DbArg,
    },
    /// Disable a channel (running tasks keep being polled).
    Disable {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Channel id.
        #[arg(long)]
        id: i64,
    },
    /// Enable a channel.
    Enable {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Channel id.
        #[arg(long)]
        id: i64,
    },
    /// Probe a channel with its platform's cheapest harmless request;
    /// prints status and latency, exits 1 when the probe fails.
    Test {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Channel id.
        id: i64,
        /// Timeout of each stage of the probe, in seconds.
        #[arg(long, default_value_t = 10)]
        probe_timeout_secs: u64,
        /// Allow a channel on a loopback or private address.
        #[arg(long, env = "TASKCENTER_ALLOW_PRIVATE_UPSTREAMS")]
        allow_private_upstreams: bool,
        /// Proxy for the probe, as the server uses it.
        #[arg(long, env = "TASKCENTER_UPSTREAM_PROXY", value_parser = crate::config::parse_proxy)]
        upstream_proxy: Option<String>,
    },
}

/// `taskcenter backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The database to copy.
    #[command(flatten)]
    pub db: DbArg,
    /// Where to write the copy (missing folders are created).
    #[arg(long)]
    pub to: PathBuf,
}

/// `taskcenter task ...`.
#[derive(Debug, Subcommand)]
pub enum TaskCmd {
    /// Print a task as administrators see it, with its ledger rows.
    Show {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Public task id.
        task_id: String,
    },
    /// Settle a stuck task by hand: FAILURE refunds its charge, exactly once.
    Settle {
        /// The database.
        #[command(flatten)]
        db: DbArg,
        /// Public task id.
        task_id: String,
        /// SUCCESS or FAILURE.
        #[arg(long)]
        status: String,
        /// Why (the owner sees it as the fail reason; required for FAILURE).
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `taskcenter doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The database to examine (read-only; the server may be running).
    #[command(flatten)]
    pub db: DbArg,
    /// Task timeout the server runs with (tasks in flight past it are stuck).
    #[arg(long, env = "TASKCENTER_TASK_TIMEOUT_SECS", default_value_t = DEFAULT_TASK_TIMEOUT_SECS)]
    pub task_timeout_secs: u64,
    /// Poll interval the server runs with, in milliseconds.
    #[arg(long, env = "TASKCENTER_POLL_INTERVAL_MS", default_value_t = DEFAULT_POLL_INTERVAL_MS)]
    pub poll_interval_ms: u64,
    /// Timeout of each stage of a channel probe, in seconds.
    #[arg(long, default_value_t = 10)]
    pub probe_timeout_secs: u64,
    /// Proxy for the probes, as the server uses it.
    #[arg(long, env = "TASKCENTER_UPSTREAM_PROXY", value_parser = crate::config::parse_proxy)]
    pub upstream_proxy: Option<String>,
    /// Probe channels on loopback or private addresses too.
    #[arg(long, env = "TASKCENTER_ALLOW_PRIVATE_UPSTREAMS")]
    pub allow_private_upstreams: bool,
    /// Do not call the channels.
    #[arg(long)]
    pub no_probes: bool,
    /// Print the report as JSON instead of lines.
    #[arg(long)]
    pub json: bool,
}
