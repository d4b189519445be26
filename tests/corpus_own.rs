//! The project's own corpus (`corpus/messages/`, recorded by
//! `corpus/record.sh` from kamailio and sipsak on loopback): every payload
//! parses with the verdict its index gives, and the status code or method
//! sipline reads equals what tshark's SIP dissector read when it was recorded.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bytes::BytesMut;
use sipline::{parse_datagram, Datagram, Frame, ParserConfig, StartLine, StreamDecoder};

fn what(start: &StartLine<'_>) -> String {
    match start {
        StartLine::Status(s) => s.code.as_u16().to_string(),
        StartLine::Request(r) => r.method.as_str().to_string(),
    }
}

#[test]
fn own_corpus_gets_its_verdicts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/messages");
    let rows = common::read_tsv(&dir.join("index.tsv"));
    assert!(rows.len() >= 150, "{} rows", rows.len());
    let mut classes = BTreeMap::<String, usize>::new();
    let mut codes = std::collections::BTreeSet::new();
    for row in &rows {
        let bytes = std::fs::read(dir.join(&row["file"])).unwrap();
        let tshark: Vec<&str> = if row["kind"] == "response" {
            row["tshark_status"].split(',').collect()
        } else {
            row["tshark_method"].split(',').collect()
        };
        for (mode, cfg) in [
            ("strict", ParserConfig::strict()),
            ("lenient", ParserConfig::lenient()),
        ] {
            let want = if mode == "strict" {
                &row["strict_verdict"]
            } else {
                &row["verdict"]
            };
            let label = format!("{} ({mode})", row["file"]);
            let seen: Result<Vec<String>, sipline::Error> = if row["transport"] == "UDP" {
                parse_datagram(&bytes, &cfg).map(|d| match d {
                    Datagram::Message(m) => vec![what(&m.head.start_line)],
                    Datagram::KeepAlive => vec![],
                })
            } else {
                let mut dec = StreamDecoder::new(cfg);
                let mut buf = BytesMut::from(&bytes[..]);
                let mut v = Vec::new();
                let end = loop {
                    match dec.decode(&mut buf) {
                        Ok(Some(Frame::Message(m))) => v.push(what(&m.start_line())),
                        Ok(Some(Frame::KeepAlive { .. })) => {}
                        Ok(None) => break Ok(v),
                        Err(e) => break Err(e),
                    }
                };
                if end.is_ok() {
                    assert!(
                        dec.is_between_messages(&buf),
                        "{label}: a TCP segment ends mid-message"
                    );
                }
                end
            };
            match seen {
                Ok(v) => {
                    assert_eq!(want, "valid", "{label}");
                    assert_eq!(v, tshark, "{label}: sipline and tshark disagree");
                    if mode == "lenient" && row["kind"] == "response" {
                        for c in &v {
                            let code: u16 = c.parse().unwrap();
                            *classes.entry(format!("{}xx", code / 100)).or_default() += 1;
                            codes.insert(code);
                        }
                    }
                }
                Err(e) => assert_eq!(want, e.kind().name(), "{label}: {e}"),
            }
        }
    }
    println!(
        "own corpus: {} payloads; responses by class {classes:?}; {} distinct codes",
        rows.len(),
        codes.len()
    );
    assert_eq!(classes.len(), 6, "every response class is in the corpus");
    assert!(codes.len() >= 50);
}
