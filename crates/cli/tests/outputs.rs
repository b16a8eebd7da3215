//! How `score compile` writes `-o` and `--env-file`: through an exclusive, randomly named
//! temporary file (a planted symbolic link cannot redirect the write), keeping an existing
//! file's mode and creating files that hold secrets 0600, merging an existing env file
//! instead of replacing it, and refusing to write over one of its own inputs.
//!
//! Runs that create files set the umask to 022 themselves (through `sh`), so the modes
//! asserted do not depend on the caller's.

#![cfg(unix)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

mod common;
use common::{Run, run, score_in, scratch};

const PLAIN: &str = "apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx:1.27
";

const WITH_POSTGRES: &str = "apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx:1.27
    variables:
      DB: ${resources.db.password}
resources:
  db:
    type: postgres
";

const WITH_ENVIRONMENT: &str = "apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx:1.27
    variables:
      PASSWORD: ${resources.env.DB_PASSWORD}
      TOKEN: ${resources.env.API_TOKEN}
      ZONE: ${resources.env.ZONE}
resources:
  env:
    type: environment
";

/// Runs `score args` in `dir` under umask `umask`.
fn score_with_umask(dir: &Path, umask: &str, args: &[&str]) -> Run {
    run(std::process::Command::new("sh")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("SCORE_SEED")
        .arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_score"))
        .args(args))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The pid the kernel handed out last, so a test can guess the next ones.
fn last_pid() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or_else(|_| std::process::id())
}

// Item 2: the temporary file was `.NAME.PID.tmp`, opened with `File::create`, which follows
// a symbolic link planted there and truncates whatever it points at.
#[test]
fn a_planted_symlink_at_a_temporary_name_does_not_redirect_the_write() {
    let dir = scratch("outputs-symlink");
    let out_dir = dir.join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(dir.join("score.yaml"), PLAIN).unwrap();
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    // Links at every name the old pattern could pick for the next few thousand processes.
    let first = last_pid() + 1;
    let planted: Vec<String> = (first..first + 4000)
        .map(|pid| format!(".manifests.yaml.{pid}.tmp"))
        .collect();
    for name in &planted {
        std::os::unix::fs::symlink(&victim, out_dir.join(name)).unwrap();
    }

    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "kubernetes",
            "-o",
            "out/manifests.yaml",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let output = out_dir.join("manifests.yaml");
    let meta = std::fs::symlink_metadata(&output).unwrap();
    assert!(meta.file_type().is_file(), "the output is a regular file");
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .contains("kind: Deployment")
    );
    // Nothing but the output and the planted links: no temporary file left behind.
    let mut expected = planted;
    expected.push("manifests.yaml".into());
    expected.sort();
    assert_eq!(names_in(&out_dir), expected);
    for name in &expected[..expected.len() - 1] {
        let link = std::fs::symlink_metadata(out_dir.join(name)).unwrap();
        assert!(link.file_type().is_symlink(), "{name} was replaced");
    }
}

