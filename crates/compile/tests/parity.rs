//! One Score file, two targets, the same behaviour: the container start-up order from `before`
//! (score-compose's own `before` cases from `internal/compose/convert_test.go`, plus chains and
//! mixed readiness), the argv a container gets from `command`/`args`, and the ports other
//! workloads reach. Each target's output is read as its runtime would read it: the kubelet's
//! init-container sequence and `$(VAR)` expansion, Compose's `depends_on` graph (with the
//! dependency `network_mode: service:X` adds) and `$` interpolation.

use std::collections::BTreeMap;

use score_compile::compose;
use score_compile::kubernetes;
use score_spec::Workload;
use serde_json::{Map, Value};

fn workload(text: &str) -> Workload {
    match score_spec::parse_workload(text, "test.yaml") {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("does not parse:\n{d}"),
    }
}

fn pod(w: &Workload) -> Value {
    let out = kubernetes::compile(std::slice::from_ref(w), &kubernetes::Options::default())
        .unwrap_or_else(|d| panic!("kubernetes:\n{d}"));
    out.manifests
        .iter()
        .find(|m| m["kind"] == "Deployment")
        .map(|d| d["spec"]["template"]["spec"].clone())
        .expect("a Deployment")
}

fn services(w: &Workload) -> Map<String, Value> {
    let out = compose::compile(std::slice::from_ref(w), &compose::Options::default())
        .unwrap_or_else(|d| panic!("compose:\n{d}"));
    out.compose["services"].as_object().unwrap().clone()
}

fn readiness_of(condition: &str) -> &'static str {
    match condition {
        "service_started" => "started",
        "service_healthy" => "healthy",
        "service_completed_successfully" => "complete",
        other => panic!("unexpected condition {other}"),
    }
}

/// What each Compose service waits for (`depends_on`, and the owner of the network it joins,
/// which Compose starts first), checked to have no cycle: `docker compose up` refuses one.
fn compose_waits(services: &Map<String, Value>) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut waits: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (name, s) in services {
        let entry = waits.entry(name.clone()).or_default();
        for (other, d) in s["depends_on"].as_object().into_iter().flatten() {
            entry.insert(other.clone(), d["condition"].as_str().unwrap().to_owned());
        }
        if let Some(owner) = s["network_mode"]
            .as_str()
            .and_then(|m| m.strip_prefix("service:"))
        {
            entry
                .entry(owner.to_owned())
                .or_insert_with(|| "service_started".to_owned());
        }
    }
    // No cycle: repeatedly remove services that wait for nothing left.
    let mut left = waits.clone();
    while !left.is_empty() {
        let free: Vec<String> = left
            .iter()
            .filter(|(_, w)| w.keys().all(|k| !left.contains_key(k)))
            .map(|(n, _)| n.clone())
            .collect();
        assert!(!free.is_empty(), "Compose dependency cycle among {left:?}");
        for n in free {
            left.remove(&n);
        }
    }
    waits
}

/// The Kubernetes pod as start-up facts: init containers in the order the kubelet runs them,
/// each with what it is (`complete` runs to completion; `started`/`healthy` keep running), and
/// the main containers.
fn kubernetes_sequence(pod: &Value) -> (Vec<(String, &'static str)>, Vec<String>) {
    let init = pod["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let kind = match (c.get("restartPolicy"), c.get("startupProbe")) {
                (None, _) => "complete",
                (Some(_), None) => "started",
                (Some(_), Some(_)) => "healthy",
            };
            (c["name"].as_str().unwrap().to_owned(), kind)
        })
        .collect();
    let main = pod["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    (init, main)
}

