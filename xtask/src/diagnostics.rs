//! The diagnostic codes rule: every code `crates/*/src` uses is listed once in
//! `score_spec::codes`, with what it means and how to fix it, and every listed code is used.
//! `cargo test` enforces it (`xtask/tests/diagnostics.rs`), together with the users' page
//! `docs/diagnostics.md`, generated from the list by `cargo run -p xtask -- diagnostics --write`.
//!
//! A code is *used* where it is written as a whole string literal (`"score::schema::type"`)
//! outside comments: call sites keep their literals, constants included. A code is
//! *mentioned* wherever the text `score::<area>::<what>` appears (comments, tests, snapshots,
//! README): a mention must name a listed code too, so no document names a code that does not
//! exist. Provisioner templates raise no code of their own: `fail(…)` always carries
//! `score::provisioner::failed`, and any other code a template error claims is read as that
//! one (`provisioners::templates::known_code`); their text is still searched for mentions.

use std::path::{Path, PathBuf};

use score_spec::codes::{AREAS, Area};

use crate::function_length::mask_comments;

/// Where the list is, relative to the workspace root.
pub const LIST: &str = "crates/spec/src/codes.rs";
/// Where the users' page is, relative to the workspace root.
pub const PAGE: &str = "docs/diagnostics.md";
/// How to regenerate the page.
pub const REGENERATE: &str = "cargo run -p xtask -- diagnostics --write";

/// A code found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    pub code: String,
}

/// Every code written as a whole string literal outside comments in the Rust `source`.
pub fn literals(file: &Path, source: &str) -> Vec<Found> {
    let code = mask_comments(source);
    scan(file, &code, |text, start, end| {
        start > 0 && text[..start].ends_with('"') && text[end..].starts_with('"')
    })
}

/// Every `score::<area>::<what>` in `text`, wherever it is written.
pub fn mentions(file: &Path, text: &str) -> Vec<Found> {
    scan(file, text, |text, _, end| {
        // `score::a::b::c` and `score::a::b(…)` would be Rust paths, not codes.
        !text[end..].starts_with("::") && !text[end..].starts_with('(')
    })
}

/// The codes in `text` that `keep(text, start, end)` accepts. A code is `score::` after a
/// character that cannot end an identifier, then two parts of letters, digits, `-` and `_`
/// (wider than a valid code, so a malformed one is found and reported).
fn scan(file: &Path, text: &str, keep: impl Fn(&str, usize, usize) -> bool) -> Vec<Found> {
    let part = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(s.len())
    };
    let mut found = Vec::new();
    for (start, _) in text.match_indices("score::") {
        let before = text[..start].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let area_at = start + "score::".len();
        let area = part(&text[area_at..]);
        let what_at = area_at + area + 2;
        if area == 0 || !text[area_at + area..].starts_with("::") {
            continue;
        }
        let what = part(&text[what_at..]);
        let end = what_at + what;
        if what == 0 || !keep(text, start, end) {
            continue;
        }
        found.push(Found {
            file: file.to_path_buf(),
            line: 1 + text[..start].matches('\n').count(),
            code: text[start..end].to_owned(),
        });
    }
    found
}

/// What the checks look at.
pub struct Inputs<'a> {
    pub areas: &'a [Area],
    /// The codes the list's source writes, to name its lines (see [`literals`]).
    pub listed_at: Vec<Found>,
    /// The codes the crates' sources use (outside the list).
    pub used: Vec<Found>,
    /// The codes mentioned anywhere else.
    pub mentioned: Vec<Found>,
    /// The page as it is on disk, `None` when there is none.
    pub page: Option<String>,
}

