//! The text budget of one template render: a provisioner file is untrusted input, and
//! minijinja's fuel counts instructions, not bytes (`"x" * 100000000` is one instruction,
//! and doubling a string thirty times thirty). Every place text can grow goes through the
//! functions here ([`super::rewrite`] puts them in the template), which charge what they
//! make to the render's [`Budget`] and fail with `score::provisioner::template-limit`
//! before allocating past it:
//!
//! - what the template writes (also into `set` blocks and macros' output);
//! - `~`, `+` and `*` (checked before the string or list is built);
//! - the result of every filter and call (measured after, so a chain of growing filters
//!   stops at the budget), and before it, for the filters that can grow text without limit
//!   from small arguments (`replace`, `indent`, `format`, `join`, `tojson`, `pprint`,
//!   `string`, `batch`, `slice`).
//!
//! Lists built by repetition or `+` hold at most [`ITEMS`] items, like minijinja's `range`.

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::value::{Rest, ValueKind};
use minijinja::{Environment, Error, State, Value, filters};

use super::signals::failure;

/// The most text one render may write and build, in bytes (8 MiB): far above what a real
/// provisioner renders (a few kilobytes), low enough that a hostile template cannot
/// exhaust memory.
pub const TEXT_BUDGET: usize = 8 << 20;

/// The most items a list built by `*` or `+` (or a filter's `count`) may have.
pub const ITEMS: usize = 100_000;

/// The code of a template that went past the budget.
pub(crate) use super::signals::TEMPLATE_LIMIT as LIMIT;

/// The functions the rewritten templates call.
pub(crate) const EMIT: &str = "__score_emit";
pub(crate) const CONCAT: &str = "__score_concat";
pub(crate) const ADD: &str = "__score_add";
pub(crate) const MUL: &str = "__score_mul";
pub(crate) const VALUE: &str = "__score_value";

/// What one render has used of [`TEXT_BUDGET`]; shared by the environment's functions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Budget {
    used: Arc<AtomicUsize>,
}

impl Budget {
    /// Starts a new render.
    pub fn reset(&self) {
        self.used.store(0, Ordering::Relaxed);
    }

    fn remaining(&self) -> usize {
        TEXT_BUDGET.saturating_sub(self.used.load(Ordering::Relaxed))
    }

    /// Fails when `bytes` more do not fit.
    fn check(&self, bytes: Option<usize>) -> Result<usize, Error> {
        match bytes {
            Some(n) if n <= self.remaining() => Ok(n),
            _ => Err(exceeded("text")),
        }
    }

    /// Adds `bytes`, failing when they do not fit.
    fn charge(&self, bytes: Option<usize>) -> Result<(), Error> {
        let n = self.check(bytes)?;
        self.used.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }

    /// Adds the text of `value`.
    fn charge_value(&self, value: &Value) -> Result<(), Error> {
        self.charge(measure(value, self.remaining()))
    }
}

/// The error of a template past the budget; `what` is `text` or `items`.
fn exceeded(what: &str) -> Error {
    let message = if what == "items" {
        format!("built a list of more than {ITEMS} items, the limit for one template")
    } else {
        format!(
            "wrote or built more than {} MiB of text, the limit for one template",
            TEXT_BUDGET >> 20
        )
    };
    failure(
        LIMIT,
        "",
        Some(&format!(
            "a provisioner template may write and build at most {} MiB of text (what it \
             writes, strings built with `~`, `+` and `*`, results of filters and functions) \
             and lists of at most {ITEMS} items, so that a provisioner file cannot exhaust \
             memory; make what the template builds smaller, or pass large content another way \
             (a file the workload mounts)",
            TEXT_BUDGET >> 20
        )),
        &message,
    )
}

/// Counts the bytes written, refusing past a limit.
struct Counter {
    bytes: usize,
    limit: usize,
}

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes += s.len();
        if self.bytes > self.limit {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// The length of `value`'s text, or `None` when it is longer than `limit` (measured without
/// building it, and stopping at the limit).
fn measure(value: &Value, limit: usize) -> Option<usize> {
    if let Some(s) = value.as_str() {
        return (s.len() <= limit).then_some(s.len());
    }
    let mut counter = Counter { bytes: 0, limit };
    write!(counter, "{value}").ok()?;
    Some(counter.bytes)
}

fn is_list(value: &Value) -> bool {
    matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable)
}

