//! Compile workloads to a Backstage software catalog.
//!
//! Every workload becomes a `Component`; every resource a `Resource`, once per resource
//! identity (so a resource shared by `id` is one entity), except resources that stand for
//! another workload (`type: service`, and `service-port` with `params.workload`), which become
//! a dependency on that workload's Component. Components depend on their resources, and
//! resources on the resources their params refer to. Nothing is provisioned: the catalog
//! needs no outputs, so any resource type is catalogued.
//!
//! What the catalog says about a workload comes from its annotations, then [`Options`], then
//! the defaults:
//!
//! | annotation | sets | option | default |
//! |---|---|---|---|
//! | `backstage.score.dev/owner` | `spec.owner` (an entity reference) | `owner` | [`DEFAULT_OWNER`] |
//! | `backstage.score.dev/lifecycle` | `spec.lifecycle` | `lifecycle` | [`DEFAULT_LIFECYCLE`] |
//! | `backstage.score.dev/system` | `spec.system` (an entity reference) | `system` | none |
//! | `backstage.score.dev/namespace` | `metadata.namespace` | `namespace` | `default` |
//! | `backstage.score.dev/type` | the Component's `spec.type` | | [`DEFAULT_TYPE`] |
//! | `backstage.score.dev/title` | `metadata.title` | | none |
//! | `backstage.score.dev/description` | `metadata.description` | | none |
//! | `tags` | `metadata.tags` (comma-separated; normalized to Backstage's tag format) | | none |
//! | `backstage.io/…` | copied to the Component's annotations as written | | |
//!
//! A Resource takes the owner, system and namespace its declaring workloads agree on, or the
//! option (or default) when they differ. The Component carries
//! `backstage.io/kubernetes-label-selector` for the labels the Kubernetes target puts on the
//! workload's objects, and `backstage.io/kubernetes-namespace` when
//! [`Options::kubernetes_namespace`] is set.
//!
//! ```
//! use score_compile::backstage;
//!
//! let text = "\
//! apiVersion: score.dev/v1b1
//! metadata:
//!   name: web
//!   annotations:
//!     backstage.score.dev/owner: group:shop
//!     tags: Go, HTTP API
//! containers:
//!   web:
//!     image: nginx:1.27
//! resources:
//!   db:
//!     type: postgres
//! ";
//! let workload = score_spec::parse_workload(text, "score.yaml").unwrap().workload;
//! let catalog = backstage::compile(&[workload], &backstage::Options::default()).unwrap();
//! let yaml = catalog.to_yaml();
//! assert!(yaml.contains("owner: group:shop"));
//! assert!(yaml.contains("- http-api"));
//! assert!(yaml.contains("- resource:web-db"));
//! ```

mod names;

use std::collections::{BTreeMap, HashMap};

use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::model::pointer;
use score_spec::node::{Value as NodeValue, escape_pointer_token};
use score_spec::{Span, Workload};
use serde_json::{Map, Value, json};

use crate::pipeline::order;
use crate::resources::{ResourceGraph, ResourceNode};
use crate::target::Converter;
use crate::targets::labels::selector_labels;
use crate::targets::{ResourceReport, resource_reports};
use crate::{Compiled, TargetKind};

use names::is_namespace;
pub use names::{check_entity_ref, is_entity_name};

pub use crate::targets::labels::ANNOTATION_PREFIX;
/// The annotation that lists a workload's tags, comma-separated.
pub const TAGS_ANNOTATION: &str = "tags";
/// The owner when neither the workload nor the options name one: the user Backstage's guest
/// sign-in uses, as in the community score-k8s template.
pub const DEFAULT_OWNER: &str = "user:guest";
/// The lifecycle when neither the workload nor the options name one.
pub const DEFAULT_LIFECYCLE: &str = "experimental";
/// A Component's `spec.type` unless `backstage.score.dev/type` says otherwise.
pub const DEFAULT_TYPE: &str = "service";
/// The catalog namespace when neither the workload nor the options name one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The keys after [`ANNOTATION_PREFIX`] this target reads.
const KEYS: [&str; 7] = [
    "owner",
    "lifecycle",
    "system",
    "namespace",
    "type",
    "title",
    "description",
];

/// Keys in the order Backstage's documentation writes them; the rest follow alphabetically.
const KEY_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "title",
    "description",
    "type",
    "lifecycle",
    "owner",
    "system",
];

