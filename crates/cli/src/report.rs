//! Printing diagnostics for people (miette snippets) and for machines (JSON).

use std::io::{IsTerminal, Write};

use miette::{GraphicalReportHandler, GraphicalTheme};
use score_spec::Diagnostic;

use crate::terminal;

/// One JSON array of diagnostics on stdout (terminal controls escaped, see
/// [`terminal::json`]).
pub fn json(diagnostics: &[Diagnostic]) {
    let text = serde_json::to_string_pretty(diagnostics).unwrap_or_else(|_| "[]".to_owned());
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", terminal::json(text));
}

/// Warnings of one code shown in full by the human format; the rest are counted in one line.
/// Errors are always shown in full: each one is a place to fix.
pub const SHOWN_PER_CODE: usize = 3;

/// The one-line summary on stderr.
pub fn summary_only(diagnostics: &[Diagnostic], files: usize, invalid: usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    eprintln!("{}", summary(files, invalid, errors, warnings));
}

/// Snippets on stderr (repeated warnings grouped), then a one-line summary, left out when
/// `quiet` and every file is valid.
pub fn human(diagnostics: &[Diagnostic], files: usize, invalid: usize, quiet: bool) {
    write_grouped(
        &mut std::io::stderr().lock(),
        &keep(diagnostics, quiet),
        color(),
        "`--format json` lists them all",
    );
    if !quiet || invalid > 0 {
        summary_only(diagnostics, files, invalid);
    }
}

/// The diagnostics to print: without the warnings when `quiet` (`--quiet` prints errors
/// only, in every format).
pub fn keep(diagnostics: &[Diagnostic], quiet: bool) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| !quiet || d.is_error())
        .cloned()
        .collect()
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Which diagnostics the human format shows in full, and for each warning code with more
/// than [`SHOWN_PER_CODE`] warnings, how many it leaves out (codes in order of first
/// appearance).
pub fn group(diagnostics: &[Diagnostic]) -> (Vec<&Diagnostic>, Vec<(&'static str, usize)>) {
    let mut shown = Vec::new();
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    for d in diagnostics {
        if d.is_error() {
            shown.push(d);
            continue;
        }
        let count = match seen.iter_mut().find(|(code, _)| *code == d.code) {
            Some((_, count)) => count,
            None => {
                seen.push((d.code, 0));
                &mut seen.last_mut().expect("just pushed").1
            }
        };
        *count += 1;
        if *count <= SHOWN_PER_CODE {
            shown.push(d);
        }
    }
    let hidden = seen
        .into_iter()
        .filter(|(_, count)| *count > SHOWN_PER_CODE)
        .map(|(code, count)| (code, count - SHOWN_PER_CODE))
        .collect();
    (shown, hidden)
}

/// The snippets of [`group`]'s shown diagnostics, then one line per code it left out;
/// `all` says where to find every one.
fn write_grouped(out: &mut dyn Write, diagnostics: &[Diagnostic], color: bool, all: &str) {
    let (shown, hidden) = group(diagnostics);
    for diagnostic in shown {
        let _ = write!(out, "{}", render(diagnostic, color));
    }
    for (code, count) in hidden {
        let _ = writeln!(
            out,
            "… and {} more {code} {} (like the ones above; {all})",
            thousands(count),
            if count == 1 { "warning" } else { "warnings" },
        );
    }
}

/// `1997` as `1,997`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How `compile` prints problems.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Source snippets with help, on stderr.
    Human,
    /// GitHub Actions workflow commands (`::error file=…,line=…::…`).
    Github,
}

/// Where and how a compile prints its problems.
pub struct Messages {
    pub format: MessageFormat,
    /// `--quiet`: errors only.
    pub quiet: bool,
    /// Annotations go to stdout (where GitHub reads them) unless the output does.
    pub to_stdout: bool,
}

impl Messages {
    pub fn compile_problems(&self, diagnostics: &[Diagnostic]) {
        let shown = keep(diagnostics, self.quiet);
        if self.format == MessageFormat::Github {
            if self.to_stdout {
                github(&shown, &mut std::io::stdout().lock());
            } else {
                github(&shown, &mut std::io::stderr().lock());
            }
        } else {
            write_grouped(
                &mut std::io::stderr().lock(),
                &shown,
                color(),
                "`--message-format github` lists them all",
            );
        }
        compile_failed(diagnostics);
    }
}

/// Annotations of one level GitHub shows per step; the others are only in the step's log.
const GITHUB_SHOWN_PER_LEVEL: usize = 10;

