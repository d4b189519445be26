//! Issue 11, second part: URIs and the address headers (From, To, Contact,
//! Route, Record-Route) in strict and lenient readings, Reason and Date,
//! transaction keys and dialog ids, `validate()`'s rules one by one, and the
//! strict refusal of control bytes in header values.

mod common;

use proptest::prelude::*;
use sipline::{
    parse_contact, parse_datagram, parse_date, parse_head, parse_name_addr, parse_name_addrs,
    parse_reason, parse_uri, Contact, Datagram, DialogSide, ErrorKind, Head, Host, InvalidKind,
    ParserConfig, TransactionKey,
};

fn strict() -> ParserConfig {
    ParserConfig::strict()
}

fn lenient() -> ParserConfig {
    ParserConfig::lenient()
}

/// (URI, scheme, user, host as displayed, port, one parameter, headers)
type UriCase<'a> = (
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<u16>,
    Option<(&'a str, Option<&'a str>)>,
    Option<&'a str>,
);

#[test]
fn uri_case_table() {
    let ok: &[UriCase<'_>] = &[
        (
            "sip:alice@atlanta.com",
            "sip",
            Some("alice"),
            Some("atlanta.com"),
            None,
            None,
            None,
        ),
        (
            "SIPS:bob@192.0.2.4:5061;transport=tls",
            "SIPS",
            Some("bob"),
            Some("192.0.2.4"),
            Some(5061),
            Some(("transport", Some("tls"))),
            None,
        ),
        (
            "sip:[2001:db8::10]:5070;lr",
            "sip",
            None,
            Some("[2001:db8::10]"),
            Some(5070),
            Some(("lr", None)),
            None,
        ),
        // RFC 5118 §4.3: the last group is part of the address, no port.
        (
            "sip:[2001:db8::10:5070]",
            "sip",
            None,
            Some("[2001:db8::10:5070]"),
            None,
            None,
            None,
        ),
        // RFC 4475 semiuri: ';' and escapes in the user part.
        (
            "sip:user;par=u%40example.net@example.com",
            "sip",
            Some("user;par=u%40example.net"),
            Some("example.com"),
            None,
            None,
            None,
        ),
        // RFC 4475 escnull.
        (
            "sip:null-%00-null@example.com",
            "sip",
            Some("null-%00-null"),
            Some("example.com"),
            None,
            None,
            None,
        ),
        (
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "sip",
            Some("user"),
            Some("example.com"),
            None,
            None,
            Some("Route=%3Csip:sip.example.com%3E"),
        ),
        (
            "tel:+1-201-555-0123;phone-context=example.com",
            "tel",
            Some("+1-201-555-0123"),
            None,
            None,
            Some(("phone-context", Some("example.com"))),
            None,
        ),
        // Unknown schemes (RFC 4475 unksm2, unkscm, novelsc).
        ("isbn:2983792873", "isbn", None, None, None, None, None),
        (
            "soap.beep://192.0.2.103:3002",
            "soap.beep",
            None,
            None,
            None,
            None,
            None,
        ),
    ];
    for &(text, scheme, user, host, port, param, headers) in ok {
        let u = parse_uri(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(u.scheme, scheme, "{text}");
        assert_eq!(u.user, user, "{text}");
        assert_eq!(u.host.map(|h| h.to_string()).as_deref(), host, "{text}");
        assert_eq!(u.port, port, "{text}");
        if let Some((n, v)) = param {
            assert_eq!(u.param(n), Some(v), "{text}");
        }
        assert_eq!(u.headers, headers, "{text}");
        assert_eq!(u.as_str(), text);
    }
    // (URI, offset of the first bad byte)
    let bad: &[(&str, u64)] = &[
        ("sip:2001:db8::10", 9), // RFC 5118 ipv6-bad: "db8" is no port
        ("sip:a@b:99999", 8),    // port out of range
        ("sip:@example.com", 4), // empty user
        ("sip:a b@c", 5),        // space
        ("sip:a@%zz", 6),        // bad host
        ("sip:a@b;", 8),         // empty parameter
        ("sip:a@b;x=%g1", 10),   // bad escape
        ("sip:a@b?", 8),         // empty headers
        ("1sip:a@b", 0),         // scheme starts with a digit
        ("nocolon", 7),
        ("tel:", 4),
        ("x:", 2),
        ("http://a<b", 8),
    ];
    for &(text, at) in bad {
        let e = parse_uri(text.as_bytes()).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Uri, at), "{text}");
    }
}

