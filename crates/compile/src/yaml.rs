//! Writing manifests as YAML: serde-saphyr's emitter (which quotes every string a YAML 1.1
//! reader would take for a boolean, number, null or date), with keys in the order people
//! write them: by default as in Kubernetes objects, `apiVersion`, `kind`, `metadata`, then
//! `name`, `namespace`, `image`, `entrypoint`, `command`, `args` where present, then the rest
//! alphabetically.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

/// The keys written first, in this order, at every level of a Kubernetes object.
pub const KUBERNETES_KEY_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "image",
    "entrypoint",
    "command",
    "args",
];

/// A JSON value serialized with the keys in `first` first (in that order), then the rest
/// alphabetically.
struct Ordered<'a> {
    value: &'a Value,
    first: &'a [&'a str],
}

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let first = self.first;
        let nested = |value| Ordered { value, first };
        match self.value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by_key(|k| {
                    (
                        first.iter().position(|f| f == k).unwrap_or(first.len()),
                        k.as_str(),
                    )
                });
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for key in keys {
                    out.serialize_entry(key, &nested(&map[key]))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&nested(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

fn options() -> serde_saphyr::SerializerOptions {
    let mut options = serde_saphyr::SerializerOptions::default();
    // Multi-line strings (file contents) as literal blocks, but never fold long lines: a
    // folded scalar re-joins lines with spaces, which is easy to get subtly wrong.
    options.prefer_block_scalars = true;
    options.folded_wrap_chars = usize::MAX;
    options
}

/// One YAML document, keys in the Kubernetes order.
pub fn to_yaml(value: &Value) -> String {
    to_yaml_ordered(value, KUBERNETES_KEY_ORDER)
}

/// One YAML document, the keys in `first` first (in that order), then the rest alphabetically.
pub fn to_yaml_ordered(value: &Value, first: &[&str]) -> String {
    let mut out = String::new();
    serde_saphyr::to_fmt_writer_with_options(&mut out, &Ordered { value, first }, options())
        .expect("a JSON value always serializes");
    out
}

/// A multi-document stream, each document introduced by `---`, keys in the Kubernetes order.
pub fn to_yaml_stream(values: &[Value]) -> String {
    to_yaml_stream_ordered(values, KUBERNETES_KEY_ORDER)
}

/// A multi-document stream, each document introduced by `---`, the keys in `first` first.
pub fn to_yaml_stream_ordered(values: &[Value], first: &[&str]) -> String {
    let mut out = String::new();
    for value in values {
        out.push_str("---\n");
        out.push_str(&to_yaml_ordered(value, first));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conventional_order_and_yaml_1_1_safe_strings() {
        let doc = json!({
            "spec": {"containers": [{"image": "x", "name": "c", "args": ["yes", "0644", "n", "2001-01-01"]}]},
            "metadata": {"name": "web", "labels": {"on": "off"}},
            "kind": "Deployment",
            "apiVersion": "apps/v1",
        });
        let text = to_yaml_stream(&[doc]);
        insta::assert_snapshot!(text, @r#"
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          labels:
            "on": "off"
        spec:
          containers:
          - name: c
            image: x
            args:
            - "yes"
            - "0644"
            - "n"
            - "2001-01-01"
        "#);
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let text = to_yaml(&json!({"data": {"f": "line one\nline two\n"}}));
        assert!(text.contains("f: |\n"), "{text}");
        let long = "word ".repeat(40);
        let text = to_yaml(&json!({ "v": long }));
        assert!(!text.contains('>'), "{text}");
    }
}
