//! The layers of the crate, checked: every `crate::…` path in a module's code (its unit tests
//! aside) must name a module of its own layer or one below, and the modules of one layer, and the
//! files of one module, must not import each other in a cycle. ARCHITECTURE.md draws the same
//! picture.
//!
//! The few imports that still point up are listed in [`KNOWN_UPWARD`], each with what would
//! remove it; an entry that no longer occurs fails the test too, so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom first. A module may use its own layer and the ones before it.
const LAYERS: [&[&str]; 8] = [
    // Plain data and the things everything reports through.
    &["error", "metrics", "entities", "config", "telemetry"],
    // Storage: connections, the unit of work, caches and their events, limiter state.
    &["db", "cache", "rate_limit", "scans"],
    // Which tenant: hosts, slugs, the app catalog, the resolver, the tenant context.
    &["tenancy"],
    // Who is asking: credentials, tokens, secrets, the principal.
    &["auth"],
    // Use-cases.
    &["services"],
    // The running application's shared state.
    &["state"],
    // The two front doors.
    &["graphql", "http"],
    // Processes: the binary, its commands, its background tasks.
    &["lib", "main", "cli", "background"],
];

/// Imports that still point up: (from, to, what removes it).
const KNOWN_UPWARD: [(&str, &str, &str); 0] = [];

fn layer_of(module: &str) -> usize {
    LAYERS
        .iter()
        .position(|layer| layer.contains(&module))
        .unwrap_or_else(|| panic!("module `{module}` is in no layer: add it to LAYERS"))
}

/// Every `.rs` file below `dir`: what the tests that read the source read.
pub(crate) fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

