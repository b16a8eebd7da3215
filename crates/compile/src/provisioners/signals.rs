//! What template functions signal back to the compile: a failure raised on purpose
//! (`fail(…)`, `check_route(…)`, a budget exceeded), carried through minijinja's error as a
//! marked message, and warnings (`warn(…)`, a workload assumed external), collected in
//! [`Hooks`]. Below the template environment ([`super::templates`]) and the functions that
//! raise them ([`super::budget`], [`super::route`], [`super::external`]), so that none of those
//! needs the environment.

use std::sync::{Arc, Mutex};

use minijinja::{Error, ErrorKind};

use super::{ExternalWorkloads, HostName};

/// The code of a template that did more work than allowed.
pub(crate) const TEMPLATE_LIMIT: &str = "score::provisioner::template-limit";

/// Marks an error raised on purpose (`fail(…)`, `check_route(…)`), whose message is shown as
/// is. The fields after it are separated by [`FIELD`].
pub(crate) const FAIL_MARK: &str = "\u{1}fail\u{1}";
pub(crate) const FIELD: char = '\u{1}';

/// The diagnostic codes a deliberate failure or a warning may carry.
pub(crate) const CODES: [&str; 10] = [
    "score::provisioner::failed",
    "score::route::params",
    "score::route::host",
    "score::route::path",
    "score::route::port",
    "score::provisioner::warning",
    "score::service::external",
    "score::service::workload",
    "score::service::port",
    TEMPLATE_LIMIT,
];

/// The code of `warn(…)`.
pub(crate) const WARNING: &str = CODES[5];

/// What a compile tells the template functions, and where their warnings go.
#[derive(Clone, Debug)]
pub(crate) struct Hooks {
    /// The host name of a workload not compiled along, as the target names it.
    pub host_name: HostName,
    /// Whether a workload not compiled along is assumed deployed elsewhere.
    pub external: ExternalWorkloads,
    /// What templates warned about since the last [`Hooks::take_warnings`].
    warnings: Arc<Mutex<Vec<Warned>>>,
}

/// A warning a template function raised: like [`Deliberate`], owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Warned {
    pub code: &'static str,
    /// Where, as a JSON pointer below the resource (`""`: the resource itself).
    pub at: String,
    pub help: Option<String>,
    pub message: String,
}

impl Hooks {
    pub fn new(host_name: HostName, external: ExternalWorkloads) -> Self {
        Hooks {
            host_name,
            external,
            warnings: Arc::default(),
        }
    }

    /// Records a warning; the same warning twice (two templates of one resource) is kept once.
    pub fn warn(&self, warned: Warned) {
        let mut warnings = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        if !warnings.contains(&warned) {
            warnings.push(warned);
        }
    }

    /// The warnings recorded so far, leaving none.
    pub fn take_warnings(&self) -> Vec<Warned> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The known code equal to `code`, or the generic failure's.
pub(crate) fn known_code(code: &str) -> &'static str {
    CODES.iter().find(|c| **c == code).unwrap_or(&CODES[0])
}

/// An error a template raised on purpose.
#[derive(Debug, PartialEq)]
pub(crate) struct Deliberate<'a> {
    /// The diagnostic code.
    pub code: &'static str,
    /// Where, as a JSON pointer below the resource (`""`: the resource itself).
    pub at: &'a str,
    /// How to fix it, when the template said.
    pub help: Option<&'a str>,
    /// What is wrong.
    pub message: &'a str,
}

/// The error a template function raises on purpose; `code` is one of [`CODES`].
pub(crate) fn failure(code: &str, at: &str, help: Option<&str>, message: &str) -> Error {
    let help = help.unwrap_or_default();
    Error::new(
        ErrorKind::InvalidOperation,
        format!("{FAIL_MARK}{code}{FIELD}{at}{FIELD}{help}{FIELD}{message}"),
    )
}

/// The error a template raised on purpose (with `fail(…)` or `check_route(…)`), if it is one.
pub(crate) fn deliberate(message: &str) -> Option<Deliberate<'_>> {
    let mut fields = message.strip_prefix(FAIL_MARK)?.splitn(4, FIELD);
    let code = fields.next()?;
    let (at, help, message) = (fields.next()?, fields.next()?, fields.next()?);
    Some(Deliberate {
        code: known_code(code),
        at,
        help: (!help.is_empty()).then_some(help),
        message,
    })
}
