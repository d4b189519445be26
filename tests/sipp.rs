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
use std::process::{Command, Stdio};

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
    let path = common::example("responder");
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

    let tcp = common::sipp_uac("t1", 2000, 10_000, &target, &dir);
    let udp = common::sipp_uac("u1", 1000, 3_000, &target, &dir);
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
        assert_eq!(common::sipp_stat(csv, "SuccessfulCall(C)"), calls, "{what}");
        assert_eq!(common::sipp_stat(csv, "FailedCall(C)"), 0, "{what}");
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
