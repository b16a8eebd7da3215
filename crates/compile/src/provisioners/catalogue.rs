//! The built-in provisioners of both targets, read from one catalogue
//! (`builtin.provisioners.yaml`): per resource type, what both targets share (params, their
//! checks, expected outputs, state…) is written once, beside what each target renders.
//!
//! ```yaml
//! macros: |                    # minijinja macros every built-in template can call
//!   {%- macro k8s_labels(instance) %}…{% endmacro %}
//! provisioners:
//! - type: redis                # the fields of a provisioner entry both targets share
//!   uri: template://score-rs/redis
//!   supported_params: []
//!   state: |
//!     password: {{ random(24) | tojson }}
//!   kubernetes:                # what only the Kubernetes entry has (`{}`: nothing)
//!     description: …
//!     manifests: |
//!   compose:                   # what only the Compose entry has
//!     services: |
//! ```
//!
//! Each entry expands, in catalogue order, into one provisioner per target: the shared fields
//! plus the target's own. A target section may be a list, for several provisioners of the
//! type on that target (Kubernetes `route`: `route-ingress` for class `ingress`, then the
//! HTTPRoute one). A field is written either shared or per target, never both. Template lines
//! are lines of the catalogue, so an error in a built-in template points into it.
//!
//! The macros are the built-ins' own: [`templates`](super::templates) puts them in front of
//! every built-in template when it compiles it (rewritten for the budget like any template),
//! never in front of a template of a provisioner file, which cannot import anything.

use std::sync::OnceLock;

use score_spec::{Limits, Node, SourceFile, Span};
use serde_json::{Map, Value};

use super::templates::Library;
use super::{Entry, Provisioner, Template, template_first_line};
use crate::TargetKind;

/// The catalogue's text.
const CATALOGUE: &str = include_str!("builtin.provisioners.yaml");

/// The catalogue, expanded.
pub(crate) struct Catalogue {
    /// The built-in provisioners of each target the catalogue has sections for (those its
    /// first entry has a section for, every entry then must), by target name, in catalogue
    /// order.
    pub targets: Vec<(&'static str, Vec<Provisioner>)>,
    /// The macros of built-in templates.
    pub library: Library,
}

/// The catalogue, read and checked on first use.
pub(crate) fn catalogue() -> &'static Catalogue {
    static EXPANDED: OnceLock<Catalogue> = OnceLock::new();
    EXPANDED.get_or_init(|| {
        expand(CATALOGUE).unwrap_or_else(|e| panic!("the built-in provisioners are invalid: {e}"))
    })
}

/// The file name built-in provisioners of `target` report (`Provisioner::file`).
fn origin(target: &str) -> String {
    format!("<built-in {target} provisioners>")
}

