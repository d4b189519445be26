//! `sipline calls`: one row per call attempt, from the capture crate's call
//! engine (`sipline_capture::calls`).

use std::io::Write;
use std::process::ExitCode;

use serde_json::{json, Map, Value};
use sipline::{Error, Message};
use sipline_calls::{CallRecord, CallTracker, SliceBy, SlicedMetrics};
use sipline_capture::{read_path, Location, ReadOptions, Sink, Skip};

/// How rows are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// The columns of `--json` and `--csv`, in order.
pub const COLUMNS: [&str; 21] = [
    "call_id",
    "from_tag",
    "caller",
    "callee",
    "start",
    "outcome",
    "final_code",
    "final_reason",
    "q850_cause",
    "srd_ms",
    "pdd_ms",
    "duration_ms",
    "disconnect_ms",
    "bye_code",
    "open_at_end",
    "ended_by",
    "invites",
    "auth_challenges",
    "redirects",
    "retransmissions",
    "flow",
];

/// `seconds` since the epoch as RFC 3339 UTC with microseconds.
pub fn rfc3339(seconds: f64) -> String {
    crate::export::table::rfc3339_micros(crate::export::table::to_micros(seconds).unwrap_or(0))
}

/// A record as a JSON object with [`COLUMNS`]' keys.
pub fn record_json(r: &CallRecord) -> Map<String, Value> {
    let mut v = Map::new();
    v.insert("call_id".into(), json!(r.call_id));
    v.insert("from_tag".into(), json!(r.from_tag));
    v.insert("caller".into(), json!(r.caller));
    v.insert("callee".into(), json!(r.callee));
    v.insert("start".into(), json!(rfc3339(r.start)));
    v.insert("outcome".into(), json!(r.outcome.name()));
    v.insert("final_code".into(), json!(r.final_code));
    v.insert("final_reason".into(), json!(r.final_reason));
    v.insert("q850_cause".into(), json!(r.q850_cause));
    v.insert("srd_ms".into(), json!(r.srd_ms));
    v.insert("pdd_ms".into(), json!(r.pdd_ms));
    v.insert("duration_ms".into(), json!(r.duration_ms));
    v.insert("disconnect_ms".into(), json!(r.disconnect_ms));
    v.insert("bye_code".into(), json!(r.bye_code));
    v.insert("open_at_end".into(), json!(r.open_at_end));
    v.insert("ended_by".into(), json!(r.ended_by.map(|p| p.name())));
    v.insert("invites".into(), json!(r.invites));
    v.insert("auth_challenges".into(), json!(r.auth_challenges));
    v.insert("redirects".into(), json!(r.redirects));
    v.insert("retransmissions".into(), json!(r.retransmissions));
    v.insert("flow".into(), json!(r.flow));
    v
}

/// Feeds every message of the inputs to a [`CallTracker`] and prints each
/// attempt as it finishes.
struct Feed<'w> {
    tracker: CallTracker,
    out: Printer<'w>,
    malformed: u64,
}

struct Printer<'w> {
    format: Format,
    w: Box<dyn Write + 'w>,
    rows: u64,
    /// `--by`: every row gets its slice, and the table ends with the
    /// metrics of each.
    sliced: Option<SlicedMetrics>,
}

/// The most slices `calls --by` keeps (the rest under `(other)`).
const MAX_SLICES: usize = 10_000;

