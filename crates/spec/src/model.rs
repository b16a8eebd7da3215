//! The typed model of a Score v1b1 workload.
//!
//! Every value keeps the [`Span`] it was written at, and map entries keep the span of their
//! key, so later stages (the compiler, provisioners) can point at the line a value came from.
//! Free-form parts (`metadata`, resource `metadata` and `params`) stay as located [`Node`]s.
//!
//! The model is built from a document that has already been upgraded and checked against the
//! schema; building it is lenient (a malformed part becomes its default) so that semantic
//! checks can still run and report every problem of a file at once.

use std::ops::Deref;

use indexmap::IndexMap;

use crate::node::{Entry, Node, Value, escape_pointer_token};
use crate::source::{SourceFile, Span};

/// A value and where it was written.
///
/// It dereferences to the value, so `&*container.image` is the image text and
/// `container.image.span` the place to underline in a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value as read (dereference the `Spanned` to reach it directly).
    pub value: T,
    /// Where the value was written; [`Span::UNKNOWN`] when it was absent or synthesized.
    pub span: Span,
}

impl<T> Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// One Score workload (`score.dev/v1b1`).
#[derive(Clone, Debug)]
pub struct Workload {
    /// `apiVersion`: always `score.dev/v1b1` once the workload has validated.
    pub api_version: Spanned<String>,
    /// `metadata`: the workload's name, annotations and free-form keys.
    pub metadata: Metadata,
    /// `service`: the ports the workload offers to others; `None` when it offers none.
    pub service: Option<Service>,
    /// `containers`, keyed by container name, in the order written (at least one).
    pub containers: IndexMap<String, Container>,
    /// `resources`, keyed by the name placeholders use (`${resources.NAME…}`), in the order
    /// written.
    pub resources: IndexMap<String, Resource>,
    /// The file it was read from.
    pub source: SourceFile,
    /// The whole document after upgrades, for lookups by JSON pointer.
    pub document: Node,
}

impl Workload {
    /// The workload's name (`metadata.name`).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The span of the node at a JSON pointer into the upgraded document, pointing at its key
    /// when it has one.
    pub fn span_of(&self, pointer: &str) -> Option<Span> {
        self.document.locate(pointer).map(|l| l.primary_span())
    }
}

/// `metadata`: the name, annotations and any other keys (reachable as `${metadata.KEY}`).
#[derive(Clone, Debug)]
pub struct Metadata {
    /// `metadata.name`: the workload's name, an RFC 1123 label.
    pub name: Spanned<String>,
    /// `metadata.annotations`: free-form string pairs that tools and targets read conventions
    /// from; empty when absent.
    pub annotations: IndexMap<String, Spanned<String>>,
    /// The whole `metadata` mapping, free-form keys included.
    pub node: Node,
}

impl Metadata {
    /// Walks `metadata` along `keys` (as in `${metadata.a.b}`).
    pub fn lookup(&self, keys: &[String]) -> Option<&Node> {
        lookup(&self.node, keys)
    }
}

