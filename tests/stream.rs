//! Framing rules and limits of the stream decoder and the datagram parser,
//! including the bugs peers report in other SIP stacks.

mod common;

use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_head, parse_message, parse_request_line, parse_sipfrag, Datagram,
    ErrorKind, Frame, Parsed, ParserConfig, StartLine, StreamDecoder,
};

const INVITE_200: &[u8] =
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nbody";

/// Feeds `stream` in the given chunk sizes (cycled) and returns every frame.
fn feed(cfg: ParserConfig, stream: &[u8], chunks: &[usize]) -> Result<Vec<Frame>, sipline::Error> {
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut k = 0;
    while at < stream.len() {
        let n = chunks[k % chunks.len()].max(1).min(stream.len() - at);
        k += 1;
        buf.extend_from_slice(&stream[at..at + n]);
        at += n;
        while let Some(f) = dec.decode(&mut buf)? {
            out.push(f);
        }
    }
    Ok(out)
}

fn messages(frames: &[Frame]) -> Vec<Vec<u8>> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Message(m) => Some(m.as_bytes().to_vec()),
            Frame::KeepAlive { .. } => None,
        })
        .collect()
}

#[test]
fn sipgo_36_large_sdp_split_across_reads_is_one_message() {
    let body = vec![b'a'; 5000];
    let mut msg = format!("INVITE sip:b@example.com SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    msg.extend_from_slice(&body);
    for chunks in [&[1460][..], &[100, 7, 3000], &[1]] {
        let frames = feed(ParserConfig::strict(), &msg, chunks).unwrap();
        assert_eq!(messages(&frames), vec![msg.clone()]);
    }
}

#[test]
fn sipnab_95_every_message_in_one_segment_is_read() {
    let mut seg = Vec::new();
    for _ in 0..5 {
        seg.extend_from_slice(INVITE_200);
    }
    let frames = feed(ParserConfig::strict(), &seg, &[seg.len()]).unwrap();
    assert_eq!(messages(&frames), vec![INVITE_200.to_vec(); 5]);
}

#[test]
fn libsip_22_a_cut_off_header_is_not_taken_as_the_body() {
    let cfg = ParserConfig::strict();
    for cut in 0..INVITE_200.len() {
        let mut dec = StreamDecoder::new(cfg);
        let mut buf = BytesMut::from(&INVITE_200[..cut]);
        assert_eq!(dec.decode(&mut buf), Ok(None), "cut at {cut}");
        assert!(matches!(
            parse_message(&INVITE_200[..cut], &cfg),
            Ok(Parsed::Incomplete { .. })
        ));
        buf.extend_from_slice(&INVITE_200[cut..]);
        let Some(Frame::Message(m)) = dec.decode(&mut buf).unwrap() else {
            panic!("cut {cut}")
        };
        assert_eq!(&m.body()[..], b"body");
        assert_eq!(m.head().header_count(), 2);
    }
    // As a datagram, a head cut off before its empty line is an error, never a body.
    let cut = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP a;bra";
    assert_eq!(
        parse_datagram(cut, &cfg).unwrap_err().kind(),
        ErrorKind::TruncatedHead
    );
}

#[test]
fn mjsip_39_a_huge_content_length_is_refused_before_buffering() {
    let head = b"SIP/2.0 200 OK\r\nContent-Length: 2000000000\r\n\r\n";
    let mut dec = StreamDecoder::default();
    let mut buf = BytesMut::from(&head[..]);
    let e = dec.decode(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BodyTooLarge);
    assert_eq!(e.offset(), 32, "at the value");
    // The decoder stays failed: the stream cannot be resynchronised.
    buf.extend_from_slice(INVITE_200);
    assert_eq!(dec.decode(&mut buf), Err(e));
    // 2^64 and -1.
    for (v, kind) in [
        ("18446744073709551616", ErrorKind::BodyTooLarge),
        ("-1", ErrorKind::ContentLength),
    ] {
        let m = format!("SIP/2.0 200 OK\r\nContent-Length: {v}\r\n\r\n");
        let e = parse_message(m.as_bytes(), &ParserConfig::default()).unwrap_err();
        assert_eq!(e.kind(), kind, "{v}");
    }
    // The limit is configurable.
    let cfg = ParserConfig::default().max_body_len(10);
    let m = b"SIP/2.0 200 OK\r\nl: 11\r\n\r\n";
    assert_eq!(
        parse_message(m, &cfg).unwrap_err().kind(),
        ErrorKind::BodyTooLarge
    );
    let m = b"SIP/2.0 200 OK\r\nl: 10\r\n\r\n0123456789";
    assert!(parse_message(m, &cfg).unwrap().is_complete());
}

#[test]
fn keep_alives_between_messages() {
    let mut s = b"\r\n\r\n".to_vec();
    s.extend_from_slice(INVITE_200);
    s.extend_from_slice(b"\r\n");
    s.extend_from_slice(INVITE_200);
    s.extend_from_slice(b"\r\n\r\n");
    s.extend_from_slice(INVITE_200);
    for chunks in [&[1][..], &[s.len()], &[2, 3]] {
        let frames = feed(ParserConfig::strict(), &s, chunks).unwrap();
        let kinds: Vec<_> = frames
            .iter()
            .map(|f| match f {
                Frame::KeepAlive { offset } => format!("ping@{offset}"),
                Frame::Message(m) => format!("msg@{}", m.offset()),
            })
            .collect();
        let n = INVITE_200.len();
        assert_eq!(
            kinds,
            [
                "ping@0".to_string(),
                "msg@4".into(),
                format!("msg@{}", 4 + n + 2),
                format!("ping@{}", 4 + 2 * n + 2),
                format!("msg@{}", 4 + 2 * n + 6)
            ],
            "chunks {chunks:?}"
        );
    }
}

#[test]
fn conflicting_content_lengths_are_an_error_equal_ones_are_not() {
    let cfg = ParserConfig::default();
    let bad = b"SIP/2.0 200 OK\r\nContent-Length: 4\r\nl: 5\r\n\r\nbody!";
    let e = parse_message(bad, &cfg).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::ContentLength, 37));
    let same = b"SIP/2.0 200 OK\r\nContent-Length: 4\r\nl: 4\r\n\r\nbody";
    assert_eq!(
        parse_message(same, &cfg).unwrap().consumed(),
        Some(same.len())
    );
}

