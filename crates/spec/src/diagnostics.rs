//! Problems found in a workload, each with a stable code, a location and, where a fix is
//! obvious, a help line.
//!
//! [`Diagnostic`] implements [`miette::Diagnostic`], so a front end renders it with a source
//! snippet; it also serializes to a flat JSON object for machines (`score validate --format json`).

use std::fmt;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::source::{SourceFile, Span};

/// How bad a diagnostic is. Errors make a workload invalid; warnings do not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth fixing (a deprecated form, a part a target cannot carry over), but the input can
    /// still be used.
    Warning,
    /// The workload cannot be used as written.
    Error,
}

impl Severity {
    /// The lower-case name used in text and JSON output: `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A secondary place a diagnostic points at, with a short note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The place to underline.
    pub span: Span,
    /// What that place has to do with the problem, shown next to it.
    pub text: String,
}

/// One problem in one file.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Stable identifier, e.g. `score::schema::type`. Codes never change meaning.
    pub code: &'static str,
    /// Whether the problem makes the workload invalid.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// JSON pointer (RFC 6901) of the node the problem is about; `""` for the whole document.
    pub pointer: String,
    /// The main place to look; `None` when the problem has no place (e.g. an unreadable file).
    pub span: Option<Span>,
    /// What to write at `span`, shown under the snippet.
    pub label: Option<String>,
    /// Further places that explain the problem (the other half of a cycle, a first definition).
    pub related: Vec<Label>,
    /// How to fix it, when that is clear.
    pub help: Option<String>,
    /// The file `span` and `related` point into, needed to show a snippet and the file name;
    /// the parse functions attach it to every diagnostic they return.
    pub source: Option<SourceFile>,
}

impl Diagnostic {
    /// An error with the given code and message, not yet placed anywhere.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            pointer: String::new(),
            span: None,
            label: None,
            related: Vec::new(),
            help: None,
            source: None,
        }
    }

    /// A warning with the given code and message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Places the diagnostic at a node.
    pub fn at(mut self, pointer: impl Into<String>, span: Span) -> Self {
        let pointer = pointer.into();
        // The whole document is `/`, as the reference schema tooling writes it.
        self.pointer = if pointer.is_empty() {
            "/".to_owned()
        } else {
            pointer
        };
        self.span = (!span.is_unknown()).then_some(span);
        self
    }

    /// Sets the text shown under the primary span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a secondary place with a note (the first definition, the other end of a cycle).
    /// A span that does not come from a file is dropped.
    pub fn with_related(mut self, span: Span, text: impl Into<String>) -> Self {
        if !span.is_unknown() {
            self.related.push(Label {
                span,
                text: text.into(),
            });
        }
        self
    }

    /// Sets the line that says how to fix the problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attaches the file the spans point into.
    pub fn with_source(mut self, source: &SourceFile) -> Self {
        self.source = Some(source.clone());
        self
    }

    /// True when the severity is [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The file name this diagnostic is about, if known.
    pub fn file(&self) -> Option<&str> {
        self.source.as_ref().map(SourceFile::name)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(SourceFile::as_source_code)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let primary = self
            .span
            .map(|span| miette::LabeledSpan::new_primary_with_span(self.label.clone(), span));
        let related = self
            .related
            .iter()
            .map(|l| miette::LabeledSpan::new_with_span(Some(l.text.clone()), l.span));
        Some(Box::new(primary.into_iter().chain(related)))
    }
}

/// The flat JSON form: code, severity, message, file, line, column, pointer, help.
impl Serialize for Diagnostic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Diagnostic", 8)?;
        s.serialize_field("code", self.code)?;
        s.serialize_field("severity", self.severity.as_str())?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("file", &self.file())?;
        s.serialize_field("line", &self.span.map(|s| s.line))?;
        s.serialize_field("column", &self.span.map(|s| s.column))?;
        s.serialize_field("pointer", &self.pointer)?;
        s.serialize_field("help", &self.help)?;
        s.end()
    }
}

/// All the diagnostics of one file, in source order.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// An empty list.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// Adds one diagnostic at the end.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Adds several diagnostics at the end.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// True when at least one diagnostic is an error, i.e. the input is invalid.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// True when there are no diagnostics at all, warnings included.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many diagnostics there are, warnings included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The diagnostics in their current order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Orders diagnostics that may come from several files: by file name, then position.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                (
                    d.file().map(str::to_owned),
                    d.span.map_or((0, 0), |s| (s.offset, s.len)),
                )
            };
            key(a).cmp(&key(b)).then_with(|| a.code.cmp(b.code))
        });
        self
    }

    /// Attaches `source` to every diagnostic and orders them by position, so that output is
    /// stable and reads top to bottom.
    pub(crate) fn finish(mut self, source: &SourceFile) -> Self {
        for d in &mut self.0 {
            d.source = Some(source.clone());
        }
        self.0.sort_by(|a, b| {
            let key = |d: &Diagnostic| {
                let span = d.span.map_or((0, 0), |s| (s.offset, s.len));
                (span, d.related.first().map(|l| l.span.offset))
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.pointer.cmp(&b.pointer))
                .then_with(|| a.code.cmp(b.code))
        });
        self
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            let (line, col) = d.span.map_or((0, 0), |s| (s.line, s.column));
            writeln!(
                f,
                "{}:{line}:{col}: {}[{}]: {}",
                d.file().unwrap_or("<input>"),
                d.severity.as_str(),
                d.code,
                d.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
