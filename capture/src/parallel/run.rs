//! The run: the worker threads and their [`Stage`], the [`Consumer`] on a
//! thread of its own, and the [`Pipeline`] that the reading thread feeds.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Receiver, Sender};
use sipline::{Error, Message, ParserConfig};

use crate::parallel::batch::{keep_body, Batch, Event, OwnedLocation};
use crate::sink::{Location, Sink, Skip};

/// Batches per worker thread in the pool.
const POOL_PER_WORKER: usize = 4;

/// Work done on each batch by the worker threads, in parallel, one `Stage`
/// per worker (rows made, say). The batch's datagrams are not parsed yet:
/// [`Batch::replay`] parses each as it comes, and
/// [`Batch::parse_datagrams`] parses them all into messages kept in the
/// batch, for a consumer that replays it.
pub trait Stage: Send + 'static {
    /// What the work yields for the [`Consumer`].
    type Out: Send + 'static;
    /// The work on one batch.
    fn work(&mut self, batch: &mut Batch) -> Self::Out;
}

/// The datagrams parsed (on the workers), for a consumer that replays the
/// batches ([`Replay`]).
impl Stage for () {
    type Out = ();
    fn work(&mut self, batch: &mut Batch) {
        batch.parse_datagrams();
    }
}

/// What takes the batches, in order, on a thread of its own.
pub trait Consumer: Send + 'static {
    /// What the [`Stage`] yields for each batch.
    type Out: Send + 'static;
    /// What the consumer gives back at the end.
    type Done: Send + 'static;
    /// The next batch in order, and its stage's output (`None` when the
    /// stage or the parsing failed on it: a thread panicked). `false` stops
    /// the run (an output that cannot be written, say).
    fn take(&mut self, batch: &Batch, out: Option<Self::Out>) -> bool;
    /// The end of the input.
    fn finish(self) -> Self::Done;
}

/// A [`Sink`] fed every batch in order: the one-thread result from several
/// threads.
#[derive(Debug, Default)]
pub struct Replay<S>(pub S);

impl<S: Sink + Send + 'static> Consumer for Replay<S> {
    type Out = ();
    type Done = Replay<S>;
    fn take(&mut self, batch: &Batch, _: Option<()>) -> bool {
        batch.replay(&mut self.0);
        true
    }
    fn finish(self) -> Replay<S> {
        self
    }
}

/// What the reading thread does when every batch is in flight (the workers
/// or the consumer are behind).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behind {
    /// Wait for a batch to come back: back-pressure, for files, where
    /// nothing is lost by waiting.
    #[default]
    Wait,
    /// Never wait: drop the batch being filled and count its messages and
    /// datagrams ([`Skip::DroppedBehind`], in order, where they were), for a
    /// live source that would otherwise lose packets unseen in the kernel.
    /// At most [`Options::threads`] × 4 batches are in flight, so this bounds
    /// memory too.
    Drop,
}

/// How a [`Pipeline`] runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Worker threads (at least 1), besides the reading thread and the
    /// consumer's.
    pub threads: usize,
    /// How datagrams are parsed (as the reader would).
    pub config: ParserConfig,
    /// Keep the bodies of messages (else [`Batch::message`] gives empty
    /// bodies, and the batches hold less).
    pub bodies: bool,
    /// Keep the bodies of messages that carry SDP
    /// ([`sipline::sdp::is_sdp`]), whatever [`bodies`](Self::bodies) says:
    /// what a consumer that ties media to calls needs, at less cost.
    pub sdp_bodies: bool,
    /// Wait or drop when every batch is in flight.
    pub when_behind: Behind,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: 1,
            config: ParserConfig::default(),
            bodies: false,
            sdp_bodies: false,
            when_behind: Behind::Wait,
        }
    }
}

/// A thread of the run failed (panicked): what it was doing is not in the
/// result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadFailed;

impl std::fmt::Display for ThreadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a thread of the parallel run failed")
    }
}

impl std::error::Error for ThreadFailed {}

