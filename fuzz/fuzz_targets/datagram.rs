#![no_main]
use sipline::{parse_datagram, Datagram, ParserConfig};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        if let Ok(Datagram::Message(m)) = parse_datagram(data, &cfg) {
            assert!(m.head.len() + m.body.len() <= data.len());
            if let Some(cl) = m.head.content_length() {
                assert_eq!(m.body.len() as u64, cl);
            }
        }
    }
});
