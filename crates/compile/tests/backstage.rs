//! Behaviour of the Backstage target, through the library's public API. The catalog of
//! `testdata/backstage/` is an insta snapshot in `testdata/snapshots/backstage/`; the sample
//! sets' catalogs are snapshots of the CLI tests.

use std::path::Path;

use score_compile::backstage::{self, Options, Output};
use score_compile::kubernetes;
use score_spec::{Diagnostics, Workload};
use serde_json::Value;

fn workload(origin: &str, text: &str) -> Workload {
    match score_spec::parse_workload(text, origin) {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("{origin} does not parse:\n{d}"),
    }
}

fn ok_with(workloads: &[Workload], options: &Options) -> Output {
    backstage::compile(workloads, options).unwrap_or_else(|d| panic!("compile failed:\n{d}"))
}

fn ok(workloads: &[Workload]) -> Output {
    ok_with(workloads, &Options::default())
}

fn err(workloads: &[Workload]) -> Diagnostics {
    match backstage::compile(workloads, &Options::default()) {
        Ok(out) => panic!("expected an error, got:\n{}", out.to_yaml()),
        Err(d) => d,
    }
}

fn entity<'a>(out: &'a Output, kind: &str, name: &str) -> &'a Value {
    out.entities
        .iter()
        .find(|e| e["kind"] == kind && e["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in:\n{}", out.to_yaml()))
}