/// Checks that both targets start `then` only once `first` has reached `ready`.
fn assert_both_order(w: &Workload, expected: &[(&str, &str, &str)]) {
    let (init, main) = kubernetes_sequence(&pod(w));
    let waits = compose_waits(&services(w));
    let service = |c: &str| format!("{}-{c}", w.name());
    for &(first, then, ready) in expected {
        // Kubernetes: `first` is an init container of the right kind, before `then`.
        let at = init
            .iter()
            .position(|(n, _)| n == first)
            .unwrap_or_else(|| panic!("`{first}` is not an init container: {init:?}"));
        // What the kubelet waits for before the next init container is at least `ready`:
        // a container that runs to completion has also started.
        let rank = |r: &str| {
            ["started", "healthy", "complete"]
                .iter()
                .position(|x| *x == r)
        };
        assert!(
            rank(init[at].1) >= rank(ready),
            "{first} on Kubernetes is {} for `{ready}`: {init:?}",
            init[at].1
        );
        let then_at = init.iter().position(|(n, _)| n == then);
        assert!(
            then_at.is_none_or(|t| t > at) && (then_at.is_some() || main.iter().any(|m| m == then)),
            "`{then}` must start after `{first}`: {init:?} then {main:?}"
        );
        // Compose: `then` depends on `first` with the matching condition.
        let condition = waits[&service(then)]
            .get(&service(first))
            .unwrap_or_else(|| panic!("{then} does not wait for {first}: {waits:?}"));
        assert_eq!(readiness_of(condition), ready, "{then} on Compose");
    }
}

#[test]
fn init_before_main_with_complete() {
    let w = workload(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: test\ncontainers:\n  init:\n    image: busybox\n    before:\n      main:\n        ready: complete\n  main:\n    image: nginx\n",
    );
    assert_both_order(&w, &[("init", "main", "complete")]);
    let s = services(&w);
    // As score-compose: the main container owns the network; the init container, which
    // finishes before it starts, is on its own.
    assert_eq!(s["test-main"]["hostname"], "test");
    assert!(s["test-init"].get("network_mode").is_none());
    assert!(s["test-init"].get("depends_on").is_none());
    let (init, main) = kubernetes_sequence(&pod(&w));
    assert_eq!(init, [("init".to_owned(), "complete")]);
    assert_eq!(main, ["main"]);
}

#[test]
fn chained_started() {
    let w = workload(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: test\ncontainers:\n  init-one:\n    image: busybox\n    before:\n      init-two:\n        ready: started\n  init-two:\n    image: busybox\n    before:\n      main:\n        ready: started\n  main:\n    image: nginx\n",
    );
    assert_both_order(
        &w,
        &[
            ("init-one", "init-two", "started"),
            ("init-two", "main", "started"),
        ],
    );
    // score-compose makes `main` own the network and has `init-one` join it while `main`
    // waits for it: a cycle `docker compose up` refuses. Here the container started first
    // owns the network (compose_waits checks there is no cycle).
    let s = services(&w);
    assert_eq!(s["test-init-one"]["hostname"], "test");
    assert_eq!(s["test-main"]["network_mode"], "service:test-init-one");
    assert_eq!(s["test-init-two"]["network_mode"], "service:test-init-one");
}

#[test]
fn sidecar_started_beside_an_init() {
    let w = workload(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: test\ncontainers:\n  init:\n    image: busybox\n    before:\n      main:\n        ready: complete\n  main:\n    image: nginx\n  sidecar:\n    image: envoy\n    before:\n      main:\n        ready: started\n",
    );
    assert_both_order(
        &w,
        &[("init", "main", "complete"), ("sidecar", "main", "started")],
    );
    let waits = compose_waits(&services(&w));
    assert_eq!(
        waits["test-main"]["test-init"],
        "service_completed_successfully"
    );
    assert_eq!(waits["test-main"]["test-sidecar"], "service_started");
}

