//! Writing what `score compile` produces: the `-o` file (or stdout) and the `--env-file`.
//!
//! This module owns every write of the compile command, and these rules:
//! - neither file may be one of the inputs, nor both the same file ([`refuse_inputs`], checked
//!   before anything is read), compared by identity (device and inode), so another spelling, a
//!   symbolic or a hard link counts too;
//! - a file is replaced through an exclusive (`O_EXCL`), randomly named temporary file beside
//!   it, then renamed over it: readers see the old file or the new one, a planted symbolic
//!   link is never followed, and a failed write leaves nothing behind;
//! - an existing file keeps its permission bits, and its owner and group where the user may
//!   set them (a group that cannot be kept loses its permission bits, so no one gains
//!   access); a new file is 0600 when it holds secrets ([`holds_secrets`]; an env file
//!   always), else 0666 less the umask;
//! - an existing env file is merged (`compose::merge_env_file`), never replaced, and left
//!   alone when there is nothing to add.

use std::fs::{File, Metadata};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use score_compile::Compiled;
use score_compile::compose;
use score_spec::Diagnostic;

/// Refuses (as a usage message) an `-o` or `--env-file` that names one of `inputs` (the Score
/// files, overrides and provisioner files), and an `-o` that is the `--env-file`.
pub fn refuse_inputs(
    output: Option<&Path>,
    env_file: Option<&Path>,
    inputs: &[PathBuf],
) -> Result<(), String> {
    let output = output.filter(|p| *p != Path::new("-"));
    for (flag, destination) in [("-o", output), ("--env-file", env_file)] {
        let Some(destination) = destination else {
            continue;
        };
        let Some(id) = platform::identity(destination) else {
            continue;
        };
        if let Some(input) = inputs
            .iter()
            .find(|i| platform::identity(i).as_ref() == Some(&id))
        {
            return Err(format!(
                "{flag} `{}` is the input `{}`: writing it would destroy it; name another file",
                destination.display(),
                input.display()
            ));
        }
    }
    if let (Some(output), Some(env_file)) = (output, env_file)
        && same_file(output, env_file)
    {
        return Err(format!(
            "-o `{}` and --env-file `{}` are the same file: name two different files",
            output.display(),
            env_file.display()
        ));
    }
    Ok(())
}

/// Whether `a` and `b` are one file: the same inode when both exist, else the same name in
/// the same (canonical) directory.
fn same_file(a: &Path, b: &Path) -> bool {
    if let (Some(a), Some(b)) = (platform::identity(a), platform::identity(b)) {
        return a == b;
    }
    let place = |p: &Path| Some((directory(p).canonicalize().ok()?, p.file_name()?.to_owned()));
    matches!((place(a), place(b)), (Some(a), Some(b)) if a == b)
}

fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether the compiled output holds a secret in plain text: a Kubernetes `Secret` object, or,
/// for Compose (`plain_values`: outputs are written as values), any secret output of a
/// resource (a password `random()` drew, a command provisioner's output). Backstage entities
/// never do.
pub fn holds_secrets(compiled: &Compiled, plain_values: bool) -> bool {
    compiled
        .documents
        .iter()
        .any(|d| d.get("kind").and_then(|k| k.as_str()) == Some("Secret"))
        || (plain_values
            && compiled
                .resources
                .iter()
                .any(|r| !r.secret_outputs.is_empty()))
}

/// What to do with the `--env-file`, decided before anything is written.
pub struct EnvFile {
    path: PathBuf,
    /// The new text, `None` to leave the file as it is.
    text: Option<String>,
    /// What to tell the user about it.
    note: Option<String>,
}

impl EnvFile {
    /// Reads the existing env file at `path` (if any) and merges `variables` into it. An error
    /// is a file that cannot be read or is not an env file.
    pub fn prepare(path: &Path, variables: &[String]) -> Result<EnvFile, Box<Diagnostic>> {
        let mut env = EnvFile {
            path: path.to_path_buf(),
            text: None,
            note: None,
        };
        let existing = match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                env.text = Some(compose::env_file(variables));
                return Ok(env);
            }
            // The user's own file, named by a flag: read wherever it leads, within the budget.
            _ => crate::inputs::read(
                &crate::inputs::Input::trusted(path),
                crate::inputs::SCORE_BUDGET,
            )?,
        };
        if variables.is_empty() {
            env.note = Some(format!(
                "`{}` is left as it is: no `environment` resource reads a variable",
                path.display()
            ));
            return Ok(env);
        }
        let merged = compose::merge_env_file(existing.text(), variables)
            .map_err(|d| Box::new((*d).with_source(&existing)))?;
        if !merged.unused.is_empty() {
            env.note = Some(format!(
                "`{}` keeps {}, which no `environment` resource reads",
                path.display(),
                merged.unused.join(", ")
            ));
        }
        if !merged.added.is_empty() {
            env.text = Some(merged.text);
        }
        Ok(env)
    }
}

