//! The whole-head pass (a head already whole, read with no resumable
//! state) gives what the resumable scan gives: on every message of the
//! shared corpus and on crafted heads that take each way out of the pass,
//! whole and cut in two at every point, under four configurations
//! (`sipline::__fuzzing::whole_head_differential`, also the fuzz target
//! `whole_head`). And the pass does answer: on the corpus's plain heads.
#![cfg(feature = "fuzzing")]

mod common;

use sipline::__fuzzing::whole_head_differential;
use sipline::{parse_head_into, ErrorKind, HeaderField, ParserConfig};

fn configs() -> [ParserConfig; 4] {
    [
        ParserConfig::default(),
        ParserConfig::strict(),
        ParserConfig::lenient(),
        ParserConfig::lenient()
            .max_line_len(64)
            .max_head_len(300)
            .max_headers(4)
            .max_body_len(100),
    ]
}

/// Every configuration, whole and at every split; panics on a difference.
fn agree(what: &str, msg: &[u8]) {
    for cfg in &configs() {
        for split in 0..msg.len().max(1) {
            if let Err(e) = whole_head_differential(msg, cfg, split) {
                panic!("{what}, split {split}: {e}");
            }
        }
    }
}

#[test]
fn crafted_heads_take_every_way_out_of_the_pass_and_agree() {
    let base = "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCall-ID: x@y\r\n";
    let cases: Vec<(&str, String)> = vec![
        ("plain", format!("{base}l: 0\r\n\r\n")),
        ("folded", format!("{base}Subject: a\r\n b\r\nl: 0\r\n\r\n")),
        ("lf line ends", base.replace("\r\n", "\n") + "l: 0\n\n"),
        ("bare cr", format!("{base}Subject: a\rb\r\nl: 0\r\n\r\n")),
        ("control", format!("{base}Subject: a\x01b\r\nl: 0\r\n\r\n")),
        (
            "quoted control",
            format!("{base}Subject: \"a\\\x01\"\r\nl: 0\r\n\r\n"),
        ),
        (
            "two equal lengths",
            format!("{base}l: 0\r\nContent-Length: 0\r\n\r\n"),
        ),
        (
            "two lengths",
            format!("{base}l: 0\r\nContent-Length: 1\r\n\r\n"),
        ),
        ("bad length", format!("{base}l: x\r\n\r\n")),
        (
            "huge length",
            format!("{base}l: 99999999999999999999\r\n\r\n"),
        ),
        (
            "empty values",
            format!("{base}Subject:\r\nX: \t \r\nl: 0\r\n\r\n"),
        ),
        (
            "trailing space",
            format!("{base}Subject: a \t\r\nl: 0 \r\n\r\n"),
        ),
        ("space before colon", format!("{base}Subject \t: a\r\n\r\n")),
        ("no colon", format!("{base}Subject a\r\n\r\n")),
        ("bad name", format!("{base}Sub@ject: a\r\n\r\n")),
        ("starts folded", "SIP/2.0 200 OK\r\n x: y\r\n\r\n".into()),
        (
            "many headers",
            format!("{base}{}\r\n", "A: b\r\n".repeat(80)),
        ),
        ("bad start line", "SIP/2.0 2000 OK\r\nl: 0\r\n\r\n".into()),
        (
            "request junk",
            "INVITE  sip:b@h SIP/2.0\r\nl: 0\r\n\r\n".into(),
        ),
        ("no end", format!("{base}l: 0\r\n")),
        ("with body", format!("{base}l: 4\r\n\r\nv=0\n")),
        (
            "long line",
            format!("{base}Subject: {}\r\n\r\n", "a".repeat(400)),
        ),
        (
            "status",
            "SIP/2.0 180 Ringing\r\nv: SIP/2.0/TCP a\r\ni: c\r\n\r\n".into(),
        ),
    ];
    for (what, msg) in &cases {
        agree(what, msg.as_bytes());
    }
    // Limits at every value around the head's size and field count.
    let msg = format!("{base}l: 0\r\n\r\n");
    for limit in 0..msg.len() + 2 {
        let cfg = ParserConfig::default().max_head_len(limit);
        for split in [0, 5, msg.len() / 2] {
            if let Err(e) = whole_head_differential(msg.as_bytes(), &cfg, split) {
                panic!("max_head_len {limit}, split {split}: {e}");
            }
        }
    }
    for n in 0..5 {
        let cfg = ParserConfig::default().max_headers(n);
        if let Err(e) = whole_head_differential(msg.as_bytes(), &cfg, 7) {
            panic!("max_headers {n}: {e}");
        }
    }
}

#[test]
fn a_short_field_array_is_too_many_headers_where_it_overflows() {
    let msg = b"SIP/2.0 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    let mut fields = [HeaderField::EMPTY; 2];
    let e = parse_head_into(msg, &ParserConfig::default(), &mut fields).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::TooManyHeaders, 28));
    let mut fields = [HeaderField::EMPTY; 3];
    let (_, n) = parse_head_into(msg, &ParserConfig::default(), &mut fields)
        .unwrap()
        .value()
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(fields[2].value, b"3");
}

#[test]
fn every_corpus_message_agrees_whole_and_split() {
    let Some(corpus) = common::shared_corpus("the whole-head pass on the corpus") else {
        return;
    };
    let mut files = 0;
    let mut answered = 0;
    for dir in ["rfc4475", "rfc5118", "rfc3665", "rfc-examples"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(dir)) else {
            panic!("{dir} is missing from the corpus");
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if !path.is_file() || path.extension().is_some_and(|e| e == "md" || e == "tsv") {
                continue;
            }
            let msg = std::fs::read(&path).unwrap();
            for cfg in &configs() {
                // Every split of the head and a little past it.
                for split in (0..msg.len().min(1200)).step_by(3) {
                    if let Err(e) = whole_head_differential(&msg, cfg, split) {
                        panic!("{}, split {split}: {e}", path.display());
                    }
                }
            }
            files += 1;
            if whole_head_differential(&msg, &ParserConfig::default(), 0) == Ok(true) {
                answered += 1;
            }
        }
    }
    println!("{files} corpus messages, {answered} read by the whole-head pass");
    assert!(files >= 100, "{files} corpus files");
    // Nearly every corpus message is a plain head (243 of 254 on 2026-12-06);
    // the rest are torture tests and unfinished heads.
    assert!(
        answered * 10 >= files * 9,
        "the pass read {answered} of {files} heads"
    );
}
