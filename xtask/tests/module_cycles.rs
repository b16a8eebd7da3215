//! No two modules of a crate in `crates/*` import each other, directly or through others
//! (the project's quality bar; the rule is explained in `xtask::module_graph`).

use std::path::Path;

use xtask::function_length::source_dirs;
use xtask::module_graph::{crate_edges, cycles};

#[test]
fn no_modules_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs = source_dirs(&root).unwrap();
    assert!(dirs.len() >= 3, "crates/*/src not found: {dirs:?}");
    let mut problems = Vec::new();
    let mut edges_seen = 0;
    for dir in &dirs {
        let edges = crate_edges(dir).unwrap();
        edges_seen += edges.len();
        for (parent, cycle) in cycles(&edges) {
            let within = if parent.is_empty() {
                "the crate root".to_owned()
            } else {
                format!("`{}`", parent.join("::"))
            };
            let mut text = format!("{}: in {within}, {}", dir.display(), cycle.join(" → "));
            for pair in cycle.windows(2) {
                let key = (parent.clone(), pair[0].clone(), pair[1].clone());
                let r = &edges[&key][0];
                text.push_str(&format!(
                    "\n    {} → {}: {}:{} uses `{}`",
                    pair[0],
                    pair[1],
                    r.file.display(),
                    r.line,
                    r.path
                ));
            }
            problems.push(text);
        }
    }
    // The scan really sees the code: modules do use their siblings.
    assert!(
        edges_seen > 20,
        "only {edges_seen} edges between modules found"
    );
    assert!(
        problems.is_empty(),
        "modules that import each other (move what both need into a module below them both):\n{}",
        problems.join("\n")
    );
}
