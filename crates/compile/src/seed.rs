//! Everything "random" in the output (passwords, access keys) is derived from a seed, so that
//! the same inputs and seed always give byte-identical output.
//!
//! Values are SHA-256 in counter mode over `(seed, scope, counter)`, mapped onto an alphabet by
//! rejection sampling (no modulo bias). The scope is usually a resource's uid, so adding a
//! resource never changes another resource's passwords. Names and other identifiers are
//! derived from the uid alone ([`guid`]), so changing the seed rotates secrets but not names.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use score_spec::{Diagnostic, Workload};
use sha2::{Digest, Sha256};

use crate::resources::ResourceGraph;

/// The seed used when neither `--seed` nor `SCORE_SEED` is given. Output compiled with it is
/// reproducible by anyone, so its passwords are only fit for development clusters.
pub const DEFAULT_SEED: &str = "score-rs-default-seed";

/// Character sets for [`Seed::string`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Charset {
    /// `A-Z a-z 0-9`: passwords that need no quoting or URL-encoding anywhere.
    Alphanumeric,
    /// `a-z 0-9`: usable in host names and bucket names.
    Lower,
    /// `0-9 a-f`.
    Hex,
}

impl Charset {
    fn alphabet(self) -> &'static [u8] {
        match self {
            Charset::Alphanumeric => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            }
            Charset::Lower => b"abcdefghijklmnopqrstuvwxyz0123456789",
            Charset::Hex => b"0123456789abcdef",
        }
    }

    /// The charset a template names in `random(…, charset)`: `alphanumeric`, `lower` or
    /// `hex`; `None` for any other name.
    pub fn parse(name: &str) -> Option<Charset> {
        match name {
            "alphanumeric" => Some(Charset::Alphanumeric),
            "lower" => Some(Charset::Lower),
            "hex" => Some(Charset::Hex),
            _ => None,
        }
    }
}

/// The secret every generated value is derived from. Two seeds are equal when their secrets
/// are; `Debug` does not show the secret.
///
/// ```
/// use score_compile::{Seed, kubernetes};
///
/// let mut options = kubernetes::Options::default();
/// assert!(options.seed.is_default()); // public: fit for development clusters only
/// options.seed = Seed::new("a secret from the CI's secret store");
/// assert!(!options.seed.is_default());
/// assert_eq!(format!("{:?}", options.seed), "Seed(<secret>)");
/// ```
#[derive(Clone)]
pub struct Seed {
    secret: String,
    /// In one compile's copy ([`Seed::tracking`]): what templates drew from the seed.
    draws: Option<Arc<Mutex<Draws>>>,
}

/// What one compile's templates drew from the seed.
#[derive(Debug, Default)]
struct Draws {
    /// The uids of the resources whose templates drew values.
    uids: BTreeSet<String>,
    /// The values drawn as secrets: `score resources` does not show an output holding one.
    secrets: BTreeSet<String>,
}

impl Default for Seed {
    fn default() -> Self {
        Seed::new(DEFAULT_SEED)
    }
}

impl PartialEq for Seed {
    fn eq(&self, other: &Self) -> bool {
        self.secret == other.secret
    }
}

impl Eq for Seed {}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_default() {
            "Seed(default)"
        } else {
            "Seed(<secret>)"
        })
    }
}

impl Seed {
    /// A seed from a secret of the caller's choosing (the CLI's `--seed` or `SCORE_SEED`).
    /// Keep it secret: with it and the inputs, anyone can compute every generated password.
    pub fn new(seed: impl Into<String>) -> Self {
        Seed {
            secret: seed.into(),
            draws: None,
        }
    }

    /// True for [`DEFAULT_SEED`], whose passwords anyone can reproduce: worth a warning
    /// before deploying anywhere but a development cluster.
    pub fn is_default(&self) -> bool {
        self.secret == DEFAULT_SEED
    }

