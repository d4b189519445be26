//! Calls out of SIP messages seen passively: INVITE attempts matched by
//! transaction and dialog (see `shared/spec/calls-and-metrics.md` §1–§2),
//! with retransmissions and capture duplicates recognised, challenge
//! retries folded into one attempt, the originating leg told apart from a
//! proxy's other legs, and the outcome and timings of each attempt.
//!
//! Memory stays bounded: finished attempts are handed out and dropped;
//! unfinished ones are capped ([`CallLimits::max_calls`], the least recently
//! active evicted and counted) and time out by capture time (64·T1 after
//! their last activity, unless established).

use std::collections::VecDeque;
use std::hash::{BuildHasherDefault, Hasher};
use std::num::NonZeroUsize;

use lru::LruCache;
use sipline::{Head, Message, StartLine};

use crate::sink::FlowId;

/// A hasher for keys that are hashes already.
#[derive(Clone, Copy, Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = fold_lower(self.0, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Prehash = BuildHasherDefault<Prehashed>;

/// The most attempts (From tags) held under one Call-ID.
const MAX_PER_CALL_ID: usize = 32;

/// The limits of a [`CallTracker`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallLimits {
    /// The most Call-IDs with attempts in progress held at once; beyond it
    /// the least recently active is evicted and counted. Default 100 000.
    /// Each Call-ID holds at most 32 attempts (From tags).
    pub max_calls: usize,
    /// RFC 3261's T1 in seconds (default 0.5): 64·T1 is Timer B/F, the
    /// give-up time of a transaction.
    pub t1: f64,
    /// Two copies of the same bytes on the same flow this close in time
    /// (seconds) are one packet captured twice, not a retransmission
    /// (default 0.010, far below T1).
    pub duplicate_window: f64,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            max_calls: 100_000,
            t1: 0.5,
            duplicate_window: 0.010,
        }
    }
}

/// How an attempt ended (spec §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// A 2xx to the INVITE.
    Established,
    /// A 4xx/5xx/6xx final, not a challenge left unanswered, not a 487
    /// after a CANCEL.
    Failed,
    /// A 3xx final that was not followed.
    Redirected,
    /// A 401, 402 or 407 final that no retry followed.
    ChallengeUnanswered,
    /// A 487 after a CANCEL (or a CANCEL and no final at all).
    Cancelled,
    /// No final response within 64·T1 (Timer B).
    TimedOut,
    /// No final response, and the capture ended less than 64·T1 after the INVITE.
    Pending,
    /// Responses for an INVITE the capture did not see.
    Truncated,
}

impl Outcome {
    /// The name `sipline calls --json` prints.
    pub const fn name(self) -> &'static str {
        match self {
            Outcome::Established => "established",
            Outcome::Failed => "failed",
            Outcome::Redirected => "redirected",
            Outcome::ChallengeUnanswered => "challenge-unanswered",
            Outcome::Cancelled => "cancelled",
            Outcome::TimedOut => "timed-out",
            Outcome::Pending => "pending",
            Outcome::Truncated => "truncated",
        }
    }

    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 8] = [
        Outcome::Established,
        Outcome::Failed,
        Outcome::Redirected,
        Outcome::ChallengeUnanswered,
        Outcome::Cancelled,
        Outcome::TimedOut,
        Outcome::Pending,
        Outcome::Truncated,
    ];
}

/// Who ended an established call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// The side that sent the INVITE.
    Caller,
    /// The side that answered it.
    Callee,
}

impl Party {
    /// `"caller"` or `"callee"`.
    pub const fn name(self) -> &'static str {
        match self {
            Party::Caller => "caller",
            Party::Callee => "callee",
        }
    }
}

/// One call attempt, as `sipline calls` prints it. Times are capture
/// timestamps (seconds since the epoch, UTC); delays in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRecord {
    /// The Call-ID, as text (lossy).
    pub call_id: String,
    /// The From tag of the INVITE.
    pub from_tag: String,
    /// The From URI.
    pub caller: String,
    /// The To URI.
    pub callee: String,
    /// When the first INVITE was seen.
    pub start: f64,
    /// How the attempt ended.
    pub outcome: Outcome,
    /// The final response that decided the outcome.
    pub final_code: Option<u16>,
    /// Its reason phrase.
    pub final_reason: Option<String>,
    /// The Q.850 cause from a Reason header (on the final, the CANCEL or the BYE).
    pub q850_cause: Option<u16>,
    /// RFC 6076 SRD: first INVITE to the first status indication (the
    /// first non-100 provisional, else the final).
    pub srd_ms: Option<f64>,
    /// First INVITE to the first 180 or 183, else to the 2xx.
    pub pdd_ms: Option<f64>,
    /// RFC 6076 SDT: the 2xx to the BYE (established calls that ended).
    pub duration_ms: Option<f64>,
    /// RFC 6076 SDD: the BYE to its final response.
    pub disconnect_ms: Option<f64>,
    /// The BYE's final response code.
    pub bye_code: Option<u16>,
    /// Established and still up when the capture ended (or when evicted):
    /// no BYE, and no 481/408 to a re-INVITE (which ends the dialog).
    pub open_at_end: bool,
    /// Who sent the BYE.
    pub ended_by: Option<Party>,
    /// INVITE transactions folded into the attempt (challenge retries,
    /// redirect follow-ups).
    pub invites: u32,
    /// 401/407 challenges answered by a retry or left unanswered.
    pub auth_challenges: u32,
    /// Redirect segments (3xx finals) inside the attempt.
    pub redirects: u32,
    /// Retransmitted requests and responses recognised.
    pub retransmissions: u32,
    /// The top Via sent-by of the originating leg's INVITE, and the flow it
    /// was seen on, as text.
    pub flow: Option<String>,
}

