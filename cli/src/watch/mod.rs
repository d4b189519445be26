//! `sipline watch`: a live source read until SIGINT or SIGTERM, with what
//! happened in each window of `--every` and since the start printed as the
//! window closes (a screen redrawn in place on a terminal, one JSON object
//! per window when piped or with `--json`), and served to Prometheus with
//! `--metrics`.
//!
//! The reading thread feeds one shared state (the counts of the window and
//! of the run, and the call engine); a clock thread closes the windows; the
//! metrics server reads the state when scraped. Each takes the state's lock
//! briefly.

pub(crate) mod state;
mod prom;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use sipline::{Error, Message};
use sipline_calls::Outcome;
use sipline_capture::{InputError, Location, ReadOptions, Sink, Skip};

pub use prom::serve_metrics;
use state::{lock, now, State};

/// How `watch` runs.
pub struct Options {
    /// The window's length.
    pub every: Duration,
    /// JSON lines, whatever standard output is.
    pub json: bool,
    /// The top failing peers of each window too.
    pub by_peer: bool,
    /// RFC 3261's T1, in seconds (the call engine's timers).
    pub t1: f64,
    /// Where to serve `/metrics`.
    pub metrics: Option<std::net::SocketAddr>,
}

/// The shared state, fed by the reading thread.
struct Feed(Arc<Mutex<State>>);

impl Sink for Feed {
    fn message(&mut self, at: &Location, msg: &Message<'_>, wire_len: usize) {
        let mut s = lock(&self.0);
        s.total.message(at, msg, wire_len);
        s.window.message(at, msg, wire_len);
        if sipline_calls::follows(&msg.head) {
            let time = at.time.unwrap_or_else(now);
            s.tracker.head(time, at.flow, &msg.head);
            s.drain();
        }
    }

    fn malformed(&mut self, at: &Location, err: &Error) {
        let mut s = lock(&self.0);
        s.total.malformed(at, err);
        s.window.malformed(at, err);
    }

    fn skipped(&mut self, at: &Location, what: Skip) {
        self.skipped_many(at, what, 1);
    }

    fn skipped_many(&mut self, at: &Location, what: Skip, n: u64) {
        let mut s = lock(&self.0);
        s.total.skipped_many(at, what, n);
        s.window.skipped_many(at, what, n);
    }

    fn skipped_bytes(&mut self, at: &Location, what: Skip, n: u64) {
        let mut s = lock(&self.0);
        s.total.skipped_bytes(at, what, n);
        s.window.skipped_bytes(at, what, n);
    }

    fn time(&mut self, ts: f64) {
        let mut s = lock(&self.0);
        s.total.time(ts);
        s.window.time(ts);
    }

    fn bytes_read(&mut self, n: u64) {
        let mut s = lock(&self.0);
        s.total.bytes_read(n);
        s.window.bytes_read(n);
    }

    fn held(&mut self, tcp_flows: usize, tcp_bytes: usize) {
        lock(&self.0).tcp_held = (tcp_flows, tcp_bytes);
    }
}

