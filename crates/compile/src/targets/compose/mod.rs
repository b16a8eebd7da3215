//! Compile workloads to one self-contained Docker Compose file.
//!
//! Every container becomes a service `<workload>-<container>`. The first container that runs
//! for the workload's lifetime owns the network (`hostname: <workload>`, so other workloads
//! reach it by the workload name, as in Kubernetes) and the others join it
//! (`network_mode: service:…`), like containers of a pod. Files become top-level `configs` with
//! inline content, so nothing needs to be written beside the Compose file. Resources are
//! provisioned by the first matching provisioner (the caller's, then the
//! [built-in ones](crate::builtin_provisioners)), whose services, volumes,
//! networks and configs are added; every workload service waits for the provisioned services
//! of the resources it uses (`depends_on` with a condition).

mod annotations;
mod build;
mod envfile;
mod publish;
mod workload;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::{Workload, model::pointer};
use serde_json::{Map, Value};

pub use build::Build;
pub use envfile::{MergedEnvFile, merge_env_file};

use crate::files::{NoSourceFiles, SourceFiles};
use crate::pipeline::{self, Prepared, Provisioning};
use crate::placeholders::EnvironmentSource;
use crate::provisioners::{
    self, CommandFields, CommandRunner, ENVIRONMENT_PROVISIONER, ExternalWorkloads,
    NoCommandRunner, Provisioner, TargetContext,
};
use crate::resources::{ResourceGraph, location};
use crate::seed::Seed;
use crate::target::Converter;
use crate::targets::{ResourceReport, find_string, provisioned_reports, workload_services};
use crate::{Compiled, TargetKind};

/// The label that marks a provisioned service as a one-off job: workloads wait for it to
/// complete, not just to start.
pub const INIT_LABEL: &str = "dev.score-rs.init";

/// The name (after `<workload>-`) of the service that forwards service ports to differing
/// target ports, as a Kubernetes Service would.
pub(crate) const PORT_PROXY: &str = "port-proxy";

/// The image of that proxy: the nginx the route provisioner runs too.
pub(crate) const PORT_PROXY_IMAGE: &str = "nginx:1.27-alpine";

/// How to compile. Start from [`Options::default`] and set the fields that differ:
///
/// ```
/// use score_compile::compose;
///
/// let mut options = compose::Options::default();
/// options.project = Some("shop".to_owned());
/// options.publish = vec!["8080:web:80".parse().unwrap()];
/// # let _ = options;
/// ```
#[non_exhaustive]
pub struct Options<'a> {
    /// The Compose project name (`name:`); omitted when `None`, so Compose uses the directory.
    pub project: Option<String>,
    /// Replaces `image: "."`.
    pub image: Option<String>,
    /// Containers whose image Compose builds (`build:` in their service, no `image`), such
    /// as `"web=./src".parse()` (see [`Build`]); a container named here needs no image, and
    /// its `image`, `"."` or not, is not used. Each must name exactly one container of the
    /// workloads compiled.
    pub build: Vec<Build>,
    /// Drives every generated password.
    pub seed: Seed,
    /// Consulted before the built-in provisioners, in order.
    pub provisioners: Vec<Provisioner>,
    /// Reads `files[].source`.
    pub files: &'a dyn SourceFiles,
    /// Runs the programs of command provisioners (`cmd://`) in `provisioners`; the default
    /// refuses, so a compile with one fails saying a runner is needed.
    pub commands: &'a dyn CommandRunner,
    /// Ports to publish on the host.
    pub publish: Vec<Publish>,
    /// The host port the routes' proxy (`score-routing`) listens on; templates see it as
    /// `route_port`.
    pub route_port: u16,
    /// What a `service` or `service-port` resource naming a workload that is not compiled
    /// along gets: by default ([`ExternalWorkloads::Assume`]) the host name that workload
    /// would get, with a warning; [`ExternalWorkloads::Deny`] makes it an error.
    pub external_workloads: ExternalWorkloads,
}

/// The host port of the routes' proxy unless `Options::route_port` says otherwise.
pub const DEFAULT_ROUTE_PORT: u16 = 8080;

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            project: None,
            image: None,
            build: Vec::new(),
            seed: Seed::default(),
            provisioners: Vec::new(),
            files: &NoSourceFiles,
            commands: &NoCommandRunner,
            publish: Vec::new(),
            route_port: DEFAULT_ROUTE_PORT,
            external_workloads: ExternalWorkloads::Assume,
        }
    }
}

