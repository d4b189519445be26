//! `sipline stats` and `sipline check`: what a capture's SIP traffic says.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;

use serde_json::{json, Map, Value};
use sipline::{Error, Message, StatusClass, StatusCode};
use sipline_calls::{
    CallCounts, CallLimits, Distribution, Follower, FollowerThread, Metrics, Outcome,
    Registrations, SliceBy, SlicedMetrics,
};
use sipline_capture::{
    parallel, InputError, Location, Malformed, ReadOptions, Sink, Skip, Summary,
};

use crate::json::{error_fields, location_fields};

/// Everything `stats` counts.
#[derive(Default)]
pub struct Stats {
    /// The counts (the capture crate's [`Summary`]).
    summary: Summary,
    /// `check`: print each problem as it is found.
    print_problems: bool,
    /// The progress bar, when one is shown.
    progress: Option<indicatif::ProgressBar>,
    /// The call engine, on a thread of its own (fed in batches, joined by
    /// `finish_calls`) or inline.
    calls: Option<Calls>,
    /// Run the call engine on the counting thread (`--threads`).
    pub calls_inline: bool,
    /// `stats --calls`: follow calls too.
    pub with_calls: bool,
    /// `stats --by`: the metrics per slice too.
    pub by: Option<SliceBy>,
    sliced: Option<SlicedMetrics>,
    /// What the finished attempts add up to.
    metrics: Metrics,
    registrations: Registrations,
    call_counts: CallCounts,
    /// RTP and RTCP among the datagrams that are not SIP.
    media: crate::media::MediaSeen,
}

/// The most slices `--by` keeps (the rest go to `(other)`).
const MAX_SLICES: usize = 10_000;

/// Where the call engine runs: on a thread of its own (a single-threaded
/// `stats`), or inline, on the thread that counts (`--threads`, where the
/// parsing is on other threads already).
enum Calls {
    Thread(FollowerThread),
    Inline(Box<Follower>),
}

impl Sink for Stats {
    fn message(&mut self, at: &Location, msg: &Message<'_>, wire_len: usize) {
        if self.with_calls {
            // The engine would only count the others as not a call: not
            // worth a copy to its thread (inline, it checks itself).
            if self.calls_inline || sipline_calls::follows(&msg.head) {
                let (by, inline) = (self.by, self.calls_inline);
                let calls = self.calls.get_or_insert_with(|| {
                    let follower =
                        Follower::new(CallLimits::default(), by.map(|b| (b, MAX_SLICES)));
                    if inline {
                        Calls::Inline(Box::new(follower))
                    } else {
                        Calls::Thread(FollowerThread::start(follower))
                    }
                });
                let time = at.time.unwrap_or(0.0);
                match calls {
                    Calls::Thread(t) => t.head(time, at.flow, &msg.head),
                    Calls::Inline(f) => f.head(time, at.flow, &msg.head),
                }
            }
        }
        self.media.message(at, msg);
        self.summary.message(at, msg, wire_len);
    }

    fn malformed(&mut self, at: &Location, err: &Error) {
        if self.print_problems {
            self.print_problems = say(format_args!("{at}: {err} [{}]", err.kind().name()));
        }
        self.summary.malformed(at, err);
    }

    fn skipped(&mut self, at: &Location, what: Skip) {
        self.skipped_many(at, what, 1);
    }

    fn skipped_many(&mut self, at: &Location, what: Skip, n: u64) {
        self.summary.skipped_many(at, what, n);
        if self.print_problems && what.is_problem() {
            self.print_problems = match n {
                1 => say(format_args!("{at}: {}", what.name())),
                _ => say(format_args!("{at}: {n} {}", what.name())),
            };
        }
    }

    fn skipped_bytes(&mut self, at: &Location, what: Skip, n: u64) {
        self.summary.skipped_bytes(at, what, n);
    }

    fn time(&mut self, ts: f64) {
        self.summary.time(ts);
    }

    fn media(&mut self, at: &Location, payload: &[u8]) {
        self.media.datagram(at, payload);
    }

    fn bytes_read(&mut self, n: u64) {
        self.summary.bytes_read(n);
        if let Some(bar) = &self.progress {
            bar.inc(n);
        }
    }
}

/// The JSON name of a count of bytes of `what`.
fn bytes_name(what: Skip) -> &'static str {
    match what {
        Skip::TcpGap => "tcp-gap-bytes",
        Skip::TlsFlow => "tls-bytes-not-decrypted",
        other => other.name(),
    }
}

