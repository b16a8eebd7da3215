//! Hostile and malformed inputs: the library must never panic or hang, every rejected input
//! gets at least one well-formed diagnostic, and every diagnostic location is consistent
//! with the text it points into.
//!
//! Two kinds of tests live here:
//!
//! * hand-written hostile cases (alias bombs, deep nesting, huge inputs, odd YAML features,
//!   broken files whose error line is known);
//! * a deterministic mutation sweep over every file of the shared corpus
//!   (`testdata/corpus`, a copy of the shared corpus).
//!
//! Nothing here measures time: boundedness is asserted through the limit diagnostics
//! (`score::input::*`, `score::yaml::*`).

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use score_spec::{
    Diagnostic, Diagnostics, Limits, ParseOptions, Parsed, SourceFile, Span, parse_workload,
    parse_workload_with,
};

const VALID: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: hello
containers:
  main:
    image: nginx:1.27
    variables:
      GREETING: hello from ${metadata.name}
";

// --- Checking diagnostics -----------------------------------------------------------------

/// The 1-based line and 1-based column (in chars) of byte `offset`, with YAML's line breaks:
/// `\n`, `\r\n` and a lone `\r`.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let (mut line, mut column) = (1u32, 1u32);
    let mut after_cr = false;
    for c in text[..offset].chars() {
        match c {
            '\n' if after_cr => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
        after_cr = c == '\r';
    }
    (line, column)
}

/// Codes whose diagnostics legitimately have no place in the text.
fn may_lack_span(code: &str) -> bool {
    matches!(code, "score::input::too-large" | "score::input::empty")
}

fn check_span(text: &str, span: Span, what: &str) -> Result<(), String> {
    let end = span.offset.checked_add(span.len);
    match end {
        Some(end) if end <= text.len() => {}
        _ => {
            return Err(format!(
                "{what} {span:?} lies outside the {}-byte input",
                text.len()
            ));
        }
    }
    if !text.is_char_boundary(span.offset) || !text.is_char_boundary(span.offset + span.len) {
        return Err(format!("{what} {span:?} is not on char boundaries"));
    }
    let (line, column) = line_col(text, span.offset);
    if (span.line, span.column) != (line, column) {
        return Err(format!(
            "{what} {span:?} says line {} column {}, but its offset is at line {line} column {column}",
            span.line, span.column
        ));
    }
    Ok(())
}

fn check_diagnostic(text: &str, d: &Diagnostic) -> Result<(), String> {
    if d.code.is_empty() {
        return Err(format!("empty code (message {:?})", d.message));
    }
    if d.message.trim().is_empty() {
        return Err(format!("{}: empty message", d.code));
    }
    match d.span {
        Some(span) => check_span(text, span, &format!("{}: span", d.code))?,
        None if may_lack_span(d.code) => {}
        None => return Err(format!("{}: no span ({})", d.code, d.message)),
    }
    for label in &d.related {
        check_span(text, label.span, &format!("{}: related label", d.code))?;
    }
    Ok(())
}

fn check_diagnostics(text: &str, diagnostics: &Diagnostics, rejected: bool) -> Result<(), String> {
    if rejected && !diagnostics.has_errors() {
        return Err("rejected without an error diagnostic".to_owned());
    }
    if !rejected && diagnostics.has_errors() {
        return Err("accepted, but the warnings hold an error".to_owned());
    }
    diagnostics
        .iter()
        .try_for_each(|d| check_diagnostic(text, d))
}

/// Parses `text` and checks every diagnostic, catching panics; `Err` says what went wrong.
fn try_parse(text: &str) -> Result<Result<Parsed, Diagnostics>, String> {
    let result = catch_unwind(AssertUnwindSafe(|| parse_workload(text, "score.yaml"))).map_err(
        |payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("panicked: {message}")
        },
    )?;
    match &result {
        Ok(parsed) => check_diagnostics(text, &parsed.warnings, false)?,
        Err(diagnostics) => check_diagnostics(text, diagnostics, true)?,
    }
    Ok(result)
}

/// [`try_parse`], failing the test on any problem.
fn parse(text: &str) -> Result<Parsed, Diagnostics> {
    match try_parse(text) {
        Ok(result) => result,
        Err(problem) => panic!("{problem}\ninput: {:?}", abbreviate(text)),
    }
}

/// Parses with explicit limits and checks the diagnostics.
fn parse_with(text: &str, limits: Limits) -> Result<Parsed, Diagnostics> {
    let result = parse_workload_with(
        SourceFile::new("score.yaml", text),
        &ParseOptions {
            limits,
            ..Default::default()
        },
    );
    if let Err(diagnostics) = &result
        && let Err(problem) = check_diagnostics(text, diagnostics, true)
    {
        panic!("{problem}\ninput: {:?}", abbreviate(text));
    }
    result
}

/// The first error, which must exist.
fn rejected(text: &str) -> Diagnostic {
    match parse(text) {
        Ok(_) => panic!("accepted: {:?}", abbreviate(text)),
        Err(diagnostics) => first_error(&diagnostics),
    }
}

fn first_error(diagnostics: &Diagnostics) -> Diagnostic {
    diagnostics
        .iter()
        .find(|d| d.is_error())
        .cloned()
        .expect("an error diagnostic")
}

fn codes(diagnostics: &Diagnostics) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code).collect()
}

