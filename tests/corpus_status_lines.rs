//! Every status line in `../shared/corpus/` gets its expected verdict, in
//! strict and in lenient mode: the responses listed in each folder's index
//! (code and whole start line checked against the index), the RFC 4475
//! response cases against EXPECTED.tsv, requests (not status lines) rejected
//! at byte 0, and status lines inside bodies (message/sipfrag).

mod common;

use sipline::{parse_status_line_with, ErrorKind, Parsed, ParserConfig};

fn first_line(bytes: &[u8]) -> &[u8] {
    let end = memchr::memmem::find(bytes, b"\r\n").unwrap_or(bytes.len());
    &bytes[..end]
}

#[test]
fn corpus_status_lines_get_their_verdicts() {
    let Some(corpus) = common::shared_corpus("the RFC 4475/5118 status-line verdicts") else {
        return;
    };
    let modes = [
        ("strict", ParserConfig::strict()),
        ("lenient", ParserConfig::lenient()),
    ];
    let (mut accepted, mut rejected, mut requests) = (0, 0, 0);
    let mut files_seen = 0;
    for (dir, index) in common::indexes(&corpus) {
        for row in common::read_tsv(&index) {
            let file = dir.join(&row["file"]);
            let bytes = std::fs::read(&file).unwrap();
            files_seen += 1;
            let line = first_line(&bytes);
            let is_response = row
                .get("kind")
                .map_or(line.starts_with(b"SIP/"), |k| k == "response");
            for (mode, cfg) in modes {
                let got = parse_status_line_with(&bytes, &cfg);
                let what = format!("{} ({mode})", file.display());
                if !is_response {
                    let e = got.expect_err(&what);
                    // Wrong at the first byte that differs from "SIP/2.0" ("SUBSCRIBE": 1).
                    let same = line
                        .iter()
                        .zip(b"SIP/2.0")
                        .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
                        .count();
                    assert_eq!(
                        (e.kind(), e.offset() as usize),
                        (ErrorKind::Version, same),
                        "{what}"
                    );
                    requests += 1;
                    continue;
                }
                if row.get("verdict").is_some_and(|v| v == "invalid")
                    && row["layer"] == "status-line"
                {
                    // RFC 4475 bigcode: a code above 699 that overflows 32 bits.
                    let e = got.expect_err(&what);
                    assert_eq!(e.kind(), ErrorKind::StatusCode, "{what}");
                    assert_eq!(e.offset(), 11, "{what}: the fourth digit");
                    rejected += 1;
                    continue;
                }
                let Ok(Parsed::Complete { value, consumed }) = got else {
                    panic!("{what}: {got:?}");
                };
                assert_eq!(consumed, line.len() + 2, "{what}");
                if let Some(start) = row.get("start_line") {
                    assert_eq!(start.as_bytes(), line, "{what}: index and file agree");
                }
                let want: u16 = match row.get("status").filter(|s| !s.is_empty()) {
                    Some(s) => s.parse().unwrap(),
                    None => std::str::from_utf8(&line[8..11]).unwrap().parse().unwrap(),
                };
                assert_eq!(value.code, want, "{what}");
                assert_eq!(value.reason.as_bytes(), &line[12..], "{what}");
                accepted += 1;
            }
        }
    }
    println!(
        "corpus status lines: {files_seen} indexed files; {accepted} accepted, \
         {rejected} rejected as the index says, {requests} requests refused as status lines \
         (counts are per mode, strict + lenient)"
    );
    assert!(files_seen >= 580, "{files_seen} indexed files");
    assert!(accepted >= 2 * 250, "{accepted}");
    assert_eq!(rejected, 2);
}

/// Status lines inside bodies (message/sipfrag in NOTIFY after REFER) and
/// every line that starts with `SIP/2.0 ` anywhere in the corpus streams.
#[test]
fn status_lines_inside_bodies_and_streams_parse() {
    let Some(corpus) = common::shared_corpus("status lines inside the corpus bodies and streams")
    else {
        return;
    };
    let mut files: Vec<_> = common::dat_files(&corpus);
    files.push(corpus.join("streams/generic.txt"));
    files.push(corpus.join("streams/lioneagle-sipparser.txt"));
    let mut embedded = 0;
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for start in memchr::memmem::find_iter(&bytes, b"\nSIP/2.0 ").map(|p| p + 1) {
            let at = &bytes[start..];
            // Header values such as "Via: SIP/2.0/UDP" never start a line.
            for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
                let got = parse_status_line_with(at, &cfg);
                let Ok(Parsed::Complete { value, consumed }) = got else {
                    panic!("{} at byte {start}: {got:?}", file.display());
                };
                assert_eq!(consumed, first_line(at).len() + 2);
                assert!(value.code.class().digit() >= 1);
            }
            embedded += 1;
        }
    }
    println!("status lines found inside bodies and streams: {embedded}");
    assert!(embedded >= 100, "{embedded}");
}
