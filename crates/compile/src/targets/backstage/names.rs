//! Backstage's formats for names, namespaces, entity references and tags
//! (`@backstage/catalog-model`'s `FieldFormatEntityPolicy`), and deterministic shortening.

use crate::seed::sha256_hex;

/// The longest entity name, namespace, kind or tag Backstage accepts.
pub const MAX_LENGTH: usize = 63;

/// An entity name: 1–63 characters of `A-Za-z0-9-_.`, beginning and ending with a letter or
/// digit.
pub fn is_entity_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LENGTH
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A namespace: a DNS label (lower-case letters and digits, separated by `-`).
pub fn is_namespace(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LENGTH
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A kind: a letter, then letters and digits.
fn is_kind(s: &str) -> bool {
    s.len() <= MAX_LENGTH
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Checks an entity reference, `[<kind>:][<namespace>/]<name>`, as Backstage parses it; the
/// error says which part is wrong.
pub fn check_entity_ref(s: &str) -> Result<(), String> {
    let (kind, rest) = match s.split_once(':') {
        Some((kind, rest)) => (Some(kind), rest),
        None => (None, s),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, rest),
    };
    if let Some(kind) = kind
        && !is_kind(kind)
    {
        return Err(format!(
            "`{kind}` is not a kind: use letters and digits, starting with a letter"
        ));
    }
    if let Some(namespace) = namespace
        && !is_namespace(namespace)
    {
        return Err(format!(
            "`{namespace}` is not a namespace: use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit"
        ));
    }
    if !is_entity_name(name) {
        return Err(format!(
            "`{name}` is not an entity name: use at most 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

/// A tag in Backstage's format (`^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`, at most 63 characters):
/// lower-cased, every run of other characters turned into one `-`. `None` when nothing is
/// left.
pub fn normalize_tag(tag: &str) -> Option<String> {
    let mut out = String::with_capacity(tag.len());
    for c in tag.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '+' | '#') {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(MAX_LENGTH);
    let out = out.trim_end_matches('-');
    (!out.is_empty()).then(|| out.to_owned())
}

/// The tags of a comma-separated list, normalized, without repeats, in the order written.
pub fn tags(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in list.split(',').filter_map(normalize_tag) {
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// `name` if it is at most 63 characters; otherwise its first characters and a hash of
/// `identity`, so that the result is stable and two long names stay distinct.
pub fn shortened(name: &str, identity: &str) -> String {
    if name.len() <= MAX_LENGTH {
        return name.to_owned();
    }
    with_hash(name, identity)
}

/// `name`, cut to leave room, then `-` and eight hex digits of the hash of `identity`.
pub fn with_hash(name: &str, identity: &str) -> String {
    let hash = &sha256_hex(identity.as_bytes())[..8];
    let mut stem: &str = &name[..name.len().min(MAX_LENGTH - 1 - hash.len())];
    stem = stem.trim_end_matches(['-', '_', '.']);
    format!("{stem}-{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_names() {
        for ok in ["a", "web", "A.b_c-9", &"x".repeat(63)] {
            assert!(is_entity_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "ä", &"x".repeat(64)] {
            assert!(!is_entity_name(bad), "{bad}");
        }
    }

    #[test]
    fn entity_refs() {
        for ok in [
            "team-a",
            "group:team-a",
            "user:default/guest",
            "Group:x/y.z",
        ] {
            assert_eq!(check_entity_ref(ok), Ok(()), "{ok}");
        }
        for (bad, part) in [
            ("", "entity name"),
            ("group:", "entity name"),
            ("gr oup:a", "kind"),
            ("group:Team/a", "namespace"),
            ("a/b/c", "entity name"),
            ("team a", "entity name"),
        ] {
            let err = check_entity_ref(bad).unwrap_err();
            assert!(err.contains(part), "{bad}: {err}");
        }
    }

    #[test]
    fn tags_are_normalized() {
        assert_eq!(
            tags(" Go, C++ ,Node.js,node.js,Machine  Learning,,---,c#, über"),
            ["go", "c++", "node-js", "machine-learning", "c#", "ber"]
        );
        let long = normalize_tag(&"ab-".repeat(40)).unwrap();
        assert!(long.len() <= 63 && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn shortening_is_stable_and_distinct() {
        let a = "a".repeat(40) + "-" + &"b".repeat(40);
        let short = shortened(&a, "uid-1");
        assert!(short.len() <= 63 && is_entity_name(&short), "{short}");
        assert_eq!(short, shortened(&a, "uid-1"));
        assert_ne!(short, shortened(&a, "uid-2"));
        assert_eq!(shortened("web-db", "x"), "web-db");
    }
}