    /// A copy for one compile that records which resources draw from it and the secret
    /// values drawn ([`Seed::record_draw`], [`Seed::drawn_by`], [`Seed::drawn_secrets`]);
    /// copies of it share the record.
    pub(crate) fn tracking(&self) -> Seed {
        Seed {
            secret: self.secret.clone(),
            draws: Some(Arc::default()),
        }
    }

    /// Notes that `value` was derived from the seed for resource `uid` (a no-op unless
    /// [`Seed::tracking`]). Values of the `alphanumeric` and `hex` charsets are recorded as
    /// secrets; `lower` is the charset of names (databases, users, buckets).
    pub(crate) fn record_draw(&self, uid: &str, value: &str, charset: Charset) {
        if let Some(draws) = &self.draws {
            let mut draws = draws
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if !draws.uids.contains(uid) {
                draws.uids.insert(uid.to_owned());
            }
            if charset != Charset::Lower && !draws.secrets.contains(value) {
                draws.secrets.insert(value.to_owned());
            }
        }
    }

    /// A copy of one part of the record (empty unless [`Seed::tracking`]).
    fn drawn(&self, part: impl FnOnce(&Draws) -> &BTreeSet<String>) -> BTreeSet<String> {
        self.draws
            .as_ref()
            .map(|d| part(&d.lock().unwrap_or_else(|p| p.into_inner())).clone())
            .unwrap_or_default()
    }

    /// The uids of the resources that drew from this seed, sorted.
    pub(crate) fn drawn_by(&self) -> BTreeSet<String> {
        self.drawn(|d| &d.uids)
    }

    /// The secret values drawn from this seed (see [`Seed::record_draw`]).
    pub(crate) fn drawn_secrets(&self) -> BTreeSet<String> {
        self.drawn(|d| &d.secrets)
    }

    /// `length` characters of `charset`, determined by the seed, `scope` and `counter`.
    pub(crate) fn string(
        &self,
        scope: &str,
        counter: u64,
        length: usize,
        charset: Charset,
    ) -> String {
        let alphabet = charset.alphabet();
        // The largest multiple of the alphabet size that fits a byte: bytes above it are
        // skipped so that every character is equally likely.
        let limit = 256 - (256 % alphabet.len());
        let mut out = String::with_capacity(length);
        let mut block = 0u64;
        while out.len() < length {
            let digest = Sha256::new()
                .chain_update((self.secret.len() as u64).to_le_bytes())
                .chain_update(self.secret.as_bytes())
                .chain_update((scope.len() as u64).to_le_bytes())
                .chain_update(scope.as_bytes())
                .chain_update(counter.to_le_bytes())
                .chain_update(block.to_le_bytes())
                .finalize();
            for &byte in digest.iter() {
                if (byte as usize) < limit && out.len() < length {
                    out.push(alphabet[byte as usize % alphabet.len()] as char);
                }
            }
            block += 1;
        }
        out
    }
}

/// One warning when values generated for this compile come from [`DEFAULT_SEED`]: anyone
/// with the Score files can compute them. It is placed at the first resource (in
/// provisioning order) whose provisioner drew from the seed, and names the others. `seed` is
/// the compile's [`Seed::tracking`] copy; nothing is said for a seed of the caller's own.
pub(crate) fn public_seed_warning(
    seed: &Seed,
    graph: &ResourceGraph,
    workloads: &[&Workload],
) -> Option<Diagnostic> {
    if !seed.is_default() {
        return None;
    }
    let drawn = seed.drawn_by();
    let nodes: Vec<_> = graph
        .nodes
        .iter()
        .filter(|n| drawn.contains(&n.uid))
        .collect();
    let first = nodes.first()?;
    let declaration = first.first();
    let workload = workloads.get(declaration.workload)?;
    let resource = workload.resources.get(&declaration.name)?;
    let names: Vec<String> = nodes
        .iter()
        .map(|n| format!("`{}` ({})", n.first().name, n.r#type))
        .collect();
    let whose = match names.as_slice() {
        [one] => format!("resource {one}"),
        [rest @ .., last] => format!("resources {} and {last}", rest.join(", ")),
        [] => return None,
    };
    Some(
        Diagnostic::warning(
            "score::seed::public",
            format!(
                "the passwords and other values generated for {whose} come from the public default seed: anyone with the Score files can compute them"
            ),
        )
        .at(score_spec::model::pointer::resource(&declaration.name), resource.name_span)
        .with_label("generated from the public seed")
        .with_help("fine for a development cluster; for anything else, pass a secret seed with `--seed` or the `SCORE_SEED` environment variable (a library caller: `Options::seed`) and keep it out of the repository like any credential")
        .with_source(&workload.source),
    )
}

/// Hex SHA-256 of `text`.
pub fn sha256_hex(text: impl AsRef<[u8]>) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(text.as_ref());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(HEX[usize::from(byte >> 4)] as char);
        out.push(HEX[usize::from(byte & 15)] as char);
    }
    out
}

