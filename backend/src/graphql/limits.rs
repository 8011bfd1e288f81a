//! Limits on the size of a document, checked as it is parsed (by [`super::hooks`]) and before
//! anything else looks at it.
//! Depth and complexity do not stop a flat query that asks for one cheap field under thousands of
//! aliases, nor a document of tens of thousands of repeated directives, unused variables or
//! fragments, whose validation alone takes seconds of CPU: these limits do.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Positioned, ServerError, ServerResult};

/// How deep `{`, `[` and `(` may nest in a document's text. Far beyond any real query (selection
/// depth is limited to a few dozen levels anyway), far below what overflows a worker's stack.
pub const MAX_NESTING: usize = 64;

/// How deep `{`, `[` and `(` nest in `query`, outside strings, block strings and comments; the
/// scan stops once it passes `limit`.
fn nesting(query: &str, limit: usize) -> usize {
    let text = query.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while at < text.len() {
        let rest = &text[at..];
        if rest.starts_with(b"\"\"\"") {
            // A block string ends at the next `"""` not escaped as `\"""`.
            at += 3;
            while at < text.len() && !text[at..].starts_with(b"\"\"\"") {
                at += if text[at..].starts_with(b"\\\"\"\"") {
                    4
                } else {
                    1
                };
            }
            at += 3;
            continue;
        }
        match rest[0] {
            b'"' => {
                at += 1;
                while at < text.len() && text[at] != b'"' && text[at] != b'\n' {
                    at += if text[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while at < text.len() && text[at] != b'\n' && text[at] != b'\r' {
                    at += 1;
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > limit {
                    return deepest;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    deepest
}

/// How large a document may be: aliases, nodes (fields, fragment spreads and definitions,
/// directives, arguments, variable definitions), and bytes of text.
#[derive(Clone, Copy, Debug)]
pub struct DocumentLimits {
    pub aliases: usize,
    pub nodes: usize,
    pub bytes: usize,
}

impl DocumentLimits {
    /// What can be told from the text alone, before any parser sees it.
    pub fn check_text(&self, query: &str) -> ServerResult<()> {
        if query.len() > self.bytes {
            return Err(ServerError::new(
                format!(
                    "a document may be at most {} bytes; this one is {}",
                    self.bytes,
                    query.len()
                ),
                None,
            ));
        }
        // The parser descends once per bracket of a list or object value, with no limit of its
        // own: three kilobytes of `[` would overflow the stack and end the process for every
        // tenant. Measured on the text, before any parser sees it.
        let deepest = nesting(query, MAX_NESTING);
        if deepest > MAX_NESTING {
            return Err(ServerError::new(
                format!("a document may nest brackets at most {MAX_NESTING} deep"),
                None,
            ));
        }
        // What async-graphql's own checks walk as the document is parsed: every fragment spread
        // expanded. Fragments that spread each other twice per level double at every level, so a
        // document of a kilobyte could stand for billions of fields, and those checks would walk
        // them all before anything here saw the document. So a document with fragments is parsed
        // bare and measured first (one without cannot fan out).
        if query.contains("fragment")
            && let Ok(bare) = async_graphql::parser::parse_query(query)
        {
            let walked = expanded(&bare, self.nodes);
            if walked > self.nodes {
                return Err(too_many(self.nodes, walked));
            }
        }
        Ok(())
    }

    /// Aliases and nodes of the parsed document.
    pub fn check_parsed(&self, document: &ExecutableDocument) -> ServerResult<()> {
        let counted = count(document);
        if counted.aliases > self.aliases {
            return Err(ServerError::new(
                format!(
                    "a document may use at most {} aliases; this one uses {}",
                    self.aliases, counted.aliases
                ),
                None,
            ));
        }
        if counted.nodes > self.nodes {
            return Err(too_many(self.nodes, counted.nodes));
        }
        Ok(())
    }
}

fn too_many(limit: usize, nodes: usize) -> ServerError {
    ServerError::new(
        format!(
            "a document may hold at most {limit} fields, fragments, directives, arguments and variables; this one holds {nodes}"
        ),
        None,
    )
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Counted {
    aliases: usize,
    nodes: usize,
}

impl Counted {
    fn add(&mut self, other: Counted) {
        self.aliases += other.aliases;
        self.nodes += other.nodes;
    }
}

/// Aliases and nodes in every operation and fragment definition of the document.
fn count(document: &ExecutableDocument) -> Counted {
    let mut counted = Counted::default();
    let mut operation = |op: &Positioned<OperationDefinition>| {
        let op = &op.node;
        counted.nodes += op.variable_definitions.len() + op.directives.len();
        counted.add(in_set(&op.selection_set.node));
    };
    match &document.operations {
        DocumentOperations::Single(op) => operation(op),
        DocumentOperations::Multiple(ops) => ops.values().for_each(operation),
    }
    for fragment in document.fragments.values() {
        counted.nodes += 1 + fragment.node.directives.len();
        counted.add(in_set(&fragment.node.selection_set.node));
    }
    counted
}

/// The nodes of the document's operations with every fragment spread replaced by its fragment,
/// counted once per fragment (memoised), stopping past `cap`; a fragment cycle counts as past it.
fn expanded(document: &ExecutableDocument, cap: usize) -> usize {
    let mut sizes: std::collections::HashMap<&str, Option<usize>> = Default::default();
    let mut total = 0usize;
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
        DocumentOperations::Multiple(ops) => {
            ops.values().map(|op| &op.node.selection_set.node).collect()
        }
    };
    for set in operations {
        total = total.saturating_add(expanded_set(document, set, cap, &mut sizes));
        if total > cap {
            break;
        }
    }
    total
}

/// `None` in `sizes` marks a fragment being counted: meeting it again is a cycle.
fn expanded_set<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    cap: usize,
    sizes: &mut std::collections::HashMap<&'a str, Option<usize>>,
) -> usize {
    let mut total = 0usize;
    for selection in &set.items {
        let here = match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                1 + field.arguments.len()
                    + field.directives.len()
                    + expanded_set(document, &field.selection_set.node, cap, sizes)
            }
            Selection::InlineFragment(fragment) => {
                1 + fragment.node.directives.len()
                    + expanded_set(document, &fragment.node.selection_set.node, cap, sizes)
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                let size = match sizes.get(name) {
                    Some(Some(size)) => *size,
                    Some(None) => cap + 1,
                    None => match document.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) => {
                            sizes.insert(name, None);
                            let size = expanded_set(
                                document,
                                &fragment.node.selection_set.node,
                                cap,
                                sizes,
                            );
                            sizes.insert(name, Some(size));
                            size
                        }
                        // Unknown fragments are validation's to report.
                        None => 0,
                    },
                };
                1 + spread.node.directives.len() + size
            }
        };
        total = total.saturating_add(here);
        if total > cap {
            return total;
        }
    }
    total
}

fn in_set(set: &SelectionSet) -> Counted {
    let mut counted = Counted::default();
    for selection in &set.items {
        counted.nodes += 1;
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                counted.aliases += usize::from(field.alias.is_some());
                counted.nodes += field.arguments.len() + field.directives.len();
                counted.add(in_set(&field.selection_set.node));
            }
            Selection::InlineFragment(fragment) => {
                counted.nodes += fragment.node.directives.len();
                counted.add(in_set(&fragment.node.selection_set.node));
            }
            Selection::FragmentSpread(spread) => counted.nodes += spread.node.directives.len(),
        }
    }
    counted
}

