//! `environment` resources on Kubernetes: `${resources.ENV.KEY}` is key KEY of a Secret the
//! platform provides in the namespace, so values stay out of the compiler and its output.
//!
//! The built-in `environment` provisioner has no templates; when it provides a resource (its
//! exact uri), the Secret is `params.secret`, or [`DEFAULT_SECRET`]. Placeholders then turn
//! each key into a secret marker ([`crate::placeholders::EnvironmentSource::Secret`]), which
//! becomes a `secretKeyRef` like any secret output.

use score_spec::Workload;
use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::model::pointer;
use serde_json::Value;

use super::names::is_dns1123_subdomain;
use crate::placeholders::{EnvironmentSource, Scope};
use crate::provisioners::ENVIRONMENT_PROVISIONER;
use crate::provisioners::Provisioned;
use crate::resources::ResourceGraph;

/// The Secret an `environment` resource reads when its params name none.
pub const DEFAULT_SECRET: &str = "score-environment";

/// Per graph node: the Secret holding the keys of an `environment` resource provided by the
/// built-in provisioner, `None` for every other resource. A bad `params.secret` is a
/// diagnostic (and the node gets `None`).
pub(super) fn secrets(
    workloads: &[&Workload],
    graph: &ResourceGraph,
    provisioned: &Provisioned,
    diagnostics: &mut Diagnostics,
) -> Vec<Option<EnvironmentSource>> {
    graph
        .nodes
        .iter()
        .zip(&provisioned.provisioners)
        .map(|(node, uri)| {
            if node.r#type != "environment" || uri != ENVIRONMENT_PROVISIONER {
                return None;
            }
            let declaration = node.first();
            let workload = workloads[declaration.workload];
            match secret_name(
                workload,
                declaration.workload,
                &declaration.name,
                graph,
                provisioned,
            ) {
                Ok(name) => Some(EnvironmentSource::Secret(name)),
                Err(d) => {
                    diagnostics.push(*d);
                    None
                }
            }
        })
        .collect()
}

/// `params.secret` of resource `name` of `workload` (placeholders substituted), checked to be
/// a Secret name, or [`DEFAULT_SECRET`].
fn secret_name(
    workload: &Workload,
    index: usize,
    name: &str,
    graph: &ResourceGraph,
    provisioned: &Provisioned,
) -> Result<String, Box<Diagnostic>> {
    let pointer = format!("{}/params/secret", pointer::resource(name));
    let resource = &workload.resources[name];
    let span = workload.span_of(&pointer).unwrap_or(resource.name_span);
    let fail = |message: String| {
        Box::new(
            Diagnostic::error("score::kubernetes::environment-secret", message)
                .at(pointer.clone(), span)
                .with_help(format!("name the Secret that holds the variables with a lower-case DNS name (letters, digits, `-` and `.`), or leave `secret` out for `{DEFAULT_SECRET}`"))
                .with_source(&workload.source),
        )
    };
    let param = resource
        .params
        .as_ref()
        .map(|p| p.to_json())
        .and_then(|p| p.get("secret").cloned());
    let written = match param {
        None => return Ok(DEFAULT_SECRET.to_owned()),
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(fail(format!(
                "`params.secret` of environment resource `{name}` must be a string, found `{other}`"
            )));
        }
    };
    let lookup = |n: &str| graph.index(index, n).map(|i| &provisioned.outputs[i]);
    let scope = Scope {
        workload,
        outputs: &lookup,
        environment: None,
    };
    let secret = scope.substitute(&written).map_err(|u| fail(u.message))?;
    if !is_dns1123_subdomain(&secret) || crate::secrets::contains_secret(&secret) {
        return Err(fail(format!(
            "`{secret}` cannot name the Secret of environment resource `{name}`"
        )));
    }
    Ok(secret)
}