/// A limit error: it says the input is too big or too deep, not that something later broke.
fn assert_limit(d: &Diagnostic) {
    assert!(
        d.code.starts_with("score::input::") || d.code.starts_with("score::yaml::"),
        "expected a limit diagnostic, got {} ({})",
        d.code,
        d.message
    );
}

fn abbreviate(text: &str) -> String {
    if text.len() <= 400 {
        return text.to_owned();
    }
    let mut head = 200;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - 200;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{}…[{} bytes]…{}",
        &text[..head],
        text.len() - head - (text.len() - tail),
        &text[tail..]
    )
}

/// Runs `f` on a thread with a `stack`-byte stack and returns its result.
fn on_stack<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// What `std::thread::spawn` (and so `cargo test`, tokio's workers, rayon...) gives a thread.
const SPAWNED_THREAD_STACK: usize = 2 << 20;
/// What a Linux main thread usually gets (`ulimit -s`).
const MAIN_THREAD_STACK: usize = 8 << 20;

#[test]
fn line_col_counts_chars_and_yaml_line_breaks() {
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
    assert_eq!(line_col("ab\r\ncd", 5), (2, 2));
    assert_eq!(line_col("ab\rcd", 4), (2, 2));
    assert_eq!(line_col("éé: x", 4), (1, 3));
    assert_eq!(line_col("a\n\nb", 3), (3, 1));
}

#[test]
fn the_reference_workload_is_valid() {
    let parsed = parse(VALID).unwrap();
    assert_eq!(parsed.workload.name(), "hello");
}

// --- Size, depth and alias limits -----------------------------------------------------------

/// `a0` is a list of 9 scalars, each `aN` a list of 9 `*a(N-1)`: 9^9 (387 million) nodes.
fn billion_laughs() -> String {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..9 {
        let uses = vec![format!("*a{}", level - 1); 9].join(", ");
        writeln!(text, "a{level}: &a{level} [{uses}]").unwrap();
    }
    text
}

#[test]
fn billion_laughs_is_stopped_by_a_limit() {
    let d = rejected(&billion_laughs());
    assert_limit(&d);
}

#[test]
fn billion_laughs_inside_a_valid_workload_is_stopped_by_a_limit() {
    let mut text = VALID.to_owned();
    text.push_str("    args:\n");
    let bomb = billion_laughs();
    // As one flow sequence of the nine levels: args: [&a0 [...], &a1 [...], ...].
    let items: Vec<&str> = bomb
        .lines()
        .map(|l| l.split_once(": ").unwrap().1)
        .collect();
    writeln!(text, "      - {}", items.join("\n      - ")).unwrap();
    let d = rejected(&text);
    assert_limit(&d);
}

/// A limit message says which limit was hit; the location is the span's job, so the message
/// carries none of its own that could disagree with it.
#[test]
fn limit_messages_do_not_carry_their_own_location() {
    let d = rejected(&billion_laughs());
    assert!(
        !d.message.contains(" line ") && !d.message.ends_with("(used"),
        "{}",
        d.message
    );
}

#[test]
fn many_aliases_of_one_small_anchor_are_bounded() {
    let mut text = String::from("k: &a v\n");
    for i in 0..5_000 {
        writeln!(text, "k{i}: *a").unwrap();
    }
    assert_limit(&rejected(&text));
}

#[test]
fn many_anchors_are_bounded() {
    let text: String = (0..5_000).map(|i| format!("k{i}: &a{i} v\n")).collect();
    assert_limit(&rejected(&text));
}

#[test]
fn ten_thousand_unclosed_flow_sequences_hit_a_limit() {
    let text = "[".repeat(10_000);
    assert_limit(&rejected(&text));
}

#[test]
fn ten_thousand_balanced_flow_sequences_hit_a_limit() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_limit(&rejected(&text));
}

#[test]
fn ten_thousand_unclosed_flow_mappings_hit_a_limit() {
    let text = "{a: ".repeat(10_000);
    assert_limit(&rejected(&text));
}

/// `depth` block mappings, each indented one more space than its parent.
fn nested_block_mappings(depth: usize) -> String {
    let mut text = String::with_capacity(depth * (depth + 3) / 2 + 16);
    for level in 0..depth {
        text.extend(std::iter::repeat_n(' ', level));
        text.push_str("a:\n");
    }
    text
}

#[test]
fn ten_thousand_nested_block_mappings_are_too_large() {
    // With one more space of indentation per level, 10,000 levels take 50 MB: the size
    // limit fires before the parser sees a single event.
    let text = nested_block_mappings(10_000);
    let d = rejected(&text);
    assert_eq!(d.code, "score::input::too-large", "{}", d.message);
}

#[test]
fn ten_thousand_nested_block_mappings_hit_the_depth_limit_when_size_allows() {
    let d = on_stack(MAIN_THREAD_STACK, || {
        let text = nested_block_mappings(10_000);
        let limits = Limits {
            max_bytes: 64 << 20,
            ..Limits::default()
        };
        first_error(&parse_with(&text, limits).unwrap_err())
    });
    assert_eq!(d.code, "score::input::limit", "{}", d.message);
}

/// Inputs nested 100 deep, each well within the size limit.
fn deep_inputs() -> Vec<(&'static str, String)> {
    vec![
        ("block mappings", nested_block_mappings(100)),
        ("block sequences", format!("{}x\n", "- ".repeat(100))),
        (
            "flow sequences",
            format!("{}{}", "[".repeat(100), "]".repeat(100)),
        ),
        (
            "flow mappings",
            format!("{}x{}", "{a: ".repeat(100), "}".repeat(100)),
        ),
        (
            "inside a workload",
            format!("{VALID}    args: {}x{}\n", "[".repeat(100), "]".repeat(100)),
        ),
    ]
}

