//! The steps every target shares, run once, in one place: order the workloads, let the target
//! name things, build the resource graph, let the target check what needs the graph, then
//! provision every resource and refuse what the target cannot write.
//!
//! A target describes itself through [`Provisioning`] (its names, its checks, the context
//! templates see, the provisioners it consults and the sections it writes) and gets back a
//! [`Prepared`] compile, which it converts into its documents. The Backstage catalog needs
//! only the first steps ([`order`], then [`ResourceGraph::build`]).
//!
//! Invariants: the workloads are sorted by name (their given order never matters); a
//! [`Prepared`] compile has every resource provisioned, and no resource's provisioner rendered
//! a section the target does not write.

use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::{Workload, model::pointer};

use crate::TargetKind;
use crate::provisioners::{self, CommandRunner, Provisioned, Provisioner, TargetContext};
use crate::resources::{ResourceGraph, location};
use crate::seed::Seed;

/// What a provisioning target tells the pipeline about itself.
pub(crate) trait Provisioning {
    /// What the target derives from the workloads before the graph is built (its names for
    /// them), borrowing from the target's options at most.
    type Names<'o>
    where
        Self: 'o;

    /// Which target this is: names it in messages, and chooses its built-in provisioners (its
    /// section of the catalogue).
    const KIND: TargetKind;

    /// The sections of a provisioner's output this target writes (`manifests`, or Compose's
    /// top-level sections); a provisioner that renders another is refused.
    const ACCEPTS: &'static [&'static str];

    /// Names the workloads (in order) or says why they cannot be named on this target.
    fn names<'o>(&'o self, workloads: &[&Workload]) -> Result<Self::Names<'o>, Diagnostics>;

    /// Checks what needs the resource graph, before anything is provisioned.
    fn check(&self, _workloads: &[&Workload], _graph: &ResourceGraph) -> Result<(), Diagnostics> {
        Ok(())
    }

    /// What templates and command provisioners learn about the target.
    fn context<'o>(
        &'o self,
        workloads: &[&Workload],
        names: &Self::Names<'o>,
    ) -> Result<TargetContext, Diagnostics>;

    /// The caller's provisioners, consulted first.
    fn provisioners(&self) -> &[Provisioner];

    /// Drives every generated value.
    fn seed(&self) -> &Seed;

    /// Runs command provisioners' programs.
    fn commands(&self) -> &dyn CommandRunner;
}

/// A compile after the shared steps: what a target converts into its documents.
pub(crate) struct Prepared<'w, 'o, N> {
    /// The workloads, sorted by name.
    pub workloads: Vec<&'w Workload>,
    /// The target's names for them.
    pub names: N,
    /// Every resource, shared ones once, in provisioning order.
    pub graph: ResourceGraph,
    /// The provisioners consulted, in match order: the caller's, then the built-in ones.
    pub consulted: Vec<&'o Provisioner>,
    /// The seed that drove provisioning, which remembers what it drew as secrets.
    pub seed: Seed,
    /// What each resource's provisioner produced.
    pub provisioned: Provisioned,
}

/// Runs the shared steps for `target`.
pub(crate) fn prepare<'w, 'o, T: Provisioning>(
    workloads: &'w [Workload],
    target: &'o T,
) -> Result<Prepared<'w, 'o, T::Names<'o>>, Diagnostics> {
    let workloads = order(workloads)?;
    let names = target.names(&workloads)?;
    let graph = ResourceGraph::build(&workloads)?;
    target.check(&workloads, &graph)?;
    let context = target.context(&workloads, &names)?;
    let consulted: Vec<&Provisioner> = target
        .provisioners()
        .iter()
        .chain(provisioners::builtin(T::KIND))
        .collect();
    // Tracking what `random()` draws tells `score resources` which outputs are secret.
    let seed = target.seed().tracking();
    let provisioned = provisioners::provision(
        &workloads,
        &graph,
        &consulted,
        &context,
        &seed,
        target.commands(),
    )?;
    let refused = refused_sections::<T>(&provisioned, &graph, &workloads);
    if refused.has_errors() {
        return Err(refused.sorted());
    }
    Ok(Prepared {
        workloads,
        names,
        graph,
        consulted,
        seed,
        provisioned,
    })
}

/// The workloads sorted by name, so that nothing depends on the order they were given in;
/// two workloads with one name are an error.
pub(crate) fn order(workloads: &[Workload]) -> Result<Vec<&Workload>, Diagnostics> {
    let mut sorted: Vec<&Workload> = workloads.iter().collect();
    sorted.sort_by(|a, b| {
        a.name()
            .cmp(b.name())
            .then_with(|| a.source.name().cmp(b.source.name()))
    });
    let mut diagnostics = Diagnostics::new();
    for pair in sorted.windows(2) {
        if pair[0].name() == pair[1].name() {
            let (first, second) = (pair[0], pair[1]);
            diagnostics.push(
                Diagnostic::error(
                    "score::workload::duplicate",
                    format!("two workloads are named `{}`", second.name()),
                )
                .at("/metadata/name", second.metadata.name.span)
                .with_help(format!(
                    "the other is at {}; workloads compiled together need distinct names",
                    location(first, first.metadata.name.span)
                ))
                .with_source(&second.source),
            );
        }
    }
    if diagnostics.is_empty() {
        Ok(sorted)
    } else {
        Err(diagnostics)
    }
}

/// An error for each resource whose provisioner rendered a section `T` does not write.
fn refused_sections<T: Provisioning>(
    provisioned: &Provisioned,
    graph: &ResourceGraph,
    workloads: &[&Workload],
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    for (i, uri) in provisioned.provisioners.iter().enumerate() {
        if let Some(section) = provisioned.sections[i]
            .keys()
            .map(String::as_str)
            .find(|s| !T::ACCEPTS.contains(s))
        {
            diagnostics.push(wrong_target::<T>(graph, i, workloads, uri, section));
        }
    }
    diagnostics
}

/// A provisioner that renders `section`, which target `T` does not write.
fn wrong_target<T: Provisioning>(
    graph: &ResourceGraph,
    index: usize,
    workloads: &[&Workload],
    uri: &str,
    section: &str,
) -> Diagnostic {
    let node = &graph.nodes[index];
    let first = node.first();
    let w = workloads[first.workload];
    let r = &w.resources[&first.name];
    let target = T::KIND.name();
    let expected = match T::ACCEPTS {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    };
    Diagnostic::error(
        "score::provisioner::wrong-target",
        format!(
            "resource `{}` is provisioned by `{uri}`, which renders `{section}`: that is not for the {target} target",
            first.name
        ),
    )
    .at(pointer::resource(&first.name), r.name_span)
    .with_help(format!("a provisioner for the {target} target renders `{expected}`; pass a provisioner file written for it"))
    .with_source(&w.source)
}
