//! Throughput of `score_spec::parse_workload` (parse + upgrade + schema validation + semantic
//! checks) over the shared corpus and over a generated "scale corpus".
//!
//! Run with `cargo bench -p score-spec`. Each benchmark validates a whole set of workloads per
//! iteration and reports throughput in elements (= workloads) per second.
//!
//! The corpus is read from `testdata/corpus` (a copy of the shared corpus); when it is
//! missing the corpus groups are skipped with a message and only the generated corpus runs.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// One input file: the origin used in diagnostics and its text.
struct Input {
    origin: String,
    text: String,
}

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/corpus")
}

/// Every `*.yaml` / `*.yml` file under `dir`, sorted by path. `None` if `dir` is not a directory.
fn load_dir(dir: &Path) -> Option<Vec<Input>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                out.push(path);
            }
        }
    }
    if !dir.is_dir() {
        return None;
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    paths.sort();
    let inputs = paths
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            Some(Input {
                origin: path.display().to_string(),
                text,
            })
        })
        .collect();
    Some(inputs)
}

/// Validates every input; returns how many were accepted (so the work cannot be optimised away).
fn validate_all(inputs: &[Input]) -> usize {
    let mut accepted = 0;
    for input in inputs {
        let result = score_spec::parse_workload(black_box(&input.text), &input.origin);
        accepted += usize::from(result.is_ok());
        let _ = black_box(result);
    }
    accepted
}

