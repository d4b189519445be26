//! Writing messages: responses built from requests (RFC 3261 §8.2.6) and
//! the edits of a forwarding proxy (§16.6), checked by parsing what was
//! written, on hand-made requests and on every request of the corpus.

mod common;

use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_head, parse_message, Datagram, ErrorKind, Forward, Head, ParserConfig,
    Response, StatusCode, WriteError,
};

fn head(buf: &[u8]) -> Head<'_> {
    parse_head(buf, &ParserConfig::lenient())
        .unwrap()
        .value()
        .unwrap()
}

fn strict_message(buf: &[u8]) -> sipline::Message<'_> {
    parse_message(buf, &ParserConfig::strict())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(buf)))
        .value()
        .unwrap()
}

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2\r\n\
v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bKnashds8, SIP/2.0/UDP x.example.com\r\n\
Max-Forwards: 69\r\nTo: \"Bob;tag=nope\" <sip:bob@biloxi.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 314159 INVITE\r\nTimestamp: 54\r\n\
Record-Route: <sip:bigbox3.site3.atlanta.com;lr>\r\nContact: <sip:alice@pc33.atlanta.com>\r\n\
Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";

#[test]
fn responses_copy_what_8_2_6_says() {
    let req = head(INVITE);
    for (code, tag_added, rr, ts) in [
        (100, false, false, true),
        (180, true, true, false),
        (200, true, true, false),
        (486, true, false, false),
    ] {
        let mut out = BytesMut::new();
        Response::new(&req, StatusCode::from_u16(code).unwrap())
            .to_tag("a6c85cf")
            .header("Contact", b"<sip:bob@192.0.2.4>")
            .write(&mut out)
            .unwrap();
        let resp = strict_message(&out);
        let h = resp.head;
        assert_eq!(h.start_line.status().unwrap().code, code);
        assert_eq!(h.validate(), Ok(()), "{code}");
        // The same transaction and the same Via list, in order.
        assert_eq!(h.transaction_key().unwrap(), req.transaction_key().unwrap());
        let vias = |h: &Head<'_>| {
            h.get_all::<sipline::Via>()
                .map(|v| v.unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(vias(&h), vias(&req));
        assert_eq!(vias(&h).len(), 3);
        assert_eq!(
            h.get::<sipline::header::CallId>(),
            req.get::<sipline::header::CallId>()
        );
        assert_eq!(h.get::<sipline::CSeq>(), req.get::<sipline::CSeq>());
        assert_eq!(
            h.get::<sipline::header::From>().unwrap().unwrap().tag(),
            Some("1928301774")
        );
        // The quoted ";tag=" in the display name is not a tag (§25.1).
        let to = h.get::<sipline::header::To>().unwrap().unwrap();
        assert_eq!(to.display_name, Some("Bob;tag=nope"));
        assert_eq!(to.tag(), tag_added.then_some("a6c85cf"), "{code}");
        assert_eq!(
            h.get_all::<sipline::header::RecordRoute>().count(),
            usize::from(rr),
            "{code}"
        );
        assert_eq!(h.header("Timestamp").is_some(), ts, "{code}");
        assert_eq!(h.content_length(), Some(0));
        assert!(resp.body.is_empty());
        assert_eq!(h.get_all::<sipline::Contact>().count(), 1);
    }
}

#[test]
fn response_reason_body_and_existing_tag() {
    let req = head(
        b"BYE sip:a@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nTo: <sip:a@h>;tag=9\r\n\
From: <sip:b@h>;tag=1\r\nCall-ID: c\r\nCSeq: 2 BYE\r\nl: 0\r\n\r\n",
    );
    let mut out = BytesMut::new();
    Response::new(&req, StatusCode::from_u16(299).unwrap())
        .reason("Fine, Thanks")
        .to_tag("other")
        .header("Content-Type", b"text/plain")
        .body(b"bye now")
        .write(&mut out)
        .unwrap();
    let m = strict_message(&out);
    assert_eq!(
        m.head.start_line.status().unwrap().reason.as_bytes(),
        b"Fine, Thanks"
    );
    assert_eq!(
        m.head.get::<sipline::header::To>().unwrap().unwrap().tag(),
        Some("9"),
        "an existing tag stays alone"
    );
    assert_eq!(m.body, b"bye now");
    assert_eq!(m.head.content_length(), Some(7));
}

#[test]
fn response_errors() {
    let req = head(INVITE);
    let mut out = BytesMut::new();
    let e = Response::new(&req, StatusCode::OK)
        .header("X-Evil", b"a\r\nVia: injected")
        .write(&mut out)
        .unwrap_err();
    assert_eq!(
        e,
        WriteError::LineBreak {
            value: "an added field",
            at: 1
        }
    );
    assert_eq!(
        e.to_string(),
        "an added field to write holds a CR or LF at byte 1"
    );
    assert_eq!(e.status(), None, "the caller's fault, not the request's");
    let e = Response::new(&req, StatusCode::OK)
        .header("Bad Name", b"x")
        .write(&mut out)
        .unwrap_err();
    assert_eq!(e, WriteError::FieldName);
    let e = Response::new(&req, StatusCode::OK)
        .to_tag("a;b")
        .write(&mut out)
        .unwrap_err();
    assert_eq!(e, WriteError::ToTag);
    let mut r = Response::new(&req, StatusCode::OK);
    for _ in 0..8 {
        r = r.header("X-A", b"1");
    }
    assert_eq!(r.write(&mut out), Ok(()), "eight fields");
    out.clear();
    assert_eq!(
        r.header("X-A", b"1").write(&mut out),
        Err(WriteError::TooManyFields),
        "a ninth"
    );
    let no_to = head(b"OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:b@h>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n");
    let e = Response::new(&no_to, StatusCode::OK)
        .write(&mut out)
        .unwrap_err();
    assert_eq!(e, WriteError::MissingHeader("To"));
    assert_eq!(e.status(), Some(StatusCode::BAD_REQUEST));
    let no_cseq = head(b"OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:a@h>\r\nFrom: <sip:b@h>\r\nCall-ID: c\r\n\r\n");
    assert_eq!(
        Response::new(&no_cseq, StatusCode::OK).write(&mut out),
        Err(WriteError::MissingHeader("CSeq"))
    );
    let resp = head(b"SIP/2.0 200 OK\r\n\r\n");
    assert_eq!(
        Response::new(&resp, StatusCode::OK).write(&mut out),
        Err(WriteError::NotARequest)
    );
    assert!(out.is_empty(), "nothing written on an error");
}

#[test]
fn forwarding_edits_16_6() {
    let m = parse_message(INVITE, &ParserConfig::lenient())
        .unwrap()
        .value()
        .unwrap();
    let mut out = BytesMut::new();
    Forward::new(&m.head)
        .request_uri(b"sip:bob@192.0.2.4")
        .via(b"SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1")
        .record_route(b"<sip:p1.example.com;lr>")
        .write(&mut out, m.body)
        .unwrap();
    let f = strict_message(&out);
    let r = f.head.start_line.request().unwrap();
    assert_eq!(
        (r.method.as_str(), r.uri),
        ("INVITE", &b"sip:bob@192.0.2.4"[..])
    );
    assert_eq!(f.head.validate(), Ok(()));
    let vias: Vec<_> = f
        .head
        .get_all::<sipline::Via>()
        .map(|v| v.unwrap())
        .collect();
    let before: Vec<_> = m
        .head
        .get_all::<sipline::Via>()
        .map(|v| v.unwrap())
        .collect();
    assert_eq!(vias.len(), 4);
    assert_eq!(vias[0].branch(), Some("z9hG4bKp1"));
    assert_eq!(
        &vias[1..],
        &before[..],
        "the old Vias follow, in order (§16.6 item 8)"
    );
    assert_eq!(f.head.get::<sipline::header::MaxForwards>(), Some(Ok(68)));
    let rr: Vec<_> = f
        .head
        .get_all::<sipline::header::RecordRoute>()
        .map(|a| a.unwrap().uri.to_string())
        .collect();
    assert_eq!(
        rr,
        ["sip:p1.example.com;lr", "sip:bigbox3.site3.atlanta.com;lr"]
    );
    assert_eq!(f.body, b"v=0\n");
    assert_eq!(f.head.content_length(), Some(4));
    // Every other field is copied byte for byte, in order.
    let others = |h: &Head<'_>| {
        h.headers()
            .filter(|x| {
                !["Via", "Max-Forwards", "Record-Route", "Content-Length"]
                    .iter()
                    .any(|n| x.is(n))
            })
            .map(|x| (x.name.to_vec(), x.value.to_vec()))
            .collect::<Vec<_>>()
    };
    assert_eq!(others(&f.head), others(&m.head));
}

