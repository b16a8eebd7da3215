//! Behaviour of the Kubernetes target, through the library's public API: each test compiles
//! small workloads written here and checks the objects (or the diagnostics) that come out.
//! Larger outputs are insta snapshots in `testdata/snapshots/kubernetes/`.

mod common;

use common::{TWO_BUCKETS, policy_of};
use score_compile::kubernetes::{self, Options, Output};
use score_compile::{Seed, parse_provisioners};
use score_spec::{Diagnostics, Workload};
use serde_json::Value;

fn workload(origin: &str, text: &str) -> Workload {
    match score_spec::parse_workload(text, origin) {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("{origin} does not parse:\n{d}"),
    }
}

fn compile(workloads: &[Workload]) -> Result<Output, Diagnostics> {
    kubernetes::compile(workloads, &Options::default())
}

fn ok(workloads: &[Workload]) -> Output {
    compile(workloads).unwrap_or_else(|d| panic!("compile failed:\n{d}"))
}

fn err(workloads: &[Workload]) -> Diagnostics {
    match compile(workloads) {
        Ok(out) => panic!("expected an error, got:\n{}", out.to_yaml()),
        Err(d) => d,
    }
}

/// The object of `kind` named `name`.
fn object<'a>(out: &'a Output, kind: &str, name: &str) -> &'a Value {
    out.manifests
        .iter()
        .find(|m| m["kind"] == kind && m["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in:\n{}", out.to_yaml()))
}

fn count(out: &Output, kind: &str) -> usize {
    out.manifests.iter().filter(|m| m["kind"] == kind).count()
}

fn env<'a>(out: &'a Output, workload: &str) -> &'a Vec<Value> {
    object(out, "Deployment", workload)["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
}

fn env_var<'a>(out: &'a Output, workload: &str, name: &str) -> &'a Value {
    env(out, workload)
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/snapshots/kubernetes"),
    );
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The default options with the caller's `provisioners`.
fn with_provisioners(provisioners: Vec<score_compile::Provisioner>) -> Options<'static> {
    let mut options = Options::default();
    options.provisioners = provisioners;
    options
}

/// The default options, reading `files[].source` with `files`.
fn reading(files: &dyn score_compile::SourceFiles) -> Options<'_> {
    let mut options = Options::default();
    options.files = files;
    options
}

/// `value` written as the Kubernetes target writes a manifest (its key order, its block
/// scalars): the one document of an `Output` holding only `value`.
fn yaml(value: &Value) -> String {
    let mut out = kubernetes::compile(&[], &Options::default()).expect("nothing to compile");
    out.manifests = vec![value.clone()];
    let text = out.to_yaml();
    text.strip_prefix("---\n").expect("one document").to_owned()
}

const WEB_WITH_DB: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    variables:
      DB_PASSWORD: ${resources.db.password}
      DB_URL: postgres://${resources.db.username}:${resources.db.password}@${resources.db.host}:${resources.db.port}/${resources.db.database}
      LITERAL: cost is $(PRICE) and $$HOME
resources:
  db:
    type: postgres
";

#[test]
fn whole_secret_outputs_become_secret_key_refs() {
    let out = ok(&[workload("web.yaml", WEB_WITH_DB)]);
    let secret = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "Secret")
        .unwrap();
    let name = secret["metadata"]["name"].as_str().unwrap();
    let var = env_var(&out, "web", "DB_PASSWORD");
    assert_eq!(var["valueFrom"]["secretKeyRef"]["name"], name);
    assert_eq!(var["valueFrom"]["secretKeyRef"]["key"], "password");
    assert!(var.get("value").is_none());
}

#[test]
fn mixed_secret_values_use_helper_variables_and_expansion() {
    let out = ok(&[workload("web.yaml", WEB_WITH_DB)]);
    let env = env(&out, "web");
    // The helper comes first: Kubernetes only expands variables defined earlier.
    let helper = &env[0];
    let helper_name = helper["name"].as_str().unwrap();
    assert!(helper_name.starts_with("__score_secret_"), "{helper_name}");
    assert_eq!(helper["valueFrom"]["secretKeyRef"]["key"], "password");
    let url = env_var(&out, "web", "DB_URL")["value"].as_str().unwrap();
    assert!(url.starts_with("postgres://user"), "{url}");
    assert!(url.contains(&format!(":$({helper_name})@")), "{url}");
    // Text Kubernetes would expand is escaped, so the process sees it as written.
    assert_eq!(
        env_var(&out, "web", "LITERAL")["value"],
        "cost is $$(PRICE) and $HOME"
    );
    settings().bind(|| insta::assert_snapshot!("secret-env", yaml(&Value::Array(env.clone()))));
}

#[test]
fn generated_passwords_appear_only_in_secrets() {
    let out = ok(&[workload("web.yaml", WEB_WITH_DB)]);
    let secret = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "Secret")
        .unwrap();
    let password = secret["stringData"]["password"].as_str().unwrap();
    assert!(password.len() >= 20);
    for m in out.manifests.iter().filter(|m| m["kind"] != "Secret") {
        assert!(
            !m.to_string().contains(password),
            "password leaked into {}",
            m["kind"]
        );
    }
}

#[test]
fn the_seed_changes_passwords_but_not_names() {
    let w = [workload("web.yaml", WEB_WITH_DB)];
    let with = |seed: &str| {
        let mut options = Options::default();
        options.seed = Seed::new(seed);
        kubernetes::compile(&w, &options).unwrap()
    };
    let (a, b, a2) = (with("one"), with("two"), with("one"));
    assert_eq!(a.to_yaml(), a2.to_yaml());
    let secret = |o: &Output| {
        o.manifests
            .iter()
            .find(|m| m["kind"] == "Secret")
            .unwrap()
            .clone()
    };
    assert_eq!(secret(&a)["metadata"], secret(&b)["metadata"]);
    assert_ne!(
        secret(&a)["stringData"]["password"],
        secret(&b)["stringData"]["password"]
    );
}

