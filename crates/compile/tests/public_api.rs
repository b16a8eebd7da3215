//! The public surface of score-compile, pinned. Every item an embedder can name is used here
//! once, through its one public path, so removing, renaming or moving one fails to compile;
//! what each does is asserted too. Adding an item to the surface means adding it here (and to
//! the API boundary in ARCHITECTURE.md). `src/boundary.rs` pins the other side: internals and
//! struct literals of `#[non_exhaustive]` types do not compile from outside.

use std::cell::RefCell;

use score_compile::{
    Command, CommandError, CommandOutput, CommandRunner, Compiled, DEFAULT_SEED, Declarer,
    ExternalWorkloads, NoCommandRunner, NoSourceFiles, OutputFile, PROVISIONERS_SCHEMA, Program,
    Provisioner, ResourceReport, Seed, SourceFiles, Target, TargetKind, backstage,
    builtin_provisioners, compile, compile_sources, compose, kubernetes, parse_provisioners,
};
use score_spec::{SourceFile, Workload};

const WEB: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx:1.27
    variables:
      DB_HOST: ${resources.db.host}
    files:
      /etc/motd:
        source: motd.txt
service:
  ports:
    http:
      port: 80
resources:
  db:
    type: postgres
";

fn web() -> Workload {
    score_spec::parse_workload(WEB, "web/score.yaml")
        .unwrap_or_else(|d| panic!("{d}"))
        .workload
}

/// Reads `motd.txt` beside `web/score.yaml`, nothing else.
struct Motd;

impl SourceFiles for Motd {
    fn read(&self, score_file: &str, path: &str) -> Result<Vec<u8>, String> {
        match (score_file, path) {
            ("web/score.yaml", "motd.txt") => Ok(b"hello\n".to_vec()),
            _ => Err(format!("no `{path}`")),
        }
    }
}

#[test]
fn compile_and_compile_sources_are_one_entry_point_for_every_target() {
    let mut k8s = kubernetes::Options::default();
    k8s.files = &Motd;
    let targets = [
        Target::Kubernetes(k8s),
        Target::Compose({
            let mut options = compose::Options::default();
            options.files = &Motd;
            options
        }),
        Target::Backstage(backstage::Options::default()),
    ];
    let kinds: Vec<TargetKind> = targets.iter().map(Target::kind).collect();
    assert_eq!(kinds, TargetKind::ALL);
    for target in &targets {
        let kind = target.kind();
        let compiled: Compiled = compile(&[web()], target).unwrap_or_else(|d| panic!("{d}"));
        let file: &OutputFile = &compiled.files[0];
        assert_eq!(file.name, kind.default_output());
        assert_eq!(file.text, compiled.text);
        assert!(!compiled.documents.is_empty(), "{kind}");
        let report: &ResourceReport = &compiled.resources[0];
        assert_eq!(report.uid, "postgres.default#web.db");
        let declarer: &Declarer = &report.declared_by[0];
        assert_eq!(
            (declarer.workload.as_str(), declarer.resource.as_str()),
            ("web", "db")
        );
        assert_eq!(report.provisioner.is_some(), kind != TargetKind::Backstage);
    }
    // From texts: the same output, and every file's problems at once.
    let from_text = compile_sources(&[SourceFile::new("web/score.yaml", WEB)], &targets[2]);
    let from_workload = compile(&[web()], &targets[2]).unwrap();
    assert_eq!(from_text.unwrap().text, from_workload.text);
    assert_eq!("k8s".parse::<TargetKind>(), Ok(TargetKind::Kubernetes));
    assert_eq!(TargetKind::Kubernetes.aliases(), ["k8s"]);
    assert_eq!(TargetKind::Compose.name(), "compose");
    assert!(!TargetKind::Backstage.description().is_empty());
}

#[test]
fn kubernetes_module() {
    let mut options = kubernetes::Options::default();
    options.namespace = Some("shop".to_owned());
    options.files = &Motd;
    assert!(options.seed.is_default());
    options.seed = Seed::new("not the default");
    let output: kubernetes::Output = kubernetes::compile(&[web()], &options).unwrap();
    let deployment = output.manifests.iter().find(|m| m["kind"] == "Deployment");
    let deployment = deployment.expect("a Deployment");
    assert_eq!(deployment["metadata"]["namespace"], "shop");
    let labels = &deployment["metadata"]["labels"];
    assert_eq!(
        labels["app.kubernetes.io/managed-by"],
        kubernetes::MANAGED_BY
    );
    assert!(output.to_yaml().starts_with("---\n"));
    assert!(output.warnings.is_empty(), "{}", output.warnings);
    assert_eq!(output.resources.len(), 1);
    assert!(kubernetes::is_dns1123_label("shop"));
    assert!(!kubernetes::is_dns1123_label("Shop"));
    assert_eq!(kubernetes::KIND_ANNOTATION, "k8s.score.dev/kind");
    assert_eq!(
        kubernetes::SERVICE_NAME_ANNOTATION,
        "k8s.score.dev/service-name"
    );
    // Without a reader (`NoSourceFiles`), `files[].source` cannot be read.
    let defaulted = kubernetes::compile(&[web()], &kubernetes::Options::default());
    let codes: Vec<&str> = defaulted.unwrap_err().iter().map(|d| d.code).collect();
    assert_eq!(codes, ["score::file::unreadable"], "NoSourceFiles refuses");
    assert!(Seed::new(DEFAULT_SEED).is_default());
}