#[test]
fn forwarding_routes_and_max_forwards() {
    let base = "OPTIONS sip:bob@biloxi.com SIP/2.0\r\nRoute: <sip:p1;lr>, <sip:p2;lr>\r\nRoute: <sip:p3;lr>\r\n\
To: <sip:bob@biloxi.com>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 0\r\n\r\n";
    let routes = |buf: &[u8]| {
        head(buf)
            .get_all::<sipline::header::Route>()
            .map(|a| a.unwrap().uri.host.unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let mut out = BytesMut::new();
    let h = head(base.as_bytes());
    Forward::new(&h).pop_route().write(&mut out, b"").unwrap();
    assert_eq!(routes(&out), ["p2", "p3"]);
    assert_eq!(
        head(&out).get::<sipline::header::MaxForwards>(),
        Some(Ok(70)),
        "added when absent (§16.6 item 3)"
    );
    let once = out.split().freeze();
    Forward::new(&head(&once))
        .pop_route()
        .write(&mut out, b"")
        .unwrap();
    assert_eq!(routes(&out), ["p3"]);
    let twice = out.split().freeze();
    Forward::new(&head(&twice))
        .pop_route()
        .write(&mut out, b"")
        .unwrap();
    assert!(routes(&out).is_empty());
    assert_eq!(
        head(&out).get::<sipline::header::MaxForwards>(),
        Some(Ok(68))
    );
    out.clear();
    // Max-Forwards 0 is the 483 case, not forwarded.
    let zero = base.replace("l: 0", "Max-Forwards: 0\r\nl: 0");
    let at = zero.find("Max-Forwards: 0").unwrap() + "Max-Forwards: ".len();
    let zero = head(zero.as_bytes());
    let e = Forward::new(&zero).write(&mut out, b"").unwrap_err();
    assert_eq!(e, WriteError::MaxForwardsZero { at: at as u64 });
    assert_eq!(e.status(), Some(StatusCode::TOO_MANY_HOPS));
    assert_eq!(
        Forward::new(&head(base.as_bytes()))
            .via(b"x\r\ny")
            .write(&mut out, b""),
        Err(WriteError::LineBreak {
            value: "the Via",
            at: 1
        })
    );
    let bad_mf = base.replace("l: 0", "Max-Forwards: many\r\nl: 0");
    let e = Forward::new(&head(bad_mf.as_bytes()))
        .write(&mut out, b"")
        .unwrap_err();
    assert!(
        matches!(e, WriteError::Request(p) if p.kind() == ErrorKind::MaxForwards),
        "{e:?}"
    );
    let resp = head(b"SIP/2.0 200 OK\r\n\r\n");
    assert_eq!(
        Forward::new(&resp).write(&mut out, b""),
        Err(WriteError::NotARequest)
    );
    assert!(out.is_empty());
}

/// Every request of the corpus that validates: the response written for it
/// parses strictly, validates, and belongs to its transaction and dialog;
/// the forwarded copy parses, validates and carries the old Vias below the new.
#[test]
fn corpus_requests_round_trip() {
    let Some(corpus) = common::shared_corpus("the round trip of every corpus request") else {
        return;
    };
    let mut n = 0;
    for dir in [
        "rfc4475",
        "rfc5118",
        "rfc3665",
        "captured",
        "rfc-examples/rfc3327",
    ] {
        for path in common::dat_files(&corpus.join(dir)) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(Datagram::Message(m)) = parse_datagram(&bytes, &ParserConfig::lenient()) else {
                continue;
            };
            if m.head.start_line.request().is_none() || m.head.validate_to_forward().is_err() {
                continue;
            }
            let mut out = BytesMut::new();
            Response::new(&m.head, StatusCode::OK)
                .to_tag("t1")
                .write(&mut out)
                .unwrap();
            let resp = parse_message(&out, &ParserConfig::lenient())
                .unwrap()
                .value()
                .unwrap();
            assert_eq!(resp.head.validate(), Ok(()), "{path:?}");
            assert_eq!(
                resp.head.transaction_key().unwrap(),
                m.head.transaction_key().unwrap(),
                "{path:?}"
            );
            let (d1, d2) = (m.head.dialog_id().unwrap(), resp.head.dialog_id().unwrap());
            assert_eq!(
                (d1.call_id, d1.from_tag),
                (d2.call_id, d2.from_tag),
                "{path:?}"
            );
            assert!(d2.to_tag.is_some(), "{path:?}");
            let mut fwd = BytesMut::new();
            Forward::new(&m.head)
                .via(b"SIP/2.0/UDP proxy.invalid;branch=z9hG4bKfwd")
                .write(&mut fwd, m.body)
                .unwrap();
            let f = parse_message(&fwd, &ParserConfig::lenient())
                .unwrap()
                .value()
                .unwrap();
            assert_eq!(f.head.validate(), Ok(()), "{path:?}");
            assert_eq!(f.body, m.body, "{path:?}");
            assert_eq!(
                f.head.get_all::<sipline::Via>().count(),
                m.head.get_all::<sipline::Via>().count() + 1,
                "{path:?}"
            );
            assert_eq!(
                f.head.get_all::<sipline::Via>().nth(1),
                m.head.get_all::<sipline::Via>().next(),
                "{path:?}"
            );
            n += 1;
        }
    }
    assert!(n > 100, "{n}");
}

/// Every `WriteError` says what was wrong in words of its own, and the
/// parser's error stays reachable as the source.
#[test]
fn write_errors_say_what_was_wrong() {
    use std::error::Error as _;
    let parse = sipline::parse_status_line(b"SIP/2.0 2000 OK\r\n").unwrap_err();
    let all = [
        (WriteError::NotARequest, "a response cannot"),
        (WriteError::MissingHeader("Via"), "no Via field"),
        (WriteError::FieldName, "not a token"),
        (
            WriteError::LineBreak {
                value: "the Request-URI",
                at: 3,
            },
            "the Request-URI to write holds a CR or LF at byte 3",
        ),
        (WriteError::ToTag, "To tag"),
        (WriteError::TooManyFields, "more than 8 fields"),
        (
            WriteError::MaxForwardsZero { at: 40 },
            "Max-Forwards is 0 at byte 40",
        ),
        (
            WriteError::Request(parse),
            "the request does not parse: status code",
        ),
    ];
    for (e, words) in all {
        assert!(e.to_string().contains(words), "{e}");
        assert_eq!(e.source().is_some(), matches!(e, WriteError::Request(_)));
    }
}

/// A stateless proxy's parts (§16.11): the request's top Via marked with
/// where it came from, the response relayed without the proxy's Via, and
/// the branch derived so that retransmissions, CANCEL and non-2xx ACK
/// share it.
#[test]
fn a_stateless_proxy_marks_relays_and_derives() {
    use sipline::{parse_via, stateless_branch, RelayResponse};
    let req = strict_message(INVITE);
    // received and rport on the first value of the first Via field only;
    // an old received replaced; IPv6 without brackets (§25.1).
    let mut out = BytesMut::new();
    Forward::new(&req.head)
        .via(b"SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp")
        .received("2001:db8::7".parse().unwrap(), Some(5070))
        .write(&mut out, req.body)
        .unwrap();
    let text = String::from_utf8(out.to_vec()).unwrap();
    assert!(
        text.contains(
            "\r\nVia: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp\r\n\
             Via: SIP/2.0/UDP bigbox3.site3.atlanta.com;branch=z9hG4bK77ef4c2312983.1;received=2001:db8::7;rport=5070\r\n\
             v: SIP/2.0/UDP pc33.atlanta.com"
        ),
        "{text}"
    );
    let back = strict_message(&out);
    let second = back.head.get_all::<sipline::Via>().nth(1).unwrap().unwrap();
    assert_eq!(
        second.reply_address(),
        Some("[2001:db8::7]:5070".parse().unwrap())
    );
    // An empty rport the client sent becomes the port; no rport asked, none
    // written.
    let asked = b"OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;rport;branch=z9hG4bK1\r\n\
        To: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\
        Content-Length: 0\r\n\r\n";
    let m = strict_message(asked);
    for (rport, want) in [
        (
            Some(4000),
            "Via: SIP/2.0/TCP h;branch=z9hG4bK1;received=192.0.2.1;rport=4000\r\n",
        ),
        (
            None,
            "Via: SIP/2.0/TCP h;branch=z9hG4bK1;received=192.0.2.1\r\n",
        ),
    ] {
        let mut out = BytesMut::new();
        Forward::new(&m.head)
            .received("192.0.2.1".parse().unwrap(), rport)
            .write(&mut out, b"")
            .unwrap();
        assert!(String::from_utf8_lossy(&out).contains(want), "{out:?}");
    }
    // A top Via that does not parse: an error, nothing written.
    let bad = head(b"OPTIONS sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP\r\nTo: <sip:b@x>\r\n\r\n");
    let mut out = BytesMut::new();
    let err = Forward::new(&bad)
        .received("192.0.2.1".parse().unwrap(), None)
        .write(&mut out, b"")
        .unwrap_err();
    assert!(matches!(err, WriteError::Request(_)), "{err}");
    assert!(out.is_empty());

    // Relaying: the first value goes; a field left empty goes whole.
    let resp = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1;branch=z9hG4bKp1\r\n\
        Via: SIP/2.0/UDP a;branch=z9hG4bK1;received=192.0.2.3, SIP/2.0/UDP b\r\nTo: <sip:b@x>;tag=2\r\n\
        From: <sip:a@x>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 3\r\n\r\nabc";
    let m = strict_message(resp);
    let mut out = BytesMut::new();
    RelayResponse::new(&m.head).write(&mut out, m.body).unwrap();
    let relayed = strict_message(&out);
    let vias: Vec<String> = relayed
        .head
        .get_all::<sipline::Via>()
        .map(|v| v.unwrap().to_string())
        .collect();
    assert_eq!(
        vias,
        [
            "SIP/2.0/UDP a;branch=z9hG4bK1;received=192.0.2.3",
            "SIP/2.0/UDP b"
        ]
    );
    assert_eq!(relayed.body, b"abc");
    assert!(String::from_utf8_lossy(&out).starts_with("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;"));
    for (bad, want) in [
        (INVITE, WriteError::NotAResponse),
        (
            &b"SIP/2.0 200 OK\r\nTo: <sip:b@x>\r\n\r\n"[..],
            WriteError::NoVia,
        ),
    ] {
        let h = head(bad);
        assert_eq!(
            RelayResponse::new(&h).write(&mut BytesMut::new(), b""),
            Err(want)
        );
        assert!(!want.to_string().is_empty() && want.status().is_none());
    }
    let h = head(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP\r\n\r\n");
    let err = RelayResponse::new(&h)
        .write(&mut BytesMut::new(), b"")
        .unwrap_err();
    assert!(matches!(err, WriteError::Response(_)), "{err}");
    assert!(err.to_string().contains("first Via"), "{err}");
    assert!(std::error::Error::source(&err).is_some());

    // Branches: the same for a retransmission, its CANCEL and its ACK;
    // different for another destination, another sent-by, another call.
    let b = |text: &[u8], salt: &[u8]| stateless_branch(&head(text), salt).unwrap();
    let invite =
        b"INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP pc;branch=z9hG4bK9\r\nCSeq: 1 INVITE\r\n\r\n";
    let ack =
        b"ACK sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP PC:5060;branch=z9hG4bK9\r\nCSeq: 1 ACK\r\n\r\n";
    let other =
        b"INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP pc2;branch=z9hG4bK9\r\nCSeq: 1 INVITE\r\n\r\n";
    assert_eq!(
        b(invite, b"n"),
        b(ack, b"n"),
        "sent-by compares as §18 says"
    );
    assert_ne!(b(invite, b"n"), b(invite, b"m"));
    assert_ne!(b(invite, b"n"), b(other, b"n"));
    assert_eq!(b(invite, b"n").to_string(), b(invite, b"n").as_str());
    // An RFC 2543 client (no cookie): the call's identifiers.
    let old = |cseq: u32, call: &str| {
        format!(
            "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP pc;branch=1\r\nFrom: <sip:a@x>;tag=f\r\n\
             To: <sip:b@x>\r\nCall-ID: {call}\r\nCSeq: {cseq} INVITE\r\n\r\n"
        )
    };
    assert_eq!(
        b(old(1, "c").as_bytes(), b""),
        b(old(1, "c").as_bytes(), b"")
    );
    assert_ne!(
        b(old(1, "c").as_bytes(), b""),
        b(old(2, "c").as_bytes(), b"")
    );
    assert_ne!(
        b(old(1, "c").as_bytes(), b""),
        b(old(1, "d").as_bytes(), b"")
    );
    assert!(
        stateless_branch(&head(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a\r\n\r\n"), b"").is_none()
    );
    assert!(
        stateless_branch(&head(b"OPTIONS sip:x SIP/2.0\r\nTo: <sip:x>\r\n\r\n"), b"").is_none()
    );
    // Where a response goes (§18.2.2, RFC 3581).
    let v = |t: &[u8]| parse_via(t).next().unwrap().unwrap().reply_address();
    assert_eq!(
        v(b"SIP/2.0/UDP 192.0.2.5:5070;rport"),
        Some("192.0.2.5:5070".parse().unwrap())
    );
    assert_eq!(v(b"SIP/2.0/UDP h;received=bad"), None);
}
