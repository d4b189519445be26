//! Every crate of the workspace is built in layers: its root (`lib.rs` or
//! `main.rs`) declares its modules in order, a folder's `mod.rs` declares
//! its files in order, and code may name only what is declared before it:
//! a file in a folder the files before it in that folder and the modules
//! before its folder; a folder's `mod.rs` its own files too. Paths through
//! the root's re-exports (`crate::Sink`) count as the module that defines
//! the item. So there is no import circle in any crate, and data flows
//! one way (in the parser: bytes → start lines → header fields → heads →
//! rules → framing → writing).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A position in the layer order: the top module's rank, then the file's
/// rank inside its folder (`usize::MAX` for the folder's `mod.rs`, which
/// sits above its files).
type Rank = Vec<usize>;

#[derive(Debug)]
struct Module {
    /// `["header", "via"]` for `src/header/via.rs`.
    path: Vec<String>,
    file: PathBuf,
    rank: Rank,
}

/// The `mod` declarations of a root or `mod.rs`, in order.
fn declared(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l
                .strip_prefix("pub(crate) ")
                .or_else(|| l.strip_prefix("pub "))
                .unwrap_or(l);
            let name = l.strip_prefix("mod ")?.strip_suffix(';')?;
            Some(name.to_string())
        })
        .collect()
}

/// Every module of the crate rooted at `dir/root`, with its rank.
fn modules(dir: &Path, root: &str) -> Vec<Module> {
    let text = std::fs::read_to_string(dir.join(root)).unwrap();
    let mut out = Vec::new();
    for (i, name) in declared(&text).into_iter().enumerate() {
        let leaf = dir.join(format!("{name}.rs"));
        if leaf.exists() {
            out.push(Module {
                path: vec![name],
                file: leaf,
                rank: vec![i],
            });
            continue;
        }
        let folder = dir.join(&name);
        let mod_rs = folder.join("mod.rs");
        assert!(
            mod_rs.exists(),
            "{name}: neither {name}.rs nor {name}/mod.rs"
        );
        let inner = std::fs::read_to_string(&mod_rs).unwrap();
        for (j, child) in declared(&inner).into_iter().enumerate() {
            let file = folder.join(format!("{child}.rs"));
            assert!(file.exists(), "{}: no such file", file.display());
            out.push(Module {
                path: vec![name.clone(), child],
                file,
                rank: vec![i, j],
            });
        }
        out.push(Module {
            path: vec![name],
            file: mod_rs,
            rank: vec![i, usize::MAX],
        });
    }
    out
}

/// The items the root re-exports (`pub use sink::{Location, Sink};`), each
/// with the module path it comes from.
fn reexports(root_text: &str) -> HashMap<String, Vec<String>> {
    let flat: String = root_text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = HashMap::new();
    for stmt in flat.split(';') {
        let Some(at) = stmt.find("pub use ") else {
            continue;
        };
        let body = stmt[at + 8..].trim();
        let (module, items) = match body.find("::{") {
            Some(b) => (&body[..b], body[b + 3..].trim_end_matches('}').to_string()),
            None => match body.rfind("::") {
                Some(b) => (&body[..b], body[b + 2..].to_string()),
                None => continue,
            },
        };
        let module: Vec<String> = module
            .trim_start_matches("crate::")
            .split("::")
            .map(str::to_string)
            .collect();
        for item in items.split(',') {
            let item = item.split(" as ").last().unwrap_or("").trim();
            if !item.is_empty() {
                out.insert(item.to_string(), module.clone());
            }
        }
    }
    out
}

/// The rank of what `path` (the segments after `crate::`) names, when it
/// names a module of the crate or an item the root re-exports.
fn rank_of(path: &[String], mods: &[Module], items: &HashMap<String, Vec<String>>) -> Option<Rank> {
    let first = path.first()?;
    let path: Vec<String> = match items.get(first) {
        Some(module)
            if !mods
                .iter()
                .any(|m| m.path.len() == 1 && &m.path[0] == first) =>
        {
            module.clone()
        }
        _ => path.to_vec(),
    };
    // The longest prefix that is a module.
    (1..=path.len().min(2))
        .rev()
        .find_map(|n| mods.iter().find(|m| m.path == path[..n]))
        .map(|m| m.rank.clone())
}

