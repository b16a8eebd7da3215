//! Rewrites a parsed provisioner template so that everything that can make text grows
//! through a function of [`super::budget`]: what the template writes (`{{ … }}` and its
//! literal text, also inside `set` blocks and macros), the operators that build strings or
//! lists (`~`, `+`, `*`), and the results of filters and calls. minijinja has no hook for
//! these, so the tree is rebuilt with calls in their place before it is compiled; the
//! rebuilt tree is otherwise the one written (same spans, so errors keep their lines).
//!
//! Constructs whose output cannot be routed that way are refused: `{% filter %}` and
//! `{% call %}` blocks, `set` blocks with a filter, and `include`/`import`/`extends` (a
//! provisioner template has no other templates to reach).

use minijinja::Value;
use minijinja::machinery::Span;
use minijinja::machinery::ast::{self, BinOpKind, CallArg, Expr, Spanned, Stmt, UnaryOpKind};

use super::budget::{ADD, CONCAT, EMIT, MUL, VALUE};

/// A construct the rewrite refuses.
#[derive(Debug)]
pub(crate) struct Refused {
    /// The template line (1-based).
    pub line: usize,
    pub message: String,
}

type Error = Refused;

/// The tree of `stmt` with the budget's calls in place.
pub(crate) fn template<'a>(stmt: &Stmt<'a>) -> Result<Stmt<'a>, Refused> {
    rewrite_stmt(stmt)
}

/// [`template`], with `prelude` (statements already rewritten: the built-ins' macros) before
/// the template's own.
pub(crate) fn template_after<'a>(
    prelude: Vec<Stmt<'a>>,
    stmt: &Stmt<'a>,
) -> Result<Stmt<'a>, Refused> {
    let Stmt::Template(s) = stmt else {
        return rewrite_stmt(stmt);
    };
    let mut children = prelude;
    children.extend(body(&s.children)?);
    Ok(Stmt::Template(Spanned::new(
        ast::Template { children },
        s.span(),
    )))
}

fn refuse(what: &str, instead: &str, span: Span) -> Refused {
    Refused {
        line: usize::from(span.start_line),
        message: format!("{what} are not supported in provisioner templates; {instead}"),
    }
}

fn call<'a>(function: &'a str, args: Vec<Expr<'a>>, span: Span) -> Expr<'a> {
    Expr::Call(Spanned::new(
        ast::Call {
            expr: Expr::Var(Spanned::new(ast::Var { id: function }, span)),
            args: args.into_iter().map(CallArg::Pos).collect(),
        },
        span,
    ))
}

fn body<'a>(stmts: &[Stmt<'a>]) -> Result<Vec<Stmt<'a>>, Error> {
    stmts.iter().map(rewrite_stmt).collect()
}

fn emit<'a>(expr: Expr<'a>, span: Span) -> Stmt<'a> {
    Stmt::EmitExpr(Spanned::new(
        ast::EmitExpr {
            expr: call(EMIT, vec![expr], span),
        },
        span,
    ))
}

fn rewrite_stmt<'a>(stmt: &Stmt<'a>) -> Result<Stmt<'a>, Error> {
    Ok(match stmt {
        Stmt::Template(s) => Stmt::Template(Spanned::new(
            ast::Template {
                children: body(&s.children)?,
            },
            s.span(),
        )),
        Stmt::EmitExpr(s) => emit(expr(&s.expr), s.span()),
        Stmt::EmitRaw(s) => {
            let raw = Expr::Const(Spanned::new(
                ast::Const {
                    value: Value::from(s.raw),
                },
                s.span(),
            ));
            emit(raw, s.span())
        }
        Stmt::ForLoop(s) => Stmt::ForLoop(Spanned::new(
            ast::ForLoop {
                target: expr(&s.target),
                iter: expr(&s.iter),
                filter_expr: s.filter_expr.as_ref().map(expr),
                recursive: s.recursive,
                body: body(&s.body)?,
                else_body: body(&s.else_body)?,
            },
            s.span(),
        )),
        Stmt::IfCond(s) => Stmt::IfCond(Spanned::new(
            ast::IfCond {
                expr: expr(&s.expr),
                true_body: body(&s.true_body)?,
                false_body: body(&s.false_body)?,
            },
            s.span(),
        )),
        Stmt::WithBlock(s) => Stmt::WithBlock(Spanned::new(
            ast::WithBlock {
                assignments: s
                    .assignments
                    .iter()
                    .map(|(target, value)| (expr(target), expr(value)))
                    .collect(),
                body: body(&s.body)?,
            },
            s.span(),
        )),
        Stmt::Set(s) => Stmt::Set(Spanned::new(
            ast::Set {
                target: expr(&s.target),
                expr: expr(&s.expr),
            },
            s.span(),
        )),
        Stmt::SetBlock(s) => {
            if s.filter.is_some() {
                return Err(refuse(
                    "`set` blocks with a filter",
                    "write `{% set x %}…{% endset %}{% set x = x | f %}`",
                    s.span(),
                ));
            }
            Stmt::SetBlock(Spanned::new(
                ast::SetBlock {
                    target: expr(&s.target),
                    filter: None,
                    body: body(&s.body)?,
                },
                s.span(),
            ))
        }
        other => rewrite_other(other)?,
    })
}

