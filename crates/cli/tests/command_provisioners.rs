//! Command provisioners' programs and the seed, through the real binary (issue 13): what a
//! program is given (never the seed), that every process it starts is gone when the compile
//! is over, that a timeout is reported as what happened, and how the seed is given.
//!
//! The programs are small shell scripts written into a scratch directory.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

mod common;
use common::{Run, command, run, scratch};

/// A workload with two resources of type `probe` (provisioned by the program under test)
/// and a postgres database, whose password is drawn from the seed.
const SCORE: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: probe
containers:
  main:
    image: busybox:1.37
    variables:
      OK: ${resources.probe.ok}
      AGAIN: ${resources.again.ok}
      DB_PASSWORD: ${resources.db.password}
resources:
  probe:
    type: probe
  again:
    type: probe
  db:
    type: postgres
";

/// What every program here answers, after reading its input.
const ANSWER: &str = r#"cat > /dev/null
echo '{"resource_outputs": {"ok": "yes"}}'"#;

/// A scratch directory holding `score.yaml`, `program` (a shell script with `body`, given the
/// path of `out` in the directory as `$1`) and `probe.provisioners.yaml`.
struct Setup {
    dir: PathBuf,
}

impl Setup {
    fn new(name: &str, body: &str) -> Setup {
        let dir = scratch(&format!("command-provisioners-{name}"));
        std::fs::write(dir.join("score.yaml"), SCORE).unwrap();
        let program = dir.join("program");
        std::fs::write(&program, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let out = dir.join("out");
        std::fs::write(
            dir.join("probe.provisioners.yaml"),
            format!(
                "- uri: cmd://./program\n  type: probe\n  args: [{:?}]\n",
                out.to_str().unwrap()
            ),
        )
        .unwrap();
        Setup { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `score <subcommand> --provisioners probe.provisioners.yaml <extra> score.yaml` in the
    /// directory, with `env` set.
    fn score(&self, subcommand: &[&str], extra: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = command(&self.dir);
        c.args(subcommand)
            .args(["--provisioners", "probe.provisioners.yaml"])
            .args(extra)
            .arg("score.yaml")
            .envs(env.iter().copied());
        run(&mut c)
    }

    fn compile(&self, extra: &[&str], env: &[(&str, &str)]) -> Run {
        self.score(&["compile", "--target", "kubernetes"], extra, env)
    }

    /// The environment the program wrote to `out` with `env -0`.
    fn program_environment(&self) -> BTreeMap<String, String> {
        let bytes = std::fs::read(self.path("out")).expect("the program ran");
        String::from_utf8(bytes)
            .unwrap()
            .split('\0')
            .filter(|v| !v.is_empty())
            .map(|v| {
                let (k, v) = v.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    /// The pid the program wrote to `out`.
    fn pid(&self) -> u32 {
        let text = std::fs::read_to_string(self.path("out")).expect("the program wrote its pid");
        text.trim().parse().unwrap()
    }
}

/// Writes its environment to `$1`, then answers.
const ENV_PROGRAM: &str = r#"env -0 > "$1"
cat > /dev/null
echo '{"resource_outputs": {"ok": "yes"}}'"#;

#[test]
fn programs_never_get_the_seed_and_the_allow_list_limits_their_environment() {
    let setup = Setup::new("environment", ENV_PROGRAM);
    let run = setup.compile(&[], &[("SCORE_SEED", "s3cret"), ("PROBE_VISIBLE", "1")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The compile used the seed: no warning about the public default.
    assert!(
        !run.stderr.contains("score::seed::public"),
        "{}",
        run.stderr
    );
    let env = setup.program_environment();
    assert!(!env.contains_key("SCORE_SEED"), "{env:?}");
    assert!(!env.values().any(|v| v.contains("s3cret")), "{env:?}");
    // Everything else is passed on without an allow-list.
    assert_eq!(env.get("PROBE_VISIBLE").map(String::as_str), Some("1"));
    assert!(env.contains_key("PATH"), "{env:?}");

    let seed_file = setup.path("seed");
    std::fs::write(&seed_file, "s3cret\n").unwrap();
    let run = setup.compile(&[], &[("SCORE_SEED_FILE", seed_file.to_str().unwrap())]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let env = setup.program_environment();
    assert!(!env.contains_key("SCORE_SEED_FILE"), "{env:?}");
    assert!(!env.contains_key("SCORE_SEED"), "{env:?}");

    // With an allow-list: those variables and the documented base, nothing else.
    let run = setup.compile(
        &["--provisioner-env", "PROBE_VISIBLE"],
        &[
            ("SCORE_SEED", "s3cret"),
            ("PROBE_VISIBLE", "1"),
            ("PROBE_HIDDEN", "2"),
            ("LC_ALL", "C"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let env = setup.program_environment();
    assert_eq!(env.get("PROBE_VISIBLE").map(String::as_str), Some("1"));
    assert_eq!(env.get("LC_ALL").map(String::as_str), Some("C"));
    assert!(
        env.contains_key("PATH") && env.contains_key("HOME"),
        "{env:?}"
    );
    // (The shell running the program sets a few of its own.)
    let base = [
        "PATH", "HOME", "LANG", "TMPDIR", "PWD", "SHLVL", "_", "OLDPWD",
    ];
    for name in env.keys() {
        assert!(
            name == "PROBE_VISIBLE" || name.starts_with("LC_") || base.contains(&name.as_str()),
            "`{name}` was passed: {env:?}"
        );
    }

    // The seed cannot be allowed.
    for name in ["SCORE_SEED", "SCORE_SEED_FILE"] {
        let run = setup.compile(&["--provisioner-env", name], &[]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("never passed"), "{}", run.stderr);
    }
}

#[test]
fn the_seed_comes_from_a_file_and_on_the_command_line_it_is_warned_about() {
    let setup = Setup::new("seed-file", ANSWER);
    let from_env = setup.compile(&[], &[("SCORE_SEED", "s3cret")]);
    assert_eq!(from_env.code, 0, "{}", from_env.stderr);
    assert_eq!(from_env.stderr, "");
    let default = setup.compile(&[], &[]);
    assert_ne!(
        default.stdout, from_env.stdout,
        "the seed changes the password"
    );

    let seed_file = setup.path("seed");
    std::fs::write(&seed_file, "s3cret\n").unwrap();
    let from_file = setup.compile(&["--seed-file", "seed"], &[]);
    assert_eq!(from_file.code, 0, "{}", from_file.stderr);
    assert_eq!(from_file.stderr, "");
    assert_eq!(from_file.stdout, from_env.stdout);
    let from_file_env = setup.compile(&[], &[("SCORE_SEED_FILE", "seed")]);
    assert_eq!(
        from_file_env.stdout, from_env.stdout,
        "{}",
        from_file_env.stderr
    );
    // The command line wins over the environment.
    let both = setup.compile(&["--seed-file", "seed"], &[("SCORE_SEED", "other")]);
    assert_eq!(both.stdout, from_env.stdout, "{}", both.stderr);

    let on_the_command_line = setup.compile(&["--seed", "s3cret"], &[]);
    assert_eq!(
        on_the_command_line.code, 0,
        "{}",
        on_the_command_line.stderr
    );
    assert_eq!(on_the_command_line.stdout, from_env.stdout);
    let warning = &on_the_command_line.stderr;
    assert!(warning.starts_with("warning: "), "{warning}");
    assert!(warning.contains("process list"), "{warning}");
    assert!(
        warning.contains("SCORE_SEED") && warning.contains("--seed-file"),
        "{warning}"
    );
    assert!(!warning.contains("s3cret"), "the seed is shown: {warning}");
    // `-q` keeps to errors.
    let quiet = setup.compile(&["-q", "--seed", "s3cret"], &[]);
    assert_eq!(quiet.stderr, "");
    // `resources` takes the same flags.
    let resources = setup.score(&["resources"], &["--seed", "s3cret"], &[]);
    assert_eq!(resources.code, 0, "{}", resources.stderr);
    assert!(
        resources.stderr.contains("process list"),
        "{}",
        resources.stderr
    );
    let resources = setup.score(&["resources"], &["--seed-file", "seed"], &[]);
    assert_eq!(resources.code, 0, "{}", resources.stderr);
    assert!(
        !resources.stderr.contains("process list"),
        "{}",
        resources.stderr
    );

    // `--seed` and `--seed-file` together is a usage error.
    let run = setup.compile(&["--seed", "x", "--seed-file", "seed"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

/// Flags, environment variables, and what the error says.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn an_empty_or_unusable_seed_is_a_usage_error() {
    let setup = Setup::new("empty-seed", ANSWER);
    let secret = "TOP-SECRET-SEED-CONTENT";
    std::fs::write(setup.path("empty"), "\n").unwrap();
    std::fs::write(setup.path("huge"), secret.repeat(100_000)).unwrap();
    std::fs::write(setup.path("binary"), b"\xff\xfe secret").unwrap();
    std::fs::create_dir(setup.path("directory")).unwrap();
    let cases: [Case; 8] = [
        (&[], &[("SCORE_SEED", "")], "SCORE_SEED is set but empty"),
        (&["--seed", ""], &[], "--seed is empty"),
        (&["--seed-file", "empty"], &[], "is empty"),
        (&[], &[("SCORE_SEED_FILE", "empty")], "is empty"),
        (
            &[],
            &[("SCORE_SEED_FILE", "")],
            "SCORE_SEED_FILE is set but empty",
        ),
        (&["--seed-file", "directory"], &[], "not a regular file"),
        (&["--seed-file", "huge"], &[], "larger than"),
        (&["--seed-file", "missing"], &[], "cannot read"),
    ];
    for (args, env, message) in cases {
        let run = setup.compile(args, env);
        assert_eq!(run.code, 2, "{args:?} {env:?}: {}", run.stderr);
        assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
        assert!(
            run.stderr.contains(message),
            "{args:?} {env:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
        assert!(!run.stderr.contains(secret), "the seed file is echoed");
        let run = setup.score(&["resources"], args, env);
        assert_eq!(run.code, 2, "resources {args:?} {env:?}: {}", run.stderr);
    }
    let run = setup.compile(&["--seed-file", "binary"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("UTF-8"), "{}", run.stderr);
    assert!(!run.stderr.contains("secret"), "{}", run.stderr);
}

/// `text` with miette's line wrapping undone: words separated by single spaces, without the
/// `│` of the margin.
fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether process `pid` has ended (a zombie waiting for its parent has), waiting up to 5 s
/// for a signal to take effect.
fn ended(pid: u32) -> bool {
    let started = Instant::now();
    loop {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim().to_owned()));
        match state {
            None => return true,
            Some(s) if s.starts_with('Z') || s.starts_with('X') => return true,
            Some(_) if started.elapsed() > Duration::from_secs(5) => return false,
            Some(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Kills `pid` if a test left it running.
fn kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
}

#[test]
fn a_timeout_kills_every_process_the_program_started() {
    // A grandchild in the background (not holding stdout), then a long wait.
    let setup = Setup::new(
        "timeout",
        r#"sleep 60 > /dev/null 2>&1 &
echo $! > "$1"
sleep 60"#,
    );
    let started = Instant::now();
    let run = setup.compile(&["--provisioner-timeout", "0.5"], &[]);
    let pid = setup.pid();
    let gone = ended(pid);
    kill(pid);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        flat(&run.stderr)
            .contains("did not finish within 0.5 s and was killed, with every process it started"),
        "{}",
        run.stderr
    );
    assert!(
        gone,
        "the program's background process {pid} is still running"
    );
}

#[test]
fn a_program_that_exits_but_leaves_stdout_open_is_reported_as_such_and_its_child_killed() {
    let setup = Setup::new(
        "lingering-stdout",
        r#"cat > /dev/null
sleep 60 &
echo $! > "$1"
echo '{"resource_outputs": {"ok": "yes"}}'
exit 0"#,
    );
    let run = setup.compile(&["--provisioner-timeout", "0.5"], &[]);
    let pid = setup.pid();
    let gone = ended(pid);
    kill(pid);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        flat(&run.stderr).contains(
            "its program exited with exit status: 0, but a process it started kept its stdout or stderr open past the 0.5 s limit; it was killed"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("did not finish"), "{}", run.stderr);
    assert!(
        gone,
        "the program's background process {pid} is still running"
    );
}

#[test]
fn processes_a_successful_program_left_behind_are_killed() {
    let setup = Setup::new(
        "lingering-success",
        r#"cat > /dev/null
sleep 60 > /dev/null 2>&1 &
echo $! > "$1"
echo '{"resource_outputs": {"ok": "yes"}}'"#,
    );
    let run = setup.compile(&[], &[("SCORE_SEED", "s")]);
    let pid = setup.pid();
    let gone = ended(pid);
    kill(pid);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("value: \"yes\"") || run.stdout.contains("value: yes"));
    assert!(
        gone,
        "the program's background process {pid} is still running"
    );
}

#[test]
fn resources_says_it_runs_programs_and_honours_the_timeout() {
    let setup = Setup::new("resources", ANSWER);
    let run = setup.score(&["resources"], &[], &[("SCORE_SEED", "s")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let note = "note: running `./program` (command provisioner `cmd://./program` from probe.provisioners.yaml) to learn the outputs of probe.default#probe.probe";
    // Once per program, although it provisions two resources.
    assert_eq!(
        run.stderr.matches("note: running").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(note), "{}", run.stderr);
    assert!(
        run.stdout.contains("probe.default#probe.again"),
        "{}",
        run.stdout
    );

    let slow = Setup::new("resources-slow", "sleep 30");
    let started = Instant::now();
    let run = slow.score(&["resources"], &["--provisioner-timeout", "0.5"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("did not finish within 0.5 s"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}
