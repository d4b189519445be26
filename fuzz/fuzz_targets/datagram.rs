#![no_main]
use sipline::{parse_datagram, Datagram, ParserConfig};
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        // What the capture reader hands to media unparsed: RTP's first byte.
        if data.first().is_some_and(|b| (0x80..=0xBF).contains(b)) {
            assert!(parse_datagram(data, &cfg).is_err());
        }
        if let Ok(Datagram::Message(m)) = parse_datagram(data, &cfg) {
            assert!(m.head.len() + m.body.len() <= data.len());
            if let Some(cl) = m.head.content_length() {
                assert_eq!(m.body.len() as u64, cl);
            }
        }
    }
});
