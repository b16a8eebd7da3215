#![warn(missing_docs)]
//! Compiles validated Score workloads into deployable outputs.
//!
//! One entry point, [`compile`], takes the workloads and a [`Target`] (the target with its
//! options) and returns [`Compiled`]: the documents as data and as the text `score compile`
//! writes, the warnings, and a [`ResourceReport`] per resource. [`compile_sources`] parses
//! texts first. Each target also has a module of its own ([`kubernetes`], [`compose`],
//! [`backstage`]) whose `compile` returns that target's richer output.
//!
//! The pipeline, for a set of workloads compiled together (the shared steps run once, then
//! the target converts):
//!
//! 1. workloads are sorted by name, the target names them, and every resource gets a uid;
//!    resources with the same uid are shared; the references between their params decide the
//!    provisioning order;
//! 2. each resource is provisioned by the first matching [`Provisioner`] (the caller's, from
//!    [`parse_provisioners`], then the [built-in ones](builtin_provisioners)): minijinja
//!    templates, or a program run through the caller's [`CommandRunner`], giving its outputs
//!    and the manifests that back it;
//! 3. `${…}` in variables, files and volumes are substituted from the workload's metadata and
//!    the resources' outputs (`files[].source` read through the caller's [`SourceFiles`])
//!    into typed values: text, secret references and environment variables, so a secret is
//!    never written as text by mistake;
//! 4. a target ([`kubernetes`], [`compose`]) turns workloads and resource manifests into
//!    output.
//!
//! The Backstage target ([`backstage`]) needs only step 1: a catalog describes workloads and
//! the resources they use, not how they are provisioned.
//!
//! The library does no I/O: files and programs are reached only through the [`SourceFiles`]
//! and [`CommandRunner`] the caller passes (by default, [`NoSourceFiles`] and
//! [`NoCommandRunner`] refuse). Generated values come from a [`Seed`]; the same inputs and
//! seed give byte-identical output.
//!
//! ```
//! use score_compile::kubernetes;
//!
//! let text = "\
//! apiVersion: score.dev/v1b1
//! metadata:
//!   name: web
//! containers:
//!   web:
//!     image: nginx:1.27
//!     variables:
//!       DB_HOST: ${resources.db.host}
//!       DB_PASSWORD: ${resources.db.password}
//! resources:
//!   db:
//!     type: postgres
//! ";
//! let workload = score_spec::parse_workload(text, "score.yaml").unwrap().workload;
//! let output = kubernetes::compile(&[workload], &kubernetes::Options::default()).unwrap();
//! let yaml = output.to_yaml();
//! assert!(yaml.contains("kind: Deployment"));
//! // The password is a reference to the Secret the postgres provisioner created.
//! assert!(yaml.contains("secretKeyRef:"));
//! ```

#[cfg(doctest)]
mod boundary;
mod dns;
mod files;
mod pipeline;
mod placeholders;
mod provisioners;
mod resources;
mod secrets;
mod seed;
mod target;
mod targets;
mod yaml;

use score_spec::{Diagnostics, ParseOptions, SourceFile, Workload};
use serde_json::Value;

// The public surface: everything an embedder names is re-exported here, once. The modules
// themselves are private, so what is not listed here (or inside a target module) is free to
// change. `tests/public_api.rs` uses each of these, so removing one fails to compile.
pub use files::{NoSourceFiles, SourceFiles};
pub use provisioners::{
    Command, CommandError, CommandOutput, CommandRunner, ExternalWorkloads, NoCommandRunner,
    PROVISIONERS_SCHEMA, Program, Provisioner, builtin as builtin_provisioners, parse_provisioners,
};
pub use seed::{DEFAULT_SEED, Seed};
pub use targets::{Declarer, ResourceReport};

