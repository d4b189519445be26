#![no_main]
use sipline::{parse_head, ParserConfig, Parsed};
// Heads in both modes; a complete head's fields are walked to the end.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        if let Ok(Parsed::Complete { value, consumed }) = parse_head(data, &cfg) {
            assert!(consumed <= data.len());
            assert_eq!(value.headers().count(), value.header_count());
            let _ = value.header("Content-Length");
        }
    }
});
