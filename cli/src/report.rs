//! `sipline report CAPTURE… -o report.html`: one self-contained HTML file
//! for a ticket. The summary `stats` prints and what could not be read,
//! the RFC 6076 figures and ASR/NER, calls by outcome over time, SRD and
//! PDD distributions, the top failing codes and peers (charts are SVG drawn
//! here), and the table of calls, sortable and filterable, each row opening
//! its ladder (drawn by the page's own small script when opened, from the
//! messages embedded as data). No network access when opened: styles and
//! the script are inline, the fonts the system's.
//!
//! Bounded whatever the capture: the table lists the first
//! [`Options::max_rows`] calls in time order (the rest are counted, and in
//! every figure and chart); ladders are kept for [`Options::max_ladders`]
//! calls, those that did not succeed first, each with its first
//! [`Options::max_ladder_messages`] messages. The page's data is written
//! as it is made, never held as one tree.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hasher};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Value};
use sipline::{Error, Message};
use sipline_calls::{
    CallCounts, CallRecord, CallTracker, Metrics, Outcome, SliceBy, SlicedMetrics,
};
use sipline_capture::{InputError, Location, ReadOptions, Sink, Skip, Summary};

use crate::flow::{Ladder, Steps};
use crate::stats::{figures_json, not_read, Figures};
use crate::watch::state::{Delays, Histogram, BUCKETS};

/// How the report is made.
pub struct Options {
    pub output: PathBuf,
    /// Users, numbers and addresses replaced by stable pseudonyms.
    pub redact: bool,
    /// Calls listed in the table (the first in time order).
    pub max_rows: usize,
    /// Calls whose ladder is kept.
    pub max_ladders: usize,
    /// Messages kept in one ladder.
    pub max_ladder_messages: usize,
}

/// Pass one: the counts, and every attempt.
struct Gather {
    summary: Summary,
    tracker: CallTracker,
    metrics: Metrics,
    peers: SlicedMetrics,
    delays: Delays,
    /// Attempts by outcome per minute of their start.
    minutes: BTreeMap<i64, [u64; Outcome::ALL.len()]>,
    rows: Vec<CallRecord>,
    max_rows: usize,
    more_rows: u64,
}

impl Gather {
    fn record(&mut self, r: CallRecord) {
        self.metrics.add(&r);
        self.peers.add(&r);
        self.delays.add(&r);
        let minute = (r.start / 60.0).floor() as i64;
        let outcome = Outcome::ALL
            .iter()
            .position(|o| *o == r.outcome)
            .unwrap_or(0);
        if let Some(n) = self.minutes.entry(minute).or_default().get_mut(outcome) {
            *n += 1;
        }
        if self.rows.len() < self.max_rows {
            self.rows.push(r);
        } else {
            self.more_rows += 1;
        }
    }
}

impl Sink for Gather {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        self.summary.message(at, msg, wire_len);
        self.tracker.message(at.time.unwrap_or(0.0), at.flow, msg);
        let done: Vec<CallRecord> = self.tracker.drain().collect();
        for r in done {
            self.record(r);
        }
    }
    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.summary.malformed(at, err);
    }
    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        self.summary.skipped(at, what);
    }
    fn skipped_many(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        self.summary.skipped_many(at, what, n);
    }
    fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        self.summary.skipped_bytes(at, what, n);
    }
    fn time(&mut self, ts: f64) {
        self.summary.time(ts);
    }
    fn bytes_read(&mut self, n: u64) {
        self.summary.bytes_read(n);
    }
}

/// Stable pseudonyms for one report: the same value, the same pseudonym;
/// nothing of the value in it (a keyed 64-bit hash, its key drawn per
/// report: two values of one report share a pseudonym with a chance near
/// n²/2⁶⁵, under 10⁻⁸ for 500 000 values).
struct Redactor {
    on: bool,
    key: foldhash::fast::RandomState,
}

impl Redactor {
    fn name(&self, kind: &str, value: &str) -> String {
        let mut h = self.key.build_hasher();
        h.write(value.as_bytes());
        format!("{kind}-{:016x}", h.finish())
    }