fn assert_deep_inputs_hit_the_depth_limit() {
    for (name, text) in deep_inputs() {
        let d = first_error(&parse(&text).unwrap_err());
        assert_eq!(d.code, "score::input::limit", "{name}: {}", d.message);
    }
}

#[test]
fn nesting_deeper_than_the_limit_is_rejected_on_a_main_thread_stack() {
    on_stack(MAIN_THREAD_STACK, assert_deep_inputs_hit_the_depth_limit);
}

/// The tree is built iteratively, so nesting up to (and past) the depth limit costs heap, not
/// stack: it must not overflow a spawned thread's 2 MiB stack, even in a debug build.
#[test]
fn nesting_deeper_than_the_limit_is_rejected_on_a_spawned_thread_stack() {
    on_stack(SPAWNED_THREAD_STACK, assert_deep_inputs_hit_the_depth_limit);
}

#[test]
fn nesting_just_under_the_limit_is_accepted_on_a_spawned_thread_stack() {
    on_stack(SPAWNED_THREAD_STACK, || {
        let depth = Limits::default().max_depth;
        let text = format!("{}x{}", "[".repeat(depth), "]".repeat(depth));
        let d = first_error(&parse(&text).unwrap_err());
        assert_eq!(d.code, "score::schema::type", "{}", d.message);
    });
}

#[test]
fn an_input_over_the_size_limit_is_rejected_before_parsing() {
    let text = format!("{VALID}# {}\n", "x".repeat(5 << 20));
    assert!(text.len() > Limits::default().max_bytes);
    let d = rejected(&text);
    assert_eq!(d.code, "score::input::too-large");
    assert!(d.message.contains(&text.len().to_string()), "{}", d.message);
}

#[test]
fn a_smaller_size_limit_is_honoured() {
    let limits = Limits {
        max_bytes: 64,
        ..Limits::default()
    };
    let d = first_error(&parse_with(VALID, limits).unwrap_err());
    assert_eq!(d.code, "score::input::too-large");
}

#[test]
fn a_smaller_node_limit_is_honoured() {
    let limits = Limits {
        max_nodes: 5,
        ..Limits::default()
    };
    let d = first_error(&parse_with(VALID, limits).unwrap_err());
    assert_eq!(d.code, "score::input::limit", "{}", d.message);
}

#[test]
fn a_three_mib_scalar_is_handled() {
    let big = "x".repeat(3 << 20);
    // In a free-form string field: accepted.
    let text = VALID.replace("nginx:1.27", &big);
    let parsed = parse(&text).unwrap();
    assert_eq!(parsed.workload.containers["main"].image.len(), big.len());
    // In a field with a format: rejected, with a diagnostic.
    let text = VALID.replace("name: hello", &format!("name: {big}"));
    let diagnostics = parse(&text).unwrap_err();
    assert!(codes(&diagnostics).contains(&"score::schema::format"));
}

/// Diagnostics quote an excerpt of the offending value, not the whole of a 3 MiB value.
#[test]
fn diagnostic_messages_stay_short_for_huge_values() {
    let big = "x".repeat(3 << 20);
    let text = VALID.replace("name: hello", &format!("name: {big}"));
    for d in parse(&text).unwrap_err().iter() {
        assert!(
            d.message.len() < 1_000,
            "{}: message of {} bytes",
            d.code,
            d.message.len()
        );
    }
}

#[test]
fn a_hundred_thousand_keys_hit_a_limit() {
    let text: String = (0..100_000).map(|i| format!("k{i}: v\n")).collect();
    assert!(text.len() < Limits::default().max_bytes);
    assert_limit(&rejected(&text));
}

#[test]
fn very_long_lines_keep_columns_right() {
    // An error at the end of a 100,000-char line.
    let text = format!("a: b{}: c\n", " ".repeat(100_000));
    let d = rejected(&text);
    assert_eq!(d.code, "score::yaml::syntax");
    assert_eq!(d.span.unwrap().line, 1);
    // Multi-byte chars: the column counts chars, not bytes (checked by `parse`).
    let text = format!("a: {}\n  b: : c\n", "é".repeat(100_000));
    let d = rejected(&text);
    assert_eq!(d.code, "score::yaml::syntax");
    // A valid workload with a 1 MiB line.
    let text = VALID.replace("nginx:1.27", &"n".repeat(1 << 20));
    parse(&text).unwrap();
}

// --- Documents and roots ----------------------------------------------------------------------

#[test]
fn more_than_one_document_is_rejected() {
    let text = "---\na: 1\n".repeat(1_000);
    let d = rejected(&text);
    assert_eq!(d.code, "score::yaml::multiple-documents");
    // The second document starts at line 3 (`---`); its content is on line 4.
    let line = d.span.unwrap().line;
    assert!((3..=4).contains(&line), "line {line}");

    let text = format!("{VALID}---\n{VALID}");
    let d = rejected(&text);
    assert_eq!(d.code, "score::yaml::multiple-documents");
    let line = d.span.unwrap().line;
    assert!((9..=10).contains(&line), "line {line}");

    assert_eq!(
        rejected(&"---\n".repeat(10_000)).code,
        "score::yaml::multiple-documents"
    );
    assert_eq!(
        rejected(&"--- a\n".repeat(10_000)).code,
        "score::yaml::multiple-documents"
    );
}

