//! The module-layering rule: within each module, its child modules import each other without
//! cycles, so every module can be read (and changed) knowing only the ones below it. `cargo
//! test` enforces it (`xtask/tests/module_cycles.rs`); `cargo run -p xtask -- module-graph`
//! prints every edge.
//!
//! A crate's modules form a tree (files and inline `mod x { … }`). A path such as
//! `crate::targets::kubernetes::names::X` or `super::names::X`, in a `use` or anywhere in code,
//! is a reference from the module it is written in to the deepest module it names. A reference
//! between two modules that are neither ancestor nor descendant of each other is an edge
//! between the two children of their closest common ancestor that contain them: a reference
//! from `targets::compose::workload` to `targets::kubernetes::names` is the edge `compose →
//! kubernetes` inside `targets`. References to an ancestor or descendant are not edges (a
//! module is made of its children). A cycle is a cycle among the edges of one parent.
//!
//! What it cannot see: references written inside macro invocations (their tokens are not
//! parsed), and a sibling reached through a re-export of a common ancestor (`super::X` where
//! the parent re-exports `names::X`) counts as a reference to that ancestor.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module's path from its crate's root, such as `["targets", "kubernetes"]`.
pub type ModulePath = Vec<String>;

/// One reference that makes an edge: where it is written and what it names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub file: PathBuf,
    pub line: usize,
    /// The path as written, `::`-separated.
    pub path: String,
}

/// The edges between sibling modules of one crate: (parent, from child, to child) → the
/// references that make the edge.
pub type Edges = BTreeMap<(ModulePath, String, String), Vec<Reference>>;

/// Every edge between siblings in the crate whose sources are under `src` (holding `lib.rs` or
/// `main.rs`).
pub fn crate_edges(src: &Path) -> Result<Edges, String> {
    let files = module_files(src)?;
    let mut parsed = Vec::new();
    let mut modules: BTreeSet<ModulePath> = files.iter().map(|(m, _)| m.clone()).collect();
    for (module, file) in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let ast = syn::parse_file(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        inline_modules(&ast.items, module, &mut modules);
        parsed.push((module.clone(), file.clone(), ast));
    }
    let mut edges = Edges::new();
    for (module, file, ast) in &parsed {
        let mut collector = Collector {
            file,
            modules: &modules,
            at: module.clone(),
            references: Vec::new(),
        };
        collector.visit_file(ast);
        for (from, to, reference) in collector.references {
            if let Some(key) = sibling_edge(&from, &to) {
                edges.entry(key).or_default().push(reference);
            }
        }
    }
    Ok(edges)
}

/// The cycles among `edges`, each as the list of siblings in order (the first repeated at the
/// end), with their parent.
pub fn cycles(edges: &Edges) -> Vec<(ModulePath, Vec<String>)> {
    let mut by_parent: BTreeMap<&ModulePath, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for (parent, from, to) in edges.keys() {
        by_parent
            .entry(parent)
            .or_default()
            .entry(from)
            .or_default()
            .insert(to);
    }
    let mut found = Vec::new();
    for (parent, graph) in by_parent {
        let mut reported: BTreeSet<BTreeSet<String>> = BTreeSet::new();
        for &start in graph.keys() {
            if let Some(cycle) = cycle_through(&graph, start) {
                let members: BTreeSet<String> = cycle.iter().cloned().collect();
                if reported.insert(members) {
                    found.push((parent.clone(), cycle));
                }
            }
        }
    }
    found
}

