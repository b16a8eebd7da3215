//! Finding and reading the files named on the command line, and every other file `score`
//! reads (overrides, provisioner and `files[].source` files), all through one reader.
//!
//! A pull request can put anything in a tree that CI then checks: a `score.yaml` that is a
//! symbolic link to `/proc/self/environ`, a FIFO, `/dev/zero`. So every read is bounded: only
//! regular files are read (the kind is checked before opening, and again on the opened
//! handle, which is opened without blocking so a FIFO swapped in cannot hang), the size is
//! checked before reading and the read itself stops one byte past the budget (procfs reports
//! a size of 0). A Score file that is a symbolic link must resolve inside the directory walked
//! (or, named on the command line, inside the working directory); a refused file is never read,
//! so its content cannot reach a snippet.

use std::io::Read;
use std::path::{Path, PathBuf};

use score_spec::{Diagnostic, SourceFile};

/// The file names searched for inside a directory.
const SCORE_FILE_NAMES: [&str; 3] = ["score.yaml", "score.yml", "score.json"];

/// How many bytes a kind of file may have, and what to say when one has more.
#[derive(Clone, Copy)]
pub struct Budget {
    pub bytes: u64,
    pub help: &'static str,
}

/// Score and overrides files: the parser's own limit, so both say the same.
pub const SCORE_BUDGET: Budget = Budget {
    bytes: 4 * 1024 * 1024,
    help: "a Score workload is a small file; check that this is the file you meant",
};

/// Provisioner files come from the platform team, not from a pull request: more room.
pub const PROVISIONER_BUDGET: Budget = Budget {
    bytes: 16 * 1024 * 1024,
    help: "a provisioner file is a few templates; check that this is the file you meant",
};

/// `files[].source` files, unless `--max-source-size` says otherwise.
pub const DEFAULT_SOURCE_BYTES: u64 = 4 * 1024 * 1024;

/// Where a file may be when it is reached through a symbolic link.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Confine {
    /// Anywhere: a regular file named by its real path, or a trusted file.
    No,
    /// Inside this directory (canonical): a file found by walking it.
    Walked { root: PathBuf, shown: String },
    /// Inside the working directory: a link named on the command line.
    WorkingDirectory,
}

/// One file to read, and where it may lead.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Input {
    pub path: PathBuf,
    confine: Confine,
}

impl Input {
    /// A file named on the command line (or in an `--overrides-file` flag): a symbolic link
    /// must resolve inside the working directory.
    pub fn named(path: &Path) -> Self {
        let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        Input {
            path: path.to_path_buf(),
            confine: if link {
                Confine::WorkingDirectory
            } else {
                Confine::No
            },
        }
    }

    /// A file the platform provides (`--provisioners`): read wherever it leads.
    pub fn trusted(path: &Path) -> Self {
        Input {
            path: path.to_path_buf(),
            confine: Confine::No,
        }
    }
}

/// Expands PATH arguments into files: a file stands for itself, a directory for every Score
/// file below it (sorted, so output order does not depend on the file system). Symbolic links
/// to directories are not followed.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<Input>, String> {
    let mut files = Vec::new();
    for path in paths {
        let cannot =
            |e: std::io::Error| format!("cannot read `{}`: {}", path.display(), io_reason(&e));
        let metadata = std::fs::metadata(path).map_err(cannot)?;
        if metadata.is_dir() {
            let before = files.len();
            let walked = Confine::Walked {
                root: path.canonicalize().map_err(cannot)?,
                shown: path.display().to_string(),
            };
            walk(path, &walked, &mut files).map_err(cannot)?;
            files[before..].sort();
            if files.len() == before {
                return Err(format!(
                    "no {} found under `{}`",
                    SCORE_FILE_NAMES.join(", "),
                    path.display()
                ));
            }
        } else {
            files.push(Input::named(path));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, walked: &Confine, files: &mut Vec<Input>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // The entry itself, not what a link points to: a link to a directory is not walked
        // (no loops, no way out of the tree).
        let kind = entry.file_type()?;
        if kind.is_dir() {
            // Hidden folders (.git) and build output hold no workloads.
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&entry.path(), walked, files)?;
            }
        } else if SCORE_FILE_NAMES.contains(&name.as_ref()) {
            files.push(Input {
                path: entry.path(),
                confine: if kind.is_symlink() {
                    walked.clone()
                } else {
                    Confine::No
                },
            });
        }
    }
    Ok(())
}

