//! Files that are not what they seem, through the real `score` binary: symbolic links out of
//! the tree being checked, FIFOs, devices, files too large, and terminal escape sequences.
//! Each ends in a clear error (exit 1, a diagnostic with a code), within one second of CPU
//! time and 200 MB of memory, and never shows the content of a file it refused.
#![cfg(unix)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

mod common;
use common::Run;
#[path = "common/measured.rs"]
mod measured;

const VALID: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: hello
containers:
  main:
    image: nginx:1.27
";

/// A string that must never be printed: it stands for a secret in a file outside the tree.
const MARKER: &str = "SECRET-MARKER-4f1c9a";

/// A Score file that is invalid at the line holding the marker: a snippet would show it.
fn secret_file() -> String {
    format!("{VALID}token: {MARKER}\n")
}

/// A fresh scratch directory for one test, under the target's temporary directory.
fn scratch(name: &str) -> PathBuf {
    common::scratch(&format!("hostile-files-{name}"))
}

fn write(path: &Path, text: impl AsRef<[u8]>) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, link).unwrap();
}

fn fifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// Runs `score args` in `dir` with `env`; asserts it neither panicked nor was killed, and
/// stayed within the CPU and memory bounds.
fn score_in(dir: &Path, args: &[&OsStr], env: &[(&str, &str)]) -> Run {
    let (run, usage) = score_measured(dir, args, env);
    usage.assert_bounded(&format!("`score {args:?}`"));
    run
}

/// [`score_in`] without the bounds: for a run that is not hostile, only large.
fn score_measured(dir: &Path, args: &[&OsStr], env: &[(&str, &str)]) -> (Run, measured::Usage) {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("score-hf-{}-{n}.out", std::process::id()));
    let err = out.with_extension("err");
    let mut command = Command::new(env!("CARGO_BIN_EXE_score"));
    command
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SCORE_SEED")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let what = format!("`score {args:?}`");
    let (code, usage) = measured::wait_measured(&mut command, &what);
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    let run = Run {
        code,
        stdout: read(&out),
        stderr: read(&err),
    };
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(err);
    assert_ne!(run.code, 101, "{what} panicked:\n{}", run.stderr);
    assert_ne!(run.code, -1, "{what} was killed by a signal");
    (run, usage)
}

fn os<'a>(args: &'a [&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(OsStr::new).collect()
}

/// `score validate` in every format: each must exit 1 with `code` on `file` and never print
/// `MARKER`.
fn validate_refused(dir: &Path, paths: &[&str], code: &str, file: &str, env: &[(&str, &str)]) {
    for format in ["json", "human", "github"] {
        let mut args = vec!["validate", "--format", format];
        args.extend_from_slice(paths);
        let run = score_in(dir, &os(&args), env);
        assert_eq!(run.code, 1, "{format}: {}\n{}", run.stdout, run.stderr);
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(MARKER),
                "{format}: the refused file was shown:\n{text}"
            );
        }
        // GitHub annotations escape `:` in the title.
        let shown = if format == "github" {
            code.replace(':', "%3A")
        } else {
            code.to_owned()
        };
        assert!(
            run.stdout.contains(&shown) || run.stderr.contains(&shown),
            "{format}: no {code}:\n{}\n{}",
            run.stdout,
            run.stderr
        );
        if format == "json" {
            let items: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
            let refused: Vec<&Value> = items.iter().filter(|d| d["code"] == code).collect();
            assert_eq!(refused.len(), 1, "{items:?}");
            assert_eq!(refused[0]["severity"], "error");
            assert_eq!(refused[0]["file"], file, "{items:?}");
            assert!(refused[0]["help"].is_string(), "{items:?}");
        }
    }
}

#[test]
fn a_walked_score_file_linking_outside_the_tree_is_refused_unread() {
    let dir = scratch("link-out");
    let secret = write(&dir.join("outside/secret.yaml"), secret_file());
    symlink(&secret, &dir.join("repo/services/x/score.yaml"));
    write(&dir.join("repo/services/ok/score.yaml"), VALID);
    validate_refused(
        &dir.join("repo"),
        &["services"],
        "score::input::outside-root",
        "services/x/score.yaml",
        &[],
    );
    // A relative link climbing out is the same.
    let dir = scratch("link-out-relative");
    write(&dir.join("outside/secret.yaml"), secret_file());
    symlink(
        "../../../outside/secret.yaml",
        &dir.join("repo/services/x/score.yaml"),
    );
    validate_refused(
        &dir.join("repo"),
        &["services"],
        "score::input::outside-root",
        "services/x/score.yaml",
        &[],
    );
}

