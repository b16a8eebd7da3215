//! One Score workload → its Compose services and configs.

use std::collections::{BTreeMap, BTreeSet};

use score_spec::Spanned;
use score_spec::Workload;
use score_spec::diagnostics::Diagnostic;
use score_spec::model::{Container, Probe, Protocol, Readiness, pointer};
use serde_json::{Map, Value, json};

use super::{PORT_PROXY, PORT_PROXY_IMAGE, Publish, escape_interpolation};
use crate::files::SourceFiles;
use crate::placeholders::{EnvironmentSource, Unresolved};
use crate::provisioners::Provisioned;
use crate::resources::ResourceGraph;
use crate::secrets::SecretRef;
use crate::seed::sha256_hex;
use crate::targets::resolve::{Part, Resolved, Resolver};
use crate::targets::startup::Startup;
use crate::targets::{container_image, file_bytes, unresolved, volume_resource};

/// How to give the image of a container written `image: "."`: pulled, or built from source.
const IMAGE_HELP: &str = "pass `--image IMAGE` (for example the image your CI just built), or `--build CONTAINER=CONTEXT` to have Compose build it from a local directory";

pub(super) struct Convert<'a> {
    pub workload: &'a Workload,
    pub index: usize,
    pub graph: &'a ResourceGraph,
    pub provisioned: &'a Provisioned,
    /// Per graph node: where an `environment` resource's keys come from (Compose's
    /// environment), when it is one the compiler handles natively.
    pub environment: &'a [Option<EnvironmentSource>],
    pub image: Option<&'a str>,
    /// `--build` sections of this workload's containers, by container name.
    pub builds: BTreeMap<&'a str, &'a Map<String, Value>>,
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
        let startup = Startup::of(w);
        for (name, c) in &w.containers {
            if let Some(service) = self.service(name, c, &startup, &mut out) {
                out.services
                    .push((service_name(w, name), Value::Object(service)));
            }
        }
        self.port_proxy(&startup, &mut out);
        out
    }

    fn service(
        &self,
        name: &str,
        c: &Container,
        startup: &Startup,
        out: &mut Converted,
    ) -> Option<Map<String, Value>> {
        let w = self.workload;
        let mut s = Map::new();
        if let Some(build) = self.builds.get(name) {
            // Built, not pulled: Compose names the image `<project>-<service>`.
            s.insert("build".into(), Value::Object((*build).clone()));
        } else {
            match container_image(w, name, c, self.image, IMAGE_HELP) {
                Ok(image) => s.insert("image".into(), escape_interpolation(&image).into()),
                Err(d) => {
                    out.diagnostics.push(*d);
                    return None;
                }
            };
        }
        let environment = self.environment(name, c, out);
        // Score `command` is what runs (Compose `entrypoint`), `args` its arguments (Compose
        // `command`), written so the container gets the argv Kubernetes would give it.
        if let Some(command) = &c.command {
            s.insert("entrypoint".into(), argv(command, &environment));
        }
        if let Some(args) = &c.args {
            s.insert("command".into(), argv(args, &environment));
        }
        let mut annotations: Map<String, Value> = w
            .metadata
            .annotations
            .iter()
            .map(|(k, v)| (k.clone(), escape_interpolation(v).into()))
            .collect();
        annotations.insert("compose.score.dev/workload-name".into(), w.name().into());
        s.insert("annotations".into(), Value::Object(annotations));
        self.network(name, startup, &mut s);
        if !environment.is_empty() {
            s.insert("environment".into(), Value::Object(environment));
        }
        let depends = self.depends_on(name, startup, s.contains_key("network_mode"), out);
        if !depends.is_empty() {
            s.insert("depends_on".into(), Value::Object(depends));
        }
        if let Some(h) = self.healthcheck(c) {
            s.insert("healthcheck".into(), h);
        }
        self.http_probe_warnings(name, c, out);
        if let Some(deploy) = self.deploy(name, c, out) {
            s.insert("deploy".into(), deploy);
        }
        let mut configs = Vec::new();
        self.files(name, c, &mut configs, out);
        if !configs.is_empty() {
            s.insert("configs".into(), Value::Array(configs));
        }
        let mut volumes = Vec::new();
        self.volumes(name, c, &mut volumes, out);
        if !volumes.is_empty() {
            s.insert("volumes".into(), Value::Array(volumes));
        }
        Some(s)
    }

    /// A pod-like shared network: the owner (see [`Startup::network_owner`]) answers to the
    /// workload's name and publishes its ports; the others join its network, except the
    /// containers it waits for (they start before it, so they cannot).
    fn network(&self, name: &str, startup: &Startup, s: &mut Map<String, Value>) {
        let w = self.workload;
        let owner = startup.network_owner();
        if name != owner {
            if startup.joins_network(name) {
                s.insert(
                    "network_mode".into(),
                    format!("service:{}", service_name(w, owner)).into(),
                );
            }
            return;
        }
        // The hostname is what the container calls itself; the network alias is what Docker's
        // DNS answers to: others reach the workload by its name, as in Kubernetes.
        s.insert("hostname".into(), w.name().into());
        s.insert(
            "networks".into(),
            json!({ "default": { "aliases": [w.name()] } }),
        );
        let mut expose: Vec<Value> = Vec::new();
        for p in w.service.iter().flat_map(|s| s.ports.values()) {
            for port in [p.target_port(), *p.port] {
                let entry: Value = match p.protocol {
                    Protocol::Tcp => port.to_string().into(),
                    Protocol::Udp => format!("{port}/udp").into(),
                };
                if !expose.contains(&entry) {
                    expose.push(entry);
                }
            }
        }
        if !expose.is_empty() {
            s.insert("expose".into(), Value::Array(expose));
        }
        if !self.publish.is_empty() {
            let ports: Vec<Value> = self
                .publish
                .iter()
                .map(|p| json!({ "target": p.port, "published": p.host_port.to_string() }))
                .collect();
            s.insert("ports".into(), Value::Array(ports));
        }
    }

    /// What a container's service waits for: the services of the workload's resources, the
    /// containers that are `before` it (each with its condition) and, when it joins the
    /// owner's network, the owner.
    fn depends_on(
        &self,
        name: &str,
        startup: &Startup,
        joins_network: bool,
        out: &mut Converted,
    ) -> Map<String, Value> {
        let w = self.workload;
        let mut depends: Map<String, Value> = Map::new();
        for (service, condition) in self.waits {
            depends.insert(
                service.clone(),
                json!({ "condition": condition, "required": true }),
            );
        }
        for (first, ready) in startup.waits_for(name) {
            let condition = match ready {
                Readiness::Started => "service_started",
                Readiness::Healthy => {
                    if self.healthcheck(&w.containers[first]).is_none() {
                        out.diagnostics.push(self.unhealthy(first, name));
                    }
                    "service_healthy"
                }
                Readiness::Complete => "service_completed_successfully",
            };
            depends.insert(
                service_name(w, first),
                json!({ "condition": condition, "required": true }),
            );
        }
        // Joining a network also needs the owner started.
        let owner = service_name(w, startup.network_owner());
        if joins_network && !depends.contains_key(&owner) {
            depends.insert(
                owner,
                json!({ "condition": "service_started", "required": true }),
            );
        }
        depends
    }

    /// `first` is `before` `then` with `ready: healthy`, but has no exec probe for Compose to
    /// check.
    fn unhealthy(&self, first: &str, then: &str) -> Diagnostic {
        let w = self.workload;
        let before = &w.containers[first].before[then];
        Diagnostic::error(
            "score::compose::before-healthy",
            format!("`{then}` starts once `{first}` is healthy, but `{first}` has no exec probe for a Compose healthcheck (Compose cannot run httpGet probes)"),
        )
        .at(
            format!("{}/{}/ready", pointer::before(first), score_spec::node::escape_pointer_token(then)),
            before.ready.span,
        )
        .with_help(format!("give `{first}` a readinessProbe with `exec` (e.g. `[\"wget\", \"-q\", \"--spider\", \"http://localhost:PORT/PATH\"]`), or use `ready: started`"))
        .with_source(&w.source)
    }

    fn http_probe_warnings(&self, name: &str, c: &Container, out: &mut Converted) {
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
                        format!("Compose cannot run the httpGet {field} of `{name}`: no healthcheck from it"),
                    )
                    .at(format!("{}/{field}", pointer::container(name)), p.span)
                    .with_help("add an exec probe, e.g. `[\"wget\", \"-q\", \"--spider\", \"http://localhost:PORT/PATH\"]`")
                    .with_source(&self.workload.source),
                );
            }
        }
    }

    /// Limits and requests as `deploy.resources`, raised to the least Docker accepts (with a
    /// warning), as the kubelet raises what is below its own minimums.
    fn deploy(&self, name: &str, c: &Container, out: &mut Converted) -> Option<Value> {
        let resources = c.resources.as_ref()?;
        let mut r = Map::new();
        for (field, score_field, q) in [
            ("limits", "limits", &resources.limits),
            ("reservations", "requests", &resources.requests),
        ] {
            let Some(q) = q else { continue };
            let at = |what: &str| {
                format!(
                    "{}/resources/{score_field}/{what}",
                    pointer::container(name)
                )
            };
            let mut m = Map::new();
            let quantities: [QuantityRow; 2] = [
                ("cpu", "cpus", &q.cpu, cpus, "0.01 CPU", true),
                ("memory", "memory", &q.memory, memory_bytes, "6 MiB", false),
            ];
            for (key, compose_key, quantity, convert, minimum, quoted) in quantities {
                let Some(quantity) = quantity else { continue };
                let (value, raised) = convert(quantity);
                if raised {
                    let shown = if quoted {
                        format!("\"{value}\"")
                    } else {
                        value.clone()
                    };
                    out.diagnostics.push(self.raised(
                        at(key),
                        quantity,
                        &format!("{score_field}.{key} `{}` is below the {minimum} Docker accepts: Compose gets `{compose_key}: {shown}`", quantity.value),
                    ));
                }
                m.insert(compose_key.into(), value.into());
            }
            if !m.is_empty() {
                r.insert(field.into(), Value::Object(m));
            }
        }
        (!r.is_empty()).then(|| json!({ "resources": r }))
    }

    fn raised(&self, pointer: String, at: &Spanned<String>, message: &str) -> Diagnostic {
        Diagnostic::warning("score::compose::resource-minimum", message.to_owned())
            .at(pointer, at.span)
            .with_help("`docker compose up` refuses less; raise the value in the Score file to silence this (Kubernetes raises tiny requests the same way)")
            .with_source(&self.workload.source)
    }

    /// Kubernetes Services forward each service port to the port the container listens on
    /// (`port` → `targetPort`); Compose has none. When the two differ, a small proxy joins the
    /// workload's network and listens on each such `port`, so `<workload>:<port>` works on
    /// both targets (Online Boutique's `email` is reached at 5000 and listens on 8080).
    fn port_proxy(&self, startup: &Startup, out: &mut Converted) {
        let w = self.workload;
        let Some(service) = &w.service else { return };
        let listened: BTreeSet<(u16, Protocol)> = service
            .ports
            .values()
            .map(|p| (p.target_port(), p.protocol))
            .collect();
        let mut servers = String::new();
        let mut proxied = BTreeSet::new();
        for (port_name, p) in &service.ports {
            if p.target_port() == *p.port || !proxied.insert((*p.port, p.protocol)) {
                continue;
            }
            if listened.contains(&(*p.port, p.protocol)) {
                out.diagnostics.push(
                    Diagnostic::error(
                        "score::compose::service-port",
                        format!("service port `{port_name}` ({} → {}) cannot be reached on port {} in Compose: a container of the workload listens on {} itself (another port's targetPort)", *p.port, p.target_port(), *p.port, *p.port),
                    )
                    .at(format!("/service/ports/{}", score_spec::node::escape_pointer_token(port_name)), p.name_span)
                    .with_help("Compose has no Service to map ports: use distinct numbers for `port` and the other ports' `targetPort`")
                    .with_source(&w.source),
                );
                continue;
            }
            let udp = if p.protocol == Protocol::Udp {
                " udp"
            } else {
                ""
            };
            servers.push_str(&format!(
                "  server {{\n    listen {}{udp};\n    proxy_pass 127.0.0.1:{};\n  }}\n",
                *p.port,
                p.target_port()
            ));
        }
        if servers.is_empty() {
            return;
        }
        let name = format!("{}-{PORT_PROXY}", w.name());
        let conf = format!(
            "# Rendered by score-rs: Compose has no Services, so this proxy listens on the service\n# ports of `{}` whose targetPort differs and forwards to where its containers listen.\nworker_processes 1;\nevents {{\n  worker_connections 1024;\n}}\nstream {{\n{servers}}}\n",
            w.name()
        );
        out.configs.push((name.clone(), json!({ "content": conf })));
        let owner = service_name(w, startup.network_owner());
        out.services.push((
            name.clone(),
            json!({
                "image": PORT_PROXY_IMAGE,
                "annotations": { "compose.score.dev/workload-name": w.name() },
                "network_mode": format!("service:{owner}"),
                "depends_on": { owner: { "condition": "service_started", "required": true } },
                "configs": [{ "source": name, "target": "/etc/nginx/nginx.conf" }],
            }),
        ));
    }

    /// Resolves this workload's texts and looks up its resources' outputs; an
    /// `environment` resource's keys are variables Compose reads from its environment.
    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            workload: self.workload,
            index: self.index,
            graph: self.graph,
            outputs: &self.provisioned.outputs,
            environment: self.environment,
        }
    }

    fn resolve(&self, text: &str) -> Result<Resolved, Unresolved> {
        self.resolver().resolve(text)
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
            let value = match self.resolve(&variable.value) {
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
            let Ok(text) = compose_text(&value, &mut out.variables) else {
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
            };
            env.insert(key.clone(), text.into());
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
            let Some(content) = self.file_content(container, target, file, out) else {
                continue;
            };
            let name = format!("{}-{container}-{}", w.name(), &sha256_hex(target)[..10]);
            out.configs
                .push((name.clone(), json!({ "content": content })));
            let mut mount = json!({ "source": name, "target": target });
            if let Some(mode) = file.mode_bits() {
                mount["mode"] = mode.into();
            }
            configs.push(mount);
        }
    }

    /// A file's content as Compose reads it back: placeholders substituted (unless
    /// `noExpand`), every `$` doubled so that Compose's interpolation leaves the text alone,
    /// and `${resources.ENV.KEY}` of an environment resource written `${KEY}` for Compose to
    /// fill in. `None` after a diagnostic.
    fn file_content(
        &self,
        container: &str,
        target: &str,
        file: &score_spec::model::File,
        out: &mut Converted,
    ) -> Option<String> {
        let w = self.workload;
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
                return None;
            }
        };
        let Ok(text) = String::from_utf8(bytes) else {
            out.diagnostics.push(fail(
                "score::compose::binary-file",
                format!("the content of `{target}` is not UTF-8 text, which a Compose config cannot hold inline"),
                "Compose configs hold text; mount binary files from a volume resource instead",
            ));
            return None;
        };
        if !file.expands() {
            return Some(escape_interpolation(&text));
        }
        let text = match self.resolve(&text) {
            Ok(t) => t,
            Err(u) => {
                out.diagnostics.push(unresolved(
                    w,
                    pointer.clone(),
                    file.target_span,
                    &format!("file `{target}`"),
                    u,
                ));
                return None;
            }
        };
        let Ok(written) = compose_text(&text, &mut out.variables) else {
            out.diagnostics.push(fail(
                "score::compose::file-reference",
                format!("the content of `{target}` uses a secret reference, which a Compose config cannot resolve"),
                "a provisioner for the compose target outputs the value itself",
            ));
            return None;
        };
        Some(written)
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
            let outputs = self
                .resolver()
                .outputs(&resource)
                .cloned()
                .unwrap_or_default();
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

