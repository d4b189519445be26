//! `export` on the capture crate's parallel run
//! ([`sipline_capture::parallel`]). Message rows: its workers parse the
//! datagrams and this [`RowStage`] makes the rows of whole batches; the
//! run's consumer thread ([`Writer`]) takes the row batches in order, marks
//! retransmissions (which needs that order), joins them into row groups and
//! writes them. Call rows: the consumer ([`CallWriter`]) feeds one call
//! engine in order and writes the rows of the attempts it finishes. Stream
//! rows: the consumer ([`StreamWriter`]) follows the RTP streams of the
//! datagrams that are not SIP and writes one row per stream at the end.

use std::io;

use sipline::{Error, Message};
use sipline_calls::{CallRecord, CallTracker, Retransmissions};
use sipline_capture::parallel::{Batch as Events, Consumer, Stage};
use sipline_capture::{Location, Sink, Skip};

use crate::media::MediaSeen;
use crate::rows::call::CallRow;
use crate::rows::message::{RowMaker, RETRANSMISSION_COL};
use crate::rows::stream::StreamRow;
use crate::rows::table::{Batch, Field, BATCH_TEXT_BYTES};
use crate::rows::write::{Output, Written};

/// A batch's rows, and per row its transaction key and time.
pub struct Rows {
    rows: Batch,
    keys: Vec<(Option<u64>, f64)>,
}

/// A worker's row maker.
pub struct RowStage {
    pub fields: &'static [Field],
    pub maker: RowMaker,
}

impl Stage for RowStage {
    type Out = Rows;

    /// The rows of a batch's messages and malformed messages, in order.
    fn work(&mut self, batch: &mut Events) -> Rows {
        let mut sink = RowSink {
            maker: &mut self.maker,
            rows: Rows {
                rows: Batch::new(self.fields, batch.events.len()),
                keys: Vec::with_capacity(batch.events.len()),
            },
        };
        // Datagrams parsed as they come: their messages go straight to rows.
        batch.replay(&mut sink);
        sink.rows
    }
}

/// A batch replayed into rows: one per message or malformed message, with
/// its transaction key and time.
struct RowSink<'m> {
    maker: &'m mut RowMaker,
    rows: Rows,
}

impl Sink for RowSink<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        let key = self.maker.message(&mut self.rows.rows, at, msg, wire_len);
        self.rows.keys.push((key, at.time.unwrap_or(0.0)));
    }
    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.malformed_bytes(at, err, &[]);
    }
    fn malformed_bytes(&mut self, at: &Location<'_>, err: &Error, bytes: &[u8]) {
        self.maker.malformed(&mut self.rows.rows, at, err, bytes);
        self.rows.keys.push((None, 0.0));
    }
    fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
}

/// The consumer: row batches in order, retransmissions marked, joined into
/// row groups of `batch_rows` and written.
pub struct Writer {
    pub output: Box<dyn Output>,
    pub fields: &'static [Field],
    pub batch_rows: usize,
    pub retrans: Retransmissions,
    pub group: Batch,
    pub error: Option<io::Error>,
    /// `--rotate`: a part per window of this many seconds of capture time.
    pub rotate: Option<f64>,
    /// The window of the part being written (its index from the epoch).
    pub window: Option<i64>,
}

impl Writer {
    /// Writes every row held, full group or not.
    fn flush(&mut self) -> io::Result<()> {
        if self.group.rows > 0 {
            let group = std::mem::replace(&mut self.group, Batch::new(self.fields, 0));
            self.output.write(group)?;
        }
        Ok(())
    }

    /// The part of window `w` is complete: written, closed and named.
    fn rotate(&mut self, w: i64, seconds: f64) -> io::Result<()> {
        self.flush()?;
        let start = w as f64 * seconds;
        self.output.rotate((start, start + seconds))
    }

    /// Rows in time order go to the part of their window; a row of a later
    /// window closes the part before it (a row of an earlier window, out
    /// of order, stays in the part being written).
    fn place(&mut self, mut rows: Batch, times: &[f64]) -> io::Result<()> {
        let Some(seconds) = self.rotate else {
            self.group.append(rows);
            return Ok(());
        };
        let mut first = 0;
        for (i, &t) in times.iter().enumerate() {
            if t <= 0.0 {
                continue;
            }
            let w = (t / seconds).floor() as i64;
            match self.window {
                Some(cur) if w > cur => {
                    let rest = rows.split_off(i - first);
                    self.group.append(std::mem::replace(&mut rows, rest));
                    self.rotate(cur, seconds)?;
                    first = i;
                    self.window = Some(w);
                }
                None => self.window = Some(w),
                _ => {}
            }
        }
        self.group.append(rows);
        Ok(())
    }

