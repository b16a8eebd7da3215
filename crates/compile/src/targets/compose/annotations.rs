//! The `compose.score.dev/` resource annotations score-compose's default provisioners read,
//! here: `publish-port` is read by the compiler for any provisioner (the resource's `port`
//! output is published on the service its `host` output names), `publish-management-port`
//! by the built-in amqp provisioner, `route-provisioner-path-type` by the built-in route
//! provisioner. The others, and any unknown key, are warnings at the key.

use score_spec::Workload;
use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::node::Node;
use serde_json::{Value, json};

use super::Sections;
use crate::provisioners::{Provisioned, Provisioner};
use crate::resources::ResourceGraph;
use crate::targets::annotations::{
    Vocabulary, annotation_pointer, matched, reads, resource_annotation,
};

const PUBLISH_PORT: &str = "compose.score.dev/publish-port";
const PUBLISH_MANAGEMENT_PORT: &str = "compose.score.dev/publish-management-port";

const NGINX_SNIPPETS: &str = "the built-in route proxy takes no nginx snippets: give a route provisioner of your own (`--provisioners`) the nginx configuration you need";
const ELASTICSEARCH: &str = "score-compose's Elasticsearch setting: a provisioner of your own (`--provisioners`) for this type can read it from `metadata.annotations`";

pub(super) const VOCABULARY: Vocabulary = Vocabulary {
    prefix: "compose.score.dev/",
    unread: "score::compose::annotation-unsupported",
    unknown: "score::compose::unknown-annotation",
    workload: &[],
    resource: &[
        (
            "publish-management-port",
            "only the built-in amqp provisioner (RabbitMQ) has a management UI to publish; remove it",
        ),
        (
            "route-provisioner-path-type",
            "only the built-in route provisioner reads it; remove it, or read it in your provisioner's templates",
        ),
        ("route-provisioner-server-snippet", NGINX_SNIPPETS),
        ("route-provisioner-location-snippet", NGINX_SNIPPETS),
        ("license", ELASTICSEARCH),
        ("stack-version", ELASTICSEARCH),
        ("es-mem-limit", ELASTICSEARCH),
    ],
    read_by_target: &["publish-port"],
    resource_key_on_workload: "move it to the `metadata.annotations` of a resource; a workload's own ports are published with `--publish HOST_PORT:WORKLOAD:PORT`",
};

/// Errors for port annotations whose value is not a port number, before anything renders them.
pub(super) fn check_values(workloads: &[&Workload], graph: &ResourceGraph) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for node in &graph.nodes {
        let first = node.first();
        let w = workloads[first.workload];
        let metadata = w.resources[&first.name].metadata.as_ref();
        for key in [PUBLISH_PORT, PUBLISH_MANAGEMENT_PORT] {
            if let Some((value, _)) = resource_annotation(metadata, key)
                && port(value).is_none()
            {
                diagnostics.push(
                    Diagnostic::error(
                        "score::compose::annotation",
                        format!("`{key}` must be a host port number"),
                    )
                    .at(annotation_pointer(&first.name, key), value.span)
                    .with_help("write a port from 1 to 65535 as a string, e.g. `\"15432\"`")
                    .with_source(&w.source),
                );
            }
        }
    }
    diagnostics
}

/// A port number from 1 to 65535, written as a string (annotation values are strings).
fn port(value: &Node) -> Option<u16> {
    value
        .as_str()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|p| *p > 0)
}

/// What the compiler reads of the resources' annotations: `publish-port` is published (its
/// `ports` entry added to `sections`), then warnings about the keys nothing reads.
pub(super) fn apply(
    workloads: &[&Workload],
    graph: &ResourceGraph,
    provisioned: &Provisioned,
    consulted: &[&Provisioner],
    sections: &mut Sections,
    services_of_resource: &[Vec<String>],
) -> Vec<Diagnostic> {
    let matched = matched(graph, &provisioned.provisioners, consulted);
    let mut out = VOCABULARY.check_workloads(workloads);
    out.extend(VOCABULARY.check_resources(workloads, graph, &matched));
    for (i, node) in graph.nodes.iter().enumerate() {
        // A provisioner that reads the annotation itself (a command gets all metadata) does
        // the publishing.
        if matched[i].is_none_or(|p| p.command.is_some() || reads(p, PUBLISH_PORT)) {
            continue;
        }
        let first = node.first();
        let w = workloads[first.workload];
        let metadata = w.resources[&first.name].metadata.as_ref();
        let Some((value, key_span)) = resource_annotation(metadata, PUBLISH_PORT) else {
            continue;
        };
        let Some(published) = port(value) else {
            continue; // check_values said so
        };
        match published_service(&provisioned.outputs[i], &services_of_resource[i]) {
            Some((service, target)) => {
                let ports = sections
                    .entry("services")
                    .or_default()
                    .get_mut(service)
                    .and_then(Value::as_object_mut)
                    .map(|s| s.entry("ports").or_insert_with(|| json!([])));
                if let Some(Value::Array(ports)) = ports {
                    let entry = json!({ "target": target, "published": published.to_string() });
                    if !ports.contains(&entry) {
                        ports.push(entry);
                    }
                }
            }
            None => out.push(
                Diagnostic::warning(
                    VOCABULARY.unread,
                    format!(
                        "`{PUBLISH_PORT}` cannot be honoured for `{}`: its provisioner ({}) gives no `host` output naming one of its services with a `port` output",
                        node.uid, provisioned.provisioners[i]
                    ),
                )
                .at(annotation_pointer(&first.name, PUBLISH_PORT), key_span)
                .with_help("publish a workload's port with `--publish HOST_PORT:WORKLOAD:PORT`, or add `ports` in your provisioner's services")
                .with_source(&w.source),
            ),
        }
    }
    out
}

/// The service a resource's `host` output names (one it made) and its `port` output.
fn published_service<'a>(outputs: &Value, services: &'a [String]) -> Option<(&'a str, u16)> {
    let host = outputs.get("host")?.as_str()?;
    let service = services.iter().find(|s| *s == host)?;
    let port = match outputs.get("port")? {
        Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Some((service.as_str(), port))
}
