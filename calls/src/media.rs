//! Where each call's media goes: the addresses the SDP of its offers and
//! answers announce ([`SdpMap`]), and the call an RTP stream belongs to,
//! found by the address it is sent to ([`SdpMap::tie`]).
//!
//! RFC 3264 §5 and §6: the address and port of an `m=` line (with its
//! `c=`) are where the side that sent the description *receives* that
//! media. A stream sent to an address the caller announced is the
//! callee's (or the network's on its behalf), and the reverse. The map
//! reads the bodies of INVITE, ACK, PRACK and UPDATE requests and of their
//! provisional and 2xx responses; it marks a call answered on the first
//! 2xx to its initial INVITE, and over on its BYE or on a final failure of
//! that INVITE, so that a later call announcing the same address (SIPp
//! uses one media port for every call) does not take an earlier one's
//! streams, nor the earlier one a later one's.
//!
//! Memory stays bounded by [`SdpLimits`]: by default as many Call-IDs as
//! the call engine holds (the least recently announced evicted and
//! counted), 32 attempts a Call-ID, eight descriptions a call, eight media
//! sections a description, sixteen formats a section and eight calls an
//! announced address.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::num::NonZeroUsize;

use lru::LruCache;
use sipline::sdp::{parse_sdp, Direction};
use sipline::{Message, ParserConfig, StartLine};

use crate::record::Party;

/// The bounds of an [`SdpMap`]: what it holds at most, whatever the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdpLimits {
    /// Call-IDs held (the least recently announced evicted and counted);
    /// by default the call engine's [`CallLimits::max_calls`](crate::CallLimits::max_calls).
    pub max_calls: usize,
    /// Attempts (From tags) held per Call-ID (32; the oldest evicted and
    /// counted).
    pub attempts_per_call_id: usize,
    /// Descriptions kept per call (8; the oldest dropped).
    pub descriptions: usize,
    /// Media sections kept per description (8).
    pub sections: usize,
    /// Formats kept per media section (16).
    pub formats: usize,
    /// Calls remembered per announced address (8; the oldest dropped).
    pub calls_per_address: usize,
}

impl Default for SdpLimits {
    fn default() -> Self {
        SdpLimits {
            max_calls: crate::CallLimits::default().max_calls,
            attempts_per_call_id: 32,
            descriptions: 8,
            sections: 8,
            formats: 16,
            calls_per_address: 8,
        }
    }
}

/// One media section as announced: where its sender receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnouncedMedia {
    /// `audio`, `video`, …
    pub kind: String,
    /// Where RTP is received (the `c=` address and the `m=` port).
    pub rtp: SocketAddr,
    /// Where RTCP is received (`a=rtcp-mux`: the RTP port; else `a=rtcp`,
    /// else the next port).
    pub rtcp: Option<SocketAddr>,
    /// The section's direction, from its sender's point of view.
    pub direction: Direction,
    /// A secure RTP profile (`RTP/SAVP`, `RTP/SAVPF`).
    pub srtp: bool,
    /// Payload type, encoding name and clock rate of each format it names
    /// (`a=rtpmap`, else RFC 3551's static table), in the `m=` line's order.
    pub formats: Vec<(u8, String, u32)>,
}

impl AnnouncedMedia {
    /// The encoding name and clock rate of payload type `pt`, when the
    /// section names it.
    pub fn codec(&self, pt: u8) -> Option<(&str, u32)> {
        self.formats
            .iter()
            .find(|f| f.0 == pt)
            .map(|f| (f.1.as_str(), f.2))
    }
}

/// One session description seen in a call.
#[derive(Clone, Debug, PartialEq)]
pub struct Announced {
    /// When the message that carried it was seen.
    pub time: f64,
    /// Who sent it.
    pub by: Party,
    /// Its RTP media sections that were not rejected (port 0) and have an
    /// address (not `0.0.0.0`).
    pub media: Vec<AnnouncedMedia>,
    /// A hash of the body it was read from: the same body from the same
    /// side again is not read twice.
    pub body_hash: u64,
}

/// The hasher of bodies: foldhash, with a fixed seed.
const HASH: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5d9_0b0d);

