//! Command provisioners (`cmd://`): programs that provision a resource, speaking the JSON
//! protocol of score-k8s and score-compose, so that provisioners written for those tools work
//! unchanged.
//!
//! The library runs nothing itself (it does no I/O): it builds the request — which program, as
//! the uri names it, which arguments, what to write on stdin — and hands it to the
//! [`CommandRunner`] the caller passes in the target's `Options`. The runner decides where the
//! program is and runs it; the library reads what it printed.
//!
//! # Protocol
//!
//! The program reads one JSON object on stdin:
//!
//! | field | value |
//! |---|---|
//! | `resource_guid` | a UUID derived from the uid (stable across compiles) |
//! | `resource_uid` | `type.class#workload.name`, or `type.class#id` |
//! | `resource_type`, `resource_class` | the resource's type and class (`default` when omitted) |
//! | `resource_id` | what follows `#` in the uid: `workload.name`, or the shared `id` |
//! | `resource_params` | the params, placeholders already substituted (`{}` when none) |
//! | `resource_metadata` | the resource's metadata (`{}` when none) |
//! | `source_workload`, `workload_metadata` | the (first) workload declaring the resource, and its `metadata` |
//! | `workload_services` | every workload compiled together: `{"ServiceName": …, "ports": {NAME: {name, port, target_port, protocol}}}` (the reference tools' key names; each port also under its number) |
//! | `namespace` | Kubernetes: the `--namespace` given, or `""` |
//! | `compose_project_name` | Compose: the project name given, or `""` |
//! | `resource_state` | always `{}`: nothing is kept between compiles |
//! | `shared_state` | the state shared by all resources so far (what `shared` is to templates) |
//!
//! and prints one JSON object on stdout, with only these fields (each may be left out or
//! `null`):
//!
//! - both targets: `resource_outputs` (the outputs), `shared_state` (merged into the shared
//!   state as a JSON merge patch, like a `shared` template), `resource_state` (accepted and
//!   ignored);
//! - Kubernetes: `manifests`, a list of objects to add to the output;
//! - Compose: `compose_services`, `compose_volumes`, `compose_networks`, each a map of name
//!   to definition, added like a template's `services`, `volumes`, `networks`.
//!
//! Any other field is an error. score-compose's `relative_directories`,
//! `relative_file_contents` and `compose_models` are accepted only empty: score-rs writes no
//! files beside its output.
//!
//! A secret output is written as score-k8s writes it, `🔐💬<secret name>_<key>💬🔐` (a
//! Secret's name cannot hold `_`, so the first `_` ends it), and becomes the same reference as
//! a template's `secret_ref(name, key)`.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::secrets::SecretRef;

/// Where a command provisioner's program is, as its uri says it. Nothing is resolved on the
/// file system here: a [`CommandRunner`] turns this into a program to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Program {
    /// `cmd://NAME`: a program looked up on `PATH`.
    OnPath(String),
    /// `cmd://./PATH` or `cmd://../PATH`: relative to the directory of the provisioner file
    /// declaring it. Holds the path as written (`./PATH`, `../PATH`).
    Relative(String),
    /// `cmd://~/PATH`: relative to the home directory. Holds `PATH`.
    Home(String),
    /// `cmd:///PATH`: an absolute path. Holds `/PATH`.
    Absolute(String),
}

impl Program {
    /// Reads a `cmd://` uri. The error says what is wrong and how to write it.
    pub fn parse(uri: &str) -> Result<Program, String> {
        let rest = uri
            .strip_prefix("cmd://")
            .ok_or_else(|| format!("`{uri}` does not start with `cmd://`"))?;
        if rest.contains('?') {
            return Err(format!(
                "`{uri}` has a query (`?…`), which a command provisioner uri cannot have; pass values with `args`"
            ));
        }
        // A fragment is a label that tells entries running the same program apart, as in
        // score-k8s's own example (`cmd://bash#example-provisioner`): not part of the program.
        let rest = rest.split_once('#').map_or(rest, |(program, _)| program);
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(format!(
                "`{uri}` has user info (`…@`), which a command provisioner uri cannot have"
            ));
        }
        if authority.contains(':') {
            return Err(format!(
                "`{uri}` has a port (`:…`), which a command provisioner uri cannot have"
            ));
        }
        let needs_path = |form: &str| {
            if path.len() <= 1 {
                Err(format!(
                    "`{uri}` names no program: write `{form}` followed by the program's path"
                ))
            } else {
                Ok(())
            }
        };
        match authority {
            "" => {
                needs_path("cmd:///")?;
                Ok(Program::Absolute(path.to_owned()))
            }
            "~" => {
                needs_path("cmd://~/")?;
                Ok(Program::Home(path[1..].to_owned()))
            }
            "." | ".." => {
                needs_path(&format!("cmd://{authority}/"))?;
                Ok(Program::Relative(format!("{authority}{path}")))
            }
            name if path.is_empty() => Ok(Program::OnPath(name.to_owned())),
            name => Err(format!(
                "`{uri}` names a program on PATH (`{name}`) followed by a path; for a path relative to this file, write `cmd://./{name}{path}`"
            )),
        }
    }
}

