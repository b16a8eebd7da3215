//! Kubernetes' object size: the API server (etcd) refuses an object over 1 MiB, and a
//! ConfigMap or Secret is the object that gets that big (files, provisioned data). The
//! compile cannot know the exact stored size; the serialized size of `data`, `binaryData`
//! and `stringData` is a close estimate (metadata adds little), and over the limit it warns.

use score_spec::Span;
use score_spec::diagnostics::Diagnostic;
use serde_json::Value;

/// The most data a ConfigMap or Secret may hold (1 MiB).
pub const OBJECT_LIMIT: usize = 1 << 20;

/// The code of the warning.
pub const CODE: &str = "score::kubernetes::object-too-large";

/// The serialized size of the data of `object` when it is a ConfigMap or Secret holding
/// more than [`OBJECT_LIMIT`].
pub fn oversized(object: &Value) -> Option<usize> {
    let kind = object.get("kind").and_then(Value::as_str)?;
    if kind != "ConfigMap" && kind != "Secret" {
        return None;
    }
    let size: usize = ["data", "binaryData", "stringData"]
        .iter()
        .filter_map(|field| object.get(field))
        .map(|data| serde_json::to_string(data).map_or(0, |s| s.len()))
        .sum();
    (size > OBJECT_LIMIT).then_some(size)
}

/// The warning for `object` (of `size` bytes of data), at `pointer`/`span`; `help` says how
/// to fix it where it comes from.
pub fn warning(object: &Value, size: usize, pointer: String, span: Span, help: &str) -> Diagnostic {
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("object");
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    Diagnostic::warning(
        CODE,
        format!(
            "the {kind} `{name}` holds about {:.1} MiB of data (its data serialized, a close estimate), more than the 1 MiB the Kubernetes API server accepts for an object: applying it will be rejected",
            size as f64 / f64::from(1 << 20)
        ),
    )
    .at(pointer, span)
    .with_help(help.to_owned())
}

/// How to fix a ConfigMap of a workload's files that is too large.
pub const FILES_HELP: &str = "mount large content from a volume (a `volume` resource, or an image that holds it) instead of `files`, or split it so that each workload's files stay under 1 MiB";

/// How to fix a provisioned ConfigMap or Secret that is too large.
pub const PROVISIONED_HELP: &str = "the provisioner renders this object: keep large content out of it (mount it from a volume), or split it into several objects of less than 1 MiB";
