//! Where the seed comes from (`--seed`, `--seed-file`, `SCORE_SEED`, `SCORE_SEED_FILE`), for
//! `compile`/`generate` and `resources`. The seed is a secret: every generated password can be
//! recomputed from it. So its value is never printed, a seed file's content neither, and none
//! of these variables reaches a command provisioner's program ([`VARIABLES`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use score_compile::Seed;

use crate::inputs::{self, Refusal};

/// The environment variables that give the seed; never passed to programs.
pub const VARIABLES: [&str; 2] = ["SCORE_SEED", "SCORE_SEED_FILE"];

/// A seed file larger than this is refused: a seed is one line, and a path given by mistake
/// (a log, an image) must not be read whole.
const MAX_FILE: u64 = 64 * 1024;

/// The seed flags, shared by the commands that compile.
#[derive(clap::Args, Default)]
pub struct SeedArgs {
    /// The secret that generated passwords are derived from [env: SCORE_SEED]. On the command
    /// line it is visible to other users in the process list: prefer `SCORE_SEED` or
    /// `--seed-file`. Without a seed, a fixed public default is used: fine for development
    /// clusters only.
    #[arg(long, value_name = "SEED", conflicts_with = "seed_file")]
    seed: Option<String>,
    /// Read the seed from FILE, a regular file of at most 64 KiB; a trailing newline is not
    /// part of it [env: SCORE_SEED_FILE].
    #[arg(long, value_name = "FILE")]
    seed_file: Option<PathBuf>,
}

/// The seed to use, and a warning to print (about `--seed` on the command line).
pub struct Resolved {
    pub seed: Seed,
    pub warning: Option<String>,
}

impl SeedArgs {
    /// The seed from the flags, else from the environment (`SCORE_SEED_FILE` or `SCORE_SEED`;
    /// both set is an error), else the public default. `Err` is a usage message, which never
    /// contains the seed.
    pub fn resolve(&self) -> Result<Resolved, String> {
        self.resolve_with(|name| std::env::var_os(name))
    }

    fn resolve_with(&self, env: impl Fn(&str) -> Option<OsString>) -> Result<Resolved, String> {
        let resolved = |seed: String, warning: Option<String>| Resolved {
            seed: Seed::new(seed),
            warning,
        };
        if let Some(seed) = &self.seed {
            if seed.is_empty() {
                return Err("--seed is empty: give the seed (better in `SCORE_SEED` or with `--seed-file`), or leave it out for the public development default".into());
            }
            return Ok(resolved(seed.clone(), Some(COMMAND_LINE_WARNING.into())));
        }
        if let Some(path) = &self.seed_file {
            return read_file(path, "--seed-file").map(|seed| resolved(seed, None));
        }
        match (env("SCORE_SEED"), env("SCORE_SEED_FILE")) {
            (Some(_), Some(_)) => Err(
                "SCORE_SEED and SCORE_SEED_FILE are both set: unset one (or give `--seed-file`)"
                    .into(),
            ),
            (Some(seed), None) => match seed.into_string() {
                Ok(seed) if seed.is_empty() => Err("SCORE_SEED is set but empty (a CI secret that is not defined?): set it to the seed, or unset it for the public development default".into()),
                Ok(seed) => Ok(resolved(seed, None)),
                Err(_) => Err("SCORE_SEED is not UTF-8 text".into()),
            },
            (None, Some(path)) if path.is_empty() => Err(
                "SCORE_SEED_FILE is set but empty: set it to the path of the seed file, or unset it".into(),
            ),
            (None, Some(path)) => {
                read_file(Path::new(&path), "SCORE_SEED_FILE").map(|seed| resolved(seed, None))
            }
            (None, None) => Ok(Resolved {
                seed: Seed::default(),
                warning: None,
            }),
        }
    }
}

const COMMAND_LINE_WARNING: &str = "warning: `--seed` puts the seed on the command line, where other users of this machine can read it (in the process list); set `SCORE_SEED` or use `--seed-file FILE` instead";

/// The seed in the file at `path` (named by `given`), without its trailing newline. Messages
/// name the file, never its content.
fn read_file(path: &Path, given: &str) -> Result<String, String> {
    let shown = path.display();
    // The one bounded reader of input files: regular files only, size checked first.
    let bytes = inputs::read_bytes(path, MAX_FILE).map_err(|refusal| match refusal {
        Refusal::Io(e) => format!("{given}: cannot read `{shown}`: {e}"),
        Refusal::NotAFile(_) => {
            format!("{given}: `{shown}` is not a regular file; write the seed into a file")
        }
        Refusal::TooLarge { .. } => format!(
            "{given}: `{shown}` is larger than {} KiB, too large for a seed; is it the right file?",
            MAX_FILE / 1024
        ),
    })?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{given}: `{shown}` is not UTF-8 text"))?;
    let seed = text
        .strip_suffix('\n')
        .map(|s| s.strip_suffix('\r').unwrap_or(s))
        .unwrap_or(&text);
    if seed.is_empty() {
        return Err(format!(
            "{given}: `{shown}` is empty; write the seed into it"
        ));
    }
    Ok(seed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(args: SeedArgs, env: &[(&str, &str)]) -> Result<Resolved, String> {
        args.resolve_with(|name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn the_command_line_wins_and_warns() {
        let args = SeedArgs {
            seed: Some("a".into()),
            seed_file: None,
        };
        let r = resolve(args, &[("SCORE_SEED", "b")]).unwrap();
        assert_eq!(r.seed, Seed::new("a"));
        assert!(r.warning.unwrap().contains("process list"));
        let r = resolve(SeedArgs::default(), &[("SCORE_SEED", "b")]).unwrap();
        assert_eq!(r.seed, Seed::new("b"));
        assert!(r.warning.is_none());
        let r = resolve(SeedArgs::default(), &[]).unwrap();
        assert_eq!(r.seed, Seed::default());
        let both = resolve(
            SeedArgs::default(),
            &[("SCORE_SEED", "b"), ("SCORE_SEED_FILE", "f")],
        );
        assert!(both.err().unwrap().contains("both set"));
    }
}
