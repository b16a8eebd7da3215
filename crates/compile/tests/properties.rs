//! Property: any workload the generator writes either validates or is refused with
//! diagnostics; a valid one compiles for every target, or fails with diagnostics, and the same
//! way each time (byte-identical text, identical diagnostics); what compiles parses as YAML.
//! Never a panic. The generator covers containers, variables with placeholders (valid,
//! escaped and broken), files, volumes, built-in resource types with params, service ports,
//! probes and `before`. Deterministic: a fixed seed unless `PROPTEST_RNG_SEED` is set, and no
//! failure files.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use score_compile::{Compiled, Target, backstage, compose, kubernetes};
use score_spec::Diagnostics;
use serde_json::{Map, Value, json};
use std::cell::Cell;

const CASES: u32 = 32;

fn config() -> Config {
    let base = Config::default();
    Config {
        cases: CASES,
        failure_persistence: None,
        // Shrinking a compile failure would run many compiles; the case itself is reported.
        max_shrink_iters: 64,
        rng_seed: match base.rng_seed {
            RngSeed::Random => RngSeed::Fixed(0x5c0e_0013),
            fixed => fixed,
        },
        ..base
    }
}

const RESOURCE_NAMES: [&str; 8] = [
    "db", "cache", "bucket", "data", "dns", "route", "env", "topic",
];

/// The outputs every type `resource` may give the resource `name` has.
fn outputs(name: &str) -> &'static [&'static str] {
    match name {
        "db" | "cache" => &["host", "port", "username", "password"],
        "bucket" => &["bucket", "endpoint", "region"],
        "dns" => &["host"],
        "env" => &["LOG_LEVEL", "REGION"],
        "topic" => &["host", "port", "name", "num_partitions"],
        _ => &[],
    }
}
const CONTAINERS: [&str; 3] = ["main", "sidecar", "migrate"];

/// What a workload declares, which the strings in it may refer to; `sloppy` workloads also
/// get mistakes (broken and dangling placeholders, bad `before`), so that both the validator's
/// refusals and the compilers are exercised.
#[derive(Clone, Debug)]
struct Declared {
    resources: Vec<&'static str>,
    containers: Vec<&'static str>,
    annotations: bool,
    sloppy: bool,
}