/// A stable identifier for a resource, in UUID form, derived from its uid alone.
pub fn guid(uid: &str) -> String {
    let h = sha256_hex(format!("score-rs/guid/{uid}"));
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_string_and_scopes_differ() {
        let seed = Seed::new("s");
        let a = seed.string("postgres.default#a.db", 0, 24, Charset::Alphanumeric);
        assert_eq!(
            a,
            seed.string("postgres.default#a.db", 0, 24, Charset::Alphanumeric)
        );
        assert_eq!(a.len(), 24);
        assert_ne!(
            a,
            seed.string("postgres.default#b.db", 0, 24, Charset::Alphanumeric)
        );
        assert_ne!(
            a,
            seed.string("postgres.default#a.db", 1, 24, Charset::Alphanumeric)
        );
        assert_ne!(
            a,
            Seed::new("t").string("postgres.default#a.db", 0, 24, Charset::Alphanumeric)
        );
    }

    #[test]
    fn long_strings_use_only_the_alphabet() {
        let s = Seed::default().string("x", 0, 500, Charset::Lower);
        assert_eq!(s.len(), 500);
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        // All 36 characters show up in 500 draws: the mapping is not stuck on a subset.
        let distinct: std::collections::BTreeSet<char> = s.chars().collect();
        assert_eq!(distinct.len(), 36);
    }

    #[test]
    fn a_tracking_copy_records_draws_and_shares_them_with_its_clones() {
        let seed = Seed::new("s");
        seed.record_draw("postgres.default#web.db", "pw", Charset::Alphanumeric);
        assert!(seed.drawn_by().is_empty(), "only a tracking copy records");
        assert!(seed.drawn_secrets().is_empty());
        let tracking = seed.tracking();
        assert_eq!(tracking, seed, "the same secret: the same values");
        let clone = tracking.clone();
        clone.record_draw("redis.default#web.cache", "pw1", Charset::Alphanumeric);
        clone.record_draw("postgres.default#web.db", "user1", Charset::Lower);
        clone.record_draw("redis.default#web.cache", "cafe", Charset::Hex);
        assert_eq!(
            tracking.drawn_by().into_iter().collect::<Vec<_>>(),
            ["postgres.default#web.db", "redis.default#web.cache"]
        );
        // `lower` draws are names, not secrets.
        assert_eq!(
            tracking.drawn_secrets().into_iter().collect::<Vec<_>>(),
            ["cafe", "pw1"]
        );
        assert!(
            seed.tracking().drawn_by().is_empty(),
            "a new record each time"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        assert_eq!(format!("{:?}", Seed::new("s3cret")), "Seed(<secret>)");
        assert_eq!(format!("{:?}", Seed::default()), "Seed(default)");
        assert!(Seed::new(DEFAULT_SEED).is_default());
    }

    #[test]
    fn guid_is_uuid_shaped_and_stable() {
        let g = guid("dns.default#web.dns");
        assert_eq!(g.len(), 36);
        assert_eq!(g, guid("dns.default#web.dns"));
        assert_ne!(g, guid("dns.default#api.dns"));
        assert_eq!(g.as_bytes()[14], b'4');
    }
}
