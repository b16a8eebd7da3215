//! The exit status table: 0 success, 1 invalid input or failed compile, 2 usage, 3 internal
//! error. A panic is caught at the top and reported as an internal error, without Rust's
//! panic message or backtrace; `SCORE_DEBUG_PANIC=1` (debug builds only) makes a command
//! panic so that this can be tested.

use std::process::Stdio;

mod common;
use common::{command, root, run, score};

const VALID: &str = "testdata/valid/score.yaml";

#[test]
fn a_panic_is_an_internal_error_with_exit_3_and_no_backtrace() {
    for args in [
        &["validate", VALID][..],
        &["compile", "--target", "compose", VALID][..],
    ] {
        let out = run(command(&root())
            .args(args)
            .env("SCORE_DEBUG_PANIC", "1")
            .env_remove("RUST_BACKTRACE"));
        assert_eq!(out.code, 3, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: internal error: "),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains("this is a bug in score; please report it with the input"),
            "{}",
            out.stderr
        );
        // What panicked is named (the trigger's message), but not as Rust prints it.
        assert!(out.stderr.contains("SCORE_DEBUG_PANIC"), "{}", out.stderr);
        for rust in [
            "panicked at",
            "stack backtrace",
            "RUST_BACKTRACE",
            "note: run with",
        ] {
            assert!(!out.stderr.contains(rust), "{rust:?} in:\n{}", out.stderr);
        }
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

#[test]
fn rust_backtrace_still_shows_the_panic_to_developers() {
    let out = run(command(&root())
        .args(["validate", VALID])
        .env("SCORE_DEBUG_PANIC", "1")
        .env("RUST_BACKTRACE", "1"));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("panicked at"), "{}", out.stderr);
    assert!(
        out.stderr.contains("error: internal error: "),
        "{}",
        out.stderr
    );
}

#[test]
fn without_the_trigger_the_same_command_succeeds() {
    let out = score(&["validate", VALID]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["validate"][..],
        &["--no-such-flag"][..],
        &["compile", "--target", "nowhere", VALID][..],
        &["validate", "does/not/exist.yaml"][..],
        &["compile", "--target", "compose", "--namespace", "x", VALID][..],
        &["check-version", "not a constraint"][..],
    ] {
        let out = score(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains("error"), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn invalid_input_and_failed_compiles_exit_1() {
    let out = score(&["validate", "testdata/diagnostics/typos.yaml"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("score::"), "{}", out.stderr);
    let out = score(&["check-version", "<0.0.1"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
}

/// `score schema | head -1`: the reader closing the pipe is not an internal error.
#[test]
fn a_closed_stdout_is_not_an_internal_error() {
    for args in [&["schema"][..], &["completions", "bash"][..]] {
        let mut child = command(&root())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the child writes.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
