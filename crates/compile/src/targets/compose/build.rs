//! `--build CONTAINER=CONTEXT` (score-compose's flag): a container's service gets a Compose
//! `build` section instead of an `image`, so `docker compose up --build` builds it from local
//! sources.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use score_spec::diagnostics::Diagnostic;
use score_spec::{Limits, SourceFile, Workload};
use serde_json::{Map, Value};

/// The keys of a Compose `build` section (compose-spec), besides `x-` extensions.
const BUILD_KEYS: [&str; 25] = [
    "additional_contexts",
    "args",
    "cache_from",
    "cache_to",
    "context",
    "dockerfile",
    "dockerfile_inline",
    "entitlements",
    "extra_hosts",
    "isolation",
    "labels",
    "network",
    "no_cache",
    "no_cache_filter",
    "platforms",
    "privileged",
    "provenance",
    "pull",
    "sbom",
    "secrets",
    "shm_size",
    "ssh",
    "tags",
    "target",
    "ulimits",
];

/// Build a container's image from a local context instead of pulling it.
///
/// Parsed from `[WORKLOAD.]CONTAINER=CONTEXT` or `[WORKLOAD.]CONTAINER={…}`, where `{…}` is a
/// Compose `build` section in JSON or YAML flow syntax:
///
/// ```
/// use score_compile::compose::Build;
///
/// let web: Build = "web=./src".parse().unwrap();
/// assert_eq!(web.container, "web");
/// assert_eq!(web.config["context"], "./src");
///
/// let api: Build = r#"shop.api={"context": ".", "dockerfile": "api.Dockerfile"}"#.parse().unwrap();
/// assert_eq!(api.workload.as_deref(), Some("shop"));
/// assert_eq!(api.config["dockerfile"], "api.Dockerfile");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// The workload of the container; `None` for the one workload that has a container
    /// named `container` (two such workloads are an error).
    pub workload: Option<String>,
    /// The container's name.
    pub container: String,
    /// The Compose `build` section, written as given: at least a non-empty `context`, which
    /// Compose resolves from the Compose file's directory when it is relative.
    pub config: Map<String, Value>,
}

impl FromStr for Build {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let Some((name, value)) = s.split_once('=') else {
            return Err(format!(
                "`{s}` is not CONTAINER=CONTEXT (e.g. web=./src, or web={{\"context\": \"./src\"}})"
            ));
        };
        let (workload, container) = match name.split_once('.') {
            Some((w, c)) => (Some(w.to_owned()), c.to_owned()),
            None => (None, name.to_owned()),
        };
        if container.is_empty() || workload.as_deref() == Some("") {
            return Err(format!(
                "`{s}` names no container; write CONTAINER=CONTEXT or WORKLOAD.CONTAINER=CONTEXT"
            ));
        }
        let config = if value.trim_start().starts_with('{') {
            section(value).map_err(|why| format!("`{s}`: {why}"))?
        } else {
            Map::from_iter([("context".to_owned(), Value::String(value.to_owned()))])
        };
        match config.get("context") {
            Some(Value::String(c)) if !c.trim().is_empty() => {}
            Some(Value::String(_)) | None => {
                return Err(format!(
                    "`{s}` has no build context: give the directory to build from (relative to the Compose file's directory), e.g. `{name}=.`"
                ));
            }
            Some(other) => {
                return Err(format!("`{s}`: `context` must be a path, not {other}"));
            }
        }
        Ok(Build {
            workload,
            container,
            config,
        })
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(w) = &self.workload {
            write!(f, "{w}.")?;
        }
        match (self.config.len(), self.config.get("context")) {
            (1, Some(Value::String(c))) => write!(f, "{}={c}", self.container),
            _ => write!(
                f,
                "{}={}",
                self.container,
                Value::Object(self.config.clone())
            ),
        }
    }
}

/// A `build` section in JSON or YAML flow syntax, with only Compose's keys.
fn section(text: &str) -> Result<Map<String, Value>, String> {
    let source = SourceFile::new("--build", text);
    let node = score_spec::parse_yaml(&source, &Limits::default()).map_err(|d| d.message)?;
    let Value::Object(map) = node.to_json() else {
        return Err("not a mapping".into());
    };
    if let Some(key) = map
        .keys()
        .find(|k| !k.starts_with("x-") && !BUILD_KEYS.contains(&k.as_str()))
    {
        let candidates: Vec<String> = BUILD_KEYS.iter().map(|k| (*k).to_owned()).collect();
        let hint = score_spec::did_you_mean(key, &candidates)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(format!(
            "`{key}` is not a key of a Compose build section{hint}; the keys are {}",
            BUILD_KEYS.join(", ")
        ));
    }
    Ok(map)
}

