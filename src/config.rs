//! Settings of a running server, filled from clap flags or env vars.

use std::path::PathBuf;

/// Run-time configuration of `taskcenter serve`.
#[derive(Debug, Clone)]
pub struct Config {
    /// SQLite database file.
    pub db: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("./data/taskcenter.db"),
        }
    }
}
