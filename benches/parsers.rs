//! sipline against other parsers, side by side on the same bytes in the same
//! run. See BENCHMARKS.md for the machine, the command and the figures.
//!
//! Groups: (a) `status_line`, (b) `message`, (c) `stream`, (d) `reasons`,
//! (e) `corpus`, (f) `typed` (transaction and dialog fields of the 200 OK). Rows labelled "pre-split" or "whole response" give a peer
//! input it can handle where it cannot do the job itself.

use std::hint::black_box;
use std::path::Path;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sipline::{
    parse_message, parse_status_line, parse_status_line_with, Frame, Parsed, ParserConfig,
    StreamDecoder,
};

const RINGING: &[u8] = b"SIP/2.0 180 Ringing\r\n";

/// (b) a ~750-byte 200 OK to INVITE with three Via, From, To, Call-ID, CSeq,
/// Contact, Content-Type, Content-Length and an SDP body.
fn ok_to_invite(i: usize) -> Vec<u8> {
    let body = format!(
        "v=0\r\no=bob 2890844527 2890844527 IN IP4 client.biloxi.example.com\r\ns=-\r\n\
         c=IN IP4 192.0.2.201\r\nt=0 0\r\nm=audio 3456 RTP/AVP 0 {}\r\na=rtpmap:0 PCMU/8000\r\n",
        i % 100
    );
    format!(
        "SIP/2.0 200 OK\r\n\
         Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3\r\n\
         Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.2\r\n\
         Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1\r\n\
         To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n\
         From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
         Call-ID: a84b4c76e66710@pc33.atlanta.example.com{i:05}\r\n\
         CSeq: 314159 INVITE\r\n\
         Contact: <sip:bob@192.0.2.4>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The byte-identical HTTP rendering: the start line's "SIP/2.0" as "HTTP/1.1".
fn as_http(sip: &[u8]) -> Vec<u8> {
    let mut v = b"HTTP/1.1".to_vec();
    v.extend_from_slice(&sip[7..]);
    v
}

/// The floor: memchr for the line end plus checked fixed-offset reads of
/// "SIP/2.0 ", three digits and the SP. The least work that still rejects garbage.
#[inline]
fn floor(buf: &[u8]) -> Option<(u16, usize)> {
    let end = memchr::memchr(b'\n', buf)?;
    let (head, rest) = buf.split_first_chunk::<12>()?;
    let _ = rest;
    if &head[..8] != b"SIP/2.0 " || head[11] != b' ' {
        return None;
    }
    let d = |b: u8| b.wrapping_sub(b'0');
    let (a, b, c) = (d(head[8]), d(head[9]), d(head[10]));
    if a > 9 || b > 9 || c > 9 {
        return None;
    }
    Some((a as u16 * 100 + b as u16 * 10 + c as u16, end + 1))
}

fn sipline_status(buf: &[u8]) -> Option<(u16, usize)> {
    match parse_status_line(buf) {
        Ok(Parsed::Complete { value, consumed }) => Some((value.code.as_u16(), consumed)),
        _ => None,
    }
}

fn httparse_status(buf: &[u8]) -> Option<u16> {
    let mut headers = [httparse::EMPTY_HEADER; 0];
    let mut r = httparse::Response::new(&mut headers);
    // The status line alone: httparse then asks for more (Partial) but has
    // parsed the line; its code is set.
    let _ = r.parse(buf);
    r.code
}

fn ezk_status(src: &Bytes) -> Option<u16> {
    use ezk_sip_types::parse::Parse;
    let s = std::str::from_utf8(src).ok()?;
    let (_, line) = ezk_sip_types::msg::StatusLine::parse(src)(s).ok()?;
    Some(line.code.into_u16())
}

fn rsip_response(buf: &[u8]) -> Option<u16> {
    let r = rsip::Response::try_from(buf).ok()?;
    Some(r.status_code.code())
}

fn status_line(c: &mut Criterion) {
    let mut g = c.benchmark_group("status_line");
    g.throughput(Throughput::Bytes(RINGING.len() as u64));
    let http = as_http(RINGING);
    let ezk_src = Bytes::from_static(RINGING);
    let rsip_in = b"SIP/2.0 180 Ringing\r\n\r\n";
    assert_eq!(sipline_status(RINGING), Some((180, 21)));
    assert_eq!(floor(RINGING), Some((180, 21)));
    assert_eq!(httparse_status(&http), Some(180));
    assert_eq!(ezk_status(&ezk_src), Some(180));
    assert_eq!(rsip_response(rsip_in), Some(180));
    g.bench_function("sipline", |b| b.iter(|| sipline_status(black_box(RINGING))));
    g.bench_function("sipline strict", |b| {
        let cfg = ParserConfig::strict();
        b.iter(|| parse_status_line_with(black_box(RINGING), &cfg).map(|p| p.consumed()))
    });
    g.bench_function("floor", |b| b.iter(|| floor(black_box(RINGING))));
    g.bench_function("httparse (HTTP line)", |b| {
        b.iter(|| httparse_status(black_box(&http)))
    });
    g.bench_function("ezk-sip-types", |b| {
        b.iter(|| ezk_status(black_box(&ezk_src)))
    });
    g.bench_function("rsip (whole response: line + empty line)", |b| {
        b.iter(|| rsip_response(black_box(rsip_in)))
    });
    g.finish();
}

/// sipline: the head parsed and every header located into an array in the
/// same pass (as httparse does), the body found by Content-Length.
fn sipline_message_into(buf: &[u8]) -> Option<(usize, usize)> {
    let mut fields = [sipline::HeaderField::EMPTY; 32];
    let p = sipline::parse_head_into(buf, &ParserConfig::default(), &mut fields).ok()?;
    let head_len = p.consumed()?;
    let (head, count) = p.value()?;
    let mut n = 0;
    for h in &fields[..count] {
        n += h.name.len() + h.value.len();
    }
    Some((head_len + head.content_length()? as usize, n))
}

/// sipline: the whole message parsed, then the headers() walk.
fn sipline_message(buf: &[u8]) -> Option<(usize, usize)> {
    let p = parse_message(buf, &ParserConfig::default()).ok()?;
    let consumed = p.consumed()?;
    let m = p.value()?;
    let mut n = 0;
    for h in m.head.headers() {
        n += h.name.len() + h.value.len();
    }
    Some((consumed, n))
}

fn httparse_message(buf: &[u8]) -> Option<(usize, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut r = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(head) = r.parse(buf).ok()? else {
        return None;
    };
    let mut cl = 0usize;
    let mut n = 0;
    for h in r.headers.iter() {
        n += h.name.len() + h.value.len();
        if h.name.eq_ignore_ascii_case("content-length") {
            cl = std::str::from_utf8(h.value).ok()?.trim().parse().ok()?;
        }
    }
    Some((head + cl, n))
}

fn ezk_message(buf: &[u8]) -> Option<usize> {
    use ezk_sip_types::parse::Parse;
    let src = Bytes::copy_from_slice(buf);
    let mut pull = ezk_sip_types::msg::PullParser::new(&src, 0);
    let first = pull.next()?.ok()?;
    let s = std::str::from_utf8(first).ok()?;
    let (_, line) = ezk_sip_types::msg::StatusLine::parse(&src)(s).ok()?;
    let mut n = usize::from(line.code.into_u16());
    for l in pull.by_ref() {
        n += l.ok()?.len();
    }
    Some(n + pull.head_end())
}

fn message(c: &mut Criterion) {
    let mut g = c.benchmark_group("message");
    let msg = ok_to_invite(0);
    let http = as_http(&msg);
    g.throughput(Throughput::Bytes(msg.len() as u64));
    let (consumed, _) = sipline_message(&msg).unwrap();
    assert_eq!(consumed, msg.len());
    assert_eq!(httparse_message(&http).unwrap().0, http.len());
    assert!(ezk_message(&msg).is_some());
    assert_eq!(rsip_response(&msg), Some(200));
    assert_eq!(sipline_message_into(&msg), sipline_message(&msg));
    g.bench_function("sipline", |b| {
        b.iter(|| sipline_message_into(black_box(&msg)))
    });
    g.bench_function("sipline (parse_message, then headers() walk)", |b| {
        b.iter(|| sipline_message(black_box(&msg)))
    });
    g.bench_function("httparse (HTTP rendering)", |b| {
        b.iter(|| httparse_message(black_box(&http)))
    });
    g.bench_function("ezk-sip-types (pull parser, copies into Bytes)", |b| {
        b.iter(|| ezk_message(black_box(&msg)))
    });
    g.bench_function("rsip", |b| b.iter(|| rsip_response(black_box(&msg))));
    g.finish();
}

/// (c) 1000 responses back to back.
fn response_stream() -> Vec<u8> {
    (0..1000).flat_map(ok_to_invite).collect()
}

fn decode_all(dec: &mut StreamDecoder, buf: &mut BytesMut) -> usize {
    let mut n = 0;
    while let Ok(Some(f)) = dec.decode(buf) {
        if let Frame::Message(m) = f {
            n += m.head_len();
        }
    }
    n
}

/// The sanity check the peers are held to as well: sipline frames `s`, fed
/// in `chunk`-byte pieces, into its messages with no error and nothing left
/// over; the number of messages.
fn sipline_frames(s: &[u8], chunk: usize) -> usize {
    let (mut d, mut buf, mut n) = (StreamDecoder::default(), BytesMut::new(), 0);
    for piece in s.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match d.decode(&mut buf) {
                Ok(Some(Frame::Message(_))) => n += 1,
                Ok(Some(Frame::KeepAlive { .. })) => {}
                Ok(None) => break,
                Err(e) => panic!("sipline on the bench stream: {e}"),
            }
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    n
}

/// Frames by httparse: head parsed, Content-Length found, body skipped.
fn httparse_frames(mut buf: &[u8]) -> usize {
    let mut n = 0;
    while !buf.is_empty() {
        let Some((len, _)) = httparse_message(buf) else {
            break;
        };
        buf = &buf[len..];
        n += 1;
    }
    n
}

/// The ceiling: memmem for the end of the head and for "Content-Length: ".
fn memmem_frames(mut buf: &[u8]) -> usize {
    let end = memchr::memmem::Finder::new(b"\r\n\r\n");
    let cl = memchr::memmem::Finder::new(b"\r\nContent-Length: ");
    let mut n = 0;
    while let Some(h) = end.find(buf) {
        let head = &buf[..h];
        let Some(p) = cl.find(head) else { break };
        let digits = &head[p + 18..];
        let mut len = 0usize;
        for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
            len = len * 10 + (d - b'0') as usize;
        }
        buf = &buf[(h + 4 + len).min(buf.len())..];
        n += 1;
    }
    n
}

fn stream(c: &mut Criterion) {
    let mut g = c.benchmark_group("stream");
    let s = response_stream();
    let http: Vec<u8> = (0..1000).flat_map(|i| as_http(&ok_to_invite(i))).collect();
    g.throughput(Throughput::Bytes(s.len() as u64));
    for chunk in [s.len(), 1460, 1] {
        assert_eq!(sipline_frames(&s, chunk), 1000, "in {chunk}-byte pieces");
    }
    assert_eq!(httparse_frames(&http), 1000);
    assert_eq!(memmem_frames(&s), 1000);
    g.bench_function("sipline whole", |b| {
        b.iter_batched_ref(
            || (StreamDecoder::default(), BytesMut::from(&s[..])),
            |(d, buf)| decode_all(d, buf),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("sipline 1460-byte chunks", |b| {
        b.iter_batched_ref(
            || (StreamDecoder::default(), BytesMut::with_capacity(s.len())),
            |(d, buf)| {
                let mut n = 0;
                for chunk in s.chunks(1460) {
                    buf.extend_from_slice(chunk);
                    n += decode_all(d, buf);
                }
                n
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("sipline byte at a time", |b| {
        b.iter_batched_ref(
            || (StreamDecoder::default(), BytesMut::with_capacity(s.len())),
            |(d, buf)| {
                let mut n = 0;
                for byte in &s {
                    buf.extend_from_slice(std::slice::from_ref(byte));
                    n += decode_all(d, buf);
                }
                n
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("sipline parse_message in place", |b| {
        b.iter(|| {
            let mut at = 0;
            let cfg = ParserConfig::default();
            while let Ok(Parsed::Complete { consumed, .. }) = parse_message(&s[at..], &cfg) {
                at += consumed;
            }
            at
        })
    });
    g.bench_function("httparse framing (HTTP rendering)", |b| {
        b.iter(|| httparse_frames(black_box(&http)))
    });
    g.bench_function("memmem framer (ceiling)", |b| {
        b.iter(|| memmem_frames(black_box(&s)))
    });
    g.bench_function("rsip (pre-split messages)", |b| {
        let split: Vec<Vec<u8>> = (0..1000).map(ok_to_invite).collect();
        b.iter(|| split.iter().filter_map(|m| rsip_response(m)).count())
    });
    g.finish();
}

fn reasons(c: &mut Criterion) {
    let mut g = c.benchmark_group("reasons");
    let long = format!(
        "SIP/2.0 480 {}\r\n",
        "Temporarily Unavailable; try again later ".repeat(6)
    );
    let utf8 =
        "SIP/2.0 480 Nicht erreichbar – später wieder; недоступен; 暂时无法接通\r\n".to_string();
    for (name, line) in [
        ("long ascii", long.as_bytes()),
        ("non-ascii utf-8", utf8.as_bytes()),
    ] {
        g.throughput(Throughput::Bytes(line.len() as u64));
        let http = as_http(line);
        let src = Bytes::copy_from_slice(line);
        assert!(sipline_status(line).is_some());
        g.bench_function(format!("sipline lenient / {name}"), |b| {
            b.iter(|| sipline_status(black_box(line)))
        });
        g.bench_function(format!("sipline strict / {name}"), |b| {
            let cfg = ParserConfig::strict();
            b.iter(|| parse_status_line_with(black_box(line), &cfg).map(|p| p.consumed()))
        });
        g.bench_function(format!("floor / {name}"), |b| {
            b.iter(|| floor(black_box(line)))
        });
        g.bench_function(format!("httparse / {name}"), |b| {
            b.iter(|| httparse_status(black_box(&http)))
        });
        g.bench_function(format!("ezk-sip-types / {name}"), |b| {
            b.iter(|| ezk_status(black_box(&src)))
        });
    }
    g.finish();
}

/// (e) the project's own recorded messages (`corpus/`), falling back to the
/// shared captures when the project corpus is not there.
fn corpus(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        root.join("corpus/messages"),
        root.join("../shared/corpus/captured"),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            let mut v: Vec<_> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "dat"))
                .collect();
            v.sort();
            files = v.iter().filter_map(|p| std::fs::read(p).ok()).collect();
            if !files.is_empty() {
                break;
            }
        }
    }
    if files.is_empty() {
        eprintln!("corpus group skipped: no corpus found");
        return;
    }
    let total: usize = files.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(total as u64));
    let cfg = ParserConfig::default();
    g.bench_function("sipline datagrams", |b| {
        b.iter(|| {
            files
                .iter()
                .filter(|f| sipline::parse_datagram(black_box(f), &cfg).is_ok())
                .count()
        })
    });
    g.bench_function("rsip", |b| {
        b.iter(|| {
            files
                .iter()
                .filter(|f| rsip::SipMessage::try_from(black_box(&f[..])).is_ok())
                .count()
        })
    });
    g.finish();
}

/// What a proxy reads first: top Via branch, CSeq number, Call-ID, From
/// and To tags. Each function parses `buf` and reads them.
type TxFields = (String, u32, usize, String, String);

/// `quick`: the tags read by `from_tag`/`to_tag` (no URI parsed), else
/// from the typed From and To.
fn sipline_tx_fields(buf: &[u8], quick: bool) -> Option<(usize, u32, usize, usize, usize)> {
    let head = sipline::parse_head(buf, &ParserConfig::default())
        .ok()?
        .value()?;
    let branch = head.get::<sipline::Via>()?.ok()?.branch()?.len();
    let cseq = head.get::<sipline::CSeq>()?.ok()?.number;
    let call_id = head.get::<sipline::header::CallId>()?.ok()?.len();
    let (from, to) = if quick {
        (head.from_tag()?.len(), head.to_tag()?.len())
    } else {
        (
            head.get::<sipline::header::From>()?.ok()?.tag()?.len(),
            head.get::<sipline::header::To>()?.ok()?.tag()?.len(),
        )
    };
    Some((branch, cseq, call_id, from, to))
}

/// The same, on a message the stream decoder framed (its field index used).
fn sipline_tx_fields_owned(
    dec: &mut StreamDecoder,
    bytes: &[u8],
) -> Option<(usize, u32, usize, usize, usize)> {
    let mut buf = BytesMut::from(bytes);
    let Ok(Some(Frame::Message(m))) = dec.decode(&mut buf) else {
        return None;
    };
    let head = m.head();
    let branch = head.get::<sipline::Via>()?.ok()?.branch()?.len();
    let cseq = head.get::<sipline::CSeq>()?.ok()?.number;
    let call_id = head.get::<sipline::header::CallId>()?.ok()?.len();
    let from = head.get::<sipline::header::From>()?.ok()?.tag()?.len();
    let to = head.get::<sipline::header::To>()?.ok()?.tag()?.len();
    Some((branch, cseq, call_id, from, to))
}

fn ezk_tx_fields(buf: &[u8]) -> Option<TxFields> {
    use ezk_sip_types::header::typed::{CSeq, CallID, FromTo, Via};
    use ezk_sip_types::{Headers, Name};
    let src = Bytes::copy_from_slice(buf);
    let mut pull = ezk_sip_types::msg::PullParser::new(&src, 0);
    let _start = pull.next()?.ok()?;
    let mut headers = Headers::new();
    for line in pull.by_ref() {
        let line = std::str::from_utf8(line.ok()?).ok()?;
        let (name, value) = line.split_once(':')?;
        headers.insert(
            Name::from(bytesstr::BytesStr::from_parse(&src, name.trim())),
            bytesstr::BytesStr::from_parse(&src, value.trim()),
        );
    }
    let via: Via = headers.get_named().ok()?;
    let branch = via.params.get_val("branch")?.to_string();
    let cseq: CSeq = headers.get_named().ok()?;
    let call_id: CallID = headers.get_named().ok()?;
    let from: FromTo = headers.get(Name::FROM).ok()?;
    let to: FromTo = headers.get(Name::TO).ok()?;
    Some((
        branch,
        cseq.cseq,
        call_id.0.len(),
        from.tag?.to_string(),
        to.tag?.to_string(),
    ))
}

fn rsip_tx_fields(buf: &[u8]) -> Option<TxFields> {
    use rsip::prelude::*;
    let r = rsip::Response::try_from(buf).ok()?;
    let via = r.via_header().ok()?.typed().ok()?;
    let branch = via.branch()?.to_string();
    let cseq = r.cseq_header().ok()?.typed().ok()?.seq;
    let call_id = r.call_id_header().ok()?.value().len();
    let from = r.from_header().ok()?.tag().ok()??.to_string();
    let to = r.to_header().ok()?.tag().ok()??.to_string();
    Some((branch, cseq, call_id, from, to))
}

fn typed(c: &mut Criterion) {
    let mut g = c.benchmark_group("typed");
    let msg = ok_to_invite(0);
    let head_len = msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    g.throughput(Throughput::Bytes(msg.len() as u64));
    let want = sipline_tx_fields(&msg, false).unwrap();
    assert_eq!(want, (18, 314159, 44, 10, 7));
    let mut dec = StreamDecoder::default();
    assert_eq!(sipline_tx_fields_owned(&mut dec, &msg), Some(want));
    let ezk = ezk_tx_fields(&msg).unwrap();
    let rs = rsip_tx_fields(&msg).unwrap();
    for peer in [&ezk, &rs] {
        assert_eq!(
            (peer.0.len(), peer.1, peer.2, peer.3.len(), peer.4.len()),
            want
        );
    }
    g.bench_function("sipline: frame the head alone (parse_head)", |b| {
        b.iter(|| {
            sipline::parse_head(black_box(&msg), &ParserConfig::default())
                .ok()
                .and_then(|p| p.consumed())
        })
    });
    assert_eq!(
        sipline::parse_head(&msg, &ParserConfig::default())
            .unwrap()
            .consumed(),
        Some(head_len)
    );
    g.bench_function("sipline: parse_head + branch, CSeq, Call-ID, tags", |b| {
        b.iter(|| sipline_tx_fields(black_box(&msg), false))
    });
    g.bench_function(
        "sipline: parse_head + branch, CSeq, Call-ID, tags (from_tag/to_tag)",
        |b| b.iter(|| sipline_tx_fields(black_box(&msg), true)),
    );
    assert_eq!(sipline_tx_fields(&msg, true), Some(want));
    g.bench_function(
        "sipline: StreamDecoder frame + the same (field index)",
        |b| b.iter(|| sipline_tx_fields_owned(&mut dec, black_box(&msg))),
    );
    g.bench_function("ezk-sip-types: parse + the same", |b| {
        b.iter(|| ezk_tx_fields(black_box(&msg)))
    });
    g.bench_function("rsip: parse + the same", |b| {
        b.iter(|| rsip_tx_fields(black_box(&msg)))
    });
    g.finish();
}

/// A typical 600-byte (601) audio/video offer, as a softphone sends it
/// (`benches/offer.sdp`, which `examples/head.rs sdp` counts too).
const OFFER: &str = include_str!("offer.sdp");

/// What an SBC reads of an offer: each media description's address, port
/// and codecs (payload type, clock rate), summed so nothing is skipped.
fn sipline_sdp_reads(body: &[u8]) -> Option<u64> {
    let sdp = sipline::sdp::parse_sdp(body, &ParserConfig::default()).ok()?;
    let mut sum = 0u64;
    for m in sdp.media() {
        sum += u64::from(m.line().port) + m.connection()?.address.len() as u64;
        for f in m.line().formats() {
            let pt = f.parse().ok()?;
            sum += u64::from(m.codec(pt).map_or(0, |c| c.clock_rate));
        }
    }
    Some(sum)
}

fn webrtc_sdp_reads(body: &str) -> Option<u64> {
    use webrtc_sdp::attribute_type::SdpAttribute;
    let sdp = webrtc_sdp::parse_sdp(body, false).ok()?;
    let mut sum = 0u64;
    for m in sdp.media.iter() {
        let addr = match &m
            .get_connection()
            .as_ref()
            .or(sdp.connection.as_ref())?
            .address
        {
            webrtc_sdp::address::ExplicitlyTypedAddress::Ip(ip) => ip.to_string().len(),
            webrtc_sdp::address::ExplicitlyTypedAddress::Fqdn { domain, .. } => domain.len(),
        };
        sum += u64::from(m.get_port()) + addr as u64;
        if let webrtc_sdp::media_type::SdpFormatList::Integers(pts) = m.get_formats() {
            for &pt in pts {
                let rate = m.get_attributes().iter().find_map(|a| match a {
                    SdpAttribute::Rtpmap(r) if u32::from(r.payload_type) == pt => Some(r.frequency),
                    _ => None,
                });
                sum += u64::from(rate.unwrap_or(if pt < 35 { 8000 } else { 0 }));
            }
        }
    }
    Some(sum)
}

fn sdp(c: &mut Criterion) {
    let mut g = c.benchmark_group("sdp");
    g.throughput(Throughput::Bytes(OFFER.len() as u64));
    let want = sipline_sdp_reads(OFFER.as_bytes());
    assert!(want.is_some());
    assert_eq!(webrtc_sdp_reads(OFFER), want);
    g.bench_function("sipline: parse_sdp", |b| {
        b.iter(|| {
            sipline::sdp::parse_sdp(black_box(OFFER.as_bytes()), &ParserConfig::default()).is_ok()
        })
    });
    g.bench_function("sipline: parse_sdp + addresses, ports, codecs", |b| {
        b.iter(|| sipline_sdp_reads(black_box(OFFER.as_bytes())))
    });
    g.bench_function("webrtc-sdp: parse_sdp + the same", |b| {
        b.iter(|| webrtc_sdp_reads(black_box(OFFER)))
    });
    g.finish();
}

criterion_group!(
    benches,
    status_line,
    message,
    stream,
    reasons,
    corpus,
    typed,
    sdp
);
criterion_main!(benches);
