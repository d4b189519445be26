#![no_main]
//! The typed header parsers on any bytes: Via (every value), CSeq,
//! Max-Forwards, Call-ID, URI, addresses (one and lists), Reason, Date.
//! Whatever they accept, Display writes back in a form that parses to the
//! same value; error offsets stay inside the input; lenient accepts what
//! strict accepts.
use sipline::{
    parse_call_id, parse_contact, parse_cseq, parse_date, parse_max_forwards, parse_name_addr,
    parse_name_addrs, parse_reason, parse_uri, parse_via, Contact, ParserConfig,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let strict = ParserConfig::strict();
    let lenient = ParserConfig::lenient();
    let inside = |e: sipline::Error| assert!(e.offset() <= data.len() as u64, "{e}");
    for via in parse_via(data, &strict) {
        let Ok(via) = via else { break };
        let text = via.to_string();
        let again = parse_via(text.as_bytes(), &strict)
            .next()
            .expect("one value")
            .expect("own output parses");
        assert_eq!(again, via, "{text}");
    }
    if let Ok(c) = parse_cseq(data, &strict) {
        assert!(c.number < 1 << 31);
        assert_eq!(parse_cseq(c.to_string().as_bytes(), &strict), Ok(c));
    }
    let _ = parse_max_forwards(data, &strict).map_err(inside);
    if let Ok(id) = parse_call_id(data, &strict) {
        assert!(!id.is_empty());
    }
    match parse_uri(data, &strict) {
        Ok(u) => assert_eq!(parse_uri(u.to_string().as_bytes(), &strict), Ok(u)),
        Err(e) => inside(e),
    }
    match parse_name_addr(data, &strict) {
        Ok(a) => {
            let text = a.to_string();
            let again = parse_name_addr(text.as_bytes(), &strict).expect("own output parses");
            assert_eq!(again, a, "{text}");
            assert_eq!(
                parse_name_addr(data, &lenient),
                Ok(a),
                "lenient reads what strict reads"
            );
        }
        Err(e) => inside(e),
    }
    let _ = parse_name_addr(data, &lenient).map_err(inside);
    for cfg in [strict, lenient] {
        for a in parse_name_addrs(data, &cfg) {
            if let Err(e) = a {
                inside(e);
            }
        }
        if let Contact::Addrs(list) = parse_contact(data, &cfg) {
            list.for_each(drop);
        }
    }
    for r in parse_reason(data, &strict) {
        match r {
            Ok(r) => {
                let text = r.to_string();
                let again = parse_reason(text.as_bytes(), &strict)
                    .next()
                    .expect("one")
                    .expect("own output parses");
                assert_eq!(
                    (again.protocol, again.cause, again.text),
                    (r.protocol, r.cause, r.text),
                    "{text}"
                );
            }
            Err(e) => inside(e),
        }
    }
    let _ = parse_date(data, &strict).map_err(inside);
});
