#![no_main]
use sipline::{parse_sipfrag, ParserConfig};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        if let Ok(f) = parse_sipfrag(data, &cfg) {
            assert_eq!(f.headers().count(), f.header_count());
        }
    }
});
