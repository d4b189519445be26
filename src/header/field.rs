//! Header fields (RFC 3261 §7.3): names, values with folded continuation
//! lines (§7.3.1), compact forms (§7.3.3) and Content-Length (§20.14).

use core::fmt;

use crate::error::{Error, ErrorKind};
use crate::text::chars::is_token;
use crate::text::lossy::Lossy;

/// One header field, borrowed from the message: the name as sent, and the
/// value with the white space around it removed. A folded value keeps its
/// inner line breaks; [`HeaderField::value_lines`] gives its pieces.
///
/// ```
/// use sipline::{parse_message, ParserConfig};
///
/// let msg = b"SIP/2.0 200 OK\r\nl: 0\r\nSubject: lunch\r\n at noon\r\n\r\n";
/// let m = parse_message(msg, &ParserConfig::strict())?.value().unwrap();
/// let subject = m.head.header("subject").unwrap();
/// assert_eq!(subject.value, b"lunch\r\n at noon");
/// assert_eq!(subject.value_lines().collect::<Vec<_>>(), [&b"lunch"[..], b"at noon"]);
/// assert_eq!(m.head.header("Content-Length").unwrap().name, b"l");
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderField<'a> {
    /// The field name, exactly as sent (`l`, `Content-Length`, `cOnTeNt-LeNgTh`).
    pub name: &'a [u8],
    /// The value, leading and trailing white space removed.
    pub value: &'a [u8],
}

impl<'a> HeaderField<'a> {
    /// An empty field, to fill an array for [`parse_head_into`](crate::parse_head_into).
    pub const EMPTY: HeaderField<'static> = HeaderField {
        name: b"",
        value: b"",
    };

    /// `true` when this field is `name`, compared case-insensitively and with
    /// compact forms expanded on both sides (`l` is `Content-Length`).
    pub fn is(&self, name: &str) -> bool {
        names_equal(self.name, name.as_bytes())
    }

    /// The full name for a compact one (`i` → `Call-ID`), else the name as sent.
    pub fn full_name(&self) -> &'a [u8] {
        expand_compact(self.name).map_or(self.name, str::as_bytes)
    }

    /// The value's lines, each without the folding white space.
    pub fn value_lines(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.value
            .split(|&b| b == b'\n')
            .map(trim)
            .filter(|l| !l.is_empty())
    }

    /// The value as text, when it is UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.value).ok()
    }
}

impl fmt::Debug for HeaderField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderField")
            .field("name", &Lossy(self.name))
            .field("value", &Lossy(self.value))
            .finish()
    }
}

/// The compact forms of RFC 3261 §7.3.3 and later RFCs, as
/// `../shared/spec/compact-forms.tsv` lists them.
pub const COMPACT_FORMS: &[(u8, &str)] = &[
    (b'a', "Accept-Contact"),
    (b'b', "Referred-By"),
    (b'c', "Content-Type"),
    (b'd', "Request-Disposition"),
    (b'e', "Content-Encoding"),
    (b'f', "From"),
    (b'i', "Call-ID"),
    (b'j', "Reject-Contact"),
    (b'k', "Supported"),
    (b'l', "Content-Length"),
    (b'm', "Contact"),
    (b'n', "Identity-Info"),
    (b'o', "Event"),
    (b'r', "Refer-To"),
    (b's', "Subject"),
    (b't', "To"),
    (b'u', "Allow-Events"),
    (b'v', "Via"),
    (b'x', "Session-Expires"),
    (b'y', "Identity"),
];

/// The full name of a one-letter compact form (case-insensitive), or `None`.
///
/// ```
/// assert_eq!(sipline::expand_compact(b"I"), Some("Call-ID"));
/// assert_eq!(sipline::expand_compact(b"q"), None);
/// ```
pub fn expand_compact(name: &[u8]) -> Option<&'static str> {
    match name {
        [c] => {
            let c = c.to_ascii_lowercase();
            COMPACT_FORMS.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
        }
        _ => None,
    }
}

/// Header names equal case-insensitively after expanding compact forms.
pub(crate) fn names_equal(a: &[u8], b: &[u8]) -> bool {
    // Names of one length are equal only as they are: each compact form
    // stands for a different name, and full names are never one letter.
    if a.len() == b.len() {
        return a.eq_ignore_ascii_case(b);
    }
    let a = expand_compact(a).map_or(a, str::as_bytes);
    let b = expand_compact(b).map_or(b, str::as_bytes);
    a.eq_ignore_ascii_case(b)
}

/// Linear white space: SP, HTAB, and the CR and LF of folded lines.
#[inline]
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// `b` without leading and trailing SP, HTAB, CR and LF.
#[inline]
pub(crate) fn trim(b: &[u8]) -> &[u8] {
    trim_at(b).1
}

/// [`trim`], with the offset in `b` where the trimmed bytes start.
#[inline]
pub(crate) fn trim_at(b: &[u8]) -> (usize, &[u8]) {
    let start = b.iter().position(|&c| !is_ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| !is_ws(c)).map_or(start, |e| e + 1);
    (start, b.get(start..end).unwrap_or_default())
}

/// `true` for `Content-Length` in any letter case, or its compact form `l`.
#[inline]
pub(crate) fn is_content_length(name: &[u8]) -> bool {
    match name {
        [c] => c.eq_ignore_ascii_case(&b'l'),
        _ => name.len() == 14 && name.eq_ignore_ascii_case(b"Content-Length"),
    }
}