/// `--publish HOST:WORKLOAD:PORT`: publish a workload's container port on a host port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// The port on the host.
    pub host_port: u16,
    /// The workload whose port it is (its name); it must be compiled along.
    pub workload: String,
    /// The container port the host port forwards to.
    pub port: u16,
}

impl FromStr for Publish {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let [host, workload, port] = parts.as_slice() else {
            return Err(format!(
                "`{s}` is not HOST_PORT:WORKLOAD:PORT (e.g. 8080:web:80)"
            ));
        };
        let number = |what: &str, text: &str| {
            text.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("`{text}` is not a {what} port number (1-65535) in `{s}`"))
        };
        if workload.is_empty() {
            return Err(format!(
                "`{s}` names no workload; write HOST_PORT:WORKLOAD:PORT"
            ));
        }
        Ok(Publish {
            host_port: number("host", host)?,
            workload: (*workload).to_owned(),
            port: number("container", port)?,
        })
    }
}

impl fmt::Display for Publish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.host_port, self.workload, self.port)
    }
}

/// A compiled Compose file, the environment variables it expects, and the warnings found.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Output {
    /// The Compose file, as data.
    pub compose: Value,
    /// Names of the variables `environment` resources read, sorted.
    pub environment: Vec<String>,
    /// Problems that did not stop the compile.
    pub warnings: Diagnostics,
    /// What became of each resource, in provisioning order.
    pub resources: Vec<ResourceReport>,
}

impl Output {
    /// The Compose file as YAML.
    pub fn to_yaml(&self) -> String {
        crate::yaml::to_yaml(&self.compose)
    }

    /// An env file listing every expected variable with an empty value (`KEY=`), sorted.
    pub fn env_file(&self) -> String {
        env_file(&self.environment)
    }
}

/// An env file listing `variables` (sorted names) with empty values, one `KEY=` a line. To
/// add them to a file that exists, keeping its values, use [`merge_env_file`].
pub fn env_file(variables: &[String]) -> String {
    variables.iter().map(|k| format!("{k}=\n")).collect()
}

