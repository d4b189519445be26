#![no_main]
//! SDP bodies (`sipline::sdp`) on any bytes, strict and lenient: no panic;
//! errors point inside the body; what strict accepts lenient accepts too;
//! every slice and span a view returns lies inside the body; a writer with
//! no change gives the body back byte for byte; offer/answer matching of
//! the body with itself never fails on the count.
use bytes::BytesMut;
use sipline::sdp::{negotiate, parse_sdp, SdpWriter};
use sipline::ParserConfig;

fn inside(data: &[u8], s: &[u8]) {
    let (start, end) = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
    let p = s.as_ptr() as usize;
    assert!(s.is_empty() || (p >= start && p + s.len() <= end));
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let strict = parse_sdp(data, &ParserConfig::strict());
    let lenient = parse_sdp(data, &ParserConfig::lenient());
    if strict.is_ok() {
        assert!(lenient.is_ok(), "{lenient:?}");
    }
    for r in [&strict, &lenient] {
        let sdp = match r {
            Ok(s) => s,
            Err(e) => {
                assert!(e.offset() <= data.len() as u64, "{e}");
                continue;
            }
        };
        for l in sdp.lines() {
            inside(data, l.value);
            assert!(l.at < l.end && l.end <= data.len());
        }
        let mut n = 0;
        for m in sdp.media() {
            n += 1;
            let (a, b) = m.span();
            assert!(a < b && b <= data.len());
            inside(data, m.line().formats.as_bytes());
            assert!(m.line().formats().count() >= 1);
            let _ = (
                m.direction(),
                m.rtcp_port(),
                m.ptime_us(),
                m.mid(),
                m.connection(),
            );
            for map in m.rtpmaps() {
                assert!(map.payload_type < 128 && map.clock_rate > 0);
                assert_eq!(
                    m.codec(map.payload_type).map(|c| c.payload_type),
                    Some(map.payload_type)
                );
            }
            if let Some(c) = m.connection() {
                inside(data, c.address.as_bytes());
            }
        }
        assert_eq!(n, sdp.media_count());
        let mut out = BytesMut::new();
        SdpWriter::new(sdp).write(&mut out).unwrap();
        assert_eq!(&out[..], data);
        let pairs = negotiate(sdp, sdp);
        assert!(!matches!(
            pairs,
            Err(sipline::sdp::NegotiationError::MediaCount { .. })
        ));
    }
});