    /// A SIP URI with its user and host replaced.
    fn uri(&self, uri: &str) -> String {
        if !self.on {
            return uri.to_string();
        }
        let (scheme, rest) = uri.split_once(':').unwrap_or(("sip", uri));
        let (user, host) = match rest.split_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let host = host.split([';', '>']).next().unwrap_or_default();
        match user {
            Some(u) => format!(
                "{scheme}:{}@{}",
                self.name("user", u),
                self.name("host", host)
            ),
            None => format!("{scheme}:{}", self.name("host", host)),
        }
    }

    /// An `address:port` with its address replaced.
    fn addr(&self, end: &str) -> String {
        if !self.on {
            return end.to_string();
        }
        match end.rsplit_once(':') {
            Some((a, p)) if p.chars().all(|c| c.is_ascii_digit()) => {
                format!("{}:{p}", self.name("addr", a))
            }
            _ => self.name("addr", end),
        }
    }

    fn call_id(&self, id: &str) -> String {
        if self.on {
            self.name("call", id)
        } else {
            id.to_string()
        }
    }
}

/// Bars of at most this many buckets in the chart over time.
const MAX_BARS: i64 = 120;

/// The colour of each outcome (in `Outcome::ALL`'s order) in the charts,
/// the table and the page's script.
const OUTCOME_COLORS: [&str; 8] = [
    "#15803d", "#b91c1c", "#1d4ed8", "#a16207", "#6b7280", "#7f1d1d", "#0e7490", "#a21caf",
];

/// The stacked chart of outcomes over time, in buckets that fit the span.
fn outcome_chart(minutes: &BTreeMap<i64, [u64; 8]>) -> String {
    let (Some(first), Some(last)) = (minutes.keys().next(), minutes.keys().next_back()) else {
        return "<p>No call.</p>".to_string();
    };
    let span = last - first + 1;
    let bucket = [1, 5, 15, 60, 360, 1440, 10_080]
        .into_iter()
        .find(|b| span / b < MAX_BARS)
        .unwrap_or(10_080);
    let mut bars: BTreeMap<i64, [u64; 8]> = BTreeMap::new();
    for (m, counts) in minutes {
        let bar = bars.entry((m - first) / bucket).or_default();
        for (b, c) in bar.iter_mut().zip(counts) {
            *b += c;
        }
    }
    let n = (span + bucket - 1) / bucket;
    let top = bars
        .values()
        .map(|b| b.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (w, h, left) = (900.0, 200.0, 50.0);
    let bar_w = (w - left) / n.max(1) as f64;
    let mut o = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"calls by outcome over time\">",
        h + 40.0
    );
    let _ = write!(
        o,
        "<text x=\"0\" y=\"12\" font-size=\"11\">{top}</text><text x=\"0\" y=\"{h}\" font-size=\"11\">0</text>"
    );
    for (i, counts) in &bars {
        let x = left + *i as f64 * bar_w;
        let mut y = h;
        for (k, c) in counts.iter().enumerate() {
            if *c == 0 {
                continue;
            }
            let bh = *c as f64 / top as f64 * (h - 10.0);
            y -= bh;
            let _ = write!(
                o,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{}: {c}</title></rect>",
                (bar_w - 1.0).max(1.0),
                OUTCOME_COLORS.get(k).copied().unwrap_or("#000"),
                Outcome::ALL.get(k).map_or("", |o| o.name())
            );
        }
    }
    let label = |m: i64| {
        crate::calls::rfc3339((m * 60) as f64)
            .chars()
            .take(16)
            .collect::<String>()
    };
    let _ = write!(
        o,
        "<text x=\"{left}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{w}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{} (bars of {bucket} min)</text></svg>",
        h + 16.0,
        label(*first),
        h + 16.0,
        label(*last + 1)
    );
    o
}

/// A histogram of delays as bars, one per bucket.
fn delay_chart(name: &str, h: &Histogram) -> String {
    let top = h.buckets.iter().copied().max().unwrap_or(0).max(1);
    let (width, height, bar) = (600.0, 140.0, 40.0);
    let mut o = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"{name}\">",
        height + 30.0
    );
    for (i, c) in h.buckets.iter().enumerate() {
        let x = i as f64 * bar;
        let bh = *c as f64 / top as f64 * (height - 10.0);
        let bound = BUCKETS
            .get(i)
            .map_or_else(|| "more".to_string(), |b| format!("≤{b}"));
        let _ = write!(
            o,
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"{}\" height=\"{bh:.1}\" fill=\"#0e7490\"><title>{bound} s: {c}</title></rect>\
             <text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{bound}</text>",
            height - bh,
            bar - 2.0,
            x + bar / 2.0,
            height + 14.0
        );
    }
    o.push_str("</svg>");
    o
}