fn class_of(code: u16) -> StatusClass {
    StatusCode::from_u16(code).map_or(StatusClass::GlobalFailure, StatusCode::class)
}

impl Stats {
    /// Every count of what could not be read, zeros included: events (by
    /// their names) and bytes (`tcp-gap-bytes`, `tcp-bytes-skipped`).
    fn not_read(&self) -> Vec<(&'static str, u64)> {
        let (mut events, bytes) = not_read(&self.summary);
        events.extend(bytes);
        events
    }
}

/// Counts by name.
pub type Counts = Vec<(&'static str, u64)>;

/// What could not be read, zeros included: the events by their names, and
/// the bytes (`tcp-gap-bytes`, `tcp-bytes-skipped`,
/// `tls-bytes-not-decrypted`).
pub fn not_read(summary: &Summary) -> (Counts, Counts) {
    let events = Skip::ALL
        .iter()
        .filter(|k| k.is_loss() && **k != Skip::TcpBytesSkipped)
        .map(|k| (k.name(), summary.skipped.get(k).copied().unwrap_or(0)))
        .collect();
    let bytes = [Skip::TcpGap, Skip::TcpBytesSkipped, Skip::TlsFlow]
        .iter()
        .map(|k| {
            (
                bytes_name(*k),
                summary.skipped_bytes.get(k).copied().unwrap_or(0),
            )
        })
        .collect();
    (events, bytes)
}

/// A malformed message as `stats --json` shows it: `at` and `error` (the
/// sentence) and `kind` as 0.1 printed them, the vocabulary's keys beside
/// them.
fn example_json(m: &Malformed) -> Value {
    let at = m.at.as_location();
    let err = &m.error;
    let mut v = location_fields(&at);
    v.insert("at".into(), json!(at.to_string()));
    v.insert("kind".into(), json!(err.kind().name()));
    v.insert("error".into(), json!(err.to_string()));
    v.extend(error_fields(err).into_iter().filter(|(k, _)| k != "offset"));
    Value::Object(v)
}

impl Stats {
    fn by_class(&self) -> BTreeMap<StatusClass, u64> {
        let mut m: BTreeMap<StatusClass, u64> = StatusClass::ALL.iter().map(|c| (*c, 0)).collect();
        for (code, s) in &self.summary.responses {
            *m.entry(class_of(*code)).or_default() += s.count;
        }
        m
    }

    /// The JSON document of `stats --json`.
    /// The end of the inputs: attempts still open are finished and counted.
    pub fn finish_calls(&mut self) {
        if let Some(calls) = self.calls.take() {
            let done = match calls {
                Calls::Thread(t) => t.finish(),
                Calls::Inline(f) => Some(f.finish()),
            };
            match done {
                Some(done) => {
                    self.metrics = done.metrics;
                    self.sliced = done.sliced;
                    self.registrations = done.registrations;
                    self.call_counts = done.counts;
                }
                None => eprintln!("sipline stats: the call engine failed; no calls section"),
            }
        }
    }

    /// `"calls"` of `stats --json`.
    fn calls_json(&self) -> Value {
        let mut v = self.metrics_json(&self.metrics, true);
        if let Some(s) = &self.sliced {
            let by = match s.by {
                SliceBy::Caller => "caller",
                SliceBy::Callee => "callee",
                SliceBy::Peer => "peer",
            };
            let slices: Map<String, Value> = s
                .slices
                .iter()
                .map(|(k, m)| (k.clone(), self.metrics_json(m, false)))
                .collect();
            v["by"] = json!({"by": by, "slices": slices});
        }
        v
    }

    /// The calls figures of `m`; `all`: the whole capture (with the
    /// registrations and the engine's counts).
    fn metrics_json(&self, m: &Metrics, all: bool) -> Value {
        let attempts: u64 = m.by_outcome.values().sum();
        let dist = |d: &Distribution, scale: f64| match d.summary() {
            None => json!({"count": 0, "mean": null, "p50": null, "p95": null, "max": null}),
            Some(s) => json!({
                "count": s.count,
                "mean": to_micros(s.mean, scale),
                "p50": to_micros(s.p50, scale),
                "p95": to_micros(s.p95, scale),
                "max": to_micros(s.max, scale),
            }),
        };
        let pct = |v: Option<f64>| v.map(round3);
        let mut v = json!({
            "attempts": attempts,
            "by_outcome": Outcome::ALL.iter().map(|o| (o.name().to_string(), json!(m.by_outcome.get(o).copied().unwrap_or(0)))).collect::<Map<String, Value>>(),
            "finals": m.finals.iter().map(|(c, n)| (c.to_string(), json!(n))).collect::<Map<String, Value>>(),
            "session_requests": m.session_requests(),
            "open_at_end": m.open_at_end,
            "capture_duplicates": self.call_counts.capture_duplicates,
            "other_legs": self.call_counts.other_legs,
            "evicted": self.call_counts.evicted,
            "rfc6076": {
                "rrd": dist(&self.registrations.rrd, 1.0),
                "rrd_unit": "ms",
                "ira": pct(self.registrations.ira()),
                "register_attempts": self.registrations.attempts,
                "srd": {"success": dist(&m.srd_success, 0.001), "failure": dist(&m.srd_failure, 0.001)},
                "srd_unit": "s",
                "sdd": {"success": dist(&m.sdd_success, 1.0), "failure": dist(&m.sdd_failure, 1.0), "timeouts": m.sdd_timeouts},
                "sdd_unit": "ms",
                "sdt": dist(&m.sdt, 0.001),
                "sdt_unit": "s",
                "ser": pct(m.ser()),
                "seer": pct(m.seer()),
                "isa": pct(m.isa()),
                "scr": pct(m.scr()),
                "ratio_unit": "%",
            },
            "industry": {
                "note": "not RFC 6076: ASR (ITU-T E.411), NER (ITU-T E.411/E.425), PDD (ITU-T E.721)",
                "asr": pct(m.asr()),
                "ner": pct(m.ner()),
                "pdd": dist(&m.pdd, 1.0),
                "pdd_unit": "ms",
            },
        });
        if !all {
            // Registrations and the engine's counts are not sliced.
            if let Some(o) = v.as_object_mut() {
                for k in ["capture_duplicates", "other_legs", "evicted"] {
                    o.remove(k);
                }
            }
            if let Some(r) = v["rfc6076"].as_object_mut() {
                for k in ["rrd", "rrd_unit", "ira", "register_attempts"] {
                    r.remove(k);
                }
            }
        }
        v
    }

    /// The calls part of the table.
    fn calls_table(&self, o: &mut String) {
        use std::fmt::Write;
        let m = &self.metrics;
        let attempts: u64 = m.by_outcome.values().sum();
        let _ = writeln!(
            o,
            "\nCalls: {attempts} attempt(s) ({} open at the end)",
            m.open_at_end
        );
        for out in Outcome::ALL {
            if let Some(n) = m.by_outcome.get(&out) {
                let _ = writeln!(o, "  {:<22} {n:>8}", out.name());
            }
        }
        if attempts == 0 {
            return;
        }
        let finals: Vec<String> = m.finals.iter().map(|(c, n)| format!("{c}: {n}")).collect();
        let _ = writeln!(o, "  finals (one per attempt): {}", finals.join(", "));
        let p = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.1} %"));
        let d = |x: &Distribution, scale: f64, unit: &str| {
            x.summary().map_or("n/a".to_string(), |s| {
                // Seconds to the microsecond, milliseconds to three decimals.
                let p = if scale < 1.0 { 6 } else { 3 };
                format!(
                    "{} samples, mean {:.p$} {unit}, p50 {:.p$}, p95 {:.p$}, max {:.p$}",
                    s.count,
                    s.mean * scale,
                    s.p50 * scale,
                    s.p95 * scale,
                    s.max * scale
                )
            })
        };
        let _ = writeln!(o, "RFC 6076");
        let _ = writeln!(
            o,
            "  SER  {}   SEER {}   ISA {}   SCR {}",
            p(m.ser()),
            p(m.seer()),
            p(m.isa()),
            p(m.scr())
        );
        let _ = writeln!(o, "  SRD success  {}", d(&m.srd_success, 0.001, "s"));
        let _ = writeln!(o, "  SRD failure  {}", d(&m.srd_failure, 0.001, "s"));
        let _ = writeln!(o, "  SDD success  {}", d(&m.sdd_success, 1.0, "ms"));
        let _ = writeln!(o, "  SDT          {}", d(&m.sdt, 0.001, "s"));
        let _ = writeln!(
            o,
            "  IRA {} of {} REGISTER attempt(s); RRD {}",
            p(self.registrations.ira()),
            self.registrations.attempts,
            d(&self.registrations.rrd, 1.0, "ms")
        );
        let _ = writeln!(o, "Industry (not RFC 6076)");
        let _ = writeln!(
            o,
            "  ASR {}   NER {}   PDD {}",
            p(m.asr()),
            p(m.ner()),
            d(&m.pdd, 1.0, "ms")
        );
        if let Some(s) = &self.sliced {
            let _ = writeln!(o, "\nBy {:?} (RFC 6076 §5.1)", s.by);
            let _ = writeln!(
                o,
                "  {:<40} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                "", "attempts", "SER", "SEER", "ISA", "SCR", "ASR"
            );
            for (k, m) in &s.slices {
                let n: u64 = m.by_outcome.values().sum();
                let _ = writeln!(
                    o,
                    "  {k:<40} {n:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                    p(m.ser()),
                    p(m.seer()),
                    p(m.isa()),
                    p(m.scr()),
                    p(m.asr())
                );
            }
        }
    }

    pub fn to_json(&self, inputs: &[String], errors: &[InputError]) -> Value {
        let mut v = self.to_json_base(inputs, errors);
        if self.with_calls {
            v["calls"] = self.calls_json();
        }
        if self.media.any() {
            v["media"] = self.media.to_json();
        }
        v
    }

    fn to_json_base(&self, inputs: &[String], errors: &[InputError]) -> Value {
        let responses: Map<String, Value> = self
            .summary
            .responses
            .iter()
            .map(|(c, s)| (c.to_string(), json!(s.count)))
            .collect();
        let mut requests: Map<String, Value> = self
            .summary
            .requests
            .iter()
            .map(|(m, n)| (m.clone(), json!(n)))
            .collect();
        // Past the bound on distinct methods (hostile input), the rest.
        if self.summary.other_methods > 0 {
            requests.insert("(other)".into(), json!(self.summary.other_methods));
        }
        let classes: Map<String, Value> = self
            .by_class()
            .iter()
            .map(|(c, n)| {
                (
                    format!("{}xx", c.digit()),
                    json!({"class": c.name(), "count": n}),
                )
            })
            .collect();
        let codes: Vec<Value> = self
            .summary
            .responses
            .iter()
            .map(|(c, s)| {
                let code = StatusCode::from_u16(*c);
                json!({
                    "code": c,
                    "count": s.count,
                    "class": class_of(*c).name(),
                    "canonical_reason": code.and_then(StatusCode::canonical_reason),
                    "reasons_seen": s.reasons,
                })
            })
            .collect();
        let skipped: Map<String, Value> = self
            .summary
            .skipped
            .iter()
            .map(|(k, n)| (k.name().to_string(), json!(n)))
            .collect();
        json!({
            "responses": responses,
            "requests": requests,
            "malformed": self.summary.malformed,
            "classes": classes,
            "codes": codes,
            "malformed_examples": self.summary.examples.iter().map(example_json).collect::<Vec<_>>(),
            "totals": {
                "inputs": inputs,
                "messages": self.summary.messages,
                "requests": self.summary.requests_total(),
                "responses": self.summary.responses_total(),
                "sip_bytes": self.summary.sip_bytes,
                "bytes_read": self.summary.bytes_read,
                "first_packet": self.summary.first,
                "last_packet": self.summary.last,
                "duration_seconds": self.summary.first.zip(self.summary.last).map(|(f, l)| l - f),
            },
            "skipped": skipped,
            "skipped_bytes": self.summary.skipped_bytes.iter().map(|(k, n)| (bytes_name(*k).to_string(), json!(n))).collect::<Map<String, Value>>(),
            "not_read": self.not_read().into_iter().map(|(k, n)| (k.to_string(), json!(n))).collect::<Map<String, Value>>(),
            // An input that could not be read is not all read either.
            "all_read": errors.is_empty() && self.not_read().iter().all(|(_, n)| *n == 0),
            "ip_fragments": "reassembled; what could not be is counted in not_read",
            "input_errors": errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })
    }

    /// The readable table of `stats`.
    pub fn to_table(&self, inputs: &[String], errors: &[InputError]) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let reqs: u64 = self.summary.requests_total();
        let _ = writeln!(
            o,
            "sipline stats: {} input(s), {} SIP messages ({} requests, {} responses), {} malformed",
            inputs.len(),
            self.summary.messages,
            reqs,
            self.summary.responses_total(),
            self.summary.malformed
        );
        let dur = self
            .summary
            .first
            .zip(self.summary.last)
            .map(|(f, l)| format!("{:.1} s of capture, ", l - f))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "{dur}{} bytes read, {} bytes of SIP\n",
            self.summary.bytes_read, self.summary.sip_bytes
        );
        let classes = self.by_class();
        let max = classes.values().copied().max().unwrap_or(0).max(1);
        let _ = writeln!(o, "Responses by class");
        for (c, n) in &classes {
            let bar = "█".repeat(((*n * 40).div_ceil(max)) as usize);
            let _ = writeln!(o, "  {}xx {:<15} {:>8}  {bar}", c.digit(), c.name(), n);
        }
        let _ = writeln!(o, "\nResponses by code");
        for (code, s) in &self.summary.responses {
            let canonical = StatusCode::from_u16(*code)
                .and_then(StatusCode::canonical_reason)
                .unwrap_or("(unregistered)");
            let seen: Vec<String> = s.reasons.keys().map(|r| format!("{r:?}")).collect();
            let _ = writeln!(
                o,
                "  {code} {canonical:<34} {:>8}  seen: {}",
                s.count,
                seen.join(", ")
            );
        }
        let _ = writeln!(o, "\nRequests by method");
        for (m, n) in &self.summary.requests {
            let _ = writeln!(o, "  {m:<12} {n:>8}");
        }
        if self.summary.other_methods > 0 {
            let _ = writeln!(o, "  {:<12} {:>8}", "(other)", self.summary.other_methods);
        }
        let not_read: Vec<String> = self
            .not_read()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if not_read.is_empty() {
            let _ = writeln!(o, "\nNot read: nothing that sipline could tell was lost");
        } else {
            let _ = writeln!(o, "\nNot read: {}", not_read.join(", "));
        }
        let other: Vec<String> = self
            .summary
            .skipped
            .iter()
            .filter(|(k, _)| !k.is_loss())
            .map(|(k, n)| format!("{} {n}", k.name()))
            .chain(
                self.summary
                    .skipped_bytes
                    .iter()
                    .filter(|(k, _)| !k.is_loss())
                    .map(|(k, n)| format!("{} {n}", bytes_name(*k))),
            )
            .collect();
        if !other.is_empty() {
            let _ = writeln!(o, "Not SIP, dropped: {}", other.join(", "));
        }
        if !self.summary.examples.is_empty() {
            let _ = writeln!(o, "\nMalformed (first {}):", self.summary.examples.len());
            for m in &self.summary.examples {
                let _ = writeln!(o, "  {}: {}", m.at.as_location(), m.error);
            }
        }
        if self.with_calls {
            self.calls_table(&mut o);
        }
        if self.media.any() {
            self.media.table(&mut o);
        }
        for e in errors {
            let _ = writeln!(o, "\nInput error: {e}");
        }
        o
    }
}