/// What a command provisioner entry declares: its program and arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// The program, as the `cmd://` uri names it.
    pub program: Program,
    /// Passed to the program as written.
    pub args: Vec<String>,
}

/// One run of a command provisioner's program, for a [`CommandRunner`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Command<'a> {
    /// The provisioner's uri, for messages.
    pub uri: &'a str,
    /// The uid of the resource being provisioned (`type.class#id`), for messages.
    pub resource: &'a str,
    /// The program to run, as the uri names it; the runner decides what file that is.
    pub program: &'a Program,
    /// The provisioner file that declares it, named as it was read: a
    /// [`Program::Relative`] path is relative to this file's directory.
    pub declared_in: &'a str,
    /// The arguments, to pass as written: no shell, no templates.
    pub args: &'a [String],
    /// The JSON request, to write on the program's stdin.
    pub stdin: Vec<u8>,
}

/// What a program printed, when it succeeded.
///
/// ```
/// use score_compile::CommandOutput;
///
/// let output = CommandOutput::new(br#"{"resource_outputs": {"host": "db"}}"#.to_vec(), Vec::new());
/// assert!(output.stderr.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandOutput {
    /// The program's answer: one JSON object of the protocol.
    pub stdout: Vec<u8>,
    /// Shown with the error when the output cannot be used.
    pub stderr: Vec<u8>,
}

impl CommandOutput {
    /// What a program that succeeded printed on `stdout` and `stderr`.
    pub fn new(stdout: Vec<u8>, stderr: Vec<u8>) -> Self {
        CommandOutput { stdout, stderr }
    }
}

/// Why a program gave no usable output.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandError {
    /// The caller gave no way to run programs (see [`NoCommandRunner`]).
    NoRunner,
    /// The program could not be started: not found, not executable, refused…
    Start(String),
    /// It ended unsuccessfully. `status` says how (`exit status: 3`, `signal: 9`).
    Failed {
        /// How it ended, as the runner words it.
        status: String,
        /// What it wrote on stderr; the end of it is shown with the error.
        stderr: Vec<u8>,
    },
    /// It did not finish in time and was killed, with every process it started.
    TimedOut {
        /// The time limit it went over.
        after: Duration,
        /// What it wrote on stderr before it was stopped.
        stderr: Vec<u8>,
    },
    /// It exited, but a process it started still held its stdout or stderr open when the
    /// time was up; the runner killed that process (and whatever else it had started).
    Lingering {
        /// How it exited, as the runner words it.
        status: String,
        /// The time limit.
        after: Duration,
        /// What it wrote on stderr.
        stderr: Vec<u8>,
    },
    /// Something else went wrong while it ran (for example, it printed too much).
    Other {
        /// What went wrong, shown as the error.
        reason: String,
        /// What it wrote on stderr.
        stderr: Vec<u8>,
    },
}

/// Runs the programs of command provisioners. The library never starts a process: the caller
/// decides whether and how (the `score` CLI resolves the uri, runs the program without a
/// shell, with a timeout).
///
/// A runner that answers one program with canned outputs instead of running anything:
///
/// ```
/// use score_compile::{Command, CommandError, CommandOutput, CommandRunner, Program, kubernetes};
///
/// struct Canned;
///
/// impl CommandRunner for Canned {
///     fn run(&self, command: &Command) -> Result<CommandOutput, CommandError> {
///         match command.program {
///             Program::OnPath(name) if name == "provision-db" => Ok(CommandOutput::new(
///                 br#"{"resource_outputs": {"host": "db.internal"}}"#.to_vec(),
///                 Vec::new(),
///             )),
///             _ => Err(CommandError::Start(format!("`{}` is not allowed here", command.uri))),
///         }
///     }
/// }
///
/// let text = "\
/// apiVersion: score.dev/v1b1
/// metadata:
///   name: web
/// containers:
///   web:
///     image: nginx
///     variables:
///       DB_HOST: ${resources.db.host}
/// resources:
///   db:
///     type: postgres
/// ";
/// let workload = score_spec::parse_workload(text, "score.yaml").unwrap().workload;
/// let mut options = kubernetes::Options::default();
/// options.provisioners = score_compile::parse_provisioners(
///     "- uri: cmd://provision-db\n  type: postgres\n",
///     "provisioners.yaml",
/// )
/// .unwrap();
/// options.commands = &Canned;
/// let output = kubernetes::compile(&[workload], &options).unwrap();
/// assert!(output.to_yaml().contains("value: db.internal"));
/// ```
pub trait CommandRunner {
    /// Runs `command`'s program with its arguments, writes `command.stdin` to it and waits
    /// for it to end. Only a successful run is `Ok`; the library then reads its stdout. When
    /// it returns, no process the program started should be left running.
    fn run(&self, command: &Command) -> Result<CommandOutput, CommandError>;
}

