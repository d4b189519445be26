//! Whole messages and the framing rules of RFC 3261 §7.5 and §18.3: on a
//! stream Content-Length sizes the body ([`parse_message`]); a datagram ends
//! where the datagram ends ([`parse_datagram`]); a `message/sipfrag` body
//! ([`parse_sipfrag`]).

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::head::scan::HeadScan;
use crate::head::span::slice;
use crate::head::view::{Head, HeadInfo};
use crate::header::field::Headers;
use crate::parsed::Parsed;
use crate::start::start_line::StartLine;

/// A whole message, borrowed: its head and its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// The start line and header fields.
    pub head: Head<'a>,
    /// The body (empty when there is none).
    pub body: &'a [u8],
}

/// The number of CRLFs (and, when lenient, bare LFs) at the start of `buf`,
/// in bytes: RFC 3261 §7.5 says to ignore them before a start line.
pub(crate) fn leading_line_ends(cfg: &ParserConfig, buf: &[u8]) -> usize {
    let mut n = 0;
    loop {
        match buf.get(n..) {
            Some([b'\r', b'\n', ..]) => n += 2,
            Some([b'\n', ..]) if cfg.allow_lf_line_ends => n += 1,
            _ => return n,
        }
    }
}

/// The body length a stream message must have.
pub(crate) fn stream_body_len(cfg: &ParserConfig, info: &HeadInfo) -> Result<u64, Error> {
    match info.content_length {
        Some(n) => Ok(n),
        None if cfg.allow_missing_content_length => Ok(0),
        None => Err(Error::at(ErrorKind::MissingContentLength, 0)),
    }
}

/// Parses one whole message at the start of `buf` by the stream rules (TCP,
/// TLS, SCTP, WebSocket: RFC 3261 §18.3), skipping CRLFs before it.
///
/// Content-Length is the only way to find the end of the body on a stream:
/// the answer is incomplete until the whole body is there, and `consumed`
/// counts the skipped CRLFs, the head and the body. **When Content-Length is
/// missing**, strict mode rejects the message
/// ([`ErrorKind::MissingContentLength`]); lenient mode
/// ([`ParserConfig::allow_missing_content_length`]) takes the body as empty,
/// as if `Content-Length: 0` had been sent (a body that does follow then fails
/// as the next message's start line). Error offsets count from the start of
/// `buf`. For a stream that arrives in pieces, [`StreamDecoder`](crate::StreamDecoder)
/// does the same without scanning bytes twice; for a UDP datagram, use
/// [`parse_datagram`].
///
/// ```
/// use sipline::{parse_message, ParserConfig};
///
/// let buf = b"\r\nSIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nbodyNEXT";
/// let p = parse_message(buf, &ParserConfig::strict())?;
/// assert_eq!(p.consumed(), Some(buf.len() - 4));
/// assert_eq!(p.value().unwrap().body, b"body");
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_message<'b>(
    buf: &'b [u8],
    config: &ParserConfig,
) -> Result<Parsed<Message<'b>>, Error> {
    let skip = leading_line_ends(config, buf);
    let msg = buf.get(skip..).unwrap_or_default();
    let mut scan = HeadScan::new();
    let info = match scan.advance(config, msg) {
        Err(e) => return Err(e.shifted(skip as u64)),
        Ok(Some(info)) => info,
        Ok(None) => return Ok(Parsed::Incomplete { needed: None }),
    };
    let n = stream_body_len(config, &info).map_err(|e| e.shifted(skip as u64))?;
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let after = msg.get(info.head_len..).unwrap_or_default();
    let Some(body) = after.get(..n) else {
        return Ok(Parsed::Incomplete {
            needed: core::num::NonZeroUsize::new(n - after.len()),
        });
    };
    Ok(Parsed::Complete {
        value: Message {
            head: info.head(msg),
            body,
        },
        consumed: skip + info.head_len + body.len(),
    })
}

/// What a UDP datagram holds.
// The message carries its head's field index (a few hundred bytes, no
// allocation); boxing it would allocate per datagram.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datagram<'a> {
    /// One SIP message.
    Message(Message<'a>),
    /// Only CR, LF, SP or HTAB: a keep-alive, to be dropped.
    KeepAlive,
}

