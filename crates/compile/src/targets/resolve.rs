//! Resolution of a workload's texts (variables, file contents) into typed values that
//! converters write: text, secret references and variables of the environment the output runs
//! in, each its own [`Part`].
//!
//! Placeholder substitution ([`crate::placeholders`]) works on strings, so a secret output
//! travels through it as a marker ([`crate::secrets`]). Here the markers are taken out for
//! good: a [`Resolved`] value has no way to be read as one string with its secrets in it, so a
//! converter must say what each secret becomes (a `secretKeyRef`, a Secret volume, an error)
//! and cannot write one as text by mistake. The targets' final scan for markers stays as a
//! second line of defence.
//!
//! Invariant: a [`Resolved`] value holds no secret or environment marker in its text parts.

use score_spec::Workload;
use serde_json::Value;

use crate::placeholders::{EnvPiece, EnvironmentSource, Scope, Unresolved, split_environment};
use crate::resources::ResourceGraph;
use crate::secrets::{self, Piece, SecretRef};

/// A piece of a resolved text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text to write as it is (after the target's own escaping).
    Text(String),
    /// A secret value: written as a reference, never as text.
    Secret(SecretRef),
    /// A variable of the environment the output runs in (`${resources.ENV.KEY}` of an
    /// `environment` resource on Compose), read when it runs.
    Variable(String),
}

/// A text after placeholder substitution, in typed parts (no empty text part).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    parts: Vec<Part>,
}

impl Resolved {
    /// Text written as it is, placeholders and all (`noExpand`).
    pub fn verbatim(text: String) -> Self {
        let parts = if text.is_empty() {
            Vec::new()
        } else {
            vec![Part::Text(text)]
        };
        Resolved { parts }
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The text, when it holds neither a secret nor a variable.
    pub fn plain(&self) -> Option<String> {
        let mut text = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => text.push_str(t),
                Part::Secret(_) | Part::Variable(_) => return None,
            }
        }
        Some(text)
    }

    /// The text for messages: each secret `<secret NAME/KEY>`, each variable `${KEY}`.
    pub fn describe(&self) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(t) => t.clone(),
                Part::Secret(r) => format!("<secret {}/{}>", r.name, r.key),
                Part::Variable(v) => format!("${{{v}}}"),
            })
            .collect()
    }

    /// Splits a substituted string at its markers.
    fn from_substituted(text: &str) -> Self {
        let mut parts = Vec::new();
        for piece in secrets::split(text) {
            match piece {
                Piece::Secret(r) => parts.push(Part::Secret(r)),
                Piece::Text(t) => {
                    parts.extend(split_environment(&t).into_iter().map(|piece| match piece {
                        EnvPiece::Text(t) => Part::Text(t),
                        EnvPiece::Variable(v) => Part::Variable(v),
                    }))
                }
            }
        }
        Resolved { parts }
    }
}

/// Resolves the texts of one workload against what its resources were provisioned with.
pub(crate) struct Resolver<'a> {
    /// The workload the texts belong to.
    pub workload: &'a Workload,
    /// Its index in the compile's (sorted) workloads.
    pub index: usize,
    /// The compile's resources.
    pub graph: &'a ResourceGraph,
    /// Each resource's outputs, indexed like `graph.nodes`.
    pub outputs: &'a [Value],
    /// Where the keys of an `environment` resource come from, indexed like `graph.nodes`
    /// (`None`: not one).
    pub environment: &'a [Option<EnvironmentSource>],
}

impl<'a> Resolver<'a> {
    /// The outputs of the workload's resource `name`, if it has one.
    pub fn outputs(&self, name: &str) -> Option<&'a Value> {
        self.graph.index(self.index, name).map(|i| &self.outputs[i])
    }

    /// Substitutes every placeholder of `text`.
    pub fn resolve(&self, text: &str) -> Result<Resolved, Unresolved> {
        let lookup = |n: &str| self.outputs(n);
        let environment = |n: &str| {
            self.graph
                .index(self.index, n)
                .and_then(|i| self.environment[i].clone())
        };
        let substituted = Scope {
            workload: self.workload,
            outputs: &lookup,
            environment: Some(&environment),
        }
        .substitute(text)?;
        Ok(Resolved::from_substituted(&substituted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placeholders::environment_marker;

    #[test]
    fn markers_become_typed_parts_and_never_text() {
        let secret = SecretRef {
            name: "db".into(),
            key: "password".into(),
        };
        let text = format!(
            "postgres://u:{}@h/{}",
            secret.marker(),
            environment_marker("DB")
        );
        let resolved = Resolved::from_substituted(&text);
        assert_eq!(
            resolved.parts(),
            [
                Part::Text("postgres://u:".into()),
                Part::Secret(secret),
                Part::Text("@h/".into()),
                Part::Variable("DB".into()),
            ]
        );
        assert_eq!(resolved.plain(), None);
        assert_eq!(
            resolved.describe(),
            "postgres://u:<secret db/password>@h/${DB}"
        );
        let plain = Resolved::from_substituted("just text");
        assert_eq!(plain.plain().as_deref(), Some("just text"));
        assert!(Resolved::verbatim(String::new()).parts().is_empty());
    }
}
