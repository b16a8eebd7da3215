//! The `score` command. Thin: argument parsing and file system access live here, everything
//! else in the `score-spec` and `score-compile` crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod compile;
mod inputs;
mod report;

/// Validate and compile Score workload specifications (score.dev/v1b1).
#[derive(Parser)]
#[command(name = "score", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check Score files: YAML syntax, the v1b1 schema, placeholders, `before` and params cycles.
    ///
    /// Exit status: 0 when every file is valid (warnings allowed), 1 when any is invalid,
    /// 2 for usage errors (such as a path that does not exist).
    Validate {
        /// How to print diagnostics: `human` (source snippets, on stderr) or `json` (one array
        /// of diagnostics on stdout).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Score files, or directories searched recursively for `score.yaml`, `score.yml` and
        /// `score.json`.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<std::path::PathBuf>,
    },
    /// Compile Score files into Kubernetes manifests or a Docker Compose file.
    ///
    /// All workloads given are compiled together: resources with the same `id` are shared,
    /// and workloads can refer to each other (`type: service`). Every resource is provisioned
    /// by the first matching provisioner: those of `--provisioners` files in order, then the
    /// built-in ones. Exit status: 0 on success, 1 when a file is invalid or cannot be
    /// compiled (nothing is written then), 2 for usage errors.
    Compile {
        /// What to compile to.
        #[arg(long, value_enum)]
        target: Target,
        /// Where to write the output; `-` or nothing for stdout. Written atomically.
        #[arg(short, long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
        /// Kubernetes: put every object in this namespace.
        #[arg(short, long, value_name = "NS")]
        namespace: Option<String>,
        /// Compose: the project name (`name:` in the file).
        #[arg(short, long, value_name = "NAME")]
        project: Option<String>,
        /// Compose: publish a workload's container port on the host (repeatable).
        #[arg(long, value_name = "HOST_PORT:WORKLOAD:PORT")]
        publish: Vec<String>,
        /// Compose: write the environment variables the file expects (from `environment`
        /// resources) to FILE, as `KEY=` lines, sorted.
        #[arg(long, value_name = "FILE")]
        env_file: Option<std::path::PathBuf>,
        /// A provisioner file, consulted before the built-in provisioners (repeatable; the
        /// first matching entry wins).
        #[arg(long = "provisioners", value_name = "FILE")]
        provisioners: Vec<std::path::PathBuf>,
        /// The image for containers whose `image` is `"."`.
        #[arg(short, long, value_name = "IMAGE")]
        image: Option<String>,
        /// The secret that generated passwords are derived from. Without it, a fixed
        /// public default is used: fine for development clusters only.
        #[arg(long, env = "SCORE_SEED", value_name = "SEED", hide_env_values = true)]
        seed: Option<String>,
        /// Score files, or directories searched recursively for `score.yaml`, `score.yml` and
        /// `score.json`.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Target {
    /// Kubernetes manifests (multi-document YAML).
    Kubernetes,
    /// One Docker Compose file.
    Compose,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { format, paths } => validate(format, &paths),
        Command::Compile {
            target,
            output,
            namespace,
            project,
            publish,
            env_file,
            provisioners,
            image,
            seed,
            paths,
        } => compile::run(compile::Request {
            target: match target {
                Target::Kubernetes => compile::Target::Kubernetes,
                Target::Compose => compile::Target::Compose,
            },
            output,
            project,
            publish,
            env_file,
            namespace,
            provisioners,
            image,
            seed,
            paths,
        }),
    }
}

fn validate(format: Format, paths: &[std::path::PathBuf]) -> ExitCode {
    let files = match inputs::collect(paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut all = Vec::new();
    let mut invalid = 0;
    for file in &files {
        let diagnostics = match inputs::read(file) {
            Ok(source) => match score_spec::parse_workload_with(source, &Default::default()) {
                Ok(parsed) => parsed.warnings,
                Err(diagnostics) => diagnostics,
            },
            Err(diagnostic) => score_spec::Diagnostics(vec![*diagnostic]),
        };
        if diagnostics.has_errors() {
            invalid += 1;
        }
        all.extend(diagnostics);
    }
    match format {
        Format::Json => report::json(&all),
        Format::Human => report::human(&all, files.len(), invalid),
    }
    if invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
