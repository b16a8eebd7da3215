//! Deterministic mutations of Score files: each takes the text and a random source and returns
//! a new text that is often invalid, sometimes still valid, and always a valid UTF-8 string (the
//! library takes `&str`; byte-level damage is the YAML reader's own tests' business).

/// A small deterministic random source (splitmix64): the same seed gives the same cases on
/// every machine, with no dependency.
pub struct Rng(u64);

impl Rng {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The kinds of mutation, in the order `--list` would print them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// Remove one line.
    DeleteLine,
    /// Replace a `key: value` line's value with one of another type.
    ChangeScalarType,
    /// Exchange two lines (often two keys of one mapping, or a key and its value).
    SwapLines,
    /// Cut the text at a character.
    Truncate,
    /// Put a `${…}` placeholder, well-formed or broken, into the text.
    InsertPlaceholder,
    /// Repeat one line (a duplicate key, or a list item twice).
    DuplicateLine,
    /// Indent a line more or less, or with a tab.
    Reindent,
}

impl Mutation {
    /// Every kind.
    pub const ALL: [Mutation; 7] = [
        Mutation::DeleteLine,
        Mutation::ChangeScalarType,
        Mutation::SwapLines,
        Mutation::Truncate,
        Mutation::InsertPlaceholder,
        Mutation::DuplicateLine,
        Mutation::Reindent,
    ];

    /// Applies this mutation to `text`.
    pub fn apply(self, text: &str, rng: &mut Rng) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        let at = rng.below(lines.len());
        match self {
            Mutation::DeleteLine => {
                lines.remove(at);
            }
            Mutation::ChangeScalarType => change_scalar(&mut lines, rng),
            Mutation::SwapLines => {
                let other = rng.below(lines.len());
                lines.swap(at, other);
            }
            Mutation::Truncate => return truncate(text, rng),
            Mutation::InsertPlaceholder => insert_placeholder(&mut lines[at], rng),
            Mutation::DuplicateLine => {
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            Mutation::Reindent => reindent(&mut lines[at], rng),
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }
}

/// Values of every YAML type, and strings YAML 1.1 readers type otherwise.
const SCALARS: [&str; 16] = [
    "42",
    "-1",
    "1.5",
    "true",
    "yes",
    "null",
    "~",
    "[]",
    "{}",
    "\"\"",
    "0644",
    "[a, 1]",
    "{a: b}",
    "99999999999999999999",
    "&a x",
    "*a",
];

/// Placeholders the parser reads, and ones it refuses or reads as literal text.
const PLACEHOLDERS: [&str; 16] = [
    "${metadata.name}",
    "${metadata.annotations.example\\.com/team}",
    "${resources.db.host}",
    "${resources.db}",
    "${resources.db.host.x.y}",
    "${resources.nothing.x}",
    "${resources.}",
    "${}",
    "${ }",
    "${a..b}",
    "${",
    "}",
    "$${escaped}",
    "$$",
    "${metadata.name}${metadata.name}",
    "${pod.name}",
];

fn change_scalar(lines: &mut [String], rng: &mut Rng) {
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains(": ") || lines[i].trim_start().starts_with("- "))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let i = *rng.pick(&candidates);
    let line = &lines[i];
    let cut = line
        .find(": ")
        .map(|p| p + 2)
        .unwrap_or_else(|| line.find("- ").map_or(0, |p| p + 2));
    lines[i] = format!("{}{}", &line[..cut], rng.pick(&SCALARS));
}

fn truncate(text: &str, rng: &mut Rng) -> String {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text[..at].to_owned()
}

fn insert_placeholder(line: &mut String, rng: &mut Rng) {
    let placeholder = rng.pick(&PLACEHOLDERS);
    if rng.below(2) == 0
        && let Some(p) = line.find(": ")
    {
        // As a whole value.
        line.truncate(p + 2);
        line.push_str(placeholder);
        return;
    }
    let mut at = rng.below(line.len() + 1);
    while !line.is_char_boundary(at) {
        at -= 1;
    }
    line.insert_str(at, placeholder);
}

fn reindent(line: &mut String, rng: &mut Rng) {
    match rng.below(4) {
        0 => line.insert_str(0, "  "),
        1 => line.insert(0, ' '),
        2 => line.insert(0, '\t'),
        _ => {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            line.drain(..spaces.min(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "apiVersion: score.dev/v1b1\nmetadata:\n  name: é\ncontainers:\n  main:\n    image: nginx\n";

    #[test]
    fn the_same_seed_gives_the_same_mutations() {
        for m in Mutation::ALL {
            let a = m.apply(TEXT, &mut Rng::new(7));
            let b = m.apply(TEXT, &mut Rng::new(7));
            assert_eq!(a, b, "{m:?}");
        }
    }

    #[test]
    fn every_mutation_changes_something_for_some_seed() {
        for m in Mutation::ALL {
            let changed = (0..50).any(|seed| m.apply(TEXT, &mut Rng::new(seed)) != TEXT);
            assert!(changed, "{m:?} never changes the text");
        }
    }

    #[test]
    fn truncation_keeps_utf8_and_placeholders_land_in_the_text() {
        for seed in 0..200 {
            let cut = Mutation::Truncate.apply(TEXT, &mut Rng::new(seed));
            assert!(TEXT.starts_with(&cut));
            let with = Mutation::InsertPlaceholder.apply(TEXT, &mut Rng::new(seed));
            assert!(PLACEHOLDERS.iter().any(|p| with.contains(p)), "{with}");
        }
        assert_eq!(Mutation::DeleteLine.apply("", &mut Rng::new(1)), "\n");
    }
}
