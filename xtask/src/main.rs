//! `cargo run -p xtask -- mutate [--count N] [--seed S] [--corpus DIR]... [--budget SECS]
//! [--failures DIR]`: the mutation harness ([`xtask::mutate`]). Prints each failure, then one
//! line `N passed, M failed`; exits 1 when any case failed, 2 for bad arguments.
//! `function-length [LINES]` lists the longest functions; `diagnostics [--write]` prints (or
//! writes) `docs/diagnostics.md`, the page of every diagnostic code.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use xtask::mutate::{Options, run};

const USAGE: &str = "usage: cargo run -p xtask -- mutate [--count N] [--seed S] [--corpus DIR]... [--budget SECS] [--failures DIR]
       cargo run -p xtask -- function-length [LINES]
       cargo run -p xtask -- module-graph
       cargo run -p xtask -- diagnostics [--write]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "function-length") {
        return function_length(&args[1..]);
    }
    if args.first().is_some_and(|a| a == "module-graph") {
        return module_graph();
    }
    if args.first().is_some_and(|a| a == "diagnostics") {
        return diagnostics(&args[1..]);
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let report = match run(&options) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    for f in &report.failures {
        let written = f
            .written_to
            .as_ref()
            .map(|p| format!(" (input: {})", p.display()));
        println!("FAIL {}: {}{}", f.case, f.why, written.unwrap_or_default());
    }
    eprintln!(
        "mutate: {} cases ({} still valid, compiled for every target) in {:.1?}",
        options.count, report.compiled, report.elapsed
    );
    println!("{}", report.summary());
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut options = Options {
        count: 5000,
        seed: 13,
        corpora: Vec::new(),
        budget: Duration::from_secs(10),
        failures_dir: root.join("target/mutate-failures"),
    };
    let (task, rest) = args.split_first().ok_or("no task given")?;
    if task != "mutate" {
        return Err(format!("unknown task `{task}`"));
    }
    let mut rest = rest.iter();
    while let Some(flag) = rest.next() {
        let mut value = || rest.next().ok_or(format!("{flag} needs a value"));
        let number = |v: &String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag}: `{v}` is not a number"))
        };
        match flag.as_str() {
            "--count" => options.count = number(value()?)? as usize,
            "--seed" => options.seed = number(value()?)?,
            "--budget" => options.budget = Duration::from_secs(number(value()?)?),
            "--corpus" => options.corpora.push(PathBuf::from(value()?)),
            "--failures" => options.failures_dir = PathBuf::from(value()?),
            other => return Err(format!("unknown flag `{other}`")),
        }
    }
    if options.corpora.is_empty() {
        options.corpora.push(root.join("testdata/corpus"));
    }
    Ok(options)
}

/// `function-length [LINES]`: the functions of `crates/*/src` longer than LINES (default:
/// the limit), longest first; exits 1 when any is over the limit.
fn function_length(args: &[String]) -> ExitCode {
    use xtask::function_length::{LIMIT, functions_under, source_dirs};
    let Ok(shown) = args.first().map_or(Ok(LIMIT), |n| n.parse::<usize>()) else {
        eprintln!("error: LINES must be a number\n{USAGE}");
        return ExitCode::from(2);
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let all = source_dirs(&root).and_then(|dirs| {
        dirs.iter()
            .map(|d| functions_under(d))
            .collect::<std::io::Result<Vec<_>>>()
    });
    let mut all: Vec<_> = match all {
        Ok(lists) => lists.into_iter().flatten().collect(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    all.sort_by_key(|f| std::cmp::Reverse(f.lines));
    for f in all.iter().filter(|f| f.lines > shown) {
        println!(
            "{}:{}: {} lines: {}",
            f.file.display(),
            f.line,
            f.lines,
            f.name
        );
    }
    if all.first().is_some_and(|f| f.lines > LIMIT) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `module-graph`: every edge between sibling modules of `crates/*/src`, with the first
/// reference that makes it, then the cycles; exits 1 when there is a cycle.
fn module_graph() -> ExitCode {
    use xtask::module_graph::{crate_edges, cycles};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs = match xtask::function_length::source_dirs(&root) {
        Ok(dirs) => dirs,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut cyclic = false;
    for dir in dirs {
        let edges = match crate_edges(&dir) {
            Ok(edges) => edges,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        };
        println!("{}", dir.display());
        for ((parent, from, to), references) in &edges {
            let r = &references[0];
            let at = format!("{}:{}", r.file.display(), r.line);
            println!("  {}{from} → {to} ({at} `{}`)", prefix(parent), r.path);
        }
        for (parent, cycle) in cycles(&edges) {
            cyclic = true;
            println!("  cycle: {}{}", prefix(&parent), cycle.join(" → "));
        }
    }
    if cyclic {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn prefix(parent: &[String]) -> String {
    parent.iter().map(|p| format!("{p}::")).collect()
}

/// `diagnostics [--write]`: the page of every diagnostic code (`docs/diagnostics.md`) on
/// stdout, or written to that file with `--write`.
fn diagnostics(args: &[String]) -> ExitCode {
    use xtask::diagnostics::{PAGE, markdown};
    let page = markdown(score_spec::codes::AREAS);
    match args {
        [] => {
            print!("{page}");
            ExitCode::SUCCESS
        }
        [flag] if flag == "--write" => {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(PAGE);
            let written = path
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&path, page));
            match written {
                Ok(()) => {
                    eprintln!("wrote {PAGE}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {PAGE}: {e}");
                    ExitCode::from(1)
                }
            }
        }
        _ => {
            eprintln!("error: unknown arguments {args:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
