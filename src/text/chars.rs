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

/// `true` for the bytes that stop the scan of a head line: CR, LF, and the
/// control bytes a header value may not hold outside a quoted-pair (every
/// byte below 0x20 but HTAB, and DEL).
#[inline(always)]
pub(crate) fn is_line_stop(b: u8) -> bool {
    (b < 0x20 && b != b'\t') | (b == 0x7f)
}

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

/// The classes of URI bytes (RFC 3261 §25.1): one table, one bit per
/// class, so that each URI part is checked with one load per byte.
pub(crate) mod uri_class {
    /// `user` (unreserved, user-unreserved `&=+$,;?/`).
    pub(crate) const USER: u8 = 1;
    /// `password` (unreserved, `&=+$,`).
    pub(crate) const PASSWORD: u8 = 2;
    /// `paramchar` (unreserved, param-unreserved `[]/:&+$`, and `=`).
    pub(crate) const PARAM: u8 = 4;
    /// `hname`/`hvalue` (unreserved, hnv-unreserved `[]/?:+$`, and `=&`).
    pub(crate) const HEADER: u8 = 8;
    /// A tel URI's number (hex digits and visual separators, `+*#pw`).
    pub(crate) const TEL: u8 = 16;
    /// Another scheme's rest: printable, no `<`, `>`, `"`.
    pub(crate) const OPAQUE: u8 = 32;
    /// Call-ID `word` bytes (§25.1).
    pub(crate) const WORD: u8 = 64;
}

/// The [`uri_class`] bits of byte `b`.
#[inline]
pub(crate) fn uri_class(b: u8) -> u8 {
    URI_CLASS[b as usize]
}

static URI_CLASS: [u8; 256] = {
    use uri_class::*;
    const UNRES: u8 = USER | PASSWORD | PARAM | HEADER | OPAQUE | WORD;
    byte_table!(u8, default 0;
        b'p' | b'P' | b'w' | b'W' => UNRES | TEL,
        b'a'..=b'f' | b'A'..=b'F' | b'0'..=b'9' => UNRES | TEL,
        b'g'..=b'z' | b'G'..=b'Z' => UNRES,
        b'-' | b'.' | b'(' | b')' | b'*' => UNRES | TEL,
        b'_' | b'!' | b'~' | b'\'' => UNRES,
        b'+' => UNRES | TEL,
        b'#' => TEL | OPAQUE,
        b'&' | b'=' | b'$' => USER | PASSWORD | PARAM | HEADER | OPAQUE,
        b',' => USER | PASSWORD | OPAQUE,
        b';' => USER | OPAQUE,
        b'?' => USER | HEADER | OPAQUE | WORD,
        b'/' => USER | PARAM | HEADER | OPAQUE | WORD,
        b'[' | b']' | b':' => PARAM | HEADER | OPAQUE | WORD,
        b'%' | b'`' | b'\\' | b'{' | b'}' | b'@' => OPAQUE | WORD,
        b'<' | b'>' | b'"' => WORD,
        b'^' | b'|' => OPAQUE,
    )
};
