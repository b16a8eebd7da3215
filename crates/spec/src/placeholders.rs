//! Score placeholder syntax: `${metadata.name}`, `${resources.db.host}`, ...
//!
//! The rules, following the Score specification and its reference implementations:
//!
//! - `${REF}` is a placeholder. `REF` is everything up to the first `}` (no nesting) and is
//!   split on `.` into keys. `\.` is a literal dot inside a key; a backslash before any other
//!   character is kept as is.
//! - `$$` is an escaped `$`, everywhere: `$${x}` is the literal text `${x}`.
//! - A lone `$`, `$VAR`, `$(VAR)` and a `${` with no `}` after it are literal text.
//! - `${}`, a reference made only of whitespace, and a reference with an empty key
//!   (`${a..b}`, `${.a}`, `${a.}`) are syntax errors. Their text is kept as a literal and
//!   parsing goes on, so that every error in a string is reported.
//!
//! [`parse`] makes a single left-to-right pass over the bytes of the input. Every character
//! the parser reacts to is ASCII, so every byte range it reports lies on char boundaries.

use std::fmt;
use std::ops::Range;

/// One piece of a string that may contain placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text, with `$$` escapes already turned into `$`.
    Literal(String),
    /// A `${...}` reference.
    Placeholder(Placeholder),
}

/// A well-formed `${...}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The keys after splitting on unescaped `.`, with `\.` turned into `.`.
    pub keys: Vec<String>,
    /// Byte range of the whole `${...}` in the input string.
    pub range: Range<usize>,
}

impl Placeholder {
    /// The reference as written between `${` and `}` (for messages).
    ///
    /// `input` must be the string this placeholder was parsed from; for any other string the
    /// result is unspecified (but this never panics).
    pub fn source<'a>(&self, input: &'a str) -> &'a str {
        let start = self.range.start.saturating_add(2);
        let end = self.range.end.saturating_sub(1);
        input.get(start..end).unwrap_or("")
    }

    /// The first key (`metadata`, `resources`, ...), or "" if none.
    pub fn root(&self) -> &str {
        self.keys.first().map_or("", String::as_str)
    }
}

/// What a placeholder root of Humanitec's older workload format meant, and what to write in
/// Score instead; `None` for any other root. Files converted from Humanitec deployment sets
/// (and early Score drafts) still carry them; no Score implementation resolves them.
pub fn legacy_root_help(root: &str) -> Option<&'static str> {
    Some(match root {
        "externals" => {
            "`${externals.ID.OUTPUT}` is Humanitec's placeholder for an output of a resource private to the workload; in Score, declare it under `resources:` and write `${resources.NAME.OUTPUT}` instead"
        }
        "shared" => {
            "`${shared.ID.OUTPUT}` is Humanitec's placeholder for an output of a resource shared between the workloads of an application; in Score, declare it under `resources:` with an `id` (the same in every workload sharing it) and write `${resources.NAME.OUTPUT}` instead"
        }
        "pod" => {
            "`${pod.…}` is Humanitec's placeholder for fields of the running pod (the Kubernetes downward API); Score has no equivalent, since the values exist only once the pod runs: read them in the container (e.g. `$HOSTNAME` is the pod name) or set them outside Score"
        }
        "modules" => {
            "`${modules.WORKLOAD.service.name}` is Humanitec's placeholder for another workload's host name; in Score, declare a resource `type: service` with `params: {workload: WORKLOAD}` and write `${resources.NAME.name}`"
        }
        "values" => {
            "`${values.KEY}` is Humanitec's placeholder for an application value or secret; in Score, declare a resource that provides it (e.g. `type: environment`) and write `${resources.NAME.KEY}`"
        }
        _ => return None,
    })
}

/// A malformed `${...}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong with it.
    pub kind: SyntaxErrorKind,
    /// Byte range of the offending `${...}` in the input string.
    pub range: Range<usize>,
}

/// The kinds of placeholder syntax errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// `${}`, or a reference made only of whitespace such as `${ }`.
    EmptyReference,
    /// A reference with an empty key: `${a..b}`, `${.a}` or `${a.}`.
    EmptyKey,
}

impl fmt::Display for SyntaxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyntaxErrorKind::EmptyReference => "it names nothing",
            SyntaxErrorKind::EmptyKey => {
                "it has an empty key (two dots in a row, or a leading or trailing dot)"
            }
        })
    }
}

