//! The built-in provisioners of both targets come from one catalogue
//! (`provisioners/builtin.provisioners.yaml`), and offer the same thing: the same resource
//! types, params, outputs and param checks. (The same rendered `init` and `state` is a test of
//! `provisioners::catalogue`, which can render a template alone.)
//!
//! What parity means for the exceptions:
//! - `route` has two Kubernetes provisioners (class `ingress`: an Ingress; any other class: an
//!   HTTPRoute) and one on Compose: each Kubernetes one must match Compose's.
//! - `environment` is handled natively by both targets, differently: on Kubernetes params
//!   `secret` names the Secret keys are read from; Compose reads docker compose's environment
//!   and takes no params. Its params are the one difference allowed.

use std::collections::BTreeSet;

use score_compile::{Provisioner, TargetKind, builtin_provisioners, compose, kubernetes};
use score_spec::{Diagnostics, Workload};

fn kubernetes_defaults() -> &'static [Provisioner] {
    builtin_provisioners(TargetKind::Kubernetes)
}

fn compose_defaults() -> &'static [Provisioner] {
    builtin_provisioners(TargetKind::Compose)
}

fn types(provisioners: &[Provisioner]) -> BTreeSet<&str> {
    provisioners.iter().map(|p| p.r#type.as_str()).collect()
}

#[test]
fn both_targets_offer_the_same_types_params_and_outputs() {
    let (k8s, compose) = (kubernetes_defaults(), compose_defaults());
    assert_eq!(types(k8s), types(compose));
    // One provisioner per type on Compose, matching every class; only `route` has a
    // class-specific one on Kubernetes, before the one for every class.
    assert_eq!(compose.len(), types(compose).len());
    assert!(compose.iter().all(|c| c.class.is_none() && c.id.is_none()));
    let classes: Vec<(&str, Option<&str>)> = k8s
        .iter()
        .filter(|k| k.class.is_some() || k.id.is_some())
        .map(|k| (k.r#type.as_str(), k.class.as_deref()))
        .collect();
    assert_eq!(classes, [("route", Some("ingress"))]);
    for k in k8s {
        let c = compose.iter().find(|c| c.r#type == k.r#type).unwrap();
        assert_eq!(k.expected_outputs, c.expected_outputs, "{}", k.uri);
        if k.r#type == "environment" {
            assert_eq!(k.supported_params, Some(vec!["secret".to_owned()]));
            assert_eq!(c.supported_params, Some(vec![]));
        } else {
            assert_eq!(k.supported_params, c.supported_params, "{}", k.uri);
        }
        // Same uri, but for the Ingress route.
        if k.class.is_none() {
            assert_eq!(k.uri, c.uri);
        }
    }
}

#[test]
fn the_built_ins_are_listed_in_catalogue_order_with_their_file_and_lines() {
    let uris = |ps: &[Provisioner]| ps.iter().map(|p| p.uri.clone()).collect::<Vec<_>>();
    let mut without_ingress = uris(kubernetes_defaults());
    without_ingress.retain(|u| u != "template://score-rs/route-ingress");
    assert_eq!(without_ingress, uris(compose_defaults()));
    for (target, ps) in [
        ("kubernetes", kubernetes_defaults()),
        ("compose", compose_defaults()),
    ] {
        let mut last = 0;
        for p in ps {
            assert_eq!(p.file, format!("<built-in {target} provisioners>"));
            assert!(p.span.line >= last, "{} is out of order", p.uri);
            last = p.span.line;
        }
    }
    // Where their templates are (and that a shared template is one text) is a unit test of
    // `provisioners::catalogue`: templates are not public.
}

fn workload(resource: &str) -> Workload {
    let text = format!(
        "apiVersion: score.dev/v1b1
metadata:
  name: web
service:
  ports:
    http:
      port: 80
      targetPort: 8080
containers:
  main:
    image: nginx
resources:
  res:
{resource}"
    );
    match score_spec::parse_workload(&text, "score.yaml") {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("does not parse:\n{d}"),
    }
}

/// `(code, pointer)` of each error, on one target.
fn errors(result: Result<(), Diagnostics>) -> Vec<(String, String)> {
    match result {
        Ok(()) => Vec::new(),
        Err(d) => d
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code.to_owned(), d.pointer.clone()))
            .collect(),
    }
}

#[test]
fn a_bad_param_fails_on_both_targets_with_the_same_code_at_the_same_param() {
    // One bad value for each param check of the catalogue.
    let cases = [
        (
            "route",
            "host: 'not a host', path: /, port: http",
            "score::route::host",
        ),
        (
            "route",
            "host: example.com, path: api, port: http",
            "score::route::path",
        ),
        (
            "route",
            "host: example.com, path: /a//b, port: http",
            "score::route::path",
        ),
        ("route", "path: /, port: http", "score::route::params"),
        ("s3", "bucket: Not_A_Bucket", "score::provisioner::failed"),
        ("s3", "bucket: ab", "score::provisioner::failed"),
        (
            "kafka-topic",
            "name: 'not a topic'",
            "score::provisioner::failed",
        ),
        ("kafka-topic", "name: '..'", "score::provisioner::failed"),
    ];
    for (r#type, params, code) in cases {
        // Both Kubernetes route provisioners: the Ingress one and the HTTPRoute one.
        let classes: &[&str] = if r#type == "route" {
            &["ingress", "default"]
        } else {
            &["default"]
        };
        for class in classes {
            let w = [workload(&format!(
                "    type: {type}\n    class: {class}\n    params: {{{params}}}\n"
            ))];
            let k = errors(kubernetes::compile(&w, &kubernetes::Options::default()).map(|_| ()));
            let c = errors(compose::compile(&w, &compose::Options::default()).map(|_| ()));
            assert_eq!(k.len(), 1, "{type} {class} {params}: {k:?}");
            assert_eq!(k[0].0, code, "{type} {class} {params}");
            assert_eq!(k, c, "{type} {class} {params}");
        }
    }
}

#[test]
fn good_params_pass_on_both_targets() {
    // The counterpart of the bad values above: the same checks accept these.
    for (r#type, params) in [
        ("route", "host: example.com, path: /api, port: http"),
        ("s3", "bucket: orders.bucket"),
        ("kafka-topic", "name: orders_v1"),
    ] {
        let w = [workload(&format!(
            "    type: {type}\n    params: {{{params}}}\n"
        ))];
        let k = kubernetes::compile(&w, &kubernetes::Options::default()).map(|_| ());
        let c = compose::compile(&w, &compose::Options::default()).map(|_| ());
        assert_eq!((errors(k), errors(c)), (vec![], vec![]), "{type} {params}");
    }
}
