//! `sipline flow`: ladders of the project's recorded captures against
//! golden files (one per outcome kind, and both legs of a call through
//! Kamailio in `proxy.pcap`), colours on demand, and a selection that
//! matches nothing.
//!
//! `SIPLINE_BLESS=1 cargo test -p sipline-cli --test cli_flow` writes the
//! golden files anew from what `flow` draws now (read them before
//! committing).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

fn flow(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .arg("flow")
        .args(args)
        .current_dir(common::workspace_root())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// `flow args` against `cli/tests/golden/name`.
fn golden(name: &str, args: &[&str]) {
    let mut all = vec!["--color", "never", "--width", "100"];
    all.extend_from_slice(args);
    let (out, err, code) = flow(&all);
    assert_eq!(code, Some(0), "{err}");
    let path = common::workspace_root().join("cli/tests/golden").join(name);
    if std::env::var_os("SIPLINE_BLESS").is_some() {
        std::fs::write(&path, &out).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (SIPLINE_BLESS=1 writes it)", path.display()));
    assert_eq!(out, expected, "{name}: flow {args:?} drew something else");
}

#[test]
fn one_ladder_per_outcome_on_the_recorded_capture() {
    golden(
        "loopback_outcomes.txt",
        &[
            "--call-id",
            "cdc55c023e5105cb",
            "--call-id",
            "59631a2c33a0b8a2",
            "--call-id",
            "8e6048c0d043246a",
            "corpus/captures/loopback.pcap",
        ],
    );
}

#[test]
fn sipp_calls_by_outcome() {
    for outcome in ["established", "failed", "cancelled"] {
        golden(
            &format!("sipp_{outcome}.txt"),
            &[
                "--outcome",
                outcome,
                "--max-calls",
                "1",
                "corpus/sipp/calls.pcap",
            ],
        );
    }
}

#[test]
fn both_legs_through_the_proxy_share_a_ladder() {
    golden(
        "proxy_failed.txt",
        &[
            "--outcome",
            "failed",
            "--code",
            "486",
            "--max-calls",
            "1",
            "corpus/sipp/proxy.pcap",
        ],
    );
    let text =
        std::fs::read_to_string(common::workspace_root().join("cli/tests/golden/proxy_failed.txt"))
            .unwrap();
    // Three endpoints: the caller, Kamailio, the callee; each INVITE hop.
    assert_eq!(text.matches("INVITE").count(), 2, "{text}");
    assert!(text.contains("kamailio"), "{text}");
}

#[test]
fn colours_by_class_when_asked() {
    let (out, _, code) = flow(&[
        "--color",
        "always",
        "--call-id",
        "59631a2c33a0b8a2",
        "corpus/captures/loopback.pcap",
    ]);
    assert_eq!(code, Some(0));
    // A request in cyan, a 486 in red, a 180 in yellow.
    assert!(out.contains("\x1b[36m"), "{out}");
    assert!(out.contains("\x1b[31m"), "{out}");
    assert!(out.contains("\x1b[33m"), "{out}");
}

#[test]
fn a_call_id_that_matches_nothing_says_so() {
    let (out, err, code) = flow(&["--call-id", "nothing-here", "corpus/captures/loopback.pcap"]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(err.contains("no call matches"), "{err}");
    let (_, _, code) = flow(&["--since", "yesterday", "corpus/captures/loopback.pcap"]);
    assert_eq!(code, Some(2));
}

#[test]
fn time_and_party_filters_select_calls() {
    let (all, _, _) = flow(&["--max-calls", "1000", "corpus/captures/loopback.pcap"]);
    let (carol, _, code) = flow(&[
        "--max-calls",
        "1000",
        "--callee",
        "carol",
        "--caller",
        "alice",
        "--since",
        "2026-11-25T12:24:30Z",
        "--until",
        "2026-11-25T12:24:40Z",
        "corpus/captures/loopback.pcap",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(carol.matches("Call-ID ").count(), 1, "{carol}");
    assert!(all.matches("Call-ID ").count() > 1);
}
