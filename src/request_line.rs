//! [`RequestLine`] and [`Method`] (RFC 3261 §7.1, §25.1), and [`StartLine`],
//! which is either a request line or a status line.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::line::{fail, line_end, min_line_end, need, rest, separator, within};
use crate::nom::SipResult;
use crate::parsed::Parsed;
use crate::status_line::{sip_version, StatusLine};

/// The first line of a SIP request: `INVITE sip:bob@example.com SIP/2.0`.
///
/// ```
/// use sipline::{parse_start_line, StartLine};
///
/// let parsed = parse_start_line(b"INVITE sip:bob@example.com SIP/2.0\r\n")?;
/// let Some(StartLine::Request(line)) = parsed.value() else { panic!() };
/// assert_eq!(line.method.as_str(), "INVITE");
/// assert_eq!(line.uri, b"sip:bob@example.com");
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestLine<'a> {
    /// The method: a token; extension methods are allowed.
    pub method: Method<'a>,
    /// The Request-URI, exactly as sent.
    pub uri: &'a [u8],
    /// The SIP-Version exactly as sent: `SIP/2.0` in any letter case.
    pub version: &'a [u8],
}

/// A request method: a token (RFC 3261 §25.1), compared case-sensitively
/// (`INVITE` is not `invite`). Extension methods keep their spelling.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method<'a>(pub(crate) &'a str);

impl<'a> Method<'a> {
    /// The method as text (a token is always ASCII).
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// The method's bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Method({})", self.0)
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<str> for Method<'_> {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Method<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// `INVITE sip:bob@example.com SIP/2.0`, without the line end.
impl fmt::Display for RequestLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URI and the version are ASCII once parsed.
        fn text(b: &[u8]) -> &str {
            core::str::from_utf8(b).unwrap_or_default()
        }
        write!(
            f,
            "{} {} {}",
            self.method,
            text(self.uri),
            text(self.version)
        )
    }
}

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

/// A 256-entry table: `true` for ASCII letters and digits and for the bytes
/// the pattern matches. One load per byte on the hot path.
macro_rules! alnum_and {
    ($($extra:pat_param)|+) => {{
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            t[i] = b.is_ascii_alphanumeric() || matches!(b, $($extra)|+);
            i += 1;
        }
        t
    }};
}

/// `true` for the token characters of RFC 3261 §25.1.
#[inline]
pub(crate) fn is_token(b: u8) -> bool {
    TOKEN[b as usize]
}

static TOKEN: [bool; 256] =
    alnum_and!(b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~');

/// `true` for the bytes a Request-URI may hold: unreserved, reserved,
/// `%` escapes and the brackets of IPv6 references (RFC 3261 §25.1,
/// RFC 5118). SP, `<`, `>`, `"` and controls end or break it.
#[inline]
fn is_uri_byte(b: u8) -> bool {
    URI[b as usize]
}

static URI: [bool; 256] = alnum_and!(
    b'-' | b'_'
        | b'.'
        | b'!'
        | b'~'
        | b'*'
        | b'\''
        | b'('
        | b')'
        | b';'
        | b'/'
        | b'?'
        | b':'
        | b'@'
        | b'&'
        | b'='
        | b'+'
        | b'$'
        | b','
        | b'%'
        | b'['
        | b']'
);

/// Parses the request line at the start of `buf`; see
/// [`parse_status_line`](crate::parse_status_line) for the answers.
pub fn parse_request_line<'b>(
    buf: &'b [u8],
    config: &ParserConfig,
) -> Result<Parsed<RequestLine<'b>>, Error> {
    Parsed::from_nom(buf, request_line(config, buf))
}

/// Parses the start line (request or status) at the start of `buf` with the
/// default configuration.
pub fn parse_start_line(buf: &[u8]) -> Result<Parsed<StartLine<'_>>, Error> {
    Parsed::from_nom(buf, start_line(&ParserConfig::lenient(), buf))
}

