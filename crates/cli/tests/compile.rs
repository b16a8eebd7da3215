//! `score compile --target kubernetes` end to end: the real binary on the vendored corpus's
//! sample sets and on our fixtures. The sample outputs are insta snapshots in
//! `testdata/snapshots/kubernetes/`, to be read as a cluster operator would.

use std::path::{Path, PathBuf};

mod common;
use common::{Run, root, score, score_env, snapshot_in};

fn examples() -> PathBuf {
    root().join("testdata/corpus/valid/examples")
}

fn compile(extra: &[&str]) -> Run {
    let mut args = vec!["compile", "--target", "kubernetes"];
    args.extend_from_slice(extra);
    score(&args)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn online_boutique() {
    let dir = examples().join("samples/onlineboutique");
    let run = compile(&[path(&dir)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The one thing said: the redis password comes from the public default seed.
    assert_eq!(run.stderr.matches("score::").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("score::seed::public"), "{}", run.stderr);
    snapshot_in("kubernetes", "onlineboutique", &run.stdout);
}

#[test]
fn aks_store_with_the_community_provisioners() {
    let dir = examples().join("samples/aks-store-demo");
    let run = compile(&[
        "--provisioners",
        "testdata/provisioners/community.provisioners.yaml",
        path(&dir),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    snapshot_in("kubernetes", "aks-store-demo", &run.stdout);

    // Without them, `llm-model` is unknown, and the error says how to add it.
    let run = compile(&[path(&dir)]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("no provisioner supports resources of type `llm-model`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--provisioners FILE"), "{}", run.stderr);
}

#[test]
fn output_is_byte_identical_across_runs_and_path_orders() {
    let shop = examples().join("samples/onlineboutique");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&shop)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let forward: Vec<&str> = dirs.iter().map(|d| path(d)).collect();
    let backward: Vec<&str> = forward.iter().rev().copied().collect();
    let a = compile(&forward).stdout;
    let b = compile(&backward).stdout;
    let c = compile(&[path(&shop)]).stdout;
    assert!(a.contains("kind: Deployment"));
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn the_seed_comes_from_the_flag_or_the_environment() {
    let dir = examples().join("resources/postgres");
    let default = compile(&[path(&dir)]);
    let flag = compile(&["--seed", "s3cret", path(&dir)]);
    let env = score_env(
        &["compile", "--target", "kubernetes", path(&dir)],
        &[("SCORE_SEED", "s3cret")],
    );
    assert_ne!(default.stdout, flag.stdout);
    assert_eq!(flag.stdout, env.stdout);

    // Without a seed of one's own, one warning on stderr says the passwords are public, and
    // the compile still succeeds; with one, nothing is said.
    assert_eq!(default.code, 0, "{}", default.stderr);
    assert!(default.stdout.contains("kind: StatefulSet"));
    assert_eq!(
        default.stderr.matches("score::seed::public").count(),
        1,
        "{}",
        default.stderr
    );
    assert!(default.stderr.contains("--seed"), "{}", default.stderr);
    assert!(default.stderr.contains("SCORE_SEED"), "{}", default.stderr);
    for run in [&flag, &env] {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    assert_eq!(env.stderr, "");
    // On the command line, the seed can be read in the process list: that is said.
    assert!(
        flag.stderr
            .starts_with("warning: `--seed` puts the seed on the command line")
            && flag.stderr.lines().count() == 1,
        "{}",
        flag.stderr
    );
    // Written to a file, the manifests are the same and the warning still goes to stderr.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("seed-warning.yaml");
    let to_file = compile(&["-o", path(&out), path(&dir)]);
    assert_eq!(to_file.code, 0, "{}", to_file.stderr);
    assert!(to_file.stdout.is_empty());
    assert!(to_file.stderr.contains("score::seed::public"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), default.stdout);
}

#[test]
fn output_files_are_written_whole_or_not_at_all() {
    let dir = std::env::temp_dir().join(format!("score-compile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("manifests.yaml");
    std::fs::write(&target, "previous content\n").unwrap();

    // A failing compile leaves the previous file alone.
    let run = compile(&[
        "-o",
        path(&target),
        "testdata/compile/unsupported-type.yaml",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "previous content\n"
    );

    let run = compile(&["-o", path(&target), "testdata/valid/score.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.starts_with("---\napiVersion:"), "{written}");
    // No temporary file is left beside it.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_show_where_and_how_to_fix() {
    let run = compile(&["testdata/compile/unsupported-type.yaml"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    snapshot_in("kubernetes", "unsupported-type-error", &run.stderr);
}

#[test]
fn params_the_peers_ignore_are_warnings_that_point_at_the_key() {
    let run = compile(&["testdata/compile/peer-params.yaml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr
            .matches("score::provisioner::unknown-param")
            .count(),
        2,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("did you mean `host`?"),
        "{}",
        run.stderr
    );
    snapshot_in("kubernetes", "peer-params-warnings", &run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(compile(&["testdata/does-not-exist"]).code, 2);
    assert_eq!(
        compile(&["--namespace", "Not_Valid", "testdata/valid"]).code,
        2
    );
    assert_eq!(
        score(&["compile", "--target", "nomad", "testdata/valid"]).code,
        2
    );
}

#[test]
fn image_flag_fills_image_dot() {
    let file = root().join("testdata/corpus/valid/tricky/image-dot.yaml");
    let run = compile(&[path(&file)]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--image"), "{}", run.stderr);
    let run = compile(&["--image", "ghcr.io/acme/web:2.0", path(&file)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("image: ghcr.io/acme/web:2.0"));
}

#[test]
fn online_boutique_to_compose() {
    let dir = examples().join("samples/onlineboutique");
    let run = score(&[
        "compile",
        "--target",
        "compose",
        "--project",
        "shop",
        path(&dir),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Every placeholder is resolved.
    assert!(!run.stdout.contains("${resources"), "{}", run.stdout);
    snapshot_in("compose", "onlineboutique", &run.stdout);
}

#[test]
fn aks_store_to_compose_with_the_community_provisioners() {
    let dir = examples().join("samples/aks-store-demo");
    let run = score(&[
        "compile",
        "--target",
        "compose",
        "--provisioners",
        "testdata/provisioners/community-compose.provisioners.yaml",
        path(&dir),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("${resources"), "{}", run.stdout);
    snapshot_in("compose", "aks-store-demo", &run.stdout);
}

#[test]
fn compose_env_file_and_flags() {
    let dir = std::env::temp_dir().join(format!("score-compose-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let score_file = dir.join("score.yaml");
    std::fs::write(
        &score_file,
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: app\ncontainers:\n  app:\n    image: x\n    variables:\n      B: ${resources.env.ZETA}\n      A: ${resources.env.ALPHA}-${resources.env.ZETA}\nresources:\n  env:\n    type: environment\n",
    )
    .unwrap();
    let env_file = dir.join(".env");
    let run = score(&[
        "compile",
        "--target",
        "compose",
        "--env-file",
        path(&env_file),
        path(&score_file),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&env_file).unwrap(),
        "ALPHA=\nZETA=\n"
    );
    assert!(run.stdout.contains("A: ${ALPHA}-${ZETA}"), "{}", run.stdout);
    // Flags of the other target are usage errors.
    assert_eq!(compile(&["--project", "p", path(&score_file)]).code, 2);
    let run = score(&[
        "compile",
        "--target",
        "compose",
        "--namespace",
        "n",
        path(&score_file),
    ]);
    assert_eq!(run.code, 2);
    let run = score(&[
        "compile",
        "--target",
        "compose",
        "--publish",
        "80:app",
        path(&score_file),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("HOST_PORT:WORKLOAD:PORT"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn route_port_and_publish_clashes() {
    let dir = examples().join("samples/onlineboutique");
    let compose = |extra: &[&str]| {
        let mut args = vec!["compile", "--target", "compose", "-p", "shop"];
        args.extend_from_slice(extra);
        args.push(path(&dir));
        score(&args)
    };
    // The frontend on host port 8080 clashes with the routes' proxy there.
    let run = compose(&["--publish", "8080:frontend:8080"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("score::compose::port-clash"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("`--publish 8080:frontend:8080` and service `score-routing`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--route-port"), "{}", run.stderr);
    // As the README shows it: the frontend on 8081, the routes on 8080.
    let run = compose(&["--publish", "8081:frontend:8080"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("published: '8081'") || run.stdout.contains("published: \"8081\""),
        "{}",
        run.stdout
    );
    // Or the routes moved out of the way.
    let run = compose(&["--publish", "8080:frontend:8080", "--route-port", "8000"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let routing = run
        .stdout
        .rsplit_once("score-routing:")
        .expect("the proxy")
        .1;
    assert!(
        routing.contains("published: '8000'") || routing.contains("published: \"8000\""),
        "{}",
        routing
    );
    // Usage errors: another target, or not a port.
    assert_eq!(compile(&["--route-port", "8000", path(&dir)]).code, 2);
    assert_eq!(compose(&["--route-port", "0"]).code, 2);
}

fn backstage(extra: &[&str]) -> Run {
    let mut args = vec!["compile", "--target", "backstage"];
    args.extend_from_slice(extra);
    score(&args)
}

#[test]
fn sample_sets_to_backstage() {
    for set in ["onlineboutique", "aks-store-demo"] {
        let dir = examples().join("samples").join(set);
        // No provisioner file: the catalog provisions nothing, so `llm-model` needs none.
        let run = backstage(&[path(&dir)]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stderr, "");
        snapshot_in("backstage", set, &run.stdout);
    }
    // Paths in another order give the same bytes.
    let shop = examples().join("samples/onlineboutique");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&shop)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs.reverse();
    let reversed: Vec<&str> = dirs.iter().map(|d| path(d)).collect();
    assert_eq!(
        backstage(&reversed).stdout,
        backstage(&[path(&shop)]).stdout
    );
}

#[test]
fn backstage_flags() {
    let dir = examples().join("resources/postgres");
    let run = backstage(&[
        "--owner",
        "group:platform",
        "--lifecycle",
        "production",
        "--system",
        "shop",
        "--catalog-namespace",
        "shop",
        "--namespace",
        "shop-prod",
        path(&dir),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for line in [
        "  namespace: shop\n",
        "    backstage.io/kubernetes-namespace: shop-prod\n",
        "  owner: group:platform\n",
        "  lifecycle: production\n",
        "  system: shop\n",
    ] {
        assert!(run.stdout.contains(line), "{line:?} not in\n{}", run.stdout);
    }
    for (args, message) in [
        (
            &["--owner", "team a"][..],
            "--owner: `team a` is not an entity reference",
        ),
        (
            &["--catalog-namespace", "Shop"],
            "--catalog-namespace: `Shop`",
        ),
        (
            &["--provisioners", "x.yaml"],
            "--provisioners is for `--target kubernetes or compose`",
        ),
        (&["--project", "x"], "--project is for `--target compose`"),
    ] {
        let mut all = args.to_vec();
        all.push(path(&dir));
        let run = backstage(&all);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
    }
    let run = compile(&["--owner", "group:x", path(&dir)]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--owner is for `--target backstage`"),
        "{}",
        run.stderr
    );
}

// Command provisioners: the real binary running testdata/provisioners/cmd/greeting-provisioner.py,
// a community-style provisioner written to score-k8s's protocol.

const GREETING_PROVISIONERS: &str = "testdata/provisioners/cmd.provisioners.yaml";

#[test]
fn command_provisioner_from_a_provisioner_file() {
    let run = compile(&[
        "--provisioners",
        GREETING_PROVISIONERS,
        "testdata/compile/greeting",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    // Its Secret, and the secret output as a reference to it.
    assert!(run.stdout.contains("kind: Secret"), "{}", run.stdout);
    assert!(
        run.stdout.contains("value: Bonjour, Score!"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("secretKeyRef:"), "{}", run.stdout);
    snapshot_in("kubernetes", "greeting", &run.stdout);
    // The program answers the same, so the output is the same.
    let again = compile(&[
        "--provisioners",
        GREETING_PROVISIONERS,
        "testdata/compile/greeting",
    ]);
    assert_eq!(run.stdout, again.stdout);
}

#[test]
fn failing_command_provisioner_shows_its_stderr() {
    let run = compile(&[
        "--provisioners",
        GREETING_PROVISIONERS,
        "testdata/compile/greeting-unknown-language.yaml",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("greeting-provisioner: unknown language 'tlh'"),
        "{}",
        run.stderr
    );
    snapshot_in("kubernetes", "greeting-unknown-language-error", &run.stderr);
}

#[test]
fn slow_command_provisioners_are_stopped() {
    let started = std::time::Instant::now();
    let run = compile(&[
        "--provisioner-timeout",
        "1",
        "--provisioners",
        "testdata/provisioners/cmd-slow.provisioners.yaml",
        "testdata/compile/greeting",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .contains("its program did not finish within 1 s and was killed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--provisioner-timeout"),
        "{}",
        run.stderr
    );
    // The program sleeps 30 s: it was killed, not waited for.
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn provisioner_timeout_usage() {
    for bad in ["0", "-1", "soon"] {
        let flag = format!("--provisioner-timeout={bad}");
        let run = compile(&[&flag, "testdata/valid"]);
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("number of seconds"), "{}", run.stderr);
    }
    let run = backstage(&["--provisioner-timeout", "5", "testdata/valid"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--provisioner-timeout is for `--target kubernetes or compose`"),
        "{}",
        run.stderr
    );
}
