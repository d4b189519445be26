//! SDP (`sipline::sdp`): every SDP body of the corpus (RFC 3665's, RFC
//! 4475's and `corpus/messages`) parses, is written back byte for byte
//! when nothing changes, and rewritten parses to what was asked; crafted
//! bodies give each error where RFC 8866 says the body goes wrong; offers
//! and answers are matched as RFC 3264 §6 says.

mod common;

use bytes::BytesMut;
use sipline::sdp::{negotiate, parse_sdp, Direction, NegotiationError, SdpWriteError, SdpWriter};
use sipline::{parse_datagram, Datagram, ErrorKind, ParserConfig};

/// The SDP bodies of the `.dat` messages below `dir`: (file, body).
fn sdp_bodies(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let cfg = ParserConfig::lenient();
    common::dat_files(dir)
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            // As a datagram: a body without Content-Length runs to the end.
            let Ok(Datagram::Message(m)) = parse_datagram(&bytes, &cfg) else {
                return None;
            };
            let sdp = m
                .head
                .header("Content-Type")
                .is_some_and(|t| t.value.to_ascii_lowercase().starts_with(b"application/sdp"));
            (sdp && !m.body.is_empty()).then(|| (p.display().to_string(), m.body.to_vec()))
        })
        .collect()
}

fn corpus_bodies() -> Option<Vec<(String, Vec<u8>)>> {
    let shared = common::shared_corpus("the SDP bodies of RFC 3665 and RFC 4475")?;
    let mut all = sdp_bodies(&shared.join("rfc3665"));
    let rfc3665 = all.len();
    // RFC 3665 holds 64 SDP bodies (one of them, §3.11's, without its
    // `v=` line: an erratum of the RFC's, which the tests expect refused).
    assert_eq!(rfc3665, 64, "SDP bodies in rfc3665");
    all.extend(sdp_bodies(&shared.join("rfc4475")));
    all.extend(sdp_bodies(
        &common::workspace_root().join("corpus/messages"),
    ));
    println!("{} SDP bodies ({rfc3665} from RFC 3665)", all.len());
    Some(all)
}

#[test]
fn corpus_bodies_parse_and_write_back_unchanged() {
    let Some(bodies) = corpus_bodies() else {
        return;
    };
    let mut strict_ok = 0;
    let mut without_v = 0;
    for (file, body) in &bodies {
        if !body.starts_with(b"v=") {
            // RFC 3665 §3.11's INVITE with credentials: its body starts at `o=`.
            let e = parse_sdp(body, &ParserConfig::lenient()).unwrap_err();
            assert_eq!((e.kind(), e.offset()), (ErrorKind::SdpOrder, 0), "{file}");
            without_v += 1;
            continue;
        }
        let lenient = parse_sdp(body, &ParserConfig::lenient())
            .unwrap_or_else(|e| panic!("{file}: {e}\n{}", String::from_utf8_lossy(body)));
        if parse_sdp(body, &ParserConfig::strict()).is_ok() {
            strict_ok += 1;
        }
        assert!(lenient.media_count() >= 1, "{file}");
        for m in lenient.media() {
            assert!(m.line().formats().count() >= 1, "{file}");
            assert!(m.connection().is_some(), "{file}");
        }
        let mut out = BytesMut::new();
        SdpWriter::new(&lenient).write(&mut out).unwrap();
        assert_eq!(&out[..], &body[..], "{file}");
    }
    assert_eq!(without_v, 1);
    // Every RFC 3665 body but that one is strict RFC 8866.
    assert!(strict_ok >= 63, "{strict_ok} of {} strict", bodies.len());
}