/// (value, display name, URI, tag, bracketed)
type AddrCase<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a str>, bool);

#[test]
fn name_addr_case_table_strict_and_lenient() {
    let ok: &[AddrCase<'_>] = &[
        ("<sip:a@h>", None, "sip:a@h", None, true),
        (
            "Bob <sip:bob@biloxi.com>;tag=a6c85cf",
            Some("Bob"),
            "sip:bob@biloxi.com",
            Some("a6c85cf"),
            true,
        ),
        (
            "\"Bob \\\"B\\\" Biloxi\" <sip:bob@biloxi.com>",
            Some("Bob \\\"B\\\" Biloxi"),
            "sip:bob@biloxi.com",
            None,
            true,
        ),
        // RFC 4475 lwsdisp: no LWS before '<'.
        (
            "caller<sip:caller@example.com>;tag=323",
            Some("caller"),
            "sip:caller@example.com",
            Some("323"),
            true,
        ),
        // addr-spec: the parameters are the header's (§20.10).
        (
            "sip:watson@example.com;tag=DkfV",
            None,
            "sip:watson@example.com",
            Some("DkfV"),
            false,
        ),
        // RFC 4475 wsinv: folded, LWS around ';' and '='.
        (
            "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",
            None,
            "sip:vivekg@chair-dnrc.example.com",
            Some("1918181833n"),
            false,
        ),
        (
            "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8",
            Some("J Rosenberg \\\\\\\""),
            "sip:jdrosen@example.com",
            Some("98asjd8"),
            true,
        ),
        // Multi-token display name, URI parameters inside the brackets.
        (
            "The Operator <sip:op@[2001:db8::1]:5080;transport=tcp>;tag=x;foo",
            Some("The Operator"),
            "sip:op@[2001:db8::1]:5080;transport=tcp",
            Some("x"),
            true,
        ),
        (
            "<tel:+1-201-555-0123>;tag=t1",
            None,
            "tel:+1-201-555-0123",
            Some("t1"),
            true,
        ),
        ("isbn:2983792873", None, "isbn:2983792873", None, false),
    ];
    for cfg in [strict(), lenient()] {
        for &(v, dn, uri, tag, br) in ok {
            let a = parse_name_addr(v.as_bytes(), &cfg).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(
                (a.display_name, a.uri.as_str(), a.tag(), a.bracketed),
                (dn, uri, tag, br),
                "{v}"
            );
        }
    }
    // (value, offset in strict mode, accepted in lenient mode)
    let bad: &[(&str, u64, bool)] = &[
        ("\"Mr. J. User <sip:j.user@example.com>", 0, false), // RFC 4475 quotbal
        ("\"Watson, Thomas\" < sip:t.watson@example.org >", 18, true), // badaspec
        ("Bell, Alexander <sip:a.g.bell@example.com>;tag=43", 4, true), // baddn
        // Seen in a public capture: an unquoted name of backslashes and quotes.
        (
            "\\\"arik\\\" <sip:816666@voip.example.net>;tag=6433ef9",
            0,
            true,
        ),
        (
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            20,
            false,
        ), // regbadct
        ("<sip:a@h", 8, false),
        ("<sip:a@h>;", 10, false),
        ("<sip:a@h>;;", 10, false),
        ("<sip:a@h> junk", 10, false),
        ("\"x\" sip:a@h", 4, false),
        ("", 0, false),
    ];
    for &(v, at, lenient_ok) in bad {
        let e = parse_name_addr(v.as_bytes(), &strict()).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::NameAddr, at), "{v}");
        assert_eq!(
            parse_name_addr(v.as_bytes(), &lenient()).is_ok(),
            lenient_ok,
            "{v}"
        );
    }
    // The lenient reading of baddn keeps the text as the display name.
    let a = parse_name_addr(
        b"Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
        &lenient(),
    )
    .unwrap();
    assert_eq!(
        (a.display_name, a.tag()),
        (Some("Bell, Alexander"), Some("43"))
    );
    // And of the unquoted name with quotes: the URI and the tag.
    let a = parse_name_addr(
        b"\\\"arik\\\" <sip:816666@voip.example.net>;tag=6433ef9",
        &lenient(),
    )
    .unwrap();
    assert_eq!(
        (a.display_name, a.uri.user, a.tag()),
        (Some("\\\"arik\\\""), Some("816666"), Some("6433ef9"))
    );
    // The lenient reading does not eat list commas: in a Contact list the
    // comma still splits.
    let n = parse_name_addrs(b"a <sip:a@h>, b <sip:b@h>", &lenient()).count();
    assert_eq!(n, 2);
}

