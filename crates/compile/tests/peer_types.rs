//! The well-known types the reference tools provision that came last here: `mssql` and
//! `elasticsearch` on both targets, `environment` on Kubernetes (keys of a platform Secret), and
//! environment references in Compose file contents. Whole outputs are insta snapshots in
//! `testdata/snapshots/<target>/peer-types.snap`.

use score_compile::Seed;
use score_compile::compose;
use score_compile::kubernetes;
use score_spec::{Diagnostics, Workload};
use serde_json::Value;

const SHOP: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: shop
containers:
  web:
    image: nginx
    variables:
      DB_URL: ${resources.env.DB_URL}
      GREETING: hello ${resources.env.USER_NAME}!
      SQL_SERVER: ${resources.sql.server}
      SQL_CONNECTION: ${resources.sql.connection}
      SQL_PASSWORD: ${resources.sql.password}
      ES_URL: http://${resources.search.host}:${resources.search.port}
      ES_PASSWORD: ${resources.search.password}
resources:
  env:
    type: environment
  sql:
    type: mssql
  search:
    type: elasticsearch
";

fn workload(origin: &str, text: &str) -> Workload {
    match score_spec::parse_workload(text, origin) {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("{origin} does not parse:\n{d}"),
    }
}

fn k8s_with(text: &str, seed: &str) -> Result<kubernetes::Output, Diagnostics> {
    let mut options = kubernetes::Options::default();
    options.seed = Seed::new(seed);
    kubernetes::compile(&[workload("shop.yaml", text)], &options)
}

fn k8s(text: &str) -> kubernetes::Output {
    k8s_with(text, "test-seed").unwrap_or_else(|d| panic!("compile failed:\n{d}"))
}

fn compose_of(workloads: &[Workload]) -> compose::Output {
    compose::compile(workloads, &compose::Options::default())
        .unwrap_or_else(|d| panic!("compile failed:\n{d}"))
}

fn object<'a>(out: &'a kubernetes::Output, kind: &str, name: &str) -> &'a Value {
    out.manifests
        .iter()
        .find(|m| m["kind"] == kind && m["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in:\n{}", out.to_yaml()))
}

fn deployment_env<'a>(out: &'a kubernetes::Output, name: &str) -> &'a Value {
    let env =
        &object(out, "Deployment", "shop")["spec"]["template"]["spec"]["containers"][0]["env"];
    env.as_array()
        .and_then(|e| e.iter().find(|v| v["name"] == name))
        .unwrap_or_else(|| panic!("no variable {name} in {env}"))
}

/// The Secret a workload variable that is exactly one secret output refers to: (name, key).
fn secret_key_ref(out: &kubernetes::Output, variable: &str) -> (String, String) {
    let r = &deployment_env(out, variable)["valueFrom"]["secretKeyRef"];
    assert!(r.is_object(), "{variable} is not a secretKeyRef");
    (
        r["name"].as_str().unwrap().to_owned(),
        r["key"].as_str().unwrap().to_owned(),
    )
}

fn outputs_of<'a>(
    reports: &'a [score_compile::ResourceReport],
    r#type: &str,
) -> &'a score_compile::ResourceReport {
    reports.iter().find(|r| r.r#type == r#type).unwrap()
}