/// Every broken rule, one line each, saying where and how to fix it; empty when all hold.
pub fn problems(inputs: &Inputs) -> Vec<String> {
    let mut out = list_problems(inputs);
    let listed = |code: &str| {
        inputs
            .areas
            .iter()
            .any(|a| a.codes.iter().any(|c| c.code == code))
    };
    let at = |f: &Found| format!("{}:{}", f.file.display(), f.line);
    for f in &inputs.used {
        if !listed(&f.code) {
            out.push(format!(
                "{}: `{}` is used but not listed: add it to {LIST} with its meaning and fix (then `{REGENERATE}`)",
                at(f),
                f.code
            ));
        }
    }
    for f in &inputs.mentioned {
        if !listed(&f.code) {
            out.push(format!(
                "{}: `{}` is mentioned but is not a listed code: correct the mention, or list the code in {LIST}",
                at(f),
                f.code
            ));
        }
    }
    for c in inputs.areas.iter().flat_map(|a| a.codes) {
        if !inputs.used.iter().any(|f| f.code == c.code) {
            let line = inputs.listed_at.iter().find(|f| f.code == c.code);
            out.push(format!(
                "{}: `{}` is listed but no code in crates/*/src uses it: remove it (then `{REGENERATE}`)",
                line.map_or_else(|| LIST.to_owned(), at),
                c.code
            ));
        }
    }
    let page = markdown(inputs.areas);
    if inputs.page.as_deref() != Some(page.as_str()) {
        out.push(format!(
            "{PAGE} is not the page the list gives: regenerate it with `{REGENERATE}`"
        ));
    }
    out
}

/// Problems of the list itself: malformed or duplicate codes, codes in the wrong area,
/// missing or multi-line descriptions, areas out of order.
fn list_problems(inputs: &Inputs) -> Vec<String> {
    let mut out = Vec::new();
    let line = |code: &str| {
        let f = inputs.listed_at.iter().find(|f| f.code == code);
        f.map_or_else(
            || LIST.to_owned(),
            |f| format!("{}:{}", f.file.display(), f.line),
        )
    };
    let mut seen: Vec<&str> = Vec::new();
    for area in inputs.areas {
        if seen.contains(&area.name) {
            out.push(format!(
                "{LIST}: area `{}` is listed twice: merge them",
                area.name
            ));
        }
        seen.push(area.name);
        if area.about.trim().is_empty() || area.codes.is_empty() {
            out.push(format!(
                "{LIST}: area `{}` needs an `about` and codes",
                area.name
            ));
        }
        let mut last = "";
        for c in area.codes {
            let mut parts = c.code.split("::");
            let (score, name, what) = (parts.next(), parts.next(), parts.next());
            let valid = |s: &str| {
                s.starts_with(|c: char| c.is_ascii_lowercase())
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            };
            let why = if score != Some("score") || parts.next().is_some() {
                Some("is not `score::<area>::<what>`".to_owned())
            } else if name != Some(area.name) {
                Some(format!(
                    "is listed in area `{}`: move it to its own area",
                    area.name
                ))
            } else if !what.is_some_and(valid) || !valid(area.name) {
                Some("has a part that is not lower-case letters, digits and `-`".to_owned())
            } else if inputs
                .areas
                .iter()
                .flat_map(|a| a.codes)
                .filter(|o| o.code == c.code)
                .count()
                > 1
            {
                Some("is listed more than once: keep one entry".to_owned())
            } else if c.code < last {
                Some(format!("comes after `{last}`: keep an area's codes sorted"))
            } else {
                None
            };
            if let Some(why) = why {
                out.push(format!("{}: `{}` {why}", line(c.code), c.code));
            }
            for (field, text) in [("meaning", c.meaning), ("fix", c.fix)] {
                if text.trim().is_empty() || text.contains('\n') {
                    out.push(format!(
                        "{}: `{}` needs a {field} of one line: what a user reads when they look the code up",
                        line(c.code),
                        c.code
                    ));
                }
            }
            last = c.code;
        }
    }
    out
}

