//! Every input the fuzzers ever crashed on, kept as a file under
//! `tests/fuzz_regressions/` and replayed here through the checks of every
//! fuzz target (whole versus chunked, strict versus lenient, round trip).

use std::path::Path;

use bytes::BytesMut;
use sipline::{
    parse_cseq, parse_datagram, parse_date, parse_head, parse_message, parse_name_addr,
    parse_name_addrs, parse_reason, parse_sipfrag, parse_status_line_with, parse_uri, parse_via,
    Error, Frame, Parsed, ParserConfig, StreamDecoder,
};

fn run(cfg: ParserConfig, data: &[u8], sizes: &[u8]) -> (Vec<Frame>, Option<Error>) {
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let (mut at, mut k) = (0, 0);
    while at < data.len() {
        let n = if sizes.is_empty() {
            data.len()
        } else {
            usize::from(sizes[k % sizes.len()]).max(1)
        };
        k += 1;
        let end = (at + n).min(data.len());
        buf.extend_from_slice(&data[at..end]);
        at = end;
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

fn check(input: &[u8]) {
    // diff_chunked's reading of the input: a count, chunk sizes, the stream.
    if let Some((&n, rest)) = input.split_first() {
        let n = usize::from(n % 16).min(rest.len());
        let (sizes, data) = rest.split_at(n);
        for cfg in [
            ParserConfig::strict(),
            ParserConfig::lenient().max_line_len(64).max_head_len(300),
        ] {
            let whole = run(cfg, data, &[]);
            assert_eq!(whole, run(cfg, data, sizes));
            assert_eq!(whole, run(cfg, data, &[1]));
        }
    }
    let (strict, lenient) = (ParserConfig::strict(), ParserConfig::lenient());
    if let Ok(Parsed::Complete { value, consumed }) = parse_status_line_with(input, &strict) {
        assert_eq!(
            parse_status_line_with(input, &lenient),
            Ok(Parsed::Complete { value, consumed })
        );
    }
    if let Ok(Parsed::Complete { value, consumed }) = parse_message(input, &strict) {
        assert_eq!(
            parse_message(input, &lenient),
            Ok(Parsed::Complete { value, consumed })
        );
    }
    if let Ok(dg) = parse_datagram(input, &strict) {
        assert_eq!(parse_datagram(input, &lenient), Ok(dg));
    }
    // typed_headers and validate_keys: error offsets stay inside the input.
    for cfg in [strict, lenient] {
        let len = input.len() as u64;
        let inside = |e: Error| assert!(e.offset() <= len, "{e}");
        parse_via(input).filter_map(Result::err).for_each(inside);
        parse_reason(input).filter_map(Result::err).for_each(inside);
        parse_name_addrs(input, &cfg)
            .filter_map(Result::err)
            .for_each(inside);
        let _ = parse_name_addr(input, &cfg).map_err(inside);
        let _ = parse_uri(input).map_err(inside);
        let _ = parse_date(input).map_err(inside);
        let _ = parse_cseq(input).map_err(inside);
        if let Ok(sipline::Datagram::Message(m)) = parse_datagram(input, &cfg) {
            let head_len = m.head.len() as u64;
            if let Err(e) = m.head.validate_to_forward() {
                assert!(e.offset() <= head_len);
            }
            let _ = (m.head.transaction_key(), m.head.dialog_id());
        }
    }
    for cfg in [strict, lenient] {
        if let Ok(Parsed::Complete { value, .. }) = parse_head(input, &cfg) {
            assert_eq!(value.headers().count(), value.header_count());
        }
        let _ = parse_datagram(input, &cfg);
        let _ = parse_sipfrag(input, &cfg);
        if let Err(e) = parse_status_line_with(input, &cfg) {
            assert!(e.offset() <= input.len() as u64);
        }
    }
}

#[test]
fn every_recorded_crash_passes_every_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        check(&input);
        n += 1;
    }
    assert!(n >= 1, "no regression inputs in {}", dir.display());
}

/// The first fuzz find: an error inside the first `max_line_len` bytes of a
/// line longer than the limit was reported with an offset counted from the
/// end of the window instead of the start of the buffer.
#[test]
fn errors_in_a_long_buffer_count_from_its_start() {
    let mut buf = b"SIP/2.0 2000 OK\r\n".to_vec();
    buf.extend(std::iter::repeat_n(b'x', 10_000));
    let e = sipline::parse_status_line(&buf).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (sipline::ErrorKind::StatusCode, 11));
    let mut buf = b"INVITE sip:a b".to_vec();
    buf.extend(std::iter::repeat_n(b'x', 10_000));
    let e = sipline::parse_request_line(&buf, &ParserConfig::lenient()).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (sipline::ErrorKind::RequestUri, 12));
}
