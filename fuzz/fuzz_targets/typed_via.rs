#![no_main]
//! Via on any bytes: every value parses or fails with an offset inside the
//! input, what parses prints back to a value that parses equal, and the
//! branch noted while parsing is the one the parameter walk finds.
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
        assert_eq!(via.branch(), via.param("branch").flatten(), "{text}");
        assert_eq!(again.branch(), via.branch(), "{text}");
        let _ = (
            via.branch(),
            via.received(),
            via.rport(),
            via.maddr(),
            via.ttl(),
        );
    }
});