/// The warnings of `code` in `out`.
fn warnings<'a>(out: &'a Output, code: &str) -> Vec<&'a score_spec::Diagnostic> {
    out.warnings.iter().filter(|d| d.code == code).collect()
}

#[test]
fn the_public_default_seed_is_a_warning_once_per_compile_when_it_generated_something() {
    // A postgres password from the default seed: one warning, at the resource.
    let out = ok(&[workload("web.yaml", WEB_WITH_DB)]);
    assert_eq!(out.warnings.len(), 1, "{}", out.warnings);
    let d = warnings(&out, "score::seed::public")[0];
    assert!(!d.is_error());
    assert_eq!(d.pointer, "/resources/db");
    assert_eq!(d.span.unwrap().line, 12);
    assert_eq!(d.file(), Some("web.yaml"));
    assert!(d.message.contains("`db` (postgres)"), "{}", d.message);
    let help = d.help.as_deref().unwrap();
    assert!(
        help.contains("--seed") && help.contains("SCORE_SEED"),
        "{help}"
    );

    // Several resources and workloads drawing from it: still one warning, naming each.
    let two = WEB_WITH_DB.replace(
        "    type: postgres\n",
        "    type: postgres\n  cache:\n    type: redis\n",
    );
    let api = WEB_WITH_DB.replace("name: web", "name: api");
    let out = ok(&[workload("web.yaml", &two), workload("api.yaml", &api)]);
    let found = warnings(&out, "score::seed::public");
    assert_eq!(found.len(), 1, "{}", out.warnings);
    assert_eq!(found[0].message.matches("`db` (postgres)").count(), 2);
    assert!(
        found[0].message.contains("`cache` (redis)"),
        "{}",
        found[0].message
    );

    // A seed of one's own: nothing to say.
    let mut seeded = Options::default();
    seeded.seed = Seed::new("kept-in-a-vault");
    let out = kubernetes::compile(&[workload("web.yaml", WEB_WITH_DB)], &seeded).unwrap();
    assert!(out.warnings.is_empty(), "{}", out.warnings);
}

#[test]
fn the_default_seed_is_not_mentioned_when_nothing_came_from_it() {
    // Resources whose provisioners generate nothing (a DNS name, a volume, a route): no warning.
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
service:
  ports:
    http:
      port: 80
containers:
  web:
    image: nginx
    volumes:
      /data:
        source: ${resources.data}
resources:
  data:
    type: volume
  dns:
    type: dns
  route:
    type: route
    params:
      host: ${resources.dns.host}
      path: /
      port: 80
";
    let options = Options::default();
    let out = kubernetes::compile(&[workload("web.yaml", text)], &options).unwrap();
    assert!(out.warnings.is_empty(), "{}", out.warnings);

    // The record is per compile: the same options, after a compile that drew from the seed,
    // do not carry its warning over.
    let drew = kubernetes::compile(&[workload("web.yaml", WEB_WITH_DB)], &options).unwrap();
    assert_eq!(warnings(&drew, "score::seed::public").len(), 1);
    let again = kubernetes::compile(&[workload("web.yaml", text)], &options).unwrap();
    assert!(again.warnings.is_empty(), "{}", again.warnings);

    // Command provisioners never see the seed: nothing they output comes from it.
    let runner = FakeRunner::printing(GREETING_ANSWER);
    let out = compile_with_commands(&runner, None).unwrap();
    assert!(
        warnings(&out, "score::seed::public").is_empty(),
        "{}",
        out.warnings
    );
}

#[test]
fn a_secret_in_a_file_is_mounted_from_its_secret_and_mixing_is_an_error() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    files:
      /run/secrets/db-password:
        mode: \"0400\"
        content: ${resources.db.password}
resources:
  db:
    type: postgres
";
    let out = ok(&[workload("web.yaml", text)]);
    let pod = &object(&out, "Deployment", "web")["spec"]["template"]["spec"];
    let volume = &pod["volumes"][0];
    assert_eq!(volume["secret"]["items"][0]["key"], "password");
    assert_eq!(volume["secret"]["items"][0]["mode"], 0o400);
    let mount = &pod["containers"][0]["volumeMounts"][0];
    assert_eq!(mount["mountPath"], "/run/secrets/db-password");
    assert_eq!(mount["name"], volume["name"]);
    assert_eq!(count(&out, "ConfigMap"), 0);

    let mixed = text.replace(
        "content: ${resources.db.password}",
        "content: \"password=${resources.db.password}\"",
    );
    let d = err(&[workload("web.yaml", &mixed)]);
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::secret::mixed-file");
    assert_eq!(first.span.unwrap().line, 8);
}

#[test]
fn a_secret_anywhere_else_is_an_error() {
    // The route provisioner would write the password into an HTTPRoute's host names.
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
service:
  ports:
    http:
      port: 80
resources:
  db:
    type: postgres
  route:
    type: route
    params:
      host: ${resources.db.password}
      port: 80
";
    let d = err(&[workload("web.yaml", text)]);
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::secret::misplaced");
    assert!(first.message.contains("HTTPRoute"), "{}", first.message);
    assert_eq!(first.span.unwrap().line, 14);
}

fn shared_db(name: &str, extra: &str) -> Workload {
    workload(
        &format!("{name}.yaml"),
        &format!(
            "\
apiVersion: score.dev/v1b1
metadata:
  name: {name}
containers:
  main:
    image: busybox
    variables:
      DB_HOST: ${{resources.db.host}}
resources:
  db:
    type: postgres
    id: shared-db{extra}
"
        ),
    )
}

