//! TCP reassembly: each direction of each connection put back in sequence
//! order and framed into SIP messages by a [`StreamDecoder`].
//!
//! Retransmissions and overlaps are dropped (what was delivered first
//! stands), out-of-order segments are held in a bounded window, and a hole
//! that will not fill is a gap. A flow whose bytes do not start with a start
//! line (a capture that begins mid-connection, or after a gap or a malformed
//! message) is searched line by line for a start line whose message frames
//! and is followed by another message or nothing; the bytes passed over are
//! counted, never guessed across.
//!
//! Memory is bounded whatever the traffic: at most `max_flows` directions
//! are held (the least recently seen is evicted in O(1), an LRU), all their
//! buffers and held segments together stay under `memory_budget` (the least
//! recently seen go first), and a direction idle for `idle_timeout` seconds
//! of capture time is closed.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::BytesMut;
use lru::LruCache;
use sipline::{
    parse_datagram, parse_message, Datagram, Frame, Parsed, ParserConfig, StreamDecoder,
};

use crate::link::TcpHeader;
use crate::sink::{FlowId, Location, Sink, Skip, Transport};
use crate::sniff::{looks_like_sip, probe_ready};
use crate::ws::{frame_header, opens_sip_websocket, unmask_into, Header};

/// The longest HTTP Upgrade head looked at before a direction is judged
/// otherwise.
const WS_HEAD_MAX: usize = 8 * 1024;

/// One TCP segment, as reassembly sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
    /// Sequence number and flags.
    pub header: TcpHeader,
    /// The payload.
    pub payload: &'a [u8],
}

/// The limits of reassembly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TcpLimits {
    /// The most directions held at once; the least recently seen is evicted.
    pub max_flows: usize,
    /// The most out-of-order bytes held per direction before a gap is declared.
    pub reorder_window: usize,
    /// The most bytes held by all directions together (partial messages and
    /// out-of-order segments); past it, the least recently seen are evicted.
    pub memory_budget: usize,
    /// Seconds of capture time after which an idle direction is closed.
    pub idle_timeout: f64,
    /// How many bytes of a new direction are searched for SIP before it is
    /// taken as something else for good.
    pub probe_budget: usize,
}

impl Default for TcpLimits {
    /// 65 536 directions (an SBC's TCP and TLS phones), a 64 KiB reorder
    /// window, 256 MiB of buffers in all, 300 s idle, 64 KiB searched.
    fn default() -> Self {
        TcpLimits {
            max_flows: 65_536,
            reorder_window: 64 * 1024,
            memory_budget: 256 << 20,
            idle_timeout: 300.0,
            probe_budget: 64 * 1024,
        }
    }
}

/// What a direction's bytes are, as far as we know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FlowState {
    /// Never seen to be SIP: searching, line by line, for where a SIP message
    /// starts (at the first byte when the capture saw the connection open;
    /// anywhere when it began mid-connection), within the probe budget.
    Probing,
    /// SIP: bytes go to the decoder.
    Sip,
    /// Not SIP: bytes are counted and dropped.
    NotSip,
    /// A SIP flow after a gap or a malformed message: searching, line by
    /// line, for where a message starts; the bytes passed over are counted.
    Resyncing,
    /// TLS (its first bytes were a TLS record): not decrypted, its bytes
    /// counted.
    Tls,
    /// SIP over WebSocket, after the HTTP Upgrade (RFC 7118).
    WebSocket,
}

/// One direction of a TCP connection.
struct Flow {
    id: FlowId,
    state: FlowState,
    decoder: StreamDecoder,
    buf: BytesMut,
    /// While searching: where in `buf` the lines not yet judged start.
    search_from: usize,
    /// Bytes passed over before the flow was ever seen to be SIP.
    unjudged: u64,
    /// The flow has ended: a search judges what it has.
    ended: bool,
    /// While a candidate message is still coming: the buffer length at which
    /// to parse it again.
    retry_at: usize,
    /// While searching: how far into `buf` no line end was found.
    lf_scanned: usize,
    /// WebSocket: the message being joined from its frames, and where its
    /// first frame started.
    ws_msg: Vec<u8>,
    ws_msg_at: u64,
    /// The capture saw the connection open (SYN) and no byte has been
    /// judged yet: its first line is the start of the stream.
    opened: bool,
    /// The next sequence number expected; `None` until the first segment.
    next_seq: Option<u32>,
    /// Segments that arrived ahead of `next_seq`, by sequence number.
    held: BTreeMap<u32, Vec<u8>>,
    held_bytes: usize,
    /// Bytes of this direction seen in order so far.
    delivered: u64,
    /// Where in the direction's bytes the current decoder started.
    origin: u64,
    /// Capture time of the last segment.
    last_time: Option<f64>,
}

/// Sequence-number comparison modulo 2^32 (RFC 1982 style).
fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// A direction's key: both addresses as 128-bit numbers (IPv4 mapped into
/// IPv6) and both ports, which hashes in a few instructions (hashing two
/// `SocketAddr`s field by field cost 6 % of short flows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    src: u128,
    dst: u128,
    ports: u32,
}

impl Key {
    fn new(src: SocketAddr, dst: SocketAddr) -> Key {
        let bits = |a: SocketAddr| match a.ip() {
            std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().to_bits(),
            std::net::IpAddr::V6(v6) => v6.to_bits(),
        };
        Key {
            src: bits(src),
            dst: bits(dst),
            ports: (u32::from(src.port()) << 16) | u32::from(dst.port()),
        }
    }
}