/// Resolved text as Compose must write it: `$` doubled in the text, each variable of the
/// environment written `${KEY}` for Compose to fill in (and KEY added to `variables`). A
/// secret reference cannot be written: Compose has no secret store, so it is the error.
fn compose_text(text: &Resolved, variables: &mut BTreeSet<String>) -> Result<String, SecretRef> {
    let mut written = String::new();
    for part in text.parts() {
        match part {
            Part::Text(t) => written.push_str(&escape_interpolation(t)),
            Part::Variable(v) => {
                written.push_str(&format!("${{{v}}}"));
                variables.insert(v.clone());
            }
            Part::Secret(r) => return Err(r.clone()),
        }
    }
    Ok(written)
}

/// The Compose service of a container: `<workload>-<container>`.
pub(super) fn service_name(workload: &Workload, container: &str) -> String {
    format!("{}-{container}", workload.name())
}

/// Score `command`/`args` for Compose: each argument as [`expand_like_kubelet`] writes it, so
/// the container gets the argv the kubelet gives it on Kubernetes.
fn argv(list: &[Spanned<String>], environment: &Map<String, Value>) -> Value {
    list.iter()
        .map(|a| Value::from(expand_like_kubelet(a, environment)))
        .collect()
}

/// The kubelet's expansion of `command` and `args` (Kubernetes copies them as written and
/// expands them when it starts the container), producing Compose text that Compose's own
/// interpolation turns into the same string: `$$` is one `$`; `$(NAME)` is the value of the
/// container's variable NAME (`environment` holds them already written for Compose), or stays
/// `$(NAME)` when there is none; any other `$` is literal. So `wget $${URL}` reaches the shell as
/// `wget ${URL}` on both targets.
pub(super) fn expand_like_kubelet(text: &str, environment: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        // Every `$` the container sees is written `$$` for Compose.
        out.push_str("$$");
        if let Some(r) = after.strip_prefix('$') {
            rest = r;
        } else if let Some(r) = after.strip_prefix('(')
            && let Some(close) = r.find(')')
        {
            let name = &r[..close];
            match environment.get(name).and_then(Value::as_str) {
                Some(value) => {
                    out.truncate(out.len() - 2);
                    out.push_str(value);
                }
                None => out.push_str(&escape_interpolation(&format!("({name})"))),
            }
            rest = &r[close + 1..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// One quantity of `deploy.resources`: Score key, Compose key, value, conversion (and whether
/// it was raised), Docker's minimum, and whether YAML shows the value quoted.
type QuantityRow<'q> = (
    &'static str,
    &'static str,
    &'q Option<Spanned<String>>,
    fn(&str) -> (String, bool),
    &'static str,
    bool,
);

/// The least Docker accepts: `cpus` (NanoCPUs) and memory limits and reservations.
const MIN_CPUS: f64 = 0.01;
const MIN_MEMORY: u64 = 6 << 20;

/// Kubernetes CPU (`250m`, `0.5`, `2`) as Compose `cpus` (`"0.25"`), and whether it was raised
/// to Docker's minimum.
fn cpus(cpu: &str) -> (String, bool) {
    let value = match cpu.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().unwrap_or(0.0) / 1000.0,
        None => cpu.parse::<f64>().unwrap_or(0.0),
    };
    if value < MIN_CPUS {
        return (MIN_CPUS.to_string(), true);
    }
    let text = match cpu.strip_suffix('m') {
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
    };
    (text, false)
}

/// A Kubernetes memory quantity (`128Mi`, `1.5Gi`, `500M`) as Compose bytes, with Docker's
/// binary suffixes (`k`, `m`, `g` are 1024-based) when exact, and whether it was raised to
/// Docker's minimum.
fn memory_bytes(memory: &str) -> (String, bool) {
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
    let mut bytes = (number.parse::<f64>().unwrap_or(0.0) * factor).round() as u64;
    let raised = bytes < MIN_MEMORY;
    bytes = bytes.max(MIN_MEMORY);
    for (suffix, size) in [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return (format!("{}{suffix}", bytes / size), raised);
        }
    }
    (bytes.to_string(), raised)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(value: (String, bool)) -> String {
        assert!(!value.1, "{} was raised", value.0);
        value.0
    }

    #[test]
    fn quantities() {
        assert_eq!(kept(cpus("250m")), "0.25");
        assert_eq!(kept(cpus("1500m")), "1.5");
        assert_eq!(kept(cpus("2000m")), "2");
        assert_eq!(kept(cpus("0.025")), "0.025");
        assert_eq!(kept(cpus("10m")), "0.01");
        assert_eq!(kept(memory_bytes("128Mi")), "128m");
        assert_eq!(kept(memory_bytes("1.5Gi")), "1536m");
        assert_eq!(kept(memory_bytes("1Gi")), "1g");
        assert_eq!(kept(memory_bytes("500M")), "500000000");
        assert_eq!(kept(memory_bytes("6Mi")), "6m");
    }

    #[test]
    fn quantities_below_what_docker_accepts_are_raised() {
        assert_eq!(cpus("1m"), ("0.01".to_owned(), true));
        assert_eq!(cpus("0.005"), ("0.01".to_owned(), true));
        assert_eq!(cpus("0"), ("0.01".to_owned(), true));
        assert_eq!(memory_bytes("64Ki"), ("6m".to_owned(), true));
        assert_eq!(memory_bytes("6M"), ("6m".to_owned(), true));
        assert_eq!(memory_bytes("1Mi"), ("6m".to_owned(), true));
    }

    #[test]
    fn command_and_args_expand_as_the_kubelet_does() {
        let env: Map<String, Value> = [
            ("URL".to_owned(), Value::from("http://a:80")),
            ("COST".to_owned(), Value::from("$$5 ${HOST_VAR}")),
        ]
        .into_iter()
        .collect();
        let e = |s: &str| expand_like_kubelet(s, &env);
        assert_eq!(e("wget $${URL}"), "wget $${URL}");
        assert_eq!(e("echo $$"), "echo $$");
        assert_eq!(e("$(URL)/x"), "http://a:80/x");
        assert_eq!(e("$(COST)"), "$$5 ${HOST_VAR}");
        assert_eq!(e("$$(URL)"), "$$(URL)");
        assert_eq!(e("$(NOPE)"), "$$(NOPE)");
        assert_eq!(e("$HOME ${X} $"), "$$HOME $${X} $$");
        assert_eq!(e("$(unclosed"), "$$(unclosed");
        assert_eq!(e("$$$(URL)"), "$$http://a:80");
    }
}