/// Compiles `workloads` together into one Compose file. The order of `workloads` does not
/// matter.
pub fn compile(workloads: &[Workload], options: &Options) -> Result<Output, Diagnostics> {
    let Prepared {
        workloads,
        names: builds,
        graph,
        consulted,
        seed,
        provisioned,
    } = pipeline::prepare(workloads, options)?;
    let (mut sections, services_of_resource) = provisioned_sections(&provisioned);
    let (errors, read): (Vec<_>, Vec<_>) = annotations::apply(
        &workloads,
        &graph,
        &provisioned,
        &consulted,
        &mut sections,
        &services_of_resource,
    )
    .into_iter()
    .partition(Diagnostic::is_error);
    let (mut diagnostics, mut warnings) = (Diagnostics(errors), Diagnostics(read));
    let no_services = Map::new();
    diagnostics.extend(publish::check(
        &options.publish,
        &workloads,
        &publish::Provisioned {
            services: sections.get("services").unwrap_or(&no_services),
            of_resource: &services_of_resource,
            graph: &graph,
        },
    ));
    let environment: Vec<Option<EnvironmentSource>> = graph
        .nodes
        .iter()
        .zip(&provisioned.provisioners)
        .map(|(n, uri)| {
            (n.r#type == "environment" && uri == ENVIRONMENT_PROVISIONER)
                .then_some(EnvironmentSource::Variables)
        })
        .collect();

    warnings.extend(provisioned.warnings.clone());
    let mut used_variables = BTreeSet::new();
    for (i, w) in workloads.iter().enumerate() {
        // Before this workload's services are added: `services` holds what provisioners
        // made (and earlier workloads', which no resource names).
        let services = sections.get("services").unwrap_or(&no_services);
        let waits = waits(w, i, &graph, &services_of_resource, services);
        let convert = workload::Convert {
            workload: w,
            index: i,
            graph: &graph,
            provisioned: &provisioned,
            environment: &environment,
            image: options.image.as_deref(),
            builds: build::of_workload(&builds, i),
            files: options.files,
            waits: &waits,
            publish: options
                .publish
                .iter()
                .filter(|p| p.workload == w.name())
                .collect(),
        };
        let converted = convert.run();
        for d in converted.diagnostics {
            if d.is_error() {
                diagnostics.push(d);
            } else {
                warnings.push(d);
            }
        }
        used_variables.extend(converted.variables);
        add_services(
            &mut sections,
            converted.services,
            w,
            &services_of_resource,
            &mut diagnostics,
        );
        for (name, config) in converted.configs {
            sections.entry("configs").or_default().insert(name, config);
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    Ok(Output {
        compose: assemble(options, sections)?,
        environment: used_variables.into_iter().collect(),
        warnings: warnings.sorted(),
        resources: provisioned_reports(&graph, &workloads, &provisioned, &seed, true),
    })
}

/// Adds a workload's services; one whose name a provisioner or another workload took is an
/// error.
fn add_services(
    sections: &mut Sections,
    services: impl IntoIterator<Item = (String, Value)>,
    w: &Workload,
    services_of_resource: &[Vec<String>],
    diagnostics: &mut Diagnostics,
) {
    for (name, service) in services {
        if sections
            .get("services")
            .is_some_and(|s| s.contains_key(&name))
        {
            let by_provisioner = services_of_resource.iter().flatten().any(|s| *s == name);
            diagnostics.push(service_clash(w, &name, by_provisioner));
        }
        sections
            .entry("services")
            .or_default()
            .insert(name, service);
    }
}

/// Workload `w` makes service `name`, which a provisioner or another workload made already.
fn service_clash(w: &Workload, name: &str, by_provisioner: bool) -> Diagnostic {
    let other = if by_provisioner {
        "a provisioner"
    } else {
        "another workload"
    };
    Diagnostic::error(
        "score::compose::service-name",
        format!(
            "workload `{}` makes service `{name}`, which {other} also makes",
            w.name()
        ),
    )
    .at("/metadata/name", w.metadata.name.span)
    .with_help("rename the workload or the container")
    .with_source(&w.source)
}

/// The top-level sections of the Compose file (`services`, `volumes`, …), by name.
type Sections = BTreeMap<&'static str, Map<String, Value>>;

/// The provisioned sections, in provisioning order (a later definition of a name replaces an
/// earlier one: shared infrastructure is re-rendered with everything accumulated), and the
/// names of the services each resource made.
fn provisioned_sections(provisioned: &provisioners::Provisioned) -> (Sections, Vec<Vec<String>>) {
    let mut sections = Sections::new();
    let mut services_of_resource: Vec<Vec<String>> = vec![Vec::new(); provisioned.sections.len()];
    for (i, fragments) in provisioned.sections.iter().enumerate() {
        for section in ["services", "volumes", "networks", "configs"] {
            if let Some(Value::Object(entries)) = fragments.get(section) {
                for (name, definition) in entries {
                    if section == "services" {
                        services_of_resource[i].push(name.clone());
                    }
                    sections
                        .entry(section)
                        .or_default()
                        .insert(name.clone(), definition.clone());
                }
            }
        }
    }
    (sections, services_of_resource)
}

/// `<workload>-<container>` must be unique across workloads.
fn check_service_names(workloads: &[&Workload]) -> Result<(), Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    let mut owners: BTreeMap<String, (usize, &str)> = BTreeMap::new();
    for (i, w) in workloads.iter().enumerate() {
        for (container, c) in &w.containers {
            let name = workload::service_name(w, container);
            if let Some((j, other)) = owners.insert(name.clone(), (i, container)) {
                let o = workloads[j];
                diagnostics.push(
                    Diagnostic::error(
                        "score::compose::service-name",
                        format!("container `{container}` of workload `{}` and container `{other}` of workload `{}` would both be Compose service `{name}`", w.name(), o.name()),
                    )
                    .at(pointer::container(container), c.name_span)
                    .with_help(format!("rename one of the containers or workloads; the other is at {}", location(o, o.containers[other].name_span)))
                    .with_source(&w.source),
                );
            }
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    Ok(())
}

impl Converter for Options<'_> {
    fn convert(&self, workloads: &[Workload]) -> Result<Compiled, Diagnostics> {
        let out = compile(workloads, self)?;
        let text = out.to_yaml();
        let mut compiled = Compiled::single(
            TargetKind::Compose,
            vec![out.compose],
            text,
            out.warnings,
            out.resources,
        );
        compiled.environment = out.environment;
        Ok(compiled)
    }
}

/// What Compose reads of command provisioners' output: score-compose's fields.
const COMMAND_FIELDS: CommandFields = CommandFields {
    target: "compose",
    sections: &[
        ("compose_services", "services"),
        ("compose_volumes", "volumes"),
        ("compose_networks", "networks"),
    ],
    ignored: &[
        (
            "relative_directories",
            "score-rs writes no directories beside its output",
        ),
        (
            "relative_file_contents",
            "score-rs writes no files beside its output",
        ),
        ("compose_models", "Compose models are not supported"),
    ],
};

impl Provisioning for Options<'_> {
    /// The `--build` flags matched to their containers.
    type Names<'o>
        = Vec<build::Resolved<'o>>
    where
        Self: 'o;
    const KIND: TargetKind = TargetKind::Compose;
    const ACCEPTS: &'static [&'static str] = &["services", "volumes", "networks", "configs"];

    fn names<'o>(&'o self, workloads: &[&Workload]) -> Result<Self::Names<'o>, Diagnostics> {
        check_service_names(workloads)?;
        build::resolve(&self.build, workloads).map_err(Diagnostics)
    }

    fn check(&self, workloads: &[&Workload], graph: &ResourceGraph) -> Result<(), Diagnostics> {
        let invalid = annotations::check_values(workloads, graph);
        if invalid.has_errors() {
            return Err(invalid.sorted());
        }
        Ok(())
    }

    fn context<'o>(
        &'o self,
        workloads: &[&Workload],
        _: &Self::Names<'o>,
    ) -> Result<TargetContext, Diagnostics> {
        Ok(TargetContext {
            command_fields: COMMAND_FIELDS,
            command_input: Map::from_iter([(
                "compose_project_name".to_owned(),
                self.project.clone().unwrap_or_default().into(),
            )]),
            compose_project: self.project.clone(),
            route_port: Some(self.route_port),
            workload_services: workload_services(workloads, |w| Ok(w.name().to_owned()))
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

/// What the services of workload `w` (index `i`) wait for: the services of its resources,
/// each with the condition that says it is ready.
fn waits(
    w: &Workload,
    i: usize,
    graph: &ResourceGraph,
    services_of_resource: &[Vec<String>],
    services: &Map<String, Value>,
) -> BTreeMap<String, &'static str> {
    let mut waits = BTreeMap::new();
    for name in w.resources.keys() {
        let Some(r) = graph.index(i, name) else {
            continue;
        };
        for service in &services_of_resource[r] {
            let definition = &services[service];
            let condition = if definition
                .get("healthcheck")
                .is_some_and(|h| h.get("disable") != Some(&Value::Bool(true)))
            {
                "service_healthy"
            } else if definition
                .get("labels")
                .and_then(|labels| labels.get(INIT_LABEL))
                .is_some()
            {
                "service_completed_successfully"
            } else {
                "service_started"
            };
            waits.insert(service.clone(), condition);
        }
    }
    waits
}

/// The Compose file from its sections; an error if a secret or environment marker is left.
fn assemble(options: &Options, sections: Sections) -> Result<Value, Diagnostics> {
    let mut compose = Map::new();
    if let Some(project) = &options.project {
        compose.insert("name".into(), project.clone().into());
    }
    for (section, entries) in sections {
        if !entries.is_empty() {
            compose.insert(section.to_owned(), Value::Object(entries));
        }
    }
    let compose = Value::Object(compose);
    let unresolvable = |s: &str| {
        crate::secrets::contains_secret(s) || crate::placeholders::contains_environment(s)
    };
    if let Some(path) = find_string(&compose, &unresolvable) {
        return Err(Diagnostics(vec![Diagnostic::error(
            "score::secret::misplaced",
            format!("a secret reference or environment variable would be written at `{path}` of the Compose file, where it cannot be resolved"),
        )
        .with_help("Compose has no secret store: a provisioner for the compose target outputs values, not `secret_ref(…)`; `${resources.ENV.KEY}` of an `environment` resource works in `variables` and file contents only")]));
    }
    Ok(compose)
}

/// Doubles every `$`, so Compose's interpolation leaves the text as written.
pub fn escape_interpolation(text: &str) -> String {
    text.replace('$', "$$")
}