/// The users' page: every code in a table per area.
pub fn markdown(areas: &[Area]) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut page = format!(
        "# Diagnostic codes\n\n<!-- Generated from {LIST} by `{REGENERATE}`; do not edit. -->\n\n\
         Every diagnostic `score` reports has a stable code, `score::<area>::<what>`, shown in \
         brackets (`error[score::schema::type]`) and as `code` in `--format json`. A code never \
         changes meaning. This page lists every code with what it means and how to fix it; the \
         diagnostic itself says where, and its help says how for the case at hand.\n"
    );
    for area in areas {
        page.push_str(&format!(
            "\n## `{}`: {}\n\n| code | meaning | how to fix |\n|---|---|---|\n",
            area.name, area.about
        ));
        for c in area.codes {
            page.push_str(&format!(
                "| `{}` | {} | {} |\n",
                c.code,
                cell(c.meaning),
                cell(c.fix)
            ));
        }
    }
    page
}

/// The inputs of the checks in the workspace at `root`, with the real list.
pub fn gather(root: &Path) -> std::io::Result<Inputs<'static>> {
    let list_path = root.join(LIST);
    let mut used = Vec::new();
    let mut mentioned = Vec::new();
    for file in files(
        &root.join("crates"),
        &["rs", "yaml", "yml", "json", "snap", "md"],
    )? {
        let text = std::fs::read_to_string(&file)?;
        let shown = file.strip_prefix(root).unwrap_or(&file);
        if file == list_path {
            continue;
        }
        let is_source = shown
            .components()
            .nth(2)
            .is_some_and(|c| c.as_os_str() == "src");
        let uses = if is_source && file.extension().is_some_and(|e| e == "rs") {
            literals(shown, &text)
        } else {
            Vec::new()
        };
        // A use is a mention too; it is reported once, as a use.
        mentioned.extend(
            mentions(shown, &text)
                .into_iter()
                .filter(|m| !uses.contains(m)),
        );
        used.extend(uses);
    }
    let mut documents = files(
        &root.join("testdata"),
        &["snap", "yaml", "yml", "json", "md", "txt"],
    )?;
    documents.extend(files(&root.join("examples"), &["rs", "yaml", "md"])?);
    for name in ["README.md", "ARCHITECTURE.md", "BENCHMARKS.md"] {
        documents.push(root.join(name));
    }
    for file in documents {
        // Not every file under testdata is text (hostile inputs): those mention nothing.
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        mentioned.extend(mentions(file.strip_prefix(root).unwrap_or(&file), &text));
    }
    let list = std::fs::read_to_string(&list_path)?;
    let page = std::fs::read_to_string(root.join(PAGE)).ok();
    Ok(Inputs {
        areas: AREAS,
        listed_at: literals(Path::new(LIST), &list),
        used,
        mentioned,
        page,
    })
}

