//! TCP reassembly: each direction of each connection put back in sequence
//! order and framed into SIP messages by a [`StreamDecoder`].
//!
//! Retransmissions and overlaps are dropped (what was delivered first
//! stands), out-of-order segments are held in a bounded window, and a hole
//! that will not fill is a gap: the flow resumes only at a segment that
//! starts with a start line, never guessed across. At most `max_flows`
//! directions are held; the least recently seen is evicted and counted.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use bytes::BytesMut;
use sipline::{Frame, ParserConfig, StreamDecoder};

use crate::link::TcpHeader;
use crate::sink::{FlowId, Location, Sink, Skip, Transport};
use crate::sniff::{looks_like_sip, probe_ready};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpLimits {
    /// The most directions held at once; the least recently seen is evicted.
    pub max_flows: usize,
    /// The most out-of-order bytes held per direction before a gap is declared.
    pub reorder_window: usize,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_flows: 4096,
            reorder_window: 64 * 1024,
        }
    }
}

/// What a direction's bytes are, as far as we know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FlowState {
    /// A new flow: its first bytes are gathered until its first line can be judged.
    Probing,
    /// SIP: bytes go to the decoder.
    Sip,
    /// Not SIP: bytes are counted and dropped.
    NotSip,
    /// After a gap or a malformed message: waiting for a segment that starts
    /// with a start line.
    Resyncing,
}

/// One direction of a TCP connection.
struct Flow {
    id: FlowId,
    state: FlowState,
    decoder: StreamDecoder,
    buf: BytesMut,
    /// The next sequence number expected; `None` until the first segment.
    next_seq: Option<u32>,
    /// Segments that arrived ahead of `next_seq`, by sequence number.
    held: BTreeMap<u32, Vec<u8>>,
    held_bytes: usize,
    /// Bytes of this direction seen in order so far.
    delivered: u64,
    /// Where in the direction's bytes the current decoder started.
    origin: u64,
    last_seen: u64,
}

/// Sequence-number comparison modulo 2^32 (RFC 1982 style).
fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
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
/// let at = Location { file: "example", frame: None, offset: 0, flow: None };
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
    flows: HashMap<(SocketAddr, SocketAddr), Flow>,
    tick: u64,
}

impl Reassembler {
    /// Reassembly with `config` for the SIP decoders and `limits`. With
    /// `all_sip`, every flow is taken as SIP from its first byte; otherwise a
    /// flow is SIP when its first line looks like a start line
    /// ([`looks_like_sip`]).
    pub fn new(config: ParserConfig, limits: TcpLimits, all_sip: bool) -> Reassembler {
        Reassembler {
            config,
            limits: TcpLimits {
                max_flows: limits.max_flows.max(1),
                ..limits
            },
            all_sip,
            flows: HashMap::new(),
            tick: 0,
        }
    }

    /// How many directions are held now.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// Takes one segment. `at` names the input and frame; the flow and the
    /// offsets of what is found are filled in.
    pub fn segment(&mut self, seg: &Segment<'_>, at: &Location<'_>, sink: &mut dyn Sink) {
        self.tick += 1;
        let key = (seg.src, seg.dst);
        let h = seg.header;
        let at = Location {
            flow: Some(FlowId {
                transport: Transport::Tcp,
                src: seg.src,
                dst: seg.dst,
            }),
            ..*at
        };
        if !self.flows.contains_key(&key) {
            if seg.payload.is_empty() && !h.syn {
                return;
            }
            if self.flows.len() >= self.limits.max_flows {
                let oldest = self
                    .flows
                    .iter()
                    .min_by_key(|(_, f)| f.last_seen)
                    .map(|(k, _)| *k);
                if let Some(k) = oldest {
                    self.flows.remove(&k);
                    sink.skipped(&at, Skip::FlowEvicted);
                }
            }
            self.flows.insert(key, self.new_flow(&at));
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.last_seen = self.tick;
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
            } else {
                flow.hold(seq, seg.payload);
            }
            flow.deliver(&self.config, &self.limits, &at, sink);
        }
        if h.fin || h.rst {
            if let Some(f) = self.flows.remove(&key) {
                f.finish(&at, sink);
            }
        }
    }

    /// The input has ended: every flow still held that ended inside a
    /// message is reported as [`Skip::IncompleteAtEnd`], with its flow and
    /// the offset where that message started. The flows are dropped.
    pub fn finish(&mut self, file: &str, frame: Option<u64>, sink: &mut dyn Sink) {
        let mut flows: Vec<Flow> = self.flows.drain().map(|(_, f)| f).collect();
        // In the order the flows were last seen, so that reports are stable.
        flows.sort_by_key(|f| f.last_seen);
        for f in flows {
            let at = Location {
                file,
                frame,
                offset: 0,
                flow: Some(f.id),
            };
            f.finish(&at, sink);
        }
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
            next_seq: None,
            held: BTreeMap::new(),
            held_bytes: 0,
            delivered: 0,
            origin: 0,
            last_seen: 0,
        }
    }
}

impl Flow {
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

