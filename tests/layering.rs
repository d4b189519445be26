//! The library's modules form layers: `src/lib.rs` declares them in order,
//! and each module's `crate::` paths name only modules declared before it.
//! So there is no import circle, and data flows one way: bytes → lines →
//! headers → heads → messages → streams.

use std::path::Path;

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let order: Vec<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            l.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_string)
        })
        .collect();
    assert!(order.len() >= 15, "modules found in lib.rs: {order:?}");
    let mut files: Vec<String> = std::fs::read_dir(&src)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "rs").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .filter(|m| m != "lib")
        .collect();
    files.sort();
    let mut declared = order.clone();
    declared.sort();
    assert_eq!(files, declared, "every file is a module declared in lib.rs");
    let mut problems = Vec::new();
    for (rank, module) in order.iter().enumerate() {
        let text = std::fs::read_to_string(src.join(format!("{module}.rs"))).unwrap();
        for (n, line) in text.lines().enumerate() {
            // Doc comments may link anywhere; code may not reach up.
            if line.trim_start().starts_with("//") {
                continue;
            }
            for (at, _) in line.match_indices("crate::") {
                let used: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let Some(used_rank) = order.iter().position(|m| *m == used) else {
                    continue; // an item re-exported at the root (in doc links) or a type path
                };
                if used_rank >= rank {
                    problems.push(format!("src/{module}.rs:{}: uses crate::{used}", n + 1));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
}
