//! The `score` command. Thin: argument parsing and file system access live here, everything
//! else in the `score-spec` and `score-compile` crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod commands;
mod compile;
mod init;
mod inputs;
mod inspect;
mod output;
mod report;
mod seed;
mod terminal;
mod version;

const EXAMPLES: &str = "\
Examples:
  score init                                         write a sample score.yaml
  score validate services/                           check every score.yaml below services/
  score compile --target kubernetes -o manifests.yaml services/
  score compile --target compose -o compose.yaml score.yaml
  score compile --target backstage -o catalog-info.yaml services/
  score resources services/                          what each resource is provisioned by, its outputs
  score check-version '>=0.1.0'                      fail unless this score is at least 0.1.0
  score provisioners list --target compose           the provisioners, in match order";

/// Validate and compile Score workload specifications (score.dev/v1b1).
#[derive(Parser)]
#[command(
    name = "score",
    version,
    about,
    propagate_version = true,
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check Score files: YAML syntax, the v1b1 schema, placeholders, `before` and params cycles.
    ///
    /// Exit status: 0 when every file is valid (warnings allowed), 1 when any is invalid,
    /// 2 for usage errors (such as a path that does not exist), 3 for an internal error.
    Validate {
        /// How to print diagnostics: `human` (source snippets, on stderr; after 3 warnings
        /// with the same code, the others are counted in one line), `json` (one array of
        /// every diagnostic on stdout) or `github` (GitHub Actions annotations on stdout, so
        /// CI shows each on its line).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Print errors only: no warnings, and no summary line when every file is valid.
        #[arg(short, long)]
        quiet: bool,
        #[command(flatten)]
        overrides: compile::OverrideArgs,
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
    /// errors, 3 for an internal error (a bug in score).
    #[command(after_help = "Examples:
  score compile --target kubernetes -n shop -o manifests.yaml services/
  score compile --target kubernetes --provisioners platform.provisioners.yaml services/
  score compile --target compose -p shop --publish 8081:frontend:8080 -o compose.yaml services/
  score compile --target backstage --owner group:payments -o catalog-info.yaml services/")]
    Compile(Box<compile::Args>),
    /// `score compile` for people used to score-k8s and score-compose: the same flags, and
    /// without `-o` it writes their file (`manifests.yaml`, `compose.yaml`;
    /// `catalog-info.yaml` for Backstage). Prints the equivalent `score compile` command.
    #[command(after_help = "Examples:
  score generate --target k8s score.yaml          writes manifests.yaml
  score generate --target compose score.yaml      writes compose.yaml")]
    Generate(Box<compile::Args>),
    /// Write a commented sample `score.yaml` (a container, a database, a DNS name and a route)
    /// that compiles as it is. Never overwrites a file.
    Init(init::Args),
    /// Inspect provisioners.
    #[command(subcommand)]
    Provisioners(ProvisionersCommand),
    /// List the resources of Score files: identity, the provisioner that matched, outputs
    /// and their values (never those of secrets), in provisioning order; `--outputs UID`
    /// prints one resource's outputs as JSON, like score-k8s's `resources get-outputs`.
    Resources(inspect::ResourcesArgs),
    /// Exit 0 when this `score` satisfies CONSTRAINT (e.g. `>=0.1.0`), 1 when it does not,
    /// 2 when CONSTRAINT is malformed: score-k8s's and score-compose's `check-version`.
    #[command(after_help = "Examples:
  score check-version '>=0.1.0'
  score check-version =v0.1.0")]
    CheckVersion(version::Args),
    /// Print one of our JSON schemas, for editors and other tools.
    Schema {
        #[arg(value_enum, default_value_t = Schema::Workload)]
        which: Schema,
    },
    /// Print a shell completion script (e.g. `score completions bash > ~/.local/share/bash-completion/completions/score`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum ProvisionersCommand {
    /// The provisioners `compile` would consult, in match order: the files given, then the
    /// target's built-in ones.
    List(inspect::ProvisionersArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Schema {
    /// Score workloads (score.dev/v1b1), as this tool validates them.
    Workload,
    /// Provisioner files (`--provisioners`).
    Provisioners,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
    Github,
}

/// Exit status of an internal error: a panic, caught at the top (the table is in the
/// README: 0 success, 1 invalid input or failed compile, 2 usage, 3 internal error).
const INTERNAL_ERROR: u8 = 3;

fn main() -> ExitCode {
    // Usage errors exit 2 here, printed by clap.
    let cli = Cli::parse();
    catch_panics(move || run(cli.command))
}

/// Runs `command`; a panic in it becomes one line on stderr and exit status 3, not Rust's
/// panic message and backtrace (which `RUST_BACKTRACE=1` still shows, for developers).
fn catch_panics(command: impl FnOnce() -> ExitCode + std::panic::UnwindSafe) -> ExitCode {
    use std::sync::Mutex;
    static PANIC: Mutex<Option<String>> = Mutex::new(None);
    let developer = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic");
        let place = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut first) = PANIC.lock() {
            first.get_or_insert_with(|| format!("{message}{place}"));
        }
        if developer {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(command) {
        Ok(code) => code,
        Err(_) => {
            let what = PANIC
                .lock()
                .ok()
                .and_then(|mut p| p.take())
                .unwrap_or_else(|| "a panic".to_owned());
            eprintln!(
                "error: internal error: {}; this is a bug in score; please report it with the input (the Score files and flags used) at {}/issues",
                what.replace('\n', " "),
                env!("CARGO_PKG_REPOSITORY")
            );
            ExitCode::from(INTERNAL_ERROR)
        }
    }
}

fn run(command: Command) -> ExitCode {
    // A way to test the internal-error path; absent from release builds.
    #[cfg(debug_assertions)]
    if std::env::var_os("SCORE_DEBUG_PANIC").is_some_and(|v| v == "1") {
        panic!("SCORE_DEBUG_PANIC=1 is set: a deliberate panic");
    }
    match command {
        Command::Validate {
            format,
            quiet,
            overrides,
            paths,
        } => validate(format, quiet, &overrides, &paths),
        Command::Compile(args) => compile::run(*args),
        Command::Generate(args) => compile::generate(*args),
        Command::CheckVersion(args) => version::run(args),
        Command::Init(args) => init::run(args),
        Command::Provisioners(ProvisionersCommand::List(args)) => inspect::provisioners(args),
        Command::Resources(args) => inspect::resources(args),
        Command::Schema { which } => output::print_stdout(match which {
            Schema::Workload => score_spec::SCORE_V1B1_SCHEMA,
            Schema::Provisioners => score_compile::PROVISIONERS_SCHEMA,
        }),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            // Into memory first: clap_complete panics when stdout is closed (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut command, "score", &mut script);
            output::print_stdout(&String::from_utf8_lossy(&script))
        }
    }
}

fn validate(
    format: Format,
    quiet: bool,
    overrides: &compile::OverrideArgs,
    paths: &[std::path::PathBuf],
) -> ExitCode {
    let files = match inputs::collect(paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut all = Vec::new();
    let mut invalid = 0;
    let options = score_spec::ParseOptions {
        overrides: match overrides.read(files.len()) {
            Ok(list) => list,
            Err(Ok(usage)) => {
                eprintln!("error: {usage}");
                return ExitCode::from(2);
            }
            Err(Err(diagnostics)) => {
                invalid += 1;
                all.extend(diagnostics);
                Vec::new()
            }
        },
        ..Default::default()
    };
    for file in &files {
        let diagnostics = match inputs::read(file, inputs::SCORE_BUDGET) {
            Ok(source) => match score_spec::parse_workload_with(source, &options) {
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
        Format::Json => report::json(&report::keep(&all, quiet)),
        Format::Human => report::human(&all, files.len(), invalid, quiet),
        Format::Github => {
            report::github(&report::keep(&all, quiet), &mut std::io::stdout().lock());
            if !quiet || invalid > 0 {
                report::summary_only(&all, files.len(), invalid);
            }
        }
    }
    if invalid > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