/// REGISTER attempts (RFC 6076 §4.1, §4.2; spec §3.2): a REGISTER and
/// the retries that follow a 401/407/423 within 64·T1 are one attempt.
#[derive(Clone, Debug, Default)]
pub struct Registrations {
    /// Attempts with a known outcome (the IRA denominator).
    pub attempts: u64,
    /// Attempts that ended in a failure response (4xx but 401/402/407,
    /// 5xx, 6xx) or no final within 64·T1 (Timer F): IRA's numerator.
    pub failures: u64,
    /// Attempts left on an unanswered challenge (in the denominator only).
    pub challenge_unanswered: u64,
    /// RRD (ms) of the successful ones, the challenge round included.
    pub rrd: Distribution,
}

impl Registrations {
    /// IRA % (§4.2), `None` without attempts.
    pub fn ira(&self) -> Option<f64> {
        percent(self.failures, self.attempts)
    }
}

#[derive(Clone, Debug)]
struct Reg {
    start: f64,
    cseq: u32,
    branch: u64,
    challenged: bool,
    last_activity: f64,
}

/// What a tracker has counted besides the records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Copies of a packet captured twice, dropped.
    pub capture_duplicates: u64,
    /// Attempts evicted by [`CallLimits::max_calls`].
    pub evicted: u64,
    /// INVITE transactions seen on proxy legs other than the originating one.
    pub other_legs: u64,
    /// Requests and responses that belong to no INVITE attempt seen
    /// (REGISTER, OPTIONS, in-dialog requests of unknown calls …).
    pub not_call: u64,
}

#[derive(Clone, Debug)]
struct Tx {
    branch: u64,
    sent_by: u64,
    cseq: u32,
    vias: usize,
    primary: bool,
    /// (status, hash of the To tag) of responses seen.
    responses: Vec<(u16, Option<u64>)>,
}

