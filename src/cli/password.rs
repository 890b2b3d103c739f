//! Passwords on the command line: read from standard input (preferred: a
//! flag's value shows in `ps` and the shell's history), and
//! `taskcenter user passwd`.

use std::io::BufRead;

use crate::error::{Error, Result};
use crate::password::check_rules;
use crate::store::Store;

/// The first line of standard input, without its line end, checked by the
/// password rules.
pub fn read_stdin_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Error::invalid(format!("cannot read the password from standard input: {e}"))
    })?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(Error::invalid(
            "no password on standard input (give it as the first line)",
        ));
    }
    check_rules(password)?;
    Ok(password.to_string())
}

/// The password of a command: `--password-stdin` or `--password <value>`.
pub fn from_flags(stdin: bool, value: Option<String>) -> Result<Option<String>> {
    match (stdin, value) {
        (true, _) => read_stdin_line().map(Some),
        (false, v) => Ok(v),
    }
}

/// The id of the user named by id or by username (404 when unknown).
pub fn resolve_user(store: &Store, user: &str) -> Result<i64> {
    if let Ok(id) = user.parse::<i64>()
        && store.get_user(id)?.is_some()
    {
        return Ok(id);
    }
    store
        .user_for_login(user)?
        .map(|(u, _)| u.id)
        .ok_or_else(|| Error::NotFound(format!("user '{user}' not found")))
}
