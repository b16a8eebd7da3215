//! Running provisioners over the resource graph, in dependency order.

use score_spec::Workload;
use score_spec::diagnostics::{Diagnostic, Diagnostics};
use score_spec::model::pointer;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::commands::{self, Command, CommandError, CommandFields, CommandRunner, CommandSpec};
use super::templates;
use super::{ExternalWorkloads, HostName, Provisioner};
use super::{budget, signals};
use crate::dns::dns_label;
use crate::placeholders::Scope;
use crate::resources::{ResourceGraph, ResourceNode};
use crate::seed::{Seed, guid};

/// What the target tells provisioners about the deployment. Provisioning knows no target:
/// everything that differs between them is here.
#[derive(Clone, Debug)]
pub struct TargetContext {
    /// The fields of command provisioners' output the target reads.
    pub(crate) command_fields: CommandFields,
    /// Fields the target adds to command provisioners' input (`namespace`,
    /// `compose_project_name`).
    pub(crate) command_input: Map<String, Value>,
    /// The host name of a workload not compiled along.
    pub(crate) host_name: HostName,
    /// Kubernetes: the namespace the output is for (`--namespace`), if any.
    pub namespace: Option<String>,
    /// The Compose project name (`--project`), if any.
    pub compose_project: Option<String>,
    /// Compose: the host port of the routes' proxy (`--route-port`).
    pub route_port: Option<u16>,
    /// Every workload by name: `{service_name, ports: {NAME: {name, port, target_port, protocol}}}`.
    pub workload_services: Value,
    /// What a `service` resource naming a workload not in `workload_services` gets.
    pub external_workloads: ExternalWorkloads,
}

impl Default for TargetContext {
    fn default() -> Self {
        TargetContext {
            command_fields: CommandFields::default(),
            command_input: Map::new(),
            host_name: |name| Ok(name.to_owned()),
            namespace: None,
            compose_project: None,
            route_port: None,
            workload_services: Value::Null,
            external_workloads: ExternalWorkloads::default(),
        }
    }
}

/// The result of provisioning every resource of a graph, indexed like `graph.nodes`.
#[derive(Clone, Debug, Default)]
pub struct Provisioned {
    /// Each resource's outputs, a JSON object; secret outputs are markers
    /// ([`crate::secrets`]).
    pub outputs: Vec<Value>,
    /// What each resource's provisioner rendered for the target, by section: `manifests` (a
    /// list of objects, present only when not empty), or a Compose section (`services`,
    /// `volumes`, `networks`, `configs`: name → definition).
    pub sections: Vec<Map<String, Value>>,
    /// The uri of the provisioner that handled each resource.
    pub provisioners: Vec<String>,
    /// Problems that did not stop provisioning (unknown params of built-in provisioners,
    /// templates' warnings).
    pub warnings: Diagnostics,
}

/// Provisions every resource of `graph` with the first matching provisioner of
/// `provisioners`; `commands` runs the programs of command provisioners.
pub fn provision(
    workloads: &[&Workload],
    graph: &ResourceGraph,
    provisioners: &[&Provisioner],
    target: &TargetContext,
    seed: &Seed,
    commands: &dyn CommandRunner,
) -> Result<Provisioned, Diagnostics> {
    let count = graph.nodes.len();
    let hooks = signals::Hooks::new(target.host_name, target.external_workloads);
    let mut run = Run {
        workloads,
        graph,
        provisioners,
        target,
        commands,
        renderer: templates::Renderer::new(seed.clone(), &hooks, provisioners),
        hooks,
        services: minijinja::Value::from_serialize(&target.workload_services),
        command_services: std::cell::OnceCell::new(),
        diagnostics: Diagnostics::new(),
        outputs: vec![None; count],
        sections: vec![Map::new(); count],
        used: vec![String::new(); count],
        shared: Value::Object(Map::new()),
    };
    for (index, node) in graph.nodes.iter().enumerate() {
        run.resource(index, node);
    }
    if run.diagnostics.has_errors() {
        return Err(run.diagnostics);
    }
    let warnings = std::mem::take(&mut run.diagnostics);
    Ok(Provisioned {
        outputs: run
            .outputs
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect(),
        sections: run.sections,
        provisioners: run.used,
        warnings,
    })
}