#[test]
fn mssql_and_elasticsearch_have_the_peers_outputs_on_both_targets() {
    let k = k8s(SHOP);
    let c = compose_of(&[workload("shop.yaml", SHOP)]);
    let sorted = |names: &[&str]| {
        let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    let mssql = sorted(&[
        "server",
        "port",
        "connection",
        "database",
        "username",
        "password",
    ]);
    let es = sorted(&["host", "port", "username", "password"]);
    for reports in [&k.resources, &c.resources] {
        let mut got = outputs_of(reports, "mssql").outputs.clone();
        got.sort();
        assert_eq!(got, mssql);
        let mut got = outputs_of(reports, "elasticsearch").outputs.clone();
        got.sort();
        assert_eq!(got, es);
    }
    assert_eq!(
        outputs_of(&k.resources, "mssql").secret_outputs,
        ["connection", "password"]
    );
    assert_eq!(
        outputs_of(&k.resources, "elasticsearch").secret_outputs,
        ["password"]
    );
    // The same ports and user name on both targets.
    let env = &c.compose["services"]["shop-web"]["environment"];
    assert_eq!(env["SQL_SERVER"], "score-mssql");
    assert!(env["ES_URL"] == "http://score-elasticsearch:9200", "{env}");
    assert_eq!(
        deployment_env(&k, "SQL_SERVER")["value"],
        object(
            &k,
            "Service",
            deployment_env(&k, "SQL_SERVER")["value"].as_str().unwrap()
        )["metadata"]["name"]
    );
}

#[test]
fn kubernetes_keeps_mssql_and_elasticsearch_passwords_in_their_secrets_only() {
    let out = k8s(SHOP);
    let (sql_secret, key) = secret_key_ref(&out, "SQL_CONNECTION");
    assert_eq!(key, "connection");
    assert_eq!(
        secret_key_ref(&out, "SQL_PASSWORD"),
        (sql_secret.clone(), "password".into())
    );
    let (es_secret, key) = secret_key_ref(&out, "ES_PASSWORD");
    assert_eq!(key, "password");

    let data = &object(&out, "Secret", &sql_secret)["stringData"];
    let field = |k: &str| data[k].as_str().unwrap().to_owned();
    let (database, user, password, sa) = (
        field("database"),
        field("username"),
        field("password"),
        field("sa_password"),
    );
    assert_eq!(
        field("connection"),
        format!(
            "Server=tcp:{sql_secret},1433;Initial Catalog={database};User ID={user};Password={password};TrustServerCertificate=True;"
        )
    );
    // SQL Server's password policy: three of upper case, lower case, digits, symbols.
    for p in [&password, &sa] {
        assert!(p.chars().any(|c| c.is_ascii_uppercase()), "{p}");
        assert!(p.chars().any(|c| c.is_ascii_lowercase()), "{p}");
        assert!(p.chars().any(|c| c.is_ascii_digit()), "{p}");
    }
    assert_ne!(password, sa, "the workload's login is not sa");
    let es_password = object(&out, "Secret", &es_secret)["stringData"]["password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        object(&out, "Secret", &es_secret)["stringData"]["username"],
        "elastic"
    );

    // No password anywhere but in its Secret.
    for m in out.manifests.iter().filter(|m| m["kind"] != "Secret") {
        let text = m.to_string();
        for secret in [&password, &sa, &es_password] {
            assert!(
                !text.contains(secret.as_str()),
                "{} {} holds a password",
                m["kind"],
                m["metadata"]["name"]
            );
        }
    }
    // The Job creates the database and login from the Secret, its script escaped from the
    // kubelet's `$(VAR)` expansion (which would put the password in its command line).
    let job = &object(&out, "Job", &sql_secret)["spec"]["template"]["spec"]["containers"][0];
    let script = job["command"][2].as_str().unwrap();
    assert!(
        script.contains("CREATE LOGIN [$$(DB_USER)] WITH PASSWORD = N'$$(DB_PASSWORD)'"),
        "{script}"
    );
    assert!(!script.contains("$(DB_PASSWORD)'") || script.contains("$$(DB_PASSWORD)'"));
    let job_env = |name: &str| {
        job["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(job_env("DB_NAME")["value"], database.as_str());
    assert_eq!(
        job_env("DB_PASSWORD")["valueFrom"]["secretKeyRef"]["key"],
        "password"
    );
    assert_eq!(
        job_env("SQLCMDPASSWORD")["valueFrom"]["secretKeyRef"]["key"],
        "sa_password"
    );
}

#[test]
fn generated_values_follow_the_seed_and_names_do_not() {
    let a = k8s_with(SHOP, "one").unwrap();
    let again = k8s_with(SHOP, "one").unwrap();
    let b = k8s_with(SHOP, "two").unwrap();
    assert_eq!(a.to_yaml(), again.to_yaml());
    let names = |o: &kubernetes::Output| -> Vec<String> {
        o.manifests
            .iter()
            .map(|m| format!("{} {}", m["kind"], m["metadata"]["name"]))
            .collect()
    };
    assert_eq!(names(&a), names(&b));
    let (secret, _) = secret_key_ref(&a, "SQL_PASSWORD");
    let pw =
        |o: &kubernetes::Output| object(o, "Secret", &secret)["stringData"]["password"].clone();
    assert_ne!(pw(&a), pw(&b));
}

#[test]
fn compose_shares_one_server_per_type_with_a_database_and_login_per_resource() {
    let other = SHOP.replace("name: shop", "name: admin");
    let out = compose_of(&[workload("shop.yaml", SHOP), workload("admin.yaml", &other)]);
    let services = out.compose["services"].as_object().unwrap();
    let servers: Vec<&String> = services
        .keys()
        .filter(|k| k.starts_with("score-"))
        .collect();
    assert_eq!(servers, ["score-elasticsearch", "score-mssql"]);
    for server in servers {
        assert!(
            services[server]["healthcheck"]["test"].is_array(),
            "{server} has no healthcheck"
        );
    }
    let inits: Vec<&Value> = services
        .iter()
        .filter(|(k, _)| k.ends_with("-init"))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(inits.len(), 2);
    assert_ne!(
        inits[0]["environment"]["DB_NAME"],
        inits[1]["environment"]["DB_NAME"]
    );
    let sa = &services["score-mssql"]["environment"]["MSSQL_SA_PASSWORD"];
    for (workload, init) in [("admin", inits[0]), ("shop", inits[1])] {
        let env = &services[&format!("{workload}-web")]["environment"];
        let init_env = &init["environment"];
        assert_eq!(
            init["depends_on"]["score-mssql"]["condition"],
            "service_healthy"
        );
        assert_eq!(&init_env["SQLCMDPASSWORD"], sa);
        let connection = env["SQL_CONNECTION"].as_str().unwrap();
        assert!(
            connection.contains(&format!(
                "Initial Catalog={};User ID={};Password={};",
                init_env["DB_NAME"].as_str().unwrap(),
                init_env["DB_USER"].as_str().unwrap(),
                init_env["DB_PASSWORD"].as_str().unwrap()
            )),
            "{connection}"
        );
        assert_eq!(env["SQL_PASSWORD"], init_env["DB_PASSWORD"]);
        assert_eq!(
            env["ES_PASSWORD"],
            services["score-elasticsearch"]["environment"]["ELASTIC_PASSWORD"]
        );
        // The workload waits for the server, and for its database to exist.
        let depends = &services[&format!("{workload}-web")]["depends_on"];
        assert_eq!(depends["score-mssql"]["condition"], "service_healthy");
        assert_eq!(
            depends["score-elasticsearch"]["condition"],
            "service_healthy"
        );
        let own_init = depends
            .as_object()
            .unwrap()
            .keys()
            .find(|k| k.ends_with("-init"))
            .unwrap();
        assert_eq!(services[own_init]["environment"], *init_env);
    }
}

#[test]
fn environment_on_kubernetes_is_a_required_key_of_a_platform_secret() {
    let out = k8s(SHOP);
    let db_url = deployment_env(&out, "DB_URL");
    assert_eq!(
        db_url["valueFrom"]["secretKeyRef"],
        serde_json::json!({"name": "score-environment", "key": "DB_URL"}),
        "a missing key stops the pod (no `optional: true`)"
    );
    // Text around it: a helper variable and Kubernetes' `$(VAR)` expansion.
    let greeting = deployment_env(&out, "GREETING")["value"].as_str().unwrap();
    let helper = greeting
        .strip_prefix("hello $(")
        .and_then(|g| g.strip_suffix(")!"))
        .unwrap();
    assert_eq!(
        deployment_env(&out, helper)["valueFrom"]["secretKeyRef"]["key"],
        "USER_NAME"
    );
    // The platform provides the Secret: the output neither creates nor fills it.
    assert!(
        out.manifests
            .iter()
            .all(|m| m["metadata"]["name"] != "score-environment")
    );
    let report = outputs_of(&out.resources, "environment");
    assert_eq!(
        report.provisioner.as_deref(),
        Some("template://score-rs/environment")
    );

    let named = SHOP.replace(
        "    type: environment\n",
        "    type: environment\n    params:\n      secret: team.env\n",
    );
    let out = k8s(&named);
    assert_eq!(
        secret_key_ref(&out, "DB_URL"),
        ("team.env".into(), "DB_URL".into())
    );
}

#[test]
fn a_bad_environment_secret_name_is_an_error_at_its_param() {
    let bad = SHOP.replace(
        "    type: environment\n",
        "    type: environment\n    params:\n      secret: Team_Env\n",
    );
    let errors = k8s_with(&bad, "s").unwrap_err();
    let d = errors
        .iter()
        .find(|d| d.code == "score::kubernetes::environment-secret")
        .unwrap_or_else(|| panic!("{errors}"));
    assert_eq!(d.pointer, "/resources/env/params/secret");
    assert_eq!(d.span.unwrap().line, 19);
    assert!(d.message.contains("`Team_Env`"), "{}", d.message);
    assert!(d.help.as_deref().unwrap().contains("score-environment"));

    // A key that is not a variable name is refused when the workload is read (both targets
    // apply the same rule; see `placeholders`).
    let key = SHOP.replace("${resources.env.DB_URL}", "${resources.env.DB/URL}");
    let errors = score_spec::parse_workload(&key, "shop.yaml").unwrap_err();
    let d = errors.iter().next().unwrap();
    assert_eq!(d.code, "score::placeholder::environment-key");
    assert_eq!(d.pointer, "/containers/web/variables/DB_URL");
    assert!(
        d.message.contains("`DB/URL` is not a variable name"),
        "{}",
        d.message
    );
}

#[test]
fn compose_file_content_reads_environment_variables_when_compose_runs() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: app
containers:
  main:
    image: busybox
    files:
      /etc/app.conf:
        content: \"url=${resources.env.DB_URL} cost=$5 home=$$HOME\"
      /etc/raw.conf:
        noExpand: true
        content: \"raw=${resources.env.DB_URL} $HOME\"
resources:
  env:
    type: environment
";
    let out = compose_of(&[workload("app.yaml", text)]);
    let configs = out.compose["configs"].as_object().unwrap();
    let content = |needle: &str| -> String {
        configs
            .values()
            .map(|c| c["content"].as_str().unwrap().to_owned())
            .find(|c| c.contains(needle))
            .unwrap()
    };
    // Compose fills `${DB_URL}` in and turns `$$` into the `$` Score resolved.
    assert_eq!(content("url="), "url=${DB_URL} cost=$$5 home=$$HOME");
    // noExpand: copied as written, so every `$` is doubled.
    assert_eq!(content("raw="), "raw=$${resources.env.DB_URL} $$HOME");
    assert_eq!(out.environment, ["DB_URL"]);
    assert_eq!(out.env_file(), "DB_URL=\n");
}

#[test]
fn snapshots() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/snapshots");
    settings.set_snapshot_path(root.join("kubernetes"));
    settings.bind(|| insta::assert_snapshot!("peer-types", k8s(SHOP).to_yaml()));
    settings.set_snapshot_path(root.join("compose"));
    settings.bind(|| {
        insta::assert_snapshot!(
            "peer-types",
            compose_of(&[workload("shop.yaml", SHOP)]).to_yaml()
        )
    });
}
