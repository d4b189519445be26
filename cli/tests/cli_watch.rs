//! `sipline watch`: windows of a live source as JSON lines, and `/metrics`
//! for Prometheus, checked by promtool and scraped by a real Prometheus
//! server while SIPp places calls.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const INVITE: &[u8] = b"INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:alice@192.0.2.1>;tag=1\r\nTo: <sip:bob@192.0.2.2>\r\nCall-ID: watch-1\r\nCSeq: 1 INVITE\r\n\
Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
const BUSY: &[u8] = b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
From: <sip:alice@192.0.2.1>;tag=1\r\nTo: <sip:bob@192.0.2.2>;tag=2\r\nCall-ID: watch-1\r\nCSeq: 1 INVITE\r\n\
Content-Length: 0\r\n\r\n";

/// `GET path` on `port`: the status line and the body.
fn get(port: u16, request: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

/// Waits until `port` accepts connections (the metrics server is up).
fn wait_for(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nothing on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops `child` with SIGINT: its exit status and standard output.
fn stop(child: Child) -> (Option<i32>, String, String) {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn windows_as_json_lines_and_metrics_from_a_hep_feed() {
    let (hep, metrics) = (common::free_port(), common::free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["watch", "--every", "300ms", "--by", "peer"])
        .args(["--hep-listen", &format!("127.0.0.1:{hep}")])
        .args(["--metrics", &metrics.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(metrics);
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    for d in [
        common::hep3(INVITE, 1_700_000_000, None),
        common::hep3(BUSY, 1_700_000_001, None),
        b"not HEP".to_vec(),
    ] {
        sender.send_to(&d, ("127.0.0.1", hep)).unwrap();
    }
    // Two windows pass: the attempt's timers run out by the clock.
    std::thread::sleep(Duration::from_millis(900));
    let (status, text) = get(metrics, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(text.contains("sipline_messages_total 2\n"), "{text}");
    assert!(
        text.contains("sipline_requests_total{method=\"INVITE\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("sipline_responses_total{code=\"486\",class=\"4xx\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("sipline_calls_total{outcome=\"failed\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("sipline_not_read_total{what=\"hep-malformed\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("sipline_srd_seconds_bucket{result=\"failure\",le=\"1\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("sipline_srd_seconds_count{result=\"failure\"} 1\n"),
        "{text}"
    );
    // Anything but GET /metrics: answered, and the server goes on.
    assert_eq!(
        get(metrics, "GET /nothing HTTP/1.1\r\n\r\n").0,
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(
        get(metrics, "POST /metrics HTTP/1.1\r\n\r\n").0,
        "HTTP/1.1 405 Method Not Allowed"
    );
    assert_eq!(get(metrics, "\r\n\r\n").0, "HTTP/1.1 400 Bad Request");
    assert_eq!(
        get(metrics, "GET /metrics HTTP/1.0\r\n\r\n").0,
        "HTTP/1.1 200 OK"
    );
    if common::have_program(
        &common::PROMETHEUS,
        "promtool",
        &["--version"],
        "promtool check metrics on /metrics",
    ) {
        let mut check = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        check
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = check.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (code, out, err) = stop(child);
    assert_eq!(code, Some(0), "{err}");
    let windows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(windows.len() >= 3, "{out}");
    // Windows follow each other with no gap; only the last is final.
    for w in windows.windows(2) {
        assert_eq!(w[0]["window_end"], w[1]["window_start"]);
        assert!(w[0]["window_start"].as_f64() < w[0]["window_end"].as_f64());
        assert!(w[0].get("final").is_none());
    }
    let last = windows.last().unwrap();
    assert_eq!(last["final"], true);
    // The windows add up to the run.
    let sum = |key: &str| -> u64 {
        windows
            .iter()
            .map(|w| w["totals"][key].as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum("messages"), 2);
    assert_eq!(last["since_start"]["totals"]["messages"], 2);
    assert_eq!(last["since_start"]["not_read"]["hep-malformed"], 1);
    assert_eq!(last["since_start"]["calls"]["by_outcome"]["failed"], 1);
    let failed: Vec<&Value> = windows
        .iter()
        .filter(|w| w["calls"]["by_outcome"]["failed"] == 1)
        .collect();
    assert_eq!(failed.len(), 1, "{out}");
    assert_eq!(failed[0]["top_failing_codes"][0]["code"], 486);
    assert_eq!(failed[0]["top_failing_peers"][0]["failed"], 1);
}

#[test]
fn a_duration_or_an_address_that_does_not_parse_is_a_usage_error() {
    for args in [
        vec!["watch", "--every", "soon", "--hep-listen", "127.0.0.1:0"],
        vec!["watch", "--every", "0s", "--hep-listen", "127.0.0.1:0"],
        vec![
            "watch",
            "--metrics",
            "somewhere",
            "--hep-listen",
            "127.0.0.1:0",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // A metrics address already taken: said, exit 2.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["watch", "--metrics", &port, "--hep-listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot serve metrics"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether this process may capture on `lo` (sipline says so when not).
fn may_capture() -> bool {
    let probe = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["watch", "--json", "-i", "lo", "--port", "9"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (code, _, err) = stop(probe);
    if code != Some(0) {
        assert!(err.contains("CAP_NET_RAW"), "{err}");
    }
    common::have(
        &common::NET_RAW,
        code == Some(0),
        &err,
        "Prometheus scraping watch -i lo",
    )
}

/// A real Prometheus server, started here on loopback, scrapes `watch -i
/// lo` every 200 ms while SIPp places calls over loopback; its query
/// answers the calls the scenario answered with 200.
#[test]
fn prometheus_scrapes_the_calls_sipp_placed() {
    let skipped = "Prometheus scraping watch -i lo";
    let sipp = Command::new("sipp").arg("-v").output().is_ok();
    if !common::have(&common::SIPP, sipp, "`sipp` did not start", skipped)
        || !common::have_program(&common::PROMETHEUS, "prometheus", &["--version"], skipped)
        || !may_capture()
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("sipline-prometheus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (uas_port, metrics, web) = (
        common::free_port(),
        common::free_port(),
        common::free_port(),
    );
    let watch = Command::new(env!("CARGO_BIN_EXE_sipline"))
        // T1 of 100 ms: an attempt ends 6.4 s after its last message.
        .args([
            "watch", "--json", "--every", "1s", "--t1", "0.1", "-i", "lo",
        ])
        .args(["--port", &uas_port.to_string()])
        .args(["--metrics", &metrics.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(metrics);
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 200ms\n  scrape_timeout: 150ms\n\
             scrape_configs:\n  - job_name: sipline\n    static_configs:\n\
             \x20     - targets: ['127.0.0.1:{metrics}']\n"
        ),
    )
    .unwrap();
    let mut prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{web}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut uas = Command::new("sipp")
        .args(["-sn", "uas", "-i", "127.0.0.1", "-p", &uas_port.to_string()])
        .args(["-t", "u1", "-nostdin"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let calls = 15;
    let status = Command::new("sipp")
        .args(["-sn", "uac", "-i", "127.0.0.1", "-t", "u1", "-r", "30"])
        .args(["-m", &calls.to_string(), "-timeout", "30s", "-nostdin"])
        .arg(format!("127.0.0.1:{uas_port}"))
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "SIPp: {status}");
    // Prometheus' answer to the query, until it has the calls (or 30 s).
    let query = "/api/v1/query?query=sipline_calls_total%7Boutcome%3D%22established%22%7D";
    let start = Instant::now();
    let mut last = String::new();
    let mut seen = None;
    while start.elapsed() < Duration::from_secs(30) {
        if TcpStream::connect(("127.0.0.1", web)).is_ok() {
            let (_, body) = get(web, &format!("GET {query} HTTP/1.0\r\n\r\n"));
            last = body;
            let v: Value = serde_json::from_str(&last).unwrap_or(Value::Null);
            seen = v["data"]["result"][0]["value"][1]
                .as_str()
                .and_then(|n| n.parse::<u64>().ok());
            if seen == Some(calls) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = uas.kill();
    let _ = uas.wait();
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    let (code, out, err) = stop(watch);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(seen, Some(calls), "Prometheus answered {last}");
    assert_eq!(code, Some(0), "{err}");
    let last_window: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        last_window["since_start"]["calls"]["by_outcome"]["established"],
        calls
    );
}
