//! TCP reassembly for every direction of every connection: the table of
//! directions, and each segment sent to its direction to be put in order
//! (`reorder.rs`) and read as SIP (`stream.rs`).
//!
//! [`StreamDecoder`]: sipline::StreamDecoder
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

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use lru::LruCache;
use sipline::ParserConfig;

use crate::decode::link::TcpHeader;
use crate::sink::{FlowId, Location, Sink, Skip, Transport};
use crate::tcp::limits::TcpLimits;
use crate::tcp::reorder::seq_lt;
use crate::tcp::stream::Flow;

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

/// A direction's key: both addresses as 128-bit numbers (IPv4 mapped into
/// IPv6), each in two halves so that the key is 8-byte aligned (40 bytes,
/// not 48: it is stored once per direction), and both ports, which hashes
/// in a few instructions (hashing two `SocketAddr`s field by field cost 6 %
/// of short flows). With the family kept in the flow it gives the
/// direction's [`FlowId`] back, so the flow does not store that too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    src: (u64, u64),
    dst: (u64, u64),
    ports: u32,
}

impl Key {
    fn new(src: SocketAddr, dst: SocketAddr) -> Key {
        let bits = |a: SocketAddr| {
            let b = match a.ip() {
                IpAddr::V4(v4) => v4.to_ipv6_mapped().to_bits(),
                IpAddr::V6(v6) => v6.to_bits(),
            };
            ((b >> 64) as u64, b as u64)
        };
        Key {
            src: bits(src),
            dst: bits(dst),
            ports: (u32::from(src.port()) << 16) | u32::from(dst.port()),
        }
    }

    /// The direction this key was made from: its addresses are IPv6 when
    /// `v6`, else IPv4 (both of a segment are of one family).
    fn id(&self, v6: bool) -> FlowId {
        let addr = |(hi, lo): (u64, u64), port: u32| {
            let v6addr = Ipv6Addr::from_bits((u128::from(hi) << 64) | u128::from(lo));
            let ip = match v6addr.to_ipv4_mapped() {
                Some(v4) if !v6 => IpAddr::V4(v4),
                _ => IpAddr::V6(v6addr),
            };
            SocketAddr::new(ip, port as u16)
        };
        FlowId {
            transport: Transport::Tcp,
            src: addr(self.src, self.ports >> 16),
            dst: addr(self.dst, self.ports & 0xffff),
        }
    }
}