/// The statements that are rarer in provisioner templates.
fn rewrite_other<'a>(stmt: &Stmt<'a>) -> Result<Stmt<'a>, Error> {
    const INCLUDE: &str = "write the template out in full";
    Ok(match stmt {
        Stmt::AutoEscape(s) => Stmt::AutoEscape(Spanned::new(
            ast::AutoEscape {
                enabled: expr(&s.enabled),
                body: body(&s.body)?,
            },
            s.span(),
        )),
        Stmt::Block(s) => Stmt::Block(Spanned::new(
            ast::Block {
                name: s.name,
                required: s.required,
                body: body(&s.body)?,
            },
            s.span(),
        )),
        Stmt::Macro(s) => Stmt::Macro(Spanned::new(macro_decl(s)?, s.span())),
        Stmt::Continue(s) => Stmt::Continue(Spanned::new(ast::Continue, s.span())),
        Stmt::Break(s) => Stmt::Break(Spanned::new(ast::Break, s.span())),
        Stmt::Do(s) => Stmt::Do(Spanned::new(
            ast::Do {
                call: Spanned::new(call_node(&s.call), s.call.span()),
            },
            s.span(),
        )),
        Stmt::FilterBlock(s) => {
            return Err(refuse(
                "`filter` blocks",
                "write `{% set x %}…{% endset %}{{ x | f }}`",
                s.span(),
            ));
        }
        Stmt::CallBlock(s) => {
            return Err(refuse(
                "`call` blocks",
                "pass the text to the macro as an argument",
                s.span(),
            ));
        }
        Stmt::Include(s) => return Err(refuse("`include` statements", INCLUDE, s.span())),
        Stmt::Import(s) => return Err(refuse("`import` statements", INCLUDE, s.span())),
        Stmt::FromImport(s) => return Err(refuse("`from … import` statements", INCLUDE, s.span())),
        Stmt::Extends(s) => return Err(refuse("`extends` statements", INCLUDE, s.span())),
        // The statements handled by `rewrite_stmt`.
        Stmt::Template(_)
        | Stmt::EmitExpr(_)
        | Stmt::EmitRaw(_)
        | Stmt::ForLoop(_)
        | Stmt::IfCond(_)
        | Stmt::WithBlock(_)
        | Stmt::Set(_)
        | Stmt::SetBlock(_) => rewrite_stmt(stmt)?,
    })
}

fn macro_decl<'a>(m: &ast::Macro<'a>) -> Result<ast::Macro<'a>, Error> {
    Ok(ast::Macro {
        name: m.name,
        args: m.args.iter().map(expr).collect(),
        defaults: m.defaults.iter().map(expr).collect(),
        body: body(&m.body)?,
    })
}

fn args<'a>(args: &[CallArg<'a>]) -> Vec<CallArg<'a>> {
    args.iter()
        .map(|arg| match arg {
            CallArg::Pos(e) => CallArg::Pos(expr(e)),
            CallArg::Kwarg(name, e) => CallArg::Kwarg(name, expr(e)),
            CallArg::PosSplat(e) => CallArg::PosSplat(expr(e)),
            CallArg::KwargSplat(e) => CallArg::KwargSplat(expr(e)),
        })
        .collect()
}