/// TCP reassembly for every direction of every connection of one input.
///
/// ```
/// use sipline::ParserConfig;
/// use sipline_capture::link::TcpHeader;
/// use sipline_capture::tcp::{Reassembler, Segment, TcpLimits};
/// use sipline_capture::{Location, Sink, Skip};
///
/// #[derive(Default)]
/// struct Codes(Vec<u16>);
/// impl Sink for Codes {
///     fn message(&mut self, _: &Location, m: &sipline::Message, _: usize) {
///         self.0.push(m.head.start_line.status().map_or(0, |s| s.code.as_u16()));
///     }
///     fn malformed(&mut self, _: &Location, _: &sipline::Error) {}
///     fn skipped(&mut self, _: &Location, _: Skip) {}
/// }
///
/// let msg = b"SIP/2.0 180 Ringing\r\nl: 0\r\n\r\n";
/// let (src, dst) = ("127.0.0.1:5060".parse().unwrap(), "127.0.0.1:4000".parse().unwrap());
/// let seg = |seq: u32, syn, payload| Segment {
///     src, dst, payload,
///     header: TcpHeader { seq, syn, fin: false, rst: false },
/// };
/// let mut tcp = Reassembler::new(ParserConfig::default(), TcpLimits::default(), false);
/// let mut sink = Codes::default();
/// let at = Location { file: "example", frame: None, offset: 0, flow: None, time: None };
/// tcp.segment(&seg(99, true, b""), &at, &mut sink);
/// // The second half arrives first: held until the first fills the hole.
/// tcp.segment(&seg(110, false, &msg[10..]), &at, &mut sink);
/// assert!(sink.0.is_empty());
/// tcp.segment(&seg(100, false, &msg[..10]), &at, &mut sink);
/// assert_eq!(sink.0, [180]);
/// ```
pub struct Reassembler {
    config: ParserConfig,
    limits: TcpLimits,
    /// Every flow is SIP from its first byte (the ports were chosen).
    all_sip: bool,
    flows: LruCache<Key, Flow>,
    /// Bytes held by all flows.
    memory: usize,
}

impl Reassembler {
    /// Reassembly with `config` for the SIP decoders and `limits`. With
    /// `all_sip`, every flow is taken as SIP from its first byte; otherwise a
    /// flow is SIP when its first line looks like a start line
    /// ([`looks_like_sip`]), or when a search finds a message in it.
    pub fn new(config: ParserConfig, limits: TcpLimits, all_sip: bool) -> Reassembler {
        Reassembler {
            config,
            limits: TcpLimits {
                max_flows: limits.max_flows.max(1),
                ..limits
            },
            all_sip,
            flows: LruCache::unbounded(),
            memory: 0,
        }
    }

    /// How many directions are held now.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// How many bytes all directions hold now (partial messages, out-of-order
    /// segments, lines being searched).
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// Takes one segment. `at` names the input, the frame and the capture
    /// time; the flow and the offsets of what is found are filled in.
    pub fn segment(&mut self, seg: &Segment<'_>, at: &Location<'_>, sink: &mut dyn Sink) {
        let key = Key::new(seg.src, seg.dst);
        let h = seg.header;
        let at = Location {
            flow: Some(FlowId {
                transport: Transport::Tcp,
                src: seg.src,
                dst: seg.dst,
            }),
            ..*at
        };
        if let Some(now) = at.time {
            self.close_idle(now, &at, sink);
        }
        if !self.flows.contains(&key) {
            if seg.payload.is_empty() && !h.syn {
                return;
            }
            while self.flows.len() >= self.limits.max_flows {
                self.evict_lru(&at, sink);
            }
            let mut flow = self.new_flow(&at);
            flow.opened = h.syn;
            self.flows.push(key, flow);
        }
        let (config, limits) = (self.config, self.limits);
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        let before = flow.memory();
        flow.last_time = at.time.or(flow.last_time);
        let seq = if h.syn { h.seq.wrapping_add(1) } else { h.seq };
        let next = *flow.next_seq.get_or_insert(seq);
        if !seg.payload.is_empty() {
            if seq_lt(seq, next) {
                // Overlaps what was delivered: keep only the new tail, if any.
                let dup = next.wrapping_sub(seq) as usize;
                match seg.payload.get(dup..) {
                    Some(tail) if !tail.is_empty() => flow.hold(next, tail),
                    _ => sink.skipped(&at, Skip::TcpRetransmission),
                }
            } else if seq == next && flow.held.is_empty() {
                // In order, nothing held: straight on, without a copy.
                flow.next_seq = Some(next.wrapping_add(seg.payload.len() as u32));
                flow.take(seg.payload, &config, &limits, &at, sink);
            } else {
                flow.hold(seq, seg.payload);
            }
            flow.deliver(&config, &limits, &at, sink);
        }
        let after = flow.memory();
        self.memory = self.memory.saturating_sub(before).saturating_add(after);
        if h.fin || h.rst {
            if let Some(f) = self.flows.pop(&key) {
                self.memory = self.memory.saturating_sub(f.memory());
                f.finish(&self.config, &self.limits, &at, sink);
            }
        }
        // The flow just seen is the most recent: others go first.
        while self.memory > self.limits.memory_budget && self.flows.len() > 1 {
            self.evict_lru(&at, sink);
        }
    }

    /// Evicts the least recently seen direction, and counts it.
    fn evict_lru(&mut self, at: &Location<'_>, sink: &mut dyn Sink) {
        if let Some((_, f)) = self.flows.pop_lru() {
            self.memory = self.memory.saturating_sub(f.memory());
            let at = Location {
                flow: Some(f.id),
                offset: f.delivered,
                ..*at
            };
            sink.skipped(&at, Skip::FlowEvicted);
        }
    }

