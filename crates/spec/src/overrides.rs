//! Overrides applied to a workload before it is upgraded and validated, compatible with
//! score-k8s and score-compose: `--overrides-file FILE` (deep merge: mappings merge, anything
//! else replaces) and `--override-property PATH=VALUE` (a dot path, `\.` for a dot inside a
//! key and `\\` for a backslash; numbers index sequences, `-1` appends; the value is read as YAML; an empty value
//! deletes the key).
//!
//! Overridden values were not written in the Score file, so they have no place in it: a
//! problem with one is reported at the nearest enclosing value that was, and its message
//! names the override.
//!
//! ```
//! use score_spec::{ParseOptions, SourceFile, overrides::Override};
//!
//! let text = "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: nginx\n";
//! let options = ParseOptions {
//!     overrides: vec![Override::property("containers.web.image=nginx:1.27").unwrap()],
//!     ..Default::default()
//! };
//! let parsed = score_spec::parse_workload_with(SourceFile::new("score.yaml", text), &options).unwrap();
//! assert_eq!(*parsed.workload.containers["web"].image, "nginx:1.27");
//! ```

use crate::diagnostics::Diagnostic;
use crate::node::{Entry, Node, Value, escape_pointer_token};
use crate::source::{SourceFile, Span};
use crate::yaml::{Limits, parse_document};

/// One override, with how it was given (for messages).
#[derive(Clone, Debug)]
pub struct Override {
    kind: Kind,
    /// How the user wrote it: `--override-property a.b=1` or `--overrides-file f.yaml`.
    pub origin: String,
}

#[derive(Clone, Debug)]
enum Kind {
    Merge(Node),
    Set {
        path: Vec<String>,
        value: Option<Node>,
    },
}

impl Override {
    /// Reads `PATH=VALUE` as `--override-property` takes it. The error says what is wrong.
    pub fn property(arg: &str) -> Result<Override, String> {
        let origin = format!("--override-property {arg}");
        let (path, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("`{arg}` is not PATH=VALUE"))?;
        let path = split_path(path).ok_or_else(|| {
            format!(
                "`{path}` is not a path: write keys separated by `.` (`\\.` for a dot inside a key)"
            )
        })?;
        let value = if value.is_empty() {
            None
        } else {
            let source = SourceFile::new(&origin, value);
            let node = parse_document(&source, &Limits::default())
                .map_err(|d| format!("the value `{value}` is not YAML: {}", d.message))?;
            Some(unlocated(node))
        };
        Ok(Override {
            kind: Kind::Set { path, value },
            origin,
        })
    }

    /// Reads an overrides file (`--overrides-file`): a YAML mapping merged into the workload.
    pub fn file(source: &SourceFile, limits: &Limits) -> Result<Override, Box<Diagnostic>> {
        let node = crate::parse_yaml(source, limits)?;
        if node.as_map().is_none() {
            return Err(Box::new(
                Diagnostic::error(
                    "score::override::not-a-mapping",
                    format!(
                        "an overrides file must be a mapping, found {}",
                        node.type_name()
                    ),
                )
                .at("", node.span)
                .with_help("write the fields to change as they are nested in the Score file, e.g. `containers: {web: {image: nginx:1.27}}`")
                .with_source(source),
            ));
        }
        Ok(Override {
            kind: Kind::Merge(unlocated(node)),
            origin: format!("--overrides-file {}", source.name()),
        })
    }
}

/// Splits `a.b\.c.0` into `a`, `b.c`, `0`; `None` for an empty key. As in score-go, `\\` is
/// a backslash and `\.` a dot inside a key; a backslash before anything else is kept.
fn split_path(path: &str) -> Option<Vec<String>> {
    let mut keys = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('.' | '\\')) => {
                let escaped = chars.next()?;
                keys.last_mut()?.push(escaped);
            }
            '.' => keys.push(String::new()),
            c => keys.last_mut()?.push(c),
        }
    }
    keys.iter().all(|k| !k.is_empty()).then_some(keys)
}

