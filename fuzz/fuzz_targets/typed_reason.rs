#![no_main]
//! Reason (RFC 3326) on any bytes: what parses prints back to the same
//! protocol, cause and text; errors point inside the input.
use sipline::parse_reason;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for r in parse_reason(data) {
        match r {
            Ok(r) => {
                let text = r.to_string();
                let again = parse_reason(text.as_bytes())
                    .next()
                    .expect("one value")
                    .expect("own output parses");
                assert_eq!(
                    (again.protocol, again.cause, again.text),
                    (r.protocol, r.cause, r.text),
                    "{text}"
                );
            }
            Err(e) => assert!(e.offset() <= data.len() as u64, "{e}"),
        }
    }
});