#[test]
fn corpus_bodies_rewritten_parse_to_what_was_asked() {
    let Some(bodies) = corpus_bodies() else {
        return;
    };
    for (file, body) in bodies.iter().filter(|(_, b)| b.starts_with(b"v=")) {
        let sdp = parse_sdp(body, &ParserConfig::lenient()).unwrap();
        let first = sdp.media().next().unwrap();
        let formats: Vec<&str> = first.line().formats().collect();
        let reversed: Vec<&str> = formats.iter().rev().copied().collect();
        let dir = match first.direction() {
            Direction::SendOnly => Direction::Inactive,
            _ => Direction::SendOnly,
        };
        let mut out = BytesMut::new();
        SdpWriter::new(&sdp)
            .connection_address("2001:db8::42")
            .origin(Some("198.51.100.9"), Some(7))
            .port(0, 31000)
            .formats(0, &reversed)
            .direction(0, dir)
            .write(&mut out)
            .unwrap();
        let cfg = if parse_sdp(body, &ParserConfig::strict()).is_ok() {
            ParserConfig::strict()
        } else {
            ParserConfig::lenient()
        };
        let again = parse_sdp(&out, &cfg)
            .unwrap_or_else(|e| panic!("{file}: {e}\n{}", String::from_utf8_lossy(&out)));
        let o = again.origin().unwrap();
        assert_eq!(
            (o.address, o.addr_type, o.session_version),
            ("198.51.100.9", "IP4", "7")
        );
        assert_eq!(again.media_count(), sdp.media_count(), "{file}");
        let m = again.media().next().unwrap();
        assert_eq!(m.line().port, 31000, "{file}");
        assert_eq!(m.line().formats().collect::<Vec<_>>(), reversed, "{file}");
        assert_eq!(m.direction(), dir, "{file}");
        let c = m.connection().unwrap();
        assert_eq!((c.address, c.addr_type), ("2001:db8::42", "IP6"), "{file}");
        for m in again.media() {
            assert_eq!(m.connection().unwrap().address, "2001:db8::42", "{file}");
        }
        // The rest of the lines are the same lines, in the same order.
        let kept = |s: &sipline::sdp::Sdp<'_>| {
            s.lines()
                .filter(|l| !matches!(l.kind, b'c' | b'o' | b'm'))
                .filter(|l| Direction::from_attribute(&String::from_utf8_lossy(l.value)).is_none())
                .map(|l| l.value.to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(kept(&again), kept(&sdp), "{file}");
    }
}

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

fn err(body: &str, cfg: &ParserConfig) -> (ErrorKind, u64) {
    let e = parse_sdp(body.as_bytes(), cfg).unwrap_err();
    (e.kind(), e.offset())
}

#[test]
fn errors_say_what_and_where() {
    let strict = ParserConfig::strict();
    let lenient = ParserConfig::lenient();
    let m = HEAD.len() as u64;
    // A port past 65535: the port's first byte, in both modes.
    let body = format!("{HEAD}m=audio 70000 RTP/AVP 0\r\n");
    assert_eq!(err(&body, &strict), (ErrorKind::SdpValue, m + 8));
    assert_eq!(err(&body, &lenient), (ErrorKind::SdpValue, m + 8));
    // No format.
    assert_eq!(
        err(&format!("{HEAD}m=audio 4000 RTP/AVP\r\n"), &strict).0,
        ErrorKind::SdpValue
    );
    // No c= anywhere: strict names the m= line; lenient reads it, no address.
    let no_c = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    assert_eq!(err(no_c, &strict), (ErrorKind::SdpConnection, 35));
    let sdp = parse_sdp(no_c.as_bytes(), &lenient).unwrap();
    assert!(sdp.media().next().unwrap().connection().is_none());
    // A media description with its own c= needs none at session level; the
    // second one without is named.
    let two = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\nm=video 4002 RTP/AVP 31\r\n";
    assert_eq!(err(two, &strict), (ErrorKind::SdpConnection, 79));
    // Bare LF: strict refuses it at the LF; lenient reads it.
    let lf = HEAD.replace("\r\n", "\n") + "m=audio 4000 RTP/AVP 0\n";
    assert_eq!(err(&lf, &strict), (ErrorKind::LineEnd, 3));
    assert_eq!(parse_sdp(lf.as_bytes(), &lenient).unwrap().media_count(), 1);
    // A bare CR inside a line, a NUL: both modes.
    let cr = format!("{HEAD}s=a\rb\r\n");
    assert_eq!(err(&cr, &lenient).0, ErrorKind::LineEnd);
    let nul = format!("{HEAD}a=tool:x\0y\r\n");
    assert_eq!(err(&nul, &lenient), (ErrorKind::SdpLine, m + 8));
    // The last line without its line end: strict only.
    let unended = format!("{HEAD}m=audio 4000 RTP/AVP 0");
    assert_eq!(
        err(&unended, &strict),
        (ErrorKind::SdpLine, unended.len() as u64)
    );
    assert!(parse_sdp(unended.as_bytes(), &lenient).is_ok());
    // Order: s= before o= (strict), v= not first (both), v= not 0.
    let swapped = "v=0\r\ns=-\r\no=- 1 1 IN IP4 h\r\nt=0 0\r\n";
    assert_eq!(err(swapped, &strict), (ErrorKind::SdpOrder, 10));
    assert!(parse_sdp(swapped.as_bytes(), &lenient).is_ok());
    assert_eq!(
        err("o=- 1 1 IN IP4 h\r\nv=0\r\n", &lenient),
        (ErrorKind::SdpOrder, 0)
    );
    assert_eq!(err("v=1\r\n", &lenient), (ErrorKind::SdpValue, 2));
    // Missing t=: strict names the end.
    let no_t = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n";
    assert_eq!(err(no_t, &strict), (ErrorKind::SdpOrder, no_t.len() as u64));
    // A second time description after r= is in order; a c= after a= is not.
    let repeat = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=1 2\r\nr=7d 1h 0 25h\r\nt=3 4\r\n";
    assert!(parse_sdp(repeat.as_bytes(), &strict).is_ok());
    let late_c = format!("{HEAD}m=audio 4000 RTP/AVP 0\r\na=sendonly\r\nc=IN IP4 192.0.2.2\r\n");
    assert_eq!(err(&late_c, &strict).0, ErrorKind::SdpOrder);
    // A type RFC 8866 does not define: strict refuses, lenient passes over.
    let x = format!("{HEAD}x=whatever\r\n");
    assert_eq!(err(&x, &strict), (ErrorKind::SdpLine, m));
    assert!(parse_sdp(x.as_bytes(), &lenient).is_ok());
    // Not a line at all.
    assert_eq!(
        err(&format!("{HEAD}hello\r\n"), &lenient),
        (ErrorKind::SdpLine, m + 1)
    );
    // Attribute values: checked in strict mode (payload type 128).
    let rtpmap = format!("{HEAD}m=audio 4000 RTP/AVP 0\r\na=rtpmap:128 x/8000\r\n");
    assert_eq!(err(&rtpmap, &strict).0, ErrorKind::SdpValue);
    assert!(parse_sdp(rtpmap.as_bytes(), &lenient).is_ok());
    // c=: a TTL past 255.
    let ttl = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 224.2.1.1/256\r\nt=0 0\r\n";
    assert_eq!(err(ttl, &strict), (ErrorKind::SdpValue, 47));
    // Extra whitespace: strict refuses it, lenient reads through it.
    let spaced = format!("{HEAD}m=audio  4000 RTP/AVP 0 8 \r\n");
    assert_eq!(err(&spaced, &strict).0, ErrorKind::SdpValue);
    let sdp = parse_sdp(spaced.as_bytes(), &lenient).unwrap();
    let audio = sdp.media().next().unwrap();
    assert_eq!((audio.line().port, audio.line().formats), (4000, "0 8"));
}

#[test]
fn media_reads_rtcp_direction_codecs_and_groups() {
    let body = format!(
        "{HEAD}a=group:BUNDLE a v\r\na=recvonly\r\n\
         m=audio 4000 RTP/SAVP 0 96\r\na=mid:a\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\na=ptime:20.5\r\na=rtcp:4005 IN IP4 192.0.2.9\r\n\
         m=video 4002/2 RTP/AVP 31\r\nc=IN IP6 2001:db8::1\r\na=rtpmap:031 h261/90000\r\na=mid:v\r\na=rtcp-mux\r\na=inactive\r\na=candidate:1 1 UDP 2130706431 192.0.2.1 4000 typ host\r\n\
         m=audio 0 RTP/AVP 0\r\n"
    );
    let sdp = parse_sdp(body.as_bytes(), &ParserConfig::strict()).unwrap();
    assert_eq!(sdp.direction(), Some(Direction::RecvOnly));
    let g = sdp.groups().next().unwrap();
    assert_eq!(
        (g.semantics, g.tags().collect::<Vec<_>>()),
        ("BUNDLE", vec!["a", "v"])
    );
    let mut media = sdp.media();
    let a = media.next().unwrap();
    assert!(a.line().is_srtp() && a.line().is_rtp());
    assert_eq!(a.mid(), Some("a"));
    assert_eq!(a.direction(), Direction::RecvOnly); // the session's
    let opus = a.codec(96).unwrap();
    assert_eq!(
        (opus.encoding, opus.clock_rate, opus.params),
        ("opus", 48000, Some("2"))
    );
    assert_eq!(a.fmtp("96"), Some(&b"useinbandfec=1"[..]));
    assert_eq!(a.ptime_us(), Some(20_500));
    let rtcp = a.rtcp().unwrap();
    assert_eq!(
        (rtcp.port, rtcp.connection.unwrap().address),
        (4005, "192.0.2.9")
    );
    assert_eq!(a.rtcp_port(), Some(4005));
    let v = media.next().unwrap();
    assert_eq!((v.line().port_count, v.index()), (Some(2), 1));
    assert_eq!(
        v.connection().unwrap().ip(),
        Some("2001:db8::1".parse().unwrap())
    );
    assert!(v.rtcp_mux());
    assert_eq!(v.rtcp_port(), Some(4002));
    assert_eq!(v.direction(), Direction::Inactive);
    let cand = v.attribute("candidate").unwrap();
    assert_eq!(
        cand.value_str(),
        Some("1 1 UDP 2130706431 192.0.2.1 4000 typ host")
    );
    // A payload type written with a leading zero is the same number (fuzz
    // find: `codec` had compared the digits as text).
    assert_eq!(v.codec(31).unwrap().encoding, "h261"); // not the static "H261"
    let off = media.next().unwrap();
    assert!(off.is_rejected());
    assert_eq!(off.rtcp_port(), None);
    assert!(media.next().is_none());
}

#[test]
fn writer_adds_what_is_missing_and_refuses_what_cannot_be() {
    let body = format!("{HEAD}m=audio 4000 RTP/AVP 0 8\r\ni=voice\r\na=rtcp:4001\r\nm=video 4002 RTP/AVP 31\r\nc=IN IP4 192.0.2.3\r\n");
    let sdp = parse_sdp(body.as_bytes(), &ParserConfig::strict()).unwrap();
    let mut out = BytesMut::new();
    SdpWriter::new(&sdp)
        .media_connection_address(0, "203.0.113.1")
        .rtcp_port(0, 6001)
        .direction(1, Direction::RecvOnly)
        .write(&mut out)
        .unwrap();
    let text = String::from_utf8(out.to_vec()).unwrap();
    // c= added after i= (RFC 8866's order); the session's c= untouched.
    assert!(
        text.contains(
            "m=audio 4000 RTP/AVP 0 8\r\ni=voice\r\nc=IN IP4 203.0.113.1\r\na=rtcp:6001\r\n"
        ),
        "{text}"
    );
    assert!(text.starts_with(HEAD), "{text}");
    assert!(
        text.ends_with("c=IN IP4 192.0.2.3\r\na=recvonly\r\n"),
        "{text}"
    );
    let again = parse_sdp(text.as_bytes(), &ParserConfig::strict()).unwrap();
    assert_eq!(
        again.media().next().unwrap().connection().unwrap().address,
        "203.0.113.1"
    );

    let fail = |w: SdpWriter<'_, '_, '_>| {
        let mut out = BytesMut::new();
        let e = w.write(&mut out).unwrap_err();
        assert!(out.is_empty());
        e
    };
    assert_eq!(
        fail(SdpWriter::new(&sdp).port(2, 1)),
        SdpWriteError::NoSuchMedia { index: 2, count: 2 }
    );
    assert_eq!(
        fail(SdpWriter::new(&sdp).formats(0, &["9"])),
        SdpWriteError::Formats { index: 0 }
    );
    assert_eq!(
        fail(SdpWriter::new(&sdp).formats(0, &[])),
        SdpWriteError::Formats { index: 0 }
    );
    assert_eq!(
        fail(SdpWriter::new(&sdp).connection_address("a b")),
        SdpWriteError::Address("connection")
    );
    assert_eq!(
        fail(SdpWriter::new(&sdp).origin(Some("\r\n"), None)),
        SdpWriteError::Address("origin")
    );
    let mut w = SdpWriter::new(&sdp);
    for i in 0..17 {
        w = w.port(i, 1);
    }
    assert!(matches!(fail(w), SdpWriteError::NoSuchMedia { .. }));

    // A multicast suffix stays with its address type only (fuzz find:
    // `/8000` is a count for IP6, an impossible TTL for IP4).
    let multi = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP6 ff15::1/3\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 224.2.1.1/127/2\r\n";
    let sdp = parse_sdp(multi.as_bytes(), &ParserConfig::strict()).unwrap();
    for (to, session, media) in [
        (
            "192.0.2.5",
            "c=IN IP4 192.0.2.5\r\n",
            "c=IN IP4 192.0.2.5/127/2\r\n",
        ),
        ("ff15::2", "c=IN IP6 ff15::2/3\r\n", "c=IN IP6 ff15::2\r\n"),
    ] {
        let mut out = BytesMut::new();
        SdpWriter::new(&sdp)
            .connection_address(to)
            .write(&mut out)
            .unwrap();
        let text = String::from_utf8(out.to_vec()).unwrap();
        assert!(text.contains(session) && text.contains(media), "{text}");
        assert!(parse_sdp(text.as_bytes(), &ParserConfig::strict()).is_ok());
    }

    // LF bodies (lenient) stay LF, a missing last line end is added before
    // a line is.
    let lf = format!("{}m=audio 4000 RTP/AVP 0", HEAD.replace("\r\n", "\n"));
    let sdp = parse_sdp(lf.as_bytes(), &ParserConfig::lenient()).unwrap();
    let mut out = BytesMut::new();
    SdpWriter::new(&sdp)
        .direction(0, Direction::Inactive)
        .write(&mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out.to_vec()).unwrap(),
        format!("{lf}\na=inactive\n")
    );
}

