//! The Call-ID header field (§20.8): the call's identifier, compared
//! byte for byte.

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::trim_at;
use crate::header::typed::Header;

/// The Call-ID field (`Call-ID` or `i`) as a [`Header`]: its value is the
/// identifier's exact bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallId;

/// Checks a Call-ID value (`word [ "@" word ]`, §25.1: no white space, no
/// separators outside the word characters) and returns its exact bytes,
/// which compare case-sensitively (§8.1.1.4).
///
/// ```
/// use sipline::{parse_call_id, ParserConfig};
/// assert_eq!(parse_call_id(b" a84b4c76e66710@pc33.atlanta.com "), Ok(&b"a84b4c76e66710@pc33.atlanta.com"[..]));
/// assert!(parse_call_id(b"two words").is_err());
/// ```
pub fn parse_call_id(value: &[u8]) -> Result<&[u8], Error> {
    let (start, id) = trim_at(value);
    if id.is_empty() {
        return Err(Error::at(ErrorKind::CallId, start));
    }
    let mut at_signs = 0;
    for (i, &c) in id.iter().enumerate() {
        if crate::text::chars::uri_class(c) & crate::text::chars::uri_class::WORD == 0 {
            return Err(Error::at(ErrorKind::CallId, start + i));
        }
        at_signs += usize::from(c == b'@');
    }
    if at_signs > 1 {
        return Err(Error::at(ErrorKind::CallId, start));
    }
    Ok(id)
}

impl Header for CallId {
    const NAME: &'static str = "Call-ID";
    type Value<'a> = &'a [u8];
    type Values<'a> = core::iter::Once<Result<&'a [u8], Error>>;

    /// [`parse_call_id`]; the configuration does not change this field's grammar.
    fn parse<'a>(value: &'a [u8], _config: &ParserConfig) -> Self::Values<'a> {
        core::iter::once(parse_call_id(value))
    }
}
