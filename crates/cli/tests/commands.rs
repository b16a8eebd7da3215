//! The commands around `compile`: `init`, `provisioners list`, `resources`, `schema`,
//! `completions`, and the GitHub message format, run as the real binary.

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::{Run, root, score, score_in, scratch, snapshot};

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

#[test]
fn init_writes_a_sample_that_compiles_for_each_target_and_never_overwrites() {
    for target in ["kubernetes", "compose", "backstage"] {
        let dir = scratch(&format!("init-{target}"));
        let run = score_in(&dir, &["init", "--target", target]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let sample = std::fs::read_to_string(dir.join("score.yaml")).unwrap();
        for wanted in ["type: postgres", "type: dns", "type: route", "ports:"] {
            assert!(
                sample.contains(wanted),
                "{target}: no {wanted:?} in\n{sample}"
            );
        }
        assert!(sample.contains(&format!("--target {target}")));
        // A seed of our own (in the environment: on the command line it is warned about),
        // as the default one warns too (about the invocation, not the sample).
        let run = common::run(
            common::command(&dir)
                .args([
                    "compile",
                    "--target",
                    target,
                    "-o",
                    "out.yaml",
                    "score.yaml",
                ])
                .env("SCORE_SEED", "not-the-default"),
        );
        assert_eq!(run.code, 0, "{target}: {}", run.stderr);
        // No warnings either: the sample is meant to be copied.
        assert_eq!(run.stderr, "", "{target}");

        std::fs::write(dir.join("score.yaml"), "mine").unwrap();
        let run = score_in(&dir, &["init", "--target", target]);
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains("already exists"), "{}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(dir.join("score.yaml")).unwrap(),
            "mine"
        );
    }
    let dir = scratch("init-file");
    let run = score_in(&dir, &["init", "--file", "web.score.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.join("web.score.yaml").is_file());
    let sample = std::fs::read_to_string(scratch_init("backstage")).unwrap();
    snapshot("init-backstage", &sample);
}

fn scratch_init(target: &str) -> PathBuf {
    let dir = scratch(&format!("init-snapshot-{target}"));
    assert_eq!(score_in(&dir, &["init", "--target", target]).code, 0);
    dir.join("score.yaml")
}

#[test]
fn provisioners_list_shows_user_files_first_then_built_ins() {
    let run = score(&[
        "provisioners",
        "list",
        "--provisioners",
        "testdata/provisioners/community.provisioners.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = json(&run);
    let list = list.as_array().unwrap();
    let types: Vec<&str> = list.iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(&types[..2], ["llm-model", "endpoint"]);
    let postgres = list.iter().find(|p| p["type"] == "postgres").unwrap();
    assert_eq!(postgres["file"], "<built-in kubernetes provisioners>");
    assert!(
        postgres["outputs"]
            .as_array()
            .unwrap()
            .contains(&"password".into())
    );
    for p in list {
        for key in [
            "uri",
            "type",
            "class",
            "id",
            "params",
            "outputs",
            "description",
            "file",
        ] {
            assert!(p.get(key).is_some(), "{key} missing in {p}");
        }
    }

    let compose = json(&score(&[
        "provisioners",
        "list",
        "--target",
        "compose",
        "--format",
        "json",
    ]));
    assert!(
        compose
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["type"] == "environment")
    );
    let table = score(&["provisioners", "list"]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.starts_with("TYPE "), "{}", table.stdout);
    assert!(table.stdout.lines().any(|l| l.starts_with("postgres ")));
}

#[test]
fn resources_lists_identity_provisioner_and_output_names_never_secret_values() {
    let shop = root().join("testdata/corpus/valid/examples/samples/aks-store-demo");
    let run = score(&[
        "resources",
        "--provisioners",
        "testdata/provisioners/community.provisioners.yaml",
        "--format",
        "json",
        shop.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list = json(&run);
    let list = list.as_array().unwrap();
    let queue = list
        .iter()
        .find(|r| r["uid"] == "amqp.default#orders-queue")
        .unwrap();
    assert_eq!(queue["provisioner"], "template://score-rs/amqp");
    assert_eq!(queue["declared_by"].as_array().unwrap().len(), 2);
    assert!(
        queue["secret_outputs"]
            .as_array()
            .unwrap()
            .contains(&"password".into())
    );
    // No secret reference marker leaks out; the password is described, not valued.
    assert!(!run.stdout.contains("secretKeyRef") && !run.stdout.contains('\u{F0000}'));
    assert!(queue["values"].get("password").is_none());
    assert_eq!(queue["values"]["port"], 5672);
    assert!(
        queue["secrets"]["password"]
            .as_str()
            .unwrap()
            .starts_with("<secret ")
    );

    let web = root().join("testdata/valid/score.yaml");
    let run = score(&["resources", web.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].starts_with("#  UID"), "{}", run.stdout);
    // The route uses the dns host, so the dns comes first.
    let dns = lines
        .iter()
        .position(|l| l.contains("dns.default#"))
        .unwrap();
    let route = lines
        .iter()
        .position(|l| l.contains("route.default#"))
        .unwrap();
    assert!(dns < route, "{}", run.stdout);
    // Values are shown under their resource; the password as the Secret key holding it.
    let host = lines
        .iter()
        .find(|l| l.trim_start().starts_with("host: dns"))
        .unwrap();
    assert!(host.trim_end().ends_with(".localhost"), "{}", run.stdout);
    assert!(
        lines.iter().any(|l| l
            .trim_start()
            .starts_with("password: <secret hello-world-db-")
            && l.ends_with("/password>")),
        "{}",
        run.stdout
    );

    let catalog = json(&score(&[
        "resources",
        "--target",
        "backstage",
        "--format",
        "json",
        web.to_str().unwrap(),
    ]));
    assert!(catalog[0]["provisioner"].is_null());
}

#[test]
fn schemas_are_printed_as_json() {
    for which in ["workload", "provisioners"] {
        let run = score(&["schema", which]);
        assert_eq!(run.code, 0);
        let schema = json(&run);
        assert!(
            schema["$schema"]
                .as_str()
                .unwrap()
                .contains("json-schema.org")
        );
    }
    assert_eq!(
        json(&score(&["schema"]))["title"],
        json(&score(&["schema", "workload"]))["title"]
    );
}

#[test]
fn github_annotations_point_at_the_line() {
    let bad = root().join("testdata/diagnostics");
    let file = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap() == "typos.yaml")
        .expect("testdata/diagnostics/typos.yaml");
    let run = score(&["validate", "--format", "github", file.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    let first = run.stdout.lines().next().unwrap();
    assert!(first.starts_with("::error file="), "{}", run.stdout);
    assert!(
        first.contains(",line=") && first.contains(",col=") && first.contains(",title=score%3A%3A"),
        "{first}"
    );
    assert!(
        run.stdout.lines().all(|l| l.starts_with("::")),
        "{}",
        run.stdout
    );

    let run = score(&[
        "compile",
        "--target",
        "kubernetes",
        "--message-format",
        "github",
        "testdata/compile/unsupported-type.yaml",
    ]);
    assert_eq!(run.code, 1);
    // The output would go to stdout, so the annotations go to stderr.
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("::error file=testdata/compile/unsupported-type.yaml,line="),
        "{}",
        run.stderr
    );
}

#[test]
fn completions_version_and_help() {
    let run = score(&["completions", "bash"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("complete -F"), "{}", run.stdout);
    let run = score(&["--version"]);
    assert!(run.stdout.starts_with("score "), "{}", run.stdout);
    let run = score(&["--help"]);
    assert!(run.stdout.contains("Examples:"));
    let run = score(&["compile", "--help"]);
    assert!(
        run.stdout.contains("--target backstage --owner"),
        "{}",
        run.stdout
    );
}

#[test]
fn overrides_change_the_file_before_validation() {
    let run = score(&[
        "compile",
        "--target",
        "kubernetes",
        "--overrides-file",
        "testdata/overrides/production.yaml",
        "--override-property",
        "containers.web.variables.LOG_LEVEL=debug",
        "--override-property",
        "containers.web.livenessProbe=",
        "testdata/valid/score.yaml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("kind: StatefulSet"));
    assert!(run.stdout.contains("image: ghcr.io/score-rs/hello:2.0"));
    assert!(run.stdout.contains("value: debug"), "{}", run.stdout);
    // An empty value deletes.
    assert!(!run.stdout.contains("livenessProbe"), "{}", run.stdout);

    let run = score(&[
        "validate",
        "--override-property",
        "containers.web.image=42",
        "testdata/valid/score.yaml",
    ]);
    assert_eq!(run.code, 1);
    // (miette wraps long messages, so only the start is checked.)
    assert!(
        run.stderr.contains("(the value comes from `--override-"),
        "{}",
        run.stderr
    );
    for (args, message) in [
        (
            &["--override-property", "a..b=1", "testdata/valid/score.yaml"][..],
            "is not a path",
        ),
        (
            &[
                "--override-property",
                "a=1",
                "testdata/valid",
                "testdata/valid/score.yaml",
            ],
            "change one Score file",
        ),
    ] {
        let mut all = vec!["validate"];
        all.extend_from_slice(args);
        let run = score(&all);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(message), "{}", run.stderr);
    }
}

/// The compiled Compose file of `testdata/valid/score.yaml` (postgres, dns, route), as JSON.
fn compose_of_web(seed: &str) -> Value {
    let run = score(&[
        "compile",
        "--target",
        "compose",
        "--seed",
        seed,
        "testdata/valid/score.yaml",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let source = score_spec::SourceFile::new("compose.yaml", run.stdout);
    score_spec::parse_yaml(&source, &Default::default())
        .unwrap()
        .to_json()
}

#[test]
fn resources_shows_output_values_but_never_a_generated_password() {
    let seed = "resources-test-seed";
    let compose = compose_of_web(seed);
    let environment = &compose["services"]["hello-world-web"]["environment"];
    // postgres://USER:PASSWORD@HOST:PORT/DB
    let url = environment["DATABASE_URL"].as_str().unwrap();
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(user_password, _)| user_password.split_once(':'))
        .map(|(_, p)| p)
        .unwrap();
    assert!(password.len() >= 16, "{url}");

    for format in [&["--format", "json"][..], &[][..]] {
        let mut args = vec!["resources", "--target", "compose", "--seed", seed];
        args.extend_from_slice(format);
        args.push("testdata/valid/score.yaml");
        let run = score(&args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            !run.stdout.contains(password),
            "the password is shown:\n{}",
            run.stdout
        );
        assert!(run.stdout.contains("<secret: generated>"), "{}", run.stdout);
        if format.is_empty() {
            snapshot("resources-compose", &run.stdout);
        }
    }
    let run = score(&[
        "resources",
        "--target",
        "compose",
        "--seed",
        seed,
        "--format",
        "json",
        "testdata/valid/score.yaml",
    ]);
    let list = json(&run);
    let by_type = |t: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == t)
            .unwrap()
            .clone()
    };
    let dns = by_type("dns");
    let host = dns["values"]["host"].as_str().unwrap();
    assert!(
        host.starts_with("dns") && host.ends_with(".localhost"),
        "{host}"
    );
    let postgres = by_type("postgres");
    assert_eq!(postgres["values"]["host"], "score-postgres");
    assert_eq!(postgres["values"]["port"], 5432);
    // Names are shown (and match what the workload gets), the password is not.
    let user = postgres["values"]["username"].as_str().unwrap();
    assert!(url.contains(&format!("://{user}:")), "{url}");
    assert!(postgres["values"].get("password").is_none());
    assert_eq!(postgres["secret_outputs"], serde_json::json!(["password"]));

    // score-k8s's `resources get-outputs UID`: the object alone, for jq.
    let uid = dns["uid"].as_str().unwrap();
    let run = score(&["resources", "--outputs", uid, "testdata/valid/score.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json(&run), serde_json::json!({ "host": host }));
    let run = score(&[
        "resources",
        "--target",
        "compose",
        "--seed",
        seed,
        "--outputs",
        postgres["uid"].as_str().unwrap(),
        "testdata/valid/score.yaml",
    ]);
    let outputs = json(&run);
    assert_eq!(outputs["port"], 5432);
    assert!(outputs.get("password").is_none(), "{outputs}");
    assert!(!run.stdout.contains(password));

    let run = score(&[
        "resources",
        "--outputs",
        "dns#nope",
        "testdata/valid/score.yaml",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no resource `dns#nope`; the resources are: postgres.default#hello-world.db"),
        "{}",
        run.stderr
    );
}

#[test]
fn resources_shows_control_characters_from_outputs_as_stand_ins() {
    // A provisioner passing a Score file's param through to an output: the Score file is
    // untrusted, so an escape sequence in it must not reach the terminal.
    let dir = scratch("resources-control-characters");
    std::fs::write(
        dir.join("echo.provisioners.yaml"),
        "- uri: template://echo\n  type: echo\n  outputs: |\n    said: {{ params.say | tojson }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("score.yaml"),
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  main:\n    image: nginx\nresources:\n  talk:\n    type: echo\n    params:\n      say: \"\\e]0;owned\\a\\e[31mred\"\n",
    )
    .unwrap();
    for format in ["table", "json"] {
        let run = score_in(
            &dir,
            &[
                "resources",
                "--provisioners",
                "echo.provisioners.yaml",
                "--format",
                format,
                "score.yaml",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains('\u{1b}'), "{format}: {:?}", run.stdout);
        assert!(!run.stdout.contains('\u{7}'), "{format}: {:?}", run.stdout);
        assert!(run.stdout.contains("red"), "{format}: {}", run.stdout);
    }
    let table = score_in(
        &dir,
        &[
            "resources",
            "--provisioners",
            "echo.provisioners.yaml",
            "score.yaml",
        ],
    );
    assert!(
        table.stdout.contains("said: ␛]0;owned␇␛[31mred"),
        "{}",
        table.stdout
    );
}