/// Reads a catalogue: every entry expanded for each target, the macros checked (templates are
/// compiled when first rendered).
pub(crate) fn expand(text: &str) -> Result<Catalogue, String> {
    let source = SourceFile::new("builtin.provisioners.yaml", text);
    let document =
        score_spec::parse_yaml(&source, &Limits::default()).map_err(|d| d.to_string())?;
    let keys: Vec<&str> = document
        .as_map()
        .unwrap_or_default()
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    if keys != ["macros", "provisioners"] {
        return Err(format!(
            "the catalogue has the keys {keys:?}, not `macros` and `provisioners`"
        ));
    }
    let entries = document
        .get("provisioners")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    // A target has built-ins when the catalogue has sections for it: no list to keep beside
    // the registry of targets.
    let mut targets: Vec<(&'static str, Vec<Provisioner>)> = TargetKind::ALL
        .iter()
        .map(|kind| kind.name())
        .filter(|name| {
            entries
                .first()
                .is_some_and(|first| first.get(name).is_some())
        })
        .map(|name| (name, Vec::new()))
        .collect();
    for node in entries {
        for (target, provisioners) in &mut targets {
            provisioners.extend(expand_entry(text, node, target)?);
        }
    }
    let macros = document.get("macros");
    let library_source = macros
        .and_then(Node::as_str)
        .ok_or("`macros` is not a string")?;
    let longest = targets
        .iter()
        .flat_map(|(_, provisioners)| provisioners)
        .flat_map(Provisioner::templates)
        .map(|(_, t)| t.source.lines().count())
        .max()
        .unwrap_or_default();
    let library = Library::new(
        Template {
            source: library_source.to_owned(),
            first_line: template_first_line(text, macros),
        },
        longest,
    )?;
    // Templates are compiled when first rendered, not here: checking all of them would cost
    // every process more than the compile itself, and the catalogue is fixed at build time,
    // so a unit test (`every_built_in_template_compiles`) checks them all instead.
    Ok(Catalogue { targets, library })
}

/// The provisioners entry `node` gives `target`: its shared fields with each of the target's
/// sections (a mapping, or a list of them).
fn expand_entry(text: &str, node: &Node, target: &str) -> Result<Vec<Provisioner>, String> {
    let at = |span: Span| format!("line {}", span.line);
    let Value::Object(mut shared) = node.to_json() else {
        return Err(format!("{}: an entry is a mapping", at(node.span)));
    };
    for kind in TargetKind::ALL {
        shared.remove(kind.name());
    }
    let section = node
        .get(target)
        .ok_or_else(|| format!("{}: the entry has no `{target}` section", at(node.span)))?;
    let variants: Vec<&Node> = match section.as_seq() {
        Some(items) => items.iter().collect(),
        None => vec![section],
    };
    let mut out = Vec::with_capacity(variants.len());
    for variant in variants {
        let mut fields: Map<String, Value> = shared.clone();
        let own = match variant.to_json() {
            Value::Object(own) => own,
            Value::Null => Map::new(),
            _ => {
                return Err(format!(
                    "{}: `{target}` is a mapping or a list of them",
                    at(variant.span)
                ));
            }
        };
        for (key, value) in own {
            if fields.insert(key.clone(), value).is_some() {
                return Err(format!(
                    "{}: `{key}` is written both for every target and for `{target}`: write it once",
                    at(variant.span)
                ));
            }
        }
        let entry: Entry = serde_json::from_value(Value::Object(fields))
            .map_err(|e| format!("{}: {e}", at(variant.span)))?;
        if entry.args.is_some() {
            return Err(format!(
                "{}: built-in provisioners run no programs",
                at(variant.span)
            ));
        }
        // A field is in the variant or shared, never both.
        let first_line = |field: &str| {
            let node = variant.get(field).or_else(|| node.get(field));
            template_first_line(text, node)
        };
        let span = if section.as_seq().is_some() {
            variant.span
        } else {
            node.span
        };
        out.push(entry.into_provisioner(first_line, None, &origin(target), span));
    }
    Ok(out)
}

/// The built-in provisioners of the target named `name` (its section of the catalogue); none
/// for a target the catalogue has no section for, such as the Backstage catalog.
pub(crate) fn for_target(name: &str) -> &'static [Provisioner] {
    catalogue()
        .targets
        .iter()
        .find(|(target, _)| *target == name)
        .map_or(&[], |(_, provisioners)| provisioners.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provisioners::signals::Hooks;
    use crate::provisioners::templates::{self, Renderer};
    use crate::provisioners::{compose_defaults as compose, kubernetes_defaults as kubernetes};
    use crate::seed::{Seed, guid};
    use minijinja::Value as Jinja;
    use serde_json::json;
    use std::collections::BTreeMap;

    /// Params for the types that have some: each check passes.
    fn params(r#type: &str) -> Value {
        match r#type {
            "route" => json!({"host": "Example.com", "path": "/api/[a-z]+", "port": "http"}),
            "s3" => json!({"bucket": "orders.bucket"}),
            "kafka-topic" => json!({"name": "orders_v1"}),
            "amqp" => json!({"vhost": "shop"}),
            "dns" => json!({"host": "shop.localhost"}),
            _ => json!({}),
        }
    }

    /// What `provisioner`'s `init` and `state` render, in order, for a resource `db` of
    /// workload `web` (`without_params`: none given), with a fixed seed.
    fn rendered(provisioner: &Provisioner, without_params: bool) -> Vec<String> {
        let uid = format!("{}.default#web.db", provisioner.r#type);
        let port = json!({"name": "http", "port": 80, "target_port": 8080, "protocol": "TCP"});
        let services = json!({"web": {"service_name": "web", "ports": {"http": port, "80": port}}});
        let params = if without_params {
            json!({})
        } else {
            params(&provisioner.r#type)
        };
        let mut context: BTreeMap<&str, Jinja> = BTreeMap::new();
        for (key, value) in [
            ("uid", json!(uid)),
            ("guid", json!(guid(&uid))),
            ("name", json!("web-db-0123456789")),
            ("type", json!(provisioner.r#type)),
            ("class", json!("default")),
            ("id", Value::Null),
            ("resource_name", json!("db")),
            ("params", params),
            ("metadata", json!({})),
            ("source_workload", json!("web")),
            ("workload_metadata", json!({"name": "web"})),
            ("workload_services", services),
            ("init", json!({})),
            ("state", json!({})),
            ("shared", json!({})),
        ] {
            context.insert(key, Jinja::from_serialize(&value));
        }
        // Init and state never name a host: any host name will do.
        let hooks = Hooks::new(|name| Ok(name.to_owned()), Default::default());
        let mut renderer = Renderer::new(Seed::new("parity"), &hooks, &[provisioner]);
        let mut out = Vec::new();
        for (field, template) in provisioner.templates() {
            if !matches!(field, "init" | "state") {
                continue;
            }
            let text = renderer
                .render(provisioner, field, template, &context)
                .unwrap_or_else(|e| panic!("{} {field}: {e}", provisioner.uri));
            let value: Value = serde_saphyr::from_str(&text).unwrap_or(Value::Null);
            context.insert(field, Jinja::from_serialize(&value));
            out.push(format!("{field}: {text}"));
        }
        out
    }

    #[test]
    fn both_targets_render_the_same_init_and_state_for_every_type() {
        let (kubernetes, compose) = (kubernetes(), compose());
        let mut compared = 0;
        for c in compose {
            // Compose's route state is nginx's (where the route goes in nginx.conf); the
            // checked route, `init`, is shared.
            let skip_state = c.r#type == "route";
            for k in kubernetes.iter().filter(|k| k.r#type == c.r#type) {
                for without_params in [false, true] {
                    if without_params && c.r#type == "route" {
                        continue; // a route without params fails, on both (tests/catalogue.rs)
                    }
                    let mut ks = rendered(k, without_params);
                    let mut cs = rendered(c, without_params);
                    if skip_state {
                        ks.retain(|r| r.starts_with("init"));
                        cs.retain(|r| r.starts_with("init"));
                    }
                    assert_eq!(ks, cs, "{} and {}", k.uri, c.uri);
                    compared += usize::from(!ks.is_empty());
                }
            }
        }
        // Every type with state or init: postgres, postgres-instance, mysql, redis, mongodb,
        // amqp, s3, kafka-topic, mssql, elasticsearch (twice each), route (two on Kubernetes).
        assert_eq!(compared, 22);
    }

    #[test]
    fn built_in_templates_know_their_catalogue_line_and_shared_ones_are_one_text() {
        for p in kubernetes().iter().chain(compose()) {
            for (field, template) in p.templates() {
                assert!(template.first_line > 0, "{} {field}", p.uri);
            }
        }
        // The shared `state` of postgres is one text at one line, for both targets.
        let postgres = |ps: &'static [Provisioner]| ps.iter().find(|p| p.r#type == "postgres");
        let (k, c) = (
            postgres(kubernetes()).unwrap(),
            postgres(compose()).unwrap(),
        );
        let (ks, cs) = (k.state.as_ref().unwrap(), c.state.as_ref().unwrap());
        assert_eq!((&ks.source, ks.first_line), (&cs.source, cs.first_line));
    }

    #[test]
    fn every_built_in_template_compiles() {
        let catalogue = catalogue();
        let mut checked = 0;
        for (_, provisioners) in &catalogue.targets {
            for provisioner in provisioners {
                for (field, template) in provisioner.templates() {
                    let checked_one =
                        templates::check_builtin_syntax(field, template, &catalogue.library);
                    assert!(
                        checked_one.is_ok(),
                        "{} {field}: {checked_one:?}",
                        provisioner.uri
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "only {checked} templates");
    }

    #[test]
    fn a_field_written_for_both_and_for_one_target_is_an_error() {
        let text = "macros: ''\nprovisioners:\n- type: t\n  uri: template://x\n  state: 'a: 1'\n  kubernetes:\n    state: 'a: 2'\n  compose: {}\n";
        let error = expand(text).err().unwrap_or_default();
        assert!(error.contains("`state` is written both"), "{error}");
        let text = "macros: ''\nprovisioners:\n- type: t\n  uri: template://x\n  kubernetes: {}\n  compose: {}\n- type: u\n  uri: template://y\n  kubernetes: {}\n";
        let error = expand(text).err().unwrap_or_default();
        assert!(error.contains("no `compose` section"), "{error}");
    }

    #[test]
    fn built_in_template_lines_are_catalogue_lines_even_in_macros() {
        let text = "macros: |\n  {%- macro boom() %}{{ nope.x }}{% endmacro %}\nprovisioners:\n- type: t\n  uri: template://x\n  kubernetes:\n    outputs: |\n      a: 1\n      b: {{ boom() }}\n  compose: {}\n";
        let catalogue = expand(text).unwrap();
        let p = &catalogue.targets[0].1[0];
        let template = p.outputs.as_ref().unwrap();
        assert_eq!(template.first_line, 8);
        let error = templates::render_with(&catalogue.library, "outputs", template).unwrap_err();
        // The macro is on line 2 of the catalogue.
        assert!(error.contains("(line 2: `{%- macro boom()"), "{error}");
    }
}