/// The parsed form of a string: its segments (adjacent literals merged) and any syntax errors.
///
/// Literal segments are never empty and never adjacent to each other.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    /// The pieces of the string, in order.
    pub segments: Vec<Segment>,
    /// Syntax errors, in order of appearance.
    pub errors: Vec<SyntaxError>,
}

impl Template {
    /// Iterate over the placeholders only.
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Placeholder(placeholder) => Some(placeholder),
            Segment::Literal(_) => None,
        })
    }

    /// True when the string has no placeholder at all (only literal text).
    ///
    /// Malformed placeholders are kept as literal text, so a string whose only `${...}` are
    /// syntax errors is literal too; check [`Template::errors`] as well where that matters.
    pub fn is_literal(&self) -> bool {
        self.segments
            .iter()
            .all(|segment| matches!(segment, Segment::Literal(_)))
    }

    /// Substitute: call `resolve` for each placeholder; its `Ok(String)` is spliced in.
    /// Returns the first error `resolve` returns. Literal segments are copied (already
    /// unescaped).
    pub fn render<E>(
        &self,
        mut resolve: impl FnMut(&Placeholder) -> Result<String, E>,
    ) -> Result<String, E> {
        if let [Segment::Literal(text)] = self.segments.as_slice() {
            return Ok(text.clone());
        }
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.push_str(text),
                Segment::Placeholder(placeholder) => out.push_str(&resolve(placeholder)?),
            }
        }
        Ok(out)
    }
}

/// Parse `input`. Never panics, for any input (including non-ASCII and multibyte characters:
/// ranges are byte ranges on char boundaries).
///
/// ```
/// use score_spec::placeholders::{parse, Segment};
///
/// let input = "https://${resources.db.host}:$${PORT}";
/// let template = parse(input);
/// assert!(template.errors.is_empty());
///
/// let placeholders: Vec<_> = template.placeholders().collect();
/// assert_eq!(placeholders.len(), 1);
/// assert_eq!(placeholders[0].keys, ["resources", "db", "host"]);
/// assert_eq!(placeholders[0].root(), "resources");
/// assert_eq!(placeholders[0].source(input), "resources.db.host");
/// assert_eq!(placeholders[0].range, 8..28);
/// assert_eq!(template.segments[2], Segment::Literal(":${PORT}".to_owned()));
///
/// let rendered = template.render(|p| Ok::<_, ()>(format!("<{}>", p.keys.join("/"))));
/// assert_eq!(rendered.unwrap(), "https://<resources/db/host>:${PORT}");
/// ```
pub fn parse(input: &str) -> Template {
    if !may_contain_placeholders(input) {
        let segments = if input.is_empty() {
            Vec::new()
        } else {
            vec![Segment::Literal(input.to_owned())]
        };
        return Template {
            segments,
            errors: Vec::new(),
        };
    }

    let bytes = input.as_bytes();
    let mut template = Template::default();
    // Unescaped literal text collected since the last placeholder.
    let mut literal = String::new();
    // Start of the input text not yet copied into `literal`.
    let mut pending = 0;
    // Set once a `${` has no `}` after it: no later `${` can have one either, so this keeps
    // the pass linear for inputs with many unclosed `${`.
    let mut no_close_left = false;
    let mut i = 0;

    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => {
                // `$$`: keep the first `$`, drop the second.
                literal.push_str(&input[pending..=i]);
                pending = i + 2;
                i += 2;
            }
            Some(b'{') if !no_close_left => {
                let ref_start = i + 2;
                let Some(len) = bytes[ref_start..].iter().position(|&b| b == b'}') else {
                    // Unclosed: the `$` and `{` are literal text.
                    no_close_left = true;
                    i += 2;
                    continue;
                };
                let ref_end = ref_start + len;
                let range = i..ref_end + 1;
                match split_keys(&input[ref_start..ref_end]) {
                    Ok(keys) => {
                        literal.push_str(&input[pending..i]);
                        if !literal.is_empty() {
                            template
                                .segments
                                .push(Segment::Literal(std::mem::take(&mut literal)));
                        }
                        template
                            .segments
                            .push(Segment::Placeholder(Placeholder { keys, range }));
                        pending = ref_end + 1;
                    }
                    // The original text stays in the pending literal text.
                    Err(kind) => template.errors.push(SyntaxError { kind, range }),
                }
                i = ref_end + 1;
            }
            // A lone `$`, `$VAR`, `$(VAR)`, or `${` known to be unclosed: literal.
            _ => i += 1,
        }
    }

    literal.push_str(&input[pending..]);
    if !literal.is_empty() {
        template.segments.push(Segment::Literal(literal));
    }
    template
}

