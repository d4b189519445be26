//! The status-line rules as a case table, one `#[test]` per case, each case
//! checked in strict and in lenient mode; forbid/allow pairs for every
//! leniency switch; every prefix of a valid line is incomplete.

use sipline::{parse_status_line_with, ErrorKind, Parsed, ParserConfig};

#[derive(Debug)]
enum Want {
    /// Complete: code, reason bytes, bytes consumed.
    Ok(u16, &'static [u8], usize),
    /// Incomplete.
    More,
    /// Error of this kind at this offset.
    Bad(ErrorKind, usize),
}
use Want::*;

fn check(input: &[u8], cfg: ParserConfig, want: &Want) {
    let got = parse_status_line_with(input, &cfg);
    match (want, &got) {
        (Ok(code, reason, consumed), Result::Ok(Parsed::Complete { value, consumed: c })) => {
            assert_eq!(value.code, *code, "code of {input:?}");
            assert_eq!(value.reason.as_bytes(), *reason, "reason of {input:?}");
            assert_eq!(c, consumed, "consumed of {input:?}");
            assert!(value.version.eq_ignore_ascii_case(b"SIP/2.0"));
        }
        (More, Result::Ok(Parsed::Incomplete { .. })) => {}
        (Bad(kind, off), Err(e)) => {
            assert_eq!(
                (e.kind(), e.offset() as usize),
                (*kind, *off),
                "error for {input:?}: {e}"
            );
        }
        _ => panic!("{input:?} with {cfg:?}: wanted {want:?}, got {got:?}"),
    }
}

macro_rules! cases {
    ($( $name:ident: $input:expr => strict $strict:expr, lenient $lenient:expr; )+) => {
        $(
            #[test]
            fn $name() {
                let input: &[u8] = $input;
                check(input, ParserConfig::strict(), &$strict);
                check(input, ParserConfig::lenient(), &$lenient);
            }
        )+

        /// Every case of the table, for the cross-cutting tests below.
        fn all_cases() -> Vec<(&'static [u8], Want, Want)> {
            vec![$( ($input, $strict, $lenient), )+]
        }
    };
}

cases! {
    ringing: b"SIP/2.0 180 Ringing\r\n" => strict Ok(180, b"Ringing", 21), lenient Ok(180, b"Ringing", 21);
    ok_with_following_headers: b"SIP/2.0 200 OK\r\nVia: x\r\n" => strict Ok(200, b"OK", 16), lenient Ok(200, b"OK", 16);
    version_lowercase: b"sip/2.0 200 OK\r\n" => strict Ok(200, b"OK", 16), lenient Ok(200, b"OK", 16);
    version_mixed_case: b"Sip/2.0 200 OK\r\n" => strict Ok(200, b"OK", 16), lenient Ok(200, b"OK", 16);
    empty_reason_with_sp: b"SIP/2.0 100 \r\n" => strict Ok(100, b"", 14), lenient Ok(100, b"", 14);
    missing_reason_no_sp: b"SIP/2.0 100\r\n" => strict Bad(ErrorKind::Separator, 11), lenient Ok(100, b"", 13);
    missing_reason_no_sp_lf: b"SIP/2.0 100\n" => strict Bad(ErrorKind::Separator, 11), lenient Ok(100, b"", 12);
    lf_line_end: b"SIP/2.0 200 OK\n" => strict Bad(ErrorKind::LineEnd, 14), lenient Ok(200, b"OK", 15);
    bare_cr: b"SIP/2.0 200 OK\rX" => strict Bad(ErrorKind::LineEnd, 15), lenient Bad(ErrorKind::LineEnd, 15);
    cr_cr_lf: b"SIP/2.0 200 OK\r\r\n" => strict Bad(ErrorKind::LineEnd, 15), lenient Bad(ErrorKind::LineEnd, 15);
    two_sp_after_version: b"SIP/2.0  200 OK\r\n" => strict Bad(ErrorKind::Separator, 8), lenient Ok(200, b"OK", 17);
    tab_after_version: b"SIP/2.0\t200 OK\r\n" => strict Bad(ErrorKind::Separator, 7), lenient Ok(200, b"OK", 16);
    mixed_run_after_version: b"SIP/2.0 \t 200 OK\r\n" => strict Bad(ErrorKind::Separator, 8), lenient Ok(200, b"OK", 18);
    two_sp_before_reason: b"SIP/2.0 200  OK\r\n" => strict Ok(200, b" OK", 17), lenient Ok(200, b" OK", 17);
    tab_before_reason: b"SIP/2.0 200\tOK\r\n" => strict Bad(ErrorKind::Separator, 11), lenient Ok(200, b"OK", 16);
    trailing_ws_in_reason: b"SIP/2.0 200 OK \t\r\n" => strict Ok(200, b"OK \t", 18), lenient Ok(200, b"OK \t", 18);
    no_sp_after_version: b"SIP/2.0200 OK\r\n" => strict Bad(ErrorKind::Version, 7), lenient Bad(ErrorKind::Version, 7);
    letter_after_version: b"SIP/2.0x200 OK\r\n" => strict Bad(ErrorKind::Separator, 7), lenient Bad(ErrorKind::Separator, 7);
    bigcode: b"SIP/2.0 4294967301 better not break the receiver\r\n" => strict Bad(ErrorKind::StatusCode, 11), lenient Bad(ErrorKind::StatusCode, 11);
    four_digits: b"SIP/2.0 2000 OK\r\n" => strict Bad(ErrorKind::StatusCode, 11), lenient Bad(ErrorKind::StatusCode, 11);
    two_digits: b"SIP/2.0 20 OK\r\n" => strict Bad(ErrorKind::StatusCode, 10), lenient Bad(ErrorKind::StatusCode, 10);
    code_099: b"SIP/2.0 099 Low\r\n" => strict Bad(ErrorKind::StatusCode, 8), lenient Bad(ErrorKind::StatusCode, 8);
    code_700: b"SIP/2.0 700 High\r\n" => strict Bad(ErrorKind::StatusCode, 8), lenient Bad(ErrorKind::StatusCode, 8);
    code_699: b"SIP/2.0 699 Edge\r\n" => strict Ok(699, b"Edge", 18), lenient Ok(699, b"Edge", 18);
    code_100: b"SIP/2.0 100 Trying\r\n" => strict Ok(100, b"Trying", 20), lenient Ok(100, b"Trying", 20);
    code_letter: b"SIP/2.0 2x0 OK\r\n" => strict Bad(ErrorKind::StatusCode, 9), lenient Bad(ErrorKind::StatusCode, 9);
    code_signed: b"SIP/2.0 +200 OK\r\n" => strict Bad(ErrorKind::StatusCode, 8), lenient Bad(ErrorKind::StatusCode, 8);
    no_code: b"SIP/2.0 \r\n" => strict Bad(ErrorKind::StatusCode, 8), lenient Bad(ErrorKind::StatusCode, 8);
    version_2_1: b"SIP/2.1 200 OK\r\n" => strict Bad(ErrorKind::Version, 6), lenient Bad(ErrorKind::Version, 6);
    version_2_00: b"SIP/2.00 200 OK\r\n" => strict Bad(ErrorKind::Version, 7), lenient Bad(ErrorKind::Version, 7);
    version_7: b"SIP/7.0 200 OK\r\n" => strict Bad(ErrorKind::Version, 4), lenient Bad(ErrorKind::Version, 4);
    http: b"HTTP/1.1 200 OK\r\n" => strict Bad(ErrorKind::Version, 0), lenient Bad(ErrorKind::Version, 0);
    request_line: b"INVITE sip:bob@example.com SIP/2.0\r\n" => strict Bad(ErrorKind::Version, 0), lenient Bad(ErrorKind::Version, 0);
    leading_space: b" SIP/2.0 200 OK\r\n" => strict Bad(ErrorKind::Version, 0), lenient Bad(ErrorKind::Version, 0);
    reason_brackets: b"SIP/2.0 200 OK [x]\r\n" => strict Bad(ErrorKind::ReasonPhrase, 15), lenient Ok(200, b"OK [x]", 20);
    reason_quote: b"SIP/2.0 200 \"OK\"\r\n" => strict Bad(ErrorKind::ReasonPhrase, 12), lenient Ok(200, b"\"OK\"", 18);
    reason_reserved_marks: b"SIP/2.0 200 a;/?:@&=+$,-_.!~*'()z\r\n" => strict Ok(200, b"a;/?:@&=+$,-_.!~*'()z", 35), lenient Ok(200, b"a;/?:@&=+$,-_.!~*'()z", 35);
    reason_escape: b"SIP/2.0 200 O%4B\r\n" => strict Ok(200, b"O%4B", 18), lenient Ok(200, b"O%4B", 18);
    reason_bad_escape: b"SIP/2.0 200 O%4G\r\n" => strict Bad(ErrorKind::ReasonPhrase, 15), lenient Ok(200, b"O%4G", 18);
    reason_percent_at_end: b"SIP/2.0 200 100%\r\n" => strict Bad(ErrorKind::ReasonPhrase, 16), lenient Ok(200, b"100%", 18);
    reason_utf8: "SIP/2.0 480 Nicht erreichbar – später\r\n".as_bytes() => strict Ok(480, "Nicht erreichbar – später".as_bytes(), 42), lenient Ok(480, "Nicht erreichbar – später".as_bytes(), 42);
    reason_latin1: b"SIP/2.0 200 caf\xe9\r\n" => strict Bad(ErrorKind::Utf8, 15), lenient Ok(200, b"caf\xe9", 18);
    reason_stray_continuation: b"SIP/2.0 200 a\x80b\r\n" => strict Bad(ErrorKind::Utf8, 13), lenient Ok(200, b"a\x80b", 17);
    reason_overlong: b"SIP/2.0 200 \xc0\xaf\r\n" => strict Bad(ErrorKind::Utf8, 12), lenient Ok(200, b"\xc0\xaf", 16);
    reason_fe: b"SIP/2.0 200 \xfe\r\n" => strict Bad(ErrorKind::Utf8, 12), lenient Ok(200, b"\xfe", 15);
    reason_nul: b"SIP/2.0 200 O\0K\r\n" => strict Bad(ErrorKind::ReasonPhrase, 13), lenient Bad(ErrorKind::ReasonPhrase, 13);
    reason_del: b"SIP/2.0 200 O\x7fK\r\n" => strict Bad(ErrorKind::ReasonPhrase, 13), lenient Ok(200, b"O\x7fK", 17);
    reason_utf8_then_bracket: b"SIP/2.0 200 \xff[\r\n" => strict Bad(ErrorKind::Utf8, 12), lenient Ok(200, b"\xff[", 16);
    reason_lf_strict: b"SIP/2.0 200 OK\nX" => strict Bad(ErrorKind::LineEnd, 14), lenient Ok(200, b"OK", 15);
    empty: b"" => strict More, lenient More;
    prefix_version: b"SIP/2" => strict More, lenient More;
    prefix_lowercase: b"sip/" => strict More, lenient More;
    prefix_code: b"SIP/2.0 18" => strict More, lenient More;
    prefix_code_done: b"SIP/2.0 180" => strict More, lenient More;
    prefix_reason: b"SIP/2.0 180 Ring" => strict More, lenient More;
    prefix_cr: b"SIP/2.0 180 Ringing\r" => strict More, lenient More;
    prefix_escape: b"SIP/2.0 180 %4" => strict More, lenient More;
    prefix_utf8_cut: b"SIP/2.0 200 \xc3" => strict More, lenient More;
    prefix_ws_run: b"SIP/2.0  " => strict Bad(ErrorKind::Separator, 8), lenient More;
}

/// Each leniency switch on its own: forbidden in strict mode, allowed by the
/// switch alone, and forbidden again when lenient mode turns only it off.
#[test]
fn every_switch_has_a_forbid_allow_pair() {
    type Switch = fn(ParserConfig, bool) -> ParserConfig;
    let switches: [(&str, Switch, &[u8]); 4] = [
        ("lf", ParserConfig::allow_lf_line_ends, b"SIP/2.0 200 OK\n"),
        (
            "ws",
            ParserConfig::allow_extra_whitespace,
            b"SIP/2.0  200\tOK\r\n",
        ),
        (
            "missing",
            ParserConfig::allow_missing_reason,
            b"SIP/2.0 200\r\n",
        ),
        (
            "bytes",
            ParserConfig::allow_any_reason_bytes,
            b"SIP/2.0 200 <OK> \xe9\r\n",
        ),
    ];
    for (name, switch, input) in switches {
        let strict = ParserConfig::strict();
        assert!(
            parse_status_line_with(input, &strict).is_err(),
            "{name}: strict forbids"
        );
        let allowed = switch(strict, true);
        assert!(!allowed.is_strict());
        assert!(
            parse_status_line_with(input, &allowed).is_ok_and(|p| p.is_complete()),
            "{name}: the switch alone allows"
        );
        let lenient_without = switch(ParserConfig::lenient(), false);
        assert!(
            parse_status_line_with(input, &lenient_without).is_err(),
            "{name}: lenient without the switch forbids"
        );
        assert!(parse_status_line_with(input, &ParserConfig::lenient()).is_ok());
    }
    assert!(ParserConfig::strict().is_strict());
    assert_eq!(ParserConfig::default(), ParserConfig::lenient());
}

/// Every proper prefix of every accepted line is incomplete, and the lower
/// bound on the bytes still needed is never more than are really missing.
#[test]
fn every_prefix_of_an_accepted_line_is_incomplete() {
    let mut checked = 0;
    for (input, strict, lenient) in all_cases() {
        for (cfg, want) in [
            (ParserConfig::strict(), strict),
            (ParserConfig::lenient(), lenient),
        ] {
            let Ok(_, _, consumed) = want else { continue };
            for cut in 0..consumed {
                match parse_status_line_with(&input[..cut], &cfg) {
                    Result::Ok(Parsed::Incomplete { needed }) => {
                        if let Some(n) = needed {
                            assert!(
                                n.get() <= consumed - cut,
                                "{input:?} cut at {cut}: needed {n}"
                            );
                        }
                    }
                    other => panic!("{input:?} cut at {cut}: {other:?}"),
                }
                checked += 1;
            }
        }
    }
    println!("proper prefixes of accepted lines checked: {checked}");
    assert!(checked > 700, "checked {checked} prefixes");
}

/// Growing a bad input byte by byte: every prefix is incomplete until the
/// first one that shows the error, and from there on every longer prefix
/// gives that same error (kind and offset). The error is never later than
/// the byte after its offset (a cut-off UTF-8 sequence waits for one byte).
#[test]
fn errors_are_final() {
    for (input, strict, lenient) in all_cases() {
        for (cfg, want) in [
            (ParserConfig::strict(), strict),
            (ParserConfig::lenient(), lenient),
        ] {
            let Bad(kind, off) = want else { continue };
            let mut first = None;
            for cut in 0..=input.len() {
                match parse_status_line_with(&input[..cut], &cfg) {
                    Result::Ok(Parsed::Incomplete { .. }) => {
                        assert!(
                            first.is_none(),
                            "{input:?}: incomplete after an error at {cut}"
                        )
                    }
                    Err(e) => {
                        assert_eq!(
                            (e.kind(), e.offset() as usize),
                            (kind, off),
                            "{input:?} cut at {cut}"
                        );
                        first.get_or_insert(cut);
                    }
                    other => panic!("{input:?} cut at {cut}: {other:?}"),
                }
            }
            let first = first.expect("the whole input is an error");
            assert!(
                first <= off + 2,
                "{input:?}: error at {off} seen only at cut {first}"
            );
        }
    }
}

#[test]
fn max_line_len_turns_incomplete_into_an_error() {
    let cfg = ParserConfig::lenient().max_line_len(32);
    let mut long = b"SIP/2.0 200 ".to_vec();
    long.extend(std::iter::repeat_n(b'a', 100));
    let e = parse_status_line_with(&long, &cfg).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (ErrorKind::LineTooLong, 32));
    // Shorter than the limit: still incomplete.
    assert!(matches!(
        parse_status_line_with(&long[..31], &cfg),
        Result::Ok(Parsed::Incomplete { .. })
    ));
    // A line of exactly the limit, line end included, is accepted.
    let mut exact = long[..30].to_vec();
    exact.extend_from_slice(b"\r\n");
    assert_eq!(
        parse_status_line_with(&exact, &cfg).unwrap().consumed(),
        Some(32)
    );
    // The default limit is documented and applies.
    assert_eq!(
        ParserConfig::default().line_len_limit(),
        ParserConfig::DEFAULT_MAX_LINE_LEN
    );
    let huge = vec![b'a'; 10_000];
    let mut line = b"SIP/2.0 200 ".to_vec();
    line.extend_from_slice(&huge);
    let e = sipline::parse_status_line(&line).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LineTooLong);
    assert_eq!(e.offset() as usize, ParserConfig::DEFAULT_MAX_LINE_LEN);
}

#[test]
fn display_round_trips() {
    for (input, _, lenient) in all_cases() {
        let Ok(..) = lenient else { continue };
        let line = sipline::parse_status_line(input).unwrap().value().unwrap();
        if line.reason.as_str().is_none() {
            continue;
        }
        let text = format!("{line}\r\n");
        let again = parse_status_line_with(text.as_bytes(), &ParserConfig::lenient()).unwrap();
        let again = again.value().unwrap();
        assert_eq!(again.code, line.code);
        assert_eq!(again.reason, line.reason);
    }
}

#[test]
fn error_display_says_what_and_where() {
    let e = parse_status_line_with(b"SIP/2.0 180 Ringing\n", &ParserConfig::strict()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line must end in CRLF (bare CR or LF not allowed) at byte 19"
    );
    let e = sipline::parse_status_line(b"SIP/3.0 180 Ringing\r\n").unwrap_err();
    assert_eq!(e.to_string(), "SIP version must be SIP/2.0 at byte 4");
}