#[test]
fn a_score_file_linking_to_the_environment_never_prints_it() {
    let dir = scratch("environ");
    symlink("/proc/self/environ", &dir.join("services/x/score.yaml"));
    let env = [("CI_TOKEN", MARKER)];
    validate_refused(
        &dir,
        &["services"],
        "score::input::outside-root",
        "services/x/score.yaml",
        &env,
    );
    // Named explicitly (pre-commit passes the paths of changed files), it is refused too.
    validate_refused(
        &dir,
        &["services/x/score.yaml"],
        "score::input::outside-root",
        "services/x/score.yaml",
        &env,
    );
}

#[test]
fn a_link_inside_the_tree_and_a_real_path_outside_the_working_directory_are_read() {
    let dir = scratch("link-in");
    write(&dir.join("services/shared/base.yaml"), VALID);
    symlink("../shared/base.yaml", &dir.join("services/x/score.yaml"));
    let run = score_in(&dir, &os(&["validate", "services"]), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("1 file valid"), "{}", run.stderr);
    // A file named by its real path is read wherever it is.
    let elsewhere = scratch("link-in-cwd");
    let real = dir.join("services/shared/base.yaml");
    let run = score_in(&elsewhere, &[OsStr::new("validate"), real.as_os_str()], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A link named explicitly that resolves inside the working directory is read.
    let run = score_in(&dir, &os(&["validate", "services/x/score.yaml"]), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn a_fifo_named_score_yaml_is_refused_without_hanging() {
    let dir = scratch("fifo");
    fifo(&dir.join("services/x/score.yaml"));
    validate_refused(
        &dir,
        &["services"],
        "score::input::not-a-file",
        "services/x/score.yaml",
        &[],
    );
    validate_refused(
        &dir,
        &["services/x/score.yaml"],
        "score::input::not-a-file",
        "services/x/score.yaml",
        &[],
    );
    let run = score_in(&dir, &os(&["validate", "services/x/score.yaml"]), &[]);
    assert!(run.stderr.contains("FIFO"), "{}", run.stderr);
}

#[test]
fn devices_are_refused_without_reading_them() {
    let dir = scratch("devices");
    for device in ["/dev/zero", "/dev/urandom"] {
        // Given directly: not a regular file.
        validate_refused(&dir, &[device], "score::input::not-a-file", device, &[]);
        let run = score_in(&dir, &os(&["validate", device]), &[]);
        assert!(run.stderr.contains("device"), "{}", run.stderr);
    }
    // Through a link in the tree: outside it.
    symlink("/dev/urandom", &dir.join("services/x/score.yaml"));
    validate_refused(
        &dir,
        &["services"],
        "score::input::outside-root",
        "services/x/score.yaml",
        &[],
    );
}

#[test]
fn an_overrides_file_that_is_a_fifo_or_too_large_is_refused() {
    let dir = scratch("overrides");
    write(&dir.join("score.yaml"), VALID);
    fifo(&dir.join("pipe.yaml"));
    let run = score_in(
        &dir,
        &os(&["validate", "--overrides-file", "pipe.yaml", "score.yaml"]),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("score::input::not-a-file"),
        "{}",
        run.stderr
    );
    let big = std::fs::File::create(dir.join("big.yaml")).unwrap();
    big.set_len(100 << 20).unwrap();
    let run = score_in(
        &dir,
        &os(&["validate", "--overrides-file", "big.yaml", "score.yaml"]),
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("score::input::too-large"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_100_mb_score_file_is_refused_before_it_is_read() {
    let dir = scratch("huge");
    let path = write(&dir.join("score.yaml"), VALID);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    validate_refused(
        &dir,
        &["score.yaml"],
        "score::input::too-large",
        "score.yaml",
        &[],
    );
    let run = score_in(&dir, &os(&["validate", "score.yaml"]), &[]);
    assert!(run.stderr.contains("104857600 bytes"), "{}", run.stderr);
}

/// A workload with one file whose content is read from `source`.
fn with_source(source: &str) -> String {
    format!("{VALID}    files:\n      /etc/app/data:\n        source: {source}\n")
}

/// `score compile --target TARGET extra… score.yaml` in `dir`, within the bounds; problems
/// as GitHub annotations, one line each.
fn compile(dir: &Path, target: &str, extra: &[&str]) -> Run {
    let mut args = vec!["compile", "--message-format", "github", "--target", target];
    args.extend_from_slice(extra);
    args.push("score.yaml");
    score_in(dir, &os(&args), &[])
}

/// One compile's failure: exit 1, nothing on stdout, `score::file::unreadable` at the
/// `source` line, saying `why`.
fn assert_source_refused(run: &Run, why: &str) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(
            "::error file=score.yaml,line=9,col=17,title=score%3A%3Afile%3A%3Aunreadable::"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(why), "{}", run.stderr);
}

#[test]
fn a_source_file_that_is_a_fifo_or_a_device_is_refused() {
    let dir = scratch("source-special");
    write(&dir.join("score.yaml"), with_source("pipe"));
    fifo(&dir.join("pipe"));
    for target in ["kubernetes", "compose"] {
        let run = compile(&dir, target, &[]);
        assert_source_refused(&run, "a FIFO (named pipe), not a regular file");
    }
    write(&dir.join("score.yaml"), with_source("zero"));
    symlink("/dev/zero", &dir.join("zero"));
    for target in ["kubernetes", "compose"] {
        let run = compile(&dir, target, &[]);
        assert_source_refused(&run, "outside the Score file's directory");
    }
}

#[test]
fn a_source_file_over_the_budget_is_refused_unless_the_budget_is_raised() {
    let dir = scratch("source-large");
    write(&dir.join("score.yaml"), with_source("data.txt"));
    let data = "x".repeat(5 << 20);
    write(&dir.join("data.txt"), &data);
    for target in ["kubernetes", "compose"] {
        let run = compile(&dir, target, &[]);
        assert_source_refused(&run, "more than the limit of 4194304 bytes");
        assert!(run.stderr.contains("--max-source-size"), "{}", run.stderr);
        // Raised, the file is compiled in whole (which takes its time in a debug build).
        let args = [
            "compile",
            "--target",
            target,
            "--max-source-size",
            "6000000",
            "score.yaml",
        ];
        let (run, _) = score_measured(&dir, &os(&args), &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            documents_hold(&run.stdout, &data),
            "{target}: the data is not in the output"
        );
        // Lowered, a small file is refused.
        let run = compile(&dir, target, &["--max-source-size", "1000"]);
        assert_source_refused(&run, "more than the limit of 1000 bytes");
    }
    let run = compile(&dir, "backstage", &["--max-source-size", "1000"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--max-source-size is for"),
        "{}",
        run.stderr
    );
}

/// True when a string value of the YAML output (a ConfigMap's data, a Compose config's
/// content) is `data`.
fn documents_hold(text: &str, data: &str) -> bool {
    let limits = score_spec::Limits {
        max_bytes: 64 << 20,
        ..Default::default()
    };
    fn any(value: &Value, data: &str) -> bool {
        match value {
            Value::String(s) => s == data,
            Value::Array(items) => items.iter().any(|v| any(v, data)),
            Value::Object(map) => map.values().any(|v| any(v, data)),
            _ => false,
        }
    }
    text.split("\n---\n").any(|document| {
        let source = score_spec::SourceFile::new("output", document);
        let tree = score_spec::parse_yaml(&source, &limits).unwrap();
        any(&tree.to_json(), data)
    })
}

/// Bytes a terminal acts on: C0 controls but tab and line feed, DEL, C1 controls (UTF-8), and
/// the bidirectional overrides that reorder what is shown.
fn terminal_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

/// The column (in characters, 1-based) where the underline starts below the first snippet line
/// that shows `needle` after the message `message`, counted from where that line's text
/// starts.
fn marked_column(stderr: &str, message: &str, needle: &str) -> usize {
    let lines: Vec<&str> = stderr.lines().collect();
    let report = lines.iter().position(|l| l.contains(message)).unwrap();
    let at = (report..lines.len())
        .find(|&i| lines[i].contains(needle))
        .unwrap_or_else(|| panic!("no snippet line with {needle:?}:\n{stderr}"));
    let text_start = lines[at].find("│ ").unwrap() + "│ ".len();
    let text_start = lines[at][..text_start].chars().count();
    let marker = lines[at + 1]
        .chars()
        .position(|c| c == '┬' || c == '─')
        .unwrap();
    marker - text_start + 1
}

#[test]
fn escape_sequences_from_a_score_file_never_reach_the_terminal() {
    let dir = scratch("escapes");
    // Written raw: a syntax error at the first ESC, whose snippet shows the line.
    write(
        &dir.join("raw.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\n  annotations:\n    \
         x: \"a\"\x1b[31m\x1b]0;title\x07red\u{9b}2J\ncontainers:\n  main:\n    image: nginx\n",
    );
    // Escaped in quoted YAML: the messages quoting the key and the value hold the controls;
    // and a right-to-left override before the value the error is about.
    write(
        &dir.join("quoted.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: \"\\e]0;title\\a\"\n  \
         annotations: {\"\u{202e}a\": \"1\", b: 2}\n\"\\e[31mred\": 1\ncontainers:\n  main:\n    \
         image: nginx\n",
    );
    for format in ["human", "json", "github"] {
        for file in ["raw.yaml", "quoted.yaml"] {
            let run = score_in(&dir, &os(&["validate", "--format", format, file]), &[]);
            assert_eq!(run.code, 1, "{format} {file}: {}", run.stderr);
            for text in [&run.stdout, &run.stderr] {
                assert_eq!(
                    terminal_controls(text),
                    Vec::<char>::new(),
                    "{format} {file}:\n{text}"
                );
            }
        }
    }
    let raw = score_in(&dir, &os(&["validate", "raw.yaml"]), &[]);
    assert!(raw.stderr.contains("raw.yaml:5:11"), "{}", raw.stderr);
    // The stand-ins are visible, and the underline is still under the first of them.
    assert!(
        raw.stderr.contains("x: \"a\"␛[31m␛]0;title␇red"),
        "{}",
        raw.stderr
    );
    assert_eq!(
        marked_column(&raw.stderr, "invalid YAML", "x: \"a\"␛"),
        11,
        "{}",
        raw.stderr
    );

    let quoted = score_in(&dir, &os(&["validate", "quoted.yaml"]), &[]);
    assert!(quoted.stderr.contains("`␛]0;title␇`"), "{}", quoted.stderr);
    assert!(quoted.stderr.contains("`␛[31mred`"), "{}", quoted.stderr);
    // The override's key at column 17, and `2` at column 31 after it: the underlines are
    // still under them.
    assert_eq!(
        marked_column(&quoted.stderr, "annotation key", "b: 2}"),
        17,
        "{}",
        quoted.stderr
    );
    assert_eq!(
        marked_column(&quoted.stderr, "must be a string", "b: 2}"),
        31,
        "{}",
        quoted.stderr
    );
    // JSON keeps the text as written, escaped.
    let json = score_in(
        &dir,
        &os(&["validate", "--format", "json", "quoted.yaml"]),
        &[],
    );
    let items: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let type_error = items
        .iter()
        .find(|d| d["code"] == "score::schema::type")
        .unwrap();
    assert_eq!(
        (&type_error["line"], &type_error["column"]),
        (&4.into(), &31.into())
    );
    assert!(
        items
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("`\u{1b}[31mred`")),
        "{items:?}"
    );
}

#[test]
fn escape_sequences_never_reach_the_terminal_from_compile_either() {
    let dir = scratch("escapes-compile");
    write(
        &dir.join("score.yaml"),
        format!("{VALID}    files:\n      /etc/x:\n        source: \"\\e]0;pwned\\a\"\n"),
    );
    for format in ["human", "github"] {
        let args = [
            "compile",
            "--target",
            "kubernetes",
            "--message-format",
            format,
            "score.yaml",
        ];
        let run = score_in(&dir, &os(&args), &[]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("␛]0;pwned␇"),
            "{format}: {}",
            run.stderr
        );
        assert_eq!(
            terminal_controls(&run.stderr),
            Vec::<char>::new(),
            "{format}:\n{}",
            run.stderr
        );
    }
}