impl Printer<'_> {
    fn header(&mut self) {
        match self.format {
            Format::Table => {
                let _ = writeln!(
                    self.w,
                    "{:<27} {:<44} {:<21} {:<28} {:>8} {:>8} {:>10} ended by",
                    "start (UTC)",
                    "caller -> callee",
                    "outcome",
                    "final",
                    "SRD ms",
                    "PDD ms",
                    "duration"
                );
            }
            Format::Csv => {
                let mut cols: Vec<String> = COLUMNS.map(String::from).to_vec();
                if self.sliced.is_some() {
                    cols.push("slice".into());
                }
                self.csv_record(&cols);
            }
            Format::Json => {}
        }
    }

    /// One CSV record, quoted as RFC 4180 says (the `csv` crate).
    fn csv_record(&mut self, fields: &[String]) {
        let mut c = csv::Writer::from_writer(Vec::new());
        if c.write_record(fields).is_ok() {
            if let Ok(bytes) = c.into_inner() {
                let _ = self.w.write_all(&bytes);
            }
        }
    }

    fn row(&mut self, r: &CallRecord) {
        self.rows += 1;
        let slice = self.sliced.as_mut().map(|s| {
            s.add(r);
            s.by.key(r)
        });
        match self.format {
            Format::Json => {
                let mut obj = record_json(r);
                if let Some(k) = slice {
                    obj.insert("slice".into(), json!(k));
                }
                let _ = writeln!(self.w, "{}", Value::Object(obj));
            }
            Format::Csv => {
                let obj = record_json(r);
                let mut fields: Vec<String> = COLUMNS
                    .iter()
                    .map(|k| match obj.get(*k) {
                        Some(Value::String(s)) => s.clone(),
                        Some(Value::Null) | None => String::new(),
                        Some(v) => v.to_string(),
                    })
                    .collect();
                fields.extend(slice);
                self.csv_record(&fields);
            }
            Format::Table => {
                let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
                let fin = match (r.final_code, &r.final_reason) {
                    (Some(c), Some(t)) => format!("{c} {t}"),
                    (Some(c), None) => c.to_string(),
                    _ => "-".into(),
                };
                let dur = r.duration_ms.map_or_else(
                    || {
                        if r.open_at_end {
                            "open".into()
                        } else {
                            "-".into()
                        }
                    },
                    |d| format!("{:.1} s", d / 1000.0),
                );
                let _ = writeln!(
                    self.w,
                    "{:<27} {:<44} {:<21} {:<28} {:>8} {:>8} {:>10} {}",
                    rfc3339(r.start),
                    format!("{} -> {}", r.caller, r.callee),
                    r.outcome.name(),
                    fin,
                    ms(r.srd_ms),
                    ms(r.pdd_ms),
                    dur,
                    r.ended_by.map_or("-", |p| p.name())
                );
            }
        }
    }
}

impl Sink for Feed<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, _wire_len: usize) {
        self.tracker.message(at.time.unwrap_or(0.0), at.flow, msg);
        for r in self.tracker.drain() {
            self.out.row(&r);
        }
    }
    fn malformed(&mut self, _at: &Location<'_>, _err: &Error) {
        self.malformed += 1;
    }
    fn skipped(&mut self, _at: &Location<'_>, _what: Skip) {}
}

/// The table's closing summary of `--by`: per slice, the attempts and
/// the RFC 6076 ratios (NER is an industry metric, labelled so).
fn print_slices(w: &mut dyn Write, sliced: &SlicedMetrics) {
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    let by = match sliced.by {
        SliceBy::Caller => "caller",
        SliceBy::Callee => "callee",
        SliceBy::Peer => "peer",
    };
    let _ = writeln!(
        w,
        "By {by} (RFC 6076 §5.1; ratios in %, NER is not RFC 6076)\n{:<44} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6}",
        by, "attempts", "SER", "SEER", "ISA", "SCR", "NER"
    );
    for (k, m) in &sliced.slices {
        let _ = writeln!(
            w,
            "{:<44} {:>8} {:>6} {:>6} {:>6} {:>6} {:>6}",
            k,
            m.session_requests(),
            pct(m.ser()),
            pct(m.seer()),
            pct(m.isa()),
            pct(m.scr()),
            pct(m.ner())
        );
    }
}

pub fn run(inputs: &[String], opts: &ReadOptions, format: Format, by: Option<SliceBy>) -> ExitCode {
    let files = sipline_capture::plan_inputs(inputs);
    let stdout = std::io::stdout();
    let mut feed = Feed {
        tracker: CallTracker::default(),
        out: Printer {
            format,
            w: Box::new(std::io::BufWriter::new(stdout.lock())),
            rows: 0,
            sliced: by.map(|b| SlicedMetrics::new(b, MAX_SLICES)),
        },
        malformed: 0,
    };
    feed.out.header();
    let mut errors = Vec::new();
    for f in &files {
        if let Err(e) = read_path(f, opts, &mut feed) {
            errors.push(e);
        }
    }
    let Feed {
        tracker,
        mut out,
        malformed,
    } = feed;
    let counts = tracker.counts();
    for r in tracker.finish() {
        out.row(&r);
    }
    if format == Format::Table {
        let _ = writeln!(
            out.w,
            "{} call attempt(s); {} capture duplicate(s) dropped, {} INVITE(s) on other proxy legs, {} malformed",
            out.rows, counts.capture_duplicates, counts.other_legs, malformed
        );
        if let Some(sliced) = out.sliced.take() {
            print_slices(&mut out.w, &sliced);
        }
    }
    let _ = out.w.flush();
    for e in &errors {
        eprintln!("sipline calls: {e}");
    }
    ExitCode::from(if errors.is_empty() {
        0
    } else {
        crate::EXIT_USAGE
    })
}
