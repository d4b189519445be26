//! `sipline::nom`: every line parser has a default and a configured form,
//! each reads the values the line holds and agrees with the friendly entry
//! point, and they compose with the nom re-exported beside them.

use sipline::nom::{
    request_line, request_line_with, start_line, start_line_with, status_line, status_line_with,
    Err, IResult, Needed, SipError,
};
use sipline::{
    parse_request_line, parse_start_line, parse_status_line_with, ErrorKind, ParserConfig,
    StartLine,
};

#[test]
fn each_parser_agrees_with_its_entry_point() {
    for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
        let resp = b"SIP/2.0 486 Busy Here\r\nrest";
        let (rest, s) = status_line_with(cfg)(resp).unwrap();
        assert_eq!(rest, b"rest");
        assert_eq!(s.code.as_u16(), 486);
        assert_eq!(s.reason.as_str(), Some("Busy Here"));
        assert_eq!(s.version, b"SIP/2.0");
        assert_eq!(parse_status_line_with(resp, &cfg).unwrap().value(), Some(s));
        let req = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\nrest";
        let (rest, r) = request_line_with(cfg)(req).unwrap();
        assert_eq!(rest, b"rest");
        assert_eq!(r.method, *"INVITE");
        assert_eq!(r.uri, b"sip:bob@biloxi.example.com");
        assert_eq!(r.version, b"SIP/2.0");
        assert_eq!(parse_request_line(req, &cfg).unwrap().value(), Some(r));
        let (_, st) = start_line_with(cfg)(req).unwrap();
        assert_eq!(st, StartLine::Request(r));
        assert_eq!(parse_start_line(req, &cfg).unwrap().value(), Some(st));
        let (_, st) = start_line_with(cfg)(resp).unwrap();
        assert_eq!(st, StartLine::Status(s));
    }
    // The default forms are lenient: a bare LF ends the line, and two
    // spaces separate as one.
    let (rest, s) = status_line(b"SIP/2.0 200 OK\n!").unwrap();
    assert_eq!(
        (rest, s.code.as_u16(), s.reason.as_str()),
        (&b"!"[..], 200, Some("OK"))
    );
    let (_, r) = request_line(b"BYE  sip:a@b SIP/2.0\n").unwrap();
    assert_eq!((r.method.as_str(), r.uri), ("BYE", &b"sip:a@b"[..]));
    let (_, st) = start_line(b"ACK sip:a@b SIP/2.0\n").unwrap();
    assert_eq!(st.request().map(|r| r.method.as_str()), Some("ACK"));
    let strict = ParserConfig::strict();
    assert!(matches!(
        request_line_with(strict)(b"BYE  sip:a@b SIP/2.0\r\n"),
        Err(Err::Error(SipError {
            kind: ErrorKind::Separator,
            ..
        }))
    ));
}

#[test]
fn prefixes_are_incomplete_and_errors_locate() {
    let line = b"OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n";
    for cut in 0..line.len() {
        assert!(
            matches!(
                start_line(&line[..cut]),
                Err(Err::Incomplete(Needed::Size(_)))
            ),
            "cut at {cut}"
        );
    }
    let bad = b"OPTIONS sip:carol@chicago.example.com SIP/2.1\r\n";
    let Err(Err::Error(e)) = start_line(bad) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Version);
    assert_eq!(e.to_error(bad).offset(), 44);
}

/// A composer's own parser: a sipfrag-like body of status lines, with nom's
/// combinators (from the same nom sipline uses) around sipline's.
#[test]
fn composes_with_nom_combinators() {
    fn two_lines(i: &[u8]) -> IResult<&[u8], (u16, u16), SipError<'_>> {
        let (i, a) = status_line(i)?;
        let (i, b) = status_line(i)?;
        Ok((i, (a.code.as_u16(), b.code.as_u16())))
    }
    let (rest, codes) = two_lines(b"SIP/2.0 100 Trying\r\nSIP/2.0 200 OK\r\n!").unwrap();
    assert_eq!((rest, codes), (&b"!"[..], (100, 200)));
    assert!(matches!(
        two_lines(b"SIP/2.0 100 Trying\r\nSIP/2.0 2"),
        Err(Err::Incomplete(_))
    ));
}
