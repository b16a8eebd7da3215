//! Running the programs of command provisioners (`cmd://`): where the program is, starting it
//! without a shell, feeding its stdin, collecting stdout and stderr, and stopping it when it
//! takes too long. What to send and how to read the answer is `score-compile`'s.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use process_wrap::std::{ChildWrapper, CommandWrap};
use score_compile::{Command, CommandError, CommandOutput, CommandRunner, Program};

/// The default `--provisioner-timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// More than this on stdout is an error: a provisioner's answer is a small JSON object, and
/// a runaway program must not exhaust memory.
const MAX_STDOUT: usize = 64 * 1024 * 1024;
/// Only the end of stderr is shown in messages; this much of it is kept.
const KEPT_STDERR: usize = 64 * 1024;

/// The environment variables a program gets with `--provisioner-env`, besides those named
/// (and every `LC_*`): what programs need to find their interpreter and files.
#[cfg(not(windows))]
const BASE_ENVIRONMENT: [&str; 4] = ["PATH", "HOME", "LANG", "TMPDIR"];
#[cfg(windows)]
const BASE_ENVIRONMENT: [&str; 9] = [
    "PATH",
    "HOME",
    "LANG",
    "TMPDIR",
    "SYSTEMROOT",
    "TEMP",
    "TMP",
    "USERPROFILE",
    "PATHEXT",
];

/// The flags about running programs, shared by `compile`/`generate` and `resources`.
#[derive(clap::Args, Default)]
pub struct ProgramArgs {
    /// How long the program of a command provisioner (`cmd://`) may run before it is
    /// killed, with every process it started, and the compile fails [default: 60].
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub provisioner_timeout: Option<Duration>,
    /// Pass only this environment variable to command provisioners' programs (repeatable),
    /// besides PATH, HOME, LANG, LC_* and TMPDIR. Without it, programs get the whole
    /// environment but the seed (`SCORE_SEED`, `SCORE_SEED_FILE`), which they never get.
    #[arg(long, value_name = "NAME")]
    pub provisioner_env: Vec<String>,
}

impl ProgramArgs {
    /// Whether any of these flags was given.
    pub fn given(&self) -> bool {
        self.provisioner_timeout.is_some() || !self.provisioner_env.is_empty()
    }

    /// A usage message for a `--provisioner-env` that cannot be: the seed, or not a name.
    pub fn check(&self) -> Result<(), String> {
        for name in &self.provisioner_env {
            if crate::seed::VARIABLES.contains(&name.as_str()) {
                return Err(format!(
                    "--provisioner-env {name}: the seed is never passed to programs"
                ));
            }
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                return Err(format!(
                    "--provisioner-env `{name}` is not the name of an environment variable"
                ));
            }
        }
        Ok(())
    }

    /// The runner these flags describe, for the entries of `allowed_files` (checked with
    /// [`ProgramArgs::check`]). `announce`: say on stderr when a program is run (once per program).
    pub fn runner(&self, allowed_files: Vec<String>, announce: bool) -> ProcessRunner {
        ProcessRunner {
            timeout: self.provisioner_timeout.unwrap_or(DEFAULT_TIMEOUT),
            allowed_files,
            environment: if self.provisioner_env.is_empty() {
                Environment::AllButSeed
            } else {
                Environment::Only(self.provisioner_env.clone())
            },
            announced: announce.then(Default::default),
        }
    }
}

/// `--provisioner-timeout`: seconds, fractions allowed, more than zero.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            format!("`{text}` is not a number of seconds between 0 and 86400 (e.g. 60 or 0.5)")
        })
}

/// What environment a program gets.
pub enum Environment {
    /// Ours, without the seed variables.
    AllButSeed,
    /// Only these variables of ours, and [`BASE_ENVIRONMENT`] and `LC_*`.
    Only(Vec<String>),
}

impl Environment {
    fn apply(&self, command: &mut std::process::Command) {
        match self {
            Environment::AllButSeed => {
                for name in crate::seed::VARIABLES {
                    command.env_remove(name);
                }
            }
            Environment::Only(names) => {
                command.env_clear();
                for (name, value) in std::env::vars_os() {
                    let Some(text) = name.to_str() else { continue };
                    let passed = names.iter().any(|n| n == text)
                        || BASE_ENVIRONMENT.contains(&text)
                        || text.starts_with("LC_");
                    if passed && !crate::seed::VARIABLES.contains(&text) {
                        command.env(&name, value);
                    }
                }
            }
        }
    }
}

/// Runs programs as child processes, each in a process group of its own (a job object on
/// Windows) that is killed when the run is over, however it ended.
pub struct ProcessRunner {
    /// How long one run may take before the program is killed.
    pub timeout: Duration,
    /// The provisioner files given with `--provisioners`, named as they were read. Programs
    /// are run only for entries of these files (the built-in files have no command
    /// provisioners; this makes sure nothing else can start one).
    pub allowed_files: Vec<String>,
    /// What environment programs get.
    pub environment: Environment,
    /// When set, a note is printed on stderr the first time each program is run; these are
    /// the programs already announced.
    pub announced: Option<Mutex<BTreeSet<PathBuf>>>,
}

