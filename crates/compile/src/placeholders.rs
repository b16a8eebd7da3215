//! Placeholder substitution: `${metadata.…}` from the workload, `${resources.NAME.KEY…}` from
//! the outputs of the resource NAME stands for.
//!
//! Syntax and escapes are score-spec's ([`score_spec::placeholders`]); the rules are those of
//! the Score specification: keys split on `.` (`\.` is a literal dot), a non-string value is
//! JSON-encoded into the string, an unknown key is an error. Secret outputs arrive here as
//! markers ([`crate::secrets`]) and pass through; the targets decide what they become.

use score_spec::Workload;
use score_spec::placeholders::{self, Placeholder};
use serde_json::Value;

/// What a placeholder could not be resolved to, as a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// What is wrong, quoting the placeholder as it was written.
    pub message: String,
    /// How to fix it (for example, the outputs the resource does have), when there is
    /// something to suggest.
    pub help: Option<String>,
}

/// Resolves placeholders for one workload.
pub struct Scope<'a> {
    /// The workload the text belongs to: `${metadata.…}` reads its metadata, and the NAME in
    /// `${resources.NAME.…}` is one of its resources.
    pub workload: &'a Workload,
    /// The outputs of a resource by its name in this workload (`None`: not provisioned).
    pub outputs: &'a dyn Fn(&str) -> Option<&'a Value>,
    /// Where the keys of a resource come from when it is an `environment` resource (`None`:
    /// it is not one): keys are then not outputs but variables of the environment the output
    /// runs in (Compose interpolation), or keys of a Secret (Kubernetes).
    pub environment: Option<&'a EnvironmentLookup<'a>>,
}

/// Says whether a resource name stands for an `environment` resource, and where its keys
/// come from.
pub type EnvironmentLookup<'a> = dyn Fn(&str) -> Option<EnvironmentSource> + 'a;

/// What `${resources.ENV.KEY}` of an `environment` resource stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvironmentSource {
    /// Variable KEY of the environment the output runs in: an environment marker
    /// ([`split_environment`]), which Compose writes `${KEY}`.
    Variables,
    /// Key KEY of the Secret of this name: a secret marker ([`crate::secrets`]).
    Secret(String),
}

/// Marks `${resources.ENV.KEY}` of an `environment` resource inside a substituted string.
const ENV_OPEN: char = '\u{F0003}';
const ENV_CLOSE: char = '\u{F0004}';

/// The marker standing for environment variable `key`.
pub fn environment_marker(key: &str) -> String {
    format!("{ENV_OPEN}{key}{ENV_CLOSE}")
}

/// A piece of a substituted string: text, or a variable of the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvPiece {
    /// Text to write as it is.
    Text(String),
    /// The name of a variable of the environment the output runs in, read when it runs
    /// (Compose writes it `${NAME}`).
    Variable(String),
}

/// Splits a substituted string at environment markers.
pub fn split_environment(text: &str) -> Vec<EnvPiece> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(ENV_OPEN) {
        let after = &rest[start + ENV_OPEN.len_utf8()..];
        let Some(end) = after.find(ENV_CLOSE) else {
            break;
        };
        if start > 0 {
            out.push(EnvPiece::Text(rest[..start].to_owned()));
        }
        out.push(EnvPiece::Variable(after[..end].to_owned()));
        rest = &after[end + ENV_CLOSE.len_utf8()..];
    }
    if !rest.is_empty() {
        out.push(EnvPiece::Text(rest.to_owned()));
    }
    out
}

/// True when `text` holds an environment marker.
pub fn contains_environment(text: &str) -> bool {
    text.contains(ENV_OPEN)
}

