#![no_main]
//! URIs and addresses (From/To, Contact, Route, Record-Route) on any bytes:
//! what parses prints back to an equal value, lenient accepts what strict
//! accepts with the same reading, and errors point inside the input.
use sipline::{parse_contact, parse_name_addr, parse_name_addrs, parse_uri, Contact, ParserConfig};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let strict = ParserConfig::strict();
    let lenient = ParserConfig::lenient();
    let inside = |e: sipline::Error| assert!(e.offset() <= data.len() as u64, "{e}");
    match parse_uri(data) {
        Ok(u) => assert_eq!(parse_uri(u.to_string().as_bytes()), Ok(u)),
        Err(e) => inside(e),
    }
    match parse_name_addr(data, &strict) {
        Ok(a) => {
            let text = a.to_string();
            let again = parse_name_addr(text.as_bytes(), &strict).expect("own output parses");
            assert_eq!(again, a, "{text}");
            assert_eq!(parse_name_addr(data, &lenient), Ok(a));
        }
        Err(e) => inside(e),
    }
    let _ = parse_name_addr(data, &lenient).map_err(inside);
    for cfg in [strict, lenient] {
        let mut list = parse_name_addrs(data, &cfg);
        for a in list.by_ref() {
            match a {
                Ok(a) => {
                    let _ = (a.tag(), a.uri.param("lr"), a.param("expires"));
                }
                Err(e) => inside(e),
            }
        }
        assert!(list.remaining().is_empty());
        if let Contact::Addrs(list) = parse_contact(data, &cfg) {
            list.for_each(drop);
        }
    }
});
