//! `score compile`: the file system side of compiling (reading Score, provisioner and source
//! files; writing the output atomically). The compiling itself is `score-compile`'s.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use score_compile::kubernetes;
use score_compile::{ExternalWorkloads, backstage, compose};
use score_spec::overrides::Override;
use score_spec::{Diagnostic, Diagnostics, ParseOptions};

use score_compile::TargetKind;

use crate::{commands, inputs, output, report, seed};

/// Parses `--target`: the library's targets, with their descriptions and aliases as the
/// values `--help` lists.
#[derive(Clone)]
pub struct TargetParser;

impl clap::builder::TypedValueParser for TargetParser {
    type Value = TargetKind;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<TargetKind, clap::Error> {
        let values = clap::builder::PossibleValuesParser::new(target_values());
        let name = values.parse_ref(cmd, arg, value)?;
        name.parse()
            .map_err(|_| clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(target_values().into_iter()))
    }
}

/// The targets this command line maps flags to: a target the library gains is offered once
/// `compile` builds its options.
const SUPPORTED: [TargetKind; 3] = [
    TargetKind::Kubernetes,
    TargetKind::Compose,
    TargetKind::Backstage,
];

/// A target `--target` cannot name (it offers only [`SUPPORTED`]): a usage error, should one
/// get through.
pub fn unsupported_target(kind: TargetKind) -> ExitCode {
    eprintln!("error: this version of `score` cannot compile to {kind}");
    ExitCode::from(2)
}

fn target_values() -> Vec<clap::builder::PossibleValue> {
    TargetKind::ALL
        .iter()
        .filter(|k| SUPPORTED.contains(k))
        .map(|k| {
            clap::builder::PossibleValue::new(k.name())
                .help(k.description())
                .aliases(k.aliases())
        })
        .collect()
}

