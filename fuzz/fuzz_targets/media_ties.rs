#![no_main]
//! The SDP map on any sequence of messages and media packets: the input is
//! cut at each NUL byte into parts. A part that starts with `R` and holds
//! 12 more bytes is the first packet of a stream (source and destination,
//! IPv4 and port each) to tie; any other part is a datagram, fed when it
//! parses. The capture time grows with each part's first byte. No panic,
//! every bound of `SdpLimits` holds, and a stream is tied only to a call
//! that announced its destination and is not over.
use std::net::{Ipv4Addr, SocketAddr};

use sipline::{parse_datagram, Datagram, ParserConfig};
use sipline_calls::{SdpLimits, SdpMap, Tie};

fn addr(b: &[u8]) -> SocketAddr {
    let ip = Ipv4Addr::new(b[0], b[1], b[2], b[3]);
    SocketAddr::new(ip.into(), u16::from_be_bytes([b[4], b[5]]))
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = SdpLimits {
        max_calls: 3,
        attempts_per_call_id: 2,
        descriptions: 2,
        sections: 2,
        formats: 2,
        calls_per_address: 2,
    };
    let mut map = SdpMap::with_limits(limits);
    let mut time = 0.0;
    for part in data.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        time += f64::from(part[0] % 64) * 0.25;
        if part[0] == b'R' && part.len() >= 13 {
            let (src, dst) = (addr(&part[1..7]), addr(&part[7..13]));
            if let Tie::Call { call, media, .. } = map.tie(time, src, dst) {
                assert_eq!(media.rtp, dst);
                assert!(call.ended.is_none_or(|e| e >= time), "{call:?}");
                assert!(call.described.iter().any(|d| d.media.contains(media)));
            }
            continue;
        }
        if let Ok(Datagram::Message(m)) = parse_datagram(part, &ParserConfig::lenient()) {
            map.message(time, &m);
        }
        assert!(map.calls().count() <= 3 * 2);
        // Calls × attempts × descriptions × sections.
        assert!(map.addresses() <= 3 * 2 * 2 * 2, "{}", map.addresses());
        for c in map.calls() {
            assert!(c.described.len() <= 2);
            for d in &c.described {
                assert!(d.media.len() <= 2);
                assert!(d.media.iter().all(|m| m.formats.len() <= 2));
            }
        }
    }
});