/// A string made of literal text and placeholders.
fn text(d: &Declared) -> BoxedStrategy<String> {
    let mut references = vec!["${metadata.name}".to_owned()];
    if d.annotations {
        references.push("${metadata.annotations.example\\.com/team}".to_owned());
    }
    for r in &d.resources {
        references.extend(outputs(r).iter().map(|o| format!("${{resources.{r}.{o}}}")));
    }
    let mut pieces = vec![
        (4, "[a-z0-9 :/=-]{0,6}".boxed()),
        (4, prop::sample::select(references).boxed()),
        (1, Just("$${ESCAPED}".to_owned()).boxed()),
        (1, Just("$$".to_owned()).boxed()),
        (1, Just("é€".to_owned()).boxed()),
    ];
    if d.sloppy {
        pieces.extend([
            (1, Just("${".to_owned()).boxed()),
            (1, Just("${}".to_owned()).boxed()),
            (1, Just("${a..b}".to_owned()).boxed()),
            (1, Just("${resources.nothing.host}".to_owned()).boxed()),
            (1, Just("${metadata.nothing}".to_owned()).boxed()),
            (1, Just("${resources.data.host}".to_owned()).boxed()),
        ]);
    }
    let piece = proptest::strategy::Union::new_weighted(pieces);
    prop::collection::vec(piece, 1..4)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

fn probe() -> impl Strategy<Value = Value> {
    prop_oneof![
        (1u16..65535, "/[a-z]{0,4}")
            .prop_map(|(port, path)| json!({"httpGet": {"port": port, "path": path}})),
        Just(json!({"exec": {"command": ["true"]}})),
    ]
}

fn files(d: &Declared) -> impl Strategy<Value = Value> + use<> {
    let mut kinds = vec![
        text(d).prop_map(|c| json!({"content": c})).boxed(),
        text(d)
            .prop_map(|c| json!({"content": c, "noExpand": true, "mode": "0644"}))
            .boxed(),
        // Read through `files`, which refuses here: a compile error, not a panic.
        Just(json!({"source": "config.txt"})).boxed(),
    ];
    if d.sloppy {
        kinds.push(text(d).prop_map(|c| json!({"binaryContent": c})).boxed());
    }
    prop::collection::btree_map(
        "/etc/[a-z]{1,3}\\.conf",
        proptest::strategy::Union::new(kinds),
        0..3,
    )
    .prop_map(|m| json!(m))
}

fn volumes(d: &Declared) -> impl Strategy<Value = Value> + use<> {
    let mut sources = vec!["${resources.data}"];
    if d.sloppy {
        sources.extend(["${resources.db}", "${resources.nothing}"]);
    }
    let entry = (prop::sample::select(sources), any::<bool>())
        .prop_map(|(source, read_only)| json!({"source": source, "readOnly": read_only}));
    let count = if d.resources.contains(&"data") || d.sloppy {
        0..3
    } else {
        0..1
    };
    prop::collection::btree_map("/data/[a-z]{1,3}", entry, count).prop_map(|m| json!(m))
}

/// `before`: containers declared after this one (so no cycle), unless sloppy.
fn before(d: &Declared, name: &'static str) -> BoxedStrategy<Value> {
    let at = d.containers.iter().position(|c| *c == name).unwrap_or(0);
    let mut targets: Vec<&'static str> = d.containers[at + 1..].to_vec();
    let mut states = vec!["started", "complete"];
    if d.sloppy {
        targets = CONTAINERS.to_vec();
        states.push("healthy");
    }
    if targets.is_empty() {
        return Just(json!({})).boxed();
    }
    prop::collection::btree_map(
        prop::sample::select(targets),
        prop::sample::select(states).prop_map(|r| json!({"ready": r})),
        0..2,
    )
    .prop_map(|m| json!(m))
    .boxed()
}

fn container(d: &Declared, name: &'static str) -> impl Strategy<Value = Value> + use<> {
    let image = prop::sample::select(vec![
        "nginx:1.27",
        "busybox",
        "nginx:1.27",
        "busybox",
        ".",
        "${metadata.name}",
    ]);
    let variables = prop::collection::btree_map("[A-Z][A-Z_]{0,3}", text(d), 0..4);
    let args = prop::option::of(prop::collection::vec(text(d), 0..3));
    let shape = (
        image,
        variables,
        args,
        prop::option::of(probe()),
        any::<bool>(),
    );
    (shape, files(d), volumes(d), before(d, name)).prop_map(
        |((image, variables, args, probe, limits), files, volumes, before)| {
            let mut c = json!({
                "image": image,
                "variables": variables,
                "files": files,
                "volumes": volumes,
                "before": before,
            });
            if let Some(args) = args {
                c["args"] = json!(args);
            }
            if let Some(probe) = probe {
                c["readinessProbe"] = probe.clone();
                c["livenessProbe"] = probe;
            }
            if limits {
                c["resources"] = json!({"limits": {"memory": "128Mi", "cpu": "250m"}});
            }
            c
        },
    )
}

/// Built-in resource types, with the params they take.
fn resource(d: &Declared, name: &'static str) -> BoxedStrategy<Value> {
    let host = if d.resources.contains(&"dns") {
        "${resources.dns.host}"
    } else {
        "x.example.com"
    };
    match name {
        "db" => prop::sample::select(vec![
            json!({"type": "postgres"}),
            json!({"type": "mysql"}),
            json!({"type": "postgres", "id": "shared-db"}),
        ])
        .boxed(),
        "cache" => prop::sample::select(vec![
            json!({"type": "redis"}),
            json!({"type": "amqp", "params": {"vhost": "v"}}),
            json!({"type": "redis", "class": "default", "id": "shared-cache"}),
        ])
        .boxed(),
        "bucket" => Just(json!({"type": "s3", "params": {"bucket": "bucket-one"}})).boxed(),
        "topic" => Just(json!({"type": "kafka-topic"})).boxed(),
        "data" => Just(json!({"type": "volume"})).boxed(),
        "dns" => prop::sample::select(vec![
            json!({"type": "dns"}),
            json!({"type": "dns", "params": {"host": "a.example.com"}}),
        ])
        .boxed(),
        // Port 8080 is always a service port of a workload with a route.
        "route" => "/[a-z]{0,3}"
            .prop_map(move |path| json!({"type": "route", "params": {"host": host, "path": path, "port": 8080}}))
            .boxed(),
        _ => Just(json!({"type": "environment"})).boxed(),
    }
}

fn declared() -> impl Strategy<Value = Declared> {
    (
        prop::sample::subsequence(&RESOURCE_NAMES[..], 0..=8),
        prop::sample::subsequence(&CONTAINERS[..], 1..=3),
        any::<bool>(),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(resources, containers, annotations, sloppy)| Declared {
            resources,
            containers,
            annotations,
            sloppy,
        })
}

fn ports(d: &Declared) -> impl Strategy<Value = Value> + use<> {
    let port = (
        prop::sample::select(vec![80u16, 9, 65535]),
        prop::option::of(1u16..65535),
        prop::sample::select(vec!["TCP", "UDP"]),
    )
        .prop_map(|(port, target, protocol)| match target {
            Some(t) => json!({"port": port, "targetPort": t, "protocol": protocol}),
            None => json!({"port": port, "protocol": protocol}),
        });
    let route = d.resources.contains(&"route");
    prop::collection::btree_map("[a-z][a-z0-9]{1,4}", port, 0..3).prop_map(move |mut ports| {
        if route {
            ports.insert("web".to_owned(), json!({"port": 8080}));
        }
        json!(ports)
    })
}

fn workload() -> impl Strategy<Value = Value> {
    declared().prop_flat_map(|d| {
        let containers: Vec<_> = d
            .containers
            .iter()
            .map(|&n| container(&d, n).prop_map(move |c| (n.to_owned(), c)))
            .collect();
        let resources: Vec<_> = d
            .resources
            .iter()
            .map(|&n| resource(&d, n).prop_map(move |r| (n.to_owned(), r)))
            .collect();
        let name = prop::sample::select(vec!["web", "api", "a-b"]);
        let annotations = d.annotations;
        (name, containers, resources, ports(&d)).prop_map(
            move |(name, containers, resources, ports)| {
                let mut metadata = json!({"name": name});
                if annotations {
                    metadata["annotations"] = json!({"example.com/team": "blue"});
                }
                json!({
                    "apiVersion": "score.dev/v1b1",
                    "metadata": metadata,
                    "containers": containers.into_iter().collect::<Map<_, _>>(),
                    "resources": resources.into_iter().collect::<Map<_, _>>(),
                    "service": {"ports": ports},
                })
            },
        )
    })
}

/// One compile's outcome, comparable: the text, or every diagnostic as debug text.
fn outcome(result: &Result<Compiled, Diagnostics>) -> Result<String, Vec<String>> {
    match result {
        Ok(compiled) => Ok(compiled.text.clone()),
        Err(diagnostics) => Err(diagnostics.iter().map(|d| format!("{d:?}")).collect()),
    }
}

/// `config.txt` next to the Score file, and nothing else.
fn read_config(_score_file: &str, path: &str) -> Result<Vec<u8>, String> {
    match path {
        "config.txt" => Ok(b"name=${metadata.name}\n".to_vec()),
        _ => Err(format!("no file `{path}` here")),
    }
}

fn targets() -> [(&'static str, Target<'static>); 3] {
    let image = || Some("registry.example/app:1.0".to_owned());
    let mut kubernetes_options = kubernetes::Options::default();
    kubernetes_options.image = image();
    kubernetes_options.files = &read_config;
    let mut compose_options = compose::Options::default();
    compose_options.image = image();
    compose_options.files = &read_config;
    [
        ("kubernetes", Target::Kubernetes(kubernetes_options)),
        ("compose", Target::Compose(compose_options)),
        (
            "backstage",
            Target::Backstage(backstage::Options::default()),
        ),
    ]
}

/// Checks one generated workload; counts those that validated and those that compiled.
fn check(w: &Value, valid: &Cell<u32>, compiled: &Cell<u32>) -> Result<(), TestCaseError> {
    let text = serde_json::to_string_pretty(w).unwrap();
    let parsed = match score_spec::parse_workload(&text, "score.json") {
        Ok(parsed) => parsed,
        Err(diagnostics) => {
            prop_assert!(diagnostics.has_errors());
            for d in &diagnostics {
                prop_assert!(
                    d.code.starts_with("score::") && !d.message.is_empty(),
                    "{d:?}"
                );
            }
            return Ok(());
        }
    };
    valid.set(valid.get() + 1);
    let workloads = [parsed.workload];
    for (name, target) in targets() {
        let first = outcome(&score_compile::compile(&workloads, &target));
        let second = outcome(&score_compile::compile(&workloads, &target));
        prop_assert_eq!(
            &first,
            &second,
            "{} differs between two compiles of\n{}",
            name,
            text
        );
        match first {
            Ok(yaml) => {
                compiled.set(compiled.get() + 1);
                let documents: Vec<Value> = serde_saphyr::from_multiple(&yaml).map_err(|e| {
                    TestCaseError::fail(format!("{name} output is not YAML: {e}\n{yaml}"))
                })?;
                prop_assert!(
                    !documents.is_empty(),
                    "{} wrote nothing for\n{}",
                    name,
                    text
                );
                for document in &documents {
                    let shaped = match name {
                        "compose" => document["services"].is_object(),
                        _ => document["kind"].is_string() && document["apiVersion"].is_string(),
                    };
                    prop_assert!(shaped, "{} wrote an odd document: {}", name, document);
                }
            }
            Err(diagnostics) => prop_assert!(
                !diagnostics.is_empty(),
                "{} failed without a diagnostic",
                name
            ),
        }
    }
    Ok(())
}

#[test]
fn generated_workloads_compile_deterministically_or_fail_with_diagnostics() {
    let valid = Cell::new(0);
    let compiled = Cell::new(0);
    let mut runner = TestRunner::new(config());
    let result = runner.run(&workload(), |w| check(&w, &valid, &compiled));
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator must reach the compilers, not only the validator: a test that only ever
    // saw rejected workloads would prove little.
    let (valid, compiled) = (valid.get(), compiled.get());
    assert!(
        valid >= CASES / 2,
        "only {valid} of {CASES} generated workloads validated"
    );
    assert!(
        compiled >= valid * 2,
        "only {compiled} of {} compiles succeeded",
        valid * 3
    );
}