impl Tx {
    /// An INVITE transaction, no response seen yet; `primary` when it is
    /// on the originating leg.
    fn new(branch: u64, sent_by: u64, cseq: u32, vias: usize, primary: bool) -> Tx {
        Tx {
            branch,
            sent_by,
            cseq,
            vias,
            primary,
            responses: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
struct Attempt {
    rec: CallRecord,
    txs: Vec<Tx>,
    answer_time: Option<f64>,
    first_provisional: Option<f64>,
    first_alerting: Option<f64>,
    final_time: Option<f64>,
    cancel: bool,
    bye: Option<(f64, u64, u32)>,
    /// When the dialog ended without a BYE: a 481 or 408 to a re-INVITE
    /// (RFC 3261 §12.2.1.2, spec §6 rule 9).
    gone: Option<f64>,
    last_activity: f64,
    last_invite: f64,
    last_final: Option<u16>,
    truncated: bool,
}

/// Follows INVITE attempts through the messages of a capture, in capture
/// order. Feed it with [`CallTracker::message`]; take finished attempts with
/// [`CallTracker::drain`]; [`CallTracker::finish`] at the end of the input.
///
/// ```
/// use sipline::{parse_datagram, Datagram, ParserConfig};
/// use sipline_capture::calls::{CallTracker, Outcome};
///
/// let mut t = CallTracker::default();
/// let msgs: [(f64, &[u8]); 3] = [
///     (0.0, b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"),
///     (0.2, b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"),
///     (1.0, b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"),
/// ];
/// for (time, bytes) in msgs {
///     let Ok(Datagram::Message(m)) = parse_datagram(bytes, &ParserConfig::default()) else { panic!() };
///     t.message(time, None, &m);
/// }
/// let calls = t.finish();
/// assert_eq!(calls[0].outcome, Outcome::Failed);
/// assert_eq!(calls[0].final_code, Some(486));
/// assert_eq!(calls[0].srd_ms, Some(200.0));
/// ```
#[derive(Debug)]
pub struct CallTracker {
    limits: CallLimits,
    calls: LruCache<Vec<u8>, Vec<Attempt>>,
    done: VecDeque<CallRecord>,
    recent: VecDeque<(u64, f64)>,
    recent_keys: std::collections::HashMap<u64, u32, Prehash>,
    counts: CallCounts,
    registers: LruCache<u64, Reg, Prehash>,
    registrations: Registrations,
    now: f64,
    last_sweep: f64,
}

impl Default for CallTracker {
    fn default() -> Self {
        CallTracker::new(CallLimits::default())
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The top Via's branch and sent-by (host, and port as written), each as
/// a 64-bit hash of its lower-case text: compared, never shown.
fn via_of(head: &Head<'_>) -> Option<(u64, u64)> {
    let top = head.top_via()?.ok()?;
    let branch = fold_lower(0, top.branch().unwrap_or_default().as_bytes());
    let host = match top.host {
        sipline::Host::Name(n) => fold_lower(1, n.as_bytes()),
        sipline::Host::Ipv4(a) => fold_lower(2, &a.octets()),
        sipline::Host::Ipv6(a) => fold_lower(3, &a.octets()),
    };
    let sent_by = fold_lower(host, &top.port.unwrap_or(0).to_le_bytes());
    Some((branch, sent_by))
}

/// Folds `bytes`, as they are, into the hash `h`.
fn fold_exact(h: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = h ^ (bytes.len() as u64).wrapping_mul(K);
    for &b in bytes {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    h
}

/// Folds `bytes` (ASCII letters lowered) into the hash `h`.
fn fold_lower(h: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = h ^ (bytes.len() as u64).wrapping_mul(K);
    for &b in bytes {
        h = (h.rotate_left(5) ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(K);
    }
    h
}

/// A cheap 64-bit hash of a packet's bytes and flow (capture duplicates
/// need no defence against crafted collisions: a collision only drops a
/// copy of a message that was identical in length and hash within 10 ms).
fn packet_hash(flow: Option<FlowId>, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
    }
    if let Some(f) = flow {
        for a in [f.src, f.dst] {
            h = match a.ip() {
                std::net::IpAddr::V4(ip) => fold_lower(h, &ip.octets()),
                std::net::IpAddr::V6(ip) => fold_lower(h, &ip.octets()),
            };
            h = fold_lower(h, &a.port().to_le_bytes());
        }
        h = fold_lower(h, f.transport.name().as_bytes());
    }
    h
}

fn q850(head: &Head<'_>) -> Option<u16> {
    head.reasons().flatten().find_map(|r| r.q850_cause())
}

impl CallTracker {
    /// A tracker with these limits.
    pub fn new(limits: CallLimits) -> CallTracker {
        CallTracker {
            limits,
            calls: LruCache::new(
                NonZeroUsize::new(limits.max_calls.max(1)).unwrap_or(NonZeroUsize::MIN),
            ),
            done: VecDeque::new(),
            recent: VecDeque::new(),
            recent_keys: std::collections::HashMap::default(),
            counts: CallCounts::default(),
            registers: LruCache::with_hasher(
                NonZeroUsize::new(limits.max_calls.max(1)).unwrap_or(NonZeroUsize::MIN),
                Prehash::default(),
            ),
            registrations: Registrations::default(),
            now: f64::MIN,
            last_sweep: f64::MIN,
        }
    }

    /// What was counted besides the records.
    pub const fn counts(&self) -> CallCounts {
        self.counts
    }

    /// The REGISTER attempts seen so far (those still undecided are not in it).
    pub const fn registrations(&self) -> &Registrations {
        &self.registrations
    }

    /// Attempts held open now.
    pub fn open(&self) -> usize {
        self.calls.iter().map(|(_, v)| v.len()).sum()
    }

    /// Finished attempts, oldest first, handed out once.
    pub fn drain(&mut self) -> impl Iterator<Item = CallRecord> + '_ {
        self.done.drain(..)
    }

    /// The end of the input: every attempt still held is finished (open
    /// calls, pending attempts), and all records not yet drained returned.
    pub fn finish(self) -> Vec<CallRecord> {
        self.finish_all().0
    }

    /// [`finish`](Self::finish), with the REGISTER attempts: those still
    /// waiting on a final 64·T1 after their last REGISTER have timed out
    /// (IRA failures); younger ones are left out.
    pub fn finish_all(mut self) -> (Vec<CallRecord>, Registrations) {
        let now = self.now;
        let give_up = 64.0 * self.limits.t1;
        while let Some((_, r)) = self.registers.pop_lru() {
            if now - r.last_activity >= give_up {
                self.registrations.attempts += 1;
                if r.challenged {
                    self.registrations.challenge_unanswered += 1;
                } else {
                    self.registrations.failures += 1;
                }
            }
        }
        while let Some((_, attempts)) = self.calls.pop_lru() {
            for a in attempts {
                let rec = finalize(a, now, &self.limits, true);
                self.done.push_back(rec);
            }
        }
        let mut out: Vec<_> = self.done.into_iter().collect();
        out.sort_by(|a, b| a.start.total_cmp(&b.start));
        (out, self.registrations)
    }

    /// Capture time `now` (seconds) has passed without a message: attempts
    /// and registrations whose timers ran out end, and their records can be
    /// [drained](Self::drain). A live observer calls this on a clock tick;
    /// reading a file needs it only to let time pass after the last message.
    pub fn advance(&mut self, now: f64) {
        if now > self.now {
            self.now = now;
        }
        self.sweep(now);
    }

    /// `true` when this exact packet was seen on this flow a moment ago.
    fn duplicate(&mut self, time: f64, flow: Option<FlowId>, bytes: &[u8]) -> bool {
        let key = packet_hash(flow, bytes);
        // The packets of the last `duplicate_window` (at most 4096 of them).
        while let Some(&(k, t)) = self.recent.front() {
            if time - t <= self.limits.duplicate_window && self.recent.len() <= 4096 {
                break;
            }
            self.recent.pop_front();
            if let std::collections::hash_map::Entry::Occupied(mut e) = self.recent_keys.entry(k) {
                *e.get_mut() -= 1;
                if *e.get() == 0 {
                    e.remove();
                }
            }
        }
        if self.recent_keys.contains_key(&key) {
            return true;
        }
        self.recent.push_back((key, time));
        *self.recent_keys.entry(key).or_default() += 1;
        false
    }

    /// Time passes: attempts idle for 64·T1 that can end, end.
    fn sweep(&mut self, now: f64) {
        let give_up = 64.0 * self.limits.t1;
        // Every 8·T1 of capture time: timeouts are 64·T1, so at most 1/8 late.
        if now - self.last_sweep < 8.0 * self.limits.t1 {
            return;
        }
        self.last_sweep = now;
        while let Some((_, r)) = self.registers.peek_lru() {
            if now - r.last_activity < give_up {
                break;
            }
            if let Some((_, r)) = self.registers.pop_lru() {
                self.registrations.attempts += 1;
                if r.challenged {
                    self.registrations.challenge_unanswered += 1;
                } else {
                    self.registrations.failures += 1;
                }
            }
        }
        let mut finished = Vec::new();
        for (k, attempts) in self.calls.iter() {
            if attempts.iter().any(|a| can_end(a, now, give_up)) {
                finished.push(k.clone());
            }
        }
        for k in finished {
            let Some(attempts) = self.calls.pop(&k) else {
                continue;
            };
            let mut keep = Vec::new();
            for a in attempts {
                if can_end(&a, now, give_up) {
                    let rec = finalize(a, now, &self.limits, false);
                    self.done.push_back(rec);
                } else {
                    keep.push(a);
                }
            }
            if !keep.is_empty() {
                self.calls.put(k, keep);
            }
        }
    }

    /// A message seen at capture time `time` (seconds) on `flow`.
    pub fn message(&mut self, time: f64, flow: Option<FlowId>, msg: &Message<'_>) {
        self.head(time, flow, &msg.head);
    }

    /// [`message`](Self::message) for a head alone: the engine reads
    /// nothing of the body, so a caller that hands messages to another
    /// thread need copy only their heads (and parse them with
    /// [`sipline::parse_head`]).
    pub fn head(&mut self, time: f64, flow: Option<FlowId>, head: &Head<'_>) {
        if time > self.now {
            self.now = time;
        }
        // Any message moves the clock on, followed or not.
        self.sweep(time);
        let Some(Ok(cseq)) = head.cseq() else {
            self.counts.not_call += 1;
            return;
        };
        if !follows_method(cseq.method.as_str()) {
            self.counts.not_call += 1;
            return;
        }
        let bytes = head.as_bytes();
        if self.duplicate(time, flow, bytes) {
            self.counts.capture_duplicates += 1;
            return;
        }
        let Some(Ok(call_id)) = head.call_id() else {
            self.counts.not_call += 1;
            return;
        };
        let from_tag = head.from_tag().unwrap_or_default();
        let to_tag = head.to_tag();
        let method = cseq.method.as_str();
        match head.start_line {
            StartLine::Request(r) if r.method == *"INVITE" && to_tag.is_none() => {
                self.invite(time, flow, head, call_id, from_tag, cseq.number);
            }
            StartLine::Request(r) if r.method == *"REGISTER" => {
                self.register(time, head, call_id, cseq.number);
            }
            StartLine::Status(s) if method == "REGISTER" => {
                self.register_response(time, call_id, s.code.as_u16());
            }
            StartLine::Request(r) if r.method == *"CANCEL" => match self.find(call_id, from_tag) {
                Some(a) => {
                    a.cancel = true;
                    a.last_activity = time;
                    if let Some(c) = q850(head) {
                        a.rec.q850_cause.get_or_insert(c);
                    }
                }
                None => self.counts.not_call += 1,
            },
            StartLine::Request(r) if r.method == *"BYE" => {
                let tags = [from_tag, to_tag.unwrap_or_default()];
                let Some((a, by)) = self.find_dialog(call_id, tags) else {
                    self.counts.not_call += 1;
                    return;
                };
                a.last_activity = time;
                if let Some(c) = q850(head) {
                    a.rec.q850_cause.get_or_insert(c);
                }
                match &a.bye {
                    Some((_, branch, _)) if via_of(head).is_some_and(|v| v.0 == *branch) => {
                        a.rec.retransmissions += 1;
                    }
                    Some(_) => {}
                    None => {
                        let branch = via_of(head).map(|v| v.0).unwrap_or_default();
                        a.bye = Some((time, branch, cseq.number));
                        a.rec.ended_by = Some(by);
                    }
                }
            }
            StartLine::Status(s) if method == "INVITE" => {
                let code = s.code.as_u16();
                let reason = s.reason.as_bytes();
                self.invite_response(
                    time,
                    head,
                    call_id,
                    (from_tag, to_tag),
                    (cseq.number, code),
                    reason,
                );
            }
            StartLine::Status(s) if method == "BYE" => {
                let tags = [from_tag, to_tag.unwrap_or_default()];
                let Some((a, _)) = self.find_dialog(call_id, tags) else {
                    self.counts.not_call += 1;
                    return;
                };
                a.last_activity = time;
                let code = s.code.as_u16();
                // Only the BYE followed (the first seen) and its hop: through
                // a proxy, the other hops' responses carry other branches.
                let branch = via_of(head).map(|v| v.0).unwrap_or_default();
                if let Some((bye_time, _, _)) = a.bye.filter(|b| b.1 == branch) {
                    if code >= 200 && a.rec.bye_code.is_none() {
                        a.rec.bye_code = Some(code);
                        a.rec.disconnect_ms = Some((time - bye_time) * 1000.0);
                    } else if code >= 200 {
                        a.rec.retransmissions += 1;
                    }
                }
            }
            _ => {
                // ACK, re-INVITEs and their responses: activity only. A
                // re-INVITE may come from either side, so in-dialog
                // requests are matched by the pair of tags (spec §6.9).
                let found = match to_tag {
                    Some(tt) => self.find_dialog(call_id, [from_tag, tt]).map(|(a, _)| a),
                    None => self.find(call_id, from_tag),
                };
                match found {
                    Some(a) => a.last_activity = time,
                    None => self.counts.not_call += 1,
                }
            }
        }
    }

    fn register(&mut self, time: f64, head: &Head<'_>, call_id: &[u8], cseq: u32) {
        let branch = via_of(head).map(|v| v.0).unwrap_or_default();
        // By Call-ID alone: a UA sends no REGISTER on a Call-ID before the
        // last one's final (§10.2), and a retry may change the From tag
        // (RFC 3665 §2.1 does).
        let key = fold_exact(0, call_id);
        let give_up = 64.0 * self.limits.t1;
        if let Some(r) = self.registers.get_mut(&key) {
            if r.branch == branch {
                r.last_activity = time;
                return;
            }
            if r.challenged && cseq > r.cseq && time - r.last_activity < give_up {
                // The retry with credentials (or a larger Expires, 423).
                r.branch = branch;
                r.cseq = cseq;
                r.challenged = false;
                r.last_activity = time;
                return;
            }
            // A new REGISTER while the last one is undecided: that one
            // is left without a final (a timeout only if old enough).
            if time - r.last_activity >= give_up {
                self.registrations.attempts += 1;
                self.registrations.failures += u64::from(!r.challenged);
                self.registrations.challenge_unanswered += u64::from(r.challenged);
            }
        }
        let reg = Reg {
            start: time,
            cseq,
            branch,
            challenged: false,
            last_activity: time,
        };
        if let Some((old, _)) = self.registers.push(key, reg) {
            if old != key {
                // Evicted: undecided, not counted.
                self.counts.evicted += 1;
            }
        }
    }

    fn register_response(&mut self, time: f64, call_id: &[u8], code: u16) {
        // Call-IDs compare exactly (§8.1.1.4).
        let key = fold_exact(0, call_id);
        let Some(r) = self.registers.get_mut(&key) else {
            self.counts.not_call += 1;
            return;
        };
        r.last_activity = time;
        match code {
            100..=199 => {}
            401 | 407 | 423 => r.challenged = true,
            _ => {
                let start = r.start;
                self.registers.pop(&key);
                let regs = &mut self.registrations;
                regs.attempts += 1;
                match code {
                    200..=299 => regs.rrd.add(((time - start) * 1e6).round() / 1e3),
                    300..=399 => {}
                    402 => regs.challenge_unanswered += 1,
                    _ => regs.failures += 1,
                }
            }
        }
    }

    fn find(&mut self, call_id: &[u8], from_tag: &str) -> Option<&mut Attempt> {
        self.calls
            .get_mut(call_id)?
            .iter_mut()
            .find(|a| a.rec.from_tag.eq_ignore_ascii_case(from_tag))
    }

    /// The attempt whose dialog has these two tags, and who sent the
    /// message (From tag = caller's: the caller).
    fn find_dialog(&mut self, call_id: &[u8], tags: [&str; 2]) -> Option<(&mut Attempt, Party)> {
        let attempts = self.calls.get_mut(call_id)?;
        let a = attempts
            .iter_mut()
            .find(|a| tags.iter().any(|t| a.rec.from_tag.eq_ignore_ascii_case(t)))?;
        let by = if a.rec.from_tag.eq_ignore_ascii_case(tags[0]) {
            Party::Caller
        } else {
            Party::Callee
        };
        Some((a, by))
    }

    fn invite(
        &mut self,
        time: f64,
        flow: Option<FlowId>,
        head: &Head<'_>,
        call_id: &[u8],
        from_tag: &str,
        cseq: u32,
    ) {
        let Some((branch, sent_by)) = via_of(head) else {
            self.counts.not_call += 1;
            return;
        };
        let vias = head.via_count();
        if let Some(a) = self.find(call_id, from_tag) {
            a.last_activity = time;
            // The CSeq too: RFC 3665 §3.3's proxy reuses a branch for
            // the next transaction.
            if a.txs
                .iter()
                .any(|t| t.branch == branch && t.sent_by == sent_by && t.cseq == cseq)
            {
                a.rec.retransmissions += 1;
                return;
            }
            // The same CSeq with more Vias: the request after one more hop.
            let max_cseq = a.txs.iter().map(|t| t.cseq).max().unwrap_or(0);
            let primary_vias = a.txs.iter().filter(|t| t.primary).map(|t| t.vias).min();
            let other_leg = cseq <= max_cseq && primary_vias.is_some_and(|v| vias > v);
            if other_leg {
                a.txs.push(Tx::new(branch, sent_by, cseq, vias, false));
                self.counts.other_legs += 1;
                return;
            }
            // A fewer-Via copy of the same request: it is nearer the caller,
            // and the copy seen first was another leg.
            let nearer = cseq <= max_cseq && primary_vias.is_some_and(|v| vias < v);
            if nearer {
                for t in a.txs.iter_mut().filter(|t| t.cseq == cseq) {
                    t.primary = false;
                }
            } else {
                // A new try: after a challenge, a redirect, a failover.
                a.rec.invites += 1;
            }
            a.last_invite = time;
            a.last_final = None;
            a.final_time = None;
            a.txs.push(Tx::new(branch, sent_by, cseq, vias, true));
            self.counts.other_legs += u64::from(nearer);
            return;
        }
        let tx = Tx::new(branch, sent_by, cseq, vias, true);
        let attempt = new_attempt(time, head, call_id, from_tag, flow, tx, false);
        self.insert(call_id, attempt);
    }

    fn insert(&mut self, call_id: &[u8], attempt: Attempt) {
        if let Some(v) = self.calls.get_mut(call_id) {
            // Attempts of one Call-ID (From tags) are capped too.
            if v.len() >= MAX_PER_CALL_ID {
                let oldest = v.remove(0);
                self.counts.evicted += 1;
                let now = self.now;
                self.done
                    .push_back(finalize(oldest, now, &self.limits, true));
            }
            if let Some(v) = self.calls.get_mut(call_id) {
                v.push(attempt);
            }
            return;
        }
        if let Some((_, evicted)) = self.calls.push(call_id.to_vec(), vec![attempt]) {
            // `push` returns the old entry when the key existed (it did not)
            // or the evicted least recently used one.
            for a in evicted {
                self.counts.evicted += 1;
                let now = self.now;
                self.done.push_back(finalize(a, now, &self.limits, true));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn invite_response(
        &mut self,
        time: f64,
        head: &Head<'_>,
        call_id: &[u8],
        (from_tag, to_tag): (&str, Option<&str>),
        (cseq, code): (u32, u16),
        reason: &[u8],
    ) {
        let Some((branch, sent_by)) = via_of(head) else {
            self.counts.not_call += 1;
            return;
        };
        let q = q850(head);
        if let Some(tt) = to_tag {
            // A response in a dialog already followed, to an INVITE that is
            // not one of the attempt's: a re-INVITE (§14), not an attempt.
            if let Some((a, _)) = self.find_dialog(call_id, [from_tag, tt]) {
                let ours = a
                    .txs
                    .iter()
                    .any(|t| t.branch == branch && t.sent_by == sent_by && t.cseq == cseq);
                if !ours {
                    a.last_activity = time;
                    // 481/408 to a request inside the dialog: it is gone
                    // (491 and 488 leave it up).
                    if matches!(code, 481 | 408) && a.answer_time.is_some() && a.bye.is_none() {
                        a.gone.get_or_insert(time);
                    }
                    return;
                }
            }
        }
        if self.find(call_id, from_tag).is_none() {
            // The INVITE came before the capture started.
            // Its Via count is unknown.
            let tx = Tx::new(branch, sent_by, cseq, usize::MAX, true);
            let attempt = new_attempt(time, head, call_id, from_tag, None, tx, true);
            self.insert(call_id, attempt);
        }
        let Some(a) = self.find(call_id, from_tag) else {
            return;
        };
        a.last_activity = time;
        let Some(tx) = a
            .txs
            .iter_mut()
            .find(|t| t.branch == branch && t.sent_by == sent_by && t.cseq == cseq)
        else {
            // A response on a leg whose request was not seen.
            return;
        };
        if !tx.primary {
            return;
        }
        let key = (code, to_tag.map(|t| fold_lower(4, t.as_bytes())));
        if tx.responses.contains(&key) {
            a.rec.retransmissions += 1;
            return;
        }
        tx.responses.push(key);
        if let Some(c) = q {
            a.rec.q850_cause.get_or_insert(c);
        }
        match code {
            100 => {}
            101..=199 => {
                a.first_provisional.get_or_insert(time);
                if matches!(code, 180 | 183) {
                    a.first_alerting.get_or_insert(time);
                }
            }
            200..=299 => {
                if a.answer_time.is_none() {
                    a.answer_time = Some(time);
                    a.rec.final_code = Some(code);
                    a.rec.final_reason = Some(text(reason));
                    a.final_time = Some(time);
                    a.last_final = Some(code);
                }
            }
            _ => {
                if a.answer_time.is_some() {
                    // A non-2xx after the answer (another fork): not the outcome.
                    return;
                }
                if matches!(code, 401 | 407) {
                    a.rec.auth_challenges += 1;
                }
                if (300..=399).contains(&code) {
                    a.rec.redirects += 1;
                }
                a.rec.final_code = Some(code);
                a.rec.final_reason = Some(text(reason));
                a.final_time = Some(time);
                a.last_final = Some(code);
            }
        }
    }
}

/// Only these methods make, change or end calls and registrations.
fn follows_method(method: &str) -> bool {
    matches!(method, "INVITE" | "ACK" | "CANCEL" | "BYE" | "REGISTER")
}

/// `true` when a [`CallTracker`] looks at this message at all: its CSeq
/// method is INVITE, ACK, CANCEL, BYE or REGISTER. The rest (OPTIONS,
/// SUBSCRIBE, MESSAGE … and their responses, or a head without a valid
/// CSeq) only counts as [`CallCounts::not_call`], so a caller that hands
/// messages to the tracker on another thread can leave them out.
///
/// ```
/// use sipline::{parse_head, Parsed, ParserConfig};
/// use sipline_capture::calls::follows;
///
/// let head = |b: &'static [u8]| match parse_head(b, &ParserConfig::default()) {
///     Ok(Parsed::Complete { value, .. }) => value,
///     _ => panic!(),
/// };
/// assert!(follows(&head(b"SIP/2.0 200 OK\r\nCSeq: 2 BYE\r\n\r\n")));
/// assert!(!follows(&head(b"SIP/2.0 200 OK\r\nCSeq: 7 OPTIONS\r\n\r\n")));
/// ```
pub fn follows(head: &Head<'_>) -> bool {
    matches!(head.cseq(), Some(Ok(c)) if follows_method(c.method.as_str()))
}

/// A new attempt: its first transaction, and the record as far as known.
/// `truncated`: made from a response to an INVITE the capture did not see.
#[allow(clippy::too_many_arguments)]
fn new_attempt(
    time: f64,
    head: &Head<'_>,
    call_id: &[u8],
    from_tag: &str,
    flow: Option<FlowId>,
    tx: Tx,
    truncated: bool,
) -> Attempt {
    let uri = |a: Option<Result<sipline::NameAddr<'_>, sipline::Error>>| {
        a.and_then(Result::ok)
            .map(|a| a.uri.to_string())
            .unwrap_or_default()
    };
    let rec = CallRecord {
        call_id: text(call_id),
        from_tag: from_tag.to_string(),
        caller: uri(head.from()),
        callee: uri(head.to()),
        start: time,
        outcome: if truncated {
            Outcome::Truncated
        } else {
            Outcome::Pending
        },
        final_code: None,
        final_reason: None,
        q850_cause: None,
        srd_ms: None,
        pdd_ms: None,
        duration_ms: None,
        disconnect_ms: None,
        bye_code: None,
        open_at_end: false,
        ended_by: None,
        invites: u32::from(!truncated),
        auth_challenges: 0,
        redirects: 0,
        retransmissions: 0,
        flow: flow.filter(|_| !truncated).map(|f| f.to_string()),
    };
    Attempt {
        rec,
        txs: vec![tx],
        answer_time: None,
        first_provisional: None,
        first_alerting: None,
        final_time: None,
        cancel: false,
        bye: None,
        gone: None,
        last_activity: time,
        last_invite: time,
        last_final: None,
        truncated,
    }
}

/// An attempt can end now: decided and idle for 64·T1 (a retry or a BYE
/// would have come), or undecided for 64·T1 after its last INVITE.
fn can_end(a: &Attempt, now: f64, give_up: f64) -> bool {
    let idle = now - a.last_activity >= give_up;
    match (a.answer_time, a.bye.as_ref().map(|b| b.0)) {
        // Established: ends with its BYE (answered or given up on).
        (Some(_), Some(bye)) => a.rec.bye_code.is_some() && idle || now - bye >= give_up,
        // Or with a 481/408 inside the dialog; else it stays up.
        (Some(_), None) => a.gone.is_some() && idle,
        (None, _) => idle,
    }
}

/// The record of an attempt, its outcome decided at capture time `now`.
fn finalize(mut a: Attempt, now: f64, limits: &CallLimits, at_end: bool) -> CallRecord {
    let give_up = 64.0 * limits.t1;
    let start = a.rec.start;
    let ms = |t: f64| ((t - start) * 1000.0 * 1000.0).round() / 1000.0;
    let rec = &mut a.rec;
    rec.outcome = match (a.answer_time, a.last_final) {
        _ if a.truncated => Outcome::Truncated,
        (Some(_), _) => Outcome::Established,
        (None, Some(c)) if (300..=399).contains(&c) => Outcome::Redirected,
        (None, Some(401 | 402 | 407)) => Outcome::ChallengeUnanswered,
        (None, Some(487)) if a.cancel => Outcome::Cancelled,
        (None, Some(_)) => Outcome::Failed,
        (None, None) if a.cancel => Outcome::Cancelled,
        (None, None) if now - a.last_invite >= give_up => Outcome::TimedOut,
        (None, None) => Outcome::Pending,
    };
    if !a.truncated {
        let srd_end = match rec.outcome {
            Outcome::Established | Outcome::Failed => a.first_provisional.or(a.final_time),
            _ => None,
        };
        rec.srd_ms = srd_end.map(ms);
        rec.pdd_ms = a.first_alerting.or(a.answer_time).map(ms);
    }
    if let (Some(answer), Some(bye)) = (a.answer_time, a.bye.as_ref().map(|b| b.0)) {
        rec.duration_ms = Some(((bye - answer) * 1000.0 * 1000.0).round() / 1000.0);
    }
    if let Some(d) = rec.disconnect_ms {
        rec.disconnect_ms = Some((d * 1000.0).round() / 1000.0);
    }
    rec.open_at_end =
        at_end && rec.outcome == Outcome::Established && a.bye.is_none() && a.gone.is_none();
    a.rec
}

/// A distribution of delays or durations: count, mean, median, 95th
/// percentile, maximum. Samples are kept exactly up to
/// [`Distribution::EXACT`] of them; beyond, a uniform reservoir of that
/// size stands for them (memory stays bounded; count, mean and max stay exact).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Distribution {
    samples: Vec<f64>,
    count: u64,
    sum: f64,
    max: f64,
    seed: u64,
}

/// The summary of a [`Distribution`], in the unit it was fed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// How many samples.
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// The median (nearest rank).
    pub p50: f64,
    /// The 95th percentile (nearest rank).
    pub p95: f64,
    /// The largest.
    pub max: f64,
}

impl Distribution {
    /// The most samples kept exactly.
    pub const EXACT: usize = 1_000_000;

    /// Adds a sample.
    pub fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        if self.count == 1 || v > self.max {
            self.max = v;
        }
        if self.samples.len() < Self::EXACT {
            self.samples.push(v);
        } else {
            // Reservoir sampling (Algorithm R) with a fixed-seed xorshift.
            if self.seed == 0 {
                self.seed = 0x9E37_79B9_7F4A_7C15;
            }
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            let j = (self.seed.wrapping_add(self.count) % self.count) as usize;
            if let Some(slot) = self.samples.get_mut(j) {
                *slot = v;
            }
        }
    }

    /// The summary, `None` when there is no sample.
    pub fn summary(&self) -> Option<Summary> {
        if self.count == 0 {
            return None;
        }
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let i = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
            s.get(i).copied().unwrap_or_default()
        };
        Some(Summary {
            count: self.count,
            mean: self.sum / self.count as f64,
            p50: rank(0.50),
            p95: rank(0.95),
            max: self.max,
        })
    }
}

/// The ratio `num ÷ den × 100`, `None` when `den` is 0 (RFC 6076 §4:
/// undefined, not 0).
pub fn percent(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 * 100.0 / den as f64)
}

/// RFC 6076's session metrics (and the industry ones beside them) from
/// call records, as the spec's §3–§4 define them for a passive observer.
/// Feed every record with [`Metrics::add`].
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Attempts by outcome.
    pub by_outcome: std::collections::BTreeMap<Outcome, u64>,
    /// Final codes, one per attempt (the one that decided the outcome).
    pub finals: std::collections::BTreeMap<u16, u64>,
    /// Established calls still up at the end of the capture.
    pub open_at_end: u64,
    /// SRD of established attempts (ms).
    pub srd_success: Distribution,
    /// SRD of failed attempts (ms).
    pub srd_failure: Distribution,
    /// SDD of BYEs answered 2xx (ms).
    pub sdd_success: Distribution,
    /// SDD of BYEs answered otherwise (ms).
    pub sdd_failure: Distribution,
    /// BYEs that drew no final response (Timer F): counted, in neither SDD.
    pub sdd_timeouts: u64,
    /// SDT of established calls that ended (ms).
    pub sdt: Distribution,
    /// PDD (ms): first INVITE to the first 180/183, else the 2xx.
    pub pdd: Distribution,
    known: u64,
    established: u64,
    redirected: u64,
    seer_num: u64,
    isa_num: u64,
    completed: u64,
    scr_den: u64,
    ner_num: u64,
    ner_den: u64,
}

/// The codes SEER counts as effective (RFC 6076 §4.7), any 2xx aside.
const SEER_CODES: [u16; 4] = [480, 486, 600, 603];
/// ISA's guideline codes (RFC 6076 §4.8).
const ISA_CODES: [u16; 4] = [408, 500, 503, 504];
/// NER's effective finals (spec §4, RFC 3398 §8.2.6.1), any 2xx aside.
const NER_CODES: [u16; 6] = [480, 486, 600, 403, 402, 603];

impl Metrics {
    /// Counts one attempt.
    pub fn add(&mut self, r: &CallRecord) {
        *self.by_outcome.entry(r.outcome).or_default() += 1;
        if let Some(c) = r.final_code {
            *self.finals.entry(c).or_default() += 1;
        }
        if matches!(r.outcome, Outcome::Pending | Outcome::Truncated) {
            return;
        }
        self.known += 1;
        let code = r.final_code.unwrap_or(0);
        let two_xx = (200..300).contains(&code);
        match r.outcome {
            Outcome::Established => {
                self.established += 1;
                if let Some(v) = r.srd_ms {
                    self.srd_success.add(v);
                }
            }
            Outcome::Failed => {
                if let Some(v) = r.srd_ms {
                    self.srd_failure.add(v);
                }
            }
            Outcome::Redirected => self.redirected += 1,
            _ => {}
        }
        if two_xx || SEER_CODES.contains(&code) {
            self.seer_num += 1;
        }
        if ISA_CODES.contains(&code) || r.outcome == Outcome::TimedOut {
            self.isa_num += 1;
        }
        if r.open_at_end {
            self.open_at_end += 1;
        } else {
            self.scr_den += 1;
            if r.outcome == Outcome::Established && r.bye_code.is_some_and(|c| c != 408) {
                self.completed += 1;
            }
        }
        match (r.bye_code, r.disconnect_ms) {
            (Some(c), Some(ms)) if (200..300).contains(&c) => self.sdd_success.add(ms),
            (Some(_), Some(ms)) => self.sdd_failure.add(ms),
            _ if r.ended_by.is_some() => self.sdd_timeouts += 1,
            _ => {}
        }
        if let Some(d) = r.duration_ms {
            self.sdt.add(d);
        }
        if let Some(p) = r.pdd_ms {
            self.pdd.add(p);
        }
        // NER: a 487 after alerting is ring-no-answer (effective); before
        // any alerting the call was abandoned, left out of both sides.
        let abandoned = r.outcome == Outcome::Cancelled && r.pdd_ms.is_none();
        if !abandoned {
            self.ner_den += 1;
            if two_xx || NER_CODES.contains(&code) || r.outcome == Outcome::Cancelled {
                self.ner_num += 1;
            }
        }
    }

