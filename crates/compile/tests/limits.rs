//! Bounds on what a compile may build: template output (issue 13, item 9).
//! Each test compiles a workload with a provisioner file written here and checks the
//! diagnostic (code, place, message, help) or the objects that come out.

use score_compile::kubernetes::{self, Options};
use score_compile::parse_provisioners;
use score_spec::{Diagnostic, Diagnostics, Workload};

fn workload(text: &str) -> Workload {
    match score_spec::parse_workload(text, "web.yaml") {
        Ok(parsed) => parsed.workload,
        Err(d) => panic!("does not parse:\n{d}"),
    }
}

const WEB: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    variables:
      V: ${resources.big.value}
resources:
  big:
    type: big
";

/// Compiles `WEB` with one template provisioner for type `big` whose `outputs` template is
/// `outputs` (a YAML block scalar body, indented by the caller).
fn compile_with(outputs: &str) -> Result<kubernetes::Output, Diagnostics> {
    let file = format!(
        "- uri: template://test/big\n  type: big\n  outputs: |\n    {}\n",
        outputs.replace('\n', "\n    ")
    );
    let provisioners = parse_provisioners(&file, "big.provisioners.yaml")
        .unwrap_or_else(|d| panic!("provisioner file does not parse:\n{d}"));
    let mut options = Options::default();
    options.provisioners = provisioners;
    kubernetes::compile(&[workload(WEB)], &options)
}

/// The single error of a compile that must fail on the template limit.
fn limit_error(outputs: &str) -> Diagnostic {
    let d = match compile_with(outputs) {
        Ok(_) => panic!("expected the template limit for:\n{outputs}"),
        Err(d) => d,
    };
    let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{d}");
    errors[0].clone()
}

fn assert_limit(outputs: &str) {
    let e = limit_error(outputs);
    assert_eq!(e.code, "score::provisioner::template-limit", "{e:?}");
    // At the resource's declaration in the workload.
    let span = e.span.expect("a span");
    assert_eq!((span.line, span.column), (10, 3), "{e:?}");
    assert!(e.message.contains("`outputs` template"), "{}", e.message);
    assert!(
        e.message.contains("the limit for one template"),
        "{}",
        e.message
    );
    assert!(e.message.contains("line "), "{}", e.message);
    let help = e.help.as_deref().unwrap_or_default();
    assert!(help.contains("big.provisioners.yaml"), "{help}");
    assert!(help.contains("smaller"), "{help}");
}

#[test]
fn repeating_a_string_past_the_budget_is_an_error() {
    let outputs = "{% set s = \"x\" * 100000000 %}\nvalue: {{ s ~ s }}";
    assert_limit(outputs);
    let e = limit_error(outputs);
    assert!(
        e.message.ends_with(
            "wrote or built more than 8 MiB of text, the limit for one template \
             (line 4: `{% set s = \"x\" * 100000000 %}`)"
        ),
        "{}",
        e.message
    );
    assert!(
        e.message
            .starts_with("resource `big` (big): the `outputs` template of `template://test/big`")
    );
}

#[test]
fn doubling_a_string_is_an_error() {
    // `namespace` is a context name here, so a loop cannot carry a value: unrolled.
    let doubling = "{% set s = s ~ s %}".repeat(40);
    assert_limit(&format!(
        "{{% set s = \"x\" %}}\n{doubling}\nvalue: {{{{ s | length }}}}"
    ));
    let doubling = "{% set s = s + s %}".repeat(40);
    assert_limit(&format!(
        "{{% set s = \"x\" %}}\n{doubling}\nvalue: {{{{ s | length }}}}"
    ));
    // A recursive macro doubling its argument.
    assert_limit(
        "{% macro d(s, n) %}{% if n > 0 %}{{ d(s ~ s, n - 1) }}{% else %}{{ s | length }}{% endif %}{% endmacro %}\nvalue: {{ d(\"x\" * 1000000, 12) }}",
    );
}

#[test]
fn joining_a_huge_list_is_an_error() {
    assert_limit("value: {{ ([\"x\" * 1000] * 100000) | join(\",\") }}");
    assert_limit("value: {{ range(100000) | join(\"x\" * 1000) }}");
    assert_limit("value: {{ ([[1] * 100000] * 100000) | tojson }}");
}