#[test]
fn missing_content_length_on_a_stream() {
    let m = b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n";
    let strict = ParserConfig::strict();
    assert_eq!(
        parse_message(m, &strict).unwrap_err().kind(),
        ErrorKind::MissingContentLength
    );
    let allowed = strict.allow_missing_content_length(true);
    assert_eq!(
        parse_message(m, &allowed).unwrap().consumed(),
        Some(m.len())
    );
    let lenient_without = ParserConfig::lenient().allow_missing_content_length(false);
    assert!(parse_message(m, &lenient_without).is_err());
    // A datagram never needs it.
    assert!(matches!(
        parse_datagram(m, &strict),
        Ok(Datagram::Message(_))
    ));
}

#[test]
fn missing_empty_line_in_a_datagram() {
    let m = b"SIP/2.0 200 OK\r\nVia: x\r\nContent-Length: 0\r\n";
    let strict = ParserConfig::strict();
    assert_eq!(
        parse_datagram(m, &strict).unwrap_err().kind(),
        ErrorKind::TruncatedHead
    );
    let Ok(Datagram::Message(msg)) = parse_datagram(m, &strict.allow_missing_empty_line(true))
    else {
        panic!()
    };
    assert_eq!((msg.head.header_count(), msg.body.len()), (2, 0));
    assert!(parse_datagram(m, &ParserConfig::lenient().allow_missing_empty_line(false)).is_err());
    // Cut inside a line: an error in both modes.
    assert!(parse_datagram(&m[..m.len() - 1], &ParserConfig::lenient()).is_err());
}

