//! The module layers, read from the source: `domain` imports nothing of
//! ours above it, `services` never reaches up into the GraphQL, HTTP or
//! start-up layers, and the top-level modules import each other without a
//! cycle. Reads `src/` as text, so it runs with the rest of the suite.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its files name with `crate::`.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn source_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    let mut files = vec![src.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let used = graph.entry(module.clone()).or_default();
        used.extend(crate_paths(&text).into_iter().filter(|m| *m != module));
    }
    graph
}

/// The first segment of every `crate::…` path in `text`, comments left out;
/// `crate::{a, b::c}` names `a` and `b`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let preceded_by_ident = code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if preceded_by_ident {
            continue; // e.g. `motcua_crate::`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut segment_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => segment_start = true,
                    c if segment_start && (c.is_alphanumeric() || c == '_') => {
                        found.insert(ident_at(&group[i..]));
                        segment_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident_at(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

fn ident_at(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A cycle through `start`, as the modules along it, if there is one.
fn cycle_from(graph: &Graph, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((module, path)) = stack.pop() {
        for next in graph.get(&module).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_owned());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn the_path_reader_sees_grouped_and_inline_imports_but_not_comments() {
    let text = "use crate::{a::X, b, c::{d, e}};\n\
                // crate::commented\n\
                fn f() { crate::g::h(); }\n";
    let found: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "g"]);
}

#[test]
fn domain_imports_nothing_above_it() {
    let graph = source_graph();
    let above: Vec<_> = graph["domain"].iter().collect();
    assert!(above.is_empty(), "domain imports {above:?}");
}

#[test]
fn services_never_import_the_graphql_http_or_start_up_layers() {
    let graph = source_graph();
    let wrong: Vec<_> = graph["services"]
        .iter()
        .filter(|m| ["graphql", "http", "app", "cli"].contains(&m.as_str()))
        .collect();
    assert!(wrong.is_empty(), "services import {wrong:?}");
}

#[test]
fn the_top_level_modules_import_each_other_without_a_cycle() {
    let graph = source_graph();
    let cycles: Vec<_> = graph
        .keys()
        .filter_map(|m| cycle_from(&graph, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}
