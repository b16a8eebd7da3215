//! The mutation harness: every Score file of the corpora, mutated deterministically
//! ([`crate::mutations`]), is validated and compiled for each target in process, with the
//! built-in provisioners and a `files` reader confined to the corpus directory. A case fails
//! when the library panics, takes longer than the time budget (a hang), or refuses an input
//! without saying why. Each failing input is written to a file to reproduce it with
//! `score validate`/`score compile`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use score_compile::{Target, backstage, compose, kubernetes};
use score_spec::{ParseOptions, SourceFile};

use crate::mutations::{Mutation, Rng};

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many mutated inputs.
    pub count: usize,
    /// Seeds the mutations: the same seed gives the same cases.
    pub seed: u64,
    /// Directories searched recursively for `.yaml`, `.yml` and `.json` files.
    pub corpora: Vec<PathBuf>,
    /// How long one case may take before it counts as a hang.
    pub budget: Duration,
    /// Where failing inputs are written.
    pub failures_dir: PathBuf,
}

/// One input that failed, and why.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Case number, file and mutations: enough to find it again.
    pub case: String,
    /// A panic's message, "hang", or what else was wrong.
    pub why: String,
    /// The input, as written to the failures directory.
    pub written_to: Option<PathBuf>,
}

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// Cases that passed.
    pub passed: usize,
    /// Of those, the inputs that were still valid workloads, so went on to the compilers.
    pub compiled: usize,
    /// Cases that failed.
    pub failures: Vec<Failure>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// The one summary line: `N passed, M failed`.
    pub fn summary(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failures.len())
    }
}

/// The Score files below `dirs`, sorted, each with the corpus directory it came from.
pub fn corpus_files(dirs: &[PathBuf]) -> std::io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut files = Vec::new();
    for dir in dirs {
        let root = dir.canonicalize()?;
        let mut pending = vec![root.clone()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d)? {
                let path = entry?.path();
                if path.is_dir() {
                    pending.push(path);
                } else if matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                ) {
                    files.push((path, root.clone()));
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Runs the harness: `options.count` cases, round-robin over the corpus files.
pub fn run(options: &Options) -> std::io::Result<Report> {
    let files = corpus_files(&options.corpora)?;
    if files.is_empty() {
        return Err(std::io::Error::other("no Score files in the corpus"));
    }
    let texts: Vec<String> = files
        .iter()
        .map(|(path, _)| std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()))
        .collect::<Result<_, _>>()?;
    let start = Instant::now();
    let mut report = Report::default();
    let mut rng = Rng::new(options.seed);
    let previous_hook = quiet_panics();
    for case in 0..options.count {
        let which = case % files.len();
        let (path, root) = &files[which];
        let (input, applied) = mutate(&texts[which], &mut rng);
        let job = {
            let (input, path, root) = (input.clone(), path.clone(), root.clone());
            move || check(&input, &path, &root)
        };
        let outcome = run_case(job, options.budget);
        match outcome {
            Ok(valid) => {
                report.passed += 1;
                report.compiled += usize::from(valid);
            }
            Err(why) => {
                let case = format!("case {case} ({}, {applied:?})", path.display());
                let written_to =
                    write_failure(&options.failures_dir, report.failures.len(), path, &input);
                report.failures.push(Failure {
                    case,
                    why,
                    written_to,
                });
            }
        }
    }
    std::panic::set_hook(previous_hook);
    report.elapsed = start.elapsed();
    Ok(report)
}

/// One to three mutations, chosen by `rng`.
fn mutate(text: &str, rng: &mut Rng) -> (String, Vec<Mutation>) {
    let mut out = text.to_owned();
    let mut applied = Vec::new();
    // Mostly one mutation, so that many inputs stay valid and reach the compilers.
    let count = match rng.below(20) {
        0..12 => 1,
        12..17 => 2,
        _ => 3,
    };
    for _ in 0..count {
        let m = *rng.pick(&Mutation::ALL);
        out = m.apply(&out, rng);
        applied.push(m);
    }
    (out, applied)
}

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

std::thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Replaces the panic hook by one that only records the message and place on the panicking
/// thread, so a panicking case is one line in the report, not a backtrace. Returns the old
/// hook, to put back.
fn quiet_panics() -> PanicHook {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()));
        let text = format!("panic: {message}{}", place.unwrap_or_default());
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
    }));
    previous
}

