//! Validation against our JSON schema (`schemas/score-v1b1.json`), with errors turned into
//! diagnostics that say what to write instead.
//!
//! The schema is compiled once per process and reused. Valid documents take the fast
//! `is_valid` path; only invalid ones pay for collecting and explaining errors.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value as Json;

use crate::diagnostics::Diagnostic;
use crate::node::{Node, Value, escape_pointer_token};
use crate::source::{Span, excerpt};

/// The Score v1b1 JSON schema this crate validates against.
pub const SCORE_V1B1_SCHEMA: &str = include_str!("../../../schemas/score-v1b1.json");

struct Compiled {
    schema: Json,
    validator: jsonschema::Validator,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let schema: Json =
            serde_json::from_str(SCORE_V1B1_SCHEMA).expect("the embedded schema is valid JSON");
        let validator = jsonschema::draft202012::new(&schema)
            .expect("the embedded schema is a valid draft 2020-12 schema");
        Compiled { schema, validator }
    })
}

/// How telling an explanation is, when several errors concern one node: lower wins.
type Rank = u8;

/// Checks `document` against the schema; returns one diagnostic per problem.
pub(crate) fn validate(document: &Node, source: &str) -> Vec<Diagnostic> {
    let compiled = compiled();
    let instance = document.to_json();
    if compiled.validator.is_valid(&instance) {
        return Vec::new();
    }
    let context = Context {
        document,
        schema: &compiled.schema,
        source,
    };
    // Several schema errors often describe one mistake (a name both too short and not
    // matching the pattern): keep the most telling one per node. Unknown fields are reported
    // one by one, as each is its own mistake.
    let mut per_node: BTreeMap<String, (Rank, Diagnostic)> = BTreeMap::new();
    let mut separate = Vec::new();
    for error in compiled.validator.iter_errors(&instance) {
        let pointer = error.instance_path().as_str().to_owned();
        match context.explain(&pointer, error.kind()) {
            Explained::Ranked(rank, diagnostic) => {
                let replace = per_node
                    .get(&diagnostic.pointer)
                    .is_none_or(|(r, _)| rank < *r);
                if replace {
                    per_node.insert(diagnostic.pointer.clone(), (rank, diagnostic));
                }
            }
            Explained::Separate(list) => separate.extend(list),
        }
    }
    per_node
        .into_values()
        .map(|(_, d)| d)
        .chain(separate)
        .collect()
}

enum Explained {
    Ranked(Rank, Diagnostic),
    Separate(Vec<Diagnostic>),
}

struct Context<'a> {
    document: &'a Node,
    schema: &'a Json,
    source: &'a str,
}

/// The node a schema error is about, and what is known of it.
struct Site<'n> {
    pointer: String,
    tokens: Vec<String>,
    span: Span,
    node: Option<&'n Node>,
    /// Its name for messages: `` `containers.web.image` ``.
    what: String,
    field: FieldKind,
}

impl Site<'_> {
    /// An error at this node.
    fn error(&self, code: &'static str, message: String) -> Diagnostic {
        Diagnostic::error(code, message).at(self.pointer.clone(), self.span)
    }
}

/// What to write for a container image that is missing or empty: usually one CI builds.
const IMAGE_HELP: &str = "write the image reference, e.g. `image: ghcr.io/acme/web:1.4`; or, when it is built by CI, write `image: \".\"` (a `.` means \"given when compiling\") and pass it with `--image`: `score compile --image ghcr.io/acme/web:1.4 ...`";

/// A map key that does not have the format its map needs.
fn bad_key(site: &Site, key: &str) -> Diagnostic {
    let shown = excerpt(key);
    let key_span = site
        .node
        .and_then(|n| n.entry(key))
        .map_or(site.span, |e| e.key_span);
    let field = FieldKind::of_key(&site.tokens);
    let key_pointer = format!("{}/{}", site.pointer, escape_pointer_token(key));
    let d = Diagnostic::error(
        "score::schema::key-format",
        format!(
            "{} `{shown}` is not valid: {}",
            field.noun(),
            field.expectation()
        ),
    )
    .at(key_pointer, key_span)
    .with_label(field.label());
    match field.help_for(key) {
        Some(help) => d.with_help(help),
        None => d,
    }
}