/// The files under `dir` (recursively, sorted) whose extension is one of `extensions`.
fn files(dir: &Path, extensions: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(files(&path, extensions)?);
        } else if path
            .extension()
            .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use score_spec::codes::Code;

    fn codes(found: Vec<Found>) -> Vec<(usize, String)> {
        found.into_iter().map(|f| (f.line, f.code)).collect()
    }

    #[test]
    fn literals_are_whole_strings_outside_comments() {
        let source = r#"// "score::a::comment"
/// assert_eq!(code, "score::a::doc");
/* "score::a::block" */
const A: &str = "score::a::used";
fn f() { g("score::b::also-used", "score::b::not: a code", "see score::b::prose"); }
"#;
        assert_eq!(
            codes(literals(Path::new("x.rs"), source)),
            [
                (4, "score::a::used".into()),
                (5, "score::b::also-used".into())
            ]
        );
    }

    #[test]
    fn mentions_are_codes_anywhere_but_not_rust_paths() {
        let text = "see `score::a::b`, score::c::d-e.\nmy_score::x::y score::p::q::R score::f::g() score::h:: score::`x`\n\"score::Odd_Case::x\"";
        assert_eq!(
            codes(mentions(Path::new("x.md"), text)),
            [
                (1, "score::a::b".into()),
                (1, "score::c::d-e".into()),
                (3, "score::Odd_Case::x".into())
            ]
        );
    }

    const GOOD: &[Area] = &[Area {
        name: "a",
        about: "things",
        codes: &[
            Code {
                code: "score::a::one",
                meaning: "One.",
                fix: "Fix one.",
            },
            Code {
                code: "score::a::two",
                meaning: "Two.",
                fix: "Fix two.",
            },
        ],
    }];

    fn found(file: &str, line: usize, code: &str) -> Found {
        Found {
            file: file.into(),
            line,
            code: code.into(),
        }
    }

    fn inputs(areas: &'static [Area]) -> Inputs<'static> {
        Inputs {
            areas,
            listed_at: vec![
                found(LIST, 10, "score::a::one"),
                found(LIST, 15, "score::a::two"),
            ],
            used: vec![
                found("s.rs", 3, "score::a::one"),
                found("s.rs", 4, "score::a::two"),
            ],
            mentioned: vec![found("README.md", 7, "score::a::two")],
            page: Some(markdown(areas)),
        }
    }

    #[test]
    fn a_consistent_list_has_no_problems() {
        assert_eq!(problems(&inputs(GOOD)), Vec::<String>::new());
    }

    #[test]
    fn each_broken_rule_is_named_with_its_place() {
        let mut i = inputs(GOOD);
        i.used.push(found("t.rs", 9, "score::a::three"));
        i.used.retain(|f| f.code != "score::a::two");
        i.mentioned.push(found("README.md", 8, "score::a::gone"));
        i.page = Some("stale".into());
        assert_eq!(
            problems(&i),
            [
                format!(
                    "t.rs:9: `score::a::three` is used but not listed: add it to {LIST} with its meaning and fix (then `{REGENERATE}`)"
                ),
                format!(
                    "README.md:8: `score::a::gone` is mentioned but is not a listed code: correct the mention, or list the code in {LIST}"
                ),
                format!(
                    "{LIST}:15: `score::a::two` is listed but no code in crates/*/src uses it: remove it (then `{REGENERATE}`)"
                ),
                format!("{PAGE} is not the page the list gives: regenerate it with `{REGENERATE}`"),
            ]
        );
    }

    #[test]
    fn a_code_without_a_meaning_or_in_the_wrong_area_or_order_is_a_problem() {
        const BAD: &[Area] = &[Area {
            name: "a",
            about: "things",
            codes: &[
                Code {
                    code: "score::a::two",
                    meaning: "",
                    fix: "Fix\ntwo.",
                },
                Code {
                    code: "score::a::one",
                    meaning: "One.",
                    fix: "Fix one.",
                },
                Code {
                    code: "score::b::one",
                    meaning: "One.",
                    fix: "Fix one.",
                },
            ],
        }];
        let mut i = inputs(BAD);
        i.used.push(found("s.rs", 5, "score::b::one"));
        let p = problems(&i);
        assert_eq!(
            p,
            [
                format!(
                    "{LIST}:15: `score::a::two` needs a meaning of one line: what a user reads when they look the code up"
                ),
                format!(
                    "{LIST}:15: `score::a::two` needs a fix of one line: what a user reads when they look the code up"
                ),
                format!(
                    "{LIST}:10: `score::a::one` comes after `score::a::two`: keep an area's codes sorted"
                ),
                format!("{LIST}: `score::b::one` is listed in area `a`: move it to its own area"),
            ]
        );
    }

    #[test]
    fn the_page_has_a_row_per_code_with_pipes_escaped() {
        const PIPE: &[Area] = &[Area {
            name: "a",
            about: "things",
            codes: &[Code {
                code: "score::a::one",
                meaning: "A `|` here.",
                fix: "Fix it.",
            }],
        }];
        let page = markdown(PIPE);
        assert!(page.starts_with("# Diagnostic codes\n"));
        assert!(page.contains("\n## `a`: things\n\n| code | meaning | how to fix |\n|---|---|---|\n| `score::a::one` | A `\\|` here. | Fix it. |\n"), "{page}");
    }
}
