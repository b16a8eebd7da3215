//! Label and annotation keys that one target writes and another reads: the Kubernetes
//! selector labels (the Backstage catalog points its `kubernetes-label-selector` at them), and
//! the prefix of the annotations the Backstage target reads (the Kubernetes target leaves them
//! off the objects it writes). Here, below both, so neither target imports the other.

/// The prefix of the annotations that configure a workload's catalog entry.
pub const ANNOTATION_PREFIX: &str = "backstage.score.dev/";

/// The labels that select a workload's objects (its Deployment or StatefulSet, pods, Service
/// and ConfigMap): the pods' selector, also on every other object of the workload.
pub fn selector_labels(workload: &str) -> [(&'static str, &str); 2] {
    [
        ("app.kubernetes.io/name", workload),
        ("app.kubernetes.io/instance", workload),
    ]
}
