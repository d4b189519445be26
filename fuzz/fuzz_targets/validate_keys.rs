#![no_main]
//! `validate()`, `validate_to_forward()`, `transaction_key()` and
//! `dialog_id()` on any framed message: no panic, offsets inside the head;
//! a key or dialog id that strict reads, lenient reads the same; an ACK
//! has the key of the same request sent as INVITE (§17.2.3 matches the ACK
//! to the INVITE's transaction); a dialog id is the same dialog seen from
//! the other side (tags swapped); a message that validates has a key and a
//! dialog id. A request that may be forwarded gets a response and a
//! forwarded copy written; both parse, validate and keep the transaction.
use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_message, Datagram, DialogId, Forward, ParserConfig, Response, StatusCode,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let lenient = match parse_datagram(data, &ParserConfig::lenient()) {
        Ok(Datagram::Message(m)) => Some(m.head),
        _ => None,
    };
    for (strict, cfg) in [
        (true, ParserConfig::strict()),
        (false, ParserConfig::lenient()),
    ] {
        let Ok(Datagram::Message(m)) = parse_datagram(data, &cfg) else {
            continue;
        };
        let head = m.head;
        if strict {
            // Lenient may read more (a loose address strict refuses), never
            // something else.
            let l = lenient.as_ref().expect("what strict reads, lenient reads");
            if let Ok(k) = head.transaction_key() {
                assert_eq!(l.transaction_key().ok(), Some(k));
            }
            if let Ok(d) = head.dialog_id() {
                assert_eq!(l.dialog_id().ok(), Some(d));
            }
        }
        // The same bytes with the method ACK spelt INVITE: the same key.
        if let (Some(r), Ok(k)) = (head.start_line.request(), head.transaction_key()) {
            if r.method == *"ACK" {
                let at = r.method.as_bytes().as_ptr() as usize - data.as_ptr() as usize;
                let mut invite = data[..at].to_vec();
                invite.extend_from_slice(b"INVITE");
                invite.extend_from_slice(&data[at + 3..]);
                if let Ok(Datagram::Message(i)) = parse_datagram(&invite, &cfg) {
                    assert_eq!(i.head.transaction_key().ok(), Some(k), "ACK and INVITE");
                }
            }
        }
        let len = head.len() as u64;
        // The comma count equals the parse wherever every Via parses.
        if head.get_all::<sipline::Via>().all(|v| v.is_ok()) {
            assert_eq!(head.via_count(), head.get_all::<sipline::Via>().count());
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
            Ok(_) => {}
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
            Ok(d) => {
                let other_side = DialogId {
                    from_tag: d.to_tag,
                    to_tag: d.from_tag,
                    ..d
                };
                assert!(d.same_dialog(&other_side) && other_side.same_dialog(&d));
            }
            Err(e) => {
                assert!(e.offset() <= len, "{e}");
                assert!(valid.is_err(), "valid, but no dialog id: {e}");
            }
        }
    }
});