#[test]
fn a_shared_resource_is_provisioned_once() {
    let out = ok(&[shared_db("api", ""), shared_db("worker", "")]);
    assert_eq!(count(&out, "StatefulSet"), 1);
    assert_eq!(count(&out, "Secret"), 1);
    let host = |w: &str| {
        object(&out, "Deployment", w)["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"]
            .clone()
    };
    assert_eq!(host("api"), host("worker"));
    assert!(host("api").as_str().unwrap().starts_with("shared-db-"));
    // Without an id, the same resource name in two workloads is two resources.
    let private = |n: &str| {
        workload(
            &format!("{n}.yaml"),
            &shared_db(n, "")
                .source
                .text()
                .replace("    id: shared-db\n", ""),
        )
    };
    let out = ok(&[private("api"), private("worker")]);
    assert_eq!(count(&out, "StatefulSet"), 2);
}

#[test]
fn a_shared_resource_declared_with_different_params_is_an_error() {
    let d = err(&[
        shared_db("api", "\n    params:\n      size: small"),
        shared_db("worker", "\n    params:\n      size: large"),
    ]);
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::resource::conflict");
    assert_eq!(first.file(), Some("worker.yaml"));
    assert_eq!(first.span.unwrap().line, 13);
    assert!(
        first.help.as_deref().unwrap().contains("api.yaml:13:"),
        "{:?}",
        first.help
    );
}

#[test]
fn params_can_use_other_resources_outputs() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
service:
  ports:
    http:
      port: 80
      targetPort: 8080
resources:
  route:
    type: route
    params:
      host: ${resources.dns.host}
      path: /api
      port: 80
  dns:
    type: dns
";
    let out = ok(&[workload("web.yaml", text)]);
    let route = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "HTTPRoute")
        .unwrap();
    let host = route["spec"]["hostnames"][0].as_str().unwrap();
    assert!(
        host.starts_with("dns") && host.ends_with(".localhost"),
        "{host}"
    );
    assert_eq!(route["spec"]["rules"][0]["backendRefs"][0]["name"], "web");
    assert_eq!(route["spec"]["rules"][0]["backendRefs"][0]["port"], 80);
    settings().bind(|| insta::assert_snapshot!("route-with-dns", yaml(route)));
}

#[test]
fn params_cycles_are_rejected_with_both_places() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
resources:
  a:
    type: dns
    params:
      host: ${resources.b.host}
  b:
    type: dns
    params:
      host: ${resources.a.host}
";
    let d = score_spec::parse_workload(text, "web.yaml").unwrap_err();
    let cycle = d
        .iter()
        .find(|d| d.code.contains("cycle"))
        .expect("a cycle error");
    assert_eq!(cycle.code, "score::resources::params-cycle");
    assert_eq!(cycle.span.unwrap().line, 10);
    assert!(cycle.message.contains('a') && cycle.message.contains('b'));
}

/// The compiler checks for params cycles again (validation already refuses them), for
/// workloads changed after parsing: the problem has one code wherever it is found.
#[test]
fn a_params_cycle_the_compiler_finds_has_the_validators_code() {
    let text = |one: &str, two: &str| {
        format!(
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: nginx\nresources:\n  one:\n    type: dns\n    params:\n      host: {one}\n  two:\n    type: dns\n    params:\n      host: {two}\n"
        )
    };
    // Each is valid: `one` refers to `two`, or `two` to `one`.
    let mut web = workload("web.yaml", &text("${resources.two.host}", "a.example.com"));
    let onward = workload("web.yaml", &text("b.example.com", "${resources.one.host}"));
    web.resources["two"].params = onward.resources["two"].params.clone();
    let d = err(&[web]);
    let cycle = d
        .iter()
        .find(|d| d.message.contains("cycle"))
        .unwrap_or_else(|| panic!("no cycle error in:\n{d}"));
    assert_eq!(cycle.code, "score::resources::params-cycle");
    assert_eq!(cycle.pointer, "/resources/one/params");
}

#[test]
fn an_unsupported_type_is_an_error_at_its_line_listing_supported_types() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
resources:
  thing:
    type: teleporter
";
    let d = err(&[workload("web.yaml", text)]);
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::resource::unsupported");
    assert_eq!(
        (first.span.unwrap().line, first.span.unwrap().column),
        (9, 11)
    );
    let help = first.help.as_deref().unwrap();
    for t in ["`postgres`", "`dns`", "`route`", "`service`", "`volume`"] {
        assert!(help.contains(t), "{help}");
    }

    // A type with provisioners for other classes only: the help lists them.
    let provisioners = parse_provisioners(
        "- uri: template://acme/teleporter\n  type: teleporter\n  class: small\n",
        "acme.provisioners.yaml",
    )
    .unwrap();
    let class = text.replace("type: teleporter", "type: teleporter\n    class: huge");
    let w = [workload("web.yaml", &class)];
    let d = kubernetes::compile(&w, &with_provisioners(provisioners)).unwrap_err();
    let first = d.iter().next().unwrap();
    assert!(first.message.contains("class `huge`"), "{}", first.message);
    assert!(first.help.as_deref().unwrap().contains("class `small`"));
}