/// `a ~ b` (or `a + b` on strings): the text of both, checked before it is built.
fn concat(budget: &Budget, state: &State, a: &Value, b: &Value) -> Result<Value, Error> {
    if state.undefined_behavior() != minijinja::UndefinedBehavior::Lenient
        && (a.is_undefined() || b.is_undefined())
    {
        return Err(Error::from(minijinja::ErrorKind::UndefinedError));
    }
    let remaining = budget.remaining();
    let left = budget.check(measure(a, remaining))?;
    budget.check(measure(b, remaining - left).map(|right| left + right))?;
    let text = format!("{a}{b}");
    budget.charge(Some(text.len()))?;
    Ok(Value::from(text))
}

/// Evaluates `source` (an expression on `a` and `b`) with minijinja's own operators.
fn operator(state: &State, source: &'static str, a: Value, b: Value) -> Result<Value, Error> {
    let expression = state.env().compile_expression(source)?;
    expression.eval(minijinja::context! { a => a, b => b })
}

fn add(budget: &Budget, state: &State, a: Value, b: Value) -> Result<Value, Error> {
    if a.as_str().is_some() && b.as_str().is_some() {
        return concat(budget, state, &a, &b);
    }
    if is_list(&a) && is_list(&b) {
        let items = a
            .len()
            .unwrap_or(ITEMS)
            .saturating_add(b.len().unwrap_or(ITEMS));
        if items > ITEMS {
            return Err(exceeded("items"));
        }
    }
    operator(state, "a + b", a, b)
}

fn mul(budget: &Budget, state: &State, a: Value, b: Value) -> Result<Value, Error> {
    let (repeated, times) = if a.as_usize().is_some() {
        (&b, &a)
    } else {
        (&a, &b)
    };
    if let (Some(text), Some(n)) = (repeated.as_str(), times.as_usize()) {
        budget.check(text.len().checked_mul(n))?;
    } else if let (true, Some(n)) = (is_list(repeated), times.as_usize()) {
        let items = repeated.len().unwrap_or(ITEMS).checked_mul(n);
        if !matches!(items, Some(items) if items <= ITEMS) {
            return Err(exceeded("items"));
        }
    }
    let result = operator(state, "a * b", a, b)?;
    if result.as_str().is_some() {
        budget.charge_value(&result)?;
    }
    Ok(result)
}

/// Adds the budget's functions and the checked filters to `env`.
pub(crate) fn register(env: &mut Environment<'_>, budget: &Budget) {
    let b = budget.clone();
    env.add_function(EMIT, move |value: Value| {
        b.charge_value(&value).map(|()| value)
    });
    let b = budget.clone();
    env.add_function(VALUE, move |value: Value| {
        b.charge_value(&value).map(|()| value)
    });
    let b = budget.clone();
    env.add_function(CONCAT, move |state: &State, a: Value, c: Value| {
        concat(&b, state, &a, &c)
    });
    let b = budget.clone();
    env.add_function(ADD, move |state: &State, a: Value, c: Value| {
        add(&b, state, a, c)
    });
    let b = budget.clone();
    env.add_function(MUL, move |state: &State, a: Value, c: Value| {
        mul(&b, state, a, c)
    });
    checked_filters(env, budget);
}

/// The built-in filters that can grow text without limit, each checked before it runs.
fn checked_filters(env: &mut Environment<'_>, budget: &Budget) {
    let checks: [(&str, Value, Check); 9] = [
        ("replace", Value::from_function(filters::replace), replace),
        ("indent", Value::from_function(filters::indent), indent),
        ("format", Value::from_function(filters::format), format),
        ("join", Value::from_function(filters::join), join),
        ("tojson", Value::from_function(filters::tojson), tojson),
        ("pprint", Value::from_function(filters::pprint), whole),
        ("string", Value::from_function(filters::string), whole),
        ("batch", Value::from_function(filters::batch), count),
        ("slice", Value::from_function(filters::slice), count),
    ];
    for (name, filter, check) in checks {
        let b = budget.clone();
        env.add_filter(
            name,
            move |state: &State, value: Value, args: Rest<Value>| -> Result<Value, Error> {
                check(b.remaining(), &value, &args)?;
                let mut all = Vec::with_capacity(args.len() + 1);
                all.push(value);
                all.extend(args.0);
                filter.call(state, &all)
            },
        );
    }
}

