#![no_main]
use bytes::BytesMut;
use sipline::{Frame, ParserConfig, StreamDecoder};
// The decoder over the whole input, in both modes, with small limits so
// that they are reached.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for cfg in [
        ParserConfig::strict(),
        ParserConfig::lenient()
            .max_head_len(512)
            .max_headers(8)
            .max_body_len(256),
    ] {
        let mut dec = StreamDecoder::new(cfg);
        let mut buf = BytesMut::from(data);
        while let Ok(Some(f)) = dec.decode(&mut buf) {
            if let Frame::Message(m) = f {
                let view = m.message();
                assert_eq!(view.head.len() + view.body.len(), m.as_bytes().len());
                assert_eq!(view.head.headers().count(), view.head.header_count());
            }
        }
    }
});
