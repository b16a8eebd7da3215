//! Recognising a Go template (score-k8s's and score-compose's template provisioners) in a
//! provisioner file, so that the error says "this is a Go template; ours are minijinja" and
//! how to write the construct found, instead of minijinja's bare syntax error.

use score_spec::diagnostics::Diagnostic;
use score_spec::{SourceFile, Span};

use super::Template;

/// A Go template construct, where it is and what to write instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GoConstruct {
    /// The template line it is on (0-based).
    pub line: usize,
    /// The construct as written (`.Params.host`, `randAlphaNum 16`, `| quote`, `end`, …).
    pub found: String,
    /// The minijinja way to write it.
    pub instead: String,
}

/// score-k8s's template data fields and our context names.
const FIELDS: [(&str, &str); 15] = [
    ("Params", "params"),
    ("Init", "init"),
    ("State", "state"),
    ("Shared", "shared"),
    ("Uid", "uid"),
    ("Guid", "guid"),
    ("Type", "type"),
    ("Class", "class"),
    ("Id", "resource_name"),
    ("Metadata", "metadata"),
    ("SourceWorkload", "source_workload"),
    ("WorkloadMetadata", "workload_metadata"),
    ("WorkloadServices", "workload_services"),
    ("Namespace", "namespace"),
    (
        "ComposeProjectName",
        "(no equivalent: `--project` is not passed to templates)",
    ),
];

/// Go template functions (text/template and sprig) that minijinja does not have, with the way
/// to write them here.
const FUNCTIONS: [(&str, &str); 22] = [
    (
        "randAlphaNum",
        "`random(N)` (derived from the seed, so stable between compiles)",
    ),
    ("randAlpha", "`random(N)`"),
    (
        "randNumeric",
        "`random(N, \"hex\")` (charsets: alphanumeric, lower, hex)",
    ),
    ("randAscii", "`random(N)`"),
    ("encodeSecretRef", "`secret_ref(\"name\", \"key\")`"),
    ("quote", "`value | tojson` (a JSON string is a YAML string)"),
    ("squote", "`value | tojson`"),
    ("toJson", "`value | tojson`"),
    ("toRawJson", "`value | tojson`"),
    ("toYaml", "`value | tojson` (JSON is YAML)"),
    ("b64enc", "`value | b64encode`"),
    ("sha256sum", "`value | sha256`"),
    (
        "dig",
        "`(map.k1 | default({})).k2 | default(DEFAULT)` (for `dig \"k1\" \"k2\" DEFAULT .Map`)",
    ),
    ("default", "`value | default(\"fallback\")`"),
    ("printf", "`a ~ \"-\" ~ b` (`~` joins strings)"),
    ("required", "`fail(\"message\")` in an `{% if %}`"),
    ("hasKey", "`\"key\" in mapping`"),
    ("index", "`mapping[\"key\"]`"),
    ("eq", "`a == b`"),
    ("ne", "`a != b`"),
    ("len", "`value | length`"),
    ("dict", "a mapping literal `{\"key\": value}`"),
];

/// Control words, with their minijinja block.
const KEYWORDS: [(&str, &str); 6] = [
    ("if", "`{% if condition %}`"),
    ("else", "`{% else %}` (`{% elif … %}` for `else if`)"),
    ("end", "`{% endif %}` or `{% endfor %}`"),
    ("range", "`{% for item in list %}` … `{% endfor %}`"),
    ("with", "`{% if value %}` or `{% set x = value %}`"),
    ("define", "`{% macro name() %}` … `{% endmacro %}`"),
];

/// The code of the error for a template that looks like a Go template.
pub(crate) const CODE: &str = "score::provisioner::go-template";

/// The first Go template construct in `text`, if it looks like a Go template.
pub(crate) fn find(text: &str) -> Option<GoConstruct> {
    for (line, content) in text.lines().enumerate() {
        let mut rest = content;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let end = after.find("}}").unwrap_or(after.len());
            let action = after[..end].trim_start_matches('-').trim_end_matches('-');
            if let Some((found, instead)) = construct(action.trim()) {
                return Some(GoConstruct {
                    line,
                    found,
                    instead,
                });
            }
            rest = &after[end..];
        }
    }
    None
}

/// The error for a template that does not compile and holds a Go template construct: at the
/// construct's line in the provisioner file (else at `fallback`), saying what to write.
pub(crate) fn diagnostic(
    construct: &GoConstruct,
    field: &str,
    uri: &str,
    template: &Template,
    source: &SourceFile,
    pointer: String,
    fallback: Span,
) -> Diagnostic {
    let span = (template.first_line > 0)
        .then(|| {
            span_at(
                source.text(),
                template.first_line as usize + construct.line,
                &construct.found,
            )
        })
        .flatten()
        .unwrap_or(fallback);
    Diagnostic::error(
        CODE,
        format!(
            "the `{field}` template of `{uri}` looks like a Go template (`{}`), but templates here are minijinja",
            construct.found
        ),
    )
    .at(pointer, span)
    .with_help(format!(
        "write {} instead; README section \"Coming from score-k8s / score-compose\" maps the Go template functions and fields to ours (command provisioners work unchanged)",
        construct.instead
    ))
    .with_source(source)
}