impl Scope<'_> {
    /// Substitutes every placeholder of `text`.
    pub fn substitute(&self, text: &str) -> Result<String, Unresolved> {
        if !placeholders::may_contain_placeholders(text) {
            return Ok(text.to_owned());
        }
        placeholders::parse(text).render(|p| self.resolve(p, text))
    }

    /// Substitutes inside every string of a JSON value (resource params).
    pub fn substitute_json(&self, value: &Value) -> Result<Value, Unresolved> {
        Ok(match value {
            Value::String(s) => Value::String(self.substitute(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.substitute_json(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.substitute_json(v)?)))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }

    fn resolve(&self, p: &Placeholder, text: &str) -> Result<String, Unresolved> {
        let written = p.source(text);
        match p.root() {
            "metadata" => {
                let node = self.workload.metadata.lookup(&p.keys[1..]).ok_or_else(|| Unresolved {
                    message: format!("`${{{written}}}`: the workload metadata has no such key"),
                    help: None,
                })?;
                Ok(encode(&node.to_json()))
            }
            "resources" => {
                let name = p.keys.get(1).map_or("", String::as_str);
                if let Some(source) = self.environment.and_then(|f| f(name)) {
                    return environment_value(&source, &p.keys[2..], name, written);
                }
                let outputs = (self.outputs)(name).ok_or_else(|| Unresolved {
                    message: format!("`${{{written}}}`: no resource `{name}` in this workload"),
                    help: None,
                })?;
                if p.keys.len() < 3 {
                    return Err(Unresolved {
                        message: format!("`${{{written}}}` names a resource, not one of its outputs"),
                        help: Some(format!(
                            "write `${{resources.{name}.KEY}}` with one of its outputs: {}",
                            output_keys(outputs)
                        )),
                    });
                }
                let mut here = outputs;
                for (depth, key) in p.keys[2..].iter().enumerate() {
                    let next = match here {
                        Value::Object(map) => map.get(key),
                        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                        _ => None,
                    };
                    here = next.ok_or_else(|| {
                        let path = p.keys[2..=2 + depth].join(".");
                        Unresolved {
                            message: if depth == 0 {
                                format!("resource `{name}` has no output `{key}`")
                            } else {
                                format!("output `{path}` of resource `{name}` does not exist")
                            },
                            help: Some(if depth == 0 {
                                format!("its outputs are: {}", output_keys(outputs))
                            } else {
                                format!("the keys there are: {}", output_keys(here))
                            }),
                        }
                    })?;
                }
                Ok(encode(here))
            }
            other => Err(Unresolved {
                message: format!("`${{{written}}}`: unknown placeholder root `{other}`"),
                help: Some("placeholders start with `metadata` or `resources`; write `$${...}` to keep the text as it is".into()),
            }),
        }
    }
}

/// A string as itself, anything else as compact JSON (`5432` → `5432`, maps → `{"a":1}`).
pub fn encode(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn output_keys(value: &Value) -> String {
    match value {
        Value::Object(map) if !map.is_empty() => map
            .keys()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => "(none)".to_owned(),
        _ => "(it is not a mapping)".to_owned(),
    }
}

/// `${resources.NAME.KEY}` of an environment resource: a marker for KEY.
fn environment_value(
    source: &EnvironmentSource,
    keys: &[String],
    name: &str,
    written: &str,
) -> Result<String, Unresolved> {
    let [key] = keys else {
        return Err(Unresolved {
            message: format!(
                "`${{{written}}}`: an environment resource needs exactly one key, the variable name"
            ),
            help: Some(format!("write `${{resources.{name}.VARIABLE}}`")),
        });
    };
    // Compose writes the key as `${KEY}` (`A:-x` would be its default-value syntax), and on
    // Kubernetes it is a Secret key read into a variable: one rule for both, the spec's.
    if !score_spec::placeholders::is_variable_name(key) {
        return Err(Unresolved {
            message: format!(
                "`${{{written}}}`: `{key}` is not a variable name, so it cannot be a key of the `environment` resource `{name}`"
            ),
            help: Some(score_spec::placeholders::VARIABLE_NAME_HELP.into()),
        });
    }
    match source {
        EnvironmentSource::Variables => Ok(environment_marker(key)),
        EnvironmentSource::Secret(secret) => {
            let valid = !key.is_empty()
                && key.len() <= 253
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !valid {
                return Err(Unresolved {
                    message: format!(
                        "`${{{written}}}`: `{key}` cannot be a key of the Secret `{secret}` that holds the environment"
                    ),
                    help: Some("a Secret key has letters, digits, `-`, `_` and `.` only".into()),
                });
            }
            Ok(crate::secrets::SecretRef {
                name: secret.clone(),
                key: key.clone(),
            }
            .marker())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workload() -> Workload {
        score_spec::parse_workload(
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n  annotations:\n    example.com/team: blue\n  extra:\n    n: 3\ncontainers:\n  web:\n    image: nginx\nresources:\n  db:\n    type: postgres\n",
            "score.yaml",
        )
        .unwrap()
        .workload
    }

    #[test]
    fn substitutes_metadata_outputs_and_escapes() {
        let w = workload();
        let outputs = json!({"host": "db.local", "port": 5432, "nested": {"a": [1, "x"]}});
        let lookup = |name: &str| (name == "db").then_some(&outputs);
        let scope = Scope {
            workload: &w,
            outputs: &lookup,
            environment: None,
        };
        let s = |t: &str| scope.substitute(t);
        assert_eq!(
            s("${resources.db.host}:${resources.db.port}").unwrap(),
            "db.local:5432"
        );
        assert_eq!(s("${resources.db.nested}").unwrap(), r#"{"a":[1,"x"]}"#);
        assert_eq!(s("${resources.db.nested.a.1}").unwrap(), "x");
        assert_eq!(
            s("${metadata.annotations.example\\.com/team}").unwrap(),
            "blue"
        );
        assert_eq!(s("${metadata.extra.n}").unwrap(), "3");
        assert_eq!(s("$${x} $$ $5 $(VAR)").unwrap(), "${x} $ $5 $(VAR)");
        let missing = s("${resources.db.user}").unwrap_err();
        assert_eq!(missing.message, "resource `db` has no output `user`");
        assert!(missing.help.unwrap().contains("`host`, `nested`, `port`"));
        assert!(s("${resources.db}").is_err());
        assert_eq!(
            scope
                .substitute_json(&json!({"a": ["${resources.db.port}"]}))
                .unwrap(),
            json!({"a": ["5432"]})
        );
    }

    #[test]
    fn keys_of_an_environment_resource_are_variable_names_on_both_targets() {
        let w = workload();
        for source in [
            EnvironmentSource::Variables,
            EnvironmentSource::Secret("score-environment".into()),
        ] {
            let environment = |name: &str| (name == "env").then(|| source.clone());
            let lookup = |_: &str| None;
            let scope = Scope {
                workload: &w,
                outputs: &lookup,
                environment: Some(&environment),
            };
            assert!(scope.substitute("${resources.env.API_KEY_2}").is_ok());
            for key in ["A:-x", "1ST", "a-b", "a b"] {
                let e = scope
                    .substitute(&format!("x ${{resources.env.{key}}}"))
                    .unwrap_err();
                assert_eq!(
                    e.message,
                    format!(
                        "`${{resources.env.{key}}}`: `{key}` is not a variable name, so it cannot be a key of the `environment` resource `env`"
                    ),
                    "{source:?}"
                );
                assert!(e.help.unwrap().contains("[A-Za-z_][A-Za-z0-9_]*"));
            }
        }
    }
}
