//! One Score workload → its Kubernetes objects: a ConfigMap for its files, a Service for its
//! ports, and a Deployment or StatefulSet.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use score_spec::diagnostics::Diagnostic;
use score_spec::model::{Container, FileContent, Probe, pointer};
use score_spec::{Span, Workload};
use serde_json::{Map, Value, json};

use super::names::{self, Kind};
use crate::dns::dns_label;
use crate::files::SourceFiles;
use crate::placeholders::{EnvironmentSource, Unresolved};
use crate::provisioners::Provisioned;
use crate::resources::ResourceGraph;
use crate::secrets::SecretRef;
use crate::seed::sha256_hex;
use crate::targets::resolve::{Part, Resolved, Resolver};
use crate::targets::startup::{Role, Startup};
use crate::targets::{container_image, file_bytes, unresolved, volume_resource};

/// How to give the image of a container written `image: "."`.
const IMAGE_HELP: &str = "pass `--image IMAGE` (for example the image your CI just built)";

/// The volume every file of the ConfigMap is mounted from.
const FILES_VOLUME: &str = "score-files";

pub(super) struct Convert<'a> {
    pub workload: &'a Workload,
    pub index: usize,
    pub graph: &'a ResourceGraph,
    pub provisioned: &'a Provisioned,
    /// Per graph node: where an `environment` resource's keys come from (its Secret).
    pub environment: &'a [Option<EnvironmentSource>],
    pub image: Option<&'a str>,
    pub files: &'a dyn SourceFiles,
    pub service_name: String,
    pub kind: Kind,
    pub managed_by: &'a str,
}

#[derive(Default)]
struct Pod {
    volumes: BTreeMap<String, Value>,
    config_data: BTreeMap<String, String>,
    config_binary: BTreeMap<String, String>,
    config_items: Vec<Value>,
    /// Per ConfigMap key: the file's pointer and place (a warning about the ConfigMap's
    /// size is placed at its largest file).
    config_sources: BTreeMap<String, (String, Span)>,
    claim_templates: BTreeMap<String, Value>,
}

/// The labels and annotations every object of the workload carries.
struct Meta {
    /// The selector labels (pods, Service).
    selector: Value,
    /// The selector labels plus `app.kubernetes.io/managed-by`.
    labels: Value,
    /// `k8s.score.dev/workload-name`, on every top-level object.
    annotations: Value,
}

/// The pod's containers, split as Kubernetes wants them.
struct Containers {
    init: Vec<Value>,
    main: Vec<Value>,
}