/// Checks a filter's input and arguments against the bytes remaining.
type Check = fn(usize, &Value, &[Value]) -> Result<(), Error>;

fn fits(bytes: Option<usize>, remaining: usize) -> Result<(), Error> {
    match bytes {
        Some(n) if n <= remaining => Ok(()),
        _ => Err(exceeded("text")),
    }
}

/// The text of `value`, when it fits in `remaining`.
fn text(value: &Value, remaining: usize) -> Result<String, Error> {
    fits(measure(value, remaining), remaining)?;
    Ok(value.to_string())
}

/// `replace(from, to)`: every occurrence of `from` grows by the difference.
fn replace(remaining: usize, value: &Value, args: &[Value]) -> Result<(), Error> {
    let (Some(from), Some(to)) = (args.first(), args.get(1)) else {
        return Ok(());
    };
    let (s, from, to) = (
        text(value, remaining)?,
        text(from, remaining)?,
        text(to, remaining)?,
    );
    let Some(growth) = to.len().checked_sub(from.len()).filter(|g| *g > 0) else {
        return Ok(());
    };
    let occurrences = if from.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(from.as_str()).count()
    };
    fits(
        occurrences
            .checked_mul(growth)
            .and_then(|g| g.checked_add(s.len())),
        remaining,
    )
}

/// `indent(width)`: each line grows by the width.
fn indent(remaining: usize, value: &Value, args: &[Value]) -> Result<(), Error> {
    let s = text(value, remaining)?;
    let width = args.first().and_then(Value::as_usize).unwrap_or(0);
    let lines = s.lines().count() + 1;
    fits(
        lines
            .checked_mul(width)
            .and_then(|g| g.checked_add(s.len())),
        remaining,
    )
}

/// `format(args…)`: the format, its arguments and every width or precision written in it.
fn format(remaining: usize, value: &Value, args: &[Value]) -> Result<(), Error> {
    let format = text(value, remaining)?;
    let mut total = Some(format.len());
    for arg in args {
        total = total.and_then(|t| t.checked_add(measure(arg, remaining)?));
    }
    for number in format.split(|c: char| !c.is_ascii_digit()) {
        if !number.is_empty() {
            let n = number.parse::<usize>().ok();
            total = total.and_then(|t| t.checked_add(n?));
        }
    }
    fits(total, remaining)
}

/// `join(separator)`: the items' text and a separator between each two.
fn join(remaining: usize, value: &Value, args: &[Value]) -> Result<(), Error> {
    let separator = match args.first() {
        Some(s) => text(s, remaining)?.len(),
        None => 0,
    };
    let Ok(items) = value.try_iter() else {
        return Ok(());
    };
    let mut total = 0usize;
    for (n, item) in items.enumerate() {
        if n >= ITEMS.saturating_mul(10) {
            return Err(exceeded("items"));
        }
        let left = remaining.saturating_sub(total);
        total = total
            .saturating_add(measure(&item, left).ok_or_else(|| exceeded("text"))?)
            .saturating_add(separator);
        fits(Some(total), remaining)?;
    }
    Ok(())
}

/// `tojson`: about the size of the value's text, with a small indent.
fn tojson(remaining: usize, value: &Value, args: &[Value]) -> Result<(), Error> {
    if args
        .first()
        .and_then(Value::as_usize)
        .is_some_and(|w| w > 16)
    {
        return Err(exceeded("text"));
    }
    whole(remaining, value, args)
}

/// Filters that write out their whole input.
fn whole(remaining: usize, value: &Value, _args: &[Value]) -> Result<(), Error> {
    fits(measure(value, remaining), remaining)
}

/// `batch(count)`, `slice(count)`: at most [`ITEMS`] groups or padding items.
fn count(_remaining: usize, _value: &Value, args: &[Value]) -> Result<(), Error> {
    match args.first().and_then(Value::as_usize) {
        Some(n) if n > ITEMS => Err(exceeded("items")),
        _ => Ok(()),
    }
}
