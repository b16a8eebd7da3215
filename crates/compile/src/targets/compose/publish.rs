//! Checks of `--publish` and of the host ports the Compose file claims: a workload must be
//! compiled along, and a host port can be published once (the routes' proxy takes one, 8080
//! unless `--route-port` moves it).

use score_spec::Workload;
use score_spec::diagnostics::Diagnostic;
use score_spec::model::pointer;
use serde_json::{Map, Value};

use super::Publish;
use crate::resources::ResourceGraph;

/// The services provisioners made, and which resource made which.
pub(super) struct Provisioned<'a> {
    /// Every provisioned service by name.
    pub services: &'a Map<String, Value>,
    /// The names of the services each resource (an index into `graph.nodes`) made.
    pub of_resource: &'a [Vec<String>],
    pub graph: &'a ResourceGraph,
}

/// Who publishes a host port.
#[derive(Clone, Copy)]
enum Claimant<'a> {
    Flag(&'a Publish),
    /// A provisioned service, with the first resource that made it.
    Service(&'a str, Option<usize>),
}

/// One host port claimed: port, protocol, host IP (`None`: every address).
struct Claim<'a> {
    port: u16,
    protocol: String,
    host_ip: Option<String>,
    by: Claimant<'a>,
}

/// Problems with `publish` and with host ports published twice.
pub(super) fn check(
    publish: &[Publish],
    workloads: &[&Workload],
    provisioned: &Provisioned,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for p in publish {
        if !workloads.iter().any(|w| w.name() == p.workload) {
            let known: Vec<&str> = workloads.iter().map(|w| w.name()).collect();
            diagnostics.push(
                Diagnostic::error(
                    "score::compose::publish",
                    format!(
                        "`--publish {p}` names workload `{}`, which is not compiled here",
                        p.workload
                    ),
                )
                .with_help(format!("the workloads are: {}", known.join(", "))),
            );
        }
    }
    let claims = claims(publish, provisioned);
    for (i, claim) in claims.iter().enumerate() {
        let earlier = claims[..i].iter().find(|c| {
            c.port == claim.port
                && c.protocol == claim.protocol
                && (c.host_ip.is_none() || claim.host_ip.is_none() || c.host_ip == claim.host_ip)
        });
        if let Some(earlier) = earlier {
            // A port to suggest: the next one nothing publishes.
            let free = (claim.port.saturating_add(1)..=u16::MAX)
                .find(|p| claims.iter().all(|c| c.port != *p))
                .unwrap_or(8081);
            diagnostics.push(clash(earlier, claim, free, workloads, provisioned));
        }
    }
    diagnostics
}

/// Every host port published: the flags' first, then the provisioned services' by name.
fn claims<'a>(publish: &'a [Publish], provisioned: &Provisioned<'a>) -> Vec<Claim<'a>> {
    let mut claims: Vec<Claim> = publish
        .iter()
        .map(|p| Claim {
            port: p.host_port,
            protocol: "tcp".into(),
            host_ip: None,
            by: Claimant::Flag(p),
        })
        .collect();
    for (name, service) in provisioned.services {
        let resource = provisioned
            .of_resource
            .iter()
            .position(|names| names.contains(name));
        let ports = service.get("ports").and_then(Value::as_array);
        for entry in ports.into_iter().flatten() {
            let Some((ports, protocol, host_ip)) = published(entry) else {
                continue;
            };
            for port in ports {
                claims.push(Claim {
                    port,
                    protocol: protocol.clone(),
                    host_ip: host_ip.clone(),
                    by: Claimant::Service(name, resource),
                });
            }
        }
    }
    claims
}

/// The host ports, protocol and host IP of one entry of a service's `ports`, long or short
/// syntax; `None` when it publishes no fixed host port.
fn published(entry: &Value) -> Option<(Vec<u16>, String, Option<String>)> {
    let (published, protocol, host_ip) = match entry {
        Value::Object(long) => (
            match long.get("published")? {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => return None,
            },
            long.get("protocol")
                .and_then(Value::as_str)
                .unwrap_or("tcp"),
            long.get("host_ip")
                .and_then(Value::as_str)
                .map(str::to_owned),
        ),
        Value::String(short) => {
            // [[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]
            let (mapping, protocol) = short.split_once('/').unwrap_or((short, "tcp"));
            let mut parts = mapping.rsplitn(3, ':');
            let _target = parts.next()?;
            let published = parts.next()?.to_owned();
            let host_ip = parts.next().map(str::to_owned);
            (published, protocol, host_ip)
        }
        _ => return None,
    };
    let (first, last) = published
        .split_once('-')
        .unwrap_or((&published, &published));
    let (first, last) = (first.parse::<u16>().ok()?, last.parse::<u16>().ok()?);
    let host_ip = host_ip.filter(|ip| !ip.is_empty() && ip != "0.0.0.0");
    Some((
        (first..=last).collect(),
        protocol.to_ascii_lowercase(),
        host_ip,
    ))
}

/// The error for `later` publishing the host port `earlier` already does; `free` is a host
/// port nothing publishes.
fn clash(
    earlier: &Claim,
    later: &Claim,
    free: u16,
    workloads: &[&Workload],
    provisioned: &Provisioned,
) -> Diagnostic {
    let describe = |by: Claimant| match by {
        Claimant::Flag(p) => format!("`--publish {p}`"),
        Claimant::Service(name, Some(r)) => format!(
            "service `{name}` (made for resource `{}`)",
            provisioned.graph.nodes[r].uid
        ),
        Claimant::Service(name, None) => format!("service `{name}`"),
    };
    let port = later.port;
    let message = format!(
        "{} and {} both publish host port {port}",
        describe(earlier.by),
        describe(later.by)
    );
    let service = [earlier.by, later.by].into_iter().find_map(|by| match by {
        Claimant::Service(name, r) => Some((name, r)),
        Claimant::Flag(_) => None,
    });
    let Some((name, resource)) = service else {
        return Diagnostic::error("score::compose::port-clash", message)
            .with_help("publish each on a host port of its own");
    };
    let route = resource.map(|r| &provisioned.graph.nodes[r]);
    let help = if route.is_some_and(|node| node.r#type == "route") {
        format!(
            "`{name}` is the routes' proxy; move it with `--route-port PORT` (e.g. `--route-port {free}`), or publish the workload on another host port"
        )
    } else {
        "publish on another host port, or change the provisioner that makes the service".into()
    };
    let d = Diagnostic::error("score::compose::port-clash", message).with_help(help);
    // Shown at the resource whose provisioner made the service, when there is one.
    match route {
        Some(node) => {
            let first = node.first();
            let w = workloads[first.workload];
            d.at(
                pointer::resource(&first.name),
                w.resources[&first.name].name_span,
            )
            .with_label(format!("its provisioner makes `{name}`"))
            .with_source(&w.source)
        }
        None => d,
    }
}
