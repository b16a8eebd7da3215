//! A workload compiled alone (one compile per repository, as score-k8s and score-compose users
//! do in CI): `service` and `service-port` resources naming a workload that is not in the
//! compile get the host name that workload would get, with one warning each; the caller can
//! make them errors instead.

use score_compile::ExternalWorkloads;
use score_compile::compose;
use score_compile::kubernetes;
use score_spec::{Diagnostic, Diagnostics, Workload};
use serde_json::Value;

const EXTERNAL: &str = "score::service::external";

/// `checkout`, calling `payments` (not compiled here) through both resource types.
const CHECKOUT: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: checkout
containers:
  main:
    image: nginx
    variables:
      PAYMENTS_URL: http://${resources.payments.name}:8080
      PAY_HOST: ${resources.pay-port.hostname}
      PAY_PORT: ${resources.pay-port.port}
resources:
  payments:
    type: service
  pay-port:
    type: service-port
    params:
      workload: payments
      port: 8080
";

/// Line 12 of `CHECKOUT`: the `payments:` resource; line 14: `pay-port:`.
const PAYMENTS_LINE: u32 = 12;
const PAY_PORT_LINE: u32 = 14;

const PAYMENTS: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: payments
service:
  ports:
    web:
      port: 8080
      targetPort: 3000
containers:
  main:
    image: nginx
";

fn workload(text: &str) -> Workload {
    match score_spec::parse_workload(text, "score.yaml") {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("does not parse:\n{d}"),
    }
}

fn kubernetes(text: &str, external: ExternalWorkloads) -> Result<kubernetes::Output, Diagnostics> {
    let mut options = kubernetes::Options::default();
    options.external_workloads = external;
    kubernetes::compile(&[workload(text)], &options)
}

fn compose(text: &str, external: ExternalWorkloads) -> Result<compose::Output, Diagnostics> {
    let mut options = compose::Options::default();
    options.external_workloads = external;
    compose::compile(&[workload(text)], &options)
}

/// `(line, pointer)` of each diagnostic with `code`.
fn places(diagnostics: &Diagnostics, code: &str) -> Vec<(u32, String)> {
    diagnostics
        .iter()
        .filter(|d| d.code == code)
        .map(|d| (d.span.map_or(0, |s| s.line), d.pointer.clone()))
        .collect()
}

fn only(diagnostics: &Diagnostics, code: &str) -> Diagnostic {
    let found: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "expected one {code} in:\n{diagnostics}");
    found[0].clone()
}

fn kubernetes_env(out: &kubernetes::Output, name: &str) -> Value {
    let deployment = out
        .manifests
        .iter()
        .find(|m| m["kind"] == "Deployment")
        .expect("a Deployment");
    deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {name}"))["value"]
        .clone()
}

#[test]
fn kubernetes_assumes_a_workload_not_compiled_along_with_one_warning_per_resource() {
    let out = kubernetes(CHECKOUT, ExternalWorkloads::Assume)
        .unwrap_or_else(|d| panic!("compile failed:\n{d}"));
    assert_eq!(kubernetes_env(&out, "PAYMENTS_URL"), "http://payments:8080");
    assert_eq!(kubernetes_env(&out, "PAY_HOST"), "payments");
    assert_eq!(kubernetes_env(&out, "PAY_PORT"), "8080");
    assert_eq!(
        places(&out.warnings, EXTERNAL),
        [
            (PAYMENTS_LINE, "/resources/payments".to_owned()),
            (PAY_PORT_LINE, "/resources/pay-port".to_owned()),
        ]
    );
    let warning = &out.warnings.iter().find(|d| d.code == EXTERNAL).unwrap();
    assert!(!warning.is_error());
    assert!(
        warning
            .message
            .contains("`payments` is not compiled along with `checkout`")
            && warning.message.contains("assumed to be deployed elsewhere"),
        "{}",
        warning.message
    );
    let help = warning.help.as_deref().unwrap_or_default();
    assert!(help.contains("--deny-external-workloads"), "{help}");
    assert!(help.contains("Score file of `payments`"), "{help}");
}

