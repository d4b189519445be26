//! Retransmission marks, message by message: [`Retransmissions`] says of
//! each message whether the same message of the same transaction was seen
//! on the same flow within 64·T1.

use std::collections::{HashMap, VecDeque};

use sipline::flow::FlowId;
use sipline::{CSeq, Head, SentBy, StartLine, Token, Via, MAGIC_COOKIE};

use crate::identity::{hash_of, Prehash};

/// Remembers recent messages to mark retransmissions, in capture order.
/// A message is a retransmission when its [`message_key`] (its transaction,
/// by the parser's [`TransactionKey`](sipline::TransactionKey); the Call-ID
/// and CSeq number; a request's method or a response's status and To tag; the flow)
/// was seen within the window before (64·T1: Timer B/F, after which a
/// transaction is over and the same bytes are a new message).
///
/// Bounded: past `max` keys the oldest are forgotten.
///
/// ```
/// use sipline::{parse_head, ParserConfig};
/// use sipline_calls::{message_key, Retransmissions};
///
/// let invite = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
/// From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n";
/// let head = parse_head(invite, &ParserConfig::default())?.value().unwrap();
/// let key = message_key(None, &head).unwrap();
/// let mut seen = Retransmissions::new(100_000, 32.0);
/// assert!(!seen.check(key, 0.0));
/// assert!(seen.check(key, 0.5), "the same INVITE 500 ms later: Timer A");
/// assert!(!seen.check(key, 40.0), "40 s after the last: a new message");
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Debug)]
pub struct Retransmissions {
    seen: HashMap<u64, f64, Prehash>,
    order: VecDeque<(f64, u64)>,
    max: usize,
    window: f64,
}

impl Retransmissions {
    /// At most `max` keys remembered (at least 1), each for `window`
    /// seconds (64·T1: 32 with the default T1 of 500 ms).
    pub fn new(max: usize, window: f64) -> Self {
        Retransmissions {
            seen: HashMap::default(),
            order: VecDeque::new(),
            max: max.max(1),
            window,
        }
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// `true` when no key is remembered.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// A message with `key` ([`message_key`]) seen at capture time `now`:
    /// `true` when the key was seen within the window before.
    pub fn check(&mut self, key: u64, now: f64) -> bool {
        while let Some(&(t, k)) = self.order.front() {
            let expired = now - t > self.window;
            if !expired && self.order.len() <= self.max {
                break;
            }
            self.order.pop_front();
            // Only the latest sighting of a key removes it.
            if self.seen.get(&k) == Some(&t) {
                self.seen.remove(&k);
            }
        }
        let again = self
            .seen
            .insert(key, now)
            .is_some_and(|t| now - t <= self.window);
        self.order.push_back((now, key));
        again
    }
}

/// What makes a message the same message again, hashed: its transaction
/// ([`Head::transaction_key`]), its Call-ID and CSeq number (the same
/// request again has both; a proxy may reuse a branch for its next
/// transaction, and a careless client one branch for every request), a request's method (the ACK of a non-2xx
/// final shares its INVITE's transaction) or a response's status and To
/// tag (the responses of forks differ by tag), and the flow it was seen
/// on. `None` for a head without a top Via, CSeq or Call-ID that parse.
pub fn message_key(flow: Option<FlowId>, head: &Head<'_>) -> Option<u64> {
    let via = head.get::<sipline::Via>()?.ok()?;
    let cseq = head.get::<sipline::CSeq>()?.ok()?;
    let call_id = head.get::<sipline::header::CallId>()?.ok()?;
    message_key_of(flow, head, (&via, cseq, call_id))
}

/// [`message_key`] from the top Via, CSeq and Call-ID a caller has parsed
/// already (an exporter that writes them too), so that none is parsed twice.
pub fn message_key_of<'a>(
    flow: Option<FlowId>,
    head: &Head<'a>,
    (via, cseq, call_id): (&Via<'a>, CSeq<'a>, &'a [u8]),
) -> Option<u64> {
    let parts = MessageParts {
        via: ViaIdentity::of(via),
        cseq,
        call_id,
        from_tag: head.from_tag(),
        to_tag: head.to_tag(),
    };
    Some(message_key_with(flow, &head.start_line, &parts))
}

/// What a message's top Via gives its identity, hashed, as
/// [`TransactionKey`](sipline::TransactionKey) compares it: the branch and
/// the sent-by when the branch has the magic cookie (RFC 3261 §17.2.3),
/// the sent-by alone otherwise (RFC 2543). An exporter that keeps what it
/// parsed of each distinct Via value keeps this beside it, so that
/// [`message_key_with`] parses no Via.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ViaIdentity {
    hash: u64,
    rfc3261: bool,
}

impl ViaIdentity {
    /// The identity `via` gives.
    pub fn of(via: &Via<'_>) -> ViaIdentity {
        ViaIdentity::from_parts(SentBy::of(via), via.branch())
    }

    /// The identity of a top Via with this sent-by and branch (for a
    /// caller that read the branch already).
    pub fn from_parts(sent_by: SentBy<'_>, branch: Option<&str>) -> ViaIdentity {
        match branch {
            Some(b) if b.starts_with(MAGIC_COOKIE) => ViaIdentity {
                hash: hash_of(&(Token(b), sent_by)),
                rfc3261: true,
            },
            _ => ViaIdentity {
                hash: hash_of(&sent_by),
                rfc3261: false,
            },
        }
    }
}

