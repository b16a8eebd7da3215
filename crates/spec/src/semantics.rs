//! Checks the schema cannot express: placeholders name things that exist, `before` forms no
//! cycle, resource params do not refer to each other in a circle.

use crate::diagnostics::Diagnostic;
use crate::graph;
use crate::model::{Readiness, Workload, pointer};
use crate::node::{Node, Value, pointer_join};
use crate::placeholders::{self, Placeholder};
use crate::schema::{did_you_mean, join_quoted};
use crate::source::{Span, excerpt};

pub(crate) fn check(workload: &Workload) -> Vec<Diagnostic> {
    let mut checker = Checker {
        workload,
        diagnostics: Vec::new(),
    };
    checker.placeholders_in_containers();
    checker.placeholders_in_images();
    checker.route_ports();
    let references = checker.placeholders_in_params();
    checker.params_cycles(&references);
    checker.before();
    checker.diagnostics
}

struct Checker<'a> {
    workload: &'a Workload,
    diagnostics: Vec<Diagnostic>,
}

/// Where a placeholder is written, for its diagnostics.
struct Site<'a> {
    at: &'a str,
    span: Span,
    /// The placeholder as written (shortened when long).
    written: String,
}

impl Site<'_> {
    fn error(&self, code: &'static str, message: String) -> Diagnostic {
        Diagnostic::error(code, message)
            .at(self.at, self.span)
            .with_label("here")
    }
}

/// Where a string with placeholders sits, which decides what it may refer to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Variables, file content, params: `${resources.NAME.OUTPUT}` needs an output key.
    Value,
    /// A volume `source`: `${resources.NAME}` names the volume resource itself.
    VolumeSource,
}