/// `keys` as `--override-property` takes them, so that messages name a path the user can
/// write back: a `.` inside a key is `\.`, and a `\` that would otherwise read as an escape is
/// `\\`. The inverse of [`split_path`] for non-empty keys.
fn format_path(keys: &[String]) -> String {
    let mut out = String::new();
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        let last_key = i + 1 == keys.len();
        let mut chars = key.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '.' => out.push_str("\\."),
                '\\' => {
                    let escape = match chars.peek() {
                        Some('.' | '\\') => true,
                        Some(_) => false,
                        None => !last_key,
                    };
                    out.push_str(if escape { "\\\\" } else { "\\" });
                }
                c => out.push(c),
            }
        }
    }
    out
}

/// Values from an override were not written in the Score file: their spans would point into
/// another text, so they have none.
fn unlocated(mut node: Node) -> Node {
    node.span = Span::UNKNOWN;
    match &mut node.value {
        Value::Seq(items) => {
            let taken = std::mem::take(items);
            *items = taken.into_iter().map(unlocated).collect();
        }
        Value::Map(entries) => {
            for e in entries.iter_mut() {
                e.key_span = Span::UNKNOWN;
                let value = std::mem::replace(&mut e.value, Node::new(Value::Null, Span::UNKNOWN));
                e.value = unlocated(value);
            }
        }
        _ => {}
    }
    node
}

/// Where an override put something (a JSON pointer), and which override.
#[derive(Clone, Debug)]
pub(crate) struct Applied {
    pointer: String,
    origin: String,
}

/// Applies `overrides` in order. Problems (a path through a scalar, an index out of range) are
/// errors naming the override.
pub(crate) fn apply(
    document: &mut Node,
    overrides: &[Override],
) -> (Vec<Applied>, Vec<Diagnostic>) {
    let mut applied = Vec::new();
    let mut problems = Vec::new();
    for o in overrides {
        match &o.kind {
            Kind::Merge(patch) => merge(document, patch, "", &o.origin, &mut applied),
            Kind::Set { path, value } => {
                match set(document, path, value.clone()) {
                    Ok(pointer) => applied.push(Applied {
                        pointer,
                        origin: o.origin.clone(),
                    }),
                    Err(why) => problems.push(
                        Diagnostic::error(
                            "score::override::path",
                            format!("`{}` cannot be applied: {why}", o.origin),
                        )
                        .at("", document.span)
                        .with_help("check the path against the Score file: keys separated by `.`, numbers to index lists, `-1` to append"),
                    ),
                }
            }
        }
    }
    (applied, problems)
}

fn merge(target: &mut Node, patch: &Node, pointer: &str, origin: &str, applied: &mut Vec<Applied>) {
    match (&mut target.value, &patch.value) {
        (Value::Map(entries), Value::Map(patch_entries)) => {
            for p in patch_entries {
                let here = format!("{pointer}/{}", escape_pointer_token(&p.key));
                match entries.iter_mut().find(|e| e.key == p.key) {
                    Some(e) => merge(&mut e.value, &p.value, &here, origin, applied),
                    None => {
                        entries.push(p.clone());
                        applied.push(Applied {
                            pointer: here,
                            origin: origin.to_owned(),
                        });
                    }
                }
            }
        }
        _ => {
            *target = patch.clone();
            applied.push(Applied {
                pointer: pointer.to_owned(),
                origin: origin.to_owned(),
            });
        }
    }
}

