//! Provisioners: how a resource (`type: postgres`) becomes outputs (`host`, `password`, …) and
//! manifests (a Secret, a StatefulSet, a Service).
//!
//! A provisioner file is a YAML list of entries (schema: `schemas/provisioners.json`):
//!
//! ```yaml
//! - uri: template://example/redis       # names the provisioner in messages
//!   type: redis                          # matches resources of this type…
//!   class: cache                         # …and, when set, only this class
//!   description: An in-cluster Redis
//!   supported_params: [version]          # any other param is an error (built-ins: a warning)
//!   expected_outputs: [host, port]       # the outputs template must produce these
//!   state: |                             # minijinja templates, each rendering YAML
//!     password: {{ random(24) }}
//!   outputs: |
//!     host: {{ name }}
//!     port: 6379
//!     password: {{ secret_ref(name, "password") }}
//!   manifests: |
//!     - apiVersion: v1
//!       kind: Secret
//!       ...
//! ```
//!
//! Templates render in the order `init`, `state`, `shared`, `outputs`, then what the target
//! uses: `manifests` (Kubernetes: a YAML list of objects), or `services`, `volumes`,
//! `networks`, `configs` (Compose: each a YAML mapping of name → definition, added to the
//! Compose file's top-level sections; a later definition of a name replaces an earlier one, so
//! shared infrastructure can be re-rendered with everything accumulated in `shared`). Each
//! template sees the results of the ones before. The context every template gets is documented in
//! [`templates`]. Matching: the first provisioner whose `type` equals the resource's and
//! whose `class` and `id`, when set, equal the resource's, wins. User files come before the
//! built-ins, so a user entry overrides a built-in one.
//!
//! A command provisioner (`uri: cmd://…`, with `args` and no templates) names a program that
//! provisions the resource instead, speaking score-k8s's JSON protocol: see [`commands`]. The
//! built-in files have none, so a program only ever runs because a provisioner file the caller
//! passed names it.

mod budget;
mod catalogue;
pub(crate) mod commands;
mod external;
mod go_template;
mod provision;
mod rewrite;
mod route;
mod signals;
pub(crate) mod templates;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::{Limits, Node, SourceFile, Span};
use serde::Deserialize;

use crate::TargetKind;

pub(crate) use commands::CommandFields;
pub use commands::{
    Command, CommandError, CommandOutput, CommandRunner, CommandSpec, NoCommandRunner, Program,
};
pub(crate) use provision::{Provisioned, TargetContext, provision};

/// What a `service` or `service-port` resource naming a workload that is not compiled along
/// gets: the usual case when each repository compiles its own workload.
///
/// ```
/// use score_compile::{ExternalWorkloads, kubernetes};
///
/// // CI compiling every workload together: a workload missing from the run is a mistake.
/// let mut options = kubernetes::Options::default();
/// options.external_workloads = ExternalWorkloads::Deny;
/// # let _ = options;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExternalWorkloads {
    /// The workload is assumed to be deployed elsewhere: the resource gets the host name that
    /// workload would get on the target, with one warning (`score::service::external`).
    #[default]
    Assume,
    /// The resource is an error (`score::service::external`): every workload it names must
    /// be compiled in the same run.
    Deny,
}

/// How a target names the host of a workload that is not compiled along (`service`
/// resources naming it), or why it cannot.
pub(crate) type HostName = fn(&str) -> Result<String, HostNameRefused>;

/// Why a workload's name gives no host name on the target.
#[derive(Clone, Debug)]
pub(crate) struct HostNameRefused {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: &'static str,
}

/// The uri of the built-in provisioner of `environment` resources, which the targets handle
/// natively: on Compose, `${resources.env.KEY}` becomes Compose's `${KEY}`; on Kubernetes, a
/// reference to key KEY of a Secret the platform provides in the namespace.
pub(crate) const ENVIRONMENT_PROVISIONER: &str = "template://score-rs/environment";

/// The JSON schema of provisioner files.
pub const PROVISIONERS_SCHEMA: &str = include_str!("../../../../schemas/provisioners.json");