/// The module paths a line names: `crate::a::b`, `crate::{a, b::c}` on one
/// line, and `super::x` (from a file in a folder).
fn paths_in(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let segments = |s: &str| -> Vec<String> {
        let path: String = s
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        path.split("::")
            .take_while(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut out = Vec::new();
    for (at, _) in line.match_indices("crate::") {
        if line[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `sipline_capture::` and the like
        }
        let rest = &line[at + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            out.extend(inner.split(',').map(|p| segments(p.trim())));
        } else {
            out.push(segments(rest));
        }
    }
    // `super::` at the top level of a file in a folder names the folder;
    // indented, it is an inline module's (`mod tests`) and names the file.
    if module.len() == 2 && !line.starts_with(char::is_whitespace) {
        for (at, _) in line.match_indices("super::") {
            if line[..at].ends_with("super::") || line[..at].ends_with(':') {
                continue;
            }
            let mut p = vec![module[0].clone()];
            p.extend(segments(&line[at + 7..]));
            out.push(p);
        }
    }
    out.retain(|p| !p.is_empty());
    out
}

/// The upward imports of the crate whose sources are in `dir`.
fn upward_imports(dir: &Path, root: &str) -> (usize, Vec<String>) {
    let mods = modules(dir, root);
    let root_text = std::fs::read_to_string(dir.join(root)).unwrap();
    let items = reexports(&root_text);
    // Every source file is a declared module.
    let mut on_disk = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && p != dir.join(root) {
                on_disk.push(p);
            }
        }
    }
    let mut known: Vec<PathBuf> = mods.iter().map(|m| m.file.clone()).collect();
    on_disk.sort();
    known.sort();
    assert_eq!(
        on_disk,
        known,
        "every file of {} is a declared module",
        dir.display()
    );
    let mut problems = Vec::new();
    for m in &mods {
        let text = std::fs::read_to_string(&m.file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            // A file's unit tests are not part of the build: they may use
            // anything, so the scan stops at them.
            if line.trim() == "#[cfg(test)]"
                && lines
                    .get(n + 1)
                    .is_some_and(|l| l.trim_start().starts_with("mod "))
            {
                break;
            }
            // Doc comments may link anywhere; code may not reach up.
            if line.trim_start().starts_with("//") {
                continue;
            }
            for path in paths_in(line, &m.path) {
                let Some(used) = rank_of(&path, &mods, &items) else {
                    continue;
                };
                // A folder's mod.rs may use its own files.
                let own_folder = m.rank.len() == 2
                    && m.rank[1] == usize::MAX
                    && used.len() == 2
                    && used[0] == m.rank[0];
                // A file may name itself (`$crate::` paths in its macros).
                if used > m.rank && !own_folder {
                    problems.push(format!(
                        "{}:{}: uses crate::{}",
                        m.file.display(),
                        n + 1,
                        path.join("::")
                    ));
                }
            }
        }
    }
    (mods.len(), problems)
}

fn check(crate_dir: &str, root: &str, at_least: usize) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(crate_dir);
    let (count, problems) = upward_imports(&dir, root);
    assert!(count >= at_least, "{crate_dir}: {count} modules found");
    assert!(
        problems.is_empty(),
        "upward imports in {crate_dir}:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_parser_is_layered() {
    check("src", "lib.rs", 30);
}

#[test]
fn the_capture_crate_is_layered() {
    check("capture/src", "lib.rs", 18);
}

#[test]
fn the_calls_crate_is_layered() {
    check("calls/src", "lib.rs", 10);
}

#[test]
fn the_cli_is_layered() {
    check("cli/src", "main.rs", 12);
}

#[test]
fn an_upward_import_is_found() {
    // The checker itself: a file that reaches a later module, directly, by
    // `super::` and through a root re-export, is reported each time.
    let dir = std::env::temp_dir().join(format!("layering-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("b")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\npub use b::y::Later;\n").unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::b::x::X;\nuse crate::Later;\n").unwrap();
    std::fs::write(dir.join("b/mod.rs"), "mod x;\nmod y;\n").unwrap();
    std::fs::write(dir.join("b/x.rs"), "use super::y::Y;\nuse crate::a::A;\n").unwrap();
    std::fs::write(dir.join("b/y.rs"), "use super::x::X;\nuse crate::b::Z;\n").unwrap();
    let (count, problems) = upward_imports(&dir, "lib.rs");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(count, 4);
    let found: Vec<&str> = problems
        .iter()
        .map(|p| p.rsplit(": uses ").next().unwrap())
        .collect();
    assert_eq!(
        found,
        [
            "crate::b::x::X",
            "crate::Later",
            "crate::b::y::Y",
            "crate::b::Z"
        ],
        "{problems:?}"
    );
}