/// The default runner: refuses to run anything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCommandRunner;

impl CommandRunner for NoCommandRunner {
    fn run(&self, _command: &Command) -> Result<CommandOutput, CommandError> {
        Err(CommandError::NoRunner)
    }
}

const COMMON_FIELDS: [&str; 3] = ["resource_state", "resource_outputs", "shared_state"];

/// The fields of the protocol that only one of the reference tools prints, and which: an
/// unknown field that is one of them says the program was written for that tool.
const PEER_FIELDS: [(&str, &str); 7] = [
    ("manifests", "Kubernetes"),
    ("compose_services", "Compose"),
    ("compose_volumes", "Compose"),
    ("compose_networks", "Compose"),
    ("relative_directories", "Compose"),
    ("relative_file_contents", "Compose"),
    ("compose_models", "Compose"),
];

/// What a target reads of a program's output besides the common fields: the target says it
/// (see `TargetContext`), so that reading output knows no target.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CommandFields {
    /// The target's name, for messages.
    pub target: &'static str,
    /// Each field holding one of the target's sections, and that section: `manifests` (a JSON
    /// list of objects), or a mapping of name → definition.
    pub sections: &'static [(&'static str, &'static str)],
    /// Fields with no meaning on the target, accepted only when empty, and why.
    pub ignored: &'static [(&'static str, &'static str)],
}

/// What a program printed, checked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Response {
    pub outputs: Value,
    pub shared: Option<Value>,
    /// The target's sections it printed: `manifests` (a list, when not empty), or name →
    /// definition.
    pub sections: Map<String, Value>,
}

/// Reads the program's stdout as the protocol's JSON object, with the fields `target` reads.
pub(crate) fn parse_response(stdout: &[u8], target: &CommandFields) -> Result<Response, String> {
    let value: Value = serde_json::from_slice(stdout).map_err(|e| {
        let shown = String::from_utf8_lossy(stdout);
        let shown = shown.trim();
        let excerpt = if shown.is_empty() {
            "it printed nothing".to_owned()
        } else {
            let mut cut: String = shown.chars().take(200).collect();
            if cut.len() < shown.len() {
                cut.push('…');
            }
            format!("it printed: {cut}")
        };
        format!("it did not print valid JSON on stdout ({e}); {excerpt}")
    })?;
    let Value::Object(fields) = value else {
        return Err(format!(
            "it printed JSON {}, not an object with `resource_outputs` and the other fields",
            kind_of(&value)
        ));
    };
    let mut response = Response {
        outputs: Value::Object(Map::new()),
        ..Response::default()
    };
    for (field, mut value) in fields {
        let object = |value: &Value| match value {
            Value::Object(_) | Value::Null => Ok(()),
            other => Err(format!(
                "its `{field}` is {}; it must be a JSON object (or null)",
                kind_of(other)
            )),
        };
        convert_secret_markers(&mut value).map_err(|m| format!("in its `{field}`: {m}"))?;
        match field.as_str() {
            "resource_state" => object(&value)?,
            "resource_outputs" => {
                object(&value)?;
                if value.is_object() {
                    response.outputs = value;
                }
            }
            "shared_state" => {
                object(&value)?;
                if value.is_object() {
                    response.shared = Some(value);
                }
            }
            name => {
                if let Some((_, section)) = target.sections.iter().find(|(f, _)| *f == name) {
                    read_section(&mut response, name, section, value)?;
                } else if let Some((_, why)) = target.ignored.iter().find(|(f, _)| *f == name) {
                    if !is_empty(&value) {
                        return Err(format!(
                            "its `{name}` is not supported: {why}; put the content in a Compose config or service instead"
                        ));
                    }
                } else {
                    return Err(unknown_field(name, target));
                }
            }
        }
    }
    Ok(response)
}

