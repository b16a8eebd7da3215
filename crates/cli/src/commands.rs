//! Running the programs of command provisioners (`cmd://`): where the program is, starting it
//! without a shell, feeding its stdin, collecting stdout and stderr, and stopping it when it
//! takes too long. What to send and how to read the answer is `score-compile`'s.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use score_compile::provisioners::{Command, CommandError, CommandOutput, CommandRunner, Program};

/// The default `--provisioner-timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// More than this on stdout is an error: a provisioner's answer is a small JSON object, and
/// a runaway program must not exhaust memory.
const MAX_STDOUT: usize = 64 * 1024 * 1024;
/// Only the end of stderr is shown in messages; this much of it is kept.
const KEPT_STDERR: usize = 64 * 1024;

/// Runs programs as child processes.
pub struct ProcessRunner {
    /// How long one run may take before the program is killed.
    pub timeout: Duration,
    /// The provisioner files given with `--provisioners`, named as they were read. Programs
    /// are run only for entries of these files (the built-in files have no command
    /// provisioners; this makes sure nothing else can start one).
    pub allowed_files: Vec<String>,
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
        let mut child = std::process::Command::new(&program)
            .args(command.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| CommandError::Start(start_error(&e, command.program, &program)))?;
        run_child(&mut child, command.stdin.clone(), self.timeout)
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

/// Feeds stdin, collects stdout and stderr (on threads, so that no pipe fills up and blocks
/// the program), and waits until it ends or `timeout` passes.
fn run_child(
    child: &mut Child,
    stdin: Vec<u8>,
    timeout: Duration,
) -> Result<CommandOutput, CommandError> {
    let deadline = Instant::now() + timeout;
    if let Some(mut pipe) = child.stdin.take() {
        // A program that exits without reading its input closes the pipe: not our error.
        thread::spawn(move || {
            let _ = pipe.write_all(&stdin);
        });
    }
    let stdout = Arc::new(Mutex::new(Collected::default()));
    let stderr = Arc::new(Mutex::new(Collected::default()));
    let (done, finished) = mpsc::channel();
    if let Some(pipe) = child.stdout.take() {
        collect(
            pipe,
            Arc::clone(&stdout),
            Keep::Start(MAX_STDOUT),
            done.clone(),
        );
    }
    if let Some(pipe) = child.stderr.take() {
        collect(
            pipe,
            Arc::clone(&stderr),
            Keep::End(KEPT_STDERR),
            done.clone(),
        );
    }
    drop(done);
    let take = |c: &Arc<Mutex<Collected>>| {
        let mut c = c.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut c.bytes), c.overflow)
    };

    let status = wait(child, deadline);
    // The pipes close when the program (and whatever it started) has exited.
    let mut open = 2;
    while status.is_some() && open > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        match finished.recv_timeout(left) {
            Ok(()) => open -= 1,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => break,
        }
    }
    let Some(status) = status.filter(|_| open == 0) else {
        let (stderr, _) = take(&stderr);
        return Err(CommandError::TimedOut {
            after: timeout,
            stderr,
        });
    };
    let (stdout, too_much) = take(&stdout);
    let (stderr, _) = take(&stderr);
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
    Ok(CommandOutput { stdout, stderr })
}

/// Waits for the program to exit until `deadline`; past it, kills it and returns `None`.
fn wait(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(_) => break,
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
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
