//! Merging the variables a Compose file expects into an env file a developer already has.
//!
//! The existing file is the developer's: its values (secrets they typed in), comments, blank
//! lines and order are kept byte for byte; only the missing keys are appended, as `KEY=`.
//! A file that does not read as an env file is refused rather than appended to, so naming the
//! wrong file (`--env-file compose.yaml`) cannot damage it.

use score_spec::{Diagnostic, Span};

/// An env file with every expected variable, and what merging changed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MergedEnvFile {
    /// The new text: the existing file unchanged, then a `KEY=` line for each added key.
    pub text: String,
    /// The keys appended, sorted.
    pub added: Vec<String>,
    /// Keys the file sets that no `environment` resource reads, in file order (kept).
    pub unused: Vec<String>,
}

/// Merges `variables` (the names `environment` resources read) into `existing`, the text of
/// an env file: lines that are blank, comments (`#`), `KEY=value` or `export KEY=value` (a
/// value in quotes may span lines). Keys already set keep their line; missing ones are
/// appended as `KEY=`, sorted. When nothing is missing, `text` is `existing` unchanged.
///
/// An error, placed at the first line that is none of these, means the file is not an env
/// file; the caller attaches the file as the diagnostic's source.
///
/// ```
/// use score_compile::compose::merge_env_file;
///
/// let merged = merge_env_file("# mine\nB=secret\n", &["A".into(), "B".into()]).unwrap();
/// assert_eq!(merged.text, "# mine\nB=secret\nA=\n");
/// assert!(merge_env_file("not an env file\n", &["A".into()]).is_err());
/// ```
pub fn merge_env_file(
    existing: &str,
    variables: &[String],
) -> Result<MergedEnvFile, Box<Diagnostic>> {
    let present = keys(existing)?;
    let mut added: Vec<String> = variables
        .iter()
        .filter(|v| !present.contains(v))
        .cloned()
        .collect();
    added.sort();
    added.dedup();
    let mut unused: Vec<String> = Vec::new();
    for key in &present {
        if !variables.contains(key) && !unused.contains(key) {
            unused.push(key.clone());
        }
    }
    let mut text = existing.to_owned();
    if !added.is_empty() && !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for key in &added {
        text.push_str(key);
        text.push_str("=\n");
    }
    Ok(MergedEnvFile {
        text,
        added,
        unused,
    })
}

/// One line of the text: where it starts, its 1-based number, and its content without the
/// line break.
struct Line<'a> {
    offset: usize,
    number: u32,
    text: &'a str,
}

fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    let mut offset = 0;
    text.split_inclusive('\n')
        .zip(1u32..)
        .map(move |(raw, number)| {
            let line = Line {
                offset,
                number,
                text: raw.trim_end_matches(['\n', '\r']),
            };
            offset += raw.len();
            line
        })
}

/// The keys `text` sets, in order; an error at the first line that is not part of an env file.
fn keys(text: &str) -> Result<Vec<String>, Box<Diagnostic>> {
    let mut keys = Vec::new();
    let mut open: Option<(char, Line<'_>)> = None;
    for line in lines(text) {
        if let Some((quote, _)) = &open {
            if closes(line.text, *quote) {
                open = None;
            }
            continue;
        }
        let trimmed = line.text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, value)) = assignment(trimmed) else {
            return Err(Box::new(not_an_env_file(&line)));
        };
        keys.push(key.to_owned());
        if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'')
            && !closes(&value[1..], quote)
        {
            open = Some((quote, line));
        }
    }
    match open {
        Some((_, line)) => Err(Box::new(unclosed_quote(&line))),
        None => Ok(keys),
    }
}

/// `KEY=value` or `export KEY=value` (spaces allowed around `=`): the key and the value with
/// leading spaces removed.
fn assignment(line: &str) -> Option<(&str, &str)> {
    let line = match line.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => line,
    };
    let (key, value) = line.split_once('=')?;
    let key = key.trim_end();
    let valid = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    (!key.is_empty() && key.chars().all(valid)).then_some((key, value.trim_start()))
}

/// Whether `text` (after an opening `quote`) holds the closing one; in double quotes a
/// backslash escapes the next character.
fn closes(text: &str, quote: char) -> bool {
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote == '"' => escaped = true,
            c if c == quote => return true,
            _ => {}
        }
    }
    false
}