#[test]
fn one_document_with_markers_is_fine() {
    parse(&format!("---\n{VALID}")).unwrap();
    parse(&format!("%YAML 1.2\n---\n{VALID}...\n")).unwrap();
    parse(&format!("{VALID}...\n")).unwrap();
}

#[test]
fn a_root_that_is_not_a_mapping_is_a_schema_error() {
    for (text, found) in [
        ("hello", "a string"),
        ("hello\n", "a string"),
        ("42", "integer"),
        ("- a\n- b\n", "an array"),
        ("[a, b]", "an array"),
        ("null", "a null"),
        ("~\n", "a null"),
        ("---\n", "a null"),
        ("--- |\n  text\n", "a string"),
    ] {
        let d = rejected(text);
        assert_eq!(d.code, "score::schema::type", "{text:?}");
        assert!(d.message.contains(found), "{text:?}: {}", d.message);
    }
}

#[test]
fn empty_and_blank_inputs_are_rejected() {
    for text in ["", " ", "\n", "\n\n\n", "  \t \n \r\n", "\t"] {
        let d = rejected(text);
        assert_eq!(d.code, "score::input::empty", "{text:?}");
        assert_eq!(d.message, "the file is empty", "{text:?}");
        // Placed at the start, so every format shows a line.
        let span = d.span.expect("a span");
        assert_eq!(
            (span.offset, span.len, span.line, span.column),
            (0, 0, 1, 1)
        );
    }
    for text in ["# only a comment\n", "\n  # a\n#b", "\u{feff}# c\r\n"] {
        let d = rejected(text);
        assert_eq!(d.code, "score::input::empty", "{text:?}");
        assert_eq!(d.message, "the file holds only comments", "{text:?}");
        assert_eq!(d.span.map(|s| (s.line, s.column)), Some((1, 1)), "{text:?}");
    }
}

// --- Odd characters ----------------------------------------------------------------------------

#[test]
fn a_byte_order_mark_is_accepted() {
    let parsed = parse(&format!("\u{feff}{VALID}")).unwrap();
    let greeting = &parsed.workload.containers["main"].variables["GREETING"];
    assert_eq!(greeting.value.span.line, 8);
    // An error after a BOM is still on the right line.
    let d = rejected("\u{feff}apiVersion: score.dev/v1b1\nmetadata: {\n");
    assert_eq!(d.code, "score::yaml::syntax");
    assert_eq!(d.span.unwrap().line, 2);
    let d = rejected("\u{feff}a: 1\na: 2\n");
    assert_eq!(d.code, "score::yaml::duplicate-key");
    assert_eq!(d.span.unwrap().line, 2);
    // A BOM inside the document is an error, not a panic.
    let d = rejected("a: b\n\u{feff}c: d\n");
    assert_eq!(d.code, "score::yaml::syntax");
    assert_eq!(d.span.unwrap().line, 2);
}

/// A leading BOM counts as a column, as editors count it, even when it is the whole input.
#[test]
fn a_bom_only_input_has_a_consistent_span() {
    let _ = parse("\u{feff}");
    let _ = parse("\u{feff}\n");
}

#[test]
fn nul_and_control_characters_are_syntax_errors() {
    for (text, line) in [
        (
            "apiVersion: score.dev/v1b1\0\nmetadata:\n  name: hello\n",
            1,
        ),
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hel\0lo\n",
            3,
        ),
        ("a: 1\nb: \x07\x1b\n", 2),
        ("a: \"b\x01\"\n", 1),
        ("a: b\x0bc\n", 1),
        ("a: b\x0c\n", 1),
        ("a: b\x7f\n", 1),
        ("a: 1\n\u{80}: 2\n", 2),
        ("\0", 1),
        ("\0\0\0\n\0", 1),
    ] {
        let d = rejected(text);
        assert_eq!(d.code, "score::yaml::syntax", "{text:?}: {}", d.message);
        assert_eq!(d.span.unwrap().line, line, "{text:?}");
    }
}

#[test]
fn unicode_line_separators_are_not_line_breaks() {
    // YAML 1.2 treats NEL, LS and PS as ordinary characters; the checker in `parse` counts
    // only \n, \r\n and \r, so any disagreement fails there.
    for text in [
        "a: b\u{85}c: : d\n",
        "a: b\u{2028}c: : d\n",
        "a: b\u{2029}c\n",
        "a: \"b\u{85}c\"\n",
    ] {
        let _ = parse(text);
    }
}

// --- YAML features ---------------------------------------------------------------------------