/// Sets (or, for `None`, deletes) the value at `path`, creating mappings on the way. Returns
/// the JSON pointer of what changed.
fn set(document: &mut Node, path: &[String], value: Option<Node>) -> Result<String, String> {
    let mut node = document;
    let mut pointer = String::new();
    let (last, parents) = path.split_last().expect("paths are not empty");
    for (depth, key) in parents.iter().enumerate() {
        let so_far = format_path(&path[..depth]);
        let next = &path[depth + 1];
        let kind = node.type_name();
        node = match &mut node.value {
            Value::Map(entries) => {
                let i = match entries.iter().position(|e| e.key == *key) {
                    Some(i) => i,
                    None if value.is_none() => {
                        return Err(format!("`{}` does not exist", format_path(&path[..=depth])));
                    }
                    None => {
                        // What comes next decides what to create: an index needs a list.
                        let empty = match next.parse::<i64>() {
                            Ok(_) => Value::Seq(Vec::new()),
                            Err(_) => Value::Map(Vec::new()),
                        };
                        entries.push(Entry {
                            key: key.clone(),
                            key_span: Span::UNKNOWN,
                            value: Node::new(empty, Span::UNKNOWN),
                        });
                        entries.len() - 1
                    }
                };
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(key));
                &mut entries[i].value
            }
            Value::Seq(items) => {
                let i = index(key, items.len(), false).ok_or_else(|| {
                    format!(
                        "`{key}` is not an index of the {} items of `{so_far}`",
                        items.len()
                    )
                })?;
                pointer.push_str(&format!("/{i}"));
                &mut items[i]
            }
            _ => return Err(no_key(&so_far, kind, key)),
        };
    }
    let parent = format_path(&path[..path.len() - 1]);
    let kind = node.type_name();
    match (&mut node.value, value) {
        (Value::Map(entries), value) => {
            pointer.push('/');
            pointer.push_str(&escape_pointer_token(last));
            let found = entries.iter().position(|e| e.key == *last);
            match (found, value) {
                (Some(i), Some(v)) => entries[i].value = v,
                (None, Some(v)) => entries.push(Entry {
                    key: last.clone(),
                    key_span: Span::UNKNOWN,
                    value: v,
                }),
                (Some(i), None) => {
                    entries.remove(i);
                }
                (None, None) => return Err(format!("`{}` does not exist", format_path(path))),
            }
        }
        (Value::Seq(items), value) => {
            let append = value.is_some();
            let i = index(last, items.len(), append).ok_or_else(|| {
                format!(
                    "`{last}` is not an index of the {} items of `{parent}`",
                    items.len()
                )
            })?;
            pointer.push_str(&format!("/{i}"));
            match value {
                Some(v) if i == items.len() => items.push(v),
                Some(v) => items[i] = v,
                None => {
                    items.remove(i);
                }
            }
        }
        _ => {
            return Err(format!(
                "`{parent}` is {}, so it has no `{last}`",
                article(kind)
            ));
        }
    }
    Ok(pointer)
}

/// The error for a key looked up in something that is not a mapping or a list.
fn no_key(so_far: &str, kind: &str, key: &str) -> String {
    let what = if so_far.is_empty() {
        "the document".to_owned()
    } else {
        format!("`{so_far}`")
    };
    format!("{what} is {}, so it has no `{key}`", article(kind))
}

/// `a string`, `an integer`.
fn article(kind: &str) -> String {
    let an = kind.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {kind}", if an { "an" } else { "a" })
}

/// A sequence index: `0..len`, or `-1` for one past the end when appending.
fn index(key: &str, len: usize, append: bool) -> Option<usize> {
    match key.parse::<i64>().ok()? {
        -1 if append => Some(len),
        i if i >= 0 && (i as usize) < len => Some(i as usize),
        _ => None,
    }
}

/// Names the override behind each problem about an overridden value, and places it at the
/// nearest enclosing value the Score file has.
pub(crate) fn annotate(diagnostics: &mut [Diagnostic], applied: &[Applied], document: &Node) {
    for d in diagnostics {
        let inside = |outer: &str, inner: &str| {
            inner == outer || inner.starts_with(&format!("{outer}/")) || outer.is_empty()
        };
        // A value the override wrote, or a mapping it created on the way to one.
        let created = document
            .locate(&d.pointer)
            .is_some_and(|l| l.node.span.is_unknown());
        let from = applied.iter().rev().find(|a| {
            inside(&a.pointer, &d.pointer) || (created && inside(&d.pointer, &a.pointer))
        });
        if let Some(a) = from {
            d.message = format!("{} (the value comes from `{}`)", d.message, a.origin);
        }
        if d.span.is_none_or(|s| s.is_unknown()) {
            d.span = known_ancestor(document, &d.pointer);
        }
    }
}