/// Walks a node along mapping keys (and sequence indices given as numbers).
pub fn lookup<'a>(mut node: &'a Node, keys: &[String]) -> Option<&'a Node> {
    for key in keys {
        node = match &node.value {
            Value::Map(_) => node.get(key)?,
            Value::Seq(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// `service`: the ports this workload offers to others.
#[derive(Clone, Debug, Default)]
pub struct Service {
    /// `service.ports`, keyed by port name, in the order written.
    pub ports: IndexMap<String, ServicePort>,
}

/// `service.ports.NAME`: one port other workloads can reach this workload on.
#[derive(Clone, Debug)]
pub struct ServicePort {
    /// Where the port's name (its key under `service.ports`) was written.
    pub name_span: Span,
    /// `port`: the port others connect to (1–65535).
    pub port: Spanned<u16>,
    /// `protocol`: TCP unless the file says `UDP`.
    pub protocol: Protocol,
    /// The container port; defaults to `port`.
    pub target_port: Option<Spanned<u16>>,
}

impl ServicePort {
    /// The port the container listens on: `targetPort`, or `port` when that is omitted.
    pub fn target_port(&self) -> u16 {
        self.target_port.as_ref().map_or(*self.port, |p| **p)
    }
}

/// `service.ports.*.protocol`: the transport protocol of a service port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    /// `TCP`, the default when `protocol` is omitted.
    #[default]
    Tcp,
    /// `UDP`.
    Udp,
}

impl Protocol {
    /// The name as Score (and Kubernetes) write it: `TCP` or `UDP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }
}

/// One container of the workload.
#[derive(Clone, Debug)]
pub struct Container {
    /// Where the container's name (its key under `containers`) was written.
    pub name_span: Span,
    /// The image; `"."` means "supplied at deploy time".
    pub image: Spanned<String>,
    /// `command`: replaces the image's entrypoint when given. Copied as written: placeholders
    /// are not expanded here.
    pub command: Option<Vec<Spanned<String>>>,
    /// `args`: replaces the arguments passed to the entrypoint when given. Copied as written,
    /// like `command`.
    pub args: Option<Vec<Spanned<String>>>,
    /// `variables`: environment variables, keyed by name, in the order written.
    pub variables: IndexMap<String, Variable>,
    /// Files to mount, keyed by target path.
    pub files: IndexMap<String, File>,
    /// Volumes to mount, keyed by target path.
    pub volumes: IndexMap<String, Volume>,
    /// `resources`: the CPU and memory the container may use and needs reserved.
    pub resources: Option<ContainerResources>,
    /// `livenessProbe`: how the platform tells that the container must be restarted.
    pub liveness_probe: Option<Probe>,
    /// `readinessProbe`: how the platform tells that the container can take traffic.
    pub readiness_probe: Option<Probe>,
    /// The containers that start only after this one has reached a state, keyed by their
    /// name: this container starts **first** (`migrate.before.web.ready: complete` runs
    /// `migrate` to completion, then starts `web`).
    pub before: IndexMap<String, Before>,
}

/// An environment variable; its value may hold placeholders.
///
/// Mirrors `containers.*.variables.NAME`; the name is the map key.
#[derive(Clone, Debug)]
pub struct Variable {
    /// Where the variable's name was written.
    pub name_span: Span,
    /// The value as written, placeholders unresolved (always a string: the schema rejects
    /// unquoted numbers and booleans).
    pub value: Spanned<String>,
}

/// `containers.*.files.TARGET`: a file to mount into the container at the target path (the
/// map key).
#[derive(Clone, Debug)]
pub struct File {
    /// Where the target path (the file's key under `files`) was written.
    pub target_span: Span,
    /// Octal mode as written (`"0644"`, `"600"`).
    pub mode: Option<Spanned<String>>,
    /// Where the bytes come from: exactly one of `content`, `binaryContent` or `source`.
    pub content: FileContent,
    /// When true, placeholders in the content are left as written.
    pub no_expand: bool,
}

impl File {
    /// The mode as a number, if given and well-formed.
    pub fn mode_bits(&self) -> Option<u32> {
        self.mode
            .as_ref()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
    }

    /// True when placeholders in this file's content are to be expanded.
    pub fn expands(&self) -> bool {
        !self.no_expand && !matches!(self.content, FileContent::Binary(_))
    }
}

/// Where a file's bytes come from.
#[derive(Clone, Debug)]
pub enum FileContent {
    /// `content`: UTF-8 text.
    Inline(Spanned<String>),
    /// `binaryContent`: standard base64, never expanded.
    Binary(Spanned<String>),
    /// `source`: a path relative to the Score file's directory.
    Source(Spanned<String>),
}

/// `containers.*.volumes.TARGET`: a volume to mount into the container at the target path
/// (the map key).
#[derive(Clone, Debug)]
pub struct Volume {
    /// Where the target path (the volume's key under `volumes`) was written.
    pub target_span: Span,
    /// Usually `${resources.NAME}`.
    ///
    /// There, the placeholder names the volume resource itself rather than one of its outputs.
    pub source: Spanned<String>,
    /// Sub-path inside the volume.
    pub path: Option<Spanned<String>>,
    /// `readOnly` (or the deprecated `read_only`): mount the volume read-only. False when
    /// omitted.
    pub read_only: bool,
}

/// `containers.*.resources`: compute bounds for one container.
#[derive(Clone, Debug, Default)]
pub struct ContainerResources {
    /// `limits`: the most the container may use.
    pub limits: Option<Quantities>,
    /// `requests`: the least the container needs reserved to run.
    pub requests: Option<Quantities>,
}

/// CPU and memory amounts, as written, in `resources.limits` or `resources.requests`.
#[derive(Clone, Debug, Default)]
pub struct Quantities {
    /// `cpu`: whole or fractional CPUs, or millicores (`2`, `0.25`, `250m`).
    pub cpu: Option<Spanned<String>>,
    /// `memory`: bytes with an optional unit, decimal or binary (`128M`, `1.5Gi`).
    pub memory: Option<Spanned<String>>,
}

/// A liveness or readiness probe: at least one of `http_get` and `exec`.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    /// Where the probe's mapping was written, for diagnostics about the probe as a whole.
    pub span: Span,
    /// `httpGet`: an HTTP request that must succeed.
    pub http_get: Option<HttpProbe>,
    /// `exec`: a command run inside the container that must exit with status 0. Preferred
    /// over `http_get` when a target supports both.
    pub exec: Option<ExecProbe>,
}

/// `containers.*.livenessProbe.httpGet` (or `readinessProbe.httpGet`): an HTTP GET against
/// the container.
#[derive(Clone, Debug)]
pub struct HttpProbe {
    /// `host`: the host name to connect to (sent as the `Host` header); the workload's own
    /// address when omitted.
    pub host: Option<Spanned<String>>,
    /// `scheme`: `HTTP` or `HTTPS`; HTTP when omitted.
    pub scheme: Option<Spanned<String>>,
    /// `path`: the path to request, e.g. `/healthz`.
    pub path: Spanned<String>,
    /// `port`: the container port to connect to.
    pub port: Spanned<u16>,
    /// `httpHeaders`: extra headers to send, in the order written.
    pub http_headers: Vec<HttpHeader>,
}

/// One entry of `httpGet.httpHeaders`.
#[derive(Clone, Debug)]
pub struct HttpHeader {
    /// `name`: the header name.
    pub name: Spanned<String>,
    /// `value`: the header value.
    pub value: Spanned<String>,
}

/// `containers.*.livenessProbe.exec` (or `readinessProbe.exec`): a command run in the
/// container.
#[derive(Clone, Debug)]
pub struct ExecProbe {
    /// `command`: the program and its arguments, run without a shell. May be empty (the
    /// schema allows it).
    pub command: Vec<Spanned<String>>,
}

/// `containers.C.before.OTHER`: C starts first, and OTHER starts once C has reached `ready`.
#[derive(Clone, Debug)]
pub struct Before {
    /// Where OTHER (the key under `before`) was written.
    pub name_span: Span,
    /// `ready`: the state C (the container declaring the entry) must reach before OTHER starts.
    pub ready: Spanned<Readiness>,
}

/// `containers.C.before.*.ready`: how far C must get before the other container starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Readiness {
    /// `started`: C has been started.
    Started,
    /// `healthy`: C has started and its probe reports it healthy (so C needs a probe).
    Healthy,
    /// `complete`: C has run to completion and exited successfully, as an init step does.
    Complete,
}