    fn add(&mut self, rows: Option<Rows>) -> io::Result<()> {
        let Some(Rows { mut rows, keys }) = rows else {
            return Err(io::Error::other("a row thread failed on a batch"));
        };
        if keys.len() != rows.rows {
            return Err(io::Error::other("a row thread failed on a batch"));
        }
        let mut times = Vec::with_capacity(keys.len());
        for (i, (key, time)) in keys.into_iter().enumerate() {
            if key.is_some_and(|k| self.retrans.check(k, time)) {
                rows.set_bool(RETRANSMISSION_COL, i, true);
            }
            times.push(time);
        }
        self.place(rows, &times)?;
        // Row groups end where the one-thread export ends them, so the
        // files are the same.
        while let Some(n) = self.group.cut(self.batch_rows, BATCH_TEXT_BYTES) {
            let rest = self.group.split_off(n);
            self.output
                .write(std::mem::replace(&mut self.group, rest))?;
        }
        Ok(())
    }
}

impl Consumer for Writer {
    type Out = Rows;
    type Done = io::Result<Written>;

    fn take(&mut self, _: &Events, rows: Option<Rows>) -> bool {
        match self.add(rows) {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    fn finish(mut self) -> io::Result<Written> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match (self.rotate, self.window) {
            (Some(seconds), Some(w)) => self.rotate(w, seconds)?,
            _ => self.flush()?,
        }
        self.output.finish()
    }
}

/// The consumer of `export --what calls`: one call engine fed every batch
/// in order, its finished attempts made into rows, written in row groups
/// of `batch_rows`.
pub struct CallWriter {
    output: Box<dyn Output>,
    fields: &'static [Field],
    batch_rows: usize,
    calls: CallTracker,
    /// The calls' media, tied by their SDP.
    media: MediaSeen,
    group: Batch,
    error: Option<io::Error>,
}

impl CallWriter {
    pub fn new(output: Box<dyn Output>, fields: &'static [Field], batch_rows: usize) -> Self {
        CallWriter {
            output,
            fields,
            batch_rows,
            calls: CallTracker::default(),
            media: MediaSeen::default(),
            group: Batch::new(fields, batch_rows),
            error: None,
        }
    }

    /// Rows for `records`; full row groups written.
    fn rows(&mut self, records: impl IntoIterator<Item = CallRecord>) -> io::Result<()> {
        for r in records {
            let m = self.media.call(&r.call_id, &r.from_tag);
            CallRow::of(&r, &m).put(&mut self.group);
            if self.group.rows >= self.batch_rows || self.group.text_bytes >= BATCH_TEXT_BYTES {
                let full =
                    std::mem::replace(&mut self.group, Batch::new(self.fields, self.batch_rows));
                self.output.write(full)?;
            }
        }
        Ok(())
    }
}

/// A batch replayed into the call engine and the media.
struct Follow<'c>(&'c mut CallTracker, &'c mut MediaSeen);

impl Sink for Follow<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, _: usize) {
        self.0.message(at.time.unwrap_or(0.0), at.flow, msg);
        self.1.message(at, msg);
    }
    fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
    fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
    fn media(&mut self, at: &Location<'_>, payload: &[u8]) {
        self.1.datagram(at, payload);
    }
}

impl Consumer for CallWriter {
    type Out = ();
    type Done = io::Result<Written>;

    fn take(&mut self, batch: &Events, out: Option<()>) -> bool {
        if out.is_none() {
            self.error = Some(io::Error::other("a thread failed on a batch"));
            return false;
        }
        batch.replay(&mut Follow(&mut self.calls, &mut self.media));
        let done: Vec<CallRecord> = self.calls.drain().collect();
        match self.rows(done) {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    fn finish(mut self) -> io::Result<Written> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let rest = std::mem::take(&mut self.calls).finish();
        self.rows(rest)?;
        if self.group.rows > 0 {
            let group = std::mem::replace(&mut self.group, Batch::new(self.fields, 0));
            self.output.write(group)?;
        }
        self.output.finish()
    }
}

/// `export --what streams`: the RTP streams of the whole input, one row
/// each, written at the end (a stream is not done until the input is).
pub struct StreamWriter {
    output: Box<dyn Output>,
    fields: &'static [Field],
    media: MediaSeen,
    error: Option<io::Error>,
}

impl StreamWriter {
    pub fn new(output: Box<dyn Output>, fields: &'static [Field]) -> Self {
        StreamWriter {
            output,
            fields,
            media: MediaSeen::default(),
            error: None,
        }
    }
}

/// A batch replayed into the media streams.
struct Streams<'m>(&'m mut MediaSeen);

impl Sink for Streams<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, _: usize) {
        self.0.message(at, msg);
    }
    fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
    fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
    fn media(&mut self, at: &Location<'_>, payload: &[u8]) {
        self.0.datagram(at, payload);
    }
}

impl Consumer for StreamWriter {
    type Out = ();
    type Done = io::Result<Written>;

    fn take(&mut self, batch: &Events, out: Option<()>) -> bool {
        if out.is_none() {
            self.error = Some(io::Error::other("a thread failed on a batch"));
            return false;
        }
        batch.replay(&mut Streams(&mut self.media));
        true
    }