/// A file's module path under `src` (`services/tenants.rs` → `services::tenants`).
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without its unit tests, and without comments (a doc comment may name any
/// module).
pub(crate) fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b…` (and `super::b`, resolved) a file names, as module paths; a group
/// (`crate::a::{b, c::d}`) names each of its members.
fn imports(module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    for (prefix, base) in [("crate::", vec![]), ("super::", parent(module))] {
        for (at, _) in code.match_indices(prefix) {
            let preceded = code[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            if !preceded {
                paths(&code[at + prefix.len()..], base.clone(), &mut found);
            }
        }
    }
    found.retain(|path| !path.is_empty());
    found
}

/// Reads `a::b::{c, d::e}` from the start of `rest` onto `path`.
fn paths(rest: &str, mut path: Vec<String>, found: &mut BTreeSet<Vec<String>>) {
    let mut rest = rest;
    loop {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                for member in split_group(group) {
                    paths(member.trim(), path.clone(), found);
                }
                return;
            }
            found.insert(path);
            return;
        }
        rest = &rest[name.len()..];
        if name != "self" {
            path.push(name);
        }
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => {
                found.insert(path);
                return;
            }
        }
    }
}

/// The top-level members of a `{…}` group, up to its closing brace.
fn split_group(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut members) = (0, 0, Vec::new());
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                members.push(&group[start..at]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&group[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    members
}

fn parent(module: &[String]) -> Vec<String> {
    module[..module.len().saturating_sub(1)].to_vec()
}

struct Tree {
    /// Module path → the module paths it names.
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

impl Tree {
    fn read() -> Self {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let files = rust_files(&src);
        let mut edges = BTreeMap::new();
        for path in files {
            let module = module_path(path.strip_prefix(&src).unwrap());
            let named = imports(&module, &code_of(&path));
            edges.insert(module, named);
        }
        Self { edges }
    }

    /// Top-level module → top-level modules it names.
    fn top_level(&self) -> BTreeMap<String, BTreeSet<String>> {
        let modules: BTreeSet<&String> = self.edges.keys().map(|m| &m[0]).collect();
        let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, named) in &self.edges {
            let from = module[0].clone();
            let to = top.entry(from.clone()).or_default();
            for path in named {
                // `crate::Application` and the like live in the crate root.
                let target = match modules.contains(&path[0]) {
                    true => path[0].clone(),
                    false => "lib".to_owned(),
                };
                if target != from {
                    to.insert(target);
                }
            }
        }
        top
    }

    /// Within one top-level module: file → files of the same module it names.
    fn inside(&self, top: &str) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
        let members: BTreeSet<&Vec<String>> = self
            .edges
            .keys()
            .filter(|module| module[0] == top && module.len() > 1)
            .collect();
        let mut inside = BTreeMap::new();
        for module in &members {
            let named = self.edges[*module]
                .iter()
                .filter_map(|path| {
                    // The longest member the path starts with.
                    (2..=path.len())
                        .rev()
                        .map(|n| path[..n].to_vec())
                        .find(|prefix| members.contains(prefix))
                })
                .filter(|target| target != *module)
                .collect();
            inside.insert((*module).clone(), named);
        }
        inside
    }
}

/// A cycle in `graph`, if there is one, as the nodes along it.
fn cycle<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        node: &N,
        graph: &BTreeMap<N, BTreeSet<N>>,
        path: &mut Vec<N>,
        done: &mut BTreeSet<N>,
    ) -> Option<Vec<N>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.clone());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.clone());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn imports_point_down_or_sideways() {
    let top = Tree::read().top_level();
    let mut upward = BTreeSet::new();
    for (from, targets) in &top {
        for to in targets {
            if layer_of(to) > layer_of(from) {
                upward.insert((from.as_str(), to.as_str()));
            }
        }
    }
    let known: BTreeSet<(&str, &str)> = KNOWN_UPWARD.iter().map(|(f, t, _)| (*f, *t)).collect();
    let new: Vec<_> = upward.difference(&known).collect();
    assert!(new.is_empty(), "imports that point up a layer: {new:?}");
    let gone: Vec<_> = known.difference(&upward).collect();
    assert!(
        gone.is_empty(),
        "no longer imported, remove from KNOWN_UPWARD: {gone:?}"
    );
}

#[test]
fn no_module_cycles() {
    let tree = Tree::read();
    // Between top-level modules, the known upward imports aside (each closes a loop by nature).
    let mut top = tree.top_level();
    for (from, to, _) in KNOWN_UPWARD {
        if let Some(targets) = top.get_mut(from) {
            targets.remove(to);
        }
    }
    assert_eq!(
        cycle(&top),
        None,
        "top-level modules import each other in a cycle"
    );
    let modules: BTreeSet<String> = tree.edges.keys().map(|m| m[0].clone()).collect();
    for module in modules {
        let inside = tree.inside(&module);
        assert_eq!(
            cycle(&inside),
            None,
            "files of `{module}` import each other in a cycle"
        );
    }
}

#[test]
fn the_checks_see_what_they_check() {
    // A check that read nothing would pass anything.
    let tree = Tree::read();
    let top = tree.top_level();
    assert!(top["services"].contains("tenancy"), "{top:?}");
    assert!(top["http"].contains("services"), "{top:?}");
    let edge = |from: &str, to: &str| {
        BTreeMap::from([
            (from.to_owned(), BTreeSet::from([to.to_owned()])),
            (to.to_owned(), BTreeSet::from([from.to_owned()])),
        ])
    };
    assert!(cycle(&edge("a", "b")).is_some());
    let module = vec!["graphql".to_owned(), "tenants".to_owned()];
    let named = imports(
        &module,
        "use super::context::{a, b};\nuse crate::services::{self, tenants::{get, Row}, mail};",
    );
    let path = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    assert!(
        named.contains(&path(&["graphql", "context", "a"])),
        "{named:?}"
    );
    assert!(
        named.contains(&path(&["services", "tenants", "get"])),
        "{named:?}"
    );
    assert!(named.contains(&path(&["services", "mail"])), "{named:?}");
    assert!(named.contains(&path(&["services"])), "{named:?}");
}

/// Wire types live beside their routes and resolvers: below `http` and `graphql`, nothing derives
/// an OpenAPI schema or a GraphQL type, so a change of the API's shape is a change there.
#[test]
fn wire_types_live_beside_routes_and_resolvers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut seen = 0;
    for dir in ["services", "tenancy", "auth", "cache", "entities", "config"] {
        for file in rust_files(&src.join(dir)) {
            seen += 1;
            let code = code_of(&file);
            for wire in [
                "utoipa",
                "async_graphql",
                "ToSchema",
                "SimpleObject",
                "InputObject",
            ] {
                assert!(
                    !code.contains(wire),
                    "{} names `{wire}`: wire types belong in http/ or graphql/",
                    file.display()
                );
            }
        }
    }
    assert!(seen > 20, "the check read {seen} files");
}
