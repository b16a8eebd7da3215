//! How `validate` and `compile` print many diagnostics: repeated warnings are grouped in the
//! human format (and only there), `--quiet` prints errors only, and a file with nothing in it
//! is placed at 1:1 in every format.

use std::path::Path;

mod common;
use common::{score_in, scratch, snapshot};

/// `count` workloads `w01`… in `dir/wNN/score.yaml`, each warned about once by `validate`
/// (a placeholder in `image`) and twice more by a Compose compile (httpGet probes).
fn warned_workloads(dir: &Path, count: usize) {
    for i in 1..=count {
        let name = format!("w{i:02}");
        std::fs::create_dir_all(dir.join(&name)).unwrap();
        std::fs::write(
            dir.join(&name).join("score.yaml"),
            format!(
                "apiVersion: score.dev/v1b1
metadata:
  name: {name}
containers:
  main:
    image: \"registry.example/${{metadata.name}}:1\"
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
    readinessProbe:
      httpGet:
        path: /ready
        port: 8080
"
            ),
        )
        .unwrap();
    }
}

/// The files named in the human output's snippet headers (`╭─[file:line:col]`), in order.
fn snippet_files(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|l| l.split_once("╭─[").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once(':').map(|(file, _)| file))
        .collect()
}

#[test]
fn repeated_warnings_show_three_in_full_and_count_the_rest() {
    let dir = scratch("messages-grouped");
    warned_workloads(&dir, 10);
    let run = score_in(&dir, &["validate", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("score::image::placeholder\n").count(),
        3,
        "{}",
        run.stderr
    );
    assert_eq!(
        snippet_files(&run.stderr),
        ["./w01/score.yaml", "./w02/score.yaml", "./w03/score.yaml"]
    );
    let hidden: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("… and"))
        .collect();
    assert_eq!(
        hidden,
        [
            "… and 7 more score::image::placeholder warnings (like the ones above; `--format json` lists them all)"
        ]
    );
    // The summary still counts every warning.
    assert!(
        run.stderr.ends_with("10 files valid (10 warnings)\n"),
        "{}",
        run.stderr
    );
    snapshot("grouped-warnings", &run.stderr);
}