/// Everything `score compile` writes once the compile succeeded.
pub struct Outputs<'a> {
    /// `-o`; `None` or `-` for stdout.
    pub output: Option<&'a Path>,
    pub text: &'a str,
    /// Whether a new output file is created 0600 ([`holds_secrets`]).
    pub secret: bool,
    pub env_file: Option<EnvFile>,
    /// `--quiet`: no notes.
    pub quiet: bool,
}

impl Outputs<'_> {
    /// Writes the env file, then the output; an error is reported on stderr with exit code 1.
    pub fn write(self) -> ExitCode {
        if let Some(env) = &self.env_file {
            if let Some(note) = env.note.as_ref().filter(|_| !self.quiet) {
                eprintln!("note: {note}");
            }
            if let Some(text) = &env.text
                && let Err(e) = write_atomically(&env.path, text.as_bytes(), true)
            {
                eprintln!("error: cannot write `{}`: {e}", env.path.display());
                return ExitCode::from(1);
            }
        }
        match self.output {
            Some(path) if path != Path::new("-") => {
                match write_atomically(path, self.text.as_bytes(), self.secret) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: cannot write `{}`: {e}", path.display());
                        ExitCode::from(1)
                    }
                }
            }
            _ => print_stdout(self.text),
        }
    }
}

/// `text` on stdout; a closed pipe (`| head`) is the reader's choice, not an error.
pub fn print_stdout(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

/// Replaces `path` with `bytes`: written to a new, randomly named file beside it (created
/// with `O_EXCL`, so an existing file or link at that name is never opened), synced, then
/// renamed over `path`. The temporary file is removed when anything fails.
fn write_atomically(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    let existing = std::fs::metadata(path).ok().filter(Metadata::is_file);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    platform::new_file_mode(&mut builder, secret);
    let mut temporary = builder.tempfile_in(directory(path))?;
    if let Some(metadata) = &existing {
        platform::keep_attributes(temporary.as_file(), metadata)?;
    }
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    // On failure the error holds the temporary file, whose drop removes it.
    temporary.persist(path).map_err(|e| e.error)?;
    // The rename is durable once the directory is synced; some systems cannot, which is fine.
    let _ = File::open(directory(path)).and_then(|d| d.sync_all());
    Ok(())
}

#[cfg(unix)]
mod platform {
    use std::fs::{File, Metadata, Permissions};
    use std::os::unix::fs::{MetadataExt, PermissionsExt, fchown};
    use std::path::Path;

    /// What makes two paths one file: its device and inode.
    pub type Identity = (u64, u64);

    /// The identity of the file at `path` (through symbolic links), if it exists.
    pub fn identity(path: &Path) -> Option<Identity> {
        std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }

    /// 0600 for a file holding secrets, else 0666; the umask applies, as to any new file
    /// (0600 cannot gain from it).
    pub fn new_file_mode(builder: &mut tempfile::Builder<'_, '_>, secret: bool) {
        let mode = if secret { 0o600 } else { 0o666 };
        builder.permissions(Permissions::from_mode(mode));
    }

    /// Gives `file` the owner, group and permission bits of the file it replaces, as far as
    /// the user may: when the group cannot be kept, the group permission bits are dropped, so
    /// the new group gains nothing. Set-id bits are dropped, as writing to a file drops them.
    pub fn keep_attributes(file: &File, existing: &Metadata) -> std::io::Result<()> {
        let mut mode = existing.mode() & 0o1777;
        if fchown(file, Some(existing.uid()), Some(existing.gid())).is_err()
            && fchown(file, None, Some(existing.gid())).is_err()
            && file.metadata()?.gid() != existing.gid()
        {
            mode &= !0o070;
        }
        file.set_permissions(Permissions::from_mode(mode))
    }
}

#[cfg(not(unix))]
mod platform {
    use std::fs::{File, Metadata};
    use std::path::{Path, PathBuf};

    /// What makes two paths one file: its canonical path.
    pub type Identity = PathBuf;

    pub fn identity(path: &Path) -> Option<Identity> {
        path.canonicalize().ok()
    }

    /// The system's default: no mode bits to choose.
    pub fn new_file_mode(_: &mut tempfile::Builder<'_, '_>, _: bool) {}

    /// Keeps the read-only flag, the only permission there is.
    pub fn keep_attributes(file: &File, existing: &Metadata) -> std::io::Result<()> {
        file.set_permissions(existing.permissions())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_compares_names_of_files_that_do_not_exist_yet() {
        let dir = std::env::temp_dir();
        let a = dir.join("score-output-test-does-not-exist.env");
        let b = dir.join(".").join("score-output-test-does-not-exist.env");
        assert!(same_file(&a, &b));
        assert!(!same_file(&a, &dir.join("score-output-test-other.env")));
    }
}