/// Why a file was not read.
#[derive(Debug)]
pub enum Refusal {
    Io(std::io::Error),
    /// Not a regular file: what it is instead (`a FIFO (named pipe)`).
    NotAFile(&'static str),
    /// More bytes than the budget: the size when known (procfs files say 0).
    TooLarge {
        size: Option<u64>,
        limit: u64,
    },
}

impl Refusal {
    /// The reason, as the end of a sentence starting "the file is" / "it is" / "cannot read".
    pub fn reason(&self) -> String {
        match self {
            Refusal::Io(e) => format!("cannot be read: {}", io_reason(e)),
            Refusal::NotAFile(kind) => format!("{kind}, not a regular file"),
            Refusal::TooLarge {
                size: Some(size),
                limit,
            } => format!("{size} bytes, more than the limit of {limit} bytes"),
            Refusal::TooLarge { size: None, limit } => {
                format!("more than the limit of {limit} bytes")
            }
        }
    }
}

/// Reads the regular file at `path`, at most `limit` bytes of it; anything else is refused
/// without reading it (and without blocking on it).
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, Refusal> {
    // What the path leads to, before opening it: opening a device can have effects.
    check(&std::fs::metadata(path).map_err(Refusal::Io)?, limit)?;
    let file = open(path).map_err(Refusal::Io)?;
    // The file actually opened, in case the path changed in between.
    let metadata = file.metadata().map_err(Refusal::Io)?;
    check(&metadata, limit)?;
    let mut bytes = Vec::with_capacity(metadata.len().min(limit) as usize);
    // One byte past the budget tells a file that grew (or lied about its size) from one that
    // fits exactly.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(Refusal::Io)?;
    if bytes.len() as u64 > limit {
        return Err(Refusal::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

fn check(metadata: &std::fs::Metadata, limit: u64) -> Result<(), Refusal> {
    if let Some(kind) = not_a_file(&metadata.file_type()) {
        return Err(Refusal::NotAFile(kind));
    }
    if metadata.len() > limit {
        return Err(Refusal::TooLarge {
            size: Some(metadata.len()),
            limit,
        });
    }
    Ok(())
}

/// What a file that is not a regular file is, for a message.
fn not_a_file(kind: &std::fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if kind.is_char_device() {
            return Some("a character device");
        }
        if kind.is_block_device() {
            return Some("a block device");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
    }
    Some("a special file")
}

/// Opens for reading without blocking (a FIFO would wait for a writer) and without taking a
/// terminal as the controlling one.
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// Reads a Score or overrides file (`SCORE_BUDGET`), or a provisioner file, as UTF-8 text.
/// A refused file gets a diagnostic on the file, with none of its content; its message names
/// the file, since there is no snippet to show the name.
pub fn read(input: &Input, budget: Budget) -> Result<SourceFile, Box<Diagnostic>> {
    let name = input.path.display().to_string();
    let fail = |d: Diagnostic| Box::new(d.with_source(&SourceFile::new(&name, "")));
    let path = confined(input, &name).map_err(|d| fail(*d))?;
    let bytes = read_bytes(&path, budget.bytes).map_err(|refusal| {
        fail(match refusal {
            Refusal::Io(e) => Diagnostic::error(
                "score::input::unreadable",
                format!("cannot read the file: {}", io_reason(&e)),
            ),
            Refusal::NotAFile(kind) => Diagnostic::error(
                "score::input::not-a-file",
                format!("`{name}` is {kind}, not a regular file; it was not read"),
            )
            .with_help("name a regular file (a Score file is YAML or JSON text)"),
            too_large => Diagnostic::error(
                "score::input::too-large",
                format!("`{name}` is {}", too_large.reason()),
            )
            .with_help(budget.help),
        })
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(Diagnostic::error(
            "score::input::encoding",
            format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })?;
    Ok(SourceFile::new(name, text))
}

/// The path to read: `input`'s own, or, for a symbolic link, where it resolves when that is
/// allowed.
fn confined(input: &Input, name: &str) -> Result<PathBuf, Box<Diagnostic>> {
    let (root, place, help) = match &input.confine {
        Confine::No => return Ok(input.path.clone()),
        Confine::Walked { root, shown } => (
            root.clone(),
            format!("`{shown}`"),
            format!("replace the link with the file, or link to a file inside `{shown}`"),
        ),
        Confine::WorkingDirectory => (
            std::env::current_dir()
                .and_then(|d| d.canonicalize())
                .map_err(|e| unreadable(&e))?,
            "the working directory".to_owned(),
            "run `score` where the link leads inside the working directory, or name the file by its real path".to_owned(),
        ),
    };
    let target = input.path.canonicalize().map_err(|e| unreadable(&e))?;
    if target.starts_with(&root) {
        return Ok(target);
    }
    Err(Box::new(
        Diagnostic::error(
            "score::input::outside-root",
            format!("`{name}` is a symbolic link to a file outside {place}; it was not read"),
        )
        .with_help(help),
    ))
}

fn unreadable(e: &std::io::Error) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(
        "score::input::unreadable",
        format!("cannot read the file: {}", io_reason(e)),
    ))
}

pub fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_budget_is_the_parsers_limit() {
        let limit = score_spec::Limits::default().max_bytes as u64;
        assert_eq!(SCORE_BUDGET.bytes, limit);
    }
}
