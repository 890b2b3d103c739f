//! The `taskcenter` binary: parses arguments and hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use taskcenter::Config;
use taskcenter::cli;
use taskcenter::domain::Role;
use taskcenter::error::AppError;
use taskcenter::store::Store;
use taskcenter::store::channels::ChannelFields;
use taskcenter::store::tokens::NewToken;
use taskcenter::store::users::NewUser;

/// The self-hosted task center for AI generation jobs (new-api compatible).
#[derive(Debug, Parser)]
#[command(name = "taskcenter", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server and the polling worker.
    Serve(ServeArgs),
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
}

/// The database flag every offline command takes.
#[derive(Debug, clap::Args)]
struct DbArg {
    /// SQLite database file.
    #[arg(long, env = "TASKCENTER_DB", default_value = "./data/taskcenter.db")]
    db: PathBuf,
}

#[derive(Debug, clap::Args)]
struct AuditArgs {
    #[command(flatten)]
    db: DbArg,
    /// Task timeout the server runs with (a non-final task older than this plus one poll interval is stuck).
    #[arg(long, env = "TASKCENTER_TASK_TIMEOUT_SECS", default_value_t = 3600)]
    task_timeout_secs: u64,
    /// Poll interval the server runs with, in milliseconds.
    #[arg(long, env = "TASKCENTER_POLL_INTERVAL_MS", default_value_t = 15000)]
    poll_interval_ms: u64,
    /// Print the report as JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum UserCmd {
    /// Create a user; prints it with its access token (shown only here).
    Add {
        #[command(flatten)]
        db: DbArg,
        /// Unique login name.
        #[arg(long)]
        username: String,
        /// Password (optional).
        #[arg(long)]
        password: Option<String>,
        /// Shown name.
        #[arg(long)]
        display_name: Option<String>,
        /// Role: 1 common, 10 admin.
        #[arg(long, default_value_t = 1)]
        role: i64,
        /// Pricing group.
        #[arg(long)]
        group: Option<String>,
        /// Starting quota (500000 = 1 USD), logged as a top-up.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        quota: i64,
    },
    /// List users.
    List {
        #[command(flatten)]
        db: DbArg,
        /// Match username or display name.
        #[arg(long)]
        keyword: Option<String>,
        /// Page (100 per page).
        #[arg(long, default_value_t = 1)]
        page: i64,
    },
    /// Add a signed amount to a user's quota (logged).
    Quota {
        #[command(flatten)]
        db: DbArg,
        /// User id.
        #[arg(long)]
        id: i64,
        /// Signed change, e.g. 500000 or -1000.
        #[arg(long, allow_hyphen_values = true)]
        delta: i64,
        /// Why (kept in the log).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Create an API key for a user; prints it with the key (shown only here).
    Add {
        #[command(flatten)]
        db: DbArg,
        /// Owner's user id.
        #[arg(long)]
        user_id: i64,
        /// Key name.
        #[arg(long, default_value = "default")]
        name: String,
        /// Quota this key may spend.
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

#[derive(Debug, Subcommand)]
enum ChannelCmd {
    /// Create a channel.
    Add {
        #[command(flatten)]
        db: DbArg,
        /// Name.
        #[arg(long, default_value = "")]
        name: String,
        /// Platform type.
        #[arg(long = "type", default_value = "suno")]
        channel_type: String,
        /// Upstream base URL, e.g. http://127.0.0.1:4000.
        #[arg(long)]
        base_url: String,
        /// Upstream secret.
        #[arg(long, default_value = "")]
        key: String,
        /// Comma list of models served.
        #[arg(long, default_value = "suno_music,suno_lyrics")]
        models: String,
        /// Comma list of user groups served.
        #[arg(long, default_value = "default")]
        group: String,
        /// Higher is tried first.
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        priority: i64,
        /// Weight within a priority tier.
        #[arg(long, default_value_t = 1)]
        weight: i64,
    },
    /// List channels (keys masked).
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Disable a channel (running tasks keep being polled).
    Disable {
        #[command(flatten)]
        db: DbArg,
        /// Channel id.
        #[arg(long)]
        id: i64,
    },
    /// Enable a channel.
    Enable {
        #[command(flatten)]
        db: DbArg,
        /// Channel id.
        #[arg(long)]
        id: i64,
    },
}

#[derive(Debug, clap::Args)]
struct BackupArgs {
    #[command(flatten)]
    db: DbArg,
    /// Where to write the copy.
    #[arg(long)]
    to: PathBuf,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TASKCENTER_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// SQLite database file (parent folders are created).
    #[arg(long, env = "TASKCENTER_DB", default_value = "./data/taskcenter.db")]
    db: PathBuf,
    /// Access token of the root user (id 1); generated and printed once when absent on a new database.
    #[arg(long, env = "TASKCENTER_ROOT_TOKEN", hide_env_values = true)]
    root_token: Option<String>,
    /// Timeout of one upstream call (submit or fetch), in seconds: bounds the wait for the answer and the body read each (connect at most 10 s).
    #[arg(long, env = "TASKCENTER_UPSTREAM_TIMEOUT_SECS", default_value_t = 60)]
    upstream_timeout_secs: u64,
    /// Extra submit attempts on other channels after a retryable upstream failure.
    #[arg(long, env = "TASKCENTER_RETRY_TIMES", default_value_t = 2)]
    retry_times: u32,
    /// How often the worker polls upstreams, in milliseconds.
    #[arg(long, env = "TASKCENTER_POLL_INTERVAL_MS", default_value_t = 15000, value_parser = clap::value_parser!(u64).range(10..))]
    poll_interval_ms: u64,
    /// Upstream task ids per fetch request.
    #[arg(long, env = "TASKCENTER_FETCH_BATCH", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    fetch_batch: u64,
    /// A task not final this many seconds after submission fails and is refunded.
    #[arg(long, env = "TASKCENTER_TASK_TIMEOUT_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    task_timeout_secs: u64,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line, as scripts expect; --help has the details.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("taskcenter: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve(args).map(|()| ExitCode::SUCCESS),
        Command::Audit(args) => audit(args),
        Command::User(cmd) => print_json(user(cmd)),
        Command::Token(cmd) => print_json(token(cmd)),
        Command::Channel(cmd) => print_json(channel(cmd)),
        Command::Backup(args) => print_json(
            cli::open_existing(&args.db.db).and_then(|store| cli::backup(&store, &args.to)),
        ),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("taskcenter: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_json(r: Result<serde_json::Value, AppError>) -> Result<ExitCode, String> {
    let v = r.map_err(|e| e.to_string())?;
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}

fn user(cmd: UserCmd) -> Result<serde_json::Value, AppError> {
    match cmd {
        UserCmd::Add {
            db,
            username,
            password,
            display_name,
            role,
            group,
            quota,
        } => {
            let role = Role::parse(role)
                .ok_or_else(|| AppError::bad(format!("invalid role {role}: use 1 or 10")))?;
            let store = cli::open(&db.db)?;
            cli::user_add(
                &store,
                NewUser {
                    username,
                    password,
                    display_name,
                    role: Some(role),
                    group,
                    quota,
                },
            )
        }
        UserCmd::List { db, keyword, page } => {
            cli::user_list(&cli::open(&db.db)?, keyword.as_deref(), page)
        }
        UserCmd::Quota {
            db,
            id,
            delta,
            reason,
        } => cli::user_quota(&cli::open(&db.db)?, id, delta, &reason),
    }
}

fn token(cmd: TokenCmd) -> Result<serde_json::Value, AppError> {
    match cmd {
        TokenCmd::Add {
            db,
            user_id,
            name,
            remain_quota,
            unlimited,
            expired_time,
        } => cli::token_add(
            &cli::open(&db.db)?,
            user_id,
            NewToken {
                name,
                remain_quota,
                unlimited_quota: unlimited,
                expired_time,
            },
        ),
    }
}

fn channel(cmd: ChannelCmd) -> Result<serde_json::Value, AppError> {
    match cmd {
        ChannelCmd::Add {
            db,
            name,
            channel_type,
            base_url,
            key,
            models,
            group,
            priority,
            weight,
        } => cli::channel_add(
            &cli::open(&db.db)?,
            ChannelFields {
                channel_type: Some(channel_type),
                name: Some(name),
                base_url: Some(base_url),
                key: Some(key),
                models: Some(models),
                group: Some(group),
                priority: Some(priority),
                weight: Some(weight),
                status: None,
            },
        ),
        ChannelCmd::List { db } => cli::channel_list(&cli::open(&db.db)?),
        ChannelCmd::Disable { db, id } => cli::channel_set_enabled(&cli::open(&db.db)?, id, false),
        ChannelCmd::Enable { db, id } => cli::channel_set_enabled(&cli::open(&db.db)?, id, true),
    }
}

fn audit(args: AuditArgs) -> Result<ExitCode, String> {
    let store =
        cli::open_existing(&args.db.db).map_err(|e| format!("cannot open database: {e}"))?;
    let config = Config {
        task_timeout_secs: args.task_timeout_secs,
        poll_interval_ms: args.poll_interval_ms,
        ..Config::default()
    };
    let report = store
        .audit(
            taskcenter::clock::unix_now(),
            taskcenter::audit::stale_after_secs(&config),
        )
        .map_err(|e| format!("audit failed: {e}"))?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        println!(
            "audit: {} users, {} keys, {} tasks, {} log rows: {}",
            report.users,
            report.tokens,
            report.tasks,
            report.logs,
            if report.ok {
                "OK".to_string()
            } else {
                format!("{} violation(s)", report.violations.len())
            }
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

fn serve(args: ServeArgs) -> Result<(), String> {
    let store = Store::open(&args.db).map_err(|e| format!("cannot open database: {e}"))?;
    let root_token = args.root_token.as_deref().filter(|t| !t.is_empty());
    if let Some(token) = store
        .ensure_root(root_token)
        .map_err(|e| format!("cannot create the root user: {e}"))?
    {
        eprintln!("Created the root user (id 1). Its access token, shown only this once:");
        eprintln!("    {token}");
        eprintln!(
            "Use it as: curl -H 'Authorization: Bearer {token}' -H 'New-Api-User: 1' http://{}/api/user/self",
            args.listen
        );
    }
    let config = Config {
        db: args.db.clone(),
        upstream_timeout_secs: args.upstream_timeout_secs,
        retry_times: args.retry_times,
        poll_interval_ms: args.poll_interval_ms,
        fetch_batch: args.fetch_batch as usize,
        task_timeout_secs: args.task_timeout_secs,
        worker: true,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        log::info!(
            "taskcenter listening on {}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        taskcenter::run(listener, store, config, shutdown_signal()).await;
        log::info!("taskcenter stopped");
        Ok(())
    })
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    log::info!("shutdown signal received: finishing in-flight requests");
}
