//! The outputs workloads compile to, and what they share.

mod annotations;
pub mod backstage;
pub mod compose;
pub mod kubernetes;
pub(crate) mod labels;
mod resolve;
mod startup;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use score_spec::diagnostics::Diagnostic;
use score_spec::model::{Container, File, FileContent, Volume, pointer};
use score_spec::placeholders::{self, Segment};
use score_spec::{Span, Workload};
use serde_json::{Map, Value, json};

use crate::files::{SourceFiles, check_source_path};
use crate::placeholders::Unresolved;
use crate::provisioners::Provisioned;
use crate::resources::ResourceGraph;
use crate::secrets;

/// What became of one resource in a compile: its identity, who declared it, the provisioner
/// that handled it, its outputs, and the values of those that are not secret. `score
/// resources` prints these; embedders can use them to inspect a compile.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ResourceReport {
    /// `type.class#workload.name`, or `type.class#id` for a shared resource.
    pub uid: String,
    /// The resource type, such as `postgres`.
    #[serde(rename = "type")]
    pub r#type: String,
    /// The class, `default` when none is declared.
    pub class: String,
    /// The `id` it is shared by, if it has one.
    pub id: Option<String>,
    /// The workloads that declare it, first declaration first.
    pub declared_by: Vec<Declarer>,
    /// The uri of the provisioner that handled it; `None` when the target provisions nothing
    /// (the Backstage catalog).
    pub provisioner: Option<String>,
    /// The names of its outputs, sorted.
    pub outputs: Vec<String>,
    /// The names of the outputs that are secrets (a subset of `outputs`): those holding a
    /// `secret_ref`, a value `random()` drew as a secret (any charset but `lower`), or, on
    /// Compose, anything a command provisioner printed (its protocol cannot mark secrets).
    pub secret_outputs: Vec<String>,
    /// The values of the outputs that are not secret, by name.
    pub values: BTreeMap<String, Value>,
    /// What stands for each secret output instead of its value: `<secret NAME/KEY>` for a
    /// reference to a Kubernetes Secret (with the text around it), `<secret: generated>`,
    /// `<secret: from a command provisioner>`.
    pub secrets: BTreeMap<String, String>,
    /// The uids of the resources its params use, which are provisioned before it.
    pub depends_on: Vec<String>,
}

/// A workload that declares a resource, and the name it gives the resource.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Declarer {
    /// The workload's name.
    pub workload: String,
    /// The resource's name in that workload (its key under `resources`).
    pub resource: String,
}

/// What a compile knows of outputs' secrecy besides secret references.
pub(crate) struct Secrecy<'a> {
    /// The values `random()` drew as secrets.
    pub drawn: &'a BTreeSet<String>,
    /// Every output of a command provisioner is secret (Compose: score-compose's protocol has
    /// no secret markers, so a password is printed as plain text).
    pub command_outputs: bool,
}

/// One report per resource, in provisioning order.
pub(crate) fn resource_reports(
    graph: &ResourceGraph,
    workloads: &[&Workload],
    provisioned: Option<(&Provisioned, Secrecy)>,
) -> Vec<ResourceReport> {
    graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let mut report = ResourceReport {
                uid: node.uid.clone(),
                r#type: node.r#type.clone(),
                class: node.class.clone(),
                id: node.id.clone(),
                declared_by: node
                    .declarations
                    .iter()
                    .map(|d| Declarer {
                        workload: workloads[d.workload].name().to_owned(),
                        resource: d.name.clone(),
                    })
                    .collect(),
                provisioner: None,
                outputs: Vec::new(),
                secret_outputs: Vec::new(),
                values: BTreeMap::new(),
                secrets: BTreeMap::new(),
                depends_on: node
                    .depends_on
                    .iter()
                    .map(|&j| graph.nodes[j].uid.clone())
                    .collect(),
            };
            if let Some((p, secrecy)) = &provisioned {
                let uri = &p.provisioners[i];
                let from_command = secrecy.command_outputs && uri.starts_with("cmd://");
                let outputs = p.outputs.get(i).and_then(Value::as_object);
                for (name, value) in outputs.into_iter().flatten() {
                    report.outputs.push(name.clone());
                    match hidden(value, secrecy.drawn, from_command) {
                        None => {
                            report.values.insert(name.clone(), value.clone());
                        }
                        Some(stand_in) => {
                            report.secret_outputs.push(name.clone());
                            report.secrets.insert(name.clone(), stand_in);
                        }
                    }
                }
                report.outputs.sort();
                report.secret_outputs.sort();
                report.provisioner = Some(uri.clone());
            }
            report
        })
        .collect()
}

/// The reports of a provisioning compile: `seed` is the compile's tracking copy, whose
/// secret draws are hidden; `command_outputs` hides everything command provisioners printed.
pub(crate) fn provisioned_reports(
    graph: &ResourceGraph,
    workloads: &[&Workload],
    provisioned: &Provisioned,
    seed: &crate::seed::Seed,
    command_outputs: bool,
) -> Vec<ResourceReport> {
    let drawn = seed.drawn_secrets();
    let secrecy = Secrecy {
        drawn: &drawn,
        command_outputs,
    };
    resource_reports(graph, workloads, Some((provisioned, secrecy)))
}

/// What stands for an output's value when it is secret; `None` when it may be shown.
fn hidden(value: &Value, drawn: &BTreeSet<String>, from_command: bool) -> Option<String> {
    if from_command {
        return Some("<secret: from a command provisioner>".into());
    }
    let generated = |s: &str| drawn.iter().any(|d| s.contains(d.as_str()));
    if find_string(value, &generated).is_some() {
        return Some("<secret: generated>".into());
    }
    find_string(value, &secrets::contains_secret)?;
    Some(match value {
        Value::String(s) => secrets::describe(s),
        _ => secrets::describe(&value.to_string()),
    })
}