#[test]
fn before_becomes_init_and_sidecar_containers() {
    // `migrate` runs to completion before `web`; `logs` is started before `migrate`; `proxy`
    // is healthy before `web`: the containers declaring `before` start first.
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
  migrate:
    image: migrate/migrate
    before:
      web:
        ready: complete
  logs:
    image: fluent-bit
    before:
      migrate:
        ready: started
  proxy:
    image: envoy
    readinessProbe:
      httpGet:
        path: /ready
        port: 9901
    before:
      web:
        ready: healthy
";
    let out = ok(&[workload("web.yaml", text)]);
    let pod = &object(&out, "Deployment", "web")["spec"]["template"]["spec"];
    let names = |field: &str| {
        pod[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let init = names("initContainers");
    // Init containers start one after the other: `logs` before `migrate`.
    let at = |n: &str| init.iter().position(|x| x == n).unwrap();
    assert!(at("logs") < at("migrate"));
    assert_eq!(init.len(), 3);
    assert_eq!(names("containers"), ["web"]);
    let by_name = |n: &str| {
        pod["initContainers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    assert!(
        by_name("migrate").get("restartPolicy").is_none(),
        "runs to completion"
    );
    assert_eq!(by_name("logs")["restartPolicy"], "Always");
    assert!(by_name("logs").get("startupProbe").is_none());
    assert_eq!(by_name("proxy")["restartPolicy"], "Always");
    // The kubelet starts the next container once a sidecar's startup probe passes.
    assert_eq!(by_name("proxy")["startupProbe"]["httpGet"]["port"], 9901);
    settings().bind(|| insta::assert_snapshot!("before", yaml(pod)));
}

#[test]
fn a_container_that_completes_first_cannot_have_probes() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
  proxy:
    image: envoy
    livenessProbe:
      exec:
        command: [\"true\"]
    before:
      web:
        ready: complete
";
    let d = err(&[workload("web.yaml", text)]);
    assert_eq!(
        d.iter().next().unwrap().code,
        "score::kubernetes::probe-on-init"
    );
}

#[test]
fn files_with_mode_expansion_and_no_expand() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
  team: blue
containers:
  web:
    image: nginx
    files:
      /etc/app/config.ini:
        mode: \"0600\"
        content: |
          team = ${metadata.team}
          host = ${resources.dns.host}
      /etc/app/template.txt:
        noExpand: true
        content: keep ${metadata.team} as written
      /etc/app/logo.bin:
        binaryContent: iVBORw0K
resources:
  dns:
    type: dns
";
    let out = ok(&[workload("web.yaml", text)]);
    let config = object(&out, "ConfigMap", "web-files");
    let data = &config["data"];
    let ini = data["web.etc_app_config.ini"].as_str().unwrap();
    assert!(ini.starts_with("team = blue\nhost = dns"), "{ini}");
    assert_eq!(
        data["web.etc_app_template.txt"],
        "keep ${metadata.team} as written"
    );
    assert_eq!(config["binaryData"]["web.etc_app_logo.bin"], "iVBORw0K");
    let pod = &object(&out, "Deployment", "web")["spec"]["template"]["spec"];
    let items = &pod["volumes"][0]["configMap"]["items"];
    assert_eq!(items[0]["mode"], 0o600);
    assert!(items[1].get("mode").is_none());
    settings().bind(|| {
        insta::assert_snapshot!("files", format!("{}---\n{}", yaml(config), yaml(pod)));
    });
}

#[test]
fn files_from_source_are_read_through_the_callers_reader() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    files:
      /etc/motd:
        source: motd.txt
      /etc/escape:
        source: ../secret.txt
";
    let read = |score_file: &str, path: &str| -> Result<Vec<u8>, String> {
        assert_eq!(score_file, "app/score.yaml");
        match path {
            "motd.txt" => Ok(b"hello ${metadata.name}\n".to_vec()),
            _ => Err("no such file".into()),
        }
    };
    let w = [workload("app/score.yaml", text)];
    let d = kubernetes::compile(&w, &reading(&read)).unwrap_err();
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::file::unreadable");
    assert!(first.message.contains("leads out of"), "{}", first.message);

    let w = [workload(
        "app/score.yaml",
        &text.replace("      /etc/escape:\n        source: ../secret.txt\n", ""),
    )];
    let out = kubernetes::compile(&w, &reading(&read)).unwrap();
    assert_eq!(
        object(&out, "ConfigMap", "web-files")["data"]["web.etc_motd"],
        "hello web\n"
    );
}

#[test]
fn a_user_provisioner_overrides_a_built_in_one() {
    let provisioners = parse_provisioners(
        "\
- uri: template://acme/postgres
  type: postgres
  expected_outputs: [host, port, username, password, database]
  outputs: |
    host: pg.acme.internal
    port: 5432
    username: {{ source_workload }}
    password: {{ secret_ref(\"acme-pg\", source_workload) }}
    database: {{ resource_name }}
",
        "acme.provisioners.yaml",
    )
    .unwrap();
    let w = [workload("web.yaml", WEB_WITH_DB)];
    let out = kubernetes::compile(&w, &with_provisioners(provisioners)).unwrap();
    assert_eq!(
        count(&out, "StatefulSet"),
        0,
        "the built-in postgres did not run"
    );
    assert_eq!(
        env_var(&out, "web", "DB_PASSWORD")["valueFrom"]["secretKeyRef"]["name"],
        "acme-pg"
    );
    assert!(
        env_var(&out, "web", "DB_URL")["value"]
            .as_str()
            .unwrap()
            .contains("@pg.acme.internal:5432/db")
    );
}

#[test]
fn a_provisioner_missing_an_expected_output_is_an_error() {
    let provisioners = parse_provisioners(
        "- uri: template://acme/postgres\n  type: postgres\n  expected_outputs: [host, password]\n  outputs: |\n    host: x\n",
        "acme.provisioners.yaml",
    )
    .unwrap();
    let w = [workload("web.yaml", WEB_WITH_DB)];
    let d = kubernetes::compile(&w, &with_provisioners(provisioners)).unwrap_err();
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::provisioner::missing-output");
    assert!(first.message.contains("`password`"), "{}", first.message);
    assert_eq!(first.span.unwrap().line, 12);
}

#[test]
fn provisioner_files_report_problems_with_locations() {
    let d = parse_provisioners(
        "- uri: template://x\n  type: redis\n  outptus: |\n    host: x\n",
        "p.yaml",
    )
    .unwrap_err();
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::provisioner::invalid");
    assert_eq!(first.message, "unknown provisioner field `outptus`");
    assert_eq!(first.span.unwrap().line, 3);
    assert_eq!(first.help.as_deref(), Some("did you mean `outputs`?"));
    let d = parse_provisioners(
        "- uri: template://x\n  type: redis\n  outputs: |\n    host: {{ name\n",
        "p.yaml",
    )
    .unwrap_err();
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::provisioner::template-syntax");
    assert!(first.message.contains("line 4"), "{}", first.message);
}

#[test]
fn output_does_not_depend_on_workload_order() {
    let a = shared_db("api", "");
    let b = workload("web.yaml", WEB_WITH_DB);
    let one = ok(&[a.clone(), b.clone()]).to_yaml();
    let two = ok(&[b, a]).to_yaml();
    assert_eq!(one, two);
}

#[test]
fn workload_kinds_and_names_kubernetes_would_reject() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: 9lives
  annotations:
    k8s.score.dev/kind: StatefulSet
service:
  ports:
    a-very-long-port-name:
      port: 80
containers:
  c1:
    image: nginx
";
    let out = ok(&[workload("9lives.yaml", text)]);
    let service = object(&out, "Service", "svc-9lives");
    assert_eq!(service["spec"]["ports"][0]["name"], "a-very-long-port-name");
    let set = object(&out, "StatefulSet", "9lives");
    assert_eq!(set["spec"]["serviceName"], "svc-9lives-headless");
    let port = &set["spec"]["template"]["spec"]["containers"][0]["ports"][0];
    assert_eq!(port["containerPort"], 80);
    assert!(
        port.get("name").is_none(),
        "a 21-character name is not a valid container port name"
    );

    let d = err(&[workload(
        "9lives.yaml",
        &text.replace("StatefulSet", "DaemonSet"),
    )]);
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::kubernetes::kind");
    assert_eq!(first.span.unwrap().line, 5);
}

/// A workload of `name` with `k8s.score.dev/kind: kind`.
fn of_kind(name: &str, kind: &str) -> Workload {
    workload(
        "long.yaml",
        &format!(
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: {name}\n  annotations:\n    k8s.score.dev/kind: {kind}\ncontainers:\n  main:\n    image: nginx\n"
        ),
    )
}

#[test]
fn a_statefulset_name_leaves_room_for_the_revision_hash_label() {
    // 52 characters: `<name>-<hash of up to 10>` is a 63-character label value at most.
    let longest = format!("a{}", "b".repeat(51));
    assert_eq!(longest.len(), 52);
    let out = ok(&[of_kind(&longest, "StatefulSet")]);
    let set = object(&out, "StatefulSet", &longest);
    assert_eq!(set["spec"]["serviceName"], format!("{longest}-headless"));
    assert!(format!("{longest}-4294967295").len() <= 63);

    // 53: pods could never be created. An error at the name, pointing at the annotation too.
    let too_long = format!("a{}", "b".repeat(52));
    let d = err(&[of_kind(&too_long, "StatefulSet")]);
    assert_eq!(d.len(), 1, "{d}");
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::kubernetes::name");
    assert_eq!(first.pointer, "/metadata/name");
    assert_eq!(first.span.unwrap().line, 3);
    assert!(first.message.contains("53 characters"), "{}", first.message);
    assert!(first.message.contains("at most 52"), "{}", first.message);
    assert_eq!(first.related.len(), 1);
    assert_eq!(first.related[0].span.line, 5);
    let help = first.help.as_deref().unwrap();
    assert!(help.contains("controller-revision-hash"), "{help}");
    assert!(help.contains("Deployment"), "{help}");

    // The limit is the StatefulSet's: the same name is a fine Deployment (pods of a
    // Deployment get a `pod-template-hash` label holding the hash alone).
    let out = ok(&[of_kind(&too_long, "Deployment")]);
    assert_eq!(count(&out, "Deployment"), 1);
    let longest_allowed = format!("a{}", "b".repeat(62));
    let out = ok(&[of_kind(&longest_allowed, "Deployment")]);
    assert_eq!(count(&out, "Deployment"), 1);
}

#[test]
fn image_dot_needs_an_image_and_namespace_lands_everywhere() {
    let text = "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: \".\"\nresources:\n  db:\n    type: postgres\n";
    let w = [workload("web.yaml", text)];
    let d = compile(&w).unwrap_err();
    assert_eq!(d.iter().next().unwrap().code, "score::image::missing");
    let mut options = Options::default();
    options.image = Some("registry.example/web:1.2".into());
    options.namespace = Some("shop".into());
    let out = kubernetes::compile(&w, &options).unwrap();
    let deployment = object(&out, "Deployment", "web");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "registry.example/web:1.2"
    );
    assert!(
        out.manifests
            .iter()
            .all(|m| m["metadata"]["namespace"] == "shop")
    );
}

#[test]
fn hostile_or_broken_provisioner_templates_fail_cleanly() {
    let cases = [
        (
            "outputs",
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            "fuel",
        ),
        (
            "outputs",
            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
            "recursion",
        ),
        ("outputs", "host: [unclosed", "not valid YAML"),
        ("outputs", "- a list", "mapping"),
        ("outputs", "password: {{ random(0) }}", "length"),
        ("outputs", "host: {{ params.nope.deeper }}", "undefined"),
        ("manifests", "kind: Secret", "list of manifests"),
        (
            "manifests",
            "- apiVersion: v1\n  metadata: {name: x}",
            "`kind`",
        ),
        (
            "outputs",
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
            "limit",
        ),
    ];
    let w = [workload("web.yaml", WEB_WITH_DB)];
    for (field, template, expected) in cases {
        let indented = template
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>();
        let file = format!("- uri: template://hostile\n  type: postgres\n  {field}: |\n{indented}");
        let provisioners = parse_provisioners(&file, "hostile.yaml").unwrap();
        let d = kubernetes::compile(&w, &with_provisioners(provisioners)).unwrap_err();
        let first = d.iter().next().unwrap();
        assert_eq!(first.code, "score::provisioner::failed", "{template}");
        assert!(
            first
                .message
                .to_lowercase()
                .contains(&expected.to_lowercase()),
            "{template}: {}",
            first.message
        );
    }
}

#[test]
fn volumes_come_from_resource_outputs() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    volumes:
      /data:
        source: ${resources.scratch}
        path: web
  sidecar:
    image: busybox
    volumes:
      /shared:
        source: ${resources.scratch}
        readOnly: true
resources:
  scratch:
    type: volume
";
    let out = ok(&[workload("web.yaml", text)]);
    let pod = &object(&out, "Deployment", "web")["spec"]["template"]["spec"];
    // Both containers mount the same pod volume: that is how they share it.
    assert_eq!(pod["volumes"].as_array().unwrap().len(), 1);
    assert_eq!(pod["volumes"][0]["name"], "vol-scratch");
    assert!(pod["volumes"][0]["emptyDir"].is_object());
    assert_eq!(pod["containers"][0]["volumeMounts"][0]["subPath"], "web");
    assert_eq!(pod["containers"][1]["volumeMounts"][0]["readOnly"], true);

    // A claimSpec needs a StatefulSet: an error on a Deployment, a claim template on one.
    let provisioners = || {
        parse_provisioners(
            "- uri: template://acme/disk\n  type: volume\n  outputs: |\n    claimSpec:\n      accessModes: [ReadWriteOnce]\n      resources: {requests: {storage: 5Gi}}\n",
            "acme.yaml",
        )
        .unwrap()
    };
    let w = [workload("web.yaml", text)];
    let d = kubernetes::compile(&w, &with_provisioners(provisioners())).unwrap_err();
    assert_eq!(
        d.iter().next().unwrap().code,
        "score::kubernetes::claim-on-deployment"
    );
    let stateful = text.replace(
        "  name: web\n",
        "  name: web\n  annotations:\n    k8s.score.dev/kind: StatefulSet\n",
    );
    let w = [workload("web.yaml", &stateful)];
    let out = kubernetes::compile(&w, &with_provisioners(provisioners())).unwrap();
    let set = object(&out, "StatefulSet", "web");
    assert_eq!(
        set["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "vol-scratch"
    );
    assert_eq!(
        set["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "5Gi"
    );
    assert!(set["spec"]["template"]["spec"].get("volumes").is_none());

    let bad = text.replace(
        "source: ${resources.scratch}\n        path: web",
        "source: my-pvc",
    );
    let d = err(&[workload("web.yaml", &bad)]);
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::volume::source");
    assert_eq!(first.span.unwrap().line, 9);
}

// Command provisioners (`cmd://`), with a fake runner returning canned answers: what the
// program is sent, and what becomes of what it prints.

use score_compile::{Command, CommandError, CommandOutput, CommandRunner, Program};
use std::cell::RefCell;

/// What a runner was asked to run.
struct Asked {
    program: Program,
    declared_in: String,
    args: Vec<String>,
    stdin: Value,
}

/// Answers every run with `answer`, and remembers what it was asked.
struct FakeRunner {
    answer: Result<CommandOutput, CommandError>,
    asked: RefCell<Vec<Asked>>,
}

impl FakeRunner {
    fn printing(stdout: &str) -> Self {
        FakeRunner::answering(Ok(CommandOutput::new(
            stdout.as_bytes().to_vec(),
            b"debug: called\n".to_vec(),
        )))
    }

    fn answering(answer: Result<CommandOutput, CommandError>) -> Self {
        FakeRunner {
            answer,
            asked: RefCell::new(Vec::new()),
        }
    }
}

impl CommandRunner for FakeRunner {
    fn run(&self, command: &Command) -> Result<CommandOutput, CommandError> {
        let stdin: Value = serde_json::from_slice(&command.stdin).expect("stdin is JSON");
        self.asked.borrow_mut().push(Asked {
            program: command.program.clone(),
            declared_in: command.declared_in.to_owned(),
            args: command.args.to_vec(),
            stdin,
        });
        self.answer.clone()
    }
}

const GREETING_PROVISIONERS: &str = "\
- uri: cmd://./bin/greeting.py
  type: greeting
  args: [--style, friendly]
  expected_outputs: [message]
";

const GREETER: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: greeter
  annotations:
    team: blue
service:
  ports:
    web:
      port: 80
      targetPort: 8080
containers:
  main:
    image: busybox
    variables:
      MESSAGE: ${resources.hello.message}
      TOKEN: ${resources.hello.token}
      URL: https://user:${resources.hello.token}@example.com
resources:
  hello:
    type: greeting
    params:
      name: ${metadata.name}
";

const GREETING_ANSWER: &str = r#"{
  "resource_state": {"kept": "nowhere"},
  "resource_outputs": {"message": "Hello, greeter!", "token": "🔐💬greeting-1_token💬🔐"},
  "shared_state": {"greetings": {"count": 1}},
  "manifests": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "greeting-1"},
                 "data": {"token": "c2VjcmV0"}}]
}"#;

