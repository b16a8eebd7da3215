//! The `compose.score.dev/` and `k8s.score.dev/` annotations the reference tools read: each is
//! honoured (checked in the output) or warned about at its key (code and line checked through
//! `--message-format github`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

/// A Score file using every kind of annotation; line numbers matter to the tests.
const SHOP: &str = r#"apiVersion: score.dev/v1b1
metadata:
  name: shop
  annotations:
    compose.score.dev/publish-port: "8081"
    compose.score.dev/workload-nmae: x
    k8s.score.dev/kindd: StatefulSet
service:
  ports:
    web:
      port: 80
containers:
  main:
    image: nginx
resources:
  bus:
    type: amqp
    metadata:
      annotations:
        compose.score.dev/publish-port: "5672"
        compose.score.dev/publish-management-port: "15672"
  db:
    type: postgres
    metadata:
      annotations:
        compose.score.dev/publish-port: "15432"
        compose.score.dev/publsh-port: "1"
  bucket:
    type: s3
    metadata:
      annotations:
        compose.score.dev/publish-port: "9001"
  dns:
    type: dns
  route:
    type: route
    params:
      host: ${resources.dns.host}
      path: /
      port: 80
    metadata:
      annotations:
        compose.score.dev/route-provisioner-path-type: Exact
        compose.score.dev/route-provisioner-server-snippet: "x"
        compose.score.dev/stack-version: "8"
        k8s.score.dev/anything: "x"
"#;

/// A fresh directory `annotations-{label}` holding `score` as `score.yaml`.
fn scratch(label: &str, score: &str) -> PathBuf {
    let dir = common::scratch(&format!("annotations-{label}"));
    std::fs::write(dir.join("score.yaml"), score).unwrap();
    dir
}

/// The human output (stderr) of `score args` run in `dir` without colour. `SCORE_SEED` is
/// inherited, as these tests always had it.
fn human(dir: &Path, args: &[&str]) -> String {
    common::run(
        Command::new(env!("CARGO_BIN_EXE_score"))
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .args(args),
    )
    .stderr
}

/// A GitHub annotation: level, line, code (title) and the message's first line.
type Annotation = (String, u32, String, String);

/// Compiles `dir/score.yaml` to `target` with GitHub annotations on stdout: the exit code,
/// the output file's text and the annotations.
fn compile(dir: &Path, target: &str) -> (i32, String, Vec<Annotation>) {
    let run = common::run(
        Command::new(env!("CARGO_BIN_EXE_score"))
            .current_dir(dir)
            .args(["compile", "--target", target, "--seed", "s"])
            .args(["--message-format", "github", "-o", "out.yaml", "score.yaml"]),
    );
    let annotations = run
        .stdout
        .lines()
        .filter_map(|l| {
            let (level, rest) = l.strip_prefix("::")?.split_once(' ')?;
            let (properties, message) = rest.split_once("::")?;
            let property = |name: &str| {
                properties
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{name}=")))
                    .map(|v| v.replace("%3A", ":"))
            };
            Some((
                level.to_owned(),
                property("line")?.parse().ok()?,
                property("title")?,
                message.split("%0A").next()?.to_owned(),
            ))
        })
        .collect();
    let text = std::fs::read_to_string(dir.join("out.yaml")).unwrap_or_default();
    (run.code, text, annotations)
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    &compose["services"][name]
}

