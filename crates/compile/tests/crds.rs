//! Custom resources we emit, checked against their CRDs (`testdata/crds/`), since the
//! Kubernetes validator in CI skips custom resources.
//!
//! Every HTTPRoute the Kubernetes target produces for the corpus and for the route cases below
//! is validated against the `v1` `openAPIV3Schema` of the Gateway API's HTTPRoute CRD, turned
//! into a JSON schema (with unknown fields refused, as `kubectl apply` does by default), and
//! against the CRD's CEL rules on path matches, evaluated here: a rule of a form this file
//! does not know fails the test, so a new CRD release cannot slip a rule past it.

use std::path::{Path, PathBuf};

use score_compile::kubernetes::{self, Options};
use score_compile::parse_provisioners;
use score_spec::Workload;
use serde_json::{Map, Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The CRD's `v1` schema, and the CEL rules on `spec.rules[].matches[].path`.
fn httproute_crd() -> (Value, Vec<String>) {
    let path = root().join("testdata/crds/gateway.networking.k8s.io_httproutes.yaml");
    let text = std::fs::read_to_string(&path).expect("the vendored CRD");
    let crd: Value = serde_saphyr::from_str(&text).expect("the CRD is YAML");
    let version = crd["spec"]["versions"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["name"] == "v1"))
        .expect("the CRD serves v1");
    let schema = version["schema"]["openAPIV3Schema"].clone();
    let path_schema = &schema["properties"]["spec"]["properties"]["rules"]["items"]["properties"]["matches"]
        ["items"]["properties"]["path"];
    let rules = path_schema["x-kubernetes-validations"]
        .as_array()
        .expect("CEL rules on path matches")
        .iter()
        .map(|r| r["rule"].as_str().expect("a rule").to_owned())
        .collect();
    (strict(schema), rules)
}

/// The OpenAPI schema as a JSON schema that refuses unknown fields (Kubernetes' strict field
/// validation), except where the CRD keeps them (`metadata`, preserve-unknown-fields).
fn strict(mut schema: Value) -> Value {
    if let Value::Object(node) = &mut schema {
        let keeps_unknown = node.contains_key("x-kubernetes-preserve-unknown-fields")
            || node.contains_key("additionalProperties");
        if node.contains_key("properties") && !keeps_unknown {
            node.insert("additionalProperties".into(), Value::Bool(false));
        }
        for value in node.values_mut() {
            *value = strict(value.take());
        }
    } else if let Value::Array(items) = &mut schema {
        for item in items {
            *item = strict(item.take());
        }
    }
    schema
}

/// Evaluates one CEL rule of the CRD on a path match (`{type, value}`, defaults applied).
/// Only the forms the CRD uses there are known; any other is a test failure.
fn cel(rule: &str, path: &Map<String, Value>) -> bool {
    let kind = path
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("PathPrefix");
    let value = path.get("value").and_then(Value::as_str).unwrap_or("/");
    if rule == "self.type in ['Exact','PathPrefix'] || self.type == 'RegularExpression'" {
        return ["Exact", "PathPrefix", "RegularExpression"].contains(&kind);
    }
    let guarded = rule
        .strip_prefix("(self.type in ['Exact','PathPrefix']) ? ")
        .and_then(|r| r.strip_suffix(" : true"))
        .unwrap_or_else(|| panic!("unknown CEL rule form: {rule}"));
    if !["Exact", "PathPrefix"].contains(&kind) {
        return true;
    }
    let quoted = |r: &str, prefix: &str| {
        r.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix("')"))
            .map(str::to_owned)
    };
    if let Some(s) = quoted(guarded, "self.value.startsWith('") {
        value.starts_with(&s)
    } else if let Some(s) = quoted(guarded, "!self.value.contains('") {
        !value.contains(&s)
    } else if let Some(s) = quoted(guarded, "!self.value.endsWith('") {
        !value.ends_with(&s)
    } else if let Some(re) = guarded
        .strip_prefix("self.value.matches(r\"\"\"")
        .and_then(|r| r.strip_suffix("\"\"\")"))
    {
        regex::Regex::new(re)
            .expect("the CRD's regex")
            .is_match(value)
    } else {
        panic!("unknown CEL rule: {rule}")
    }
}

