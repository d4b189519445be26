//! nom 8 parsers for users who compose sipline's grammar into their own.
//!
//! Every parser here works in nom's *streaming* mode: input that ends too
//! early gives `Err::Incomplete`, never an error. Errors are [`SipError`],
//! which implements nom's [`ParseError`](::nom::error::ParseError) and
//! carries sipline's [`ErrorKind`](crate::ErrorKind) and the remaining input
//! at the point of failure ([`SipError::to_error`] turns it into an
//! [`Error`](crate::Error) with an offset from the start of your buffer).
//!
//! Each line has two forms, as everywhere in sipline: `x(input)` with the
//! default (lenient) configuration, and `x_with(config)`, which returns the
//! parser for a [`ParserConfig`]. The nom types a composer needs are
//! re-exported here, so that `sipline::nom` and your code use the same nom.
//!
//! ```
//! use sipline::nom::{start_line, status_line, Err};
//! use sipline::{StartLine, StatusCode};
//!
//! let (rest, line) = status_line(b"SIP/2.0 180 Ringing\r\nVia: ...")?;
//! assert_eq!(line.code, StatusCode::RINGING);
//! assert_eq!(rest, b"Via: ...");
//!
//! let (_, line) = start_line(b"BYE sip:a@b SIP/2.0\r\n")?;
//! assert!(matches!(line, StartLine::Request(r) if r.method == "BYE"));
//!
//! // A prefix asks for more bytes instead of failing.
//! assert!(matches!(status_line(b"SIP/2.0 18"), Err(Err::Incomplete(_))));
//! # Ok::<(), sipline::nom::Err<sipline::nom::SipError<'static>>>(())
//! ```

pub use ::nom::{Err, IResult, Needed, Offset};

pub use crate::text::line::{SipError, SipResult};

use crate::config::ParserConfig;
use crate::start::request_line::RequestLine;
use crate::start::start_line::StartLine;
use crate::start::status_line::StatusLine;

/// A status line with the default (lenient) configuration, streaming.
pub fn status_line(input: &[u8]) -> SipResult<'_, StatusLine<'_>> {
    crate::start::status_line::status_line(&ParserConfig::lenient(), input)
}

/// The status-line parser for `config`, streaming.
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
    move |input| crate::start::status_line::status_line(&config, input)
}

/// A request line with the default (lenient) configuration, streaming.
pub fn request_line(input: &[u8]) -> SipResult<'_, RequestLine<'_>> {
    crate::start::request_line::request_line(&ParserConfig::lenient(), input)
}

/// The request-line parser for `config`, streaming.
///
/// ```
/// use sipline::{nom::request_line_with, ParserConfig, ErrorKind};
/// let mut strict = request_line_with(ParserConfig::strict());
/// let err = strict(b"INVITE sip:a@b  SIP/2.0\r\n").unwrap_err();
/// assert!(matches!(err, nom::Err::Error(e) if e.kind == ErrorKind::Separator));
/// ```
pub fn request_line_with(
    config: ParserConfig,
) -> impl for<'a> FnMut(&'a [u8]) -> SipResult<'a, RequestLine<'a>> {
    move |input| crate::start::request_line::request_line(&config, input)
}

/// A start line (request or status) with the default (lenient)
/// configuration, streaming.
pub fn start_line(input: &[u8]) -> SipResult<'_, StartLine<'_>> {
    crate::start::start_line::start_line(&ParserConfig::lenient(), input)
}

/// The start-line parser for `config`, streaming.
pub fn start_line_with(
    config: ParserConfig,
) -> impl for<'a> FnMut(&'a [u8]) -> SipResult<'a, StartLine<'a>> {
    move |input| crate::start::start_line::start_line(&config, input)
}