#[test]
fn compose_assumes_a_workload_not_compiled_along_by_its_network_alias() {
    let out = compose(CHECKOUT, ExternalWorkloads::Assume)
        .unwrap_or_else(|d| panic!("compile failed:\n{d}"));
    let environment = &out.compose["services"]["checkout-main"]["environment"];
    assert_eq!(environment["PAYMENTS_URL"], "http://payments:8080");
    assert_eq!(environment["PAY_HOST"], "payments");
    assert_eq!(environment["PAY_PORT"], "8080");
    assert_eq!(
        places(&out.warnings, EXTERNAL),
        [
            (PAYMENTS_LINE, "/resources/payments".to_owned()),
            (PAY_PORT_LINE, "/resources/pay-port".to_owned()),
        ]
    );
}

#[test]
fn denying_external_workloads_makes_them_errors_on_both_targets() {
    let k = kubernetes(CHECKOUT, ExternalWorkloads::Deny).expect_err("denied");
    let c = compose(CHECKOUT, ExternalWorkloads::Deny).expect_err("denied");
    for diagnostics in [&k, &c] {
        let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 2, "{diagnostics}");
        assert_eq!(
            places(diagnostics, EXTERNAL),
            [
                (PAYMENTS_LINE, "/resources/payments".to_owned()),
                (PAY_PORT_LINE, "/resources/pay-port".to_owned()),
            ]
        );
        assert!(
            errors
                .iter()
                .all(|d| d.code == EXTERNAL && d.message.contains("external workloads are denied"))
        );
    }
}

#[test]
fn compiled_along_there_is_no_warning_and_the_real_ports_are_used() {
    let workloads = [workload(CHECKOUT), workload(PAYMENTS)];
    let out = kubernetes::compile(&workloads, &kubernetes::Options::default())
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(places(&out.warnings, EXTERNAL).is_empty());
    // Compose: the target port, where the container listens.
    let out = compose::compile(&workloads, &compose::Options::default())
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(places(&out.warnings, EXTERNAL).is_empty());
    assert_eq!(
        out.compose["services"]["checkout-main"]["environment"]["PAY_PORT"],
        "3000"
    );
}

#[test]
fn a_name_starting_with_a_digit_gets_the_kubernetes_service_name_it_would_get() {
    let text = CHECKOUT.replace("workload: payments", "workload: 2pay");
    let out = kubernetes(&text, ExternalWorkloads::Assume).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(kubernetes_env(&out, "PAY_HOST"), "svc-2pay");
    let out = compose(&text, ExternalWorkloads::Assume).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        out.compose["services"]["checkout-main"]["environment"]["PAY_HOST"],
        "2pay"
    );
}

#[test]
fn a_workload_param_that_is_not_a_workload_name_is_an_error_at_the_param() {
    let text = CHECKOUT.replace("workload: payments", "workload: Payments_API");
    for diagnostics in [
        kubernetes(&text, ExternalWorkloads::Assume).expect_err("bad name"),
        compose(&text, ExternalWorkloads::Assume).expect_err("bad name"),
    ] {
        let d = only(&diagnostics, "score::service::workload");
        assert!(d.is_error());
        assert_eq!(d.pointer, "/resources/pay-port/params/workload");
        assert_eq!(d.span.map(|s| (s.line, s.column)), Some((17, 17)));
        assert!(
            d.message.contains("`Payments_API` is not a workload name"),
            "{}",
            d.message
        );
        assert!(d.help.as_deref().unwrap_or_default().contains("lower-case"));
    }
}

#[test]
fn a_named_port_of_an_external_workload_is_an_error_at_the_port() {
    let text = CHECKOUT.replace("port: 8080", "port: web");
    for diagnostics in [
        kubernetes(&text, ExternalWorkloads::Assume).expect_err("named port"),
        compose(&text, ExternalWorkloads::Assume).expect_err("named port"),
    ] {
        let d = only(&diagnostics, "score::service::port");
        assert_eq!(d.pointer, "/resources/pay-port/params/port");
        assert_eq!(d.span.map(|s| s.line), Some(18));
        assert!(d.message.contains("port `web`"), "{}", d.message);
        let help = d.help.as_deref().unwrap_or_default();
        assert!(help.contains("by number"), "{help}");
    }
}
