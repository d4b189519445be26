//! Every message of `../shared/corpus/` frames as its folder's README says,
//! and the RFC 4475 / RFC 5118 torture tests get their verdicts: valid
//! messages are accepted and framed with the right body length; invalid
//! messages whose flaw lies in what sipline parses are rejected with the
//! right error kind; the rest are listed with the reason sipline accepts them.

mod common;

use std::path::Path;

use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_message, Datagram, ErrorKind, Frame, Parsed, ParserConfig, StreamDecoder,
};

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Accepted in both modes.
    Accept,
    /// Rejected in both modes with this kind.
    Reject(ErrorKind),
    /// Rejected in strict mode with this kind, accepted in lenient mode
    /// (RFC 4475 says a liberal element may accept it).
    StrictReject(ErrorKind),
    /// Invalid, but the flaw lies in something sipline does not parse.
    Beyond(&'static str),
}

/// The verdict sipline gives each invalid torture test, and why.
fn expected_invalid(file: &str) -> Option<Expect> {
    use Expect::*;
    Some(match file {
        "ltgtruri.dat" | "lwsruri.dat" => Reject(ErrorKind::RequestUri),
        "lwsstart.dat" => StrictReject(ErrorKind::Separator),
        "trws.dat" => StrictReject(ErrorKind::LineEnd),
        "badvers.dat" => Reject(ErrorKind::Version),
        "bigcode.dat" => Reject(ErrorKind::StatusCode),
        "ncl.dat" | "mcl01.dat" => Reject(ErrorKind::ContentLength),
        // Checked on its own below: a datagram shorter than its Content-Length.
        "clerr.dat" => Reject(ErrorKind::TruncatedBody),
        "escruri.dat" => Beyond("escaped headers in a SIP Request-URI are grammatical; RFC 3261 §19.1.1 forbids them there, a rule for the element that uses the URI"),
        "ipv6-bad.dat" => Beyond("an unbracketed IPv6 host uses only URI bytes; the host syntax is not parsed"),
        "badinv01.dat" => Beyond("Via and Contact parameters are not parsed"),
        "scalar02.dat" | "scalarlg.dat" => Beyond("CSeq, Max-Forwards, Expires, Retry-After and Warning values are not parsed"),
        "quotbal.dat" | "badaspec.dat" | "baddn.dat" => Beyond("To/From name-addr syntax is not parsed"),
        "regbadct.dat" => Beyond("Contact syntax is not parsed"),
        "baddate.dat" => Beyond("Date values are not parsed"),
        "mismatch01.dat" | "mismatch02.dat" | "insuf.dat" | "multi01.dat" => Beyond("semantic: a proxy or UAS judges it"),
        _ => return None,
    })
}