/// One provisioner: a template provisioner (templates, no `command`) or a command
/// provisioner (`command`, no templates).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Provisioner {
    /// Names the provisioner in messages and reports; `cmd://…` makes it a command
    /// provisioner.
    pub uri: String,
    /// The resource type it provisions.
    pub r#type: String,
    /// When set, it provisions only resources of this class.
    pub class: Option<String>,
    /// When set, it provisions only the resource with this `id`.
    pub id: Option<String>,
    /// What it provisions, for people reading the file.
    pub description: Option<String>,
    /// When set, the only params a resource may give it; any other is an error for a
    /// provisioner file's entry, and a warning for a built-in one (the reference tools ignore
    /// params they do not use). `None` accepts any param.
    pub supported_params: Option<Vec<String>>,
    /// The outputs it promises; provisioning fails if one is missing.
    pub expected_outputs: Vec<String>,
    /// Rendered first; later templates see the result as `init`.
    pub(crate) init: Option<Template>,
    /// The resource's own values, such as generated passwords; later templates see them as
    /// `state`.
    pub(crate) state: Option<Template>,
    /// Merged into the state all resources share (a JSON merge patch), which later templates
    /// and resources see as `shared`: how resources build common infrastructure.
    pub(crate) shared: Option<Template>,
    /// The resource's outputs, which `${resources.NAME.KEY}` placeholders read.
    pub(crate) outputs: Option<Template>,
    /// Kubernetes target: a YAML list of objects to add to the output.
    pub(crate) manifests: Option<Template>,
    /// Compose target: services, volumes, networks and configs to add to the Compose file.
    pub(crate) services: Option<Template>,
    /// Compose target: top-level `volumes` to add, by name.
    pub(crate) volumes: Option<Template>,
    /// Compose target: top-level `networks` to add, by name.
    pub(crate) networks: Option<Template>,
    /// Compose target: top-level `configs` to add, by name.
    pub(crate) configs: Option<Template>,
    /// A command provisioner's program and arguments (`uri: cmd://…`).
    pub(crate) command: Option<CommandSpec>,
    /// The file the entry was read from and where, for messages.
    pub file: String,
    /// Where the entry is in `file`.
    pub span: Span,
}

/// A template and the line of the provisioner file its first line is on.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    /// The minijinja text.
    pub source: String,
    /// The line of the provisioner file the template's first line is on, so that an error
    /// at a template line can be shown at its file line; 0 when not known.
    pub first_line: u32,
}

impl Provisioner {
    /// True when this provisioner handles resources of `type`/`class`/`id`.
    pub fn matches(&self, r#type: &str, class: &str, id: Option<&str>) -> bool {
        self.r#type == r#type
            && self.class.as_deref().is_none_or(|c| c == class)
            && self.id.as_deref().is_none_or(|i| Some(i) == id)
    }

    /// `file:line:column` of the entry.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.span.line, self.span.column)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    uri: String,
    r#type: String,
    class: Option<String>,
    id: Option<String>,
    description: Option<String>,
    supported_params: Option<Vec<String>>,
    expected_outputs: Option<Vec<String>>,
    args: Option<Vec<String>>,
    init: Option<String>,
    state: Option<String>,
    shared: Option<String>,
    outputs: Option<String>,
    manifests: Option<String>,
    services: Option<String>,
    volumes: Option<String>,
    networks: Option<String>,
    configs: Option<String>,
}

impl Entry {
    /// The provisioner this entry describes; `first_line` gives the file line of a template
    /// field's first line, `span` where the entry is in `file`.
    fn into_provisioner(
        self,
        first_line: impl Fn(&str) -> u32,
        command: Option<CommandSpec>,
        file: &str,
        span: Span,
    ) -> Provisioner {
        let template = |field: &str, body: Option<String>| {
            body.map(|source| Template {
                first_line: first_line(field),
                source,
            })
        };
        Provisioner {
            command,
            init: template("init", self.init),
            state: template("state", self.state),
            shared: template("shared", self.shared),
            outputs: template("outputs", self.outputs),
            manifests: template("manifests", self.manifests),
            services: template("services", self.services),
            volumes: template("volumes", self.volumes),
            networks: template("networks", self.networks),
            configs: template("configs", self.configs),
            uri: self.uri,
            r#type: self.r#type,
            class: self.class,
            id: self.id,
            description: self.description,
            supported_params: self.supported_params,
            expected_outputs: self.expected_outputs.unwrap_or_default(),
            file: file.to_owned(),
            span,
        }
    }
}