    /// Attempts with a known outcome (not pending, not truncated): RFC
    /// 6076's "session requests".
    pub const fn session_requests(&self) -> u64 {
        self.known
    }

    /// SER (§4.6): established ÷ (session requests − redirected) × 100.
    pub fn ser(&self) -> Option<f64> {
        percent(self.established, self.known - self.redirected)
    }

    /// SEER (§4.7): 2xx, 480, 486, 600, 603 ÷ the same denominator × 100.
    pub fn seer(&self) -> Option<f64> {
        percent(self.seer_num, self.known - self.redirected)
    }

    /// ISA (§4.8): 408, 500, 503, 504 and Timer B timeouts ÷ session requests × 100.
    pub fn isa(&self) -> Option<f64> {
        percent(self.isa_num, self.known)
    }

    /// SCR (§4.9): established and ended by a BYE answered other than 408 ÷
    /// session requests not open at the end × 100.
    pub fn scr(&self) -> Option<f64> {
        percent(self.completed, self.scr_den)
    }

    /// ASR (ITU-T E.411; not RFC 6076): established ÷ session requests × 100.
    pub fn asr(&self) -> Option<f64> {
        percent(self.established, self.known)
    }

    /// NER (ITU-T E.411/E.425; not RFC 6076): answered, busy, no answer,
    /// rejected ÷ attempts not abandoned before alerting × 100.
    pub fn ner(&self) -> Option<f64> {
        percent(self.ner_num, self.ner_den)
    }
}

/// How RFC 6076 §5.1 slices the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SliceBy {
    /// By From URI (`user@host`).
    Caller,
    /// By To URI (`user@host`).
    Callee,
    /// By the address the INVITE was sent to (the flow's destination).
    Peer,
}