impl Context<'_> {
    fn explain(&self, pointer: &str, kind: &ValidationErrorKind) -> Explained {
        let tokens = tokens(pointer);
        let located = self.document.locate(pointer);
        let site = Site {
            pointer: pointer.to_owned(),
            span: located.map_or(Span::UNKNOWN, |l| l.primary_span()),
            node: located.map(|l| l.node),
            what: describe(&tokens),
            field: FieldKind::of(&tokens),
            tokens,
        };
        match kind {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                Explained::Separate(self.unknown_fields(&site, unexpected))
            }
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                let d = site
                    .error(
                        "score::schema::required",
                        format!("{} is missing the required field `{property}`", site.what),
                    )
                    .with_label(format!("`{property}` missing here"))
                    .with_help(required_help(property));
                Explained::Separate(vec![d])
            }
            ValidationErrorKind::Type { kind } => {
                Explained::Ranked(0, self.wrong_type(&site, kind))
            }
            ValidationErrorKind::Enum { options } => {
                Explained::Ranked(1, self.not_allowed(&site, options))
            }
            ValidationErrorKind::Constant { expected_value } => {
                let d = site.error(
                    "score::schema::enum",
                    format!(
                        "{} must be `{}`",
                        site.what,
                        expected_value.as_str().unwrap_or_default()
                    ),
                );
                Explained::Ranked(1, d)
            }
            ValidationErrorKind::Pattern { .. }
            | ValidationErrorKind::MinLength { .. }
            | ValidationErrorKind::MaxLength { .. } => Explained::Ranked(2, self.bad_format(&site)),
            ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => {
                Explained::Ranked(1, self.out_of_range(&site, limit))
            }
            ValidationErrorKind::MinProperties { .. } if site.tokens == ["containers"] => {
                let d = site
                    .error(
                        "score::schema::no-containers",
                        "a workload needs at least one container".to_owned(),
                    )
                    .with_label("empty")
                    .with_help("add one, e.g.\n  containers:\n    main:\n      image: nginx:1.27");
                Explained::Ranked(1, d)
            }
            ValidationErrorKind::PropertyNames { error } => {
                let key = error.instance().as_str().unwrap_or_default();
                Explained::Ranked(2, bad_key(&site, key))
            }
            ValidationErrorKind::AnyOf { .. } if site.field == FieldKind::Probe => {
                let d = site
                    .error(
                        "score::schema::probe-kind",
                        format!("{} needs `httpGet`, `exec` or both", site.what),
                    )
                    .with_label("no check given")
                    .with_help(
                        "add one, e.g.\n  httpGet:\n    port: 8080\n    path: /healthz\nor\n  exec:\n    command: [\"/bin/check\"]",
                    );
                Explained::Ranked(1, d)
            }
            ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::OneOfMultipleValid { .. }
                if site.field == FieldKind::FileEntry =>
            {
                Explained::Ranked(1, self.file_sources(&site.tokens, site.node))
            }
            ValidationErrorKind::Not { .. }
                if matches!(site.field, FieldKind::FileEntry | FieldKind::VolumeEntry) =>
            {
                Explained::Ranked(1, self.target_in_map(&site))
            }
            other => {
                let d = site.error(
                    "score::schema::invalid",
                    format!("{} is not valid: {}", site.what, fallback_message(other)),
                );
                Explained::Ranked(3, d)
            }
        }
    }

    /// One diagnostic per unknown field, each at its key, with a "did you mean".
    fn unknown_fields(&self, site: &Site, unexpected: &[String]) -> Vec<Diagnostic> {
        let allowed = self.allowed_properties(&site.tokens);
        unexpected
            .iter()
            .map(|name| {
                let key_span = site
                    .node
                    .and_then(|n| n.entry(name))
                    .map_or(site.span, |e| e.key_span);
                // The pointer names the object (a key has no pointer of its own); the
                // location is the unknown key itself, where the fix goes.
                let mut d = Diagnostic::error(
                    "score::schema::unknown-field",
                    format!("unknown field `{}` in {}", excerpt(name), site.what),
                )
                .at(site.pointer.clone(), key_span)
                .with_label("not a field Score knows here");
                d.help = Some(match did_you_mean(name, &allowed) {
                    Some(guess) => format!("did you mean `{guess}`?"),
                    None if allowed.is_empty() => format!("remove `{name}`"),
                    None => format!("the fields allowed here are {}", list(&allowed)),
                });
                d
            })
            .collect()
    }

    fn wrong_type(&self, site: &Site, kind: &TypeKind) -> Diagnostic {
        let expected = match kind {
            TypeKind::Single(t) => t.to_string(),
            TypeKind::Multiple(set) => set
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" or "),
        };
        let node = site.node;
        if site.field == FieldKind::Image && node.is_some_and(|n| matches!(n.value, Value::Null)) {
            // `image:` left for CI to fill in: quoting `null` would ship an image named `null`.
            return site
                .error("score::schema::type", format!("{} has no value", site.what))
                .with_label("no image")
                .with_help(IMAGE_HELP);
        }
        let found = node.map_or("nothing", Node::type_name);
        let written = node.map(|n| self.written(n)).unwrap_or_default();
        let d = site
            .error(
                "score::schema::type",
                format!(
                    "{} must be {}, found {found} `{written}`",
                    site.what,
                    article(&expected)
                ),
            )
            .with_label(format!("expected {expected}"));
        if expected == "string" && node.is_some_and(is_plain_scalar) {
            let key = site.tokens.last().map_or("value", String::as_str);
            d.with_help(format!(
                "YAML reads an unquoted `{written}` as {}; quote it: `{key}: \"{written}\"`",
                article(found)
            ))
        } else if let Some(help) = site.field.help() {
            d.with_help(help)
        } else {
            d
        }
    }

    fn not_allowed(&self, site: &Site, options: &Json) -> Diagnostic {
        let options: Vec<String> = options
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|o| o.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let written = site.node.map(|n| self.written(n)).unwrap_or_default();
        let d = site
            .error(
                "score::schema::enum",
                format!(
                    "{} must be one of {}, found `{written}`",
                    site.what,
                    list(&options)
                ),
            )
            .with_label("not an allowed value");
        if let Some(exact) = options.iter().find(|o| o.eq_ignore_ascii_case(&written)) {
            d.with_help(format!("values are case-sensitive: write `{exact}`"))
        } else if let Some(guess) = did_you_mean(&written, &options) {
            d.with_help(format!("did you mean `{guess}`?"))
        } else {
            d
        }
    }

    /// A string that does not match its pattern or length.
    fn bad_format(&self, site: &Site) -> Diagnostic {
        let written = site.node.map(|n| self.written(n)).unwrap_or_default();
        let message = if written.is_empty() {
            format!("{} is empty: {}", site.what, site.field.expectation())
        } else {
            format!(
                "{} has an invalid value `{written}`: {}",
                site.what,
                site.field.expectation()
            )
        };
        let d = site
            .error("score::schema::format", message)
            .with_label(site.field.label());
        match site.field.help_for(&written) {
            Some(help) => d.with_help(help),
            None => d,
        }
    }

    fn out_of_range(&self, site: &Site, limit: &Json) -> Diagnostic {
        let range = if matches!(site.field, FieldKind::Port) {
            "between 1 and 65535".to_owned()
        } else {
            format!("within {limit}")
        };
        let written = site.node.map(|n| self.written(n)).unwrap_or_default();
        site.error(
            "score::schema::range",
            format!("{} must be {range}, found `{written}`", site.what),
        )
        .with_label("out of range")
    }

    /// `target` in the map form of files or volumes: the map key already is the target path;
    /// `target` belongs to the deprecated list form only. The mistake is in how the map is
    /// written, so it is reported there.
    fn target_in_map(&self, site: &Site) -> Diagnostic {
        let tokens = &site.tokens;
        let (parent, _) = self.parent(tokens);
        let target_span = site
            .node
            .and_then(|n| n.entry("target"))
            .map_or(site.span, |e| e.key_span);
        let entry = tokens.last().cloned().unwrap_or_default();
        Diagnostic::error(
            "score::schema::target-in-map",
            format!(
                "`target` is not allowed in the map form of {}: the key `{entry}` already is the target",
                describe(&tokens[..tokens.len().saturating_sub(1)])
            ),
        )
        .at(parent, target_span)
        .with_label("remove this")
        .with_help("delete the `target:` line, or write the target as the map key")
    }

    /// Exactly one of content / binaryContent / source: said about the `files` map, with the
    /// entry named, because that is where the reference schema reports it.
    fn file_sources(&self, tokens: &[String], node: Option<&Node>) -> Diagnostic {
        let (parent, parent_span) = self.parent(tokens);
        let target = tokens.last().cloned().unwrap_or_default();
        let present: Vec<String> = ["content", "binaryContent", "source"]
            .iter()
            .filter(|k| node.is_some_and(|n| n.get(k).is_some()))
            .map(|k| k.to_string())
            .collect();
        let entry_span = self
            .document
            .locate(&pointer_of(tokens))
            .map_or(parent_span, |l| l.primary_span());
        let (message, help) = if present.is_empty() {
            (
                format!(
                    "file `{target}` has no content: give one of `content`, `binaryContent` or `source`"
                ),
                "add `content: ...` for inline text, `binaryContent:` for base64, or `source: path` to read a file",
            )
        } else {
            (
                format!(
                    "file `{target}` has {}; give exactly one of `content`, `binaryContent` or `source`",
                    join_quoted(&present, "and")
                ),
                "keep one source of content and delete the others",
            )
        };
        Diagnostic::error("score::schema::file-content", message)
            .at(parent, entry_span)
            .with_label("this file")
            .with_help(help)
    }

    fn parent(&self, tokens: &[String]) -> (String, Span) {
        let parent = pointer_of(&tokens[..tokens.len().saturating_sub(1)]);
        let span = self
            .document
            .locate(&parent)
            .map_or(Span::UNKNOWN, |l| l.primary_span());
        (parent, span)
    }

    /// The value as written in the file (so `0644` stays `0644`), cut short for messages.
    fn written(&self, node: &Node) -> String {
        let raw = self
            .source
            .get(node.span.offset..node.span.offset + node.span.len)
            .unwrap_or("");
        match &node.value {
            Value::Map(_) => "{…}".to_owned(),
            Value::Seq(_) => "[…]".to_owned(),
            Value::String(s) => excerpt(s).into_owned(),
            _ if !raw.is_empty() && !raw.contains('\n') => excerpt(raw).into_owned(),
            Value::Null => "null".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
        }
    }

    /// The property names the schema allows on the object at `tokens`.
    fn allowed_properties(&self, tokens: &[String]) -> Vec<String> {
        let mut schema = self.schema;
        for token in tokens {
            schema = self.resolve(schema);
            let next = schema
                .get("properties")
                .and_then(|p| p.get(token.as_str()))
                .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
                .or_else(|| schema.get("items").filter(|i| i.is_object()));
            match next {
                Some(next) => schema = next,
                None => return Vec::new(),
            }
        }
        let schema = self.resolve(schema);
        schema
            .get("properties")
            .and_then(Json::as_object)
            .map(|p| p.keys().filter(|k| *k != "target").cloned().collect())
            .unwrap_or_default()
    }

    /// Follows local `$ref`s, and into an `allOf` member that holds a `$ref`.
    fn resolve<'s>(&'s self, mut schema: &'s Json) -> &'s Json {
        for _ in 0..16 {
            let reference = schema.get("$ref").and_then(Json::as_str).or_else(|| {
                schema
                    .get("allOf")
                    .and_then(Json::as_array)
                    .and_then(|all| all.iter().find_map(|s| s.get("$ref")?.as_str()))
            });
            let Some(name) = reference.and_then(|r| r.strip_prefix("#/$defs/")) else {
                break;
            };
            if schema.get("properties").is_some() {
                break;
            }
            match self.schema.get("$defs").and_then(|d| d.get(name)) {
                Some(target) => schema = target,
                None => break,
            }
        }
        schema
    }
}

