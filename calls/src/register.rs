//! REGISTER attempts (RFC 6076 §4.1–§4.2): a REGISTER and the retries
//! after a 401/407/423 within 64·T1 are one attempt.

use std::num::NonZeroUsize;

use lru::LruCache;
use sipline::{CSeq, Head};

use crate::identity::{self, Prehash};
use crate::record::Registrations;

/// A REGISTER attempt still undecided.
#[derive(Clone, Debug)]
struct Reg {
    start: f64,
    cseq: u32,
    /// Its latest transaction, hashed.
    transaction: u64,
    challenged: bool,
    last_activity: f64,
}

/// The REGISTER attempts in progress, by Call-ID, and those decided.
#[derive(Debug)]
pub(crate) struct Registers {
    open: LruCache<u64, Reg, Prehash>,
    /// The attempts decided so far.
    pub(crate) done: Registrations,
    /// 64·T1 (Timer F), in seconds.
    give_up: f64,
}

/// What a REGISTER or its response did besides the attempt it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Part of an attempt followed.
    Followed,
    /// A new attempt pushed an undecided one out (the cap was reached).
    Evicted,
    /// A response to no REGISTER seen.
    Unknown,
}

impl Registers {
    /// At most `max` undecided at once; Timer F is `give_up` seconds.
    pub(crate) fn new(max: usize, give_up: f64) -> Registers {
        Registers {
            open: LruCache::with_hasher(
                NonZeroUsize::new(max.max(1)).unwrap_or(NonZeroUsize::MIN),
                Prehash::default(),
            ),
            done: Registrations::default(),
            give_up,
        }
    }

    /// An attempt left undecided for good: a timeout (IRA failure) if it
    /// waited 64·T1, else not counted.
    fn undecided(&mut self, r: &Reg, now: f64) {
        if now - r.last_activity >= self.give_up {
            self.done.attempts += 1;
            self.done.failures += u64::from(!r.challenged);
            self.done.challenge_unanswered += u64::from(r.challenged);
        }
    }

    /// A REGISTER request.
    pub(crate) fn request<'a>(
        &mut self,
        time: f64,
        head: &Head<'a>,
        call_id: &[u8],
        cseq: CSeq<'a>,
    ) -> Seen {
        let transaction = identity::transaction(head, cseq).unwrap_or_default();
        let cseq = cseq.number;
        // By Call-ID alone: a UA sends no REGISTER on a Call-ID before the
        // last one's final (§10.2), and a retry may change the From tag
        // (RFC 3665 §2.1 does).
        let key = identity::hash_of(call_id);
        let give_up = self.give_up;
        if let Some(r) = self.open.get_mut(&key) {
            if r.transaction == transaction {
                r.last_activity = time;
                return Seen::Followed;
            }
            if r.challenged && cseq > r.cseq && time - r.last_activity < give_up {
                // The retry with credentials (or a larger Expires, 423).
                r.transaction = transaction;
                r.cseq = cseq;
                r.challenged = false;
                r.last_activity = time;
                return Seen::Followed;
            }
            // A new REGISTER while the last one is undecided: that one
            // is left without a final (a timeout only if old enough).
            let old = r.clone();
            self.undecided(&old, time);
        }
        let reg = Reg {
            start: time,
            cseq,
            transaction,
            challenged: false,
            last_activity: time,
        };
        match self.open.push(key, reg) {
            // Evicted: undecided, not counted.
            Some((old, _)) if old != key => Seen::Evicted,
            _ => Seen::Followed,
        }
    }

    /// A response to a REGISTER.
    pub(crate) fn response(&mut self, time: f64, call_id: &[u8], code: u16) -> Seen {
        // Call-IDs compare exactly (§8.1.1.4).
        let key = identity::hash_of(call_id);
        let Some(r) = self.open.get_mut(&key) else {
            return Seen::Unknown;
        };
        r.last_activity = time;
        match code {
            100..=199 => {}
            401 | 407 | 423 => r.challenged = true,
            _ => {
                let start = r.start;
                self.open.pop(&key);
                let regs = &mut self.done;
                regs.attempts += 1;
                match code {
                    200..=299 => regs.rrd.add(((time - start) * 1e6).round() / 1e3),
                    300..=399 => {}
                    402 => regs.challenge_unanswered += 1,
                    _ => regs.failures += 1,
                }
            }
        }
        Seen::Followed
    }

    /// Time is `now`: attempts idle for 64·T1 end. `all`: every attempt
    /// ends (the end of the input); those younger are left out.
    pub(crate) fn sweep(&mut self, now: f64, all: bool) {
        while let Some((_, r)) = self.open.peek_lru() {
            if !all && now - r.last_activity < self.give_up {
                break;
            }
            if let Some((_, r)) = self.open.pop_lru() {
                self.undecided(&r, now);
            }
        }
    }
}
