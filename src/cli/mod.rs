//! The command line: [`args`] declares it, [`main`] parses and dispatches.
//! `serve` runs the server; every other command works on the database file.

pub mod args;
pub mod audit;
pub mod commands;
pub mod doctor;
pub mod password;
pub mod serve;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use args::{ChannelCmd, Cli, Command};

/// Parses `argv` and runs the command. Usage errors print as clap renders
/// them (the missing argument, suggestions, the `--help` hint) and exit 2.
pub fn main(argv: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let result = match cli.command {
        Command::Serve(config) => serve::run(config).map(|()| ExitCode::SUCCESS),
        Command::Audit(args) => audit::run(args),
        Command::User(cmd) => print_json(commands::user(cmd)),
        Command::Token(cmd) => print_json(commands::token(cmd)),
        Command::Channel(ChannelCmd::Test {
            db,
            id,
            probe_timeout_secs,
            allow_private_upstreams,
            upstream_proxy,
        }) => {
            let settings = crate::platform::UpstreamSettings {
                timeout: std::time::Duration::from_secs(probe_timeout_secs.max(1)),
                proxy: upstream_proxy,
                allow_private: allow_private_upstreams,
            };
            commands::channel_test(&db.db, id, &settings)
                .map_err(|e| e.to_string())
                .and_then(|report| {
                    let ok = report.ok;
                    print_json(Ok(serde_json::to_value(&report).unwrap_or_default()))?;
                    Ok(if ok {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    })
                })
        }
        Command::Channel(cmd) => print_json(commands::channel(cmd)),
        Command::Backup(args) => print_json(commands::backup(&args.db.db, &args.to)),
        Command::Task(cmd) => print_json(commands::task(cmd)),
        Command::Doctor(args) => doctor::run(args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("taskcenter: {e}");
        ExitCode::FAILURE
    })
}

fn print_json(r: crate::error::Result<serde_json::Value>) -> Result<ExitCode, String> {
    use std::io::Write;
    let v = r.map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&v).unwrap_or_default();
    // A reader that went away (`| head`) is not a failure of the command,
    // and must not be a panic.
    let _ = writeln!(std::io::stdout(), "{text}");
    Ok(ExitCode::SUCCESS)
}