/// The run on several threads; see the [module](crate::parallel). The reading
/// thread's [`Sink`].
pub struct Pipeline<C: Consumer> {
    names: Arc<Vec<String>>,
    batch: Batch,
    seq: u64,
    config: ParserConfig,
    bodies: bool,
    sdp_bodies: bool,
    when_behind: Behind,
    work: Option<Sender<Batch>>,
    pool: Receiver<Batch>,
    workers: Vec<JoinHandle<()>>,
    consumer: JoinHandle<C::Done>,
    /// A worker panicked on a batch.
    failed: Arc<AtomicBool>,
}

impl<C: Consumer> Pipeline<C> {
    /// Starts [`Options::threads`] workers, each with a stage from `stage`,
    /// and `consumer` on a thread of its own.
    pub fn start<St, F>(opts: &Options, stage: F, consumer: C) -> Pipeline<C>
    where
        St: Stage<Out = C::Out>,
        F: Fn() -> St,
    {
        let threads = opts.threads.max(1);
        let size = threads * POOL_PER_WORKER;
        let (work_tx, work_rx) = bounded::<Batch>(size);
        let (pool_tx, pool_rx) = bounded::<Batch>(size);
        for _ in 1..size {
            // The pool has room for all of them: this never fails.
            let _ = pool_tx.send(Batch::default());
        }
        let (done_tx, done_rx) = bounded::<(Batch, Option<C::Out>)>(size);
        let failed = Arc::new(AtomicBool::new(false));
        let workers = (0..threads)
            .map(|_| {
                let (rx, tx) = (work_rx.clone(), done_tx.clone());
                let failed = Arc::clone(&failed);
                let mut stage = stage();
                std::thread::spawn(move || {
                    for mut batch in rx {
                        // Every batch must reach the consumer, which waits
                        // for each in turn: a panic is caught and reported.
                        let out =
                            std::panic::catch_unwind(AssertUnwindSafe(|| stage.work(&mut batch)));
                        if out.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        // The consumer may keep messages past the batch.
                        batch.heads.share();
                        if tx.send((batch, out.ok())).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        drop(done_tx);
        let consumer = std::thread::spawn(move || consume(consumer, &done_rx, &pool_tx));
        Pipeline {
            names: Arc::new(Vec::new()),
            batch: Batch::default(),
            seq: 0,
            config: opts.config,
            bodies: opts.bodies,
            sdp_bodies: opts.sdp_bodies,
            when_behind: opts.when_behind,
            work: Some(work_tx),
            pool: pool_rx,
            workers,
            consumer,
            failed,
        }
    }

    /// `true` once the consumer has stopped (its [`Consumer::take`]
    /// answered `false`, or it failed): reading on is of no use.
    pub fn stopped(&self) -> bool {
        self.consumer.is_finished()
    }

    /// The end of the input: every batch handed to the consumer; what it
    /// gives back, or [`ThreadFailed`] if a thread of the run panicked.
    pub fn finish(mut self) -> Result<C::Done, ThreadFailed> {
        // The last batch (and the count of what was dropped) must go on.
        self.when_behind = Behind::Wait;
        self.flush();
        self.work = None;
        let mut ok = true;
        for w in self.workers.drain(..) {
            ok &= w.join().is_ok();
        }
        let done = self.consumer.join().map_err(|_| ThreadFailed)?;
        if ok && !self.failed.load(Ordering::Relaxed) {
            Ok(done)
        } else {
            Err(ThreadFailed)
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
        if self.batch.is_full() {
            self.flush();
        }
    }

    /// Hands the batch on, and takes an empty one from the pool: waiting
    /// while all are in flight, or, with [`Behind::Drop`], dropping this
    /// one's messages instead (counted in it, which then fills on).
    fn flush(&mut self) {
        if self.batch.events.is_empty() {
            return;
        }
        let next = match self.when_behind {
            Behind::Wait => self.pool.recv().unwrap_or_default(),
            Behind::Drop => match self.pool.try_recv() {
                Ok(next) => next,
                Err(crossbeam_channel::TryRecvError::Empty) => return self.drop_batch(),
                Err(crossbeam_channel::TryRecvError::Disconnected) => Batch::default(),
            },
        };
        let mut full = std::mem::replace(&mut self.batch, next);
        full.seq = self.seq;
        full.config = self.config;
        full.bodies = self.bodies;
        full.sdp_bodies = self.sdp_bodies;
        full.names = Arc::clone(&self.names);
        self.seq += 1;
        if let Some(work) = &self.work {
            // The other threads gone means one failed: `finish` says so.
            let _ = work.send(full);
        }
    }

    /// Empties the batch but for one [`Event::Dropped`] that counts its
    /// messages and datagrams (and those of earlier drops into it). Times,
    /// bytes read and skips are not messages: they are dropped uncounted.
    fn drop_batch(&mut self) {
        let mut first = None;
        let mut n = 0;
        for e in &self.batch.events {
            match *e {
                Event::Datagram { at, .. }
                | Event::Message { at, .. }
                | Event::Malformed { at, .. } => {
                    first.get_or_insert(at);
                    n += 1;
                }
                Event::Dropped { at, n: before } => {
                    first = Some(at);
                    n += before;
                }
                _ => {}
            }
        }
        self.batch.clear();
        if let Some(at) = first {
            self.batch.events.push(Event::Dropped { at, n });
        }
    }
}

impl<C: Consumer> Sink for Pipeline<C> {
    fn datagram(&mut self, at: &Location<'_>, payload: &[u8], sniff: bool) -> bool {
        let at = OwnedLocation::new(self.file(at.file), at);
        let (start, end) = self.batch.keep(payload);
        self.push(Event::Datagram {
            at,
            start,
            end,
            sniff,
        });
        true
    }

    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        let at = OwnedLocation::new(self.file(at.file), at);
        if keep_body(self.bodies, self.sdp_bodies, msg) {
            self.batch.heads.push_message(msg);
        } else {
            self.batch.heads.push(&msg.head);
        }
        let head = self.batch.heads.len() - 1;
        self.push(Event::Message { at, head, wire_len });
    }

    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.malformed_bytes(at, err, &[]);
    }

    fn malformed_bytes(&mut self, at: &Location<'_>, err: &Error, bytes: &[u8]) {
        let at = OwnedLocation::new(self.file(at.file), at);
        let kept = bytes.get(..self.config.head_len_limit()).unwrap_or(bytes);
        let (start, end) = self.batch.keep(kept);
        self.push(Event::Malformed {
            at,
            err: *err,
            start,
            end,
        });
    }

    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        let at = OwnedLocation::new(self.file(at.file), at);
        self.push(Event::Skipped { at, what });
    }

    fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        let at = OwnedLocation::new(self.file(at.file), at);
        self.push(Event::SkippedBytes { at, what, n });
    }

    fn time(&mut self, ts: f64) {
        self.push(Event::Time(ts));
    }

    fn bytes_read(&mut self, n: u64) {
        self.push(Event::BytesRead(n));
    }
}

/// The consumer's thread: batches back in order and handed on; emptied
/// batches back to the pool. Once the consumer stops, batches still come
/// back to the pool (the reader must not wait for ever) but are not taken.
fn consume<C: Consumer>(
    mut consumer: C,
    done: &Receiver<(Batch, Option<C::Out>)>,
    pool: &Sender<Batch>,
) -> C::Done {
    let mut waiting = BTreeMap::new();
    let mut next = 0u64;
    let mut going = true;
    for (batch, out) in done {
        waiting.insert(batch.seq, (batch, out));
        while let Some((mut batch, out)) = waiting.remove(&next) {
            next += 1;
            if going {
                going = consumer.take(&batch, out);
            }
            batch.clear();
            let _ = pool.try_send(batch);
        }
        if !going {
            break;
        }
    }
    consumer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::batch::BATCH_EVENTS;
    use sipline::OwnedMessage;

    /// A consumer's sink that takes its time over every message.
    #[derive(Default)]
    struct Slow {
        messages: u64,
        dropped: u64,
        first_drop: Option<u64>,
    }

    impl Sink for Slow {
        fn message(&mut self, _: &Location<'_>, _: &Message<'_>, _: usize) {
            self.messages += 1;
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
        fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
        fn skipped(&mut self, at: &Location<'_>, what: Skip) {
            assert_eq!(what, Skip::DroppedBehind);
            self.first_drop.get_or_insert(at.offset);
            self.dropped += 1;
        }
    }

    /// `n` datagrams pushed as fast as the reading thread can, each with
    /// its number as the location's offset; what the consumer saw.
    fn push(n: u64, when_behind: Behind) -> Slow {
        let opts = Options {
            when_behind,
            ..Options::default()
        };
        let mut run = Pipeline::start(&opts, || (), Replay(Slow::default()));
        for i in 0..n {
            let at = Location {
                file: "live",
                frame: Some(i + 1),
                offset: i,
                flow: None,
                time: None,
            };
            assert!(run.datagram(&at, b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n", false));
        }
        run.finish().expect("no thread failed").0
    }

    #[test]
    fn files_wait_and_lose_nothing() {
        let seen = push(10_000, Behind::Wait);
        assert_eq!((seen.messages, seen.dropped), (10_000, 0));
    }

    /// The reader never waits: what the consumer could not take in time is
    /// dropped and counted, in order, and nothing is lost uncounted.
    #[test]
    fn live_sources_drop_and_count_what_the_consumer_cannot_take() {
        let n = 40_000;
        let seen = push(n, Behind::Drop);
        assert!(seen.dropped > 0, "the consumer kept up?");
        assert!(seen.messages >= BATCH_EVENTS as u64, "{}", seen.messages);
        assert_eq!(seen.messages + seen.dropped, n);
        // The first batch went on whole: the first drop comes after it.
        assert!(
            seen.first_drop >= Some(BATCH_EVENTS as u64),
            "{:?}",
            seen.first_drop
        );
    }

    /// A consumer that keeps every message past its batch.
    struct Keep(Vec<OwnedMessage>);

    impl Consumer for Keep {
        type Out = ();
        type Done = Vec<OwnedMessage>;
        fn take(&mut self, batch: &Batch, _: Option<()>) -> bool {
            for e in &batch.events {
                if let Event::Message { head, .. } = *e {
                    self.0.extend(batch.owned_message(head));
                }
            }
            true
        }
        fn finish(self) -> Vec<OwnedMessage> {
            self.0
        }
    }

    /// Messages outlive their batches, bodies and all, while the batches
    /// are reused: what was kept is what was pushed.
    #[test]
    fn owned_messages_outlive_their_batches() {
        for bodies in [true, false] {
            let opts = Options {
                bodies,
                ..Options::default()
            };
            let mut run = Pipeline::start(&opts, || (), Keep(Vec::new()));
            let n = 3 * BATCH_EVENTS as u64;
            for i in 0..n {
                let at = Location {
                    file: "live",
                    frame: Some(i + 1),
                    offset: i,
                    flow: None,
                    time: None,
                };
                let text = format!("MESSAGE sip:a@b SIP/2.0\r\nCall-ID: {i}\r\nl: 2\r\n\r\nhi");
                assert!(run.datagram(&at, text.as_bytes(), false));
            }
            let kept = run.finish().expect("no thread failed");
            assert_eq!(kept.len() as u64, n);
            for (i, m) in kept.iter().enumerate() {
                let id = m.head().get::<sipline::header::CallId>().unwrap().unwrap();
                assert_eq!(id, i.to_string().as_bytes());
                assert_eq!(&m.body()[..], if bodies { &b"hi"[..] } else { b"" });
            }
        }
    }

    #[test]
    fn sdp_bodies_keep_only_the_bodies_that_carry_sdp() {
        let opts = Options {
            sdp_bodies: true,
            ..Options::default()
        };
        let mut run = Pipeline::start(&opts, || (), Keep(Vec::new()));
        let sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
        let texts = [
            format!(
                "INVITE sip:a@b SIP/2.0\r\nc: application/sdp\r\nl: {}\r\n\r\n{sdp}",
                sdp.len()
            ),
            "MESSAGE sip:a@b SIP/2.0\r\nc: text/plain\r\nl: 2\r\n\r\nhi".to_string(),
        ];
        for (i, text) in texts.iter().enumerate() {
            let at = Location {
                file: "live",
                frame: Some(i as u64 + 1),
                offset: i as u64,
                flow: None,
                time: None,
            };
            assert!(run.datagram(&at, text.as_bytes(), false));
        }
        let kept = run.finish().expect("no thread failed");
        assert_eq!(kept.len(), 2);
        assert_eq!(&kept[0].body()[..], sdp.as_bytes());
        assert_eq!(&kept[1].body()[..], b"");
    }
}
