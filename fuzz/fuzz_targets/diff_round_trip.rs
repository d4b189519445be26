#![no_main]
//! Round trip: what Display and the encoder write parses back to the same value.
use bytes::BytesMut;
use sipline::{parse_status_line_with, Frame, Parsed, ParserConfig, StatusCode, StreamDecoder};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let cfg = ParserConfig::lenient();
    if let Ok(Parsed::Complete { value, .. }) = parse_status_line_with(data, &cfg) {
        if value.reason.as_str().is_some() {
            let text = format!("{value}\r\n");
            let again = parse_status_line_with(text.as_bytes(), &cfg).expect("own output parses");
            let again = again.value().expect("complete");
            assert_eq!(again.code, value.code);
            assert_eq!(again.reason, value.reason);
        }
        let code = value.code.as_u16().to_string();
        assert_eq!(code.parse::<StatusCode>().ok(), Some(value.code));
    }
    // Messages written back out unchanged decode to the same messages.
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::from(data);
    let mut out = Vec::new();
    let mut msgs = Vec::new();
    while let Ok(Some(f)) = dec.decode(&mut buf) {
        if let Frame::Message(m) = f {
            out.extend_from_slice(m.as_bytes());
            msgs.push(m.into_bytes());
        }
    }
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::from(&out[..]);
    for m in msgs {
        match dec.decode(&mut buf) {
            Ok(Some(Frame::Message(again))) => assert_eq!(again.into_bytes(), m),
            other => panic!("re-encoded message did not decode: {other:?}"),
        }
    }
});
