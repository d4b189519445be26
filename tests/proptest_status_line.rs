//! Property tests of the status-line parser.

use proptest::prelude::*;
use sipline::{parse_status_line_with, Parsed, ParserConfig};

/// A version spelled in any letter case.
fn version() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<bool>(), 3).prop_map(|up| {
        let s: String = "SIP"
            .chars()
            .zip(up)
            .map(|(c, u)| if u { c } else { c.to_ascii_lowercase() })
            .collect();
        format!("{s}/2.0")
    })
}

/// A reason phrase the strict grammar accepts: reserved, unreserved, escapes,
/// SP, HTAB and non-ASCII UTF-8.
fn strict_reason() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9]{1,8}",
        "[;/?:@&=+$,\\-_.!~*'() \t]{1,3}",
        "%[0-9a-fA-F]{2}",
        "[àéü–ж中😀]{1,3}",
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|v| v.concat())
}

/// A valid status line, its code and its reason.
fn valid_line() -> impl Strategy<Value = (Vec<u8>, u16, String)> {
    (version(), 100u16..=699, strict_reason()).prop_map(|(v, code, reason)| {
        (
            format!("{v} {code} {reason}\r\n").into_bytes(),
            code,
            reason,
        )
    })
}

/// A line that is valid or nearly so: one byte of a valid line replaced,
/// dropped or doubled.
fn near_line() -> impl Strategy<Value = Vec<u8>> {
    (
        valid_line(),
        any::<prop::sample::Index>(),
        any::<u8>(),
        0..4u8,
    )
        .prop_map(|((mut line, _, _), at, byte, how)| {
            let i = at.index(line.len());
            match how {
                0 => line[i] = byte,
                1 => {
                    line.remove(i);
                }
                2 => line.insert(i, line[i]),
                _ => line.insert(i, byte),
            }
            line
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every split point: the prefix is incomplete, and the whole line is
    /// complete with the generated value, in both modes.
    #[test]
    fn every_prefix_is_incomplete_and_the_whole_is_complete((line, code, reason) in valid_line()) {
        for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
            for cut in 0..line.len() {
                let got = parse_status_line_with(&line[..cut], &cfg);
                prop_assert!(matches!(got, Ok(Parsed::Incomplete { .. })), "cut {}: {:?}", cut, got);
            }
            let Ok(Parsed::Complete { value, consumed }) = parse_status_line_with(&line, &cfg) else {
                return Err(TestCaseError::fail("whole line not complete"));
            };
            prop_assert_eq!(consumed, line.len());
            prop_assert_eq!(value.code, code);
            prop_assert_eq!(value.reason.as_str(), Some(reason.as_str()));
            // Trailing bytes never change the answer.
            let mut more = line.clone();
            more.extend_from_slice(b"Via: SIP/2.0/UDP x\r\n");
            prop_assert_eq!(parse_status_line_with(&more, &cfg), Ok(Parsed::Complete { value, consumed }));
        }
    }

    /// Arbitrary bytes never panic and get exactly one consistent answer.
    #[test]
    fn arbitrary_bytes_get_one_consistent_answer(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
            match parse_status_line_with(&bytes, &cfg) {
                Ok(Parsed::Complete { value, consumed }) => {
                    prop_assert!(consumed <= bytes.len());
                    prop_assert_eq!(
                        parse_status_line_with(&bytes[..consumed], &cfg),
                        Ok(Parsed::Complete { value, consumed })
                    );
                }
                Ok(Parsed::Incomplete { .. }) => {}
                Err(e) => prop_assert!(e.offset() as usize <= bytes.len()),
            }
        }
    }

    /// Near-valid lines: whatever strict accepts, lenient accepts with the
    /// same value and length; whatever fails in lenient mode fails strictly.
    #[test]
    fn strict_accepted_implies_lenient_accepted(line in near_line()) {
        let strict = parse_status_line_with(&line, &ParserConfig::strict());
        let lenient = parse_status_line_with(&line, &ParserConfig::lenient());
        if let Ok(Parsed::Complete { .. }) = strict {
            prop_assert_eq!(strict, lenient);
        }
        if lenient.is_err() {
            prop_assert!(strict.is_err(), "lenient rejects {:?} but strict gives {:?}", line, strict);
        }
    }

    /// Feeding a near-valid line in two chunks gives the answer the whole
    /// line gets: nothing depends on where the bytes were cut.
    #[test]
    fn two_chunk_feeding_agrees_with_whole(line in near_line(), at in any::<prop::sample::Index>()) {
        for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
            let whole = parse_status_line_with(&line, &cfg);
            let cut = at.index(line.len() + 1);
            match parse_status_line_with(&line[..cut], &cfg) {
                Ok(Parsed::Incomplete { .. }) => {}
                Ok(Parsed::Complete { value, consumed }) => {
                    prop_assert_eq!(whole, Ok(Parsed::Complete { value, consumed }));
                }
                Err(e) => prop_assert_eq!(whole, Err(e)),
            }
        }
    }
}
