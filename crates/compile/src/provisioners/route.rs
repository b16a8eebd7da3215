//! `check_route(params)`: the one check of `route` params, shared by the Kubernetes and
//! Compose provisioners so both targets accept the same routes and say the same thing about
//! the others.
//!
//! A route needs `host` and `port`; `path` defaults to `/`.
//!
//! - `host` is a host name as the Gateway API's `Hostname` pattern has it (lower-case letters,
//!   digits, `-`, dot-separated labels, an optional leading `*.`), lower-cased first; IP
//!   addresses are refused.
//! - `path` starts with `/`. A path holding any of `^ $ * + ? ( ) [ ] { } | \` is a regular
//!   expression (RE2 syntax, as Gateway implementations use it). Any other path is a prefix and
//!   must satisfy the Gateway API's rules for `PathPrefix` values (the pattern and CEL rules of
//!   the HTTPRoute CRD: only `-A-Za-z0-9/._~!&',;=:@` and `%XX`, no `//`, `/./`, `/../`, `%2F`
//!   or `#`, not ending in `/.` or `/..`).
//! - `port` names (or numbers) a service port of the workload declaring the route.
//!
//! A regular expression matches like a prefix: the path itself or a path below it, so
//! `/my/[^/]+/path` matches `/my/fizz/path` and `/my/fizz/path/x` (as score-compose routes it).

use minijinja::value::Value;
use minijinja::{Error, State};
use serde_json::Value as Json;

use super::signals::failure;
use crate::dns::is_dns1123_subdomain;

/// Characters that make a path a regular expression.
const REGEX_CHARACTERS: &str = "^$*+?()[]{}|\\";

/// Longest path value the Gateway API accepts.
const MAX_PATH: usize = 1024;

/// A rejected route: code, where (a pointer suffix under the resource), message, help.
#[derive(Debug, PartialEq)]
pub(crate) struct Rejection {
    pub code: &'static str,
    pub at: &'static str,
    pub message: String,
    pub help: String,
}

fn reject(
    code: &'static str,
    at: &'static str,
    message: String,
    help: impl Into<String>,
) -> Rejection {
    Rejection {
        code,
        at,
        message,
        help: help.into(),
    }
}

/// The template function: `check_route(params)` reads the declaring workload from the
/// context (`source_workload`, `workload_services`) and returns `{host, path, type, value,
/// exact, service, port}`, or fails with a diagnostic at the param at fault.
pub(crate) fn check_route_function(state: &State, params: Value) -> Result<Value, Error> {
    let json = |value: Option<Value>| {
        value
            .filter(|v| !v.is_undefined())
            .and_then(|v| serde_json::to_value(&v).ok())
            .unwrap_or(Json::Null)
    };
    let params = json(Some(params));
    let workload = json(state.lookup("source_workload"));
    let workload = workload.as_str().unwrap_or_default();
    // Only the declaring workload's entry: converting all of `workload_services` for every
    // route would cost O(workloads) per route.
    let service = json(
        state
            .lookup("workload_services")
            .and_then(|services| services.get_attr(workload).ok()),
    );
    check_route(&params, workload, &service)
        .map(|route| Value::from_serialize(&route))
        .map_err(|r| failure(r.code, r.at, Some(&r.help), &r.message))
}

