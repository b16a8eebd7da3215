//! Compile workloads to Kubernetes manifests.
//!
//! Every workload becomes a Deployment (or a StatefulSet, with the annotation
//! `k8s.score.dev/kind: StatefulSet`), a Service when it has ports, and a ConfigMap when it has
//! files. Every resource is provisioned by the first matching provisioner (the caller's, then
//! the [built-in ones](crate::builtin_provisioners)), which adds its own
//! manifests. The output lists resource manifests in provisioning order, then each
//! workload's objects, workloads sorted by name.

mod environment;
mod names;
mod size;
mod workload;

use std::collections::BTreeMap;

use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::{Span, Workload, model::pointer};
use serde_json::{Map, Value};

use crate::files::{NoSourceFiles, SourceFiles};
use crate::pipeline::{self, Prepared, Provisioning};
use crate::provisioners::{
    self, CommandFields, CommandRunner, HostNameRefused, NoCommandRunner, Provisioner,
    TargetContext,
};
use crate::resources::ResourceGraph;
use crate::secrets;
use crate::seed::Seed;
use crate::target::Converter;
use crate::targets::{
    ResourceReport, annotations, find_string, provisioned_reports, workload_services,
};
use crate::{Compiled, TargetKind};

use crate::provisioners::ExternalWorkloads;
pub use names::is_dns1123_label;
pub use names::{KIND_ANNOTATION, SERVICE_NAME_ANNOTATION};

/// The value of the `app.kubernetes.io/managed-by` label on everything we generate.
pub const MANAGED_BY: &str = "score-rs";

use crate::targets::labels::selector_labels;

/// How to compile. Start from [`Options::default`] and set the fields that differ:
///
/// ```
/// use score_compile::{ExternalWorkloads, kubernetes};
///
/// let mut options = kubernetes::Options::default();
/// options.namespace = Some("shop".to_owned());
/// options.external_workloads = ExternalWorkloads::Deny;
/// # let _ = options;
/// ```
#[non_exhaustive]
pub struct Options<'a> {
    /// Set on every namespaced object.
    pub namespace: Option<String>,
    /// With `namespace`, also emit its Namespace object, first in the output (as score-k8s's
    /// `--generate-namespace` does). It carries Pod Security "restricted" in `warn` and
    /// `audit` mode only: the built-in provisioners' pods pass it, but workloads' own pods are
    /// compiled as written and may not, so enforcing it would refuse them.
    pub generate_namespace: bool,
    /// Replaces `image: "."`.
    pub image: Option<String>,
    /// Drives every generated secret. The default ([`DEFAULT_SEED`](crate::DEFAULT_SEED)) is public:
    /// a compile whose templates generated values from it warns (`score::seed::public`).
    pub seed: Seed,
    /// Consulted before the built-in provisioners, in order.
    pub provisioners: Vec<Provisioner>,
    /// Reads `files[].source`.
    pub files: &'a dyn SourceFiles,
    /// Runs the programs of command provisioners (`cmd://`) in `provisioners`; the default
    /// refuses, so a compile with one fails saying a runner is needed.
    pub commands: &'a dyn CommandRunner,
    /// What a `service` or `service-port` resource naming a workload that is not compiled
    /// along gets: by default ([`ExternalWorkloads::Assume`]) the host name that workload
    /// would get, with a warning; [`ExternalWorkloads::Deny`] makes it an error.
    pub external_workloads: ExternalWorkloads,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            namespace: None,
            generate_namespace: false,
            image: None,
            seed: Seed::default(),
            provisioners: Vec::new(),
            files: &NoSourceFiles,
            commands: &NoCommandRunner,
            external_workloads: ExternalWorkloads::Assume,
        }
    }
}

/// Compiled manifests, and the warnings found on the way.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Output {
    /// The objects: resource manifests in provisioning order, then each workload's objects,
    /// workloads sorted by name.
    pub manifests: Vec<Value>,
    /// Problems that did not stop the compile.
    pub warnings: Diagnostics,
    /// What became of each resource, in provisioning order.
    pub resources: Vec<ResourceReport>,
}

impl Output {
    /// The manifests as one multi-document YAML stream.
    pub fn to_yaml(&self) -> String {
        crate::yaml::to_yaml_stream(&self.manifests)
    }
}