/// Reads a provisioner file: YAML, checked against [`PROVISIONERS_SCHEMA`], every template
/// compiled. `origin` names the file in diagnostics.
pub fn parse_provisioners(text: &str, origin: &str) -> Result<Vec<Provisioner>, Diagnostics> {
    let source = SourceFile::new(origin, text);
    let fail = |d: Diagnostic| Diagnostics(vec![d.with_source(&source)]);
    let document =
        score_spec::parse_yaml(&source, &Limits::default()).map_err(|d| Diagnostics(vec![*d]))?;
    let json = without_nulls(document.to_json());
    let mut errors = schema_errors(&document, &json, &source);
    if !errors.is_empty() {
        // A file written for the peers fails the schema (their own fields) and is full of Go
        // templates: say both at once, so the first run shows what migrating means.
        errors.extend(go_templates_in(&document, &json, &source));
        return Err(Diagnostics(collapse_repeats(errors)).sorted());
    }
    let entries: Vec<Entry> = serde_json::from_value(json).map_err(|e| {
        fail(Diagnostic::error("score::provisioner::invalid", e.to_string()).at("", document.span))
    })?;
    let items = document.as_seq().unwrap_or_default();
    let mut diagnostics = Diagnostics::new();
    let mut provisioners = Vec::with_capacity(entries.len());
    for (index, (entry, node)) in entries.into_iter().zip(items).enumerate() {
        let at = |pointer: String| {
            let span = document
                .locate(&pointer)
                .map_or(node.span, |l| l.primary_span());
            (pointer, span)
        };
        let mut command = None;
        if entry.uri.starts_with("cmd://") {
            match commands::Program::parse(&entry.uri) {
                Ok(program) => {
                    let args = entry.args.clone().unwrap_or_default();
                    for (i, arg) in args.iter().enumerate() {
                        if arg.contains("{{") {
                            let (pointer, span) = at(format!("/{index}/args/{i}"));
                            diagnostics.push(
                                Diagnostic::error(
                                    "score::provisioner::invalid",
                                    format!("argument `{arg}` looks like a template, but arguments are passed to the program as written"),
                                )
                                .at(pointer, span)
                                .with_help("read the resource's values from the JSON the program gets on stdin (`resource_params`, `resource_uid`, …)")
                                .with_source(&source),
                            );
                        }
                    }
                    command = Some(CommandSpec { program, args });
                }
                Err(message) => {
                    let (pointer, span) = at(format!("/{index}/uri"));
                    diagnostics.push(
                        Diagnostic::error(
                            "score::provisioner::invalid",
                            format!("invalid command provisioner uri: {message}"),
                        )
                        .at(pointer, span)
                        .with_help("write `cmd://NAME` (on PATH), `cmd://./PATH` (relative to this file), `cmd://~/PATH` or `cmd:///ABSOLUTE/PATH`")
                        .with_source(&source),
                    );
                }
            }
        }
        let first_line = |field: &str| template_first_line(text, node.get(field));
        let provisioner = entry.into_provisioner(first_line, command, origin, node.span);
        diagnostics.extend(syntax_errors(&provisioner, &source, &document, index));
        provisioners.push(provisioner);
    }
    if diagnostics.is_empty() {
        Ok(provisioners)
    } else {
        Err(Diagnostics(collapse_repeats(diagnostics.0)))
    }
}

/// The Go template errors of a file that failed the schema: each template field that holds a
/// Go construct (whether or not it would compile as minijinja).
fn go_templates_in(
    document: &Node,
    json: &serde_json::Value,
    source: &SourceFile,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let entries = json.as_array().map(Vec::as_slice).unwrap_or_default();
    for (index, entry) in entries.iter().enumerate() {
        let uri = entry.get("uri").and_then(|u| u.as_str()).unwrap_or("?");
        let node = document.as_seq().and_then(|items| items.get(index));
        for field in TEMPLATE_FIELDS {
            let Some(text) = entry.get(field).and_then(|t| t.as_str()) else {
                continue;
            };
            let Some(construct) = go_template::find(text) else {
                continue;
            };
            let pointer = format!("/{index}/{field}");
            let span = document
                .locate(&pointer)
                .map_or(document.span, |l| l.primary_span());
            let template = Template {
                first_line: template_first_line(source.text(), node.and_then(|n| n.get(field))),
                source: text.to_owned(),
            };
            out.push(go_template::diagnostic(
                &construct, field, uri, &template, source, pointer, span,
            ));
        }
    }
    out
}

