//! `score compile`: the file system side of compiling (reading Score, provisioner and source
//! files; writing the output atomically). The compiling itself is `score-compile`'s.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use score_compile::targets::compose;
use score_compile::{Seed, kubernetes};
use score_spec::{Diagnostic, Diagnostics};

use crate::{inputs, report};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Kubernetes,
    Compose,
}

pub struct Request {
    pub target: Target,
    pub output: Option<PathBuf>,
    pub project: Option<String>,
    pub publish: Vec<String>,
    pub env_file: Option<PathBuf>,
    pub namespace: Option<String>,
    pub provisioners: Vec<PathBuf>,
    pub image: Option<String>,
    pub seed: Option<String>,
    pub paths: Vec<PathBuf>,
}

pub fn run(request: Request) -> ExitCode {
    let usage = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    match request.target {
        Target::Kubernetes => {
            for (given, flag) in [
                (request.project.is_some(), "--project"),
                (!request.publish.is_empty(), "--publish"),
                (request.env_file.is_some(), "--env-file"),
            ] {
                if given {
                    return usage(format!("{flag} is for `--target compose`"));
                }
            }
        }
        Target::Compose => {
            if request.namespace.is_some() {
                return usage("--namespace is for `--target kubernetes`".into());
            }
        }
    }
    if let Some(project) = &request.project
        && !is_project_name(project)
    {
        return usage(format!(
            "`{project}` cannot name a Compose project: use lower-case letters, digits, `-` and `_`, starting with a letter or digit"
        ));
    }
    let mut publish = Vec::new();
    for p in &request.publish {
        match p.parse::<compose::Publish>() {
            Ok(p) => publish.push(p),
            Err(message) => return usage(format!("--publish: {message}")),
        }
    }
    if let Some(ns) = &request.namespace
        && !is_dns_label(ns)
    {
        eprintln!(
            "error: `{ns}` cannot name a namespace: use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit"
        );
        return ExitCode::from(2);
    }
    let files = match inputs::collect(&request.paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };

    let mut problems: Vec<Diagnostic> = Vec::new();
    let mut workloads = Vec::new();
    for file in &files {
        match inputs::read(file) {
            Ok(source) => match score_spec::parse_workload_with(source, &Default::default()) {
                Ok(parsed) => {
                    problems.extend(parsed.warnings);
                    workloads.push(parsed.workload);
                }
                Err(diagnostics) => problems.extend(diagnostics),
            },
            Err(diagnostic) => problems.push(*diagnostic),
        }
    }
    let mut provisioners = Vec::new();
    for path in &request.provisioners {
        let parsed = inputs::read(path)
            .map_err(|d| Diagnostics(vec![*d]))
            .and_then(|source| score_compile::parse_provisioners(source.text(), source.name()));
        match parsed {
            Ok(list) => provisioners.extend(list),
            Err(diagnostics) => problems.extend(diagnostics),
        }
    }
    if problems.iter().any(Diagnostic::is_error) {
        report::compile_problems(&problems);
        return ExitCode::from(1);
    }

    let seed = request.seed.map(Seed::new).unwrap_or_default();
    let read_source = |score_file: &str, path: &str| read_relative(Path::new(score_file), path);
    let compiled = match request.target {
        Target::Kubernetes => kubernetes::compile(
            &workloads,
            &kubernetes::Options {
                namespace: request.namespace,
                image: request.image,
                seed,
                provisioners,
                files: &read_source,
            },
        )
        .map(|out| (out.to_yaml(), None, out.warnings)),
        Target::Compose => compose::compile(
            &workloads,
            &compose::Options {
                project: request.project,
                image: request.image,
                seed,
                provisioners,
                files: &read_source,
                publish,
            },
        )
        .map(|out| (out.to_yaml(), Some(out.env_file()), out.warnings)),
    };
    let (text, env_file, warnings) = match compiled {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            problems.extend(diagnostics);
            report::compile_problems(&problems);
            return ExitCode::from(1);
        }
    };
    problems.extend(warnings.iter().cloned());
    if !problems.is_empty() {
        report::compile_problems(&problems);
    }
    if let (Some(path), Some(content)) = (&request.env_file, &env_file)
        && let Err(e) = write_atomically(path, content.as_bytes())
    {
        eprintln!("error: cannot write `{}`: {e}", path.display());
        return ExitCode::from(1);
    }
    match request.output.as_deref() {
        None => print_stdout(&text),
        Some(path) if path == Path::new("-") => print_stdout(&text),
        Some(path) => match write_atomically(path, text.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                ExitCode::from(1)
            }
        },
    }
}

fn print_stdout(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

/// Writes to a temporary file beside `path`, then renames it over `path`: readers see the old
/// file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Reads `path` relative to the directory of `score_file`, refusing to leave that directory
/// (also through symbolic links).
fn read_relative(score_file: &Path, path: &str) -> Result<Vec<u8>, String> {
    let dir = score_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let full = dir.join(path);
    let reason = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    };
    let canonical_dir = dir.canonicalize().map_err(reason)?;
    let canonical = full.canonicalize().map_err(reason)?;
    if !canonical.starts_with(&canonical_dir) {
        return Err(
            "it resolves (through a symbolic link) to a file outside the Score file's directory"
                .into(),
        );
    }
    if canonical.is_dir() {
        return Err("it is a directory".into());
    }
    std::fs::read(&canonical).map_err(reason)
}

fn is_project_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}