/// A progress bar on standard error, when it is a terminal and the inputs
/// are over 64 MiB.
fn progress_bar(files: &[String]) -> Option<indicatif::ProgressBar> {
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    (std::io::stderr().is_terminal() && total > 64 << 20).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    })
}

/// Reads every input into `sink`, showing the file being read on `bar`.
fn read_all(
    files: &[String],
    opts: &ReadOptions,
    sink: &mut dyn Sink,
    bar: Option<&indicatif::ProgressBar>,
) -> Vec<InputError> {
    let mut errors = Vec::new();
    for f in files {
        if let Some(bar) = bar {
            bar.set_message(f.clone());
        }
        if let Err(e) = sipline_capture::read_source(f, opts, sink) {
            errors.push(e);
        }
    }
    errors
}

/// Reads every input, in the planned order, into `stats`; returns the
/// inputs read and their errors.
fn gather(
    inputs: &[String],
    opts: &ReadOptions,
    stats: &mut Stats,
) -> (Vec<String>, Vec<InputError>) {
    let files = crate::plan(inputs, opts);
    // A followed input has no end to show progress towards.
    stats.progress = opts
        .follow
        .is_none()
        .then(|| progress_bar(&files))
        .flatten();
    let bar = stats.progress.clone();
    let errors = read_all(&files, opts, stats, bar.as_ref());
    if let Some(bar) = stats.progress.take() {
        bar.finish_and_clear();
    }
    (files, errors)
}