#[test]
fn contact_route_and_record_route_lists() {
    let cfg = strict();
    assert!(matches!(parse_contact(b"*", &cfg), Contact::Star));
    let Contact::Addrs(list) = parse_contact(
        b"\"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600,\r\n \"Mr. Watson\" <mailto:watson@bell-telephone.com> ;q=0.1",
        &cfg,
    ) else {
        panic!()
    };
    let all: Vec<_> = list.collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].param("expires"), Some(Some("3600")));
    assert_eq!(all[1].uri.scheme, "mailto");
    assert_eq!(all[1].param("q"), Some(Some("0.1")));
    // A bad value ends the list with its error, at its offset in the field.
    let v = b"<sip:a@h>, <sip:b@h;;>";
    let got: Vec<_> = parse_name_addrs(v, &cfg).collect();
    assert_eq!(got.len(), 2);
    let e = got[1].unwrap_err();
    assert_eq!(
        (e.kind(), &v[e.offset() as usize..][..1]),
        (ErrorKind::NameAddr, &b";"[..])
    );

    let buf = b"INVITE sip:b@h SIP/2.0\r\nRoute: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n\
Route: <sip:p3.example.com;lr>\r\nRecord-Route: <sip:rr.example.com;lr>\r\nm: <sip:a@192.0.2.1>\r\nContact: *\r\n\r\n";
    let head = head(buf, &cfg);
    let routes: Vec<_> = head
        .get_all::<sipline::header::Route>()
        .map(|r| r.unwrap().uri.host.unwrap().to_string())
        .collect();
    assert_eq!(
        routes,
        ["p1.example.com", "p2.example.com", "p3.example.com"]
    );
    assert_eq!(head.get_all::<sipline::header::RecordRoute>().count(), 1);
    assert_eq!(head.get_all::<sipline::Contact>().count(), 1);
    assert!(head.contact_star());
}

#[test]
fn reason_and_date() {
    let r: Vec<_> = parse_reason(b"Q.850 ;cause=16 ;text=\"Terminated\"")
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        (r[0].q850_cause(), r[0].text),
        (Some(16), Some("Terminated"))
    );
    let r = parse_reason(b"SIP;cause=600;text=\"Busy, Everywhere\"")
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.cause, r.q850_cause(), r.text),
        (Some(600), None, Some("Busy, Everywhere"))
    );
    assert_eq!(r.to_string(), "SIP;cause=600;text=\"Busy, Everywhere\"");
    for (v, at) in [
        ("", 0),
        (";cause=1", 0),
        ("SIP;cause=x", 3),
        ("SIP;cause=99999999", 3),
        ("SIP;text=plain", 3),
        ("SIP ; ", 6),
    ] {
        let e = parse_reason(v.as_bytes()).next().unwrap().unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Reason, at), "{v:?}");
    }
    assert_eq!(
        parse_date(b" Thu, 21 Feb 2002 13:02:03 GMT ")
            .unwrap()
            .second,
        3
    );
    for (v, at) in [
        ("Fri, 01 Jan 2010 16:00:00 EST", 26),
        ("Fri 01 Jan 2010 16:00:00 GMT", 28),
        ("Fri, 01 Foo 2010 16:00:00 GMT", 8),
        ("Fri, 32 Jan 2010 16:00:00 GMT", 5),
        ("Fri, 01 Jan 2010 24:00:00 GMT", 17),
        ("Xyz, 01 Jan 2010 16:00:00 GMT", 0),
    ] {
        let e = parse_date(v.as_bytes()).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::Date, at), "{v}");
    }
}

