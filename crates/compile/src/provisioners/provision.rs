//! Running provisioners over the resource graph, in dependency order.

use score_spec::Workload;
use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::model::pointer;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Provisioner;
use super::templates::{self, dns_label};
use crate::placeholders::Scope;
use crate::resources::{ResourceGraph, ResourceNode};
use crate::seed::{Seed, guid};

/// What the target tells provisioners about the deployment.
#[derive(Clone, Debug, Default)]
pub struct TargetContext {
    pub namespace: Option<String>,
    /// The Compose project name (`--project`), if any.
    pub compose_project: Option<String>,
    /// Every workload by name: `{service_name, ports: {NAME: {name, port, target_port, protocol}}}`.
    pub workload_services: Value,
}

/// The result of provisioning every resource of a graph, indexed like `graph.nodes`.
#[derive(Clone, Debug, Default)]
pub struct Provisioned {
    pub outputs: Vec<Value>,
    pub manifests: Vec<Vec<Value>>,
    /// Compose fragments per resource: `services`, `volumes`, `networks`, `configs`, each a
    /// mapping of name → definition.
    pub compose: Vec<Map<String, Value>>,
    /// The uri of the provisioner that handled each resource.
    pub provisioners: Vec<String>,
}

/// Provisions every resource of `graph` with the first matching provisioner of
/// `provisioners`.
pub fn provision(
    workloads: &[&Workload],
    graph: &ResourceGraph,
    provisioners: &[&Provisioner],
    target: &TargetContext,
    seed: &Seed,
) -> Result<Provisioned, Diagnostics> {
    let mut renderer = templates::Renderer::new(seed.clone(), provisioners);
    let services = minijinja::Value::from_serialize(&target.workload_services);
    let mut diagnostics = Diagnostics::new();
    let mut outputs: Vec<Option<Value>> = vec![None; graph.nodes.len()];
    let mut manifests = vec![Vec::new(); graph.nodes.len()];
    let mut compose = vec![Map::new(); graph.nodes.len()];
    let mut used = vec![String::new(); graph.nodes.len()];
    let mut shared = Value::Object(Map::new());
    for (index, node) in graph.nodes.iter().enumerate() {
        let first = node.first();
        let workload = &workloads[first.workload];
        let resource = &workload.resources[&first.name];
        let at = |suffix: &str| {
            let pointer = format!("{}{suffix}", pointer::resource(&first.name));
            let span = workload.span_of(&pointer).unwrap_or(resource.name_span);
            (pointer, span)
        };

        // Params, with placeholders substituted from the resources provisioned before.
        let lookup = |name: &str| {
            graph
                .index(first.workload, name)
                .and_then(|i| outputs[i].as_ref())
        };
        let depends_on_failed =
            crate::resources::referenced_resources(resource)
                .iter()
                .any(|name| {
                    graph
                        .index(first.workload, name)
                        .is_some_and(|i| outputs[i].is_none())
                });
        if depends_on_failed {
            // Its dependency's error has been reported already.
            continue;
        }
        let scope = Scope {
            workload,
            outputs: &lookup,
            environment: None,
        };
        let params_json = resource
            .params
            .as_ref()
            .map_or(Value::Object(Map::new()), |p| p.to_json());
        let params = match scope.substitute_json(&params_json) {
            Ok(params) => params,
            Err(unresolved) => {
                let (pointer, span) = at("/params");
                let mut d = Diagnostic::error(
                    "score::placeholder::unresolved",
                    format!(
                        "in the params of resource `{}`: {}",
                        first.name, unresolved.message
                    ),
                )
                .at(pointer, span)
                .with_source(&workload.source);
                if let Some(help) = unresolved.help {
                    d = d.with_help(help);
                }
                diagnostics.push(d);
                continue;
            }
        };

        let Some(provisioner) = provisioners
            .iter()
            .find(|p| p.matches(&node.r#type, &node.class, node.id.as_deref()))
        else {
            let (pointer, span) = at("/type");
            diagnostics.push(unsupported(node, provisioners, pointer, span, workload));
            continue;
        };

        if let (Some(supported), Value::Object(given)) = (&provisioner.supported_params, &params) {
            let mut bad = false;
            for key in given.keys() {
                if !supported.contains(key) {
                    let (pointer, span) = at(&format!(
                        "/params/{}",
                        score_spec::node::escape_pointer_token(key)
                    ));
                    diagnostics.push(
                        Diagnostic::error(
                            "score::provisioner::unknown-param",
                            format!("resource `{}` ({}) has a param `{key}` that its provisioner does not support", first.name, node.r#type),
                        )
                        .at(pointer, span)
                        .with_help(format!(
                            "the provisioner `{}` supports: {}",
                            provisioner.uri,
                            if supported.is_empty() { "no params".to_owned() } else { supported.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ") }
                        ))
                        .with_source(&workload.source),
                    );
                    bad = true;
                }
            }
            if bad {
                continue;
            }
        }

        // The context is a minijinja map: values shared by every resource (the workload
        // services) are reference-counted, not copied per render.
        let mut context: BTreeMap<&'static str, minijinja::Value> = BTreeMap::new();
        context.insert("uid", j(&node.uid));
        let guid = guid(&node.uid);
        context.insert(
            "name",
            j(resource_object_name(node, workload.name(), &guid)),
        );
        context.insert("guid", j(guid));
        context.insert("type", j(&node.r#type));
        context.insert("class", j(&node.class));
        context.insert("id", j(&node.id));
        context.insert("resource_name", j(&first.name));
        context.insert("params", j(&params));
        context.insert(
            "metadata",
            j(resource
                .metadata
                .as_ref()
                .map_or(Value::Object(Map::new()), |m| m.to_json())),
        );
        context.insert("source_workload", j(workload.name()));
        context.insert("workload_metadata", j(workload.metadata.node.to_json()));
        context.insert("workload_services", services.clone());
        context.insert("namespace", j(&target.namespace));
        context.insert("compose_project", j(&target.compose_project));
        context.insert("init", j(Map::new()));
        context.insert("state", j(Map::new()));
        context.insert("shared", j(&shared));
        let mut produced = Value::Object(Map::new());
        let fail = |field: &str, message: String| {
            let (pointer, span) = at("");
            let message = match templates::deliberate(&message) {
                Some(words) => format!("resource `{}` ({}): {words}", first.name, node.r#type),
                None => format!(
                    "provisioning resource `{}` ({}) failed in the `{field}` template of `{}`: {message}",
                    first.name, node.uid, provisioner.uri
                ),
            };
            Diagnostic::error("score::provisioner::failed", message)
                .at(pointer, span)
                .with_label(format!("provisioned by {}", provisioner.uri))
                .with_help(format!(
                    "the provisioner is defined at {}",
                    provisioner.location()
                ))
                .with_source(&workload.source)
        };
        let mut failed = false;
        for (field, template) in provisioner.templates() {
            let rendered = match renderer.render(provisioner, field, template, &context) {
                Ok(text) => text,
                Err(message) => {
                    diagnostics.push(fail(field, message));
                    failed = true;
                    break;
                }
            };
            let value = match parse_rendered(&rendered, field) {
                Ok(value) => value,
                Err(message) => {
                    diagnostics.push(fail(field, message));
                    failed = true;
                    break;
                }
            };
            match field {
                "shared" => {
                    merge_patch(&mut shared, &value);
                    context.insert("shared", j(&shared));
                }
                "manifests" => {
                    if let Err(message) = check_manifests(&value) {
                        diagnostics.push(fail(field, message));
                        failed = true;
                        break;
                    }
                    manifests[index] = value.as_array().cloned().unwrap_or_default();
                }
                "outputs" => produced = value,
                "services" | "volumes" | "networks" | "configs" => {
                    compose[index].insert(field.to_owned(), value);
                }
                _ => {
                    context.insert(field, j(&value));
                }
            }
        }
        if failed {
            continue;
        }
        let missing: Vec<&String> = provisioner
            .expected_outputs
            .iter()
            .filter(|key| produced.get(key.as_str()).is_none())
            .collect();
        if !missing.is_empty() {
            let (pointer, span) = at("");
            diagnostics.push(
                Diagnostic::error(
                    "score::provisioner::missing-output",
                    format!(
                        "the provisioner `{}` did not produce the output{} {} it promises for resource `{}`",
                        provisioner.uri,
                        if missing.len() == 1 { "" } else { "s" },
                        missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
                        first.name
                    ),
                )
                .at(pointer, span)
                .with_help(format!("fix its `outputs` template (defined at {}) or its `expected_outputs`", provisioner.location()))
                .with_source(&workload.source),
            );
            continue;
        }
        used[index] = provisioner.uri.clone();
        outputs[index] = Some(produced);
    }
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(Provisioned {
        outputs: outputs.into_iter().map(Option::unwrap_or_default).collect(),
        manifests,
        compose,
        provisioners: used,
    })
}

fn j<T: serde::Serialize>(value: T) -> minijinja::Value {
    minijinja::Value::from_serialize(value)
}

/// A DNS-1035 label unique to the resource, at most 52 characters (StatefulSet names longer
/// than that make pod labels too long): `<workload>-<resource>` or the id, then 6 hex digits
/// of its guid.
fn resource_object_name(node: &ResourceNode, workload: &str, guid: &str) -> String {
    let base = match &node.id {
        Some(id) => id.replace('.', "-"),
        None => format!("{workload}-{}", node.first().name),
    };
    let mut base = dns_label(&base, 45);
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base = format!("r-{base}");
        base.truncate(45);
        while base.ends_with('-') {
            base.pop();
        }
    }
    format!("{base}-{}", &guid[..6])
}

fn unsupported(
    node: &ResourceNode,
    provisioners: &[&Provisioner],
    pointer: String,
    span: score_spec::Span,
    workload: &Workload,
) -> Diagnostic {
    let mut types: Vec<&str> = provisioners.iter().map(|p| p.r#type.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    let same_type: Vec<String> = provisioners
        .iter()
        .filter(|p| p.r#type == node.r#type)
        .map(|p| match (&p.class, &p.id) {
            (Some(c), Some(i)) => format!("class `{c}` with id `{i}`"),
            (Some(c), None) => format!("class `{c}`"),
            (None, Some(i)) => format!("id `{i}`"),
            (None, None) => "any class".to_owned(),
        })
        .collect();
    let (message, help) = if same_type.is_empty() {
        (
            format!(
                "no provisioner supports resources of type `{}`",
                node.r#type
            ),
            format!(
                "supported types: {}; for another type, write a provisioner file and pass it with `--provisioners FILE`",
                types
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    } else {
        (
            format!(
                "no provisioner supports resource `{}` of type `{}` with class `{}`{}",
                node.first().name,
                node.r#type,
                node.class,
                node.id
                    .as_ref()
                    .map_or(String::new(), |i| format!(" and id `{i}`"))
            ),
            format!(
                "provisioners for `{}` exist for: {}",
                node.r#type,
                same_type.join("; ")
            ),
        )
    };
    Diagnostic::error("score::resource::unsupported", message)
        .at(pointer, span)
        .with_label(format!("resource `{}`", node.uid))
        .with_help(help)
        .with_source(&workload.source)
}

fn parse_rendered(text: &str, field: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(if field == "manifests" {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        });
    }
    // Read like the workloads are (YAML 1.1 scalars, as Kubernetes reads manifests;
    // duplicate keys are errors), with score-spec's located reader.
    let source = score_spec::SourceFile::new(field, text);
    let value = score_spec::parse_yaml(&source, &score_spec::Limits::default())
        .map_err(|d| {
            let at = d.span.map_or(String::new(), |s| {
                format!(" at line {}, column {}", s.line, s.column)
            });
            format!(
                "it rendered text that is not valid YAML ({}{at}); the text was:\n{}",
                d.message,
                number_lines(text)
            )
        })?
        .to_json();
    match (field, &value) {
        (_, Value::Null) if field == "manifests" => Ok(Value::Array(Vec::new())),
        (_, Value::Null) => Ok(Value::Object(Map::new())),
        ("manifests", Value::Array(_)) => Ok(value),
        ("manifests", _) => Err("it must render a YAML list of manifests".to_owned()),
        (_, Value::Object(_)) => Ok(value),
        _ => Err("it must render a YAML mapping".to_owned()),
    }
}

fn number_lines(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| format!("{:>4} | {l}", i + 1))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_manifests(value: &Value) -> Result<(), String> {
    for (i, manifest) in value.as_array().into_iter().flatten().enumerate() {
        let ok = manifest.get("apiVersion").is_some_and(Value::is_string)
            && manifest.get("kind").is_some_and(Value::is_string)
            && manifest
                .pointer("/metadata/name")
                .is_some_and(Value::is_string);
        if !ok {
            return Err(format!(
                "manifest {} has no `apiVersion`, `kind` and `metadata.name` (all strings)",
                i + 1
            ));
        }
    }
    Ok(())
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let map = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}
