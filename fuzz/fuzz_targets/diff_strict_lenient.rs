#![no_main]
//! Whatever strict accepts, lenient accepts with the same value.
use sipline::{parse_datagram, parse_message, parse_status_line_with, Parsed, ParserConfig};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (strict, lenient) = (ParserConfig::strict(), ParserConfig::lenient());
    if let Ok(Parsed::Complete { value, consumed }) = parse_status_line_with(data, &strict) {
        assert_eq!(
            parse_status_line_with(data, &lenient),
            Ok(Parsed::Complete { value, consumed })
        );
    }
    if let Ok(Parsed::Complete { value, consumed }) = parse_message(data, &strict) {
        assert_eq!(
            parse_message(data, &lenient),
            Ok(Parsed::Complete { value, consumed })
        );
    }
    if let Ok(dg) = parse_datagram(data, &strict) {
        assert_eq!(parse_datagram(data, &lenient), Ok(dg));
    }
});
