//! Property tests of placeholder syntax: escaping round-trips, references written from keys
//! parse back to those keys, and no input makes the parser panic. Deterministic (a fixed seed
//! unless `PROPTEST_RNG_SEED` is set) and writes no failure files.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use score_spec::placeholders::{Segment, escape, parse};

fn config(cases: u32) -> Config {
    let base = Config::default();
    Config {
        cases,
        failure_persistence: None,
        rng_seed: match base.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x5c0e_0013),
            fixed => fixed,
        },
        ..base
    }
}

/// Text rich in the characters the syntax reacts to.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[${}.\\\\a é]{0,16}", any::<String>(),]
}

/// A key of a reference: anything but `}` (which ends the reference), not empty.
fn key() -> impl Strategy<Value = String> {
    "[$.{\\\\a é0]{1,5}"
}

/// Writes `keys` as the text between `${` and `}`: `.` inside a key as `\.`, `\` as is (the
/// syntax has no escape for a backslash). `None` when the keys cannot be written: a key
/// ending with `\` before another key would escape the separating dot, and a lone key of
/// blanks names nothing.
fn reference(keys: &[String]) -> Option<String> {
    let ends_escaping = |k: &String| k.ends_with('\\');
    if keys[..keys.len() - 1].iter().any(ends_escaping) {
        return None;
    }
    if keys.len() == 1 && keys[0].trim().is_empty() {
        return None;
    }
    let written: Vec<String> = keys.iter().map(|k| k.replace('.', "\\.")).collect();
    Some(written.join("."))
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn escaped_text_parses_back_to_itself(s in text()) {
        let template = parse(&escape(&s));
        prop_assert!(template.errors.is_empty());
        prop_assert!(template.is_literal());
        prop_assert_eq!(template.render(|_| Err(())), Ok(s.clone()));
        match template.segments.as_slice() {
            [] => prop_assert!(s.is_empty()),
            [Segment::Literal(one)] => prop_assert_eq!(one, &s),
            more => prop_assert!(false, "{} segments for literal text", more.len()),
        }
    }

    #[test]
    fn any_text_parses_without_panic_and_ranges_hold(s in text()) {
        let template = parse(&s);
        for p in template.placeholders() {
            let whole = s.get(p.range.clone()).unwrap_or_default();
            prop_assert!(whole.starts_with("${") && whole.ends_with('}'), "{:?}", whole);
            prop_assert!(!p.keys.is_empty() && p.keys.iter().all(|k| !k.is_empty()));
        }
        for e in &template.errors {
            prop_assert!(s.get(e.range.clone()).is_some());
        }
        // Rendering each placeholder as its own text gives the input back, `$$` unescaped.
        let again = template.render(|p| Ok::<_, ()>(s[p.range.clone()].to_owned())).unwrap();
        if !s.contains("$$") {
            prop_assert_eq!(again, s);
        }
    }

    #[test]
    fn references_written_from_keys_parse_back_to_them(
        keys in prop::collection::vec(key(), 1..4),
        before in text(),
        after in text(),
        value in text(),
    ) {
        let Some(written) = reference(&keys) else { return Ok(()) };
        let input = format!("{}${{{written}}}{}", escape(&before), escape(&after));
        let template = parse(&input);
        prop_assert!(template.errors.is_empty(), "{:?}", template.errors);
        let found: Vec<_> = template.placeholders().collect();
        prop_assert_eq!(found.len(), 1, "{:?}", input);
        prop_assert_eq!(&found[0].keys, &keys);
        prop_assert_eq!(found[0].source(&input), written.as_str());
        let rendered = template.render(|_| Ok::<_, ()>(value.clone())).unwrap();
        prop_assert_eq!(rendered, format!("{before}{value}{after}"));
    }
}
