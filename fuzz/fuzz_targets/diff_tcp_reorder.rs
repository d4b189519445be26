#![no_main]
//! TCP reassembly, in order versus shuffled: the same stream cut into the
//! same segments, delivered once in order and once in a random order with
//! duplicates and overlapping re-sends, must give the same messages, keep-
//! alives, errors and bytes skipped (up to the first malformed message,
//! after which the resumption point depends on where segments start, by
//! design), and the same report at the end. Junk between two messages may be
//! reported in several pieces when segments split it, so it is compared per
//! gap: where it began and how many bytes in all.
use std::collections::BTreeMap;
use std::net::SocketAddr;

use sipline::{Error, Message, ParserConfig};
use sipline_capture::__fuzzing::link::TcpHeader;
use sipline_capture::__fuzzing::reassembler::{Reassembler, Segment};
use sipline_capture::TcpLimits;
use sipline_capture::{Location, Sink, Skip};

#[derive(Default)]
struct Events {
    /// What was found, in order (junk apart).
    found: Vec<String>,
    /// Junk between messages: where each gap's began, and its bytes.
    junk: BTreeMap<u64, u64>,
    /// A malformed message was seen: what follows depends on the order.
    bad: bool,
}

impl Sink for Events {
    fn message(&mut self, at: &Location<'_>, m: &Message<'_>, len: usize) {
        self.found
            .push(format!("msg {} {} {len}", at.offset, m.head.start_line));
    }
    fn malformed(&mut self, at: &Location<'_>, e: &Error) {
        self.found.push(format!("bad {} {}", at.offset, e.kind()));
        self.bad = true;
    }
    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        if what != Skip::TcpRetransmission {
            self.found.push(format!("{} {}", what.name(), at.offset));
        }
    }
    // Gaps, junk between messages and bytes passed over: the same bytes,
    // from the same offsets, whatever the order the segments came in.
    fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        match what {
            Skip::JunkBetweenMessages if !self.bad => *self.junk.entry(at.offset).or_default() += n,
            Skip::JunkBetweenMessages => {}
            _ => self
                .found
                .push(format!("{} bytes {} {n}", what.name(), at.offset)),
        }
    }
}

/// The events up to and including the first malformed message.
fn until_malformed(mut v: Vec<String>) -> Vec<String> {
    if let Some(p) = v.iter().position(|e| e.starts_with("bad ")) {
        v.truncate(p + 1);
    }
    v
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn run(isn: u32, stream_len: usize, segs: &[(usize, &[u8])]) -> (Vec<String>, Vec<String>) {
    let src: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let dst: SocketAddr = "127.0.0.1:5060".parse().unwrap();
    let limits = TcpLimits {
        max_flows: 4,
        reorder_window: 1 << 20,
        ..TcpLimits::default()
    };
    let mut tcp = Reassembler::new(ParserConfig::default(), limits, false);
    let mut ev = Events::default();
    let at = Location {
        file: "f",
        frame: None,
        offset: 0,
        flow: None,
        time: None,
    };
    let header = |seq: u32, syn| TcpHeader {
        seq,
        syn,
        fin: false,
        rst: false,
    };
    tcp.segment(
        &Segment {
            src,
            dst,
            header: header(isn, true),
            payload: b"",
        },
        &at,
        &mut ev,
    );
    for &(off, payload) in segs {
        let seq = isn.wrapping_add(1).wrapping_add(off as u32);
        tcp.segment(
            &Segment {
                src,
                dst,
                header: header(seq, false),
                payload,
            },
            &at,
            &mut ev,
        );
    }
    let _ = stream_len;
    tcp.finish("f", None, &mut ev);
    let junk = ev
        .junk
        .iter()
        .map(|(at, n)| format!("junk {at} {n}"))
        .collect();
    (until_malformed(ev.found), junk)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let [seed, size, isn0, isn1, stream @ ..] = data else {
        return;
    };
    let stream = &stream[..stream.len().min(16 * 1024)];
    // Sequence numbers near the wrap-around too.
    let isn = u32::from_be_bytes([*isn0, *isn1, 0xff, 0xf0]);
    let size = usize::from(*size).max(1);
    let segs: Vec<(usize, &[u8])> = stream
        .chunks(size)
        .enumerate()
        .map(|(k, c)| (k * size, c))
        .collect();
    let want = run(isn, stream.len(), &segs);
    let mut rng = Rng(u64::from(*seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut shuffled = segs.clone();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i + 1));
    }
    // Duplicates and overlapping re-sends of bytes already in the stream.
    for _ in 0..rng.below(4) {
        if let Some(&s) = segs.get(rng.below(segs.len())) {
            let at = rng.below(shuffled.len() + 1);
            shuffled.insert(at, s);
        }
        if !stream.is_empty() {
            let a = rng.below(stream.len());
            let b = a + 1 + rng.below(stream.len() - a);
            let at = rng.below(shuffled.len() + 1);
            shuffled.insert(at, (a, &stream[a..b]));
        }
    }
    let got = run(isn, stream.len(), &shuffled);
    assert_eq!(want, got);
});