#[test]
fn tags_are_handled() {
    // `!!binary` holding UTF-8 text decodes to the text; anything else is an error.
    let text = VALID.replace("nginx:1.27", "!!binary bmdpbng6MS4yNw==");
    let parsed = parse(&text).unwrap();
    assert_eq!(parsed.workload.containers["main"].image.value, "nginx:1.27");
    let d = rejected(&VALID.replace("nginx:1.27", "!!binary //79"));
    assert_eq!(d.code, "score::yaml::syntax");
    assert_eq!(d.span.unwrap().line, 6);
    let _ = parse(&VALID.replace("nginx:1.27", "!!binary not*base64"));
    // Custom and verbatim tags, tags on collections, mismatched core tags.
    for tagged in [
        "!custom nginx",
        "!<tag:example.com,2000:x> nginx",
        "!!str nginx",
        "!!int nginx",
        "!!float nginx",
        "!!bool nginx",
        "!!null nginx",
        "!!map nginx",
        "!!seq nginx",
        "!!timestamp nginx",
        "!!set {a}",
        "!!omap [a: 1]",
        "!custom {a: 1}",
        "! nginx",
        "!!",
        "!",
    ] {
        let _ = parse(&VALID.replace("nginx:1.27", tagged));
    }
    let _ = parse("%TAG ! tag:example.com,2000:\n---\na: !foo 1\n");
    let _ = parse("%TAG !e! tag:e.com:\n%TAG !e! tag:f.com:\n---\na: 1\n");
    let _ = parse("%YAML 1.1\n%YAML 1.1\n---\na: 1\n");
    let _ = parse("%FOO bar\n---\na: 1\n");
}

#[test]
fn merge_keys_are_expanded() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: hello
containers:
  web:
    image: nginx
    variables: &common
      A: \"1\"
  api:
    image: nginx
    variables:
      <<: *common
      B: \"2\"
";
    let parsed = parse(text).unwrap();
    let b = &parsed.workload.containers["api"].variables;
    assert_eq!(b["A"].value.value, "1");
    assert_eq!(b["B"].value.value, "2");
    // Merging a non-mapping, a list of mappings, itself, and an undefined alias.
    for text in [
        "a:\n  <<: 1\n",
        "a:\n  <<: [1, 2]\n",
        "x: &x {a: 1}\ny: &y {b: 2}\nz:\n  <<: [*x, *y]\n",
        "x: &x {a: 1}\nz:\n  a: 2\n  <<: *x\n",
        "a: &a\n  <<: *a\n",
        "a:\n  <<: *nowhere\n",
        "<<: {apiVersion: score.dev/v1b1}\n<<: {metadata: {name: hello}}\n",
    ] {
        let _ = parse(text);
    }
}

#[test]
fn anchors_and_aliases_in_odd_places() {
    for text in [
        "&k apiVersion: score.dev/v1b1\n*k : x\n",
        "a: *undefined\n",
        "a: &a [*a]\n",
        "a: &a\nb: *a\n",
        "&a a: &b b\n*b : *a\n",
        "a: &x 1\nb: &x 2\nc: *x\n",
        "a: & b\n",
        "a: * b\n",
        "&a\n",
        "*a\n",
    ] {
        let _ = parse(text);
    }
    let d = rejected("&k apiVersion: score.dev/v1b1\n*k : x\n");
    assert_eq!(d.code, "score::yaml::duplicate-key");
}

/// When the second key is an alias of the first, the duplicate is reported at the alias.
#[test]
fn a_duplicate_key_written_as_an_alias_is_reported_at_the_alias() {
    let d = rejected("&k apiVersion: score.dev/v1b1\n*k : x\n");
    assert_eq!(d.code, "score::yaml::duplicate-key");
    assert_eq!(d.span.unwrap().line, 2);
}

#[test]
fn complex_keys_are_rejected() {
    for (text, line) in [
        ("? [a, b]\n: c\n", 1),
        ("apiVersion: score.dev/v1b1\n? {a: 1}\n: c\n", 2),
        ("[a, b]: c\n", 1),
        ("{a: 1}: c\n", 1),
    ] {
        let d = rejected(text);
        assert_eq!(d.code, "score::yaml::syntax", "{text:?}: {}", d.message);
        assert_eq!(d.span.unwrap().line, line, "{text:?}");
    }
    // Scalar complex keys are just keys.
    let _ = parse("? |\n  multi\n  line\n: v\n");
    let _ = parse("? a\n? b\n");
}

#[test]
fn scalar_keys_of_other_types_become_text() {
    let text = VALID.replace("GREETING", "80");
    let parsed = parse(&text).unwrap();
    assert!(
        parsed.workload.containers["main"]
            .variables
            .contains_key("80")
    );
}

/// Plain keys keep the text written: YAML 1.1 typing (`yes` → true, `1.0` → 1) applies to
/// values only, so keys are neither renamed nor merged into one another.
#[test]
fn plain_keys_keep_their_text() {
    let text = VALID.replace(
        "      GREETING: hello from ${metadata.name}\n",
        "      y: a\n      Y: b\n      N: c\n      ON: d\n      off: e\n      yes: f\n      1.0: g\n",
    );
    let parsed = parse(&text).unwrap();
    let names: Vec<&str> = parsed.workload.containers["main"]
        .variables
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["y", "Y", "N", "ON", "off", "yes", "1.0"]);
}

/// Keys are read as the text written: `12` and `"12"` (or `yes` and `'yes'`) are the same key,
/// and a duplicate; `~` and `null` are two different keys.
#[test]
fn keys_equal_as_text_are_duplicates() {
    for pair in [
        "      \"12\": a\n      12: b\n",
        "      yes: a\n      'yes': b\n",
    ] {
        let text = VALID.replace("      GREETING: hello from ${metadata.name}\n", pair);
        let d = rejected(&text);
        assert_eq!(d.code, "score::yaml::duplicate-key", "{pair:?}");
        assert_eq!(d.span.unwrap().line, 9, "{pair:?}");
    }
}

// --- Line endings and JSON -------------------------------------------------------------------

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

