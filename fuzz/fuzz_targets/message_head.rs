#![no_main]
use sipline::{parse_head, parse_head_into, HeaderField, Parsed, ParserConfig};
// Heads in both modes; a complete head's fields are walked to the end.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        if let Ok(Parsed::Complete { value, consumed }) = parse_head(data, &cfg) {
            assert!(consumed <= data.len());
            assert_eq!(value.headers().count(), value.header_count());
            let _ = value.header("Content-Length");
            // The one-pass form finds the same fields as the walk.
            let mut fields = [HeaderField::EMPTY; 300];
            if let Ok(Parsed::Complete {
                value: (head, n), ..
            }) = parse_head_into(data, &cfg, &mut fields)
            {
                assert_eq!(head, value);
                assert!(value.headers().eq(fields[..n].iter().copied()));
            }
        }
    }
});
