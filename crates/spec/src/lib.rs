#![warn(missing_docs)]
//! Parse, upgrade and validate [Score](https://score.dev) workload specifications.
//!
//! A Score file goes through four steps, each reporting every problem it finds:
//!
//! 1. **parse** YAML or JSON into a tree that remembers where every value was written
//!    (duplicate keys are errors; size, depth and alias expansion are bounded);
//! 2. **upgrade** deprecated forms (list-form `files`/`volumes`, list `content`, `read_only`),
//!    with a warning that says what to write instead;
//! 3. **validate** against the Score v1b1 JSON schema ([`SCORE_V1B1_SCHEMA`]);
//! 4. **check** what the schema cannot: placeholders refer to things that exist, `before` and
//!    resource params form no cycles.
//!
//! The result is a typed [`Workload`] whose values keep their source [`Span`]s, or the
//! [`Diagnostics`] explaining why there is none.
//!
//! ```
//! let text = "\
//! apiVersion: score.dev/v1b1
//! metadata:
//!   name: hello
//! containers:
//!   main:
//!     image: nginx:1.27
//!     variables:
//!       GREETING: hello from ${metadata.name}
//! ";
//! let parsed = score_spec::parse_workload(text, "score.yaml").unwrap();
//! assert_eq!(parsed.workload.name(), "hello");
//! let greeting = &parsed.workload.containers["main"].variables["GREETING"];
//! assert_eq!(greeting.value.span.line, 8);
//!
//! let broken = text.replace("${metadata.name}", "${resources.db.host}");
//! let diagnostics = score_spec::parse_workload(&broken, "score.yaml").unwrap_err();
//! let first = diagnostics.iter().next().unwrap();
//! assert_eq!(first.code, "score::placeholder::unknown-resource");
//! assert_eq!(first.pointer, "/containers/main/variables/GREETING");
//! ```

pub mod codes;
pub mod diagnostics;
pub mod graph;
pub mod model;
pub mod node;
pub mod overrides;
pub mod placeholders;
mod schema;
mod semantics;
mod source;
mod upgrade;
mod yaml;

pub use diagnostics::{Diagnostic, Diagnostics, Label, Severity};
pub use model::{Spanned, Workload};
pub use node::Node;
pub use schema::{SCORE_V1B1_SCHEMA, did_you_mean};
pub use source::{SourceFile, Span};
pub use yaml::Limits;

/// Reads one YAML (or JSON) document into a located tree, within `limits`, without any
/// Score-specific checks. The compiler reads provisioner files with it, so their errors carry
/// the same file:line:column locations as a workload's.
pub fn parse_yaml(source: &SourceFile, limits: &Limits) -> Result<Node, Box<Diagnostic>> {
    yaml::parse_document(source, limits).map_err(|mut d| {
        d.source = Some(source.clone());
        d
    })
}

/// A workload that passed validation, with the warnings found on the way (deprecated forms).
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The upgraded, validated workload.
    pub workload: Workload,
    /// Problems that did not stop the workload, such as deprecated forms to rewrite; empty for
    /// a clean file.
    pub warnings: Diagnostics,
}

/// How to read a workload.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Bounds on size, nesting and aliases.
    pub limits: Limits,
    /// Applied in order to the document as read, before upgrades and validation.
    pub overrides: Vec<overrides::Override>,
}

/// Parses, upgrades and validates one workload from `text`; `origin` names it in diagnostics
/// (usually the file path).
///
/// Returns the workload and its warnings, or every diagnostic found (errors and warnings, in
/// source order) when there is at least one error.
pub fn parse_workload(text: &str, origin: &str) -> Result<Parsed, Diagnostics> {
    parse_workload_with(SourceFile::new(origin, text), &ParseOptions::default())
}

/// [`parse_workload`] for a [`SourceFile`] the caller already holds, with explicit options.
pub fn parse_workload_with(
    source: SourceFile,
    options: &ParseOptions,
) -> Result<Parsed, Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    let mut document = match yaml::parse_document(&source, &options.limits) {
        Ok(document) => document,
        Err(error) => {
            diagnostics.push(*error);
            return Err(diagnostics.finish(&source));
        }
    };
    if document.as_map().is_none() {
        let d = Diagnostic::error(
            "score::schema::type",
            format!(
                "a workload must be a mapping of fields, found {} {}",
                if document.type_name() == "array" {
                    "an"
                } else {
                    "a"
                },
                document.type_name()
            ),
        )
        .at("", document.span)
        .with_help("start the file with `apiVersion: score.dev/v1b1`");
        diagnostics.push(d);
        return Err(diagnostics.finish(&source));
    }
    let (applied, problems) = overrides::apply(&mut document, &options.overrides);
    diagnostics.extend(problems);
    diagnostics.extend(upgrade::upgrade(&mut document));
    diagnostics.extend(schema::validate(&document, source.text()));
    let workload = Workload::from_document(document, source.clone());
    diagnostics.extend(semantics::check(&workload));
    if !applied.is_empty() {
        overrides::annotate(&mut diagnostics.0, &applied, &workload.document);
    }
    let diagnostics = diagnostics.finish(&source);
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(Parsed {
            workload,
            warnings: diagnostics,
        })
    }
}
