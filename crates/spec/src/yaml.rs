//! Reading YAML (and JSON, which YAML 1.2 contains) into a located [`Node`] tree, within limits.
//!
//! The tree is built straight from the event stream of serde-saphyr's parser (re-exported as
//! `serde_saphyr::granit_parser`), iteratively: deep nesting costs heap, not stack, and every
//! node gets its exact span. Keys are kept as written (`yes:` stays `yes`, `1.0:` stays `1.0`),
//! and two keys with the same text in one mapping are an error pointing at both.
//!
//! Plain scalars are typed like YAML 1.1 readers (PyYAML, Kubernetes) do: `yes`/`no`/`on`/`off`
//! are booleans, `0644` is an octal integer. That way an unquoted value that other tools would
//! read as a non-string is flagged by the schema instead of silently passing here.

use std::collections::HashSet;

use serde_saphyr::granit_parser::{Event, Marker, Parser, ScalarStyle, Span as EventSpan};

use crate::diagnostics::Diagnostic;
use crate::node::{Entry, Node, Value};
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
    if let Some(empty) = empty(text) {
        return Err(Box::new(empty));
    }
    Builder::new(text, limits).run()
}

/// The problem with a file holding no YAML node (nothing, blanks, comments), placed at 1:1 so
/// every format shows a line.
fn empty(text: &str) -> Option<Diagnostic> {
    let content = text.trim_start_matches('\u{feff}');
    let message = if content.trim().is_empty() {
        "the file is empty"
    } else if content
        .lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
    {
        "the file holds only comments"
    } else {
        return None;
    };
    let start = Span {
        offset: 0,
        len: 0,
        line: 1,
        column: 1,
    };
    Some(
        Diagnostic::error("score::input::empty", message)
            .at("/", start)
            .with_help("a workload needs at least `apiVersion`, `metadata.name` and `containers`"),
    )
}

/// A collection being read.
enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        /// The key read, waiting for its value.
        key: Option<(String, Span)>,
        /// Keys seen, once the mapping is too large for a linear scan.
        index: Option<HashSet<String>>,
        span: Span,
        anchor: usize,
    },
}

struct Builder<'a> {
    text: &'a str,
    limits: &'a Limits,
    stack: Vec<Frame>,
    /// Anchored nodes by id, with their node counts (for the expansion budget).
    anchors: Vec<Option<(Node, usize)>>,
    nodes: usize,
    aliases: usize,
    root: Option<Node>,
    documents: usize,
}

/// Beyond this many entries a mapping tracks its keys in a hash set.
const LINEAR_KEY_SCAN: usize = 16;

impl<'a> Builder<'a> {
    fn new(text: &'a str, limits: &'a Limits) -> Self {
        Builder {
            text,
            limits,
            stack: Vec::new(),
            anchors: Vec::new(),
            nodes: 0,
            aliases: 0,
            root: None,
            documents: 0,
        }
    }

