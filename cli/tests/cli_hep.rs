//! `--hep-listen`: sipline as a HEP collector. HEPv3 datagrams sent to it
//! on loopback are read with their own addresses and times, as the same
//! messages in a capture are; what is not HEP, or refused, is counted
//! where it came from; an address other than loopback needs an
//! allow-list or a password.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const INVITE: &[u8] = b"INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:alice@192.0.2.1>;tag=1\r\nTo: <sip:bob@192.0.2.2>\r\nCall-ID: hep-1\r\nCSeq: 1 INVITE\r\n\
Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
const BUSY: &[u8] = b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:alice@192.0.2.1>;tag=1\r\nTo: <sip:bob@192.0.2.2>;tag=2\r\nCall-ID: hep-1\r\nCSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n";

/// Runs `stats --json` with `args`, sends `datagrams` to it once it is
/// listening, stops it with SIGINT; its JSON and exit status.
fn collect(args: &[&str], port: u16, datagrams: &[Vec<u8>]) -> (Value, i32) {
    let addr = format!("127.0.0.1:{port}");
    let mut all = vec!["stats", "--json", "--hep-listen", addr.as_str()];
    all.extend_from_slice(args);
    let child = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for d in datagrams {
        sender.send_to(d, &addr).unwrap();
    }
    std::thread::sleep(Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text} {}", String::from_utf8_lossy(&out.stderr)));
    (v, out.status.code().unwrap_or(-1))
}

#[test]
fn hep_is_read_with_its_own_addresses_and_times() {
    let port = common::free_port();
    let datagrams = vec![
        common::hep3(INVITE, 1_700_000_000, None),
        common::hep3(BUSY, 1_700_000_001, None),
        b"not HEP at all".to_vec(),
        common::hep3(b"SIP/2.0 2000 OK\r\n\r\n", 1_700_000_002, None),
    ];
    let (v, code) = collect(&[], port, &datagrams);
    assert_eq!(code, 0);
    assert_eq!(v["totals"]["messages"], 2);
    assert_eq!(v["responses"]["486"], 1);
    assert_eq!(v["requests"]["INVITE"], 1);
    assert_eq!(v["malformed"], 1);
    assert_eq!(v["not_read"]["hep-malformed"], 1);
    assert_eq!(v["totals"]["first_packet"], 1_700_000_000.0);
    assert_eq!(v["totals"]["inputs"][0], format!("hep:127.0.0.1:{port}"));
    assert_eq!(v["calls"]["attempts"], 1, "{}", v["calls"]);
    // The malformed message names where it came from: HEP's original flow.
    let at = v["malformed_examples"][0]["at"].as_str().unwrap();
    assert!(at.contains("192.0.2.1:5060 -> 192.0.2.2:5080"), "{at}");
}

#[test]
fn a_password_refuses_what_does_not_carry_it() {
    let port = common::free_port();
    let datagrams = vec![
        common::hep3(INVITE, 1_700_000_000, Some(b"s3cret")),
        common::hep3(BUSY, 1_700_000_001, Some(b"wrong")),
        common::hep3(BUSY, 1_700_000_001, None),
    ];
    let (v, code) = collect(&["--hep-password", "s3cret"], port, &datagrams);
    assert_eq!(code, 0);
    assert_eq!(v["totals"]["messages"], 1);
    assert_eq!(v["not_read"]["hep-refused"], 2);
}

