//! Properties every built-in Kubernetes provisioner keeps, checked on the output of one
//! compile that uses each of them.

use score_compile::kubernetes::{self, MANAGED_BY, Options};
use score_compile::{Provisioner, TargetKind, builtin_provisioners};

fn kubernetes_defaults() -> &'static [Provisioner] {
    builtin_provisioners(TargetKind::Kubernetes)
}

/// One resource per built-in provisioner: `(type, class)`.
const RESOURCES: &str = "
  service:
    type: service
    params: {workload: api}
  port:
    type: service-port
    params: {workload: api, port: http}
  scratch:
    type: volume
  dns:
    type: dns
  route:
    type: route
    params: {host: '${resources.dns.host}', port: web, path: /}
  ingress:
    type: route
    class: ingress
    params: {host: '${resources.dns.host}', port: web, path: '/v[0-9]+/'}
  db:
    type: postgres
  instance:
    type: postgres-instance
  mysql:
    type: mysql
  cache:
    type: redis
  docs:
    type: mongodb
  queue:
    type: amqp
  bucket:
    type: s3
  topic:
    type: kafka-topic
  sql:
    type: mssql
  search:
    type: elasticsearch
  env:
    type: environment
";

fn workloads() -> Vec<score_spec::Workload> {
    let front = format!(
        "apiVersion: score.dev/v1b1
metadata:
  name: front
service:
  ports:
    web:
      port: 80
containers:
  web:
    image: nginx
    volumes:
      /scratch:
        source: ${{resources.scratch}}
resources:{RESOURCES}"
    );
    let api = "apiVersion: score.dev/v1b1
metadata:
  name: api
service:
  ports:
    http:
      port: 8080
containers:
  api:
    image: nginx
";
    [("front.yaml", front.as_str()), ("api.yaml", api)]
        .into_iter()
        .map(
            |(origin, text)| match score_spec::parse_workload(text, origin) {
                Ok(parsed) => parsed.workload,
                Err(d) => panic!("{origin}:\n{d}"),
            },
        )
        .collect()
}

#[test]
fn the_workload_here_uses_every_built_in_provisioner() {
    let used: Vec<(String, String)> = workloads()[0]
        .resources
        .values()
        .map(|r| {
            let class = r.class.as_ref().map_or("default", |c| c.value.as_str());
            (r.r#type.value.clone(), class.to_owned())
        })
        .collect();
    for p in kubernetes_defaults() {
        let covered = used
            .iter()
            .any(|(t, c)| p.matches(t, c, None) && (p.class.is_some() || c == "default"));
        assert!(covered, "no resource here is provisioned by {}", p.uri);
    }
}

#[test]
fn every_object_of_every_built_in_provisioner_is_labelled_managed_by() {
    let out = kubernetes::compile(&workloads(), &Options::default())
        .unwrap_or_else(|d| panic!("compile failed:\n{d}"));
    let kinds: Vec<&str> = out
        .manifests
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    for kind in ["HTTPRoute", "Ingress", "StatefulSet", "Secret", "Job"] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    let mut unlabelled = Vec::new();
    for m in &out.manifests {
        let mut labelled = vec![&m["metadata"]];
        // Pods of workload objects are selected by labels too.
        labelled.push(&m["spec"]["template"]["metadata"]);
        for metadata in labelled.into_iter().filter(|m| !m.is_null()) {
            if metadata["labels"]["app.kubernetes.io/managed-by"] != MANAGED_BY {
                unlabelled.push(format!("{} {}", m["kind"], m["metadata"]["name"]));
            }
        }
    }
    assert!(unlabelled.is_empty(), "not labelled: {unlabelled:?}");
}