#[test]
fn offers_and_answers_match_by_rfc_3264() {
    let sdp = |media: &str| format!("{HEAD}{media}");
    fn parse<'a>(s: &'a str) -> sipline::sdp::Sdp<'a> {
        parse_sdp(s.as_bytes(), &ParserConfig::strict()).unwrap()
    }
    let offer_s = sdp("m=audio 4000 RTP/AVP 0 8 96\r\na=rtpmap:96 telephone-event/8000\r\na=sendonly\r\nm=video 4002 RTP/AVP 31\r\n");
    let offer = parse(&offer_s);
    let check = |answer: &str| {
        let a = sdp(answer);
        let a = parse(&a);
        negotiate(&offer, &a).map(|n| {
            n.map(|n| {
                (
                    n.is_accepted(),
                    n.formats().collect::<Vec<_>>().join(" "),
                    n.offerer_sends(),
                    n.answerer_sends(),
                )
            })
            .collect::<Vec<_>>()
        })
    };
    // Video rejected; audio: PCMA, and telephone-event under another number.
    assert_eq!(
        check("m=audio 5000 RTP/AVP 8 101 18\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\nm=video 0 RTP/AVP 31\r\n"),
        Ok(vec![(true, "8 101".into(), true, false), (false, String::new(), false, false)])
    );
    assert_eq!(
        check("m=audio 5000 RTP/AVP 0\r\n"),
        Err(NegotiationError::MediaCount {
            offer: 2,
            answer: 1
        })
    );
    assert_eq!(
        check("m=video 5000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"),
        Err(NegotiationError::MediaType { index: 0 })
    );
    assert_eq!(
        check("m=audio 5000 RTP/AVP 18\r\na=recvonly\r\nm=video 0 RTP/AVP 31\r\n"),
        Err(NegotiationError::NoCommonFormat { index: 0 })
    );
    // A sendonly offer answered sendrecv (the default) or sendonly.
    assert_eq!(
        check("m=audio 5000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"),
        Err(NegotiationError::Direction { index: 0 })
    );
    assert_eq!(
        check("m=audio 5000 RTP/AVP 0\r\na=inactive\r\nm=video 0 RTP/AVP 31\r\n"),
        Ok(vec![
            (true, "0".into(), false, false),
            (false, String::new(), false, false)
        ])
    );
    assert_eq!(
        NegotiationError::Direction { index: 0 }.to_string(),
        "media description 0: the answer's direction does not answer the offer's"
    );
}