/// The kinds of field whose format errors deserve their own explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldKind {
    ApiVersion,
    WorkloadName,
    ContainerName,
    ResourceName,
    PortName,
    BeforeName,
    Cpu,
    Memory,
    Mode,
    TypeOrClass,
    ResourceId,
    AnnotationKey,
    VariableName,
    HeaderName,
    Port,
    Probe,
    FileEntry,
    VolumeEntry,
    Image,
    Other,
}

impl FieldKind {
    fn of(tokens: &[String]) -> FieldKind {
        let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
        match t.as_slice() {
            ["apiVersion"] => FieldKind::ApiVersion,
            ["metadata", "name"] => FieldKind::WorkloadName,
            [.., "resources", "limits" | "requests", "cpu"] => FieldKind::Cpu,
            [.., "resources", "limits" | "requests", "memory"] => FieldKind::Memory,
            ["containers", _, "files", _, "mode"] => FieldKind::Mode,
            ["containers", _, "files", _] => FieldKind::FileEntry,
            ["containers", _, "volumes", _] => FieldKind::VolumeEntry,
            ["containers", _, "livenessProbe" | "readinessProbe"] => FieldKind::Probe,
            ["containers", _, "image"] => FieldKind::Image,
            [.., "port" | "targetPort"] => FieldKind::Port,
            ["resources", _, "type" | "class"] => FieldKind::TypeOrClass,
            ["resources", _, "id"] => FieldKind::ResourceId,
            [.., "httpHeaders", _, "name"] => FieldKind::HeaderName,
            _ => FieldKind::Other,
        }
    }

