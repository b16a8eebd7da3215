//! What people coming from score-k8s and score-compose type: `generate`, `--target k8s`,
//! `check-version`, `--generate-namespace`, `--build`, and Go templates in provisioner files,
//! run as the real binary. Outputs are parsed and their fields checked.

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::{root, score, score_in, scratch, snapshot};

/// One YAML document as JSON.
fn yaml(text: &str) -> Value {
    let source = score_spec::SourceFile::new("output", text);
    score_spec::parse_yaml(&source, &Default::default())
        .unwrap_or_else(|d| panic!("not YAML: {d}\n{text}"))
        .to_json()
}

/// The documents of a multi-document YAML stream.
fn documents(text: &str) -> Vec<Value> {
    text.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(yaml)
        .collect()
}

const WEB: &str = "testdata/valid/score.yaml";

#[test]
fn check_version_matches_the_peers_syntax_and_exit_codes() {
    let ours = env!("CARGO_PKG_VERSION");
    for ok in [
        ">=0.0.1",
        ">0",
        &format!("={ours}"),
        &format!("=v{ours}"),
        "<999",
        ours,
    ] {
        let run = score(&["check-version", ok]);
        assert_eq!(run.code, 0, "{ok}: {}", run.stderr);
        assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""), "{ok}");
    }
    let run = score(&["check-version", ">99"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim(),
        format!("error: current version {ours} does not match requested constraint >99")
    );
    for bad in ["~1", "1.x", ">=", "latest"] {
        let run = score(&["check-version", bad]);
        assert_eq!(run.code, 2, "{bad}");
        assert!(
            run.stderr.contains("is not a version constraint"),
            "{bad}: {}",
            run.stderr
        );
    }
}