/// What the map knows of one call attempt (a Call-ID and the caller's
/// From tag).
#[derive(Clone, Debug, PartialEq)]
pub struct MediaCall {
    /// The Call-ID, as text (lossy).
    pub call_id: String,
    /// The From tag of its initial INVITE.
    pub caller_tag: String,
    /// Its session descriptions, oldest first.
    pub described: Vec<Announced>,
    /// The first 2xx to its initial INVITE.
    pub answered: Option<f64>,
    /// Its BYE, or the final failure of its initial INVITE (a new INVITE
    /// of the attempt, after a challenge, opens it again).
    pub ended: Option<f64>,
}

impl MediaCall {
    /// The last audio section `party` announced.
    pub fn last_audio(&self, party: Party) -> Option<&AnnouncedMedia> {
        self.described
            .iter()
            .rev()
            .filter(|d| d.by == party)
            .find_map(|d| {
                d.media
                    .iter()
                    .find(|m| m.kind.eq_ignore_ascii_case("audio"))
            })
    }

    /// `true` when the last audio each side announced lets audio flow
    /// both ways (neither `sendonly`, `recvonly` nor `inactive`: no hold,
    /// no announcement). `false` too when one side announced no audio.
    pub fn audio_both_ways(&self) -> bool {
        let both = |p| {
            self.last_audio(p)
                .is_some_and(|m| m.direction == Direction::SendRecv)
        };
        both(Party::Caller) && both(Party::Callee)
    }
}

/// The call an RTP stream was tied to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tie<'a> {
    /// Sent to an address a call announced.
    Call {
        /// The call.
        call: &'a MediaCall,
        /// Who sends the stream: the other side of the one that announced
        /// the address.
        sender: Party,
        /// The section that announced the address.
        media: &'a AnnouncedMedia,
    },
    /// Several live calls announced the address, and the sender's address
    /// does not tell them apart: tied to none.
    Ambiguous,
    /// No call announced the address.
    Unknown,
}

/// What the map counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SdpCounts {
    /// Session descriptions read.
    pub descriptions: u64,
    /// Bodies that said `application/sdp` and did not parse (leniently).
    pub malformed: u64,
    /// Calls evicted by the bound on calls.
    pub evicted: u64,
}

/// The addresses calls announced in their SDP, to tie RTP streams to
/// calls. Feed it every SIP message in capture order with
/// [`message`](Self::message); ask [`tie`](Self::tie) when a stream's
/// first packet is seen.
///
/// ```
/// use sipline::{parse_datagram, Datagram, ParserConfig};
/// use sipline_calls::{Party, SdpMap, Tie};
///
/// let invite = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
/// From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\
/// Content-Type: application/sdp\r\nContent-Length: 87\r\n\r\n\
/// v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n";
/// let mut map = SdpMap::new(1000);
/// let Ok(Datagram::Message(m)) = parse_datagram(&invite[..], &ParserConfig::default()) else { panic!() };
/// map.message(0.0, &m);
/// let (from, to) = ("192.0.2.2:5000".parse().unwrap(), "192.0.2.1:4000".parse().unwrap());
/// match map.tie(1.0, from, to) {
///     Tie::Call { call, sender, media } => {
///         assert_eq!((call.call_id.as_str(), sender), ("c1", Party::Callee));
///         assert_eq!(media.codec(8), Some(("PCMA", 8000)));
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug)]
pub struct SdpMap {
    calls: LruCache<Vec<u8>, Vec<MediaCall>>,
    by_address: HashMap<SocketAddr, Vec<Vec<u8>>>,
    counts: SdpCounts,
    config: ParserConfig,
    limits: SdpLimits,
}

impl Default for SdpMap {
    fn default() -> Self {
        SdpMap::with_limits(SdpLimits::default())
    }
}

impl SdpMap {
    /// A map of at most `max_calls` Call-IDs, the other limits the defaults.
    pub fn new(max_calls: usize) -> SdpMap {
        SdpMap::with_limits(SdpLimits {
            max_calls,
            ..SdpLimits::default()
        })
    }

