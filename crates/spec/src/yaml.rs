//! Reading YAML (and JSON, which YAML 1.2 contains) into a located [`Node`] tree, within limits.

use serde_saphyr::{Budget, DuplicateKeyPolicy, Options};

use crate::diagnostics::Diagnostic;
use crate::node::Node;
use crate::source::{SourceFile, Span, offset_of};

/// Bounds that make a hostile input fail fast instead of hanging or exhausting memory.
///
/// The defaults are far above any real workload (the largest in the corpus is a few KiB).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes (scalars, mappings, sequences), counting each alias expansion.
    pub max_nodes: usize,
    /// Most `*alias` uses.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 4 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 200_000,
            max_aliases: 1_000,
        }
    }
}

pub(crate) fn parse_document(
    source: &SourceFile,
    limits: &Limits,
) -> Result<Node, Box<Diagnostic>> {
    let text = source.text();
    if text.len() > limits.max_bytes {
        return Err(Box::new(
            Diagnostic::error(
                "score::input::too-large",
                format!(
                    "the file is {} bytes, more than the limit of {} bytes",
                    text.len(),
                    limits.max_bytes
                ),
            )
            .with_help("a Score workload is a small file; check that this is the file you meant"),
        ));
    }
    if text.trim().is_empty() {
        return Err(Box::new(
            Diagnostic::error("score::input::empty", "the file is empty").with_help(
                "a workload needs at least `apiVersion`, `metadata.name` and `containers`",
            ),
        ));
    }
    // Both types are non-exhaustive: start from the defaults and tighten.
    let mut budget = Budget::default();
    budget.max_depth = limits.max_depth;
    budget.max_nodes = limits.max_nodes;
    budget.max_aliases = limits.max_aliases;
    budget.max_anchors = limits.max_aliases;
    budget.max_total_scalar_bytes = limits.max_bytes;
    budget.max_documents = 2;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    let mut node = serde_saphyr::from_str_with_options::<Node>(text, options)
        .map_err(|e| Box::new(yaml_error(&e, text)))?;
    node.fill_offsets(text);
    Ok(node)
}

fn yaml_error(error: &serde_saphyr::Error, text: &str) -> Diagnostic {
    let rendered = error.to_string();
    let message = clean_message(&rendered);
    let span = error.location().map_or(Span::UNKNOWN, |l| {
        let (line, column) = (l.line() as u32, l.column() as u32);
        // Scanner errors carry a line and column but not always a byte offset.
        let offset = match l.span().byte_offset() {
            Some(offset) if (offset as usize) <= text.len() => offset as usize,
            _ => offset_of(text, line, column),
        };
        let len = text[offset..].chars().next().map_or(0, char::len_utf8);
        Span {
            offset,
            len,
            line,
            column,
        }
    });
    let (code, message, help) = if let Some(key) = message.strip_prefix("duplicate mapping key: ") {
        let key = key.split(", set DuplicateKeyPolicy").next().unwrap_or(key);
        (
            "score::yaml::duplicate-key",
            format!("duplicate key `{key}`: a mapping may name each key only once"),
            Some(
                "remove or rename one of the two entries; YAML readers disagree on which one wins"
                    .to_owned(),
            ),
        )
    } else if message.contains("budget") || message.contains("limit") {
        (
            "score::input::limit",
            format!("the document exceeds a safety limit: {message}"),
            Some(
                "simplify the document: deep nesting and many aliases are not needed in a workload"
                    .to_owned(),
            ),
        )
    } else if matches!(error, serde_saphyr::Error::MultipleDocuments { .. }) {
        (
            "score::yaml::multiple-documents",
            "the file holds more than one YAML document".to_owned(),
            Some("put each workload in its own file".to_owned()),
        )
    } else {
        (
            "score::yaml::syntax",
            format!("invalid YAML: {message}"),
            None,
        )
    };
    let mut diagnostic = Diagnostic::error(code, message)
        .at("", span)
        .with_label("here");
    diagnostic.help = help;
    diagnostic
}

/// serde-saphyr prefixes messages with "error: " and "line L column C: "; we show the location
/// ourselves, so keep only the description.
fn clean_message(rendered: &str) -> String {
    let first = rendered.lines().next().unwrap_or(rendered).trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let without_location = match first.strip_prefix("line ") {
        Some(rest) => rest
            .split_once(": ")
            .filter(|(loc, _)| loc.contains("column"))
            .map_or(first, |(_, msg)| msg),
        None => first,
    };
    // Some scanner messages end with their own " at line L, column C".
    let without_location = match without_location.rfind(" at line ") {
        Some(i) if without_location[i..].contains("column") => &without_location[..i],
        _ => without_location,
    };
    without_location.trim().to_owned()
}
