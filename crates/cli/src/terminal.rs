//! Text from input files made safe to print: a Score file can hold escape sequences (raw, or
//! `"\e[31m"` in a quoted string) that a terminal or a CI log viewer would act on, to recolour,
//! retitle, clear or hide what is shown. At the printing edge each such character becomes a
//! visible stand-in (`␛` for ESC, `␇` for BEL, `�` for C1 controls and bidirectional
//! overrides); spans into a snippet's text are moved along, so underlines stay under the
//! characters they are about. Line and column numbers are the file's, untouched.

use std::borrow::Cow;

use score_spec::{Diagnostic, SourceFile, Span};

/// The stand-in for a character a terminal would act on; `None` for one printed as it is.
/// Tab and line feed are kept everywhere, carriage return in snippets only (`keep_cr`): it
/// ends a line there, as it does for line numbers.
fn stand_in(c: char, keep_cr: bool) -> Option<char> {
    match c {
        '\t' | '\n' => None,
        '\r' if keep_cr => None,
        // Control Pictures: U+2400 + the C0 code (␀ … ␟).
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('␡'),
        // C1 controls (U+009B is CSI) and the characters that reorder text on screen.
        '\u{80}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => Some('\u{fffd}'),
        _ => None,
    }
}

/// `text` with each control character replaced by its stand-in.
pub fn clean(text: &str) -> Cow<'_, str> {
    clean_with(text, false)
}

fn clean_with(text: &str, keep_cr: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| stand_in(c, keep_cr).is_some()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| stand_in(c, keep_cr).unwrap_or(c))
            .collect(),
    )
}

/// `diagnostic` ready to print: messages, labels, help, the file name and the snippet text
/// cleaned, spans moved to match the cleaned text.
pub fn diagnostic(diagnostic: &Diagnostic) -> Diagnostic {
    let mut out = diagnostic.clone();
    out.message = clean(&out.message).into_owned();
    out.help = out.help.map(|h| clean(&h).into_owned());
    out.label = out.label.map(|l| clean(&l).into_owned());
    for label in &mut out.related {
        label.text = clean(&label.text).into_owned();
    }
    let Some(source) = &diagnostic.source else {
        return out;
    };
    let name = clean(source.name());
    let text = clean_with(source.text(), true);
    if matches!((&name, &text), (Cow::Borrowed(_), Cow::Borrowed(_))) {
        return out;
    }
    let shifts = Shifts::of(source.text());
    out.source = Some(SourceFile::new(name, text.into_owned()));
    out.span = out.span.map(|s| shifts.span(s));
    for label in &mut out.related {
        label.span = shifts.span(label.span);
    }
    out
}

/// Where cleaning a text moves byte offsets: after each replaced character, how many bytes
/// longer the cleaned text is up to there.
struct Shifts(Vec<(usize, isize)>);

impl Shifts {
    fn of(text: &str) -> Self {
        let mut shifts = Vec::new();
        let mut total = 0isize;
        for (at, c) in text.char_indices() {
            if let Some(s) = stand_in(c, true) {
                total += s.len_utf8() as isize - c.len_utf8() as isize;
                shifts.push((at + c.len_utf8(), total));
            }
        }
        Shifts(shifts)
    }

    /// The cleaned text's offset for `offset` in the original (a character boundary).
    fn offset(&self, offset: usize) -> usize {
        let before = self.0.partition_point(|&(end, _)| end <= offset);
        let shift = before.checked_sub(1).map_or(0, |i| self.0[i].1);
        offset.saturating_add_signed(shift)
    }

    fn span(&self, span: Span) -> Span {
        let start = self.offset(span.offset);
        let end = self.offset(span.offset + span.len);
        Span {
            offset: start,
            len: end - start,
            ..span
        }
    }
}

/// JSON text (as serde_json writes it) with the characters it leaves raw that a terminal acts
/// on (DEL, C1 controls, bidirectional overrides) written as `\uXXXX` escapes: the same JSON
/// value. They can only occur inside strings, where such an escape means the character.
pub fn json(text: String) -> String {
    if !text.chars().any(|c| stand_in(c, false).is_some()) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if stand_in(c, false).is_some() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_stand_ins() {
        assert_eq!(
            clean("a\x1b[31mb\x07\u{9b}\u{202e}\t\n\r"),
            "a␛[31mb␇\u{fffd}\u{fffd}\t\n␍"
        );
        assert!(matches!(clean("plain ✓ text"), Cow::Borrowed(_)));
    }

    #[test]
    fn spans_follow_the_stand_ins() {
        let text = "a: \x1b\x1bxy\n";
        let shifts = Shifts::of(text);
        // `x` is at byte 5; each ESC (1 byte) became ␛ (3 bytes).
        let span = Span {
            offset: 5,
            len: 2,
            line: 1,
            column: 6,
        };
        let moved = shifts.span(span);
        let cleaned = clean_with(text, true);
        assert_eq!(&cleaned[moved.offset..moved.offset + moved.len], "xy");
        assert_eq!((moved.line, moved.column), (1, 6));
        // A span over a control covers its stand-in.
        let esc = shifts.span(Span {
            offset: 3,
            len: 1,
            ..span
        });
        assert_eq!(&cleaned[esc.offset..esc.offset + esc.len], "␛");
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw() {
        let value = serde_json::json!({"m": "a\u{7f}\u{9b}\u{202e}b\x1b"});
        let text = json(serde_json::to_string(&value).unwrap());
        assert!(text.is_ascii(), "{text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }
}