#[test]
fn beyond_loopback_an_allow_list_or_a_password_is_needed() {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--hep-listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("allow-list") && err.contains("password"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--hep-listen", "127.0.0.1:0", "some.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_allow_list_refuses_other_senders() {
    let datagrams = vec![common::hep3(INVITE, 1_700_000_000, None)];
    let (v, _) = collect(
        &["--hep-allow", "192.0.2.9"],
        common::free_port(),
        &datagrams,
    );
    assert_eq!(
        (
            v["totals"]["messages"].as_u64(),
            v["not_read"]["hep-refused"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let (v, _) = collect(
        &["--hep-allow", "127.0.0.1"],
        common::free_port(),
        &datagrams,
    );
    assert_eq!(
        (
            v["totals"]["messages"].as_u64(),
            v["not_read"]["hep-refused"].as_u64()
        ),
        (Some(1), Some(0))
    );
}

/// Kamailio's siptrace as the HEP sender: SIPp calls through Kamailio (a
/// transaction-stateful proxy that mirrors every message it receives and
/// sends as HEPv3), and the collector sees each call, with the outcome the
/// SIPp scenario played, and each message on both legs.
#[test]
fn kamailio_siptrace_is_collected_call_by_call() {
    // `sipp -v` exits 99 after printing its version.
    let sipp = Command::new("sipp").arg("-v").output().is_ok();
    if !common::have(
        &common::SIPP,
        sipp,
        "`sipp` did not start",
        "the HEP test with Kamailio",
    ) || !common::have_program(
        &common::KAMAILIO,
        "kamailio",
        &["-v"],
        "the HEP test with Kamailio",
    ) {
        return;
    }
    let root = common::workspace_root();
    let dir = std::env::temp_dir().join(format!("sipline-kamailio-hep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (proxy, answer, busy, hep) = (
        common::free_port(),
        common::free_port(),
        common::free_port(),
        common::free_port(),
    );
    let cfg = std::fs::read_to_string(root.join("corpus/sipp/kamailio_hep.cfg"))
        .unwrap()
        .replace("@PROXY_PORT@", &proxy.to_string())
        .replace("@ANSWER_PORT@", &answer.to_string())
        .replace("@BUSY_PORT@", &busy.to_string())
        .replace("@HEP_PORT@", &hep.to_string());
    let cfg_path = dir.join("kamailio.cfg");
    std::fs::write(&cfg_path, cfg).unwrap();

    let hep_addr = format!("127.0.0.1:{hep}");
    let collector = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "--hep-listen", &hep_addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut kamailio = Command::new("kamailio")
        .args([
            "-f",
            cfg_path.to_str().unwrap(),
            "-E",
            "-DD",
            "-Y",
            dir.to_str().unwrap(),
        ])
        .arg("-P")
        .arg(dir.join("kamailio.pid"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        kamailio.try_wait().unwrap().is_none(),
        "Kamailio did not start with {}",
        cfg_path.display()
    );
    let scenarios = root.join("corpus/sipp");
    let uas = |port: u16, scenario: &[&str]| {
        Command::new("sipp")
            .args(scenario)
            .args([
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-t",
                "u1",
                "-nostdin",
            ])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let busy_uas = scenarios.join("uas_busy.xml");
    let busy_uac = scenarios.join("uac_busy.xml");
    let mut servers = [
        uas(answer, &["-sn", "uas"]),
        uas(busy, &["-sf", busy_uas.to_str().unwrap()]),
    ];
    std::thread::sleep(Duration::from_millis(500));
    let calls = 10;
    let target = format!("127.0.0.1:{proxy}");
    for (kind, scenario) in [
        ("answer", vec!["-sn", "uac"]),
        ("busy", vec!["-sf", busy_uac.to_str().unwrap()]),
    ] {
        let status = Command::new("sipp")
            .args(&scenario)
            .args([
                "-s",
                kind,
                "-i",
                "127.0.0.1",
                "-t",
                "u1",
                "-r",
                "20",
                "-nostdin",
            ])
            .args(["-m", &calls.to_string(), "-timeout", "30s", &target])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(
            status.success(),
            "SIPp's {kind} calls through Kamailio: {status}"
        );
    }
    std::thread::sleep(Duration::from_millis(1000));
    for s in &mut servers {
        let _ = s.kill();
        let _ = s.wait();
    }
    let _ = Command::new("kill").arg(kamailio.id().to_string()).status();
    let _ = kamailio.wait();
    let killed = Command::new("kill")
        .args(["-INT", &collector.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = collector.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // One attempt per SIPp call, with the outcome its scenario played.
    let outcomes = &v["calls"]["by_outcome"];
    assert_eq!(outcomes["established"], calls, "{}", v["calls"]);
    assert_eq!(outcomes["failed"], calls, "{}", v["calls"]);
    assert_eq!(v["calls"]["attempts"], 2 * calls);
    // Every message on both legs (SIPp to Kamailio, Kamailio to SIPp): the
    // INVITEs, their 180s and finals, the ACKs (of the 200 end to end, of
    // the 486 hop by hop), the BYEs and their 200s; and the 100 Trying that
    // Kamailio itself answers each INVITE from the caller with.
    assert_eq!(v["requests"]["INVITE"], 4 * calls, "{v}");
    assert_eq!(v["requests"]["ACK"], 4 * calls, "{v}");
    assert_eq!(v["requests"]["BYE"], 2 * calls, "{v}");
    assert_eq!(v["responses"]["100"], 2 * calls, "{v}");
    assert_eq!(v["responses"]["180"], 4 * calls, "{v}");
    assert_eq!(v["responses"]["486"], 2 * calls, "{v}");
    assert_eq!(v["responses"]["200"], 4 * calls, "{v}");
    assert_eq!(v["malformed"], 0);
    assert_eq!(v["all_read"], true, "{}", v["not_read"]);
}

/// `--hep-send`: a capture sent on as HEP to sipline's own collector reads
/// back as the same messages, at the same addresses and times.
#[test]
fn what_is_sent_as_hep_reads_back_the_same() {
    let port = common::free_port();
    let addr = format!("127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("sipline-hep-send-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let got = dir.join("collected.jsonl");
    let collector = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args([
            "export",
            "--format",
            "jsonl",
            "--threads",
            "1",
            "--hep-listen",
            &addr,
        ])
        .arg("-o")
        .arg(&got)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let capture = common::workspace_root().join("corpus/captures/loopback.pcap");
    let sent = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args([
            "export",
            "--format",
            "jsonl",
            "--threads",
            "1",
            "--hep-send",
            &addr,
        ])
        .args(["--hep-send-id", "7"])
        .arg(&capture)
        .output()
        .unwrap();
    assert_eq!(sent.status.code(), Some(0));
    let direct = String::from_utf8_lossy(&sent.stdout).into_owned();
    let err = String::from_utf8_lossy(&sent.stderr).into_owned();
    let rows = direct.lines().count();
    assert!(
        err.contains(&format!(
            "{rows} message(s) sent as HEP to {addr}; not sent: 0 failed"
        )),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(700));
    let killed = Command::new("kill")
        .args(["-INT", &collector.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(collector.wait_with_output().unwrap().status.code(), Some(0));
    let same = |text: &str| -> Vec<String> {
        let mut v: Vec<String> = text
            .lines()
            .map(|l| {
                let r: Value = serde_json::from_str(l).unwrap();
                let keys = [
                    "timestamp",
                    "src_ip",
                    "src_port",
                    "dst_ip",
                    "dst_port",
                    "protocol",
                    "kind",
                    "method",
                    "response_code",
                    "cid",
                    "cseq",
                    "branch",
                    "from_tag",
                    "to_tag",
                    "body_len",
                    "msg_len",
                ];
                keys.iter()
                    .map(|k| r[k].to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        v.sort();
        v
    };
    let collected = std::fs::read_to_string(&got).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(rows > 100);
    assert_eq!(same(&collected), same(&direct));
}
