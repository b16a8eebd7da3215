//! Conformance with the shared corpus (`testdata/corpus`, a copy of the shared corpus), through the `score` binary:
//! every valid file validates, every invalid file is rejected at the node its first line names.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn corpus() -> PathBuf {
    let dir = common::root().join("testdata/corpus");
    assert!(
        dir.is_dir(),
        "the corpus is expected at {} (testdata/corpus, vendored from the shared corpus)",
        dir.display()
    );
    dir
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

fn score(args: &[&str], files: &[PathBuf]) -> (i32, String) {
    let run = common::run(
        Command::new(env!("CARGO_BIN_EXE_score"))
            .args(args)
            .args(files),
    );
    (run.code, run.stdout)
}

#[test]
fn every_valid_file_validates() {
    let mut files = Vec::new();
    files_under(&corpus().join("valid"), &mut files);
    assert!(
        files.len() > 30,
        "expected the whole valid corpus, found {}",
        files.len()
    );
    let (code, stdout) = score(&["validate", "--format", "json"], &files);
    let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    let errors: Vec<_> = diagnostics
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "valid files were rejected: {errors:#?}");
    assert_eq!(code, 0);
}

#[test]
fn every_invalid_file_is_rejected_at_the_named_node() {
    let mut files = Vec::new();
    files_under(&corpus().join("invalid"), &mut files);
    assert!(
        files.len() > 20,
        "expected the whole invalid corpus, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let expected = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect-error-at:"))
            .map(str::trim)
            .unwrap_or_else(|| panic!("{} has no expect-error-at line", file.display()));
        let (first_line, last_line) = lines_of(&text, expected);
        let (code, stdout) = score(
            &["validate", "--format", "json"],
            std::slice::from_ref(file),
        );
        let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
        let hit = diagnostics.iter().any(|d| {
            let pointer = d["pointer"].as_str().unwrap_or_default();
            d["severity"] == "error"
                && on_path_to(pointer, expected)
                && d["line"]
                    .as_u64()
                    .is_some_and(|l| (first_line..=last_line).contains(&(l as usize)))
        });
        if code != 1 || !hit {
            failures.push(format!(
                "{}: exit {code}, wanted an error at {expected} (lines {first_line}-{last_line}), got {}",
                file.display(),
                serde_json::to_string_pretty(&diagnostics).unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// True when `pointer` equals `expected` or is one of its ancestors.
fn on_path_to(pointer: &str, expected: &str) -> bool {
    let pointer = pointer.trim_end_matches('/');
    let expected = expected.trim_end_matches('/');
    expected == pointer || expected.starts_with(&format!("{pointer}/"))
}

/// The lines of the node at `pointer` in a block-style YAML file, found the simple way a person
/// would, independently of the parser under test: from the line of its key to the last line
/// indented under it. `/` is the whole document from its first line of content.
///
/// A diagnostic may stand on any of these lines: an unknown field is reported where the
/// unknown key is written, inside the object the pointer names (a key has no pointer).
fn lines_of(text: &str, pointer: &str) -> (usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let content = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let depth = |l: &str| l.len() - l.trim_start().len();
    let mut line = lines.iter().position(|l| content(l)).unwrap();
    let mut indent: Option<usize> = None;
    for token in pointer
        .trim_matches('/')
        .split('/')
        .filter(|t| !t.is_empty())
    {
        let token = token.replace("~1", "/").replace("~0", "~");
        let found = lines
            .iter()
            .enumerate()
            .skip(if indent.is_some() { line + 1 } else { line })
            .find(|(_, l)| {
                indent.is_none_or(|i| depth(l) > i)
                    && l.trim_start()
                        .trim_start_matches("- ")
                        .starts_with(&format!("{token}:"))
            })
            .unwrap_or_else(|| panic!("cannot find `{token}` of {pointer}"));
        line = found.0;
        indent = Some(depth(found.1));
    }
    let last = match indent {
        None => lines.len() - 1,
        Some(indent) => lines
            .iter()
            .enumerate()
            .skip(line + 1)
            .find(|(_, l)| content(l) && depth(l) <= indent)
            .map_or(lines.len() - 1, |(i, _)| i - 1),
    };
    (line + 1, last + 1)
}

#[test]
fn line_finder_agrees_with_hand_counted_lines() {
    let text = "# c\napiVersion: x\ncontainers:\n  web:\n    files:\n      /etc/a:\n        mode: x\n  db:\n    image: y\n";
    assert_eq!(lines_of(text, "/"), (2, 9));
    assert_eq!(lines_of(text, "/containers/web"), (4, 7));
    assert_eq!(
        lines_of(text, "/containers/web/files/~1etc~1a/mode"),
        (7, 7)
    );
}
