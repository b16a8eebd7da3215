//! `score provisioners list` and `score resources`: what would provision what, without
//! writing any output.

use std::path::PathBuf;
use std::process::ExitCode;

use score_compile::ResourceReport;
use score_compile::{Provisioner, compose, kubernetes};
use serde_json::{Value, json};

use score_compile::TargetKind;

use crate::compile::{Loaded, TargetParser, load};
use crate::seed::SeedArgs;
use crate::{report, terminal};

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
    #[arg(long, value_parser = TargetParser, default_value_t = TargetKind::Kubernetes)]
    target: TargetKind,
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
    #[arg(long, value_parser = TargetParser, default_value_t = TargetKind::Kubernetes)]
    target: TargetKind,
    /// A provisioner file, consulted before the built-in provisioners (repeatable).
    #[arg(long = "provisioners", value_name = "FILE")]
    provisioners: Vec<PathBuf>,
    /// Print only the outputs of this resource (`type.class#workload.name`, or
    /// `type.class#id`), as score-k8s's `resources get-outputs` does: a JSON object by
    /// default. Secret outputs are left out.
    #[arg(long, value_name = "UID")]
    outputs: Option<String>,
    /// `table` (the default; for `--outputs`, `json`).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The image for containers whose `image` is `"."` [default: a stand-in: outputs do not
    /// depend on it].
    #[arg(short, long, value_name = "IMAGE")]
    image: Option<String>,
    // Values drawn from the seed are secrets, never shown, but names derived from them are.
    #[command(flatten)]
    seed: SeedArgs,
    // Command provisioners' programs run, as in `compile` (their outputs are only known
    // then); a note on stderr says so.
    #[command(flatten)]
    programs: crate::commands::ProgramArgs,
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
    let built_in = score_compile::builtin_provisioners(args.target);
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
            print_text(&table(
                &["TYPE", "CLASS", "ID", "PARAMS", "OUTPUTS", "DESCRIPTION"],
                &rows,
            ));
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
    if let Err(message) = check_flags(&args) {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let reports = match compile_reports(&args) {
        Ok(reports) => reports,
        Err(code) => return code,
    };
    if let Some(uid) = &args.outputs {
        return outputs_of(&reports, uid, args.format.unwrap_or(Format::Json));
    }
    match args.format.unwrap_or(Format::Table) {
        Format::Json => print_json(&serde_json::to_value(&reports).unwrap_or_default()),
        Format::Table => print_text(&resources_table(&reports)),
    }
    ExitCode::SUCCESS
}

/// A usage message for flags that cannot be used together or are malformed.
fn check_flags(args: &ResourcesArgs) -> Result<(), String> {
    if args.target == TargetKind::Backstage {
        if !args.provisioners.is_empty() {
            return Err("--provisioners is for `--target kubernetes or compose`".into());
        }
        if args.programs.given() {
            return Err(
                "--provisioner-timeout and --provisioner-env are for `--target kubernetes or compose`"
                    .into(),
            );
        }
    }
    args.programs.check()
}

/// Compiles without writing anything, for the reports; `Err` is the exit code after the
/// problems were printed.
fn compile_reports(args: &ResourcesArgs) -> Result<Vec<ResourceReport>, ExitCode> {
    let usage = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let seed = args.seed.resolve().map_err(usage)?;
    if let Some(warning) = &seed.warning {
        eprintln!("{warning}");
    }
    let seed = seed.seed;
    let Loaded {
        workloads,
        provisioners,
        provisioner_files,
        mut problems,
    } = load(&args.paths, &args.provisioners, &Default::default()).map_err(usage)?;
    if problems.iter().any(|d| d.is_error()) {
        report::compile_problems(&problems, true);
        return Err(ExitCode::from(1));
    }
    // Output names do not depend on the image: a stand-in spares asking for one.
    let image = Some(args.image.clone().unwrap_or_else(|| "image".to_owned()));
    // Command provisioners run, as in `compile`: their outputs are only known then. Someone
    // inspecting a pull request's workloads may not expect that, so each is announced.
    let runner = args.programs.runner(provisioner_files, true);
    let target = match args.target {
        TargetKind::Kubernetes => {
            let mut options = kubernetes::Options::default();
            options.image = image;
            options.seed = seed;
            options.provisioners = provisioners;
            options.commands = &runner;
            score_compile::Target::Kubernetes(options)
        }
        TargetKind::Compose => {
            let mut options = compose::Options::default();
            options.image = image;
            options.seed = seed;
            options.provisioners = provisioners;
            options.commands = &runner;
            score_compile::Target::Compose(options)
        }
        TargetKind::Backstage => score_compile::Target::Backstage(Default::default()),
        other => return Err(crate::compile::unsupported_target(other)),
    };
    score_compile::compile(&workloads, &target)
        .map(|compiled| compiled.resources)
        .map_err(|diagnostics| {
            problems.extend(diagnostics);
            report::compile_problems(&problems, true);
            ExitCode::from(1)
        })
}