#[test]
fn writing_the_same_value_many_times_is_an_error() {
    // Into the output, and into a `set` block's capture.
    assert_limit(
        "{% set s = \"x\" * 1000000 %}\nvalue: {% for i in range(100000) %}{{ s }}{% endfor %}",
    );
    assert_limit(
        "{% set s = \"x\" * 1000000 %}\n{% set t %}{% for i in range(100000) %}{{ s }}{% endfor %}{% endset %}\nvalue: {{ t | length }}",
    );
    assert_limit(
        "value: {% for i in range(100000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}",
    );
}

#[test]
fn growing_filters_are_bounded() {
    assert_limit("value: {{ (\"x\" * 1000000) | replace(\"x\", \"y\" * 1000000) | length }}");
    assert_limit("value: {{ (\"a\\n\" * 1000) | indent(100000000) | length }}");
    assert_limit("value: {{ \"%100000000s\" | format(\"x\") | length }}");
    let quoting = "{% set s = s | tojson %}".repeat(30);
    assert_limit(&format!(
        "{{% set s = \"\\\"\" * 1000 %}}\n{quoting}\nvalue: {{{{ s | length }}}}"
    ));
    assert_limit("value: {{ [1] | batch(1000000000, 0) | length }}");
}

#[test]
fn real_sized_output_is_fine() {
    // A 1 MiB value (far beyond any real provisioner's output) renders.
    let out = compile_with("{% set s = \"x\" * 1048576 %}\nvalue: {{ s }}")
        .unwrap_or_else(|d| panic!("{d}"));
    let yaml = out.to_yaml();
    assert!(yaml.contains(&"x".repeat(1_048_576)));
}

// Kubernetes' object size (issue 13, item 8, the warning side).

const OBJECT_LIMIT: &str = "score::kubernetes::object-too-large";

fn with_file(bytes: usize) -> String {
    format!(
        "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    files:
      /etc/small.conf:
        content: small
      /etc/big.conf:
        content: {}
",
        "x".repeat(bytes)
    )
}

#[test]
fn a_files_config_map_over_one_mebibyte_is_a_warning_at_the_largest_file() {
    let out = kubernetes::compile(&[workload(&with_file(1_100_000))], &Options::default())
        .unwrap_or_else(|d| panic!("{d}"));
    let found: Vec<_> = out
        .warnings
        .iter()
        .filter(|d| d.code == OBJECT_LIMIT)
        .collect();
    assert_eq!(found.len(), 1, "{}", out.warnings);
    let w = found[0];
    assert!(!w.is_error());
    assert_eq!(w.pointer, "/containers/web/files/~1etc~1big.conf");
    let span = w.span.expect("a span");
    assert_eq!((span.line, span.column), (10, 7));
    assert!(w.message.contains("ConfigMap `web-files`"), "{}", w.message);
    assert!(w.message.contains("1 MiB"), "{}", w.message);
    assert!(w.message.contains("reject"), "{}", w.message);
    let help = w.help.as_deref().unwrap_or_default();
    assert!(help.contains("volume"), "{help}");
    assert!(help.contains("split"), "{help}");

    // Under the limit: no warning.
    let out = kubernetes::compile(&[workload(&with_file(1_000_000))], &Options::default())
        .unwrap_or_else(|d| panic!("{d}"));
    assert!(
        out.warnings.iter().all(|d| d.code != OBJECT_LIMIT),
        "{}",
        out.warnings
    );
}

#[test]
fn a_provisioned_secret_over_one_mebibyte_is_a_warning_at_the_resource() {
    let file = "- uri: template://test/big\n  type: big\n  outputs: |\n    value: x\n  manifests: |\n    - apiVersion: v1\n      kind: Secret\n      metadata:\n        name: big\n      stringData:\n        k: {{ \"x\" * 1100000 }}\n";
    let provisioners = parse_provisioners(file, "big.provisioners.yaml").unwrap();
    let mut options = Options::default();
    options.provisioners = provisioners;
    let out = kubernetes::compile(&[workload(WEB)], &options).unwrap_or_else(|d| panic!("{d}"));
    let found: Vec<_> = out
        .warnings
        .iter()
        .filter(|d| d.code == OBJECT_LIMIT)
        .collect();
    assert_eq!(found.len(), 1, "{}", out.warnings);
    let span = found[0].span.expect("a span");
    assert_eq!((span.line, span.column), (10, 3));
    assert_eq!(found[0].pointer, "/resources/big");
    assert!(
        found[0].message.contains("Secret `big`"),
        "{}",
        found[0].message
    );
}
