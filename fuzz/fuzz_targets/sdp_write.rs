#![no_main]
//! SDP write-then-parse: a body that parses, rewritten with edits drawn
//! from the input's first bytes (connection address, origin, a media
//! description's port, formats, direction, RTCP port, own address), parses
//! again under the same configuration to exactly what was asked, with the
//! same number of media descriptions; an edit the body cannot take is
//! refused and nothing is written.
use bytes::BytesMut;
use sipline::sdp::{parse_sdp, Direction, SdpWriter};
use sipline::ParserConfig;

const ADDRESSES: [&str; 4] = ["192.0.2.77", "2001:db8::9", "sbc.example.net", "10.0.0.1"];
const DIRECTIONS: [Direction; 4] = [
    Direction::SendRecv,
    Direction::SendOnly,
    Direction::RecvOnly,
    Direction::Inactive,
];

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let [flags, index, port_hi, port_lo, pick, data @ ..] = input else {
        return;
    };
    let cfg = if flags & 1 == 0 {
        ParserConfig::strict()
    } else {
        ParserConfig::lenient()
    };
    let Ok(sdp) = parse_sdp(data, &cfg) else {
        return;
    };
    let index = usize::from(*index % 4);
    let port = u16::from_be_bytes([*port_hi, *port_lo]);
    let address = ADDRESSES[usize::from(pick % 4)];
    let direction = DIRECTIONS[usize::from((pick >> 2) % 4)];
    // Formats to keep: the media description's, rotated and trimmed.
    let media = sdp.media().nth(index);
    let formats: Vec<&str> = media
        .map(|m| {
            let all: Vec<&str> = m.line().formats().collect();
            let k = usize::from(pick >> 4) % all.len().max(1);
            let mut v: Vec<&str> = all
                .iter()
                .cycle()
                .skip(k)
                .take(all.len())
                .copied()
                .collect();
            v.truncate(1 + usize::from(flags >> 4) % all.len().max(1));
            v
        })
        .unwrap_or_default();
    let mut w = SdpWriter::new(&sdp);
    if flags & 2 != 0 {
        w = w.connection_address(address);
    }
    if flags & 4 != 0 {
        w = w.origin(Some(address), Some(u64::from(port)));
    }
    if flags & 8 != 0 {
        w = w.port(index, port).direction(index, direction);
    }
    if flags & 16 != 0 {
        w = w.formats(index, &formats);
    }
    if flags & 32 != 0 {
        w = w.media_connection_address(index, ADDRESSES[usize::from(pick % 3)]);
    }
    if flags & 64 != 0 {
        w = w.rtcp_port(index, port);
    }
    let mut out = BytesMut::new();
    if w.write(&mut out).is_err() {
        assert!(out.is_empty());
        assert!(media.is_none() || (flags & 16 != 0 && formats.is_empty()));
        return;
    }
    let again = parse_sdp(&out, &cfg)
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&out)));
    assert_eq!(again.media_count(), sdp.media_count());
    if flags & 4 != 0 {
        if let Some(o) = again.origin() {
            assert_eq!(o.address, address);
            assert_eq!(o.session_version, port.to_string());
        }
    }
    let Some(m) = again.media().nth(index) else {
        return;
    };
    if flags & 8 != 0 {
        assert_eq!(m.line().port, port);
        assert_eq!(m.direction(), direction);
    }
    if flags & 16 != 0 {
        assert_eq!(m.line().formats().collect::<Vec<_>>(), formats);
    }
    if flags & 32 != 0 {
        assert_eq!(
            m.connection().map(|c| c.address),
            Some(ADDRESSES[usize::from(pick % 3)])
        );
    } else if flags & 2 != 0 {
        if let Some(c) = m.own_connection() {
            assert_eq!(c.address, address);
        }
    }
});