    /// The kind of the keys of the map at `tokens`.
    fn of_key(tokens: &[String]) -> FieldKind {
        let t: Vec<&str> = tokens.iter().map(String::as_str).collect();
        match t.as_slice() {
            ["containers"] => FieldKind::ContainerName,
            ["resources"] => FieldKind::ResourceName,
            ["service", "ports"] => FieldKind::PortName,
            ["containers", _, "before"] => FieldKind::BeforeName,
            [.., "annotations"] => FieldKind::AnnotationKey,
            ["containers", _, "variables"] => FieldKind::VariableName,
            _ => FieldKind::Other,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            FieldKind::ContainerName => "container name",
            FieldKind::ResourceName => "resource name",
            FieldKind::PortName => "port name",
            FieldKind::BeforeName => "container name",
            FieldKind::AnnotationKey => "annotation key",
            FieldKind::VariableName => "variable name",
            _ => "key",
        }
    }

    fn expectation(self) -> &'static str {
        match self {
            FieldKind::ApiVersion => "the only version is `score.dev/v1b1`",
            FieldKind::WorkloadName
            | FieldKind::ContainerName
            | FieldKind::ResourceName
            | FieldKind::PortName
            | FieldKind::BeforeName => {
                "names are 2 to 63 characters of lower-case letters, digits and `-`, starting and ending with a letter or digit"
            }
            FieldKind::Cpu => {
                "CPU is a whole or decimal number of cores (`2`, `0.5`) or millicores (`250m`)"
            }
            FieldKind::Memory => {
                "memory is a number of bytes with an optional unit: K, M, G, T, P, E or Ki, Mi, Gi, Ti, Pi, Ei (`512Mi`, `1.5Gi`)"
            }
            FieldKind::Mode => {
                "a file mode is three octal digits, optionally after a leading 0 (`0644`, `600`)"
            }
            FieldKind::TypeOrClass => {
                "types and classes are 2 to 63 letters, digits and `-`, starting and ending with a letter or digit"
            }
            FieldKind::ResourceId => {
                "an id is 2 to 63 characters: lower-case labels of letters, digits and `-`, separated by dots"
            }
            FieldKind::AnnotationKey => {
                "an annotation key is a name of 2 to 63 letters, digits, `-`, `_` and `.`, optionally after a DNS prefix and `/` (`example.com/team`)"
            }
            FieldKind::VariableName => "a variable name must not be empty or contain `=`",
            FieldKind::HeaderName => "header names use letters, digits, `-` and `_`",
            FieldKind::Image => "a container needs an image to run",
            _ => "it does not have the expected format",
        }
    }

    fn label(self) -> &'static str {
        match self {
            FieldKind::Cpu => "not a CPU quantity",
            FieldKind::Memory => "not a memory quantity",
            FieldKind::Mode => "not an octal mode",
            FieldKind::ApiVersion => "unknown version",
            FieldKind::Image => "no image",
            _ => "invalid",
        }
    }

    fn help(self) -> Option<String> {
        match self {
            FieldKind::ApiVersion => Some("write `apiVersion: score.dev/v1b1`".to_owned()),
            _ => None,
        }
    }

    /// A concrete fix for a written value, where one can be guessed.
    fn help_for(self, written: &str) -> Option<String> {
        match self {
            FieldKind::ApiVersion => self.help(),
            FieldKind::WorkloadName
            | FieldKind::ContainerName
            | FieldKind::ResourceName
            | FieldKind::PortName
            | FieldKind::BeforeName => {
                let fixed = to_label(written);
                (fixed.len() >= 2 && fixed != written).then(|| format!("try `{fixed}`"))
            }
            FieldKind::Memory => {
                if let Some(number) = written.strip_suffix('m') {
                    Some(format!(
                        "`m` means milli, not mega; write `{number}Mi` (mebibytes) or `{number}M` (megabytes)"
                    ))
                } else if written == "0" {
                    Some(
                        "a memory amount must be positive; remove the field for no limit"
                            .to_owned(),
                    )
                } else {
                    let lower = written.to_ascii_lowercase();
                    [
                        "ki", "mi", "gi", "ti", "k", "m", "g", "t", "kb", "mb", "gb", "tb",
                    ]
                    .iter()
                    .find(|u| lower.ends_with(*u) && lower.len() > u.len())
                    .map(|u| {
                        let number = &written[..written.len() - u.len()];
                        let unit = match *u {
                            "kb" | "k" => "K",
                            "mb" => "M",
                            "gb" => "G",
                            "tb" => "T",
                            "ki" => "Ki",
                            "mi" => "Mi",
                            "gi" => "Gi",
                            "ti" => "Ti",
                            "m" => "M",
                            "g" => "G",
                            _ => "T",
                        };
                        format!("units are case-sensitive: write `{number}{unit}`")
                    })
                }
            }
            FieldKind::Image => Some(IMAGE_HELP.to_owned()),
            FieldKind::Cpu => Some("write e.g. `cpu: \"500m\"` or `cpu: \"0.5\"`".to_owned()),
            FieldKind::Mode => {
                Some("write the mode in octal as a quoted string, e.g. `mode: \"0644\"`".to_owned())
            }
            FieldKind::ResourceId => {
                let fixed: String = written
                    .to_ascii_lowercase()
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect();
                (fixed != written).then(|| format!("try `{fixed}`"))
            }
            _ => None,
        }
    }
}

