//! The small single-valued header fields a proxy reads first: CSeq
//! (§20.16), Call-ID (§20.8) and Max-Forwards (§20.22).

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::{is_ws as is_lws, trim_at};
use crate::request_line::Method;

/// A CSeq: a sequence number below 2^31 and the request's method (§8.1.1.5).
///
/// ```
/// use sipline::{parse_cseq, ParserConfig};
/// let c = parse_cseq(b"4711 INVITE", &ParserConfig::strict())?;
/// assert_eq!((c.number, c.method.as_str()), (4711, "INVITE"));
/// assert_eq!(parse_cseq(b"2147483648 INVITE", &ParserConfig::strict()).unwrap_err().offset(), 0);
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CSeq<'a> {
    /// The sequence number, at most 2^31 − 1.
    pub number: u32,
    /// The method, compared case-sensitively.
    pub method: Method<'a>,
}

impl fmt::Display for CSeq<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.number, self.method)
    }
}

/// Parses a CSeq value: `1*DIGIT LWS Method`. Error offsets count from the
/// start of `value`.
pub fn parse_cseq<'a>(value: &'a [u8], _config: &ParserConfig) -> Result<CSeq<'a>, Error> {
    let err = |at: usize| Error::at(ErrorKind::CSeq, at);
    let start = value
        .iter()
        .position(|&c| !is_lws(c))
        .unwrap_or(value.len());
    let digits_end = value
        .get(start..)
        .unwrap_or_default()
        .iter()
        .position(|c| !c.is_ascii_digit())
        .map_or(value.len(), |p| start + p);
    let digits = value.get(start..digits_end).unwrap_or_default();
    if digits.is_empty() || digits.len() > 10 {
        return Err(err(start));
    }
    let number = core::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .filter(|&n| n < 1 << 31)
        .ok_or_else(|| err(start))?;
    let rest = value.get(digits_end..).unwrap_or_default();
    let ws = rest.iter().take_while(|&&c| is_lws(c)).count();
    if ws == 0 {
        return Err(err(digits_end));
    }
    let method_at = digits_end + ws;
    let method = value.get(method_at..).unwrap_or_default();
    let end = method
        .iter()
        .rposition(|&c| !is_lws(c))
        .map_or(0, |e| e + 1);
    let method =
        Method::from_bytes(method.get(..end).unwrap_or_default()).ok_or_else(|| err(method_at))?;
    Ok(CSeq {
        number: number as u32,
        method,
    })
}

/// Parses a Max-Forwards value: `1*DIGIT`, 0–255 (§20.22).
///
/// ```
/// use sipline::{parse_max_forwards, ParserConfig};
/// assert_eq!(parse_max_forwards(b" 70 ", &ParserConfig::strict()), Ok(70));
/// assert!(parse_max_forwards(b"256", &ParserConfig::strict()).is_err());
/// assert!(parse_max_forwards(b"-1", &ParserConfig::strict()).is_err());
/// ```
pub fn parse_max_forwards(value: &[u8], _config: &ParserConfig) -> Result<u8, Error> {
    let (start, digits) = trim_at(value);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        let bad = digits.iter().position(|c| !c.is_ascii_digit()).unwrap_or(0);
        return Err(Error::at(ErrorKind::MaxForwards, start + bad));
    }
    let mut n: u32 = 0;
    for &d in digits {
        n = n * 10 + u32::from(d - b'0');
        if n > 255 {
            return Err(Error::at(ErrorKind::MaxForwards, start));
        }
    }
    Ok(n as u8)
}

/// Checks a Call-ID value (`word [ "@" word ]`, §25.1: no white space, no
/// separators outside the word characters) and returns its exact bytes,
/// which compare case-sensitively (§8.1.1.4).
///
/// ```
/// use sipline::{parse_call_id, ParserConfig};
/// assert_eq!(parse_call_id(b" a84b4c76e66710@pc33.atlanta.com ", &ParserConfig::strict()), Ok(&b"a84b4c76e66710@pc33.atlanta.com"[..]));
/// assert!(parse_call_id(b"two words", &ParserConfig::strict()).is_err());
/// ```
pub fn parse_call_id<'a>(value: &'a [u8], _config: &ParserConfig) -> Result<&'a [u8], Error> {
    let (start, id) = trim_at(value);
    if id.is_empty() {
        return Err(Error::at(ErrorKind::CallId, start));
    }
    let mut at_signs = 0;
    for (i, &c) in id.iter().enumerate() {
        if crate::chars::uri_class(c) & crate::chars::uri_class::WORD == 0 {
            return Err(Error::at(ErrorKind::CallId, start + i));
        }
        at_signs += usize::from(c == b'@');
    }
    if at_signs > 1 {
        return Err(Error::at(ErrorKind::CallId, start));
    }
    Ok(id)
}