// Item 3: every compile used to leave the output 0644 (a new file's mode under umask 022).
#[test]
fn an_existing_outputs_mode_is_kept() {
    let dir = scratch("outputs-mode-kept");
    std::fs::write(dir.join("score.yaml"), PLAIN).unwrap();
    for (file, wanted) in [("private.yaml", 0o600), ("group.yaml", 0o640)] {
        let path = dir.join(file);
        std::fs::write(&path, "old\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(wanted)).unwrap();
        let run = score_with_umask(
            &dir,
            "022",
            &[
                "compile",
                "--target",
                "kubernetes",
                "-o",
                file,
                "score.yaml",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("kind: Deployment")
        );
        assert_eq!(mode(&path), wanted, "{file}");
    }
    // The env file too: the developer made it 0640 for a group of their own.
    std::fs::write(dir.join("score.yaml"), WITH_ENVIRONMENT).unwrap();
    let env = dir.join(".env");
    std::fs::write(&env, "ZONE=eu\n").unwrap();
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = score_with_umask(
        &dir,
        "022",
        &[
            "compile",
            "--target",
            "compose",
            "--env-file",
            ".env",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode(&env), 0o640);
}

// Item 3: new files holding secrets are created 0600, others as any new file (0644 here).
#[test]
fn new_outputs_holding_secrets_are_private() {
    let dir = scratch("outputs-mode-new");
    std::fs::write(dir.join("plain.yaml"), PLAIN).unwrap();
    std::fs::write(dir.join("postgres.yaml"), WITH_POSTGRES).unwrap();
    std::fs::write(dir.join("environment.yaml"), WITH_ENVIRONMENT).unwrap();
    let cases = [
        ("compose", "postgres.yaml", "compose-pg.yaml", 0o600),
        ("compose", "plain.yaml", "compose-plain.yaml", 0o644),
        ("kubernetes", "postgres.yaml", "k8s-pg.yaml", 0o600),
        ("kubernetes", "plain.yaml", "k8s-plain.yaml", 0o644),
        ("backstage", "postgres.yaml", "catalog.yaml", 0o644),
    ];
    for (target, input, output, wanted) in cases {
        let run = score_with_umask(
            &dir,
            "022",
            &["compile", "--target", target, "-o", output, input],
        );
        assert_eq!(run.code, 0, "{target} {input}: {}", run.stderr);
        assert_eq!(mode(&dir.join(output)), wanted, "{target} {input}");
    }
    // A new env file is for secrets the developer fills in.
    let run = score_with_umask(
        &dir,
        "022",
        &[
            "compile",
            "--target",
            "compose",
            "--env-file",
            "new.env",
            "environment.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode(&dir.join("new.env")), 0o600);
    // The umask still applies to files without secrets.
    let run = score_with_umask(
        &dir,
        "027",
        &[
            "compile",
            "--target",
            "kubernetes",
            "-o",
            "k8s-027.yaml",
            "plain.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(mode(&dir.join("k8s-027.yaml")), 0o640);
}

// Item 3: the owner and group of an existing output are kept where the user may set them.
#[test]
fn an_existing_outputs_owner_is_kept_when_allowed() {
    let dir = scratch("outputs-owner");
    std::fs::write(dir.join("score.yaml"), PLAIN).unwrap();
    let path = dir.join("manifests.yaml");
    std::fs::write(&path, "old\n").unwrap();
    // Only a privileged user can give a file away; elsewhere there is nothing to check.
    if std::os::unix::fs::chown(&path, Some(4242), Some(4343)).is_err() {
        return;
    }
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "kubernetes",
            "-o",
            "manifests.yaml",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
}

// Item 6: `--env-file` rewrote every line as `KEY=`, losing the values filled in.
#[test]
fn the_env_file_keeps_values_and_comments_and_appends_new_keys() {
    let dir = scratch("outputs-env-merge");
    std::fs::write(dir.join("score.yaml"), WITH_ENVIRONMENT).unwrap();
    let env = dir.join(".env");
    let before = "# filled in by hand\nDB_PASSWORD=hunter2\n\nexport OLD=kept\n";
    std::fs::write(&env, before).unwrap();
    let args = [
        "compile",
        "--target",
        "compose",
        "--env-file",
        ".env",
        "-o",
        "compose.yaml",
        "score.yaml",
    ];
    let run = score_in(&dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = std::fs::read_to_string(&env).unwrap();
    assert_eq!(after, format!("{before}API_TOKEN=\nZONE=\n"));
    // A key no longer used is kept, and said so.
    assert!(run.stderr.contains("OLD"), "{}", run.stderr);
    // Run again: nothing to add, the file stays as it is.
    let run = score_in(&dir, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&env).unwrap(), after);
}

// Item 6: without environment resources the env file was emptied, whatever it was.
#[test]
fn the_env_file_is_left_alone_without_environment_resources() {
    let dir = scratch("outputs-env-none");
    std::fs::write(dir.join("score.yaml"), PLAIN).unwrap();
    let env = dir.join(".env");
    std::fs::write(&env, "DB_PASSWORD=hunter2\n").unwrap();
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "compose",
            "--env-file",
            ".env",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&env).unwrap(),
        "DB_PASSWORD=hunter2\n"
    );
    assert!(run.stderr.contains("note:"), "{}", run.stderr);
    assert!(run.stderr.contains(".env"), "{}", run.stderr);
    assert!(run.stdout.contains("services:"), "{}", run.stdout);
    // A missing one is created empty, so `docker compose --env-file` finds it.
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "compose",
            "--env-file",
            "new.env",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(dir.join("new.env")).unwrap(), "");
    assert_eq!(mode(&dir.join("new.env")), 0o600);
}

// Item 6: a file that is not an env file is refused, not appended to; nothing is written.
#[test]
fn a_file_that_is_not_an_env_file_is_refused() {
    let dir = scratch("outputs-env-foreign");
    std::fs::write(dir.join("score.yaml"), WITH_ENVIRONMENT).unwrap();
    let notes = dir.join("notes.md");
    let text = "# Notes\n\nRemember the milk.\n";
    std::fs::write(&notes, text).unwrap();
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "compose",
            "--env-file",
            "notes.md",
            "-o",
            "compose.yaml",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("score::compose::env-file"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("notes.md:3:1"), "{}", run.stderr);
    assert!(run.stderr.contains("Remember the milk."), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), text);
    assert!(!dir.join("compose.yaml").exists());
}

// Item 11: `-o` naming an input overwrote it.
#[test]
fn an_output_naming_an_input_is_refused() {
    let dir = scratch("outputs-inputs");
    std::fs::create_dir(dir.join("svc")).unwrap();
    std::fs::write(dir.join("svc/score.yaml"), PLAIN).unwrap();
    std::fs::hard_link(dir.join("svc/score.yaml"), dir.join("hard.yaml")).unwrap();
    std::os::unix::fs::symlink("svc/score.yaml", dir.join("soft.yaml")).unwrap();
    std::fs::write(dir.join("p.yaml"), "[]\n").unwrap();
    std::fs::write(dir.join("o.yaml"), "{}\n").unwrap();
    let absolute = dir.join("svc/score.yaml");
    let absolute = absolute.to_str().unwrap();
    let k8s = ["compile", "--target", "kubernetes"];
    let compose = ["compile", "--target", "compose"];
    let cases: Vec<Vec<&str>> = vec![
        [&k8s[..], &["-o", "svc/score.yaml", "svc/score.yaml"]].concat(),
        [
            &k8s[..],
            &["-o", "./svc/../svc/score.yaml", "svc/score.yaml"],
        ]
        .concat(),
        [&k8s[..], &["-o", absolute, "svc/score.yaml"]].concat(),
        [&k8s[..], &["-o", "hard.yaml", "svc/score.yaml"]].concat(),
        [&k8s[..], &["-o", "soft.yaml", "svc/score.yaml"]].concat(),
        // Found by the directory walk.
        [&k8s[..], &["-o", "svc/score.yaml", "."]].concat(),
        [
            &k8s[..],
            &["--provisioners", "p.yaml", "-o", "p.yaml", "svc"],
        ]
        .concat(),
        [
            &k8s[..],
            &["--overrides-file", "o.yaml", "-o", "o.yaml", "svc"],
        ]
        .concat(),
        [&compose[..], &["--env-file", "svc/score.yaml", "svc"]].concat(),
        [&compose[..], &["--env-file", "hard.yaml", "svc"]].concat(),
        [&compose[..], &["--env-file", ".env", "-o", "./.env", "svc"]].concat(),
    ];
    let files = ["svc/score.yaml", "p.yaml", "o.yaml"];
    let before: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
        .collect();
    for args in &cases {
        let run = score_in(&dir, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("error:"), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("input") || run.stderr.contains("--env-file"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
        let after: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(dir.join(f)).unwrap())
            .collect();
        assert_eq!(after, before, "{args:?}");
        assert!(!dir.join(".env").exists(), "{args:?}");
    }
    // Another file in the same directory is fine.
    let run = score_in(&dir, &[&k8s[..], &["-o", "svc/out.yaml", "svc"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
}

// When writing fails, nothing is left behind and the previous output is untouched.
#[test]
fn a_failed_write_leaves_nothing_behind() {
    let dir = scratch("outputs-failed");
    std::fs::write(dir.join("score.yaml"), PLAIN).unwrap();
    // The output is a directory: the rename over it fails after the temporary file is written.
    std::fs::create_dir(dir.join("out.yaml")).unwrap();
    std::fs::write(dir.join("out.yaml/keep"), "x").unwrap();
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "kubernetes",
            "-o",
            "out.yaml",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot write `out.yaml`"),
        "{}",
        run.stderr
    );
    assert_eq!(names_in(&dir), ["out.yaml", "score.yaml"]);
    assert_eq!(names_in(&dir.join("out.yaml")), ["keep"]);
}