fn compile_with_commands(
    runner: &FakeRunner,
    namespace: Option<&str>,
) -> Result<Output, Diagnostics> {
    let mut options = Options::default();
    options.namespace = namespace.map(str::to_owned);
    options.provisioners = parse_provisioners(GREETING_PROVISIONERS, "conf/greeting.yaml").unwrap();
    options.commands = runner;
    kubernetes::compile(&[workload("greeter.yaml", GREETER)], &options)
}

#[test]
fn command_provisioners_get_the_resource_as_json_on_stdin() {
    let runner = FakeRunner::printing(GREETING_ANSWER);
    compile_with_commands(&runner, Some("shop")).unwrap();
    let asked = runner.asked.borrow();
    let Asked {
        program,
        declared_in,
        args,
        stdin: input,
    } = &asked[0];
    assert_eq!(*program, Program::Relative("./bin/greeting.py".into()));
    assert_eq!(declared_in, "conf/greeting.yaml");
    assert_eq!(args, &["--style", "friendly"]);
    let guid = input["resource_guid"].as_str().unwrap();
    assert_eq!(guid.len(), 36, "{guid}");
    let expected = serde_json::json!({
        "resource_guid": guid,
        "resource_uid": "greeting.default#greeter.hello",
        "resource_type": "greeting",
        "resource_class": "default",
        "resource_id": "greeter.hello",
        "resource_params": {"name": "greeter"},
        "resource_metadata": {},
        "source_workload": "greeter",
        "workload_metadata": {"name": "greeter", "annotations": {"team": "blue"}},
        "workload_services": {"greeter": {"ServiceName": "greeter", "ports": {
            "web": {"name": "web", "port": 80, "target_port": 8080, "protocol": "TCP"},
            "80": {"name": "web", "port": 80, "target_port": 8080, "protocol": "TCP"},
        }}},
        "namespace": "shop",
        "resource_state": {},
        "shared_state": {},
    });
    assert_eq!(*input, expected);
}

