#![no_main]
//! `salvage` on any bytes, strict and lenient: never a panic, every value
//! a slice of the input, the limits kept; and on a message that parses,
//! what it salvages is what the parsed head gives (start line, Call-ID,
//! CSeq, top Via branch, From and To tags).
use sipline::header::{CallId, From, To};
use sipline::{parse_datagram, salvage, CSeq, Datagram, ParserConfig, Via};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let range = data.as_ptr_range();
    let inside = |b: &[u8]| b.is_empty() || range.contains(&b.as_ptr());
    for cfg in [
        ParserConfig::strict(),
        ParserConfig::lenient().max_headers(8),
    ] {
        let s = salvage(data, &cfg);
        assert!(s.as_bytes().len() <= cfg.head_len_limit());
        assert!(s.headers().count() <= cfg.headers_limit());
        for f in s.headers() {
            assert!(inside(f.name) && inside(f.value));
        }
        if let Some(Err(e)) = s.get::<CSeq>() {
            assert!(e.offset() <= s.as_bytes().len() as u64, "{e}");
        }
        let (method, code) = (s.method(), s.code());
        assert!(method.is_none() || code.is_none());

        let Ok(Datagram::Message(m)) = parse_datagram(data, &cfg) else {
            continue;
        };
        let h = &m.head;
        if h.header_count() > cfg.headers_limit() {
            continue;
        }
        assert_eq!(
            s.start_line().map(|l| l.to_string()),
            Some(h.start_line.to_string())
        );
        assert_eq!(
            s.get::<CallId>().and_then(Result::ok),
            h.get::<CallId>().and_then(Result::ok)
        );
        assert_eq!(
            s.get::<CSeq>().and_then(Result::ok),
            h.get::<CSeq>().and_then(Result::ok)
        );
        let branch = |v: Option<Result<Via<'_>, sipline::Error>>| {
            v.and_then(Result::ok)
                .and_then(|v| v.branch().map(str::to_owned))
        };
        assert_eq!(branch(s.get::<Via>()), branch(h.get::<Via>()));
        let tag = |a: Option<Result<sipline::NameAddr<'_>, sipline::Error>>| {
            a.and_then(Result::ok)
                .and_then(|a| a.tag().map(str::to_owned))
        };
        assert_eq!(tag(s.get::<From>()), tag(h.get::<From>()));
        assert_eq!(tag(s.get::<To>()), tag(h.get::<To>()));
    }
});
