//! Source files and locations inside them.

use std::fmt;
use std::sync::Arc;

use miette::{NamedSource, SourceCode};

/// The text of one input file together with the name it is reported under.
///
/// Cheap to clone: every diagnostic about a file shares one copy of its text.
#[derive(Clone)]
pub struct SourceFile(Arc<NamedSource<String>>);

impl SourceFile {
    /// Wraps `text` read from `name` (a path, or a label such as `<stdin>`).
    pub fn new(name: impl AsRef<str>, text: impl Into<String>) -> Self {
        SourceFile(Arc::new(NamedSource::new(name, text.into())))
    }

    /// The name the file is reported under.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        self.0.inner()
    }

    /// The text covered by `span`, or "" if the span does not fall on the text.
    pub fn slice(&self, span: Span) -> &str {
        self.text()
            .get(span.offset..span.offset + span.len)
            .unwrap_or("")
    }

    pub(crate) fn as_source_code(&self) -> &dyn SourceCode {
        &*self.0
    }
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SourceFile").field(&self.name()).finish()
    }
}

/// Where a node sits in its source file: a byte range plus the 1-based line and column
/// (counted in characters) of its start, as editors show them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the start in the file's text.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// 1-based line of the start; 0 for [`Span::UNKNOWN`].
    pub line: u32,
    /// 1-based column of the start, in characters.
    pub column: u32,
}

impl Span {
    /// A span that points at nothing in particular (used for synthesized values).
    pub const UNKNOWN: Span = Span {
        offset: 0,
        len: 0,
        line: 0,
        column: 0,
    };

    /// True for spans that do not come from a file.
    pub fn is_unknown(&self) -> bool {
        self.line == 0
    }

    /// A sub-span starting `start` bytes into this one and `len` bytes long, on the same line.
    ///
    /// Only meaningful when the bytes in between contain no line break, which is the caller's
    /// promise (it is used to point inside single-line scalars).
    pub fn narrow(&self, text: &str, start: usize, len: usize) -> Span {
        let prefix = text.get(self.offset..self.offset + start).unwrap_or("");
        Span {
            offset: self.offset + start,
            len,
            line: self.line,
            column: self.column + prefix.chars().count() as u32,
        }
    }
}

/// The byte offset of a 1-based line and 1-based character column, clamped to the text.
/// Lines end at `\n`, `\r\n` or a lone `\r`, as in YAML.
pub(crate) fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let bytes = text.as_bytes();
    let mut offset = 0;
    let mut current = 1;
    while current < line {
        match bytes[offset..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
        {
            Some(i) => {
                offset += i + 1;
                if bytes[offset - 1] == b'\r' && bytes.get(offset) == Some(&b'\n') {
                    offset += 1;
                }
                current += 1;
            }
            None => return text.len(),
        }
    }
    let rest = &text[offset..];
    let line_end = rest.find(['\n', '\r']).unwrap_or(rest.len());
    offset
        + rest[..line_end]
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(line_end, |(i, _)| i)
}

/// How many characters of a value a message quotes.
const EXCERPT_CHARS: usize = 80;

/// The start of `text`, with `…` when cut: values quoted in messages stay short.
pub(crate) fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
        None => text.into(),
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.offset, span.len).into()
    }
}
