//! `sipline calls`: one row per call attempt, from the call engine
//! (`sipline_calls`): the call record ([`CallRow`]) written as JSON lines
//! or CSV by the row writers, or as a table by the printer here.

use std::io::Write;
use std::process::ExitCode;

use sipline::{Error, Message};
use sipline_calls::{CallRecord, CallTracker, SliceBy, SlicedMetrics};
use sipline_capture::{Location, ReadOptions, Sink, Skip};

use crate::media::MediaSeen;
use crate::rows::call::{CallRow, SLICED_CALL_FIELDS};
use crate::rows::table::{rfc3339_micros, to_micros, Batch};
use crate::rows::write::{CsvOut, JsonOut, Output};

/// How rows are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// `seconds` since the epoch as RFC 3339 UTC with microseconds.
pub fn rfc3339(seconds: f64) -> String {
    rfc3339_micros(to_micros(seconds).unwrap_or(0))
}

/// Feeds every message of the inputs to a [`CallTracker`] and prints each
/// attempt as it finishes.
struct Feed<'w> {
    tracker: CallTracker,
    /// The calls' media, tied by their SDP.
    media: MediaSeen,
    out: Printer<'w>,
    malformed: u64,
}

struct Printer<'w> {
    format: Format,
    w: Box<dyn Write + 'w>,
    /// `--json` and `--csv`: the row writer, and a batch of one row.
    out: Option<(Box<dyn Output + 'w>, Batch)>,
    rows: u64,
    /// `--by`: every row gets its slice, and the table ends with the
    /// metrics of each.
    sliced: Option<SlicedMetrics>,
}

/// The most slices `calls --by` keeps (the rest under `(other)`).
const MAX_SLICES: usize = 10_000;

/// Rows per batch handed to the row writer.
const BATCH_ROWS: usize = 1024;

impl Printer<'_> {
    /// The table's header line.
    fn header(&mut self) {
        if self.format == Format::Table {
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
    }

    /// Ends the JSON lines or CSV: the last rows, the CSV header when no
    /// row came.
    fn finish(&mut self) -> std::io::Result<()> {
        if let Some((mut out, batch)) = self.out.take() {
            if batch.rows > 0 {
                out.write(batch)?;
            }
            out.finish()?;
        }
        Ok(())
    }

    fn row(&mut self, r: &CallRecord, media: &MediaSeen) {
        self.rows += 1;
        let slice = self.sliced.as_mut().map(|s| {
            s.add(r);
            s.by.key(r)
        });
        if let Some((out, batch)) = &mut self.out {
            let m = media.call(&r.call_id, &r.from_tag);
            let row = CallRow::of(r, &m).cells(batch.row());
            match &slice {
                Some(k) => row.str(Some(k)).end(),
                None => row.end(),
            }
            if batch.rows >= BATCH_ROWS {
                let full = std::mem::replace(batch, Batch::new(batch.fields, BATCH_ROWS));
                if out.write(full).is_err() {
                    // Standard output is gone (`| head`): write no more.
                    self.out = None;
                }
            }
            return;
        }
        match self.format {
            Format::Json | Format::Csv => {}
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
        self.media.message(at, msg);
        for r in self.tracker.drain() {
            self.out.row(&r, &self.media);
        }
    }
    fn media(&mut self, at: &Location<'_>, payload: &[u8]) {
        self.media.datagram(at, payload);
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

/// The row writer of `--json` and `--csv` (none for the table).
fn row_writer(format: Format, sliced: bool) -> Option<(Box<dyn Output>, Batch)> {
    let fields = if sliced {
        &SLICED_CALL_FIELDS
    } else {
        CallRow::FIELDS
    };
    let w = std::io::BufWriter::new(std::io::stdout());
    let out: Box<dyn Output> = match format {
        Format::Table => return None,
        Format::Json => Box::new(JsonOut::new(w, None)),
        Format::Csv => Box::new(CsvOut::new(w, fields, None)),
    };
    Some((out, Batch::new(fields, BATCH_ROWS)))
}

pub fn run(inputs: &[String], opts: &ReadOptions, format: Format, by: Option<SliceBy>) -> ExitCode {
    let files = crate::plan(inputs, opts);
    let stdout = std::io::stdout();
    let mut feed = Feed {
        tracker: CallTracker::default(),
        media: MediaSeen::default(),
        out: Printer {
            format,
            w: Box::new(std::io::BufWriter::new(stdout.lock())),
            out: row_writer(format, by.is_some()),
            rows: 0,
            sliced: by.map(|b| SlicedMetrics::new(b, MAX_SLICES)),
        },
        malformed: 0,
    };
    feed.out.header();
    let mut errors = Vec::new();
    for f in &files {
        if let Err(e) = sipline_capture::read_source(f, opts, &mut feed) {
            errors.push(e);
        }
    }
    let Feed {
        tracker,
        media,
        mut out,
        malformed,
    } = feed;
    let counts = tracker.counts();
    for r in tracker.finish() {
        out.row(&r, &media);
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
    let _ = out.finish();
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
