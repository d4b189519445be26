//! Typed header views (issue 11, first part): Via, CSeq, Call-ID and
//! Max-Forwards, borrowed from the head, with every value of every Via field
//! in order; RFC 5118's IPv6 messages; no allocation.

mod common;

use sipline::{
    parse_call_id, parse_cseq, parse_head, parse_max_forwards, parse_message, parse_via, ErrorKind,
    Host, ParserConfig,
};

/// A Via value and the hosts, ports and branches of its values.
type ViaCase<'a> = (
    &'a str,
    &'a [&'a str],
    &'a [Option<u16>],
    &'a [Option<&'a str>],
);

#[test]
fn via_case_table() {
    let ok: &[ViaCase<'_>] = &[
        (
            "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
            &["pc33.atlanta.com"],
            &[None],
            &[Some("z9hG4bK776asdhds")],
        ),
        (
            "SIP/2.0/TCP 192.0.2.1:5061;branch=z9hG4bKa;rport=5062;received=192.0.2.9",
            &["192.0.2.1"],
            &[Some(5061)],
            &[Some("z9hG4bKa")],
        ),
        (
            "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKb",
            &["[2001:db8::9:1]"],
            &[Some(6050)],
            &[Some("z9hG4bKb")],
        ),
        // Several values in one field (rsipstack #125, ersip #49).
        (
            "SIP/2.0/UDP a;branch=z9hG4bK1 , SIP/2.0/UDP b:5070 ,SIP/2.0/TCP c",
            &["a", "b", "c"],
            &[None, Some(5070), None],
            &[Some("z9hG4bK1"), None, None],
        ),
        // LWS around the slashes and folded (RFC 4475 wsinv).
        (
            "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;rport;branch=390skdjuw",
            &["192.0.2.2"],
            &[None],
            &[Some("390skdjuw")],
        ),
        // A comma inside a quoted parameter does not split the value.
        (
            "SIP/2.0/UDP a;x=\"p,q\";branch=z9hG4bK2",
            &["a"],
            &[None],
            &[Some("z9hG4bK2")],
        ),
        // received as an unbracketed IPv6 address (RFC 5118 §4.5).
        (
            "SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3",
            &["[2001:db8::9:1]"],
            &[None],
            &[Some("z9hG4bKas3")],
        ),
        (
            "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf;rport",
            &["df7jal23ls0d.invalid"],
            &[None],
            &[Some("z9hG4bKasudf")],
        ),
    ];
    for (value, hosts, ports, branches) in ok {
        let vias: Vec<_> = parse_via(value.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{value:?}: {e}"));
        let got_hosts: Vec<String> = vias.iter().map(|v| v.host.to_string()).collect();
        assert_eq!(&got_hosts, hosts, "{value:?}");
        assert_eq!(
            &vias.iter().map(|v| v.port).collect::<Vec<_>>(),
            ports,
            "{value:?}"
        );
        assert_eq!(
            &vias.iter().map(|v| v.branch()).collect::<Vec<_>>(),
            branches,
            "{value:?}"
        );
        // What Display writes parses back to the same values.
        for v in &vias {
            let text = v.to_string();
            let again = parse_via(text.as_bytes()).next().unwrap().unwrap();
            assert_eq!(&again, v);
        }
    }
    let bad: &[(&str, usize)] = &[
        ("SIP/2.0 UDP a", 8),               // missing slash (LWS may stand before it)
        ("SIP/2.0/UDPa", 12),               // no LWS before sent-by (the host is missing)
        ("SIP/2.0/UDP a:99999", 14),        // port out of range
        ("SIP/2.0/UDP [2001:db8::1", 12),   // unclosed IPv6 reference
        ("SIP/2.0/UDP a;=x", 14),           // empty parameter name
        ("SIP/2.0/UDP a, SIP/2.0/UDP", 26), // second value without sent-by
        ("SIP/2.0/UDP a;x=\"open", 21),     // unterminated quoted string
    ];
    for (value, at) in bad {
        let e = parse_via(value.as_bytes())
            .find_map(Result::err)
            .expect(value);
        assert_eq!(
            (e.kind(), e.offset() as usize),
            (ErrorKind::Via, *at),
            "{value:?}"
        );
    }
    // rport with and without a value; ttl and maddr.
    let v = parse_via(b"SIP/2.0/UDP a;rport;maddr=224.0.1.75;ttl=16")
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        (v.rport(), v.maddr(), v.ttl()),
        (Some(None), Some("224.0.1.75"), Some(16))
    );
    let v = parse_via(b"SIP/2.0/UDP a;RPORT=5090")
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(v.rport(), Some(Some(5090)), "names are case-insensitive");
}

#[test]
fn cseq_max_forwards_call_id() {
    let c = parse_cseq(b" 314159 INVITE ").unwrap();
    assert_eq!((c.number, c.method.as_str()), (314159, "INVITE"));
    assert_eq!(parse_cseq(b"2147483647 ACK").unwrap().number, (1 << 31) - 1);
    for (v, at) in [
        ("2147483648 INVITE", 0),
        ("12INVITE", 2),
        ("x INVITE", 0),
        ("1 ", 2),
        ("1 IN VITE", 2),
    ] {
        let e = parse_cseq(v.as_bytes()).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset() as usize),
            (ErrorKind::CSeq, at),
            "{v:?}"
        );
    }
    assert_eq!(parse_max_forwards(b"0"), Ok(0));
    assert_eq!(parse_max_forwards(b"255"), Ok(255));
    assert_eq!(parse_max_forwards(b"00070"), Ok(70));
    for v in ["256", "", "7 0", "-1", "99999999999999999999"] {
        assert_eq!(
            parse_max_forwards(v.as_bytes()).unwrap_err().kind(),
            ErrorKind::MaxForwards,
            "{v:?}"
        );
    }
    assert_eq!(
        parse_call_id(b"f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com")
            .unwrap()
            .len(),
        48
    );
    for v in ["", "a b", "a@b@c", "a;b"] {
        assert_eq!(
            parse_call_id(v.as_bytes()).unwrap_err().kind(),
            ErrorKind::CallId,
            "{v:?}"
        );
    }
}

