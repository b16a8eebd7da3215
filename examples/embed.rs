//! Embedding score-rs: compile Score files to every target from your own program.
//!
//! ```sh
//! cargo run --example embed                              # the built-in sample
//! cargo run --example embed -- path/to/score.yaml ...    # your files
//! ```
//!
//! The library does no I/O of its own: this program reads the files, hands their text to
//! `score_compile::compile_sources`, and decides what to print. Diagnostics carry file, line
//! and column, and render with source snippets through `miette`.

use score_compile::{Target, backstage, compile_sources, compose, kubernetes};
use score_spec::SourceFile;

const SAMPLE: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  web:
    image: nginx:1.27
    variables:
      DATABASE_URL: postgres://${resources.db.username}:${resources.db.password}@${resources.db.host}/${resources.db.database}
service:
  ports:
    http:
      port: 8080
      targetPort: 80
resources:
  db:
    type: postgres
";

fn main() -> std::process::ExitCode {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let sources: Vec<SourceFile> = if paths.is_empty() {
        vec![SourceFile::new("sample/score.yaml", SAMPLE)]
    } else {
        let mut sources = Vec::new();
        for path in &paths {
            match std::fs::read_to_string(path) {
                Ok(text) => sources.push(SourceFile::new(path, text)),
                Err(e) => {
                    eprintln!("cannot read {path}: {e}");
                    return std::process::ExitCode::from(2);
                }
            }
        }
        sources
    };

    let targets = [
        (
            "kubernetes",
            Target::Kubernetes(kubernetes::Options::default()),
        ),
        ("compose", Target::Compose(compose::Options::default())),
        (
            "backstage",
            Target::Backstage(backstage::Options::default()),
        ),
    ];
    for (name, target) in &targets {
        match compile_sources(&sources, target) {
            Ok(compiled) => {
                println!(
                    "{name}: {} documents, {} bytes of YAML, {} warnings",
                    compiled.documents.len(),
                    compiled.text.len(),
                    compiled.warnings.len()
                );
                for r in &compiled.resources {
                    println!(
                        "  {} by {}: outputs {:?} (secret: {:?})",
                        r.uid,
                        r.provisioner.as_deref().unwrap_or("-"),
                        r.outputs,
                        r.secret_outputs
                    );
                }
            }
            Err(problems) => {
                for problem in problems {
                    eprintln!("{:?}", miette::Report::new(problem));
                }
                return std::process::ExitCode::from(1);
            }
        }
    }
    std::process::ExitCode::SUCCESS
}