/// TCP reassembly for every direction of every connection of one input.
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
            let mut flow = Flow::new(seg.src.is_ipv6(), self.config, self.all_sip, at.time);
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
            } else if seq == next && flow.held.is_none() {
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
        if let Some((key, f)) = self.flows.pop_lru() {
            self.memory = self.memory.saturating_sub(f.memory());
            let at = Location {
                flow: Some(key.id(f.v6)),
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
            if let Some((key, f)) = self.flows.pop_lru() {
                self.memory = self.memory.saturating_sub(f.memory());
                let at = Location {
                    flow: Some(key.id(f.v6)),
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
        while let Some((key, f)) = self.flows.pop_lru() {
            let at = Location {
                file,
                frame,
                offset: 0,
                flow: Some(key.id(f.v6)),
                time: f.last_time,
            };
            f.finish(&self.config, &self.limits, &at, sink);
        }
        self.memory = 0;
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

    /// A malformed message's bytes, from its first byte, whatever segments
    /// it came in: what a sink salvages its fields from.
    /// The key gives back the direction it was made from, in either
    /// family (an IPv4-mapped IPv6 address stays IPv6), and it is smaller
    /// than the two addresses it replaces in each flow.
    #[test]
    fn key_gives_back_its_direction() {
        let v4 = (
            SocketAddr::from(([192, 0, 2, 1], 5060)),
            SocketAddr::from(([198, 51, 100, 7], 65535)),
        );
        let v6 = (
            "[2001:db8::1]:5061".parse().unwrap(),
            "[::1]:1".parse().unwrap(),
        );
        let mapped = (
            "[::ffff:192.0.2.1]:5060".parse().unwrap(),
            "[::ffff:198.51.100.7]:0".parse().unwrap(),
        );
        for (src, dst) in [v4, v6, mapped] {
            let id = Key::new(src, dst).id(src.is_ipv6());
            assert_eq!((id.transport, id.src, id.dst), (Transport::Tcp, src, dst));
        }
        assert_ne!(Key::new(v4.0, v4.1), Key::new(v4.1, v4.0));
        assert_eq!(std::mem::size_of::<Key>(), 40);
        // Up to `max_flows` of these are held at once (BENCHMARKS.md, the
        // flow table): a field added to every direction shows here.
        assert!(std::mem::size_of::<Flow>() <= 568);
    }

    #[test]
    fn a_malformed_message_comes_with_its_bytes() {
        #[derive(Default)]
        struct Bytes(Vec<(u64, Vec<u8>)>);
        impl Sink for Bytes {
            fn message(&mut self, _: &Location<'_>, _: &Message<'_>, _: usize) {}
            fn malformed(&mut self, _: &Location<'_>, _: &Error) {
                panic!("readers call malformed_bytes")
            }
            fn malformed_bytes(&mut self, at: &Location<'_>, _: &Error, b: &[u8]) {
                self.0.push((at.offset, b.to_vec()));
            }
            fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
        }
        let bad = b"OPTIONS sip:h SIP/2.0\r\nCall-ID: split-here\r\nContent-Length: x\r\n\r\n";
        let mut tcp = new();
        let mut sink = Bytes::default();
        let first = A.len() as u32 + 30;
        let mut stream = A.to_vec();
        stream.extend_from_slice(bad);
        let (one, two) = stream.split_at(first as usize);
        for s in [
            seg(4000, 1, true, false, b""),
            seg(4000, 2, false, false, one),
            seg(4000, 2 + first, false, false, two),
        ] {
            tcp.segment(&s, &at(), &mut sink);
        }
        let [(offset, bytes)] = &sink.0[..] else {
            panic!("{:?}", sink.0.len())
        };
        assert!(
            bytes.starts_with(b"OPTIONS sip:h"),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert!(*offset > A.len() as u64);
        let s = sipline::salvage(bytes, &ParserConfig::default());
        assert_eq!(
            s.header("Call-ID").map(|f| f.value),
            Some(&b"split-here"[..])
        );
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

/// The examples of this file's items, run as unit tests: the items are
/// internal to the crate, so their examples cannot be doctests.
#[cfg(test)]
mod examples {
    #[test]
    fn reassembler() {
        use crate::decode::link::TcpHeader;
        use crate::tcp::{
            limits::TcpLimits,
            reassembler::{Reassembler, Segment},
        };
        use crate::{Location, Sink, Skip};
        use sipline::ParserConfig;

        #[derive(Default)]
        struct Codes(Vec<u16>);
        impl Sink for Codes {
            fn message(&mut self, _: &Location, m: &sipline::Message, _: usize) {
                self.0
                    .push(m.head.start_line.status().map_or(0, |s| s.code.as_u16()));
            }
            fn malformed(&mut self, _: &Location, _: &sipline::Error) {}
            fn skipped(&mut self, _: &Location, _: Skip) {}
        }

        let msg = b"SIP/2.0 180 Ringing\r\nl: 0\r\n\r\n";
        let (src, dst) = (
            "127.0.0.1:5060".parse().unwrap(),
            "127.0.0.1:4000".parse().unwrap(),
        );
        let seg = |seq: u32, syn, payload| Segment {
            src,
            dst,
            payload,
            header: TcpHeader {
                seq,
                syn,
                fin: false,
                rst: false,
            },
        };
        let mut tcp = Reassembler::new(ParserConfig::default(), TcpLimits::default(), false);
        let mut sink = Codes::default();
        let at = Location {
            file: "example",
            frame: None,
            offset: 0,
            flow: None,
            time: None,
        };
        tcp.segment(&seg(99, true, b""), &at, &mut sink);
        // The second half arrives first: held until the first fills the hole.
        tcp.segment(&seg(110, false, &msg[10..]), &at, &mut sink);
        assert!(sink.0.is_empty());
        tcp.segment(&seg(100, false, &msg[..10]), &at, &mut sink);
        assert_eq!(sink.0, [180]);
    }
}
