//! `external_workload(name, port=none)`: what a `service` or `service-port` resource gets for
//! a workload that is not compiled along (see [`super::ExternalWorkloads`]).
//!
//! Compiling one workload per repository is common (score-k8s and score-compose users run one
//! compile per workload in CI). The named workload is then assumed to be deployed elsewhere
//! under the host name this target gives every workload of that name, with one warning, or it
//! is an error when the caller denies external workloads.

use minijinja::value::{Kwargs, Value};
use minijinja::{Error, State};
use serde_json::json;

use super::ExternalWorkloads;
use super::signals::{Hooks, Warned, failure};
use crate::dns::is_dns1123_label;

const EXTERNAL: &str = "score::service::external";
const WORKLOAD: &str = "score::service::workload";
const PORT: &str = "score::service::port";

/// The template function; see [`super::templates`] for what it returns.
pub(crate) fn external_workload(
    hooks: &Hooks,
    state: &State,
    name: &Value,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let port: Option<Value> = kwargs.get("port")?;
    kwargs.assert_all_used()?;
    let source = state
        .lookup("source_workload")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    // Problems with the name are reported where it is written: `params.workload`, or the
    // resource itself when the name is the resource's.
    let from_param = state
        .lookup("params")
        .and_then(|p| p.get_attr("workload").ok())
        .is_some_and(|w| &w == name);
    let at = if from_param { "/params/workload" } else { "" };
    let name = checked_name(name, at)?;
    let host = (hooks.host_name)(name)
        .map_err(|refused| failure(WORKLOAD, at, Some(refused.help), &refused.message))?;
    let compile_along =
        format!("give `score compile` the Score file of `{name}` too, to have it checked");
    if hooks.external == ExternalWorkloads::Deny {
        return Err(failure(
            EXTERNAL,
            "",
            Some(&format!(
                "{compile_along}, or drop `--deny-external-workloads` to assume it is deployed elsewhere"
            )),
            &format!(
                "workload `{name}` is not compiled along with `{source}`, and external workloads are denied"
            ),
        ));
    }
    let ports = match port.filter(|p| !p.is_undefined() && !p.is_none()) {
        None => json!({}),
        Some(port) => {
            let number = port_number(&port).ok_or_else(|| {
                failure(
                    PORT,
                    "/params/port",
                    Some(&format!(
                        "{compile_along}, or give the port by number (`port: 8080`)"
                    )),
                    &format!("port `{port}` of workload `{name}` is not a port number, and the names of its ports are not known: `{name}` is not compiled along"),
                )
            })?;
            json!({ number.to_string(): {
                "name": number.to_string(),
                "port": number,
                "target_port": number,
                "protocol": "TCP",
            }})
        }
    };
    hooks.warn(Warned {
        code: EXTERNAL,
        at: String::new(),
        help: Some(format!(
            "{compile_along}, or pass `--deny-external-workloads` to make this an error"
        )),
        message: format!(
            "workload `{name}` is not compiled along with `{source}`: assumed to be deployed elsewhere, reachable as `{host}`"
        ),
    });
    Ok(Value::from_serialize(json!({
        "service_name": host,
        "ports": ports,
        "external": true,
    })))
}

/// `name` when it is a workload name (an RFC 1123 label of 2 to 63 characters, as Score's
/// schema has `metadata.name`).
fn checked_name<'v>(name: &'v Value, at: &str) -> Result<&'v str, Error> {
    let text = name.as_str();
    let valid = text.is_some_and(|n| n.len() >= 2 && is_dns1123_label(n));
    match text {
        Some(text) if valid => Ok(text),
        _ => Err(failure(
            WORKLOAD,
            at,
            Some(
                "a workload name is 2 to 63 lower-case letters, digits and `-`, starting and ending with a letter or digit (its `metadata.name`)",
            ),
            &format!("`{name}` is not a workload name"),
        )),
    }
}

/// A port number: an integer, or a string of digits, from 1 to 65535.
fn port_number(port: &Value) -> Option<u16> {
    let number = match port.as_str() {
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u16>().ok()
        }
        Some(_) => None,
        None => u16::try_from(port.clone()).ok(),
    };
    number.filter(|n| *n > 0)
}
