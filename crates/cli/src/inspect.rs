//! `score provisioners list` and `score resources`: what would provision what, without
//! writing any output.

use std::path::PathBuf;
use std::process::ExitCode;

use score_compile::targets::ResourceReport;
use score_compile::{Provisioner, compose, kubernetes};
use serde_json::{Value, json};

use crate::compile::{Loaded, Target, load};
use crate::report;

/// Table for people, JSON for programs.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

/// The arguments of `score provisioners list`.
#[derive(clap::Args)]
pub struct ProvisionersArgs {
    /// Whose built-in provisioners to list (Backstage provisions nothing).
    #[arg(long, value_enum, default_value_t = Target::Kubernetes)]
    target: Target,
    /// A provisioner file, listed before the built-ins (repeatable), as `compile` matches.
    #[arg(long = "provisioners", value_name = "FILE")]
    provisioners: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// The arguments of `score resources`.
#[derive(clap::Args)]
pub struct ResourcesArgs {
    /// The target whose provisioners to use.
    #[arg(long, value_enum, default_value_t = Target::Kubernetes)]
    target: Target,
    /// A provisioner file, consulted before the built-in provisioners (repeatable).
    #[arg(long = "provisioners", value_name = "FILE")]
    provisioners: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Score files, or directories searched recursively for `score.yaml`, `score.yml` and
    /// `score.json`.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn provisioners(args: ProvisionersArgs) -> ExitCode {
    let Loaded {
        provisioners,
        problems,
        ..
    } = match load(&[], &args.provisioners, &Default::default()) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if !problems.is_empty() {
        report::compile_problems(&problems, true);
        return ExitCode::from(1);
    }
    let built_in: &[Provisioner] = match args.target {
        Target::Kubernetes => score_compile::provisioners::kubernetes_defaults(),
        Target::Compose => score_compile::provisioners::compose_defaults(),
        Target::Backstage => &[],
    };
    let all: Vec<&Provisioner> = provisioners.iter().chain(built_in).collect();
    match args.format {
        Format::Json => print_json(&Value::Array(
            all.iter().map(|p| provisioner_json(p)).collect(),
        )),
        Format::Table => {
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|p| {
                    vec![
                        p.r#type.clone(),
                        p.class.clone().unwrap_or_else(|| "(any)".into()),
                        p.id.clone().unwrap_or_else(|| "(any)".into()),
                        p.supported_params
                            .as_ref()
                            .map_or_else(|| "(any)".into(), |v| v.join(", ")),
                        p.expected_outputs.join(", "),
                        p.description.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &["TYPE", "CLASS", "ID", "PARAMS", "OUTPUTS", "DESCRIPTION"],
                    &rows
                )
            );
        }
    }
    ExitCode::SUCCESS
}

fn provisioner_json(p: &Provisioner) -> Value {
    json!({
        "uri": p.uri,
        "type": p.r#type,
        "class": p.class,
        "id": p.id,
        "params": p.supported_params,
        "outputs": p.expected_outputs,
        "description": p.description,
        "file": p.file,
    })
}

pub fn resources(args: ResourcesArgs) -> ExitCode {
    if args.target == Target::Backstage && !args.provisioners.is_empty() {
        eprintln!("error: --provisioners is for `--target kubernetes or compose`");
        return ExitCode::from(2);
    }
    let Loaded {
        workloads,
        provisioners,
        provisioner_files,
        mut problems,
    } = match load(&args.paths, &args.provisioners, &Default::default()) {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    if problems.iter().any(|d| d.is_error()) {
        report::compile_problems(&problems, true);
        return ExitCode::from(1);
    }
    // Outputs' names do not depend on the seed or the image, so neither is asked for.
    let image = Some("image".to_owned());
    // Command provisioners run, as in `compile`: their outputs' names are only known then.
    let runner = crate::commands::ProcessRunner {
        timeout: crate::commands::DEFAULT_TIMEOUT,
        allowed_files: provisioner_files,
    };
    let target = match args.target {
        Target::Kubernetes => score_compile::Target::Kubernetes(kubernetes::Options {
            image,
            provisioners,
            commands: &runner,
            ..Default::default()
        }),
        Target::Compose => score_compile::Target::Compose(compose::Options {
            image,
            provisioners,
            commands: &runner,
            ..Default::default()
        }),
        Target::Backstage => score_compile::Target::Backstage(Default::default()),
    };
    let reports = match score_compile::compile(&workloads, &target) {
        Ok(compiled) => compiled.resources,
        Err(diagnostics) => {
            problems.extend(diagnostics);
            report::compile_problems(&problems, true);
            return ExitCode::from(1);
        }
    };
    match args.format {
        Format::Json => print_json(&serde_json::to_value(&reports).unwrap_or_default()),
        Format::Table => {
            let rows: Vec<Vec<String>> = reports.iter().enumerate().map(row).collect();
            print!(
                "{}",
                table(
                    &["#", "UID", "DECLARED BY", "PROVISIONER", "OUTPUTS"],
                    &rows
                )
            );
        }
    }
    ExitCode::SUCCESS
}

fn row((i, r): (usize, &ResourceReport)) -> Vec<String> {
    let outputs: Vec<String> = r
        .outputs
        .iter()
        .map(|o| {
            if r.secret_outputs.contains(o) {
                format!("{o} (secret)")
            } else {
                o.clone()
            }
        })
        .collect();
    vec![
        (i + 1).to_string(),
        r.uid.clone(),
        r.declared_by
            .iter()
            .map(|d| format!("{}.{}", d.workload, d.resource))
            .collect::<Vec<_>>()
            .join(", "),
        r.provisioner.clone().unwrap_or_else(|| "-".into()),
        outputs.join(", "),
    ]
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&headers).chain(rows) {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    }
    out
}
