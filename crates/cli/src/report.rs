//! Printing diagnostics for people (miette snippets) and for machines (JSON).

use std::io::{IsTerminal, Write};

use miette::{GraphicalReportHandler, GraphicalTheme};
use score_spec::Diagnostic;

/// One JSON array of diagnostics on stdout.
pub fn json(diagnostics: &[Diagnostic]) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut out, diagnostics);
    let _ = writeln!(out);
}

/// The one-line summary on stderr.
pub fn summary_only(diagnostics: &[Diagnostic], files: usize, invalid: usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    eprintln!("{}", summary(files, invalid, errors, warnings));
}

/// Snippets on stderr, then a one-line summary.
pub fn human(diagnostics: &[Diagnostic], files: usize, invalid: usize) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    {
        let mut err = std::io::stderr().lock();
        for diagnostic in diagnostics {
            let _ = write!(err, "{}", render(diagnostic, color));
        }
    }
    summary_only(diagnostics, files, invalid);
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
    /// Annotations go to stdout (where GitHub reads them) unless the output does.
    pub to_stdout: bool,
}

impl Messages {
    pub fn compile_problems(&self, diagnostics: &[Diagnostic]) {
        if self.format == MessageFormat::Github {
            if self.to_stdout {
                github(diagnostics, &mut std::io::stdout().lock());
            } else {
                github(diagnostics, &mut std::io::stderr().lock());
            }
        }
        compile_problems(diagnostics, self.format == MessageFormat::Human);
    }
}

/// One GitHub Actions annotation per diagnostic, on the line it is about: a CI run shows it on
/// the pull request's diff. Messages keep their help as a second line.
pub fn github(diagnostics: &[Diagnostic], out: &mut dyn Write) {
    // Workflow command syntax: data escapes `%`, CR and LF; properties also `:` and `,`.
    let data = |s: &str| {
        s.replace('%', "%25")
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
}

/// Snippets on stderr (unless `snippets` is false), then a one-line summary of a compile that
/// failed.
pub fn compile_problems(diagnostics: &[Diagnostic], snippets: bool) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    if snippets {
        for diagnostic in diagnostics {
            let _ = write!(err, "{}", render(diagnostic, color));
        }
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        let _ = writeln!(
            err,
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

/// Renders one diagnostic the way `score validate` shows it.
pub fn render(diagnostic: &Diagnostic, color: bool) -> String {
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