/// How many diagnostics of one kind a provisioner file shows in full; the rest are counted.
const SHOWN_REPEATS: usize = 3;

/// A file written for score-k8s or score-compose gives the same error for dozens of templates
/// (Go templates) or fields (`info_logs`): the first few are shown, then one that counts the
/// rest, at the first of them.
fn collapse_repeats(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    let mut rest: BTreeMap<&'static str, (usize, Diagnostic)> = BTreeMap::new();
    for d in diagnostics {
        let repeatable = matches!(d.code, go_template::CODE | PEER_FIELD_CODE);
        let count = seen.entry(d.code).or_default();
        *count += 1;
        if !repeatable || *count <= SHOWN_REPEATS {
            out.push(d);
        } else {
            rest.entry(d.code).or_insert((0, d)).0 += 1;
        }
    }
    for (code, (count, first)) in rest {
        let what = if code == go_template::CODE {
            "templates of this file look like Go templates"
        } else {
            "fields of this file belong to score-compose's provisioners"
        };
        let mut summary = Diagnostic::error(code, format!("… and {count} more {what}"))
            .with_help("the same as above: the first ones are shown in full");
        summary.pointer = first.pointer;
        summary.span = first.span;
        summary.source = first.source;
        out.push(summary);
    }
    out
}

/// The entries of a provisioner file with their `key: null` fields left out: null means absent,
/// as in the peers' files (their default files write `class: null` and `id: null`).
fn without_nulls(mut json: serde_json::Value) -> serde_json::Value {
    if let Some(entries) = json.as_array_mut() {
        for entry in entries
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            entry.retain(|_, value| !value.is_null());
        }
    }
    json
}

/// The fields of an entry that are templates, in render order.
const TEMPLATE_FIELDS: [&str; 9] = [
    "init",
    "state",
    "shared",
    "outputs",
    "manifests",
    "services",
    "volumes",
    "networks",
    "configs",
];

/// What score-compose's template provisioners have that ours do not: the field, what it does
/// there, and what to do here.
const PEER_FIELDS: [(&str, &str, &str); 4] = [
    (
        "info_logs",
        "lines printed after `score-compose generate`",
        "remove it; a template can call `warn(message)` to tell the user something at compile time",
    ),
    (
        "files",
        "files written beside the Compose file",
        "remove it; give a service its file with a `configs` template (inline `content`) or a volume",
    ),
    (
        "directories",
        "directories created beside the Compose file",
        "remove it; use a named volume in a `volumes` template instead",
    ),
    (
        "models",
        "Compose `models` (AI models)",
        "remove it; Compose models are not supported",
    ),
];

/// The code of an unknown field that is one of [`PEER_FIELDS`].
const PEER_FIELD_CODE: &str = "score::provisioner::peer-field";

/// An error for each template of `provisioner` (entry `index` of `document`) that does not
/// compile; a Go template says so and what to write instead.
fn syntax_errors(
    provisioner: &Provisioner,
    source: &SourceFile,
    document: &Node,
    index: usize,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for (field, template) in provisioner.templates() {
        let Err(error) = templates::check_syntax(provisioner, field, template) else {
            continue;
        };
        let pointer = format!("/{index}/{field}");
        let span = document
            .locate(&pointer)
            .map_or(provisioner.span, |l| l.primary_span());
        let uri = &provisioner.uri;
        diagnostics.push(match go_template::find(&template.source) {
            Some(construct) => {
                go_template::diagnostic(&construct, field, uri, template, source, pointer, span)
            }
            None => Diagnostic::error(
                "score::provisioner::template-syntax",
                format!("the `{field}` template of `{uri}` does not compile: {error}"),
            )
            .at(pointer, span)
            .with_source(source),
        });
    }
    diagnostics
}