#[test]
fn generate_is_compile_writing_the_peers_file_and_saying_so() {
    let dir = scratch("generate");
    std::fs::copy(root().join(WEB), dir.join("score.yaml")).unwrap();
    let run = score_in(
        &dir,
        &[
            "generate",
            "--target",
            "k8s",
            "--seed",
            "s3cr3t",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let note = run.stderr.lines().next().unwrap();
    assert!(
        note.ends_with("score compile -o manifests.yaml --target k8s --seed <seed> score.yaml"),
        "{note}"
    );
    assert!(!run.stderr.contains("s3cr3t"), "the seed is a secret");
    let manifests = std::fs::read_to_string(dir.join("manifests.yaml")).unwrap();
    let kinds: Vec<Value> = documents(&manifests)
        .iter()
        .map(|d| d["kind"].clone())
        .collect();
    assert!(kinds.contains(&"Deployment".into()), "{kinds:?}");

    let run = score_in(&dir, &["generate", "--target", "compose", "score.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let compose = yaml(&std::fs::read_to_string(dir.join("compose.yaml")).unwrap());
    assert!(compose["services"]["hello-world-web"].is_object());

    // `-o` is kept.
    let run = score_in(
        &dir,
        &["generate", "--target", "compose", "-o", "-", "score.yaml"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(yaml(&run.stdout)["services"].is_object());
}

#[test]
fn k8s_is_kubernetes() {
    let a = score(&["compile", "--target", "k8s", WEB]);
    let b = score(&["compile", "--target", "kubernetes", WEB]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn generate_namespace_emits_the_namespace_first() {
    let run = score(&[
        "compile",
        "--target",
        "kubernetes",
        "-n",
        "shop",
        "--generate-namespace",
        WEB,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let docs = documents(&run.stdout);
    assert_eq!(docs[0]["kind"], "Namespace");
    assert_eq!(docs[0]["metadata"]["name"], "shop");
    assert!(docs[0]["metadata"].get("namespace").is_none());
    let labels = &docs[0]["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "score-rs");
    assert_eq!(labels["pod-security.kubernetes.io/warn"], "restricted");
    assert_eq!(labels["pod-security.kubernetes.io/audit"], "restricted");
    // Not enforced: the workload's own pod is compiled as written.
    assert!(labels.get("pod-security.kubernetes.io/enforce").is_none());
    assert!(
        docs[1..]
            .iter()
            .all(|d| d["metadata"]["namespace"] == "shop")
    );
    assert_eq!(docs.iter().filter(|d| d["kind"] == "Namespace").count(), 1);
    let namespace = run.stdout.split("---\n").find(|d| !d.trim().is_empty());
    snapshot("generated-namespace", namespace.unwrap_or_default());

    // Without the flag, no Namespace.
    let run = score(&["compile", "--target", "kubernetes", "-n", "shop", WEB]);
    assert!(
        documents(&run.stdout)
            .iter()
            .all(|d| d["kind"] != "Namespace")
    );

    for (args, message) in [
        (
            &["--target", "kubernetes", "--generate-namespace"][..],
            "give that too",
        ),
        (
            &["--target", "compose", "--generate-namespace"][..],
            "--generate-namespace is for `--target kubernetes`",
        ),
    ] {
        let mut all = vec!["compile"];
        all.extend_from_slice(args);
        all.push(WEB);
        let run = score(&all);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

/// `testdata/valid/score.yaml` with `image: "."`, in a scratch directory.
fn dot_image(name: &str) -> PathBuf {
    let dir = scratch(name);
    let text = std::fs::read_to_string(root().join(WEB))
        .unwrap()
        .replace("image: ghcr.io/score-rs/hello:1.0", "image: \".\"");
    assert!(text.contains("image: \".\""));
    std::fs::write(dir.join("score.yaml"), text).unwrap();
    dir
}

#[test]
fn build_gives_the_service_a_build_section_instead_of_an_image() {
    let dir = dot_image("build");
    let compile = |extra: &[&str]| {
        let mut args = vec!["compile", "--target", "compose"];
        args.extend_from_slice(extra);
        args.push("score.yaml");
        score_in(&dir, &args)
    };
    let run = compile(&["--build", "web=./src"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let web = &yaml(&run.stdout)["services"]["hello-world-web"];
    assert_eq!(web["build"], serde_json::json!({"context": "./src"}));
    assert!(web.get("image").is_none(), "{web}");
    let service = serde_json::to_string_pretty(web).unwrap();
    snapshot("compose-build", &service);

    // The object form, with the workload named; build wins over --image.
    let run = compile(&[
        "--image",
        "ghcr.io/acme/web:1",
        "--build",
        r#"hello-world.web={"context": ".", "dockerfile": "Dockerfile.dev", "args": {"DEBUG": "1"}}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let web = &yaml(&run.stdout)["services"]["hello-world-web"];
    assert_eq!(web["build"]["dockerfile"], "Dockerfile.dev");
    assert_eq!(web["build"]["args"]["DEBUG"], "1");
    assert!(web.get("image").is_none(), "{web}");

    // Without --build or --image the image is missing; the help offers both.
    let run = compile(&[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("score::image::missing") && run.stderr.contains("--build"),
        "{}",
        run.stderr
    );

    let run = compile(&["--build", "api=."]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("score::compose::build"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the containers are (WORKLOAD.CONTAINER): hello-world.web"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");

    for (flag, message) in [
        ("web", "is not CONTAINER=CONTEXT"),
        ("web=", "has no build context"),
        (
            "web={context: ., dockerfle: x}",
            "did you mean `dockerfile`?",
        ),
    ] {
        let run = compile(&["--build", flag]);
        assert_eq!(run.code, 2, "{flag}");
        assert!(run.stderr.contains(message), "{flag}: {}", run.stderr);
    }
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "kubernetes",
            "--build",
            "web=.",
            "score.yaml",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--build is for `--target compose`"));
}

#[test]
fn build_names_the_workload_when_two_have_the_container() {
    let dir = dot_image("build-two");
    let other = std::fs::read_to_string(dir.join("score.yaml"))
        .unwrap()
        .replace("name: hello-world", "name: other");
    std::fs::write(dir.join("other.score.yaml"), other).unwrap();
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "compose",
            "--build",
            "web=.",
            "score.yaml",
            "other.score.yaml",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`hello-world.web` or `other.web`"),
        "{}",
        run.stderr
    );
    let run = score_in(
        &dir,
        &[
            "compile",
            "--target",
            "compose",
            "--image",
            "ghcr.io/acme/other:1",
            "--build",
            "hello-world.web=.",
            "score.yaml",
            "other.score.yaml",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let services = &yaml(&run.stdout)["services"];
    assert_eq!(services["hello-world-web"]["build"]["context"], ".");
    assert_eq!(services["other-web"]["image"], "ghcr.io/acme/other:1");
    assert!(services["other-web"].get("build").is_none());
}

#[test]
fn publish_habit_of_score_compose_gets_a_hint() {
    let run = score(&["compile", "--target", "compose", "-p", "8080:web:80", WEB]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("write `--publish`"), "{}", run.stderr);
}

#[test]
fn a_go_template_provisioner_is_recognised_and_translated() {
    let run = score(&[
        "compile",
        "--target",
        "kubernetes",
        "--provisioners",
        "testdata/provisioners/go-template.provisioners.yaml",
        WEB,
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    // One error per template, each at the construct's line, none a bare syntax error.
    assert_eq!(
        run.stderr
            .matches("score::provisioner::go-template")
            .count(),
        2,
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("template-syntax"), "{}", run.stderr);
    assert!(
        run.stderr.contains("go-template.provisioners.yaml:8:14"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("write `state.service` instead"));
    snapshot("go-template", &run.stderr);
}
