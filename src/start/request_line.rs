//! [`RequestLine`] and [`Method`] (RFC 3261 §7.1, §25.1) and their parser.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::parsed::Parsed;
use crate::text::chars::{is_token, is_uri_byte};
use crate::text::line::{
    fail, line_end, min_line_end, need, rest, separator, sip_version, within, SipResult,
};

/// The first line of a SIP request: `INVITE sip:bob@example.com SIP/2.0`.
///
/// ```
/// use sipline::{parse_request_line, ParserConfig};
///
/// let parsed = parse_request_line(b"INVITE sip:bob@example.com SIP/2.0\r\n", &ParserConfig::strict())?;
/// let line = parsed.value().unwrap();
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
    /// `bytes` as a method, when they are a token (RFC 3261 §25.1: letters,
    /// digits and `-.!%*_+`'~`), else `None`.
    ///
    /// ```
    /// use sipline::Method;
    /// assert_eq!(Method::from_bytes(b"INVITE").unwrap(), "INVITE");
    /// assert!(Method::from_bytes(b"X-NEW.METHOD").is_some());
    /// assert!(Method::from_bytes(b"GET /").is_none());
    /// assert!(Method::from_bytes(b"").is_none());
    /// ```
    pub fn from_bytes(bytes: &'a [u8]) -> Option<Method<'a>> {
        if bytes.is_empty() || !bytes.iter().all(|&b| is_token(b)) {
            return None;
        }
        core::str::from_utf8(bytes).ok().map(Method)
    }

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

/// Parses the request line at the start of `buf` with `config`; see
/// [`parse_status_line`](crate::parse_status_line) for the answers. Error
/// offsets count from the start of `buf`.
pub fn parse_request_line<'b>(
    buf: &'b [u8],
    config: &ParserConfig,
) -> Result<Parsed<RequestLine<'b>>, Error> {
    Parsed::from_nom(buf, request_line(config, buf))
}

pub(crate) fn request_line<'a>(
    cfg: &ParserConfig,
    input: &'a [u8],
) -> SipResult<'a, RequestLine<'a>> {
    within(input, cfg.max_line_len, ErrorKind::LineTooLong, |w| {
        request_line_unbounded(cfg, w)
    })
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
