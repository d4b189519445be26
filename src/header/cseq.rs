//! The CSeq header field (§20.16): a sequence number and a method.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::is_ws as is_lws;
use crate::header::typed::Header;
use crate::start::request_line::Method;

/// A CSeq: a sequence number below 2^31 and the request's method (§8.1.1.5).
///
/// ```
/// use sipline::{parse_cseq, ParserConfig};
/// let c = parse_cseq(b"4711 INVITE")?;
/// assert_eq!((c.number, c.method.as_str()), (4711, "INVITE"));
/// assert_eq!(parse_cseq(b"2147483648 INVITE").unwrap_err().offset(), 0);
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
pub fn parse_cseq(value: &[u8]) -> Result<CSeq<'_>, Error> {
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
    // At most ten digits: no overflow in a u64.
    let number = digits
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    if number >= 1 << 31 {
        return Err(err(start));
    }
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

impl Header for CSeq<'_> {
    const NAME: &'static str = "CSeq";
    type Value<'a> = CSeq<'a>;
    type Values<'a> = core::iter::Once<Result<CSeq<'a>, Error>>;

    /// [`parse_cseq`]; the configuration does not change this field's grammar.
    fn parse<'a>(value: &'a [u8], _config: &ParserConfig) -> Self::Values<'a> {
        core::iter::once(parse_cseq(value))
    }
}