/// Checks `params` of a route declared by `workload`, whose entry in `workload_services` is
/// `service`.
pub(crate) fn check_route(
    params: &Json,
    workload: &str,
    service: &Json,
) -> Result<Json, Rejection> {
    let ports = service.get("ports").and_then(Json::as_object);
    let port_names = || {
        let named: Vec<String> = ports
            .into_iter()
            .flatten()
            .filter(|(key, _)| key.parse::<u16>().is_err())
            .map(|(key, p)| format!("`{key}` ({})", p["port"]))
            .collect();
        if named.is_empty() {
            format!(
                "workload `{workload}` has no `service.ports`: declare the port the route sends requests to"
            )
        } else {
            format!("the service ports of `{workload}` are {}", named.join(", "))
        }
    };
    let given = |key: &str| params.get(key).filter(|v| !v.is_null());
    let (Some(host), Some(port)) = (given("host"), given("port")) else {
        return Err(reject(
            "score::route::params",
            // Without params (they default to `{}`), the resource itself.
            if params.as_object().is_some_and(|p| !p.is_empty()) {
                "/params"
            } else {
                ""
            },
            "a route needs params `host` and `port` (and optionally `path`)".to_owned(),
            format!(
                "add them, e.g. `params: {{host: ${{resources.dns.host}}, port: {}, path: /}}`; {}",
                example_port(ports),
                port_names()
            ),
        ));
    };
    // A secret output is refused wherever it lands in plain text, with its own message.
    let secret = |v: &Json| v.as_str().is_some_and(crate::secrets::contains_secret);
    let host = if secret(host) {
        host.as_str().unwrap_or_default().to_owned()
    } else {
        check_host(host)?
    };
    let key = match port {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let Some(port) = ports.and_then(|p| p.get(&key)) else {
        return Err(reject(
            "score::route::port",
            "/params/port",
            format!("route port `{key}` is not a service port of `{workload}`"),
            port_names(),
        ));
    };
    let path = given("path").cloned().unwrap_or(Json::String("/".into()));
    let path = if secret(&path) {
        let mut verbatim = serde_json::Map::new();
        for key in ["path", "value", "exact"] {
            verbatim.insert(key.into(), path.clone());
        }
        verbatim.insert("type".into(), "PathPrefix".into());
        verbatim
    } else {
        check_path(&path)?
    };
    let mut route = serde_json::Map::new();
    route.insert("host".into(), host.into());
    route.insert("service".into(), service["service_name"].clone());
    route.insert("port".into(), port.clone());
    route.extend(path);
    Ok(Json::Object(route))
}

/// A port to show in an example: the first service port's name, else 8080.
fn example_port(ports: Option<&serde_json::Map<String, Json>>) -> String {
    ports
        .into_iter()
        .flatten()
        .map(|(key, _)| key)
        .find(|key| key.parse::<u16>().is_err())
        .map_or_else(|| "8080".to_owned(), Clone::clone)
}

fn check_host(host: &Json) -> Result<String, Rejection> {
    let help = "write a DNS name such as `api.example.com` (or `*.example.com`), or take one from a `dns` resource: `host: ${resources.dns.host}`";
    let text = match host {
        Json::String(s) => s.to_ascii_lowercase(),
        other => other.to_string(),
    };
    let bad = |why: &str| {
        reject(
            "score::route::host",
            "/params/host",
            format!("params.host `{text}` is not a host name: {why}"),
            help,
        )
    };
    let bare = text.strip_prefix("*.").unwrap_or(&text);
    if !host.is_string() || text.is_empty() || text.len() > 253 || !is_dns1123_subdomain(bare) {
        return Err(bad(
            "it holds dot-separated labels of letters, digits and `-` (not starting or ending with `-`), optionally after `*.`",
        ));
    }
    if text.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err(bad("it is an IP address, and routes match host names"));
    }
    Ok(text)
}

/// `{path, type, value, exact}`: `type` is the Gateway match type (`PathPrefix` or
/// `RegularExpression`), `value` the Gateway value, `exact` the expression (or path) for an
/// exact match.
fn check_path(path: &Json) -> Result<serde_json::Map<String, Json>, Rejection> {
    let code = "score::route::path";
    let Json::String(path) = path else {
        return Err(reject(
            code,
            "/params/path",
            format!("params.path `{path}` is not a string"),
            "write a path such as `/` or `/api`",
        ));
    };
    let bad = |why: String, help: String| {
        reject(
            code,
            "/params/path",
            format!("params.path `{path}` {why}"),
            help,
        )
    };
    if !path.starts_with('/') {
        return Err(bad(
            "does not start with `/`".into(),
            format!("write `/{}`", path.trim_start_matches('^')),
        ));
    }
    if path.len() > MAX_PATH {
        return Err(bad(
            format!("is longer than {MAX_PATH} characters"),
            "shorten it".into(),
        ));
    }
    if let Some(c) = path.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            format!("holds {c:?}, which a request path cannot"),
            format!("percent-encode it (`{}`)", percent_encode(c)),
        ));
    }
    let mut out = serde_json::Map::new();
    out.insert("path".into(), path.clone().into());
    if path.contains(|c| REGEX_CHARACTERS.contains(c)) {
        let (value, exact) = regex_values(path).map_err(|e| {
            bad(
                format!("holds regular-expression characters (`{REGEX_CHARACTERS}`) but is not a regular expression: {e}"),
                "fix the expression, or write a path prefix without those characters (a `\\` before one matches it as it is)".into(),
            )
        })?;
        out.insert("type".into(), "RegularExpression".into());
        out.insert("value".into(), value.into());
        out.insert("exact".into(), exact.into());
    } else {
        if let Some((why, help)) = prefix_problem(path) {
            return Err(bad(format!("is not a valid path prefix: {why}"), help));
        }
        out.insert("type".into(), "PathPrefix".into());
        out.insert("value".into(), path.clone().into());
        out.insert("exact".into(), path.clone().into());
    }
    Ok(out)
}