    /// A map bounded by `limits` (each at least 1).
    pub fn with_limits(limits: SdpLimits) -> SdpMap {
        SdpMap {
            calls: LruCache::new(
                NonZeroUsize::new(limits.max_calls.max(1)).unwrap_or(NonZeroUsize::MIN),
            ),
            by_address: HashMap::new(),
            counts: SdpCounts::default(),
            config: ParserConfig::lenient(),
            limits,
        }
    }

    /// The limits it was made with.
    pub const fn limits(&self) -> SdpLimits {
        self.limits
    }

    /// What was counted.
    pub const fn counts(&self) -> SdpCounts {
        self.counts
    }

    /// The calls held, least recently announced first.
    pub fn calls(&self) -> impl Iterator<Item = &MediaCall> {
        self.calls.iter().rev().flat_map(|(_, v)| v.iter())
    }

    /// The call of this Call-ID and caller's From tag.
    pub fn call(&self, call_id: &[u8], caller_tag: &str) -> Option<&MediaCall> {
        self.calls
            .peek(call_id)?
            .iter()
            .find(|c| c.caller_tag.eq_ignore_ascii_case(caller_tag))
    }

    /// A SIP message seen at capture time `time`.
    pub fn message(&mut self, time: f64, msg: &Message<'_>) {
        const METHODS: [&str; 5] = ["INVITE", "ACK", "PRACK", "UPDATE", "BYE"];
        let head = &msg.head;
        // A request's method is its start line's: most traffic (REGISTER,
        // OPTIONS, …) leaves here without a header read.
        if let StartLine::Request(r) = &head.start_line {
            if !METHODS.contains(&r.method.as_str()) {
                return;
            }
        }
        // The checks that cost least first: a body (most responses have
        // none), then the status, then the CSeq method, then the Call-ID.
        let sdp = sipline::sdp::is_sdp(head, msg.body);
        // Without SDP, only an INVITE (a call opens), a BYE (it ends) and a
        // final response to an INVITE (answered or failed) count.
        if !sdp {
            match &head.start_line {
                StartLine::Request(r) if !matches!(r.method.as_str(), "INVITE" | "BYE") => return,
                StartLine::Status(st) if st.code.as_u16() < 200 => return,
                _ => {}
            }
        }
        let Some(Ok(cseq)) = head.get::<sipline::CSeq>() else {
            return;
        };
        let method = cseq.method.as_str();
        let request = matches!(head.start_line, StartLine::Request(_));
        let marks = method == "INVITE" || (request && method == "BYE");
        if !METHODS.contains(&method) || (!sdp && !marks) {
            return;
        }
        let Some(Ok(call_id)) = head.get::<sipline::header::CallId>() else {
            return;
        };
        // Only an INVITE opens a call: anything else concerns a call held.
        let opens = request && method == "INVITE";
        if !opens && !self.calls.contains(call_id) {
            return;
        }
        let from = head.from_tag().unwrap_or_default();
        // The To tag is read only where it decides: whether an INVITE is
        // initial, and a message whose From tag is not a caller's.
        let to = || head.to_tag();
        let by = match head.start_line {
            StartLine::Request(_) if method == "INVITE" && to().is_none() => {
                let Some(call) = self.open(call_id, from) else {
                    return;
                };
                call.ended = None;
                Party::Caller
            }
            StartLine::Request(_) => {
                let Some(call) = self.find(call_id, from, to) else {
                    return;
                };
                let by = if call.caller_tag.eq_ignore_ascii_case(from) {
                    Party::Caller
                } else {
                    Party::Callee
                };
                if method == "BYE" {
                    call.ended.get_or_insert(time);
                    return;
                }
                by
            }
            StartLine::Status(s) => {
                if method == "BYE" {
                    return;
                }
                let Some(call) = self.find(call_id, from, to) else {
                    return;
                };
                // A response comes from the side the request went to.
                let initial = call.caller_tag.eq_ignore_ascii_case(from);
                let by = if initial {
                    Party::Callee
                } else {
                    Party::Caller
                };
                let code = s.code.as_u16();
                if initial && method == "INVITE" && call.answered.is_none() {
                    match code {
                        200..=299 => call.answered = Some(time),
                        300.. => {
                            call.ended.get_or_insert(time);
                        }
                        _ => {}
                    }
                }
                if !(101..=299).contains(&code) {
                    return;
                }
                by
            }
        };
        if !sdp {
            return;
        }
        // The same body again from the same side (a retransmission, the
        // 200 repeating the 183's answer) adds nothing: not parsed twice.
        let body_hash = HASH.hash_one(msg.body);
        let again = self.find(call_id, from, to).is_some_and(|c| {
            c.described
                .iter()
                .rev()
                .find(|d| d.by == by)
                .is_some_and(|d| d.body_hash == body_hash)
        });
        if again {
            return;
        }
        let Ok(sdp) = parse_sdp(msg.body, &self.config) else {
            self.counts.malformed += 1;
            return;
        };
        self.counts.descriptions += 1;
        let limits = self.limits;
        let formats = limits.formats.max(1);
        let media: Vec<AnnouncedMedia> = sdp
            .media()
            .filter(|m| m.line().is_rtp() && !m.is_rejected())
            .filter_map(|m| {
                let ip = m.connection()?.ip().filter(|ip| !ip.is_unspecified())?;
                let line = m.line();
                let rtp = SocketAddr::new(ip, line.port);
                Some(AnnouncedMedia {
                    kind: line.media.to_string(),
                    rtp,
                    rtcp: m.rtcp_port().map(|p| {
                        let at = m.rtcp().and_then(|r| r.connection?.ip());
                        SocketAddr::new(at.unwrap_or(ip), p)
                    }),
                    direction: m.direction(),
                    srtp: line.is_srtp(),
                    formats: line
                        .formats()
                        .filter_map(|f| f.parse::<u8>().ok())
                        .filter_map(|pt| {
                            let c = m.codec(pt)?;
                            Some((pt, c.encoding.to_string(), c.clock_rate))
                        })
                        .take(formats)
                        .collect(),
                })
            })
            .take(limits.sections.max(1))
            .collect();
        let Some(call) = self.find(call_id, from, to) else {
            return;
        };
        // Retransmissions, and forks answering alike, add nothing.
        let same = call
            .described
            .iter()
            .rev()
            .find(|d| d.by == by)
            .is_some_and(|d| d.media == media);
        if same || media.is_empty() {
            return;
        }
        let key = call_id.to_vec();
        let addresses: Vec<SocketAddr> = media.iter().map(|m| m.rtp).collect();
        let dropped =
            (call.described.len() >= limits.descriptions.max(1)).then(|| call.described.remove(0));
        call.described.push(Announced {
            time,
            by,
            media,
            body_hash,
        });
        for a in addresses {
            let calls = self.by_address.entry(a).or_default();
            if !calls.contains(&key) {
                if calls.len() >= limits.calls_per_address.max(1) {
                    calls.remove(0);
                }
                calls.push(key.clone());
            }
        }
        if let Some(d) = dropped {
            self.unindex(&key, d.media.iter().map(|m| m.rtp));
        }
    }

