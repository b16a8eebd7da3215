//! The minijinja environment provisioner templates render in.
//!
//! # Context
//!
//! Every template of a provisioner sees:
//!
//! | name | value |
//! |---|---|
//! | `uid` | the resource's uid: `type.class#workload.name`, or `type.class#id` |
//! | `guid` | a UUID derived from the uid (stable, independent of the seed) |
//! | `type`, `class`, `id` | the resource's type, class (`default` when omitted), id (or none) |
//! | `resource_name` | the resource's name in the (first) workload declaring it |
//! | `name` | a DNS-1035 label, at most 52 characters, unique to the resource: a safe base for the names of the objects it creates |
//! | `params` | the resource's params, placeholders already substituted |
//! | `metadata` | the resource's metadata (`{}` when absent) |
//! | `source_workload` | the name of the (first) workload declaring the resource |
//! | `workload_metadata` | that workload's `metadata` |
//! | `workload_services` | every workload compiled together, by name: `{service_name, ports: {NAME: {name, port, target_port, protocol}}}`; each port is also listed under its port number (`ports["8080"]`) |
//! | `namespace` | the `--namespace` given, or none (this name hides minijinja's `namespace()` function) |
//! | `compose_project` | the Compose project name (`--project`), or none |
//! | `route_port` | Compose: the host port routes are served on (`--route-port`, default 8080); none for Kubernetes |
//! | `init`, `state` | what the `init` and `state` templates rendered (`{}` before that) |
//! | `shared` | the state shared by all resources, as the `shared` templates merged it so far |
//!
//! Functions and filters, beyond minijinja's built-ins (`tojson`, `default`, `upper`, …):
//!
//! - `random(length, charset="alphanumeric", key=none)`: a string derived from the seed.
//!   Each call in a template gives a new value; with `key`, the value depends only on the
//!   seed and the key (the same in every resource: for shared infrastructure). Charsets:
//!   `alphanumeric`, `lower` (a-z, 0-9), `hex`. A Kubernetes compile with the public default
//!   seed warns once when any template called it.
//! - `secret_ref(name, key)`: a marker standing for key `key` of Secret `name`. Put it in
//!   outputs: where it lands in an environment variable it becomes a `secretKeyRef`, in a
//!   file a Secret volume; anywhere else it is an error. The value never appears in plain text.
//! - `fail(message, help=none)`: stops with `message` as the error for this resource, and
//!   `help` (how to fix it) under it.
//! - `warn(message, help=none)`: adds a warning (`score::provisioner::warning`) at the
//!   resource and renders nothing; the compile goes on. The same warning from two templates
//!   of one resource is shown once.
//! - `external_workload(name, port=none)`: the `workload_services` entry for a workload that
//!   is not compiled along (check `name in workload_services` first): `{service_name, ports,
//!   external: true}`, with the host name the target would give a workload of that name, and
//!   `port` (a number) as its only port. It warns once (`score::service::external`, at the
//!   resource) that the workload is assumed to be deployed elsewhere, or fails with that code
//!   when the compile denies external workloads (`--deny-external-workloads`). A name that is
//!   not a workload name fails at `params.workload` (when it comes from there), a named port at
//!   `params.port` (`score::service::workload`, `score::service::port`).
//! - `check_route(params)`: checks the params of a `route` as both targets' built-ins do and
//!   returns `{host, path, type, value, exact, service, port}`: the host lower-cased; the
//!   path as written; `type` `PathPrefix`, or `RegularExpression` for a path with any of
//!   `^$*+?()[]{}|\`; `value` the Gateway API path value (a regular expression gets `(/.*)?`
//!   appended, so it matches below the path too, like a prefix); `exact` the expression of
//!   the path alone; the Service name and the service port (`{name, port, target_port,
//!   protocol}`) of the declaring workload. A missing or invalid param fails with a message at
//!   that param saying what to write (see `provisioners::route`).
//! - `|b64encode`, `|sha256`: base64 and hex SHA-256 of a string.
//! - `|dns_label`: lower-cases a string and replaces what a DNS label cannot hold with `-`,
//!   keeping at most 63 characters.
//!
//! Undefined values are errors when printed or iterated (a misspelt key fails loudly), but
//! may be tested (`{% if params.host %}`) and defaulted (`{{ params.port | default(80) }}`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine as _;
use minijinja::machinery::{self, CodeGenerator, Instructions, Vm, WhitespaceConfig, ast};
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