/// How to compile. Each field is the fallback for workloads whose annotations do not say.
///
/// ```
/// use score_compile::backstage;
///
/// let mut options = backstage::Options::default();
/// options.owner = Some("group:payments".to_owned());
/// assert!(options.problems().is_empty());
/// options.system = Some("not a reference".to_owned());
/// assert_eq!(options.problems()[0].0, "system");
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Options {
    /// `spec.owner`: an entity reference such as `group:payments`.
    pub owner: Option<String>,
    /// `spec.lifecycle`, such as `production`.
    pub lifecycle: Option<String>,
    /// `spec.system`: an entity reference.
    pub system: Option<String>,
    /// The catalog namespace of the entities.
    pub namespace: Option<String>,
    /// The Kubernetes namespace the workloads run in, for Backstage's Kubernetes plugin.
    pub kubernetes_namespace: Option<String>,
}

impl Options {
    /// What is wrong with the options: the field's name and the problem, one per problem.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (value, field) in [(&self.owner, "owner"), (&self.system, "system")] {
            if let Some(v) = value
                && let Err(why) = check_entity_ref(v)
            {
                out.push((field, format!("`{v}` is not an entity reference: {why}")));
            }
        }
        if let Some(v) = &self.lifecycle
            && v.trim().is_empty()
        {
            out.push(("lifecycle", "it is empty".into()));
        }
        for (value, field) in [
            (&self.namespace, "namespace"),
            (&self.kubernetes_namespace, "kubernetes_namespace"),
        ] {
            if let Some(v) = value
                && !is_namespace(v)
            {
                out.push((field, format!("`{v}` is not a DNS label: use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit")));
            }
        }
        out
    }
}

/// The catalog entities, and the warnings found on the way.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Output {
    /// The entities: Components sorted by name, then Resources sorted by namespace and name.
    pub entities: Vec<Value>,
    /// Problems that did not stop the compile.
    pub warnings: Diagnostics,
    /// Every resource, in dependency order (nothing is provisioned).
    pub resources: Vec<ResourceReport>,
}

impl Output {
    /// The entities as one multi-document YAML stream (a `catalog-info.yaml`).
    pub fn to_yaml(&self) -> String {
        crate::yaml::to_yaml_stream_ordered(&self.entities, KEY_ORDER)
    }
}

impl Converter for Options {
    fn convert(&self, workloads: &[Workload]) -> Result<Compiled, Diagnostics> {
        let out = compile(workloads, self)?;
        let text = out.to_yaml();
        Ok(Compiled::single(
            TargetKind::Backstage,
            out.entities,
            text,
            out.warnings,
            out.resources,
        ))
    }
}

/// Compiles `workloads` to catalog entities: Components sorted by name, then Resources sorted
/// by namespace and name. The order of `workloads` does not matter.
pub fn compile(workloads: &[Workload], options: &Options) -> Result<Output, Diagnostics> {
    let problems = options.problems();
    if !problems.is_empty() {
        return Err(Diagnostics(
            problems
                .into_iter()
                .map(|(field, p)| {
                    Diagnostic::error("score::backstage::option", format!("option `{field}`: {p}"))
                })
                .collect(),
        ));
    }
    let workloads = order(workloads)?;
    let mut diagnostics = Diagnostics::new();
    let settings: Vec<Settings> = workloads
        .iter()
        .map(|w| Settings::read(w, options, &mut diagnostics))
        .collect();
    let graph = ResourceGraph::build(&workloads)?;
    let stands_for: Vec<StandsFor> = graph
        .nodes
        .iter()
        .map(|node| stands_for(node, &workloads, &mut diagnostics))
        .collect();
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }

    let fallback = Settings::fallback(options);
    let resources = resource_entities(&graph, &stands_for, &workloads, &settings, &fallback);
    let namespace_of: HashMap<&str, &str> = workloads
        .iter()
        .zip(&settings)
        .map(|(w, s)| (w.name(), s.namespace.as_str()))
        .collect();
    // The reference to what each resource stands for, as seen from `namespace`.
    let reference = |i: usize, from: &str| match &stands_for[i] {
        StandsFor::Workload(name) => {
            let ns = namespace_of.get(name.as_str()).copied().unwrap_or(from);
            entity_ref("component", ns, name, from)
        }
        StandsFor::Resource => {
            let r = &resources[&i];
            entity_ref("resource", &r.namespace, &r.name, from)
        }
    };

    let mut entities = Vec::with_capacity(workloads.len() + resources.len());
    for (w, (s, workload)) in settings.iter().zip(&workloads).enumerate() {
        let mut depends_on: Vec<String> = workload
            .resources
            .keys()
            .filter_map(|name| graph.index(w, name))
            .filter(|&i| !matches!(&stands_for[i], StandsFor::Workload(n) if n == workload.name()))
            .map(|i| reference(i, &s.namespace))
            .collect();
        depends_on.sort_unstable();
        depends_on.dedup();
        entities.push(component(workload, s, depends_on, options));
    }
    let mut resource_list: Vec<(&usize, &ResourceEntity)> = resources.iter().collect();
    resource_list.sort_by(|a, b| (&a.1.namespace, &a.1.name).cmp(&(&b.1.namespace, &b.1.name)));
    for (&i, r) in resource_list {
        let mut depends_on: Vec<String> = graph.nodes[i]
            .depends_on
            .iter()
            .map(|&j| reference(j, &r.namespace))
            .collect();
        depends_on.sort_unstable();
        depends_on.dedup();
        entities.push(resource(&graph.nodes[i], r, depends_on, &workloads));
    }
    Ok(Output {
        entities,
        warnings: diagnostics.sorted(),
        resources: resource_reports(&graph, &workloads, None),
    })
}

