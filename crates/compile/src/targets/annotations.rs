//! Annotations of a target's own prefix (`compose.score.dev/`, `k8s.score.dev/`) that nothing
//! reads: each is a warning at its key, so a setting that works with a reference tool (or a
//! typo) is not ignored in silence.
//!
//! On a workload, a key is read when the target's converter reads it ([`Vocabulary::workload`]).
//! On a resource, when the provisioner that matched reads it: a command provisioner gets the
//! whole metadata (it may read anything), a template provisioner reads the keys its templates
//! name, and the target may read some keys itself ([`Vocabulary::read_by_target`]).

use score_spec::diagnostics::Diagnostic;
use score_spec::node::{Node, escape_pointer_token};
use score_spec::{Span, Workload};

use crate::provisioners::Provisioner;
use crate::resources::ResourceGraph;

/// What a target knows of its prefix.
pub(crate) struct Vocabulary {
    /// `compose.score.dev/`.
    pub prefix: &'static str,
    /// The code of "nothing reads this key".
    pub unread: &'static str,
    /// The code of a key nobody knows (a typo).
    pub unknown: &'static str,
    /// Keys (after the prefix) the target reads on workloads.
    pub workload: &'static [&'static str],
    /// Keys the reference tool reads on resources, with what to do here when the provisioner
    /// that matched does not read it.
    pub resource: &'static [(&'static str, &'static str)],
    /// Keys the target reads on resources itself, whatever the provisioner.
    pub read_by_target: &'static [&'static str],
    /// What to do with a resource key written on a workload.
    pub resource_key_on_workload: &'static str,
}

/// The annotations mapping of a resource's metadata, if any.
pub(crate) fn resource_annotations(metadata: Option<&Node>) -> &[score_spec::node::Entry] {
    metadata
        .and_then(|m| m.get("annotations"))
        .and_then(Node::as_map)
        .unwrap_or_default()
}

impl Vocabulary {
    /// Warnings about the workloads' annotations of this prefix that nothing reads.
    pub fn check_workloads(&self, workloads: &[&Workload]) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for w in workloads {
            for (key, value) in &w.metadata.annotations {
                let Some(name) = key.strip_prefix(self.prefix) else {
                    continue;
                };
                if self.workload.contains(&name) {
                    continue;
                }
                let pointer = format!("/metadata/annotations/{}", escape_pointer_token(key));
                let span = w
                    .document
                    .locate(&pointer)
                    .and_then(|l| l.key_span)
                    .unwrap_or(value.span);
                let diagnostic = if self.resource_keys().any(|k| k == name) {
                    Diagnostic::warning(
                        self.unread,
                        format!("`{key}` is read on resources, not on a workload"),
                    )
                    .with_help(self.resource_key_on_workload)
                } else {
                    self.unknown_key(
                        key,
                        self.workload.iter().copied().chain(self.resource_keys()),
                    )
                };
                out.push(diagnostic.at(pointer, span).with_source(&w.source));
            }
        }
        out
    }

    /// Warnings about the resources' annotations of this prefix that neither the target nor
    /// the provisioner that matched (`provisioners[i]`, `None` when unknown) reads.
    pub fn check_resources(
        &self,
        workloads: &[&Workload],
        graph: &ResourceGraph,
        provisioners: &[Option<&Provisioner>],
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (i, node) in graph.nodes.iter().enumerate() {
            let Some(provisioner) = provisioners.get(i).copied().flatten() else {
                continue;
            };
            if provisioner.command.is_some() {
                continue;
            }
            let first = node.first();
            let w = workloads[first.workload];
            let resource = &w.resources[&first.name];
            for entry in resource_annotations(resource.metadata.as_ref()) {
                let Some(name) = entry.key.strip_prefix(self.prefix) else {
                    continue;
                };
                if self.read_by_target.contains(&name) || reads(provisioner, &entry.key) {
                    continue;
                }
                let diagnostic = match self.resource.iter().find(|(k, _)| *k == name) {
                    Some((_, help)) => Diagnostic::warning(
                        self.unread,
                        format!(
                            "`{}` is not read by the provisioner of `{}` ({})",
                            entry.key, node.uid, provisioner.uri
                        ),
                    )
                    .with_help(*help),
                    None => self.unknown_key(&entry.key, self.resource_keys()),
                };
                out.push(
                    diagnostic
                        .at(annotation_pointer(&first.name, &entry.key), entry.key_span)
                        .with_source(&w.source),
                );
            }
        }
        out
    }

    /// Every key read on resources, by the target or by the reference tool's provisioners.
    fn resource_keys(&self) -> impl Iterator<Item = &'static str> {
        self.resource
            .iter()
            .map(|(k, _)| *k)
            .chain(self.read_by_target.iter().copied())
    }

    fn unknown_key<'a>(&self, key: &str, known: impl Iterator<Item = &'a str>) -> Diagnostic {
        let known: Vec<String> = known.map(str::to_owned).collect();
        // Compared without the prefix, which every candidate shares.
        let name = key.strip_prefix(self.prefix).unwrap_or(key);
        let help = match score_spec::did_you_mean(name, &known) {
            Some(guess) => format!("did you mean `{}{guess}`?", self.prefix),
            None if known.is_empty() => format!("no `{}` annotation is read here", self.prefix),
            None => format!(
                "the known ones here are {}",
                known
                    .iter()
                    .map(|k| format!("`{}{k}`", self.prefix))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Diagnostic::warning(self.unknown, format!("unknown annotation `{key}`")).with_help(help)
    }
}

/// The JSON pointer of annotation `key` of resource `resource`.
pub(crate) fn annotation_pointer(resource: &str, key: &str) -> String {
    format!(
        "{}/metadata/annotations/{}",
        score_spec::model::pointer::resource(resource),
        escape_pointer_token(key)
    )
}

/// The value and span of annotation `key` on a resource's metadata.
pub(crate) fn resource_annotation<'a>(
    metadata: Option<&'a Node>,
    key: &str,
) -> Option<(&'a Node, Span)> {
    resource_annotations(metadata)
        .iter()
        .find(|e| e.key == key)
        .map(|e| (&e.value, e.key_span))
}

/// True when one of the provisioner's templates names `key`.
pub(crate) fn reads(provisioner: &Provisioner, key: &str) -> bool {
    provisioner
        .templates()
        .any(|(_, template)| template.source.contains(key))
}

/// The provisioner that handled each resource, looked up by uri among those consulted.
pub(crate) fn matched<'a>(
    graph: &ResourceGraph,
    uris: &[String],
    consulted: &[&'a Provisioner],
) -> Vec<Option<&'a Provisioner>> {
    graph
        .nodes
        .iter()
        .zip(uris)
        .map(|(node, uri)| {
            consulted
                .iter()
                .find(|p| p.uri == *uri && p.matches(&node.r#type, &node.class, node.id.as_deref()))
                .copied()
        })
        .collect()
}
