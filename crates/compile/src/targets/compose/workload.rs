//! One Score workload → its Compose services and configs.

use std::collections::{BTreeMap, BTreeSet};

use score_spec::Workload;
use score_spec::diagnostics::Diagnostic;
use score_spec::model::{Container, Probe, Readiness, pointer};
use serde_json::{Map, Value, json};

use super::{Publish, escape_interpolation};
use crate::files::SourceFiles;
use crate::placeholders::{EnvPiece, Scope, Unresolved, split_environment};
use crate::provisioners::Provisioned;
use crate::resources::ResourceGraph;
use crate::secrets;
use crate::seed::sha256_hex;
use crate::targets::{container_image, file_bytes, unresolved, volume_resource};

pub(super) struct Convert<'a> {
    pub workload: &'a Workload,
    pub index: usize,
    pub graph: &'a ResourceGraph,
    pub provisioned: &'a Provisioned,
    /// Per graph node: provisioned as an `environment` resource.
    pub environment: &'a [bool],
    pub image: Option<&'a str>,
    pub files: &'a dyn SourceFiles,
    /// Provisioned services this workload waits for, with the condition.
    pub waits: &'a BTreeMap<String, &'static str>,
    pub publish: Vec<&'a Publish>,
}

pub(super) struct Converted {
    pub services: Vec<(String, Value)>,
    pub configs: Vec<(String, Value)>,
    pub variables: BTreeSet<String>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Convert<'_> {
    pub fn run(&self) -> Converted {
        let w = self.workload;
        let mut out = Converted {
            services: Vec::new(),
            configs: Vec::new(),
            variables: BTreeSet::new(),
            diagnostics: Vec::new(),
        };
        let service_name = |container: &str| format!("{}-{container}", w.name());

        // Who waits for whom, and how.
        let mut waited: BTreeMap<&str, Readiness> = BTreeMap::new();
        for c in w.containers.values() {
            for (other, before) in &c.before {
                let r = waited.entry(other.as_str()).or_insert(*before.ready);
                if *before.ready == Readiness::Complete {
                    *r = Readiness::Complete;
                }
            }
        }
        // The network owner: the first container that runs for the workload's lifetime and
        // waits for nothing (so that joining its network creates no dependency cycle).
        let owner = w
            .containers
            .iter()
            .find(|(n, c)| {
                c.before.is_empty() && waited.get(n.as_str()) != Some(&Readiness::Complete)
            })
            .or_else(|| {
                w.containers
                    .iter()
                    .find(|(n, _)| waited.get(n.as_str()) != Some(&Readiness::Complete))
            })
            .map(|(n, _)| n.clone())
            .unwrap_or_default();
        // Containers the owner waits for (directly or not) start before it: they cannot join
        // its network.
        let mut before_owner = BTreeSet::new();
        let mut stack = vec![owner.clone()];
        while let Some(n) = stack.pop() {
            for other in w
                .containers
                .get(&n)
                .into_iter()
                .flat_map(|c| c.before.keys())
            {
                if before_owner.insert(other.clone()) {
                    stack.push(other.clone());
                }
            }
        }

        for (name, c) in &w.containers {
            let mut s = Map::new();
            let image = match container_image(w, name, c, self.image) {
                Ok(image) => image,
                Err(d) => {
                    out.diagnostics.push(*d);
                    continue;
                }
            };
            s.insert("image".into(), escape_interpolation(&image).into());
            // Score `command` is what runs (Compose `entrypoint`), `args` its arguments
            // (Compose `command`); both as written, with `$` kept from Compose interpolation.
            if let Some(command) = &c.command {
                s.insert(
                    "entrypoint".into(),
                    command.iter().map(|a| escape_interpolation(a)).collect(),
                );
            }
            if let Some(args) = &c.args {
                s.insert(
                    "command".into(),
                    args.iter().map(|a| escape_interpolation(a)).collect(),
                );
            }
            let mut annotations: Map<String, Value> = w
                .metadata
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), escape_interpolation(v).into()))
                .collect();
            annotations.insert("compose.score.dev/workload-name".into(), w.name().into());
            s.insert("annotations".into(), Value::Object(annotations));

            if *name == owner {
                // The hostname is what the container calls itself; the network alias is what
                // Docker's DNS answers to: others reach the workload by its name, as in
                // Kubernetes.
                s.insert("hostname".into(), w.name().into());
                s.insert(
                    "networks".into(),
                    json!({ "default": { "aliases": [w.name()] } }),
                );
                if let Some(service) = &w.service {
                    let mut expose: Vec<Value> = Vec::new();
                    for p in service.ports.values() {
                        let port = p.target_port().to_string();
                        let entry: Value = match p.protocol {
                            score_spec::model::Protocol::Tcp => port.into(),
                            score_spec::model::Protocol::Udp => format!("{port}/udp").into(),
                        };
                        if !expose.contains(&entry) {
                            expose.push(entry);
                        }
                    }
                    if !expose.is_empty() {
                        s.insert("expose".into(), Value::Array(expose));
                    }
                }
                if !self.publish.is_empty() {
                    let ports: Vec<Value> = self
                        .publish
                        .iter()
                        .map(|p| json!({ "target": p.port, "published": p.host_port.to_string() }))
                        .collect();
                    s.insert("ports".into(), Value::Array(ports));
                }
            } else if !before_owner.contains(name)
                && waited.get(name.as_str()) != Some(&Readiness::Complete)
            {
                s.insert(
                    "network_mode".into(),
                    format!("service:{}", service_name(&owner)).into(),
                );
            }

            let environment = self.environment(name, c, &mut out);
            if !environment.is_empty() {
                s.insert("environment".into(), Value::Object(environment));
            }

            let mut depends: Map<String, Value> = Map::new();
            for (service, condition) in self.waits {
                depends.insert(
                    service.clone(),
                    json!({ "condition": condition, "required": true }),
                );
            }
            for (other, before) in &c.before {
                let condition = match *before.ready {
                    Readiness::Started => "service_started",
                    Readiness::Healthy => {
                        if self.healthcheck(&w.containers[other]).is_none() {
                            out.diagnostics.push(
                                Diagnostic::error(
                                    "score::compose::before-healthy",
                                    format!("`{name}` waits for `{other}` to be healthy, but `{other}` has no exec probe for a Compose healthcheck"),
                                )
                                .at(format!("{}/{}", pointer::before(name), score_spec::node::escape_pointer_token(other)), before.name_span)
                                .with_help(format!("give `{other}` a readinessProbe with `exec`, or wait for `ready: started`"))
                                .with_source(&w.source),
                            );
                        }
                        "service_healthy"
                    }
                    Readiness::Complete => "service_completed_successfully",
                };
                depends.insert(
                    service_name(other),
                    json!({ "condition": condition, "required": true }),
                );
            }
            // Joining a network also needs the owner started.
            if s.contains_key("network_mode") && !depends.contains_key(&service_name(&owner)) {
                depends.insert(
                    service_name(&owner),
                    json!({ "condition": "service_started", "required": true }),
                );
            }
            if !depends.is_empty() {
                s.insert("depends_on".into(), Value::Object(depends));
            }

            if let Some(h) = self.healthcheck(c) {
                s.insert("healthcheck".into(), h);
            }
            for (field, probe) in [
                ("readinessProbe", &c.readiness_probe),
                ("livenessProbe", &c.liveness_probe),
            ] {
                if let Some(p) = probe
                    && p.exec.is_none()
                    && p.http_get.is_some()
                {
                    out.diagnostics.push(
                        Diagnostic::warning(
                            "score::compose::http-probe",
                            format!("the {field} of `{name}` is an httpGet probe, which Compose cannot run: the service gets no healthcheck from it"),
                        )
                        .at(format!("{}/{field}", pointer::container(name)), p.span)
                        .with_help("add an `exec` probe (e.g. `[\"wget\", \"-q\", \"--spider\", \"http://localhost:PORT/PATH\"]`) to have a healthcheck in Compose")
                        .with_source(&w.source),
                    );
                }
            }

            if let Some(resources) = &c.resources {
                let mut r = Map::new();
                for (field, q) in [
                    ("limits", &resources.limits),
                    ("reservations", &resources.requests),
                ] {
                    let Some(q) = q else { continue };
                    let mut m = Map::new();
                    if let Some(cpu) = &q.cpu {
                        m.insert("cpus".into(), cpus(cpu).into());
                    }
                    if let Some(memory) = &q.memory {
                        m.insert("memory".into(), memory_bytes(memory).into());
                    }
                    if !m.is_empty() {
                        r.insert(field.into(), Value::Object(m));
                    }
                }
                if !r.is_empty() {
                    s.insert("deploy".into(), json!({ "resources": r }));
                }
            }

            let mut configs = Vec::new();
            self.files(name, c, &mut configs, &mut out);
            if !configs.is_empty() {
                s.insert("configs".into(), Value::Array(configs));
            }
            let mut volumes = Vec::new();
            self.volumes(name, c, &mut volumes, &mut out);
            if !volumes.is_empty() {
                s.insert("volumes".into(), Value::Array(volumes));
            }
            out.services.push((service_name(name), Value::Object(s)));
        }
        out
    }

    fn outputs(&self, name: &str) -> Option<&Value> {
        self.graph
            .index(self.index, name)
            .map(|i| &self.provisioned.outputs[i])
    }

    fn substitute(&self, text: &str) -> Result<String, Unresolved> {
        let lookup = |n: &str| self.outputs(n);
        let is_environment = |n: &str| {
            self.graph
                .index(self.index, n)
                .is_some_and(|i| self.environment[i])
        };
        Scope {
            workload: self.workload,
            outputs: &lookup,
            environment: Some(&is_environment),
        }
        .substitute(text)
    }

    fn environment(
        &self,
        container: &str,
        c: &Container,
        out: &mut Converted,
    ) -> Map<String, Value> {
        let mut env = Map::new();
        for (key, variable) in &c.variables {
            let pointer = pointer::variable(container, key);
            let value = match self.substitute(&variable.value) {
                Ok(v) => v,
                Err(u) => {
                    out.diagnostics.push(unresolved(
                        self.workload,
                        pointer,
                        variable.value.span,
                        &format!("variable `{key}`"),
                        u,
                    ));
                    continue;
                }
            };
            if secrets::contains_secret(&value) {
                out.diagnostics.push(
                    Diagnostic::error(
                        "score::secret::unsupported",
                        format!(
                            "variable `{key}` uses a secret reference, which Compose cannot resolve"
                        ),
                    )
                    .at(pointer, variable.value.span)
                    .with_help("a provisioner for the compose target outputs the value itself")
                    .with_source(&self.workload.source),
                );
                continue;
            }
            let mut written = String::new();
            for piece in split_environment(&value) {
                match piece {
                    EnvPiece::Text(t) => written.push_str(&escape_interpolation(&t)),
                    EnvPiece::Variable(v) => {
                        written.push_str(&format!("${{{v}}}"));
                        out.variables.insert(v);
                    }
                }
            }
            env.insert(key.clone(), written.into());
        }
        env
    }

    /// An exec probe as a healthcheck: the readiness probe if it has one, else liveness.
    fn healthcheck(&self, c: &Container) -> Option<Value> {
        let probe: &Probe = [&c.readiness_probe, &c.liveness_probe]
            .into_iter()
            .flatten()
            .find(|p| p.exec.is_some())?;
        let exec = probe.exec.as_ref()?;
        let mut test = vec![Value::from("CMD")];
        test.extend(
            exec.command
                .iter()
                .map(|a| Value::from(escape_interpolation(a))),
        );
        Some(json!({ "test": test, "interval": "5s", "timeout": "5s", "retries": 3 }))
    }

    fn files(&self, container: &str, c: &Container, configs: &mut Vec<Value>, out: &mut Converted) {
        let w = self.workload;
        for (target, file) in &c.files {
            let pointer = pointer::file(container, target);
            let fail = |code: &'static str, message: String, help: &str| {
                Diagnostic::error(code, message)
                    .at(pointer.clone(), file.target_span)
                    .with_help(help.to_owned())
                    .with_source(&w.source)
            };
            let bytes = match file_bytes(w, container, target, file, self.files) {
                Ok(bytes) => bytes,
                Err(d) => {
                    out.diagnostics.push(*d);
                    continue;
                }
            };
            let Ok(text) = String::from_utf8(bytes) else {
                out.diagnostics.push(fail(
                    "score::compose::binary-file",
                    format!("the content of `{target}` is not UTF-8 text, which a Compose config cannot hold inline"),
                    "Compose configs hold text; mount binary files from a volume resource instead",
                ));
                continue;
            };
            let text = if file.expands() {
                match self.substitute(&text) {
                    Ok(t) => t,
                    Err(u) => {
                        out.diagnostics.push(unresolved(
                            self.workload,
                            pointer.clone(),
                            file.target_span,
                            &format!("file `{target}`"),
                            u,
                        ));
                        continue;
                    }
                }
            } else {
                text
            };
            if secrets::contains_secret(&text) || crate::placeholders::contains_environment(&text) {
                out.diagnostics.push(fail(
                    "score::compose::file-reference",
                    format!("the content of `{target}` uses a secret or environment reference, which a Compose config cannot resolve"),
                    "use the value in `variables` instead",
                ));
                continue;
            }
            let name = format!("{}-{container}-{}", w.name(), &sha256_hex(target)[..10]);
            out.configs.push((
                name.clone(),
                json!({ "content": escape_interpolation(&text) }),
            ));
            let mut mount = json!({ "source": name, "target": target });
            if let Some(mode) = file.mode_bits() {
                mount["mode"] = mode.into();
            }
            configs.push(mount);
        }
    }

    fn volumes(
        &self,
        container: &str,
        c: &Container,
        mounts: &mut Vec<Value>,
        out: &mut Converted,
    ) {
        let w = self.workload;
        for (target, volume) in &c.volumes {
            let pointer = format!("{}/source", pointer::volume(container, target));
            let resource = match volume_resource(w, container, target, volume) {
                Ok(resource) => resource,
                Err(d) => {
                    out.diagnostics.push(*d);
                    continue;
                }
            };
            let outputs = self.outputs(&resource).cloned().unwrap_or_default();
            let kind = outputs
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let source = outputs.get("source").and_then(Value::as_str);
            let mut mount = Map::new();
            match (kind, source) {
                ("volume" | "bind", Some(source)) => {
                    mount.insert("type".into(), kind.into());
                    let source = match (kind, &volume.path) {
                        ("bind", Some(path)) => format!(
                            "{}/{}",
                            source.trim_end_matches('/'),
                            path.value.trim_start_matches('/')
                        ),
                        _ => source.to_owned(),
                    };
                    mount.insert("source".into(), escape_interpolation(&source).into());
                    if let Some(Value::Object(options)) = outputs.get(kind) {
                        mount.insert(kind.into(), Value::Object(options.clone()));
                    }
                    if kind == "volume"
                        && let Some(path) = &volume.path
                    {
                        let options = mount.entry("volume").or_insert_with(|| json!({}));
                        options["subpath"] = path.value.clone().into();
                    }
                }
                ("tmpfs", _) => {
                    if volume.path.is_some() {
                        out.diagnostics.push(
                            Diagnostic::error(
                                "score::compose::tmpfs-path",
                                format!("volume `{target}` is a tmpfs, which has no sub-path"),
                            )
                            .at(pointer, volume.source.span)
                            .with_help("remove `path`")
                            .with_source(&w.source),
                        );
                        continue;
                    }
                    mount.insert("type".into(), "tmpfs".into());
                    if let Some(Value::Object(options)) = outputs.get("tmpfs") {
                        mount.insert("tmpfs".into(), Value::Object(options.clone()));
                    }
                }
                _ => {
                    let r = self
                        .graph
                        .get(self.index, &resource)
                        .map_or(String::new(), |n| n.r#type.clone());
                    out.diagnostics.push(
                        Diagnostic::error("score::volume::source", format!("resource `{resource}` (type `{r}`) cannot be mounted: its outputs need `type` (volume, bind or tmpfs) and, for volume and bind, `source`"))
                            .at(pointer, volume.source.span)
                            .with_help("mount a resource of a volume type, such as `type: volume`")
                            .with_source(&w.source),
                    );
                    continue;
                }
            }
            mount.insert("target".into(), target.clone().into());
            if volume.read_only {
                mount.insert("read_only".into(), true.into());
            }
            mounts.push(Value::Object(mount));
        }
    }
}