/// True when `key` is a variable name Compose and POSIX shells accept,
/// `[A-Za-z_][A-Za-z0-9_]*`: what a key of an `environment` resource must be (it names a
/// variable of the environment the workload runs in).
///
/// ```
/// use score_spec::placeholders::is_variable_name;
/// assert!(is_variable_name("API_KEY") && is_variable_name("_x9"));
/// assert!(!is_variable_name("A:-x") && !is_variable_name("1ST") && !is_variable_name(""));
/// ```
pub fn is_variable_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The help of a key of an `environment` resource that is not a variable name.
pub const VARIABLE_NAME_HELP: &str = "a key of an `environment` resource is the name of an environment variable: letters, digits and `_`, not starting with a digit (`[A-Za-z_][A-Za-z0-9_]*`), which Compose and shells accept. Score has no default-value syntax (`:-` would become Compose's); write e.g. `${resources.env.API_KEY}`";

/// `text` written so that [`parse`] reads it back as that literal text: every `$` doubled.
///
/// ```
/// use score_spec::placeholders::{escape, parse};
///
/// assert_eq!(escape("${HOME} costs $5"), "$${HOME} costs $$5");
/// let template = parse(&escape("${HOME}"));
/// assert!(template.is_literal() && template.errors.is_empty());
/// assert_eq!(template.render(|_| Err(())), Ok("${HOME}".to_owned()));
/// ```
pub fn escape(text: &str) -> String {
    text.replace('$', "$$")
}

/// Quick check used on hot paths: true if `input` contains `$` at all (if not, parse would
/// return one literal).
pub fn may_contain_placeholders(input: &str) -> bool {
    input.as_bytes().contains(&b'$')
}