use super::budget::{self, Budget};
use super::rewrite::{self, Refused};
use super::signals::{CODES, FAIL_MARK, FIELD, Hooks, WARNING, Warned, deliberate, failure};
use super::{Provisioner, Template};
use crate::dns::dns_label;
use crate::secrets::SecretRef;
use crate::seed::{Charset, Seed, sha256_hex};

/// The largest amount of work one template render may do (loop iterations, calls); protects
/// against runaway user templates.
const FUEL: u64 = 1_000_000;

/// Builds the environment; `seed` drives `random`, `hooks` the service functions and
/// warnings, `budget` bounds the text a render makes.
pub(crate) fn environment<'source>(
    seed: Seed,
    hooks: &Hooks,
    budget: &Budget,
) -> Environment<'source> {
    let mut env = Environment::new();
    budget::register(&mut env, budget);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(64);
    env.set_keep_trailing_newline(true);
    // No HTML escaping: templates produce YAML.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    let seed = Arc::new(seed);
    env.add_function(
        "random",
        move |state: &State, length: usize, charset: Option<String>, kwargs: Kwargs| {
            random(&seed, state, length, charset, kwargs)
        },
    );
    env.add_function("secret_ref", |name: String, key: String| {
        SecretRef { name, key }.marker()
    });
    env.add_function(
        "fail",
        |message: String, kwargs: Kwargs| -> Result<Value, Error> {
            let help: Option<String> = kwargs.get("help")?;
            kwargs.assert_all_used()?;
            let clean = |text: &str| text.replace(FIELD, " ");
            Err(failure(
                CODES[0],
                "",
                help.map(|h| clean(&h)).as_deref(),
                &clean(&message),
            ))
        },
    );
    let warnings = hooks.clone();
    env.add_function(
        "warn",
        move |message: String, kwargs: Kwargs| -> Result<String, Error> {
            let help: Option<String> = kwargs.get("help")?;
            kwargs.assert_all_used()?;
            warnings.warn(Warned {
                code: WARNING,
                at: String::new(),
                help,
                message,
            });
            Ok(String::new())
        },
    );
    let external = hooks.clone();
    env.add_function(
        "external_workload",
        move |state: &State, name: Value, kwargs: Kwargs| {
            super::external::external_workload(&external, state, &name, kwargs)
        },
    );
    env.add_function("check_route", super::route::check_route_function);
    env.add_filter("b64encode", |text: String| {
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
    });
    env.add_filter("sha256", |text: String| sha256_hex(text));
    env.add_filter("dns_label", |text: String| dns_label(&text, 63));
    env
}

fn random(
    seed: &Seed,
    state: &State,
    length: usize,
    charset: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let key: Option<String> = kwargs.get("key")?;
    let charset_name: Option<String> = match kwargs.get::<Option<String>>("charset")? {
        Some(c) => Some(c),
        None => charset,
    };
    kwargs.assert_all_used()?;
    let charset = match charset_name.as_deref() {
        None => Charset::Alphanumeric,
        Some(name) => Charset::parse(name).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("unknown charset `{name}`; use alphanumeric, lower or hex"),
            )
        })?,
    };
    if length == 0 || length > 4096 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "random(length): length must be between 1 and 4096",
        ));
    }
    let uid = state
        .lookup("uid")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let value = match key {
        Some(key) => seed.string(&format!("key:{key}"), 0, length, charset),
        None => {
            // One stream per resource and template; each call takes the next value.
            let counter = state
                .get_temp("random-counter")
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0);
            state.set_temp("random-counter", Value::from(counter + 1));
            let field = state.name().rsplit('/').next().unwrap_or_default();
            seed.string(&format!("{uid}/{field}"), counter, length, charset)
        }
    };
    // The compile warns when what it generated comes from the public default seed, and
    // `score resources` hides outputs holding a generated secret.
    seed.record_draw(&uid, &value, charset);
    Ok(value)
}