fn span(line: &Line<'_>) -> Span {
    Span {
        offset: line.offset,
        len: line.text.len(),
        line: line.number,
        column: 1,
    }
}

fn not_an_env_file(line: &Line<'_>) -> Diagnostic {
    Diagnostic::error(
        "score::compose::env-file",
        "this is not an env file: the line is not `KEY=value`, `export KEY=value`, a comment or blank",
    )
    .at("", span(line))
    .with_label("not an env file line")
    .with_help(
        "`--env-file` adds the variables of `environment` resources to a file Compose reads \
         (such as `.env`), keeping what is there: name an env file, or a file that does not exist yet",
    )
}

fn unclosed_quote(line: &Line<'_>) -> Diagnostic {
    Diagnostic::error(
        "score::compose::env-file",
        "this is not an env file: the quoted value that starts here is never closed",
    )
    .at("", span(line))
    .with_label("the quote opened here")
    .with_help("close the quote, or name another file with `--env-file`")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_comments_and_order_are_kept_and_missing_keys_appended_sorted() {
        let existing = "# secrets\nZED=1\nexport DB_PASSWORD=hunter2\n\nA = spaced\n";
        let merged = merge_env_file(existing, &vars(&["DB_PASSWORD", "C", "B", "ZED"])).unwrap();
        assert_eq!(merged.text, format!("{existing}B=\nC=\n"));
        assert_eq!(merged.added, ["B", "C"]);
        assert_eq!(merged.unused, ["A"]);
    }

    #[test]
    fn nothing_missing_gives_the_text_unchanged() {
        for existing in ["A=1\nB=2", "A=1\r\nB=\"x\"\r\n", ""] {
            let merged = merge_env_file(existing, &[]).unwrap();
            assert_eq!(merged.text, existing);
            assert!(merged.added.is_empty());
        }
        let merged = merge_env_file("A=1\nB=2", &vars(&["A", "B"])).unwrap();
        assert_eq!(merged.text, "A=1\nB=2");
        assert!(merged.unused.is_empty());
    }

    #[test]
    fn a_file_without_a_final_line_break_gets_one_before_the_appended_keys() {
        let merged = merge_env_file("A=1", &vars(&["B"])).unwrap();
        assert_eq!(merged.text, "A=1\nB=\n");
        assert_eq!(merge_env_file("", &vars(&["B"])).unwrap().text, "B=\n");
    }

    #[test]
    fn quoted_values_may_span_lines() {
        let existing = "CERT=\"-----BEGIN-----\nnot = a key line\n\\\" still inside\n-----END-----\"\nK='a\nb'\n";
        let merged = merge_env_file(existing, &vars(&["CERT", "K", "NEW"])).unwrap();
        assert_eq!(merged.added, ["NEW"]);
        assert!(merged.unused.is_empty());
        // A value opened and closed on its line is one line.
        let merged = merge_env_file("A=\"x\" # note\nB='y'\n", &vars(&["A", "B"])).unwrap();
        assert!(merged.added.is_empty());
    }

    #[test]
    fn a_line_that_is_not_an_assignment_is_refused_where_it_is() {
        let text = "A=1\n# fine\n\nRemember the milk.\nB=2\n";
        let error = merge_env_file(text, &vars(&["A"])).unwrap_err();
        assert_eq!(error.code, "score::compose::env-file");
        assert!(error.is_error());
        let span = error.span.unwrap();
        assert_eq!((span.line, span.column), (4, 1));
        assert_eq!(
            &text[span.offset..span.offset + span.len],
            "Remember the milk."
        );
        assert!(error.help.unwrap().contains("--env-file"));
    }

    #[test]
    fn yaml_and_other_non_env_files_are_refused() {
        for text in [
            "apiVersion: score.dev/v1b1\n",
            "services:\n  web: {}\n",
            "=value\n",
            "export\n",
            "KEY WITH SPACE=1\n",
            "[section]\nA=1\n",
        ] {
            assert!(merge_env_file(text, &vars(&["A"])).is_err(), "{text:?}");
        }
    }

    #[test]
    fn an_unclosed_quote_is_refused_at_its_line() {
        let error = merge_env_file("A=1\nB=\"open\nC=2\n", &vars(&["A"])).unwrap_err();
        assert_eq!(error.span.unwrap().line, 2);
        assert!(error.message.contains("never closed"), "{}", error.message);
    }
}
