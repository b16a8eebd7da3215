//! Behaviour of the Compose target, through the library's public API.

mod common;

use common::{TWO_BUCKETS, policy_of};
use score_compile::compose::{self, Options, Output, Publish};
use score_spec::{Diagnostics, Workload};
use serde_json::Value;

fn workload(origin: &str, text: &str) -> Workload {
    match score_spec::parse_workload(text, origin) {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("{origin} does not parse:\n{d}"),
    }
}

fn compile_with(workloads: &[Workload], options: &Options) -> Result<Output, Diagnostics> {
    compose::compile(workloads, options)
}

fn ok(workloads: &[Workload]) -> Output {
    compile_with(workloads, &Options::default()).unwrap_or_else(|d| panic!("compile failed:\n{d}"))
}

fn service<'a>(out: &'a Output, name: &str) -> &'a Value {
    out.compose["services"]
        .get(name)
        .unwrap_or_else(|| panic!("no service {name} in:\n{}", out.to_yaml()))
}

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots/compose"),
    );
    settings.set_prepend_module_to_snapshot(false);
    settings
}

const HELLO: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: hello
  annotations:
    team: blue
service:
  ports:
    www:
      port: 8080
      targetPort: 3000
containers:
  main:
    image: busybox
    command: [\"/bin/sh\", \"-c\"]
    args: [\"echo $GREETING ${NAME} $$HOME; sleep 1000\"]
    variables:
      GREETING: hello ${resources.env.USER_NAME}, that is $$5 and $(X) for ${metadata.name}
    files:
      /etc/hello.conf:
        mode: \"0600\"
        content: |
          name = ${metadata.name}
          price = $$10
    readinessProbe:
      exec:
        command: [\"cat\", \"/etc/hello.conf\"]
    resources:
      limits:
        cpu: 250m
        memory: 128Mi
      requests:
        cpu: \"0.1\"
        memory: 1.5Gi
    before:
      web:
        ready: healthy
  sidecar:
    image: busybox
    livenessProbe:
      httpGet:
        path: /
        port: 80
    before:
      web:
        ready: started
  migrate:
    image: busybox
    before:
      web:
        ready: complete
  web:
    image: nginx
resources:
  env:
    type: environment
";

#[test]
fn containers_become_services_sharing_the_first_ones_network() {
    let out = ok(&[workload("hello.yaml", HELLO)]);
    let main = service(&out, "hello-main");
    assert_eq!(main["hostname"], "hello");
    assert_eq!(main["expose"][0], "3000");
    assert_eq!(main["annotations"]["team"], "blue");
    assert_eq!(
        main["annotations"]["compose.score.dev/workload-name"],
        "hello"
    );
    assert_eq!(
        service(&out, "hello-sidecar")["network_mode"],
        "service:hello-main"
    );
    assert_eq!(
        service(&out, "hello-web")["network_mode"],
        "service:hello-main"
    );
    // `main` waits for nothing and keeps running: it owns the network. `migrate` runs to
    // completion before `web`, but `main` does not wait for it, so it joins too (as init
    // containers share a pod's network).
    assert_eq!(
        service(&out, "hello-migrate")["network_mode"],
        "service:hello-main"
    );
    assert!(service(&out, "hello-migrate").get("hostname").is_none());
    settings().bind(|| insta::assert_snapshot!("hello", out.to_yaml()));
}

#[test]
fn before_becomes_depends_on_with_conditions() {
    let out = ok(&[workload("hello.yaml", HELLO)]);
    let depends = &service(&out, "hello-web")["depends_on"];
    assert_eq!(
        depends["hello-migrate"]["condition"],
        "service_completed_successfully"
    );
    assert_eq!(depends["hello-main"]["condition"], "service_healthy");
    assert_eq!(depends["hello-sidecar"]["condition"], "service_started");
    // Healthy needs a healthcheck, which comes from an exec probe.
    assert_eq!(service(&out, "hello-main")["healthcheck"]["test"][0], "CMD");
    // `sidecar` has an httpGet probe only, which Compose cannot run: `healthy` cannot be
    // checked there.
    let http_only = HELLO.replace(
        "    before:\n      web:\n        ready: started",
        "    before:\n      web:\n        ready: healthy",
    );
    assert_ne!(http_only, HELLO);
    let d = compile_with(&[workload("hello.yaml", &http_only)], &Options::default()).unwrap_err();
    let d = d.iter().next().unwrap();
    assert_eq!(d.code, "score::compose::before-healthy");
    assert_eq!(d.pointer, "/containers/sidecar/before/web/ready");
}

#[test]
fn dollar_signs_survive_compose_interpolation() {
    let out = ok(&[workload("hello.yaml", HELLO)]);
    let main = service(&out, "hello-main");
    assert_eq!(main["entrypoint"][0], "/bin/sh");
    // As on Kubernetes, where the kubelet reads `$$` as one `$`: the shell gets
    // `echo $GREETING ${NAME} $HOME` (tests/parity.rs checks both targets agree).
    assert_eq!(
        main["command"][0],
        "echo $$GREETING $${NAME} $$HOME; sleep 1000"
    );
    // Score's `$$5` is `$5`, kept from Compose as `$$5`; the environment resource becomes
    // Compose's own `${USER_NAME}`.
    assert_eq!(
        main["environment"]["GREETING"],
        "hello ${USER_NAME}, that is $$5 and $$(X) for hello"
    );
    assert_eq!(out.environment, ["USER_NAME"]);
    assert_eq!(out.env_file(), "USER_NAME=\n");
}

#[test]
fn files_are_inline_configs_with_mode() {
    let out = ok(&[workload("hello.yaml", HELLO)]);
    let mount = &service(&out, "hello-main")["configs"][0];
    assert_eq!(mount["target"], "/etc/hello.conf");
    assert_eq!(mount["mode"], 0o600);
    let config = &out.compose["configs"][mount["source"].as_str().unwrap()];
    assert_eq!(config["content"], "name = hello\nprice = $$10\n");
}

#[test]
fn limits_and_requests_become_deploy_resources() {
    let out = ok(&[workload("hello.yaml", HELLO)]);
    let resources = &service(&out, "hello-main")["deploy"]["resources"];
    assert_eq!(resources["limits"]["cpus"], "0.25");
    assert_eq!(resources["limits"]["memory"], "128m");
    assert_eq!(resources["reservations"]["cpus"], "0.1");
    assert_eq!(resources["reservations"]["memory"], "1536m");
}

#[test]
fn http_probes_are_a_warning_not_a_silent_drop() {
    let out = ok(&[workload("hello.yaml", HELLO)]);
    let warning = out
        .warnings
        .iter()
        .find(|d| d.code == "score::compose::http-probe")
        .unwrap();
    assert_eq!(warning.span.unwrap().line, 40);
    assert!(service(&out, "hello-sidecar").get("healthcheck").is_none());
}

#[test]
fn publish_puts_a_port_on_the_network_owner() {
    let w = [workload("hello.yaml", HELLO)];
    let mut options = Options::default();
    options.publish = vec!["8080:hello:3000".parse::<Publish>().unwrap()];
    let out = compile_with(&w, &options).unwrap();
    assert_eq!(service(&out, "hello-main")["ports"][0]["published"], "8080");
    assert_eq!(service(&out, "hello-main")["ports"][0]["target"], 3000);
    assert!("8080:hello".parse::<Publish>().is_err());
    assert!("x:hello:80".parse::<Publish>().is_err());
    options.publish = vec!["8080:nobody:3000".parse::<Publish>().unwrap()];
    let d = compile_with(&w, &options).unwrap_err();
    assert_eq!(d.iter().next().unwrap().code, "score::compose::publish");
}

#[test]
fn service_name_collisions_between_workloads_are_errors() {
    let a = workload(
        "a.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: aa-bb\ncontainers:\n  cc:\n    image: x\n",
    );
    let b = workload(
        "b.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: aa\ncontainers:\n  bb-cc:\n    image: x\n",
    );
    let d = compile_with(&[a, b], &Options::default()).unwrap_err();
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::compose::service-name");
    assert!(first.message.contains("`aa-bb-cc`"), "{}", first.message);
}

#[test]
fn volume_types_from_resource_outputs() {
    let provisioners = score_compile::parse_provisioners(
        "\
- uri: template://test/tmpfs
  type: volume
  class: tmp
  outputs: |
    type: tmpfs
    tmpfs: {size: 10000000}
- uri: template://test/bind
  type: volume
  class: host
  outputs: |
    type: bind
    source: /srv/data
",
        "volumes.yaml",
    )
    .unwrap();
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: app
containers:
  app:
    image: x
    volumes:
      /cache:
        source: ${resources.cache}
      /host:
        source: ${resources.host}
        path: sub
        readOnly: true
      /data:
        source: ${resources.data}
        path: app
resources:
  cache:
    type: volume
    class: tmp
  host:
    type: volume
    class: host
  data:
    type: volume
";
    let w = [workload("app.yaml", text)];
    let mut options = Options::default();
    options.provisioners = provisioners;
    let out = compile_with(&w, &options).unwrap();
    let mounts = service(&out, "app-app")["volumes"].as_array().unwrap();
    assert_eq!(mounts[0]["type"], "tmpfs");
    assert_eq!(mounts[0]["tmpfs"]["size"], 10000000);
    assert_eq!(mounts[1]["type"], "bind");
    assert_eq!(mounts[1]["source"], "/srv/data/sub");
    assert_eq!(mounts[1]["read_only"], true);
    assert_eq!(mounts[2]["type"], "volume");
    assert_eq!(mounts[2]["volume"]["subpath"], "app");
    let volume = mounts[2]["source"].as_str().unwrap();
    assert!(
        out.compose["volumes"].get(volume).is_some(),
        "the named volume is declared"
    );
}

#[test]
fn output_is_deterministic_and_order_independent() {
    let a = workload("hello.yaml", HELLO);
    let b = workload(
        "b.yaml",
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: api\ncontainers:\n  api:\n    image: x\nresources:\n  db:\n    type: postgres\n",
    );
    let one = ok(&[a.clone(), b.clone()]).to_yaml();
    let two = ok(&[b, a]).to_yaml();
    assert_eq!(one, two);
}

// Command provisioners (`cmd://`) for Compose, with a fake runner: score-compose's fields.

use score_compile::{Command, CommandError, CommandOutput, CommandRunner};
use std::cell::RefCell;

struct FakeRunner {
    stdout: &'static str,
    stdin: RefCell<Vec<Value>>,
}

impl CommandRunner for FakeRunner {
    fn run(&self, command: &Command) -> Result<CommandOutput, CommandError> {
        self.stdin
            .borrow_mut()
            .push(serde_json::from_slice(&command.stdin).unwrap());
        Ok(CommandOutput::new(
            self.stdout.as_bytes().to_vec(),
            Vec::new(),
        ))
    }
}

const CACHE_APP: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: app
containers:
  app:
    image: x
    variables:
      CACHE: ${resources.cache.host}:${resources.cache.port}
resources:
  cache:
    type: memcached
";

fn compile_cache(stdout: &'static str) -> (Result<Output, Diagnostics>, Vec<Value>) {
    let runner = FakeRunner {
        stdout,
        stdin: RefCell::new(Vec::new()),
    };
    let mut options = Options::default();
    options.project = Some("shop".into());
    options.provisioners = score_compile::parse_provisioners(
        "- uri: cmd://memcached-provisioner\n  type: memcached\n",
        "memcached.yaml",
    )
    .unwrap();
    options.commands = &runner;
    let result = compile_with(&[workload("app.yaml", CACHE_APP)], &options);
    (result, runner.stdin.into_inner())
}

#[test]
fn command_provisioners_add_compose_services_volumes_and_networks() {
    let (result, stdin) = compile_cache(
        r#"{
  "resource_outputs": {"host": "cache-1", "port": 11211},
  "compose_services": {"cache-1": {"image": "memcached:1.6", "volumes": [{"type": "volume", "source": "cache-data", "target": "/data"}]}},
  "compose_volumes": {"cache-data": {}},
  "compose_networks": {},
  "relative_directories": {},
  "resource_state": null
}"#,
    );
    let out = result.unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(service(&out, "cache-1")["image"], "memcached:1.6");
    assert!(out.compose["volumes"].get("cache-data").is_some());
    assert_eq!(
        service(&out, "app-app")["environment"]["CACHE"],
        "cache-1:11211"
    );
    // The workload waits for the service its resource brought.
    assert_eq!(
        service(&out, "app-app")["depends_on"]["cache-1"]["condition"],
        "service_started"
    );
    // score-compose's input: the project name, no namespace.
    assert_eq!(stdin[0]["compose_project_name"], "shop");
    assert!(stdin[0].get("namespace").is_none());
    assert_eq!(stdin[0]["workload_services"]["app"]["ServiceName"], "app");
}

#[test]
fn command_provisioner_outputs_are_secret_in_the_report() {
    // score-compose's protocol cannot mark a secret: a password is printed as plain text, so
    // the report shows none of a command provisioner's values.
    let (result, _) = compile_cache(
        r#"{"resource_outputs": {"host": "cache-1", "password": "hunter2", "port": 11211}, "compose_services": {"cache-1": {"image": "memcached:1.6"}}}"#,
    );
    let out = result.unwrap_or_else(|d| panic!("{d}"));
    let report = &out.resources[0];
    assert_eq!(report.outputs, ["host", "password", "port"]);
    assert_eq!(report.secret_outputs, report.outputs);
    assert!(report.values.is_empty());
    assert_eq!(
        report.secrets["password"],
        "<secret: from a command provisioner>"
    );
}

#[test]
fn command_provisioners_cannot_write_files_beside_the_compose_file() {
    let (result, _) = compile_cache(
        r#"{"resource_outputs": {"host": "h", "port": 1}, "relative_file_contents": {"conf/a.txt": "x"}}"#,
    );
    let d = result.unwrap_err();
    let first = d.iter().next().unwrap();
    assert_eq!(first.code, "score::provisioner::command-output");
    assert!(
        first
            .message
            .contains("its `relative_file_contents` is not supported"),
        "{}",
        first.message
    );
}

#[test]
fn limits_below_what_docker_accepts_are_raised_with_a_warning_at_the_score_line() {
    // AKS Store's makeline-service and product-service: `docker compose up` refuses
    // `cpus` below 0.01 and memory below 6 MiB.
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: tiny
containers:
  app:
    image: busybox
    resources:
      limits:
        cpu: 2m
        memory: 10Mi
      requests:
        cpu: 1m
        memory: 1Mi
";
    let out = ok(&[workload("tiny.yaml", text)]);
    let resources = &service(&out, "tiny-app")["deploy"]["resources"];
    assert_eq!(resources["limits"]["cpus"], "0.01");
    assert_eq!(resources["limits"]["memory"], "10m");
    assert_eq!(resources["reservations"]["cpus"], "0.01");
    assert_eq!(resources["reservations"]["memory"], "6m");
    let raised: Vec<(u32, &str)> = out
        .warnings
        .iter()
        .filter(|d| d.code == "score::compose::resource-minimum")
        .map(|d| (d.span.unwrap().line, d.pointer.as_str()))
        .collect();
    assert_eq!(
        raised,
        [
            (9, "/containers/app/resources/limits/cpu"),
            (12, "/containers/app/resources/requests/cpu"),
            (13, "/containers/app/resources/requests/memory"),
        ]
    );
}

#[test]
fn the_default_seed_is_not_a_warning_for_a_development_environment() {
    // Compose passwords are plain text in the file for `docker compose up` on one machine:
    // the Kubernetes target's warning about the public default seed would be noise here.
    let text = "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\ncontainers:\n  web:\n    image: nginx\n    variables:\n      DB_PASSWORD: ${resources.db.password}\nresources:\n  db:\n    type: postgres\n";
    let out = ok(&[workload("web.yaml", text)]);
    assert!(out.warnings.is_empty(), "{}", out.warnings);
    assert!(out.compose["services"].as_object().unwrap().len() > 1);
}

#[test]
fn s3_buckets_get_users_of_their_own_and_never_the_root_credentials() {
    let out = ok(&[workload("files.yaml", TWO_BUCKETS)]);
    let root = &service(&out, "score-minio")["environment"];
    let env = &service(&out, "files-main")["environment"];
    let init = |bucket: &str| {
        out.compose["services"]
            .as_object()
            .unwrap()
            .values()
            .find(|s| s["environment"]["BUCKET"] == bucket)
            .unwrap_or_else(|| panic!("no init service for {bucket}"))
    };
    for (key, secret, bucket) in [
        ("A_KEY", "A_SECRET", env["A_BUCKET"].as_str().unwrap()),
        ("B_KEY", "B_SECRET", "uploads"),
    ] {
        assert_ne!(env[key], root["MINIO_ROOT_USER"]);
        assert_ne!(env[secret], root["MINIO_ROOT_PASSWORD"]);
        let init = init(bucket);
        assert_eq!(init["environment"]["ACCESS_KEY_ID"], env[key]);
        assert_eq!(init["environment"]["SECRET_KEY"], env[secret]);
        let script = init["entrypoint"][2].as_str().unwrap();
        for step in [
            "mc admin policy create score \"$$POLICY\" /tmp/policy.json",
            "mc admin user add score \"$$ACCESS_KEY_ID\" \"$$SECRET_KEY\"",
            "mc admin policy attach score \"$$POLICY\" --user \"$$ACCESS_KEY_ID\"",
        ] {
            assert!(script.contains(step), "{step} not in:\n{script}");
        }
        let statement = &policy_of(script, bucket)["Statement"];
        assert_eq!(statement.as_array().unwrap().len(), 1);
        assert_eq!(statement[0]["Action"], serde_json::json!(["s3:*"]));
        assert_eq!(
            statement[0]["Resource"],
            serde_json::json!([
                format!("arn:aws:s3:::{bucket}"),
                format!("arn:aws:s3:::{bucket}/*")
            ])
        );
    }
    assert_ne!(env["A_KEY"], env["B_KEY"]);
    assert_ne!(env["A_SECRET"], env["B_SECRET"]);
    assert_eq!(env["A_AWS_KEY"], env["A_KEY"]);
    assert_eq!(env["A_AWS_SECRET"], env["A_SECRET"]);
}

/// A workload using the amqp resource `orders` shared by id, plus `resources` of its own whose
/// vhosts it reads in `variables`.
fn queue_user(name: &str, variables: &str, resources: &str) -> Workload {
    workload(
        &format!("{name}.yaml"),
        &format!(
            "apiVersion: score.dev/v1b1\nmetadata:\n  name: {name}\ncontainers:\n  main:\n    image: busybox\n    variables:\n      ORDERS: ${{resources.orders.vhost}}\n      ORDERS_USER: ${{resources.orders.username}}\n{variables}resources:\n  orders:\n    type: amqp\n    id: orders\n{resources}"
        ),
    )
}

/// The broker's definitions: users, vhosts, permissions.
fn amqp_definitions(out: &Output) -> Value {
    let text = out.compose["configs"]["score-rabbitmq-definitions"]["content"]
        .as_str()
        .unwrap();
    serde_json::from_str(text).unwrap()
}

#[test]
fn amqp_resources_get_a_vhost_each_shared_by_id() {
    let api = queue_user(
        "api",
        "      EVENTS: ${resources.events.vhost}\n      CUSTOM: ${resources.custom.vhost}\n",
        "  events:\n    type: amqp\n  custom:\n    type: amqp\n    params:\n      vhost: legacy\n",
    );
    let worker = queue_user("worker", "", "");
    let out = ok(&[api.clone(), worker.clone()]);
    let env = |w: &str, k: &str| service(&out, &format!("{w}-main"))["environment"][k].clone();
    // One vhost per resource, shared by the workloads sharing the resource by id.
    assert_eq!(env("api", "ORDERS"), env("worker", "ORDERS"));
    assert_eq!(env("api", "ORDERS_USER"), env("worker", "ORDERS_USER"));
    assert_ne!(env("api", "ORDERS"), env("api", "EVENTS"));
    assert_ne!(env("api", "ORDERS"), "/");
    assert_ne!(env("api", "EVENTS"), "/");
    assert_eq!(env("api", "CUSTOM"), "legacy");
    // The broker has exactly those vhosts, each user allowed on its own only.
    let definitions = amqp_definitions(&out);
    let vhosts: Vec<&Value> = definitions["vhosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["name"])
        .collect();
    assert_eq!(vhosts.len(), 3, "{vhosts:?}");
    for v in ["ORDERS", "EVENTS", "CUSTOM"] {
        assert!(
            vhosts.contains(&&env("api", v)),
            "{v} missing in {vhosts:?}"
        );
    }
    let permissions = definitions["permissions"].as_array().unwrap();
    assert_eq!(permissions.len(), 3);
    let orders = permissions
        .iter()
        .find(|p| p["user"] == env("api", "ORDERS_USER"))
        .unwrap();
    assert_eq!(orders["vhost"], env("api", "ORDERS"));
    // Several vhosts: the broker keeps its default, a client must name its vhost.
    let conf = &out.compose["configs"]["score-rabbitmq-conf"]["content"];
    assert!(!conf.as_str().unwrap().contains("default_vhost"), "{conf}");

    // The Kubernetes target gives the same resource the same vhost (on a broker of its own).
    let k8s = score_compile::kubernetes::compile(
        &[api, worker.clone()],
        &score_compile::kubernetes::Options::default(),
    )
    .unwrap();
    let deployment = k8s
        .manifests
        .iter()
        .find(|m| m["kind"] == "Deployment" && m["metadata"]["name"] == "api")
        .unwrap();
    let k8s_env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    for v in ["ORDERS", "EVENTS", "CUSTOM"] {
        let k = k8s_env.iter().find(|e| e["name"] == v).unwrap();
        assert_eq!(k["value"], env("api", v), "{v}");
    }

    // With one vhost on the broker, it is the default one, for clients that name none.
    let out = ok(&[worker]);
    let conf = out.compose["configs"]["score-rabbitmq-conf"]["content"]
        .as_str()
        .unwrap();
    let vhost = service(&out, "worker-main")["environment"]["ORDERS"].clone();
    assert!(
        conf.lines()
            .any(|l| l == format!("default_vhost = {}", vhost.as_str().unwrap())),
        "{conf}"
    );
}
