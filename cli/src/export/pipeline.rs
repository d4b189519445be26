//! `export --threads N` for message rows: the reading thread decodes
//! captures and frames TCP, and records each datagram's payload unparsed
//! ([`Sink::datagram`]), each framed message (its head and body) and each
//! malformed one, in order, into batches. Row threads parse the datagrams
//! and build the rows of whole batches. The writing thread puts the row
//! batches back in order, marks retransmissions (which needs that order),
//! joins them into row groups and writes them.
//!
//! One hand-off per batch, never per packet; a fixed pool of batches bounds
//! memory, as in `stats --threads` (crate::parallel).

use std::io;
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};
use sipline::{Error, Message, ParserConfig};
use sipline_capture::{deliver_datagram, Location, Sink, Skip};

use super::table::{Batch, Field, Output, Written};
use super::{Retransmissions, RowMaker, RETRANSMISSION_COL};
use crate::parallel::{Feed, InOrder, Loc};

/// Batches per row thread in the pool.
const POOL_PER_WORKER: usize = 4;

/// What the reading thread found, in order.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A datagram to parse: `bytes[start..end]`.
    Datagram {
        loc: Loc,
        start: usize,
        end: usize,
        sniff: bool,
    },
    /// A message framed from a stream: `heads[head]` and `bytes[start..end]`.
    Framed {
        loc: Loc,
        head: usize,
        start: usize,
        end: usize,
        wire_len: usize,
    },
    Malformed {
        loc: Loc,
        err: Error,
    },
}

/// What the reading thread hands the row threads.
type Work = crate::parallel::Batch<Event>;

/// A batch's rows, and per row its transaction key and time.
struct Done {
    seq: u64,
    rows: Batch,
    keys: Vec<(Option<u64>, f64)>,
    work: Work,
}

/// The reading thread's sink.
pub struct Pipeline {
    feed: Feed<Work>,
    workers: Vec<JoinHandle<()>>,
    writer: JoinHandle<io::Result<Written>>,
}

impl Pipeline {
    /// `threads` row threads (at least 1) and a writing thread that owns
    /// `output`.
    pub fn start(
        threads: usize,
        config: ParserConfig,
        fields: &'static [Field],
        payload: bool,
        output: Box<dyn Output>,
        batch_rows: usize,
        retrans: Retransmissions,
    ) -> Pipeline {
        let threads = threads.max(1);
        let size = threads * POOL_PER_WORKER;
        let (feed, work_rx, pool_tx) = Feed::<Work>::new(size);
        let (done_tx, done_rx) = bounded::<Done>(size);
        let workers = (0..threads)
            .map(|_| {
                let (rx, tx) = (work_rx.clone(), done_tx.clone());
                std::thread::spawn(move || {
                    let mut maker = RowMaker {
                        payload,
                        ..RowMaker::default()
                    };
                    for work in rx {
                        let seq = work.seq;
                        let mut rows = Batch::new(fields, work.events.len());
                        let mut keys = Vec::with_capacity(work.events.len());
                        // Every batch must reach the writer, which waits for
                        // each in turn: a panic leaves its rows out and is
                        // reported there.
                        let built = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            build(&work, &config, &mut maker, &mut rows, &mut keys);
                        }));
                        if built.is_err() {
                            rows = Batch::new(fields, 0);
                            keys.clear();
                            keys.push((None, f64::NAN));
                        }
                        if tx
                            .send(Done {
                                seq,
                                rows,
                                keys,
                                work,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                })
            })
            .collect();
        drop(done_tx);
        let writer = std::thread::spawn(move || {
            write(output, fields, batch_rows, retrans, &done_rx, &pool_tx)
        });
        Pipeline {
            feed,
            workers,
            writer,
        }
    }

    fn file(&mut self, file: &str) -> u32 {
        self.feed.file(file)
    }

    fn push(&mut self, event: Event) {
        self.feed.batch.events.push(event);
        self.feed.recorded();
    }

    /// `true` once the writer has stopped (its output failed).
    pub fn stopped(&self) -> bool {
        self.writer.is_finished()
    }

    /// The end of the input: every row written; what the output wrote.
    pub fn finish(mut self) -> io::Result<Written> {
        self.feed.close();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writing thread failed")))
    }
}

