//! `sipline report`: one HTML file, checked in Debian's headless Chromium
//! (offline, through chromedriver and python3-selenium): its call count and
//! outcome totals are `stats --json`'s, clicking a row draws the call's
//! ladder with its messages in order, the console stays clean; markup in
//! the capture stays text; `--redact` leaves no user or address; the
//! bounds hold. Screenshots go to `target/report-*.png`.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn sipline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .current_dir(common::workspace_root())
        .output()
        .unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipline-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The data the page embeds.
fn data(html: &str) -> Value {
    let start = html
        .find("id=\"sipline-data\" type=\"application/json\">")
        .unwrap();
    let rest = &html[start..];
    let json = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
    serde_json::from_str(json).unwrap()
}

/// The page opened in Chromium, the call `call_id` clicked.
fn browse(report: &Path, call_id: &str, name: &str) -> Option<Value> {
    let here = Path::new("/usr/bin/chromium").exists()
        && Path::new("/usr/bin/chromedriver").exists()
        && Command::new("/usr/bin/python3")
            .args(["-c", "import selenium"])
            .status()
            .is_ok_and(|s| s.success());
    if !common::have(
        &common::CHROMIUM,
        here,
        "/usr/bin/chromium, /usr/bin/chromedriver or python3-selenium missing",
        "the report in a browser",
    ) {
        return None;
    }
    let shots = common::workspace_root().join("target");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("/usr/bin/python3")
        .arg(common::workspace_root().join("cli/tests/report_browser.py"))
        .arg(report)
        .arg(call_id)
        .arg(&shots)
        .arg(name)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The labels of `call_id`'s ladder as `flow --svg` draws them.
fn flow_labels(call_id: &str, inputs: &[&str]) -> Vec<String> {
    let svg = temp(&format!("{call_id}.svg"));
    let mut args = vec!["flow", "--svg", svg.to_str().unwrap(), "--call-id", call_id];
    args.extend_from_slice(inputs);
    assert!(sipline(&args).status.success());
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("message"))
        .map(|n| n.attribute("data-label").unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_report_counts_what_stats_counts_and_draws_ladders_in_a_browser() {
    let report = temp("corpus.html");
    let out = sipline(&["report", "-o", report.to_str().unwrap(), "corpus"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value =
        serde_json::from_slice(&sipline(&["stats", "--json", "corpus"]).stdout).unwrap();
    let html = std::fs::read_to_string(&report).unwrap();
    // Self-contained: nothing fetched from anywhere.
    for remote in ["http://", "https://", "src=", "@import", "url(http"] {
        let outside = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!outside.contains(remote), "{remote} in the page");
    }
    let d = data(&html);
    assert_eq!(
        d["calls"].as_array().unwrap().len() as u64,
        stats["calls"]["attempts"].as_u64().unwrap()
    );
    assert_eq!(d["by_outcome"], stats["calls"]["by_outcome"]);
    let call = "59631a2c33a0b8a2";
    let Some(seen) = browse(&report, call, "corpus") else {
        return;
    };
    assert_eq!(seen["calls"], stats["calls"]["attempts"], "{seen}");
    assert_eq!(seen["outcomes"], stats["calls"]["by_outcome"], "{seen}");
    assert_eq!(seen["rows"], 500, "a page of the table");
    assert_eq!(seen["clicked_call_id"], call);
    let labels: Vec<String> = seen["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels, flow_labels(call, &["corpus"]));
    assert_eq!(seen["alert"], false);
    assert_eq!(seen["console"], serde_json::json!([]), "{seen}");
}

#[test]
fn markup_in_the_capture_stays_text_in_the_report() {
    let nasty = "<script>alert(1)</script>\"'&";
    // A Call-ID is words: no `&` (RFC 3261 §25.1), markup and quotes are.
    let id = "nasty-<script>alert(3)</script>\"'";
    // A quoted display name holds no bare quote.
    let display = nasty.replace('"', "");
    let invite = format!(
        "INVITE sip:%3Cscript%3E@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\
         From: \"{display}\" <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n\
         Call-ID: {id}\r\nCSeq: 1 INVITE\r\nUser-Agent: {nasty}\r\n\
         Content-Length: {}\r\n\r\n{nasty}",
        nasty.len()
    );
    let busy = format!(
        "SIP/2.0 486 <img src=x onerror=alert(2)>\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n\
         Call-ID: {id}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    let frame = |src: [u8; 4], dst: [u8; 4], msg: &[u8]| {
        let mut out = Vec::new();
        etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(src, dst, 64)
            .udp(5060, 5060)
            .write(&mut out, msg)
            .unwrap();
        out
    };
    let capture = common::write_temp(
        "nasty-report.pcap",
        &common::pcap(
            1,
            &[
                frame([192, 0, 2, 1], [192, 0, 2, 2], invite.as_bytes()),
                frame([192, 0, 2, 2], [192, 0, 2, 1], busy.as_bytes()),
            ],
        ),
    );
    let report = temp("nasty.html");
    assert!(sipline(&[
        "report",
        "-o",
        report.to_str().unwrap(),
        capture.to_str().unwrap()
    ])
    .status
    .success());
    let html = std::fs::read_to_string(&report).unwrap();
    // The page's own two scripts, and no other.
    assert_eq!(html.matches("<script").count(), 2);
    assert!(!html.contains("<img"));
    let d = data(&html);
    assert_eq!(d["calls"][0][1], id);
    let Some(seen) = browse(&report, "nasty", "markup") else {
        return;
    };
    assert_eq!(seen["alert"], false, "{seen}");
    assert_eq!(seen["calls"], 1);
    assert_eq!(seen["clicked_call_id"], id);
    assert_eq!(
        seen["labels"],
        serde_json::json!(["INVITE", "486 <img src=x onerror=alert(2)>"])
    );
    assert_eq!(seen["console"], serde_json::json!([]), "{seen}");
}

#[test]
fn redact_leaves_no_user_or_address_and_bounds_hold() {
    let report = temp("redacted.html");
    let out = sipline(&[
        "report",
        "--redact",
        "--max-rows",
        "2",
        "--max-ladders",
        "2",
        "--max-ladder-messages",
        "3",
        "-o",
        report.to_str().unwrap(),
        "corpus/captures/loopback.pcap",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("2 in the table, 2 with a ladder"), "{err}");
    let html = std::fs::read_to_string(&report).unwrap();
    for secret in ["alice", "carol", "127.0.0.1", "sipsak@", "cdc55c023e5105cb"] {
        assert!(!html.contains(secret), "{secret} in the redacted report");
    }
    let d = data(&html);
    let calls = d["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert!(d["more_rows"].as_u64().unwrap() > 0);
    let ladders = d["ladders"].as_array().unwrap();
    assert_eq!(ladders.len(), 2);
    // A ladder holds its first messages and says how many more there were.
    for l in ladders {
        let drawn = l["m"].as_array().unwrap().len();
        assert!(drawn <= 3, "{l}");
        let outcome = l["o"].as_str().unwrap();
        assert_eq!(
            drawn == 3,
            outcome.contains("more message(s) not drawn"),
            "{outcome}"
        );
    }
    assert!(
        ladders
            .iter()
            .any(|l| l["o"].as_str().unwrap().contains("more message(s)")),
        "{ladders:?}"
    );
    // The same caller, the same pseudonym.
    let callers: Vec<&str> = calls.iter().map(|c| c[2].as_str().unwrap()).collect();
    assert!(
        callers.iter().all(|c| c.starts_with("sip:user-")),
        "{callers:?}"
    );
    let distinct: std::collections::BTreeSet<&&str> = callers.iter().collect();
    assert!(distinct.len() < callers.len(), "{callers:?}");
}
