//! Finding and reading the Score files named on the command line.

use std::path::{Path, PathBuf};

use score_spec::{Diagnostic, SourceFile};

/// The file names searched for inside a directory.
const SCORE_FILE_NAMES: [&str; 3] = ["score.yaml", "score.yml", "score.json"];

/// Expands PATH arguments into files: a file stands for itself, a directory for every Score
/// file below it (sorted, so output order does not depend on the file system).
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        let metadata = std::fs::metadata(path)
            .map_err(|e| format!("cannot read `{}`: {}", path.display(), io_reason(&e)))?;
        if metadata.is_dir() {
            let before = files.len();
            walk(path, &mut files)
                .map_err(|e| format!("cannot read `{}`: {}", path.display(), io_reason(&e)))?;
            files[before..].sort();
            if files.len() == before {
                return Err(format!(
                    "no {} found under `{}`",
                    SCORE_FILE_NAMES.join(", "),
                    path.display()
                ));
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            // Hidden folders (.git) and build output hold no workloads.
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&entry.path(), files)?;
            }
        } else if SCORE_FILE_NAMES.contains(&name.as_ref()) {
            files.push(entry.path());
        }
    }
    Ok(())
}

/// Reads a file as UTF-8 text.
pub fn read(path: &Path) -> Result<SourceFile, Box<Diagnostic>> {
    let name = path.display().to_string();
    let fail = |code, message: String| {
        let mut d = Diagnostic::error(code, message);
        d.source = Some(SourceFile::new(&name, ""));
        Box::new(d)
    };
    let bytes = std::fs::read(path).map_err(|e| {
        fail(
            "score::input::unreadable",
            format!("cannot read the file: {}", io_reason(&e)),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(
            "score::input::encoding",
            format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    Ok(SourceFile::new(name, text))
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    }
}