/// Why `path` (starting with `/`, without regular-expression characters) is not a valid
/// Gateway API `PathPrefix` value, and what to write instead.
fn prefix_problem(path: &str) -> Option<(String, String)> {
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Some((
                    "a `%` is not followed by two hex digits".into(),
                    "write a literal `%` as `%25`".into(),
                ));
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-/._~!&',;=:@".contains(&b)) {
            let c = path[i..].chars().next().unwrap_or_default();
            let help = if c == '#' {
                "leave the `#` part out: browsers never send it".to_owned()
            } else {
                format!("percent-encode it as `{}`", percent_encode(c))
            };
            return Some((format!("it holds `{c}`"), help));
        }
        i += 1;
    }
    let collapsed = collapse(path);
    let lower = path.to_ascii_lowercase();
    let why = if path.contains("//") {
        "it holds an empty segment (`//`)"
    } else if path.contains("/./") || path.ends_with("/.") {
        "it holds a `.` segment"
    } else if path.contains("/../") || path.ends_with("/..") {
        "it holds a `..` segment"
    } else if lower.contains("%2f") {
        return Some((
            "it holds an encoded `/` (`%2F`)".into(),
            "write `/` itself".into(),
        ));
    } else {
        return None;
    };
    Some((why.into(), format!("write `{collapsed}`")))
}

/// `path` without empty and `.` segments, `..` taking one segment off.
fn collapse(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    format!("/{}", segments.join("/"))
}

