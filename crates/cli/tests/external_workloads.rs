//! `score compile` of one workload whose `service`/`service-port` resources name a workload
//! compiled elsewhere: it compiles, with a warning per resource, unless
//! `--deny-external-workloads` is given.

mod common;
use common::{Run, score, snapshot};

const CHECKOUT: &str = "testdata/compile/checkout-alone.yaml";

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
        let Run {
            code,
            stdout,
            stderr,
        } = score(&[
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
    let Run {
        code,
        stdout,
        stderr,
    } = score(&[
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
    let Run { code, stderr, .. } = score(&[
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

#[test]
fn the_warning_says_what_is_assumed_and_how_to_make_it_an_error() {
    let Run { code, stderr, .. } = score(&["compile", "--target", "kubernetes", CHECKOUT]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("assumed to be"), "{stderr}");
    assert!(stderr.contains("--deny-external-workloads"), "{stderr}");
    snapshot("external-workload-warning", &stderr);
}