impl CommandRunner for ProcessRunner {
    fn run(&self, command: &Command) -> Result<CommandOutput, CommandError> {
        if !self.allowed_files.iter().any(|f| f == command.declared_in) {
            return Err(CommandError::Start(format!(
                "it is declared in `{}`, which was not given with `--provisioners`; only those files may run programs",
                command.declared_in
            )));
        }
        let program = resolve(command.program, Path::new(command.declared_in))?;
        self.announce(&program, command);
        let mut process = std::process::Command::new(&program);
        process
            .args(command.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.environment.apply(&mut process);
        let mut wrapped = CommandWrap::from(process);
        #[cfg(unix)]
        wrapped.wrap(process_wrap::std::ProcessGroup::leader());
        #[cfg(windows)]
        wrapped.wrap(process_wrap::std::JobObject);
        let child = wrapped
            .spawn()
            .map_err(|e| CommandError::Start(start_error(&e, command.program, &program)))?;
        let mut group = Group {
            child,
            killed: false,
        };
        run_child(&mut group, command.stdin.clone(), self.timeout)
    }
}

impl ProcessRunner {
    /// The note of `score resources`, once per program.
    fn announce(&self, program: &Path, command: &Command) {
        let Some(announced) = &self.announced else {
            return;
        };
        let mut announced = announced.lock().unwrap_or_else(|e| e.into_inner());
        if announced.insert(program.to_path_buf()) {
            eprintln!(
                "note: running `{}` (command provisioner `{}` from {}) to learn the outputs of {}",
                program.display(),
                command.uri,
                command.declared_in,
                command.resource
            );
        }
    }
}

/// A running program and the processes it started (its process group or job object): all
/// killed when this is dropped, so that none outlives the run, whichever way it ended.
struct Group {
    child: Box<dyn ChildWrapper>,
    killed: bool,
}

impl Group {
    /// Kills every process of the group (the program too, if it still runs) and reaps the
    /// program. Once only: afterwards the group's id may name another group.
    fn kill(&mut self) {
        if !std::mem::replace(&mut self.killed, true) {
            let _ = self.child.start_kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The program a uri names; `declared_in` is the provisioner file (relative programs are
/// relative to its directory, so a provisioner file and its scripts can move together).
fn resolve(program: &Program, declared_in: &Path) -> Result<PathBuf, CommandError> {
    Ok(match program {
        // Looked up on PATH when started (no `/` in the name).
        Program::OnPath(name) => PathBuf::from(name),
        Program::Relative(path) => {
            let dir = declared_in
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            // `./x` is written for the reader; `dir/x` reads better in messages than `dir/./x`.
            dir.join(path.strip_prefix("./").unwrap_or(path))
        }
        Program::Home(path) => {
            let home = std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    CommandError::Start(
                        "the home directory is unknown (HOME is not set), so `cmd://~/…` cannot be found".into(),
                    )
                })?;
            PathBuf::from(home).join(path)
        }
        Program::Absolute(path) => PathBuf::from(path),
    })
}

fn start_error(error: &std::io::Error, program: &Program, path: &Path) -> String {
    let shown = path.display();
    match error.kind() {
        std::io::ErrorKind::NotFound => match program {
            Program::OnPath(name) => format!("`{name}` was not found on PATH"),
            // A script whose `#!` interpreter is missing fails the same way.
            _ if path.is_file() => {
                format!("`{shown}` exists, but its interpreter (the `#!` line) was not found")
            }
            _ => format!("`{shown}` does not exist"),
        },
        std::io::ErrorKind::PermissionDenied if path.is_dir() => {
            format!("`{shown}` is a directory")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("`{shown}` is not executable (make it so with `chmod +x`)")
        }
        _ => format!("`{shown}`: {error}"),
    }
}

/// How a run ended.
enum Ended {
    /// The program exited and its stdout and stderr were closed.
    Exited(ExitStatus),
    /// It exited, but something kept stdout or stderr open until the deadline.
    Lingering(ExitStatus),
    /// It was still running at the deadline.
    TimedOut,
    /// Waiting for it failed.
    Lost(std::io::Error),
}

/// Feeds stdin, collects stdout and stderr (on threads, so that no pipe fills up and blocks
/// the program), and waits until it ends or `timeout` passes. Every process of the group is
/// killed before this returns.
fn run_child(
    group: &mut Group,
    stdin: Vec<u8>,
    timeout: Duration,
) -> Result<CommandOutput, CommandError> {
    let deadline = Instant::now() + timeout;
    if let Some(mut pipe) = group.child.stdin().take() {
        // A program that exits without reading its input closes the pipe: not our error.
        thread::spawn(move || {
            let _ = pipe.write_all(&stdin);
        });
    }
    let stdout = Arc::new(Mutex::new(Collected::default()));
    let stderr = Arc::new(Mutex::new(Collected::default()));
    let (done, finished) = mpsc::channel();
    if let Some(pipe) = group.child.stdout().take() {
        collect(
            pipe,
            Arc::clone(&stdout),
            Keep::Start(MAX_STDOUT),
            done.clone(),
        );
    }
    if let Some(pipe) = group.child.stderr().take() {
        collect(
            pipe,
            Arc::clone(&stderr),
            Keep::End(KEPT_STDERR),
            done.clone(),
        );
    }
    drop(done);
    let ended = wait(group, deadline, &finished);
    // The compile is over for this program: nothing it started may keep running.
    group.kill();
    let take = |c: &Arc<Mutex<Collected>>| {
        let mut c = c.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut c.bytes), c.overflow)
    };
    let (stdout, too_much) = take(&stdout);
    let (stderr, _) = take(&stderr);
    let status = match ended {
        Ended::Exited(status) => status,
        Ended::TimedOut => {
            return Err(CommandError::TimedOut {
                after: timeout,
                stderr,
            });
        }
        Ended::Lost(e) => {
            return Err(CommandError::Other {
                reason: format!("waiting for its program failed: {e}"),
                stderr,
            });
        }
        Ended::Lingering(status) => {
            return Err(CommandError::Lingering {
                status: status.to_string(),
                after: timeout,
                stderr,
            });
        }
    };
    if !status.success() {
        return Err(CommandError::Failed {
            status: status.to_string(),
            stderr,
        });
    }
    if too_much {
        return Err(CommandError::Other {
            reason: format!(
                "it printed more than {} MiB on stdout",
                MAX_STDOUT / 1024 / 1024
            ),
            stderr,
        });
    }
    Ok(CommandOutput::new(stdout, stderr))
}

/// Waits until `deadline` for the program to exit, then for its stdout and stderr to close
/// (`finished` hears of each; they close when the program and whatever it started to share
/// them are done).
fn wait(group: &mut Group, deadline: Instant, finished: &mpsc::Receiver<()>) -> Ended {
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match group.child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Ended::Lost(e),
        }
        let now = Instant::now();
        if now >= deadline {
            return Ended::TimedOut;
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let mut open = 2;
    while open > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        match finished.recv_timeout(left) {
            Ok(()) => open -= 1,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => return Ended::Lingering(status),
        }
    }
    Ended::Exited(status)
}