#[test]
fn command_provisioner_outputs_manifests_and_secret_markers() {
    let runner = FakeRunner::printing(GREETING_ANSWER);
    let out = compile_with_commands(&runner, None).unwrap();
    assert_eq!(
        object(&out, "Secret", "greeting-1")["data"]["token"],
        "c2VjcmV0"
    );
    assert_eq!(
        env_var(&out, "greeter", "MESSAGE")["value"],
        "Hello, greeter!"
    );
    // score-k8s's marker becomes a reference to the Secret, as `secret_ref` does.
    let token = env_var(&out, "greeter", "TOKEN");
    assert_eq!(token["valueFrom"]["secretKeyRef"]["name"], "greeting-1");
    assert_eq!(token["valueFrom"]["secretKeyRef"]["key"], "token");
    let url = env_var(&out, "greeter", "URL")["value"].as_str().unwrap();
    assert!(url.starts_with("https://user:$(__score_secret_"), "{url}");
    assert!(!out.to_yaml().contains('🔐'));
    // The same program output gives the same bytes.
    let again = compile_with_commands(&FakeRunner::printing(GREETING_ANSWER), None).unwrap();
    assert_eq!(out.to_yaml(), again.to_yaml());
}

#[test]
fn command_provisioner_shared_state_reaches_later_resources() {
    // Two resources with the same provisioner: the second is sent what the first merged.
    let two = GREETER.replace("resources:\n", "resources:\n  bye:\n    type: greeting\n");
    let runner = FakeRunner::printing(GREETING_ANSWER);
    let mut options = Options::default();
    options.provisioners = parse_provisioners(GREETING_PROVISIONERS, "greeting.yaml").unwrap();
    options.commands = &runner;
    let d = kubernetes::compile(&[workload("greeter.yaml", &two)], &options);
    // Both print the same Secret: identical objects collapse.
    let out = d.unwrap();
    assert_eq!(count(&out, "Secret"), 1);
    let asked = runner.asked.borrow();
    assert_eq!(asked[0].stdin["shared_state"], serde_json::json!({}));
    assert_eq!(
        asked[1].stdin["shared_state"],
        serde_json::json!({"greetings": {"count": 1}})
    );
}