    /// Closes the directions idle for longer than the timeout at `now`:
    /// nothing is lost unless one was inside a message, which is reported.
    fn close_idle(&mut self, now: f64, at: &Location<'_>, sink: &mut dyn Sink) {
        while let Some((_, f)) = self.flows.peek_lru() {
            match f.last_time {
                Some(t) if now - t > self.limits.idle_timeout => {}
                _ => return,
            }
            if let Some((_, f)) = self.flows.pop_lru() {
                self.memory = self.memory.saturating_sub(f.memory());
                let at = Location {
                    flow: Some(f.id),
                    ..*at
                };
                f.finish(&self.config, &self.limits, &at, sink);
            }
        }
    }

    /// The input has ended: every flow still held that ended inside a
    /// message is reported as [`Skip::IncompleteAtEnd`], with its flow and
    /// the offset where that message started. The flows are dropped.
    pub fn finish(&mut self, file: &str, frame: Option<u64>, sink: &mut dyn Sink) {
        // Least recently seen first, so that reports are stable.
        while let Some((_, f)) = self.flows.pop_lru() {
            let at = Location {
                file,
                frame,
                offset: 0,
                flow: Some(f.id),
                time: f.last_time,
            };
            f.finish(&self.config, &self.limits, &at, sink);
        }
        self.memory = 0;
    }

    fn new_flow(&self, at: &Location<'_>) -> Flow {
        Flow {
            id: at.flow.unwrap_or(FlowId {
                transport: Transport::Tcp,
                src: SocketAddr::from(([0, 0, 0, 0], 0)),
                dst: SocketAddr::from(([0, 0, 0, 0], 0)),
            }),
            state: if self.all_sip {
                FlowState::Sip
            } else {
                FlowState::Probing
            },
            decoder: StreamDecoder::new(self.config),
            buf: BytesMut::new(),
            search_from: 0,
            unjudged: 0,
            ended: false,
            retry_at: 0,
            lf_scanned: 0,
            ws_msg: Vec::new(),
            ws_msg_at: 0,
            opened: false,
            next_seq: None,
            held: BTreeMap::new(),
            held_bytes: 0,
            delivered: 0,
            origin: 0,
            last_time: at.time,
        }
    }
}

impl Flow {
    /// The bytes this direction holds.
    fn memory(&self) -> usize {
        self.buf.len() + self.held_bytes + self.ws_msg.len()
    }

    /// Holds `data` at `seq` until it is in order. A re-send at the same
    /// sequence number that carries more (repacketised) replaces the shorter
    /// one; one that carries no more is a duplicate and dropped.
    fn hold(&mut self, seq: u32, data: &[u8]) {
        let old = self.held.get(&seq).map_or(0, Vec::len);
        if data.len() > old {
            self.held_bytes = self.held_bytes - old + data.len();
            self.held.insert(seq, data.to_vec());
        }
    }

    /// Moves in-order segments on; declares a gap when the out-of-order
    /// data outgrows the window.
    fn deliver(
        &mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        loop {
            let Some(next) = self.next_seq else { return };
            // The held segment that starts last at or behind `next`: it is
            // the one to deliver if any is, else it is stale. Each held
            // segment is looked at once this way (O(log n), not a scan).
            if let Some(seq) = self.last_at_or_behind(next) {
                let len = self.held.get(&seq).map_or(0, Vec::len);
                let data = self.held.remove(&seq).unwrap_or_default();
                self.held_bytes -= data.len();
                if seq != next && !seq_lt(next, seq.wrapping_add(len as u32)) {
                    // Wholly behind what was delivered: retransmitted.
                    sink.skipped(at, Skip::TcpRetransmission);
                    continue;
                }
                let skip = next.wrapping_sub(seq) as usize;
                let fresh = data.get(skip..).unwrap_or_default();
                self.next_seq = Some(next.wrapping_add(fresh.len() as u32));
                self.take(fresh, config, limits, at, sink);
                continue;
            }
            if self.held_bytes <= limits.reorder_window {
                return;
            }
            // A hole that will not fill: skip to the earliest held segment.
            let first = self.first_ahead(next);
            // What came before the hole is judged as if the stream ended
            // there; what is left of it is cut off.
            self.ended = true;
            self.run(config, limits, at, sink);
            self.ended = false;
            sink.skipped(at, Skip::TcpGap);
            if self.state == FlowState::Sip {
                self.state = FlowState::Resyncing;
            }
            self.pass_over(self.buf.len(), at, sink);
            self.search_from = 0;
            if let Some(first) = first {
                // The hole's bytes never arrived: the stream moves on past them.
                let hole = first.wrapping_sub(next);
                if self.state == FlowState::Resyncing {
                    let here = Location {
                        offset: self.delivered,
                        ..*at
                    };
                    sink.skipped_bytes(&here, Skip::TcpGap, u64::from(hole));
                }
                self.delivered += u64::from(hole);
            }
            self.next_seq = first;
        }
    }

    /// The greatest held sequence number in the half of the sequence space
    /// at or behind `next` (modulo 2^32).
    fn last_at_or_behind(&self, next: u32) -> Option<u32> {
        const HALF: u32 = 1 << 31;
        let lowest = next.wrapping_sub(HALF).wrapping_add(1);
        if lowest <= next {
            self.held.range(lowest..=next).next_back()
        } else {
            self.held
                .range(..=next)
                .next_back()
                .or_else(|| self.held.range(lowest..).next_back())
        }
        .map(|(&s, _)| s)
    }

