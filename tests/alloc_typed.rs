//! Typed header access allocates nothing (its own test binary, so that no
//! other test allocates while it counts).

mod common;

use std::sync::atomic::Ordering;

use sipline::{parse_head, ParserConfig};

#[global_allocator]
static ALLOC: common::Counting = common::Counting;

#[test]
fn typed_access_allocates_nothing() {
    let buf = b"INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1;rport, SIP/2.0/TCP p2;received=192.0.2.1\r\n\
v: SIP/2.0/UDP p3;branch=z9hG4bK3\r\nCall-ID: x@y\r\nCSeq: 2 INVITE\r\nMax-Forwards: 69\r\nl: 0\r\n\r\n";
    let cfg = ParserConfig::strict();
    let before = common::ALLOCS.load(Ordering::SeqCst);
    let head = parse_head(buf, &cfg).unwrap().value().unwrap();
    let mut branches = 0;
    for via in head.vias() {
        let via = via.unwrap();
        branches += usize::from(via.branch().is_some());
        let _ = (via.host, via.port, via.rport(), via.received());
    }
    let cseq = head.cseq().unwrap().unwrap();
    let call_id = head.call_id().unwrap().unwrap();
    let mf = head.max_forwards().unwrap().unwrap();
    let after = common::ALLOCS.load(Ordering::SeqCst);
    assert_eq!(
        (branches, cseq.number, call_id, mf),
        (2, 2, &b"x@y"[..], 69)
    );
    assert_eq!(after - before, 0, "allocations during typed access");
}