pub(crate) fn request_line<'a>(
    cfg: &ParserConfig,
    input: &'a [u8],
) -> SipResult<'a, RequestLine<'a>> {
    within(input, cfg.max_line_len, ErrorKind::LineTooLong, |w| {
        request_line_unbounded(cfg, w)
    })
}

/// A start line: a status line when it begins with `SIP/`, else a request line.
pub(crate) fn start_line<'a>(cfg: &ParserConfig, input: &'a [u8]) -> SipResult<'a, StartLine<'a>> {
    let head = input.get(..4).unwrap_or(input);
    if head.eq_ignore_ascii_case(&b"SIP/"[..head.len()]) {
        if head.len() < 4 {
            return need(4 - head.len());
        }
        let (i, s) = crate::status_line::status_line(cfg, input)?;
        return Ok((i, StartLine::Status(s)));
    }
    let (i, r) = request_line(cfg, input)?;
    Ok((i, StartLine::Request(r)))
}

fn request_line_unbounded<'a>(
    cfg: &ParserConfig,
    input: &'a [u8],
) -> SipResult<'a, RequestLine<'a>> {
    let le = min_line_end(cfg);
    // Fewest bytes after the method: SP, one URI byte, SP, version, line end.
    let after_method = 1 + 1 + 1 + 7 + le;
    let m = input
        .iter()
        .position(|&b| !is_token(b))
        .unwrap_or(input.len());
    if m == input.len() {
        return need(after_method);
    }
    let method = input.get(..m).unwrap_or_default();
    if method.is_empty() {
        return fail(input, 0, ErrorKind::Method);
    }
    match input.get(m) {
        Some(b' ') => {}
        Some(b'\t') if cfg.allow_extra_whitespace => {}
        _ => return fail(input, m, ErrorKind::Method),
    }
    let (i, ()) = separator(cfg, rest(input, m), after_method - 1)?;
    let u = i.iter().position(|&b| !is_uri_byte(b)).unwrap_or(i.len());
    if u == i.len() {
        return need(1 + 7 + le);
    }
    let at = |x: &[u8]| input.len() - x.len();
    if u == 0 {
        let kind = match i.first() {
            Some(b' ' | b'\t') => ErrorKind::Separator,
            _ => ErrorKind::RequestUri,
        };
        return fail(input, at(i), kind);
    }
    let uri = i.get(..u).unwrap_or_default();
    let i = rest(i, u);
    match i.first() {
        Some(b' ') => {}
        Some(b'\t') if cfg.allow_extra_whitespace => {}
        _ => return fail(input, at(i), ErrorKind::RequestUri),
    }
    let sep_at = at(i);
    let (i, ()) = separator(cfg, i, 7 + le)?;
    if let Some(b' ' | b'\t') = i.first() {
        return fail(input, at(i), ErrorKind::Separator);
    }
    let (i, version) = match sip_version(i, le) {
        // Not even "SIP/": the URI went on after white space (RFC 4475
        // "lwsruri"), which is the URI's fault, not the version's.
        Err(::nom::Err::Error(e)) if i.len() - e.input.len() < 4 => {
            return fail(input, sep_at, ErrorKind::RequestUri)
        }
        r => r?,
    };
    let i = if cfg.allow_extra_whitespace {
        let n = i
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(i.len());
        rest(i, n)
    } else {
        i
    };
    let (i, ()) = match i.first() {
        Some(b'\r' | b'\n') | None => line_end(cfg, i)?,
        Some(b' ' | b'\t') => return fail(input, at(i), ErrorKind::LineEnd),
        Some(_) => return fail(input, at(i), ErrorKind::Version),
    };
    Ok((
        i,
        RequestLine {
            // The method is made of token bytes, which are ASCII.
            method: Method(core::str::from_utf8(method).unwrap_or_default()),
            uri,
            version,
        },
    ))
}
