//! Shared helpers for the integration tests of every crate: the inputs from
//! outside the repository (the public corpus in `../shared/corpus/`, read in
//! place and never copied; tshark, SIPp, the engines) and what a test does
//! when one is missing; small generators and pcap writers.
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

/// An input from outside the repository that some tests need: the shared
/// corpus, a peer program, the engines. Every test that needs one asks
/// through [`have`] (or a helper built on it), so that a missing input is
/// never a silent green: it is a failure when `SIPLINE_REQUIRE` names it,
/// and otherwise a skip line that a normal `cargo test` run shows.
#[derive(Clone, Copy, Debug)]
pub struct Input {
    /// The name `SIPLINE_REQUIRE` uses.
    pub name: &'static str,
    /// How to get it.
    pub how: &'static str,
}

/// `../shared/corpus`: RFC 4475/5118 torture tests, RFC 3665 flows, captures.
pub const CORPUS: Input = Input {
    name: "corpus",
    how: "put the shared corpus at ../shared/corpus beside the repository",
};
/// `../shared/spec`: the IANA response-code registry and the grammar.
pub const SPEC: Input = Input {
    name: "spec",
    how: "put the shared spec at ../shared/spec beside the repository",
};
/// tshark, the reference for counts.
pub const TSHARK: Input = Input {
    name: "tshark",
    how: "apt-get install tshark",
};
/// SIPp, which drives the example responder.
pub const SIPP: Input = Input {
    name: "sipp",
    how: "apt-get install sip-tester",
};
/// Kamailio (with its siptrace module), the HEP sender of the collector's test.
pub const KAMAILIO: Input = Input {
    name: "kamailio",
    how: "apt-get install kamailio",
};
/// DuckDB, chdb and PySpark (with Java), which read what `export` writes.
pub const ENGINES: Input = Input {
    name: "engines",
    how: "pip install duckdb chdb pyspark; apt-get install default-jre-headless",
};

/// The right to capture on an interface (CAP_NET_RAW), for `-i lo`.
pub const NET_RAW: Input = Input {
    name: "net-raw",
    how: "run the tests as root, or grant CAP_NET_RAW to the test binaries",
};

/// Prometheus (the server and promtool), which scrapes `watch --metrics`.
pub const PROMETHEUS: Input = Input {
    name: "prometheus",
    how: "apt-get install prometheus",
};

/// Debian's headless Chromium, its chromedriver and python3-selenium,
/// which open `sipline report`'s page.
pub const CHROMIUM: Input = Input {
    name: "chromium",
    how: "apt-get install chromium chromium-driver python3-selenium",
};

/// Every input a test may need: the names `SIPLINE_REQUIRE` takes.
pub const INPUTS: [Input; 9] = [
    CORPUS, SPEC, TSHARK, SIPP, KAMAILIO, ENGINES, NET_RAW, PROMETHEUS, CHROMIUM,
];

/// Whether `SIPLINE_REQUIRE` (a comma-separated list of input names, or
/// `all`) names `input`. A name that is no input's fails the test, so that a
/// typo cannot turn a requirement off.
pub fn required(input: &Input) -> bool {
    let Ok(list) = std::env::var("SIPLINE_REQUIRE") else {
        return false;
    };
    let names: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    for n in &names {
        assert!(
            *n == "all" || INPUTS.iter().any(|i| i.name == *n),
            "SIPLINE_REQUIRE names {n:?}, which is no input; the inputs are all, {}",
            INPUTS.map(|i| i.name).join(", ")
        );
    }
    names.iter().any(|n| *n == "all" || *n == input.name)
}