/// A window as a screen: the window beside the run so far.
fn screen(v: &Value, title: &str) -> String {
    use std::fmt::Write as _;
    let total = &v["since_start"];
    let mut o = String::new();
    let n = |x: &Value| x.as_u64().unwrap_or(0);
    let pct = |x: &Value| {
        x.as_f64()
            .map_or("n/a".to_string(), |p| format!("{p:.1} %"))
    };
    let secs = |x: &Value| {
        x.as_f64()
            .map_or("n/a".to_string(), |s| format!("{s:.3} s"))
    };
    let ms = |x: &Value| {
        x.as_f64()
            .map_or("n/a".to_string(), |s| format!("{s:.0} ms"))
    };
    let span = v["window_end"].as_f64().unwrap_or(0.0) - v["window_start"].as_f64().unwrap_or(0.0);
    let _ = writeln!(
        o,
        "sipline watch {title}: window of {span:.1} s, ended {}",
        crate::calls::rfc3339(v["window_end"].as_f64().unwrap_or(0.0))
    );
    let _ = writeln!(o, "{:<28} {:>14} {:>14}", "", "this window", "since start");
    let row = |o: &mut String, label: &str, a: String, b: String| {
        let _ = writeln!(o, "{label:<28} {a:>14} {b:>14}");
    };
    for (label, key) in [
        ("messages", "messages"),
        ("requests", "requests"),
        ("responses", "responses"),
    ] {
        row(
            &mut o,
            label,
            n(&v["totals"][key]).to_string(),
            n(&total["totals"][key]).to_string(),
        );
    }
    for class in ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"] {
        row(
            &mut o,
            &format!("  {class}"),
            n(&v["classes"][class]["count"]).to_string(),
            n(&total["classes"][class]["count"]).to_string(),
        );
    }
    row(
        &mut o,
        "malformed",
        n(&v["malformed"]).to_string(),
        n(&total["malformed"]).to_string(),
    );
    let lost = |x: &Value| {
        x["not_read"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum::<u64>())
    };
    row(
        &mut o,
        "not read",
        lost(v).to_string(),
        lost(total).to_string(),
    );
    row(
        &mut o,
        "calls",
        n(&v["calls"]["attempts"]).to_string(),
        n(&total["calls"]["attempts"]).to_string(),
    );
    for out in Outcome::ALL {
        let (a, b) = (
            &v["calls"]["by_outcome"][out.name()],
            &total["calls"]["by_outcome"][out.name()],
        );
        if n(a) + n(b) > 0 {
            row(
                &mut o,
                &format!("  {}", out.name()),
                n(a).to_string(),
                n(b).to_string(),
            );
        }
    }
    let _ = writeln!(
        o,
        "{:<28} {:>14}",
        "  in progress",
        n(&v["calls_in_progress"])
    );
    for (label, key) in [("SER", "ser"), ("SEER", "seer")] {
        row(
            &mut o,
            label,
            pct(&v["calls"]["rfc6076"][key]),
            pct(&total["calls"]["rfc6076"][key]),
        );
    }
    for (label, key) in [("NER", "ner"), ("ASR", "asr")] {
        row(
            &mut o,
            label,
            pct(&v["calls"]["industry"][key]),
            pct(&total["calls"]["industry"][key]),
        );
    }
    for (label, key) in [("p50", "p50"), ("p95", "p95")] {
        let (a, b) = (
            &v["calls"]["rfc6076"]["srd"]["success"][key],
            &total["calls"]["rfc6076"]["srd"]["success"][key],
        );
        row(&mut o, &format!("SRD {label}"), secs(a), secs(b));
    }
    for (label, key) in [("p50", "p50"), ("p95", "p95")] {
        let (a, b) = (
            &v["calls"]["industry"]["pdd"][key],
            &total["calls"]["industry"]["pdd"][key],
        );
        row(&mut o, &format!("PDD {label}"), ms(a), ms(b));
    }
    let codes: Vec<String> = v["top_failing_codes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| format!("{} x{}", c["code"], c["count"]))
                .collect()
        })
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "top failing codes: {}",
        if codes.is_empty() {
            "none".into()
        } else {
            codes.join(", ")
        }
    );
    if let Some(peers) = v["top_failing_peers"].as_array() {
        let list: Vec<String> = peers
            .iter()
            .map(|p| {
                format!(
                    "{} {}/{}",
                    p["peer"].as_str().unwrap_or(""),
                    p["failed"],
                    p["attempts"]
                )
            })
            .collect();
        let _ = writeln!(
            o,
            "top failing peers: {}",
            if list.is_empty() {
                "none".into()
            } else {
                list.join(", ")
            }
        );
    }
    o
}

/// Prints a closed window: a JSON line, or the screen redrawn in place.
fn print_window(out: &mut dyn Write, v: &Value, as_json: bool, title: &str) {
    let _ = if as_json {
        writeln!(out, "{v}")
    } else {
        // Home, clear the screen, draw.
        write!(out, "\x1b[H\x1b[2J{}", screen(v, title))
    };
    let _ = out.flush();
}