    /// Moves in-order segments to the decoder; declares a gap when the
    /// out-of-order data outgrows the window.
    fn deliver(
        &mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        loop {
            let Some(next) = self.next_seq else { return };
            let found = self.held.iter().find(|(&s, d)| {
                !seq_lt(next, s) && seq_lt(next, s.wrapping_add(d.len() as u32)) || s == next
            });
            let Some((&seq, _)) = found else {
                if self.held_bytes > limits.reorder_window {
                    // A hole that will not fill: skip to the earliest held segment.
                    let first = self.held.keys().copied().min_by(|a, b| {
                        if seq_lt(*a, *b) {
                            std::cmp::Ordering::Less
                        } else {
                            std::cmp::Ordering::Greater
                        }
                    });
                    sink.skipped(at, Skip::TcpGap);
                    self.next_seq = first;
                    if self.state != FlowState::NotSip {
                        self.state = FlowState::Resyncing;
                    }
                    self.buf.clear();
                    continue;
                }
                self.drop_stale(next, at, sink);
                return;
            };
            let data = self.held.remove(&seq).unwrap_or_default();
            self.held_bytes -= data.len();
            let skip = next.wrapping_sub(seq) as usize;
            let fresh = data.get(skip..).unwrap_or_default();
            self.next_seq = Some(next.wrapping_add(fresh.len() as u32));
            self.take(fresh, config, at, sink);
        }
    }

    /// Drops held segments wholly behind `next` (retransmitted).
    fn drop_stale(&mut self, next: u32, at: &Location<'_>, sink: &mut dyn Sink) {
        let stale: Vec<u32> = self
            .held
            .iter()
            .filter(|(&s, d)| !seq_lt(next, s.wrapping_add(d.len() as u32)) && s != next)
            .map(|(&s, _)| s)
            .collect();
        for s in stale {
            if let Some(d) = self.held.remove(&s) {
                self.held_bytes -= d.len();
                sink.skipped(at, Skip::TcpRetransmission);
            }
        }
    }

    /// Bytes that arrived in order.
    fn take(
        &mut self,
        fresh: &[u8],
        config: &ParserConfig,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        match self.state {
            FlowState::NotSip => {}
            FlowState::Resyncing if looks_like_sip(fresh) => {
                self.state = FlowState::Sip;
                self.restart(config);
                self.buf.extend_from_slice(fresh);
                self.delivered += fresh.len() as u64;
                self.drain(at, sink);
                return;
            }
            FlowState::Resyncing => {}
            FlowState::Probing => {
                // Gather the first line, then decide whether this is SIP.
                self.buf.extend_from_slice(fresh);
                self.delivered += fresh.len() as u64;
                if !probe_ready(&self.buf) {
                    return;
                }
                if looks_like_sip(&self.buf) {
                    self.state = FlowState::Sip;
                    self.drain(at, sink);
                } else {
                    self.state = FlowState::NotSip;
                    self.buf = BytesMut::new();
                }
                return;
            }
            FlowState::Sip => {
                self.buf.extend_from_slice(fresh);
                self.delivered += fresh.len() as u64;
                self.drain(at, sink);
                return;
            }
        }
        self.delivered += fresh.len() as u64;
    }

    /// A new decoder from the next byte on.
    fn restart(&mut self, config: &ParserConfig) {
        self.buf.clear();
        self.decoder = StreamDecoder::new(*config);
        self.origin = self.delivered;
    }

    fn drain(&mut self, at: &Location<'_>, sink: &mut dyn Sink) {
        let here = |offset: u64| Location {
            offset: self.origin + offset,
            ..*at
        };
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(Frame::Message(m))) => {
                    sink.message(&here(m.offset()), &m.message(), m.as_bytes().len())
                }
                Ok(Some(Frame::KeepAlive { offset })) => {
                    sink.skipped(&here(offset), Skip::KeepAlive)
                }
                Ok(None) => return,
                Err(e) => {
                    sink.malformed(&here(e.offset()), &e);
                    // Skip the rest of this flow until a segment starts a
                    // message (the decoder starts again there).
                    self.state = FlowState::Resyncing;
                    self.buf.clear();
                    return;
                }
            }
        }
    }

    /// The flow ended: a message cut off is reported where it started.
    fn finish(self, at: &Location<'_>, sink: &mut dyn Sink) {
        if self.state == FlowState::Sip && !self.decoder.is_between_messages(&self.buf) {
            let at = Location {
                offset: self.origin + self.decoder.stream_offset(),
                ..*at
            };
            sink.skipped(&at, Skip::IncompleteAtEnd);
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
        assert_eq!(got, ["bad request-uri @5"]);
    }

    #[test]
    fn a_gap_skips_to_the_next_start_line_and_never_guesses() {
        let limits = TcpLimits {
            max_flows: 16,
            reorder_window: 8,
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
        assert_eq!(got[0], "msg SIP/2.0 180 Ringing @0");
        assert!(got[1].starts_with("tcp-gaps"), "{got:?}");
        // The tail of B and the A after it were in the segment that did not
        // start a message: skipped. The next segment starts one: counted.
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[2].starts_with("msg SIP/2.0 180 Ringing"), "{got:?}");
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
        // Port 2 was evicted (1 was seen again): its bytes start a new flow.
        tcp.segment(&seg(1, 1, false, false, A), &at(), &mut r);
        assert_eq!(r.0.last().unwrap(), "msg SIP/2.0 180 Ringing @0");
    }
}
