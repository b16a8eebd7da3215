//! Reading the files a workload's `files[].source` names. The library does no I/O itself: the
//! caller supplies a [`SourceFiles`] (the `score` command reads the file system).

/// Reads the file a `files` entry's `source` names. Any
/// `Fn(&str, &str) -> Result<Vec<u8>, String>` is one:
///
/// ```
/// use score_compile::kubernetes;
///
/// let text = "\
/// apiVersion: score.dev/v1b1
/// metadata:
///   name: web
/// containers:
///   web:
///     image: nginx
///     files:
///       /etc/app.conf:
///         source: app.conf
/// ";
/// let workload = score_spec::parse_workload(text, "web/score.yaml").unwrap().workload;
/// let read = |score_file: &str, path: &str| match (score_file, path) {
///     ("web/score.yaml", "app.conf") => Ok(b"debug = false\n".to_vec()),
///     _ => Err(format!("`{path}` is not here")),
/// };
/// let mut options = kubernetes::Options::default();
/// options.files = &read;
/// let output = kubernetes::compile(&[workload], &options).unwrap();
/// assert!(output.to_yaml().contains("debug = false"));
/// ```
pub trait SourceFiles {
    /// Returns the bytes of `path` relative to the directory of the Score file named
    /// `score_file`, or a sentence saying why it cannot. `path` is as written in the Score
    /// file, already checked to be relative and to stay inside that directory.
    fn read(&self, score_file: &str, path: &str) -> Result<Vec<u8>, String>;
}

/// Refuses every read: for callers that compile workloads without `source` files.
pub struct NoSourceFiles;

impl SourceFiles for NoSourceFiles {
    fn read(&self, _score_file: &str, _path: &str) -> Result<Vec<u8>, String> {
        Err("reading files is not available here".to_owned())
    }
}

impl<F: Fn(&str, &str) -> Result<Vec<u8>, String>> SourceFiles for F {
    fn read(&self, score_file: &str, path: &str) -> Result<Vec<u8>, String> {
        self(score_file, path)
    }
}

/// A `source` path must be relative and stay inside the Score file's directory.
pub fn check_source_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Err(
            "the path is absolute; `source` paths are relative to the Score file's directory"
                .to_owned(),
        );
    }
    let mut depth: i32 = 0;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Err("the path leads out of the Score file's directory".to_owned());
                }
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_paths_stay_inside() {
        assert!(check_source_path("a.txt").is_ok());
        assert!(check_source_path("conf/../a.txt").is_ok());
        assert!(check_source_path("../a.txt").is_err());
        assert!(check_source_path("conf/../../a.txt").is_err());
        assert!(check_source_path("/etc/passwd").is_err());
        assert!(check_source_path("").is_err());
    }
}