/// Everything wrong with an HTTPRoute, per the CRD; empty when it would be accepted.
fn problems(route: &Value, schema: &jsonschema::Validator, rules: &[String]) -> Vec<String> {
    let mut out: Vec<String> = schema
        .iter_errors(route)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    for (i, rule) in route["spec"]["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (j, m) in rule["matches"].as_array().into_iter().flatten().enumerate() {
            let Some(path) = m["path"].as_object() else {
                continue;
            };
            for cel_rule in rules {
                if !cel(cel_rule, path) {
                    out.push(format!(
                        "/spec/rules/{i}/matches/{j}/path: fails `{cel_rule}`"
                    ));
                }
            }
            if path.get("type").and_then(Value::as_str) == Some("RegularExpression") {
                let value = path["value"].as_str().unwrap_or_default();
                if let Err(e) = regex::Regex::new(value) {
                    out.push(format!("/spec/rules/{i}/matches/{j}/path: not RE2: {e}"));
                }
            }
        }
        // `(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true`, with
        // the defaults (group "", kind Service); the CRD's other rules concern filters and
        // timeouts, which must then be absent.
        for (j, backend) in rule["backendRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let group = backend["group"].as_str().unwrap_or("");
            let kind = backend["kind"].as_str().unwrap_or("Service");
            if group.is_empty() && kind == "Service" && backend.get("port").is_none() {
                out.push(format!(
                    "/spec/rules/{i}/backendRefs/{j}: a Service needs a port"
                ));
            }
            if backend.get("filters").is_some() {
                out.push(format!(
                    "/spec/rules/{i}/backendRefs/{j}/filters: not checked here"
                ));
            }
        }
        for field in ["filters", "timeouts"] {
            if rule.get(field).is_some() {
                out.push(format!("/spec/rules/{i}/{field}: not checked here"));
            }
        }
    }
    out
}

fn workload(origin: &str, text: &str) -> Option<Workload> {
    score_spec::parse_workload(text, origin)
        .ok()
        .map(|p| p.workload)
}