#[test]
fn datagram_body_rules() {
    let cfg = ParserConfig::strict();
    let dg = |s: &[u8]| match parse_datagram(s, &cfg) {
        Ok(Datagram::Message(m)) => Ok(m.body.to_vec()),
        Ok(Datagram::KeepAlive) => Ok(b"<keep-alive>".to_vec()),
        Err(e) => Err(e.kind()),
    };
    assert_eq!(
        dg(b"SIP/2.0 200 OK\r\nl: 2\r\n\r\nhi there"),
        Ok(b"hi".to_vec())
    );
    assert_eq!(
        dg(b"SIP/2.0 200 OK\r\n\r\nall of it"),
        Ok(b"all of it".to_vec())
    );
    assert_eq!(
        dg(b"SIP/2.0 200 OK\r\nl: 20\r\n\r\nshort"),
        Err(ErrorKind::TruncatedBody)
    );
    assert_eq!(dg(b"\r\n\r\n"), Ok(b"<keep-alive>".to_vec()));
    assert_eq!(dg(b"\r\nSIP/2.0 200 OK\r\nl: 0\r\n\r\n"), Ok(Vec::new()));
}

#[test]
fn folded_headers_and_compact_forms() {
    let m = b"INVITE sip:b@example.com SIP/2.0\r\nv: SIP/2.0/UDP a\r\n ;branch=z9hG4bK1\r\nI: abc\r\nSubject:\r\n\tfolded\r\nContent-Length\t: 0\r\n\r\n";
    let head = parse_head(m, &ParserConfig::strict())
        .unwrap()
        .value()
        .unwrap();
    assert_eq!(head.header_count(), 4);
    assert_eq!(
        head.header("Via").unwrap().value,
        b"SIP/2.0/UDP a\r\n ;branch=z9hG4bK1"
    );
    assert_eq!(head.header("call-id").unwrap().value, b"abc");
    assert_eq!(head.header("i").unwrap().full_name(), b"Call-ID");
    assert_eq!(
        head.header("subject")
            .unwrap()
            .value_lines()
            .collect::<Vec<_>>(),
        [b"folded"]
    );
    assert_eq!(head.content_length(), Some(0));
    assert_eq!(
        head.headers().map(|h| h.full_name()).collect::<Vec<_>>(),
        [&b"Via"[..], b"Call-ID", b"Subject", b"Content-Length"]
    );
    assert_eq!(head.headers_named("v").count(), 1);
    // A folded Content-Length.
    let m = b"SIP/2.0 200 OK\r\nContent-Length:\r\n 3\r\n\r\nabc";
    assert_eq!(
        parse_message(m, &ParserConfig::strict())
            .unwrap()
            .consumed(),
        Some(m.len())
    );
    // A continuation line with no field before it.
    let m = b"SIP/2.0 200 OK\r\n folded\r\n\r\n";
    assert_eq!(
        parse_head(m, &ParserConfig::strict()).unwrap_err().kind(),
        ErrorKind::HeaderName
    );
}

#[test]
fn header_syntax_errors_name_the_place() {
    let cfg = ParserConfig::strict();
    let cases: [(&[u8], ErrorKind, usize); 5] = [
        (
            b"SIP/2.0 200 OK\r\nNo colon here\r\n\r\n",
            ErrorKind::HeaderName,
            19,
        ),
        (
            b"SIP/2.0 200 OK\r\n: value\r\n\r\n",
            ErrorKind::HeaderName,
            16,
        ),
        (
            b"SIP/2.0 200 OK\r\nVia: a\rb\r\n\r\n",
            ErrorKind::LineEnd,
            23,
        ),
        (b"SIP/2.0 200 OK\r\nVia: a\n\r\n", ErrorKind::LineEnd, 22),
        (
            b"SIP/2.0 200 OK\r\nV<a: a\r\n\r\n",
            ErrorKind::HeaderName,
            17,
        ),
    ];
    for (m, kind, off) in cases {
        let e = parse_head(m, &cfg).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset() as usize),
            (kind, off),
            "{:?}",
            String::from_utf8_lossy(m)
        );
    }
    // LF-only lines: strict forbids, lenient allows.
    let lf = b"SIP/2.0 200 OK\nVia: a\nl: 0\n\n";
    assert!(parse_head(lf, &cfg).is_err());
    assert_eq!(
        parse_head(lf, &ParserConfig::lenient()).unwrap().consumed(),
        Some(lf.len())
    );
}