#[derive(Default)]
struct Collected {
    bytes: Vec<u8>,
    /// More came than was kept.
    overflow: bool,
}

#[derive(Clone, Copy)]
enum Keep {
    /// The first bytes, up to this many.
    Start(usize),
    /// The last bytes, about this many.
    End(usize),
}

/// Reads `pipe` to its end on a thread into `into`, then says so on `done`. The buffer is
/// shared, so what was read is there even if the reading never ends (a program that started
/// another one that keeps the pipe open).
fn collect(
    mut pipe: impl Read + Send + 'static,
    into: Arc<Mutex<Collected>>,
    keep: Keep,
    done: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            let n = match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut c = into.lock().unwrap_or_else(|e| e.into_inner());
            match keep {
                Keep::Start(limit) => {
                    let room = limit.saturating_sub(c.bytes.len());
                    c.bytes.extend_from_slice(&chunk[..n.min(room)]);
                    c.overflow |= n > room;
                }
                Keep::End(limit) => {
                    c.bytes.extend_from_slice(&chunk[..n]);
                    if c.bytes.len() > 2 * limit {
                        let cut = c.bytes.len() - limit;
                        c.bytes.drain(..cut);
                        c.overflow = true;
                    }
                }
            }
        }
        let _ = done.send(());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_programs_are_relative_to_the_provisioner_file() {
        let relative = Program::Relative("./cmd/p.py".into());
        assert_eq!(
            resolve(&relative, Path::new("conf/x.provisioners.yaml")).unwrap(),
            Path::new("conf/cmd/p.py")
        );
        assert_eq!(
            resolve(&relative, Path::new("x.provisioners.yaml")).unwrap(),
            Path::new("./cmd/p.py")
        );
        assert_eq!(
            resolve(&Program::Relative("../p".into()), Path::new("a/x.yaml")).unwrap(),
            Path::new("a/../p")
        );
        assert_eq!(
            resolve(&Program::OnPath("p".into()), Path::new("a/b.yaml")).unwrap(),
            Path::new("p")
        );
        assert_eq!(
            resolve(&Program::Absolute("/bin/p".into()), Path::new("a/b.yaml")).unwrap(),
            Path::new("/bin/p")
        );
    }
}
