//! No function in `crates/*/src` is longer than [`LIMIT`] lines (the project's quality bar).

use std::path::Path;

use xtask::function_length::{LIMIT, functions_under, source_dirs};

#[test]
fn no_function_in_the_crates_is_longer_than_the_limit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs = source_dirs(&root).unwrap();
    assert!(dirs.len() >= 3, "crates/*/src not found: {dirs:?}");
    let all: Vec<_> = dirs
        .iter()
        .flat_map(|dir| functions_under(dir).unwrap())
        .collect();
    // The scan really sees the code: hundreds of functions, some of them long.
    assert!(all.len() > 500, "only {} functions found", all.len());
    assert!(all.iter().any(|f| f.lines > 50));
    let long: Vec<String> = all
        .iter()
        .filter(|f| f.lines > LIMIT)
        .map(|f| {
            format!(
                "{}:{}: `{}` has {} lines",
                f.file.display(),
                f.line,
                f.name,
                f.lines
            )
        })
        .collect();
    assert!(
        long.is_empty(),
        "functions longer than {LIMIT} lines (split them into named steps):\n{}",
        long.join("\n")
    );
}