// The registry: one entry per target (see `target`).
target::targets! {
    /// Kubernetes manifests.
    Kubernetes(kubernetes::Options<'a>) = "kubernetes" ["k8s"]
        "Kubernetes manifests (multi-document YAML). `k8s` is accepted too", "manifests.yaml";
    /// One Docker Compose file.
    Compose(compose::Options<'a>) = "compose" []
        "One Docker Compose file", "compose.yaml";
    /// Backstage catalog entities.
    Backstage(backstage::Options) = "backstage" []
        "Backstage catalog entities (a `catalog-info.yaml`)", "catalog-info.yaml";
}

/// The result of [`compile`]: the documents as data and as text, and what was learnt on the
/// way.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Compiled {
    /// The output documents: manifests, the one Compose file, or catalog entities.
    pub documents: Vec<Value>,
    /// The documents as YAML, exactly as `score compile` writes them.
    pub text: String,
    /// The files of the output, by name: today one, the target's conventional file
    /// ([`TargetKind::default_output`]) holding `text`.
    pub files: Vec<OutputFile>,
    /// Problems that did not stop the compile.
    pub warnings: Diagnostics,
    /// What became of each resource, in provisioning order.
    pub resources: Vec<ResourceReport>,
    /// Compose only: the variables `environment` resources read, sorted.
    pub environment: Vec<String>,
}

/// One named file of a compile's output.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutputFile {
    /// Its name, relative to where the output goes (`manifests.yaml`).
    pub name: String,
    /// Its content.
    pub text: String,
}

impl Compiled {
    /// A compile's result for `kind` whose output is the one file `text`.
    pub(crate) fn single(
        kind: TargetKind,
        documents: Vec<Value>,
        text: String,
        warnings: Diagnostics,
        resources: Vec<ResourceReport>,
    ) -> Self {
        Compiled {
            files: vec![OutputFile {
                name: kind.default_output().to_owned(),
                text: text.clone(),
            }],
            documents,
            text,
            warnings,
            resources,
            environment: Vec::new(),
        }
    }
}

/// Compiles `workloads` together for `target`: one call for any target, for tools that embed
/// the compiler. Errors are every problem found, each with its file, line and column.
///
/// ```
/// use score_compile::{Target, compile, kubernetes};
///
/// let web = score_spec::parse_workload(
///     "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: nginx:1.27\n",
///     "score.yaml",
/// )
/// .unwrap()
/// .workload;
/// let compiled = compile(&[web], &Target::Kubernetes(kubernetes::Options::default())).unwrap();
/// assert_eq!(compiled.documents[0]["kind"], "Deployment");
/// assert!(compiled.text.starts_with("---\napiVersion: apps/v1\n"));
/// ```
pub fn compile(workloads: &[Workload], target: &Target) -> Result<Compiled, Diagnostics> {
    target.converter().convert(workloads)
}

/// Parses every source, then compiles them together: [`compile`] for texts. Every file's
/// problems are reported at once, before anything is compiled; warnings from parsing join the
/// compile's.
///
/// ```
/// use score_compile::{Target, backstage, compile_sources};
/// use score_spec::SourceFile;
///
/// let sources = [SourceFile::new(
///     "web/score.yaml",
///     "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: nginx\nresources:\n  db:\n    type: postgres\n",
/// )];
/// let catalog = compile_sources(&sources, &Target::Backstage(backstage::Options::default())).unwrap();
/// assert_eq!(catalog.documents.len(), 2); // the Component and its database
///
/// let broken = [SourceFile::new("web/score.yaml", "apiVersion: score.dev/v1b1\nmetadata: {}\n")];
/// let problems = compile_sources(&broken, &Target::Backstage(backstage::Options::default())).unwrap_err();
/// assert!(problems.iter().all(|d| d.file() == Some("web/score.yaml")));
/// ```
pub fn compile_sources(sources: &[SourceFile], target: &Target) -> Result<Compiled, Diagnostics> {
    let mut problems = Diagnostics::new();
    let mut workloads = Vec::with_capacity(sources.len());
    for source in sources {
        match score_spec::parse_workload_with(source.clone(), &ParseOptions::default()) {
            Ok(parsed) => {
                problems.extend(parsed.warnings);
                workloads.push(parsed.workload);
            }
            Err(diagnostics) => problems.extend(diagnostics),
        }
    }
    if problems.has_errors() {
        return Err(problems);
    }
    let mut compiled = compile(&workloads, target)?;
    problems.extend(compiled.warnings);
    compiled.warnings = problems.sorted();
    Ok(compiled)
}
