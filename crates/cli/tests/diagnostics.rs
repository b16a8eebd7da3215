//! Snapshots of what `score validate` shows people, for our fixtures in `testdata/`.
//!
//! Each file in `testdata/diagnostics/` is validated by the real binary; its human output
//! (stderr, no colour) and exit code are snapshotted in `testdata/snapshots/`. Review changes
//! with `cargo insta review`.

use std::process::Command;

mod common;
use common::{Run, root, scratch, snapshot};

/// Runs `score args` in the repository root, without colour. Unlike `common::score`, it
/// leaves `SCORE_SEED` as inherited, as these tests always have: `validate` takes no seed and
/// every `compile` here passes `--seed`.
fn run(args: &[&str]) -> Run {
    common::run(
        Command::new(env!("CARGO_BIN_EXE_score"))
            .current_dir(root())
            .env("NO_COLOR", "1")
            .args(args),
    )
}

#[test]
fn human_diagnostics_for_each_fixture() {
    let mut fixtures: Vec<_> = std::fs::read_dir(root().join("testdata/diagnostics"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 10);
    for fixture in fixtures {
        let path = format!("testdata/diagnostics/{fixture}");
        let Run { code, stderr, .. } = run(&["validate", &path]);
        // A panic is caught and reported as an internal error (3); 101 if that ever broke.
        assert!(!matches!(code, 3 | 101), "{fixture} made score panic");
        let name = fixture
            .rsplit_once('.')
            .map_or(fixture.as_str(), |(n, _)| n);
        snapshot(name, &format!("exit code: {code}\n\n{stderr}"));
    }
}

#[test]
fn json_diagnostics_carry_every_field() {
    let Run { code, stdout, .. } = run(&[
        "validate",
        "--format",
        "json",
        "testdata/diagnostics/placeholders.yaml",
    ]);
    assert_eq!(code, 1);
    snapshot("placeholders.json", &stdout);
}

#[test]
fn valid_files_exit_zero_even_with_warnings() {
    let Run { code, stderr, .. } = run(&[
        "validate",
        "testdata/valid",
        "testdata/diagnostics/deprecated-forms.yaml",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("3 files valid (4 warnings)"), "{stderr}");
}

#[test]
fn usage_errors_exit_two() {
    let Run { code, stderr, .. } = run(&["validate", "testdata/does-not-exist.yaml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no such file or directory"), "{stderr}");
    let Run { code, .. } = run(&["validate", "--format", "xml", "testdata/valid"]);
    assert_eq!(code, 2);
}

#[test]
fn images_left_for_ci_fail_and_placeholders_in_images_warn() {
    let dir = scratch("image-problems");
    let cases = [
        ("blank", "   # set by CI", 1, "score::schema::type"),
        ("empty", "\"\"", 1, "score::schema::format"),
        ("variable", "\"${IMAGE}\"", 0, "score::image::placeholder"),
        (
            "templated",
            "\"repo/${metadata.name}:1\"",
            0,
            "score::image::placeholder",
        ),
    ];
    for (name, image, expected, code) in cases {
        let file = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &file,
            format!(
                "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: {image}\n"
            ),
        )
        .unwrap();
        let file = file.to_str().unwrap();
        let Run {
            code: exit, stdout, ..
        } = run(&["validate", "--format", "json", file]);
        assert_eq!(exit, expected, "{name}: {stdout}");
        let found: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
        assert_eq!(found.len(), 1, "{name}: {stdout}");
        assert_eq!(found[0]["code"], code, "{name}");
        assert_eq!(found[0]["line"], 6, "{name}");
        let severity = if expected == 0 { "warning" } else { "error" };
        assert_eq!(found[0]["severity"], severity, "{name}");
        if expected == 0 {
            // `score compile` shows the same warning and still compiles.
            let Run {
                code: exit,
                stdout: manifests,
                stderr,
            } = run(&["compile", "--target", "kubernetes", "--seed", "s", file]);
            assert_eq!(exit, 0, "{name}: {stderr}");
            assert!(stderr.contains(code), "{name}: {stderr}");
            assert!(manifests.contains("kind: Deployment"), "{name}");
        }
    }
}