    /// The earliest held sequence number after `next` (modulo 2^32).
    fn first_ahead(&self, next: u32) -> Option<u32> {
        let start = next.wrapping_add(1);
        self.held
            .range(start..)
            .next()
            .or_else(|| self.held.range(..start).next())
            .map(|(&s, _)| s)
    }

    /// Bytes that arrived in order.
    fn take(
        &mut self,
        fresh: &[u8],
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        let at_start = self.state == FlowState::Probing && self.buf_origin() == self.delivered;
        self.delivered += fresh.len() as u64;
        // The first bytes of a direction never judged: a TLS record header?
        if at_start && self.unjudged == 0 && self.buf.is_empty() {
            if let [0x14..=0x17, 0x03, 0..=0x04, ..] = fresh {
                self.state = FlowState::Tls;
                sink.skipped(at, Skip::TlsFlow);
            }
        }
        match self.state {
            FlowState::NotSip => return,
            FlowState::Tls => {
                let here = Location {
                    offset: self.delivered - fresh.len() as u64,
                    ..*at
                };
                sink.skipped_bytes(&here, Skip::TlsFlow, fresh.len() as u64);
                return;
            }
            _ => self.buf.extend_from_slice(fresh),
        }
        if self.state == FlowState::WebSocket {
            return self.ws_drain(config, at, sink);
        }
        // An HTTP Upgrade to a SIP WebSocket at the start of a direction.
        if self.state == FlowState::Probing
            && self.unjudged == 0
            && self.buf_origin() == 0
            && (self.buf.starts_with(b"GET ") || self.buf.starts_with(b"HTTP/1.1 101"))
        {
            let window = self.buf.get(..WS_HEAD_MAX).unwrap_or(&self.buf);
            match memchr::memmem::find(window, b"\r\n\r\n") {
                None if window.len() < WS_HEAD_MAX => return,
                Some(end) if opens_sip_websocket(window.get(..end + 4).unwrap_or_default()) => {
                    self.drop_front(end + 4);
                    self.state = FlowState::WebSocket;
                    self.opened = false;
                    return self.ws_drain(config, at, sink);
                }
                _ => {}
            }
        }
        if self.state == FlowState::Probing && self.opened {
            // The first bytes after a SYN start the stream: the first line
            // alone decides (the search is for flows seen midway).
            if !probe_ready(&self.buf) {
                return;
            }
            self.opened = false;
            if looks_like_sip(&self.buf) {
                self.state = FlowState::Sip;
                self.origin = self.buf_origin();
            }
        }
        self.run(config, limits, at, sink);
    }

    /// WebSocket frames: each whole text or binary message is one SIP
    /// message (RFC 7118 §5); fragments are joined, control frames passed
    /// over, a close ends the direction.
    fn ws_drain(&mut self, config: &ParserConfig, at: &Location<'_>, sink: &mut dyn Sink) {
        let at = Location {
            flow: at.flow.map(|f| FlowId {
                transport: Transport::Ws,
                ..f
            }),
            ..*at
        };
        loop {
            let h = match frame_header(&self.buf) {
                Header::Incomplete => return,
                Header::Invalid => {
                    // Not WebSocket after all: what is left is not read.
                    self.state = FlowState::Resyncing;
                    self.ws_msg = Vec::new();
                    return self.pass_over(self.buf.len(), &at, sink);
                }
                Header::Frame(h) => h,
            };
            let limit = config.head_len_limit() as u64 + config.body_len_limit();
            let total = h.payload_len.saturating_add(h.header_len as u64);
            if h.payload_len > limit || self.ws_msg.len() as u64 + h.payload_len > limit {
                // Larger than any message the parser would take.
                self.state = FlowState::Resyncing;
                self.ws_msg = Vec::new();
                return self.pass_over(self.buf.len(), &at, sink);
            }
            if (self.buf.len() as u64) < total {
                return;
            }
            let frame_at = self.buf_origin();
            let payload = self
                .buf
                .get(h.header_len..total as usize)
                .unwrap_or_default();
            match h.opcode {
                0..=2 => {
                    if h.opcode != 0 {
                        self.ws_msg.clear();
                        self.ws_msg_at = frame_at;
                    }
                    unmask_into(payload, h.mask, &mut self.ws_msg);
                    if h.fin {
                        let msg = std::mem::take(&mut self.ws_msg);
                        let mut here = Location {
                            offset: self.ws_msg_at,
                            ..at
                        };
                        match parse_datagram(&msg, config) {
                            Ok(Datagram::Message(m)) => sink.message(&here, &m, msg.len()),
                            Ok(Datagram::KeepAlive) => sink.skipped(&here, Skip::KeepAlive),
                            Err(e) => {
                                here.offset += e.offset();
                                sink.malformed(&here, &e);
                            }
                        }
                    }
                }
                8 => {
                    // Close: nothing SIP follows in this direction.
                    self.drop_front(total as usize);
                    self.state = FlowState::NotSip;
                    self.buf = BytesMut::new();
                    return;
                }
                _ => {} // ping, pong
            }
            self.drop_front(total as usize);
        }
    }

    /// Decodes what is buffered, searching again after an error, until
    /// more bytes are needed.
    fn run(
        &mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        loop {
            match self.state {
                FlowState::Sip => {
                    self.drain(at, sink);
                    if self.state != FlowState::Resyncing {
                        return;
                    }
                }
                FlowState::Probing | FlowState::Resyncing => {
                    self.search(config, limits, at, sink);
                    if self.state != FlowState::Sip {
                        return;
                    }
                }
                FlowState::NotSip | FlowState::Tls | FlowState::WebSocket => return,
            }
        }
    }