/// A shortest cycle from `start` back to itself, by breadth-first search.
fn cycle_through(graph: &BTreeMap<&str, BTreeSet<&str>>, start: &str) -> Option<Vec<String>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &next in graph.get(node).into_iter().flatten() {
            if next == start {
                let mut path = vec![node.to_owned()];
                let mut at = node;
                while at != start {
                    at = came_from[at];
                    path.push(at.to_owned());
                }
                path.reverse();
                path.push(start.to_owned());
                return Some(path);
            }
            if next != start && !came_from.contains_key(next) {
                came_from.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

/// The edge a reference from module `from` to module `to` makes, if any.
fn sibling_edge(from: &ModulePath, to: &ModulePath) -> Option<(ModulePath, String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == from.len() || common == to.len() {
        return None;
    }
    Some((
        from[..common].to_vec(),
        from[common].clone(),
        to[common].clone(),
    ))
}

/// Every module file under `src` and its module path.
fn module_files(src: &Path) -> Result<Vec<(ModulePath, PathBuf)>, String> {
    let mut found = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).map_err(|e| e.to_string())?;
                found.push((module_of(relative), path));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// `a/b.rs` and `a/b/mod.rs` are `a::b`; `lib.rs` and `main.rs` are the root.
fn module_of(relative: &Path) -> ModulePath {
    let mut parts: ModulePath = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.as_slice(), [only] if only == "lib" || only == "main") {
        parts.clear();
    }
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Adds the inline modules (`mod x { … }`) declared in `items` of `module`.
fn inline_modules(items: &[syn::Item], module: &ModulePath, modules: &mut BTreeSet<ModulePath>) {
    for item in items {
        if let syn::Item::Mod(m) = item
            && let Some((_, inner)) = &m.content
        {
            let mut path = module.clone();
            path.push(m.ident.to_string());
            inline_modules(inner, &path, modules);
            modules.insert(path);
        }
    }
}

/// Collects the references of one file, tracking the inline module it is in.
struct Collector<'a> {
    file: &'a Path,
    modules: &'a BTreeSet<ModulePath>,
    at: ModulePath,
    references: Vec<(ModulePath, ModulePath, Reference)>,
}

impl Collector<'_> {
    /// Records a path given as its segments (`crate`, `super`, `self` first, or not at all).
    fn record(&mut self, segments: &[String], line: usize) {
        let Some(target) = resolve(&self.at, segments, self.modules) else {
            return;
        };
        let reference = Reference {
            file: self.file.to_path_buf(),
            line,
            path: segments.join("::"),
        };
        self.references.push((self.at.clone(), target, reference));
    }

    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>, line: usize) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix, line);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.record_with(prefix, &n.ident, line),
            syn::UseTree::Rename(r) => self.record_with(prefix, &r.ident, line),
            syn::UseTree::Glob(_) => self.record(prefix, line),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(tree, prefix, line);
                }
            }
        }
    }

    fn record_with(&mut self, prefix: &[String], last: &syn::Ident, line: usize) {
        let mut segments = prefix.to_vec();
        segments.push(last.to_string());
        self.record(&segments, line);
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_none() {
            return;
        }
        self.at.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.at.pop();
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let line = u.use_token.span.start().line;
        self.use_tree(&u.tree, &mut Vec::new(), line);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let line = path
            .segments
            .first()
            .map_or(0, |s| s.ident.span().start().line);
        self.record(&segments, line);
        syn::visit::visit_path(self, path);
    }
}

/// The deepest known module `segments` names, written in module `at`; `None` for a path that
/// does not start at `crate`, `super` or `self` (it names a child, an item in scope or another
/// crate, none of which is a sibling).
fn resolve(
    at: &ModulePath,
    segments: &[String],
    modules: &BTreeSet<ModulePath>,
) -> Option<ModulePath> {
    let (mut module, mut rest) = match segments.first().map(String::as_str) {
        Some("crate") => (ModulePath::new(), &segments[1..]),
        Some("self") => (at.clone(), &segments[1..]),
        Some("super") => (at.clone(), segments),
        _ => return None,
    };
    while rest.first().is_some_and(|s| s == "super") {
        module.pop()?;
        rest = &rest[1..];
    }
    for segment in rest {
        let mut deeper = module.clone();
        deeper.push(segment.clone());
        if !modules.contains(&deeper) {
            break;
        }
        module = deeper;
    }
    Some(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(paths: &[&str]) -> BTreeSet<ModulePath> {
        paths
            .iter()
            .map(|p| {
                p.split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect()
    }

    fn path(p: &str) -> ModulePath {
        p.split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    fn segments(p: &str) -> Vec<String> {
        p.split("::").map(String::from).collect()
    }

    #[test]
    fn paths_resolve_to_the_deepest_module_they_name() {
        let known = modules(&["", "a", "a::b", "a::c", "d"]);
        let at = path("a::b");
        assert_eq!(
            resolve(&at, &segments("crate::a::c::Item"), &known),
            Some(path("a::c"))
        );
        assert_eq!(
            resolve(&at, &segments("super::c::f"), &known),
            Some(path("a::c"))
        );
        assert_eq!(
            resolve(&at, &segments("super::super::d"), &known),
            Some(path("d"))
        );
        assert_eq!(
            resolve(&at, &segments("self::X"), &known),
            Some(path("a::b"))
        );
        assert_eq!(resolve(&at, &segments("serde::Deserialize"), &known), None);
    }

    #[test]
    fn only_references_between_siblings_are_edges() {
        let edge = sibling_edge(&path("a::b::x"), &path("a::c"));
        assert_eq!(edge, Some((path("a"), "b".into(), "c".into())));
        assert_eq!(sibling_edge(&path("a::b"), &path("a")), None);
        assert_eq!(sibling_edge(&path("a"), &path("a::b")), None);
    }

    #[test]
    fn a_cycle_through_a_third_module_is_found() {
        let mut edges = Edges::new();
        let r = Reference {
            file: "f.rs".into(),
            line: 1,
            path: "x".into(),
        };
        for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
            edges.insert((Vec::new(), from.into(), to.into()), vec![r.clone()]);
        }
        let found = cycles(&edges);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, ["a", "b", "c", "a"]);
        edges.remove(&(Vec::new(), "c".into(), "a".into()));
        assert!(cycles(&edges).is_empty());
    }
}