/// The state of one provisioning run: what every resource produced so far.
struct Run<'a> {
    workloads: &'a [&'a Workload],
    graph: &'a ResourceGraph,
    provisioners: &'a [&'a Provisioner],
    target: &'a TargetContext,
    commands: &'a dyn CommandRunner,
    renderer: templates::Renderer<'a>,
    /// Where template functions' warnings are collected.
    hooks: signals::Hooks,
    /// `workload_services` for templates (reference-counted, not copied per render).
    services: minijinja::Value,
    /// Built on the first command provisioner run, then shared: most compiles have none.
    command_services: std::cell::OnceCell<Value>,
    /// Errors, and warnings.
    diagnostics: Diagnostics,
    outputs: Vec<Option<Value>>,
    sections: Vec<Map<String, Value>>,
    used: Vec<String>,
    shared: Value,
}

/// The resource being provisioned: its first declaration, where problems are reported.
struct Site<'a> {
    workload: &'a Workload,
    name: &'a str,
    resource: &'a score_spec::model::Resource,
}

impl Site<'_> {
    /// The pointer and span of `suffix` below the resource (the resource's name when that
    /// node has no span).
    fn at(&self, suffix: &str) -> (String, score_spec::Span) {
        let pointer = format!("{}{suffix}", pointer::resource(self.name));
        let span = self
            .workload
            .span_of(&pointer)
            .unwrap_or(self.resource.name_span);
        (pointer, span)
    }

    fn error(&self, code: &'static str, suffix: &str, message: String) -> Diagnostic {
        let (pointer, span) = self.at(suffix);
        Diagnostic::error(code, message)
            .at(pointer, span)
            .with_source(&self.workload.source)
    }

    /// A template's warning about this resource.
    fn warning(&self, warned: &signals::Warned, node: &ResourceNode) -> Diagnostic {
        let (pointer, span) = self.at(&warned.at);
        let d = Diagnostic::warning(
            warned.code,
            format!(
                "resource `{}` ({}): {}",
                self.name, node.r#type, warned.message
            ),
        )
        .at(pointer, span)
        .with_source(&self.workload.source);
        match &warned.help {
            Some(help) => d.with_help(help.clone()),
            None => d,
        }
    }
}