/// Compiles a template to report syntax errors (and constructs [`rewrite`] refuses) when a
/// provisioner file is read.
pub(crate) fn check_syntax(
    _provisioner: &Provisioner,
    field: &str,
    template: &Template,
) -> Result<(), String> {
    compile(field, template, None).map(|_| ())
}

/// [`check_syntax`] for a built-in template, which may call the macros of `library`.
#[cfg(test)]
pub(crate) fn check_builtin_syntax(
    field: &str,
    template: &Template,
    library: &Library,
) -> Result<(), String> {
    compile(field, template, Some(library)).map(|_| ())
}

/// The macros of the built-in templates (the catalogue's `macros`), defined in front of each
/// built-in template when it is compiled. Its text is parsed after `padding` empty lines, so
/// its lines follow every built-in template's own (a line past `padding` is a library line,
/// for error messages), and only its `{% macro %}` definitions are kept.
pub(crate) struct Library {
    template: Template,
    padded: String,
    padding: usize,
}

impl Library {
    /// `longest`: the most lines a built-in template has.
    pub(crate) fn new(template: Template, longest: usize) -> Result<Library, String> {
        let padding = longest + 1;
        let padded = format!("{}{}", "\n".repeat(padding), template.source);
        let library = Library {
            template,
            padded,
            padding,
        };
        library.statements()?;
        Ok(library)
    }

    /// The macro definitions, rewritten for the budget.
    fn statements(&self) -> Result<Vec<ast::Stmt<'_>>, String> {
        let parsed = machinery::parse(&self.padded, "macros", Default::default(), WHITESPACE)
            .map_err(|e| describe(&e, &self.template, Some(self)))?;
        let ast::Stmt::Template(parsed) = parsed else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for stmt in &parsed.children {
            match stmt {
                ast::Stmt::Macro(_) => out.push(
                    rewrite::template(stmt).map_err(|r| refused(&r, &self.template, Some(self)))?,
                ),
                ast::Stmt::EmitRaw(raw) if raw.raw.trim().is_empty() => {}
                _ => return Err("`macros` holds only macro definitions and whitespace".into()),
            }
        }
        Ok(out)
    }
}

/// A template compiled with the budget's calls in place (see [`rewrite`]).
struct Compiled<'s> {
    instructions: Instructions<'s>,
    blocks: BTreeMap<&'s str, Instructions<'s>>,
}

const WHITESPACE: WhitespaceConfig = WhitespaceConfig {
    keep_trailing_newline: true,
    lstrip_blocks: false,
    trim_blocks: false,
};

/// Parses `template`, rewrites it and compiles it, after the macros of `library` (built-in
/// templates); `name` (the template field) is what `random` scopes its values by.
fn compile<'s>(
    name: &'s str,
    template: &'s Template,
    library: Option<&'s Library>,
) -> Result<Compiled<'s>, String> {
    let parsed = machinery::parse(&template.source, name, Default::default(), WHITESPACE)
        .map_err(|e| describe(&e, template, library))?;
    let prelude = match library {
        Some(library) => library.statements()?,
        None => Vec::new(),
    };
    let rewritten =
        rewrite::template_after(prelude, &parsed).map_err(|r| refused(&r, template, library))?;
    let mut generator = CodeGenerator::new(name, &template.source);
    generator.compile_stmt(&rewritten);
    let (instructions, blocks) = generator.finish();
    Ok(Compiled {
        instructions,
        blocks,
    })
}

/// Renders provisioner templates, compiling each one once, on first use.
pub(crate) struct Renderer<'p> {
    env: Environment<'p>,
    budget: Budget,
    provisioners: Vec<*const Provisioner>,
    /// The macros of each of `provisioners` (built-ins only).
    libraries: Vec<Option<&'p Library>>,
    compiled: HashMap<(usize, &'static str), Compiled<'p>>,
}