#[test]
fn limits_are_errors_not_allocations() {
    // Start-line length.
    let cfg = ParserConfig::default().max_line_len(64);
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::from(format!("SIP/2.0 200 {}", "x".repeat(100)).as_bytes());
    assert_eq!(
        dec.decode(&mut buf).unwrap_err().kind(),
        ErrorKind::LineTooLong
    );
    // Head size.
    let cfg = ParserConfig::default().max_head_len(256);
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::from(&b"SIP/2.0 200 OK\r\n"[..]);
    let mut err = None;
    for _ in 0..100 {
        buf.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        if let Err(e) = dec.decode(&mut buf) {
            err = Some(e);
            break;
        }
    }
    let e = err.expect("head limit");
    assert_eq!((e.kind(), e.offset()), (ErrorKind::HeadTooLarge, 256));
    assert!(
        buf.len() < 256 + 64,
        "stopped as soon as the limit was passed"
    );
    // Header count.
    let cfg = ParserConfig::default().max_headers(3);
    let m = b"SIP/2.0 200 OK\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n";
    let e = parse_head(m, &cfg).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::TooManyHeaders, 34));
    let three = b"SIP/2.0 200 OK\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n";
    assert_eq!(
        parse_head(three, &cfg)
            .unwrap()
            .value()
            .unwrap()
            .header_count(),
        3
    );
    // The documented defaults.
    let d = ParserConfig::default();
    assert_eq!(
        (d.head_len_limit(), d.headers_limit(), d.body_len_limit()),
        (65536, 256, 1 << 20)
    );
}

#[test]
fn garbage_is_refused_early_on_a_stream() {
    let mut dec = StreamDecoder::default();
    let mut buf = BytesMut::from(&b"SIP/2.0 9"[..]);
    let e = dec.decode(&mut buf).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::StatusCode, 8));
    let mut dec = StreamDecoder::default();
    let mut buf = BytesMut::from(&b"\x16\x03\x01"[..]);
    assert_eq!(dec.decode(&mut buf).unwrap_err().kind(), ErrorKind::Method);
}

#[test]
fn errors_carry_stream_offsets() {
    let mut s = INVITE_200.to_vec();
    s.extend_from_slice(b"SIP/2.0 200 OK\r\nl: x\r\n\r\n");
    let e = feed(ParserConfig::default(), &s, &[5]).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset() as usize),
        (ErrorKind::ContentLength, INVITE_200.len() + 19)
    );
}

