//! Params a built-in provisioner does not use are warnings at the param's key (the reference
//! tools ignore them, and files written for them give some); a provisioner file's
//! `supported_params` still refuses the others.

use score_compile::{compose, kubernetes, parse_provisioners};
use score_spec::{Diagnostic, Diagnostics, Workload};

const CODE: &str = "score::provisioner::unknown-param";

fn workload(text: &str) -> Workload {
    match score_spec::parse_workload(text, "score.yaml") {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("does not parse:\n{d}"),
    }
}

/// `(line, column, pointer)` of each diagnostic with `CODE`.
fn places(diagnostics: &Diagnostics) -> Vec<(u32, u32, String)> {
    diagnostics
        .iter()
        .filter(|d| d.code == CODE)
        .map(|d| {
            let span = d.span.expect("placed");
            (span.line, span.column, d.pointer.clone())
        })
        .collect()
}

fn both(text: &str) -> [Diagnostics; 2] {
    let workloads = [workload(text)];
    let k = kubernetes::compile(&workloads, &kubernetes::Options::default())
        .unwrap_or_else(|d| panic!("kubernetes:\n{d}"));
    let c = compose::compile(&workloads, &compose::Options::default())
        .unwrap_or_else(|d| panic!("compose:\n{d}"));
    [k.warnings, c.warnings]
}

const POSTGRES: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: orders
containers:
  main:
    image: nginx
    variables:
      DB: ${resources.db.database}
resources:
  db:
    type: postgres
    params:
      name: orders
      username: app
      password: secret
";

#[test]
fn postgres_params_the_peers_ignore_are_warnings_at_each_key_on_both_targets() {
    for warnings in both(POSTGRES) {
        assert_eq!(
            places(&warnings),
            [
                (13, 7, "/resources/db/params".to_owned()),
                (14, 7, "/resources/db/params".to_owned()),
                (15, 7, "/resources/db/params".to_owned()),
            ],
            "{warnings}"
        );
        let d: Vec<&Diagnostic> = warnings.iter().filter(|d| d.code == CODE).collect();
        assert!(d.iter().all(|d| !d.is_error()));
        assert!(
            d[1].message.contains("param `username`") && d[1].message.contains("ignored"),
            "{}",
            d[1].message
        );
        let help = d[0].help.as_deref().unwrap_or_default();
        assert!(help.contains("template://score-rs/postgres"), "{help}");
        assert!(help.contains("supports: no params"), "{help}");
    }
}

#[test]
fn a_typo_of_a_supported_param_warns_with_a_suggestion_and_the_list() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      HOST: ${resources.dns.host}
      CACHE: ${resources.cache.host}
resources:
  dns:
    type: dns
    params:
      hots: example.localhost
  cache:
    type: redis
    params:
      verison: '7'
";
    for warnings in both(text) {
        let d: Vec<&Diagnostic> = warnings.iter().filter(|d| d.code == CODE).collect();
        assert_eq!(d.len(), 2, "{warnings}");
        assert_eq!(d[0].span.map(|s| (s.line, s.column)), Some((14, 7)));
        let help = d[0].help.as_deref().unwrap_or_default();
        assert!(help.starts_with("did you mean `host`?"), "{help}");
        assert!(help.contains("supports: `host`"), "{help}");
        // Redis takes no params: the warning says so.
        assert_eq!(d[1].span.map(|s| (s.line, s.column)), Some((18, 7)));
        assert!(d[1].message.contains("`verison`"), "{}", d[1].message);
        let help = d[1].help.as_deref().unwrap_or_default();
        assert!(help.contains("supports: no params"), "{help}");
    }
}

#[test]
fn a_provisioner_files_supported_params_still_refuse_other_params() {
    let file = "\
- uri: template://acme/postgres
  type: postgres
  supported_params: [size]
  outputs: |
    database: db
";
    let provisioners = parse_provisioners(file, "acme.yaml").expect("valid");
    let mut options = kubernetes::Options::default();
    options.provisioners = provisioners;
    let text = POSTGRES.replace("      password: secret\n", "      sise: small\n");
    let diagnostics = kubernetes::compile(&[workload(&text)], &options).expect_err("refused");
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == CODE).collect();
    assert_eq!(errors.len(), 3, "{diagnostics}");
    assert!(errors.iter().all(|d| d.is_error()));
    let sise = errors[2];
    assert_eq!(sise.span.map(|s| (s.line, s.column)), Some((15, 7)));
    let help = sise.help.as_deref().unwrap_or_default();
    assert!(help.starts_with("did you mean `size`?"), "{help}");
    assert!(help.contains("acme.yaml:1:3"), "{help}");
    assert!(help.contains("`supported_params`"), "{help}");
}