impl Readiness {
    /// The name as Score writes it: `started`, `healthy` or `complete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Started => "started",
            Readiness::Healthy => "healthy",
            Readiness::Complete => "complete",
        }
    }
}

/// A resource the workload depends on.
///
/// Mirrors `resources.NAME`; NAME is the map key placeholders use. Provisioners match a
/// resource by its type, class and id.
#[derive(Clone, Debug)]
pub struct Resource {
    /// Where the resource's name (its key under `resources`) was written.
    pub name_span: Span,
    /// `type`: what kind of resource this is (`postgres`, `redis`, `volume`…); picks the
    /// provisioner.
    pub r#type: Spanned<String>,
    /// `class`: an optional specialisation of the type. Omitted means `default`; see
    /// [`Resource::class_or_default`].
    pub class: Option<Spanned<String>>,
    /// `id`: when set, every workload that declares a resource with the same type, class and
    /// id shares one resource; without it the resource is private to this workload.
    pub id: Option<Spanned<String>>,
    /// `metadata`: free-form, with optional `annotations`, passed to the provisioner as
    /// written.
    pub metadata: Option<Node>,
    /// `params`: free-form settings for the provisioner. String leaves may hold placeholders,
    /// including references to other resources of the same workload (which must not form a
    /// cycle).
    pub params: Option<Node>,
}

