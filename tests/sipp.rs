//! A real client against the example responder (`examples/responder.rs`,
//! built only from the public API): SIPp (Debian `sip-tester`) places
//! calls (INVITE, ACK, BYE) on loopback, 10 000 at 2 000 calls/s over one
//! TCP connection, then 3 000 at 1 000 calls/s over UDP. Every call must
//! succeed and the responder must see no parse error.
//!
//! SIPp is required when `SIPLINE_REQUIRE` names `sipp` (CI sets `all`);
//! elsewhere a missing SIPp is a skip line in the test run's output.
#![cfg(feature = "tokio")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn responder_path() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|d| d.parent()).unwrap();
    profile_dir.join("examples").join("responder")
}

/// SIPp's `-trace_stat` file: the value of `column` on its last line.
fn stat(csv: &str, column: &str) -> u64 {
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

fn run_sipp(transport: &str, rate: u32, calls: u32, target: &str, dir: &std::path::Path) -> String {
    let csv = dir.join(format!("sipp-{transport}.csv"));
    let out = Command::new("sipp")
        .args([
            "-sn",
            "uac",
            "-t",
            transport,
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-trace_stat",
            "-fd",
            "1",
        ])
        .args(["-r", &rate.to_string(), "-m", &calls.to_string()])
        .arg("-stf")
        .arg(&csv)
        .arg(target)
        .current_dir(dir)
        .output()
        .expect("sipp runs");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "sipp -t {transport} failed:\n{screen}"
    );
    std::fs::read_to_string(&csv).unwrap()
}

#[test]
fn sipp_calls_against_the_example_responder() {
    // `sipp -v` exits 99 after printing its version.
    let runs = Command::new("sipp").arg("-v").output();
    let why = match &runs {
        Ok(_) => String::new(),
        Err(e) => format!("`sipp` did not start: {e}"),
    };
    if !common::have(
        &common::SIPP,
        runs.is_ok(),
        &why,
        "13 000 SIPp calls against the example responder",
    ) {
        return;
    }
    let path = responder_path();
    if !path.exists() {
        // `cargo test --all-features` builds examples; a test run alone does not.
        // Into the target folder this test runs from (cargo llvm-cov uses
        // one of its own).
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let target_dir = path
            .ancestors()
            .nth(3)
            .expect("<target>/<profile>/examples/responder");
        let built = Command::new(cargo)
            .args([
                "build",
                "-p",
                "sipline",
                "--features",
                "tokio",
                "--example",
                "responder",
                "--target-dir",
            ])
            .arg(target_dir)
            .status()
            .unwrap();
        assert!(built.success());
    }
    assert!(path.exists(), "{}", path.display());
    let mut child = Command::new(&path)
        .arg("127.0.0.1:0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let target = first.trim().rsplit(' ').next().unwrap().to_string();
    let dir = std::env::temp_dir().join(format!("sipline-sipp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let tcp = run_sipp("t1", 2000, 10_000, &target, &dir);
    let udp = run_sipp("u1", 1000, 3_000, &target, &dir);
    drop(child.stdin.take());
    let mut counts = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut counts)
        .unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success());

    for (what, csv, calls) in [("tcp", &tcp, 10_000), ("udp", &udp, 3_000)] {
        assert_eq!(stat(csv, "SuccessfulCall(C)"), calls, "{what}");
        assert_eq!(stat(csv, "FailedCall(C)"), 0, "{what}");
        eprintln!(
            "{what}: {calls} calls in {} (SIPp's cumulative call rate {} /s)",
            csv.lines().last().unwrap().split(';').nth(4).unwrap_or("?"),
            csv.lines().last().unwrap().split(';').nth(7).unwrap_or("?"),
        );
    }
    // INVITE, ACK and BYE per call; no parse error, nothing refused.
    let want = format!(
        "{{\"requests\": {}, \"responses_sent\": {}, \"parse_errors\": 0, \"invalid\": 0}}",
        3 * 13_000,
        2 * 13_000
    );
    assert_eq!(counts.trim(), want, "responder stderr: {rest}");
    let _ = std::fs::remove_dir_all(&dir);
}
