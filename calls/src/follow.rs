//! The engine and the metrics of what it finishes, together: a
//! [`Follower`] on the caller's thread, or a [`FollowerThread`] on one of
//! its own, fed message heads in batches.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use sipline::flow::FlowId;
use sipline::{Head, Heads};

use crate::limits::CallLimits;
use crate::metrics::{Metrics, SliceBy, SlicedMetrics};
use crate::record::{CallCounts, Registrations};
use crate::tracker::CallTracker;

/// A [`CallTracker`] and the [`Metrics`] of the attempts it finishes, as
/// they finish (the records themselves are not kept): what a report or a
/// monitor needs, in bounded memory.
///
/// ```
/// use sipline::{parse_head, ParserConfig};
/// use sipline_calls::Follower;
///
/// let mut f = Follower::new(Default::default(), None);
/// let invite = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
/// From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n";
/// let head = parse_head(invite, &ParserConfig::default())?.value().unwrap();
/// f.head(0.0, None, &head);
/// let done = f.finish();
/// assert_eq!(done.metrics.by_outcome.values().sum::<u64>(), 1);
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Debug)]
pub struct Follower {
    tracker: CallTracker,
    metrics: Metrics,
    sliced: Option<SlicedMetrics>,
}

/// What a [`Follower`] gives at the end of its input.
#[derive(Clone, Debug)]
pub struct Followed {
    /// The metrics of every attempt.
    pub metrics: Metrics,
    /// The metrics per slice, when asked for.
    pub sliced: Option<SlicedMetrics>,
    /// The REGISTER attempts.
    pub registrations: Registrations,
    /// What the engine counted besides the attempts.
    pub counts: CallCounts,
}

impl Follower {
    /// An engine with `limits`; `slices`: also the metrics per caller,
    /// callee or peer, at most that many slices (the rest in `(other)`).
    pub fn new(limits: CallLimits, slices: Option<(SliceBy, usize)>) -> Follower {
        Follower {
            tracker: CallTracker::new(limits),
            metrics: Metrics::default(),
            sliced: slices.map(|(by, max)| SlicedMetrics::new(by, max)),
        }
    }

    /// A message head seen at capture time `time` on `flow`
    /// ([`CallTracker::head`]).
    pub fn head(&mut self, time: f64, flow: Option<FlowId>, head: &Head<'_>) {
        self.tracker.head(time, flow, head);
        for r in self.tracker.drain() {
            self.metrics.add(&r);
            if let Some(s) = self.sliced.as_mut() {
                s.add(&r);
            }
        }
    }

    /// The end of the input: attempts still open are finished and counted.
    pub fn finish(self) -> Followed {
        let Follower {
            tracker,
            mut metrics,
            mut sliced,
        } = self;
        let counts = tracker.counts();
        let (records, registrations) = tracker.finish_all();
        for r in &records {
            metrics.add(r);
            if let Some(s) = sliced.as_mut() {
                s.add(r);
            }
        }
        Followed {
            metrics,
            sliced,
            registrations,
            counts,
        }
    }
}

/// Heads handed to the engine's thread: copied into one buffer with what
/// the scan found ([`Heads`]), and the time and flow of each.
#[derive(Default)]
struct HeadBatch {
    heads: Heads,
    at: Vec<(f64, Option<FlowId>)>,
}

/// Heads per batch.
const BATCH: usize = 1024;

/// A [`Follower`] on a thread of its own, so that a reader frames on one
/// core while calls are followed on another. Heads go over in batches of
/// 1 024 (one hand-off per batch, not per message) through a bounded
/// channel of 4, so memory stays bounded and a reader that outruns the
/// engine waits. Only heads are copied (the engine reads no body), into
/// one buffer per batch, with no allocation per message and nothing parsed
/// again; emptied batches come back to be filled again. A caller may leave
/// out the messages the engine does not follow ([`follows`](crate::follows)):
/// they only count as `not_call`.
pub struct FollowerThread {
    tx: SyncSender<HeadBatch>,
    batch: HeadBatch,
    /// Emptied batches coming back.
    spare: Receiver<HeadBatch>,
    handle: JoinHandle<Followed>,
}

impl FollowerThread {
    /// Starts `follower` on a thread of its own.
    pub fn start(mut follower: Follower) -> FollowerThread {
        let (tx, rx) = sync_channel::<HeadBatch>(4);
        let (back, spare) = sync_channel::<HeadBatch>(8);
        let handle = std::thread::spawn(move || {
            for mut batch in rx {
                for (head, &(time, flow)) in batch.heads.iter().zip(&batch.at) {
                    follower.head(time, flow, &head);
                }
                batch.heads.clear();
                batch.at.clear();
                let _ = back.try_send(batch);
            }
            follower.finish()
        });
        FollowerThread {
            tx,
            batch: HeadBatch::default(),
            spare,
            handle,
        }
    }

    /// A message head seen at capture time `time` on `flow`: copied, and
    /// handed over with the next full batch.
    pub fn head(&mut self, time: f64, flow: Option<FlowId>, head: &Head<'_>) {
        self.batch.heads.push(head);
        self.batch.at.push((time, flow));
        if self.batch.at.len() >= BATCH {
            let next = self.spare.try_recv().unwrap_or_default();
            let full = std::mem::replace(&mut self.batch, next);
            // A thread that is gone has panicked: `finish` reports it.
            let _ = self.tx.send(full);
        }
    }

    /// The end of the input: what the follower gives, or `None` if its
    /// thread failed (panicked).
    pub fn finish(self) -> Option<Followed> {
        let FollowerThread {
            tx, batch, handle, ..
        } = self;
        let _ = tx.send(batch);
        drop(tx);
        handle.join().ok()
    }
}