/// What the catalog says about one workload.
#[derive(Clone, Debug)]
struct Settings {
    owner: String,
    lifecycle: String,
    system: Option<String>,
    namespace: String,
    r#type: String,
    title: Option<String>,
    description: Option<String>,
    tags: Vec<String>,
    /// `backstage.io/…` annotations, copied.
    annotations: Map<String, Value>,
}

impl Settings {
    fn fallback(options: &Options) -> Settings {
        Settings {
            owner: options.owner.clone().unwrap_or(DEFAULT_OWNER.into()),
            lifecycle: options
                .lifecycle
                .clone()
                .unwrap_or(DEFAULT_LIFECYCLE.into()),
            system: options.system.clone(),
            namespace: options
                .namespace
                .clone()
                .unwrap_or(DEFAULT_NAMESPACE.into()),
            r#type: DEFAULT_TYPE.into(),
            title: None,
            description: None,
            tags: Vec::new(),
            annotations: Map::new(),
        }
    }

    fn read(workload: &Workload, options: &Options, diagnostics: &mut Diagnostics) -> Settings {
        let mut s = Settings::fallback(options);
        for (key, value) in &workload.metadata.annotations {
            let text = value.value.as_str();
            if key == TAGS_ANNOTATION {
                s.tags = names::tags(text);
            } else if key.starts_with("backstage.io/") {
                s.annotations.insert(key.clone(), text.into());
            } else if let Some(field) = key.strip_prefix(ANNOTATION_PREFIX) {
                let problem = |message: String, help: &str| {
                    annotation_problem(workload, key, value.span, message, help)
                };
                if text.trim().is_empty() {
                    diagnostics.push(problem(
                        format!("annotation `{key}` is empty"),
                        "give it a value, or remove it to use the default",
                    ));
                    continue;
                }
                match field {
                    "owner" | "system" => {
                        if let Err(why) = check_entity_ref(text) {
                            diagnostics.push(problem(
                                format!("`{key}` must be an entity reference: {why}"),
                                "write `[kind:][namespace/]name`, for example `group:payments`",
                            ));
                        } else if field == "owner" {
                            s.owner = text.into();
                        } else {
                            s.system = Some(text.into());
                        }
                    }
                    "namespace" => {
                        if is_namespace(text) {
                            s.namespace = text.into();
                        } else {
                            diagnostics.push(problem(
                                format!("`{text}` cannot name a catalog namespace"),
                                "use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit",
                            ));
                        }
                    }
                    "lifecycle" => s.lifecycle = text.into(),
                    "type" => s.r#type = text.into(),
                    "title" => s.title = Some(text.into()),
                    "description" => s.description = Some(text.into()),
                    _ => diagnostics.push(unknown_annotation(workload, key)),
                }
            }
        }
        s
    }
}

fn annotation_pointer(key: &str) -> String {
    format!("/metadata/annotations/{}", escape_pointer_token(key))
}