    /// The stream offset of `buf[0]`.
    fn buf_origin(&self) -> u64 {
        self.delivered - self.buf.len() as u64
    }

    /// Searches the buffered lines for where a SIP message starts: a line
    /// that looks like a start line ([`looks_like_sip`]), whose message
    /// frames whole ([`parse_message`]: a valid head, a sane Content-Length,
    /// the body there), and after which comes another message, a line end, or
    /// nothing yet. A status line inside a `message/sipfrag` body, or any
    /// body line that looks like a start line, fails there: what follows it
    /// is not header fields and an empty line, or not a message.
    fn search(
        &mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        loop {
            let p = self.search_from;
            let Some(line) = self.buf.get(p..) else {
                return;
            };
            // The search for the line end resumes where it stopped, so a long
            // line arriving in small segments is scanned once.
            let from = self.lf_scanned.saturating_sub(p).min(line.len());
            let found = line
                .get(from..)
                .and_then(|rest| memchr::memchr(b'\n', rest))
                .map(|k| from + k);
            let Some(lf) = found else {
                self.lf_scanned = self.buf.len();
                // No whole line yet: keep at most a head's worth of it.
                if line.len() > config.head_len_limit() {
                    self.pass_over(line.len(), at, sink);
                }
                self.give_up_if_not_sip(limits);
                return;
            };
            // An empty line is judged as a line of its own (never as the
            // start of the candidate after it), whatever follows it yet.
            let empty = matches!(line.get(..=lf), Some(b"\n" | b"\r\n"));
            if !empty && looks_like_sip(line) {
                // A candidate still coming is parsed again only once the
                // buffer has doubled (or the flow ends), so that a message
                // arriving in many small segments costs O(its length).
                if self.buf.len() < self.retry_at && !self.ended {
                    return;
                }
                match self.frames_here(line, config) {
                    // Wait for more bytes before judging this line.
                    None => {
                        self.retry_at = self.buf.len().saturating_mul(2);
                        return;
                    }
                    Some(true) => {
                        self.pass_over(p, at, sink);
                        if self.state == FlowState::Probing && self.unjudged > 0 {
                            // A capture that began inside this connection:
                            // the bytes before its first message are counted.
                            let here = Location {
                                offset: self.buf_origin() - self.unjudged,
                                ..*at
                            };
                            sink.skipped_bytes(&here, Skip::TcpBytesSkipped, self.unjudged);
                        }
                        self.state = FlowState::Sip;
                        self.decoder = StreamDecoder::new(*config);
                        self.origin = self.buf_origin();
                        self.search_from = 0;
                        self.retry_at = 0;
                        return;
                    }
                    Some(false) => {}
                }
            }
            self.retry_at = 0;
            self.search_from = p + lf + 1;
            // Lines judged are dropped, so the buffer holds one line at most
            // (or one candidate message). Line ends before a flow's first
            // message are allowed there (RFC 3261 §7.5), not bytes lost.
            let judged = self.search_from;
            if empty && self.state == FlowState::Probing && self.unjudged == 0 {
                self.drop_front(judged);
            } else {
                self.pass_over(judged, at, sink);
            }
            self.give_up_if_not_sip(limits);
            if self.state == FlowState::NotSip {
                return;
            }
        }
    }

    /// Whether a message that frames starts at the front of `line` and is
    /// followed by something that can follow a message; `None` while that
    /// cannot be told yet.
    fn frames_here(&self, line: &[u8], config: &ParserConfig) -> Option<bool> {
        match parse_message(line, config) {
            Ok(Parsed::Complete { consumed, .. }) => {
                // What follows, past any junk between messages (the decoder
                // then applies the configuration's rule to that junk).
                let after = line.get(consumed..).unwrap_or_default();
                let junk = after
                    .iter()
                    .take_while(|b| matches!(b, b' ' | b'\t' | 0))
                    .count();
                let after = after.get(junk..).unwrap_or_default();
                // Nothing yet after it: wait, so that the verdict does not
                // depend on where a segment ended (at the end, accept).
                Some(match after.first() {
                    None if !self.ended => return None,
                    None | Some(b'\r' | b'\n') => true,
                    Some(_) if !probe_ready(after) && !self.ended => return None,
                    Some(_) => looks_like_sip(after),
                })
            }
            Ok(Parsed::Incomplete { .. }) => None,
            Err(_) => Some(false),
        }
    }

    /// Removes the first `n` bytes of the buffer, keeping the search's
    /// positions in it right.
    fn drop_front(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        let _ = self.buf.split_to(n);
        self.search_from = self.search_from.saturating_sub(n);
        self.lf_scanned = self.lf_scanned.saturating_sub(n);
    }

    /// Drops the first `n` bytes of the buffer as not SIP, and counts them.
    fn pass_over(&mut self, n: usize, at: &Location<'_>, sink: &mut dyn Sink) {
        let n = n.min(self.buf.len());
        if n == 0 {
            return;
        }
        let here = Location {
            offset: self.buf_origin(),
            ..*at
        };
        self.drop_front(n);
        match self.state {
            FlowState::Resyncing => sink.skipped_bytes(&here, Skip::TcpBytesSkipped, n as u64),
            _ => self.unjudged += n as u64,
        }
    }

    /// A flow never seen to be SIP that was searched for long enough is
    /// taken as something else for good.
    fn give_up_if_not_sip(&mut self, limits: &TcpLimits) {
        if self.state == FlowState::Probing && self.delivered > limits.probe_budget as u64 {
            self.state = FlowState::NotSip;
            self.buf = BytesMut::new();
            self.search_from = 0;
            self.lf_scanned = 0;
        }
    }