impl Resource {
    /// The class, `default` when omitted (an omitted class and `default` are the same).
    pub fn class_or_default(&self) -> &str {
        self.class.as_deref().map_or("default", String::as_str)
    }
}

/// JSON pointers of the places semantic checks and the compiler refer to.
///
/// Names are escaped as RFC 6901 requires, so a file target such as `/etc/app.conf` becomes
/// one pointer token:
///
/// ```
/// use score_spec::model::pointer;
/// assert_eq!(pointer::file("main", "/etc/app.conf"), "/containers/main/files/~1etc~1app.conf");
/// ```
pub mod pointer {
    use super::escape_pointer_token as esc;

    /// `/containers/NAME`: a container.
    pub fn container(name: &str) -> String {
        format!("/containers/{}", esc(name))
    }
    /// `/containers/CONTAINER/variables/KEY`: one environment variable.
    pub fn variable(container: &str, key: &str) -> String {
        format!("/containers/{}/variables/{}", esc(container), esc(key))
    }
    /// `/containers/CONTAINER/files/TARGET`: one file, keyed by its target path.
    pub fn file(container: &str, target: &str) -> String {
        format!("/containers/{}/files/{}", esc(container), esc(target))
    }
    /// `/containers/CONTAINER/volumes/TARGET`: one volume, keyed by its target path.
    pub fn volume(container: &str, target: &str) -> String {
        format!("/containers/{}/volumes/{}", esc(container), esc(target))
    }
    /// `/containers/CONTAINER/before`: the containers that start after this one.
    pub fn before(container: &str) -> String {
        format!("/containers/{}/before", esc(container))
    }
    /// `/resources/NAME`: a resource.
    pub fn resource(name: &str) -> String {
        format!("/resources/{}", esc(name))
    }
}

// --- Lenient construction from the located tree. ---

impl Workload {
    pub(crate) fn from_document(document: Node, source: SourceFile) -> Workload {
        let root = &document;
        let metadata_node = root
            .get("metadata")
            .cloned()
            .unwrap_or_else(|| Node::new(Value::Map(Vec::new()), Span::UNKNOWN));
        let metadata = Metadata {
            name: string(metadata_node.get("name")),
            annotations: map_entries(metadata_node.get("annotations"))
                .map(|e| (e.key.clone(), string(Some(&e.value))))
                .collect(),
            node: metadata_node,
        };
        let service = root.get("service").map(|s| Service {
            ports: map_entries(s.get("ports"))
                .map(|e| {
                    let p = &e.value;
                    let port = ServicePort {
                        name_span: e.key_span,
                        port: port(p.get("port")),
                        protocol: match p.get("protocol").and_then(Node::as_str) {
                            Some("UDP") => Protocol::Udp,
                            _ => Protocol::Tcp,
                        },
                        target_port: p.get("targetPort").map(|n| port(Some(n))),
                    };
                    (e.key.clone(), port)
                })
                .collect(),
        });
        let containers = map_entries(root.get("containers"))
            .map(|e| (e.key.clone(), container(e)))
            .collect();
        let resources = map_entries(root.get("resources"))
            .map(|e| {
                let r = &e.value;
                let resource = Resource {
                    name_span: e.key_span,
                    r#type: string(r.get("type")),
                    class: r.get("class").map(|n| string(Some(n))),
                    id: r.get("id").map(|n| string(Some(n))),
                    metadata: r.get("metadata").cloned(),
                    params: r.get("params").cloned(),
                };
                (e.key.clone(), resource)
            })
            .collect();
        Workload {
            api_version: string(root.get("apiVersion")),
            metadata,
            service,
            containers,
            resources,
            source,
            document,
        }
    }
}