    fn run(mut self) -> Result<Node, Box<Diagnostic>> {
        let text = self.text;
        for item in Parser::new_from_str(text) {
            let (event, span) = item.map_err(|e| self.scan_error(&e))?;
            let span = self.span(&span);
            match event {
                Event::DocumentStart(..) => {
                    self.documents += 1;
                    if self.documents > 1 {
                        return Err(Box::new(
                            Diagnostic::error(
                                "score::yaml::multiple-documents",
                                "the file holds more than one YAML document",
                            )
                            .at("", span)
                            .with_label("second document starts here")
                            .with_help("put each workload in its own file"),
                        ));
                    }
                }
                Event::Scalar(value, style, anchor, tag) => {
                    self.count(1, span)?;
                    // Keys stay text as written; only values are typed.
                    let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                    let tag = tag.as_ref().map(|t| t.suffix().to_owned());
                    let value = match tag.as_deref() {
                        Some("binary") => decode_binary(&value, span)?,
                        Some("str") => Value::String(value.into_owned()),
                        _ if style == ScalarStyle::Plain && !is_key => resolve_plain(&value),
                        _ => Value::String(value.into_owned()),
                    };
                    self.complete(Node::new(value, span), anchor)?;
                }
                Event::SequenceStart(_, anchor, _) => {
                    self.open(span)?;
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        span,
                        anchor,
                    });
                }
                Event::MappingStart(_, anchor, _) => {
                    self.open(span)?;
                    self.stack.push(Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        index: None,
                        span,
                        anchor,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let (node, anchor) = match self.stack.pop() {
                        Some(Frame::Seq {
                            items,
                            span,
                            anchor,
                        }) => (Node::new(Value::Seq(items), span), anchor),
                        Some(Frame::Map {
                            entries,
                            span,
                            anchor,
                            ..
                        }) => (Node::new(Value::Map(entries), span), anchor),
                        None => continue,
                    };
                    self.complete(node, anchor)?;
                }
                Event::Alias(id) => self.alias(id, span)?,
                _ => {}
            }
        }
        // Only comments: an empty document, which is null.
        Ok(self.root.unwrap_or_else(|| {
            Node::new(
                Value::Null,
                Span {
                    offset: 0,
                    len: 0,
                    line: 1,
                    column: 1,
                },
            )
        }))
    }

    /// `*name`: a copy of the anchored node, counted against the budgets like the original.
    fn alias(&mut self, id: usize, span: Span) -> Result<(), Box<Diagnostic>> {
        self.aliases += 1;
        if self.aliases > self.limits.max_aliases {
            return Err(limit(
                span,
                format!("more than {} aliases", self.limits.max_aliases),
            ));
        }
        let Some((node, size)) = self.anchors.get(id).and_then(Option::as_ref) else {
            return Err(syntax(span, "an alias refers to an unknown anchor".into()));
        };
        let (mut node, size) = (node.clone(), *size);
        self.count(size, span)?;
        // The copy is used here: point at the alias, not at the anchor.
        node.span = span;
        self.complete(node, 0)
    }

    fn open(&mut self, span: Span) -> Result<(), Box<Diagnostic>> {
        self.count(1, span)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(limit(
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        Ok(())
    }

    fn count(&mut self, nodes: usize, span: Span) -> Result<(), Box<Diagnostic>> {
        self.nodes += nodes;
        if self.nodes > self.limits.max_nodes {
            return Err(limit(
                span,
                format!(
                    "more than {} nodes (counting every alias expansion)",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    /// A node is complete: remember it if anchored, and attach it to its parent.
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), Box<Diagnostic>> {
        if anchor > 0 {
            // The kept copy counts against the node budget too, so nested anchors cannot
            // multiply memory.
            let size = node_count(&node);
            self.count(size, node.span)?;
            if anchor > self.limits.max_aliases {
                return Err(limit(
                    node.span,
                    format!("more than {} anchors", self.limits.max_aliases),
                ));
            }
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some((node.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                index,
                ..
            }) => match key.take() {
                None => *key = Some(key_text(node)?),
                Some((name, key_span)) if name == "<<" => merge(entries, index, node, key_span)?,
                Some((name, key_span)) => insert(entries, index, name, key_span, node)?,
            },
        }
        Ok(())
    }

    fn span(&self, span: &EventSpan) -> Span {
        let start = self.offset(&span.start);
        let end = self.offset(&span.end).max(start);
        let line = span.start.line() as u32;
        Span {
            offset: start,
            len: end - start,
            line,
            column: span.start.col() as u32 + 1 + self.bom_column(line),
        }
    }

    /// The parser does not count a leading byte order mark as a column; editors do.
    fn bom_column(&self, line: u32) -> u32 {
        u32::from(line == 1 && self.text.starts_with('\u{feff}'))
    }

    fn offset(&self, marker: &Marker) -> usize {
        match marker.byte_offset() {
            Some(offset) if offset <= self.text.len() => offset,
            _ => {
                let line = marker.line() as u32;
                offset_of(
                    self.text,
                    line,
                    marker.col() as u32 + 1 + self.bom_column(line),
                )
            }
        }
    }

    fn scan_error(&self, error: &serde_saphyr::granit_parser::ScanError) -> Box<Diagnostic> {
        let marker = error.marker();
        let offset = self.offset(marker);
        let len = self.text[offset..].chars().next().map_or(0, char::len_utf8);
        let line = marker.line() as u32;
        let span = Span {
            offset,
            len,
            line,
            column: marker.col() as u32 + 1 + self.bom_column(line),
        };
        let message = error.info();
        if message.contains("limit") {
            // The scanner's own bounds (flow nesting, key length) are safety limits too.
            return limit(span, message);
        }
        let mut d = syntax(span, message.clone());
        if message.contains("quoted scalar")
            && let Some(quote) = unclosed_quote_before(self.text, offset)
        {
            // The scanner notices an unclosed quote only where the text stops making sense;
            // point at the quote that was opened, and keep where it was noticed as context.
            let quote_span = Span {
                offset: quote,
                len: 1,
                line: self.text[..quote].matches('\n').count() as u32 + 1,
                column: self.text[..quote]
                    .rsplit('\n')
                    .next()
                    .map_or(0, |l| l.chars().count()) as u32
                    + 1,
            };
            d = Box::new(
                Diagnostic::error(
                    "score::yaml::syntax",
                    "invalid YAML: this quoted string is never closed",
                )
                .at("", quote_span)
                .with_label("opened here")
                .with_related(span, "the YAML reader gave up here")
                .with_help("add the closing quote at the end of the value"),
            );
        }
        d
    }
}

/// The text of a key node. Keys are read as text, so only an alias can bring a typed scalar
/// here; it is written back as text.
fn key_text(node: Node) -> Result<(String, Span), Box<Diagnostic>> {
    let span = node.span;
    let text = match node.value {
        Value::String(s) => s,
        Value::Map(_) | Value::Seq(_) => {
            return Err(syntax(
                span,
                "a mapping or sequence cannot be used as a key".into(),
            ));
        }
        other => Node::new(other, span).to_json().to_string(),
    };
    Ok((text, span))
}

/// `!!binary`: base64 that must decode to UTF-8 text, as every Score value is text.
fn decode_binary(text: &str, span: Span) -> Result<Value, Box<Diagnostic>> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| syntax(span, "a `!!binary` value is not valid base64".into()))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        let d = syntax(
            span,
            "a `!!binary` value does not decode to UTF-8 text".into(),
        );
        Box::new(
            d.with_help("for binary file content, use a file's `binaryContent` with base64 text"),
        )
    })
}

fn insert(
    entries: &mut Vec<Entry>,
    index: &mut Option<HashSet<String>>,
    key: String,
    key_span: Span,
    value: Node,
) -> Result<(), Box<Diagnostic>> {
    let duplicate = match index {
        Some(index) => !index.insert(key.clone()),
        None => entries.iter().any(|e| e.key == key),
    };
    if duplicate {
        let first = entries.iter().find(|e| e.key == key).map(|e| e.key_span);
        let mut d = Diagnostic::error(
            "score::yaml::duplicate-key",
            format!("duplicate key `{key}`: a mapping may name each key only once"),
        )
        .at("", key_span)
        .with_label("second time")
        .with_help(
            "remove or rename one of the two entries; YAML readers disagree on which one wins",
        );
        if let Some(first) = first {
            d = d.with_related(first, "first time");
        }
        return Err(Box::new(d));
    }
    if index.is_none() && entries.len() >= LINEAR_KEY_SCAN {
        let mut set: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
        set.insert(key.clone());
        *index = Some(set);
    }
    entries.push(Entry {
        key,
        key_span,
        value,
    });
    Ok(())
}

/// `<<: *base` (or a list of them): copies entries the mapping does not define itself.
fn merge(
    entries: &mut Vec<Entry>,
    index: &mut Option<HashSet<String>>,
    value: Node,
    key_span: Span,
) -> Result<(), Box<Diagnostic>> {
    let sources = match value.value {
        Value::Map(source) => vec![source],
        Value::Seq(items) => items
            .into_iter()
            .map(|item| match item.value {
                Value::Map(source) => Ok(source),
                _ => Err(()),
            })
            .collect::<Result<_, _>>()
            .map_err(|()| merge_error(key_span))?,
        _ => return Err(merge_error(key_span)),
    };
    for source in sources {
        for entry in source {
            if !entries.iter().any(|e| e.key == entry.key) {
                if let Some(index) = index {
                    index.insert(entry.key.clone());
                }
                entries.push(entry);
            }
        }
    }
    Ok(())
}

fn merge_error(span: Span) -> Box<Diagnostic> {
    syntax(
        span,
        "a merge key `<<` needs a mapping or a list of mappings".into(),
    )
}

fn node_count(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(node_count).sum(),
        Value::Map(entries) => entries.iter().map(|e| node_count(&e.value)).sum(),
        _ => 0,
    }
}

