//! Everything "random" in the output (passwords, access keys) is derived from a seed, so that
//! the same inputs and seed always give byte-identical output.
//!
//! Values are SHA-256 in counter mode over `(seed, scope, counter)`, mapped onto an alphabet by
//! rejection sampling (no modulo bias). The scope is usually a resource's uid, so adding a
//! resource never changes another resource's passwords. Names and other identifiers are
//! derived from the uid alone ([`guid`]), so changing the seed rotates secrets but not names.

use sha2::{Digest, Sha256};

/// The seed used when neither `--seed` nor `SCORE_SEED` is given. Output compiled with it is
/// reproducible by anyone, so its passwords are only fit for development clusters.
pub const DEFAULT_SEED: &str = "score-rs-default-seed";

/// Character sets for [`Seed::string`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
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

/// The secret every generated value is derived from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed(String);

impl Default for Seed {
    fn default() -> Self {
        Seed(DEFAULT_SEED.to_owned())
    }
}

impl Seed {
    /// A seed from a secret of the caller's choosing (the CLI's `--seed` or `SCORE_SEED`).
    /// Keep it secret: with it and the inputs, anyone can compute every generated password.
    pub fn new(seed: impl Into<String>) -> Self {
        Seed(seed.into())
    }

    /// True for [`DEFAULT_SEED`], whose passwords anyone can reproduce: worth a warning
    /// before deploying anywhere but a development cluster.
    pub fn is_default(&self) -> bool {
        self.0 == DEFAULT_SEED
    }

    /// `length` characters of `charset`, determined by the seed, `scope` and `counter`.
    pub fn string(&self, scope: &str, counter: u64, length: usize, charset: Charset) -> String {
        let alphabet = charset.alphabet();
        // The largest multiple of the alphabet size that fits a byte: bytes above it are
        // skipped so that every character is equally likely.
        let limit = 256 - (256 % alphabet.len());
        let mut out = String::with_capacity(length);
        let mut block = 0u64;
        while out.len() < length {
            let digest = Sha256::new()
                .chain_update((self.0.len() as u64).to_le_bytes())
                .chain_update(self.0.as_bytes())
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
    fn guid_is_uuid_shaped_and_stable() {
        let g = guid("dns.default#web.dns");
        assert_eq!(g.len(), 36);
        assert_eq!(g, guid("dns.default#web.dns"));
        assert_ne!(g, guid("dns.default#api.dns"));
        assert_eq!(g.as_bytes()[14], b'4');
    }
}