/// The one error of a compile with `runner`.
fn command_error(runner: &FakeRunner) -> score_spec::Diagnostic {
    let d = compile_with_commands(runner, None).expect_err("the compile should fail");
    assert_eq!(d.iter().count(), 1, "{d}");
    let first = d.iter().next().unwrap().clone();
    // At the resource, naming the provisioner and where it is defined.
    assert_eq!(first.file(), Some("greeter.yaml"));
    assert_eq!(first.span.unwrap().line, 19, "{first:?}");
    assert!(
        first.message.contains("`cmd://./bin/greeting.py`"),
        "{}",
        first.message
    );
    let help = first.help.clone().unwrap_or_default();
    assert!(help.contains("defined at conf/greeting.yaml:1:3"), "{help}");
    first
}

#[test]
fn command_provisioner_unknown_output_fields_are_errors() {
    let d = command_error(&FakeRunner::printing(
        r#"{"resource_outputs": {"message": "hi"}, "manifest": []}"#,
    ));
    assert_eq!(d.code, "score::provisioner::command-output");
    assert!(
        d.message
            .contains("it printed an unknown field `manifest` (did you mean `manifests`?)"),
        "{}",
        d.message
    );
}

#[test]
fn command_provisioner_output_that_is_not_json_is_an_error_with_stderr() {
    let d = command_error(&FakeRunner::printing("Hello, greeter!\n"));
    assert_eq!(d.code, "score::provisioner::command-output");
    assert!(
        d.message.contains("did not print valid JSON"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("it printed: Hello, greeter!"),
        "{}",
        d.message
    );
    let help = d.help.unwrap();
    assert!(
        help.contains("its stderr ended with:\n  │ debug: called"),
        "{help}"
    );
}

#[test]
fn command_provisioner_failures_show_the_end_of_stderr() {
    let d = command_error(&FakeRunner::answering(Err(CommandError::Failed {
        status: "exit status: 3".into(),
        stderr: b"starting\nno quota left in region eu-1\n".to_vec(),
    })));
    assert_eq!(d.code, "score::provisioner::command-failed");
    assert!(
        d.message
            .ends_with("failed: its program failed (exit status: 3)"),
        "{}",
        d.message
    );
    let help = d.help.unwrap();
    assert!(
        help.contains("its stderr ended with:\n  │ starting\n  │ no quota left in region eu-1"),
        "{help}"
    );

    let d = command_error(&FakeRunner::answering(Err(CommandError::TimedOut {
        after: std::time::Duration::from_secs(60),
        stderr: Vec::new(),
    })));
    assert!(
        d.message.contains("did not finish within 60 s"),
        "{}",
        d.message
    );
    let help = d.help.unwrap();
    assert!(help.contains("--provisioner-timeout"), "{help}");
    assert!(help.contains("it wrote nothing on stderr"), "{help}");

    let d = command_error(&FakeRunner::answering(Err(CommandError::Lingering {
        status: "exit status: 0".into(),
        after: std::time::Duration::from_millis(500),
        stderr: Vec::new(),
    })));
    assert!(
        d.message.ends_with(
            "its program exited with exit status: 0, but a process it started kept its stdout or stderr open past the 0.5 s limit; it was killed, with every process the program started"
        ),
        "{}",
        d.message
    );
    assert!(d.help.unwrap().contains("wait for the processes it starts"));

    let d = command_error(&FakeRunner::answering(Err(CommandError::Start(
        "`conf/bin/greeting.py` does not exist".into(),
    ))));
    assert!(
        d.message
            .contains("could not be started: `conf/bin/greeting.py` does not exist"),
        "{}",
        d.message
    );
    assert!(
        d.help
            .unwrap()
            .contains("relative to the directory of the provisioner file that declares it")
    );
}

#[test]
fn command_provisioner_outputs_are_checked_like_templates() {
    // A promised output missing.
    let d = command_error(&FakeRunner::printing(
        r#"{"resource_outputs": {"token": "x"}}"#,
    ));
    assert_eq!(d.code, "score::provisioner::missing-output");
    assert!(d.message.contains("`message`"), "{}", d.message);
    // A manifest without a name.
    let d = command_error(&FakeRunner::printing(
        r#"{"resource_outputs": {"message": "x"}, "manifests": [{"apiVersion": "v1", "kind": "Secret"}]}"#,
    ));
    assert!(d.message.contains("manifest 1 has no"), "{}", d.message);
    // A malformed secret marker.
    let d = command_error(&FakeRunner::printing(
        r#"{"resource_outputs": {"message": "🔐💬nokey💬🔐"}}"#,
    ));
    assert!(
        d.message.contains("in its `resource_outputs`"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("is not a secret marker"),
        "{}",
        d.message
    );
}

#[test]
fn command_provisioners_need_a_runner() {
    let mut options = Options::default();
    options.provisioners = parse_provisioners(GREETING_PROVISIONERS, "greeting.yaml").unwrap();
    let d = kubernetes::compile(&[workload("greeter.yaml", GREETER)], &options).unwrap_err();
    let first = d.iter().next().unwrap();
    assert!(
        first
            .message
            .contains("command provisioners need a command runner"),
        "{}",
        first.message
    );
}

#[test]
fn s3_buckets_get_users_of_their_own_and_never_the_root_credentials() {
    let out = ok(&[workload("files.yaml", TWO_BUCKETS)]);
    let root = &object(&out, "Secret", "score-minio")["stringData"];
    let value = |name: &str| env_var(&out, "files", name)["value"].as_str().unwrap();
    let secret_ref = |name: &str| env_var(&out, "files", name)["valueFrom"]["secretKeyRef"].clone();
    for (key, secret, bucket) in [
        ("A_KEY", "A_SECRET", None),
        ("B_KEY", "B_SECRET", Some("uploads")),
    ] {
        let user = value(key);
        assert_ne!(root["root_user"], user);
        // The secret key is the user's own, in the resource's Secret, not MinIO's.
        let reference = secret_ref(secret);
        let owner = reference["name"].as_str().unwrap();
        assert_ne!(owner, "score-minio");
        assert_eq!(reference["key"], "secret_key");
        let own = &object(&out, "Secret", owner)["stringData"];
        assert_eq!(own["access_key_id"], user);
        assert_ne!(own["secret_key"], root["root_password"]);
        // The Job named like the Secret creates that user with a policy on its bucket only.
        let job = &object(&out, "Job", owner)["spec"]["template"]["spec"]["containers"][0];
        let job_env = |name: &str| {
            job["env"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == name)
                .unwrap_or_else(|| panic!("no {name} in the Job"))
                .clone()
        };
        let bucket = bucket.unwrap_or(owner);
        assert_eq!(job_env("BUCKET")["value"], bucket);
        assert_eq!(job_env("ACCESS_KEY_ID")["value"], user);
        assert_eq!(
            job_env("SECRET_KEY")["valueFrom"]["secretKeyRef"],
            reference
        );
        let script = job["command"][2].as_str().unwrap();
        for step in [
            "mc admin policy create score \"$POLICY\" /tmp/policy.json",
            "mc admin user add score \"$ACCESS_KEY_ID\" \"$SECRET_KEY\"",
            "mc admin policy attach score \"$POLICY\" --user \"$ACCESS_KEY_ID\"",
        ] {
            assert!(script.contains(step), "{step} not in:\n{script}");
        }
        let statement = &policy_of(script, bucket)["Statement"];
        assert_eq!(statement.as_array().unwrap().len(), 1);
        assert_eq!(statement[0]["Effect"], "Allow");
        assert_eq!(statement[0]["Action"], serde_json::json!(["s3:*"]));
        assert_eq!(
            statement[0]["Resource"],
            serde_json::json!([
                format!("arn:aws:s3:::{bucket}"),
                format!("arn:aws:s3:::{bucket}/*")
            ])
        );
    }
    // Two resources, two users; the AWS-named outputs are the same credentials.
    assert_ne!(value("A_KEY"), value("B_KEY"));
    assert_ne!(
        secret_ref("A_SECRET")["name"],
        secret_ref("B_SECRET")["name"]
    );
    assert_eq!(value("A_AWS_KEY"), value("A_KEY"));
    assert_eq!(secret_ref("A_AWS_SECRET"), secret_ref("A_SECRET"));
    // Only the MinIO server and the Jobs read the root Secret.
    fn reads_root(v: &Value) -> bool {
        match v {
            Value::Object(o) => {
                o.get("secretKeyRef")
                    .is_some_and(|r| r["name"] == "score-minio")
                    || o.values().any(reads_root)
            }
            Value::Array(a) => a.iter().any(reads_root),
            _ => false,
        }
    }
    let readers: Vec<&Value> = out
        .manifests
        .iter()
        .filter(|m| reads_root(m))
        .map(|m| &m["metadata"]["name"])
        .collect();
    let jobs: Vec<&Value> = out
        .manifests
        .iter()
        .filter(|m| m["kind"] == "Job")
        .map(|m| &m["metadata"]["name"])
        .collect();
    assert_eq!(readers.len(), 3, "{readers:?}");
    assert!(
        readers.contains(&&Value::from("score-minio")),
        "{readers:?}"
    );
    assert!(jobs.iter().all(|j| readers.contains(j)), "{readers:?}");
    assert_eq!(count(&out, "Job"), 2);
}
