//! The outputs workloads compile to, and what they share.

pub mod compose;
pub mod kubernetes;

use score_spec::Workload;
use score_spec::diagnostics::{Diagnostic, Diagnostics};
use serde_json::{Map, Value, json};

use crate::resources::location;

/// The workloads sorted by name, so that nothing depends on the order they were given in;
/// two workloads with one name are an error.
pub(crate) fn sorted_workloads(workloads: &[Workload]) -> Result<Vec<&Workload>, Diagnostics> {
    let mut sorted: Vec<&Workload> = workloads.iter().collect();
    sorted.sort_by(|a, b| {
        a.name()
            .cmp(b.name())
            .then_with(|| a.source.name().cmp(b.source.name()))
    });
    let mut diagnostics = Diagnostics::new();
    for pair in sorted.windows(2) {
        if pair[0].name() == pair[1].name() {
            let (first, second) = (pair[0], pair[1]);
            diagnostics.push(
                Diagnostic::error(
                    "score::workload::duplicate",
                    format!("two workloads are named `{}`", second.name()),
                )
                .at("/metadata/name", second.metadata.name.span)
                .with_help(format!(
                    "the other is at {}; workloads compiled together need distinct names",
                    location(first, first.metadata.name.span)
                ))
                .with_source(&second.source),
            );
        }
    }
    if diagnostics.is_empty() {
        Ok(sorted)
    } else {
        Err(diagnostics)
    }
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