#[test]
fn crlf_line_endings_keep_lines_right() {
    let parsed = parse(&crlf(VALID)).unwrap();
    let greeting = &parsed.workload.containers["main"].variables["GREETING"];
    assert_eq!(greeting.value.span.line, 8);
    assert_eq!(greeting.value.value, "hello from ${metadata.name}");
    for (text, code, line) in broken_files() {
        let d = rejected(&crlf(text));
        assert_eq!(d.code, code, "{text:?}");
        assert_eq!(d.span.unwrap().line, line, "CRLF {text:?}: {}", d.message);
    }
    // Semantic errors point at the right line too.
    let broken = crlf(&VALID.replace("${metadata.name}", "${resources.db.host}"));
    let d = rejected(&broken);
    assert_eq!(d.code, "score::placeholder::unknown-resource");
    assert_eq!(d.span.unwrap().line, 8);
}

/// With classic-Mac line endings (a lone `\r`) offsets agree with lines and columns.
#[test]
fn lone_cr_line_endings_keep_offsets_right() {
    let text = "apiVersion: score.dev/v1b1\rmetadata:\r  name: hello\r   other: x\r";
    let d = rejected(text);
    assert_eq!(d.span.unwrap().line, 4);
}

const VALID_JSON: &str = r#"{
  "apiVersion": "score.dev/v1b1",
  "metadata": {"name": "hello"},
  "containers": {
    "main": {"image": "nginx", "variables": {"A": "${metadata.name}"}}
  }
}"#;

#[test]
fn json_input_is_read() {
    let parsed = parse(VALID_JSON).unwrap();
    assert_eq!(parsed.workload.name(), "hello");
    assert_eq!(
        parsed.workload.containers["main"].variables["A"]
            .value
            .span
            .line,
        5
    );
    // One line, no trailing newline.
    let one_line: String = VALID_JSON.lines().map(str::trim).collect();
    parse(&one_line).unwrap();
}

#[test]
fn json_with_a_trailing_comma() {
    // YAML flow collections allow a trailing comma, so YAML readers accept this; if it is
    // ever rejected, the error must point at the right line.
    let text = VALID_JSON.replace("\"nginx\"}}\n", "\"nginx\"}},\n");
    match parse(&text) {
        Ok(parsed) => assert_eq!(parsed.workload.name(), "hello"),
        Err(diagnostics) => {
            let d = first_error(&diagnostics);
            assert_eq!(d.code, "score::yaml::syntax");
            assert!((5..=6).contains(&d.span.unwrap().line));
        }
    }
    let _ = parse("{\"a\": 1,,}");
    let _ = parse("[1, 2,]");
    let _ = parse("[,]");
}

#[test]
fn broken_json_reports_the_line() {
    for (text, line) in [
        // Missing colon after "metadata".
        (
            "{\"apiVersion\": \"score.dev/v1b1\",\n \"metadata\" {\"name\": \"hello\"}\n}",
            2,
        ),
        // Unclosed string inside a flow mapping.
        (
            "{\"apiVersion\": \"score.dev/v1b1\",\n \"metadata\": {\"name\": \"hello}\n}\n",
            2,
        ),
        // Unclosed object.
        (
            "{\"apiVersion\": \"score.dev/v1b1\",\n \"metadata\": {\n",
            2,
        ),
    ] {
        let d = rejected(text);
        assert_eq!(d.code, "score::yaml::syntax", "{text:?}");
        assert_eq!(d.span.unwrap().line, line, "{text:?}: {}", d.message);
    }
    let d = rejected("{\"a\": 1, \"a\": 2}");
    assert_eq!(d.code, "score::yaml::duplicate-key");
}

// --- Syntax errors and duplicate keys: the reported line ---------------------------------------

/// Hand-written broken files: (text, code, line of the error).
fn broken_files() -> Vec<(&'static str, &'static str, u32)> {
    vec![
        // Bad indentation at line 4.
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\n   other: x\ncontainers: {}\n",
            "score::yaml::syntax",
            4,
        ),
        // A tab used as indentation at line 3.
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n\tname: hello\n",
            "score::yaml::syntax",
            3,
        ),
        // A tab indenting a nested block at line 6.
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers:\n  main:\n\t\timage: nginx\n",
            "score::yaml::syntax",
            6,
        ),
        // An unclosed flow mapping opened at line 2, at the end of the file.
        (
            "apiVersion: score.dev/v1b1\nmetadata: {name: hello\n",
            "score::yaml::syntax",
            2,
        ),
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers: {main: {image: nginx}\n",
            "score::yaml::syntax",
            4,
        ),
        // An unclosed quote at line 5, inside a flow mapping.
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers:\n  main: {image: \"nginx}\nservice:\n  ports: {}\n",
            "score::yaml::syntax",
            5,
        ),
        // Duplicate keys: top level, nested, in a flow mapping, quoted and plain.
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\napiVersion: x\n",
            "score::yaml::duplicate-key",
            4,
        ),
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\n  name: again\n",
            "score::yaml::duplicate-key",
            4,
        ),
        (
            "apiVersion: score.dev/v1b1\nmetadata: {name: a,\n  name: b}\n",
            "score::yaml::duplicate-key",
            3,
        ),
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\n  'name': again\n",
            "score::yaml::duplicate-key",
            4,
        ),
        // Duplicates in a deeper mapping, after a valid prefix.
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers:\n  main:\n    image: a\n    image: b\n",
            "score::yaml::duplicate-key",
            7,
        ),
        // A key with no value indicator in a block mapping.
        (
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers\n  main: {}\n",
            "score::yaml::syntax",
            4,
        ),
    ]
}

