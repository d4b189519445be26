//! Hostile inputs and their expected answers: each gets a clear error or
//! "incomplete", memory stays bounded by the limits, and nothing panics.

mod common;

use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_head, parse_message, parse_status_line_with, Datagram, ErrorKind, Frame,
    Parsed, ParserConfig, StreamDecoder,
};

/// Feeds `chunk` repeatedly (up to `total` bytes) and returns the first error
/// and how many bytes were buffered when it came.
fn feed_until_error(
    dec: &mut StreamDecoder,
    first: &[u8],
    chunk: &[u8],
    total: usize,
) -> (sipline::Error, usize) {
    let mut buf = BytesMut::from(first);
    let mut fed = first.len();
    loop {
        match dec.decode(&mut buf) {
            Err(e) => return (e, buf.len()),
            Ok(Some(Frame::Message(_))) => panic!("a message out of garbage"),
            Ok(_) => {}
        }
        assert!(fed < total, "no error after {fed} bytes");
        buf.extend_from_slice(chunk);
        fed += chunk.len();
    }
}

#[test]
fn ten_megabytes_without_a_line_end() {
    let chunk = vec![b'a'; 64 * 1024];
    // As a start line: refused at the line limit.
    let mut dec = StreamDecoder::default();
    let (e, buffered) = feed_until_error(&mut dec, b"SIP/2.0 200 ", &chunk, 10 << 20);
    assert_eq!(
        (e.kind(), e.offset() as usize),
        (ErrorKind::LineTooLong, ParserConfig::DEFAULT_MAX_LINE_LEN)
    );
    assert!(buffered <= 80 * 1024, "buffered {buffered}");
    // As a header line: refused at the head limit.
    let mut dec = StreamDecoder::default();
    let (e, buffered) = feed_until_error(&mut dec, b"SIP/2.0 200 OK\r\nX: ", &chunk, 10 << 20);
    assert_eq!(
        (e.kind(), e.offset() as usize),
        (ErrorKind::HeadTooLarge, ParserConfig::DEFAULT_MAX_HEAD_LEN)
    );
    assert!(buffered <= 2 * 64 * 1024 + 100, "buffered {buffered}");
    // The friendly parser on the whole 10 MB at once.
    let mut big = b"SIP/2.0 200 ".to_vec();
    big.resize(10 << 20, b'a');
    assert_eq!(
        sipline::parse_status_line(&big).unwrap_err().kind(),
        ErrorKind::LineTooLong
    );
    assert_eq!(
        parse_head(&big, &ParserConfig::default())
            .unwrap_err()
            .kind(),
        ErrorKind::LineTooLong
    );
}

#[test]
fn a_hundred_thousand_headers() {
    let mut m = b"SIP/2.0 200 OK\r\n".to_vec();
    for i in 0..100_000 {
        m.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
    }
    m.extend_from_slice(b"\r\n");
    let e = parse_head(&m, &ParserConfig::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooManyHeaders);
    // Raised at header number max+1, not after reading them all.
    let cfg = ParserConfig::default()
        .max_head_len(usize::MAX)
        .max_headers(1000);
    let e = parse_head(&m, &cfg).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TooManyHeaders);
    assert!(e.offset() < 20_000);
    // With both limits raised it parses, and the fields iterate.
    let cfg = ParserConfig::default()
        .max_head_len(usize::MAX)
        .max_headers(200_000);
    let head = parse_head(&m, &cfg).unwrap().value().unwrap();
    assert_eq!(head.header_count(), 100_000);
    assert_eq!(head.headers().count(), 100_000);
}

