//! Feeds a stream of 200 SIP responses (75 KB) to a `StreamDecoder` whole,
//! or one byte per call as a slow peer would, and counts the messages: the
//! harness for counting the decoder's instructions per byte with callgrind
//! (BENCHMARKS.md), a figure this noisy machine's wall clock cannot give.
//!
//! ```sh
//! cargo build --release --example feed
//! for m in build whole feed byte; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/feed $m
//! done
//! ```
//! `build` and `feed` do the same without decoding (whole, and a byte at a
//! time): the decoder's share is `whole − build` and `byte − feed`.

use bytes::BytesMut;
use sipline::{Frame, StreamDecoder};

fn response(i: usize) -> Vec<u8> {
    format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds{i};received=192.0.2.1\r\n\
         To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf{i}\r\nFrom: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
         Call-ID: a84b4c76e66710@pc33.atlanta.example.com{i}\r\nCSeq: 314159 INVITE\r\nContact: <sip:bob@192.0.2.4>\r\n\
         Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"
    )
    .into_bytes()
}

/// Every frame the buffered bytes make; the messages among them. Inlined
/// into the loops, so that what is counted is `decode`, not a call of this
/// function per byte (its frame set-up was ~21 instructions per byte).
#[inline(always)]
fn drain(d: &mut StreamDecoder, buf: &mut BytesMut) -> usize {
    let mut n = 0;
    while let Ok(Some(f)) = d.decode(buf) {
        n += usize::from(matches!(f, Frame::Message(_)));
    }
    n
}

fn main() {
    let stream: Vec<u8> = (0..200).flat_map(response).collect();
    let mode = std::env::args().nth(1).unwrap_or_else(|| "whole".into());
    let mut d = StreamDecoder::default();
    let mut buf = BytesMut::with_capacity(stream.len());
    let mut n = 0;
    match mode.as_str() {
        "build" => buf.extend_from_slice(&stream),
        "feed" => {
            for b in &stream {
                buf.extend_from_slice(std::slice::from_ref(b));
            }
        }
        "byte" => {
            for b in &stream {
                buf.extend_from_slice(std::slice::from_ref(b));
                n += drain(&mut d, &mut buf);
            }
        }
        _ => {
            buf.extend_from_slice(&stream);
            n = drain(&mut d, &mut buf);
        }
    }
    std::hint::black_box(&buf);
    println!("{mode}: {n} messages in {} bytes", stream.len());
}