/// The span of `found` (or of its first word) on 1-based `line` of `text`.
fn span_at(text: &str, line: usize, found: &str) -> Option<Span> {
    let mut offset = 0;
    let content = text.split_inclusive('\n').enumerate().find_map(|(i, l)| {
        if i + 1 == line {
            return Some(l);
        }
        offset += l.len();
        None
    })?;
    let word = found
        .split_whitespace()
        .find(|w| *w != "|")
        .unwrap_or(found);
    let (start, len) = match content.find(found) {
        Some(at) => (at, found.len()),
        None => (content.find(word)?, word.len()),
    };
    Some(Span {
        offset: offset + start,
        len,
        line: line as u32,
        column: content[..start].chars().count() as u32 + 1,
    })
}

/// What in one `{{ … }}` action is Go template syntax.
fn construct(action: &str) -> Option<(String, String)> {
    if action.starts_with("/*") {
        return Some((action.to_owned(), "a comment `{# … #}`".to_owned()));
    }
    let words: Vec<&str> = action.split_whitespace().collect();
    let first = *words.first()?;
    if let Some(&(word, instead)) = KEYWORDS.iter().find(|(k, _)| *k == first) {
        // `if x` is a Go action; `if` alone could only be a variable named so.
        if words.len() > 1 || matches!(word, "else" | "end") {
            return Some((word.to_owned(), instead.to_owned()));
        }
    }
    if first.starts_with('$') && (words.get(1) == Some(&":=") || first.starts_with("$.")) {
        return Some((first.to_owned(), "`{% set name = value %}`".to_owned()));
    }
    // Functions called with space-separated arguments, or piped into.
    for (i, word) in words.iter().enumerate() {
        let called = i == 0 && words.len() > 1 || i > 0 && words[i - 1] == "|";
        if let Some((name, instead)) = FUNCTIONS.iter().find(|(f, _)| f == word)
            && (called || !word.chars().all(|c| c.is_ascii_lowercase()))
        {
            let found = if i == 0 {
                words.join(" ")
            } else {
                format!("| {name}")
            };
            return Some((found, (*instead).to_owned()));
        }
    }
    // `.Params.host`, also as an argument (`dig "a" .Params`).
    let field = action
        .split(|c: char| c.is_whitespace() || "()|".contains(c))
        .find(|w| w.starts_with('.') && w[1..].starts_with(|c: char| c.is_ascii_uppercase()))?;
    let name = field[1..].split('.').next().unwrap_or_default();
    let ours = FIELDS
        .iter()
        .find(|(go, _)| *go == name)
        .map_or("the lower-case name, without the leading dot", |(_, o)| o);
    Some((
        field.to_owned(),
        format!("`{ours}{}`", &field[1 + name.len()..]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> (usize, String, String) {
        let c = find(text).unwrap_or_else(|| panic!("nothing found in {text:?}"));
        (c.line, c.found, c.instead)
    }

    #[test]
    fn finds_the_constructs_of_score_k8s_templates() {
        assert_eq!(
            first("host: x\nport: {{ .Params.port }}"),
            (1, ".Params.port".into(), "`params.port`".into())
        );
        assert_eq!(first("{{ .State.password }}").2, "`state.password`");
        assert_eq!(first("{{ .Init.name }}").2, "`init.name`");
        assert!(first("{{ randAlphaNum 16 }}").2.contains("random(N)"));
        assert_eq!(first("{{ randAlphaNum 16 }}").1, "randAlphaNum 16");
        assert!(first("{{ x | quote }}").2.contains("tojson"));
        assert_eq!(first("{{- x | b64enc -}}").1, "| b64enc");
        assert!(
            first("{{ dig \"a\" \"b\" \"\" .Params }}")
                .2
                .contains("default")
        );
        assert!(
            first("{{ encodeSecretRef \"s\" \"k\" }}")
                .2
                .contains("secret_ref")
        );
        assert!(first("{{ if .Params.x }}a{{ end }}").2.contains("{% if"));
        assert!(first("{{ range $k, $v := .Params }}").2.contains("{% for"));
        assert!(first("{{ end }}").2.contains("endif"));
        assert!(first("{{ $x := 1 }}").2.contains("{% set"));
        assert!(first("{{/* note */}}").2.contains("{#"));
        assert!(first("{{ printf \"%s-%s\" .Uid .Id }}").2.contains('~'));
    }

    #[test]
    fn leaves_minijinja_alone() {
        for text in [
            "host: {{ params.host | default(\"x\") }}",
            "{{ random(16) }} {{ name | tojson }} {{ x | b64encode }}",
            "{% if params.x %}{{ params.x }}{% endif %}",
            "{{ state.end }} {{ if }}",
            "{{ \"a\" ~ b }}",
            "{{ default }}",
        ] {
            assert_eq!(find(text), None, "{text}");
        }
    }
}