impl SliceBy {
    /// The slice a record falls in.
    ///
    /// ```
    /// use sipline_capture::calls::SliceBy;
    /// assert_eq!(SliceBy::uri_key("sip:alice@a.example;transport=tcp"), "alice@a.example");
    /// assert_eq!(SliceBy::uri_key("tel:+1-201-555-0123"), "+1-201-555-0123");
    /// ```
    pub fn key(self, r: &CallRecord) -> String {
        match self {
            SliceBy::Caller => Self::uri_key(&r.caller),
            SliceBy::Callee => Self::uri_key(&r.callee),
            SliceBy::Peer => r
                .flow
                .as_deref()
                .and_then(|f| f.rsplit(" -> ").next())
                .unwrap_or("(unknown)")
                .to_string(),
        }
    }

    /// A URI without its scheme, parameters and headers.
    pub fn uri_key(uri: &str) -> String {
        let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
        let end = rest.find([';', '?']).unwrap_or(rest.len());
        rest.get(..end).unwrap_or(rest).to_string()
    }
}

/// [`Metrics`] per slice ([`SliceBy`]), at most `max` slices; attempts
/// beyond go to the slice `"(other)"`, so memory stays bounded.
#[derive(Clone, Debug)]
pub struct SlicedMetrics {
    /// The slicing.
    pub by: SliceBy,
    /// The metrics of each slice.
    pub slices: std::collections::BTreeMap<String, Metrics>,
    max: usize,
}

impl SlicedMetrics {
    /// Slicing `by`, at most `max` slices.
    pub fn new(by: SliceBy, max: usize) -> SlicedMetrics {
        SlicedMetrics {
            by,
            slices: std::collections::BTreeMap::new(),
            max,
        }
    }

    /// Counts one attempt in its slice.
    pub fn add(&mut self, r: &CallRecord) {
        let key = self.by.key(r);
        let key = if self.slices.contains_key(&key) || self.slices.len() < self.max {
            key
        } else {
            "(other)".to_string()
        };
        self.slices.entry(key).or_default().add(r);
    }
}