/// `--outputs UID`: one resource's outputs, for scripts (`jq -r .host`).
fn outputs_of(reports: &[ResourceReport], uid: &str, format: Format) -> ExitCode {
    let Some(r) = reports.iter().find(|r| r.uid == uid) else {
        let known: Vec<&str> = reports.iter().map(|r| r.uid.as_str()).collect();
        eprintln!(
            "error: no resource `{uid}`; the resources are: {}",
            if known.is_empty() {
                "(none)".to_owned()
            } else {
                known.join(", ")
            }
        );
        return ExitCode::from(2);
    };
    match format {
        Format::Json => print_json(&serde_json::to_value(&r.values).unwrap_or_default()),
        Format::Table => {
            let rows: Vec<Vec<String>> = output_lines(r)
                .into_iter()
                .map(|(name, value)| vec![name, value])
                .collect();
            print_text(&table(&["OUTPUT", "VALUE"], &rows));
        }
    }
    ExitCode::SUCCESS
}

/// One row per resource, each followed by its outputs, indented: `name: value`.
fn resources_table(reports: &[ResourceReport]) -> String {
    let rows: Vec<Vec<String>> = reports.iter().enumerate().map(row).collect();
    let text = table(&["#", "UID", "DECLARED BY", "PROVISIONER"], &rows);
    let mut lines = text.lines();
    let mut out = String::new();
    out.extend(lines.next().map(|header| format!("{header}\n")));
    for (line, r) in lines.zip(reports) {
        out.push_str(line);
        out.push('\n');
        for (name, value) in output_lines(r) {
            // Values come from Score files and programs: no raw control characters.
            let (name, value) = (terminal::clean(&name), terminal::clean(&value));
            out.push_str(&format!("     {name}: {value}\n"));
        }
    }
    out
}

/// Each output by name: its value (a string as is, anything else as JSON), or what stands
/// for a secret.
fn output_lines(r: &ResourceReport) -> Vec<(String, String)> {
    r.outputs
        .iter()
        .map(|name| {
            let shown = match (r.values.get(name), r.secrets.get(name)) {
                (Some(Value::String(s)), _) => s.clone(),
                (Some(other), _) => other.to_string(),
                (None, Some(stand_in)) => stand_in.clone(),
                (None, None) => "<secret>".to_owned(),
            };
            (name.clone(), shown)
        })
        .collect()
}

fn row((i, r): (usize, &ResourceReport)) -> Vec<String> {
    vec![
        (i + 1).to_string(),
        r.uid.clone(),
        r.declared_by
            .iter()
            .map(|d| format!("{}.{}", d.workload, d.resource))
            .collect::<Vec<_>>()
            .join(", "),
        r.provisioner.clone().unwrap_or_else(|| "-".into()),
    ]
}

/// Pretty JSON on stdout.
fn print_json(value: &Value) {
    let text = terminal::json(serde_json::to_string_pretty(value).unwrap_or_default());
    print_text(&format!("{text}\n"));
}

/// `text` on stdout; a closed pipe (`| head`) is the reader's choice, not a panic.
fn print_text(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    // Cells quote Score files and programs: show control characters as stand-ins.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| terminal::clean(c).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&headers).chain(&rows) {
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
