//! Cost of compiling, per workload.
//!
//! Run with `cargo bench -p score-compile`. Groups:
//! - `onlineboutique/compile`: the 11 Online Boutique workloads (already parsed) compiled
//!   together: resource graph, provisioners (minijinja), substitution, conversion;
//! - `onlineboutique/compose`: the same workloads compiled to one Compose file;
//! - `onlineboutique/backstage+yaml`: the same workloads to a Backstage catalog, as text;
//! - `onlineboutique/parse+compile+yaml`: the whole job of `score compile`, minus file I/O;
//! - `scale/compile`: a generated set of 200 workloads, each with a postgres, a dns, a route
//!   and service references to its neighbours, compiled together;
//! - `scale/backstage+yaml`: the same 200 workloads to a Backstage catalog, as text.
//!
//! Throughput is in elements (= workloads) per second.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use score_compile::kubernetes::{self, Options};

fn shop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/corpus/valid/examples/samples/onlineboutique")
}

fn shop_texts() -> Option<Vec<(String, String)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shop_dir())
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("score.yaml")))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Some(
        files
            .into_iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect(),
    )
}

fn generated(count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| {
            let next = (i + 1) % count;
            let text = format!(
                "apiVersion: score.dev/v1b1
metadata:
  name: svc-{i}
containers:
  main:
    image: registry.example/svc-{i}:1.0
    variables:
      DB_URL: postgres://${{resources.db.username}}:${{resources.db.password}}@${{resources.db.host}}:${{resources.db.port}}/${{resources.db.database}}
      NEXT: http://${{resources.next.name}}:8080
    files:
      /etc/app.conf:
        content: |
          name = ${{metadata.name}}
          host = ${{resources.dns.host}}
    resources:
      requests:
        cpu: 100m
        memory: 128Mi
service:
  ports:
    http:
      port: 8080
resources:
  db:
    type: postgres
  dns:
    type: dns
  route:
    type: route
    params:
      host: ${{resources.dns.host}}
      port: 8080
  next:
    type: service
    params:
      workload: svc-{next}
"
            );
            (format!("svc-{i}/score.yaml"), text)
        })
        .collect()
}

fn parse(texts: &[(String, String)]) -> Vec<score_spec::Workload> {
    texts
        .iter()
        .map(|(origin, text)| score_spec::parse_workload(text, origin).unwrap().workload)
        .collect()
}

fn benches(c: &mut Criterion) {
    let options = Options::default();
    match shop_texts() {
        Some(texts) => {
            let workloads = parse(&texts);
            let mut group = c.benchmark_group("onlineboutique");
            group.throughput(Throughput::Elements(workloads.len() as u64));
            group.bench_function("compile", |b| {
                b.iter(|| kubernetes::compile(black_box(&workloads), &options).unwrap())
            });
            group.bench_function("compose", |b| {
                let options = score_compile::compose::Options::default();
                b.iter(|| score_compile::compose::compile(black_box(&workloads), &options).unwrap())
            });
            group.bench_function("backstage+yaml", |b| {
                let options = score_compile::backstage::Options::default();
                b.iter(|| {
                    score_compile::backstage::compile(black_box(&workloads), &options)
                        .unwrap()
                        .to_yaml()
                })
            });
            group.bench_function("parse+compile+yaml", |b| {
                b.iter(|| {
                    let workloads = parse(black_box(&texts));
                    kubernetes::compile(&workloads, &options).unwrap().to_yaml()
                })
            });
            group.finish();
        }
        None => eprintln!(
            "skipping onlineboutique: {} not found",
            shop_dir().display()
        ),
    }
    let texts = generated(200);
    let workloads = parse(&texts);
    let mut group = c.benchmark_group("scale");
    group.throughput(Throughput::Elements(workloads.len() as u64));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("compile", |b| {
        b.iter(|| kubernetes::compile(black_box(&workloads), &options).unwrap())
    });
    group.bench_function("backstage+yaml", |b| {
        let options = score_compile::backstage::Options::default();
        b.iter(|| {
            score_compile::backstage::compile(black_box(&workloads), &options)
                .unwrap()
                .to_yaml()
        })
    });
    group.finish();
}

criterion_group!(compile, benches);
criterion_main!(compile);
