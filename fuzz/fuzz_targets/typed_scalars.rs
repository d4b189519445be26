#![no_main]
//! The single-valued typed headers on any bytes: CSeq, Max-Forwards,
//! Call-ID, Date. What parses prints back equal; errors point inside.
use sipline::{parse_call_id, parse_cseq, parse_date, parse_max_forwards};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let inside = |e: sipline::Error| assert!(e.offset() <= data.len() as u64, "{e}");
    match parse_cseq(data) {
        Ok(c) => {
            assert!(c.number < 1 << 31);
            assert_eq!(parse_cseq(c.to_string().as_bytes()), Ok(c));
        }
        Err(e) => inside(e),
    }
    match parse_max_forwards(data) {
        Ok(n) => assert_eq!(parse_max_forwards(n.to_string().as_bytes()), Ok(n)),
        Err(e) => inside(e),
    }
    match parse_call_id(data) {
        Ok(id) => assert_eq!(parse_call_id(id), Ok(id)),
        Err(e) => inside(e),
    }
    match parse_date(data) {
        Ok(d) => assert!(d.month >= 1 && d.month <= 12 && d.day >= 1 && d.hour < 24),
        Err(e) => inside(e),
    }
});