fn head<'a>(buf: &'a [u8], cfg: &ParserConfig) -> Head<'a> {
    parse_head(buf, cfg).unwrap().value().unwrap()
}

const INVITE: &[u8] = b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\
Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\nMax-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.com>\r\nFrom: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710@pc33.atlanta.com\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n";

/// `INVITE` with `from` replaced by `to`.
fn edit(from: &str, to: &str) -> Vec<u8> {
    let s = std::str::from_utf8(INVITE).unwrap();
    assert!(s.contains(from), "{from}");
    s.replacen(from, to, 1).into_bytes()
}

#[test]
fn transaction_keys() {
    let cfg = lenient();
    let req = head(INVITE, &cfg).transaction_key().unwrap();
    let TransactionKey::Rfc3261 {
        branch,
        sent_by,
        method,
    } = req
    else {
        panic!("{req:?}")
    };
    assert_eq!(
        (branch.0, sent_by.port, method.as_str()),
        ("z9hG4bK776asdhds", 5060, "INVITE")
    );
    // The response: received added, case changed, the default port written out.
    let resp = edit("INVITE sip:bob@biloxi.com SIP/2.0", "SIP/2.0 180 Ringing");
    let resp = edit_bytes(
        &resp,
        "pc33.atlanta.com;branch=z9hG4bK776asdhds",
        "PC33.atlanta.com:5060;branch=z9hG4bK776ASDHDS;received=192.0.2.1",
    );
    assert_eq!(head(&resp, &cfg).transaction_key().unwrap(), req);
    // ACK (for a non-2xx final) is the INVITE's; CANCEL has its own.
    let ack = edit(
        "INVITE sip:bob@biloxi.com SIP/2.0",
        "ACK sip:bob@biloxi.com SIP/2.0",
    );
    let ack = edit_bytes(&ack, "CSeq: 314159 INVITE", "CSeq: 314159 ACK");
    assert_eq!(head(&ack, &cfg).transaction_key().unwrap(), req);
    let cancel = edit(
        "INVITE sip:bob@biloxi.com SIP/2.0",
        "CANCEL sip:bob@biloxi.com SIP/2.0",
    );
    let cancel = edit_bytes(&cancel, "CSeq: 314159 INVITE", "CSeq: 314159 CANCEL");
    assert_ne!(head(&cancel, &cfg).transaction_key().unwrap(), req);
    // Another sent-by, another transaction (two clients, one branch).
    let other = edit("pc33.atlanta.com;branch", "pc34.atlanta.com;branch");
    assert_ne!(head(&other, &cfg).transaction_key().unwrap(), req);
    // TLS defaults to 5061.
    let tls = edit("SIP/2.0/UDP pc33", "SIP/2.0/TLS pc33");
    let TransactionKey::Rfc3261 { sent_by, .. } = head(&tls, &cfg).transaction_key().unwrap()
    else {
        panic!()
    };
    assert_eq!(sent_by.port, 5061);
    // RFC 2543 fallback: no cookie (RFC 4475 inv2543, badbranch's bare cookie is RFC 3261).
    let old = edit(";branch=z9hG4bK776asdhds", ";branch=776asdhds");
    let k = head(&old, &cfg).transaction_key().unwrap();
    let TransactionKey::Rfc2543 {
        call_id,
        from_tag,
        cseq,
        method,
        ..
    } = k
    else {
        panic!("{k:?}")
    };
    assert_eq!(
        (call_id, from_tag.map(|t| t.0), cseq, method.as_str()),
        (
            &b"a84b4c76e66710@pc33.atlanta.com"[..],
            Some("1928301774"),
            314159,
            "INVITE"
        )
    );
    let old_resp = edit_bytes(
        &old,
        "INVITE sip:bob@biloxi.com SIP/2.0",
        "SIP/2.0 486 Busy Here",
    );
    let old_resp = edit_bytes(
        &old_resp,
        "To: Bob <sip:bob@biloxi.com>",
        "To: Bob <sip:bob@biloxi.com>;tag=b1",
    );
    assert_eq!(
        head(&old_resp, &cfg).transaction_key().unwrap(),
        k,
        "the To tag is not in the key"
    );
    let bare = edit(";branch=z9hG4bK776asdhds", "");
    assert!(matches!(
        head(&bare, &cfg).transaction_key().unwrap(),
        TransactionKey::Rfc2543 { .. }
    ));
    // Missing pieces are errors naming the kind.
    let no_via = edit(
        "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n",
        "",
    );
    assert_eq!(
        head(&no_via, &cfg).transaction_key().unwrap_err().kind(),
        ErrorKind::MissingHeader
    );
    let bad_cseq = edit("CSeq: 314159 INVITE", "CSeq: x INVITE");
    let e = head(&bad_cseq, &cfg).transaction_key().unwrap_err();
    assert_eq!(
        (e.kind(), &bad_cseq[e.offset() as usize..][..1]),
        (ErrorKind::CSeq, &b"x"[..])
    );
}

