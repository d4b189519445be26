//! Shared helpers for the integration tests: the public corpus in
//! `../shared/corpus/`, read in place (never copied into the repository).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The workspace's top folder (the one with `Cargo.lock`), from whichever
/// crate of the workspace the test belongs to.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(here)
        .to_path_buf()
}

/// `../shared/corpus` relative to the workspace root, or `None` (said
/// loudly) when this clone has no `shared/` beside it.
pub fn shared_corpus() -> Option<PathBuf> {
    let dir = workspace_root().join("../shared/corpus");
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

/// A small deterministic PRNG (xorshift64*), so tests need no extra crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Message number `i` of a generated stream: requests and responses, folded
/// headers, compact names, and bodies that hold status lines (sipfrag).
pub fn generated_message(i: usize, rng: &mut Rng) -> Vec<u8> {
    let body: Vec<u8> = match rng.below(4) {
        0 => Vec::new(),
        1 => b"SIP/2.0 200 OK\r\n".to_vec(),
        2 => format!("v=0\r\no=- {i} 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 49170 RTP/AVP 0\r\n")
            .into_bytes(),
        _ => {
            let n = rng.below(3000);
            (0..n).map(|k| b"SIP/2.0 180 Ringing\r\n\r\n"[k % 23]).collect()
        }
    };
    let start = if rng.below(2) == 0 {
        format!("SIP/2.0 {} Reason {i}\r\n", 100 + rng.below(600))
    } else {
        format!("NOTIFY sip:user{i}@example.com SIP/2.0\r\n")
    };
    let mut m = start.into_bytes();
    m.extend_from_slice(b"Via: SIP/2.0/TCP a.example.com;branch=z9hG4bK1\r\n");
    m.extend_from_slice(format!("i: call-{i}@example.com\r\n").as_bytes());
    if rng.below(2) == 0 {
        m.extend_from_slice(b"Subject: a folded\r\n  subject line\r\n");
    }
    if !body.is_empty() {
        m.extend_from_slice(b"c: message/sipfrag\r\n");
    }
    let cl = if rng.below(2) == 0 {
        "l"
    } else {
        "Content-Length"
    };
    m.extend_from_slice(format!("{cl}: {}\r\n\r\n", body.len()).as_bytes());
    m.extend_from_slice(&body);
    m
}

/// A global allocator that counts allocations, for the zero-allocation tests
/// (each test binary installs it with `#[global_allocator]`).
pub struct Counting;

/// Allocations made through [`Counting`] so far.
pub static ALLOCS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

/// A classic pcap file (microseconds, little-endian) of `frames` with link
/// type `linktype`, one second apart from 2023-11-14.
pub fn pcap(linktype: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&linktype.to_le_bytes());
    for (i, fr) in frames.iter().enumerate() {
        f.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(&(fr.len() as u32).to_le_bytes());
        f.extend_from_slice(fr);
    }
    f
}

/// Writes `bytes` to a file `name` in a folder of this test process's own.
pub fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipline-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