fn required_help(property: &str) -> String {
    match property {
        "apiVersion" => "add `apiVersion: score.dev/v1b1` at the top".to_owned(),
        "metadata" => "add\n  metadata:\n    name: my-workload".to_owned(),
        "name" => "add `name: my-workload` (lower-case letters, digits and `-`)".to_owned(),
        "containers" => "add\n  containers:\n    main:\n      image: nginx:1.27".to_owned(),
        "image" => {
            "add `image: <name>:<tag>`, or `image: \".\"` to supply it when compiling with --image"
                .to_owned()
        }
        "type" => "add `type: <resource type>`, e.g. `type: postgres`".to_owned(),
        "port" => "add `port: <number>`".to_owned(),
        "path" => "add `path: /healthz` (the HTTP path to probe)".to_owned(),
        "source" => "add `source: ${resources.<name>}` naming a volume resource".to_owned(),
        "ready" => "add `ready: started`, `ready: healthy` or `ready: complete`".to_owned(),
        "command" => "add `command: [\"/bin/check\"]`".to_owned(),
        other => format!("add `{other}: ...`"),
    }
}

/// Lower-cases and replaces what an RFC 1123 label cannot hold.
fn to_label(name: &str) -> String {
    let mapped: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    mapped.trim_matches('-').chars().take(63).collect()
}