/// [`gather`] with the datagrams parsed on `threads` threads
/// ([`parallel`]); the counts are those of one thread. `None` if a
/// thread of the pipeline failed.
fn gather_parallel(
    inputs: &[String],
    opts: &ReadOptions,
    mut stats: Stats,
    threads: usize,
) -> Option<(Stats, Vec<String>, Vec<InputError>)> {
    let files = crate::plan(inputs, opts);
    // A followed input has no end to show progress towards.
    stats.progress = opts
        .follow
        .is_none()
        .then(|| progress_bar(&files))
        .flatten();
    let bar = stats.progress.clone();
    let run = parallel::Options {
        threads,
        config: opts.config,
        bodies: false,
        // The media section ties streams to calls by their SDP.
        sdp_bodies: true,
        ..Default::default()
    };
    let mut pipeline = parallel::Pipeline::start(&run, || (), parallel::Replay(stats));
    let errors = read_all(&files, opts, &mut pipeline, bar.as_ref());
    let parallel::Replay(mut stats) = pipeline.finish().ok()?;
    if let Some(bar) = stats.progress.take() {
        bar.finish_and_clear();
    }
    Some((stats, files, errors))
}

/// What a stretch of traffic adds up to (a window of `watch`, or its run
/// so far), shown as `stats --json` shows a run: the counts, and the calls
/// finished in it.
pub struct Figures {
    pub summary: Summary,
    pub metrics: Metrics,
    pub sliced: Option<SlicedMetrics>,
    pub counts: CallCounts,
}