fn names(out: &Output, kind: &str) -> Vec<String> {
    out.entities
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

fn depends_on(e: &Value) -> Vec<&str> {
    e["spec"]["dependsOn"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default()
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots/backstage"),
    );
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// A workload named `name` with the given extra metadata and resources sections.
fn with(name: &str, annotations: &str, resources: &str) -> Workload {
    let text = format!(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: {name}\n  annotations:\n    team: blue\n{annotations}containers:\n  main:\n    image: busybox\nservice:\n  ports:\n    http:\n      port: 8080\nresources:\n  unused:\n    type: volume\n{resources}"
    );
    workload(&format!("{name}/score.yaml"), &text)
}

#[test]
fn a_shared_resource_is_one_entity_by_identity_not_by_name() {
    let queue = "  queue:\n    type: amqp\n    id: orders\n";
    // Same id, another type: another resource, so another entity.
    let topic = "  topic:\n    type: kafka-topic\n    id: orders\n";
    let out = ok(&[
        with("orders", "", queue),
        with("makeline", "", &format!("{queue}{topic}")),
    ]);
    let shared: Vec<&Value> = out
        .entities
        .iter()
        .filter(|e| e["metadata"]["annotations"]["score.dev/resource-id"] == "orders")
        .collect();
    assert_eq!(shared.len(), 2, "{}", out.to_yaml());
    assert_ne!(shared[0]["metadata"]["name"], shared[1]["metadata"]["name"]);
    let amqp = out
        .entities
        .iter()
        .find(|e| e["spec"]["type"] == "amqp")
        .unwrap();
    let reference = format!("resource:{}", amqp["metadata"]["name"].as_str().unwrap());
    for w in ["orders", "makeline"] {
        assert!(
            depends_on(entity(&out, "Component", w)).contains(&reference.as_str()),
            "{}",
            out.to_yaml()
        );
    }
    assert_eq!(
        amqp["metadata"]["annotations"]["score.dev/resource-uid"],
        "amqp.default#orders"
    );
}

#[test]
fn service_resources_become_component_dependencies() {
    let out = ok(&[
        with("api", "", ""),
        with(
            "web",
            "",
            "  api:\n    type: service\n  other:\n    type: service\n    params:\n      workload: api\n  port:\n    type: service-port\n    params:\n      workload: billing\n      port: http\n  loose:\n    type: service-port\n",
        ),
    ]);
    let web = entity(&out, "Component", "web");
    // `billing` is not compiled here: the reference still names it, as a catalog that
    // registers it elsewhere resolves it.
    assert_eq!(
        depends_on(web),
        [
            "component:api",
            "component:billing",
            "resource:web-loose",
            "resource:web-unused"
        ]
    );
    assert_eq!(names(&out, "Component"), ["api", "web"]);
}

#[test]
fn a_service_reference_that_is_not_a_workload_name_is_an_error() {
    let d = err(&[with(
        "web",
        "",
        "  api:\n    type: service\n    params:\n      workload: ${metadata.name}\n",
    )]);
    let d = &d.0[0];
    assert_eq!(d.code, "score::backstage::workload-reference");
    assert_eq!(d.pointer, "/resources/api/params/workload");
    assert_eq!(d.span.unwrap().line, 19);
}

#[test]
fn annotations_win_over_options_which_win_over_defaults() {
    let annotated = with(
        "annotated",
        "    backstage.score.dev/owner: group:payments\n    backstage.score.dev/lifecycle: production\n    backstage.score.dev/system: shop\n    backstage.score.dev/namespace: payments\n    backstage.score.dev/type: website\n    backstage.score.dev/title: The Shop\n    backstage.score.dev/description: Sells things.\n    backstage.io/techdocs-ref: dir:.\n    tags: Node.js, C++ ,node.js,,Machine Learning\n",
        "",
    );
    let plain = with("plain", "", "");
    let out = ok(&[annotated.clone(), plain.clone()]);
    let a = entity(&out, "Component", "annotated");
    assert_eq!(a["spec"]["owner"], "group:payments");
    assert_eq!(a["spec"]["lifecycle"], "production");
    assert_eq!(a["spec"]["system"], "shop");
    assert_eq!(a["spec"]["type"], "website");
    assert_eq!(a["metadata"]["namespace"], "payments");
    assert_eq!(a["metadata"]["title"], "The Shop");
    assert_eq!(a["metadata"]["description"], "Sells things.");
    assert_eq!(
        a["metadata"]["annotations"]["backstage.io/techdocs-ref"],
        "dir:."
    );
    assert_eq!(
        a["metadata"]["tags"],
        serde_json::json!(["node-js", "c++", "machine-learning"])
    );
    // The resource of a workload follows its workload.
    let r = entity(&out, "Resource", "annotated-unused");
    assert_eq!(r["metadata"]["namespace"], "payments");
    assert_eq!(r["spec"]["owner"], "group:payments");
    assert_eq!(r["spec"]["system"], "shop");

    let p = entity(&out, "Component", "plain");
    assert_eq!(p["spec"]["owner"], backstage::DEFAULT_OWNER);
    assert_eq!(p["spec"]["lifecycle"], backstage::DEFAULT_LIFECYCLE);
    assert_eq!(p["spec"]["type"], backstage::DEFAULT_TYPE);
    assert!(p["spec"].get("system").is_none());
    assert!(p["metadata"].get("namespace").is_none());
    assert!(p["metadata"].get("tags").is_none());

    let mut options = Options::default();
    options.owner = Some("group:platform".into());
    options.lifecycle = Some("deprecated".into());
    options.system = Some("legacy".into());
    options.namespace = Some("ops".into());
    options.kubernetes_namespace = Some("shop-prod".into());
    let out = ok_with(&[annotated, plain], &options);
    let a = entity(&out, "Component", "annotated");
    assert_eq!(a["spec"]["owner"], "group:payments");
    assert_eq!(a["metadata"]["namespace"], "payments");
    let p = entity(&out, "Component", "plain");
    assert_eq!(p["spec"]["owner"], "group:platform");
    assert_eq!(p["spec"]["lifecycle"], "deprecated");
    assert_eq!(p["spec"]["system"], "legacy");
    assert_eq!(p["metadata"]["namespace"], "ops");
    assert_eq!(
        p["metadata"]["annotations"]["backstage.io/kubernetes-namespace"],
        "shop-prod"
    );
}

#[test]
fn a_resource_shared_across_namespaces_takes_the_fallback_and_is_referred_to_in_full() {
    let db = "  db:\n    type: postgres\n    id: main\n";
    let out = ok(&[
        with(
            "alpha",
            "    backstage.score.dev/namespace: team-a\n    backstage.score.dev/owner: group:a\n",
            db,
        ),
        with(
            "beta",
            "    backstage.score.dev/namespace: team-b\n    backstage.score.dev/owner: group:a\n",
            db,
        ),
    ]);
    let r = entity(&out, "Resource", "main");
    assert!(r["metadata"].get("namespace").is_none(), "{r}");
    // Both declarers agree on the owner.
    assert_eq!(r["spec"]["owner"], "group:a");
    assert!(depends_on(entity(&out, "Component", "alpha")).contains(&"resource:default/main"));
    assert!(depends_on(entity(&out, "Component", "beta")).contains(&"resource:default/main"));
}

#[test]
fn resources_depend_on_the_resources_their_params_use() {
    let out = ok(&[with(
        "web",
        "",
        "  dns:\n    type: dns\n  route:\n    type: route\n    params:\n      host: ${resources.dns.host}\n      port: 8080\n",
    )]);
    assert_eq!(
        depends_on(entity(&out, "Resource", "web-route")),
        ["resource:web-dns"]
    );
    assert!(depends_on(entity(&out, "Resource", "web-dns")).is_empty());
}

#[test]
fn names_are_shortened_and_kept_distinct_deterministically() {
    let long = "r".repeat(60);
    let out = ok(&[
        with("ab", "", "  cd-ef:\n    type: redis\n"),
        with(
            "ab-cd",
            "",
            &format!("  ef:\n    type: redis\n  {long}:\n    type: redis\n"),
        ),
    ]);
    let resources = names(&out, "Resource");
    for name in &resources {
        assert!(backstage::is_entity_name(name), "{name}");
    }
    // `ab` + `cd-ef` and `ab-cd` + `ef` would both be `ab-cd-ef`.
    let clashing: Vec<&String> = resources
        .iter()
        .filter(|n| n.starts_with("ab-cd-ef-"))
        .collect();
    assert_eq!(clashing.len(), 2, "{resources:?}");
    assert_ne!(clashing[0], clashing[1]);
    assert!(
        resources
            .iter()
            .any(|n| n.len() == 63 && n.starts_with("ab-cd-rrrr"))
    );
    // The same input gives the same names.
    let again = ok(&[
        with(
            "ab-cd",
            "",
            &format!("  ef:\n    type: redis\n  {long}:\n    type: redis\n"),
        ),
        with("ab", "", "  cd-ef:\n    type: redis\n"),
    ]);
    assert_eq!(again.to_yaml(), out.to_yaml());
}

#[test]
fn any_resource_type_is_catalogued_without_provisioners() {
    let out = ok(&[with(
        "web",
        "",
        "  model:\n    type: llm-model\n    class: large\n    params:\n      model: ai/smollm2\n",
    )]);
    let r = entity(&out, "Resource", "web-model");
    assert_eq!(r["spec"]["type"], "llm-model");
    assert_eq!(
        r["metadata"]["annotations"]["score.dev/resource-class"],
        "large"
    );
    assert_eq!(
        r["metadata"]["annotations"]["score.dev/resource-type"],
        "llm-model"
    );
}

#[test]
fn bad_annotations_are_errors_at_their_place() {
    let d = err(&[with(
        "web",
        "    backstage.score.dev/ownr: group:x\n    backstage.score.dev/owner: team a\n    backstage.score.dev/namespace: Team_A\n    backstage.score.dev/lifecycle: \"\"\n",
        "",
    )]);
    let found: Vec<(&str, &str, u32)> = d
        .iter()
        .map(|d| (d.code, d.pointer.as_str(), d.span.unwrap().line))
        .collect();
    assert_eq!(
        found,
        [
            (
                "score::backstage::unknown-annotation",
                "/metadata/annotations/backstage.score.dev~1ownr",
                6
            ),
            (
                "score::backstage::annotation",
                "/metadata/annotations/backstage.score.dev~1owner",
                7
            ),
            (
                "score::backstage::annotation",
                "/metadata/annotations/backstage.score.dev~1namespace",
                8
            ),
            (
                "score::backstage::annotation",
                "/metadata/annotations/backstage.score.dev~1lifecycle",
                9
            ),
        ]
    );
    // An unknown key is underlined itself.
    assert_eq!(d.0[0].span.unwrap().column, 5);
    assert_eq!(
        d.0[0].help.as_deref(),
        Some("did you mean `backstage.score.dev/owner`?")
    );
    assert!(d.0[1].message.contains("entity name"), "{}", d.0[1].message);
}

#[test]
fn bad_options_are_errors_naming_the_option() {
    let mut options = Options::default();
    options.owner = Some("group:".into());
    options.namespace = Some("Ops".into());
    let problems = options.problems();
    let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["owner", "namespace"]);
    let d = backstage::compile(&[with("web", "", "")], &options).unwrap_err();
    assert!(
        d.0[0].message.starts_with("option `owner`"),
        "{}",
        d.0[0].message
    );
}

#[test]
fn the_label_selector_selects_the_workloads_kubernetes_objects() {
    let web = with("web", "", "");
    let catalog = ok(std::slice::from_ref(&web));
    let selector = entity(&catalog, "Component", "web")["metadata"]["annotations"]
        ["backstage.io/kubernetes-label-selector"]
        .as_str()
        .unwrap()
        .to_owned();
    let pairs: Vec<(&str, &str)> = selector
        .split(',')
        .map(|p| p.split_once('=').unwrap())
        .collect();
    assert!(!pairs.is_empty());
    let manifests = kubernetes::compile(&[web], &kubernetes::Options::default())
        .unwrap()
        .manifests;
    let mut labelled = Vec::new();
    for m in &manifests {
        labelled.push(&m["metadata"]["labels"]);
        if let Some(pod) = m.pointer("/spec/template/metadata/labels") {
            labelled.push(pod);
        }
    }
    // Deployment, its pods and Service (the volume resource adds nothing).
    assert_eq!(labelled.len(), 3, "{manifests:?}");
    for labels in labelled {
        for (k, v) in &pairs {
            assert_eq!(labels[*k], *v, "{labels} lacks {k}={v}");
        }
    }
}

#[test]
fn the_fixture_catalog() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/backstage");
    let mut workloads = Vec::new();
    for name in ["reporting", "payments-api", "ledger"] {
        let path = dir.join(name).join("score.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        workloads.push(workload(&format!("{name}/score.yaml"), &text));
    }
    let mut options = Options::default();
    options.owner = Some("group:platform".into());
    let out = ok_with(&workloads, &options);
    assert!(out.warnings.is_empty());
    workloads.reverse();
    assert_eq!(ok_with(&workloads, &options).to_yaml(), out.to_yaml());
    settings().bind(|| insta::assert_snapshot!("catalog-fixture", out.to_yaml()));
}

/// The workloads of a sample set: each `score.yaml` one directory down.
fn sample_set(name: &str) -> Vec<Workload> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus/valid/examples/samples")
        .join(name);
    let mut workloads = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path().join("score.yaml");
        if let Ok(text) = std::fs::read_to_string(&path) {
            workloads.push(workload(&path.display().to_string(), &text));
        }
    }
    workloads
}