#[cfg(test)]
mod tests {
    #[test]
    fn nesting_counts_brackets_of_every_kind() {
        assert_eq!(super::nesting("{ a(x: [[1]]) { b } }", 64), 4);
        assert_eq!(super::nesting("{ a(x: {b: {c: 1}}) }", 64), 4);
        let deep = format!("{{a(x:{}{})}}", "[".repeat(1500), "]".repeat(1500));
        assert_eq!(
            super::nesting(&deep, 64),
            65,
            "the scan stops past the limit"
        );
    }

    #[test]
    fn nesting_skips_strings_and_comments() {
        let quoted = format!("{{ a(x: \"{}\") }}", "[".repeat(100));
        assert_eq!(super::nesting(&quoted, 64), 2);
        let escaped = format!("{{ a(x: \"\\\"{}\") }}", "[".repeat(100));
        assert_eq!(super::nesting(&escaped, 64), 2);
        let block = format!("{{ a(x: \"\"\" \\\"\"\" {} \"\"\") }}", "{".repeat(100));
        assert_eq!(super::nesting(&block, 64), 2);
        let comment = format!("{{ a # {}\n b }}", "(".repeat(100));
        assert_eq!(super::nesting(&comment, 64), 1);
    }

    use super::*;

    fn counted(query: &str) -> Counted {
        count(&async_graphql::parser::parse_query(query).unwrap())
    }

    #[test]
    fn aliases_and_nodes_are_counted_everywhere() {
        let counted = counted(
            "query A($x: Int) @a { a: viewer @b @c { b: role } ...F ... on Query { c: viewer { role } } }
             query B { d: discovery(slug: \"x\") { apps { key } } }
             fragment F on Query { e: viewer { role } }",
        );
        assert_eq!(counted.aliases, 5);
        // A: 1 variable + 1 directive + (viewer + 2 directives + role) + spread + (inline + viewer
        // + role) = 10; B: discovery + 1 argument + apps + key = 4; F: 1 + viewer + role = 3.
        assert_eq!(counted.nodes, 17);
    }

    #[test]
    fn fragments_spread_twice_per_level_count_what_they_expand_to() {
        let levels = 40;
        let mut query = String::from("query { ...F0 }");
        for level in 0..levels {
            let next = level + 1;
            query += &format!(" fragment F{level} on Query {{ ...F{next} ...F{next} }}");
        }
        query += &format!(" fragment F{levels} on Query {{ apiVersion }}");
        let document = async_graphql::parser::parse_query(&query).unwrap();
        assert!(counted(&query).nodes < 200, "small as written");
        assert!(expanded(&document, 2_000) > 2_000, "huge as walked");
        let cycle = async_graphql::parser::parse_query(
            "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        )
        .unwrap();
        assert!(expanded(&cycle, 2_000) > 2_000, "a cycle never ends");
        let plain =
            async_graphql::parser::parse_query("{ a { b } ...F } fragment F on Query { c }")
                .unwrap();
        assert_eq!(expanded(&plain, 2_000), 4);
    }

    #[test]
    fn repeated_directives_count_each() {
        let query = format!("{{ apiVersion {} }}", "@skip(if: false) ".repeat(50));
        assert_eq!(counted(&query).nodes, 51);
    }
}
