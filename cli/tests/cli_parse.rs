//! `sipline parse`: the JSON it prints and its exit status.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> (serde_json::Value, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let code = out.status.code().unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (v, code)
}

#[test]
fn complete_line() {
    let (v, code) = run(&["parse"], b"SIP/2.0 180 Ringing\r\n");
    assert_eq!(code, 0);
    assert_eq!(
        v,
        serde_json::json!({"status":"complete","version":"SIP/2.0","code":180,"class":"provisional",
            "reason":"Ringing","canonical_reason":"Ringing","consumed":21})
    );
}

#[test]
fn unregistered_code_and_non_utf8_reason() {
    let (v, code) = run(&["parse", "-"], b"SIP/2.0 599 caf\xe9\r\n");
    assert_eq!(code, 0);
    assert_eq!(v["canonical_reason"], serde_json::Value::Null);
    assert_eq!(v["class"], "server-error");
    assert_eq!(v["reason"], "caf\u{FFFD}");
    assert_eq!(v["reason_hex"], "636166e9");
}

#[test]
fn incomplete_and_error() {
    let (v, code) = run(&["parse"], b"SIP/2.0 18");
    assert_eq!((v, code), (serde_json::json!({"status":"incomplete"}), 3));
    let (v, code) = run(
        &["parse"],
        b"SIP/2.0 4294967301 better not break the receiver\r\n",
    );
    assert_eq!(code, 1);
    assert_eq!(v["kind"], "status-code");
    assert_eq!(v["offset"], 11);
    assert_eq!(
        v["message"],
        "status code must be three digits 100-699 at byte 11"
    );
}

#[test]
fn strict_and_lenient_flags() {
    let line = b"SIP/2.0 200 OK\n";
    assert_eq!(run(&["parse", "--strict"], line).1, 1);
    assert_eq!(run(&["parse", "--lenient"], line).1, 0);
    assert_eq!(run(&["parse"], line).1, 0);
}

#[test]
fn usage_and_io_problems_exit_2() {
    assert_eq!(run(&["parse", "--strict", "--lenient"], b"").1, 2);
    assert_eq!(run(&["parse", "/no/such/file"], b"").1, 2);
    assert_eq!(run(&["frobnicate"], b"").1, 2);
}