/// Split the text between `${` and `}` into keys.
fn split_keys(reference: &str) -> Result<Vec<String>, SyntaxErrorKind> {
    if reference.trim().is_empty() {
        return Err(SyntaxErrorKind::EmptyReference);
    }
    let bytes = reference.as_bytes();
    let mut keys = Vec::new();
    let mut key = String::new();
    // Start of the reference text not yet copied into `key`.
    let mut pending = 0;
    let mut j = 0;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' if bytes.get(j + 1) == Some(&b'.') => {
                key.push_str(&reference[pending..j]);
                key.push('.');
                pending = j + 2;
                j += 2;
            }
            b'.' => {
                key.push_str(&reference[pending..j]);
                if key.is_empty() {
                    return Err(SyntaxErrorKind::EmptyKey);
                }
                keys.push(std::mem::take(&mut key));
                pending = j + 1;
                j += 1;
            }
            _ => j += 1,
        }
    }
    key.push_str(&reference[pending..]);
    if key.is_empty() {
        return Err(SyntaxErrorKind::EmptyKey);
    }
    keys.push(key);
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(text: &str) -> Segment {
        Segment::Literal(text.to_owned())
    }

    fn ph(keys: &[&str], range: Range<usize>) -> Segment {
        Segment::Placeholder(Placeholder {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            range,
        })
    }

    fn err(kind: SyntaxErrorKind, range: Range<usize>) -> SyntaxError {
        SyntaxError { kind, range }
    }

    /// Parse and check there are no errors; return the segments.
    fn ok(input: &str) -> Vec<Segment> {
        let template = parse(input);
        assert_eq!(template.errors, [], "unexpected errors for {input:?}");
        template.segments
    }

    #[test]
    fn empty_input_has_no_segments() {
        assert_eq!(parse(""), Template::default());
        assert!(parse("").is_literal());
    }

    #[test]
    fn plain_text_is_one_literal() {
        assert_eq!(ok("hello world"), [lit("hello world")]);
        assert_eq!(ok("{a.b} \\. }"), [lit("{a.b} \\. }")]);
        assert!(!may_contain_placeholders("no dollars {here}"));
        assert!(may_contain_placeholders("a$b"));
    }

    #[test]
    fn simple_placeholder() {
        assert_eq!(ok("${metadata.name}"), [ph(&["metadata", "name"], 0..16)]);
        assert_eq!(ok("${a}"), [ph(&["a"], 0..4)]);
    }

    #[test]
    fn placeholder_with_surrounding_text() {
        assert_eq!(
            ok("pre-${resources.db.host}-post"),
            [
                lit("pre-"),
                ph(&["resources", "db", "host"], 4..24),
                lit("-post")
            ]
        );
    }

    #[test]
    fn multiple_placeholders() {
        assert_eq!(
            ok("${a}${b.c} and ${d}"),
            [
                ph(&["a"], 0..4),
                ph(&["b", "c"], 4..10),
                lit(" and "),
                ph(&["d"], 15..19),
            ]
        );
    }

    #[test]
    fn escaped_dot_in_key() {
        let input = r"${metadata.annotations.example\.com/team}";
        assert_eq!(
            ok(input),
            [ph(
                &["metadata", "annotations", "example.com/team"],
                0..input.len()
            )]
        );
        assert_eq!(ok(r"${a\.b\.c}"), [ph(&["a.b.c"], 0..10)]);
        assert_eq!(ok(r"${\.}"), [ph(&["."], 0..5)]);
        assert_eq!(ok(r"${a.\.b}"), [ph(&["a", ".b"], 0..8)]);
        assert_eq!(ok(r"${a\.}"), [ph(&["a."], 0..6)]);
    }

    #[test]
    fn backslash_before_other_chars_is_kept() {
        assert_eq!(ok(r"${a\b.c}"), [ph(&[r"a\b", "c"], 0..8)]);
        assert_eq!(ok(r"${a\}"), [ph(&[r"a\"], 0..5)]);
        assert_eq!(ok(r"${\}"), [ph(&[r"\"], 0..4)]);
        // The second backslash still escapes the dot.
        assert_eq!(ok(r"${a\\.b}"), [ph(&[r"a\.b"], 0..8)]);
        // Backslashes outside placeholders are plain text.
        assert_eq!(ok(r"a\.b\${x}"), [lit(r"a\.b\"), ph(&["x"], 5..9)]);
    }

    #[test]
    fn double_dollar_is_an_escape() {
        assert_eq!(ok("$$"), [lit("$")]);
        assert_eq!(ok("$$$$"), [lit("$$")]);
        assert_eq!(ok("$${x}"), [lit("${x}")]);
        assert_eq!(ok("$$(VAR)"), [lit("$(VAR)")]);
        assert_eq!(ok("a$$b"), [lit("a$b")]);
        assert_eq!(ok("$$${a}"), [lit("$"), ph(&["a"], 2..6)]);
        assert_eq!(ok("$$$${a}"), [lit("$${a}")]);
        assert_eq!(ok("x$${a}${b}"), [lit("x${a}"), ph(&["b"], 6..10)]);
    }

    #[test]
    fn lone_dollars_are_literal() {
        assert_eq!(ok("$"), [lit("$")]);
        assert_eq!(ok("cost: 5$"), [lit("cost: 5$")]);
        assert_eq!(ok("$VAR"), [lit("$VAR")]);
        assert_eq!(ok("$(VAR)"), [lit("$(VAR)")]);
        assert_eq!(ok("echo $HOME $(pwd) $"), [lit("echo $HOME $(pwd) $")]);
        assert_eq!(ok("${a}$"), [ph(&["a"], 0..4), lit("$")]);
        assert_eq!(ok("$${a}$"), [lit("${a}$")]);
        assert_eq!(ok("$$$"), [lit("$$")]);
    }

    #[test]
    fn unclosed_reference_is_literal() {
        assert_eq!(ok("${a.b"), [lit("${a.b")]);
        assert_eq!(ok("x ${a.b"), [lit("x ${a.b")]);
        assert_eq!(ok("${"), [lit("${")]);
        assert_eq!(ok("${a}${b"), [ph(&["a"], 0..4), lit("${b")]);
        assert_eq!(ok("${a ${b ${c"), [lit("${a ${b ${c")]);
        // `$$` is an escape everywhere, also after an unclosed `${`.
        assert_eq!(ok("${a $$ b"), [lit("${a $ b")]);
    }

    #[test]
    fn reference_closes_at_first_brace() {
        assert_eq!(ok("${a${b}}"), [ph(&["a${b"], 0..7), lit("}")]);
        assert_eq!(ok("${a}}"), [ph(&["a"], 0..4), lit("}")]);
        assert_eq!(ok("${a{b}"), [ph(&["a{b"], 0..6)]);
        // Any text up to the first `}` is the reference.
        assert_eq!(ok("${a $x}"), [ph(&["a $x"], 0..7)]);
    }

    #[test]
    fn empty_reference_errors() {
        let template = parse("${}");
        assert_eq!(template.segments, [lit("${}")]);
        assert_eq!(
            template.errors,
            [err(SyntaxErrorKind::EmptyReference, 0..3)]
        );
        assert!(template.is_literal());

        let template = parse("a ${  } b ${\t}");
        assert_eq!(template.segments, [lit("a ${  } b ${\t}")]);
        assert_eq!(
            template.errors,
            [
                err(SyntaxErrorKind::EmptyReference, 2..7),
                err(SyntaxErrorKind::EmptyReference, 10..14),
            ]
        );
    }

    #[test]
    fn empty_key_errors() {
        for (input, range) in [
            ("${metadata..x}", 0..14),
            ("${.x}", 0..5),
            ("${x.}", 0..5),
            ("${.}", 0..4),
            ("ab${x..}", 2..8),
        ] {
            let template = parse(input);
            assert_eq!(template.segments, [lit(input)], "{input:?}");
            assert_eq!(
                template.errors,
                [err(SyntaxErrorKind::EmptyKey, range)],
                "{input:?}"
            );
        }
    }

    #[test]
    fn errors_do_not_stop_parsing() {
        let input = "${a..b}-${ok}-${}-$${x}-${.c}";
        let template = parse(input);
        assert_eq!(
            template.segments,
            [lit("${a..b}-"), ph(&["ok"], 8..13), lit("-${}-${x}-${.c}")]
        );
        assert_eq!(
            template.errors,
            [
                err(SyntaxErrorKind::EmptyKey, 0..7),
                err(SyntaxErrorKind::EmptyReference, 14..17),
                err(SyntaxErrorKind::EmptyKey, 24..29),
            ]
        );
        assert!(!template.is_literal());
    }

    #[test]
    fn multibyte_text_around_placeholders() {
        let input = "héllo ${métadata.nàme} wörld ${日本.語}€";
        let template = parse(input);
        assert_eq!(template.errors, []);
        let start1 = input.find("${m").unwrap();
        let end1 = input.find('}').unwrap() + 1;
        let start2 = input.find("${日").unwrap();
        let end2 = input.rfind('}').unwrap() + 1;
        assert_eq!(
            template.segments,
            [
                lit("héllo "),
                ph(&["métadata", "nàme"], start1..end1),
                lit(" wörld "),
                ph(&["日本", "語"], start2..end2),
                lit("€"),
            ]
        );
        let placeholders: Vec<_> = template.placeholders().collect();
        assert_eq!(placeholders[0].source(input), "métadata.nàme");
        assert_eq!(placeholders[1].source(input), "日本.語");
        assert_eq!(&input[placeholders[1].range.clone()], "${日本.語}");

        let template = parse("é${é..é}é");
        assert_eq!(template.segments, [lit("é${é..é}é")]);
        assert_eq!(template.errors, [err(SyntaxErrorKind::EmptyKey, 2..11)]);
    }

    #[test]
    fn source_and_root() {
        let input = r"x ${resources.db\.main.host}";
        let template = parse(input);
        let placeholder = template.placeholders().next().unwrap();
        assert_eq!(placeholder.source(input), r"resources.db\.main.host");
        assert_eq!(placeholder.root(), "resources");
        assert_eq!(placeholder.keys, ["resources", "db.main", "host"]);

        let empty = Placeholder {
            keys: Vec::new(),
            range: 0..0,
        };
        assert_eq!(empty.root(), "");
        assert_eq!(empty.source(input), "");
        // A mismatched input never panics.
        assert_eq!(placeholder.source("short"), "");
        assert_eq!(placeholder.source("ééééééééééééééé"), "");
    }

    #[test]
    fn placeholders_and_is_literal() {
        let template = parse("${a} $${b} ${c.d}");
        let keys: Vec<_> = template.placeholders().map(|p| p.keys.join(".")).collect();
        assert_eq!(keys, ["a", "c.d"]);
        assert!(!template.is_literal());
        assert!(parse("$${a} $VAR").is_literal());
        assert_eq!(parse("plain").placeholders().count(), 0);
    }

    #[test]
    fn render_with_resolver() {
        let template = parse("postgres://${resources.db.user}@${resources.db.host}:$${PORT}");
        let rendered = template.render(|p| match p.keys.last().map(String::as_str) {
            Some("user") => Ok::<_, String>("alice".to_owned()),
            Some("host") => Ok("db.local".to_owned()),
            _ => Err(format!("unknown {:?}", p.keys)),
        });
        assert_eq!(rendered.unwrap(), "postgres://alice@db.local:${PORT}");

        // Literals only: the resolver is never called.
        let rendered = parse("a $$ b ${}").render(|_| -> Result<String, ()> { unreachable!() });
        assert_eq!(rendered.unwrap(), "a $ b ${}");
        assert_eq!(parse("").render(|_| Err::<String, ()>(())).unwrap(), "");
    }

    #[test]
    fn render_with_failing_resolver() {
        let template = parse("${a} ${b} ${c}");
        let mut calls = Vec::new();
        let result = template.render(|p| {
            calls.push(p.root().to_owned());
            if p.root() == "a" {
                Ok("A".to_owned())
            } else {
                Err(format!("cannot resolve {}", p.root()))
            }
        });
        assert_eq!(result, Err("cannot resolve b".to_owned()));
        // Stops at the first error.
        assert_eq!(calls, ["a", "b"]);
    }

    #[test]
    fn error_kind_messages() {
        assert_eq!(
            SyntaxErrorKind::EmptyReference.to_string(),
            "it names nothing"
        );
        assert!(SyntaxErrorKind::EmptyKey.to_string().contains("empty key"));
    }

    /// Deterministic xorshift generator, so the property test needs no crates.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn generated_strings_never_panic_and_ranges_are_sane() {
        const ALPHABET: [char; 7] = ['$', '{', '}', '.', '\\', 'a', 'é'];
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..500 {
            let len = rng.below(24);
            let input: String = (0..len)
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect();
            let template = parse(&input);

            let check = |range: &Range<usize>| {
                assert!(range.start < range.end, "{input:?}: empty range {range:?}");
                assert!(
                    range.end <= input.len(),
                    "{input:?}: {range:?} out of bounds"
                );
                assert!(input.is_char_boundary(range.start), "{input:?}: {range:?}");
                assert!(input.is_char_boundary(range.end), "{input:?}: {range:?}");
                let text = &input[range.clone()];
                assert!(text.starts_with("${") && text.ends_with('}'), "{input:?}");
            };

            let mut last_end = 0;
            let mut previous_was_literal = false;
            for segment in &template.segments {
                match segment {
                    Segment::Literal(text) => {
                        assert!(!text.is_empty(), "{input:?}: empty literal");
                        assert!(!previous_was_literal, "{input:?}: adjacent literals");
                        previous_was_literal = true;
                    }
                    Segment::Placeholder(p) => {
                        check(&p.range);
                        assert!(p.range.start >= last_end, "{input:?}: overlapping");
                        last_end = p.range.end;
                        assert!(!p.keys.is_empty() && p.keys.iter().all(|k| !k.is_empty()));
                        let _ = p.source(&input);
                        previous_was_literal = false;
                    }
                }
            }
            let mut last_end = 0;
            for error in &template.errors {
                check(&error.range);
                assert!(error.range.start >= last_end, "{input:?}: overlapping");
                last_end = error.range.end;
            }

            // Rendering each placeholder back as its original text gives the input with only
            // the `$$` escapes outside placeholders turned into `$`; so with no `$$` it is the
            // input itself.
            let rendered = template
                .render(|p| Ok::<_, ()>(input[p.range.clone()].to_owned()))
                .unwrap();
            if !input.contains("$$") {
                assert_eq!(rendered, input);
            }
            assert!(rendered.len() <= input.len());

            if !input.contains('$') {
                assert!(template.is_literal() && template.errors.is_empty());
            }
        }
    }
}