fn annotation_problem(
    workload: &Workload,
    key: &str,
    span: Span,
    message: String,
    help: &str,
) -> Diagnostic {
    Diagnostic::error("score::backstage::annotation", message)
        .at(annotation_pointer(key), span)
        .with_help(help)
        .with_source(&workload.source)
}

fn unknown_annotation(workload: &Workload, key: &str) -> Diagnostic {
    let pointer = annotation_pointer(key);
    // The key is what is wrong, so point at it.
    let span = workload
        .document
        .locate(&pointer)
        .and_then(|l| l.key_span)
        .unwrap_or(workload.metadata.name.span);
    let known: Vec<String> = KEYS
        .iter()
        .map(|k| format!("{ANNOTATION_PREFIX}{k}"))
        .collect();
    let help = match score_spec::did_you_mean(key, &known) {
        Some(guess) => format!("did you mean `{guess}`?"),
        None => format!("the known ones are {}", known.join(", ")),
    };
    Diagnostic::error(
        "score::backstage::unknown-annotation",
        format!("unknown annotation `{key}`"),
    )
    .at(pointer, span)
    .with_help(help)
    .with_source(&workload.source)
}

/// What a resource is in the catalog.
#[derive(Clone, Debug)]
enum StandsFor {
    /// Another workload, by name: a dependency on its Component.
    Workload(String),
    /// A Resource entity of its own.
    Resource,
}

/// `service` resources stand for the workload `params.workload` names, or else the one the
/// resource is named after; `service-port` resources for the one `params.workload` names.
fn stands_for(
    node: &ResourceNode,
    workloads: &[&Workload],
    diagnostics: &mut Diagnostics,
) -> StandsFor {
    if node.r#type != "service" && node.r#type != "service-port" {
        return StandsFor::Resource;
    }
    let first = node.first();
    let workload = workloads[first.workload];
    let param = workload.resources[&first.name]
        .params
        .as_ref()
        .and_then(|p| p.get("workload"));
    let (target, span) = match param {
        Some(p) => match &p.value {
            NodeValue::String(s) => (s.clone(), p.span),
            NodeValue::Int(i) => (i.to_string(), p.span),
            _ => return StandsFor::Resource,
        },
        // Resource names are labels, which are always entity names.
        None if node.r#type == "service" => return StandsFor::Workload(first.name.clone()),
        None => return StandsFor::Resource,
    };
    if !is_entity_name(&target) || score_spec::placeholders::may_contain_placeholders(&target) {
        diagnostics.push(
            Diagnostic::error(
                "score::backstage::workload-reference",
                format!("`{target}` cannot be the name of the workload this resource stands for"),
            )
            .at(
                format!("{}/params/workload", pointer::resource(&first.name)),
                span,
            )
            .with_help("the catalog links to the workload's Component by name, so write the workload's name itself")
            .with_source(&workload.source),
        );
    }
    StandsFor::Workload(target)
}

/// A Resource entity's name and settings.
#[derive(Clone, Debug)]
struct ResourceEntity {
    name: String,
    namespace: String,
    owner: String,
    system: Option<String>,
}

/// The Resource entities, by index into the graph: named by `id` for shared resources and
/// `<workload>-<resource>` otherwise, shortened past 63 characters; names two resources
/// would share get a hash of each one's uid.
fn resource_entities(
    graph: &ResourceGraph,
    stands_for: &[StandsFor],
    workloads: &[&Workload],
    settings: &[Settings],
    fallback: &Settings,
) -> BTreeMap<usize, ResourceEntity> {
    let mut entities = BTreeMap::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if !matches!(stands_for[i], StandsFor::Resource) {
            continue;
        }
        let first = node.first();
        let name = match &node.id {
            Some(id) => id.clone(),
            None => format!("{}-{}", workloads[first.workload].name(), first.name),
        };
        let declarers: Vec<&Settings> = node
            .declarations
            .iter()
            .map(|d| &settings[d.workload])
            .collect();
        entities.insert(
            i,
            ResourceEntity {
                name: names::shortened(&name, &node.uid),
                namespace: agreed(&declarers, fallback, |s| &s.namespace),
                owner: agreed(&declarers, fallback, |s| &s.owner),
                system: agreed(&declarers, fallback, |s| &s.system),
            },
        );
    }
    let mut count: HashMap<(String, String), usize> = HashMap::new();
    for r in entities.values() {
        *count
            .entry((r.namespace.clone(), r.name.clone()))
            .or_default() += 1;
    }
    for (&i, r) in entities.iter_mut() {
        if count[&(r.namespace.clone(), r.name.clone())] > 1 {
            r.name = names::with_hash(&r.name, &graph.nodes[i].uid);
        }
    }
    entities
}