fn edit_bytes(buf: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = std::str::from_utf8(buf).unwrap();
    assert!(s.contains(from), "{from}");
    s.replacen(from, to, 1).into_bytes()
}

#[test]
fn dialog_ids() {
    let cfg = strict();
    let invite = head(INVITE, &cfg).dialog_id().unwrap();
    assert_eq!((invite.from_tag, invite.to_tag), (Some("1928301774"), None));
    let ok = edit("INVITE sip:bob@biloxi.com SIP/2.0", "SIP/2.0 200 OK");
    let ok = edit_bytes(
        &ok,
        "To: Bob <sip:bob@biloxi.com>",
        "To: Bob <sip:bob@biloxi.com>;tag=a6c85cf",
    );
    let ok = head(&ok, &cfg).dialog_id().unwrap();
    assert!(!invite.same_dialog(&ok), "the INVITE has no To tag yet");
    assert_eq!(
        ok.local_remote(DialogSide::Uac),
        (Some("1928301774"), Some("a6c85cf"))
    );
    // The callee's BYE: From and To swapped, tags in another letter case.
    let bye =
        b"BYE sip:alice@pc33.atlanta.com SIP/2.0\r\nCall-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
From: <sip:bob@biloxi.com>;tag=A6C85CF\r\nTo: <sip:alice@atlanta.com>;tag=1928301774\r\n\r\n";
    let bye = head(bye, &cfg).dialog_id().unwrap();
    assert!(bye.same_dialog(&ok) && ok.same_dialog(&bye));
    assert_eq!(
        bye.local_remote(DialogSide::Uas),
        (Some("1928301774"), Some("A6C85CF"))
    );
    // Call-IDs compare byte for byte.
    let other = DialogId {
        call_id: b"A84B4C76E66710@pc33.atlanta.com",
        ..ok
    };
    assert!(!other.same_dialog(&ok));
}

use sipline::DialogId;