#[test]
fn content_length_extremes() {
    for (v, kind) in [
        ("18446744073709551616", ErrorKind::BodyTooLarge),
        ("99999999999999999999999999", ErrorKind::BodyTooLarge),
        ("-1", ErrorKind::ContentLength),
        ("+1", ErrorKind::ContentLength),
        ("0x10", ErrorKind::ContentLength),
        ("1 2", ErrorKind::ContentLength),
        ("", ErrorKind::ContentLength),
    ] {
        let m = format!("SIP/2.0 200 OK\r\nContent-Length: {v}\r\n\r\n");
        let e = parse_message(m.as_bytes(), &ParserConfig::default()).unwrap_err();
        assert_eq!(e.kind(), kind, "{v:?}");
        let e = parse_datagram(m.as_bytes(), &ParserConfig::default()).unwrap_err();
        assert_eq!(e.kind(), kind, "{v:?}");
        let mut dec = StreamDecoder::default();
        let e = dec.decode(&mut BytesMut::from(m.as_bytes())).unwrap_err();
        assert_eq!(e.kind(), kind, "{v:?}");
    }
    // u64::MAX with the limit lifted is accepted as a number, and the
    // decoder then waits for the body: it never allocates it.
    let cfg = ParserConfig::default().max_body_len(u64::MAX);
    let m = format!("SIP/2.0 200 OK\r\nl: {}\r\n\r\n", u64::MAX);
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::from(m.as_bytes());
    assert_eq!(dec.decode(&mut buf), Ok(None));
    assert!(buf.capacity() < 4096);
}

/// A NUL or a bare CR put in every position of a request and a response,
/// in both modes. A bare CR is never accepted (only the CR of a CRLF,
/// replaced by itself, leaves the message whole). A NUL is accepted exactly
/// where lenient mode allows control bytes, in a header value (here the
/// Via's, from the space after its colon, and in place of the CR that ends
/// it, since lenient mode ends a line at a bare LF); strict mode allows a NUL
/// only in a quoted-pair, and these messages have none.
#[test]
fn nul_and_bare_cr_everywhere() {
    let base = b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n";
    let resp =
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n";
    let mut accepted = [0usize; 2];
    for msg in [&base[..], &resp[..]] {
        let via_at = memchr::memmem::find(msg, b"Via:").unwrap() + 4;
        let via_value = via_at..=via_at + memchr::memchr(b'\r', &msg[via_at..]).unwrap();
        for bad in [0u8, b'\r'] {
            for at in 0..msg.len() {
                let mut m = msg.to_vec();
                m[at] = bad;
                for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
                    let got = parse_message(&m, &cfg);
                    let ok =
                        matches!(got, Ok(Parsed::Complete { consumed, .. }) if consumed == m.len());
                    let want = if bad == b'\r' {
                        msg[at] == b'\r'
                    } else {
                        !cfg.is_strict() && via_value.contains(&at)
                    };
                    assert_eq!(
                        ok,
                        want,
                        "{} {:?} at {at} of {:?}: {got:?}",
                        if cfg.is_strict() { "strict" } else { "lenient" },
                        bad as char,
                        String::from_utf8_lossy(msg)
                    );
                    if let Err(e) = got {
                        assert!(e.offset() as usize <= m.len());
                    }
                    accepted[usize::from(bad == b'\r')] += usize::from(ok);
                }
            }
        }
    }
    // NUL: the 30 bytes of " SIP/2.0/TCP a;branch=z9hG4bK1" and the CR
    // after them, lenient only, in both messages; CR: the four CRs of each
    // message, in both modes.
    assert_eq!(accepted, [2 * 31, 2 * 2 * 4]);
}