/// `here` when `input` is present. When it is not: fails the test if
/// `SIPLINE_REQUIRE` names the input; otherwise writes one line naming the
/// test, the input, why it is missing (`why`), what was skipped (`skipped`)
/// and how to get it, straight to standard error (past the harness's
/// capture, so that a plain `cargo test` shows it), and answers `false`.
pub fn have(input: &Input, here: bool, why: &str, skipped: &str) -> bool {
    // Read (and checked for names that are no input's) on every call.
    let required = required(input);
    if here {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    assert!(
        !required,
        "{test}: the required input {} is missing ({why}); {}",
        input.name, input.how
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED in {test}: {skipped}; missing input {} ({why}); to run it: {}; \
         SIPLINE_REQUIRE={} makes this a failure",
        input.name,
        input.how,
        input.name
    );
    false
}

/// Whether the program `input` runs (`program args` starts and exits 0),
/// through [`have`].
pub fn have_program(input: &Input, program: &str, args: &[&str], skipped: &str) -> bool {
    let ran = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    let why = match &ran {
        Ok(s) if s.success() => String::new(),
        Ok(s) => format!("`{program} {}` exited with {s}", args.join(" ")),
        Err(e) => format!("`{program}` did not start: {e}"),
    };
    have(input, why.is_empty(), &why, skipped)
}

/// `../shared/corpus` relative to the workspace root, or `None` (through
/// [`have`]) when this clone has no `shared/` beside it.
pub fn shared_corpus(skipped: &str) -> Option<PathBuf> {
    shared_dir(&CORPUS, "corpus", skipped)
}

/// `../shared/spec`, as [`shared_corpus`] does.
pub fn shared_spec(skipped: &str) -> Option<PathBuf> {
    shared_dir(&SPEC, "spec", skipped)
}

fn shared_dir(input: &Input, name: &str, skipped: &str) -> Option<PathBuf> {
    let dir = workspace_root().join("../shared").join(name);
    let why = format!("{} is not a folder", dir.display());
    have(input, dir.is_dir(), &why, skipped).then_some(dir)
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

/// One RFC 3665 section's messages (`S.NN_title-MM.dat` under
/// `corpus/rfc3665`, `prefix` = `S.NN`), in the RFC's order, each with the
/// time a test feeds it at: they carry no capture times, so messages are
/// 100 ms apart, and a copy of the message before it (a retransmission:
/// §3.4's INVITEs to the dead proxy) comes after Timer A, doubling from
/// `t1` as RFC 3261 §17.1.1.2 sends them.
pub fn rfc3665_section(corpus: &Path, prefix: &str, t1: f64) -> Vec<(String, f64, Vec<u8>)> {
    let dir = corpus.join("rfc3665");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!("{prefix}_")) && n.ends_with(".dat"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no files for RFC 3665 section {prefix}");
    let mut out: Vec<(String, f64, Vec<u8>)> = Vec::new();
    let mut timer_a = t1;
    for n in names {
        let bytes = std::fs::read(dir.join(&n)).unwrap_or_else(|e| panic!("{n}: {e}"));
        let time = match out.last() {
            None => 0.0,
            Some((_, t, previous)) if *previous == bytes => {
                let at = t + timer_a;
                timer_a *= 2.0;
                at
            }
            Some((_, t, _)) => {
                timer_a = t1;
                t + 0.1
            }
        };
        out.push((n, time, bytes));
    }
    out
}

/// The RFC 3665 sections whose numbers start with `part` (`"3."`: the
/// session flows), sorted.
pub fn rfc3665_sections(corpus: &Path, part: &str) -> Vec<String> {
    let dir = corpus.join("rfc3665");
    let mut prefixes: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let prefix = n.split('_').next()?.to_string();
            (n.ends_with(".dat") && prefix.starts_with(part)).then_some(prefix)
        })
        .collect();
    prefixes.sort();
    prefixes.dedup();
    prefixes
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

/// A HEPv3 datagram carrying `payload` from 192.0.2.1:5060 to
/// 192.0.2.2:5080, captured at `secs`, with the auth key `key` if any.
pub fn hep3(payload: &[u8], secs: u32, key: Option<&[u8]>) -> Vec<u8> {
    let mut chunks = Vec::new();
    let mut chunk = |kind: u16, value: &[u8]| {
        chunks.extend_from_slice(&0u16.to_be_bytes());
        chunks.extend_from_slice(&kind.to_be_bytes());
        chunks.extend_from_slice(&((6 + value.len()) as u16).to_be_bytes());
        chunks.extend_from_slice(value);
    };
    chunk(1, &[2]);
    chunk(2, &[17]);
    chunk(3, &[192, 0, 2, 1]);
    chunk(4, &[192, 0, 2, 2]);
    chunk(7, &5060u16.to_be_bytes());
    chunk(8, &5080u16.to_be_bytes());
    chunk(9, &secs.to_be_bytes());
    chunk(10, &0u32.to_be_bytes());
    chunk(11, &[1]);
    if let Some(k) = key {
        chunk(14, k);
    }
    chunk(15, payload);
    let mut out = b"HEP3".to_vec();
    out.extend_from_slice(&((6 + chunks.len()) as u16).to_be_bytes());
    out.extend_from_slice(&chunks);
    out
}

/// A loopback port free now.
pub fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An example of the `sipline` package (`examples/NAME.rs`), built into the
/// target folder this test runs from when it is not there yet (`cargo test
/// --all-features` builds examples; a test run alone does not; cargo
/// llvm-cov uses a target folder of its own).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let path = profile_dir.join("examples").join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let target_dir = path
            .ancestors()
            .nth(3)
            .expect("<target>/<profile>/examples/x");
        let built = std::process::Command::new(cargo)
            .args([
                "build",
                "-p",
                "sipline",
                "--features",
                "tokio",
                "--example",
                name,
            ])
            .arg("--target-dir")
            .arg(target_dir)
            .status()
            .unwrap();
        assert!(built.success());
    }
    assert!(path.exists(), "{}", path.display());
    path
}

