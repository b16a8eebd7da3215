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

/// Snippets on stderr, then a one-line summary.
pub fn human(diagnostics: &[Diagnostic], files: usize, invalid: usize) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut err = std::io::stderr().lock();
    for diagnostic in diagnostics {
        let _ = write!(err, "{}", render(diagnostic, color));
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let _ = writeln!(err, "{}", summary(files, invalid, errors, warnings));
}

/// Renders one diagnostic the way `score validate` shows it.
pub fn render(diagnostic: &Diagnostic, color: bool) -> String {
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