/// What [`message_key_with`] needs of a message besides its start line and
/// flow, each read once by the caller.
#[derive(Clone, Copy, Debug)]
pub struct MessageParts<'a> {
    /// The top Via's part.
    pub via: ViaIdentity,
    /// The CSeq.
    pub cseq: CSeq<'a>,
    /// The Call-ID's bytes.
    pub call_id: &'a [u8],
    /// The From tag ([`Head::from_tag`]), which keys an RFC 2543 transaction.
    pub from_tag: Option<&'a str>,
    /// The To tag ([`Head::to_tag`]), which tells the responses of forks apart.
    pub to_tag: Option<&'a str>,
}

/// [`message_key`] from parts a caller has read already. The same message
/// gives the same key whichever of the three functions computed it.
pub fn message_key_with(flow: Option<FlowId>, start: &StartLine<'_>, m: &MessageParts<'_>) -> u64 {
    // The transaction's method (ACK as INVITE, §17.2.3) and, for an RFC
    // 2543 peer, its From tag: with the Via's part, the transaction key.
    let method = match start {
        StartLine::Request(r) => r.method,
        StartLine::Status(_) => m.cseq.method,
    };
    let transaction_method = if method == *"ACK" {
        "INVITE"
    } else {
        method.as_str()
    };
    let from_tag = (!m.via.rfc3261).then(|| m.from_tag.map(Token));
    let transaction = (m.via, transaction_method, from_tag);
    match start {
        StartLine::Request(r) => hash_of(&(
            flow,
            transaction,
            m.call_id,
            m.cseq.number,
            Token(r.method.as_str()),
        )),
        StartLine::Status(s) => hash_of(&(
            flow,
            transaction,
            m.call_id,
            m.cseq.number,
            s.code.as_u16(),
            m.to_tag.map(Token),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_remembered_for_the_window_and_bounded() {
        let mut r = Retransmissions::new(3, 32.0);
        assert!(!r.check(1, 0.0));
        assert!(r.check(1, 0.5));
        assert!(r.check(1, 32.4), "within 32 s of the last sighting");
        assert!(!r.check(1, 70.0), "past the window: a new message");
        for (k, t) in [(2, 70.1), (3, 70.2), (4, 70.3), (5, 70.4)] {
            assert!(!r.check(k, t));
        }
        // Bounded: the oldest keys are forgotten.
        assert!(r.len() <= 4, "{}", r.len());
        assert!(!r.is_empty());
        assert!(!r.check(1, 70.5), "1 was forgotten");
        assert!(r.check(5, 70.6));
    }

    #[test]
    fn the_three_ways_to_a_key_agree() {
        let cfg = sipline::ParserConfig::default();
        for b in [
            &b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP A:5060;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n"[..],
            b"SIP/2.0 486 Busy\r\nVia: SIP/2.0/TCP a;branch=1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=9\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n",
            b"ACK sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 ACK\r\n\r\n",
        ] {
            let head = sipline::parse_head(b, &cfg).unwrap().value().unwrap();
            let via = head.get::<Via>().unwrap().unwrap();
            let cseq = head.get::<CSeq>().unwrap().unwrap();
            let call_id = head.get::<sipline::header::CallId>().unwrap().unwrap();
            let whole = message_key(None, &head).unwrap();
            assert_eq!(message_key_of(None, &head, (&via, cseq, call_id)), Some(whole));
            let parts = MessageParts {
                via: ViaIdentity::from_parts(SentBy::of(&via), via.branch()),
                cseq,
                call_id,
                from_tag: head.from_tag(),
                to_tag: head.to_tag(),
            };
            assert_eq!(message_key_with(None, &head.start_line, &parts), whole);
            // Case-insensitive branch and host, default port: the same key.
            assert_eq!(ViaIdentity::of(&via), parts.via);
        }
        // A sent-by without its port is the one with the default port.
        let a = sipline::parse_via(b"SIP/2.0/UDP A;branch=z9hG4bKx")
            .next()
            .unwrap()
            .unwrap();
        let b = sipline::parse_via(b"SIP/2.0/UDP a:5060;branch=z9hG4bKX")
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(ViaIdentity::of(&a), ViaIdentity::of(&b));
        let c = sipline::parse_via(b"SIP/2.0/UDP a:5070;branch=z9hG4bKx")
            .next()
            .unwrap()
            .unwrap();
        assert_ne!(ViaIdentity::of(&a), ViaIdentity::of(&c));
    }

    #[test]
    fn message_keys_tell_requests_responses_and_calls_apart() {
        let cfg = sipline::ParserConfig::default();
        let key = |b: &[u8]| {
            let head = sipline::parse_head(b, &cfg).ok().and_then(|p| p.value());
            head.and_then(|h| message_key(None, &h))
        };
        let invite = key(b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n");
        let ack = key(b"ACK sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 ACK\r\n\r\n");
        let other_call = key(b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c2\r\nCSeq: 1 INVITE\r\n\r\n");
        let ringing = key(b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n");
        let ringing_fork = key(b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=3\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n");
        let no_via = key(b"INVITE sip:b@h SIP/2.0\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n");
        assert!(invite.is_some() && ringing.is_some());
        assert_ne!(
            invite, ack,
            "the ACK of a non-2xx shares the transaction, not the message"
        );
        assert_ne!(invite, other_call);
        assert_ne!(ringing, ringing_fork);
        assert_eq!(no_via, None);
    }
}