fn published(compose: &Value, name: &str) -> Vec<(u64, String)> {
    service(compose, name)["ports"]
        .as_array()
        .map(|ports| {
            ports
                .iter()
                .map(|p| {
                    (
                        p["target"].as_u64().unwrap(),
                        p["published"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn compose_honours_publish_ports_and_warns_about_the_rest_at_their_lines() {
    let dir = scratch("compose", SHOP);
    let (code, text, annotations) = compile(&dir, "compose");
    assert_eq!(code, 0, "{annotations:?}");
    let source = score_spec::SourceFile::new("out.yaml", text);
    let compose = score_spec::parse_yaml(&source, &Default::default())
        .unwrap()
        .to_json();

    // publish-port: the `port` output on the service the `host` output names.
    assert_eq!(
        published(&compose, "score-postgres"),
        [(5432, "15432".to_owned())]
    );
    // publish-management-port: the management image, its UI on the host; then publish-port.
    let rabbitmq = service(&compose, "score-rabbitmq");
    assert_eq!(rabbitmq["image"], "rabbitmq:4-management-alpine");
    assert_eq!(
        published(&compose, "score-rabbitmq"),
        [(15672, "15672".to_owned()), (5672, "5672".to_owned())]
    );

    // route-provisioner-path-type: Exact, an exact nginx location.
    let nginx = compose["configs"]["score-routing-nginx"]["content"]
        .as_str()
        .unwrap();
    assert!(nginx.contains("location = \"/\" {"), "{nginx}");

    let warnings: Vec<(u32, &str)> = annotations
        .iter()
        .map(|(level, line, code, _)| {
            assert_eq!(level, "warning", "{annotations:?}");
            (*line, code.as_str())
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (5, "score::compose::annotation-unsupported"), // publish-port on a workload
            (6, "score::compose::unknown-annotation"),
            (27, "score::compose::unknown-annotation"), // publsh-port
            (32, "score::compose::annotation-unsupported"), // s3 has no host/port outputs
            (44, "score::compose::annotation-unsupported"), // nginx snippet
            (45, "score::compose::annotation-unsupported"), // an Elasticsearch setting
        ],
        "{annotations:?}"
    );
    let message = |line: u32| {
        &annotations
            .iter()
            .find(|a| a.1 == line)
            .expect("an annotation")
            .3
    };
    assert!(message(27).contains("publsh-port"), "{}", message(27));
    assert!(
        message(32).contains("s3.default#shop.bucket"),
        "{}",
        message(32)
    );
}

#[test]
fn a_typo_gets_a_suggestion() {
    let dir = scratch("typo", SHOP);
    let stderr = human(
        &dir,
        &[
            "compile",
            "--target",
            "compose",
            "-o",
            "out.yaml",
            "score.yaml",
        ],
    );
    assert!(
        stderr.contains("help: did you mean `compose.score.dev/publish-port`?"),
        "{stderr}"
    );
}

#[test]
fn a_publish_port_that_is_not_a_port_is_an_error_at_its_value() {
    let dir = scratch(
        "bad-port",
        &SHOP.replace(r#"publish-port: "15432""#, r#"publish-port: "5432a""#),
    );
    let (code, _, annotations) = compile(&dir, "compose");
    assert_eq!(code, 1);
    let errors: Vec<_> = annotations.iter().filter(|a| a.0 == "error").collect();
    assert_eq!(errors.len(), 1, "{annotations:?}");
    assert_eq!(errors[0].1, 26);
    assert_eq!(errors[0].2, "score::compose::annotation");
}

#[test]
fn a_published_resource_port_clashes_like_any_other() {
    let dir = scratch(
        "clash",
        &SHOP.replace(r#"publish-port: "15432""#, r#"publish-port: "8080""#),
    );
    let (code, _, annotations) = compile(&dir, "compose");
    assert_eq!(code, 1, "{annotations:?}");
    assert!(
        annotations.iter().any(|a| a.0 == "error"
            && a.2 == "score::compose::port-clash"
            && a.3.contains("score-postgres")),
        "{annotations:?}"
    );
}

#[test]
fn kubernetes_warns_about_unknown_k8s_annotations_only() {
    let dir = scratch("kubernetes", SHOP);
    let (code, text, annotations) = compile(&dir, "kubernetes");
    assert_eq!(code, 0, "{annotations:?}");
    assert!(text.contains("kind: Deployment"));
    let warnings: Vec<(u32, &str)> = annotations
        .iter()
        .map(|(_, line, code, _)| (*line, code.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [
            (7, "score::kubernetes::unknown-annotation"),
            (46, "score::kubernetes::unknown-annotation"),
        ],
        "{annotations:?}"
    );
    let stderr = human(
        &dir,
        &[
            "compile",
            "--target",
            "kubernetes",
            "--seed",
            "s",
            "score.yaml",
        ],
    );
    assert!(
        stderr.contains("help: did you mean `k8s.score.dev/kind`?"),
        "{stderr}"
    );
}
