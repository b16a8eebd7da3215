//! Secret references: how a provisioner says "this output is the value of key K in Secret S"
//! without the value itself ever passing through placeholders into plain text.
//!
//! A reference travels as a marker string made of Unicode private-use characters, which cannot
//! occur in YAML written by people and survive placeholder substitution and JSON encoding
//! unchanged. The targets decide what a marker becomes where it lands: an environment variable
//! becomes a `secretKeyRef`, a file becomes a Secret volume; anywhere else it is an error.
//!
//! Template provisioners make markers with `secret_ref(name, key)`; the markers score-k8s's
//! command provisioners print (`🔐💬<name>_<key>💬🔐`) are turned into ours as their output is
//! read (`provisioners::commands`).

const OPEN: char = '\u{F0000}';
const SEPARATOR: char = '\u{F0001}';
const CLOSE: char = '\u{F0002}';

/// A key of a Kubernetes Secret (or, for other targets, of their secret store).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretRef {
    /// The name of the Secret holding the value.
    pub name: String,
    /// The key of the value in that Secret.
    pub key: String,
}

impl SecretRef {
    /// The marker that stands for this reference inside strings.
    pub fn marker(&self) -> String {
        format!("{OPEN}{}{SEPARATOR}{}{CLOSE}", self.name, self.key)
    }
}

/// A piece of a string that may hold secret references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Plain text.
    Text(String),
    /// A secret value, which must be written as a reference, never as text.
    Secret(SecretRef),
}

/// True when `text` holds at least one marker.
pub fn contains_secret(text: &str) -> bool {
    text.contains(OPEN)
}

/// Splits `text` into plain text and secret references. Empty text pieces are left out.
pub fn split(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len_utf8()..];
        let parsed = after.find(CLOSE).and_then(|end| {
            let inner = &after[..end];
            let (name, key) = inner.split_once(SEPARATOR)?;
            Some((name, key, end))
        });
        let Some((name, key, end)) = parsed else {
            // A stray opening character is text (it cannot come from us).
            break;
        };
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_owned()));
        }
        pieces.push(Piece::Secret(SecretRef {
            name: name.to_owned(),
            key: key.to_owned(),
        }));
        rest = &after[end + CLOSE.len_utf8()..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    pieces
}

/// Replaces every marker in `text` with a readable `<secret NAME/KEY>`, for messages.
pub fn describe(text: &str) -> String {
    split(text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(t) => t,
            Piece::Secret(r) => format!("<secret {}/{}>", r.name, r.key),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let r = SecretRef {
            name: "db".into(),
            key: "password".into(),
        };
        let text = format!("user:{}@host", r.marker());
        assert!(contains_secret(&text));
        assert_eq!(
            split(&text),
            vec![
                Piece::Text("user:".into()),
                Piece::Secret(r.clone()),
                Piece::Text("@host".into())
            ]
        );
        assert_eq!(split(&r.marker()), vec![Piece::Secret(r)]);
        assert_eq!(describe(&text), "user:<secret db/password>@host");
    }

    #[test]
    fn survives_json_encoding() {
        let r = SecretRef {
            name: "s".into(),
            key: "k".into(),
        };
        let json = serde_json::to_string(&serde_json::json!({ "p": r.marker() })).unwrap();
        assert!(matches!(split(&json).as_slice(), [_, Piece::Secret(_), _]));
    }
}