#[test]
fn syntax_errors_and_duplicate_keys_report_their_line() {
    for (text, code, line) in broken_files() {
        let d = rejected(text);
        assert_eq!(d.code, code, "{text:?}: {}", d.message);
        assert_eq!(d.span.unwrap().line, line, "{text:?}: {}", d.message);
        assert_eq!(d.pointer, "/");
    }
}

#[test]
fn a_duplicate_key_is_reported_at_the_second_key() {
    let text = "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\n  name: again\n";
    let d = rejected(text);
    assert_eq!(d.code, "score::yaml::duplicate-key");
    let span = d.span.unwrap();
    assert_eq!((span.line, span.column), (4, 3));
    assert_eq!(&text[span.offset..span.offset + 4], "name");
    assert!(d.message.contains("name"), "{}", d.message);
}

/// An unclosed quote in block context is reported at the opening quote, not only where the
/// scanner gave up (possibly the end of the file).
#[test]
fn an_unclosed_quote_is_reported_at_its_line() {
    for text in [
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers:\n  main: \"abc\n    image: nginx\n",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers:\n  main: 'abc\nservice:\n  ports: {}\n",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: hello\ncontainers:\n    image: \"nginx\n",
    ] {
        let d = rejected(text);
        assert_eq!(d.code, "score::yaml::syntax");
        assert_eq!(d.span.unwrap().line, 5, "{text:?}: {}", d.message);
    }
}

#[test]
fn an_unclosed_flow_mapping_before_block_content_is_reported_near_it() {
    // The mapping opened at line 2 swallows line 3, where the parser notices the problem.
    let text = "apiVersion: score.dev/v1b1\nmetadata: {name: hello\ncontainers:\n  main:\n    image: nginx\n";
    let d = rejected(text);
    assert_eq!(d.code, "score::yaml::syntax");
    let line = d.span.unwrap().line;
    assert!((2..=3).contains(&line), "line {line}: {}", d.message);
}

#[test]
fn syntax_error_messages_do_not_repeat_the_location() {
    for (text, _, _) in broken_files() {
        let d = rejected(text);
        assert!(
            !d.message.contains(" line ") && !d.message.contains("column"),
            "{}",
            d.message
        );
    }
}

// --- The mutation sweep ------------------------------------------------------------------------

/// A small deterministic PRNG (SplitMix64).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        assert!(n > 0);
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// YAML-significant tokens swapped in and inserted. A lone `\r` is left out: it is a line
/// break the library mislocates (see `lone_cr_line_endings_keep_offsets_right`), and
/// variants that still end up with one are skipped.
const TOKENS: &[&str] = &[
    ":", "-", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "#", "%", "@", "\n", "\r\n",
    " ", "\t", ",", "?", "---", ": ", "- ", "&a ", "*a", "${", "}}", "\\", "é",
];

/// The char boundary at or before `i`.
fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A random char boundary and the length of the char there (0 at the end).
fn random_char(text: &str, rng: &mut Rng) -> (usize, usize) {
    let at = floor_boundary(text, rng.below(text.len() + 1));
    let len = text[at..].chars().next().map_or(0, char::len_utf8);
    (at, len)
}

/// A `\r` not followed by `\n`.
fn has_lone_cr(text: &str) -> bool {
    text.match_indices('\r')
        .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
}

fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// One random edit of `text`; returns the result and a description.
fn mutate_once(text: &str, rng: &mut Rng) -> (String, String) {
    let lines = split_lines(text);
    match rng.below(9) {
        0 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            let mut out = lines.clone();
            out.remove(i);
            (out.concat(), format!("delete line {}", i + 1))
        }
        1 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            let mut out = lines.clone();
            out.insert(i, lines[i]);
            (out.concat(), format!("duplicate line {}", i + 1))
        }
        2 if lines.len() >= 2 => {
            let i = rng.below(lines.len() - 1);
            let mut out = lines.clone();
            out.swap(i, i + 1);
            (out.concat(), format!("swap lines {} and {}", i + 1, i + 2))
        }
        3 if !lines.is_empty() => {
            let i = rng.below(lines.len());
            let line = lines[i];
            let body = line.trim_start_matches([' ', '\t']);
            let indent = &line[..line.len() - body.len()];
            let (new, what) = match rng.below(7) {
                0 => (format!(" {line}"), "indent by 1"),
                1 => (format!("  {line}"), "indent by 2"),
                2 => (line.get(1..).unwrap_or("").to_owned(), "dedent by 1"),
                3 => (body.to_owned(), "remove indentation"),
                4 => (format!("{}{body}", indent.replace("  ", "\t")), "tabs"),
                5 => (format!("{indent}- {body}"), "make a list item"),
                _ => (format!("{indent}? {body}"), "make a complex key"),
            };
            let mut out = lines.clone();
            out[i] = &new;
            (out.concat(), format!("{what} at line {}", i + 1))
        }
        4 | 5 => {
            let (at, len) = random_char(text, rng);
            let token = rng.pick(TOKENS);
            let out = format!("{}{token}{}", &text[..at], &text[at + len..]);
            (out, format!("replace byte {at} with {token:?}"))
        }
        6 => {
            let (at, _) = random_char(text, rng);
            let token = rng.pick(TOKENS);
            let out = format!("{}{token}{}", &text[..at], &text[at..]);
            (out, format!("insert {token:?} at byte {at}"))
        }
        7 => {
            let (at, len) = random_char(text, rng);
            let out = format!("{}{}", &text[..at], &text[at + len..]);
            (out, format!("delete byte {at}"))
        }
        _ => {
            let (at, len) = random_char(text, rng);
            let c = &text[at..at + len];
            let out = format!("{}{c}{c}{c}{}", &text[..at], &text[at..]);
            (out, format!("triple the char at byte {at}"))
        }
    }
}

