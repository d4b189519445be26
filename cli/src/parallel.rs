//! `stats --threads N`: the SIP in captures parsed on several cores, with
//! the result of the single-threaded run, exactly.
//!
//! The reading thread decodes captures (pcap blocks, link and IP layers,
//! TCP reassembly) and records what it finds, in order, into batches: each
//! datagram's payload, unparsed ([`Sink::datagram`]), and everything else
//! (messages framed from TCP, keep-alives, malformed messages, skips,
//! times, bytes read). Parser threads parse the datagrams of whole batches
//! ([`deliver_datagram`], as the reader would have). One thread puts the
//! batches back in their order and replays them into the real sink, so
//! every count, every first-seen reason phrase and every example is what a
//! single thread gives.
//!
//! One hand-off per batch, never per packet. Memory stays bounded: a fixed
//! pool of batches circulates (reader → parsers → collector → reader), so at
//! most that many are in flight, each at most [`BATCH_EVENTS`] events and
//! about [`BATCH_BYTES`] bytes of payload.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};
use sipline::{Error, Heads, Message, ParserConfig};
use sipline_capture::{deliver_datagram, FlowId, Location, Sink, Skip};

/// Events per batch.
const BATCH_EVENTS: usize = 2048;
/// Payload bytes per batch (a batch closes once past it).
const BATCH_BYTES: usize = 1 << 20;
/// Batches per parser thread in the pool.
const POOL_PER_WORKER: usize = 4;

/// A [`Location`] without the borrow: the file is an index into the
/// batch's names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loc {
    file: u32,
    frame: Option<u64>,
    offset: u64,
    flow: Option<FlowId>,
    time: Option<f64>,
}

impl Loc {
    pub(crate) fn location<'a>(&self, names: &'a [String]) -> Location<'a> {
        Location {
            file: names.get(self.file as usize).map_or("-", String::as_str),
            frame: self.frame,
            offset: self.offset,
            flow: self.flow,
            time: self.time,
        }
    }

    pub(crate) fn at(file: u32, at: &Location<'_>) -> Loc {
        Loc {
            file,
            frame: at.frame,
            offset: at.offset,
            flow: at.flow,
            time: at.time,
        }
    }
}

/// What the reading thread found, in order.
#[derive(Clone, Copy, Debug)]
enum Event {
    /// A datagram to parse: `payloads[start..end]`.
    Datagram {
        loc: Loc,
        start: usize,
        end: usize,
        sniff: bool,
    },
    /// A message: the batch's `heads[head]`.
    Message {
        loc: Loc,
        head: usize,
        wire_len: usize,
    },
    Malformed {
        loc: Loc,
        err: Error,
    },
    Skipped {
        loc: Loc,
        what: Skip,
    },
    SkippedBytes {
        loc: Loc,
        what: Skip,
        n: u64,
    },
    Time(f64),
    BytesRead(u64),
}

#[derive(Default)]
struct Batch {
    seq: u64,
    names: Arc<Vec<String>>,
    payloads: Vec<u8>,
    heads: Heads,
    events: Vec<Event>,
}

impl Batch {
    fn clear(&mut self) {
        self.payloads.clear();
        self.heads.clear();
        self.events.clear();
    }
}

/// The reading thread's sink: records, and hands full batches on.
pub struct Pipeline<S: Sink + Send + 'static> {
    names: Arc<Vec<String>>,
    batch: Batch,
    seq: u64,
    work: Option<Sender<Batch>>,
    pool: Receiver<Batch>,
    workers: Vec<JoinHandle<()>>,
    collector: JoinHandle<S>,
    /// A parser panicked (its batch went on, maybe half parsed).
    failed: Arc<AtomicBool>,
}

