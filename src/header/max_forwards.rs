//! The Max-Forwards header field (§20.22): how many more hops a request
//! may take.

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::trim_at;
use crate::header::typed::Header;

/// The Max-Forwards field as a [`Header`]: its value is the hop count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaxForwards;

/// Parses a Max-Forwards value: `1*DIGIT`, 0–255 (§20.22).
///
/// ```
/// use sipline::{parse_max_forwards, ParserConfig};
/// assert_eq!(parse_max_forwards(b" 70 "), Ok(70));
/// assert!(parse_max_forwards(b"256").is_err());
/// assert!(parse_max_forwards(b"-1").is_err());
/// ```
pub fn parse_max_forwards(value: &[u8]) -> Result<u8, Error> {
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

impl Header for MaxForwards {
    const NAME: &'static str = "Max-Forwards";
    type Value<'a> = u8;
    type Values<'a> = core::iter::Once<Result<u8, Error>>;

    /// [`parse_max_forwards`]; the configuration does not change this field's grammar.
    fn parse<'a>(value: &'a [u8], _config: &ParserConfig) -> Self::Values<'a> {
        core::iter::once(parse_max_forwards(value))
    }
}