    fn drain(&mut self, at: &Location<'_>, sink: &mut dyn Sink) {
        let here = |offset: u64| Location {
            offset: self.origin + offset,
            ..*at
        };
        loop {
            let junk = self.decoder.junk_bytes();
            let next = self.decoder.decode(&mut self.buf);
            let skipped = self.decoder.junk_bytes() - junk;
            if skipped > 0 {
                // Where this gap's junk began, however the segments fell.
                let from = self.decoder.junk_offset().unwrap_or_default();
                sink.skipped_bytes(&here(from), Skip::JunkBetweenMessages, skipped);
            }
            match next {
                Ok(Some(Frame::Message(m))) => {
                    sink.message(&here(m.offset()), &m.message(), m.as_bytes().len())
                }
                Ok(Some(Frame::KeepAlive { offset })) => {
                    sink.skipped(&here(offset), Skip::KeepAlive)
                }
                Ok(None) => return,
                Err(e) => {
                    sink.malformed(&here(e.offset()), &e);
                    // Search the rest of this flow for where a message
                    // starts, from the line after the error on.
                    let bad_at = (self.origin + e.offset()).saturating_sub(self.buf_origin());
                    self.state = FlowState::Resyncing;
                    self.search_from = 0;
                    let line_end = self
                        .buf
                        .get(bad_at as usize..)
                        .and_then(|b| memchr::memchr(b'\n', b))
                        .map_or(self.buf.len(), |lf| bad_at as usize + lf + 1);
                    // Up to the end of the bad line, it was reported as malformed.
                    self.drop_front(line_end);
                    return;
                }
            }
        }
    }

    /// The flow ended: what a search was waiting on is judged now, and a
    /// message cut off is reported where it started (a message being
    /// decoded, or the one a search was waiting to see whole).
    fn finish(
        mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        if matches!(self.state, FlowState::Probing | FlowState::Resyncing) {
            self.ended = true;
            self.run(config, limits, at, sink);
        }
        let cut_at = match self.state {
            FlowState::Sip if !self.decoder.is_between_messages(&self.buf) => {
                Some(self.origin + self.decoder.stream_offset())
            }
            FlowState::Probing | FlowState::Resyncing
                if probe_ready(&self.buf) && looks_like_sip(&self.buf) =>
            {
                Some(self.buf_origin())
            }
            _ => None,
        };
        if let Some(offset) = cut_at {
            sink.skipped(&Location { offset, ..*at }, Skip::IncompleteAtEnd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sipline::{Error, Message};

    /// Everything the reassembler reports, as text.
    #[derive(Default)]
    struct Record(Vec<String>);

    impl Sink for Record {
        fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
            self.0.push(format!("{} {n} @{}", what.name(), at.offset));
        }
        fn message(&mut self, at: &Location<'_>, m: &Message<'_>, _: usize) {
            self.0
                .push(format!("msg {} @{}", m.head.start_line, at.offset));
        }
        fn malformed(&mut self, at: &Location<'_>, e: &Error) {
            self.0.push(format!("bad {} @{}", e.kind(), at.offset));
        }
        fn skipped(&mut self, at: &Location<'_>, what: Skip) {
            self.0
                .push(format!("{} @{} {}", what.name(), at.offset, at));
        }
    }

    const A: &[u8] = b"SIP/2.0 180 Ringing\r\nl: 0\r\n\r\n";
    const B: &[u8] = b"SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nbody";

    fn at() -> Location<'static> {
        Location {
            file: "t.pcap",
            frame: Some(1),
            offset: 0,
            flow: None,
            time: None,
        }
    }

    fn seg(port: u16, seq: u32, syn: bool, fin: bool, payload: &[u8]) -> Segment<'_> {
        Segment {
            src: SocketAddr::from(([127, 0, 0, 1], port)),
            dst: SocketAddr::from(([127, 0, 0, 1], 5060)),
            header: TcpHeader {
                seq,
                syn,
                fin,
                rst: false,
            },
            payload,
        }
    }