impl<'p> Renderer<'p> {
    pub fn new(seed: Seed, hooks: &Hooks, provisioners: &[&'p Provisioner]) -> Self {
        let budget = Budget::default();
        Renderer {
            env: environment(seed, hooks, &budget),
            budget,
            provisioners: provisioners
                .iter()
                .map(|p| *p as *const Provisioner)
                .collect(),
            libraries: provisioners
                .iter()
                .map(|p| super::builtin_library(p))
                .collect(),
            compiled: HashMap::new(),
        }
    }

    /// Renders one template of `provisioner` with `context`.
    pub fn render(
        &mut self,
        provisioner: &'p Provisioner,
        field: &'static str,
        template: &'p Template,
        context: &impl serde::Serialize,
    ) -> Result<String, String> {
        let index = self
            .provisioners
            .iter()
            .position(|p| std::ptr::eq(*p, provisioner))
            .unwrap_or(usize::MAX);
        let library = match self.libraries.get(index) {
            Some(library) => *library,
            None => super::builtin_library(provisioner),
        };
        let compiled = match self.compiled.entry((index, field)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(compile(field, template, library)?)
            }
        };
        self.budget.reset();
        let mut rendered = String::new();
        Vm::new(&self.env)
            .eval(
                &compiled.instructions,
                Value::from_serialize(context),
                &compiled.blocks,
                &mut machinery::make_string_output(&mut rendered),
                AutoEscape::None,
            )
            .map_err(|e| describe(&e, template, library))?;
        Ok(rendered)
    }
}

/// The message for a construct [`rewrite`] refuses, with its provisioner file line.
fn refused(refused: &Refused, template: &Template, library: Option<&Library>) -> String {
    format!(
        "syntax error: {}{}",
        refused.message,
        file_line(refused.line, template, library)
    )
}

/// ` (line N: `text`)`: template line `line` (1-based) as a line of the provisioner file; past
/// the padding of `library`, a line of the library.
fn file_line(line: usize, template: &Template, library: Option<&Library>) -> String {
    let (line, template) = match library {
        Some(library) if line > library.padding => (line - library.padding, &library.template),
        _ => (line, template),
    };
    let file_line = template.first_line as usize + line.saturating_sub(1);
    let text = template
        .source
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("");
    format!(" (line {file_line}: `{}`)", text.trim())
}

/// An error message with the provisioner file line it happened on.
fn describe(error: &Error, template: &Template, library: Option<&Library>) -> String {
    let detail = error.detail().unwrap_or_default();
    if detail.starts_with(FAIL_MARK) {
        // Kept marked, so the caller can present it as the provisioner's own words; past the
        // budget, the line says where.
        let limit = deliberate(detail).is_some_and(|d| d.code == budget::LIMIT);
        return match error.line() {
            Some(line) if limit => format!("{detail}{}", file_line(line, template, library)),
            _ => detail.to_owned(),
        };
    }
    let mut out = if detail.is_empty() {
        error.kind().to_string()
    } else {
        format!("{}: {detail}", error.kind())
    };
    if let Some(line) = error.line() {
        out.push_str(&file_line(line, template, library));
    }
    out
}

/// Renders `template` after the macros of `library`, with no context: for
/// tests of a catalogue other than the built-in one.
#[cfg(test)]
pub(crate) fn render_with(
    library: &Library,
    field: &'static str,
    template: &Template,
) -> Result<String, String> {
    let hooks = Hooks::new(|name| Ok(name.to_owned()), Default::default());
    let env = environment(Seed::new("test"), &hooks, &Budget::default());
    let compiled = compile(field, template, Some(library))?;
    let mut rendered = String::new();
    Vm::new(&env)
        .eval(
            &compiled.instructions,
            Value::from(()),
            &compiled.blocks,
            &mut machinery::make_string_output(&mut rendered),
            AutoEscape::None,
        )
        .map_err(|e| describe(&e, template, Some(library)))?;
    Ok(rendered)
}