/// The value of `field` all `declarers` agree on, or else the fallback's.
fn agreed<T: PartialEq + Clone>(
    declarers: &[&Settings],
    fallback: &Settings,
    field: impl Fn(&Settings) -> &T,
) -> T {
    let first = field(declarers[0]);
    if declarers.iter().all(|s| field(s) == first) {
        first.clone()
    } else {
        field(fallback).clone()
    }
}

/// `kind:name`, or `kind:namespace/name` when the target is in another namespace than `from`.
fn entity_ref(kind: &str, namespace: &str, name: &str, from: &str) -> String {
    if namespace == from {
        format!("{kind}:{name}")
    } else {
        format!("{kind}:{namespace}/{name}")
    }
}

fn metadata(name: &str, namespace: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    if namespace != DEFAULT_NAMESPACE {
        m.insert("namespace".into(), namespace.into());
    }
    m
}

fn component(
    workload: &Workload,
    s: &Settings,
    depends_on: Vec<String>,
    options: &Options,
) -> Value {
    let mut annotations = Map::new();
    let selector: Vec<String> = selector_labels(workload.name())
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    annotations.insert(
        "backstage.io/kubernetes-label-selector".into(),
        selector.join(",").into(),
    );
    if let Some(ns) = &options.kubernetes_namespace {
        annotations.insert(
            "backstage.io/kubernetes-namespace".into(),
            ns.clone().into(),
        );
    }
    // The workload's own annotations win: its author knows better.
    annotations.extend(s.annotations.clone());

    let mut metadata = metadata(workload.name(), &s.namespace);
    metadata.insert("annotations".into(), Value::Object(annotations));
    if let Some(title) = &s.title {
        metadata.insert("title".into(), title.clone().into());
    }
    if let Some(description) = &s.description {
        metadata.insert("description".into(), description.clone().into());
    }
    if !s.tags.is_empty() {
        metadata.insert("tags".into(), json!(s.tags));
    }
    let spec = json!({
        "type": s.r#type,
        "lifecycle": s.lifecycle,
        "owner": s.owner,
    });
    entity("Component", metadata, spec, s.system.as_deref(), depends_on)
}

/// An entity of `kind`, with the optional parts of `spec` set when present.
fn entity(
    kind: &str,
    metadata: Map<String, Value>,
    mut spec: Value,
    system: Option<&str>,
    depends_on: Vec<String>,
) -> Value {
    if let Some(system) = system {
        spec["system"] = system.into();
    }
    if !depends_on.is_empty() {
        spec["dependsOn"] = json!(depends_on);
    }
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": kind,
        "metadata": metadata,
        "spec": spec,
    })
}

fn resource(
    node: &ResourceNode,
    r: &ResourceEntity,
    depends_on: Vec<String>,
    workloads: &[&Workload],
) -> Value {
    let mut annotations = Map::new();
    annotations.insert("score.dev/resource-type".into(), node.r#type.clone().into());
    annotations.insert("score.dev/resource-class".into(), node.class.clone().into());
    if let Some(id) = &node.id {
        annotations.insert("score.dev/resource-id".into(), id.clone().into());
    }
    annotations.insert("score.dev/resource-uid".into(), node.uid.clone().into());

    let users: Vec<String> = node
        .declarations
        .iter()
        .map(|d| format!("`{}`", workloads[d.workload].name()))
        .collect();
    let class = if node.class == "default" {
        String::new()
    } else {
        format!(" (class `{}`)", node.class)
    };
    let description = match &node.id {
        Some(id) => format!(
            "The shared `{}` resource `{id}`{class}, used by {}.",
            node.r#type,
            english_list(&users)
        ),
        None => format!(
            "The `{}` resource `{}`{class} of workload {}.",
            node.r#type,
            node.first().name,
            users[0]
        ),
    };

    let mut metadata = metadata(&r.name, &r.namespace);
    metadata.insert("annotations".into(), Value::Object(annotations));
    metadata.insert("description".into(), description.into());
    let spec = json!({ "type": node.r#type, "owner": r.owner });
    entity("Resource", metadata, spec, r.system.as_deref(), depends_on)
}

/// `a`, `a and b`, `a, b and c`.
fn english_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