/// SIPp's `-trace_stat` file: the value of `column` on its last line.
pub fn sipp_stat(csv: &str, column: &str) -> u64 {
    let mut lines = csv.lines();
    let header: Vec<_> = lines.next().unwrap().split(';').collect();
    let last: Vec<_> = lines.rfind(|l| !l.is_empty()).unwrap().split(';').collect();
    let i = header
        .iter()
        .position(|h| *h == column)
        .unwrap_or_else(|| panic!("{column}"));
    last[i]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {:?}", last[i]))
}

/// SIPp's `uac` scenario: `calls` calls at `rate` over `transport` (`u1`,
/// `t1`) to `target`, run in `dir`; its `-trace_stat` file. SIPp must
/// exit with success.
pub fn sipp_uac(transport: &str, rate: u32, calls: u32, target: &str, dir: &Path) -> String {
    sipp_uac_or(transport, rate, calls, target, dir, String::new)
}

/// [`sipp_uac`], and when SIPp fails, `why()` (what the peer under test
/// says of itself, its counts) in the failure message beside SIPp's
/// screen and the last lines of its error trace (`-trace_err`).
pub fn sipp_uac_or(
    transport: &str,
    rate: u32,
    calls: u32,
    target: &str,
    dir: &Path,
    why: impl FnOnce() -> String,
) -> String {
    let csv = dir.join(format!("uac-{transport}.csv"));
    let errors = dir.join(format!("uac-{transport}-errors.log"));
    let _ = std::fs::remove_file(&errors);
    let out = std::process::Command::new("sipp")
        .args(["-sn", "uac", "-t", transport, "-i", "127.0.0.1", "-nostdin"])
        .args(["-trace_stat", "-fd", "1", "-timeout", "60s", "-trace_err"])
        .arg("-error_file")
        .arg(&errors)
        .args(["-r", &rate.to_string(), "-m", &calls.to_string()])
        .arg("-stf")
        .arg(&csv)
        .arg(target)
        .current_dir(dir)
        .output()
        .expect("sipp runs");
    if !out.status.success() {
        let trace = std::fs::read_to_string(&errors).unwrap_or_default();
        let tail: Vec<&str> = trace.lines().rev().take(60).collect();
        panic!(
            "sipp uac -t {transport} to {target}:\n{}\nits error trace, last lines:\n{}\nthe peer: {}",
            String::from_utf8_lossy(&out.stdout),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            why()
        );
    }
    std::fs::read_to_string(&csv).unwrap()
}

/// dumpcap writing what `filter` lets through on loopback to `path`,
/// returned once it captures (it says "Capturing on …"); stop it with
/// [`stop_dumpcap`].
pub fn dumpcap(filter: &str, path: &std::path::Path) -> std::process::Child {
    let mut dumpcap = std::process::Command::new("dumpcap")
        .args(["-i", "lo", "-f", filter, "-w"])
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(dumpcap.stderr.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0
        && !line.contains("Capturing on")
    {
        line.clear();
    }
    assert!(line.contains("Capturing on"), "dumpcap: {line}");
    // Read the rest, so that dumpcap never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    dumpcap
}

/// Stops a [`dumpcap`] as Ctrl-C would, after a moment for the last
/// packets, and waits for it to close its file.
pub fn stop_dumpcap(mut dumpcap: std::process::Child) {
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &dumpcap.id().to_string()])
        .status();
    let _ = dumpcap.wait();
}