/// Compiles `workloads` together: shared resources are provisioned once, and workloads can
/// refer to each other. The order of `workloads` does not matter.
pub fn compile(workloads: &[Workload], options: &Options) -> Result<Output, Diagnostics> {
    let Prepared {
        workloads,
        names: (service_names, kinds),
        graph,
        consulted: provisioners,
        seed,
        provisioned,
    } = pipeline::prepare(workloads, options)?;
    let mut diagnostics = Diagnostics::new();
    let environment = environment::secrets(&workloads, &graph, &provisioned, &mut diagnostics);
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }

    // (manifest, who made it) in output order.
    let mut manifests: Vec<(Value, Origin)> = Vec::new();
    for (i, sections) in provisioned.sections.iter().enumerate() {
        let list = sections.get("manifests").and_then(Value::as_array);
        manifests.extend(
            list.into_iter()
                .flatten()
                .map(|m| (m.clone(), Origin::Resource(i))),
        );
    }
    let mut warnings =
        provisioning_warnings(&seed, &graph, &workloads, &provisioned, &provisioners);
    for (i, w) in workloads.iter().enumerate() {
        let convert = workload::Convert {
            workload: w,
            index: i,
            graph: &graph,
            provisioned: &provisioned,
            environment: &environment,
            image: options.image.as_deref(),
            files: options.files,
            service_name: service_names[i].clone(),
            kind: kinds[i],
            managed_by: MANAGED_BY,
        };
        let (objects, found) = convert.run();
        for d in found {
            if d.is_error() {
                diagnostics.push(d);
            } else {
                warnings.push(d);
            }
        }
        manifests.extend(objects.into_iter().map(|m| (m, Origin::Workload(i))));
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }

    if let Some(namespace) = &options.namespace {
        for (m, _) in &mut manifests {
            set_namespace(m, namespace);
        }
        if options.generate_namespace {
            manifests.insert(0, (namespace_object(namespace), Origin::Flag));
        }
    }

    let unique = collapse_duplicates(manifests, &workloads, &graph, &mut diagnostics);
    for (m, origin) in &unique {
        if let Some(path) = find_string(m, &secrets::contains_secret) {
            diagnostics.push(misplaced_secret(m, &path, origin, &workloads, &graph));
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    warnings.extend(provisioned_sizes(&unique, &workloads, &graph));
    Ok(Output {
        manifests: unique.into_iter().map(|(m, _)| m).collect(),
        warnings: warnings.sorted(),
        resources: provisioned_reports(&graph, &workloads, &provisioned, &seed, false),
    })
}

impl Converter for Options<'_> {
    fn convert(&self, workloads: &[Workload]) -> Result<Compiled, Diagnostics> {
        let out = compile(workloads, self)?;
        let text = out.to_yaml();
        Ok(Compiled::single(
            TargetKind::Kubernetes,
            out.manifests,
            text,
            out.warnings,
            out.resources,
        ))
    }
}

/// What Kubernetes reads of command provisioners' output: score-k8s's fields.
const COMMAND_FIELDS: CommandFields = CommandFields {
    target: "kubernetes",
    sections: &[("manifests", "manifests")],
    ignored: &[],
};

/// The host name of a workload not compiled along: the name of the Service it would get.
fn host_name(name: &str) -> Result<String, HostNameRefused> {
    crate::dns::default_service_name(name).ok_or_else(|| HostNameRefused {
        message: format!("workload name `{name}` cannot name a Service: it starts with a digit, and `svc-{name}` is longer than 63 characters"),
        help: "compile the workload along, so that its `k8s.score.dev/service-name` annotation names its Service",
    })
}

impl Provisioning for Options<'_> {
    type Names<'o>
        = (Vec<String>, Vec<names::Kind>)
    where
        Self: 'o;
    const KIND: TargetKind = TargetKind::Kubernetes;
    const ACCEPTS: &'static [&'static str] = &["manifests"];

    /// Names and kinds come first: provisioners need every workload's Service name.
    fn names<'o>(&'o self, workloads: &[&Workload]) -> Result<Self::Names<'o>, Diagnostics> {
        names::service_names_and_kinds(workloads)
    }

    /// What templates learn about the target: Kubernetes, the namespace, every workload's
    /// Service.
    fn context<'o>(
        &'o self,
        workloads: &[&Workload],
        (service_names, _): &Self::Names<'o>,
    ) -> Result<TargetContext, Diagnostics> {
        Ok(TargetContext {
            command_fields: COMMAND_FIELDS,
            command_input: Map::from_iter([(
                "namespace".to_owned(),
                self.namespace.clone().unwrap_or_default().into(),
            )]),
            host_name,
            namespace: self.namespace.clone(),
            workload_services: workload_services(workloads, |w| {
                let i = workloads
                    .iter()
                    .position(|x| std::ptr::eq(*x, w))
                    .unwrap_or(0);
                Ok(service_names[i].clone())
            })
            .map_err(|d| Diagnostics(vec![*d]))?,
            external_workloads: self.external_workloads,
            ..TargetContext::default()
        })
    }

    fn provisioners(&self) -> &[Provisioner] {
        &self.provisioners
    }

    fn seed(&self) -> &Seed {
        &self.seed
    }

    fn commands(&self) -> &dyn CommandRunner {
        self.commands
    }
}

/// One object per (apiVersion, kind, namespace, name): identical repeats (shared
/// infrastructure several resources ask for) collapse; different ones are an error.
fn collapse_duplicates(
    manifests: Vec<(Value, Origin)>,
    workloads: &[&Workload],
    graph: &ResourceGraph,
    diagnostics: &mut Diagnostics,
) -> Vec<(Value, Origin)> {
    let mut seen: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    let mut unique: Vec<(Value, Origin)> = Vec::with_capacity(manifests.len());
    for (m, origin) in manifests {
        let key = (
            str_at(&m, "/apiVersion"),
            str_at(&m, "/kind"),
            str_at(&m, "/metadata/namespace"),
            str_at(&m, "/metadata/name"),
        );
        match seen.get(&key) {
            Some(&j) if unique[j].0 == m => continue,
            Some(&j) => {
                diagnostics.push(clash(&key, &unique[j].1, &origin, workloads, graph));
                continue;
            }
            None => {
                seen.insert(key, unique.len());
                unique.push((m, origin));
            }
        }
    }
    unique
}