impl Provisioner {
    /// The templates present, in render order.
    pub(crate) fn templates(&self) -> impl Iterator<Item = (&'static str, &Template)> {
        // In the order of TEMPLATE_FIELDS, which names them.
        let templates = [
            &self.init,
            &self.state,
            &self.shared,
            &self.outputs,
            &self.manifests,
            &self.services,
            &self.volumes,
            &self.networks,
            &self.configs,
        ];
        TEMPLATE_FIELDS
            .into_iter()
            .zip(templates)
            .filter_map(|(field, t)| t.as_ref().map(|t| (field, t)))
    }
}

/// The built-in Compose provisioners, in catalogue order (see `catalogue`).
#[cfg(test)]
fn compose_defaults() -> &'static [Provisioner] {
    builtin(TargetKind::Compose)
}

/// The built-in Kubernetes provisioners, in catalogue order (see `catalogue`).
#[cfg(test)]
fn kubernetes_defaults() -> &'static [Provisioner] {
    builtin(TargetKind::Kubernetes)
}

/// True for a built-in provisioner (one of [`builtin`]'s), as opposed to an entry of a
/// provisioner file the caller passed.
pub(crate) fn is_builtin(provisioner: &Provisioner) -> bool {
    catalogue::catalogue().targets.iter().any(|(_, defaults)| {
        defaults
            .as_ptr_range()
            .contains(&std::ptr::from_ref(provisioner))
    })
}

/// The built-in provisioners of `target`, consulted after the caller's (none for the
/// Backstage catalog, which provisions nothing).
///
/// ```
/// use score_compile::{TargetKind, builtin_provisioners};
///
/// let kubernetes = builtin_provisioners(TargetKind::Kubernetes);
/// assert!(kubernetes.iter().any(|p| p.r#type == "postgres"));
/// assert!(builtin_provisioners(TargetKind::Backstage).is_empty());
/// ```
pub fn builtin(target: TargetKind) -> &'static [Provisioner] {
    catalogue::for_target(target.name())
}

/// The macros `provisioner`'s templates may call: the catalogue's for a built-in, none for an
/// entry of a provisioner file.
pub(crate) fn builtin_library(provisioner: &Provisioner) -> Option<&'static templates::Library> {
    is_builtin(provisioner).then(|| &catalogue::catalogue().library)
}

/// A block scalar (`|`) starts on the line after its indicator; other scalars on their own.
fn template_first_line(text: &str, node: Option<&Node>) -> u32 {
    match node {
        Some(n) if !n.span.is_unknown() => {
            let block = text[n.span.offset..].starts_with(['|', '>']);
            n.span.line + u32::from(block)
        }
        _ => 0,
    }
}

/// The fields of a provisioner entry besides its templates ([`TEMPLATE_FIELDS`]).
const ENTRY_FIELDS: [&str; 8] = [
    "uri",
    "type",
    "class",
    "id",
    "description",
    "supported_params",
    "expected_outputs",
    "args",
];

/// An unknown field `key` of the entry at `pointer`: one of score-compose's, or a typo.
fn unknown_field(key: &str, pointer: &str, span: Span, source: &SourceFile) -> Diagnostic {
    let (code, message, help) = match PEER_FIELDS.iter().find(|f| f.0 == key) {
        Some((_, what, instead)) => (
            PEER_FIELD_CODE,
            format!(
                "`{key}` is a field of score-compose's provisioners ({what}), which score-rs does not have"
            ),
            (*instead).to_owned(),
        ),
        None => {
            let fields: Vec<String> = ENTRY_FIELDS
                .iter()
                .chain(&TEMPLATE_FIELDS)
                .map(|f| (*f).to_owned())
                .collect();
            let help = match score_spec::did_you_mean(key, &fields) {
                Some(guess) => format!("did you mean `{guess}`?"),
                None => format!("the fields of a provisioner are: {}", fields.join(", ")),
            };
            (
                "score::provisioner::invalid",
                format!("unknown provisioner field `{key}`"),
                help,
            )
        }
    };
    Diagnostic::error(code, message)
        .at(pointer.to_owned(), span)
        .with_help(help)
        .with_source(source)
}

