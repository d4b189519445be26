#![no_main]
//! Whatever strict accepts, lenient accepts with the same value.
use sipline::{parse_message, Framing, ParserConfig, Parsed};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (strict, lenient) = (ParserConfig::strict(), ParserConfig::lenient());
    if let Ok(Parsed::Complete { value, consumed }) = strict.parse_status_line(data) {
        assert_eq!(lenient.parse_status_line(data), Ok(Parsed::Complete { value, consumed }));
    }
    for framing in [Framing::Stream, Framing::Datagram] {
        if let Ok(Parsed::Complete { value, consumed }) = parse_message(data, framing, &strict) {
            let l = parse_message(data, framing, &lenient);
            assert_eq!(l, Ok(Parsed::Complete { value, consumed }));
        }
    }
});
