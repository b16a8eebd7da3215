//! `score init`: a commented sample `score.yaml` that compiles as it is.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use score_compile::TargetKind;

use crate::compile::TargetParser;

/// The arguments of `score init`.
#[derive(clap::Args)]
pub struct Args {
    /// The target the sample's comments and annotations are written for.
    #[arg(long, value_parser = TargetParser, default_value_t = TargetKind::Kubernetes)]
    target: TargetKind,
    /// Where to write the sample. An existing file is never overwritten.
    #[arg(short, long, value_name = "FILE", default_value = "score.yaml")]
    file: PathBuf,
}

const HEADER: &str = "\
# A Score workload: one container, a PostgreSQL database, a DNS name and a route to port 8080.
# Reference: https://docs.score.dev/docs/score-specification/score-spec-reference/
";

const EDITOR_HINT: &str = "\
# Completion and checks in your editor (YAML language server): write the schema once with
#   score schema workload > score.schema.json
# then uncomment the next line.
# # yaml-language-server: $schema=./score.schema.json
";

const BODY: &str = "\
apiVersion: score.dev/v1b1
metadata:
  name: hello-world
ANNOTATIONS\
containers:
  web:
    image: nginx:1.27
    variables:
      # ${resources.NAME.OUTPUT} is filled in when compiling (on Kubernetes, the password as
      # a reference to the Secret that holds it).
      DATABASE_HOST: ${resources.db.host}
      DATABASE_PORT: ${resources.db.port}
      DATABASE_NAME: ${resources.db.database}
      DATABASE_USER: ${resources.db.username}
      DATABASE_PASSWORD: ${resources.db.password}
      PUBLIC_URL: http://${resources.dns.host}/
PROBE    resources:
      requests:
        cpu: 50m
        memory: 64Mi
      limits:
        memory: 128Mi
# How other workloads reach this one: port 8080 forwards to the container's port 80.
service:
  ports:
    www:
      port: 8080
      targetPort: 80
# What the workload needs; the platform's provisioners decide how each is made.
resources:
  db:
    type: postgres
  dns:
    type: dns
  route:
    type: route
    params:
      host: ${resources.dns.host}
      path: /
      port: 8080
";

/// The sample for `target`.
pub fn sample(target: TargetKind) -> String {
    let (next, annotations) = match target {
        TargetKind::Kubernetes => (
            "# Compile it:  score compile --target kubernetes -o manifests.yaml score.yaml\n",
            "",
        ),
        TargetKind::Compose => (
            "# Compile it:  score compile --target compose -o compose.yaml score.yaml\n# Run it:      docker compose -f compose.yaml up\n",
            "",
        ),
        TargetKind::Backstage => (
            "# Compile it:  score compile --target backstage -o catalog-info.yaml score.yaml\n",
            "  annotations:\n    # Who owns it, and how it is described, in the Backstage catalog.\n    backstage.score.dev/owner: group:my-team\n    backstage.score.dev/lifecycle: experimental\n    backstage.score.dev/description: A sample web workload with a database.\n    tags: web, example\n",
        ),
        // A target the sample has no notes for (`--target` offers none today).
        _ => ("", ""),
    };
    // Compose runs exec probes only; Kubernetes checks over HTTP without a client inside.
    let probe = match target {
        TargetKind::Compose => {
            "    readinessProbe:\n      exec:\n        command: [\"curl\", \"-fsS\", \"http://localhost/\"]\n"
        }
        _ => "    readinessProbe:\n      httpGet:\n        path: /\n        port: 80\n",
    };
    format!(
        "{HEADER}{next}{EDITOR_HINT}{}",
        BODY.replace("ANNOTATIONS", annotations)
            .replace("PROBE", probe)
    )
}

pub fn run(args: Args) -> ExitCode {
    // `create_new` refuses an existing file atomically: no check-then-write race.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&args.file);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: `{}` already exists; it was left as it is (remove it, or pass --file to write elsewhere)",
                args.file.display()
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: cannot create `{}`: {e}", args.file.display());
            return ExitCode::from(1);
        }
    };
    if let Err(e) = file.write_all(sample(args.target).as_bytes()) {
        eprintln!("error: cannot write `{}`: {e}", args.file.display());
        let _ = std::fs::remove_file(&args.file);
        return ExitCode::from(1);
    }
    eprintln!(
        "wrote {}; next: score compile --target {} {}",
        args.file.display(),
        args.target.name(),
        args.file.display()
    );
    ExitCode::SUCCESS
}