#[test]
fn torture_tests_get_their_verdicts() {
    let Some(corpus) = common::shared_corpus() else {
        return;
    };
    let mut table = Vec::new();
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for dir in ["rfc4475", "rfc5118"] {
        for row in common::read_tsv(&corpus.join(dir).join("EXPECTED.tsv")) {
            let name = row["file"].as_str();
            let bytes = std::fs::read(corpus.join(dir).join(name)).unwrap();
            let expect = if row["verdict"].starts_with("valid") {
                Expect::Accept
            } else {
                expected_invalid(name).unwrap_or_else(|| panic!("{name}: no verdict listed"))
            };
            for (mode, cfg) in [
                ("strict", ParserConfig::strict()),
                ("lenient", ParserConfig::lenient()),
            ] {
                let got = parse_datagram(&bytes, &cfg);
                let what = format!("{dir}/{name} ({mode})");
                let must_accept = match expect {
                    Expect::Accept | Expect::Beyond(_) => true,
                    Expect::StrictReject(_) => mode == "lenient",
                    Expect::Reject(_) => false,
                };
                if must_accept {
                    let Ok(Datagram::Message(m)) = got else {
                        panic!("{what}: {got:?}")
                    };
                    // The body is Content-Length long (RFC 4475 dblreq: the
                    // bytes after it are discarded; RFC 5118's three files with
                    // a longer CRLF body likewise).
                    let Some(cl) = m.head.content_length() else {
                        // inv2543 (RFC 2543 style) has no Content-Length: as a
                        // datagram its body is the rest; a stream needs it.
                        assert_eq!(name, "inv2543.dat");
                        assert_eq!(m.head.len() + m.body.len(), bytes.len(), "{what}");
                        let stream = parse_message(&bytes, &cfg);
                        if mode == "strict" {
                            assert_eq!(stream.unwrap_err().kind(), ErrorKind::MissingContentLength);
                        } else {
                            assert_eq!(stream.unwrap().consumed(), Some(m.head.len()));
                        }
                        *counts.entry("accepted").or_default() += 1;
                        if mode == "lenient" {
                            table.push(format!(
                                "{dir}/{name:<36} {:<10} accepted  no Content-Length",
                                row["verdict"]
                            ));
                        }
                        continue;
                    };
                    assert_eq!(m.body.len() as u64, cl, "{what}");
                    // As a stream, the first message frames with the same length.
                    let Ok(Parsed::Complete { value, consumed }) = parse_message(&bytes, &cfg)
                    else {
                        panic!("{what}: stream framing")
                    };
                    assert_eq!(value.body.len() as u64, cl, "{what}");
                    assert_eq!(consumed, m.head.len() + cl as usize, "{what}");
                } else {
                    let kind = match expect {
                        Expect::Reject(k) | Expect::StrictReject(k) => k,
                        _ => unreachable!(),
                    };
                    let e = got.expect_err(&what);
                    assert_eq!(e.kind(), kind, "{what}: {e}");
                }
                let verdict = if must_accept { "accepted" } else { "rejected" };
                *counts.entry(verdict).or_default() += 1;
                if mode == "lenient" {
                    let note = match expect {
                        Expect::Beyond(why) => why.to_string(),
                        Expect::StrictReject(k) => format!("strict: {}", k.name()),
                        Expect::Reject(k) => k.name().to_string(),
                        Expect::Accept => String::new(),
                    };
                    table.push(format!(
                        "{dir}/{name:<36} {:<10} {verdict:<9} {note}",
                        row["verdict"]
                    ));
                }
            }
        }
    }
    println!("torture-test verdicts (lenient column; strict differs only where noted):");
    for line in &table {
        println!("  {line}");
    }
    println!("counts over both modes: {counts:?}");
    assert_eq!(table.len(), 49 + 12);
}

#[test]
fn clerr_is_incomplete_on_a_stream_and_truncated_as_a_datagram() {
    let Some(corpus) = common::shared_corpus() else {
        return;
    };
    let bytes = std::fs::read(corpus.join("rfc4475/clerr.dat")).unwrap();
    let cfg = ParserConfig::strict();
    assert!(matches!(
        parse_message(&bytes, &cfg),
        Ok(Parsed::Incomplete { .. })
    ));
    let e = parse_datagram(&bytes, &cfg).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset() as usize),
        (ErrorKind::TruncatedBody, bytes.len())
    );
}

