//! `score check-version CONSTRAINT`: CI scripts written for score-k8s and score-compose assert
//! the tool's version with it (`score-k8s check-version '>=0.1.0'`).
//!
//! The constraint syntax is theirs: an optional operator (`>`, `>=`, `=`), an optional `v`,
//! and one to three numbers, missing ones counting as 0 (`>=1.2` is `>=1.2.0`). We also accept
//! `<` and `<=`, and a bare version means `=` (the peers accept it but never match it). A
//! pre-release or build suffix of our own version is ignored.

use std::cmp::Ordering;
use std::process::ExitCode;

/// The arguments of `score check-version`.
#[derive(clap::Args)]
pub struct Args {
    /// `>`, `>=`, `=`, `<` or `<=` and a version of one to three numbers, with an optional `v`
    /// (e.g. `>=0.1.0`, `=v1.2.3`, `>1`).
    #[arg(value_name = "CONSTRAINT", allow_hyphen_values = true)]
    constraint: String,
}

/// A comparison operator of a constraint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Greater,
    GreaterOrEqual,
    Equal,
    Less,
    LessOrEqual,
}

/// A parsed constraint: operator and version (major, minor, patch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Constraint {
    operator: Operator,
    version: [u64; 3],
}

impl Constraint {
    fn parse(text: &str) -> Result<Constraint, String> {
        let trimmed = text.trim();
        let (operator, rest) = [
            (">=", Operator::GreaterOrEqual),
            ("<=", Operator::LessOrEqual),
            (">", Operator::Greater),
            ("<", Operator::Less),
            ("=", Operator::Equal),
        ]
        .into_iter()
        .find_map(|(symbol, op)| trimmed.strip_prefix(symbol).map(|rest| (op, rest)))
        .unwrap_or((Operator::Equal, trimmed));
        let version = parse_version(rest.strip_prefix('v').unwrap_or(rest)).ok_or_else(|| {
            format!(
                "`{text}` is not a version constraint: write an operator (`>=`, `>`, `=`, `<=`, `<`) and a version of one to three numbers, e.g. `>=0.1.0`"
            )
        })?;
        Ok(Constraint { operator, version })
    }

    fn matches(&self, version: [u64; 3]) -> bool {
        let ordering = version.cmp(&self.version);
        match self.operator {
            Operator::Greater => ordering == Ordering::Greater,
            Operator::GreaterOrEqual => ordering != Ordering::Less,
            Operator::Equal => ordering == Ordering::Equal,
            Operator::Less => ordering == Ordering::Less,
            Operator::LessOrEqual => ordering != Ordering::Greater,
        }
    }
}

/// `1`, `1.2` or `1.2.3` (missing parts are 0); `None` for anything else.
fn parse_version(text: &str) -> Option<[u64; 3]> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut version = [0; 3];
    for (slot, part) in version.iter_mut().zip(&parts) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    Some(version)
}

/// Our version's numbers, without a pre-release or build suffix.
fn own_version(text: &str) -> Option<[u64; 3]> {
    let core = text.split(['-', '+']).next().unwrap_or(text);
    parse_version(core)
}

pub fn run(args: Args) -> ExitCode {
    let current = env!("CARGO_PKG_VERSION");
    let constraint = match Constraint::parse(&args.constraint) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    match own_version(current) {
        Some(version) if constraint.matches(version) => ExitCode::SUCCESS,
        _ => {
            eprintln!(
                "error: current version {current} does not match requested constraint {}",
                args.constraint
            );
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(constraint: &str, version: &str) -> bool {
        Constraint::parse(constraint)
            .unwrap()
            .matches(own_version(version).unwrap())
    }

    #[test]
    fn accepts_what_the_peers_accept() {
        // score-k8s's own test table.
        for (constraint, version) in [
            ("=1.2.3", "1.2.3"),
            (">=1.2.3", "1.2.3"),
            (">=1.2.3", "1.2.4"),
            (">1.2.3", "1.2.4"),
            (">=1.1", "1.1.0"),
            (">=1.1", "1.2.0"),
            (">=1", "1.0.0"),
            (">1", "2.0.0"),
            ("=v1.2.3", "1.2.3"),
        ] {
            assert!(check(constraint, version), "{constraint} {version}");
        }
        for (constraint, version) in [("=1.2.3", "1.2.0"), (">2", "1.2.0"), (">1.2", "1.2.0")] {
            assert!(!check(constraint, version), "{constraint} {version}");
        }
    }

    #[test]
    fn adds_less_than_and_bare_versions() {
        assert!(check("<1", "0.9.9"));
        assert!(!check("<1", "1.0.0"));
        assert!(check("<=1.0", "1.0.0"));
        assert!(check("0.1.0", "0.1.0"));
        assert!(!check("0.1", "0.1.1"));
        // Our pre-release suffix does not count.
        assert!(check(">=0.1.0", "0.1.0-beta.1"));
    }

    #[test]
    fn refuses_malformed_constraints() {
        for bad in [
            "",
            ">=",
            "1..1",
            "1.2.a",
            "1.2.3.4",
            "~1.2",
            "^1",
            ">= 1.0 <2",
            "=>1",
            "-1",
        ] {
            assert!(Constraint::parse(bad).is_err(), "{bad:?}");
        }
    }
}