/// A figure of the stats JSON as the page shows it: `n/a` when undefined.
fn figure(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "n/a".to_string(), |f| format!("{f:.3}"))
}

/// `s` safe in HTML text and attributes: the SVG ladder's escaping, which
/// HTML takes as it is.
fn html(s: &str) -> String {
    crate::flow::xml(s)
}

/// The page's own script: the table (filter, sort, pages) and the ladders,
/// drawn as SVG with DOM calls (text is never parsed as markup).
const SCRIPT: &str = include_str!("report.js");

/// The page's styles.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#111}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}\
th{cursor:pointer;background:#f3f4f6}tr.call:hover{background:#eef6ff;cursor:pointer}\
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}\
.card b{display:block;font-size:1.3em}.warn{color:#b91c1c}.ok{color:#15803d}\
#ladder{margin-top:1em;overflow-x:auto}#ladder svg{font-family:monospace;font-size:12px}\
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}";

/// Runs `report` on `inputs`.
pub fn run(inputs: &[String], opts: &ReadOptions, r: &Options) -> ExitCode {
    let files = crate::plan(inputs, opts);
    let mut g = Gather {
        summary: Summary::default(),
        tracker: CallTracker::default(),
        metrics: Metrics::default(),
        peers: SlicedMetrics::new(SliceBy::Peer, 10_000),
        delays: Delays::default(),
        minutes: BTreeMap::new(),
        rows: Vec::new(),
        max_rows: r.max_rows,
        more_rows: 0,
    };
    let mut errors: Vec<InputError> = Vec::new();
    for f in &files {
        if let Err(e) = sipline_capture::read_source(f, opts, &mut g) {
            errors.push(e);
        }
    }
    let tracker = std::mem::take(&mut g.tracker);
    let counts: CallCounts = tracker.counts();
    for rec in tracker.finish() {
        g.record(rec);
    }
    g.rows.sort_by(|a, b| a.start.total_cmp(&b.start));
    // Ladders: the calls that did not succeed first, then the others.
    let mut order: Vec<usize> = (0..g.rows.len()).collect();
    order.sort_by_key(|&i| {
        (
            g.rows.get(i).map(|c| c.outcome) == Some(Outcome::Established),
            i,
        )
    });
    let laddered: Vec<usize> = order.into_iter().take(r.max_ladders).collect();
    let wanted: HashSet<Vec<u8>> = laddered
        .iter()
        .filter_map(|&i| g.rows.get(i))
        .map(|c| c.call_id.as_bytes().to_vec())
        .collect();
    let steps = Steps::gather(&files, opts, wanted, r.max_ladder_messages, false);
    let red = Redactor {
        on: r.redact,
        key: foldhash::fast::RandomState::default(),
    };
    let mut ladder_of = vec![-1i64; g.rows.len()];
    for (n, &i) in laddered.iter().enumerate() {
        if let Some(slot) = ladder_of.get_mut(i) {
            *slot = n as i64;
        }
    }
    let figures = figures_json(
        Figures {
            summary: g.summary.clone(),
            metrics: g.metrics.clone(),
            sliced: None,
            counts,
        },
        &files,
    );
    let data = Data {
        rows: &g.rows,
        ladder_of: &ladder_of,
        laddered: &laddered,
        steps: &steps,
        red: &red,
        more_rows: g.more_rows,
        by_outcome: &figures["calls"]["by_outcome"],
    };
    let written = std::fs::File::create(&r.output).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        page(&mut w, &g, &figures, &errors, &red, &data, r)?;
        w.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()
    });
    if let Err(e) = written {
        eprintln!("sipline report: cannot write {}: {e}", r.output.display());
        return ExitCode::from(crate::EXIT_USAGE);
    }
    for e in &errors {
        eprintln!("sipline report: {e}");
    }
    eprintln!(
        "sipline report: {} call(s), {} in the table, {} with a ladder, in {}",
        g.rows.len() as u64 + g.more_rows,
        g.rows.len(),
        laddered.len(),
        r.output.display()
    );
    ExitCode::from(if errors.is_empty() {
        0
    } else {
        crate::EXIT_USAGE
    })
}