#[test]
fn compose_module() {
    let mut options = compose::Options::default();
    options.files = &Motd;
    options.project = Some("shop".to_owned());
    options.publish = vec!["8080:web:80".parse::<compose::Publish>().unwrap()];
    options.build = vec!["web=./src".parse::<compose::Build>().unwrap()];
    assert_eq!(options.route_port, compose::DEFAULT_ROUTE_PORT);
    let output: compose::Output = compose::compile(&[web()], &options).unwrap();
    assert_eq!(output.compose["name"], "shop");
    assert_eq!(
        output.compose["services"]["web-web"]["build"]["context"],
        "./src"
    );
    let ports = &output.compose["services"]["web-web"]["ports"][0];
    assert_eq!(
        (&ports["published"], &ports["target"]),
        (&"8080".into(), &80.into())
    );
    assert!(output.to_yaml().contains("name: shop\n"));
    assert_eq!(output.env_file(), compose::env_file(&output.environment));
    assert_eq!(compose::env_file(&["A".to_owned()]), "A=\n");
    let merged: compose::MergedEnvFile =
        compose::merge_env_file("A=1\n", &["A".to_owned(), "B".to_owned()]).unwrap();
    assert_eq!(merged.text, "A=1\nB=\n");
    assert_eq!(compose::escape_interpolation("$HOME"), "$$HOME");
    assert_eq!(compose::INIT_LABEL, "dev.score-rs.init");
    assert!(output.warnings.is_empty() && output.resources.len() == 1);
}

#[test]
fn backstage_module() {
    let mut options = backstage::Options::default();
    options.owner = Some("group:shop".to_owned());
    assert!(options.problems().is_empty());
    let output: backstage::Output = backstage::compile(&[web()], &options).unwrap();
    let component = &output.entities[0];
    assert_eq!(component["spec"]["owner"], "group:shop");
    assert_eq!(component["spec"]["lifecycle"], backstage::DEFAULT_LIFECYCLE);
    assert_eq!(component["spec"]["type"], backstage::DEFAULT_TYPE);
    assert!(output.to_yaml().contains("kind: Component"));
    assert!(output.warnings.is_empty() && output.resources.len() == 1);
    assert_eq!(backstage::DEFAULT_OWNER, "user:guest");
    assert_eq!(backstage::DEFAULT_NAMESPACE, "default");
    assert_eq!(backstage::ANNOTATION_PREFIX, "backstage.score.dev/");
    assert_eq!(backstage::TAGS_ANNOTATION, "tags");
    assert!(backstage::is_entity_name("web"));
    assert!(backstage::check_entity_ref("group:").is_err());
}

#[test]
fn provisioners_are_parsed_listed_and_matched() {
    let parsed: Vec<Provisioner> = parse_provisioners(
        "- uri: template://mine/db\n  type: postgres\n  class: big\n",
        "p.yaml",
    )
    .unwrap();
    let mine = &parsed[0];
    assert!(mine.matches("postgres", "big", None));
    assert!(!mine.matches("postgres", "default", None));
    assert_eq!(mine.location(), "p.yaml:1:3");
    let built_in = builtin_provisioners(TargetKind::Compose);
    assert!(built_in.iter().any(|p| p.r#type == "postgres"));
    assert!(builtin_provisioners(TargetKind::Backstage).is_empty());
    let schema: serde_json::Value = serde_json::from_str(PROVISIONERS_SCHEMA).unwrap();
    assert_eq!(schema["type"], "array");
}

/// Answers `cmd://provision-db` with a host, refuses anything else; remembers what it ran.
#[derive(Default)]
struct Canned {
    ran: RefCell<Vec<(Program, String)>>,
}

impl CommandRunner for Canned {
    fn run(&self, command: &Command) -> Result<CommandOutput, CommandError> {
        self.ran
            .borrow_mut()
            .push((command.program.clone(), command.declared_in.to_owned()));
        match command.program {
            Program::OnPath(name) if name == "provision-db" && command.args.is_empty() => {
                Ok(CommandOutput::new(
                    br#"{"resource_outputs": {"host": "db.internal"}}"#.to_vec(),
                    Vec::new(),
                ))
            }
            _ => Err(CommandError::Start("not allowed".to_owned())),
        }
    }
}

#[test]
fn command_provisioners_run_through_the_callers_runner() {
    let file = "- uri: cmd://provision-db\n  type: postgres\n";
    let runner = Canned::default();
    let mut options = kubernetes::Options::default();
    options.provisioners = parse_provisioners(file, "conf/p.yaml").unwrap();
    options.commands = &runner;
    options.files = &Motd;
    options.external_workloads = ExternalWorkloads::Deny;
    let output = kubernetes::compile(&[web()], &options).unwrap();
    assert!(output.to_yaml().contains("value: db.internal"));
    let ran = runner.ran.borrow();
    assert_eq!(
        *ran,
        [(Program::OnPath("provision-db".into()), "conf/p.yaml".into())]
    );
    assert_eq!(
        Program::parse("cmd://./bin/p"),
        Ok(Program::Relative("./bin/p".into()))
    );
    // The default runner refuses, and says so.
    options.commands = &NoCommandRunner;
    let refused = kubernetes::compile(&[web()], &options).unwrap_err();
    assert!(refused.iter().any(|d| d.message.contains("command runner")));
    assert_eq!(
        NoSourceFiles.read("web/score.yaml", "motd.txt").map(|_| ()),
        Err("reading files is not available here".to_owned())
    );
}