/// The call flows and captures: each file is one message whose body has
/// the length the index gives.
#[test]
fn call_flows_and_captures_frame_as_indexed() {
    let Some(corpus) = common::shared_corpus() else {
        return;
    };
    let mut framed = 0;
    let mut unterminated = 0;
    let mut replays = 0;
    let replayed: Vec<Vec<u8>> = common::dat_files(&corpus.join("rfc4475"))
        .into_iter()
        .chain(common::dat_files(&corpus.join("rfc5118")))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    for dir in [
        "rfc3665",
        "rfc-examples/rfc3327",
        "rfc-examples/rfc3515",
        "rfc-examples/rfc4916",
        "rfc-examples/rfc5626",
        "captured",
    ] {
        for row in common::read_tsv(&corpus.join(dir).join("index.tsv")) {
            let path = corpus.join(dir).join(&row["file"]);
            let bytes = std::fs::read(&path).unwrap();
            if row.get("sent_by").is_some_and(|s| s == "rfc-replay") {
                // A torture test replayed at kamailio: the same verdict as the original.
                let original = replayed
                    .iter()
                    .find(|o| **o == bytes)
                    .expect("replay of a torture test");
                for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
                    assert_eq!(parse_datagram(&bytes, &cfg), parse_datagram(original, &cfg));
                }
                replays += 1;
                continue;
            }
            for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
                let what = format!(
                    "{} ({})",
                    path.display(),
                    if cfg.is_strict() { "strict" } else { "lenient" }
                );
                let got = parse_datagram(&bytes, &cfg);
                if !bytes.windows(4).any(|w| w == b"\r\n\r\n") {
                    // 15 transcribed call-flow messages lost their closing empty line.
                    if cfg.is_strict() {
                        assert_eq!(got.unwrap_err().kind(), ErrorKind::TruncatedHead, "{what}");
                        unterminated += 1;
                        continue;
                    }
                }
                let Ok(Datagram::Message(m)) = got else {
                    panic!("{what}: {got:?}")
                };
                if let Some(b) = row.get("body_bytes") {
                    assert_eq!(m.body.len(), b.parse::<usize>().unwrap(), "{what}");
                }
                assert_eq!(
                    m.head.start_line.status().is_some(),
                    row["kind"] == "response",
                    "{what}"
                );
                let stream = parse_message(&bytes, &cfg);
                if m.head.len() == bytes.len() && !bytes.ends_with(b"\r\n\r\n") {
                    // On a stream a head without its empty line never ends.
                    assert!(matches!(stream, Ok(Parsed::Incomplete { .. })), "{what}");
                    framed += 1;
                    continue;
                }
                match row.get("content_length").map(String::as_str) {
                    Some("absent") if cfg.is_strict() => {
                        assert_eq!(
                            stream.unwrap_err().kind(),
                            ErrorKind::MissingContentLength,
                            "{what}"
                        )
                    }
                    Some("absent") => {
                        assert_eq!(stream.unwrap().consumed(), Some(m.head.len()), "{what}")
                    }
                    _ => assert_eq!(stream.unwrap().consumed(), Some(bytes.len()), "{what}"),
                }
                framed += 1;
            }
        }
    }
    println!(
        "call-flow and captured messages framed (both modes): {framed}; \
         without the closing empty line, rejected in strict mode: {unterminated}; \
         torture-test replays with their originals' verdicts: {replays}"
    );
    assert!(replays > 0);
    assert_eq!(unterminated, 15);
    assert!(framed >= 900, "{framed}");
}

fn decode_all(bytes: &[u8], cfg: ParserConfig, chunk: usize) -> Vec<(u64, Vec<u8>)> {
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in bytes.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(frame) = dec.decode(&mut buf).expect("stream decodes") {
            if let Frame::Message(m) = frame {
                out.push((m.offset(), m.as_bytes().to_vec()));
            }
        }
    }
    assert!(
        dec.is_between_messages(&buf),
        "stream ends between messages"
    );
    out
}

fn split_dir(corpus: &Path) -> Vec<Vec<u8>> {
    common::read_tsv(&corpus.join("streams/lioneagle-split/index.tsv"))
        .iter()
        .map(|r| std::fs::read(corpus.join("streams/lioneagle-split").join(&r["file"])).unwrap())
        .collect()
}

#[test]
fn corpus_streams_frame_into_their_messages() {
    let Some(corpus) = common::shared_corpus() else {
        return;
    };
    let generic = std::fs::read(corpus.join("streams/generic.txt")).unwrap();
    let lion = std::fs::read(corpus.join("streams/lioneagle-sipparser.txt")).unwrap();
    // generic.txt has 24 messages without Content-Length (all without a
    // body): strict mode stops at the first (RFC 3261 §18.3), lenient frames all.
    let mut dec = StreamDecoder::new(ParserConfig::strict());
    let e = dec.decode(&mut BytesMut::from(&generic[..])).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::MissingContentLength, 0));
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        for chunk in [1, 7, 1460, usize::MAX] {
            if cfg.is_strict() {
                assert_eq!(decode_all(&lion, cfg, chunk).len(), 26);
                continue;
            }
            let msgs = decode_all(&generic, cfg, chunk);
            assert_eq!(msgs.len(), 227, "generic.txt in chunks of {chunk}");
            let total: usize = msgs.iter().map(|(_, m)| m.len()).sum();
            assert!(total <= generic.len());
            let msgs = decode_all(&lion, cfg, chunk);
            let split = split_dir(&corpus);
            assert_eq!(msgs.len(), split.len(), "lioneagle in chunks of {chunk}");
            for ((off, m), want) in msgs.iter().zip(&split) {
                assert_eq!(m, want, "message at offset {off}");
                assert_eq!(&lion[*off as usize..*off as usize + m.len()], &m[..]);
            }
        }
    }
}