/// The `workload_services` template context: every workload by name, with the host name
/// others reach it by and its ports (each by name and, unless a name takes it, by number).
pub(crate) fn workload_services(
    workloads: &[&Workload],
    service_name: impl Fn(&Workload) -> Result<String, Box<Diagnostic>>,
) -> Result<Value, Box<Diagnostic>> {
    let mut services = Map::new();
    for w in workloads {
        let mut ports = Map::new();
        for (name, p) in w.service.iter().flat_map(|s| &s.ports) {
            let port = json!({
                "name": name.to_ascii_lowercase(),
                "port": *p.port,
                "target_port": p.target_port(),
                "protocol": p.protocol.as_str(),
            });
            ports.insert(name.clone(), port);
        }
        for (_, p) in w.service.iter().flat_map(|s| &s.ports) {
            let number = p.port.to_string();
            if !ports.contains_key(&number)
                && let Some(v) = ports.values().find(|v| v["port"] == *p.port).cloned()
            {
                ports.insert(number, v);
            }
        }
        services.insert(
            w.name().to_owned(),
            json!({ "service_name": service_name(w)?, "ports": ports }),
        );
    }
    Ok(Value::Object(services))
}

/// The path (`/a/0/b`) of the first string in `value` that `matches`, if any.
pub(crate) fn find_string(value: &Value, matches: &dyn Fn(&str) -> bool) -> Option<String> {
    // Tokens are collected on the way back, so nothing is allocated unless a string matches.
    fn find(value: &Value, matches: &dyn Fn(&str) -> bool) -> Option<Vec<String>> {
        let with = |token: String, mut path: Vec<String>| {
            path.push(token);
            path
        };
        match value {
            Value::String(s) => matches(s).then(Vec::new),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find(v, matches).map(|p| with(i.to_string(), p))),
            Value::Object(map) => map
                .iter()
                .find_map(|(k, v)| find(v, matches).map(|p| with(k.clone(), p))),
            _ => None,
        }
    }
    find(value, matches).map(|tokens| tokens.iter().rev().map(|t| format!("/{t}")).collect())
}

/// The image of a container: as written, or `--image` for `image: "."`. `help` says how to
/// give one on this target.
pub(crate) fn container_image(
    workload: &Workload,
    name: &str,
    container: &Container,
    image: Option<&str>,
    help: &str,
) -> Result<String, Box<Diagnostic>> {
    if container.image.value != "." {
        return Ok(container.image.value.clone());
    }
    image.map(str::to_owned).ok_or_else(|| {
        Box::new(
            Diagnostic::error(
                "score::image::missing",
                format!("container `{name}` has `image: \".\"`, which means the image is given when compiling, but no image was given"),
            )
            .at(format!("{}/image", pointer::container(name)), container.image.span)
            .with_help(help)
            .with_source(&workload.source),
        )
    })
}

/// The bytes of a file: `content`, decoded `binaryContent`, or the `source` file read through
/// `files`.
pub(crate) fn file_bytes(
    workload: &Workload,
    container: &str,
    target: &str,
    file: &File,
    files: &dyn SourceFiles,
) -> Result<Vec<u8>, Box<Diagnostic>> {
    let pointer = pointer::file(container, target);
    match &file.content {
        FileContent::Inline(text) => Ok(text.value.clone().into_bytes()),
        FileContent::Binary(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.value.trim())
            .map_err(|e| {
                Box::new(
                    Diagnostic::error(
                        "score::file::base64",
                        format!("`binaryContent` of `{target}` is not valid base64: {e}"),
                    )
                    .at(pointer.clone(), file.target_span)
                    .with_help("write standard base64 (A-Z, a-z, 0-9, +, /, = padding)")
                    .with_source(&workload.source),
                )
            }),
        FileContent::Source(path) => check_source_path(path)
            .and_then(|()| files.read(workload.source.name(), path))
            .map_err(|reason| {
                Box::new(
                    Diagnostic::error(
                        "score::file::unreadable",
                        format!("cannot read `{}` for `{target}`: {reason}", path.value),
                    )
                    .at(format!("{pointer}/source"), path.span)
                    .with_help("`source` is a path relative to the directory of this Score file")
                    .with_source(&workload.source),
                )
            }),
    }
}

/// The resource a volume's `source: ${resources.NAME}` names.
pub(crate) fn volume_resource(
    workload: &Workload,
    container: &str,
    target: &str,
    volume: &Volume,
) -> Result<String, Box<Diagnostic>> {
    let template = placeholders::parse(&volume.source);
    match template.segments.as_slice() {
        [Segment::Placeholder(p)] if p.keys.len() == 2 && p.root() == "resources" => {
            Ok(p.keys[1].clone())
        }
        _ => Err(Box::new(
            Diagnostic::error(
                "score::volume::source",
                format!(
                    "volume `{target}` has source `{}`, which does not name a resource",
                    volume.source.value
                ),
            )
            .at(
                format!("{}/source", pointer::volume(container, target)),
                volume.source.span,
            )
            .with_help("write `source: ${resources.NAME}` with a resource of a volume type (e.g. `type: volume`)")
            .with_source(&workload.source),
        )),
    }
}

/// A placeholder that could not be resolved, as a diagnostic about `what`.
pub(crate) fn unresolved(
    workload: &Workload,
    pointer: String,
    span: Span,
    what: &str,
    u: Unresolved,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        "score::placeholder::unresolved",
        format!("{what}: {}", u.message),
    )
    .at(pointer, span)
    .with_source(&workload.source);
    if let Some(help) = u.help {
        d = d.with_help(help);
    }
    d
}