/// One GitHub Actions annotation per diagnostic, on the line it is about: a CI run shows it on
/// the pull request's diff. Messages keep their help as a second line. Every diagnostic is
/// written (the log keeps them all; GitHub limits errors and warnings separately, so warnings
/// never hide an error); past GitHub's limit a notice says where the rest are.
pub fn github(diagnostics: &[Diagnostic], out: &mut dyn Write) {
    // Workflow command syntax: data escapes `%`, CR and LF; properties also `:` and `,`. Other
    // controls become visible stand-ins: the log viewer would act on escape sequences.
    let data = |s: &str| {
        terminal::clean(s)
            .replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    for d in diagnostics {
        let level = if d.is_error() { "error" } else { "warning" };
        let mut properties = vec![format!("title={}", property(d.code))];
        if let Some(file) = d.file() {
            properties.insert(0, format!("file={}", property(file)));
            if let Some(span) = d.span.filter(|s| !s.is_unknown()) {
                properties.insert(1, format!("line={}", span.line));
                properties.insert(2, format!("col={}", span.column));
            }
        }
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{level} {}::{}",
            properties.join(","),
            data(&message)
        );
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    for (level, count) in [("error", errors), ("warning", diagnostics.len() - errors)] {
        if count > GITHUB_SHOWN_PER_LEVEL {
            let _ = writeln!(
                out,
                "::notice title=score::GitHub shows {GITHUB_SHOWN_PER_LEVEL} {level} annotations per step; all {count} are in this step's log"
            );
        }
    }
}

/// Snippets on stderr (unless `snippets` is false; repeated warnings grouped), then a
/// one-line summary of a compile that failed.
pub fn compile_problems(diagnostics: &[Diagnostic], snippets: bool) {
    if snippets {
        write_grouped(
            &mut std::io::stderr().lock(),
            diagnostics,
            color(),
            "`score compile --message-format github` lists them all",
        );
    }
    compile_failed(diagnostics);
}

/// The one-line summary of a compile that failed (nothing when it did not).
fn compile_failed(diagnostics: &[Diagnostic]) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        eprintln!(
            "compile failed: {}, {}; nothing was written",
            plural(errors, "error"),
            plural(diagnostics.len() - errors, "warning")
        );
    }
}

/// Lines longer than this are not shown as snippets: a minified JSON file can hold its whole
/// content on one line, and the snippet would be unreadable (and miette cannot pad labels past
/// column 65,535).
const MAX_SNIPPET_LINE: usize = 2_000;

/// Renders one diagnostic the way `score validate` shows it, with every character a terminal
/// would act on replaced by a visible stand-in.
pub fn render(diagnostic: &Diagnostic, color: bool) -> String {
    let diagnostic = &terminal::diagnostic(diagnostic);
    if touches_long_line(diagnostic) {
        return render_without_snippet(diagnostic, color);
    }
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out
}

fn summary(files: usize, invalid: usize, errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if invalid == 0 {
        let mut line = format!("{} valid", plural(files, "file"));
        if warnings > 0 {
            line.push_str(&format!(" ({})", plural(warnings, "warning")));
        }
        line
    } else {
        format!(
            "{} of {} invalid: {}, {}",
            invalid,
            plural(files, "file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

fn touches_long_line(diagnostic: &Diagnostic) -> bool {
    let Some(source) = &diagnostic.source else {
        return false;
    };
    let text = source.text();
    let spans = diagnostic
        .span
        .iter()
        .chain(diagnostic.related.iter().map(|l| &l.span));
    spans.into_iter().any(|span| {
        let start = text[..span.offset.min(text.len())]
            .rfind(['\n', '\r'])
            .map_or(0, |i| i + 1);
        let end = text[span.offset.min(text.len())..]
            .find(['\n', '\r'])
            .map_or(text.len(), |i| span.offset + i);
        end - start > MAX_SNIPPET_LINE
    })
}

/// The same report with the location in the message instead of a snippet.
fn render_without_snippet(diagnostic: &Diagnostic, color: bool) -> String {
    let mut plain = diagnostic.clone();
    if let Some(span) = plain.span {
        plain.message = format!(
            "{}:{}:{}: {}",
            plain.file().unwrap_or("<input>"),
            span.line,
            span.column,
            plain.message
        );
    }
    plain.source = None;
    plain.span = None;
    plain.related.clear();
    render(&plain, color)
}