#[test]
fn request_lines_strict_and_lenient() {
    let strict = ParserConfig::strict();
    let lenient = ParserConfig::lenient();
    let cases: [(&[u8], Option<ErrorKind>, Option<ErrorKind>); 9] = [
        (b"INVITE sip:b@example.com SIP/2.0\r\n", None, None),
        (b"RE%47IST%45R sip:b@example.com SIP/2.0\r\n", None, None),
        (
            b"INVITE <sip:b@example.com> SIP/2.0\r\n",
            Some(ErrorKind::RequestUri),
            Some(ErrorKind::RequestUri),
        ),
        (
            b"INVITE sip:b@example.com; lr SIP/2.0\r\n",
            Some(ErrorKind::RequestUri),
            Some(ErrorKind::RequestUri),
        ),
        (
            b"INVITE  sip:b@example.com  SIP/2.0\r\n",
            Some(ErrorKind::Separator),
            None,
        ),
        (
            b"INVITE sip:b@example.com SIP/2.0 \r\n",
            Some(ErrorKind::LineEnd),
            None,
        ),
        (
            b"INVITE sip:b@example.com SIP/7.0\r\n",
            Some(ErrorKind::Version),
            Some(ErrorKind::Version),
        ),
        (
            b"INV@TE sip:b@example.com SIP/2.0\r\n",
            Some(ErrorKind::Method),
            Some(ErrorKind::Method),
        ),
        (b"INVITE sip:[2001:db8::10]:5070 SIP/2.0\r\n", None, None),
    ];
    for (line, s, l) in cases {
        for (cfg, want) in [(strict, s), (lenient, l)] {
            let got = parse_request_line(line, &cfg);
            match want {
                None => assert_eq!(
                    got.unwrap().consumed(),
                    Some(line.len()),
                    "{:?}",
                    String::from_utf8_lossy(line)
                ),
                Some(k) => assert_eq!(
                    got.unwrap_err().kind(),
                    k,
                    "{:?}",
                    String::from_utf8_lossy(line)
                ),
            }
        }
        // Every prefix of an accepted line is incomplete.
        if s.is_none() {
            for cut in 0..line.len() {
                assert!(
                    matches!(
                        parse_request_line(&line[..cut], &strict),
                        Ok(Parsed::Incomplete { .. })
                    ),
                    "cut {cut}"
                );
            }
        }
    }
    let r = parse_request_line(b"OPTIONS sip:x SIP/2.0\r\n", &strict)
        .unwrap()
        .value()
        .unwrap();
    assert_eq!(r.method, "OPTIONS");
    assert_eq!(r.to_string(), "OPTIONS sip:x SIP/2.0");
}

#[test]
fn sipfrag_bodies() {
    let cfg = ParserConfig::strict();
    let f = parse_sipfrag(b"SIP/2.0 200 OK\r\n", &cfg).unwrap();
    assert!(matches!(f.start_line, StartLine::Status(s) if s.code == 200));
    assert_eq!((f.header_count(), f.body), (0, None));
    let f = parse_sipfrag(b"SIP/2.0 603 Declined\r\nSubject: x\r\n", &cfg).unwrap();
    assert_eq!(f.header_count(), 1);
    let f = parse_sipfrag(b"INVITE sip:b@example.com SIP/2.0\r\nl: 2\r\n\r\nhi", &cfg).unwrap();
    assert_eq!(f.body, Some(&b"hi"[..]));
    assert_eq!(f.headers().next().unwrap().full_name(), b"Content-Length");
    assert_eq!(
        parse_sipfrag(b"SIP/2.0 200 OK", &cfg).unwrap_err().kind(),
        ErrorKind::TruncatedHead
    );
    assert_eq!(
        parse_sipfrag(b"SIP/2.0 2000 OK\r\n", &cfg)
            .unwrap_err()
            .kind(),
        ErrorKind::StatusCode
    );
    // The sipfrag bodies of the corpus's REFER flows.
    let Some(corpus) = common::shared_corpus(
        "the sipfrag bodies of the RFC 3515 REFER flows (the generated cases ran)",
    ) else {
        return;
    };
    let mut seen = 0;
    for p in common::dat_files(&corpus.join("rfc-examples/rfc3515")) {
        let bytes = std::fs::read(&p).unwrap();
        let Ok(Datagram::Message(m)) = parse_datagram(&bytes, &ParserConfig::lenient()) else {
            panic!()
        };
        let is_frag = m
            .head
            .header("Content-Type")
            .is_some_and(|h| h.value.starts_with(b"message/sipfrag"));
        if is_frag {
            let f = parse_sipfrag(m.body, &cfg).unwrap();
            assert!(f.start_line.status().is_some(), "{}", p.display());
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen}");
}

#[test]
fn generated_stream_one_byte_at_a_time_equals_whole() {
    let mut rng = common::Rng(7);
    let mut stream = Vec::new();
    let mut want = Vec::new();
    for i in 0..200 {
        let m = common::generated_message(i, &mut rng);
        stream.extend_from_slice(&m);
        want.push(m);
    }
    let whole = messages(&feed(ParserConfig::strict(), &stream, &[stream.len()]).unwrap());
    assert_eq!(whole, want);
    let bytewise = messages(&feed(ParserConfig::strict(), &stream, &[1]).unwrap());
    assert_eq!(bytewise, want);
}

/// `parse_head_into` finds the same fields, in the same order, as the
/// `headers()` walk of the same head; too small an array is TooManyHeaders.
#[test]
fn parse_head_into_agrees_with_the_headers_walk() {
    let mut rng = common::Rng(11);
    let mut inputs: Vec<Vec<u8>> = (0..200)
        .map(|i| common::generated_message(i, &mut rng))
        .collect();
    if let Some(corpus) = common::shared_corpus("the corpus heads (the 200 generated ones ran)") {
        inputs.extend(
            common::dat_files(&corpus)
                .iter()
                .map(|p| std::fs::read(p).unwrap()),
        );
    }
    let mut compared = 0;
    for m in &inputs {
        for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
            let mut fields = [sipline::HeaderField::EMPTY; 64];
            match (
                parse_head(m, &cfg),
                sipline::parse_head_into(m, &cfg, &mut fields),
            ) {
                (
                    Ok(Parsed::Complete {
                        value: head,
                        consumed,
                    }),
                    Ok(Parsed::Complete {
                        value: (head2, n),
                        consumed: c2,
                    }),
                ) => {
                    assert_eq!((head, consumed), (head2, c2));
                    assert_eq!(head.headers().collect::<Vec<_>>(), fields[..n].to_vec());
                    compared += 1;
                }
                (a, b) => assert_eq!(a.map(|p| p.consumed()), b.map(|p| p.consumed())),
            }
        }
    }
    assert!(compared > 300, "{compared}");
    let m = b"SIP/2.0 200 OK\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n";
    let mut two = [sipline::HeaderField::EMPTY; 2];
    let e = sipline::parse_head_into(m, &ParserConfig::strict(), &mut two).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::TooManyHeaders, 28));
}

