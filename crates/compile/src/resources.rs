//! The resource graph: every resource of every workload compiled together, identified by uid,
//! in the order they must be provisioned.
//!
//! A resource's uid is `type.class#workload.name`, or `type.class#id` when it has an `id`; an
//! omitted class is `default`. Resources with the same uid are one resource, declared several
//! times: their params and metadata must agree. Params may refer to other resources of the
//! same workload (`${resources.dns.host}`), which orders provisioning.

use std::collections::HashMap;

use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::model::{Resource, pointer};
use score_spec::placeholders;
use score_spec::{Node, Span, Workload};

/// Where a resource is declared: a workload (index into the compiled workloads) and the
/// resource's name in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Declaration {
    /// The declaring workload, as its index in the workloads the graph was built from
    /// (sorted by name).
    pub workload: usize,
    /// The resource's name in that workload: its key under `resources`.
    pub name: String,
}

/// One resource, possibly declared by several workloads.
#[derive(Clone, Debug)]
pub struct ResourceNode {
    /// The resource's identity, `type.class#workload.name` or `type.class#id`: every
    /// declaration with this uid is this resource.
    pub uid: String,
    /// The resource type (`postgres`), which picks its provisioner.
    pub r#type: String,
    /// The class, `default` when none is declared; provisioners may match on it.
    pub class: String,
    /// The `id` that lets several workloads share the resource, if it has one.
    pub id: Option<String>,
    /// Every declaration, the first one (by workload name) first. Params and metadata are
    /// read from the first; placeholders in them resolve in the first one's workload.
    pub declarations: Vec<Declaration>,
    /// The resources (indices into [`ResourceGraph::nodes`]) the first declaration's params
    /// refer to, in ascending order; all of them come before this one.
    pub depends_on: Vec<usize>,
}

impl ResourceNode {
    /// The first declaration (by workload name): the one whose params and metadata are used.
    pub fn first(&self) -> &Declaration {
        &self.declarations[0]
    }
}

/// All resources of a set of workloads.
#[derive(Debug, Default)]
pub struct ResourceGraph {
    /// In provisioning order: every resource after the resources its params refer to.
    pub nodes: Vec<ResourceNode>,
    by_declaration: HashMap<Declaration, usize>,
}

impl ResourceGraph {
    /// The resource a workload's resource name stands for.
    pub fn get(&self, workload: usize, name: &str) -> Option<&ResourceNode> {
        self.index(workload, name).map(|i| &self.nodes[i])
    }

    /// The position in [`ResourceGraph::nodes`] of the resource a workload's resource name
    /// stands for.
    pub fn index(&self, workload: usize, name: &str) -> Option<usize> {
        self.by_declaration
            .get(&Declaration {
                workload,
                name: name.to_owned(),
            })
            .copied()
    }

