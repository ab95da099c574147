//! The network subcommands of the `strata` binary fail cleanly, before
//! touching any TAP device, on arguments they cannot use: a message on
//! stderr and the documented exit status, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

fn strata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(args)
        // A name no test machine has: if a command got as far as the
        // device, it would fail there instead of touching a real TAP.
        .args(["--tap", "strata-no-such-tap-x"])
        .output()
        .unwrap()
}

fn check(args: &[&str], code: i32, message: &str) {
    let out = strata(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(message), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
}

#[test]
fn fetch_refuses_urls_it_cannot_use() {
    check(
        &["fetch", "https://198.18.0.1/"],
        2,
        "https:// is not supported",
    );
    check(
        &["fetch", "ftp://198.18.0.1/"],
        2,
        "scheme ftp:// is not supported",
    );
    check(&["fetch", "198.18.0.1/x"], 2, "must start with http://");
    check(&["fetch", "http://198.18.0.1:99999/"], 2, "invalid port");
    check(&["fetch", "http://[::1]/"], 2, "IPv6");
}

#[test]
fn bad_options_are_usage_errors() {
    check(
        &["resolve", "example.test", "--type", "BOGUS"],
        2,
        "unknown record type",
    );
    check(&["ping", "-s", "70000", "198.18.0.1"], 2, "70000");
    check(
        &["ping", "198.18.0.1", "--addr", "198.18.0.2/40"],
        2,
        "--addr",
    );
    check(&["ping", "-i", "nan", "198.18.0.1"], 2, "invalid interval");
    check(&["serve", "/tmp", "--port", "x"], 2, "--port");
}
