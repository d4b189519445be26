#![no_main]
//! Via on any bytes: every value parses or fails with an offset inside the
//! input, and what parses prints back to a value that parses equal.
use sipline::parse_via;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for via in parse_via(data) {
        let via = match via {
            Ok(v) => v,
            Err(e) => {
                assert!(e.offset() <= data.len() as u64, "{e}");
                break;
            }
        };
        let text = via.to_string();
        let again = parse_via(text.as_bytes())
            .next()
            .expect("one value")
            .expect("own output parses");
        assert_eq!(again, via, "{text}");
        let _ = (
            via.branch(),
            via.received(),
            via.rport(),
            via.maddr(),
            via.ttl(),
        );
    }
});
