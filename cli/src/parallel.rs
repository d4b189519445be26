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

/// A batch that moves between the threads of a pipeline: numbered in the
/// order it was filled, with the input names its locations index.
pub(crate) trait Ordered: Default + Send + 'static {
    /// Gives the batch its number and the names.
    fn stamp(&mut self, seq: u64, names: &Arc<Vec<String>>);
    /// Nothing is recorded in it.
    fn is_empty(&self) -> bool;
    /// It is full: hand it on.
    fn is_full(&self) -> bool;
}

/// The reading thread's end of a pipeline: the input names, the batch being
/// filled, and a fixed pool of empty batches. One hand-off per batch; a
/// full batch waits for an empty one from the pool, which bounds memory.
pub(crate) struct Feed<B> {
    names: Arc<Vec<String>>,
    /// The batch being filled.
    pub(crate) batch: B,
    seq: u64,
    work: Option<Sender<B>>,
    pool: Receiver<B>,
}

impl<B: Ordered> Feed<B> {
    /// A feed of `size` circulating batches: it sends full ones on the
    /// returned receiver's channel, and takes empty ones back from the
    /// returned sender's.
    pub(crate) fn new(size: usize) -> (Feed<B>, Receiver<B>, Sender<B>) {
        let size = size.max(1);
        let (work_tx, work_rx) = bounded::<B>(size);
        let (pool_tx, pool_rx) = bounded::<B>(size);
        for _ in 1..size {
            // The pool has room for all of them: this never fails.
            let _ = pool_tx.send(B::default());
        }
        let feed = Feed {
            names: Arc::new(Vec::new()),
            batch: B::default(),
            seq: 0,
            work: Some(work_tx),
            pool: pool_rx,
        };
        (feed, work_rx, pool_tx)
    }

    /// The index of `file` among the names, added when new.
    pub(crate) fn file(&mut self, file: &str) -> u32 {
        if let Some(i) = self.names.iter().rposition(|n| n == file) {
            return i as u32;
        }
        Arc::make_mut(&mut self.names).push(file.to_string());
        (self.names.len() - 1) as u32
    }

    /// After something was recorded: hands the batch on when it is full.
    pub(crate) fn recorded(&mut self) {
        if self.batch.is_full() {
            self.flush();
        }
    }

    /// Hands the batch on, and takes an empty one from the pool (waiting
    /// while all are in flight).
    pub(crate) fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let next = self.pool.recv().unwrap_or_default();
        let mut full = std::mem::replace(&mut self.batch, next);
        full.stamp(self.seq, &self.names);
        self.seq += 1;
        if let Some(work) = &self.work {
            // The other threads gone means one failed: the pipeline's
            // `finish` reports it.
            let _ = work.send(full);
        }
    }

    /// The end of the input: the last batch handed on, and the channel
    /// closed so that the threads after it finish.
    pub(crate) fn close(&mut self) {
        self.flush();
        self.work = None;
    }
}

/// Items put back in the order of their numbers, as they arrive in any.
pub(crate) struct InOrder<T> {
    waiting: BTreeMap<u64, T>,
    next: u64,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            waiting: BTreeMap::new(),
            next: 0,
        }
    }
}

impl<T> InOrder<T> {
    /// Item number `seq` has arrived.
    pub(crate) fn add(&mut self, seq: u64, item: T) {
        self.waiting.insert(seq, item);
    }

    /// The next item in order, once it has arrived.
    pub(crate) fn next_ready(&mut self) -> Option<T> {
        let item = self.waiting.remove(&self.next)?;
        self.next += 1;
        Some(item)
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

/// A batch of what the reading thread found: events of type `E`, the
/// datagram payloads and bodies they point into, and the heads of messages
/// framed from streams.
pub(crate) struct Batch<E> {
    pub(crate) seq: u64,
    pub(crate) names: Arc<Vec<String>>,
    pub(crate) payloads: Vec<u8>,
    pub(crate) heads: Heads,
    pub(crate) events: Vec<E>,
}

impl<E> Default for Batch<E> {
    fn default() -> Self {
        Batch {
            seq: 0,
            names: Arc::default(),
            payloads: Vec::new(),
            heads: Heads::default(),
            events: Vec::new(),
        }
    }
}

impl<E: Send + 'static> Ordered for Batch<E> {
    fn stamp(&mut self, seq: u64, names: &Arc<Vec<String>>) {
        self.seq = seq;
        self.names = Arc::clone(names);
    }
    fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
    fn is_full(&self) -> bool {
        self.events.len() >= BATCH_EVENTS || self.payloads.len() >= BATCH_BYTES
    }
}

impl<E> Batch<E> {
    /// Empties it for the pool.
    pub(crate) fn clear(&mut self) {
        self.payloads.clear();
        self.heads.clear();
        self.events.clear();
    }

    /// Keeps a copy of `bytes`; where it is in `payloads`.
    pub(crate) fn keep(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.payloads.len();
        self.payloads.extend_from_slice(bytes);
        (start, self.payloads.len())
    }
}

/// The reading thread's sink: records, and hands full batches on.
pub struct Pipeline<S: Sink + Send + 'static> {
    feed: Feed<Batch<Event>>,
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
        let (feed, work_rx, pool_tx) = Feed::new(size);
        let (done_tx, done_rx) = bounded::<Batch<Event>>(size);
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
            feed,
            workers,
            collector,
            failed,
        }
    }

    fn file(&mut self, file: &str) -> u32 {
        self.feed.file(file)
    }

    fn push(&mut self, event: Event) {
        self.feed.batch.events.push(event);
        self.feed.recorded();
    }

    /// The end of the input: everything parsed and replayed; the sink back
    /// (`None` if a thread of the pipeline panicked).
    pub fn finish(mut self) -> Option<S> {
        self.feed.close();
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
fn resolve(batch: &mut Batch<Event>, config: &ParserConfig) {
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
fn collect<S: Sink>(mut sink: S, done: &Receiver<Batch<Event>>, pool: &Sender<Batch<Event>>) -> S {
    let mut order = InOrder::default();
    for batch in done {
        order.add(batch.seq, batch);
        while let Some(mut batch) = order.next_ready() {
            replay(&batch, &mut sink);
            batch.clear();
            let _ = pool.try_send(batch);
        }
    }
    sink
}

fn replay(batch: &Batch<Event>, sink: &mut dyn Sink) {
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