#[test]
fn json_and_github_formats_keep_every_warning() {
    let dir = scratch("messages-every");
    warned_workloads(&dir, 10);
    let run = score_in(&dir, &["validate", "--format", "json", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(all.len(), 10);
    assert!(all.iter().all(|d| d["code"] == "score::image::placeholder"));

    let run = score_in(&dir, &["validate", "--format", "github", "."]);
    let warnings: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!(warnings.len(), 10, "{}", run.stdout);
    assert!(
        warnings[9].contains("file=./w10/score.yaml,line=6"),
        "{}",
        warnings[9]
    );
    // GitHub shows 10 warnings per step: at 10 there is nothing to say yet.
    assert!(!run.stdout.contains("::notice"), "{}", run.stdout);
}

#[test]
fn github_annotations_past_the_step_limit_end_with_a_notice() {
    let dir = scratch("messages-notice");
    warned_workloads(&dir, 6);
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "compose",
            "--message-format",
            "github",
            "-o",
            "out.yaml",
            ".",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 6 image warnings and 12 probe warnings, every one annotated, then one notice.
    assert_eq!(
        run.stdout.matches("::warning ").count(),
        18,
        "{}",
        run.stdout
    );
    let last = run.stdout.lines().last().unwrap();
    assert_eq!(
        last,
        "::notice title=score::GitHub shows 10 warning annotations per step; all 18 are in this step's log"
    );
}

#[test]
fn compile_groups_each_code_on_its_own() {
    let dir = scratch("messages-compile");
    warned_workloads(&dir, 5);
    let run = score_in(
        &dir,
        &["compile", "--target", "compose", "-o", "out.yaml", "."],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let hidden: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("… and"))
        .collect();
    assert_eq!(
        hidden,
        [
            "… and 2 more score::image::placeholder warnings (like the ones above; `--message-format github` lists them all)",
            "… and 7 more score::compose::http-probe warnings (like the ones above; `--message-format github` lists them all)",
        ],
        "{}",
        run.stderr
    );
    assert_eq!(snippet_files(&run.stderr).len(), 6);
    // One line each: the message fits the 100 columns the snippets are drawn in.
    assert!(
        run.stderr.contains(
            "  ⚠ Compose cannot run the httpGet livenessProbe of `main`: no healthcheck from it\n   ╭─["
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn errors_are_never_grouped() {
    let dir = scratch("messages-errors");
    for i in 1..=5 {
        std::fs::write(dir.join(format!("e{i}.yaml")), "").unwrap();
    }
    let run = score_in(
        &dir,
        &[
            "validate", "e1.yaml", "e2.yaml", "e3.yaml", "e4.yaml", "e5.yaml",
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        snippet_files(&run.stderr),
        ["e1.yaml", "e2.yaml", "e3.yaml", "e4.yaml", "e5.yaml"]
    );
    assert!(!run.stderr.contains("… and"), "{}", run.stderr);
}

#[test]
fn quiet_prints_errors_only() {
    let dir = scratch("messages-quiet");
    warned_workloads(&dir, 4);
    for args in [
        &["validate", "-q", "."][..],
        &["validate", "--quiet", "--format", "github", "."],
        &[
            "compile", "-q", "--target", "compose", "-o", "out.yaml", ".",
        ],
        &[
            "compile",
            "--quiet",
            "--target",
            "kubernetes",
            "--seed",
            "s",
            "-o",
            "k.yaml",
            ".",
        ],
    ] {
        let run = score_in(&dir, args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{args:?}");
        assert_eq!(run.stdout, "", "{args:?}");
    }
    let run = score_in(&dir, &["validate", "-q", "--format", "json", "."]);
    assert_eq!(run.stdout.trim(), "[]");

    // An invalid file among them: its error and the summary, no warning.
    std::fs::write(dir.join("bad.yaml"), "apiVersion: score.dev/v1b1\n").unwrap();
    let run = score_in(&dir, &["validate", "-q", ".", "bad.yaml"]);
    assert_eq!(run.code, 1);
    assert!(
        !run.stderr.contains("score::image::placeholder"),
        "{}",
        run.stderr
    );
    // Two errors (no metadata, no containers), both shown.
    assert_eq!(
        snippet_files(&run.stderr),
        ["bad.yaml", "bad.yaml"],
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("1 of 5 files invalid: 2 errors, 4 warnings\n"),
        "{}",
        run.stderr
    );
    let run = score_in(
        &dir,
        &["compile", "-q", "--target", "compose", ".", "bad.yaml"],
    );
    assert_eq!(run.code, 1);
    assert!(!run.stderr.contains('⚠'), "{}", run.stderr);
    assert!(run.stderr.contains("bad.yaml:1:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("compile failed: 2 errors, 4 warnings"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_empty_file_is_placed_at_its_first_line_in_every_format() {
    let dir = scratch("messages-empty");
    std::fs::write(dir.join("empty.yaml"), "").unwrap();
    std::fs::write(dir.join("comments.yaml"), "# TODO\n\n  # later\n").unwrap();
    for (file, message) in [
        ("empty.yaml", "the file is empty"),
        ("comments.yaml", "the file holds only comments"),
    ] {
        let run = score_in(&dir, &["validate", "--format", "json", file]);
        assert_eq!(run.code, 1);
        let all: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(all.len(), 1, "{}", run.stdout);
        assert_eq!(all[0]["code"], "score::input::empty");
        assert_eq!(all[0]["message"], message);
        assert_eq!(
            (all[0]["line"].as_u64(), all[0]["column"].as_u64()),
            (Some(1), Some(1))
        );

        let run = score_in(&dir, &["validate", file]);
        assert_eq!(run.code, 1);
        assert!(
            run.stderr.contains(&format!("╭─[{file}:1:1]")),
            "{}",
            run.stderr
        );
        if file == "empty.yaml" {
            snapshot("empty-file", &run.stderr);
        }

        let run = score_in(&dir, &["validate", "--format", "github", file]);
        assert_eq!(run.code, 1);
        assert!(
            run.stdout.starts_with(&format!(
                "::error file={file},line=1,col=1,title=score%3A%3Ainput%3A%3Aempty::{message}"
            )),
            "{}",
            run.stdout
        );
    }
}