fn known_ancestor(document: &Node, pointer: &str) -> Option<Span> {
    let mut pointer = pointer.to_owned();
    loop {
        if let Some(l) = document.locate(&pointer) {
            let span = l.primary_span();
            if !span.is_unknown() {
                return Some(span);
            }
        }
        if pointer.is_empty() {
            return None;
        }
        pointer.truncate(pointer.rfind('/').unwrap_or(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ParseOptions, parse_workload_with};

    const WEB: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    args: [a, b]
    variables:
      A: one
resources:
  db:
    type: postgres
";

    fn with(overrides: Vec<Override>) -> Result<crate::Parsed, crate::Diagnostics> {
        let options = ParseOptions {
            overrides,
            ..Default::default()
        };
        parse_workload_with(SourceFile::new("score.yaml", WEB), &options)
    }

    fn property(p: &str) -> Override {
        Override::property(p).unwrap()
    }

    #[test]
    fn properties_set_delete_index_and_append() {
        let parsed = with(vec![
            property("containers.web.variables.B=\"true\""),
            property("containers.web.variables.A="),
            property("containers.web.args.0=first"),
            property("containers.web.args.-1=last"),
            property("metadata.annotations.example\\.com/team=blue"),
            property("resources.db="),
        ])
        .unwrap();
        let web = &parsed.workload.containers["web"];
        let variables: Vec<(&str, &str)> = web
            .variables
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.value.as_str()))
            .collect();
        // `"true"` stays a string (unquoted, it would be a boolean the schema rejects).
        assert_eq!(variables[0], ("B", "true"));
        let args: Vec<&str> = web
            .args
            .iter()
            .flatten()
            .map(|a| a.value.as_str())
            .collect();
        assert_eq!(args, ["first", "b", "last"]);
        assert_eq!(
            *parsed.workload.metadata.annotations["example.com/team"],
            "blue"
        );
        assert!(parsed.workload.resources.is_empty());
    }

    #[test]
    fn problems_name_the_override_and_point_into_the_file() {
        let d = with(vec![property("containers.web.image=42")]).unwrap_err();
        let d = d.iter().next().unwrap();
        assert!(
            d.message
                .contains("--override-property containers.web.image=42"),
            "{}",
            d.message
        );
        assert_eq!(d.span.unwrap().line, 6);

        let d = with(vec![property("containers.web.image.tag=1")]).unwrap_err();
        let d = d.iter().next().unwrap();
        assert_eq!(d.code, "score::override::path");
        assert!(d.message.contains("is a string"), "{}", d.message);

        let d = with(vec![property("containers.web.args.7=x")]).unwrap_err();
        assert!(
            d.iter()
                .next()
                .unwrap()
                .message
                .contains("not an index of the 2 items")
        );

        assert!(Override::property("no-equals").is_err());
        assert!(Override::property("a..b=1").is_err());
        assert!(Override::property("a=[unclosed").is_err());
    }

    #[test]
    fn a_file_merges_mappings_and_replaces_the_rest() {
        let patch = SourceFile::new(
            "prod.yaml",
            "containers:\n  web:\n    image: nginx:1.27\n    args: [z]\n    variables:\n      B: two\n",
        );
        let parsed = with(vec![Override::file(&patch, &Limits::default()).unwrap()]).unwrap();
        let web = &parsed.workload.containers["web"];
        assert_eq!(*web.image, "nginx:1.27");
        assert_eq!(web.args.as_ref().map(Vec::len), Some(1));
        assert_eq!(web.variables.len(), 2);
        let list = SourceFile::new("bad.yaml", "- a\n");
        assert_eq!(
            Override::file(&list, &Limits::default()).unwrap_err().code,
            "score::override::not-a-mapping"
        );
    }

    #[test]
    fn paths() {
        assert_eq!(
            split_path("a.b\\.c.0"),
            Some(vec!["a".into(), "b.c".into(), "0".into()])
        );
        // score-go's rule: `\\` is a backslash, so a key can end with one.
        assert_eq!(
            split_path("a.b\\\\.c"),
            Some(vec!["a".into(), "b\\".into(), "c".into()])
        );
        assert_eq!(split_path("a\\b"), Some(vec!["a\\b".into()]));
        assert_eq!(format_path(&["b\\".into(), "c.d".into()]), "b\\\\.c\\.d");
        assert_eq!(split_path("a..b"), None);
        assert_eq!(split_path(""), None);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use proptest::test_runner::{Config, RngSeed};

        /// Deterministic unless `PROPTEST_RNG_SEED` is set; no failure files in the repository.
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

        /// Keys made of the characters paths treat specially, and others.
        fn key() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop::sample::select(vec!['.', '\\', 'a', '0', '-', '=', 'é', ' ', '/']),
                1..6,
            )
            .prop_map(|chars| chars.into_iter().collect())
        }

        /// A tree of YAML values, as JSON text (YAML reads JSON).
        fn document() -> impl Strategy<Value = serde_json::Value> {
            use serde_json::Value as J;
            let leaf = prop_oneof![
                Just(J::Null),
                any::<bool>().prop_map(J::Bool),
                any::<i32>().prop_map(J::from),
                "[a-z0-9.]{0,4}".prop_map(J::String),
            ];
            leaf.prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(J::Array),
                    prop::collection::vec(("[a-z0-9]{1,2}|-1|0|1", inner), 0..4)
                        .prop_map(|entries| J::Object(entries.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(config(512))]

            #[test]
            fn formatted_paths_split_back_into_their_keys(keys in prop::collection::vec(key(), 1..5)) {
                let written = format_path(&keys);
                prop_assert_eq!(split_path(&written), Some(keys.clone()), "written as {:?}", written);
                // Through the flag too, when the path has no `=` (the flag splits at the first).
                if !written.contains('=') {
                    let o = Override::property(&format!("{written}=1")).unwrap();
                    let Kind::Set { path, .. } = o.kind else { panic!("a property sets") };
                    prop_assert_eq!(path, keys);
                }
            }

            #[test]
            fn splitting_any_text_never_panics(text in "[.\\\\a=é]{0,12}") {
                if let Some(keys) = split_path(&text) {
                    prop_assert!(keys.iter().all(|k| !k.is_empty()));
                    prop_assert_eq!(split_path(&format_path(&keys)), Some(keys));
                }
                let _ = Override::property(&text);
            }

            #[test]
            fn applying_a_property_to_any_document_never_panics(
                doc in document(),
                path in prop::collection::vec("[a-z0-9]{1,2}|-1|0|1|x\\.y", 1..5),
                value in prop::option::of("[a-z0-9]{1,3}|\\[1\\]|\\{a: 1\\}"),
            ) {
                let source = SourceFile::new("doc.json", doc.to_string());
                let mut node = parse_document(&source, &Limits::default()).unwrap();
                let arg = format!("{}={}", path.join("."), value.unwrap_or_default());
                if let Ok(o) = Override::property(&arg) {
                    let (applied, problems) = apply(&mut node, &[o]);
                    // Exactly one outcome: applied, or one problem naming the flag.
                    prop_assert_eq!(applied.len() + problems.len(), 1);
                    for p in &problems {
                        prop_assert_eq!(p.code, "score::override::path");
                        prop_assert!(p.message.contains(&arg), "{}", p.message);
                    }
                }
            }
        }
    }
}
