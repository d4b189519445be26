#![no_main]
//! `validate()`, `validate_to_forward()`, `transaction_key()` and
//! `dialog_id()` on any framed message: no panic, offsets inside the head,
//! a key equal to itself and to the key of the same bytes read leniently,
//! and a message that validates has a key and a dialog id whenever its top
//! Via, CSeq, Call-ID, From and To parse. A request that may be forwarded
//! gets a response and a forwarded copy written; both parse, validate and
//! keep the transaction.
use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_message, Datagram, Forward, ParserConfig, Response, StatusCode,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        let Ok(Datagram::Message(m)) = parse_datagram(data, &cfg) else {
            continue;
        };
        let head = m.head;
        let len = head.len() as u64;
        // The comma count equals the parse wherever every Via parses.
        if head.vias().all(|v| v.is_ok()) {
            assert_eq!(head.via_count(), head.vias().count());
        }
        let valid = head.validate();
        if let Err(e) = valid {
            assert!(e.offset() <= len, "{e}");
            let _ = e.to_string();
        }
        if let Err(e) = head.validate_to_forward() {
            assert!(e.offset() <= len, "{e}");
            if valid.is_ok() {
                assert_eq!(e.status().map(|s| s.as_u16()), Some(483));
            }
        }
        match head.transaction_key() {
            Ok(k) => assert_eq!(k, k),
            Err(e) => {
                assert!(e.offset() <= len, "{e}");
                assert!(valid.is_err(), "valid, but no key: {e}");
            }
        }
        if head.start_line.request().is_some() && head.validate_to_forward().is_ok() {
            let mut out = BytesMut::new();
            Response::new(&head, StatusCode::OK)
                .to_tag("fz1")
                .write(&mut out)
                .expect("a response to a valid request");
            let resp = parse_message(&out, &ParserConfig::lenient())
                .expect("own response parses")
                .value()
                .expect("complete");
            assert_eq!(resp.head.validate(), Ok(()));
            assert_eq!(resp.head.transaction_key(), head.transaction_key());
            let mut fwd = BytesMut::new();
            Forward::new(&head)
                .via(b"SIP/2.0/UDP fz.invalid;branch=z9hG4bKfz")
                .pop_route()
                .record_route(b"<sip:fz.invalid;lr>")
                .write(&mut fwd, m.body)
                .expect("a valid request forwards");
            let f = parse_message(&fwd, &ParserConfig::lenient())
                .expect("own forward parses")
                .value()
                .expect("complete");
            assert_eq!(f.head.validate(), Ok(()));
            assert_eq!(f.body, m.body);
        }
        match head.dialog_id() {
            Ok(d) => assert!(d.same_dialog(&d)),
            Err(e) => {
                assert!(e.offset() <= len, "{e}");
                assert!(valid.is_err(), "valid, but no dialog id: {e}");
            }
        }
    }
});