/// Who produced a manifest: a resource (index into the graph), a workload, or
/// `--generate-namespace`.
#[derive(Clone, Copy, Debug)]
enum Origin {
    Resource(usize),
    Workload(usize),
    Flag,
}

/// The Namespace `generate_namespace` adds: Pod Security "restricted" warns and audits (the
/// built-in provisioners' pods pass it; workloads' pods may not, so it is not enforced).
fn namespace_object(name: &str) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/managed-by": MANAGED_BY,
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    })
}

fn str_at(m: &Value, pointer: &str) -> String {
    m.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Kinds that live outside namespaces.
const CLUSTER_SCOPED: [&str; 12] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "GatewayClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

fn set_namespace(m: &mut Value, namespace: &str) {
    let kind = m.get("kind").and_then(Value::as_str).unwrap_or_default();
    if CLUSTER_SCOPED.contains(&kind) {
        return;
    }
    if let Some(metadata) = m.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert("namespace".into(), namespace.into());
    }
}

fn describe_origin(
    origin: &Origin,
    workloads: &[&Workload],
    graph: &ResourceGraph,
) -> (String, Diagnostic) {
    match *origin {
        Origin::Resource(i) => {
            let node = &graph.nodes[i];
            let first = node.first();
            let w = workloads[first.workload];
            let r = &w.resources[&first.name];
            (
                format!("resource `{}` ({})", first.name, node.uid),
                Diagnostic::error("", "")
                    .at(pointer::resource(&first.name), r.name_span)
                    .with_source(&w.source),
            )
        }
        Origin::Workload(i) => {
            let w = workloads[i];
            (
                format!("workload `{}`", w.name()),
                Diagnostic::error("", "")
                    .at("/metadata/name", w.metadata.name.span)
                    .with_source(&w.source),
            )
        }
        Origin::Flag => ("`--generate-namespace`".into(), Diagnostic::error("", "")),
    }
}

fn clash(
    key: &(String, String, String, String),
    first: &Origin,
    second: &Origin,
    workloads: &[&Workload],
    graph: &ResourceGraph,
) -> Diagnostic {
    let (first_what, _) = describe_origin(first, workloads, graph);
    let (second_what, place) = describe_origin(second, workloads, graph);
    Diagnostic {
        code: "score::kubernetes::duplicate-object",
        message: format!(
            "{second_what} produces {} `{}`, which {first_what} also produces with different content",
            key.1, key.3
        ),
        help: Some("rename one of them: object names must be unique per kind and namespace".into()),
        ..place
    }
}

/// A warning at the resource for each ConfigMap or Secret a provisioner rendered that is
/// over Kubernetes' object limit (a workload's own ConfigMap is checked where it is built, at
/// its largest file).
fn provisioned_sizes(
    manifests: &[(Value, Origin)],
    workloads: &[&Workload],
    graph: &ResourceGraph,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (m, origin) in manifests {
        let (Origin::Resource(_), Some(size)) = (origin, size::oversized(m)) else {
            continue;
        };
        let (_, place) = describe_origin(origin, workloads, graph);
        let mut d = size::warning(
            m,
            size,
            place.pointer,
            Span::UNKNOWN,
            size::PROVISIONED_HELP,
        );
        d.span = place.span;
        d.source = place.source;
        found.push(d);
    }
    found
}

fn misplaced_secret(
    m: &Value,
    path: &str,
    origin: &Origin,
    workloads: &[&Workload],
    graph: &ResourceGraph,
) -> Diagnostic {
    let (what, place) = describe_origin(origin, workloads, graph);
    Diagnostic {
        code: "score::secret::misplaced",
        message: format!(
            "a secret output would be written in plain text: {what} puts one at `{path}` of {} `{}`",
            str_at(m, "/kind"),
            str_at(m, "/metadata/name")
        ),
        help: Some("secret outputs can be used whole or inside environment variables, or as a whole file's content; not in resource params or other fields".into()),
        ..place
    }
}

/// Warnings known once everything is provisioned: the provisioners' own (`warn()`), the public
/// seed, and `k8s.score.dev/` annotations nothing reads.
fn provisioning_warnings(
    seed: &Seed,
    graph: &ResourceGraph,
    workloads: &[&Workload],
    provisioned: &provisioners::Provisioned,
    consulted: &[&Provisioner],
) -> Diagnostics {
    let mut warnings = provisioned.warnings.clone();
    warnings.extend(crate::seed::public_seed_warning(seed, graph, workloads));
    warnings.extend(names::ANNOTATIONS.check_workloads(workloads));
    let matched = annotations::matched(graph, &provisioned.provisioners, consulted);
    warnings.extend(names::ANNOTATIONS.check_resources(workloads, graph, &matched));
    warnings
}
