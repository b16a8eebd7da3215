//! A located document tree: every value and every mapping key remembers where it was written.
//!
//! Parsing produces this tree first; schema validation, upgrades and semantic checks all work
//! on it, and the typed model keeps the spans it needs. Free-form parts of a workload
//! (`metadata`, resource `params`) stay as nodes so that later stages can still point at them.

use crate::source::Span;

/// One value of the document and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What was written.
    pub value: Value,
    /// Where it was written: the scalar, or the whole mapping or sequence.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
///
/// Plain (unquoted) scalars are typed as YAML 1.1 readers such as Kubernetes' type them:
/// `yes` is a boolean and `0644` an octal integer, which is why Score files must quote such
/// strings. Quoted scalars and mapping keys are always strings.
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// `true`/`false` (and the YAML 1.1 spellings `yes`, `no`, `on`, `off`).
    Bool(bool),
    /// An integer: decimal, `0x` hex, `0b` binary, or octal (`0o` or a leading zero, as YAML
    /// 1.1 reads it).
    Int(i64),
    /// A number with a fraction, or `.inf`/`.nan`.
    Float(f64),
    /// Text.
    String(String),
    /// A sequence, items in the order written.
    Seq(Vec<Node>),
    /// A mapping, entries in the order written (duplicate keys are rejected when parsing).
    Map(Vec<Entry>),
}

/// A mapping entry: the key (always text) with its own span, and the value node.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key, as text.
    pub key: String,
    /// Where the key was written, for diagnostics about the entry as a whole.
    pub key_span: Span,
    /// The value under the key.
    pub value: Node,
}

impl Node {
    /// A node holding `value`, written at `span` (use [`Span::UNKNOWN`] for a value that was
    /// not read from a file).
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The entry for `key`, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// A short name of the value's type, as JSON Schema names types.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::String(_) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "object",
        }
    }

    /// Finds the node at a JSON pointer (RFC 6901), with the span of the key that leads to it
    /// when its parent is a mapping. Returns `None` if the path does not exist.
    pub fn locate(&self, pointer: &str) -> Option<Located<'_>> {
        let mut here = Located {
            node: self,
            key_span: None,
        };
        if pointer.is_empty() || pointer == "/" {
            return Some(here);
        }
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = unescape_pointer_token(token);
            here = match &here.node.value {
                Value::Map(entries) => {
                    let entry = entries.iter().find(|e| e.key == token)?;
                    Located {
                        node: &entry.value,
                        key_span: Some(entry.key_span),
                    }
                }
                Value::Seq(items) => Located {
                    node: items.get(token.parse::<usize>().ok()?)?,
                    key_span: None,
                },
                _ => return None,
            };
        }
        Some(here)
    }

    /// Converts to a JSON value (for schema validation and for templates).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A node found by [`Node::locate`].
#[derive(Clone, Copy, Debug)]
pub struct Located<'a> {
    /// The node the pointer leads to.
    pub node: &'a Node,
    /// The span of the mapping key that names this node, if any.
    pub key_span: Option<Span>,
}

impl Located<'_> {
    /// The span a diagnostic about this node should underline: the value itself when it is a
    /// scalar written on the key's line, otherwise the key (a block mapping or a multi-line
    /// string has no better single place to point at), otherwise the value.
    pub fn primary_span(&self) -> Span {
        let scalar = !matches!(self.node.value, Value::Map(_) | Value::Seq(_));
        match self.key_span {
            Some(key) if !(scalar && self.node.span.line == key.line) => key,
            _ => self.node.span,
        }
    }
}

/// Escapes one JSON pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1")
    } else {
        token.to_owned()
    }
}

fn unescape_pointer_token(token: &str) -> String {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~")
    } else {
        token.to_owned()
    }
}

/// Joins a pointer and one more token.
pub fn pointer_join(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    out.push_str(&escape_pointer_token(token));
    out
}