#[test]
fn the_aks_store_queue_is_one_resource_both_workloads_depend_on() {
    let out = ok(&sample_set("aks-store-demo"));
    let queues: Vec<&Value> = out
        .entities
        .iter()
        .filter(|e| e["metadata"]["annotations"]["score.dev/resource-id"] == "orders-queue")
        .collect();
    assert_eq!(queues.len(), 1, "{}", out.to_yaml());
    assert_eq!(queues[0]["kind"], "Resource");
    let reference = format!(
        "resource:{}",
        queues[0]["metadata"]["name"].as_str().unwrap()
    );
    for w in ["order-service", "makeline-service"] {
        assert!(depends_on(entity(&out, "Component", w)).contains(&reference.as_str()));
    }
    let users = out
        .entities
        .iter()
        .filter(|e| depends_on(e).contains(&reference.as_str()))
        .count();
    assert_eq!(users, 2);
}

#[test]
fn the_online_boutique_frontend_depends_on_the_components_it_calls() {
    let out = ok(&sample_set("onlineboutique"));
    let frontend = depends_on(entity(&out, "Component", "frontend"));
    let components: Vec<&str> = frontend
        .iter()
        .filter_map(|r| r.strip_prefix("component:"))
        .collect();
    assert_eq!(
        components,
        [
            "ad",
            "cart",
            "checkout",
            "currency",
            "payment",
            "productcatalog",
            "recommendation",
            "shipping"
        ]
    );
    // Each of them is in the catalog.
    for c in components {
        entity(&out, "Component", c);
    }
}
