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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
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
    pub api_version: Spanned<String>,
    pub metadata: Metadata,
    pub service: Option<Service>,
    pub containers: IndexMap<String, Container>,
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
    pub name: Spanned<String>,
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
    pub ports: IndexMap<String, ServicePort>,
}

#[derive(Clone, Debug)]
pub struct ServicePort {
    pub name_span: Span,
    pub port: Spanned<u16>,
    pub protocol: Protocol,
    /// The container port; defaults to `port`.
    pub target_port: Option<Spanned<u16>>,
}

impl ServicePort {
    pub fn target_port(&self) -> u16 {
        self.target_port.as_ref().map_or(*self.port, |p| **p)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

impl Protocol {
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
    pub name_span: Span,
    /// The image; `"."` means "supplied at deploy time".
    pub image: Spanned<String>,
    pub command: Option<Vec<Spanned<String>>>,
    pub args: Option<Vec<Spanned<String>>>,
    pub variables: IndexMap<String, Variable>,
    /// Files to mount, keyed by target path.
    pub files: IndexMap<String, File>,
    /// Volumes to mount, keyed by target path.
    pub volumes: IndexMap<String, Volume>,
    pub resources: Option<ContainerResources>,
    pub liveness_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
    /// Containers that must reach a state before this one starts, keyed by their name.
    pub before: IndexMap<String, Before>,
}

/// An environment variable; its value may hold placeholders.
#[derive(Clone, Debug)]
pub struct Variable {
    pub name_span: Span,
    pub value: Spanned<String>,
}

#[derive(Clone, Debug)]
pub struct File {
    pub target_span: Span,
    /// Octal mode as written (`"0644"`, `"600"`).
    pub mode: Option<Spanned<String>>,
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

#[derive(Clone, Debug)]
pub struct Volume {
    pub target_span: Span,
    /// Usually `${resources.NAME}`.
    pub source: Spanned<String>,
    /// Sub-path inside the volume.
    pub path: Option<Spanned<String>>,
    pub read_only: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ContainerResources {
    pub limits: Option<Quantities>,
    pub requests: Option<Quantities>,
}

#[derive(Clone, Debug, Default)]
pub struct Quantities {
    pub cpu: Option<Spanned<String>>,
    pub memory: Option<Spanned<String>>,
}

/// A liveness or readiness probe: at least one of `http_get` and `exec`.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub span: Span,
    pub http_get: Option<HttpProbe>,
    pub exec: Option<ExecProbe>,
}

#[derive(Clone, Debug)]
pub struct HttpProbe {
    pub host: Option<Spanned<String>>,
    pub scheme: Option<Spanned<String>>,
    pub path: Spanned<String>,
    pub port: Spanned<u16>,
    pub http_headers: Vec<HttpHeader>,
}

#[derive(Clone, Debug)]
pub struct HttpHeader {
    pub name: Spanned<String>,
    pub value: Spanned<String>,
}

#[derive(Clone, Debug)]
pub struct ExecProbe {
    pub command: Vec<Spanned<String>>,
}

/// `before.OTHER`: OTHER must reach `ready` before this container starts.
#[derive(Clone, Debug)]
pub struct Before {
    pub name_span: Span,
    pub ready: Spanned<Readiness>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Readiness {
    Started,
    Healthy,
    Complete,
}

impl Readiness {
    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::Started => "started",
            Readiness::Healthy => "healthy",
            Readiness::Complete => "complete",
        }
    }
}

/// A resource the workload depends on.
#[derive(Clone, Debug)]
pub struct Resource {
    pub name_span: Span,
    pub r#type: Spanned<String>,
    pub class: Option<Spanned<String>>,
    pub id: Option<Spanned<String>>,
    pub metadata: Option<Node>,
    pub params: Option<Node>,
}

impl Resource {
    /// The class, `default` when omitted (an omitted class and `default` are the same).
    pub fn class_or_default(&self) -> &str {
        self.class.as_deref().map_or("default", String::as_str)
    }
}

/// JSON pointers of the places semantic checks and the compiler refer to.
pub mod pointer {
    use super::escape_pointer_token as esc;

    pub fn container(name: &str) -> String {
        format!("/containers/{}", esc(name))
    }
    pub fn variable(container: &str, key: &str) -> String {
        format!("/containers/{}/variables/{}", esc(container), esc(key))
    }
    pub fn file(container: &str, target: &str) -> String {
        format!("/containers/{}/files/{}", esc(container), esc(target))
    }
    pub fn volume(container: &str, target: &str) -> String {
        format!("/containers/{}/volumes/{}", esc(container), esc(target))
    }
    pub fn before(container: &str) -> String {
        format!("/containers/{}/before", esc(container))
    }
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
