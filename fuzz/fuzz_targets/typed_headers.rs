#![no_main]
//! The typed header parsers on any bytes: Via (every value), CSeq,
//! Max-Forwards, Call-ID. Whatever they accept, Display writes back in a form
//! that parses to the same value.
use sipline::{parse_call_id, parse_cseq, parse_max_forwards, parse_via};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for via in parse_via(data).flatten() {
        let text = via.to_string();
        let again = parse_via(text.as_bytes()).next().expect("one value").expect("own output parses");
        assert_eq!(again, via, "{text}");
    }
    if let Ok(c) = parse_cseq(data) {
        assert!(c.number < 1 << 31);
        assert_eq!(parse_cseq(c.to_string().as_bytes()), Ok(c));
    }
    let _ = parse_max_forwards(data);
    if let Ok(id) = parse_call_id(data) {
        assert!(!id.is_empty());
    }
});
