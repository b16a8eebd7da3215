//! `route` resources on both targets: the same params are accepted or refused alike (one
//! check, `check_route`), a regular-expression path is routed as one, and on Compose the
//! routes' proxy port can move and may not clash with `--publish`.

use score_compile::compose::{self, Publish};
use score_compile::kubernetes;
use score_spec::{Diagnostic, Diagnostics, Workload};
use serde_json::Value;

/// A workload like score-compose's example 09 (`examples/09-dns-and-route`), with `routes`
/// (YAML under `resources:`) beside its `dns`.
fn web(routes: &str) -> Workload {
    let text = format!(
        "apiVersion: score.dev/v1b1
metadata:
  name: hello-world
service:
  ports:
    web:
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
    match score_spec::parse_workload(&text, "score.yaml") {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("does not parse:\n{d}"),
    }
}

fn route(params: &str) -> Workload {
    web(&format!("  route:\n    type: route\n{params}"))
}

fn kubernetes(w: Workload) -> Result<kubernetes::Output, Diagnostics> {
    kubernetes::compile(&[w], &kubernetes::Options::default())
}

fn compose_with(w: Workload, options: &compose::Options) -> Result<compose::Output, Diagnostics> {
    compose::compile(&[w], options)
}

fn compose(w: Workload) -> Result<compose::Output, Diagnostics> {
    compose_with(w, &compose::Options::default())
}

fn only(d: Diagnostics) -> Diagnostic {
    assert_eq!(d.len(), 1, "{d}");
    d.iter().next().cloned().expect("one diagnostic")
}

fn nginx_conf(out: &compose::Output) -> String {
    out.compose["configs"]["score-routing-nginx"]["content"]
        .as_str()
        .expect("the nginx configuration")
        .to_owned()
}

#[test]
fn both_targets_refuse_the_same_params_with_the_same_diagnostic() {
    let cases = [
        ("", "score::route::params", "/resources/route", 15),
        (
            "    params: {port: web}\n",
            "score::route::params",
            "/resources/route/params",
            17,
        ),
        (
            "    params: {host: a.localhost}\n",
            "score::route::params",
            "/resources/route/params",
            17,
        ),
        (
            "    params: {host: a_b.localhost, port: web}\n",
            "score::route::host",
            "/resources/route/params/host",
            17,
        ),
        // Without an `id`, `score validate` reports this already (score-spec's semantics);
        // a shared route's port is checked when compiling.
        (
            "    id: hello.route\n    params: {host: a.localhost, port: grpc}\n",
            "score::route::port",
            "/resources/route/params/port",
            18,
        ),
        (
            "    params: {host: a.localhost, port: web, path: api}\n",
            "score::route::path",
            "/resources/route/params/path",
            17,
        ),
        (
            "    params: {host: a.localhost, port: web, path: /a//b}\n",
            "score::route::path",
            "/resources/route/params/path",
            17,
        ),
        (
            "    params: {host: a.localhost, port: web, path: '/a[b'}\n",
            "score::route::path",
            "/resources/route/params/path",
            17,
        ),
    ];
    for (params, code, pointer, line) in cases {
        let k = only(kubernetes(route(params)).expect_err(params));
        let c = only(compose(route(params)).expect_err(params));
        assert_eq!(
            (k.code, k.pointer.as_str()),
            (code, pointer),
            "{params}: {k}"
        );
        assert_eq!(k.span.map(|s| s.line), Some(line), "{params}");
        assert_eq!(
            (c.code, &c.message, &c.pointer, c.span),
            (k.code, &k.message, &k.pointer, k.span),
            "{params}"
        );
        // The help says what to write first; then where the provisioner is.
        let help = |d: &Diagnostic| d.help.clone().unwrap_or_default();
        assert_eq!(help(&c).lines().next(), help(&k).lines().next(), "{params}");
        assert!(
            help(&k).contains("the provisioner is defined at"),
            "{}",
            help(&k)
        );
    }
    let d = only(
        kubernetes(route(
            "    params: {host: a.localhost, port: web, path: api}\n",
        ))
        .unwrap_err(),
    );
    assert_eq!(
        d.message,
        "resource `route` (route): params.path `api` does not start with `/`"
    );
    assert!(d.help.unwrap().starts_with("write `/api`"));
}

#[test]
fn a_regex_path_is_a_regular_expression_match_on_kubernetes() {
    let params = "    params: {host: '${resources.dns.host}', port: web, path: '/my/[^/]+/path'}\n";
    let out = kubernetes(route(params)).expect("example 09 compiles");
    let http = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "HTTPRoute")
        .expect("an HTTPRoute");
    let path = &http["spec"]["rules"][0]["matches"][0]["path"];
    assert_eq!(path["type"], "RegularExpression");
    assert_eq!(path["value"], "/my/[^/]+/path(/.*)?");
    assert!(
        http["spec"]["hostnames"][0]
            .as_str()
            .unwrap()
            .ends_with(".localhost")
    );
    assert_eq!(http["spec"]["rules"][0]["backendRefs"][0]["port"], 8080);

    let ingress = web(&format!(
        "  route:\n    type: route\n    class: ingress\n{params}"
    ));
    let out = kubernetes(ingress).expect("an Ingress route compiles");
    let ing = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "Ingress")
        .expect("an Ingress");
    let path = &ing["spec"]["rules"][0]["http"]["paths"][0];
    assert_eq!(path["pathType"], "ImplementationSpecific");
    assert_eq!(path["path"], "/my/[^/]+/path(/.*)?");
    assert_eq!(
        ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/use-regex"],
        "true"
    );
    assert_eq!(
        ing["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "score-rs"
    );

    let plain = web(
        "  route:\n    type: route\n    class: ingress\n    params: {host: A.Localhost, port: 8080, path: /api}\n",
    );
    let out = kubernetes(plain).expect("a prefix Ingress compiles");
    let ing = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "Ingress")
        .expect("an Ingress");
    assert_eq!(ing["spec"]["rules"][0]["host"], "a.localhost");
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["pathType"],
        "Prefix"
    );
    assert!(
        ing["metadata"]["annotations"]
            .get("nginx.ingress.kubernetes.io/use-regex")
            .is_none()
    );
}

