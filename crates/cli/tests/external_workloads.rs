//! `score compile` of one workload whose `service`/`service-port` resources name a workload
//! compiled elsewhere: it compiles, with a warning per resource, unless
//! `--deny-external-workloads` is given.

use std::path::{Path, PathBuf};
use std::process::Command;

const CHECKOUT: &str = "testdata/compile/checkout-alone.yaml";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn score(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_score"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("SCORE_SEED")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The GitHub annotations of `code`: `(level, line)`.
fn annotations(stderr: &str, code: &str) -> Vec<(String, u32)> {
    let title = format!("title={}", code.replace(':', "%3A"));
    stderr
        .lines()
        .filter(|l| l.contains(&title))
        .map(|l| {
            let level = l.trim_start_matches("::").split(' ').next().unwrap();
            let line = l.split("line=").nth(1).unwrap().split(',').next().unwrap();
            (level.to_owned(), line.parse().unwrap())
        })
        .collect()
}

#[test]
fn a_workload_compiled_alone_reaches_the_other_by_its_name_with_a_warning_each() {
    for target in ["kubernetes", "compose"] {
        let (code, stdout, stderr) = score(&[
            "compile",
            "--target",
            target,
            "--message-format",
            "github",
            CHECKOUT,
        ]);
        assert_eq!(code, 0, "{target}: {stderr}");
        assert!(
            stdout.contains("http://payments:8080"),
            "{target}:\n{stdout}"
        );
        assert!(
            stdout.contains("PAY_PORT: \"8080\"") || stdout.contains("value: \"8080\""),
            "{target}:\n{stdout}"
        );
        assert_eq!(
            annotations(&stderr, "score::service::external"),
            [("warning".to_owned(), 12), ("warning".to_owned(), 14)],
            "{target}: {stderr}"
        );
    }
}

#[test]
fn deny_external_workloads_makes_them_errors_and_writes_nothing() {
    let (code, stdout, stderr) = score(&[
        "compile",
        "--target",
        "kubernetes",
        "--deny-external-workloads",
        CHECKOUT,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.matches("× resource").count(), 2, "{stderr}");
    assert!(stderr.contains("external workloads are denied"), "{stderr}");
    assert!(stderr.contains("compile failed: 2 errors"), "{stderr}");

    // A flag for the targets that provision.
    let (code, _, stderr) = score(&[
        "compile",
        "--target",
        "backstage",
        "--deny-external-workloads",
        CHECKOUT,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--deny-external-workloads is for"),
        "{stderr}"
    );
}

/// Snapshots under `testdata/snapshots`, named without the module.
fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("testdata/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn the_warning_says_what_is_assumed_and_how_to_make_it_an_error() {
    let (code, _, stderr) = score(&["compile", "--target", "kubernetes", CHECKOUT]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("assumed to be"), "{stderr}");
    assert!(stderr.contains("--deny-external-workloads"), "{stderr}");
    snapshot("external-workload-warning", &stderr);
}
