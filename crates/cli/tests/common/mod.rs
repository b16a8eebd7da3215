//! The harness the CLI integration tests share: the repository root, the real `score` binary
//! run without colour and without `SCORE_SEED` or `SCORE_SEED_FILE` (so a seed in the caller's environment cannot
//! change what a test sees), fresh scratch directories under the target directory, and insta
//! snapshots kept in `testdata/snapshots`, named without the test's module.
//!
//! Each test file includes it with `mod common;`.

// Every test file compiles this module on its own and uses only part of it; the rest would
// be reported as dead code in each of them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root: the `score` package's manifest directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// What a run of `score` gave: its exit code (-1 if killed by a signal) and its output.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` to completion and collects its exit code and output.
pub fn run(command: &mut Command) -> Run {
    let output = command.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// The `score` binary to be run in `dir`, with `NO_COLOR=1` and without `SCORE_SEED` or
/// `SCORE_SEED_FILE`.
pub fn command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_score"));
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SCORE_SEED")
        .env_remove("SCORE_SEED_FILE");
    command
}

/// Runs `score args` in `dir`.
pub fn score_in(dir: &Path, args: &[&str]) -> Run {
    run(command(dir).args(args))
}

/// Runs `score args` in the repository root.
pub fn score(args: &[&str]) -> Run {
    score_in(&root(), args)
}

/// Runs `score args` in the repository root with `env` set as well (it may set `SCORE_SEED`).
pub fn score_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    run(command(&root()).envs(env.iter().copied()).args(args))
}

/// A fresh empty directory `name` under the target's temporary directory, removed first if
/// left over. Names are shared by every test binary, so each file uses its own.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts `text` matches the snapshot `testdata/snapshots/{name}.snap`.
pub fn snapshot(name: &str, text: &str) {
    snapshot_in("", name, text);
}

/// Asserts `text` matches the snapshot `testdata/snapshots/{dir}/{name}.snap`.
pub fn snapshot_in(dir: &str, name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    let mut path = root().join("testdata/snapshots");
    if !dir.is_empty() {
        path.push(dir);
    }
    settings.set_snapshot_path(path);
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}
