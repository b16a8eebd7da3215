//! Problems that made every compile fail, reported by `parse_workload` already: a route port
//! that is not a service port, a volume naming an undeclared resource, and the placeholder
//! roots of Humanitec's older format.

use score_spec::{Diagnostic, Diagnostics};

fn errors(text: &str) -> Diagnostics {
    match score_spec::parse_workload(text, "score.yaml") {
        Ok(parsed) => panic!(
            "expected errors; warnings: {:?}",
            parsed
                .warnings
                .iter()
                .map(|d| &d.message)
                .collect::<Vec<_>>()
        ),
        Err(d) => d,
    }
}

fn valid(text: &str) {
    if let Err(d) = score_spec::parse_workload(text, "score.yaml") {
        panic!("expected valid:\n{d}");
    }
}

fn only<'a>(diagnostics: &'a Diagnostics, code: &str) -> &'a Diagnostic {
    let found: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.code == code).collect();
    assert_eq!(found.len(), 1, "expected one {code} in:\n{diagnostics}");
    found[0]
}

fn line_column(d: &Diagnostic) -> (u32, u32) {
    let span = d.span.expect("placed");
    (span.line, span.column)
}

fn route(port: &str, extra: &str) -> String {
    format!(
        "\
apiVersion: score.dev/v1b1
metadata:
  name: web
service:
  ports:
    http:
      port: 80
      targetPort: 8080
    admin:
      port: 9090
containers:
  main:
    image: nginx
resources:
  dns:
    type: dns
  route:
    type: route
{extra}    params:
      host: ${{resources.dns.host}}
      path: /
      port: {port}
"
    )
}

#[test]
fn a_route_port_that_is_not_a_service_port_is_an_error_at_the_param() {
    let d = errors(&route("8080", ""));
    let d = only(&d, "score::route::port");
    assert!(d.is_error());
    assert_eq!(d.pointer, "/resources/route/params/port");
    assert_eq!(line_column(d), (22, 13));
    assert_eq!(
        d.message,
        "route port `8080` is not a service port of workload `web`"
    );
    assert_eq!(
        d.help.as_deref(),
        Some(
            "the service ports of `web` are `http` (80), `admin` (9090); write one of their names or port numbers"
        )
    );

    let d = errors(&route("htp", ""));
    assert!(only(&d, "score::route::port").message.contains("`htp`"));
}

#[test]
fn a_route_to_a_workload_without_ports_says_to_declare_one() {
    let text = route("80", "").replace(
        "service:\n  ports:\n    http:\n      port: 80\n      targetPort: 8080\n    admin:\n      port: 9090\n",
        "",
    );
    let d = errors(&text);
    let help = only(&d, "score::route::port").help.clone().unwrap();
    assert!(help.contains("has no `service.ports`"), "{help}");
}

#[test]
fn route_ports_by_name_number_or_placeholder_and_shared_routes_validate() {
    valid(&route("http", ""));
    valid(&route("80", ""));
    valid(&route("'9090'", ""));
    // Resolved when compiling.
    valid(&route("${resources.dns.port}", ""));
    // A shared route's params belong to whichever declaring workload comes first.
    valid(&route("8080", "    id: front.route\n"));
    // Not a route: its params are its provisioner's business.
    valid(&route("8080", "").replace("type: route", "type: ingress-route"));
}

#[test]
fn a_volume_naming_an_undeclared_resource_says_so_at_the_source() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    volumes:
      /data:
        source: ${resources.date}
resources:
  data:
    type: volume
";
    let d = errors(text);
    let d = only(&d, "score::placeholder::unknown-resource");
    assert_eq!(d.pointer, "/containers/main/volumes/~1data/source");
    assert_eq!(line_column(d), (9, 17));
    assert_eq!(
        d.message,
        "the volume source `${resources.date}` names resource `date`, which is not declared: there is nothing to mount"
    );
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .starts_with("did you mean `data`?"),
        "{:?}",
        d.help
    );
}

#[test]
fn humanitec_placeholder_roots_say_what_they_were_and_what_to_write() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    variables:
      DB: ${externals.db.host}
      CACHE: ${shared.cache.host}
      POD: ${pod.metadata.name}
      OTHER: ${other.x}
";
    let d = errors(text);
    let unknown: Vec<&Diagnostic> = d
        .iter()
        .filter(|d| d.code == "score::placeholder::unknown-root")
        .collect();
    assert_eq!(unknown.len(), 4, "{d}");
    let at: Vec<(u32, u32)> = unknown.iter().map(|d| line_column(d)).collect();
    assert_eq!(at, [(8, 11), (9, 14), (10, 12), (11, 14)]);
    let help = |i: usize| unknown[i].help.clone().unwrap_or_default();
    assert!(help(0).starts_with("`${externals.ID.OUTPUT}` is Humanitec's placeholder for an output of a resource private to the workload; in Score, declare it under `resources:` and write `${resources.NAME.OUTPUT}`"), "{}", help(0));
    assert!(
        help(1).contains("shared between the workloads"),
        "{}",
        help(1)
    );
    assert!(help(1).contains("with an `id`"), "{}", help(1));
    assert!(help(2).contains("downward API"), "{}", help(2));
    assert!(help(2).contains("Score has no equivalent"), "{}", help(2));
    // Every one still says how to keep the text.
    for i in 0..4 {
        assert!(help(i).contains("escape it"), "{}", help(i));
    }
    assert!(!help(3).contains("Humanitec"), "{}", help(3));
}

#[test]
fn keys_of_an_environment_resource_are_variable_names() {
    let text = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx
    variables:
      GOOD: ${resources.env.API_KEY}
      DEFAULTED: ${resources.env.A:-x}
    files:
      /etc/app.conf:
        content: \"x=${resources.env.1ST} y=${resources.env.under_score9}\"
resources:
  env:
    type: environment
  db:
    type: postgres
";
    let d = errors(text);
    let bad: Vec<&Diagnostic> = d
        .iter()
        .filter(|d| d.code == "score::placeholder::environment-key")
        .collect();
    assert_eq!(bad.len(), 2, "{d}");
    assert_eq!(d.iter().filter(|d| d.is_error()).count(), 2, "{d}");
    assert_eq!(line_column(bad[0]), (9, 18));
    assert_eq!(bad[0].pointer, "/containers/web/variables/DEFAULTED");
    assert!(bad[0].message.contains("`A:-x`"), "{}", bad[0].message);
    assert!(
        bad[0].message.contains("`${resources.env.A:-x}`"),
        "{}",
        bad[0].message
    );
    let help = bad[0].help.as_deref().unwrap_or_default();
    assert!(help.contains("[A-Za-z_][A-Za-z0-9_]*"), "{help}");
    assert!(help.contains("default"), "{help}");
    assert_eq!(line_column(bad[1]), (12, 21));
    assert!(bad[1].message.contains("`1ST`"), "{}", bad[1].message);

    // Outputs of other resources are not variable names and keep any key.
    valid(
        &text
            .replace("${resources.env.A:-x}", "${resources.db.host}")
            .replace("${resources.env.1ST}", "${resources.db.user-name}"),
    );
}
