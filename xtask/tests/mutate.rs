//! A bounded run of the mutation harness on our corpus, so `cargo test --workspace` exercises
//! it: no panic, no hang, and every refusal explained.

use std::path::PathBuf;
use std::time::Duration;

use xtask::mutate::{Options, corpus_files, run};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus")
}

#[test]
fn two_hundred_mutations_of_the_corpus_pass() {
    let options = Options {
        count: 200,
        seed: 13,
        corpora: vec![corpus()],
        budget: Duration::from_secs(30),
        failures_dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutate-failures"),
    };
    let report = run(&options).unwrap();
    let failures: Vec<String> = report
        .failures
        .iter()
        .map(|f| format!("{}: {}", f.case, f.why))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(report.summary(), "200 passed, 0 failed");
    // Most mutations break the file (YAML syntax, duplicate keys, types); enough keep a valid
    // workload for the compilers to be exercised too.
    assert!(report.compiled >= 10, "only {} compiled", report.compiled);
}

#[test]
fn the_corpus_has_score_files_of_every_kind() {
    let files = corpus_files(&[corpus()]).unwrap();
    assert!(files.len() >= 50, "{} files", files.len());
    for kind in ["/valid/", "/invalid/"] {
        assert!(
            files
                .iter()
                .any(|(p, _)| p.to_string_lossy().contains(kind)),
            "{kind}"
        );
    }
}