    fn finish(mut self) -> io::Result<Written> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let reported = self.media.reported();
        let mut group = Batch::new(self.fields, reported.len());
        for r in &reported {
            let addrs = (r.key.src.to_string(), r.key.dst.to_string());
            StreamRow::of(r.key, r.stats, &addrs, (r.codec, r.rating), r.tie).put(&mut group);
        }
        if group.rows > 0 {
            self.output.write(group)?;
        }
        self.output.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::message::message_fields;
    use crate::rows::write::JsonOut;

    /// An output whose disk is full.
    struct Full;

    impl Output for Full {
        fn write(&mut self, _: Batch) -> io::Result<()> {
            Err(io::Error::other("disk full"))
        }
        fn finish(self: Box<Self>) -> io::Result<Written> {
            Err(io::Error::other("disk full"))
        }
    }

    fn writer(output: Box<dyn Output>) -> Writer {
        let fields = message_fields(false);
        Writer {
            output,
            fields,
            batch_rows: 1,
            retrans: Retransmissions::new(16, 32.0),
            group: Batch::new(fields, 1),
            error: None,
            rotate: None,
            window: None,
        }
    }

    /// An output that notes what it is asked to do.
    #[derive(Default)]
    struct Noted(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl Output for Noted {
        fn write(&mut self, b: Batch) -> io::Result<()> {
            self.0.lock().unwrap().push(format!("write {}", b.rows));
            Ok(())
        }
        fn finish(self: Box<Self>) -> io::Result<Written> {
            self.0.lock().unwrap().push("finish".into());
            Ok(Written::default())
        }
        fn rotate(&mut self, (start, end): (f64, f64)) -> io::Result<()> {
            self.0.lock().unwrap().push(format!("rotate {start}-{end}"));
            Ok(())
        }
    }

    #[test]
    fn rotated_rows_go_to_the_part_of_their_window() {
        let noted = Noted::default();
        let log = std::sync::Arc::clone(&noted.0);
        let mut w = writer(Box::new(noted));
        w.batch_rows = 100;
        w.rotate = Some(10.0);
        let mut rows = Batch::new(w.fields, 6);
        for _ in 0..6 {
            rows.append(one_row());
        }
        // Two rows of window 0, one without a time, one late (window 0
        // again, out of order), then windows 2 and 2.
        let times = [1.0, 9.5, 0.0, 25.0, 3.0, 29.0];
        w.place(rows, &times).unwrap();
        assert_eq!(*log.lock().unwrap(), ["write 3", "rotate 0-10"]);
        w.finish().unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "write 3",
                "rotate 0-10",
                "write 3",
                "rotate 20-30",
                "finish"
            ]
        );
    }

    /// One row (a malformed message's: nothing else to parse).
    fn one_row() -> Batch {
        let mut rows = Batch::new(message_fields(false), 1);
        let at = Location {
            file: "f",
            frame: None,
            offset: 0,
            flow: None,
            time: Some(1.0),
        };
        let err = sipline::parse_head(b"SIP/2.0 2000 OK\r\n\r\n", &Default::default()).unwrap_err();
        RowMaker::new(false, Default::default()).malformed(&mut rows, &at, &err, b"");
        rows
    }

    #[test]
    fn a_failed_row_thread_or_output_ends_the_export_with_its_error() {
        let events = Events::default();
        // A row thread that failed on a batch.
        let mut w = writer(Box::new(Full));
        assert!(!w.take(&events, None));
        assert!(w
            .finish()
            .unwrap_err()
            .to_string()
            .contains("row thread failed"));
        // Rows without their keys.
        let mut w = writer(Box::new(Full));
        let rows = Rows {
            rows: one_row(),
            keys: Vec::new(),
        };
        assert!(!w.take(&events, Some(rows)));
        // A full disk.
        let mut w = writer(Box::new(Full));
        let rows = Rows {
            rows: one_row(),
            keys: vec![(None, 1.0)],
        };
        assert!(!w.take(&events, Some(rows)));
        assert_eq!(w.finish().unwrap_err().to_string(), "disk full");
        // The same rows to a good output: written, the key marking nothing.
        let mut w = writer(Box::new(JsonOut::new(Vec::new(), None)));
        for _ in 0..2 {
            let rows = Rows {
                rows: one_row(),
                keys: vec![(Some(7), 1.0)],
            };
            assert!(w.take(&events, Some(rows)));
        }
        assert_eq!(w.finish().unwrap().rows, 2);
    }

    #[test]
    fn the_call_writer_stops_on_a_failed_thread_and_ends_cleanly_on_none() {
        let events = Events::default();
        let mut w = CallWriter::new(Box::new(Full), CallRow::FIELDS, 1);
        assert!(!w.take(&events, None));
        assert!(w.finish().is_err());
        let mut w = CallWriter::new(Box::new(JsonOut::new(Vec::new(), None)), CallRow::FIELDS, 1);
        assert!(w.take(&events, Some(())));
        assert_eq!(w.finish().unwrap().rows, 0);
    }
}