/// Reads field `name`, which holds `section`: `manifests` is a list of objects, any other
/// section a mapping of name → definition.
fn read_section(
    response: &mut Response,
    name: &str,
    section: &str,
    value: Value,
) -> Result<(), String> {
    match (section, value) {
        ("manifests", Value::Array(items)) => {
            if !items.is_empty() {
                response
                    .sections
                    .insert(section.to_owned(), Value::Array(items));
            }
        }
        (_, Value::Null) => {}
        ("manifests", other) => {
            return Err(format!(
                "its `{name}` is {}; it must be a JSON list of objects",
                kind_of(&other)
            ));
        }
        (_, Value::Object(entries)) => {
            response
                .sections
                .insert(section.to_owned(), Value::Object(entries));
        }
        (_, other) => {
            return Err(format!(
                "its `{name}` is {}; it must be a JSON object (or null)",
                kind_of(&other)
            ));
        }
    }
    Ok(())
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn unknown_field(name: &str, target: &CommandFields) -> String {
    let known: Vec<&str> = COMMON_FIELDS
        .iter()
        .copied()
        .chain(target.sections.iter().map(|(f, _)| *f))
        .collect();
    let peer = PEER_FIELDS.iter().find(|(f, _)| *f == name);
    let hint = if let Some((_, other)) = peer {
        let this = target.target;
        format!(" (a {other} field: the program provisions for {other}, not for the {this} target)")
    } else {
        let fields: Vec<String> = known.iter().map(|f| (*f).to_owned()).collect();
        score_spec::did_you_mean(name, &fields)
            .map(|g| format!(" (did you mean `{g}`?)"))
            .unwrap_or_default()
    };
    format!(
        "it printed an unknown field `{name}`{hint}; the fields are: {}",
        known.join(", ")
    )
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// score-k8s's secret marker: `🔐💬<secret name>_<key>💬🔐`.
const MARKER_OPEN: &str = "\u{1F510}\u{1F4AC}";
const MARKER_CLOSE: &str = "\u{1F4AC}\u{1F510}";

/// Replaces score-k8s secret markers in every string of `value` with ours
/// ([`SecretRef::marker`]), so they become `secretKeyRef`s like `secret_ref(…)` outputs.
pub(crate) fn convert_secret_markers(value: &mut Value) -> Result<(), String> {
    match value {
        Value::String(text) if text.contains(MARKER_OPEN) => {
            *text = convert_markers(text)?;
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(convert_secret_markers),
        Value::Object(map) => map.values_mut().try_for_each(convert_secret_markers),
        _ => Ok(()),
    }
}

fn convert_markers(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(MARKER_OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + MARKER_OPEN.len()..];
        let end = after.find(MARKER_CLOSE).ok_or_else(|| {
            format!(
                "a secret marker is not closed: write {MARKER_OPEN}<secret name>_<key>{MARKER_CLOSE}"
            )
        })?;
        let inner = &after[..end];
        let reference = inner
            .split_once('_')
            .filter(|(name, key)| !name.is_empty() && !key.is_empty())
            .ok_or_else(|| {
                format!(
                    "`{MARKER_OPEN}{inner}{MARKER_CLOSE}` is not a secret marker: write {MARKER_OPEN}<secret name>_<key>{MARKER_CLOSE}, the name and key separated by the first `_`"
                )
            })?;
        out.push_str(
            &SecretRef {
                name: reference.0.to_owned(),
                key: reference.1.to_owned(),
            }
            .marker(),
        );
        rest = &after[end + MARKER_CLOSE.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `workload_services` with the reference tools' key for the service name (`ServiceName`:
/// their struct has no JSON name for it), so programs written for them read it unchanged.
pub(crate) fn reference_workload_services(services: &Value) -> Value {
    let Value::Object(workloads) = services else {
        return services.clone();
    };
    let renamed = workloads
        .iter()
        .map(|(name, service)| {
            let mut service = service.clone();
            if let Value::Object(fields) = &mut service
                && let Some(v) = fields.remove("service_name")
            {
                fields.insert("ServiceName".to_owned(), v);
            }
            (name.clone(), service)
        })
        .collect();
    Value::Object(renamed)
}

/// The last lines of what a program wrote on stderr, for a message; `None` when it wrote
/// nothing.
pub(crate) fn stderr_tail(stderr: &[u8]) -> Option<String> {
    const LINES: usize = 12;
    const WIDTH: usize = 300;
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    let skipped = lines.len().saturating_sub(LINES);
    let mut out = String::new();
    if skipped > 0 {
        out.push_str(&format!("  │ … ({skipped} earlier lines)\n"));
    }
    for line in &lines[skipped..] {
        let mut cut: String = line.chars().take(WIDTH).collect();
        if cut.len() < line.len() {
            cut.push('…');
        }
        out.push_str(&format!("  │ {cut}\n"));
    }
    Some(out.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uri_forms() {
        let ok = |uri: &str| Program::parse(uri).unwrap();
        assert_eq!(ok("cmd://python3"), Program::OnPath("python3".into()));
        assert_eq!(
            ok("cmd://./bin/p.py"),
            Program::Relative("./bin/p.py".into())
        );
        assert_eq!(ok("cmd://../p"), Program::Relative("../p".into()));
        assert_eq!(ok("cmd://~/bin/p"), Program::Home("bin/p".into()));
        assert_eq!(
            ok("cmd:///usr/bin/p"),
            Program::Absolute("/usr/bin/p".into())
        );
        assert_eq!(
            ok("cmd://bash#example-provisioner"),
            Program::OnPath("bash".into())
        );
        for (uri, says) in [
            ("cmd://me@host", "user info"),
            ("cmd://host:22", "port"),
            ("cmd://p?x=1", "query"),
            ("cmd://name/sub", "followed by a path"),
            ("cmd://./", "names no program"),
            ("cmd:///", "names no program"),
            ("cmd://", "names no program"),
        ] {
            let e = Program::parse(uri).unwrap_err();
            assert!(e.contains(says), "{uri}: {e}");
        }
    }

    #[test]
    fn secret_markers_become_ours() {
        let mut v = json!({"a": "x🔐💬db-creds_pass_word💬🔐y", "b": ["🔐💬s_k💬🔐"]});
        convert_secret_markers(&mut v).unwrap();
        let a = SecretRef {
            name: "db-creds".into(),
            key: "pass_word".into(),
        };
        let b = SecretRef {
            name: "s".into(),
            key: "k".into(),
        };
        assert_eq!(v["a"], format!("x{}y", a.marker()));
        assert_eq!(v["b"][0], b.marker());
        for bad in ["🔐💬nokey💬🔐", "🔐💬_k💬🔐", "🔐💬open"] {
            assert!(convert_secret_markers(&mut json!(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn responses_are_strict() {
        let k = &CommandFields {
            target: "kubernetes",
            sections: &[("manifests", "manifests")],
            ignored: &[],
        };
        let r = parse_response(
            br#"{"resource_outputs": {"a": 1}, "manifests": [{"kind": "X"}], "shared_state": null}"#,
            k,
        )
        .unwrap();
        assert_eq!(r.outputs, json!({"a": 1}));
        assert_eq!(r.sections["manifests"].as_array().unwrap().len(), 1);
        assert!(r.shared.is_none());
        let e = parse_response(br#"{"resource_output": {}}"#, k).unwrap_err();
        assert!(e.contains("unknown field `resource_output`"), "{e}");
        assert!(e.contains("did you mean `resource_outputs`"), "{e}");
        let e = parse_response(br#"{"compose_services": {}}"#, k).unwrap_err();
        assert!(e.contains("a Compose field"), "{e}");
        let e = parse_response(b"not json", k).unwrap_err();
        assert!(e.contains("not print valid JSON"), "{e}");
        assert!(e.contains("it printed: not json"), "{e}");
        let e = parse_response(b"[]", k).unwrap_err();
        assert!(e.contains("not an object"), "{e}");

        let c = &CommandFields {
            target: "compose",
            sections: &[("compose_services", "services")],
            ignored: &[
                ("relative_directories", "no"),
                ("relative_file_contents", "no"),
            ],
        };
        let r = parse_response(
            br#"{"compose_services": {"s": {"image": "x"}}, "relative_directories": {}}"#,
            c,
        )
        .unwrap();
        assert_eq!(r.sections["services"], json!({"s": {"image": "x"}}));
        let e = parse_response(br#"{"relative_file_contents": {"a": "b"}}"#, c).unwrap_err();
        assert!(e.contains("not supported"), "{e}");
        let e = parse_response(br#"{"manifests": []}"#, c).unwrap_err();
        assert!(e.contains("a Kubernetes field"), "{e}");
    }

    #[test]
    fn stderr_tail_keeps_the_last_lines() {
        assert_eq!(stderr_tail(b"\n \n"), None);
        let many: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let tail = stderr_tail(many.as_bytes()).unwrap();
        assert!(tail.starts_with("  │ … (8 earlier lines)"), "{tail}");
        assert!(tail.ends_with("  │ line 20"), "{tail}");
    }
}