/// A `--build` flag matched to its container: (workload index, container name, section).
pub(super) type Resolved<'a> = (usize, &'a str, &'a Map<String, Value>);

/// The `build` section of each container, by (workload index, container name), or an error
/// for each flag that names no container, or one several workloads have.
pub(super) fn resolve<'a>(
    builds: &'a [Build],
    workloads: &[&Workload],
) -> Result<Vec<Resolved<'a>>, Vec<Diagnostic>> {
    let mut resolved = Vec::new();
    let mut problems = Vec::new();
    for b in builds {
        let matching: Vec<usize> = workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| {
                b.workload.as_deref().is_none_or(|name| w.name() == name)
                    && w.containers.contains_key(&b.container)
            })
            .map(|(i, _)| i)
            .collect();
        match matching.as_slice() {
            [i] => resolved.push((*i, b.container.as_str(), &b.config)),
            [] => problems.push(unknown(b, workloads)),
            several => {
                let names: Vec<String> = several
                    .iter()
                    .map(|&i| format!("`{}.{}`", workloads[i].name(), b.container))
                    .collect();
                problems.push(
                    Diagnostic::error(
                        "score::compose::build",
                        format!(
                            "`--build {b}` names container `{}`, which several workloads have",
                            b.container
                        ),
                    )
                    .with_help(format!("name the workload too: {}", names.join(" or "))),
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(problems)
    }
}

/// The build sections of workload `i`'s containers, by container name.
pub(super) fn of_workload<'a>(
    resolved: &[Resolved<'a>],
    i: usize,
) -> BTreeMap<&'a str, &'a Map<String, Value>> {
    resolved
        .iter()
        .filter(|(j, ..)| *j == i)
        .map(|(_, c, b)| (*c, *b))
        .collect()
}

fn unknown(b: &Build, workloads: &[&Workload]) -> Diagnostic {
    let known: Vec<String> = workloads
        .iter()
        .flat_map(|w| {
            w.containers
                .keys()
                .map(move |c| format!("{}.{c}", w.name()))
        })
        .collect();
    let what = match &b.workload {
        Some(w) => format!("container `{}` of workload `{w}`", b.container),
        None => format!("container `{}`", b.container),
    };
    Diagnostic::error(
        "score::compose::build",
        format!("`--build {b}` names {what}, which no workload compiled here has"),
    )
    .with_help(format!(
        "the containers are (WORKLOAD.CONTAINER): {}",
        known.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_score_compose_accepts() {
        let b: Build = "web=./dir".parse().unwrap();
        assert_eq!((b.workload, b.container.as_str()), (None, "web"));
        assert_eq!(
            Value::Object(b.config),
            serde_json::json!({"context": "./dir"})
        );
        let b: Build = r#"web={"context":"./dir","args":{"DEBUG":"true"}}"#
            .parse()
            .unwrap();
        assert_eq!(b.config["args"]["DEBUG"], "true");
        let b: Build = r#"shop.web={context: "./dir", dockerfile: Dockerfile.dev}"#
            .parse()
            .unwrap();
        assert_eq!(b.workload.as_deref(), Some("shop"));
        assert_eq!(b.config["dockerfile"], "Dockerfile.dev");
        assert_eq!(
            b.to_string(),
            "shop.web={\"context\":\"./dir\",\"dockerfile\":\"Dockerfile.dev\"}"
        );
        assert_eq!("web=.".parse::<Build>().unwrap().to_string(), "web=.");
    }

    #[test]
    fn refuses_what_compose_could_not_build() {
        for (flag, why) in [
            ("web", "is not CONTAINER=CONTEXT"),
            ("=./dir", "names no container"),
            (".web=./dir", "names no container"),
            ("web=", "has no build context"),
            ("web={dockerfile: x}", "has no build context"),
            ("web={context: 1}", "must be a path"),
            (
                "web={context: ., dockerfil: x}",
                "did you mean `dockerfile`?",
            ),
            ("web={context: [}", "`web={context: [}`: "),
        ] {
            let err = flag.parse::<Build>().unwrap_err();
            assert!(err.contains(why), "{flag}: {err}");
        }
    }
}
