//! The function-length rule: no function in `crates/*/src` is longer than 100 lines, so each
//! can be read on one screen and named for one job. `cargo test` enforces it
//! (`xtask/tests/function_length.rs`); `cargo run -p xtask -- function-length` lists the
//! longest ones.
//!
//! A function's length runs from its `fn` line to the line of its closing brace. The source is
//! first masked (comments, strings, raw strings and character literals become blanks, lines
//! kept), so braces inside them do not count and lifetimes (`'a`) are not taken for
//! characters.

use std::path::{Path, PathBuf};

/// The most lines a function may have.
pub const LIMIT: usize = 100;

/// One function and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub file: PathBuf,
    /// The 1-based line of `fn`.
    pub line: usize,
    pub name: String,
    pub lines: usize,
}

/// Every function with a body in `source`, in order; `file` names them.
pub fn functions(file: &Path, source: &str) -> Vec<Function> {
    let code = mask(source);
    let bytes = code.as_bytes();
    let line_of = |at: usize| 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = code[at..].find("fn") {
        let start = at + offset;
        at = start + 2;
        let before_ok = start == 0 || !is_ident(bytes[start - 1]);
        let name: String = code[at..]
            .trim_start()
            .chars()
            .take_while(|&c| c.is_alphanumeric() || c == '_' || c == '#')
            .collect();
        let spaced = bytes.get(at).is_some_and(|b| b.is_ascii_whitespace());
        if !before_ok || !spaced || name.is_empty() {
            continue;
        }
        let Some(end) = body_end(bytes, at) else {
            continue;
        };
        found.push(Function {
            file: file.to_path_buf(),
            line: line_of(start),
            name,
            lines: line_of(end) - line_of(start) + 1,
        });
    }
    found
}

/// The offset of the closing brace of the body that follows `from`, or `None` for a
/// declaration without a body (`fn f();` in a trait) or an unbalanced file.
fn body_end(code: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    // Generic bounds and return types may hold `{` only inside a body: the first `{` at
    // depth 0 opens it, and a `;` before any is a declaration.
    for (i, &b) in code.iter().enumerate().skip(from) {
        match b {
            b';' if depth == 0 => return None,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `source` with the insides of comments, strings and character literals replaced by spaces
/// (newlines kept, so offsets and lines stay where they were).
pub fn mask(source: &str) -> String {
    blank(source, true)
}

/// `source` with the insides of comments replaced by spaces, strings and character literals
/// kept as written (so a string is found where it is code, never in a comment).
pub fn mask_comments(source: &str) -> String {
    blank(source, false)
}

/// Blanks comments, and strings and character literals too when `literals`, keeping
/// newlines and the number of characters.
fn blank(source: &str, literals: bool) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let comment = |end: Option<usize>| end.map(|e| (e, true));
        let literal = |end: Option<usize>| end.map(|e| (e, literals));
        let skip = match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => comment(line_comment(&chars, i)),
            ('/', Some('*')) => comment(block_comment(&chars, i)),
            ('"', _) => literal(string(&chars, i)),
            ('r', Some('"' | '#')) if i == 0 || !is_ident_char(chars[i - 1]) => {
                literal(raw_string(&chars, i))
            }
            ('\'', _) => literal(char_literal(&chars, i)),
            _ => None,
        };
        match skip {
            Some((end, blanked)) => {
                for &c in &chars[i..end] {
                    out.push(if c == '\n' || !blanked { c } else { ' ' });
                }
                i = end;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn line_comment(chars: &[char], from: usize) -> Option<usize> {
    let end = chars[from..].iter().position(|&c| c == '\n');
    Some(end.map_or(chars.len(), |n| from + n))
}

/// Block comments nest in Rust.
fn block_comment(chars: &[char], from: usize) -> Option<usize> {
    let (mut depth, mut i) = (0usize, from);
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    Some(chars.len())
}

fn string(chars: &[char], from: usize) -> Option<usize> {
    let mut i = from + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    Some(chars.len())
}

/// `r"…"`, `r#"…"#` and so on; `None` when the `r` starts an identifier such as `r#type`.
fn raw_string(chars: &[char], from: usize) -> Option<usize> {
    let hashes = chars[from + 1..].iter().take_while(|&&c| c == '#').count();
    let quote = from + 1 + hashes;
    if chars.get(quote) != Some(&'"') {
        return None;
    }
    let mut i = quote + 1;
    while i < chars.len() {
        if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&c| c == '#') {
            let end = i + 1 + hashes;
            if end <= chars.len() {
                return Some(end);
            }
        }
        i += 1;
    }
    Some(chars.len())
}

/// `'x'` and `'\n'` are characters; `'a` in `&'a str` is a lifetime and stays code.
fn char_literal(chars: &[char], from: usize) -> Option<usize> {
    match chars.get(from + 1)? {
        '\\' => {
            let close = chars[from + 2..].iter().position(|&c| c == '\'')?;
            Some(from + 2 + close + 1)
        }
        _ if chars.get(from + 2) == Some(&'\'') => Some(from + 3),
        _ => None,
    }
}

/// Every function in the `.rs` files under `dir`, recursively, in path order.
pub fn functions_under(dir: &Path) -> std::io::Result<Vec<Function>> {
    let mut files = Vec::new();
    collect_rust_files(dir, &mut files)?;
    files.sort();
    let mut all = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file)?;
        all.extend(functions(&file, &source));
    }
    Ok(all)
}

fn collect_rust_files(dir: &Path, into: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_rust_files(&path, into)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
    Ok(())
}

/// The `src` directories of the workspace's crates under `root` (`crates/*/src`).
pub fn source_dirs(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(root.join("crates"))? {
        let src = entry?.path().join("src");
        if src.is_dir() {
            dirs.push(src);
        }
    }
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lengths(source: &str) -> Vec<(String, usize)> {
        functions(Path::new("x.rs"), source)
            .into_iter()
            .map(|f| (f.name, f.lines))
            .collect()
    }

    #[test]
    fn a_function_runs_from_fn_to_its_closing_brace() {
        let source = "fn a() {\n    1;\n}\n\npub(crate) fn b<T: Into<u8>>(t: T) -> u8\nwhere\n    T: Copy,\n{\n    t.into()\n}\n";
        assert_eq!(lengths(source), [("a".into(), 3), ("b".into(), 6)]);
    }

    #[test]
    fn braces_in_strings_comments_and_characters_do_not_count() {
        let source = r###"fn a() {
    let s = "}}}";
    let r = r#"{ "}" "#;
    let c = '}';
    let e = '\'';
    // }
    /* } /* nested } */ } */
    let l: &'static str = "x";
}
fn b() {}
"###;
        assert_eq!(lengths(source), [("a".into(), 9), ("b".into(), 1)]);
    }

    #[test]
    fn declarations_and_identifiers_containing_fn_are_not_functions() {
        let source =
            "trait T {\n    fn d(&self);\n}\nfn r#type() {}\nlet fnord = 1;\nlet f: fn(u8) = g;\n";
        assert_eq!(lengths(source), [("r#type".into(), 1)]);
    }

    #[test]
    fn an_unbalanced_file_ends_without_a_function() {
        assert_eq!(lengths("fn a() {\n    {\n"), []);
    }
}
