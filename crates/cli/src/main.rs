//! The `score` command. Thin: argument parsing and file system access live here, everything
//! else in the `score-spec` and `score-compile` crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod commands;
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
    /// Compile Score files into Kubernetes manifests, a Docker Compose file or a Backstage
    /// catalog.
    ///
    /// All workloads given are compiled together: resources with the same `id` are shared,
    /// and workloads can refer to each other (`type: service`). Every resource is provisioned
    /// by the first matching provisioner: those of `--provisioners` files in order, then the
    /// built-in ones (the Backstage catalog provisions nothing). Command provisioners
    /// (`cmd://`) in those files run their programs. Exit status: 0 on success, 1
    /// when a file is invalid or cannot be compiled (nothing is written then), 2 for usage
    /// errors.
    Compile(Box<compile::Args>),
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
        Command::Compile(args) => compile::run(*args),
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