/// What the page's script reads (`<script id="sipline-data">`), written
/// row by row.
struct Data<'a> {
    rows: &'a [CallRecord],
    /// Each row's ladder (an index into `laddered`), or -1.
    ladder_of: &'a [i64],
    /// The rows whose ladders are kept.
    laddered: &'a [usize],
    steps: &'a Steps,
    red: &'a Redactor,
    more_rows: u64,
    by_outcome: &'a Value,
}

/// A writer that escapes every `<` as `\u003c`: JSON safe inside a
/// `<script>` element (`<` only ever appears inside JSON strings).
struct NoLt<'w, W: std::io::Write>(&'w mut W);

impl<W: std::io::Write> std::io::Write for NoLt<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for part in buf.split_inclusive(|b| *b == b'<') {
            match part.split_last() {
                Some((b'<', head)) => {
                    self.0.write_all(head)?;
                    self.0.write_all(b"\\u003c")?;
                }
                _ => self.0.write_all(part)?,
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl Data<'_> {
    /// The data as JSON, one row and one ladder at a time.
    fn write(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut w = NoLt(w);
        let red = self.red;
        let ms = |v: Option<f64>| v.map(|v| (v * 1000.0).round() / 1000.0);
        w.write_all(b"{\"calls\":[")?;
        for (k, (c, l)) in self.rows.iter().zip(self.ladder_of).enumerate() {
            if k > 0 {
                w.write_all(b",")?;
            }
            let row = (
                c.start,
                red.call_id(&c.call_id),
                red.uri(&c.caller),
                red.uri(&c.callee),
                c.outcome.name(),
                c.final_code,
                ms(c.srd_ms),
                ms(c.pdd_ms),
                ms(c.duration_ms),
                l,
            );
            serde_json::to_writer(&mut w, &row)?;
        }
        w.write_all(b"],\"ladders\":[")?;
        for (k, &i) in self.laddered.iter().enumerate() {
            if k > 0 {
                w.write_all(b",")?;
            }
            let Some(call) = self.rows.get(i) else {
                w.write_all(b"null")?;
                continue;
            };
            let l = Ladder::of(call, self.steps.of(&call.call_id));
            let more = self.steps.more(&call.call_id);
            let outcome = if more > 0 {
                format!("{} ({more} more message(s) not drawn)", l.outcome)
            } else {
                l.outcome.clone()
            };
            let ladder = json!({
                "e": l.ends.iter().map(|(e, a)| json!([red.addr(e), a])).collect::<Vec<_>>(),
                "m": l.rows.iter().map(|m| json!([
                    (m.time * 1e6).round() / 1e6, m.from, m.to, m.label, m.class, m.retransmission
                ])).collect::<Vec<_>>(),
                "t": l.transactions.iter().map(|t| t.trim()).collect::<Vec<_>>(),
                "o": outcome,
            });
            serde_json::to_writer(&mut w, &ladder)?;
        }
        let rest = json!({
            "more_rows": self.more_rows,
            "outcomes": Outcome::ALL.iter().map(|o| o.name()).collect::<Vec<_>>(),
            "colors": OUTCOME_COLORS,
            "by_outcome": self.by_outcome,
        });
        // The rest of the object, without its opening brace.
        let rest = rest.to_string();
        w.write_all(b"],")?;
        w.write_all(rest.get(1..).unwrap_or("}").as_bytes())
    }
}

/// The HTML page, written to `w`.
fn page(
    w: &mut impl std::io::Write,
    g: &Gather,
    figures: &Value,
    errors: &[InputError],
    red: &Redactor,
    data: &Data<'_>,
    r: &Options,
) -> std::io::Result<()> {
    let t = &figures["totals"];
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    let pct = |v: &Value| {
        v.as_f64()
            .map_or("n/a".to_string(), |p| format!("{p:.1} %"))
    };
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
         <title>sipline report</title><style>{STYLE}</style></head><body>\
         <h1>sipline report</h1><p>{} input(s): {}. Made by sipline {}{}.</p>",
        t["inputs"].as_array().map_or(0, Vec::len),
        html(
            &t["inputs"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        ),
        env!("CARGO_PKG_VERSION"),
        if red.on {
            "; users, numbers and addresses replaced by pseudonyms"
        } else {
            ""
        }
    );
    let calls = &figures["calls"];
    let _ = write!(o, "<h2>Summary</h2><div class=\"cards\" id=\"summary\">");
    for (label, id, value) in [
        ("messages", "messages", n(&t["messages"]).to_string()),
        ("requests", "requests", n(&t["requests"]).to_string()),
        ("responses", "responses", n(&t["responses"]).to_string()),
        (
            "malformed",
            "malformed",
            n(&figures["malformed"]).to_string(),
        ),
        (
            "call attempts",
            "attempts",
            n(&calls["attempts"]).to_string(),
        ),
        ("SER", "ser", pct(&calls["rfc6076"]["ser"])),
        ("SEER", "seer", pct(&calls["rfc6076"]["seer"])),
        ("ISA", "isa", pct(&calls["rfc6076"]["isa"])),
        ("SCR", "scr", pct(&calls["rfc6076"]["scr"])),
        ("ASR (E.411)", "asr", pct(&calls["industry"]["asr"])),
        ("NER (E.411)", "ner", pct(&calls["industry"]["ner"])),
    ] {
        let _ = write!(
            o,
            "<div class=\"card\"><b id=\"s-{id}\">{}</b>{label}</div>",
            html(&value)
        );
    }
    o.push_str("</div><h2>Calls by outcome</h2><table id=\"outcomes\"><tr><th>outcome</th><th>attempts</th></tr>");
    for (k, out) in Outcome::ALL.iter().enumerate() {
        let _ = write!(
            o,
            "<tr><td><i style=\"display:inline-block;width:10px;height:10px;background:{}\"></i> {}</td><td class=\"count\" data-outcome=\"{}\">{}</td></tr>",
            OUTCOME_COLORS.get(k).copied().unwrap_or("#000"),
            out.name(),
            out.name(),
            n(&calls["by_outcome"][out.name()])
        );
    }
    o.push_str("</table>");
    // What could not be read, said plainly.
    o.push_str("<h2>What could not be read</h2><div id=\"not-read\">");
    let (events, bytes) = not_read(&g.summary);
    let lost: Vec<String> = events
        .iter()
        .chain(bytes.iter())
        .filter(|(_, v)| *v > 0)
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    if lost.is_empty() && errors.is_empty() && g.summary.malformed == 0 {
        o.push_str("<p class=\"ok\">Everything in the inputs was read: nothing was lost, no message was malformed.</p>");
    } else {
        if !lost.is_empty() {
            let _ = write!(
                o,
                "<p class=\"warn\">Some SIP may not have been read: {}.</p>",
                html(&lost.join(", "))
            );
        }
        if g.summary.malformed > 0 {
            let _ = write!(
                o,
                "<p class=\"warn\">{} malformed message(s) were counted, not read.</p>",
                g.summary.malformed
            );
        }
        for e in errors {
            let _ = write!(
                o,
                "<p class=\"warn\">Input error: {}</p>",
                html(&red.addr(&e.to_string()))
            );
        }
    }
    o.push_str("</div><h2>Calls by outcome over time</h2><div class=\"legend\">");
    for (k, out) in Outcome::ALL.iter().enumerate() {
        let _ = write!(
            o,
            "<span><i style=\"background:{}\"></i>{}</span>",
            OUTCOME_COLORS.get(k).copied().unwrap_or("#000"),
            out.name()
        );
    }
    o.push_str("</div>");
    o.push_str(&outcome_chart(&g.minutes));
    let _ = write!(
        o,
        "<h2>Delays</h2><p>SRD of established calls (s), RFC 6076: p50 {} p95 {}. Bars: calls by SRD bucket (s).</p>{}\
         <p>PDD (ms), ITU-T E.721: p50 {} p95 {}. Bars: calls by PDD bucket (s).</p>{}",
        figure(&calls["rfc6076"]["srd"]["success"]["p50"]),
        figure(&calls["rfc6076"]["srd"]["success"]["p95"]),
        delay_chart("SRD", &g.delays.srd_success),
        figure(&calls["industry"]["pdd"]["p50"]),
        figure(&calls["industry"]["pdd"]["p95"]),
        delay_chart("PDD", &g.delays.pdd)
    );
    // Top failing codes and peers.
    let mut codes: Vec<(u16, u64)> = g
        .metrics
        .finals
        .iter()
        .filter(|(c, _)| **c >= 300)
        .map(|(c, n)| (*c, *n))
        .collect();
    codes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    o.push_str("<h2>Top failing codes</h2><table><tr><th>final code</th><th>attempts</th></tr>");
    for (c, k) in codes.iter().take(10) {
        let _ = write!(o, "<tr><td>{c}</td><td>{k}</td></tr>");
    }
    o.push_str("</table><h2>Top failing peers</h2><table><tr><th>peer</th><th>failed</th><th>attempts</th></tr>");
    let failing = |m: &Metrics| {
        [Outcome::Failed, Outcome::TimedOut]
            .iter()
            .map(|o| m.by_outcome.get(o).copied().unwrap_or(0))
            .sum::<u64>()
    };
    let mut peers: Vec<(&String, &Metrics)> = g
        .peers
        .slices
        .iter()
        .filter(|(_, m)| failing(m) > 0)
        .collect();
    peers.sort_by(|a, b| failing(b.1).cmp(&failing(a.1)).then(a.0.cmp(b.0)));
    for (p, m) in peers.iter().take(10) {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            html(&red.addr(p)),
            failing(m),
            m.by_outcome.values().sum::<u64>()
        );
    }
    let _ = write!(
        o,
        "</table><h2>Calls</h2><p>The first {} calls in time order are listed{}; ladders are kept for {} of them \
         (those that did not succeed first). Click a row to see its ladder.</p>\
         <p><input id=\"filter\" placeholder=\"filter: Call-ID, caller, callee, code\" size=\"40\"> \
         <select id=\"outcome\"><option value=\"\">any outcome</option></select> <span id=\"shown\"></span> \
         <button id=\"prev\">previous</button> <button id=\"next\">next</button></p>\
         <table id=\"calls\"><thead><tr><th data-k=\"0\">start</th><th data-k=\"1\">Call-ID</th><th data-k=\"2\">caller</th>\
         <th data-k=\"3\">callee</th><th data-k=\"4\">outcome</th><th data-k=\"5\">final</th><th data-k=\"6\">SRD ms</th>\
         <th data-k=\"7\">PDD ms</th><th data-k=\"8\">duration ms</th></tr></thead><tbody></tbody></table>\
         <div id=\"ladder\"></div>\
         <script id=\"sipline-data\" type=\"application/json\">",
        r.max_rows,
        if g.more_rows > 0 {
            format!(" ({} more are counted in every figure above, not listed)", g.more_rows)
        } else {
            String::new()
        },
        r.max_ladders,
    );
    w.write_all(o.as_bytes())?;
    data.write(w)?;
    write!(w, "</script><script>{SCRIPT}</script></body></html>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_and_hide_the_value() {
        let red = Redactor {
            on: true,
            key: foldhash::fast::RandomState::default(),
        };
        let a = red.uri("sip:+15551234@carrier.example;user=phone");
        assert_eq!(a, red.uri("sip:+15551234@carrier.example"));
        assert!(!a.contains("5551234") && !a.contains("carrier"), "{a}");
        assert!(a.starts_with("sip:user-"), "{a}");
        let e = red.addr("192.0.2.7:5060");
        assert!(e.ends_with(":5060") && !e.contains("192.0.2.7"), "{e}");
        assert_ne!(red.call_id("a"), red.call_id("b"));
        let plain = Redactor { on: false, ..red };
        assert_eq!(plain.uri("sip:a@b"), "sip:a@b");
        assert_eq!(
            html("<a href='x'>&\""),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;"
        );
        let mut out = Vec::new();
        serde_json::to_writer(NoLt(&mut out), &json!(["</script><<", "a<b"])).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[\"\\u003c/script>\\u003c\\u003c\",\"a\\u003cb\"]"
        );
    }
}
