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

mod prom;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sipline::{Error, Message};
use sipline_calls::{
    CallCounts, CallLimits, CallRecord, CallTracker, Metrics, Outcome, SliceBy, SlicedMetrics,
};
use sipline_capture::{InputError, Location, ReadOptions, Sink, Skip, Summary};

use crate::stats::{figures_json, Figures};

pub use prom::serve_metrics;

/// The most slices `--by peer` keeps per window (the rest in `(other)`).
const MAX_SLICES: usize = 10_000;
/// Top failing codes and peers shown per window.
const TOP: usize = 5;
/// Samples kept per delay distribution since the start (a uniform
/// reservoir past it): memory stays flat over days, the percentiles since
/// the start are estimates; a window's are exact up to a million calls.
const SINCE_START_SAMPLES: usize = 10_000;

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

/// Seconds since the epoch, now.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Cumulative histograms of the call delays, in seconds, for Prometheus.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    /// Counts per bucket of [`BUCKETS`] (not cumulative; the last is +Inf).
    pub buckets: [u64; BUCKETS.len() + 1],
    pub sum: f64,
    pub count: u64,
}

/// The histograms' upper bounds, in seconds: from a fast proxy's answer to
/// a phone ringing out.
pub const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let i = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        if let Some(n) = self.buckets.get_mut(i) {
            *n += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// The delays of finished calls, as histograms.
#[derive(Clone, Debug, Default)]
pub struct Delays {
    pub srd_success: Histogram,
    pub srd_failure: Histogram,
    pub pdd: Histogram,
    pub sdd_success: Histogram,
    pub sdd_failure: Histogram,
}

impl Delays {
    /// The delays of `r`, on the same rules as [`Metrics::add`].
    fn add(&mut self, r: &CallRecord) {
        if matches!(r.outcome, Outcome::Pending | Outcome::Truncated) {
            return;
        }
        match (r.outcome, r.srd_ms) {
            (Outcome::Established, Some(ms)) => self.srd_success.observe(ms / 1000.0),
            (Outcome::Failed, Some(ms)) => self.srd_failure.observe(ms / 1000.0),
            _ => {}
        }
        if let Some(ms) = r.pdd_ms {
            self.pdd.observe(ms / 1000.0);
        }
        match (r.bye_code, r.disconnect_ms) {
            (Some(c), Some(ms)) if (200..300).contains(&c) => self.sdd_success.observe(ms / 1000.0),
            (Some(_), Some(ms)) => self.sdd_failure.observe(ms / 1000.0),
            _ => {}
        }
    }
}

/// Everything `watch` counts, shared by the reading thread, the clock and
/// the metrics server.
pub struct State {
    /// The run so far.
    pub total: Summary,
    /// The window open now.
    window: Summary,
    tracker: CallTracker,
    /// The calls finished so far.
    pub calls: Metrics,
    window_calls: Metrics,
    window_peers: Option<SlicedMetrics>,
    /// The delays of the calls finished so far.
    pub delays: Delays,
    /// The calls of the last window closed (the ratios Prometheus shows).
    pub last_window: Metrics,
    window_start: f64,
    /// The call engine's limits.
    limits: CallLimits,
    /// Windows closed so far.
    pub windows: u64,
    /// TCP directions and bytes the live source holds (said every second).
    pub tcp_held: (usize, usize),
    /// The engine's counts once it has finished (the run's end).
    final_counts: Option<CallCounts>,
}

impl State {
    fn new(by_peer: bool, t1: f64) -> State {
        let limits = CallLimits {
            t1,
            ..CallLimits::default()
        };
        State {
            total: Summary::default(),
            window: Summary::default(),
            tracker: CallTracker::new(limits),
            limits,
            calls: Metrics::with_max_samples(SINCE_START_SAMPLES),
            window_calls: Metrics::default(),
            window_peers: by_peer.then(|| SlicedMetrics::new(SliceBy::Peer, MAX_SLICES)),
            delays: Delays::default(),
            last_window: Metrics::default(),
            window_start: now(),
            windows: 0,
            tcp_held: (0, 0),
            final_counts: None,
        }
    }

    /// Attempts in progress now.
    pub fn calls_in_progress(&self) -> usize {
        self.tracker.open()
    }

    /// What the engine counted besides the attempts.
    pub fn call_counts(&self) -> CallCounts {
        self.tracker.counts()
    }

    fn record(&mut self, r: &CallRecord) {
        self.calls.add(r);
        self.window_calls.add(r);
        if let Some(p) = self.window_peers.as_mut() {
            p.add(r);
        }
        self.delays.add(r);
    }

    fn drain(&mut self) {
        let records: Vec<CallRecord> = self.tracker.drain().collect();
        for r in &records {
            self.record(r);
        }
    }

    /// Closes the window at `end`: its object (the `stats --json`
    /// vocabulary, with `window_start`, `window_end`, the top failing codes
    /// and peers, and `since_start`). `last`: the run ends, attempts still
    /// open are finished first.
    fn close(&mut self, end: f64, inputs: &[String], last: bool) -> Value {
        if last {
            let tracker = std::mem::replace(&mut self.tracker, CallTracker::new(self.limits));
            let counts = tracker.counts();
            for r in tracker.finish() {
                self.record(&r);
            }
            // The engine's counts survive its end.
            self.final_counts = Some(counts);
        } else {
            // Time passes without messages too: timers run out.
            self.tracker.advance(end);
            self.drain();
        }
        let window = std::mem::take(&mut self.window);
        let calls = std::mem::take(&mut self.window_calls);
        let peers = self
            .window_peers
            .as_mut()
            .map(|p| std::mem::replace(p, SlicedMetrics::new(SliceBy::Peer, MAX_SLICES)));
        let counts = self.final_counts.unwrap_or_else(|| self.tracker.counts());
        let mut v = figures_json(
            Figures {
                summary: window,
                metrics: calls.clone(),
                sliced: None,
                counts,
            },
            inputs,
        );
        v["window_start"] = json!(self.window_start);
        v["window_end"] = json!(end);
        v["top_failing_codes"] = top_failing_codes(&calls);
        if let Some(p) = &peers {
            v["top_failing_peers"] = top_failing_peers(p);
        }
        v["calls_in_progress"] = json!(self.tracker.open());
        v["tcp_flows_held"] = json!(self.tcp_held.0);
        v["since_start"] = figures_json(
            Figures {
                summary: self.total.clone(),
                metrics: self.calls.clone(),
                sliced: None,
                counts,
            },
            inputs,
        );
        if last {
            v["final"] = json!(true);
        }
        self.last_window = calls;
        self.window_start = end;
        self.windows += 1;
        v
    }
}

/// The final codes of failed attempts, most frequent first.
fn top_failing_codes(m: &Metrics) -> Value {
    let mut codes: Vec<(u16, u64)> = m
        .finals
        .iter()
        .filter(|(c, _)| **c >= 300)
        .map(|(c, n)| (*c, *n))
        .collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Value::Array(
        codes
            .iter()
            .take(TOP)
            .map(|(code, count)| json!({"code": code, "count": count}))
            .collect(),
    )
}

/// Failed and timed-out attempts of a peer.
fn failing(m: &Metrics) -> u64 {
    [Outcome::Failed, Outcome::TimedOut]
        .iter()
        .map(|o| m.by_outcome.get(o).copied().unwrap_or(0))
        .sum()
}

/// The peers with the most failed attempts, most first.
fn top_failing_peers(p: &SlicedMetrics) -> Value {
    let mut peers: Vec<(&String, &Metrics)> =
        p.slices.iter().filter(|(_, m)| failing(m) > 0).collect();
    peers.sort_by(|a, b| failing(b.1).cmp(&failing(a.1)).then(a.0.cmp(b.0)));
    Value::Array(
        peers
            .iter()
            .take(TOP)
            .map(|(peer, m)| {
                json!({
                    "peer": peer,
                    "failed": failing(m),
                    "attempts": m.by_outcome.values().sum::<u64>(),
                })
            })
            .collect(),
    )
}

/// The shared state, fed by the reading thread.
struct Feed(Arc<Mutex<State>>);

/// The state, even if a thread that held it panicked (its counts stand).
pub fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

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