/// A status line without a reason phrase (lenient) framed on a stream: the
/// empty phrase is located inside the message, so the view of the message
/// rebuilds it (the fuzzer found the old static empty slice overflowing the
/// span arithmetic in a debug build).
#[test]
fn a_missing_reason_phrase_is_located_inside_the_message() {
    let bytes = b"SIP/2.0 100\r\nl: 0\r\n\r\nSIP/2.0 180\nl: 0\n\n";
    let mut dec = StreamDecoder::new(ParserConfig::lenient());
    let mut buf = BytesMut::from(&bytes[..]);
    for want in [100, 180] {
        let Some(Frame::Message(m)) = dec.decode(&mut buf).unwrap() else {
            panic!("a message")
        };
        let s = *m.start_line().status().unwrap();
        assert_eq!((s.code.as_u16(), s.reason.as_bytes()), (want, &b""[..]));
        let within = m.as_bytes().as_ptr_range();
        assert!(within.contains(&s.reason.as_bytes().as_ptr()));
    }
}

/// Junk between messages on a stream: strict keeps RFC 3261 §7.5 (only
/// CRLFs), lenient skips runs of SP, HTAB, NUL and bare CR and counts them;
/// a ping among them is still a ping.
#[test]
fn junk_between_messages_forbid_and_allow() {
    let stream =
        b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n  \0\0\t\r \r\n\r\nSIP/2.0 180 Ringing\r\nl: 0\r\n\r\n \0";
    let run = |cfg: ParserConfig| {
        let mut dec = StreamDecoder::new(cfg);
        let mut buf = BytesMut::from(&stream[..]);
        let mut out = Vec::new();
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(Frame::Message(m))) => out.push(format!("msg@{}", m.offset())),
                Ok(Some(Frame::KeepAlive { offset })) => out.push(format!("ping@{offset}")),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("{}@{}", e.kind(), e.offset()));
                    break;
                }
            }
        }
        (out, dec.junk_bytes(), dec.is_between_messages(&buf))
    };
    let strict = ParserConfig::strict();
    assert_eq!(run(strict).0, ["msg@0", "method@24"]);
    let allowed = strict.allow_junk_between_messages(true);
    let (out, junk, between) = run(allowed);
    assert_eq!(out, ["msg@0", "ping@31", "msg@35"]);
    assert_eq!(junk, 7 + 2);
    assert!(between, "trailing junk is not a message");
    assert_eq!(run(ParserConfig::lenient()).0, out);
    let lenient_without = ParserConfig::lenient().allow_junk_between_messages(false);
    assert_eq!(run(lenient_without).0[1], "method@24");
}