#[test]
fn validate_rules_one_by_one() {
    let cfg = lenient();
    assert_eq!(head(INVITE, &cfg).validate(), Ok(()));
    // (edit from, edit to, rule, status, the bytes at the offset)
    let cases: &[(&str, &str, InvalidKind, u16, &str)] = &[
        (
            "To: Bob <sip:bob@biloxi.com>\r\n",
            "",
            InvalidKind::Missing("To"),
            400,
            "\r\n",
        ),
        (
            "Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n",
            "",
            InvalidKind::Missing("Call-ID"),
            400,
            "\r\n",
        ),
        (
            "CSeq: 314159 INVITE",
            "CSeq: 314159 OPTIONS",
            InvalidKind::CSeqMethod,
            400,
            "OPTIONS",
        ),
        (
            "Max-Forwards: 70\r\n",
            "Max-Forwards: 70\r\nMax-Forwards: 69\r\n",
            InvalidKind::Repeated("Max-Forwards"),
            400,
            "Max-Forwards: 69",
        ),
        (
            "Content-Length: 0\r\n",
            "Content-Type: a/b\r\nContent-Type: c/d\r\nContent-Length: 0\r\n",
            InvalidKind::Repeated("Content-Type"),
            400,
            "Content-Type: c/d",
        ),
        (
            "Max-Forwards: 70",
            "Max-Forwards: 256",
            InvalidKind::Malformed("Max-Forwards", ErrorKind::MaxForwards),
            400,
            "256",
        ),
        (
            "Call-ID: a84b4c76e66710@pc33.atlanta.com",
            "Call-ID: a b",
            InvalidKind::Malformed("Call-ID", ErrorKind::CallId),
            400,
            " b",
        ),
        (
            "Content-Length: 0\r\n",
            "Reason: Q.850;cause=x\r\nContent-Length: 0\r\n",
            InvalidKind::Malformed("Reason", ErrorKind::Reason),
            400,
            ";cause",
        ),
        (
            "Content-Length: 0\r\n",
            "Expires: 4294967296\r\nContent-Length: 0\r\n",
            InvalidKind::Malformed("Expires", ErrorKind::Syntax),
            400,
            "4294967296",
        ),
        (
            "Content-Length: 0\r\n",
            "Route: <sip:p1;lr>, sip:p2?x\r\nContent-Length: 0\r\n",
            InvalidKind::Malformed("Route", ErrorKind::NameAddr),
            400,
            "?x",
        ),
        (
            "sip:bob@biloxi.com SIP",
            "sip:bob@biloxi.com?Subject=x SIP",
            InvalidKind::RequestUriHeaders,
            400,
            "?Subject",
        ),
        (
            "sip:bob@biloxi.com SIP",
            "sip:bob@biloxi.com:x SIP",
            InvalidKind::RequestUri(ErrorKind::Uri),
            400,
            "x SIP",
        ),
    ];
    for &(from, to, kind, status, at) in cases {
        let buf = edit(from, to);
        let e = head(&buf, &cfg).validate().unwrap_err();
        assert_eq!(e.kind(), kind, "{to}: {e}");
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{to}");
        assert!(
            buf[e.offset() as usize..].starts_with(at.as_bytes()),
            "{to}: at {}",
            e.offset()
        );
        assert!(e.rule().starts_with("RFC 3261 §"), "{to}");
    }
    // The same value twice is not a conflict; Max-Forwards may be absent
    // (§16.3 item 3; RFC 4475 inv2543).
    assert_eq!(
        head(
            &edit(
                "Max-Forwards: 70\r\n",
                "Max-Forwards: 70\r\nMax-Forwards:  70\r\n"
            ),
            &cfg
        )
        .validate(),
        Ok(())
    );
    assert_eq!(
        head(&edit("Max-Forwards: 70\r\n", ""), &cfg).validate(),
        Ok(())
    );
    // Max-Forwards 0: a UAS processes it, a proxy owes 483 (RFC 4475 zeromf).
    let zero = edit("Max-Forwards: 70", "Max-Forwards: 0");
    assert_eq!(head(&zero, &cfg).validate(), Ok(()));
    let e = head(&zero, &cfg).validate_to_forward().unwrap_err();
    assert_eq!(
        (e.kind(), e.status().map(|s| s.as_u16())),
        (InvalidKind::TooManyHops, Some(483))
    );
    assert_eq!(head(INVITE, &cfg).validate_to_forward(), Ok(()));
    // A response is discarded, not answered.
    let resp = edit("INVITE sip:bob@biloxi.com SIP/2.0", "SIP/2.0 200 OK");
    let resp = edit_bytes(&resp, "CSeq: 314159 INVITE", "CSeq: x INVITE");
    assert_eq!(head(&resp, &cfg).validate().unwrap_err().status(), None);
}

