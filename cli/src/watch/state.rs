//! What `watch` counts: the window open now and the run so far, the call
//! engine and what its finished calls add up to (delays as histograms for
//! Prometheus), and how a window closes into its JSON object.

use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sipline_calls::{
    CallCounts, CallLimits, CallRecord, CallTracker, Metrics, Outcome, SliceBy, SlicedMetrics,
};
use sipline_capture::Summary;

use crate::stats::{figures_json, Figures};

/// The most slices `--by peer` keeps per window (the rest in `(other)`).
const MAX_SLICES: usize = 10_000;
/// Top failing codes and peers shown per window.
const TOP: usize = 5;
/// Samples kept per delay distribution since the start (a uniform
/// reservoir past it): memory stays flat over days, the percentiles since
/// the start are estimates; a window's are exact up to a million calls.
const SINCE_START_SAMPLES: usize = 10_000;

/// Seconds since the epoch, now.
pub fn now() -> f64 {
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
    pub fn observe(&mut self, seconds: f64) {
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
    pub fn add(&mut self, r: &CallRecord) {
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
    pub window: Summary,
    pub tracker: CallTracker,
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
    pub fn new(by_peer: bool, t1: f64) -> State {
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

    pub fn drain(&mut self) {
        let records: Vec<CallRecord> = self.tracker.drain().collect();
        for r in &records {
            self.record(r);
        }
    }

    /// Closes the window at `end`: its object (the `stats --json`
    /// vocabulary, with `window_start`, `window_end`, the top failing codes
    /// and peers, and `since_start`). `last`: the run ends, attempts still
    /// open are finished first.
    pub fn close(&mut self, end: f64, inputs: &[String], last: bool) -> Value {
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

/// The state, even if a thread that held it panicked (its counts stand).
pub fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