/// Runs one case on a worker thread; `Err` says what went wrong. A case still running after
/// `budget` is a hang: its thread is left behind (a thread cannot be stopped), the run goes on.
fn run_case(
    job: impl FnOnce() -> Result<bool, String> + Send + 'static,
    budget: Duration,
) -> Result<bool, String> {
    let (send, receive) = mpsc::channel();
    let worker = std::thread::Builder::new()
        .name("mutate-case".into())
        // The size of the main thread's stack, on which `score` runs.
        .stack_size(8 << 20)
        .spawn(move || {
            let result = catch_unwind(AssertUnwindSafe(job)).unwrap_or_else(|_| {
                Err(LAST_PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_else(|| "panic".into()))
            });
            let _ = send.send(result);
        })
        .map_err(|e| format!("cannot start a worker thread: {e}"))?;
    match receive.recv_timeout(budget) {
        Ok(result) => {
            let _ = worker.join();
            result
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(format!("hang: still running after {budget:?}"))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("the worker ended without a result".into())
        }
    }
}

/// Validates `input` and, when valid (`Ok(true)`), compiles it for every target. Refusals must
/// come with an error diagnostic; panics are caught by the caller.
fn check(input: &str, path: &Path, root: &Path) -> Result<bool, String> {
    let name = path.to_string_lossy().into_owned();
    let workload = match score_spec::parse_workload_with(
        SourceFile::new(&name, input),
        &ParseOptions::default(),
    ) {
        Ok(parsed) => parsed.workload,
        Err(diagnostics) if diagnostics.has_errors() => return Ok(false),
        Err(_) => return Err("refused without an error diagnostic".into()),
    };
    let read = |score_file: &str, source: &str| read_inside(root, score_file, source);
    let image = || Some("registry.example/app:1.0".to_owned());
    let mut kubernetes_options = kubernetes::Options::default();
    kubernetes_options.image = image();
    kubernetes_options.files = &read;
    let mut compose_options = compose::Options::default();
    compose_options.image = image();
    compose_options.files = &read;
    let targets = [
        Target::Kubernetes(kubernetes_options),
        Target::Compose(compose_options),
        Target::Backstage(backstage::Options::default()),
    ];
    for target in &targets {
        if let Err(diagnostics) = score_compile::compile(std::slice::from_ref(&workload), target)
            && !diagnostics.has_errors()
        {
            return Err("a compile failed without an error diagnostic".into());
        }
    }
    Ok(true)
}

/// The `files` reader: `source` next to the Score file, only inside the corpus directory.
fn read_inside(root: &Path, score_file: &str, source: &str) -> Result<Vec<u8>, String> {
    let dir = Path::new(score_file).parent().unwrap_or(root);
    let path = dir.join(source).canonicalize().map_err(|e| e.to_string())?;
    if !path.starts_with(root) {
        return Err("outside the corpus directory".into());
    }
    std::fs::read(&path).map_err(|e| e.to_string())
}

/// Writes a failing input as `failure-N.<ext of the original>`; `None` when it cannot.
fn write_failure(dir: &Path, n: usize, original: &Path, input: &str) -> Option<PathBuf> {
    let ext = original
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("yaml");
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(format!("failure-{n}.{ext}"));
    std::fs::write(&path, input).ok()?;
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_a_failure_naming_its_message_and_place() {
        let previous = quiet_panics();
        let outcome = run_case(|| panic!("boom {}", 42), Duration::from_secs(5));
        std::panic::set_hook(previous);
        let why = outcome.unwrap_err();
        assert!(why.starts_with("panic: boom 42 at "), "{why}");
        assert!(why.contains("mutate.rs:"), "{why}");
    }

    #[test]
    fn a_case_over_budget_is_a_hang() {
        let outcome = run_case(
            || {
                std::thread::sleep(Duration::from_secs(2));
                Ok(true)
            },
            Duration::from_millis(50),
        );
        assert!(outcome.unwrap_err().starts_with("hang: "));
        assert_eq!(run_case(|| Ok(true), Duration::from_secs(5)), Ok(true));
    }

    #[test]
    fn failing_inputs_are_written_for_reproduction() {
        let dir = std::env::temp_dir().join(format!("xtask-mutate-{}", std::process::id()));
        let written = write_failure(&dir, 3, Path::new("a/score.json"), "{}").unwrap();
        assert_eq!(written, dir.join("failure-3.json"));
        assert_eq!(std::fs::read_to_string(&written).unwrap(), "{}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn files_are_read_only_inside_the_corpus() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .canonicalize()
            .unwrap();
        let score_file = root.join("src/lib.rs");
        let score_file = score_file.to_str().unwrap();
        assert!(read_inside(&root, score_file, "mutate.rs").is_ok());
        assert!(read_inside(&root, score_file, "../../Cargo.toml").is_err());
        assert!(read_inside(&root, score_file, "missing").is_err());
    }
}