/// [`Figures`] in `stats --json`'s vocabulary.
pub fn figures_json(f: Figures, inputs: &[String]) -> Value {
    let stats = Stats {
        summary: f.summary,
        metrics: f.metrics,
        sliced: f.sliced,
        call_counts: f.counts,
        with_calls: true,
        ..Stats::default()
    };
    stats.to_json(inputs, &[])
}

pub fn run_stats(
    inputs: &[String],
    opts: &ReadOptions,
    as_json: bool,
    calls: bool,
    by: Option<SliceBy>,
    threads: usize,
) -> ExitCode {
    let mut stats = Stats {
        with_calls: calls || by.is_some(),
        by,
        calls_inline: threads > 1,
        ..Stats::default()
    };
    let (files, errors) = if threads > 1 {
        match gather_parallel(inputs, opts, stats, threads) {
            Some((s, files, errors)) => {
                stats = s;
                (files, errors)
            }
            None => {
                eprintln!("sipline stats: a thread failed; no counts (try --threads 1)");
                return ExitCode::from(crate::EXIT_USAGE);
            }
        }
    } else {
        gather(inputs, opts, &mut stats)
    };
    stats.finish_calls();
    if as_json {
        say(format_args!("{}", stats.to_json(&files, &errors)));
    } else {
        let table = stats.to_table(&files, &errors);
        say(format_args!(
            "{}",
            table.strip_suffix('\n').unwrap_or(&table)
        ));
    }
    for e in &errors {
        eprintln!("sipline stats: {e}");
    }
    ExitCode::from(if errors.is_empty() {
        0
    } else {
        crate::EXIT_USAGE
    })
}