    /// The call a stream from `src` to `dst` whose first packet was seen at
    /// `time` belongs to: the live call (not over before `time`) where one
    /// side's latest description up to `time` announced `dst`. When several do,
    /// the one whose other side announced `src`; when that does not tell
    /// them apart either, [`Tie::Ambiguous`].
    pub fn tie(&self, time: f64, src: SocketAddr, dst: SocketAddr) -> Tie<'_> {
        let Some(ids) = self.by_address.get(&dst) else {
            return Tie::Unknown;
        };
        let mut found: Vec<(&MediaCall, Party, &AnnouncedMedia)> = Vec::new();
        for call in ids
            .iter()
            .filter_map(|id| self.calls.peek(id))
            .flat_map(|v| v.iter())
        {
            if call.ended.is_some_and(|e| e < time) {
                continue;
            }
            // Each side's latest description replaces its earlier ones
            // (RFC 3264 §8): an address it moved away from is no longer its.
            let announced = [Party::Caller, Party::Callee].into_iter().find_map(|p| {
                let latest = call
                    .described
                    .iter()
                    .rev()
                    .find(|d| d.by == p && d.time <= time)?;
                latest.media.iter().find(|m| m.rtp == dst).map(|m| (p, m))
            });
            if let Some((receiver, media)) = announced {
                found.push((call, other(receiver), media));
            }
        }
        let live = found.len();
        if live > 1 {
            // The sender's own announcement names the source (symmetric RTP).
            found.retain(|(call, sender, _)| {
                call.described
                    .iter()
                    .rev()
                    .find(|d| d.by == *sender && d.time <= time)
                    .is_some_and(|d| d.media.iter().any(|m| m.rtp == src))
            });
        }
        match found.as_slice() {
            [] if live > 1 => Tie::Ambiguous,
            [] => Tie::Unknown,
            [(call, sender, media)] => Tie::Call {
                call,
                sender: *sender,
                media,
            },
            _ => Tie::Ambiguous,
        }
    }

    /// The attempt of this Call-ID and caller's tag, made if new.
    fn open(&mut self, call_id: &[u8], caller_tag: &str) -> Option<&mut MediaCall> {
        if !self.calls.contains(call_id) {
            if let Some((key, evicted)) = self.calls.push(call_id.to_vec(), Vec::new()) {
                // `push` hands back the least recently used Call-ID.
                self.counts.evicted += evicted.len() as u64;
                self.unindex(&key, announced(&evicted));
            }
        }
        let v = self.calls.get_mut(call_id)?;
        if let Some(p) = v
            .iter()
            .position(|c| c.caller_tag.eq_ignore_ascii_case(caller_tag))
        {
            return self.calls.get_mut(call_id)?.get_mut(p);
        }
        if v.len() >= self.limits.attempts_per_call_id.max(1) {
            let dropped = v.remove(0);
            self.counts.evicted += 1;
            self.unindex(call_id, announced(std::slice::from_ref(&dropped)));
        }
        let v = self.calls.get_mut(call_id)?;
        v.push(MediaCall {
            call_id: String::from_utf8_lossy(call_id).into_owned(),
            caller_tag: caller_tag.to_string(),
            described: Vec::new(),
            answered: None,
            ended: None,
        });
        v.last_mut()
    }

    /// The attempt a message inside a call belongs to: its From or To tag
    /// is the caller's.
    fn find<'t>(
        &mut self,
        call_id: &[u8],
        from: &str,
        to: impl FnOnce() -> Option<&'t str>,
    ) -> Option<&mut MediaCall> {
        let v = self.calls.get_mut(call_id)?;
        let at = match v
            .iter()
            .position(|c| c.caller_tag.eq_ignore_ascii_case(from))
        {
            Some(i) => i,
            None => {
                let to = to()?;
                v.iter()
                    .position(|c| c.caller_tag.eq_ignore_ascii_case(to))?
            }
        };
        v.get_mut(at)
    }

    /// Takes `call_id` out of the index of each of `addresses` that no
    /// attempt it still holds announces: what an evicted Call-ID, an
    /// evicted attempt or a dropped description leaves, so that the index
    /// stays bounded by what is held.
    fn unindex(&mut self, call_id: &[u8], addresses: impl Iterator<Item = SocketAddr>) {
        let held: Vec<SocketAddr> = self
            .calls
            .peek(call_id)
            .map(|v| announced(v).collect())
            .unwrap_or_default();
        for a in addresses {
            if held.contains(&a) {
                continue;
            }
            if let Some(v) = self.by_address.get_mut(&a) {
                v.retain(|k| k.as_slice() != call_id);
                if v.is_empty() {
                    self.by_address.remove(&a);
                }
            }
        }
    }

    /// How many addresses the index holds (at most the calls held times
    /// their descriptions' sections).
    pub fn addresses(&self) -> usize {
        self.by_address.len()
    }
}

/// Every RTP address `calls` announced.
fn announced(calls: &[MediaCall]) -> impl Iterator<Item = SocketAddr> + '_ {
    calls
        .iter()
        .flat_map(|c| c.described.iter())
        .flat_map(|d| d.media.iter())
        .map(|m| m.rtp)
}

/// The other side.
const fn other(p: Party) -> Party {
    match p {
        Party::Caller => Party::Callee,
        Party::Callee => Party::Caller,
    }
}
