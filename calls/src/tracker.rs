//! The engine: [`CallTracker`] follows INVITE attempts and REGISTERs
//! through the messages of a capture or a live feed, in capture order.

use std::collections::VecDeque;
use std::num::NonZeroUsize;

use lru::LruCache;
use sipline::flow::FlowId;
use sipline::{CSeq, Head, Message, StartLine};

use crate::attempt::{can_end, finalize, new_attempt, text, Attempt, Tx};
use crate::identity::{self, Prehash};
use crate::limits::CallLimits;
use crate::record::{CallCounts, CallRecord, Party, Registrations};
use crate::register::{Registers, Seen};

/// The most attempts (From tags) held under one Call-ID.
const MAX_PER_CALL_ID: usize = 32;

/// Follows INVITE attempts through the messages of a capture, in capture
/// order. Feed it with [`CallTracker::message`]; take finished attempts with
/// [`CallTracker::drain`]; [`CallTracker::finish`] at the end of the input.
///
/// ```
/// use sipline::{parse_datagram, Datagram, ParserConfig};
/// use sipline_calls::{CallTracker, Outcome};
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
    registers: Registers,
    now: f64,
    last_sweep: f64,
}

impl Default for CallTracker {
    fn default() -> Self {
        CallTracker::new(CallLimits::default())
    }
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
            registers: Registers::new(limits.max_calls, 64.0 * limits.t1),
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
        &self.registers.done
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
        self.registers.sweep(now, true);
        while let Some((_, attempts)) = self.calls.pop_lru() {
            for a in attempts {
                let rec = finalize(a, now, &self.limits, true);
                self.done.push_back(rec);
            }
        }
        let mut out: Vec<_> = self.done.into_iter().collect();
        out.sort_by(|a, b| a.start.total_cmp(&b.start));
        (out, self.registers.done)
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
        let key = identity::packet(flow, bytes);
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
        self.registers.sweep(now, false);
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
        let Some(Ok(cseq)) = head.get::<sipline::CSeq>() else {
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
        let Some(Ok(call_id)) = head.get::<sipline::header::CallId>() else {
            self.counts.not_call += 1;
            return;
        };
        let from_tag = head.from_tag().unwrap_or_default();
        let to_tag = head.to_tag();
        let method = cseq.method.as_str();
        match head.start_line {
            StartLine::Request(r) if r.method == *"INVITE" && to_tag.is_none() => {
                self.invite(time, flow, head, call_id, from_tag, cseq);
            }
            StartLine::Request(r) if r.method == *"REGISTER" => {
                if self.registers.request(time, head, call_id, cseq) == Seen::Evicted {
                    self.counts.evicted += 1;
                }
            }
            StartLine::Status(s) if method == "REGISTER" => {
                if self.registers.response(time, call_id, s.code.as_u16()) == Seen::Unknown {
                    self.counts.not_call += 1;
                }
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
                let transaction = identity::transaction(head, cseq);
                match &a.bye {
                    Some((_, branch, _)) if transaction == Some(*branch) => {
                        a.rec.retransmissions += 1;
                    }
                    Some(_) => {}
                    None => {
                        let branch = transaction.unwrap_or_default();
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
                    (cseq, code),
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
                let branch = identity::transaction(head, cseq).unwrap_or_default();
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

    fn invite<'a>(
        &mut self,
        time: f64,
        flow: Option<FlowId>,
        head: &Head<'a>,
        call_id: &[u8],
        from_tag: &str,
        cseq: CSeq<'a>,
    ) {
        let Some(key) = identity::transaction(head, cseq) else {
            self.counts.not_call += 1;
            return;
        };
        let cseq = cseq.number;
        let vias = head.via_count();
        if let Some(a) = self.find(call_id, from_tag) {
            a.last_activity = time;
            // The CSeq too: RFC 3665 §3.3's proxy reuses a branch for
            // the next transaction.
            if a.txs.iter().any(|t| t.key == key && t.cseq == cseq) {
                a.rec.retransmissions += 1;
                return;
            }
            // The same CSeq with more Vias: the request after one more hop.
            let max_cseq = a.txs.iter().map(|t| t.cseq).max().unwrap_or(0);
            let primary_vias = a.txs.iter().filter(|t| t.primary).map(|t| t.vias).min();
            let other_leg = cseq <= max_cseq && primary_vias.is_some_and(|v| vias > v);
            if other_leg {
                a.txs.push(Tx::new(key, cseq, vias, false));
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
            a.txs.push(Tx::new(key, cseq, vias, true));
            self.counts.other_legs += u64::from(nearer);
            return;
        }
        let tx = Tx::new(key, cseq, vias, true);
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
    fn invite_response<'a>(
        &mut self,
        time: f64,
        head: &Head<'a>,
        call_id: &[u8],
        (from_tag, to_tag): (&str, Option<&str>),
        (cseq, code): (CSeq<'a>, u16),
        reason: &[u8],
    ) {
        let Some(key) = identity::transaction(head, cseq) else {
            self.counts.not_call += 1;
            return;
        };
        let cseq = cseq.number;
        let q = q850(head);
        if let Some(tt) = to_tag {
            // A response in a dialog already followed, to an INVITE that is
            // not one of the attempt's: a re-INVITE (§14), not an attempt.
            if let Some((a, _)) = self.find_dialog(call_id, [from_tag, tt]) {
                let ours = a.txs.iter().any(|t| t.key == key && t.cseq == cseq);
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
            let tx = Tx::new(key, cseq, usize::MAX, true);
            let attempt = new_attempt(time, head, call_id, from_tag, None, tx, true);
            self.insert(call_id, attempt);
        }
        let Some(a) = self.find(call_id, from_tag) else {
            return;
        };
        a.last_activity = time;
        let Some(tx) = a.txs.iter_mut().find(|t| t.key == key && t.cseq == cseq) else {
            // A response on a leg whose request was not seen.
            return;
        };
        if !tx.primary {
            return;
        }
        let response = (code, to_tag.map(identity::tag));
        if tx.responses.contains(&response) {
            a.rec.retransmissions += 1;
            return;
        }
        tx.responses.push(response);
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
/// use sipline_calls::follows;
///
/// let head = |b: &'static [u8]| match parse_head(b, &ParserConfig::default()) {
///     Ok(Parsed::Complete { value, .. }) => value,
///     _ => panic!(),
/// };
/// assert!(follows(&head(b"SIP/2.0 200 OK\r\nCSeq: 2 BYE\r\n\r\n")));
/// assert!(!follows(&head(b"SIP/2.0 200 OK\r\nCSeq: 7 OPTIONS\r\n\r\n")));
/// ```
pub fn follows(head: &Head<'_>) -> bool {
    matches!(head.get::<sipline::CSeq>(), Some(Ok(c)) if follows_method(c.method.as_str()))
}

/// The Q.850 cause of the head's first Reason header that carries one.
fn q850(head: &Head<'_>) -> Option<u16> {
    head.get_all::<sipline::Reason>()
        .flatten()
        .find_map(|r| r.q850_cause())
}