/// Parses a whole UDP datagram (RFC 3261 §7.5, §18.3): the one entry point
/// for datagrams.
///
/// A datagram holds one message. CRLFs before it are skipped; a datagram of
/// nothing but CR, LF, SP and HTAB is a [`Datagram::KeepAlive`]. The head
/// ends at the empty line (in lenient mode also at the end of the datagram,
/// after a complete line: [`ParserConfig::allow_missing_empty_line`]). The
/// body is the rest of the datagram, shortened to Content-Length when that is
/// smaller (bytes after it are discarded, RFC 4475 "dblreq"); a Content-Length
/// longer than what is there is [`ErrorKind::TruncatedBody`]. A datagram is
/// never incomplete: one that ends inside the head is
/// [`ErrorKind::TruncatedHead`]. Error offsets count from the start of `buf`.
///
/// ```
/// use sipline::{parse_datagram, Datagram, ErrorKind, ParserConfig};
///
/// let cfg = ParserConfig::default();
/// let dg = b"SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhi and more";
/// let Datagram::Message(m) = parse_datagram(dg, &cfg)? else { panic!() };
/// assert_eq!(m.body, b"hi");
/// assert_eq!(parse_datagram(b"\r\n\r\n", &cfg)?, Datagram::KeepAlive);
/// let short = b"SIP/2.0 200 OK\r\nContent-Length: 20\r\n\r\nhi";
/// assert_eq!(parse_datagram(short, &cfg).unwrap_err().kind(), ErrorKind::TruncatedBody);
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_datagram<'b>(buf: &'b [u8], config: &ParserConfig) -> Result<Datagram<'b>, Error> {
    if buf
        .iter()
        .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
    {
        return Ok(Datagram::KeepAlive);
    }
    let skip = leading_line_ends(config, buf);
    let msg = buf.get(skip..).unwrap_or_default();
    let mut scan = HeadScan::new();
    let info = match scan.advance(config, msg) {
        Err(e) => return Err(e.shifted(skip as u64)),
        Ok(Some(info)) => info,
        Ok(None) => {
            let at_end = if config.allow_missing_empty_line {
                scan.finish_at_end(config, msg)
                    .map_err(|e| e.shifted(skip as u64))?
            } else {
                None
            };
            match at_end {
                Some(info) => info,
                None => return Err(Error::at(ErrorKind::TruncatedHead, buf.len())),
            }
        }
    };
    let after = msg.get(info.head_len..).unwrap_or_default();
    let body = match info.content_length {
        None => after,
        Some(n) => match after.get(..usize::try_from(n).unwrap_or(usize::MAX)) {
            Some(body) => body,
            None => return Err(Error::at(ErrorKind::TruncatedBody, buf.len())),
        },
    };
    Ok(Datagram::Message(Message {
        head: info.head(msg),
        body,
    }))
}

/// A `message/sipfrag` body (RFC 3420): a start line, optional header
/// fields, and an optional body after an empty line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sipfrag<'a> {
    /// The start line (in NOTIFY after REFER, a status line).
    pub start_line: StartLine<'a>,
    fields: &'a [u8],
    header_count: usize,
    /// The body, when the fragment has an empty line after its headers.
    pub body: Option<&'a [u8]>,
}

impl<'a> Sipfrag<'a> {
    /// The fragment's header fields.
    pub fn headers(&self) -> Headers<'a> {
        Headers::new(self.fields)
    }

    /// The number of header fields.
    pub const fn header_count(&self) -> usize {
        self.header_count
    }
}

/// Parses a whole `message/sipfrag` body. Every line must end (CRLF, or LF
/// when lenient); a fragment cut inside a line is
/// [`ErrorKind::TruncatedHead`].
///
/// ```
/// use sipline::{parse_sipfrag, ParserConfig, StatusCode};
///
/// let frag = parse_sipfrag(b"SIP/2.0 100 Trying\r\n", &ParserConfig::strict())?;
/// assert_eq!(frag.start_line.status().unwrap().code, StatusCode::TRYING);
/// assert_eq!(frag.body, None);
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_sipfrag<'b>(buf: &'b [u8], config: &ParserConfig) -> Result<Sipfrag<'b>, Error> {
    let mut scan = HeadScan::new();
    if let Some(info) = scan.advance(config, buf)? {
        let head = info.head(buf);
        return Ok(Sipfrag {
            start_line: head.start_line,
            fields: head.fields,
            header_count: head.header_count,
            body: buf.get(info.head_len..),
        });
    }
    // No empty line: the fragment must end at the end of a line.
    match scan.finish_at_end(config, buf)? {
        Some(info) => Ok(Sipfrag {
            start_line: info.start.resolve(buf),
            fields: slice(buf, info.fields),
            header_count: info.header_count,
            body: None,
        }),
        None => Err(Error::at(ErrorKind::TruncatedHead, buf.len())),
    }
}
