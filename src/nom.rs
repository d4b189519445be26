//! nom 8 parsers for users who compose sipline's grammar into their own.
//!
//! Every parser here works in nom's *streaming* mode: input that ends too
//! early gives `Err::Incomplete`, never an error. Errors are [`SipError`],
//! which implements nom's [`ParseError`] and carries sipline's
//! [`ErrorKind`] and the remaining input at the point of failure.
//!
//! ```
//! use sipline::nom::status_line;
//! use sipline::StatusCode;
//!
//! let (rest, line) = status_line(b"SIP/2.0 180 Ringing\r\nVia: ...")?;
//! assert_eq!(line.code, StatusCode::RINGING);
//! assert_eq!(rest, b"Via: ...");
//!
//! // A prefix asks for more bytes instead of failing.
//! assert!(matches!(status_line(b"SIP/2.0 18"), Err(nom::Err::Incomplete(_))));
//! # Ok::<(), nom::Err<sipline::nom::SipError<'static>>>(())
//! ```

use ::nom::error::{ErrorKind as NomErrorKind, ParseError};
use ::nom::IResult;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::status_line::StatusLine;

/// The error type of sipline's nom parsers: what was wrong, and the input
/// that remained where it went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipError<'a> {
    /// The input from the byte where parsing went wrong to the end.
    pub input: &'a [u8],
    /// What was wrong.
    pub kind: ErrorKind,
}

impl<'a> SipError<'a> {
    /// The error as an [`Error`] with an offset into `whole`, the buffer
    /// parsing started from (`input` must be a suffix of it).
    pub fn to_error(&self, whole: &[u8]) -> Error {
        Error::new(self.kind, whole.len().saturating_sub(self.input.len()))
    }
}

impl<'a> ParseError<&'a [u8]> for SipError<'a> {
    fn from_error_kind(input: &'a [u8], _kind: NomErrorKind) -> Self {
        SipError {
            input,
            kind: ErrorKind::Syntax,
        }
    }

    fn append(_input: &'a [u8], _kind: NomErrorKind, other: Self) -> Self {
        other
    }

    /// Keeps the error that got furthest into the input.
    fn or(self, other: Self) -> Self {
        if other.input.len() <= self.input.len() {
            other
        } else {
            self
        }
    }
}

/// The result type of sipline's nom parsers.
pub type SipResult<'a, T> = IResult<&'a [u8], T, SipError<'a>>;

/// A status line with the default (lenient) configuration, streaming.
pub fn status_line(input: &[u8]) -> SipResult<'_, StatusLine<'_>> {
    crate::status_line::status_line(&ParserConfig::lenient(), input)
}

/// A status line with `config`, streaming.
///
/// ```
/// use sipline::{nom::status_line_with, ParserConfig, ErrorKind};
/// let mut strict = status_line_with(ParserConfig::strict());
/// let err = strict(b"SIP/2.0 180 Ringing\n").unwrap_err();
/// assert!(matches!(err, nom::Err::Error(e) if e.kind == ErrorKind::LineEnd));
/// ```
pub fn status_line_with(
    config: ParserConfig,
) -> impl for<'a> FnMut(&'a [u8]) -> SipResult<'a, StatusLine<'a>> {
    move |input| crate::status_line::status_line(&config, input)
}
