//! Kubernetes names derived from Score names: valid by construction, or a clear error.

use score_spec::Workload;
use score_spec::diagnostics::{Diagnostic, Diagnostics};

pub use crate::dns::{
    default_service_name, is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_env_name,
    is_iana_svc_name,
};

/// The annotation that chooses the workload kind.
pub const KIND_ANNOTATION: &str = "k8s.score.dev/kind";
/// The annotation that names the workload's Service.
pub const SERVICE_NAME_ANNOTATION: &str = "k8s.score.dev/service-name";

/// The `k8s.score.dev/` annotations read: score-k8s reads these two on workloads and none on
/// resources (its provisioners only write `k8s.score.dev/` annotations on what they make).
pub(crate) const ANNOTATIONS: crate::targets::annotations::Vocabulary =
    crate::targets::annotations::Vocabulary {
        prefix: "k8s.score.dev/",
        unread: "score::kubernetes::annotation-unsupported",
        unknown: "score::kubernetes::unknown-annotation",
        workload: &["kind", "service-name"],
        resource: &[],
        read_by_target: &[],
        resource_key_on_workload: "",
    };

/// `Deployment` or `StatefulSet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Deployment,
    StatefulSet,
}

/// Each workload's Service name ([`service_name`]) and kind ([`kind`]), or every problem
/// with them.
pub fn service_names_and_kinds(
    workloads: &[&Workload],
) -> Result<(Vec<String>, Vec<Kind>), Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    let mut service_names = Vec::with_capacity(workloads.len());
    let mut kinds = Vec::with_capacity(workloads.len());
    for w in workloads {
        match (kind(w), service_name(w)) {
            (Ok(kind), Ok(service)) => {
                kinds.push(kind);
                service_names.push(service);
            }
            (kind, service) => diagnostics.extend(
                [kind.err(), service.err()]
                    .into_iter()
                    .flatten()
                    .map(|d| *d),
            ),
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    Ok((service_names, kinds))
}

/// The kind a workload asks for with `k8s.score.dev/kind`.
pub fn kind(workload: &Workload) -> Result<Kind, Box<Diagnostic>> {
    let Some(value) = workload.metadata.annotations.get(KIND_ANNOTATION) else {
        return Ok(Kind::Deployment);
    };
    match value.value.as_str() {
        "Deployment" => Ok(Kind::Deployment),
        "StatefulSet" => statefulset_name(workload, value.span).map(|()| Kind::StatefulSet),
        other => {
            let pointer = format!(
                "/metadata/annotations/{}",
                score_spec::node::escape_pointer_token(KIND_ANNOTATION)
            );
            Err(Box::new(
                Diagnostic::error(
                    "score::kubernetes::kind",
                    format!(
                        "`{KIND_ANNOTATION}: {other}` is not a workload kind this compiler produces"
                    ),
                )
                .at(pointer, value.span)
                .with_help("use `Deployment` (the default) or `StatefulSet`")
                .with_source(&workload.source),
            ))
        }
    }
}

/// The longest name a StatefulSet's pods can be created for. The StatefulSet controller labels
/// each pod `controller-revision-hash: <name>-<hash>`, where the hash is a 32-bit FNV hash
/// written in decimal and re-encoded (up to 10 characters; Kubernetes'
/// `history.HashControllerRevision`), and a label value holds at most 63 characters:
/// 63 - 1 - 10 = 52. Kubernetes accepts longer names, then never creates a pod
/// (kubernetes/kubernetes#64023). Provisioned StatefulSets are named from the template
/// context's `name`, which is at most 52 characters for the same reason.
pub const MAX_STATEFULSET_NAME: usize = 52;

/// A workload compiled to a StatefulSet must have a name its pods can be created for
/// ([`MAX_STATEFULSET_NAME`]). `annotation` is where `k8s.score.dev/kind: StatefulSet` is
/// written.
fn statefulset_name(
    workload: &Workload,
    annotation: score_spec::Span,
) -> Result<(), Box<Diagnostic>> {
    let name = workload.name();
    if name.len() <= MAX_STATEFULSET_NAME {
        return Ok(());
    }
    Err(Box::new(
        Diagnostic::error(
            "score::kubernetes::name",
            format!(
                "workload name `{name}` is too long for a StatefulSet: {} characters, at most {MAX_STATEFULSET_NAME}",
                name.len()
            ),
        )
        .at("/metadata/name", workload.metadata.name.span)
        .with_label(format!("{} characters", name.len()))
        .with_related(annotation, "makes it a StatefulSet")
        .with_help(format!(
            "Kubernetes labels every pod of a StatefulSet `controller-revision-hash: <name>-<hash>` with a hash of up to 10 characters, and a label value holds at most 63, so no pod of this one could ever be created; shorten `metadata.name` to {MAX_STATEFULSET_NAME} characters or fewer, or remove `{KIND_ANNOTATION}: StatefulSet` to run it as a Deployment"
        ))
        .with_source(&workload.source),
    ))
}

/// The name of the workload's Service: the `k8s.score.dev/service-name` annotation, or the
/// workload name, prefixed with `svc-` when it starts with a digit (a Service name must start
/// with a letter).
pub fn service_name(workload: &Workload) -> Result<String, Box<Diagnostic>> {
    if let Some(value) = workload.metadata.annotations.get(SERVICE_NAME_ANNOTATION) {
        if is_dns1035_label(value) {
            return Ok(value.value.clone());
        }
        let pointer = format!(
            "/metadata/annotations/{}",
            score_spec::node::escape_pointer_token(SERVICE_NAME_ANNOTATION)
        );
        return Err(Box::new(Diagnostic::error(
            "score::kubernetes::name",
            format!("`{}` cannot name a Service", value.value),
        )
        .at(pointer, value.span)
        .with_help("a Service name is at most 63 lower-case letters, digits and `-`, starting with a letter and not ending with `-`")
        .with_source(&workload.source)));
    }
    let name = workload.name();
    if let Some(service) = default_service_name(name) {
        return Ok(service);
    }
    Err(Box::new(Diagnostic::error(
        "score::kubernetes::name",
        format!("workload name `{name}` cannot name a Service: it starts with a digit, and `svc-{name}` is longer than 63 characters"),
    )
    .at("/metadata/name", workload.metadata.name.span)
    .with_help(format!("set the annotation `{SERVICE_NAME_ANNOTATION}` to a name that starts with a letter"))
    .with_source(&workload.source)))
}

/// The name of a Service port: the Score name lower-cased (Service port names are DNS labels).
pub fn service_port_name(name: &str) -> String {
    name.to_ascii_lowercase()
}