#[test]
fn compose_routes_regex_prefix_and_exact_paths_with_nginx() {
    let out = compose(web("  regex:
    type: route
    params: {host: '${resources.dns.host}', port: web, path: '/my/[^/]+/path'}
  prefix:
    type: route
    params: {host: '${resources.dns.host}', port: web, path: '/api;v=1/'}
  exact:
    type: route
    metadata:
      annotations:
        compose.score.dev/route-provisioner-path-type: Exact
    params: {host: '${resources.dns.host}', port: web, path: '/only$'}
"))
    .expect("compiles");
    let conf = nginx_conf(&out);
    // Compose interpolates `$`: the file has `$$`, the container sees `$`.
    assert!(
        conf.contains("location ~ \"^/my/[^/]+/path(/.*)?$$\" {"),
        "{conf}"
    );
    assert!(conf.contains("location = \"/api;v=1\" {"), "{conf}");
    assert!(conf.contains("location \"/api;v=1/\" {"), "{conf}");
    assert!(conf.contains("location ~ \"^/only$$$$\" {"), "{conf}");
    assert!(
        conf.contains("set $$upstream http://hello-world:80;"),
        "{conf}"
    );

    let bad = web("  route:
    type: route
    metadata:
      annotations:
        compose.score.dev/route-provisioner-path-type: Regex
    params: {host: a.localhost, port: web}
");
    let d = only(compose(bad).unwrap_err());
    assert_eq!(d.code, "score::provisioner::failed");
    assert!(
        d.message
            .contains("route-provisioner-path-type` is `Regex`"),
        "{}",
        d.message
    );
    assert!(d.help.unwrap().starts_with("write `Prefix`"));
}

fn published(out: &compose::Output, service: &str) -> Vec<Value> {
    out.compose["services"][service]["ports"]
        .as_array()
        .map(|p| p.iter().map(|p| p["published"].clone()).collect())
        .unwrap_or_default()
}

#[test]
fn the_route_proxy_port_moves_and_may_not_clash_with_publish() {
    let w = || route("    params: {host: a.localhost, port: web}\n");
    let publish = |flags: &[&str]| -> Vec<Publish> {
        flags
            .iter()
            .map(|f| f.parse().expect("a --publish flag"))
            .collect()
    };
    let out = compose(w()).expect("compiles");
    assert_eq!(published(&out, "score-routing"), ["8080"]);

    // The README's example: the workload's port on host port 8080, where the proxy is.
    let mut clash = compose::Options::default();
    clash.publish = publish(&["8080:hello-world:80"]);
    let d = only(compose_with(w(), &clash).unwrap_err());
    assert_eq!(d.code, "score::compose::port-clash");
    assert!(
        d.message.contains("`--publish 8080:hello-world:80`"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("service `score-routing`"),
        "{}",
        d.message
    );
    assert!(d.message.contains("host port 8080"), "{}", d.message);
    // It suggests a port nothing publishes.
    assert!(d.help.unwrap().contains("`--route-port 8081`"));
    assert_eq!(d.pointer, "/resources/route");

    let mut moved = clash;
    moved.route_port = 9090;
    let out = compose_with(w(), &moved).expect("no clash once the proxy moved");
    assert_eq!(published(&out, "score-routing"), ["9090"]);
    assert_eq!(published(&out, "hello-world-web"), ["8080"]);

    let mut twice = compose::Options::default();
    twice.publish = publish(&["3000:hello-world:80", "3000:hello-world:81"]);
    let d = only(compose_with(w(), &twice).unwrap_err());
    assert_eq!(d.code, "score::compose::port-clash");
    assert_eq!(
        d.message,
        "`--publish 3000:hello-world:80` and `--publish 3000:hello-world:81` both publish host port 3000"
    );
}