impl Convert<'_> {
    pub fn run(&self) -> (Vec<Value>, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let meta = self.meta();
        let mut pod = Pod::default();
        let containers = self.containers(&mut pod, &mut diagnostics);
        let mut manifests = Vec::new();
        let mut pod_annotations = self.pod_annotations();
        if let Some(config) = self.config_map(&mut pod, &meta, &mut pod_annotations) {
            diagnostics.extend(self.config_map_size(&pod, &config));
            manifests.push(config);
        }
        manifests.extend(self.services(&meta, &mut diagnostics));
        manifests.push(self.workload_object(
            pod,
            containers,
            pod_annotations,
            &meta,
            &mut diagnostics,
        ));
        (manifests, diagnostics)
    }

    fn meta(&self) -> Meta {
        let name = self.workload.name();
        let selector: Map<String, Value> = super::selector_labels(name)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
        let mut labels = selector.clone();
        labels.insert(
            "app.kubernetes.io/managed-by".into(),
            self.managed_by.into(),
        );
        Meta {
            selector: Value::Object(selector),
            labels: Value::Object(labels),
            annotations: json!({ "k8s.score.dev/workload-name": name }),
        }
    }

    /// Every container in start-up order (see [`Startup`]): those that start first are init
    /// containers (native sidecars when they keep running), the others the pod's containers.
    fn containers(&self, pod: &mut Pod, diagnostics: &mut Vec<Diagnostic>) -> Containers {
        let w = self.workload;
        let mut out = Containers {
            init: Vec::new(),
            main: Vec::new(),
        };
        for (name, role) in Startup::of(w).order() {
            let Some(value) = self.container(name, &w.containers[name], role, pod, diagnostics)
            else {
                continue;
            };
            match role {
                Role::Main => out.main.push(value),
                _ => out.init.push(value),
            }
        }
        out
    }

    fn pod_annotations(&self) -> Map<String, Value> {
        let w = self.workload;
        let mut annotations: Map<String, Value> = w
            .metadata
            .annotations
            .iter()
            // Directives for us, not for the cluster.
            .filter(|(k, _)| {
                !k.starts_with("k8s.score.dev/")
                    && !k.starts_with(crate::targets::labels::ANNOTATION_PREFIX)
            })
            .map(|(k, v)| (k.clone(), Value::String(v.value.clone())))
            .collect();
        annotations.insert("k8s.score.dev/workload-name".into(), w.name().into());
        annotations
    }

    /// The ConfigMap of the workload's files, if it has any; its volume joins the pod and its
    /// checksum the pod's annotations, so pods roll when a file changes.
    fn config_map(
        &self,
        pod: &mut Pod,
        meta: &Meta,
        pod_annotations: &mut Map<String, Value>,
    ) -> Option<Value> {
        if pod.config_items.is_empty() {
            return None;
        }
        let config_name = format!("{}-files", self.workload.name());
        let mut data = Map::new();
        for (k, v) in &pod.config_data {
            data.insert(k.clone(), Value::String(v.clone()));
        }
        let mut binary = Map::new();
        for (k, v) in &pod.config_binary {
            binary.insert(k.clone(), Value::String(v.clone()));
        }
        let mut config = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": { "name": config_name, "labels": meta.labels, "annotations": meta.annotations },
        });
        if !data.is_empty() {
            config["data"] = Value::Object(data);
        }
        if !binary.is_empty() {
            config["binaryData"] = Value::Object(binary);
        }
        // Pods roll when a file changes, as they would for a new image.
        let checksum = sha256_hex(
            serde_json::to_string(&(&config["data"], &config["binaryData"])).unwrap_or_default(),
        );
        pod_annotations.insert("k8s.score.dev/files-sha256".into(), checksum.into());
        pod.volumes.insert(
            FILES_VOLUME.to_owned(),
            json!({ "name": FILES_VOLUME, "configMap": { "name": config_name, "items": pod.config_items } }),
        );
        Some(config)
    }

    /// A warning at the largest file when the ConfigMap of files is over Kubernetes' limit.
    fn config_map_size(&self, pod: &Pod, config: &Value) -> Option<Diagnostic> {
        let size = super::size::oversized(config)?;
        let largest = pod
            .config_data
            .iter()
            .chain(&pod.config_binary)
            .max_by_key(|(key, value)| (value.len(), std::cmp::Reverse(*key)))?;
        let (pointer, span) = pod.config_sources.get(largest.0)?.clone();
        Some(
            super::size::warning(config, size, pointer, span, super::size::FILES_HELP)
                .with_source(&self.workload.source),
        )
    }

    /// The workload's Service (when it has ports) and, for a StatefulSet, its headless Service.
    fn services(&self, meta: &Meta, diagnostics: &mut Vec<Diagnostic>) -> Vec<Value> {
        let w = self.workload;
        let mut manifests = Vec::new();
        let ports = self.service_ports(diagnostics);
        if !ports.is_empty() {
            manifests.push(json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": { "name": self.service_name, "labels": meta.labels, "annotations": meta.annotations },
                "spec": { "selector": meta.selector, "ports": ports },
            }));
        }
        let headless = format!("{}-headless", self.service_name);
        if self.kind == Kind::StatefulSet {
            if headless.len() > 63 {
                diagnostics.push(
                    Diagnostic::error(
                        "score::kubernetes::name",
                        format!("the headless Service name `{headless}` a StatefulSet needs is longer than 63 characters"),
                    )
                    .at("/metadata/name", w.metadata.name.span)
                    .with_help(format!("shorten the workload name, or set `{}` to a shorter name", names::SERVICE_NAME_ANNOTATION))
                    .with_source(&w.source),
                );
            }
            let mut spec = json!({ "clusterIP": "None", "selector": meta.selector });
            if !ports.is_empty() {
                spec["ports"] = Value::Array(ports.clone());
            }
            manifests.push(json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": { "name": headless, "labels": meta.labels, "annotations": meta.annotations },
                "spec": spec,
            }));
        }
        manifests
    }

    /// The Deployment or StatefulSet.
    fn workload_object(
        &self,
        pod: Pod,
        containers: Containers,
        pod_annotations: Map<String, Value>,
        meta: &Meta,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Value {
        let w = self.workload;
        let mut pod_spec = json!({ "containers": containers.main });
        if !containers.init.is_empty() {
            pod_spec["initContainers"] = Value::Array(containers.init);
        }
        if !pod.volumes.is_empty() {
            pod_spec["volumes"] = Value::Array(pod.volumes.into_values().collect());
        }
        let template = json!({
            "metadata": { "labels": meta.labels, "annotations": pod_annotations },
            "spec": pod_spec,
        });
        let mut spec =
            json!({ "selector": { "matchLabels": meta.selector }, "template": template });
        let kind = match self.kind {
            Kind::Deployment => {
                if let Some((claim, _)) = pod.claim_templates.iter().next() {
                    diagnostics.push(
                        Diagnostic::error(
                            "score::kubernetes::claim-on-deployment",
                            format!("volume `{claim}` asks for a persistent volume claim per replica, which only a StatefulSet provides"),
                        )
                        .at("/metadata/name", w.metadata.name.span)
                        .with_help(format!("add the annotation `{}: StatefulSet`, or use a volume provisioner that outputs a `source`", names::KIND_ANNOTATION))
                        .with_source(&w.source),
                    );
                }
                "Deployment"
            }
            Kind::StatefulSet => {
                spec["serviceName"] = format!("{}-headless", self.service_name).into();
                if !pod.claim_templates.is_empty() {
                    spec["volumeClaimTemplates"] =
                        Value::Array(pod.claim_templates.into_values().collect());
                }
                "StatefulSet"
            }
        };
        json!({
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": { "name": w.name(), "labels": meta.labels, "annotations": meta.annotations },
            "spec": spec,
        })
    }

    fn container(
        &self,
        name: &str,
        c: &Container,
        role: Role,
        pod: &mut Pod,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        let w = self.workload;
        let mut out = Map::new();
        out.insert("name".into(), name.into());
        let image = match container_image(w, name, c, self.image, IMAGE_HELP) {
            Ok(image) => image,
            Err(d) => {
                diagnostics.push(*d);
                return None;
            }
        };
        out.insert("image".into(), image.into());
        // command and args are copied as written, as the reference implementations do;
        // Kubernetes expands `$(VAR)` in them.
        if let Some(command) = &c.command {
            out.insert(
                "command".into(),
                command.iter().map(|s| s.value.clone()).collect(),
            );
        }
        if let Some(args) = &c.args {
            out.insert(
                "args".into(),
                args.iter().map(|s| s.value.clone()).collect(),
            );
        }

        let env = self.env(name, c, diagnostics);
        if !env.is_empty() {
            out.insert("env".into(), Value::Array(env));
        }

        if role == Role::Main {
            let ports = self.container_ports();
            if !ports.is_empty() {
                out.insert("ports".into(), Value::Array(ports));
            }
        }

        let mut mounts = Vec::new();
        self.files(name, c, pod, &mut mounts, diagnostics);
        self.volumes(name, c, pod, &mut mounts, diagnostics);
        if !mounts.is_empty() {
            out.insert("volumeMounts".into(), Value::Array(mounts));
        }

        if let Some(resources) = resources(c) {
            out.insert("resources".into(), resources);
        }
        self.probes(name, c, role, &mut out, diagnostics);
        Some(Value::Object(out))
    }

    /// Liveness and readiness probes, and for a sidecar others wait for healthy, the startup
    /// probe that makes the kubelet wait.
    fn probes(
        &self,
        name: &str,
        c: &Container,
        role: Role,
        out: &mut Map<String, Value>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let w = self.workload;
        let probes = [
            ("livenessProbe", &c.liveness_probe),
            ("readinessProbe", &c.readiness_probe),
        ];
        for (field, probe) in probes {
            let Some(probe) = probe else { continue };
            if role == Role::Init {
                diagnostics.push(
                    Diagnostic::error(
                        "score::kubernetes::probe-on-init",
                        format!("container `{name}` runs to completion before others start (a `before` entry with `ready: complete`), so it cannot have a {field}: Kubernetes allows no probes on init containers"),
                    )
                    .at(format!("{}/{field}", pointer::container(name)), probe.span)
                    .with_help(format!("remove the {field}, or change `{name}`'s `before` entries to `ready: started` or `healthy` to keep it running beside the others"))
                    .with_source(&w.source),
                );
                continue;
            }
            out.insert(field.into(), self.probe(name, field, probe, diagnostics));
        }
        if let Role::Sidecar { healthy } = role {
            out.insert("restartPolicy".into(), "Always".into());
            // Kubernetes starts the next container once a sidecar's startup probe passes:
            // make that its readiness probe (else its liveness probe), so "healthy" means
            // healthy. Validation made sure a container others wait for healthy has one.
            let probe = [
                ("readinessProbe", &c.readiness_probe),
                ("livenessProbe", &c.liveness_probe),
            ]
            .into_iter()
            .find_map(|(field, p)| p.as_ref().map(|p| (field, p)));
            if healthy && let Some((field, probe)) = probe {
                out.insert(
                    "startupProbe".into(),
                    self.probe(name, field, probe, &mut Vec::new()),
                );
            }
        }
    }

    /// Resolves this workload's texts and looks up its resources' outputs; an
    /// `environment` resource's keys are keys of its Secret.
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

    fn env(&self, container: &str, c: &Container, diagnostics: &mut Vec<Diagnostic>) -> Vec<Value> {
        let mut helpers: BTreeMap<String, Value> = BTreeMap::new();
        let mut env = Vec::new();
        for (key, variable) in &c.variables {
            let pointer = pointer::variable(container, key);
            if !names::is_env_name(key) {
                diagnostics.push(
                    Diagnostic::error(
                        "score::kubernetes::env-name",
                        format!("`{key}` cannot name an environment variable in Kubernetes 1.30"),
                    )
                    .at(pointer.clone(), variable.name_span)
                    .with_help("use letters, digits, `_`, `-` and `.`, not starting with a digit")
                    .with_source(&self.workload.source),
                );
                continue;
            }
            let value = match self.resolve(&variable.value) {
                Ok(v) => v,
                Err(u) => {
                    diagnostics.push(unresolved(
                        self.workload,
                        pointer,
                        variable.value.span,
                        &format!("variable `{key}`"),
                        u,
                    ));
                    continue;
                }
            };
            if let Some(text) = value.plain() {
                env.push(json!({ "name": key, "value": escape_expansion(&text) }));
                continue;
            }
            if let [Part::Secret(r)] = value.parts() {
                env.push(json!({ "name": key, "valueFrom": secret_key_ref(r) }));
                continue;
            }
            // Text and secrets: each secret in its own variable, joined by Kubernetes'
            // `$(VAR)` expansion (which needs the variable defined earlier in the list).
            let mut joined = String::new();
            for part in value.parts() {
                match part {
                    Part::Text(t) => joined.push_str(&escape_expansion(t)),
                    Part::Secret(r) => {
                        let helper = format!(
                            "__score_secret_{}",
                            &sha256_hex(format!("{}/{}", r.name, r.key))[..10]
                        );
                        joined.push_str(&format!("$({helper})"));
                        helpers.insert(
                            helper.clone(),
                            json!({ "name": helper, "valueFrom": secret_key_ref(r) }),
                        );
                    }
                    // Kubernetes reads an `environment` resource's keys from its Secret: no
                    // variable of the environment is ever resolved here.
                    Part::Variable(v) => joined.push_str(&format!("$({v})")),
                }
            }
            env.push(json!({ "name": key, "value": joined }));
        }
        helpers.into_values().chain(env).collect()
    }

    fn files(
        &self,
        container: &str,
        c: &Container,
        pod: &mut Pod,
        mounts: &mut Vec<Value>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
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
                    diagnostics.push(*d);
                    continue;
                }
            };
            let expands = file.expands();
            // `binaryContent` stays binary even when its bytes happen to be UTF-8.
            let content: Result<String, Vec<u8>> = match &file.content {
                FileContent::Binary(_) => Err(bytes),
                _ => String::from_utf8(bytes).map_err(|e| e.into_bytes()),
            };
            let content = match (content, expands) {
                (Ok(text), true) => match self.resolve(&text) {
                    Ok(t) => Ok(t),
                    Err(u) => {
                        diagnostics.push(unresolved(
                            self.workload,
                            pointer.clone(),
                            file.target_span,
                            &format!("file `{target}`"),
                            u,
                        ));
                        continue;
                    }
                },
                (Ok(text), false) => Ok(Resolved::verbatim(text)),
                (Err(_), true) => {
                    diagnostics.push(fail(
                        "score::file::encoding",
                        format!("the content of `{target}` is not UTF-8 text, so placeholders in it cannot be expanded"),
                        "set `noExpand: true` to copy it as it is, or give it as `binaryContent`",
                    ));
                    continue;
                }
                (Err(bytes), false) => Err(bytes),
            };
            let mode = file.mode_bits();
            let key = file_key(container, target, &pod.config_items);
            match content {
                Ok(resolved) if resolved.plain().is_none() => {
                    let [Part::Secret(r)] = resolved.parts() else {
                        diagnostics.push(fail(
                            "score::secret::mixed-file",
                            format!("the content of `{target}` mixes text with a secret output ({})", resolved.describe()),
                            "a file can be exactly one secret output (mounted from its Secret) or text without secrets; split it in two files",
                        ));
                        continue;
                    };
                    let volume = format!(
                        "secret-{}",
                        &sha256_hex(format!("{}/{}/{mode:?}", r.name, r.key))[..10]
                    );
                    let mut item = json!({ "key": r.key, "path": r.key });
                    if let Some(mode) = mode {
                        item["mode"] = mode.into();
                    }
                    pod.volumes.insert(volume.clone(), json!({ "name": volume, "secret": { "secretName": r.name, "items": [item] } }));
                    mounts.push(json!({ "name": volume, "mountPath": target, "subPath": r.key, "readOnly": true }));
                }
                Ok(resolved) => {
                    let text = resolved.plain().unwrap_or_default();
                    pod.config_sources
                        .insert(key.clone(), (pointer.clone(), file.target_span));
                    pod.config_data.insert(key.clone(), text);
                    push_item(pod, &key, mode);
                    mounts.push(json!({ "name": FILES_VOLUME, "mountPath": target, "subPath": key, "readOnly": true }));
                }
                Err(bytes) => {
                    pod.config_sources
                        .insert(key.clone(), (pointer.clone(), file.target_span));
                    pod.config_binary.insert(
                        key.clone(),
                        base64::engine::general_purpose::STANDARD.encode(bytes),
                    );
                    push_item(pod, &key, mode);
                    mounts.push(json!({ "name": FILES_VOLUME, "mountPath": target, "subPath": key, "readOnly": true }));
                }
            }
        }
    }

    fn volumes(
        &self,
        container: &str,
        c: &Container,
        pod: &mut Pod,
        mounts: &mut Vec<Value>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let w = self.workload;
        for (target, volume) in &c.volumes {
            let pointer = format!("{}/source", pointer::volume(container, target));
            let resource = match volume_resource(w, container, target, volume) {
                Ok(resource) => resource,
                Err(d) => {
                    diagnostics.push(*d);
                    continue;
                }
            };
            let outputs = self
                .resolver()
                .outputs(&resource)
                .cloned()
                .unwrap_or_default();
            // Resource names may hold `_` and capitals; a cleaned name gets a hash so that two
            // resources never share a pod volume name.
            let label = dns_label(&resource, 52);
            let pod_volume = if label == resource {
                format!("vol-{label}")
            } else {
                format!("vol-{label}-{}", &sha256_hex(&resource)[..6])
            };
            let source = outputs.get("source").and_then(Value::as_object);
            let claim = outputs.get("claimSpec").and_then(Value::as_object);
            match (source, claim) {
                (Some(source), _) => {
                    let mut v = source.clone();
                    v.insert("name".into(), pod_volume.clone().into());
                    pod.volumes.insert(pod_volume.clone(), Value::Object(v));
                }
                (None, Some(claim)) => {
                    pod.claim_templates.insert(
                        pod_volume.clone(),
                        json!({ "metadata": { "name": pod_volume }, "spec": claim }),
                    );
                }
                (None, None) => {
                    let r = self
                        .graph
                        .get(self.index, &resource)
                        .map_or(String::new(), |n| n.r#type.clone());
                    diagnostics.push(
                        Diagnostic::error("score::volume::source", format!("resource `{resource}` (type `{r}`) cannot be mounted: its outputs have neither `source` (a Kubernetes volume source) nor `claimSpec`"))
                            .at(pointer, volume.source.span)
                            .with_help("mount a resource of a volume type, such as `type: volume`")
                            .with_source(&w.source),
                    );
                    continue;
                }
            }
            let mut mount = json!({ "name": pod_volume, "mountPath": target });
            if let Some(path) = &volume.path {
                mount["subPath"] = path.value.clone().into();
            }
            if volume.read_only {
                mount["readOnly"] = true.into();
            }
            mounts.push(mount);
        }
    }

    fn probe(
        &self,
        container: &str,
        field: &str,
        probe: &Probe,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Value {
        let mut out = Map::new();
        if let Some(exec) = &probe.exec {
            out.insert("exec".into(), json!({ "command": exec.command.iter().map(|s| s.value.clone()).collect::<Vec<_>>() }));
            if probe.http_get.is_some() {
                diagnostics.push(
                    Diagnostic::warning(
                        "score::kubernetes::probe-handlers",
                        format!("the {field} of `{container}` has both `httpGet` and `exec`; a Kubernetes probe has one handler, so `exec` is used"),
                    )
                    .at(format!("{}/{field}", pointer::container(container)), probe.span)
                    .with_help("keep only the handler you want")
                    .with_source(&self.workload.source),
                );
            }
        } else if let Some(http) = &probe.http_get {
            let mut h = Map::new();
            h.insert("path".into(), http.path.value.clone().into());
            h.insert("port".into(), (*http.port).into());
            if let Some(host) = &http.host {
                h.insert("host".into(), host.value.clone().into());
            }
            if let Some(scheme) = &http.scheme {
                h.insert("scheme".into(), scheme.value.clone().into());
            }
            if !http.http_headers.is_empty() {
                h.insert(
                    "httpHeaders".into(),
                    http.http_headers
                        .iter()
                        .map(|hh| json!({ "name": hh.name.value, "value": hh.value.value }))
                        .collect(),
                );
            }
            out.insert("httpGet".into(), Value::Object(h));
        }
        Value::Object(out)
    }

    fn service_ports(&self, diagnostics: &mut Vec<Diagnostic>) -> Vec<Value> {
        let w = self.workload;
        let Some(service) = &w.service else {
            return Vec::new();
        };
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        let mut ports = Vec::new();
        for (name, port) in &service.ports {
            let k8s_name = names::service_port_name(name);
            if let Some(other) = seen.insert(k8s_name.clone(), name) {
                diagnostics.push(
                    Diagnostic::error(
                        "score::kubernetes::port-name",
                        format!("service ports `{other}` and `{name}` are both `{k8s_name}` in Kubernetes, where port names are lower-case"),
                    )
                    .at(format!("/service/ports/{}", score_spec::node::escape_pointer_token(name)), port.name_span)
                    .with_help("rename one of them")
                    .with_source(&w.source),
                );
                continue;
            }
            ports.push(json!({
                "name": k8s_name,
                "port": *port.port,
                "targetPort": port.target_port(),
                "protocol": port.protocol.as_str(),
            }));
        }
        ports
    }

    /// The workload's service ports as container ports, when the pod has one main container
    /// (with several, nothing says which one listens). Port names Kubernetes would reject on
    /// a container (over 15 characters, no letter) are left out; the number is what matters.
    fn container_ports(&self) -> Vec<Value> {
        let w = self.workload;
        let Some(service) = &w.service else {
            return Vec::new();
        };
        // Main containers are those with no `before` entry (the others start first).
        if w.containers
            .values()
            .filter(|c| c.before.is_empty())
            .count()
            != 1
        {
            return Vec::new();
        }
        let mut seen = BTreeSet::new();
        let mut ports = Vec::new();
        for (name, port) in &service.ports {
            if !seen.insert((port.target_port(), port.protocol)) {
                continue;
            }
            let mut p =
                json!({ "containerPort": port.target_port(), "protocol": port.protocol.as_str() });
            let name = names::service_port_name(name);
            if names::is_iana_svc_name(&name) {
                p["name"] = name.into();
            }
            ports.push(p);
        }
        ports
    }
}

/// Limits and requests as written: Kubernetes reads Score's quantities as they are.
fn resources(c: &Container) -> Option<Value> {
    let resources = c.resources.as_ref()?;
    let quantities = |q: &Option<score_spec::model::Quantities>| {
        let mut m = Map::new();
        if let Some(q) = q {
            if let Some(cpu) = &q.cpu {
                m.insert("cpu".into(), cpu.value.clone().into());
            }
            if let Some(memory) = &q.memory {
                m.insert("memory".into(), memory.value.clone().into());
            }
        }
        m
    };
    let mut r = Map::new();
    let limits = quantities(&resources.limits);
    if !limits.is_empty() {
        r.insert("limits".into(), Value::Object(limits));
    }
    let requests = quantities(&resources.requests);
    if !requests.is_empty() {
        r.insert("requests".into(), Value::Object(requests));
    }
    (!r.is_empty()).then_some(Value::Object(r))
}

fn secret_key_ref(r: &SecretRef) -> Value {
    json!({ "secretKeyRef": { "name": r.name, "key": r.key } })
}

/// Doubles each `$` that Kubernetes' `$(VAR)` expansion would otherwise act on (one before
/// `(` or `$`), so the value reaches the process exactly as Score resolved it.
pub(super) fn escape_expansion(value: &str) -> String {
    if !value.contains('$') {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 4);
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('(' | '$')) {
            out.push('$');
        }
    }
    out
}

