//! Parses the benchmarks' 740-byte 200 OK (group `message`) 100 000 times,
//! with sipline's `parse_head_into`, its `headers()` walk, or httparse on
//! the byte-identical HTTP rendering; or the status lines of group
//! `reasons` (modes `lenient`, `strict`, `lenient-utf8`, `strict-utf8`),
//! or the rows of group `typed`: `frame` (`parse_head` alone), `five`
//! (and the top Via's branch, CSeq, Call-ID and the typed From and To
//! tags), `five-quick` (the tags by `from_tag`/`to_tag`), or `sdp`
//! (`parse_sdp` on the 601-byte offer of group `sdp`):
//! the harness for counting instructions with callgrind (BENCHMARKS.md),
//! which this noisy machine's wall clock cannot give.
//!
//! ```sh
//! cargo build --release --example head
//! for m in build into walk httparse frame five five-quick lenient strict lenient-utf8 strict-utf8; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/head $m
//! done
//! ```
//! `build` only makes the input: each parser's share is its total minus `build`'s.
//! A second argument sets the number of rounds (for wall-clock timing:
//! `time target/release/examples/head into 5000000`).

use sipline::{
    parse_head, parse_head_into, parse_message, parse_status_line_with, HeaderField, ParserConfig,
};
use std::hint::black_box;

/// The (b) message of `benches/parsers.rs`.
fn ok_to_invite() -> Vec<u8> {
    let body = "v=0\r\no=bob 2890844527 2890844527 IN IP4 client.biloxi.example.com\r\ns=-\r\n\
         c=IN IP4 192.0.2.201\r\nt=0 0\r\nm=audio 3456 RTP/AVP 0 7\r\na=rtpmap:0 PCMU/8000\r\n";
    format!(
        "SIP/2.0 200 OK\r\n\
         Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3\r\n\
         Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2\r\n\
         Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n\
         To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
         From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
         Call-ID: a84b4c76e66710@pc33.atlanta.example.com00007\r\n\
         CSeq: 314159 INVITE\r\n\
         Contact: <sip:bob@192.0.2.4>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn into(buf: &[u8]) -> usize {
    let mut fields = [HeaderField::EMPTY; 32];
    match parse_head_into(buf, &ParserConfig::default(), &mut fields) {
        Ok(p) => p.value().map_or(0, |(_, n)| {
            fields
                .iter()
                .take(n)
                .map(|h| h.name.len() + h.value.len())
                .sum()
        }),
        Err(_) => 0,
    }
}

fn walk(buf: &[u8]) -> usize {
    match parse_message(buf, &ParserConfig::default()) {
        Ok(p) => p.value().map_or(0, |m| {
            m.head.headers().map(|h| h.name.len() + h.value.len()).sum()
        }),
        Err(_) => 0,
    }
}

/// `parse_head` alone: the framing the `typed` rows are compared with.
fn frame(buf: &[u8]) -> usize {
    parse_head(buf, &ParserConfig::default())
        .ok()
        .and_then(|p| p.consumed())
        .unwrap_or(0)
}

/// `parse_head` and what a proxy reads first (the bench group `typed`):
/// top Via branch, CSeq number, Call-ID, and the tags, from the typed
/// From and To (`quick`: from `from_tag`/`to_tag`, which skip the URIs).
fn five(buf: &[u8], quick: bool) -> usize {
    let Some(head) = parse_head(buf, &ParserConfig::default())
        .ok()
        .and_then(|p| p.value())
    else {
        return 0;
    };
    let read = || -> Option<usize> {
        let branch = head.get::<sipline::Via>()?.ok()?.branch()?.len();
        let cseq = head.get::<sipline::CSeq>()?.ok()?.number as usize;
        let call_id = head.get::<sipline::header::CallId>()?.ok()?.len();
        let tags = if quick {
            head.from_tag()?.len() + head.to_tag()?.len()
        } else {
            head.get::<sipline::header::From>()?.ok()?.tag()?.len()
                + head.get::<sipline::header::To>()?.ok()?.tag()?.len()
        };
        Some(branch + cseq + call_id + tags)
    };
    read().unwrap_or(0)
}

fn httparse_head(buf: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut r = httparse::Response::new(&mut headers);
    match r.parse(buf) {
        Ok(httparse::Status::Complete(_)) => {
            r.headers.iter().map(|h| h.name.len() + h.value.len()).sum()
        }
        _ => 0,
    }
}

/// The benchmarks' (d) lines: a 250-byte ASCII reason phrase and a 90-byte
/// non-ASCII one.
fn reason_lines() -> (Vec<u8>, Vec<u8>) {
    let long = format!(
        "SIP/2.0 480 {}\r\n",
        "Temporarily Unavailable; try again later ".repeat(6)
    );
    let utf8 = "SIP/2.0 480 Nicht erreichbar – später wieder; недоступен; 暂时无法接通\r\n";
    (long.into_bytes(), utf8.as_bytes().to_vec())
}

fn status(buf: &[u8], cfg: &ParserConfig) -> usize {
    parse_status_line_with(buf, cfg).map_or(0, |p| p.consumed().unwrap_or(0))
}

fn main() {
    let (long, utf8) = reason_lines();
    let sip = ok_to_invite();
    let offer = include_bytes!("../benches/offer.sdp").to_vec();
    let mut http = b"HTTP/1.1".to_vec();
    http.extend_from_slice(sip.get(7..).unwrap_or_default());
    let mode = std::env::args().nth(1).unwrap_or_else(|| "into".into());
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let parse: fn(&[u8]) -> usize = match mode.as_str() {
        "build" => |_| 0,
        "walk" => walk,
        "frame" => frame,
        "five" => |b| five(b, false),
        "five-quick" => |b| five(b, true),
        "sdp" => |b| usize::from(sipline::sdp::parse_sdp(b, &ParserConfig::default()).is_ok()),
        "httparse" => httparse_head,
        "lenient" | "lenient-utf8" => |b| status(b, &ParserConfig::default()),
        "strict" | "strict-utf8" => |b| status(b, &ParserConfig::strict()),
        _ => into,
    };
    let input = match mode.as_str() {
        "httparse" => &http,
        "lenient" | "strict" => &long,
        "lenient-utf8" | "strict-utf8" => &utf8,
        "sdp" => &offer,
        _ => &sip,
    };
    let mut n = 0;
    for _ in 0..rounds {
        n += parse(black_box(input));
    }
    println!("{mode}: {n}");
}