/// The arguments of `score compile`.
#[derive(clap::Args)]
pub struct Args {
    /// What to compile to.
    #[arg(long, value_parser = TargetParser)]
    target: TargetKind,
    /// Where to write the output; `-` or nothing for stdout. Written atomically; an existing
    /// file keeps its mode, a new one is 0600 when it holds secrets. Never an input file.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Kubernetes: put every object in this namespace. Backstage: the namespace the
    /// workloads run in (`backstage.io/kubernetes-namespace`).
    #[arg(short, long, value_name = "NS")]
    namespace: Option<String>,
    /// Also write the Namespace object of `--namespace`, first (Pod Security "restricted"
    /// in warn and audit mode).
    #[arg(long, help_heading = "Kubernetes")]
    generate_namespace: bool,
    /// A provisioner file, consulted before the built-in provisioners (repeatable; the
    /// first matching entry wins).
    #[arg(long = "provisioners", value_name = "FILE")]
    provisioners: Vec<PathBuf>,
    #[command(flatten)]
    programs: commands::ProgramArgs,
    /// The largest `files[].source` file read, in bytes [default: 4194304 (4 MiB)].
    #[arg(long, value_name = "BYTES")]
    max_source_size: Option<u64>,
    /// The image for containers whose `image` is `"."`.
    #[arg(short, long, value_name = "IMAGE")]
    image: Option<String>,
    /// Make a `service`/`service-port` resource naming a workload that is not compiled in
    /// this run an error, instead of assuming it is deployed elsewhere (with a warning).
    #[arg(long)]
    deny_external_workloads: bool,
    #[command(flatten)]
    seed: seed::SeedArgs,
    /// The project name (`name:` in the file).
    #[arg(short, long, value_name = "NAME", help_heading = "Compose")]
    project: Option<String>,
    /// Publish a workload's container port on the host (repeatable).
    #[arg(long, value_name = "HOST_PORT:WORKLOAD:PORT", help_heading = "Compose")]
    publish: Vec<String>,
    /// Build a container's image instead of pulling it (repeatable): `CONTAINER=CONTEXT`, or
    /// `CONTAINER={"context": …, "dockerfile": …}` for a whole Compose `build` section.
    /// `WORKLOAD.CONTAINER` when several workloads have that container. A relative CONTEXT is
    /// relative to the Compose file's directory. Wins over `--image`.
    #[arg(long, value_name = "CONTAINER=CONTEXT", help_heading = "Compose")]
    build: Vec<String>,
    /// The host port the routes' proxy (`score-routing`) listens on [default: 8080].
    #[arg(long, value_name = "PORT", help_heading = "Compose", value_parser = clap::value_parser!(u16).range(1..))]
    route_port: Option<u16>,
    /// Add the environment variables the file expects (from `environment` resources) to
    /// FILE as `KEY=` lines, sorted, keeping the lines already there (a new FILE is 0600).
    #[arg(long, value_name = "FILE", help_heading = "Compose")]
    env_file: Option<PathBuf>,
    /// The owner of workloads without a `backstage.score.dev/owner` annotation, an entity
    /// reference [default: user:guest].
    #[arg(long, value_name = "REF", help_heading = "Backstage")]
    owner: Option<String>,
    /// The lifecycle of workloads without a `backstage.score.dev/lifecycle` annotation
    /// [default: experimental].
    #[arg(long, value_name = "LIFECYCLE", help_heading = "Backstage")]
    lifecycle: Option<String>,
    /// The system of workloads without a `backstage.score.dev/system` annotation, an entity
    /// reference.
    #[arg(long, value_name = "REF", help_heading = "Backstage")]
    system: Option<String>,
    /// The catalog namespace of workloads without a `backstage.score.dev/namespace`
    /// annotation [default: default].
    #[arg(long, value_name = "NS", help_heading = "Backstage")]
    catalog_namespace: Option<String>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// How to print problems: `human` (source snippets; after 3 warnings with the same code,
    /// the others are counted in one line) or `github` (GitHub Actions annotations on the
    /// offending lines, every one; on stdout when `-o FILE` is given, else stderr).
    #[arg(long, value_enum, default_value_t = report::MessageFormat::Human)]
    message_format: report::MessageFormat,
    /// Print errors only: no warnings.
    #[arg(short, long)]
    quiet: bool,
    /// Score files, or directories searched recursively for `score.yaml`, `score.yml` and
    /// `score.json`.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// Changes to the Score file before it is validated (with exactly one Score file).
#[derive(clap::Args, Default)]
pub struct OverrideArgs {
    /// A YAML file deep-merged into the Score file (mappings merge, anything else replaces).
    #[arg(long, value_name = "FILE")]
    overrides_file: Vec<PathBuf>,
    /// Set one value (repeatable, applied after --overrides-file): a dot path (`\.` for a dot
    /// in a key, numbers index lists, `-1` appends) and a YAML value; `PATH=` deletes.
    #[arg(long, value_name = "PATH=VALUE")]
    override_property: Vec<String>,
}

impl OverrideArgs {
    fn given(&self) -> bool {
        !self.overrides_file.is_empty() || !self.override_property.is_empty()
    }