    fn run(tcp: &mut Reassembler, segs: &[Segment<'_>]) -> Vec<String> {
        let mut r = Record::default();
        for s in segs {
            tcp.segment(s, &at(), &mut r);
        }
        tcp.finish("t.pcap", Some(99), &mut r);
        r.0
    }

    fn new() -> Reassembler {
        Reassembler::new(ParserConfig::default(), TcpLimits::default(), false)
    }

    #[test]
    fn in_order_out_of_order_and_retransmitted_give_the_same_messages() {
        let stream = [A, B].concat();
        let want = vec![
            "msg SIP/2.0 180 Ringing @0".to_string(),
            "msg SIP/2.0 200 OK @29".to_string(),
        ];
        let (x, y) = stream.split_at(20);
        let (y, z) = y.split_at(20);
        let in_order = run(
            &mut new(),
            &[
                seg(1, 0, true, false, b""),
                seg(1, 1, false, false, &stream),
            ],
        );
        assert_eq!(in_order, want);
        let shuffled = run(
            &mut new(),
            &[
                seg(1, 0, true, false, b""),
                seg(1, 41, false, false, z),
                seg(1, 21, false, false, y),
                seg(1, 1, false, false, x),
            ],
        );
        assert_eq!(shuffled, want);
        // A retransmission and an overlapping re-segmentation change nothing
        // but a counter.
        let mut again = run(
            &mut new(),
            &[
                seg(1, 0, true, false, b""),
                seg(1, 1, false, false, x),
                seg(1, 1, false, false, x),
                seg(1, 11, false, false, &stream[10..30]),
                seg(1, 31, false, false, &stream[30..]),
            ],
        );
        let before = again.len();
        again.retain(|r| !r.starts_with("tcp-retransmissions-dropped"));
        assert_eq!(before - again.len(), 1, "one retransmission counted");
        assert_eq!(again, want);
    }

    #[test]
    fn a_flow_that_starts_elsewhere_than_a_start_line_is_not_sip() {
        let got = run(
            &mut new(),
            &[seg(1, 500, false, false, b"GET / HTTP/1.1\r\n\r\n")],
        );
        assert!(got.is_empty(), "{got:?}");
        // With the ports chosen, every flow is SIP: the same bytes are malformed.
        let mut all = Reassembler::new(ParserConfig::default(), TcpLimits::default(), true);
        let got = run(
            &mut all,
            &[seg(1, 500, false, false, b"GET / HTTP/1.1\r\n\r\n")],
        );
        assert_eq!(got, ["bad request-uri @5", "tcp-bytes-skipped 2 @16"]);
    }

    #[test]
    fn a_gap_skips_to_the_next_start_line_and_never_guesses() {
        let limits = TcpLimits {
            max_flows: 16,
            reorder_window: 8,
            ..TcpLimits::default()
        };
        let mut tcp = Reassembler::new(ParserConfig::default(), limits, false);
        let lost_then = [&B[10..], A].concat();
        let got = run(
            &mut tcp,
            &[
                seg(1, 0, true, false, b""),
                seg(1, 1, false, false, A),
                // B's first 10 bytes never arrive.
                seg(1, 40, false, false, &lost_then),
                seg(1, 40 + lost_then.len() as u32, false, false, A),
            ],
        );
        // Every byte not read is accounted for: the hole, then the lines
        // passed over until a message starts.
        let bytes: u64 = got
            .iter()
            .filter_map(|e| e.strip_prefix("tcp-bytes-skipped "))
            .map(|e| e.split(' ').next().unwrap().parse::<u64>().unwrap())
            .sum();
        assert!(got.contains(&"tcp-gaps 10 @29".to_string()), "{got:?}");
        assert_eq!(bytes, lost_then.len() as u64, "{got:?}");
        let got: Vec<_> = got
            .into_iter()
            .filter(|e| !e.contains(" @") || e.starts_with("msg") || e.starts_with("tcp-gaps @"))
            .collect();
        assert_eq!(got[0], "msg SIP/2.0 180 Ringing @0");
        assert!(got[1].starts_with("tcp-gaps"), "{got:?}");
        // The tail of B and the A after it were in the segment that did not
        // start a message: skipped. The next segment starts one: counted.
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(
            got[2],
            format!("msg SIP/2.0 180 Ringing @{}", 39 + lost_then.len())
        );
    }

    #[test]
    fn a_message_cut_at_the_end_is_reported_with_file_flow_and_offset() {
        let got = run(
            &mut new(),
            &[
                seg(1, 0, true, false, b""),
                seg(1, 1, false, false, A),
                seg(1, 30, false, false, &B[..20]),
            ],
        );
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1],
            "incomplete-at-end @29 t.pcap frame 99 (tcp 127.0.0.1:1 -> 127.0.0.1:5060) byte 29"
        );
        // A FIN inside a message says so at once.
        let got = run(
            &mut new(),
            &[
                seg(1, 0, true, false, b""),
                seg(1, 1, false, true, &B[..20]),
            ],
        );
        assert_eq!(got.len(), 1);
        assert!(
            got[0].starts_with("incomplete-at-end @0 t.pcap frame 1"),
            "{got:?}"
        );
    }

    #[test]
    fn a_flow_is_judged_on_its_first_line_not_on_its_first_segment() {
        // A segment of line ends alone says nothing yet.
        let got = run(
            &mut new(),
            &[
                seg(1, 0, true, false, b""),
                seg(1, 1, false, false, b"\r\n"),
                seg(1, 3, false, false, A),
            ],
        );
        assert_eq!(got, ["msg SIP/2.0 180 Ringing @2"]);
    }

    #[test]
    fn flows_beyond_the_limit_evict_the_least_recently_seen() {
        let limits = TcpLimits {
            max_flows: 2,
            ..TcpLimits::default()
        };
        let mut tcp = Reassembler::new(ParserConfig::default(), limits, false);
        let mut r = Record::default();
        for port in [1, 2, 1, 3] {
            tcp.segment(&seg(port, 0, true, false, b""), &at(), &mut r);
        }
        assert_eq!(tcp.open_flows(), 2);
        assert_eq!(r.0.len(), 1);
        assert!(r.0[0].starts_with("tcp-flows-evicted"), "{:?}", r.0);
        // Port 2 was evicted (1 was seen again); 1 goes on.
        tcp.segment(&seg(1, 1, false, false, A), &at(), &mut r);
        tcp.finish("t.pcap", None, &mut r);
        assert_eq!(r.0.last().unwrap(), "msg SIP/2.0 180 Ringing @0");
    }

    /// A NOTIFY whose message/sipfrag body is a status line: starting inside
    /// it must not count the body's status line as a response.
    const NOTIFY: &[u8] = b"NOTIFY sip:a@b SIP/2.0\r\nEvent: refer\r\nContent-Type: message/sipfrag\r\nContent-Length: 16\r\n\r\nSIP/2.0 200 OK\r\n";

    #[test]
    fn a_capture_that_starts_inside_a_connection_finds_the_next_message() {
        // The first segment begins inside the NOTIFY's head: its sipfrag
        // body's status line frames as a message of its own only if what
        // follows is a head, which it is not.
        let stream = [&NOTIFY[30..], A, B].concat();
        let got = run(&mut new(), &[seg(1, 7000, false, false, &stream)]);
        let skipped = NOTIFY.len() - 30;
        assert_eq!(
            got,
            [
                format!("tcp-bytes-skipped {skipped} @0"),
                format!("msg SIP/2.0 180 Ringing @{skipped}"),
                format!("msg SIP/2.0 200 OK @{}", skipped + A.len()),
            ]
        );
        // The sipfrag line right before a message, alone in a segment.
        let got = run(
            &mut new(),
            &[
                seg(1, 1, false, false, b"SIP/2.0 200 OK\r\n"),
                seg(1, 17, false, false, A),
            ],
        );
        assert_eq!(
            got,
            ["tcp-bytes-skipped 16 @0", "msg SIP/2.0 180 Ringing @16"]
        );
    }

    #[test]
    fn a_flow_that_never_shows_sip_stops_being_searched() {
        let limits = TcpLimits {
            probe_budget: 100,
            ..TcpLimits::default()
        };
        let mut tcp = Reassembler::new(ParserConfig::default(), limits, false);
        let junk = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(8);
        // Past the budget, even a SIP message is not looked for any more.
        let got = run(
            &mut tcp,
            &[
                seg(1, 1, false, false, &junk),
                seg(1, 1 + junk.len() as u32, false, false, A),
            ],
        );
        assert!(got.is_empty(), "{got:?}");
        assert_eq!(tcp.memory(), 0);
    }

    #[test]
    fn junk_between_messages_is_skipped_and_counted() {
        let stream = [A, b"  \0\0 ", B].concat();
        let got = run(&mut new(), &[seg(1, 1, false, false, &stream)]);
        assert_eq!(
            got,
            [
                "msg SIP/2.0 180 Ringing @0".to_string(),
                "junk-bytes-between-messages 5 @29".to_string(),
                "msg SIP/2.0 200 OK @34".to_string(),
            ]
        );
        let mut strict = Reassembler::new(ParserConfig::strict(), TcpLimits::default(), false);
        let got = run(&mut strict, &[seg(1, 1, false, false, &stream)]);
        assert_eq!(got[1], "bad method @29");
    }

    /// Junk after a CRLF is located at its first byte, whether the CRLF came
    /// in the same segment or in the one before (the fuzz target
    /// `diff_tcp_reorder` found the two located apart).
    #[test]
    fn junk_is_located_where_it_stands_however_segments_fall() {
        let stream = [A, b"\r\n  ", B].concat();
        let whole = run(&mut new(), &[seg(1, 1, false, false, &stream)]);
        let cut = A.len() + 2;
        let split = run(
            &mut new(),
            &[
                seg(1, 1, false, false, &stream[..cut]),
                seg(1, 1 + cut as u32, false, false, &stream[cut..]),
            ],
        );
        assert_eq!(whole, split);
        assert_eq!(whole[1], "junk-bytes-between-messages 2 @31");
    }

    #[test]
    fn the_memory_budget_evicts_the_least_recently_seen() {
        let limits = TcpLimits {
            memory_budget: 100,
            ..TcpLimits::default()
        };
        let mut tcp = Reassembler::new(ParserConfig::default(), limits, false);
        let mut r = Record::default();
        // Three directions, each holding 40 bytes of an unfinished message.
        for port in [1, 2, 3] {
            tcp.segment(&seg(port, 1, false, false, &B[..40]), &at(), &mut r);
        }
        assert_eq!(tcp.open_flows(), 2);
        assert!(tcp.memory() <= 100);
        assert_eq!(r.0.len(), 1);
        assert!(r.0[0].contains("tcp-flows-evicted"), "{:?}", r.0);
        assert!(
            r.0[0].contains("127.0.0.1:1 ->"),
            "port 1 was the oldest: {:?}",
            r.0
        );
    }

    #[test]
    fn idle_flows_close_by_capture_time() {
        let limits = TcpLimits {
            idle_timeout: 10.0,
            ..TcpLimits::default()
        };
        let mut tcp = Reassembler::new(ParserConfig::default(), limits, false);
        let mut r = Record::default();
        let at_time = |t: f64| Location {
            time: Some(t),
            ..at()
        };
        tcp.segment(&seg(1, 1, false, false, &B[..40]), &at_time(100.0), &mut r);
        tcp.segment(&seg(2, 1, false, false, A), &at_time(105.0), &mut r);
        assert_eq!(tcp.open_flows(), 2);
        // 11 s later the first (inside a message) is closed and reported;
        // the second (between messages) is still within its time.
        tcp.segment(&seg(3, 1, false, false, A), &at_time(111.0), &mut r);
        assert_eq!(tcp.open_flows(), 2);
        let incomplete: Vec<_> = r.0.iter().filter(|e| e.starts_with("incomplete")).collect();
        assert_eq!(incomplete.len(), 1);
        assert!(incomplete[0].contains("127.0.0.1:1 ->"), "{incomplete:?}");
    }

    #[test]
    fn tls_flows_are_counted_not_read() {
        // A ClientHello record header, then anything.
        let hello = [&[0x16, 0x03, 0x01, 0x00, 0x40][..], &[0xAB; 64]].concat();
        let got = run(
            &mut new(),
            &[
                seg(1, 0, true, false, b""),
                seg(1, 1, false, false, &hello),
                seg(1, 70, false, false, &[0xCD; 30]),
            ],
        );
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("tls-flows-not-decrypted @0"), "{got:?}");
        assert_eq!(got[1], "tls-flows-not-decrypted 69 @0");
        assert_eq!(got[2], "tls-flows-not-decrypted 30 @69");
    }
}