#[test]
fn healthy_without_a_probe_on_the_declaring_container_is_an_error() {
    let text = "apiVersion: score.dev/v1b1\nmetadata:\n  name: test\ncontainers:\n  init:\n    image: busybox\n    before:\n      main:\n        ready: healthy\n  main:\n    image: nginx\n    readinessProbe:\n      exec:\n        command: [\"true\"]\n";
    // A probe on the container that waits does not count: `init` must be healthy.
    let d = score_spec::parse_workload(text, "test.yaml").unwrap_err();
    let d = d.iter().next().unwrap();
    assert_eq!(d.code, "score::before::healthy-without-probe");
    assert_eq!(d.pointer, "/containers/init/before/main/ready");
    assert_eq!(d.span.unwrap().line, 9);
}

#[test]
fn healthy_chains_and_mixed_readiness_come_out_in_a_valid_order() {
    // db-proxy (healthy) → migrate (complete) → web and worker; log-agent started before all.
    let w = workload(
        "apiVersion: score.dev/v1b1
metadata:
  name: shop
containers:
  web:
    image: nginx
  worker:
    image: busybox
  migrate:
    image: migrate/migrate
    before:
      web:
        ready: complete
      worker:
        ready: complete
  db-proxy:
    image: cloud-sql-proxy
    readinessProbe:
      exec:
        command: [\"/bin/true\"]
    before:
      migrate:
        ready: healthy
      web:
        ready: started
  log-agent:
    image: fluent-bit
    before:
      db-proxy:
        ready: started
",
    );
    assert_both_order(
        &w,
        &[
            ("log-agent", "db-proxy", "started"),
            ("db-proxy", "migrate", "healthy"),
            ("db-proxy", "web", "started"),
            ("migrate", "web", "complete"),
            ("migrate", "worker", "complete"),
        ],
    );
    let (init, main) = kubernetes_sequence(&pod(&w));
    assert_eq!(
        init.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["log-agent", "db-proxy", "migrate"]
    );
    assert_eq!(main, ["web", "worker"]);
    // Every container shares the first one's network on Compose, as in the pod.
    let s = services(&w);
    assert_eq!(s["shop-log-agent"]["hostname"], "shop");
    for c in ["web", "worker", "migrate", "db-proxy"] {
        assert_eq!(
            s[&format!("shop-{c}")]["network_mode"],
            "service:shop-log-agent"
        );
    }
}

/// The kubelet's expansion of command, args and env values (`$$` is `$`, `$(NAME)` is the
/// variable's value when it is defined, anything else is literal).
fn kubelet_expand(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('(')
            && let Some(close) = r.find(')')
        {
            let name = &r[..close];
            match env.get(name) {
                Some(v) => out.push_str(v),
                None => out.push_str(&format!("$({name})")),
            }
            rest = &r[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out + rest
}

/// Compose's interpolation with an empty host environment: `$$` is `$`, `${X}` and `$X` are
/// empty.
fn compose_interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                chars.next();
                out.push('$');
            }
            Some('{') => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
            }
            Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
                while chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    chars.next();
                }
            }
            _ => out.push('$'),
        }
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_container_gets_the_same_argv_on_both_targets() {
    // score-compose's examples 02, 06 and 08, and what else `$` can be.
    let w = workload(
        r#"apiVersion: score.dev/v1b1
metadata:
  name: hello
containers:
  hello:
    image: busybox
    command: ["/bin/sh", "-c"]
    args:
      - "while true; do echo $${GREETING} $${NAME}!; sleep 5; done"
      - "while true; do echo $${CONNECTION}; sleep 5; done"
      - "while true; do wget $${DEPENDENCY_URL} || true; sleep 5; done"
      - "$(GREETING) and $$(GREETING) and $(UNDEFINED) and $$$(NAME)"
      - "$HOME ${HOME} $$HOME $ $$ $$$ trailing $"
      - "$(unclosed"
    variables:
      GREETING: Hello $$5
      NAME: ${metadata.name} $(GREETING)
      CONNECTION: "redis://u:p@h:6379"
      DEPENDENCY_URL: "http://a:80"
"#,
    );
    let pod = pod(&w);
    let container = &pod["containers"][0];
    // The environment as the kubelet builds it: each value expanded over the ones before.
    let mut env = BTreeMap::new();
    for e in container["env"].as_array().unwrap() {
        let value = kubelet_expand(e["value"].as_str().unwrap(), &env);
        env.insert(e["name"].as_str().unwrap().to_owned(), value);
    }
    let kubernetes_argv: Vec<String> = strings(&container["command"])
        .iter()
        .chain(&strings(&container["args"]))
        .map(|a| kubelet_expand(a, &env))
        .collect();

    let services = services(&w);
    let service = &services["hello-hello"];
    let compose_env: BTreeMap<String, String> = service["environment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), compose_interpolate(v.as_str().unwrap())))
        .collect();
    let compose_argv: Vec<String> = strings(&service["entrypoint"])
        .iter()
        .chain(&strings(&service["command"]))
        .map(|a| compose_interpolate(a))
        .collect();

    assert_eq!(compose_env, env, "the same environment");
    assert_eq!(compose_argv, kubernetes_argv);
    // What the shell gets: Score's `$$` is one `$` (never the shell's PID `$$`).
    assert_eq!(
        compose_argv[4],
        "while true; do wget ${DEPENDENCY_URL} || true; sleep 5; done"
    );
    assert_eq!(
        compose_argv[5],
        "Hello $5 and $(GREETING) and $(UNDEFINED) and $hello $(GREETING)"
    );
    assert_eq!(compose_argv[6], "$HOME ${HOME} $HOME $ $ $$ trailing $");
    assert_eq!(compose_argv[7], "$(unclosed");
}

#[test]
fn a_service_port_is_reached_at_its_port_on_both_targets() {
    // Online Boutique's email: clients dial `email:5000`; the container listens on 8080.
    let w = workload(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: email\ncontainers:\n  email:\n    image: emailservice\nservice:\n  ports:\n    grpc:\n      port: 5000\n      targetPort: 8080\n    metrics:\n      port: 9090\n",
    );
    let out =
        kubernetes::compile(std::slice::from_ref(&w), &kubernetes::Options::default()).unwrap();
    let svc = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "Service")
        .unwrap();
    assert_eq!(svc["spec"]["ports"][0]["port"], 5000);
    assert_eq!(svc["spec"]["ports"][0]["targetPort"], 8080);

    let out = compose::compile(std::slice::from_ref(&w), &compose::Options::default()).unwrap();
    let s = &out.compose["services"];
    // `email` is the owner's network alias; the proxy shares that network and listens on
    // 5000 (only: 9090 needs no mapping), forwarding to 8080 where the container listens.
    assert_eq!(
        s["email-email"]["networks"]["default"]["aliases"][0],
        "email"
    );
    let proxy = &s["email-port-proxy"];
    assert_eq!(proxy["network_mode"], "service:email-email");
    let config = proxy["configs"][0]["source"].as_str().unwrap();
    assert_eq!(proxy["configs"][0]["target"], "/etc/nginx/nginx.conf");
    let conf = out.compose["configs"][config]["content"].as_str().unwrap();
    assert!(
        conf.contains("listen 5000;\n    proxy_pass 127.0.0.1:8080;"),
        "{conf}"
    );
    assert!(!conf.contains("9090"), "{conf}");
    assert!(
        !conf.contains('$'),
        "nothing for Compose to interpolate: {conf}"
    );
}

#[test]
fn a_port_that_cannot_be_mapped_in_compose_is_an_error() {
    // The proxy cannot listen on 8080 for `aa`: the container itself listens there for `bb`.
    let w = workload(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: swap\ncontainers:\n  app:\n    image: app\nservice:\n  ports:\n    aa:\n      port: 8080\n      targetPort: 9090\n    bb:\n      port: 9090\n      targetPort: 8080\n",
    );
    let d = compose::compile(std::slice::from_ref(&w), &compose::Options::default()).unwrap_err();
    let d = d.iter().next().unwrap();
    assert_eq!(d.code, "score::compose::service-port");
    assert_eq!(d.pointer, "/service/ports/aa");
}