/// Checks outside the measurement that a set behaves as expected (all valid or all invalid) and
/// says so when it does not: a benchmark of the wrong code path is misleading.
fn sanity_check(label: &str, inputs: &[Input], expect_valid: bool) {
    for input in inputs {
        let ok = score_spec::parse_workload(&input.text, &input.origin).is_ok();
        if ok != expect_valid {
            eprintln!(
                "warning: [{label}] {} was {} but expected {}",
                input.origin,
                if ok { "accepted" } else { "rejected" },
                if expect_valid { "valid" } else { "invalid" },
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scale corpus: deterministic Online-Boutique-like workloads.

const SERVICES: &[&str] = &[
    "ad",
    "cart",
    "checkout",
    "currency",
    "email",
    "frontend",
    "payment",
    "productcatalog",
    "recommendation",
    "shipping",
    "loadgenerator",
];
const RESOURCE_TYPES: &[(&str, &[&str])] = &[
    ("service", &["name"]),
    ("redis", &["host", "port", "username", "password"]),
    (
        "postgres",
        &["host", "port", "name", "username", "password"],
    ),
    ("dns", &["host"]),
    ("amqp", &["host", "port", "vhost"]),
];
const LANGS: &[&str] = &["golang", "java", "python", "nodejs", "dotnet", "csharp"];

/// A small deterministic mixer (splitmix64), so variation needs no random-number crate.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// One Online-Boutique-sized workload: 1–2 containers, 3–10 variables each (about half with
/// placeholders), resource limits/requests, 2–7 resources, a service port, sometimes probes.
fn generate_workload(i: usize) -> String {
    let r = |k: u64| mix((i as u64) << 8 | k) as usize;
    let base = SERVICES[i % SERVICES.len()];
    let name = format!("{base}-{i:04}");
    let mut s = String::with_capacity(2048);
    let _ = writeln!(s, "apiVersion: score.dev/v1b1");
    let _ = writeln!(s, "metadata:\n  name: {name}\n  annotations:");
    let _ = writeln!(
        s,
        "    tags: \"{},backend,grpc\"",
        LANGS[r(1) % LANGS.len()]
    );

    // Resources first in our head, so that variables can refer to them.
    let n_resources = 2 + r(2) % 6;
    let mut resources = Vec::with_capacity(n_resources);
    for k in 0..n_resources {
        let (ty, outputs) = RESOURCE_TYPES[r(10 + k as u64) % RESOURCE_TYPES.len()];
        let id = format!("{}-{k}", SERVICES[(i + k + 1) % SERVICES.len()]);
        resources.push((id, ty, outputs));
    }

    let port = 3000 + (i % 5000);
    s.push_str("containers:\n");
    let n_containers = 1 + usize::from(r(3) % 4 == 0);
    for c in 0..n_containers {
        let cname = if c == 0 {
            base.to_string()
        } else {
            format!("{base}-sidecar")
        };
        let _ = writeln!(s, "  {cname}:");
        let _ = writeln!(
            s,
            "    image: us-central1-docker.pkg.dev/google-samples/microservices-demo/{base}service:v0.10.{}",
            i % 7
        );
        if r(4 + c as u64) % 3 == 0 {
            for probe in ["livenessProbe", "readinessProbe"] {
                let _ = writeln!(
                    s,
                    "    {probe}:\n      httpGet:\n        path: /_healthz\n        port: {port}"
                );
            }
        }
        s.push_str("    variables:\n");
        let n_vars = 3 + r(20 + c as u64) % 8;
        for v in 0..n_vars {
            let key = format!("VAR_{}_{v}", base.to_uppercase());
            if v % 2 == 0 {
                let (id, _, outputs) = &resources[v / 2 % resources.len()];
                let out = outputs[(i + v) % outputs.len()];
                let _ = writeln!(s, "      {key}: \"${{resources.{id}.{out}}}:{port}\"");
            } else if v == 3 {
                let _ = writeln!(s, "      {key}: \"${{metadata.name}}\"");
            } else {
                let _ = writeln!(s, "      {key}: \"{}\"", r(30 + v as u64) % 100_000);
            }
        }
        let mem = 20 + r(5) % 200;
        let cpu = 10 + r(6) % 300;
        let _ = writeln!(
            s,
            "    resources:\n      limits:\n        memory: \"{mem}Mi\"\n        cpu: \"{cpu}m\"\n      requests:\n        memory: \"{}Mi\"\n        cpu: \"{}m\"",
            mem / 2 + 1,
            cpu / 2 + 1
        );
    }

    s.push_str("resources:\n");
    for (id, ty, _) in &resources {
        let _ = writeln!(s, "  {id}:\n    type: {ty}");
    }
    let _ = writeln!(
        s,
        "service:\n  ports:\n    grpc:\n      port: {port}\n      targetPort: {port}"
    );
    s
}

fn scale_corpus(n: usize) -> Vec<Input> {
    (0..n)
        .map(|i| Input {
            origin: format!("generated/{i:04}/score.yaml"),
            text: generate_workload(i),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------

fn bench_set(c: &mut Criterion, group: &str, name: &str, inputs: &[Input]) {
    if inputs.is_empty() {
        eprintln!("note: {group}/{name}: no input files, skipped");
        return;
    }
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function(name, |b| b.iter(|| validate_all(black_box(inputs))));
    g.finish();
}

fn benches(c: &mut Criterion) {
    let root = corpus_root();
    let valid = load_dir(&root.join("valid"));
    let invalid = load_dir(&root.join("invalid"));

    match &valid {
        None => eprintln!(
            "note: corpus directory {} not found; skipping the corpus benchmarks \
             (corpus/valid_all, corpus/onlineboutique)",
            root.join("valid").display()
        ),
        Some(valid) => {
            sanity_check("valid", valid, true);
            bench_set(c, "corpus", "valid_all", valid);
            let boutique: Vec<Input> = valid
                .iter()
                .filter(|input| {
                    let p = Path::new(&input.origin);
                    p.file_name().is_some_and(|f| f == "score.yaml")
                        && p.parent()
                            .and_then(Path::parent)
                            .and_then(Path::file_name)
                            .is_some_and(|d| d == "onlineboutique")
                })
                .map(|input| Input {
                    origin: input.origin.clone(),
                    text: input.text.clone(),
                })
                .collect();
            if boutique.len() != 11 {
                eprintln!(
                    "note: expected 11 Online Boutique workloads, found {}",
                    boutique.len()
                );
            }
            bench_set(c, "corpus", "onlineboutique", &boutique);
        }
    }
    match &invalid {
        None => eprintln!(
            "note: corpus directory {} not found; skipping the corpus/invalid benchmark",
            root.join("invalid").display()
        ),
        Some(invalid) => {
            sanity_check("invalid", invalid, false);
            bench_set(c, "corpus", "invalid", invalid);
        }
    }

    let scale = scale_corpus(1_000);
    sanity_check("scale", &scale, true);
    bench_set(c, "scale", "generated_1000", &scale);
}

criterion_group! {
    name = validate;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(30);
    targets = benches
}
criterion_main!(validate);