    /// The overrides, in the order they apply. `Err` is a usage error or the problems of an
    /// overrides file.
    pub fn read(&self, files: usize) -> Result<Vec<Override>, Result<String, Diagnostics>> {
        if self.given() && files != 1 {
            return Err(Ok(format!(
                "--overrides-file and --override-property change one Score file, but {files} were given"
            )));
        }
        let mut out = Vec::new();
        for path in &self.overrides_file {
            let source = inputs::read(&inputs::Input::named(path), inputs::SCORE_BUDGET)
                .map_err(|d| Err(Diagnostics(vec![*d])))?;
            out.push(
                Override::file(&source, &Default::default())
                    .map_err(|d| Err(Diagnostics(vec![*d])))?,
            );
        }
        for p in &self.override_property {
            out.push(
                Override::property(p).map_err(|why| Ok(format!("--override-property: {why}")))?,
            );
        }
        Ok(out)
    }
}

/// Workloads and provisioners read from the files named on the command line, and the
/// problems found in them.
pub struct Loaded {
    pub workloads: Vec<score_spec::Workload>,
    pub provisioners: Vec<score_compile::Provisioner>,
    /// The names of the provisioner files read: the only ones whose entries may run a
    /// program (the built-in provisioners run none).
    pub provisioner_files: Vec<String>,
    pub problems: Vec<Diagnostic>,
}

/// Reads the Score files under `paths` and the provisioner files. `Err` is a usage error (a
/// path that does not exist); problems inside files are in [`Loaded::problems`].
pub fn load(
    paths: &[PathBuf],
    provisioner_files: &[PathBuf],
    overrides: &OverrideArgs,
) -> Result<Loaded, String> {
    load_collected(&inputs::collect(paths)?, provisioner_files, overrides)
}

/// [`load`] for Score files already found by [`inputs::collect`].
fn load_collected(
    files: &[inputs::Input],
    provisioner_files: &[PathBuf],
    overrides: &OverrideArgs,
) -> Result<Loaded, String> {
    let mut problems: Vec<Diagnostic> = Vec::new();
    let options = ParseOptions {
        overrides: match overrides.read(files.len()) {
            Ok(list) => list,
            Err(Ok(usage)) => return Err(usage),
            Err(Err(diagnostics)) => {
                problems.extend(diagnostics);
                Vec::new()
            }
        },
        ..Default::default()
    };
    let mut workloads = Vec::new();
    for file in files {
        match inputs::read(file, inputs::SCORE_BUDGET) {
            Ok(source) => match score_spec::parse_workload_with(source, &options) {
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
    let mut names = Vec::new();
    for path in provisioner_files {
        let parsed = inputs::read(&inputs::Input::trusted(path), inputs::PROVISIONER_BUDGET)
            .map_err(|d| Diagnostics(vec![*d]))
            .and_then(|source| {
                names.push(source.name().to_owned());
                score_compile::parse_provisioners(source.text(), source.name())
            });
        match parsed {
            Ok(list) => provisioners.extend(list),
            Err(diagnostics) => problems.extend(diagnostics),
        }
    }
    Ok(Loaded {
        workloads,
        provisioners,
        provisioner_files: names,
        problems,
    })
}

/// `score generate`: `compile` writing the peers' default file when `-o` is not given, after
/// a note with the equivalent `score compile` command.
pub fn generate(mut request: Args) -> ExitCode {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    if let Some(first) = words.iter_mut().find(|w| *w == "generate") {
        *first = "compile".into();
    }
    if request.output.is_none() {
        let file = request.target.default_output();
        request.output = Some(PathBuf::from(file));
        if let Some(at) = words.iter().position(|w| w == "compile") {
            words.splice(at + 1..at + 1, ["-o".to_owned(), file.to_owned()]);
        }
    }
    // The seed is a secret: it must not reach a CI log.
    let mut hide_next = false;
    let quoted: Vec<String> = words
        .iter()
        .map(|w| {
            let hidden = std::mem::replace(&mut hide_next, w == "--seed");
            if hidden {
                "<seed>".to_owned()
            } else if w.starts_with("--seed=") {
                "--seed=<seed>".to_owned()
            } else {
                shell_quote(w)
            }
        })
        .collect();
    eprintln!(
        "note: `score generate` is `score compile` (no state directory, no `init` needed): score {}",
        quoted.join(" ")
    );
    run(request)
}

/// `word` as a POSIX shell reads it back: as is when it is plain, else single-quoted.
fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

pub fn run(request: Args) -> ExitCode {
    let usage = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(2)
    };
    let catalog = catalog_options(&request);
    let (publish, build) = match check_flags(&request, &catalog) {
        Ok(parsed) => parsed,
        Err(message) => return usage(message),
    };
    // The Score files are found once: checked against `-o` here, read by `load_collected`.
    let files = match inputs::collect(&request.paths).and_then(|f| refuse_inputs(&request, f)) {
        Ok(files) => files,
        Err(message) => return usage(message),
    };
    let seed = match request.seed.resolve() {
        Ok(resolved) => {
            if let Some(warning) = resolved.warning.filter(|_| !request.quiet) {
                eprintln!("{warning}");
            }
            resolved.seed
        }
        Err(message) => return usage(message),
    };
    let Loaded {
        workloads,
        provisioners,
        provisioner_files,
        mut problems,
    } = match load_collected(&files, &request.provisioners, &request.overrides) {
        Ok(loaded) => loaded,
        Err(message) => return usage(message),
    };
    let messages = report::Messages {
        format: request.message_format,
        quiet: request.quiet,
        // Annotations must not end up inside the YAML written to stdout.
        to_stdout: matches!(&request.output, Some(p) if p != Path::new("-")),
    };
    if problems.iter().any(Diagnostic::is_error) {
        messages.compile_problems(&problems);
        return ExitCode::from(1);
    }
    let runner = request.programs.runner(provisioner_files, false);

    let max_source = request
        .max_source_size
        .unwrap_or(inputs::DEFAULT_SOURCE_BYTES);
    let read_source =
        |score_file: &str, path: &str| read_relative(Path::new(score_file), path, max_source);
    let target = match request.target {
        TargetKind::Kubernetes => {
            let mut options = kubernetes::Options::default();
            options.namespace = request.namespace;
            options.generate_namespace = request.generate_namespace;
            options.image = request.image;
            options.seed = seed;
            options.provisioners = provisioners;
            options.files = &read_source;
            options.commands = &runner;
            options.external_workloads = external_workloads(request.deny_external_workloads);
            score_compile::Target::Kubernetes(options)
        }
        TargetKind::Compose => {
            let mut options = compose::Options::default();
            options.project = request.project;
            options.image = request.image;
            options.build = build;
            options.seed = seed;
            options.provisioners = provisioners;
            options.files = &read_source;
            options.commands = &runner;
            options.publish = publish;
            options.route_port = request.route_port.unwrap_or(compose::DEFAULT_ROUTE_PORT);
            options.external_workloads = external_workloads(request.deny_external_workloads);
            score_compile::Target::Compose(options)
        }
        TargetKind::Backstage => score_compile::Target::Backstage(catalog),
        other => return unsupported_target(other),
    };
    let compiled = match score_compile::compile(&workloads, &target) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            problems.extend(diagnostics);
            messages.compile_problems(&problems);
            return ExitCode::from(1);
        }
    };
    finish(
        &compiled,
        problems,
        &messages,
        request.output.as_deref(),
        request.env_file.as_deref(),
        request.target,
    )
}

/// Prints the problems of a compile that succeeded (and any in the env file) and writes the
/// output and the env file.
fn finish(
    compiled: &score_compile::Compiled,
    mut problems: Vec<Diagnostic>,
    messages: &report::Messages,
    output: Option<&Path>,
    env_file: Option<&Path>,
    target: TargetKind,
) -> ExitCode {
    problems.extend(compiled.warnings.iter().cloned());
    // `--env-file` is refused for other targets, so this is the Compose file's environment.
    let env_file = match env_file
        .map(|path| output::EnvFile::prepare(path, &compiled.environment))
        .transpose()
    {
        Ok(env) => env,
        Err(problem) => {
            problems.push(*problem);
            messages.compile_problems(&problems);
            return ExitCode::from(1);
        }
    };
    if !problems.is_empty() {
        messages.compile_problems(&problems);
    }
    output::Outputs {
        output,
        text: &compiled.text,
        // Compose writes resources' outputs as values; Kubernetes keeps secrets in Secrets.
        secret: output::holds_secrets(compiled, target == TargetKind::Compose),
        env_file,
        quiet: messages.quiet,
    }
    .write()
}

/// `-o` and `--env-file` must not name an input: the Score files `files` (also those a
/// directory walk finds), overrides and provisioner files. `Ok` gives `files` back.
fn refuse_inputs(request: &Args, files: Vec<inputs::Input>) -> Result<Vec<inputs::Input>, String> {
    let mut inputs: Vec<PathBuf> = files.iter().map(|input| input.path.clone()).collect();
    inputs.extend(request.overrides.overrides_file.iter().cloned());
    inputs.extend(request.provisioners.iter().cloned());
    output::refuse_inputs(
        request.output.as_deref(),
        request.env_file.as_deref(),
        &inputs,
    )?;
    Ok(files)
}

/// The Backstage options the flags give (checked in `check_flags`).
fn catalog_options(request: &Args) -> backstage::Options {
    let mut catalog = backstage::Options::default();
    catalog.owner = request.owner.clone();
    catalog.lifecycle = request.lifecycle.clone();
    catalog.system = request.system.clone();
    catalog.namespace = request.catalog_namespace.clone();
    catalog.kubernetes_namespace = request.namespace.clone();
    catalog
}

fn external_workloads(deny: bool) -> ExternalWorkloads {
    if deny {
        ExternalWorkloads::Deny
    } else {
        ExternalWorkloads::Assume
    }
}

/// Flags given for a target that has no use for them, and malformed flag values, as a usage
/// message; else the parsed `--publish` and `--build` flags.
fn check_flags(
    request: &Args,
    catalog: &backstage::Options,
) -> Result<(Vec<compose::Publish>, Vec<compose::Build>), String> {
    let flags = [
        (request.project.is_some(), "--project", "compose"),
        (!request.publish.is_empty(), "--publish", "compose"),
        (request.route_port.is_some(), "--route-port", "compose"),
        (request.env_file.is_some(), "--env-file", "compose"),
        (!request.build.is_empty(), "--build", "compose"),
        (
            request.generate_namespace,
            "--generate-namespace",
            "kubernetes",
        ),
        (
            request.namespace.is_some(),
            "--namespace",
            "kubernetes or backstage",
        ),
        (
            !request.provisioners.is_empty(),
            "--provisioners",
            "kubernetes or compose",
        ),
        (request.image.is_some(), "--image", "kubernetes or compose"),
        (
            request.max_source_size.is_some(),
            "--max-source-size",
            "kubernetes or compose",
        ),
        (
            request.deny_external_workloads,
            "--deny-external-workloads",
            "kubernetes or compose",
        ),
        (
            request.programs.provisioner_timeout.is_some(),
            "--provisioner-timeout",
            "kubernetes or compose",
        ),
        (
            !request.programs.provisioner_env.is_empty(),
            "--provisioner-env",
            "kubernetes or compose",
        ),
        (catalog.owner.is_some(), "--owner", "backstage"),
        (catalog.lifecycle.is_some(), "--lifecycle", "backstage"),
        (catalog.system.is_some(), "--system", "backstage"),
        (
            catalog.namespace.is_some(),
            "--catalog-namespace",
            "backstage",
        ),
    ];
    for (given, flag, targets) in flags {
        if given && !targets.split(" or ").any(|t| t == request.target.name()) {
            return Err(format!("{flag} is for `--target {targets}`"));
        }
    }
    if let Some((field, problem)) = catalog.problems().into_iter().next() {
        let flag = match field {
            "namespace" => "catalog-namespace",
            "kubernetes_namespace" => "namespace",
            other => other,
        };
        return Err(format!("--{flag}: {problem}"));
    }
    if request.generate_namespace && request.namespace.is_none() {
        return Err(
            "--generate-namespace writes the Namespace of `--namespace NS`: give that too".into(),
        );
    }
    if let Some(project) = &request.project
        && !is_project_name(project)
    {
        // score-compose's `-p` is `--publish`.
        let hint = if project.contains(':') {
            " (to publish a port, write `--publish`: here `-p` is `--project`)"
        } else {
            ""
        };
        return Err(format!(
            "`{project}` cannot name a Compose project: use lower-case letters, digits, `-` and `_`, starting with a letter or digit{hint}"
        ));
    }
    request.programs.check()?;
    let publish = parse_all(&request.publish, "--publish")?;
    let build = parse_all(&request.build, "--build")?;
    if let Some(ns) = &request.namespace
        && !score_compile::kubernetes::is_dns1123_label(ns)
    {
        return Err(format!(
            "`{ns}` cannot name a namespace: use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit"
        ));
    }
    Ok((publish, build))
}

/// Each value of a repeatable flag, parsed; the first that does not parse is a usage message.
fn parse_all<T: std::str::FromStr<Err = String>>(
    values: &[String],
    flag: &str,
) -> Result<Vec<T>, String> {
    values
        .iter()
        .map(|v| v.parse().map_err(|message| format!("{flag}: {message}")))
        .collect()
}

/// Reads `path` relative to the directory of `score_file`, refusing to leave that directory
/// (also through symbolic links), anything but a regular file, and more than `limit` bytes.
fn read_relative(score_file: &Path, path: &str, limit: u64) -> Result<Vec<u8>, String> {
    let dir = score_file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let full = dir.join(path);
    let reason = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => inputs::io_reason(&e),
    };
    let canonical_dir = dir.canonicalize().map_err(reason)?;
    let canonical = full.canonicalize().map_err(reason)?;
    if !canonical.starts_with(&canonical_dir) {
        return Err(
            "it resolves (through a symbolic link) to a file outside the Score file's directory"
                .into(),
        );
    }
    inputs::read_bytes(&canonical, limit).map_err(|refusal| match refusal {
        inputs::Refusal::Io(e) => reason(e),
        too_large @ inputs::Refusal::TooLarge { .. } => format!(
            "it is {} (raise the limit with `--max-source-size BYTES`)",
            too_large.reason()
        ),
        not_a_file => format!("it is {}", not_a_file.reason()),
    })
}

fn is_project_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