#[test]
fn head_gives_every_via_in_order_and_the_single_fields() {
    let buf = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP p1;branch=z9hG4bK1\r\nCall-ID: x@y\r\n\
v: SIP/2.0/UDP p2;branch=z9hG4bK2, SIP/2.0/UDP p3;branch=z9hG4bK3\r\n\
Via: SIP/2.0/UDP p4;branch=z9hG4bK4\r\nCSeq: 2 INVITE\r\nMax-Forwards: 69\r\nl: 0\r\n\r\n";
    let head = parse_head(buf, &ParserConfig::strict())
        .unwrap()
        .value()
        .unwrap();
    let branches: Vec<_> = head
        .get_all::<sipline::Via>()
        .map(|v| v.unwrap().branch().unwrap())
        .collect();
    assert_eq!(branches, ["z9hG4bK1", "z9hG4bK2", "z9hG4bK3", "z9hG4bK4"]);
    assert_eq!(
        head.get::<sipline::Via>().unwrap().unwrap().host,
        Host::Name("p1")
    );
    assert_eq!(head.get::<sipline::CSeq>().unwrap().unwrap().number, 2);
    assert_eq!(
        head.get::<sipline::header::CallId>().unwrap().unwrap(),
        b"x@y"
    );
    assert_eq!(head.get::<sipline::header::MaxForwards>().unwrap(), Ok(69));
    // Absent fields are None.
    let bare = parse_head(b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n", &ParserConfig::strict())
        .unwrap()
        .value()
        .unwrap();
    assert!(
        bare.get::<sipline::Via>().is_none()
            && bare.get::<sipline::CSeq>().is_none()
            && bare.get::<sipline::header::MaxForwards>().is_none()
    );
}

/// RFC 5118: every Via sent-by in the IPv6 torture messages parses, to the
/// address the message means.
#[test]
fn rfc5118_via_hosts() {
    let Some(corpus) = common::shared_corpus("the RFC 5118 Via host checks") else {
        return;
    };
    let mut v6 = 0;
    for row in common::read_tsv(&corpus.join("rfc5118/EXPECTED.tsv")) {
        if !row["verdict"].starts_with("valid") {
            continue;
        }
        let bytes = std::fs::read(corpus.join("rfc5118").join(&row["file"])).unwrap();
        let m = parse_message(&bytes, &ParserConfig::lenient())
            .unwrap()
            .value()
            .unwrap_or_else(|| panic!("{}", row["file"]));
        for via in m.head.get_all::<sipline::Via>() {
            let via = via.unwrap_or_else(|e| panic!("{}: {e}", row["file"]));
            if let Host::Ipv6(a) = via.host {
                v6 += 1;
                assert!(
                    a.segments()[0] == 0x2001 || a.to_ipv4_mapped().is_some(),
                    "{a}"
                );
            }
        }
    }
    assert!(v6 >= 8, "IPv6 Via hosts seen: {v6}");
}

/// The accessors kept for one release answer what the generic lookups do.
#[test]
#[allow(deprecated)]
fn the_deprecated_accessors_are_the_generic_lookups() {
    use sipline::header::{self, CallId, MaxForwards};
    use sipline::{CSeq, Contact, Reason, Via};
    let buf = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP p;branch=z9hG4bK2, SIP/2.0/UDP a\r\n\
        Max-Forwards: 69\r\nf: <sip:a@h>;tag=x1\r\nt: <sip:b@h>\r\ni: c@h\r\nCSeq: 2 INVITE\r\n\
        m: <sip:a@192.0.2.1>, <sip:a@192.0.2.2>\r\nRoute: <sip:p1;lr>\r\nRecord-Route: <sip:p2;lr>\r\n\
        Reason: SIP;cause=200\r\nl: 0\r\n\r\n";
    let head = parse_head(buf, &ParserConfig::strict())
        .unwrap()
        .value()
        .unwrap();
    assert!(head.vias().eq(head.get_all::<Via>()));
    assert_eq!(head.vias().count(), 2);
    assert_eq!(head.top_via(), head.get::<Via>());
    assert_eq!(head.cseq(), head.get::<CSeq>());
    assert_eq!(head.call_id(), head.get::<CallId>());
    assert_eq!(head.max_forwards(), Some(Ok(69)));
    assert_eq!(head.max_forwards(), head.get::<MaxForwards>());
    assert_eq!(head.from(), head.get::<header::From>());
    assert_eq!(head.to(), head.get::<header::To>());
    assert!(head.contacts().eq(head.get_all::<Contact>()));
    assert_eq!(head.contacts().count(), 2);
    assert!(head.routes().eq(head.get_all::<header::Route>()));
    assert!(head
        .record_routes()
        .eq(head.get_all::<header::RecordRoute>()));
    assert!(head.reasons().eq(head.get_all::<Reason>()));
    assert_eq!(head.reasons().count(), 1);
    // `Contact: *` first: `get` moves on to the next field's address.
    let star = b"REGISTER sip:h SIP/2.0\r\nContact: *\r\nContact: <sip:a@h>\r\nl: 0\r\n\r\n";
    let head = parse_head(star, &ParserConfig::strict())
        .unwrap()
        .value()
        .unwrap();
    assert!(head.contact_star());
    assert_eq!(
        head.get::<Contact>().unwrap().unwrap().uri.as_str(),
        "sip:a@h"
    );
}