#[test]
fn strict_mode_refuses_controls_outside_quoted_pairs() {
    let msg = b"OPTIONS sip:a@b SIP/2.0\r\nX-A: a\0b\r\nl: 0\r\n\r\n";
    let e = parse_datagram(msg, &strict()).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::HeaderValue, 31));
    assert!(matches!(
        parse_datagram(msg, &lenient()),
        Ok(Datagram::Message(_))
    ));
    assert!(parse_datagram(msg, &strict().allow_controls_in_values(true)).is_ok());
    // DEL, BEL, and a control on a folded line.
    for v in ["a\x7fb", "a\x07", "a\r\n b\x01"] {
        let m = format!("OPTIONS sip:a@b SIP/2.0\r\nX-A: {v}\r\nl: 0\r\n\r\n");
        assert_eq!(
            parse_datagram(m.as_bytes(), &strict()).unwrap_err().kind(),
            ErrorKind::HeaderValue,
            "{v:?}"
        );
    }
    // In a quoted-pair inside a quoted string, controls are legal (§25.1,
    // RFC 4475 intmeth); a quote that is escaped does not close the string.
    for v in ["\"a\\\0b\"", "\"\\\"\\\x07\"", "\"x\" \"\\\x7f\"", "a\tb"] {
        let m = format!("OPTIONS sip:a@b SIP/2.0\r\nX-A: {v}\r\nl: 0\r\n\r\n");
        assert!(parse_datagram(m.as_bytes(), &strict()).is_ok(), "{v:?}");
    }
    // A NUL after a backslash outside quotes is not a quoted-pair.
    let m = b"OPTIONS sip:a@b SIP/2.0\r\nX-A: \\\0\r\nl: 0\r\n\r\n";
    assert_eq!(
        parse_datagram(m, &strict()).unwrap_err().kind(),
        ErrorKind::HeaderValue
    );
}

#[test]
fn rfc5118_uri_hosts() {
    let Some(corpus) = common::shared_corpus("the RFC 5118 URI host checks") else {
        return;
    };
    let mut v6 = 0;
    for row in common::read_tsv(&corpus.join("rfc5118/EXPECTED.tsv")) {
        if !row["verdict"].starts_with("valid") {
            continue;
        }
        let bytes = std::fs::read(corpus.join("rfc5118").join(&row["file"])).unwrap();
        let Ok(Datagram::Message(m)) = parse_datagram(&bytes, &lenient()) else {
            panic!()
        };
        let r = m.head.start_line.request().unwrap();
        let uri = parse_uri(r.uri).unwrap();
        let addrs = m
            .head
            .get_all::<sipline::Contact>()
            .chain(m.head.get::<sipline::header::From>())
            .chain(m.head.get::<sipline::header::To>());
        for host in addrs
            .map(|a| a.unwrap().uri.host)
            .chain([uri.host])
            .flatten()
        {
            if let Host::Ipv6(a) = host {
                v6 += 1;
                assert!(
                    a.segments()[0] == 0x2001 || a.to_ipv4_mapped().is_some(),
                    "{a}"
                );
            }
        }
    }
    assert!(v6 >= 10, "IPv6 URI hosts seen: {v6}");
}

proptest! {
    /// Display then parse gives the same address back.
    #[test]
    fn name_addr_display_round_trips(
        dn in proptest::option::of("[a-zA-Z0-9 ,<>;]{0,12}"),
        user in "[a-z0-9.!~*'()&=+$,;?/-]{1,10}",
        host in "[a-z][a-z0-9-]{0,8}(\\.[a-z]{2,4})?",
        port in proptest::option::of(1u16..),
        tag in proptest::option::of("[a-zA-Z0-9.!%*_+`'~-]{1,12}"),
    ) {
        let mut text = String::new();
        if let Some(d) = &dn {
            text.push_str(&format!("\"{d}\" "));
        }
        text.push_str(&format!("<sip:{user}@{host}"));
        if let Some(p) = port {
            text.push_str(&format!(":{p}"));
        }
        text.push('>');
        if let Some(t) = &tag {
            text.push_str(&format!(";tag={t}"));
        }
        let a = parse_name_addr(text.as_bytes(), &strict()).unwrap();
        prop_assert_eq!(a.display_name, dn.as_deref());
        prop_assert_eq!(a.uri.user, Some(user.as_str()));
        prop_assert_eq!(a.uri.port, port);
        prop_assert_eq!(a.tag(), tag.as_deref());
        let shown = a.to_string();
        let again = parse_name_addr(shown.as_bytes(), &strict()).unwrap();
        prop_assert_eq!(again, a);
    }

    /// Every prefix of a valid address either parses (to something) or
    /// fails with an offset inside it: never a panic, never an offset past
    /// the input.
    #[test]
    fn every_prefix_of_an_address_is_handled(cut in 0usize..120) {
        let v = &b"\"A \\\"B\\\"\" <sips:a:pw@[2001:db8::1]:5061;transport=tls?h=v>;tag=x;q=0.5"[..];
        let p = &v[..cut.min(v.len())];
        for cfg in [strict(), lenient()] {
            if let Err(e) = parse_name_addr(p, &cfg) {
                prop_assert!(e.offset() <= p.len() as u64);
            }
            for r in parse_reason(p) {
                if let Err(e) = r {
                    prop_assert!(e.offset() <= p.len() as u64);
                }
            }
        }
    }
}