    /// Builds the graph. `workloads` must already be in their canonical order (by name), which
    /// decides which declaration of a shared resource comes first.
    pub fn build(workloads: &[&Workload]) -> Result<ResourceGraph, Diagnostics> {
        let mut diagnostics = Diagnostics::new();
        let mut nodes: Vec<ResourceNode> = Vec::new();
        let mut index_of_uid: HashMap<String, usize> = HashMap::new();
        let mut by_declaration = HashMap::new();
        for (w, workload) in workloads.iter().enumerate() {
            for (name, resource) in &workload.resources {
                let uid = uid(workload.name(), name, resource);
                let declaration = Declaration {
                    workload: w,
                    name: name.clone(),
                };
                let index = match index_of_uid.get(&uid) {
                    Some(&i) => {
                        let first = nodes[i].first().clone();
                        let first_resource = &workloads[first.workload].resources[&first.name];
                        diagnostics.extend(conflicts(
                            &uid,
                            (workload, name, resource),
                            (workloads[first.workload], &first.name, first_resource),
                        ));
                        nodes[i].declarations.push(declaration.clone());
                        i
                    }
                    None => {
                        index_of_uid.insert(uid.clone(), nodes.len());
                        nodes.push(ResourceNode {
                            uid,
                            r#type: resource.r#type.value.clone(),
                            class: resource.class_or_default().to_owned(),
                            id: resource.id.as_ref().map(|i| i.value.clone()),
                            declarations: vec![declaration.clone()],
                            depends_on: Vec::new(),
                        });
                        nodes.len() - 1
                    }
                };
                by_declaration.insert(declaration, index);
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }

        // Edges from each resource to the resources its params (as first declared) refer to.
        let edges: Vec<Vec<usize>> = nodes
            .iter()
            .map(|node| {
                let first = node.first();
                let workload = &workloads[first.workload];
                let mut targets: Vec<usize> =
                    referenced_resources(&workload.resources[&first.name])
                        .iter()
                        .filter_map(|name| {
                            by_declaration
                                .get(&Declaration {
                                    workload: first.workload,
                                    name: name.clone(),
                                })
                                .copied()
                        })
                        .collect();
                targets.sort_unstable();
                targets.dedup();
                targets
            })
            .collect();
        let Some(order) = score_spec::graph::dependency_order(&edges) else {
            for cycle in score_spec::graph::cycles(&edges) {
                diagnostics.push(cycle_error(&cycle, &nodes, workloads));
            }
            return Err(diagnostics);
        };
        let mut position = vec![0; nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            position[old] = new;
        }
        let mut ordered: Vec<Option<ResourceNode>> = nodes.into_iter().map(Some).collect();
        let nodes = order
            .iter()
            .map(|&old| {
                let mut node = ordered[old].take().expect("each index once");
                node.depends_on = edges[old].iter().map(|&t| position[t]).collect();
                node.depends_on.sort_unstable();
                node
            })
            .collect();
        let by_declaration = by_declaration
            .into_iter()
            .map(|(d, i)| (d, position[i]))
            .collect();
        Ok(ResourceGraph {
            nodes,
            by_declaration,
        })
    }
}

/// `type.class#workload.name`, or `type.class#id` for a resource with an `id`.
pub fn uid(workload: &str, name: &str, resource: &Resource) -> String {
    let class = resource.class_or_default();
    match &resource.id {
        Some(id) => format!("{}.{class}#{}", *resource.r#type, **id),
        None => format!("{}.{class}#{workload}.{name}", *resource.r#type),
    }
}

/// The names of the resources a resource's params refer to, in order of appearance.
pub fn referenced_resources(resource: &Resource) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(params) = &resource.params {
        visit_strings(params, &mut |text| {
            if !placeholders::may_contain_placeholders(text) {
                return;
            }
            for p in placeholders::parse(text).placeholders() {
                if p.root() == "resources"
                    && let Some(name) = p.keys.get(1)
                {
                    names.push(name.clone());
                }
            }
        });
    }
    names
}

fn visit_strings(node: &Node, f: &mut impl FnMut(&str)) {
    use score_spec::node::Value;
    match &node.value {
        Value::String(s) => f(s),
        Value::Seq(items) => items.iter().for_each(|n| visit_strings(n, f)),
        Value::Map(entries) => entries.iter().for_each(|e| visit_strings(&e.value, f)),
        _ => {}
    }
}

fn conflicts(
    uid: &str,
    (workload, name, resource): (&Workload, &str, &Resource),
    (first_workload, first_name, first): (&Workload, &str, &Resource),
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (field, here, there) in [
        ("params", &resource.params, &first.params),
        ("metadata", &resource.metadata, &first.metadata),
    ] {
        let json = |n: &Option<Node>| n.as_ref().map(Node::to_json);
        if json(here) == json(there) {
            continue;
        }
        let pointer = format!("{}/{field}", pointer::resource(name));
        let span = workload.span_of(&pointer).unwrap_or(resource.name_span);
        let first_pointer = format!("{}/{field}", pointer::resource(first_name));
        let first_span = first_workload
            .span_of(&first_pointer)
            .unwrap_or(first.name_span);
        let mut d = Diagnostic::error(
            "score::resource::conflict",
            format!(
                "shared resource `{uid}` is declared with different {field} than in workload `{}`",
                first_workload.name()
            ),
        )
        .at(pointer, span)
        .with_label(format!("{field} here"))
        .with_help(format!(
            "a resource with an `id` is one resource for every workload that declares it, so its {field} must be identical everywhere (or absent); the first declaration is at {}",
            location(first_workload, first_span)
        ))
        .with_source(&workload.source);
        if std::ptr::eq(workload, first_workload) {
            d = d.with_related(first_span, "first declared here");
        }
        out.push(d);
    }
    out
}

fn cycle_error(cycle: &[usize], nodes: &[ResourceNode], workloads: &[&Workload]) -> Diagnostic {
    let start = &nodes[cycle[0]];
    let first = start.first();
    let workload = &workloads[first.workload];
    let names: Vec<String> = cycle
        .iter()
        .map(|&i| format!("`{}`", nodes[i].first().name))
        .collect();
    let resource = &workload.resources[&first.name];
    let pointer = format!("{}/params", pointer::resource(&first.name));
    let span = workload.span_of(&pointer).unwrap_or(resource.name_span);
    Diagnostic::error(
        "score::resources::params-cycle",
        format!("resource params refer to each other in a cycle: {}", names.join(" → ")),
    )
    .at(pointer, span)
    .with_help("a resource is provisioned after the resources its params refer to, so they cannot refer to each other in a circle; remove one of the references")
    .with_source(&workload.source)
}

/// `file:line:column` of a span, for messages about another file.
pub fn location(workload: &Workload, span: Span) -> String {
    format!("{}:{}:{}", workload.source.name(), span.line, span.column)
}
