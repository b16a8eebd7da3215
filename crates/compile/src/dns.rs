//! Which strings are DNS names (and Kubernetes names built on them), and how to make one from
//! any text. Pure string rules, below everything that names things: provisioners (host names,
//! object names), and the Kubernetes and Compose targets.

/// True for a DNS-1035 label: what Service names must be (a letter first).
pub fn is_dns1035_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// True for a DNS-1123 label: at most 63 lower-case letters, digits and `-`, starting and
/// ending with a letter or digit (namespaces, workload names, each label of a host name).
///
/// ```
/// use score_compile::kubernetes::is_dns1123_label;
///
/// assert!(is_dns1123_label("shop-2"));
/// assert!(!is_dns1123_label("Shop") && !is_dns1123_label("shop-"));
/// ```
pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// True for a DNS-1123 subdomain: dot-separated [`is_dns1123_label`]s, at most 253
/// characters (object names such as a Secret's, host names).
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// True for an IANA service name: what container port names must be.
pub fn is_iana_svc_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.chars().any(|c| c.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Environment variable names Kubernetes 1.30 accepts (later versions accept more).
pub fn is_env_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '-' || c == '.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The Service name of a workload named `name` without the service-name annotation: the name,
/// or `svc-<name>` when it starts with a digit; `None` when neither is a Service name.
pub fn default_service_name(name: &str) -> Option<String> {
    if is_dns1035_label(name) {
        return Some(name.to_owned());
    }
    let prefixed = format!("svc-{name}");
    is_dns1035_label(&prefixed).then_some(prefixed)
}

/// Lower-case `text`, with runs of characters a DNS label cannot hold turned into one `-`,
/// no leading or trailing `-`, at most `max` characters.
pub fn dns_label(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= max {
            break;
        }
    }
    out.truncate(max);
    while out.ends_with('-') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_dns_subdomains() {
        for ok in ["score-environment", "a", "team.env-1"] {
            assert!(is_dns1123_subdomain(ok), "{ok}");
        }
        for bad in ["", "Env", "-a", "a-", "a..b", "a_b", &"a".repeat(64)] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
    }

    #[test]
    fn labels_are_lower_case_letters_digits_and_inner_dashes() {
        for ok in ["a", "9lives", "web-2", &"a".repeat(63)] {
            assert!(is_dns1123_label(ok), "{ok}");
        }
        for bad in ["", "Web", "-a", "a-", "a.b", "a_b", &"a".repeat(64)] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn dns_label_cleans_and_truncates() {
        assert_eq!(dns_label("My_Service..Name-", 63), "my-service-name");
        assert_eq!(dns_label(&"a".repeat(80), 63).len(), 63);
        assert_eq!(dns_label("ab-cd", 3), "ab");
    }
}