pub fn run_check(inputs: &[String], opts: &ReadOptions) -> ExitCode {
    let mut stats = Stats {
        print_problems: true,
        ..Stats::default()
    };
    let (files, errors) = gather(inputs, opts, &mut stats);
    for e in &errors {
        say(format_args!("{e}"));
    }
    let problems = stats.summary.malformed
        + errors.len() as u64
        + Skip::ALL
            .iter()
            .filter(|k| k.is_problem())
            .map(|k| stats.summary.skipped.get(k).copied().unwrap_or(0))
            .sum::<u64>();
    say(format_args!(
        "sipline check: {} input(s), {} messages, {} problem(s)",
        files.len(),
        stats.summary.messages,
        problems
    ));
    ExitCode::from(if problems == 0 { 0 } else { 1 })
}

/// Writes one line to standard output; `false` once it cannot (a reader
/// that closed the pipe, as `| head` does): the run goes on, counting, and
/// ends with its status, without the panic `println!` would raise.
fn say(line: std::fmt::Arguments<'_>) -> bool {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}").is_ok()
}

/// Three decimals, as the JSON prints them.
/// A delay kept in milliseconds, in the unit `scale` gives (1: ms,
/// 0.001: s), rounded to the microsecond: loopback SRDs are a fraction of
/// a millisecond, and seconds to three decimals would print them as 0.
fn to_micros(ms: f64, scale: f64) -> f64 {
    let micros = (ms * 1000.0).round();
    // Divided, not multiplied: 562 / 1e6 prints as 0.000562.
    micros / (1000.0 / scale)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