fn is_plain_scalar(node: &Node) -> bool {
    matches!(
        node.value,
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null
    )
}

fn article(noun: &str) -> String {
    match noun.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {noun}"),
        _ => format!("a {noun}"),
    }
}

/// `` `a`, `b` or `c` ``
fn list(items: &[String]) -> String {
    join_quoted(items, "or")
}

pub(crate) fn join_quoted(items: &[String], conjunction: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {conjunction} {last}", rest.join(", ")),
    }
}

/// The closest allowed name, if it is close enough to be a likely typo.
/// The candidate closest to `name` (Jaro–Winkler ≥ 0.85), for "did you mean" hints.
pub fn did_you_mean<'a>(name: &str, candidates: &'a [String]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&name.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.as_str())
}

fn fallback_message(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::MinItems { limit } => format!("needs at least {limit} items"),
        ValidationErrorKind::MaxItems { limit } => format!("allows at most {limit} items"),
        ValidationErrorKind::MinProperties { limit } => format!("needs at least {limit} entries"),
        ValidationErrorKind::AnyOf { .. } => "does not match any allowed shape".to_owned(),
        ValidationErrorKind::OneOfNotValid { .. } => "does not match any allowed shape".to_owned(),
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "matches more than one allowed shape".to_owned()
        }
        ValidationErrorKind::Not { .. } => "has a shape that is not allowed".to_owned(),
        ValidationErrorKind::FalseSchema => "is not allowed".to_owned(),
        _ => "it does not match the schema".to_owned(),
    }
}

fn tokens(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn pointer_of(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", escape_pointer_token(t)))
        .collect()
}

/// A human name for the node at `tokens`: `containers.web.files["/etc/app.conf"]`.
pub(crate) fn describe(tokens: &[String]) -> String {
    if tokens.is_empty() {
        return "the workload".to_owned();
    }
    let mut out = String::from("`");
    for (i, t) in tokens.iter().enumerate() {
        let simple = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if t.parse::<usize>().is_ok() && i > 0 {
            out.push_str(&format!("[{t}]"));
        } else if simple {
            if i > 0 {
                out.push('.');
            }
            out.push_str(t);
        } else {
            out.push_str(&format!("[{t:?}]"));
        }
    }
    out.push('`');
    out
}
