//! Every diagnostic code is listed once in `score_spec::codes` with its meaning and fix, every
//! listed code is used, nothing mentions a code that does not exist, and `docs/diagnostics.md`
//! is the page the list gives.

use std::path::Path;

use xtask::diagnostics::{LIST, gather, problems};

#[test]
fn every_code_is_listed_used_and_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let inputs = gather(&root).unwrap();
    // The scan really sees the code and the documents: about a hundred codes, used in
    // over a hundred places, mentioned in the README and the snapshots.
    let listed = inputs.areas.iter().map(|a| a.codes.len()).sum::<usize>();
    assert!(listed > 90, "only {listed} codes listed in {LIST}");
    for code in inputs.areas.iter().flat_map(|a| a.codes) {
        assert!(
            inputs.listed_at.iter().any(|f| f.code == code.code),
            "`{}` not found in {LIST}",
            code.code
        );
    }
    assert!(
        inputs.used.len() > 120,
        "only {} uses found",
        inputs.used.len()
    );
    for place in ["README.md", "testdata/snapshots", "crates/cli/tests"] {
        assert!(
            inputs.mentioned.iter().any(|f| f.file.starts_with(place)),
            "no code mentioned in {place}"
        );
    }
    let problems = problems(&inputs);
    assert!(
        problems.is_empty(),
        "diagnostic codes and their list disagree:\n{}",
        problems.join("\n")
    );
}

/// The codes the README names (`grep -o 'score::[a-z:-]*' README.md`) are all listed.
#[test]
fn the_readme_names_only_listed_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let named: Vec<&str> = readme
        .match_indices("score::")
        .map(|(at, _)| {
            let rest = &readme[at..];
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c == ':' || c == '-'))
                .unwrap_or(rest.len());
            rest[..end].trim_end_matches(':')
        })
        .filter(|code| code.matches("::").count() == 2)
        .collect();
    assert!(named.len() >= 10, "only {named:?} found in README.md");
    let unknown: Vec<_> = named
        .iter()
        .filter(|code| score_spec::codes::find(code).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "README.md names codes that are not in {LIST}: {unknown:?}; correct the README or list them"
    );
}