/// Runs `watch` on `inputs` (after [`crate::plan`]) until the live source
/// stops (SIGINT, SIGTERM) or the inputs end.
pub fn run(inputs: &[String], opts: &ReadOptions, w: &Options) -> ExitCode {
    let files = crate::plan(inputs, opts);
    let state = Arc::new(Mutex::new(State::new(w.by_peer, w.t1)));
    let as_json = w.json || !std::io::stdout().is_terminal();
    if let Some(addr) = w.metrics {
        if let Err(e) = serve_metrics(addr, Arc::clone(&state)) {
            eprintln!("sipline watch: cannot serve metrics on {addr}: {e}");
            return ExitCode::from(crate::EXIT_USAGE);
        }
    }
    let title = files.join(" ");
    let done = Arc::new(AtomicBool::new(false));
    let clock = {
        let (state, done, files, title) = (
            Arc::clone(&state),
            Arc::clone(&done),
            files.clone(),
            title.clone(),
        );
        let every = w.every.max(Duration::from_millis(100));
        std::thread::spawn(move || {
            let mut next = Instant::now() + every;
            while !done.load(Ordering::Relaxed) {
                let left = next.saturating_duration_since(Instant::now());
                if !left.is_zero() {
                    std::thread::sleep(left.min(Duration::from_millis(50)));
                    continue;
                }
                next += every;
                let v = lock(&state).close(now(), &files, false);
                print_window(&mut std::io::stdout().lock(), &v, as_json, &title);
            }
        })
    };
    let mut feed = Feed(Arc::clone(&state));
    let mut errors: Vec<InputError> = Vec::new();
    for f in &files {
        if let Err(e) = sipline_capture::read_source(f, opts, &mut feed) {
            errors.push(e);
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = clock.join();
    let v = lock(&state).close(now(), &files, true);
    print_window(&mut std::io::stdout().lock(), &v, as_json, &title);
    for e in &errors {
        eprintln!("sipline watch: {e}");
    }
    ExitCode::from(if errors.is_empty() {
        0
    } else {
        crate::EXIT_USAGE
    })
}

#[cfg(test)]
mod tests {
    use super::state::{Histogram, BUCKETS};
    use super::*;
    use sipline::{parse_datagram, ParserConfig};
    use sipline_capture::{FlowId, Transport};

    fn feed(state: &Arc<Mutex<State>>, time: f64, bytes: &[u8]) {
        let Ok(sipline::Datagram::Message(m)) = parse_datagram(bytes, &ParserConfig::default())
        else {
            panic!("not a message")
        };
        let flow = FlowId {
            transport: Transport::Udp,
            src: "192.0.2.1:5060".parse().unwrap(),
            dst: "192.0.2.2:5060".parse().unwrap(),
        };
        let at = Location {
            file: "t",
            frame: Some(1),
            offset: 0,
            flow: Some(flow),
            time: Some(time),
        };
        Feed(Arc::clone(state)).message(&at, &m, bytes.len());
    }

    const INVITE: &[u8] = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    const BUSY: &[u8] = b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

    #[test]
    fn a_window_its_screen_and_its_metrics() {
        let state = Arc::new(Mutex::new(State::new(true, 0.5)));
        feed(&state, 100.0, INVITE);
        feed(&state, 100.25, BUSY);
        let at = Location {
            file: "t",
            frame: None,
            offset: 0,
            flow: None,
            time: None,
        };
        let mut f = Feed(Arc::clone(&state));
        f.skipped(&at, Skip::KernelDropped);
        f.skipped_bytes(&at, Skip::TcpGap, 10);
        f.time(100.0);
        f.bytes_read(5);
        f.held(3, 300);
        let bad = parse_datagram(b"SIP/2.0 99", &ParserConfig::default()).unwrap_err();
        f.malformed(&at, &bad);
        assert_eq!(lock(&state).calls_in_progress(), 1);
        // The clock passes the attempt's give-up time: it ends, failed.
        let v = lock(&state).close(200.0, &["t".to_string()], false);
        assert_eq!(v["window_end"], 200.0);
        assert_eq!(v["totals"]["messages"], 2);
        assert_eq!(v["calls"]["by_outcome"]["failed"], 1);
        assert_eq!(v["top_failing_codes"][0]["code"], 486);
        assert_eq!(v["top_failing_peers"][0]["failed"], 1);
        assert_eq!(v["not_read"]["packets-dropped-by-kernel"], 1);
        let text = screen(&v, "t");
        assert!(text.contains("top failing codes: 486 x1"), "{text}");
        assert!(text.contains("  failed"), "{text}");
        let metrics = prom::render(&lock(&state));
        assert!(
            metrics.contains("sipline_calls_total{outcome=\"failed\"} 1\n"),
            "{metrics}"
        );
        assert!(metrics.contains("sipline_ser_ratio 0\n"), "{metrics}");
        assert!(metrics.contains("sipline_not_read_bytes_total{what=\"tcp-gap-bytes\"} 10\n"));
        assert!(
            metrics.contains("sipline_srd_seconds_bucket{result=\"failure\",le=\"0.25\"} 1\n"),
            "{metrics}"
        );
        assert!(metrics.contains("sipline_malformed_total 1\n"), "{metrics}");
        assert!(metrics.contains("sipline_tcp_flows_held 3\n"), "{metrics}");
        assert_eq!(v["tcp_flows_held"], 3);
        // The next window is empty; the run so far keeps its counts.
        let w = lock(&state).close(210.0, &["t".to_string()], true);
        assert_eq!(w["window_start"], 200.0);
        assert_eq!(w["totals"]["messages"], 0);
        assert_eq!(w["since_start"]["totals"]["messages"], 2);
        assert_eq!(w["final"], true);
        let text = screen(&w, "t");
        assert!(text.contains("top failing codes: none"), "{text}");
        let mut out = Vec::new();
        print_window(&mut out, &w, false, "t");
        assert!(out.starts_with(b"\x1b[H\x1b[2J"));
    }

    #[test]
    fn delays_fall_in_their_buckets() {
        let mut h = Histogram::default();
        for s in [0.001, 0.005, 0.3, 500.0] {
            h.observe(s);
        }
        assert_eq!(h.buckets[0], 2);
        assert_eq!(h.buckets[6], 1);
        assert_eq!(h.buckets[BUCKETS.len()], 1);
        assert_eq!(h.count, 4);
        let mut o = String::new();
        prom_histogram(&mut o, &h);
        assert!(o.contains("x_bucket{le=\"+Inf\"} 4\n"), "{o}");
        assert!(o.contains("x_bucket{le=\"0.5\"} 3\n"), "{o}");
        assert!(o.contains("x_count 4\n"), "{o}");
    }

    fn prom_histogram(o: &mut String, h: &Histogram) {
        prom::histogram(o, "x", "", h);
    }
}