/// `Heads`: every head of the shared corpus that parses, pushed into one
/// batch, reads back equal to the head the parser gave, with the same
/// typed fields, whatever the heads before it.
#[test]
fn heads_batch_reads_back_every_corpus_head() {
    use sipline::{parse_datagram, Datagram, Heads};
    let Some(corpus) = common::shared_corpus("every corpus head through one Heads batch") else {
        return;
    };
    let files = common::dat_files(&corpus);
    let bufs: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let config = ParserConfig::lenient();
    let mut originals = Vec::new();
    let mut heads = Heads::new();
    for buf in &bufs {
        if let Ok(Datagram::Message(m)) = parse_datagram(buf, &config) {
            heads.push(&m.head);
            originals.push(m.head);
        }
    }
    assert!(originals.len() > 300, "{}", originals.len());
    assert_eq!(heads.len(), originals.len());
    assert_eq!(
        heads.bytes_len(),
        originals.iter().map(|h| h.as_bytes().len()).sum::<usize>()
    );
    for (i, (copy, original)) in heads.iter().zip(&originals).enumerate() {
        assert_eq!(&copy, original, "head {i}");
        assert_eq!(
            copy.get::<sipline::header::CallId>(),
            original.get::<sipline::header::CallId>()
        );
        assert_eq!(copy.get::<sipline::CSeq>(), original.get::<sipline::CSeq>());
        assert_eq!(copy.get::<sipline::Via>(), original.get::<sipline::Via>());
        assert_eq!(copy.from_tag(), original.from_tag());
        assert_eq!(copy.to_tag(), original.to_tag());
        assert_eq!(heads.get(i), Some(copy));
    }
    assert_eq!(heads.get(originals.len()), None);
    heads.clear();
    assert!(heads.is_empty() && heads.iter().next().is_none());
}

/// Heads shared and cleared: messages handed out keep their bytes, pushing
/// after a share or a clear works, and equality ignores the sharing.
#[test]
fn heads_hand_out_messages_that_outlive_them() {
    use sipline::{parse_datagram, Datagram, Heads, ParserConfig};
    let msg = |text: &'static [u8]| match parse_datagram(text, &ParserConfig::default()) {
        Ok(Datagram::Message(m)) => m,
        other => panic!("{other:?}"),
    };
    let a = msg(b"MESSAGE sip:a@b SIP/2.0\r\nCall-ID: 1\r\nl: 2\r\n\r\nhi");
    let b = msg(b"SIP/2.0 200 OK\r\nCall-ID: 2\r\nl: 0\r\n\r\n");
    let mut heads = Heads::new();
    heads.push_message(&a);
    heads.push(&b.head);
    let unshared = heads.clone();
    assert_eq!(heads.owned(0).unwrap().message(), a, "copied while open");
    heads.share();
    assert_eq!(heads, unshared);
    let kept = heads.owned(0).unwrap();
    assert_eq!(heads.owned(1).unwrap().message(), b);
    assert_eq!(heads.owned(2), None);
    // Pushing onto shared heads copies them once, then goes on.
    heads.push(&b.head);
    assert_eq!(heads.len(), 3);
    assert_eq!(heads.message(0).unwrap(), a);
    assert_eq!(heads.get(2).unwrap(), b.head);
    heads.share();
    heads.clear();
    assert!(heads.is_empty());
    assert_eq!(heads.bytes_len(), 0);
    heads.push_message(&b);
    assert_eq!(heads.message(0).unwrap(), b);
    // What was handed out is untouched by all of that.
    assert_eq!(kept.message(), a);
    assert_eq!(&kept.body()[..], b"hi");
}
