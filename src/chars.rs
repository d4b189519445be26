//! Every byte-class table of the grammar (RFC 3261 §25.1), each built at
//! compile time by one macro: a lookup is one load per byte on the hot path.

/// A 256-entry table: for each byte, the value of the first arm whose
/// pattern matches it, else the default.
macro_rules! byte_table {
    ($ty:ty, default $default:expr; $($pat:pat => $val:expr),* $(,)?) => {{
        let mut t: [$ty; 256] = [$default; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            t[i] = match b {
                $($pat => $val,)*
                _ => $default,
            };
            i += 1;
        }
        t
    }};
}

/// `true` for the token characters of RFC 3261 §25.1 (method names, header
/// field names).
#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[b as usize]
}

static TOKEN: [bool; 256] = byte_table!(bool, default false;
    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => true,
    b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~' => true,
);

/// `true` for the bytes a Request-URI may hold: unreserved, reserved,
/// `%` escapes and the brackets of IPv6 references (RFC 3261 §25.1,
/// RFC 5118). SP, `<`, `>`, `"` and controls end or break it.
#[inline]
pub(crate) fn is_uri_byte(b: u8) -> bool {
    URI[b as usize]
}

static URI: [bool; 256] = byte_table!(bool, default false;
    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => true,
    // unreserved marks
    b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => true,
    // reserved
    b';' | b'/' | b'?' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b',' => true,
    b'%' | b'[' | b']' => true,
);

/// The classes of a reason-phrase byte in strict mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReasonClass {
    /// Reserved, unreserved, SP, HTAB: allowed as it is.
    Plain,
    /// Not allowed.
    Bad,
    /// `%`: starts an escape of two hex digits.
    Percent,
    /// 0x80 and up: allowed, checked as UTF-8.
    High,
    /// CR or LF: the line ends.
    LineEnd,
}

/// The class of reason-phrase byte `b` (strict mode).
#[inline]
pub(crate) fn reason_class(b: u8) -> ReasonClass {
    REASON[b as usize]
}

static REASON: [ReasonClass; 256] = byte_table!(ReasonClass, default ReasonClass::Bad;
    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => ReasonClass::Plain,
    b';' | b'/' | b'?' | b':' | b'@' | b'&' | b'=' | b'+' | b'$' | b',' => ReasonClass::Plain,
    b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => ReasonClass::Plain,
    b' ' | b'\t' => ReasonClass::Plain,
    b'%' => ReasonClass::Percent,
    b'\r' | b'\n' => ReasonClass::LineEnd,
    0x80..=0xff => ReasonClass::High,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_table_matches_the_abnf() {
        for b in 0..=255u8 {
            let expect = if b >= 0x80 {
                ReasonClass::High
            } else if b == b'%' {
                ReasonClass::Percent
            } else if b == b'\r' || b == b'\n' {
                ReasonClass::LineEnd
            } else if b.is_ascii_alphanumeric() || b" \t;/?:@&=+$,-_.!~*'()".contains(&b) {
                ReasonClass::Plain
            } else {
                ReasonClass::Bad
            };
            assert_eq!(reason_class(b), expect, "byte {b:#04x}");
        }
    }

    #[test]
    fn token_and_uri_tables_match_the_abnf() {
        for b in 0..=255u8 {
            let token = b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b);
            assert_eq!(is_token(b), token, "token byte {b:#04x}");
            let uri = b.is_ascii_alphanumeric() || b"-_.!~*'();/?:@&=+$,%[]".contains(&b);
            assert_eq!(is_uri_byte(b), uri, "URI byte {b:#04x}");
        }
    }
}