/// The ConfigMap key of a file: `<container>.<target with / as _>`, made unique by a hash of
/// the target when that is taken or too long.
fn file_key(container: &str, target: &str, taken: &[Value]) -> String {
    let clean: String = target
        .trim_start_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let key = format!("{container}.{clean}");
    let used = |k: &str| taken.iter().any(|i| i["key"] == k);
    if key.len() <= 200 && !used(&key) && key != "." && key != ".." {
        return key;
    }
    let hash = &sha256_hex(target)[..10];
    let mut short = key.chars().take(200).collect::<String>();
    short.push('-');
    short.push_str(hash);
    short
}

fn push_item(pod: &mut Pod, key: &str, mode: Option<u32>) {
    let mut item = json!({ "key": key, "path": key });
    if let Some(mode) = mode {
        item["mode"] = mode.into();
    }
    pod.config_items.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_only_what_kubernetes_would_expand() {
        assert_eq!(escape_expansion("plain"), "plain");
        assert_eq!(escape_expansion("$HOME and $"), "$HOME and $");
        assert_eq!(escape_expansion("$(VAR)"), "$$(VAR)");
        assert_eq!(escape_expansion("$$"), "$$$");
        assert_eq!(escape_expansion("$$(A)"), "$$$$(A)");
    }
}
