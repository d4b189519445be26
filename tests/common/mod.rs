//! Shared helpers for the integration tests: the public corpus in
//! `../shared/corpus/`, read in place (never copied into the repository).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// `../shared/corpus` relative to the crate root, or `None` (said loudly)
/// when this clone has no `shared/` beside it.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "\n!!! SKIPPING the shared-corpus cases: {} not found.\n\
             !!! These tests read ../shared/corpus beside the repository; without it\n\
             !!! only the cases that need no corpus ran.\n",
            dir.display()
        );
        None
    }
}

/// One row of a TSV index: column name → value.
pub type Row = HashMap<String, String>;

/// Reads a TSV file whose first line names the columns.
pub fn read_tsv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Every `.dat` file below `dir`, sorted.
pub fn dat_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = entry.expect("directory entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "dat") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The index files of the corpus: (folder, index path).
pub fn indexes(corpus: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for name in ["index.tsv", "EXPECTED.tsv"] {
        for dir in [
            "captured",
            "rfc3665",
            "rfc4475",
            "rfc5118",
            "rfc-examples/rfc3327",
            "rfc-examples/rfc3515",
            "rfc-examples/rfc4916",
            "rfc-examples/rfc5626",
            "streams/lioneagle-split",
        ] {
            let p = corpus.join(dir).join(name);
            if p.is_file() {
                out.push((corpus.join(dir), p));
            }
        }
    }
    out
}