impl<'a> Run<'a> {
    /// Provisions one resource; on failure its outputs stay `None` and a diagnostic says why.
    fn resource(&mut self, index: usize, node: &'a ResourceNode) {
        let first = node.first();
        let workload = self.workloads[first.workload];
        let site = Site {
            workload,
            name: &first.name,
            resource: &workload.resources[&first.name],
        };
        let depends_on_failed = crate::resources::referenced_resources(site.resource)
            .iter()
            .any(|name| {
                self.graph
                    .index(first.workload, name)
                    .is_some_and(|i| self.outputs[i].is_none())
            });
        if depends_on_failed {
            // Its dependency's error has been reported already.
            return;
        }
        let Some(params) = self.params(&site, first.workload) else {
            return;
        };
        let Some(provisioner) = self
            .provisioners
            .iter()
            .find(|p| p.matches(&node.r#type, &node.class, node.id.as_deref()))
        else {
            let (pointer, span) = site.at("/type");
            let d = unsupported(node, self.provisioners, pointer, span, workload);
            self.diagnostics.push(d);
            return;
        };
        let unknown = unknown_params(provisioner, &params, &site, &node.r#type);
        let refused = unknown.iter().any(Diagnostic::is_error);
        self.diagnostics.extend(unknown);
        if refused {
            return;
        }
        let metadata = site
            .resource
            .metadata
            .as_ref()
            .map_or(Value::Object(Map::new()), |m| m.to_json());
        let resource = Provisioning {
            index,
            node,
            site: &site,
            provisioner,
            params: &params,
            metadata: &metadata,
            guid: guid(&node.uid),
        };
        let produced = match &provisioner.command {
            Some(command) => self.command(&resource, command),
            None => self.templates(&resource),
        };
        for warned in self.hooks.take_warnings() {
            self.diagnostics.push(site.warning(&warned, node));
        }
        let Some(produced) = produced else {
            return;
        };
        if let Some(d) = missing_outputs(provisioner, &produced, &site) {
            self.diagnostics.push(d);
            return;
        }
        self.used[index] = provisioner.uri.clone();
        self.outputs[index] = Some(produced);
    }

    /// The resource's params, with placeholders substituted from the resources provisioned
    /// before.
    fn params(&mut self, site: &Site, workload: usize) -> Option<Value> {
        let lookup = |name: &str| {
            self.graph
                .index(workload, name)
                .and_then(|i| self.outputs[i].as_ref())
        };
        let scope = Scope {
            workload: site.workload,
            outputs: &lookup,
            environment: None,
        };
        let params_json = site
            .resource
            .params
            .as_ref()
            .map_or(Value::Object(Map::new()), |p| p.to_json());
        match scope.substitute_json(&params_json) {
            Ok(params) => Some(params),
            Err(unresolved) => {
                let mut d = site.error(
                    "score::placeholder::unresolved",
                    "/params",
                    format!(
                        "in the params of resource `{}`: {}",
                        site.name, unresolved.message
                    ),
                );
                if let Some(help) = unresolved.help {
                    d = d.with_help(help);
                }
                self.diagnostics.push(d);
                None
            }
        }
    }

    /// Runs a command provisioner's program; its outputs, or `None` after a diagnostic.
    fn command(&mut self, r: &Provisioning, command: &CommandSpec) -> Option<Value> {
        let input = CommandInput {
            guid: &r.guid,
            node: r.node,
            params: r.params,
            metadata: r.metadata,
            workload: r.site.workload,
            services: self.command_services.get_or_init(|| {
                commands::reference_workload_services(&self.target.workload_services)
            }),
            shared: &self.shared,
            target: self.target,
        };
        let fail = |failure: CommandFailure| {
            let (pointer, span) = r.site.at("");
            failure
                .diagnostic(r.provisioner, r.site.name, &r.node.uid)
                .at(pointer, span)
                .with_source(&r.site.workload.source)
        };
        let (response, stderr) = match run_command(r.provisioner, command, &input, self.commands) {
            Ok(ran) => ran,
            Err(failure) => {
                self.diagnostics.push(fail(failure));
                return None;
            }
        };
        let manifests = response.sections.get("manifests").and_then(Value::as_array);
        if let Err(message) = check_manifests(manifests.map(Vec::as_slice).unwrap_or_default()) {
            self.diagnostics.push(fail(CommandFailure {
                code: OUTPUT,
                what: format!("in the `manifests` it printed, {message}"),
                stderr: Some(stderr),
                hint: None,
            }));
            return None;
        }
        if let Some(patch) = &response.shared {
            merge_patch(&mut self.shared, patch);
        }
        self.sections[r.index] = response.sections;
        Some(response.outputs)
    }

    /// Renders a template provisioner's templates in order; the outputs, or `None` after a
    /// diagnostic.
    fn templates(&mut self, r: &Provisioning<'_, 'a>) -> Option<Value> {
        let mut context = self.context(r);
        let mut produced = Value::Object(Map::new());
        for (field, template) in r.provisioner.templates() {
            let value = self
                .renderer
                .render(r.provisioner, field, template, &context)
                .and_then(|rendered| parse_rendered(&rendered, field));
            let value = match value {
                Ok(value) => value,
                Err(message) => {
                    self.diagnostics.push(template_failure(r, field, &message));
                    return None;
                }
            };
            match field {
                "shared" => {
                    merge_patch(&mut self.shared, &value);
                    context.insert("shared", j(&self.shared));
                }
                "manifests" => {
                    let list = value.as_array().map(Vec::as_slice).unwrap_or_default();
                    if let Err(message) = check_manifests(list) {
                        self.diagnostics.push(template_failure(r, field, &message));
                        return None;
                    }
                    if !list.is_empty() {
                        self.sections[r.index].insert(field.to_owned(), value);
                    }
                }
                "outputs" => produced = value,
                "services" | "volumes" | "networks" | "configs" => {
                    self.sections[r.index].insert(field.to_owned(), value);
                }
                _ => {
                    context.insert(field, j(&value));
                }
            }
        }
        Some(produced)
    }

    /// What templates see (documented in [`templates`]); a minijinja map, so values shared by
    /// every resource (the workload services) are reference-counted, not copied per render.
    fn context(&self, r: &Provisioning) -> BTreeMap<&'static str, minijinja::Value> {
        let (node, workload) = (r.node, r.site.workload);
        let mut context: BTreeMap<&'static str, minijinja::Value> = BTreeMap::new();
        context.insert("uid", j(&node.uid));
        context.insert(
            "name",
            j(resource_object_name(node, workload.name(), &r.guid)),
        );
        context.insert("guid", j(&r.guid));
        context.insert("type", j(&node.r#type));
        context.insert("class", j(&node.class));
        context.insert("id", j(&node.id));
        context.insert("resource_name", j(r.site.name));
        context.insert("params", j(r.params));
        context.insert("metadata", j(r.metadata));
        context.insert("source_workload", j(workload.name()));
        context.insert("workload_metadata", j(workload.metadata.node.to_json()));
        context.insert("workload_services", self.services.clone());
        context.insert("namespace", j(&self.target.namespace));
        context.insert("compose_project", j(&self.target.compose_project));
        context.insert("route_port", j(self.target.route_port));
        context.insert("init", j(Map::new()));
        context.insert("state", j(Map::new()));
        context.insert("shared", j(&self.shared));
        context
    }
}

/// One resource with the provisioner that matched it.
struct Provisioning<'r, 'a> {
    index: usize,
    node: &'a ResourceNode,
    site: &'r Site<'a>,
    provisioner: &'a Provisioner,
    params: &'r Value,
    metadata: &'r Value,
    guid: String,
}

/// The diagnostic for a template that failed: the template's own words (and place and help)
/// when it failed on purpose, else what went wrong where.
fn template_failure(r: &Provisioning, field: &str, message: &str) -> Diagnostic {
    let (code, at, help, message) = match signals::deliberate(message) {
        Some(d) if d.code == budget::LIMIT => (
            d.code,
            d.at,
            d.help,
            format!(
                "resource `{}` ({}): the `{field}` template of `{}` {}",
                r.site.name, r.node.r#type, r.provisioner.uri, d.message
            ),
        ),
        Some(d) => (
            d.code,
            d.at,
            d.help,
            format!(
                "resource `{}` ({}): {}",
                r.site.name, r.node.r#type, d.message
            ),
        ),
        None => (
            "score::provisioner::failed",
            "",
            None,
            format!(
                "provisioning resource `{}` ({}) failed in the `{field}` template of `{}`: {message}",
                r.site.name, r.node.uid, r.provisioner.uri
            ),
        ),
    };
    let location = format!("the provisioner is defined at {}", r.provisioner.location());
    r.site
        .error(code, at, message)
        .with_label(format!("provisioned by {}", r.provisioner.uri))
        .with_help(match help {
            Some(help) => format!("{help}\n{location}"),
            None => location,
        })
}

/// A diagnostic for each param the provisioner does not support, at the param's key: an error
/// for a provisioner file's entry (its author listed `supported_params` on purpose), a warning
/// for a built-in one (the reference tools ignore params they do not use, and files written for
/// them give some, such as postgres `username`).
fn unknown_params(
    provisioner: &Provisioner,
    params: &Value,
    site: &Site,
    r#type: &str,
) -> Vec<Diagnostic> {
    let (Some(supported), Value::Object(given)) = (&provisioner.supported_params, params) else {
        return Vec::new();
    };
    let builtin = super::is_builtin(provisioner);
    let listed = if supported.is_empty() {
        "no params".to_owned()
    } else {
        supported
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (params_pointer, params_span) = site.at("/params");
    let params_node = site.workload.document.locate(&params_pointer);
    let mut found = given
        .keys()
        .filter(|key| !supported.contains(key))
        .map(|key| {
            let key_span = params_node
                .and_then(|l| l.node.entry(key))
                .map_or(params_span, |e| e.key_span);
            let guess = score_spec::did_you_mean(key, supported)
                .map_or(String::new(), |g| format!("did you mean `{g}`? "));
            let d = if builtin {
                Diagnostic::warning(
                    "score::provisioner::unknown-param",
                    format!(
                        "resource `{}` ({}) has a param `{key}` that the built-in provisioner does not use; it is ignored",
                        site.name, r#type
                    ),
                )
                .with_help(format!(
                    "{guess}the built-in provisioner `{}` supports: {listed}",
                    provisioner.uri
                ))
            } else {
                Diagnostic::error(
                    "score::provisioner::unknown-param",
                    format!(
                        "resource `{}` ({}) has a param `{key}` that its provisioner does not support",
                        site.name, r#type
                    ),
                )
                .with_help(format!(
                    "{guess}the provisioner `{}` (defined at {}) supports: {listed}; if it should take `{key}`, add it to its `supported_params`",
                    provisioner.uri,
                    provisioner.location()
                ))
            };
            d.at(params_pointer.clone(), key_span)
                .with_label("unknown param")
                .with_source(&site.workload.source)
        })
        .collect::<Vec<_>>();
    // In the order they are written (the params map is sorted by key).
    found.sort_by_key(|d| d.span.map(|s| s.offset));
    found
}

/// The diagnostic for outputs the provisioner promised and did not produce, if any.
fn missing_outputs(provisioner: &Provisioner, produced: &Value, site: &Site) -> Option<Diagnostic> {
    let missing: Vec<&String> = provisioner
        .expected_outputs
        .iter()
        .filter(|key| produced.get(key.as_str()).is_none())
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(
        site.error(
            "score::provisioner::missing-output",
            "",
            format!(
                "the provisioner `{}` did not produce the output{} {} it promises for resource `{}`",
                provisioner.uri,
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                site.name
            ),
        )
        .with_help(if provisioner.command.is_some() {
            format!("make the program print them in `resource_outputs`, or fix the `expected_outputs` of the provisioner (defined at {})", provisioner.location())
        } else {
            format!("fix its `outputs` template (defined at {}) or its `expected_outputs`", provisioner.location())
        }),
    )
}

/// What a command provisioner's program is told about the resource.
struct CommandInput<'a> {
    guid: &'a str,
    node: &'a ResourceNode,
    params: &'a Value,
    metadata: &'a Value,
    workload: &'a Workload,
    services: &'a Value,
    shared: &'a Value,
    target: &'a TargetContext,
}

impl CommandInput<'_> {
    /// The JSON request of the reference tools' protocol (see [`commands`]). serde_json's maps
    /// are sorted, so the same inputs give the same bytes.
    fn to_json(&self) -> Value {
        let node = self.node;
        let mut input = Map::new();
        let mut put = |key: &str, value: Value| {
            input.insert(key.to_owned(), value);
        };
        put("resource_guid", self.guid.into());
        put("resource_uid", node.uid.as_str().into());
        put("resource_type", node.r#type.as_str().into());
        put("resource_class", node.class.as_str().into());
        put(
            "resource_id",
            node.uid.split_once('#').map_or("", |(_, id)| id).into(),
        );
        put("resource_params", self.params.clone());
        put("resource_metadata", self.metadata.clone());
        put("source_workload", self.workload.name().into());
        put("workload_metadata", self.workload.metadata.node.to_json());
        put("workload_services", self.services.clone());
        for (key, value) in &self.target.command_input {
            put(key, value.clone());
        }
        // Nothing is kept between compiles: every run starts from no state.
        put("resource_state", Value::Object(Map::new()));
        put("shared_state", self.shared.clone());
        Value::Object(input)
    }
}

const FAILED: &str = "score::provisioner::command-failed";
const OUTPUT: &str = "score::provisioner::command-output";

/// Why a command provisioner gave nothing usable.
struct CommandFailure {
    code: &'static str,
    /// Completes "provisioning … failed: ".
    what: String,
    /// What the program wrote on stderr, when it ran.
    stderr: Option<Vec<u8>>,
    hint: Option<String>,
}

impl CommandFailure {
    /// The diagnostic, with the end of the program's stderr in the help; the caller places it.
    fn diagnostic(self, provisioner: &Provisioner, resource: &str, uid: &str) -> Diagnostic {
        let mut help = Vec::new();
        help.extend(self.hint);
        match self.stderr.as_deref().map(commands::stderr_tail) {
            Some(Some(tail)) => help.push(format!("its stderr ended with:\n{tail}")),
            Some(None) => help.push("it wrote nothing on stderr".to_owned()),
            None => {}
        }
        help.push(format!(
            "the provisioner is defined at {}",
            provisioner.location()
        ));
        Diagnostic::error(
            self.code,
            format!(
                "provisioning resource `{resource}` ({uid}) with `{}` failed: {}",
                provisioner.uri, self.what
            ),
        )
        .with_label(format!("provisioned by {}", provisioner.uri))
        .with_help(help.join("\n"))
    }
}

/// Runs the program and reads its response; on success, also what it wrote on stderr (for
/// later messages about its output).
fn run_command(
    provisioner: &Provisioner,
    command: &CommandSpec,
    input: &CommandInput,
    runner: &dyn CommandRunner,
) -> Result<(commands::Response, Vec<u8>), CommandFailure> {
    let stdin = serde_json::to_vec(&input.to_json()).unwrap_or_default();
    let request = Command {
        uri: &provisioner.uri,
        resource: &input.node.uid,
        program: &command.program,
        declared_in: &provisioner.file,
        args: &command.args,
        stdin,
    };
    let failure = |what: String, stderr: Option<Vec<u8>>, hint: Option<String>| CommandFailure {
        code: FAILED,
        what,
        stderr,
        hint,
    };
    let output = runner.run(&request).map_err(|error| match error {
        CommandError::NoRunner => failure(
            "command provisioners need a command runner, and none was given".into(),
            None,
            Some("the library runs no programs itself: pass a `CommandRunner` in the target's `Options::commands` (the `score` command does)".into()),
        ),
        CommandError::Start(reason) => failure(
            format!("its program could not be started: {reason}"),
            None,
            match command.program {
                commands::Program::Relative(_) => Some(format!(
                    "a `cmd://./…` path is relative to the directory of the provisioner file that declares it ({})",
                    provisioner.file
                )),
                _ => None,
            },
        ),
        CommandError::Failed { status, stderr } => {
            failure(format!("its program failed ({status})"), Some(stderr), None)
        }
        CommandError::TimedOut { after, stderr } => failure(
            format!(
                "its program did not finish within {} and was killed, with every process it started",
                seconds(after)
            ),
            Some(stderr),
            Some("if it needs longer, raise the limit (`score compile --provisioner-timeout SECONDS`)".into()),
        ),
        CommandError::Lingering { status, after, stderr } => failure(
            format!(
                "its program exited with {status}, but a process it started kept its stdout or stderr open past the {} limit; it was killed, with every process the program started",
                seconds(after)
            ),
            Some(stderr),
            Some("a program must be done when it exits: wait for the processes it starts (background processes are killed when it exits)".into()),
        ),
        CommandError::Other { reason, stderr } => failure(reason, Some(stderr), None),
    })?;
    match commands::parse_response(&output.stdout, &input.target.command_fields) {
        Ok(response) => Ok((response, output.stderr)),
        Err(what) => Err(CommandFailure {
            code: OUTPUT,
            what,
            stderr: Some(output.stderr),
            hint: Some(
                "a command provisioner prints one JSON object on stdout, and logs (if any) on stderr; see the README, \"Command provisioners\"".into(),
            ),
        }),
    }
}

fn seconds(duration: std::time::Duration) -> String {
    let s = duration.as_secs_f64();
    if s == s.trunc() {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

fn j<T: serde::Serialize>(value: T) -> minijinja::Value {
    minijinja::Value::from_serialize(value)
}

/// A DNS-1035 label unique to the resource, at most 52 characters (StatefulSet names longer
/// than that make pod labels too long): `<workload>-<resource>` or the id, then 6 hex digits
/// of its guid.
fn resource_object_name(node: &ResourceNode, workload: &str, guid: &str) -> String {
    let base = match &node.id {
        Some(id) => id.replace('.', "-"),
        None => format!("{workload}-{}", node.first().name),
    };
    let mut base = dns_label(&base, 45);
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base = format!("r-{base}");
        base.truncate(45);
        while base.ends_with('-') {
            base.pop();
        }
    }
    format!("{base}-{}", &guid[..6])
}

fn unsupported(
    node: &ResourceNode,
    provisioners: &[&Provisioner],
    pointer: String,
    span: score_spec::Span,
    workload: &Workload,
) -> Diagnostic {
    let mut types: Vec<&str> = provisioners.iter().map(|p| p.r#type.as_str()).collect();
    types.sort_unstable();
    types.dedup();
    let same_type: Vec<String> = provisioners
        .iter()
        .filter(|p| p.r#type == node.r#type)
        .map(|p| match (&p.class, &p.id) {
            (Some(c), Some(i)) => format!("class `{c}` with id `{i}`"),
            (Some(c), None) => format!("class `{c}`"),
            (None, Some(i)) => format!("id `{i}`"),
            (None, None) => "any class".to_owned(),
        })
        .collect();
    let (message, help) = if same_type.is_empty() {
        (
            format!(
                "no provisioner supports resources of type `{}`",
                node.r#type
            ),
            format!(
                "supported types: {}; for another type, write a provisioner file and pass it with `--provisioners FILE`",
                types
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    } else {
        (
            format!(
                "no provisioner supports resource `{}` of type `{}` with class `{}`{}",
                node.first().name,
                node.r#type,
                node.class,
                node.id
                    .as_ref()
                    .map_or(String::new(), |i| format!(" and id `{i}`"))
            ),
            format!(
                "provisioners for `{}` exist for: {}",
                node.r#type,
                same_type.join("; ")
            ),
        )
    };
    Diagnostic::error("score::resource::unsupported", message)
        .at(pointer, span)
        .with_label(format!("resource `{}`", node.uid))
        .with_help(help)
        .with_source(&workload.source)
}

fn parse_rendered(text: &str, field: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(if field == "manifests" {
            Value::Array(Vec::new())
        } else {
            Value::Object(Map::new())
        });
    }
    // Read like the workloads are (YAML 1.1 scalars, as Kubernetes reads manifests;
    // duplicate keys are errors), with score-spec's located reader.
    let source = score_spec::SourceFile::new(field, text);
    let value = score_spec::parse_yaml(&source, &score_spec::Limits::default())
        .map_err(|d| {
            let at = d.span.map_or(String::new(), |s| {
                format!(" at line {}, column {}", s.line, s.column)
            });
            format!(
                "it rendered text that is not valid YAML ({}{at}); the text was:\n{}",
                d.message,
                number_lines(text)
            )
        })?
        .to_json();
    match (field, &value) {
        (_, Value::Null) if field == "manifests" => Ok(Value::Array(Vec::new())),
        (_, Value::Null) => Ok(Value::Object(Map::new())),
        ("manifests", Value::Array(_)) => Ok(value),
        ("manifests", _) => Err("it must render a YAML list of manifests".to_owned()),
        (_, Value::Object(_)) => Ok(value),
        _ => Err("it must render a YAML mapping".to_owned()),
    }
}

/// The text with line numbers, at most [`SHOWN_LINES`] lines of at most [`SHOWN_WIDTH`]
/// bytes each (a template can render megabytes; a diagnostic shows where it went wrong).
fn number_lines(text: &str) -> String {
    let mut out: Vec<String> = text
        .lines()
        .take(SHOWN_LINES)
        .enumerate()
        .map(|(i, l)| {
            let mut end = l.len().min(SHOWN_WIDTH);
            while !l.is_char_boundary(end) {
                end -= 1;
            }
            let cut = if end < l.len() { " …" } else { "" };
            format!("{:>4} | {}{cut}", i + 1, &l[..end])
        })
        .collect();
    let total = text.lines().count();
    if total > SHOWN_LINES {
        out.push(format!("     … {} more lines", total - SHOWN_LINES));
    }
    out.join("\n")
}

const SHOWN_LINES: usize = 200;
const SHOWN_WIDTH: usize = 200;

fn check_manifests(manifests: &[Value]) -> Result<(), String> {
    for (i, manifest) in manifests.iter().enumerate() {
        let ok = manifest.get("apiVersion").is_some_and(Value::is_string)
            && manifest.get("kind").is_some_and(Value::is_string)
            && manifest
                .pointer("/metadata/name")
                .is_some_and(Value::is_string);
        if !ok {
            return Err(format!(
                "manifest {} has no `apiVersion`, `kind` and `metadata.name` (all strings)",
                i + 1
            ));
        }
    }
    Ok(())
}

/// RFC 7396 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let map = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}