fn httproutes(workloads: &[Workload], options: &Options) -> Vec<Value> {
    match kubernetes::compile(workloads, options) {
        Ok(out) => out
            .manifests
            .into_iter()
            .filter(|m| m["kind"] == "HTTPRoute")
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn score_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a corpus directory")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            score_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn load(paths: &[PathBuf]) -> Vec<Workload> {
    paths
        .iter()
        .filter_map(|p| workload(&p.display().to_string(), &std::fs::read_to_string(p).ok()?))
        .collect()
}

/// A workload with one route per entry of `routes` (`name: {params}` YAML).
fn routed(routes: &str) -> Workload {
    let text = format!(
        "apiVersion: score.dev/v1b1
metadata:
  name: web
service:
  ports:
    http:
      port: 8080
      targetPort: 80
containers:
  web:
    image: nginx
resources:
  dns:
    type: dns
{routes}"
    );
    workload("routes.yaml", &text).expect("the route cases parse")
}

/// Every HTTPRoute of the corpus (each file alone, the two multi-workload samples together)
/// and of the route cases.
fn every_httproute() -> Vec<Value> {
    let corpus = root().join("testdata/corpus/valid");
    let mut files = Vec::new();
    score_files(&corpus, &mut files);
    let defaults = Options::default();
    let mut routes = Vec::new();
    for file in &files {
        routes.extend(httproutes(&load(std::slice::from_ref(file)), &defaults));
    }
    let samples = corpus.join("examples/samples");
    let mut boutique = Vec::new();
    score_files(&samples.join("onlineboutique"), &mut boutique);
    routes.extend(httproutes(&load(&boutique), &defaults));
    let mut store = Vec::new();
    score_files(&samples.join("aks-store-demo"), &mut store);
    store.retain(|p| !p.ends_with("score-ai.yaml"));
    let community = root().join("testdata/provisioners/community.provisioners.yaml");
    let community = std::fs::read_to_string(&community).expect("community provisioners");
    let mut with_community = Options::default();
    with_community.provisioners = parse_provisioners(&community, "community.provisioners.yaml")
        .expect("community provisioners parse");
    routes.extend(httproutes(&load(&store), &with_community));
    let cases = routed(
        "  root:
    type: route
    params: {host: '${resources.dns.host}', port: http}
  prefix:
    type: route
    params: {host: API.Example.com, port: 8080, path: \"/api;v=1/~user's@x:y\"}
  regex:
    type: route
    params: {host: '*.example.com', port: http, path: '/my/[^/]+/path'}
  alternation:
    type: route
    params: {host: a.example.com, port: http, path: '/x$|/y\\d+/'}
  encoded:
    type: route
    params: {host: b.example.com, port: http, path: /caf%C3%A9/.well-known}
",
    );
    routes.extend(httproutes(&[cases], &defaults));
    routes
}

#[test]
fn every_httproute_we_emit_passes_the_crd() {
    let (schema, rules) = httproute_crd();
    let validator = jsonschema::validator_for(&schema).expect("the CRD schema compiles");
    let routes = every_httproute();
    // The corpus has 4 routes (dns example, boutique, two in the AKS store); the cases 5.
    assert!(routes.len() >= 9, "only {} HTTPRoutes", routes.len());
    for route in &routes {
        let found = problems(route, &validator, &rules);
        assert!(found.is_empty(), "{route:#}\n{}", found.join("\n"));
    }
    let types: Vec<&str> = routes
        .iter()
        .filter_map(|r| r["spec"]["rules"][0]["matches"][0]["path"]["type"].as_str())
        .collect();
    assert!(types.contains(&"PathPrefix") && types.contains(&"RegularExpression"));
}

#[test]
fn the_crd_check_rejects_what_we_used_to_emit() {
    let (schema, rules) = httproute_crd();
    let validator = jsonschema::validator_for(&schema).expect("the CRD schema compiles");
    let good = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web-route"},
        "spec": {
            "parentRefs": [{"name": "default"}],
            "hostnames": ["dns1a2b3c.localhost"],
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": "/api"}}],
                "backendRefs": [{"name": "web", "port": 8080}],
            }],
        },
    });
    assert_eq!(problems(&good, &validator, &rules), Vec::<String>::new());
    let broken = |pointer: &str, value: Value| {
        let mut route = good.clone();
        *route.pointer_mut(pointer).expect("a field of the route") = value;
        problems(&route, &validator, &rules)
    };
    // A route without a host used to write `hostnames: [null]`.
    assert!(!broken("/spec/hostnames/0", Value::Null).is_empty());
    assert!(!broken("/spec/hostnames/0", json!("Upper.example.com")).is_empty());
    // A regex path used to be written as a PathPrefix, and a path without `/` as written.
    let regex = broken(
        "/spec/rules/0/matches/0/path/value",
        json!("/my/[^/]+/path"),
    );
    assert!(regex.iter().any(|p| p.contains("matches(")), "{regex:?}");
    let relative = broken("/spec/rules/0/matches/0/path/value", json!("api"));
    assert!(
        relative.iter().any(|p| p.contains("startsWith")),
        "{relative:?}"
    );
    for bad in ["/a//b", "/a/./b", "/a/..", "/a%2fb", "/a#b"] {
        let found = broken("/spec/rules/0/matches/0/path/value", json!(bad));
        assert!(!found.is_empty(), "{bad} passed");
    }
    assert!(!broken("/spec/rules/0/backendRefs/0", json!({"name": "web"})).is_empty());
    let mut typo = good.clone();
    typo["spec"]["rules"][0]["matches"][0]["path"]["typo"] = json!(1);
    assert!(!problems(&typo, &validator, &rules).is_empty());
    assert!(!broken("/spec/rules/0/matches/0/path/type", json!("Prefix")).is_empty());
}