impl Checker<'_> {
    fn placeholders_in_containers(&mut self) {
        let workload = self.workload;
        for (name, container) in &workload.containers {
            for (key, variable) in &container.variables {
                let at = pointer::variable(name, key);
                self.check_string(
                    &variable.value.value,
                    variable.value.span,
                    &at,
                    Place::Value,
                );
            }
            for (target, file) in &container.files {
                if let (true, crate::model::FileContent::Inline(content)) =
                    (file.expands(), &file.content)
                {
                    let at = pointer_join(&pointer::file(name, target), "content");
                    self.check_string(content, content.span, &at, Place::Value);
                }
            }
            for (target, volume) in &container.volumes {
                let at = pointer_join(&pointer::volume(name, target), "source");
                self.check_string(&volume.source, volume.source.span, &at, Place::VolumeSource);
            }
        }
    }

    /// `image` is copied as written (here and by the reference implementations): a `${…}` in
    /// it stays in the output, an invalid image reference. A warning, not an error: the file
    /// follows the spec, the output just cannot run as written.
    fn placeholders_in_images(&mut self) {
        for (name, container) in &self.workload.containers {
            let image = &container.image;
            let Some(start) = image.find("${") else {
                continue;
            };
            let end = image[start..]
                .find('}')
                .map_or(image.len(), |i| start + i + 1);
            let written = &image[start..end];
            let message = if written.len() == image.len() {
                format!(
                    "the image of container `{name}` is `{}`, a placeholder that is never substituted",
                    excerpt(written)
                )
            } else {
                format!(
                    "the image of container `{name}` holds `{}`, which is never substituted: the image would be `{}`",
                    excerpt(written),
                    excerpt(image)
                )
            };
            let d = Diagnostic::warning("score::image::placeholder", message)
            .at(
                pointer_join(&pointer::container(name), "image"),
                self.narrow(image.span, written),
            )
            .with_label("kept as written")
            .with_help("placeholders are not substituted in `image`; write the whole reference (`image: ghcr.io/acme/web:1.4`), or write `image: \".\"` (`.` means \"given when compiling\") and pass it with `score compile --image ghcr.io/acme/web:1.4 ...`");
            self.diagnostics.push(d);
        }
    }

    /// A route sends requests to a service port of the workload declaring it: a literal
    /// `params.port` must name one (by name or port number), as both targets' route
    /// provisioners require. Shared routes (with an `id`) are left to the compiler: their
    /// params belong to whichever declaring workload comes first.
    fn route_ports(&mut self) {
        let workload = self.workload;
        for (name, resource) in &workload.resources {
            if resource.r#type.value != "route" || resource.id.is_some() {
                continue;
            }
            let Some(port) = resource.params.as_ref().and_then(|p| p.get("port")) else {
                continue;
            };
            let key = match &port.value {
                Value::Int(i) => i.to_string(),
                Value::String(s) if !s.contains('$') => s.clone(),
                // A placeholder (resolved when compiling), or not a port at all.
                _ => continue,
            };
            let ports = workload.service.iter().flat_map(|s| &s.ports);
            if ports
                .clone()
                .any(|(port_name, p)| *port_name == key || p.port.to_string() == key)
            {
                continue;
            }
            let listed: Vec<String> = ports
                .map(|(port_name, p)| format!("`{port_name}` ({})", *p.port))
                .collect();
            let help = if listed.is_empty() {
                format!(
                    "workload `{}` has no `service.ports`: declare the port the route sends requests to, e.g. `service: {{ports: {{web: {{port: 8080}}}}}}`",
                    workload.name()
                )
            } else {
                format!(
                    "the service ports of `{}` are {}; write one of their names or port numbers",
                    workload.name(),
                    listed.join(", ")
                )
            };
            let at = pointer_join(&pointer_join(&pointer::resource(name), "params"), "port");
            let d = Diagnostic::error(
                "score::route::port",
                format!(
                    "route port `{key}` is not a service port of workload `{}`",
                    workload.name()
                ),
            )
            .at(at.as_str(), workload.span_of(&at).unwrap_or(port.span))
            .with_label("not a service port")
            .with_help(help);
            self.diagnostics.push(d);
        }
    }

    /// Checks placeholders in every resource's params; returns, per resource, the resources
    /// its params refer to (declared ones only).
    fn placeholders_in_params(&mut self) -> Vec<Vec<usize>> {
        let workload = self.workload;
        let mut references = vec![Vec::new(); workload.resources.len()];
        for (index, (name, resource)) in workload.resources.iter().enumerate() {
            let Some(params) = &resource.params else {
                continue;
            };
            let mut found = Vec::new();
            let base = pointer_join(&pointer::resource(name), "params");
            self.walk_params(params, &base, &mut found);
            for target in found {
                if let Some(target) = workload.resources.get_index_of(&target)
                    && !references[index].contains(&target)
                {
                    references[index].push(target);
                }
            }
        }
        references
    }

    fn walk_params(&mut self, node: &Node, at: &str, found: &mut Vec<String>) {
        match &node.value {
            Value::String(text) => {
                found.extend(self.check_string(text, node.span, at, Place::Value));
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk_params(item, &format!("{at}/{i}"), found);
                }
            }
            Value::Map(entries) => {
                for entry in entries {
                    self.walk_params(&entry.value, &pointer_join(at, &entry.key), found);
                }
            }
            _ => {}
        }
    }

    /// Checks every placeholder in `text`; returns the resource names it refers to.
    fn check_string(&mut self, text: &str, span: Span, at: &str, place: Place) -> Vec<String> {
        if !placeholders::may_contain_placeholders(text) {
            return Vec::new();
        }
        let template = placeholders::parse(text);
        for error in &template.errors {
            let written = text.get(error.range.clone()).unwrap_or_default();
            let d = Diagnostic::error(
                "score::placeholder::syntax",
                format!("malformed placeholder `{}`: {}", excerpt(written), error.kind),
            )
            .at(at, self.narrow(span, written))
            .with_label("here")
            .with_help("write `${metadata.KEY}` or `${resources.NAME.OUTPUT}`, or `$${...}` to keep the text as it is");
            self.diagnostics.push(d);
        }
        let mut resources = Vec::new();
        for placeholder in template.placeholders() {
            if let Some(name) = self.check_placeholder(placeholder, text, span, at, place) {
                resources.push(name);
            }
        }
        resources
    }

    fn check_placeholder(
        &mut self,
        placeholder: &Placeholder,
        text: &str,
        span: Span,
        at: &str,
        place: Place,
    ) -> Option<String> {
        let full = text.get(placeholder.range.clone()).unwrap_or_default();
        let site = Site {
            at,
            span: self.narrow(span, full),
            written: excerpt(full).into_owned(),
        };
        let keys = &placeholder.keys;
        match placeholder.root() {
            "metadata" => {
                self.metadata_placeholder(keys, &site);
                None
            }
            "resources" => self.resource_placeholder(keys, &site, place),
            root => {
                let written = &site.written;
                let escape = format!("to keep the text as it is, escape it: `${written}`");
                let d = site
                    .error(
                        "score::placeholder::unknown-root",
                        format!("`{written}` starts with `{root}`, but placeholders start with `metadata` or `resources`"),
                    )
                    .with_help(match placeholders::legacy_root_help(root) {
                        Some(legacy) => format!(
                            "{legacy}. To keep the text as it is, escape it: `${written}`"
                        ),
                        None => escape,
                    });
                self.diagnostics.push(d);
                None
            }
        }
    }

    fn metadata_placeholder(&mut self, keys: &[String], site: &Site) {
        let written = &site.written;
        if keys.len() == 1 {
            let d = site
                .error(
                    "score::placeholder::missing-key",
                    format!("`{written}` needs a key after `metadata`"),
                )
                .with_help("write e.g. `${metadata.name}`");
            self.diagnostics.push(d);
        } else if self.workload.metadata.lookup(&keys[1..]).is_none() {
            let (known, missing) = deepest_known(&self.workload.metadata.node, &keys[1..]);
            let d = site
                .error(
                    "score::placeholder::unknown-metadata",
                    format!(
                        "`{written}` refers to `metadata.{}`, which does not exist",
                        keys[1..].join(".")
                    ),
                )
                .with_help(match did_you_mean(missing, &known) {
                    Some(guess) => format!("did you mean `{guess}`?"),
                    None if known.is_empty() => {
                        "there are no keys at that level of `metadata`".to_owned()
                    }
                    None => format!("keys at that level: {}", join_quoted(&known, "and")),
                });
            self.diagnostics.push(d);
        }
    }

    /// Checks `${resources.…}`; returns the resource it names when that is declared.
    fn resource_placeholder(
        &mut self,
        keys: &[String],
        site: &Site,
        place: Place,
    ) -> Option<String> {
        let written = &site.written;
        let Some(name) = keys.get(1) else {
            let d = site
                .error(
                    "score::placeholder::missing-key",
                    format!("`{written}` needs a resource name after `resources`"),
                )
                .with_help("write e.g. `${resources.db.host}`");
            self.diagnostics.push(d);
            return None;
        };
        if !self.workload.resources.contains_key(name) {
            let declared: Vec<String> = self.workload.resources.keys().cloned().collect();
            let help = unknown_resource_help(name, &declared);
            let message = if place == Place::VolumeSource {
                format!(
                    "the volume source `{written}` names resource `{name}`, which is not declared: there is nothing to mount"
                )
            } else {
                format!("`{written}` refers to resource `{name}`, which is not declared")
            };
            let d = site
                .error("score::placeholder::unknown-resource", message)
                .with_help(help);
            self.diagnostics.push(d);
            return None;
        }
        if keys.len() == 2 && place != Place::VolumeSource {
            let d = site
                .error(
                    "score::placeholder::missing-key",
                    format!("`{written}` names resource `{name}` but not which of its outputs to use"),
                )
                .with_help(format!("write e.g. `${{resources.{name}.host}}`; a bare `${{resources.{name}}}` is only meaningful as a volume `source`"));
            self.diagnostics.push(d);
        }
        self.environment_key(name, keys, site);
        Some(name.clone())
    }

    /// A key of an `environment` resource is a variable name (it becomes `${KEY}` in a
    /// Compose file, a variable a shell reads).
    fn environment_key(&mut self, name: &str, keys: &[String], site: &Site) {
        let is_environment = self
            .workload
            .resources
            .get(name)
            .is_some_and(|r| r.r#type.value == "environment");
        let Some(key) = keys.get(2).filter(|_| is_environment) else {
            return;
        };
        if !placeholders::is_variable_name(key) {
            let written = &site.written;
            let d = site
                .error(
                    "score::placeholder::environment-key",
                    format!("`{written}`: `{key}` is not a variable name, so it cannot be a key of the `environment` resource `{name}`"),
                )
                .with_help(placeholders::VARIABLE_NAME_HELP);
            self.diagnostics.push(d);
        }
    }

    /// Points at the placeholder inside a one-line scalar when it can be found verbatim.
    fn narrow(&self, span: Span, written: &str) -> Span {
        let source = self.workload.source.text();
        let raw = source
            .get(span.offset..span.offset + span.len)
            .unwrap_or("");
        match raw.find(written) {
            Some(start) if !written.is_empty() && !raw[..start].contains('\n') => {
                span.narrow(source, start, written.len())
            }
            _ => span,
        }
    }

    fn params_cycles(&mut self, references: &[Vec<usize>]) {
        let names: Vec<&String> = self.workload.resources.keys().collect();
        for cycle in graph::cycles(references) {
            let first = names[cycle[0]];
            let path: Vec<&str> = cycle.iter().map(|&i| names[i].as_str()).collect();
            let at = pointer_join(&pointer::resource(first), "params");
            let span = self.workload.span_of(&at).unwrap_or(Span::UNKNOWN);
            let message = if cycle.len() == 2 {
                format!("the params of resource `{first}` refer to `{first}` itself")
            } else {
                format!(
                    "resource params refer to each other in a cycle: {}",
                    path.join(" → ")
                )
            };
            let mut d = Diagnostic::error("score::resources::params-cycle", message)
                .at(at, span)
                .with_label("refers onward from here")
                .with_help("a resource can only use outputs of resources provisioned before it; break the cycle by removing one reference");
            for &i in &cycle[1..cycle.len() - 1] {
                let other = pointer_join(&pointer::resource(names[i]), "params");
                if let Some(s) = self.workload.span_of(&other) {
                    d = d.with_related(s, format!("`{}` is part of the cycle", names[i]));
                }
            }
            self.diagnostics.push(d);
        }
    }

    fn before(&mut self) {
        let containers = &self.workload.containers;
        let names: Vec<String> = containers.keys().cloned().collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); containers.len()];
        for (index, (name, container)) in containers.iter().enumerate() {
            for (other, before) in &container.before {
                let at = pointer_join(&pointer::before(name), other);
                if other == name {
                    let d = Diagnostic::error(
                        "score::before::self",
                        format!("container `{name}` cannot start before itself"),
                    )
                    .at(at, before.name_span)
                    .with_label("itself")
                    .with_help(
                        "remove this entry; `before` names the other containers of the workload that start after this one",
                    );
                    self.diagnostics.push(d);
                    continue;
                }
                if *before.ready == Readiness::Healthy
                    && container.readiness_probe.is_none()
                    && container.liveness_probe.is_none()
                {
                    self.diagnostics.push(
                        Diagnostic::error(
                            "score::before::healthy-without-probe",
                            format!("`{other}` is to start once `{name}` is healthy, but `{name}` has no readinessProbe or livenessProbe to tell when it is"),
                        )
                        .at(format!("{at}/ready"), before.ready.span)
                        .with_label("needs a probe")
                        .with_help(format!("add a readinessProbe to `{name}`, or use `ready: started`")),
                    );
                }
                match containers.get_index_of(other) {
                    Some(target) => edges[index].push(target),
                    None => {
                        let candidates: Vec<String> =
                            names.iter().filter(|n| *n != name).cloned().collect();
                        let help = match did_you_mean(other, &candidates) {
                            Some(guess) => format!("did you mean `{guess}`?"),
                            None if candidates.is_empty() => format!(
                                "this workload has no other container; add `{other}` under `containers:` or remove this entry"
                            ),
                            None => format!(
                                "containers of this workload: {}",
                                join_quoted(&candidates, "and")
                            ),
                        };
                        let d = Diagnostic::error(
                            "score::before::unknown-container",
                            format!("container `{name}` is to start before `{other}`, which is not a container of this workload"),
                        )
                        .at(at, before.name_span)
                        .with_label("unknown container")
                        .with_help(help);
                        self.diagnostics.push(d);
                    }
                }
            }
        }
        for cycle in graph::cycles(&edges) {
            let first = &names[cycle[0]];
            let at = pointer::before(first);
            let span = self.workload.span_of(&at).unwrap_or(Span::UNKNOWN);
            let path: Vec<&str> = cycle.iter().map(|&i| names[i].as_str()).collect();
            let mut d = Diagnostic::error(
                "score::before::cycle",
                format!(
                    "containers start before each other in a cycle: {}",
                    path.join(" before ")
                ),
            )
            .at(at, span)
            .with_label(format!("`{first}` starts before `{}`", path[1]))
            .with_help("no container could ever start; remove one of these `before` entries");
            for pair in cycle[1..].windows(2) {
                let (from, to) = (&names[pair[0]], &names[pair[1]]);
                if let Some(b) = containers[pair[0]].before.get(to) {
                    d = d.with_related(b.name_span, format!("`{from}` starts before `{to}`"));
                }
            }
            self.diagnostics.push(d);
        }
    }
}

/// How to fix a placeholder naming resource `name`, which is not among `declared`.
fn unknown_resource_help(name: &str, declared: &[String]) -> String {
    match did_you_mean(name, declared) {
        Some(guess) => format!(
            "did you mean `{guess}`? declared resources: {}",
            join_quoted(declared, "and")
        ),
        None if declared.is_empty() => format!(
            "declare it under `resources:`, e.g.\n  resources:\n    {name}:\n      type: <type>"
        ),
        None => format!(
            "declared resources: {}; or declare `{name}` under `resources:`",
            join_quoted(declared, "and")
        ),
    }
}

/// The keys present at the deepest level of `keys` that exists, and the first missing key.
fn deepest_known<'k>(mut node: &Node, keys: &'k [String]) -> (Vec<String>, &'k str) {
    for key in keys {
        match node.get(key) {
            Some(next) => node = next,
            None => {
                let known = node
                    .as_map()
                    .map(|entries| entries.iter().map(|e| e.key.clone()).collect())
                    .unwrap_or_default();
                return (known, key);
            }
        }
    }
    (Vec::new(), "")
}