/// A call with its parts rewritten; the callee keeps its shape (`loop(…)`, `caller()`,
/// `x.method()` are compiled by their shape).
fn call_node<'a>(c: &ast::Call<'a>) -> ast::Call<'a> {
    ast::Call {
        expr: expr(&c.expr),
        args: args(&c.args),
    }
}

fn boxed<'a>(e: &Option<Expr<'a>>) -> Option<Expr<'a>> {
    e.as_ref().map(expr)
}

fn expr<'a>(e: &Expr<'a>) -> Expr<'a> {
    match e {
        Expr::Var(v) => Expr::Var(Spanned::new(ast::Var { id: v.id }, v.span())),
        Expr::Const(c) => Expr::Const(Spanned::new(
            ast::Const {
                value: c.value.clone(),
            },
            c.span(),
        )),
        Expr::Slice(s) => Expr::Slice(Spanned::new(
            ast::Slice {
                expr: expr(&s.expr),
                start: boxed(&s.start),
                stop: boxed(&s.stop),
                step: boxed(&s.step),
            },
            s.span(),
        )),
        Expr::UnaryOp(u) => Expr::UnaryOp(Spanned::new(
            ast::UnaryOp {
                op: match u.op {
                    UnaryOpKind::Not => UnaryOpKind::Not,
                    UnaryOpKind::Neg => UnaryOpKind::Neg,
                },
                expr: expr(&u.expr),
            },
            u.span(),
        )),
        Expr::BinOp(b) => binop(b, b.span()),
        Expr::Compare(c) => Expr::Compare(Spanned::new(
            ast::Compare {
                expr: expr(&c.expr),
                ops: c
                    .ops
                    .iter()
                    .map(|op| ast::CompareOp {
                        op: op.op,
                        expr: expr(&op.expr),
                    })
                    .collect(),
            },
            c.span(),
        )),
        Expr::IfExpr(i) => Expr::IfExpr(Spanned::new(
            ast::IfExpr {
                test_expr: expr(&i.test_expr),
                true_expr: expr(&i.true_expr),
                false_expr: boxed(&i.false_expr),
            },
            i.span(),
        )),
        other => expr_access(other),
    }
}

/// Filters, tests, calls, attribute and item access, literals.
fn expr_access<'a>(e: &Expr<'a>) -> Expr<'a> {
    match e {
        Expr::Filter(f) => {
            let filter = Expr::Filter(Spanned::new(
                ast::Filter {
                    name: f.name,
                    expr: boxed(&f.expr),
                    args: args(&f.args),
                },
                f.span(),
            ));
            call(VALUE, vec![filter], f.span())
        }
        Expr::Test(t) => Expr::Test(Spanned::new(
            ast::Test {
                name: t.name,
                expr: expr(&t.expr),
                args: args(&t.args),
            },
            t.span(),
        )),
        Expr::GetAttr(g) => Expr::GetAttr(Spanned::new(
            ast::GetAttr {
                expr: expr(&g.expr),
                name: g.name,
            },
            g.span(),
        )),
        Expr::GetItem(g) => Expr::GetItem(Spanned::new(
            ast::GetItem {
                expr: expr(&g.expr),
                subscript_expr: expr(&g.subscript_expr),
            },
            g.span(),
        )),
        Expr::Call(c) => {
            let inner = Expr::Call(Spanned::new(call_node(c), c.span()));
            call(VALUE, vec![inner], c.span())
        }
        Expr::List(l) => Expr::List(Spanned::new(
            ast::List {
                items: l.items.iter().map(expr).collect(),
            },
            l.span(),
        )),
        Expr::Map(m) => Expr::Map(Spanned::new(
            ast::Map {
                keys: m.keys.iter().map(expr).collect(),
                values: m.values.iter().map(expr).collect(),
            },
            m.span(),
        )),
        other => expr(other),
    }
}

fn binop<'a>(b: &ast::BinOp<'a>, span: Span) -> Expr<'a> {
    let (left, right) = (expr(&b.left), expr(&b.right));
    let function = match b.op {
        BinOpKind::Concat => CONCAT,
        BinOpKind::Add => ADD,
        BinOpKind::Mul => MUL,
        op => {
            return Expr::BinOp(Spanned::new(ast::BinOp { op, left, right }, span));
        }
    };
    call(function, vec![left, right], span)
}
