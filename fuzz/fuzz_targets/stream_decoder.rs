#![no_main]
use bytes::BytesMut;
use sipline::{parse_head_into, Frame, HeaderField, Parsed, ParserConfig, StreamDecoder};

/// Names the decoder's index has slots for, their compact forms, and
/// names that share a slot without being indexed.
const NAMES: [&str; 18] = [
    "Via",
    "v",
    "From",
    "To",
    "Call-ID",
    "i",
    "CSeq",
    "Max-Forwards",
    "Content-Type",
    "c",
    "Route",
    "Reason",
    "User-Agent",
    "Server",
    "Supported",
    "Subject",
    "s",
    "X-Nope",
];

// The decoder over the whole input, in both modes, with small limits so
// that they are reached; each message's indexed lookups equal the walk of
// a head parsed without the index.
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
                let mut fields = [HeaderField::EMPTY; 300];
                if let Ok(Parsed::Complete {
                    value: (walked, _), ..
                }) = parse_head_into(m.as_bytes(), &cfg, &mut fields)
                {
                    for n in NAMES {
                        assert_eq!(view.head.header(n), walked.header(n), "{n}");
                        assert!(
                            view.head.headers_named(n).eq(walked.headers_named(n)),
                            "{n}"
                        );
                    }
                }
            }
        }
    }
});