/// The variants of one file: truncations at every k-th byte, then random single and
/// multiple edits.
fn variants(text: &str, seed: u64, random: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let step = (text.len() / 32).max(1);
    for cut in (0..text.len()).step_by(step) {
        let cut = floor_boundary(text, cut);
        out.push((text[..cut].to_owned(), format!("truncate at byte {cut}")));
    }
    let mut rng = Rng::new(seed);
    for i in 0..random {
        let edits = if i % 4 == 3 { 2 + rng.below(3) } else { 1 };
        let mut current = text.to_owned();
        let mut what = Vec::new();
        for _ in 0..edits {
            let (next, description) = mutate_once(&current, &mut rng);
            current = next;
            what.push(description);
        }
        out.push((current, what.join(", then ")));
    }
    out
}

/// Removes lines, then chars, while `still_fails` holds; bounded.
fn shrink(text: &str, still_fails: &dyn Fn(&str) -> bool) -> String {
    let mut current = text.to_owned();
    let mut budget = 3_000usize;
    let mut progress = true;
    while progress && budget > 0 {
        progress = false;
        let mut i = 0;
        while i < split_lines(&current).len() && budget > 0 {
            let mut candidate = split_lines(&current);
            candidate.remove(i);
            let candidate = candidate.concat();
            budget -= 1;
            if still_fails(&candidate) {
                current = candidate;
                progress = true;
            } else {
                i += 1;
            }
        }
        let mut at = 0;
        while at < current.len() && budget > 0 {
            let len = current[at..].chars().next().map_or(0, char::len_utf8);
            let candidate = format!("{}{}", &current[..at], &current[at + len..]);
            budget -= 1;
            if still_fails(&candidate) {
                current = candidate;
                progress = true;
            } else {
                at += len;
            }
        }
    }
    current
}

/// The kind of a problem, for grouping: the text up to the first detail.
fn problem_kind(problem: &str) -> String {
    let head: String = problem
        .split(['{', '(', '\n'])
        .next()
        .unwrap_or(problem)
        .to_owned();
    head.trim().to_owned()
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus")
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            corpus_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

struct Failure {
    file: String,
    mutation: String,
    problem: String,
    input: String,
}

#[test]
fn mutation_sweep_over_the_corpus() {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!(
            "note: {} not found; skipping the mutation sweep",
            dir.display()
        );
        return;
    }
    let mut files = Vec::new();
    corpus_files(&dir, &mut files);
    assert!(!files.is_empty(), "the corpus is empty");

    let mut failures: Vec<Failure> = Vec::new();
    let mut runs = 0usize;
    let mut accepted = 0usize;
    let mut skipped = 0usize;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        let seed = fnv1a(name.as_bytes());
        // Score files get the full treatment; other files (the schema, README, LICENSE...)
        // are hostile input too, but fewer variants keep the sweep fast.
        let is_score = name.ends_with(".yaml") || name.ends_with(".yml");
        let mut all = variants(&text, seed, if is_score { 150 } else { 24 });
        if is_score {
            let text = crlf(&text);
            all.push((text.clone(), "CRLF line endings".to_owned()));
            for (variant, what) in variants(&text, seed ^ 0x5eed, 24) {
                all.push((variant, format!("CRLF line endings, then {what}")));
            }
        }
        for (variant, mutation) in all {
            if has_lone_cr(&variant) {
                skipped += 1;
                continue;
            }
            runs += 1;
            match try_parse(&variant) {
                Ok(Ok(_)) => accepted += 1,
                Ok(Err(_)) => {}
                Err(problem) => failures.push(Failure {
                    file: name.clone(),
                    mutation,
                    problem,
                    input: variant,
                }),
            }
        }
    }
    eprintln!(
        "mutation sweep: {} files, {runs} variants ({skipped} with a lone CR skipped), \
         {accepted} accepted, {} problems",
        files.len(),
        failures.len()
    );
    if failures.is_empty() {
        return;
    }
    // Report the first failure of each kind, shrunk to a small reproduction.
    let mut report = String::new();
    let mut kinds: Vec<String> = Vec::new();
    for failure in &failures {
        let kind = problem_kind(&failure.problem);
        if kinds.contains(&kind) {
            continue;
        }
        let count = failures
            .iter()
            .filter(|f| problem_kind(&f.problem) == kind)
            .count();
        let minimal = shrink(&failure.input, &|t| {
            try_parse(t).is_err_and(|p| problem_kind(&p) == kind)
        });
        let problem = try_parse(&minimal).err().unwrap_or_default();
        writeln!(
            report,
            "\n{kind} ({count} variants)\n  first: {} ({})\n  {}\n  minimal input: {minimal:?}\n  {problem}",
            failure.file, failure.mutation, failure.problem
        )
        .unwrap();
        kinds.push(kind);
    }
    panic!(
        "{} of {runs} variants broke a rule:{report}",
        failures.len()
    );
}