/// Kubernetes CPU (`250m`, `0.5`, `2`) as Compose `cpus` (`"0.25"`).
fn cpus(cpu: &str) -> String {
    match cpu.strip_suffix('m') {
        Some(milli) => {
            let m: u64 = milli.parse().unwrap_or(0);
            let whole = m / 1000;
            let frac = m % 1000;
            if frac == 0 {
                whole.to_string()
            } else {
                format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
            }
        }
        None => cpu.to_owned(),
    }
}

/// A Kubernetes memory quantity (`128Mi`, `1.5Gi`, `500M`) as Compose bytes, with Docker's
/// binary suffixes (`k`, `m`, `g` are 1024-based) when exact.
fn memory_bytes(memory: &str) -> String {
    let split = memory
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(memory.len());
    let (number, unit) = memory.split_at(split);
    let factor: f64 = match unit {
        "" => 1.0,
        "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => 1.0,
    };
    let bytes = (number.parse::<f64>().unwrap_or(0.0) * factor).round() as u64;
    for (suffix, size) in [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{suffix}", bytes / size);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(cpus("250m"), "0.25");
        assert_eq!(cpus("1500m"), "1.5");
        assert_eq!(cpus("2000m"), "2");
        assert_eq!(cpus("0.025"), "0.025");
        assert_eq!(memory_bytes("128Mi"), "128m");
        assert_eq!(memory_bytes("1.5Gi"), "1536m");
        assert_eq!(memory_bytes("1Gi"), "1g");
        assert_eq!(memory_bytes("500M"), "500000000");
        assert_eq!(memory_bytes("64Ki"), "64k");
    }
}
