//! Framing a stream allocates nothing per message beyond what `BytesMut`
//! needs: with the buffer's capacity reserved up front, decoding a thousand
//! messages makes at most one allocation (the shared header `BytesMut`
//! creates on its first split).

mod common;

use std::sync::atomic::Ordering;

use bytes::BytesMut;
use sipline::{parse_message, Frame, ParserConfig, StreamDecoder};

#[global_allocator]
static GLOBAL: common::Counting = common::Counting;

#[test]
fn framing_allocates_nothing_per_message() {
    let mut rng = common::Rng(42);
    let mut stream = Vec::new();
    for i in 0..1000 {
        stream.extend_from_slice(&common::generated_message(i, &mut rng));
    }
    let mut buf = BytesMut::with_capacity(stream.len());
    let mut dec = StreamDecoder::new(ParserConfig::strict());
    let before = common::ALLOCS.load(Ordering::SeqCst);
    let mut n = 0;
    let mut headers = 0;
    for chunk in stream.chunks(1460) {
        buf.extend_from_slice(chunk);
        while let Ok(Some(frame)) = dec.decode(&mut buf) {
            if let Frame::Message(m) = frame {
                headers += m.head().headers().count();
                n += 1;
            }
        }
    }
    let allocs = common::ALLOCS.load(Ordering::SeqCst) - before;
    assert_eq!(n, 1000);
    assert!(headers >= 3000);
    assert!(allocs <= 1, "{allocs} allocations for 1000 messages");

    // The borrowed parser allocates nothing at all.
    let before = common::ALLOCS.load(Ordering::SeqCst);
    let mut at = 0;
    while at < stream.len() {
        let p = parse_message(&stream[at..], &ParserConfig::strict()).unwrap();
        at += p.consumed().unwrap();
    }
    assert_eq!(common::ALLOCS.load(Ordering::SeqCst) - before, 0);
}
