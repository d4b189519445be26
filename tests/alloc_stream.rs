//! Framing a stream allocates nothing per message beyond what `BytesMut`
//! needs: with the buffer's capacity reserved up front, decoding a thousand
//! messages makes at most one allocation (the shared header `BytesMut`
//! creates on its first split).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use sipline::{parse_message, Frame, Framing, ParserConfig, StreamDecoder};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn framing_allocates_nothing_per_message() {
    let mut rng = common::Rng(42);
    let mut stream = Vec::new();
    for i in 0..1000 {
        stream.extend_from_slice(&common::generated_message(i, &mut rng));
    }
    let mut buf = BytesMut::with_capacity(stream.len());
    let mut dec = StreamDecoder::new(ParserConfig::strict());
    let before = ALLOCS.load(Ordering::SeqCst);
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
    let allocs = ALLOCS.load(Ordering::SeqCst) - before;
    assert_eq!(n, 1000);
    assert!(headers >= 3000);
    assert!(allocs <= 1, "{allocs} allocations for 1000 messages");

    // The borrowed parser allocates nothing at all.
    let before = ALLOCS.load(Ordering::SeqCst);
    let mut at = 0;
    while at < stream.len() {
        let p = parse_message(&stream[at..], Framing::Stream, &ParserConfig::strict()).unwrap();
        at += p.consumed().unwrap();
    }
    assert_eq!(ALLOCS.load(Ordering::SeqCst) - before, 0);
}