/// Every byte value in every position of a status line, one position at a
/// time, in both modes: the answer is an error, incomplete, or a line whose
/// parts hold the changed byte where the grammar allows it. What the grammar
/// allows is held exactly where it is plain: the version's letters in
/// either case and nothing else; the code's first digit 1 to 6, the others
/// any digit; and every byte of RFC 3261's reason-phrase alphabet but `%`
/// (reserved, unreserved, SP, HTAB) in each reason position, in both modes.
#[test]
fn every_byte_in_every_position_of_a_status_line() {
    let line = b"SIP/2.0 180 Ringing\r\n";
    let reason_alphabet: Vec<u8> = (0..=255u8)
        .filter(|b| b.is_ascii_alphanumeric() || b";/?:@&=+$,-_.!~*'() \t".contains(b))
        .collect();
    let mut complete = 0;
    for at in 0..line.len() {
        for byte in 0..=255u8 {
            let mut m = line.to_vec();
            m[at] = byte;
            for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
                let got = parse_status_line_with(&m, &cfg);
                let ok = match &got {
                    Ok(Parsed::Complete { value, consumed }) => {
                        complete += 1;
                        assert!(*consumed <= m.len());
                        assert!((100..=699).contains(&value.code.as_u16()));
                        assert!(value.version.eq_ignore_ascii_case(b"SIP/2.0"));
                        if cfg.is_strict() {
                            assert!(value.reason.as_str().is_some());
                        }
                        assert!(!value
                            .reason
                            .as_bytes()
                            .iter()
                            .any(|&b| b == 0 || b == b'\r' || b == b'\n'));
                        if (8..11).contains(&at) {
                            assert_eq!(value.code.as_u16().to_string().as_bytes(), &m[8..11]);
                        }
                        if (12..19).contains(&at) && *consumed == m.len() {
                            assert_eq!(value.reason.as_bytes(), &m[12..19]);
                        }
                        true
                    }
                    Ok(Parsed::Incomplete { .. }) => false,
                    Err(e) => {
                        assert!(
                            e.offset() as usize <= at + 2,
                            "error at {} for byte {byte:#x} at {at}",
                            e.offset()
                        );
                        false
                    }
                };
                let must = match at {
                    0..=6 => Some(byte.eq_ignore_ascii_case(&line[at])),
                    8 => Some((b'1'..=b'6').contains(&byte)),
                    9 | 10 => Some(byte.is_ascii_digit()),
                    12..=18 if reason_alphabet.contains(&byte) => Some(true),
                    _ => None,
                };
                if let Some(must) = must {
                    assert_eq!(
                        ok,
                        must,
                        "byte {byte:#x} at {at}, strict {}: {got:?}",
                        cfg.is_strict()
                    );
                }
            }
        }
    }
    println!("complete answers: {complete}");
}

/// Every corpus message cut at every offset: on a stream always incomplete;
/// as a datagram an error inside the prefix, or a message that is the start
/// of the real one. A datagram may end a message early only where the rules
/// say it can: the body runs to the datagram's end when there is no
/// Content-Length, and in lenient mode the head may end at the datagram's
/// end after a complete line. So a message read from a prefix has the real
/// start line, a leading run of the real header fields (the last may lack
/// the folded lines that followed it: its value starts the real one), and a
/// body that starts the real body; in strict mode it has every field.
#[test]
fn truncation_at_every_offset_of_every_corpus_message() {
    let Some(corpus) = common::shared_corpus("truncation at every offset of every corpus message")
    else {
        return;
    };
    let mut cuts = 0;
    let mut early = [0usize; 2];
    for cfg in [ParserConfig::lenient(), ParserConfig::strict()] {
        for path in common::dat_files(&corpus) {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(Parsed::Complete {
                value: whole,
                consumed,
            }) = parse_message(&bytes, &cfg)
            else {
                continue;
            };
            let fields: Vec<_> = whole.head.headers().collect();
            for cut in 0..consumed {
                let prefix = &bytes[..cut];
                match parse_message(prefix, &cfg) {
                    Ok(Parsed::Incomplete { .. }) => {}
                    other => panic!("{} cut at {cut}: {other:?}", path.display()),
                }
                match parse_datagram(prefix, &cfg) {
                    Err(e) => assert!(e.offset() as usize <= cut),
                    Ok(Datagram::KeepAlive) => {
                        assert!(prefix.iter().all(|b| b" \t\r\n".contains(b)));
                    }
                    Ok(Datagram::Message(m)) => {
                        let at = format!("{} cut at {cut}", path.display());
                        assert_eq!(m.head.start_line, whole.head.start_line, "{at}");
                        let got: Vec<_> = m.head.headers().collect();
                        assert!(got.len() <= fields.len(), "{at}");
                        if let Some((last, before)) = got.split_last() {
                            assert_eq!(before, &fields[..before.len()], "{at}");
                            let real = &fields[before.len()];
                            assert_eq!(last.name, real.name, "{at}");
                            assert!(real.value.starts_with(last.value), "{at}: {last:?}");
                        }
                        assert!(whole.body.starts_with(m.body), "{at}");
                        if cfg.is_strict() {
                            assert_eq!(got.len(), fields.len(), "{at}");
                        }
                        early[usize::from(cfg.is_strict())] += 1;
                    }
                }
                cuts += 1;
            }
        }
    }
    println!("truncations checked: {cuts}; messages read early (lenient, strict): {early:?}");
    assert!(cuts > 200_000, "{cuts}");
}