fn container(entry: &Entry) -> Container {
    let c = &entry.value;
    Container {
        name_span: entry.key_span,
        image: string(c.get("image")),
        command: c.get("command").map(strings),
        args: c.get("args").map(strings),
        variables: map_entries(c.get("variables"))
            .map(|e| {
                let v = Variable {
                    name_span: e.key_span,
                    value: string(Some(&e.value)),
                };
                (e.key.clone(), v)
            })
            .collect(),
        files: map_entries(c.get("files"))
            .map(|e| (e.key.clone(), file(e)))
            .collect(),
        volumes: map_entries(c.get("volumes"))
            .map(|e| {
                let v = &e.value;
                let volume = Volume {
                    target_span: e.key_span,
                    source: string(v.get("source")),
                    path: v.get("path").map(|n| string(Some(n))),
                    read_only: boolean(v.get("readOnly")),
                };
                (e.key.clone(), volume)
            })
            .collect(),
        resources: c.get("resources").map(|r| ContainerResources {
            limits: r.get("limits").map(quantities),
            requests: r.get("requests").map(quantities),
        }),
        liveness_probe: c.get("livenessProbe").map(probe),
        readiness_probe: c.get("readinessProbe").map(probe),
        before: map_entries(c.get("before"))
            .map(|e| {
                let ready = e.value.get("ready");
                let readiness = match ready.and_then(Node::as_str) {
                    Some("healthy") => Readiness::Healthy,
                    Some("complete") => Readiness::Complete,
                    _ => Readiness::Started,
                };
                let before = Before {
                    name_span: e.key_span,
                    ready: Spanned {
                        value: readiness,
                        span: ready.map_or(e.key_span, |n| n.span),
                    },
                };
                (e.key.clone(), before)
            })
            .collect(),
    }
}

fn file(entry: &Entry) -> File {
    let f = &entry.value;
    let content = if let Some(n) = f.get("content") {
        FileContent::Inline(string(Some(n)))
    } else if let Some(n) = f.get("binaryContent") {
        FileContent::Binary(string(Some(n)))
    } else {
        FileContent::Source(string(f.get("source")))
    };
    File {
        target_span: entry.key_span,
        mode: f.get("mode").map(|n| string(Some(n))),
        content,
        no_expand: boolean(f.get("noExpand")),
    }
}

fn probe(node: &Node) -> Probe {
    Probe {
        span: node.span,
        http_get: node.get("httpGet").map(|h| HttpProbe {
            host: h.get("host").map(|n| string(Some(n))),
            scheme: h.get("scheme").map(|n| string(Some(n))),
            path: string(h.get("path")),
            port: port(h.get("port")),
            http_headers: h
                .get("httpHeaders")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .map(|hh| HttpHeader {
                    name: string(hh.get("name")),
                    value: string(hh.get("value")),
                })
                .collect(),
        }),
        exec: node.get("exec").map(|e| ExecProbe {
            command: e.get("command").map(strings).unwrap_or_default(),
        }),
    }
}

fn quantities(node: &Node) -> Quantities {
    Quantities {
        cpu: node.get("cpu").map(|n| string(Some(n))),
        memory: node.get("memory").map(|n| string(Some(n))),
    }
}

fn map_entries(node: Option<&Node>) -> impl Iterator<Item = &Entry> {
    node.and_then(Node::as_map).unwrap_or_default().iter()
}

fn string(node: Option<&Node>) -> Spanned<String> {
    match node {
        Some(n) => Spanned {
            value: n.as_str().unwrap_or_default().to_owned(),
            span: n.span,
        },
        None => Spanned {
            value: String::new(),
            span: Span::UNKNOWN,
        },
    }
}

fn strings(node: &Node) -> Vec<Spanned<String>> {
    node.as_seq()
        .unwrap_or_default()
        .iter()
        .map(|n| string(Some(n)))
        .collect()
}

fn port(node: Option<&Node>) -> Spanned<u16> {
    let value = match node.map(|n| &n.value) {
        Some(Value::Int(i)) => u16::try_from(*i).unwrap_or(0),
        _ => 0,
    };
    Spanned {
        value,
        span: node.map_or(Span::UNKNOWN, |n| n.span),
    }
}

fn boolean(node: Option<&Node>) -> bool {
    matches!(node.map(|n| &n.value), Some(Value::Bool(true)))
}
