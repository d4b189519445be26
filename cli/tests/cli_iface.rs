//! `-i IFACE`: sipline capturing on the loopback interface while SIPp
//! places calls over it. Every message SIPp sent is counted once (loopback
//! shows each packet sent and received: one is dropped in the kernel), the
//! calls have the outcomes the scenarios played, and a missing interface
//! is named.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// Whether this process may open a packet socket: sipline itself says.
fn may_capture() -> bool {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "-i", "nosuchif0"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // The interface is looked up first: with the right to capture, the
    // answer is that it does not exist.
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no interface named nosuchif0"), "{err}");
    let probe = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "-i", "lo", "--port", "9"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill")
        .args(["-INT", &probe.id().to_string()])
        .status();
    let out = probe.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code() != Some(0) {
        assert!(err.contains("CAP_NET_RAW"), "{err}");
    }
    common::have(
        &common::NET_RAW,
        out.status.code() == Some(0),
        &err,
        "the loopback capture test",
    )
}

#[test]
fn sipp_calls_on_loopback_are_each_seen_once() {
    let sipp = Command::new("sipp").arg("-v").output().is_ok();
    if !common::have(
        &common::SIPP,
        sipp,
        "`sipp` did not start",
        "the loopback capture test",
    ) || !may_capture()
    {
        return;
    }
    let root = common::workspace_root();
    let dir = std::env::temp_dir().join(format!("sipline-iface-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (answer, busy) = (common::free_port(), common::free_port());
    // Only the two servers' ports: other tests use loopback meanwhile.
    let capture = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "-i", "lo"])
        .args(["--port", &answer.to_string(), "--port", &busy.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let scenarios = root.join("corpus/sipp");
    let busy_uas = scenarios.join("uas_busy.xml");
    let busy_uac = scenarios.join("uac_busy.xml");
    let uas = |port: u16, scenario: &[&str]| {
        Command::new("sipp")
            .args(scenario)
            .args(["-i", "127.0.0.1", "-p", &port.to_string(), "-t", "u1"])
            .arg("-nostdin")
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut servers = [
        uas(answer, &["-sn", "uas"]),
        uas(busy, &["-sf", busy_uas.to_str().unwrap()]),
    ];
    std::thread::sleep(Duration::from_millis(700));
    let calls = 20;
    for (port, scenario) in [
        (answer, vec!["-sn", "uac"]),
        (busy, vec!["-sf", busy_uac.to_str().unwrap()]),
    ] {
        let status = Command::new("sipp")
            .args(&scenario)
            .args(["-i", "127.0.0.1", "-t", "u1", "-r", "50", "-nostdin"])
            .args(["-m", &calls.to_string(), "-timeout", "30s"])
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "SIPp's calls to port {port}: {status}");
    }
    std::thread::sleep(Duration::from_millis(500));
    for s in &mut servers {
        let _ = s.kill();
        let _ = s.wait();
    }
    let _ = Command::new("kill")
        .args(["-INT", &capture.id().to_string()])
        .status();
    let out = capture.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes = &v["calls"]["by_outcome"];
    assert_eq!(outcomes["established"], calls, "{}", v["calls"]);
    assert_eq!(outcomes["failed"], calls, "{}", v["calls"]);
    assert_eq!(v["calls"]["attempts"], 2 * calls);
    // Each message once: SIPp's uac/uas (INVITE, 180, 200, ACK, BYE, 200)
    // and the busy scenarios (INVITE, 180, 486, ACK).
    assert_eq!(v["requests"]["INVITE"], 2 * calls, "{v}");
    assert_eq!(v["requests"]["ACK"], 2 * calls, "{v}");
    assert_eq!(v["requests"]["BYE"], calls, "{v}");
    assert_eq!(v["responses"]["180"], 2 * calls, "{v}");
    assert_eq!(v["responses"]["200"], 2 * calls, "{v}");
    assert_eq!(v["responses"]["486"], calls, "{v}");
    assert_eq!(v["totals"]["messages"], 10 * calls, "{v}");
    assert_eq!(v["malformed"], 0);
    assert_eq!(v["not_read"]["packets-dropped-by-kernel"], 0, "{v}");
    assert_eq!(v["all_read"], true, "{}", v["not_read"]);
    assert!(v["totals"]["bytes_read"].as_u64().unwrap() > 0, "{v}");
}

/// An interface that goes down, then away, while captured: counted under
/// `interface-down`, and the capture goes on until stopped (exit 0).
#[test]
fn an_interface_going_down_is_counted_and_the_capture_goes_on() {
    if !may_capture() {
        return;
    }
    let (a, b) = (
        format!("sipl{}a", std::process::id() % 100_000),
        format!("sipl{}b", std::process::id() % 100_000),
    );
    let ip = |args: &[&str]| {
        Command::new("ip")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    let made = ip(&["link", "add", &a, "type", "veth", "peer", "name", &b])
        && ip(&["link", "set", &a, "up"])
        && ip(&["link", "set", &b, "up"]);
    if !common::have(
        &common::NET_RAW,
        made,
        "`ip link add … type veth` failed (CAP_NET_ADMIN, iproute2)",
        "the interface-down test",
    ) {
        return;
    }
    let capture = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "-i", &a])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(ip(&["link", "set", &a, "down"]));
    std::thread::sleep(Duration::from_millis(500));
    assert!(ip(&["link", "del", &a]));
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &capture.id().to_string()])
        .status();
    let out = capture.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["not_read"]["interface-down"].as_u64() >= Some(1), "{v}");
    assert_eq!(v["all_read"], false);
}