impl Sink for Pipeline {
    fn datagram(&mut self, at: &Location<'_>, payload: &[u8], sniff: bool) -> bool {
        let loc = Loc::at(self.file(at.file), at);
        let (start, end) = self.feed.batch.keep(payload);
        self.push(Event::Datagram {
            loc,
            start,
            end,
            sniff,
        });
        true
    }

    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        let loc = Loc::at(self.file(at.file), at);
        self.feed.batch.heads.push(&msg.head);
        let head = self.feed.batch.heads.len() - 1;
        let (start, end) = self.feed.batch.keep(msg.body);
        self.push(Event::Framed {
            loc,
            head,
            start,
            end,
            wire_len,
        });
    }

    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        let loc = Loc::at(self.file(at.file), at);
        self.push(Event::Malformed { loc, err: *err });
    }

    fn skipped(&mut self, _at: &Location<'_>, _what: Skip) {}
}

/// A row thread's work: the rows of a batch's events, in order.
fn build(
    work: &Work,
    config: &ParserConfig,
    maker: &mut RowMaker,
    rows: &mut Batch,
    keys: &mut Vec<(Option<u64>, f64)>,
) {
    let names = work.names.as_slice();
    for event in &work.events {
        match *event {
            Event::Datagram {
                loc,
                start,
                end,
                sniff,
            } => {
                let Some(payload) = work.payloads.get(start..end) else {
                    continue;
                };
                let mut at = loc.location(names);
                let mut sink = Rows { maker, rows, keys };
                deliver_datagram(&mut at, payload, sniff, config, &mut sink);
            }
            Event::Framed {
                loc,
                head,
                start,
                end,
                wire_len,
            } => {
                let (Some(head), Some(body)) =
                    (work.heads.get(head), work.payloads.get(start..end))
                else {
                    continue;
                };
                let at = loc.location(names);
                let key = maker.message(rows, &at, &Message { head, body }, wire_len);
                keys.push((key, at.time.unwrap_or(0.0)));
            }
            Event::Malformed { loc, err } => {
                maker.malformed(rows, &loc.location(names), &err);
                keys.push((None, 0.0));
            }
        }
    }
}

/// What [`deliver_datagram`] reports, made into rows.
struct Rows<'b> {
    maker: &'b mut RowMaker,
    rows: &'b mut Batch,
    keys: &'b mut Vec<(Option<u64>, f64)>,
}

impl Sink for Rows<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        let key = self.maker.message(self.rows, at, msg, wire_len);
        self.keys.push((key, at.time.unwrap_or(0.0)));
    }
    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.maker.malformed(self.rows, at, err);
        self.keys.push((None, 0.0));
    }
    fn skipped(&mut self, _at: &Location<'_>, _what: Skip) {}
}

/// The writing thread: row batches back in order, retransmissions marked,
/// joined into row groups of `batch_rows` and written; emptied work
/// batches back to the pool.
fn write(
    mut output: Box<dyn Output>,
    fields: &'static [Field],
    batch_rows: usize,
    mut retrans: Retransmissions,
    done: &Receiver<Done>,
    pool: &Sender<Work>,
) -> io::Result<Written> {
    let mut order = InOrder::default();
    let mut group = Batch::new(fields, batch_rows);
    for d in done {
        order.add(d.seq, d);
        while let Some(d) = order.next_ready() {
            let Done {
                mut rows,
                keys,
                mut work,
                ..
            } = d;
            if keys.len() != rows.rows {
                return Err(io::Error::other("a row thread failed on a batch"));
            }
            for (i, (key, time)) in keys.into_iter().enumerate() {
                if key.is_some_and(|k| retrans.check(k, time)) {
                    rows.set_bool(RETRANSMISSION_COL, i, true);
                }
            }
            group.append(rows);
            // Row groups end where the one-thread export ends them, so the
            // files are the same.
            while let Some(n) = group.cut(batch_rows, super::BATCH_TEXT_BYTES) {
                let rest = group.split_off(n);
                output.write(std::mem::replace(&mut group, rest))?;
            }
            work.clear();
            let _ = pool.try_send(work);
        }
    }
    if group.rows > 0 {
        output.write(group)?;
    }
    output.finish()
}
