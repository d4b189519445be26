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
    for via in head.get_all::<sipline::Via>() {
        let via = via.unwrap();
        branches += usize::from(via.branch().is_some());
        let _ = (via.host, via.port, via.rport(), via.received());
    }
    let cseq = head.get::<sipline::CSeq>().unwrap().unwrap();
    let call_id = head.get::<sipline::header::CallId>().unwrap().unwrap();
    let mf = head.get::<sipline::header::MaxForwards>().unwrap().unwrap();
    let after = common::ALLOCS.load(Ordering::SeqCst);
    assert_eq!(
        (branches, cseq.number, call_id, mf),
        (2, 2, &b"x@y"[..], 69)
    );
    assert_eq!(after - before, 0, "allocations during typed access");
    // In the same test: tests of one binary run in parallel, and the
    // counter is global.
    addresses_keys_and_validation_allocate_nothing();
}

fn addresses_keys_and_validation_allocate_nothing() {
    let buf = b"INVITE sip:bob@biloxi.com;transport=tcp SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\n\
To: \"Bob\" <sip:bob@biloxi.com>\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\nCSeq: 314159 INVITE\r\n\
Contact: <sip:alice@[2001:db8::1]:5070>;expires=60, <sip:alice@192.0.2.1>\r\n\
Route: <sip:p1.example.com;lr>\r\nReason: Q.850;cause=16;text=\"x\"\r\nContent-Length: 0\r\n\r\n";
    let cfg = ParserConfig::strict();
    let before = common::ALLOCS.load(Ordering::SeqCst);
    let head = parse_head(buf, &cfg).unwrap().value().unwrap();
    let from = head.get::<sipline::header::From>().unwrap().unwrap();
    let to = head.get::<sipline::header::To>().unwrap().unwrap();
    let contacts = head
        .get_all::<sipline::Contact>()
        .filter(|c| c.is_ok())
        .count();
    let routes = head.get_all::<sipline::header::Route>().count();
    let cause = head
        .get_all::<sipline::Reason>()
        .next()
        .unwrap()
        .unwrap()
        .q850_cause();
    let key = head.transaction_key().unwrap();
    let dialog = head.dialog_id().unwrap();
    let valid = head.validate_to_forward();
    let after = common::ALLOCS.load(Ordering::SeqCst);
    assert_eq!(
        (from.tag(), to.display_name),
        (Some("1928301774"), Some("Bob"))
    );
    assert_eq!((contacts, routes, cause), (2, 1, Some(16)));
    assert!(matches!(key, sipline::TransactionKey::Rfc3261 { .. }));
    assert_eq!(dialog.from_tag, Some("1928301774"));
    assert_eq!(valid, Ok(()));
    assert_eq!(
        after - before,
        0,
        "allocations during address, key and validation access"
    );
}