/// Checks a header line that starts a field (`name HCOLON value`, line end
/// excluded) and returns the name and the offset where the value starts.
/// The value's bytes are not looked at: any byte but CR and LF is allowed
/// there (controls and NUL are legal inside a quoted-pair, RFC 3261 §25.1;
/// RFC 4475 "intmeth"), and the line scan has already refused a bare CR.
pub(crate) fn check_field_line(line: &[u8]) -> Result<(&[u8], usize), Error> {
    let n = line
        .iter()
        .position(|&b| !is_token(b))
        .unwrap_or(line.len());
    let name = line.get(..n).unwrap_or_default();
    if name.is_empty() {
        return Err(Error::at(ErrorKind::HeaderName, 0));
    }
    let ws = line
        .get(n..)
        .unwrap_or_default()
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .map_or(line.len(), |p| n + p);
    if line.get(ws) != Some(&b':') {
        return Err(Error::at(ErrorKind::HeaderName, ws));
    }
    Ok((name, ws + 1))
}

/// A Content-Length value (white space and folding around it allowed):
/// decimal digits only. Too many digits or more than `max` is
/// [`ErrorKind::BodyTooLarge`]; anything else not a number is
/// [`ErrorKind::ContentLength`]. Offsets are within `value`.
pub(crate) fn content_length(value: &[u8], max: u64) -> Result<u64, Error> {
    let start = value.iter().position(|&c| !is_ws(c)).unwrap_or(value.len());
    let digits = trim(value);
    if digits.is_empty() {
        return Err(Error::at(ErrorKind::ContentLength, start));
    }
    let mut n: u64 = 0;
    for (k, &d) in digits.iter().enumerate() {
        if !d.is_ascii_digit() {
            return Err(Error::at(ErrorKind::ContentLength, start + k));
        }
        n = match n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
        {
            Some(n) if n <= max => n,
            _ => {
                // Keep checking the syntax first: "99999999999x" is a syntax error.
                if digits.iter().all(u8::is_ascii_digit) {
                    return Err(Error::at(ErrorKind::BodyTooLarge, start));
                }
                continue;
            }
        };
    }
    Ok(n)
}

/// The header fields of a checked message head, walked without allocating.
#[derive(Clone, Debug)]
pub struct Headers<'a> {
    rest: &'a [u8],
}

impl<'a> Headers<'a> {
    /// Fields in `block`: the header lines of a head that has already been
    /// checked (the empty line excluded).
    pub(crate) fn new(block: &'a [u8]) -> Headers<'a> {
        Headers { rest: block }
    }
}

impl<'a> Iterator for Headers<'a> {
    type Item = HeaderField<'a>;

    fn next(&mut self) -> Option<HeaderField<'a>> {
        let b = self.rest;
        if b.is_empty() {
            return None;
        }
        // The head was checked: the line is `token *(SP/HTAB) ":" value`,
        // and the field runs to the first LF not followed by SP/HTAB.
        let name_end = b.iter().position(|&c| !is_token(c)).unwrap_or(b.len());
        let skip_ws = |mut i: usize| {
            while let Some(b' ' | b'\t') = b.get(i) {
                i += 1;
            }
            i
        };
        let mut v = skip_ws(name_end);
        if b.get(v) == Some(&b':') {
            v += 1;
            // White space before the value, folded line ends included.
            loop {
                match (b.get(v), b.get(v + 1), b.get(v + 2)) {
                    (Some(b' ' | b'\t'), _, _) => v += 1,
                    (Some(b'\r'), Some(b'\n'), Some(b' ' | b'\t')) => v += 2,
                    (Some(b'\n'), Some(b' ' | b'\t'), _) => v += 1,
                    _ => break,
                }
            }
        }
        let mut end = b.len();
        let mut from = v;
        while let Some(p) = memchr::memchr(b'\n', b.get(from..).unwrap_or_default()) {
            let lf = from + p;
            if !matches!(b.get(lf + 1), Some(b' ' | b'\t')) {
                end = lf + 1;
                break;
            }
            from = lf + 1;
        }
        self.rest = b.get(end..).unwrap_or_default();
        let mut value_end = end;
        while value_end > v && matches!(b.get(value_end - 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            value_end -= 1;
        }
        Some(HeaderField {
            name: b.get(..name_end).unwrap_or_default(),
            value: b.get(v..value_end).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_values() {
        let max = 1000;
        assert_eq!(content_length(b" 42 ", max), Ok(42));
        assert_eq!(content_length(b"\r\n 0", max), Ok(0));
        assert_eq!(content_length(b"0042", max), Ok(42));
        assert_eq!(content_length(b"1000", max), Ok(1000));
        assert_eq!(
            content_length(b"1001", max).unwrap_err().kind(),
            ErrorKind::BodyTooLarge
        );
        let e = content_length(b"18446744073709551616", u64::MAX).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BodyTooLarge);
        let e = content_length(b" -1", max).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::ContentLength, 1));
        let e = content_length(b"12 3", max).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::ContentLength, 2));
        assert_eq!(
            content_length(b"", max).unwrap_err().kind(),
            ErrorKind::ContentLength
        );
        assert_eq!(
            content_length(b"99999999999999999999x", max)
                .unwrap_err()
                .kind(),
            ErrorKind::ContentLength
        );
    }

    #[test]
    fn compact_forms_expand_both_ways() {
        assert!(names_equal(b"l", b"content-length"));
        assert!(names_equal(b"Content-Length", b"L"));
        assert!(names_equal(b"v", b"v"));
        assert!(!names_equal(b"v", b"Via2"));
        assert!(!names_equal(b"q", b"Via"));
        for &(c, full) in COMPACT_FORMS {
            assert_eq!(expand_compact(&[c]), Some(full));
            assert_eq!(expand_compact(&[c.to_ascii_uppercase()]), Some(full));
        }
    }
}
