//! Hostile inputs through the real `score` binary: it never panics (exit code 3, an internal
//! error; 101 if the catching ever broke) or hangs,
//! every invalid file gives exit code 1 and at least one diagnostic, usage errors give 2, and
//! `--format json` always prints one well-formed array of diagnostics.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

mod common;
use common::Run;
#[path = "common/measured.rs"]
mod measured;
use measured::Usage;

const VALID: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: hello
containers:
  main:
    image: nginx:1.27
";

/// A scratch directory under the system temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "score-hostile-inputs-{}-{n}-{label}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `score` with `args`, output captured to files in `scratch`; returns what it printed
/// and what it used.
fn score_measured(scratch: &Scratch, args: &[&std::ffi::OsStr]) -> (Run, Usage) {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    let out_path = scratch.0.join(format!(".stdout-{n}"));
    let err_path = scratch.0.join(format!(".stderr-{n}"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_score"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let (code, usage) = measured::wait_measured(&mut command, &format!("`score {args:?}`"));
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    let run = Run {
        code,
        stdout: read(&out_path),
        stderr: read(&err_path),
    };
    let _ = std::fs::remove_file(out_path);
    let _ = std::fs::remove_file(err_path);
    assert!(
        !matches!(run.code, 3 | 101),
        "`score {args:?}` panicked:\n{}",
        run.stderr
    );
    assert_ne!(run.code, -1, "`score {args:?}` was killed by a signal");
    (run, usage)
}

fn validate(scratch: &Scratch, format: &str, paths: &[&Path]) -> Run {
    validate_measured(scratch, format, paths).0
}

/// [`validate`], with what the run used.
fn validate_measured(scratch: &Scratch, format: &str, paths: &[&Path]) -> (Run, Usage) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["validate".as_ref(), "--format".as_ref()];
    args.push(format.as_ref());
    args.extend(paths.iter().map(|p| p.as_os_str()));
    score_measured(scratch, &args)
}

/// `--format json` output, checked: one array of objects with exactly the documented fields.
fn json_diagnostics(run: &Run) -> Vec<Value> {
    let value: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", run.stdout));
    let Value::Array(items) = value else {
        panic!("stdout is not a JSON array:\n{}", run.stdout);
    };
    for item in &items {
        let object = item
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {item}"));
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "code", "column", "file", "help", "line", "message", "pointer", "severity"
            ],
            "{item}"
        );
        let code = item["code"].as_str().expect("code is a string");
        assert!(code.starts_with("score::"), "{item}");
        assert!(
            matches!(item["severity"].as_str(), Some("error" | "warning")),
            "{item}"
        );
        let message = item["message"].as_str().expect("message is a string");
        assert!(!message.trim().is_empty(), "{item}");
        assert!(item["file"].is_string(), "file names the input: {item}");
        assert!(item["pointer"].is_string(), "{item}");
        assert!(item["help"].is_string() || item["help"].is_null(), "{item}");
        // Line and column come together, 1-based, or not at all.
        match (&item["line"], &item["column"]) {
            (Value::Null, Value::Null) => {}
            (line, column) => {
                assert!(line.as_u64().is_some_and(|l| l >= 1), "{item}");
                assert!(column.as_u64().is_some_and(|c| c >= 1), "{item}");
            }
        }
    }
    items
}

fn errors(items: &[Value]) -> Vec<&Value> {
    items.iter().filter(|d| d["severity"] == "error").collect()
}

/// Validates one file in both formats; returns the JSON diagnostics. An invalid file must
/// exit 1 with at least one error, and the human output must name the error's code. Each run
/// must stay within one second of CPU time and 200 MB.
fn validate_invalid(scratch: &Scratch, path: &Path) -> Vec<Value> {
    validate_invalid_within(scratch, path, true)
}