/// Names to look up: every indexed name in several spellings, compact
/// forms, and names that are not indexed.
const LOOKUPS: &[&str] = &[
    "Via",
    "v",
    "VIA",
    "From",
    "f",
    "To",
    "t",
    "TO",
    "Call-ID",
    "i",
    "call-id",
    "CSeq",
    "cseq",
    "Max-Forwards",
    "Contact",
    "m",
    "Route",
    "Record-Route",
    "record-route",
    "Content-Type",
    "c",
    "Reason",
    "Expires",
    "Date",
    "User-Agent",
    "user-agent",
    "Server",
    "SERVER",
    "Supported",
    "Unsupported",
    "Content-Length",
    "l",
    "Subject",
    "s",
    "X-Nope",
    "Cseq2",
    "Froms",
];

/// What the decoder's index finds equals what the walk finds, on every
/// message of the shared corpus.
#[test]
fn indexed_lookups_equal_the_walk() {
    let Some(corpus) =
        common::shared_corpus("indexed lookups against the walk on every corpus message")
    else {
        return;
    };
    let mut checked = 0;
    for dir in [
        "rfc4475",
        "rfc5118",
        "rfc3665",
        "captured",
        "rfc-examples/rfc5626",
    ] {
        for path in common::dat_files(&corpus.join(dir)) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(sipline::Parsed::Complete { value: m, .. }) =
                sipline::parse_message(&bytes, &lenient())
            else {
                continue;
            };
            let mut dec = sipline::StreamDecoder::new(lenient());
            let mut buf = bytes::BytesMut::from(&bytes[..]);
            let Ok(Some(sipline::Frame::Message(owned))) = dec.decode(&mut buf) else {
                panic!("{path:?}")
            };
            let indexed = owned.head();
            // parse_head_into does not index: its head walks.
            let mut fields = [sipline::HeaderField::EMPTY; 64];
            let walked = sipline::parse_head_into(&bytes, &lenient(), &mut fields)
                .ok()
                .and_then(|p| p.value())
                .map(|(h, _)| h);
            for name in LOOKUPS {
                if let Some(w) = walked {
                    assert_eq!(w.header(name), m.head.header(name), "{path:?} {name}");
                }
                let a: Vec<_> = indexed.headers_named(name).collect();
                let b: Vec<_> = m.head.headers_named(name).collect();
                assert_eq!(a, b, "{path:?} {name}");
                assert_eq!(indexed.header(name), m.head.header(name), "{path:?} {name}");
            }
            assert_eq!(indexed.validate(), m.head.validate(), "{path:?}");
            checked += 1;
        }
    }
    assert!(checked > 250, "{checked}");
}

/// `Head::via_count` equals `vias().count()` on every head of the shared
/// corpus whose Vias all parse.
#[test]
fn via_count_is_the_number_of_vias() {
    use sipline::{parse_datagram, Datagram};
    let Some(corpus) = common::shared_corpus("Via counts on every corpus message") else {
        return;
    };
    let mut checked = 0;
    let mut several = 0;
    for f in common::dat_files(&corpus) {
        let buf = std::fs::read(&f).unwrap();
        let Ok(Datagram::Message(m)) = parse_datagram(&buf, &ParserConfig::lenient()) else {
            continue;
        };
        if m.head.get_all::<sipline::Via>().any(|v| v.is_err()) {
            continue;
        }
        let n = m.head.get_all::<sipline::Via>().count();
        assert_eq!(m.head.via_count(), n, "{}", f.display());
        checked += 1;
        several += usize::from(n > 1);
    }
    assert!(
        checked > 300 && several > 20,
        "{checked} heads, {several} with several Vias"
    );
}
