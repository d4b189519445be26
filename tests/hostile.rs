//! Hostile inputs and their expected answers: each gets a clear error or
//! "incomplete", memory stays bounded by the limits, and nothing panics.

mod common;

use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_head, parse_message, parse_status_line_with, ErrorKind, Frame, Parsed,
    ParserConfig, StreamDecoder,
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

#[test]
fn nul_and_bare_cr_everywhere() {
    let base = b"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n";
    let resp =
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/TCP a;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n";
    for msg in [&base[..], &resp[..]] {
        for bad in [0u8, b'\r'] {
            for at in 0..msg.len() {
                let mut m = msg.to_vec();
                m[at] = bad;
                for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
                    let got = parse_message(&m, &cfg);
                    let ok = matches!(got, Ok(Parsed::Complete { .. }));
                    if bad == b'\r' {
                        // A CR replacing the LF of a CRLF is a bare CR too.
                        if ok {
                            assert!(msg[at] == b'\r', "bare CR accepted at {at}: {got:?}");
                        }
                    } else if ok {
                        // NUL is legal only inside a header value (quoted-pair).
                        let in_value =
                            (memchr::memchr(b'\n', msg).unwrap()..msg.len() - 4).contains(&at);
                        assert!(in_value, "NUL accepted at {at}");
                    }
                    if let Err(e) = got {
                        assert!(e.offset() as usize <= m.len());
                    }
                }
            }
        }
    }
}

/// Every byte value in every position of a status line, one position at a
/// time: the answer is an error, incomplete, or a line whose parts hold the
/// changed byte where the grammar allows it.
#[test]
fn every_byte_in_every_position_of_a_status_line() {
    let line = b"SIP/2.0 180 Ringing\r\n";
    let mut counts = [0usize; 3];
    for at in 0..line.len() {
        for byte in 0..=255u8 {
            let mut m = line.to_vec();
            m[at] = byte;
            for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
                match parse_status_line_with(&m, &cfg) {
                    Ok(Parsed::Complete { value, consumed }) => {
                        counts[0] += 1;
                        assert!(consumed <= m.len());
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
                    }
                    Ok(Parsed::Incomplete { .. }) => counts[1] += 1,
                    Err(e) => {
                        counts[2] += 1;
                        assert!(
                            e.offset() as usize <= at + 2,
                            "error at {} for byte {byte:#x} at {at}",
                            e.offset()
                        );
                    }
                }
            }
        }
    }
    println!("complete / incomplete / error: {counts:?}");
    assert_eq!(counts.iter().sum::<usize>(), line.len() * 256 * 2);
}

/// Every corpus message cut at every offset: incomplete (or, for a datagram,
/// a clear truncation error), never a panic, never a message from a prefix
/// that is not the message.
#[test]
fn truncation_at_every_offset_of_every_corpus_message() {
    let Some(corpus) = common::shared_corpus("truncation at every offset of every corpus message")
    else {
        return;
    };
    let cfg = ParserConfig::lenient();
    let mut cuts = 0;
    for path in common::dat_files(&corpus) {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(Parsed::Complete { consumed, .. }) = parse_message(&bytes, &cfg) else {
            continue;
        };
        for cut in 0..consumed {
            match parse_message(&bytes[..cut], &cfg) {
                Ok(Parsed::Incomplete { .. }) => {}
                other => panic!("{} cut at {cut}: {other:?}", path.display()),
            }
            if let Err(e) = parse_datagram(&bytes[..cut], &cfg) {
                assert!(e.offset() as usize <= cut);
            }
            cuts += 1;
        }
    }
    println!("truncations checked: {cuts}");
    assert!(cuts > 100_000, "{cuts}");
}