fn syntax(span: Span, message: String) -> Box<Diagnostic> {
    let message = message.lines().next().unwrap_or_default().to_owned();
    Box::new(
        Diagnostic::error("score::yaml::syntax", format!("invalid YAML: {message}"))
            .at("", span)
            .with_label("here"),
    )
}

fn limit(span: Span, what: String) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            "score::input::limit",
            format!("the document exceeds a safety limit: {what}"),
        )
        .at("", span)
        .with_label("limit reached here")
        .with_help("a workload needs neither deep nesting nor many aliases; simplify the document"),
    )
}

/// Types a plain scalar the way YAML 1.1 readers do (PyYAML, Kubernetes' reader).
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Value::String(text.to_owned());
    }
    if let Some(i) = resolve_int(text) {
        return Value::Int(i);
    }
    let numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'));
    // A YAML 1.1 float has a dot (`1e3` and `0999` are strings there).
    if numeric
        && text.contains('.')
        && text.bytes().any(|b| b.is_ascii_digit())
        && let Ok(f) = text.replace('_', "").parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::String(text.to_owned())
}

fn resolve_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || digits.contains("__") {
        return None;
    }
    let digits = digits.replace('_', "");
    let (radix, body) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(octal) = digits.strip_prefix("0o") {
        (8, octal)
    } else if let Some(binary) = digits.strip_prefix("0b") {
        (2, binary)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..]) // YAML 1.1: a leading zero means octal
    } else {
        (10, digits.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(body, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// The offset of the last quote before `offset` that opens a string never closed on its line.
fn unclosed_quote_before(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    let mut line_start = before.len();
    for line in before.rsplit('\n') {
        line_start -= line.len();
        let mut open: Option<(usize, char)> = None;
        for (i, c) in line.char_indices() {
            match (open, c) {
                (None, '"' | '\'') => {
                    // A quote only opens a string at the start of a value.
                    let prefix = line[..i].trim_end();
                    if prefix.is_empty()
                        || prefix.ends_with(':')
                        || prefix.ends_with('-')
                        || prefix.ends_with('[')
                        || prefix.ends_with(',')
                        || prefix.ends_with('{')
                    {
                        open = Some((i, c));
                    }
                }
                (Some((_, q)), c) if c == q => open = None,
                _ => {}
            }
        }
        if let Some((i, _)) = open {
            return Some(line_start + i);
        }
        line_start = line_start.saturating_sub(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_are_typed_like_yaml_1_1() {
        assert_eq!(resolve_plain("yes"), Value::Bool(true));
        assert_eq!(resolve_plain("Off"), Value::Bool(false));
        assert_eq!(resolve_plain("0644"), Value::Int(0o644));
        assert_eq!(resolve_plain("8080"), Value::Int(8080));
        assert_eq!(resolve_plain("-12"), Value::Int(-12));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("1.5"), Value::Float(1.5));
        assert_eq!(resolve_plain("~"), Value::Null);
        assert_eq!(resolve_plain("1.5Gi"), Value::String("1.5Gi".into()));
        assert_eq!(resolve_plain("250m"), Value::String("250m".into()));
        assert_eq!(resolve_plain("1.2.3"), Value::String("1.2.3".into()));
        assert_eq!(resolve_plain("inf"), Value::String("inf".into()));
        assert_eq!(resolve_plain("0999"), Value::String("0999".into()));
        assert_eq!(resolve_plain("y"), Value::String("y".into()));
    }

    #[test]
    fn an_unclosed_quote_is_found_on_its_line() {
        let text = "a: 1\nb: \"open\nc: 2\n";
        assert_eq!(unclosed_quote_before(text, text.len() - 1), Some(8));
        assert_eq!(unclosed_quote_before("a: \"ok\"\nb: x", 10), None);
    }
}
