//! Snapshots of what `score validate` shows people, for our fixtures in `testdata/`.
//!
//! Each file in `testdata/diagnostics/` is validated by the real binary; its human output
//! (stderr, no colour) and exit code are snapshotted in `testdata/snapshots/`. Review changes
//! with `cargo insta review`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_score"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("testdata/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings
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
        let (code, _, stderr) = run(&["validate", &path]);
        assert_ne!(code, 101, "{fixture} made score panic");
        let name = fixture
            .rsplit_once('.')
            .map_or(fixture.as_str(), |(n, _)| n);
        settings().bind(|| {
            insta::assert_snapshot!(name, format!("exit code: {code}\n\n{stderr}"));
        });
    }
}

#[test]
fn json_diagnostics_carry_every_field() {
    let (code, stdout, _) = run(&[
        "validate",
        "--format",
        "json",
        "testdata/diagnostics/placeholders.yaml",
    ]);
    assert_eq!(code, 1);
    settings().bind(|| insta::assert_snapshot!("placeholders.json", stdout));
}

#[test]
fn valid_files_exit_zero_even_with_warnings() {
    let (code, _, stderr) = run(&[
        "validate",
        "testdata/valid",
        "testdata/diagnostics/deprecated-forms.yaml",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("3 files valid (4 warnings)"), "{stderr}");
}

#[test]
fn usage_errors_exit_two() {
    let (code, _, stderr) = run(&["validate", "testdata/does-not-exist.yaml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no such file or directory"), "{stderr}");
    let (code, _, _) = run(&["validate", "--format", "xml", "testdata/valid"]);
    assert_eq!(code, 2);
}

#[test]
fn images_left_for_ci_fail_and_placeholders_in_images_warn() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image-problems");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
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
        let (exit, stdout, _) = run(&["validate", "--format", "json", file]);
        assert_eq!(exit, expected, "{name}: {stdout}");
        let found: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
        assert_eq!(found.len(), 1, "{name}: {stdout}");
        assert_eq!(found[0]["code"], code, "{name}");
        assert_eq!(found[0]["line"], 6, "{name}");
        let severity = if expected == 0 { "warning" } else { "error" };
        assert_eq!(found[0]["severity"], severity, "{name}");
        if expected == 0 {
            // `score compile` shows the same warning and still compiles.
            let (exit, manifests, stderr) =
                run(&["compile", "--target", "kubernetes", "--seed", "s", file]);
            assert_eq!(exit, 0, "{name}: {stderr}");
            assert!(stderr.contains(code), "{name}: {stderr}");
            assert!(manifests.contains("kind: Deployment"), "{name}");
        }
    }
}