fn schema_errors(
    document: &Node,
    json: &serde_json::Value,
    source: &SourceFile,
) -> Vec<Diagnostic> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(PROVISIONERS_SCHEMA).expect("the embedded schema is JSON");
        jsonschema::draft202012::new(&schema).expect("the embedded schema compiles")
    });
    if validator.is_valid(json) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for error in validator.iter_errors(json) {
        let pointer = error.instance_path().as_str().to_owned();
        let located = document.locate(&pointer);
        let span = located.map_or(document.span, |l| l.primary_span());
        let diagnostic = |message: String, span: Span, help: String| {
            Diagnostic::error("score::provisioner::invalid", message)
                .at(pointer.clone(), span)
                .with_help(help)
                .with_source(source)
        };
        match error.kind() {
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let key_span = located
                        .and_then(|l| l.node.entry(key))
                        .map_or(span, |e| e.key_span);
                    out.push(unknown_field(key, &pointer, key_span, source));
                }
            }
            jsonschema::error::ValidationErrorKind::FalseSchema => {
                // The `if`/`then`/`else` of the schema: a field of the other kind of provisioner.
                let key_span = located.and_then(|l| l.key_span).unwrap_or(span);
                let field = pointer.rsplit('/').next().unwrap_or_default();
                let (message, help) = if field == "args" {
                    (
                        "`args` is for command provisioners (`uri: cmd://…`), not template ones".to_owned(),
                        "remove `args`, or make this a command provisioner: `uri: cmd://<program>`".to_owned(),
                    )
                } else {
                    (
                        format!("a command provisioner (`uri: cmd://…`) has no `{field}` template: its program produces everything"),
                        "remove the templates (the program prints outputs, manifests and shared state as JSON), or make this a template provisioner: `uri: template://<name>`".to_owned(),
                    )
                };
                out.push(diagnostic(message, key_span, help));
            }
            _ if pointer.ends_with("/uri") => {
                let help = if error.instance().as_str().is_some_and(|u| u.starts_with("local-env://")) {
                    "this is score-compose's environment provisioner; `environment` resources are built in here (on both targets): remove the entry"
                } else {
                    "write `uri: template://<a name of your choice>` for a template provisioner, or `uri: cmd://<program>` for a command provisioner"
                };
                out.push(diagnostic(format!("invalid provisioner uri: {error}"), span, help.into()));
            }
            _ => out.push(diagnostic(
                format!("invalid provisioner file: {error}"),
                span,
                "a provisioner file is a YAML list of entries with at least `uri` (`template://…` or `cmd://…`) and `type`; see schemas/provisioners.json".into(),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_provisioners_run_no_programs() {
        // Programs run only for files the caller passes (see `commands`).
        for p in kubernetes_defaults().iter().chain(compose_defaults()) {
            assert!(p.command.is_none(), "{}", p.uri);
            assert!(p.uri.starts_with("template://"), "{}", p.uri);
        }
    }

    #[test]
    fn command_entries_have_a_program_and_no_templates() {
        let parsed = parse_provisioners(
            "- uri: cmd://./bin/p.py\n  type: tt\n  args: [-v, '2']\n- uri: cmd://p\n  type: uu\n",
            "dir/x.yaml",
        )
        .unwrap();
        let command = parsed[0].command.as_ref().unwrap();
        assert_eq!(command.program, Program::Relative("./bin/p.py".into()));
        assert_eq!(command.args, ["-v", "2"]);
        assert_eq!(parsed[0].templates().count(), 0);
        assert_eq!(
            parsed[1].command.as_ref().unwrap().program,
            Program::OnPath("p".into())
        );

        let errors = |text: &str| {
            parse_provisioners(text, "x.yaml")
                .unwrap_err()
                .iter()
                .map(|d| (d.message.clone(), d.span.map(|s| (s.line, s.column))))
                .collect::<Vec<_>>()
        };
        // At the key, naming the field.
        let e = errors("- uri: cmd://p\n  type: tt\n  outputs: 'a: 1'\n");
        assert!(e[0].0.contains("has no `outputs` template"), "{e:?}");
        assert_eq!(e[0].1, Some((3, 3)));
        let e = errors("- uri: template://p\n  type: tt\n  args: [x]\n");
        assert!(
            e[0].0.contains("`args` is for command provisioners"),
            "{e:?}"
        );
        assert_eq!(e[0].1, Some((3, 3)));
        // At the uri.
        let e = errors("- uri: cmd://host:22\n  type: tt\n");
        assert!(e[0].0.contains("port"), "{e:?}");
        assert_eq!(e[0].1, Some((1, 8)));
        let e = errors("- uri: cmd://p\n  type: tt\n  args: ['{{ params.x }}']\n");
        assert!(e[0].0.contains("looks like a template"), "{e:?}");
    }

    /// An entry the way score-compose's default file writes one: null class and id, Go
    /// templates, `info_logs`.
    fn peer_entry(n: usize) -> String {
        format!(
            "- uri: template://default-provisioners/t{n}\n  type: t{n}\n  class: null\n  id: null\n  \
             state: |\n    password: {{{{ dig \"password\" (randAlphaNum 16) .State | quote }}}}\n  \
             info_logs: |\n    - \"{{{{.Uid}}}}: ready\"\n"
        )
    }

    #[test]
    fn a_file_written_for_the_peers_gets_few_errors_that_say_what_to_change() {
        let codes = |text: &str| {
            parse_provisioners(text, "x.yaml")
                .unwrap_err()
                .iter()
                .map(|d| (d.code, d.message.clone(), d.span.map(|s| s.line)))
                .collect::<Vec<_>>()
        };
        // `key: null` is absent, as for the peers: a minijinja entry written so parses.
        let parsed = parse_provisioners(
            "- uri: template://p\n  type: tt\n  class: null\n  id: null\n  outputs: 'a: 1'\n",
            "x.yaml",
        )
        .unwrap();
        assert_eq!(
            (parsed[0].class.as_deref(), parsed[0].id.as_deref()),
            (None, None)
        );

        // One entry: its Go template and its score-compose field, both in one run.
        let one = codes(&peer_entry(0));
        assert_eq!(one.len(), 2, "{one:?}");
        assert!(one.iter().any(|(c, m, line)| *c == go_template::CODE
            && m.contains("`state` template")
            && *line == Some(6)));
        assert!(one.iter().any(|(c, m, line)| *c == PEER_FIELD_CODE
            && m.contains("`info_logs`")
            && *line == Some(7)));

        // Ten entries: three of each in full, then one that counts the rest.
        let ten: String = (0..10).map(peer_entry).collect();
        let all = codes(&ten);
        for code in [go_template::CODE, PEER_FIELD_CODE] {
            let of_code: Vec<_> = all.iter().filter(|(c, ..)| *c == code).collect();
            assert_eq!(of_code.len(), SHOWN_REPEATS + 1, "{all:?}");
            assert!(
                of_code
                    .iter()
                    .any(|(_, m, _)| m.starts_with("… and 7 more")),
                "{all:?}"
            );
        }

        // score-compose's environment entry: ours is built in.
        let env = parse_provisioners(
            "- uri: local-env://default-provisioners/environment\n  type: environment\n",
            "x.yaml",
        )
        .unwrap_err();
        let help = env.iter().next().unwrap().help.clone().unwrap_or_default();
        assert!(help.contains("built in here"), "{help}");
    }

    #[test]
    fn the_built_in_provisioners_parse_and_cover_the_well_known_types() {
        let well_known = [
            "service",
            "service-port",
            "volume",
            "dns",
            "route",
            "postgres",
            "postgres-instance",
            "mysql",
            "redis",
            "mongodb",
            "amqp",
            "s3",
            "kafka-topic",
            "mssql",
            "elasticsearch",
        ];
        for (target, provisioners) in [
            ("kubernetes", kubernetes_defaults()),
            ("compose", compose_defaults()),
        ] {
            for t in well_known {
                let p = provisioners
                    .iter()
                    .find(|p| p.r#type == t && p.class.is_none())
                    .unwrap_or_else(|| panic!("{target} has no built-in `{t}`"));
                assert!(p.description.is_some(), "{target} `{t}` has no description");
            }
        }
        // Same output names on both targets.
        for k in kubernetes_defaults() {
            if let Some(c) = compose_defaults()
                .iter()
                .find(|c| c.r#type == k.r#type && c.class == k.class)
            {
                assert_eq!(k.expected_outputs, c.expected_outputs, "{}", k.r#type);
            }
        }
    }
}
