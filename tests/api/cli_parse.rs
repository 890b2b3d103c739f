//! A command line that does not parse: clap's whole error (the argument's
//! name, suggestions, the `--help` hint) and exit 2; help alone for a
//! command without its subcommand; `--help` that states the limits.

use crate::kit::process::taskcenter;

/// Runs a command line that must not parse; returns what it printed.
fn refused(args: &[&str]) -> String {
    let out = taskcenter(args);
    assert_eq!(out.status.code(), Some(2), "taskcenter {args:?}: {out:?}");
    assert!(out.stdout.is_empty(), "taskcenter {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_missing_argument_is_named_with_the_usage_and_the_help_hint() {
    let text = refused(&["user", "add"]);
    assert!(text.contains("--username <USERNAME>"), "{text}");
    assert!(text.contains("Usage: taskcenter user add"), "{text}");
    assert!(text.contains("try '--help'"), "{text}");
    let text = refused(&["user", "quota", "--id", "2"]);
    assert!(text.contains("--delta <DELTA>"), "{text}");
}

#[test]
fn a_bad_value_names_its_flag() {
    let text = refused(&["user", "quota", "--id", "2", "--delta", "lots"]);
    assert!(
        text.contains("'lots'") && text.contains("--delta"),
        "{text}"
    );
    let text = refused(&["serve", "--poll-interval-ms", "5"]);
    assert!(text.contains("--poll-interval-ms"), "{text}");
    let text = refused(&["serve", "--fetch-batch", "1001"]);
    assert!(text.contains("--fetch-batch"), "{text}");
    let text = refused(&["serve", "--max-inflight-submissions", "0"]);
    assert!(text.contains("--max-inflight-submissions"), "{text}");
    let text = refused(&["serve", "--listen", "nowhere"]);
    assert!(text.contains("--listen"), "{text}");
}

#[test]
fn a_typo_gets_a_suggestion() {
    let text = refused(&["serv"]);
    assert!(text.contains("'serve'"), "{text}");
    let text = refused(&["channel", "frobnicate"]);
    assert!(text.contains("frobnicate"), "{text}");
}

#[test]
fn a_command_without_its_subcommand_prints_help_and_exits_2() {
    for (args, shows) in [
        (vec![], "Commands:"),
        (vec!["user"], "Usage: taskcenter user <COMMAND>"),
        (vec!["channel"], "Usage: taskcenter channel <COMMAND>"),
    ] {
        let text = refused(&args);
        assert!(text.contains(shows), "taskcenter {args:?}: {text}");
    }
}

#[test]
fn root_tokens_shorter_than_24_characters_or_empty_are_refused() {
    for token in ["", "short-token"] {
        let text = refused(&["serve", "--root-token", token, "--listen", "127.0.0.1:0"]);
        assert!(text.contains("--root-token"), "{text}");
    }
}

#[test]
fn help_states_the_limits_of_the_flags() {
    let out = taskcenter(&["serve", "--help"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "at least 10",
        "1 to 1000",
        "On an existing database",
        "TASKCENTER_ROOT_TOKEN",
        "localhost:3000",
        "--allow-private-upstreams",
        "--upstream-proxy",
    ] {
        assert!(text.contains(needle), "serve --help says {needle}: {text}");
    }
}