#[test]
fn every_line_type_in_rfc_8866_order() {
    let full = "v=0\r\no=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\ns=Call to John Smith\r\n\
        i=SDP Offer #1\r\nu=http://www.jdoe.example.com/home.html\r\ne=Jane Doe <jane@jdoe.example.com>\r\n\
        p=+1 617 555-6011\r\nc=IN IP4 198.51.100.1\r\nb=AS:128\r\nt=0 0\r\nr=604800 3600 0 90000\r\n\
        z=2882844526 -1h\r\nk=prompt\r\na=tool:x\r\na=sendrecv\r\n\
        m=audio 49170 RTP/AVP 0\r\ni=voice\r\nc=IN IP4 198.51.100.2\r\nb=AS:64\r\nk=prompt\r\na=ptime:20\r\n\
        m=video 51372 RTP/AVP 99\r\nc=IN IP6 2001:db8::2\r\nc=IN IP6 2001:db8::3\r\na=rtpmap:99 h263-1998/90000\r\n";
    let sdp = parse_sdp(full.as_bytes(), &ParserConfig::strict()).unwrap();
    assert_eq!(sdp.session_name(), Some(&b"Call to John Smith"[..]));
    assert_eq!(sdp.session_value(b'k'), Some(&b"prompt"[..]));
    assert_eq!(sdp.session_value(b'm'), None); // media lines are not the session's
    assert_eq!(sdp.attribute("tool").unwrap().value_str(), Some("x"));
    assert_eq!(sdp.direction(), Some(Direction::SendRecv));
    assert_eq!(sdp.as_str(), Some(full));
    assert_eq!(sdp.session_lines().count(), 15);
    assert_eq!(sdp.lines().count(), 25);
    let o = sdp.origin().unwrap();
    assert_eq!(
        (o.username, o.session_id, o.addr_type),
        ("jdoe", "3724394400", "IP4")
    );
    let v = sdp.media().nth(1).unwrap();
    assert_eq!(v.connection().unwrap().address, "2001:db8::2"); // its first
    assert_eq!(v.own_connection(), v.connection());
    // A host name is no IP address; an IP of the other type neither.
    let c = |line: &str| {
        let body = format!("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc={line}\r\nt=0 0\r\n");
        let sdp = parse_sdp(body.as_bytes(), &ParserConfig::strict()).unwrap();
        sdp.connection().unwrap().ip()
    };
    assert_eq!(c("IN IP4 host.example.com"), None);
    assert_eq!(c("IN IP6 192.0.2.1"), None);
    assert_eq!(c("IN IP4 192.0.2.1"), Some([192, 0, 2, 1].into()));

    // Each line's value checked: (line put after t=, or for o=/c= in place
    // of the session's; the value's bad byte's offset from the line's `=`).
    let strict = ParserConfig::strict();
    let session =
        |o: &str, c: &str, extra: &str| format!("v=0\r\no={o}\r\ns=-\r\nc={c}\r\nt=0 0\r\n{extra}");
    let o_at = 5 + 2;
    for (o, at) in [
        ("- x 1 IN IP4 h", 2),
        ("- 1 1 IN IP4", 12),
        ("- 1 1 IN IP4 h extra", 15),
        ("- 1 1 I\"N IP4 h", 6),
        ("\u{1} 1 1 IN IP4 h", 0),
        ("- 1 1 IN IP4 \u{7f}", 13),
    ] {
        let e = parse_sdp(session(o, "IN IP4 h", "").as_bytes(), &strict).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::SdpValue, (o_at + at) as u64),
            "{o}"
        );
    }
    let c_at = session("- 1 1 IN IP4 h", "", "").find("c=").unwrap() + 2;
    for (c, at) in [
        ("IN IP4 224.2.1.1/1/2/3", 17),
        ("IN IP4 224.2.1.1/x", 17),
        ("IN IP6 ff15::1/99999999999", 15),
        ("IN", 2),
        ("IN IP4 a b", 9),
    ] {
        let e = parse_sdp(session("- 1 1 IN IP4 h", c, "").as_bytes(), &strict).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::SdpValue, (c_at + at) as u64),
            "{c}"
        );
    }
    let base = session("- 1 1 IN IP4 h", "IN IP4 h", "");
    for (extra, at) in [
        ("m=audio 4000 RTP/AVP 0\r\nb=AS\r\n", 0),
        ("m=audio 4000 RTP/AVP 0\r\nb=A S:1\r\n", 0),
        ("m=audio 4000 RTP/AVP 0\r\nb=AS:x\r\n", 3),
        ("m=audio 4000/0 RTP/AVP 0\r\n", 11),
        ("m=audio 4000 RTP//AVP 0\r\n", 11),
        ("m=audio 4000 RTP/AVP 0 \"\r\n", 21),
        ("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", 13),
        ("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", 14),
        ("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 P\"U/8000\r\n", 9),
        ("m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/\"\r\n", 19),
        ("m=audio 4000 RTP/AVP 0\r\na=rtcp:x\r\n", 5),
        ("m=audio 4000 RTP/AVP 0\r\na=rtcp:9 IN\r\n", 9),
        ("m=audio 4000 RTP/AVP 0\r\na=ptime:2x\r\n", 6),
        ("m=audio 4000 RTP/AVP 0\r\na=ptime:2.\r\n", 6),
        ("m=audio 4000 RTP/AVP 0\r\na=fmtp\r\n", 4),
        ("m=audio 4000 RTP/AVP 0\r\na=sendonly:x\r\n", 9),
        ("m=audio 4000 RTP/AVP 0\r\na=a\"b\r\n", 1),
        ("t=1\r\n", 1),
        ("t=1 2 3\r\n", 4),
    ] {
        let body = format!("{base}{extra}");
        let e = parse_sdp(body.as_bytes(), &strict).unwrap_err();
        let last = extra.trim_end().rsplit("\r\n").next().unwrap();
        let line = body.rfind(last).unwrap();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::SdpValue, (line + 2 + at) as u64),
            "{extra}"
        );
    }
    // Order: a second v=, an o= inside a media description, a type that
    // only a media description has at session level.
    for (extra, kind) in [
        ("v=0\r\n", ErrorKind::SdpOrder),
        (
            "m=audio 4000 RTP/AVP 0\r\no=- 1 1 IN IP4 h\r\n",
            ErrorKind::SdpOrder,
        ),
        (
            "m=audio 4000 RTP/AVP 0\r\ni=a\r\ni=b\r\n",
            ErrorKind::SdpOrder,
        ),
        ("s=again\r\n", ErrorKind::SdpOrder),
        ("\r\n", ErrorKind::SdpLine),
        ("=x\r\n", ErrorKind::SdpLine),
    ] {
        let body = format!("{base}{extra}");
        assert_eq!(
            parse_sdp(body.as_bytes(), &strict).unwrap_err().kind(),
            kind,
            "{extra}"
        );
    }
    // Lenient: blank lines, an empty s=, no o=, a=  with leading space.
    let loose = "v=0\n\ns=\nc=IN  IP4\t192.0.2.1 \nt=0 0\nm=audio 4000 RTP/AVP 0\na= sendonly\n\n";
    let sdp = parse_sdp(loose.as_bytes(), &ParserConfig::lenient()).unwrap();
    assert_eq!(sdp.origin(), None);
    assert_eq!(sdp.connection().unwrap().address, "192.0.2.1");
    assert_eq!(sdp.media().next().unwrap().direction(), Direction::SendOnly);
    // No media at all.
    let none = parse_sdp(base.as_bytes(), &strict).unwrap();
    assert_eq!((none.media_count(), none.media().count()), (0, 0));
}
