//! Every message of `../shared/corpus/` frames as its folder's README says,
//! and the RFC 4475 / RFC 5118 torture tests get their verdicts: valid
//! messages are accepted, framed with the right body length and pass
//! `validate()`; invalid messages are rejected by the parser with the right
//! error kind, or framed and refused by `validate()` with the right rule,
//! and the table printed says which status each sender is owed.

mod common;

use std::path::Path;

use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_message, Datagram, ErrorKind, Frame, Parsed, ParserConfig, StreamDecoder,
};

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Accepted in both modes, and `validate()` passes.
    Accept,
    /// Rejected by the parser in both modes with this kind.
    Reject(ErrorKind),
    /// Rejected by the parser in strict mode with this kind, accepted in
    /// lenient mode (RFC 4475 says a liberal element may accept it).
    StrictReject(ErrorKind),
    /// Framed, then refused by `validate()` with this rule (kind name) in
    /// both modes.
    Invalid(&'static str),
    /// Refused by `validate()` in strict mode; lenient mode's
    /// `allow_loose_addresses` reads it (RFC 4475 lets a liberal element).
    StrictInvalid(&'static str),
}

/// The verdict sipline gives each invalid torture test.
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
        "escruri.dat" => Invalid("request-uri-headers"),
        "ipv6-bad.dat" => Invalid("request-uri"),
        "badinv01.dat" | "scalar02.dat" | "scalarlg.dat" | "quotbal.dat" | "regbadct.dat"
        | "baddate.dat" => Invalid("malformed"),
        "badaspec.dat" | "baddn.dat" => StrictInvalid("malformed"),
        "mismatch01.dat" | "mismatch02.dat" => Invalid("cseq-method"),
        "insuf.dat" => Invalid("missing"),
        "multi01.dat" => Invalid("repeated"),
        _ => return None,
    })
}

/// What the sender is owed, as the table prints it: a status for a
/// request, "discard" for a response.
fn owed(bytes: &[u8], status: Option<sipline::StatusCode>) -> String {
    match status {
        Some(s) if !bytes.starts_with(b"SIP/") => s.as_u16().to_string(),
        _ => "discard".to_string(),
    }
}

#[test]
fn torture_tests_get_their_verdicts() {
    let Some(corpus) = common::shared_corpus("the RFC 4475/5118 torture-test verdicts") else {
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
                let must_frame = match expect {
                    Expect::Accept | Expect::Invalid(_) | Expect::StrictInvalid(_) => true,
                    Expect::StrictReject(_) => mode == "lenient",
                    Expect::Reject(_) => false,
                };
                let mut note = String::new();
                let verdict;
                if must_frame {
                    let Ok(Datagram::Message(m)) = got else {
                        panic!("{what}: {got:?}")
                    };
                    check_body_length(&bytes, &m, &cfg, mode, name, &what);
                    let rule = match expect {
                        Expect::Invalid(r) => Some(r),
                        Expect::StrictInvalid(r) if mode == "strict" => Some(r),
                        _ => None,
                    };
                    match (rule, m.head.validate()) {
                        (None, Ok(())) => verdict = "accepted",
                        (None, Err(e)) => panic!("{what}: valid, but validate says {e}"),
                        (Some(_), Ok(())) => panic!("{what}: invalid, but validate passes"),
                        (Some(r), Err(e)) => {
                            assert_eq!(e.kind().name(), r, "{what}: {e}");
                            assert!(e.offset() < bytes.len() as u64, "{what}");
                            verdict = "refused";
                            note = format!("owed {} ({e})", owed(&bytes, e.status()));
                        }
                    }
                    if verdict == "accepted" && matches!(expect, Expect::StrictInvalid(_)) {
                        note = "lenient reading (allow_loose_addresses)".to_string();
                    }
                } else {
                    let kind = match expect {
                        Expect::Reject(k) | Expect::StrictReject(k) => k,
                        _ => unreachable!(),
                    };
                    let e = got.expect_err(&what);
                    assert_eq!(e.kind(), kind, "{what}: {e}");
                    verdict = "rejected";
                    note = format!("owed {} ({e})", owed(&bytes, Some(e.status_owed())));
                }
                if name == "badvers.dat" {
                    assert_eq!(note.get(..8), Some("owed 505"), "{what}");
                }
                if matches!(expect, Expect::StrictReject(_)) && mode == "lenient" {
                    note = "lenient reading".to_string();
                }
                *counts.entry(verdict).or_default() += 1;
                table.push(format!(
                    "{dir}/{name:<36} {:<8} {mode:<8} {verdict:<9} {note}",
                    row["verdict"].split(' ').next().unwrap_or_default()
                ));
            }
        }
    }
    println!("torture-test verdicts:");
    for line in &table {
        println!("  {line}");
    }
    println!("counts over both modes: {counts:?}");
    assert_eq!(table.len(), 2 * (49 + 12));
}

/// The body is Content-Length long (RFC 4475 dblreq: the bytes after it are
/// discarded; RFC 5118's three files with a longer CRLF body likewise), and
/// the first message of the bytes as a stream frames the same.
fn check_body_length(
    bytes: &[u8],
    m: &sipline::Message<'_>,
    cfg: &ParserConfig,
    mode: &str,
    name: &str,
    what: &str,
) {
    let Some(cl) = m.head.content_length() else {
        // inv2543 (RFC 2543 style) has no Content-Length: as a datagram its
        // body is the rest; a stream needs it.
        assert_eq!(name, "inv2543.dat");
        assert_eq!(m.head.len() + m.body.len(), bytes.len(), "{what}");
        let stream = parse_message(bytes, cfg);
        if mode == "strict" {
            assert_eq!(stream.unwrap_err().kind(), ErrorKind::MissingContentLength);
        } else {
            assert_eq!(stream.unwrap().consumed(), Some(m.head.len()));
        }
        return;
    };
    assert_eq!(m.body.len() as u64, cl, "{what}");
    let Ok(Parsed::Complete { value, consumed }) = parse_message(bytes, cfg) else {
        panic!("{what}: stream framing")
    };
    assert_eq!(value.body.len() as u64, cl, "{what}");
    assert_eq!(consumed, m.head.len() + cl as usize, "{what}");
}

#[test]
fn clerr_is_incomplete_on_a_stream_and_truncated_as_a_datagram() {
    let Some(corpus) =
        common::shared_corpus("the clerr torture test on a stream and as a datagram")
    else {
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
    let Some(corpus) = common::shared_corpus("framing of the RFC 3665 flows and captures") else {
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
    let Some(corpus) = common::shared_corpus("framing of the corpus streams") else {
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
