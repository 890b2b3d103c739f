//! The `taskcenter` binary: logging, then the library's command line.

use std::process::ExitCode;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    taskcenter::cli::main(std::env::args_os())
}
