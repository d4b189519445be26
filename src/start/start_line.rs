//! [`StartLine`]: the first line of a SIP message, a request line or a
//! status line, and the parser that tells them apart.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::Error;
use crate::parsed::Parsed;
use crate::start::request_line::{request_line, RequestLine};
use crate::start::status_line::{status_line, StatusLine};
use crate::text::line::{need, SipResult};

/// A request line or a status line: the start of a SIP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StartLine<'a> {
    /// A request: method, Request-URI, version.
    Request(RequestLine<'a>),
    /// A response: version, status code, reason phrase.
    Status(StatusLine<'a>),
}

impl<'a> StartLine<'a> {
    /// The request line, when this is a request.
    pub const fn request(&self) -> Option<&RequestLine<'a>> {
        match self {
            StartLine::Request(r) => Some(r),
            StartLine::Status(_) => None,
        }
    }

    /// The status line, when this is a response.
    pub const fn status(&self) -> Option<&StatusLine<'a>> {
        match self {
            StartLine::Status(s) => Some(s),
            StartLine::Request(_) => None,
        }
    }
}

impl fmt::Display for StartLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartLine::Request(r) => r.fmt(f),
            StartLine::Status(s) => s.fmt(f),
        }
    }
}

/// Parses the start line (request or status) at the start of `buf` with
/// `config`; see [`parse_status_line`](crate::parse_status_line) for the
/// answers. Error offsets count from the start of `buf`.
///
/// ```
/// use sipline::{parse_start_line, ParserConfig, StartLine};
///
/// let cfg = ParserConfig::default();
/// let line = parse_start_line(b"OPTIONS sip:a@b SIP/2.0\r\n", &cfg)?.value().unwrap();
/// assert_eq!(line.request().unwrap().method, "OPTIONS");
/// let line = parse_start_line(b"SIP/2.0 486 Busy Here\r\n", &cfg)?.value().unwrap();
/// assert!(matches!(line, StartLine::Status(s) if s.code == 486));
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_start_line<'b>(
    buf: &'b [u8],
    config: &ParserConfig,
) -> Result<Parsed<StartLine<'b>>, Error> {
    Parsed::from_nom(buf, start_line(config, buf))
}

/// A start line: a status line when it begins with `SIP/`, else a request line.
pub(crate) fn start_line<'a>(cfg: &ParserConfig, input: &'a [u8]) -> SipResult<'a, StartLine<'a>> {
    let head = input.get(..4).unwrap_or(input);
    if head.eq_ignore_ascii_case(&b"SIP/"[..head.len()]) {
        if head.len() < 4 {
            return need(4 - head.len());
        }
        let (i, s) = status_line(cfg, input)?;
        return Ok((i, StartLine::Status(s)));
    }
    let (i, r) = request_line(cfg, input)?;
    Ok((i, StartLine::Request(r)))
}