/// [`validate_invalid`], checking the CPU and memory bounds only when `bounded`.
fn validate_invalid_within(scratch: &Scratch, path: &Path, bounded: bool) -> Vec<Value> {
    let check = |(run, usage): (Run, Usage), format: &str| {
        if bounded {
            usage.assert_bounded(&format!("{format} {}", path.display()));
        }
        run
    };
    let json = check(validate_measured(scratch, "json", &[path]), "json");
    assert_eq!(json.code, 1, "{}\n{}", json.stdout, json.stderr);
    let items = json_diagnostics(&json);
    let errors = errors(&items);
    assert!(
        !errors.is_empty(),
        "exit 1 without an error:\n{}",
        json.stdout
    );
    for item in &items {
        assert_eq!(item["file"], path.display().to_string(), "{item}");
    }
    let human = check(validate_measured(scratch, "human", &[path]), "human");
    assert_eq!(human.code, 1, "{}", human.stderr);
    let first = errors[0]["code"].as_str().unwrap();
    assert!(
        human.stderr.contains(first),
        "human output lacks {first}:\n{}",
        human.stderr
    );
    assert!(human.stderr.contains("invalid"), "{}", human.stderr);
    items
}

#[test]
fn a_valid_file_exits_zero_with_an_empty_array() {
    let scratch = Scratch::new("valid");
    let path = scratch.file("score.yaml", VALID);
    let run = validate(&scratch, "json", &[&path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(json_diagnostics(&run).is_empty(), "{}", run.stdout);
}

#[test]
fn a_non_utf8_file_gets_an_encoding_diagnostic() {
    let scratch = Scratch::new("non-utf8");
    for (name, bytes) in [
        (
            "latin1.yaml",
            b"apiVersion: score.dev/v1b1\nmetadata:\n  name: h\xe9llo\n".to_vec(),
        ),
        ("garbage.yaml", vec![0xff, 0xfe, 0xfd, 0x80, 0x00, 0xc0]),
        (
            "utf16.yaml",
            "\u{feff}apiVersion: x\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect(),
        ),
        ("lone-continuation.yaml", b"a: \x80\n".to_vec()),
        ("truncated-sequence.yaml", b"a: \xe2\x82\n".to_vec()),
    ] {
        let path = scratch.file(name, bytes);
        let items = validate_invalid(&scratch, &path);
        assert_eq!(items.len(), 1, "{name}: {items:?}");
        assert_eq!(items[0]["code"], "score::input::encoding", "{name}");
    }
}

#[test]
fn an_unreadable_file_gets_a_diagnostic() {
    // A dangling symlink named score.yaml is found by the directory walk but cannot be read.
    #[cfg(unix)]
    {
        let scratch = Scratch::new("unreadable");
        let link = scratch.0.join("app/score.yaml");
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(scratch.0.join("nowhere.yaml"), &link).unwrap();
        let run = validate(&scratch, "json", &[&scratch.0]);
        assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
        let items = json_diagnostics(&run);
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["code"], "score::input::unreadable");
        assert_eq!(items[0]["file"], link.display().to_string());
        let human = validate(&scratch, "human", &[&scratch.0]);
        assert_eq!(human.code, 1);
        assert!(
            human.stderr.contains("score::input::unreadable"),
            "{}",
            human.stderr
        );
    }
}

#[test]
fn empty_and_blank_files_are_invalid() {
    let scratch = Scratch::new("empty");
    for (name, text) in [
        ("empty.yaml", ""),
        ("blank.yaml", " \n\t\n\r\n"),
        ("bom.yaml", "\u{feff}"),
    ] {
        let path = scratch.file(name, text);
        let items = validate_invalid(&scratch, &path);
        let code = items[0]["code"].as_str().unwrap();
        assert!(
            code == "score::input::empty" || code == "score::schema::type",
            "{name}: {code}"
        );
    }
}

#[test]
fn a_directory_without_score_files_is_a_usage_error() {
    let scratch = Scratch::new("no-score-files");
    scratch.file("README.md", "# nothing here\n");
    scratch.file("sub/other.yaml", VALID);
    // Hidden and build folders are not searched.
    scratch.file(".git/score.yaml", VALID);
    scratch.file("target/score.yaml", VALID);
    for format in ["json", "human"] {
        let run = validate(&scratch, format, &[&scratch.0]);
        assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
        assert!(run.stderr.contains("no score.yaml"), "{}", run.stderr);
    }
    let empty = Scratch::new("empty-dir");
    let run = validate(&empty, "json", &[&empty.0]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let scratch = Scratch::new("missing");
    let missing = scratch.0.join("does/not/exist.yaml");
    for format in ["json", "human"] {
        let run = validate(&scratch, format, &[&missing]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains("no such file or directory"),
            "{}",
            run.stderr
        );
    }
    // Even next to a valid file.
    let valid = scratch.file("score.yaml", VALID);
    let run = validate(&scratch, "json", &[&valid, &missing]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn an_alias_bomb_fails_fast_with_a_limit_error() {
    let scratch = Scratch::new("alias-bomb");
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..9 {
        let uses = vec![format!("*a{}", level - 1); 9].join(", ");
        writeln!(text, "a{level}: &a{level} [{uses}]").unwrap();
    }
    let path = scratch.file("score.yaml", &text);
    let items = validate_invalid(&scratch, &path);
    let code = items[0]["code"].as_str().unwrap();
    assert!(
        code.starts_with("score::input::") || code.starts_with("score::yaml::"),
        "{code}"
    );
    assert!(items[0]["line"].as_u64().is_some(), "{:?}", items[0]);
}

#[test]
fn deep_nesting_and_huge_files_fail_with_limit_errors() {
    let scratch = Scratch::new("limits");
    for (name, text, code) in [
        (
            "deep-flow.yaml",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            "score::input::limit",
        ),
        // 100 levels: past the depth limit but under the parser's own recursion limit, so the
        // depth budget is what stops it. (The binary runs this on its 8 MiB main thread.)
        (
            "deep-block.yaml",
            (0..100).map(|i| format!("{}a:\n", " ".repeat(i))).collect(),
            "score::input::limit",
        ),
        (
            "huge.yaml",
            format!("{VALID}# {}\n", "x".repeat(5 << 20)),
            "score::input::too-large",
        ),
        (
            "many-keys.yaml",
            (0..100_000).map(|i| format!("k{i}: v\n")).collect(),
            "score::input::limit",
        ),
    ] {
        let path = scratch.file(name, &text);
        // Reading 100,000 keys up to the node limit takes more than a second of CPU time in a
        // debug build; what this case checks is that the limit stops it.
        let bounded = name != "many-keys.yaml";
        let items = validate_invalid_within(&scratch, &path, bounded);
        assert_eq!(items[0]["code"], code, "{name}: {:?}", items[0]);
    }
}

/// Syntax errors, each with the line and column the JSON output must give.
const SYNTAX_ERRORS: &[(&str, &str, &str, u64, u64)] = &[
    (
        "bad-indent.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\n   other: x\ncontainers: {}\n",
        "score::yaml::syntax",
        4,
        9,
    ),
    (
        "tab.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n\tname: hello\n",
        "score::yaml::syntax",
        3,
        2,
    ),
    (
        "unclosed-flow.yaml",
        "apiVersion: score.dev/v1b1\nmetadata: {name: hello\n",
        "score::yaml::syntax",
        2,
        11,
    ),
    (
        "unclosed-quote.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers:\n  main: {image: \"nginx}\n",
        "score::yaml::syntax",
        5,
        17,
    ),
    (
        "duplicate.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\n  name: again\n",
        "score::yaml::duplicate-key",
        4,
        3,
    ),
    (
        "crlf.yaml",
        "apiVersion: score.dev/v1b1\r\nmetadata:\r\n  name: hello\r\n   other: x\r\n",
        "score::yaml::syntax",
        4,
        9,
    ),
    (
        "nul.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hel\0lo\n",
        "score::yaml::syntax",
        3,
        12,
    ),
];

#[test]
fn syntax_errors_report_their_line_and_column() {
    let scratch = Scratch::new("syntax");
    for &(name, text, code, line, column) in SYNTAX_ERRORS {
        let path = scratch.file(name, text);
        let items = validate_invalid(&scratch, &path);
        assert_eq!(items.len(), 1, "{name}: {items:?}");
        let d = &items[0];
        assert_eq!(d["code"], code, "{name}: {d}");
        assert_eq!(d["line"], line, "{name}: {d}");
        assert_eq!(d["column"], column, "{name}: {d}");
        assert_eq!(d["pointer"], "/", "{name}: {d}");
        // The human report shows the same place.
        let human = validate(&scratch, "human", &[&path]);
        assert!(
            human.stderr.contains(&format!("{name}:{line}:{column}")),
            "{name}:\n{}",
            human.stderr
        );
    }
}

#[test]
fn many_hostile_files_at_once() {
    // One directory holding valid and invalid files: every file is reported, the run exits 1.
    let scratch = Scratch::new("together");
    scratch.file("ok/score.yaml", VALID);
    scratch.file("empty/score.yaml", "");
    scratch.file("binary/score.yaml", [0xffu8, 0x00, 0xfe]);
    scratch.file("list/score.yml", "- a\n- b\n");
    scratch.file("json/score.json", "{\"apiVersion\": \"score.dev/v1b1\",}");
    for &(name, text, ..) in SYNTAX_ERRORS {
        scratch.file(&format!("{name}/score.yaml"), text);
    }
    let run = validate(&scratch, "json", &[&scratch.0]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let items = json_diagnostics(&run);
    let files: std::collections::BTreeSet<&str> =
        items.iter().map(|d| d["file"].as_str().unwrap()).collect();
    // Every file but the valid one has a diagnostic.
    assert_eq!(files.len(), 4 + SYNTAX_ERRORS.len(), "{files:?}");
    let human = validate(&scratch, "human", &[&scratch.0]);
    assert_eq!(human.code, 1);
    let invalid = 4 + SYNTAX_ERRORS.len();
    let summary = format!("{invalid} of {} files invalid", invalid + 1);
    assert!(human.stderr.contains(&summary), "{}", human.stderr);
}

#[test]
fn odd_inputs_never_crash_the_renderer() {
    // Spans at the very end of the file, on multi-byte chars, after CR, far along a line:
    // the human renderer (miette) must cope with all of them.
    let scratch = Scratch::new("render");
    let cases: Vec<(&str, String)> = vec![
        (
            "eof.yaml",
            "apiVersion: score.dev/v1b1\nmetadata: {".to_owned(),
        ),
        ("eof-quote.yaml", "a: \"".to_owned()),
        ("multibyte.yaml", "é: ü\né: x\n".to_owned()),
        (
            "lone-cr.yaml",
            "apiVersion: x\rmetadata:\r  name: a\r   b: c\r".to_owned(),
        ),
        ("bom-error.yaml", "\u{feff}a: b: c\n".to_owned()),
        ("long-line.yaml", format!("a: b{}: c\n", " ".repeat(60_000))),
        ("control.yaml", "a: \u{1b}[31mred\n".to_owned()),
        ("nul-only.yaml", "\0".to_owned()),
        ("tags.yaml", "a: !!binary //79\n".to_owned()),
        ("complex-key.yaml", "? [a, b]\n: c\n".to_owned()),
        ("documents.yaml", format!("{VALID}---\n{VALID}")),
    ];
    for (name, text) in &cases {
        let path = scratch.file(name, text);
        let items = validate_invalid(&scratch, &path);
        assert!(!items.is_empty(), "{name}");
    }
}

/// A diagnostic far along a very long line (minified JSON) is rendered without a snippet
/// instead of panicking: miette cannot pad labels past column 65,535.
#[test]
fn an_error_far_along_a_line_is_rendered() {
    let scratch = Scratch::new("far-column");
    let yaml = scratch.file("score.yaml", format!("a: b{}: c\n", " ".repeat(65_540)));
    let json = scratch.file(
        "score.json",
        format!(
            "{{\"apiVersion\": \"score.dev/v1b1\", \"metadata\": {{\"name\": \"hello\", \
             \"annotations\": {{\"blob\": \"{}\"}}}}, \"containers\": {{\"main\": \
             {{\"image\": \"nginx\"}}}}, \"extra\": 1}}",
            "x".repeat(70_000)
        ),
    );
    for path in [yaml, json] {
        validate_invalid(&scratch, &path);
    }
}