fn percent_encode(c: char) -> String {
    let mut buf = [0; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

/// The Gateway value of a regular-expression path (matching the path or one below it) and
/// the expression for an exact match. `Err` is the parser's complaint.
fn regex_values(path: &str) -> Result<(String, String), String> {
    use regex_syntax::ast::{Ast, parse::Parser};
    let ast = Parser::new()
        .parse(path)
        .map_err(|e| e.kind().to_string())?;
    // Also rejects what parses but does not compile to a matcher (e.g. an invalid class).
    regex_syntax::hir::translate::Translator::new()
        .translate(path, &ast)
        .map_err(|e| e.kind().to_string())?;
    let group = |text: &str| {
        if matches!(ast, Ast::Alternation(_)) {
            format!("(?:{text})")
        } else {
            text.to_owned()
        }
    };
    // One trailing `/` (not escaped) is left out of the prefix form, as for a path prefix.
    let stem = match path.strip_suffix('/') {
        Some(stem) if !stem.ends_with('\\') && !stem.is_empty() => stem,
        _ => path,
    };
    let prefix = format!("{}(/.*)?", group(stem));
    let prefix = if Parser::new().parse(&prefix).is_ok() {
        prefix
    } else {
        format!("{}(/.*)?", group(path))
    };
    Ok((prefix, group(path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service() -> Json {
        json!({"service_name": "web-svc", "ports": {
            "http": {"name": "http", "port": 8080, "target_port": 80, "protocol": "TCP"},
            "8080": {"name": "http", "port": 8080, "target_port": 80, "protocol": "TCP"}}})
    }

    fn route(params: Json) -> Result<Json, Rejection> {
        check_route(&params, "web", &service())
    }

    fn path_of(path: &str) -> Result<Json, Rejection> {
        route(json!({"host": "Example.COM", "port": "http", "path": path}))
    }

    #[test]
    fn a_plain_path_is_a_prefix_and_the_host_is_lower_cased() {
        let r = path_of("/api/v1.0").unwrap();
        assert_eq!(r["host"], "example.com");
        assert_eq!(r["type"], "PathPrefix");
        assert_eq!(r["value"], "/api/v1.0");
        assert_eq!(r["service"], "web-svc");
        assert_eq!(r["port"]["target_port"], 80);
        let r = route(json!({"host": "a.localhost", "port": 8080})).unwrap();
        assert_eq!(
            (r["path"].as_str(), r["value"].as_str()),
            (Some("/"), Some("/"))
        );
    }

    #[test]
    fn a_path_with_regex_characters_is_a_regular_expression_matching_below_it_too() {
        let r = path_of("/my/[^/]+/path").unwrap();
        assert_eq!(r["type"], "RegularExpression");
        assert_eq!(r["value"], "/my/[^/]+/path(/.*)?");
        assert_eq!(r["exact"], "/my/[^/]+/path");
        let r = path_of("/a|/b/").unwrap();
        assert_eq!(r["value"], "(?:/a|/b)(/.*)?");
        assert_eq!(r["exact"], "(?:/a|/b/)");
        assert_eq!(path_of("/v[0-9]+/").unwrap()["value"], "/v[0-9]+(/.*)?");
    }

    #[test]
    fn bad_paths_say_what_to_write() {
        let cases = [
            ("api", "does not start with `/`", "write `/api`"),
            ("/a//b", "empty segment", "write `/a/b`"),
            ("/a/./b", "`.` segment", "write `/a/b`"),
            ("/a/b/..", "`..` segment", "write `/a`"),
            ("/a%2Fb", "encoded `/`", "write `/` itself"),
            ("/a#b", "holds `#`", "leave the `#` part out"),
            ("/a\"b", "holds `\"`", "`%22`"),
            ("/a b", "holds ' '", "`%20`"),
            ("/50%", "two hex digits", "`%25`"),
            ("/my/[a-", "not a regular expression", "fix the expression"),
        ];
        for (path, why, help) in cases {
            let r = path_of(path).unwrap_err();
            assert_eq!(
                (r.code, r.at),
                ("score::route::path", "/params/path"),
                "{path}"
            );
            assert!(r.message.contains(why), "{path}: {}", r.message);
            assert!(r.help.contains(help), "{path}: {}", r.help);
        }
        assert!(path_of(&format!("/{}", "a".repeat(1024))).is_err());
        let r = route(json!({"host": "a.b", "port": "http", "path": 5})).unwrap_err();
        assert!(r.message.contains("not a string"), "{}", r.message);
    }

    #[test]
    fn missing_params_bad_hosts_and_ports_are_rejected() {
        let r = route(json!({})).unwrap_err();
        assert_eq!((r.code, r.at), ("score::route::params", ""));
        assert!(r.message.contains("needs params `host` and `port`"));
        assert!(r.help.contains("`http` (8080)"), "{}", r.help);
        let r = route(json!({"port": "http"})).unwrap_err();
        assert_eq!((r.code, r.at), ("score::route::params", "/params"));
        for host in [
            json!("a_b.com"),
            json!("-a.com"),
            json!("a..b"),
            json!(""),
            json!(5),
            json!("10.0.0.1"),
        ] {
            let r = route(json!({"host": host, "port": "http"})).unwrap_err();
            assert_eq!(
                (r.code, r.at),
                ("score::route::host", "/params/host"),
                "{host}"
            );
        }
        assert!(route(json!({"host": "*.example.com", "port": "http"})).is_ok());
        let r = route(json!({"host": "a.b", "port": "grpc"})).unwrap_err();
        assert_eq!((r.code, r.at), ("score::route::port", "/params/port"));
        assert_eq!(
            r.message,
            "route port `grpc` is not a service port of `web`"
        );
        let r = check_route(
            &json!({"host": "a.b", "port": 80}),
            "web",
            &json!({"ports": {}}),
        )
        .unwrap_err();
        assert!(r.help.contains("has no `service.ports`"), "{}", r.help);
    }
}