impl<S: Sink + Send + 'static> Pipeline<S> {
    /// `threads` parser threads (at least 1) feeding `sink`, which lives on
    /// a thread of its own until [`finish`](Self::finish) hands it back.
    pub fn start(sink: S, threads: usize, config: ParserConfig) -> Pipeline<S> {
        let threads = threads.max(1);
        let size = threads * POOL_PER_WORKER;
        let (work_tx, work_rx) = bounded::<Batch>(size);
        let (done_tx, done_rx) = bounded::<Batch>(size);
        let (pool_tx, pool_rx) = bounded::<Batch>(size);
        for _ in 1..size {
            // The pool has room for all of them: this never fails.
            let _ = pool_tx.send(Batch::default());
        }
        let failed = Arc::new(AtomicBool::new(false));
        let workers = (0..threads)
            .map(|_| {
                let (rx, tx) = (work_rx.clone(), done_tx.clone());
                let failed = Arc::clone(&failed);
                std::thread::spawn(move || {
                    for mut batch in rx {
                        // Every batch must reach the collector, which waits
                        // for each in turn: a panic is caught and reported.
                        let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            resolve(&mut batch, &config);
                        }));
                        if parsed.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        if tx.send(batch).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        drop(done_tx);
        let collector = std::thread::spawn(move || collect(sink, &done_rx, &pool_tx));
        Pipeline {
            names: Arc::new(Vec::new()),
            batch: Batch::default(),
            seq: 0,
            work: Some(work_tx),
            pool: pool_rx,
            workers,
            collector,
            failed,
        }
    }

    /// The index of `file` among the names, added when new.
    fn file(&mut self, file: &str) -> u32 {
        if let Some(i) = self.names.iter().rposition(|n| n == file) {
            return i as u32;
        }
        Arc::make_mut(&mut self.names).push(file.to_string());
        (self.names.len() - 1) as u32
    }

    fn push(&mut self, event: Event) {
        self.batch.events.push(event);
        if self.batch.events.len() >= BATCH_EVENTS || self.batch.payloads.len() >= BATCH_BYTES {
            self.flush();
        }
    }

    /// Hands the batch on, and takes an empty one from the pool (waiting
    /// while all are in flight: that is what bounds memory).
    fn flush(&mut self) {
        if self.batch.events.is_empty() {
            return;
        }
        let next = self.pool.recv().unwrap_or_default();
        let mut full = std::mem::replace(&mut self.batch, next);
        full.seq = self.seq;
        full.names = Arc::clone(&self.names);
        self.seq += 1;
        if let Some(work) = &self.work {
            // Parsers gone means one panicked: `finish` reports it.
            let _ = work.send(full);
        }
    }

    /// The end of the input: everything parsed and replayed; the sink back
    /// (`None` if a thread of the pipeline panicked).
    pub fn finish(mut self) -> Option<S> {
        self.flush();
        self.work = None;
        let mut ok = true;
        for w in self.workers.drain(..) {
            ok &= w.join().is_ok();
        }
        let sink = self.collector.join().ok()?;
        (ok && !self.failed.load(Ordering::Relaxed)).then_some(sink)
    }
}

impl<S: Sink + Send + 'static> Sink for Pipeline<S> {
    fn datagram(&mut self, at: &Location<'_>, payload: &[u8], sniff: bool) -> bool {
        let loc = Loc::at(self.file(at.file), at);
        let start = self.batch.payloads.len();
        self.batch.payloads.extend_from_slice(payload);
        self.push(Event::Datagram {
            loc,
            start,
            end: start + payload.len(),
            sniff,
        });
        true
    }

    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        let loc = Loc::at(self.file(at.file), at);
        self.batch.heads.push(&msg.head);
        let head = self.batch.heads.len() - 1;
        self.push(Event::Message {
            loc,
            head,
            wire_len,
        });
    }

    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        let loc = Loc::at(self.file(at.file), at);
        self.push(Event::Malformed { loc, err: *err });
    }

    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        let loc = Loc::at(self.file(at.file), at);
        self.push(Event::Skipped { loc, what });
    }

    fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        let loc = Loc::at(self.file(at.file), at);
        self.push(Event::SkippedBytes { loc, what, n });
    }

    fn time(&mut self, ts: f64) {
        self.push(Event::Time(ts));
    }

    fn bytes_read(&mut self, n: u64) {
        self.push(Event::BytesRead(n));
    }
}

/// A parser thread's work: every datagram of the batch parsed, and turned
/// into what the reader would have reported for it.
fn resolve(batch: &mut Batch, config: &ParserConfig) {
    let Batch {
        names,
        payloads,
        heads,
        events,
        ..
    } = batch;
    let mut out = Vec::with_capacity(events.len());
    for event in events.drain(..) {
        let Event::Datagram {
            loc,
            start,
            end,
            sniff,
        } = event
        else {
            out.push(event);
            continue;
        };
        let Some(payload) = payloads.get(start..end) else {
            continue;
        };
        let mut at = loc.location(names);
        let mut record = Record {
            file: loc.file,
            heads,
            out: &mut out,
        };
        deliver_datagram(&mut at, payload, sniff, config, &mut record);
    }
    *events = out;
}

/// What [`deliver_datagram`] reports, recorded as events.
struct Record<'b> {
    file: u32,
    heads: &'b mut Heads,
    out: &'b mut Vec<Event>,
}

impl Sink for Record<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        self.heads.push(&msg.head);
        self.out.push(Event::Message {
            loc: Loc::at(self.file, at),
            head: self.heads.len() - 1,
            wire_len,
        });
    }
    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.out.push(Event::Malformed {
            loc: Loc::at(self.file, at),
            err: *err,
        });
    }
    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        self.out.push(Event::Skipped {
            loc: Loc::at(self.file, at),
            what,
        });
    }
}

/// The collector: batches back in order, replayed into `sink`; emptied
/// batches back to the pool.
fn collect<S: Sink>(mut sink: S, done: &Receiver<Batch>, pool: &Sender<Batch>) -> S {
    let mut waiting: BTreeMap<u64, Batch> = BTreeMap::new();
    let mut next = 0;
    for batch in done {
        waiting.insert(batch.seq, batch);
        while let Some(mut batch) = waiting.remove(&next) {
            replay(&batch, &mut sink);
            batch.clear();
            let _ = pool.try_send(batch);
            next += 1;
        }
    }
    sink
}

fn replay(batch: &Batch, sink: &mut dyn Sink) {
    let names = batch.names.as_slice();
    for event in &batch.events {
        match *event {
            Event::Message {
                loc,
                head,
                wire_len,
            } => {
                if let Some(head) = batch.heads.get(head) {
                    let msg = Message { head, body: &[] };
                    sink.message(&loc.location(names), &msg, wire_len);
                }
            }
            Event::Malformed { loc, err } => sink.malformed(&loc.location(names), &err),
            Event::Skipped { loc, what } => sink.skipped(&loc.location(names), what),
            Event::SkippedBytes { loc, what, n } => {
                sink.skipped_bytes(&loc.location(names), what, n);
            }
            Event::Time(ts) => sink.time(ts),
            Event::BytesRead(n) => sink.bytes_read(n),
            // Parsed by now; a datagram left means a parser skipped it.
            Event::Datagram { .. } => {}
        }
    }
}
