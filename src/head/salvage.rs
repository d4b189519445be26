//! [`Salvage`]: what can still be read of a message that did not parse.
//!
//! A message refused for one field (a Content-Length that is not a
//! number, a header line without a colon, a start line with a bad
//! version) still carries its Call-ID, CSeq, tags, branch and users; an
//! observer that logs or exports it wants them, as Wireshark's SIP
//! dissector shows them. [`salvage`] reads the bytes line by line, with no
//! framing rules: the start line when it parses (else its method or status
//! code when those read), and every line before the first empty one that
//! reads as `name: value` (folded lines joined, lines that do not read
//! passed over). Typed values come from [`Salvage::get`], the same
//! [`Header`] parsers [`Head::get`](crate::Head::get) uses.

use crate::config::ParserConfig;
use crate::error::Error;
use crate::header::field::{names_equal, trim};
use crate::header::{Header, HeaderField};
use crate::start::request_line::Method;
use crate::start::start_line::{parse_start_line, StartLine};
use crate::start::status::StatusCode;
use crate::text::chars::is_token;

use super::span::span;

/// What can be read of a message that did not parse: its start line and
/// its header fields, each read alone. Borrowed, allocation-free.
///
/// ```
/// use sipline::header::{CallId, From};
/// use sipline::{parse_datagram, salvage, CSeq, ParserConfig, Via};
///
/// // Refused: Content-Length is not a number.
/// let msg = b"BYE sip:bob@192.0.2.4 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK7\r\n\
/// From: <sip:alice@a.example>;tag=f1\r\nCall-ID: c9@h\r\nCSeq: 2 BYE\r\nContent-Length: x\r\n\r\n";
/// let cfg = ParserConfig::strict();
/// assert!(parse_datagram(msg, &cfg).is_err());
///
/// let s = salvage(msg, &cfg);
/// assert_eq!(s.method().unwrap(), "BYE");
/// assert_eq!(s.get::<CallId>(), Some(Ok(&b"c9@h"[..])));
/// assert_eq!(s.get::<CSeq>().unwrap()?.number, 2);
/// assert_eq!(s.get::<Via>().unwrap()?.branch(), Some("z9hG4bK7"));
/// assert_eq!(s.get::<From>().unwrap()?.tag(), Some("f1"));
/// assert_eq!(s.header("l").unwrap().value, b"x");
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Salvage<'a> {
    /// From the message's first byte, at most the head limit.
    bytes: &'a [u8],
    config: ParserConfig,
}

/// Reads what it can of `bytes`, a message that failed to parse, from its
/// first byte (leading CRLFs are passed over). At most
/// [`ParserConfig::head_len_limit`] bytes and
/// [`ParserConfig::headers_limit`] fields are looked at, whatever `bytes`
/// holds. `config` reads the start line and the typed values (its address
/// leniency applies to From and To, as in [`Head::get`](crate::Head::get)).
pub fn salvage<'a>(bytes: &'a [u8], config: &ParserConfig) -> Salvage<'a> {
    let start = bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(bytes.len());
    let bytes = bytes.get(start..).unwrap_or_default();
    let bytes = bytes.get(..config.head_len_limit()).unwrap_or(bytes);
    Salvage {
        bytes,
        config: *config,
    }
}

impl<'a> Salvage<'a> {
    /// The bytes read: from the message's first byte to the first empty
    /// line or the end of what was given (at most the head limit).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The first line, without its line end.
    pub fn first_line(&self) -> &'a [u8] {
        line_at(self.bytes, 0).map_or(&[][..], |(s, e, _)| {
            self.bytes.get(s..e).unwrap_or_default()
        })
    }

    /// The start line, when it parses with the configuration.
    pub fn start_line(&self) -> Option<StartLine<'a>> {
        let first = line_at(self.bytes, 0)?;
        let with_end = self.bytes.get(..first.2)?;
        parse_start_line(with_end, &self.config).ok()?.value()
    }

    /// The method of a request: the start line's, or else its first word
    /// when the line ends in a SIP version (`INVITE sip:a b SIP/2.0`, a URI
    /// with a space) and that word is a token.
    pub fn method(&self) -> Option<Method<'a>> {
        if let Some(line) = self.start_line() {
            return line.request().map(|r| r.method);
        }
        let first = self.first_line();
        let (word, _) = split_word(first)?;
        let last = first.rsplit(|&b| b == b' ').next()?;
        if !starts_with_ignore_case(last, b"SIP/") {
            return None;
        }
        Method::from_bytes(word)
    }

    /// The status code of a response: the start line's, or else the three
    /// digits after a `SIP/` version when the rest of the line does not
    /// parse (`SIP/2.0 200 bad\x01reason`).
    pub fn code(&self) -> Option<StatusCode> {
        if let Some(line) = self.start_line() {
            return line.status().map(|s| s.code);
        }
        let (version, rest) = split_word(self.first_line())?;
        if !starts_with_ignore_case(version, b"SIP/") {
            return None;
        }
        match rest {
            [a, b, c] | [a, b, c, b' ', ..] => StatusCode::from_digits([*a, *b, *c]),
            _ => None,
        }
    }

    /// Every line after the first, up to the first empty one, that reads
    /// as a header field (a token, a colon, a value; folded lines joined),
    /// in order.
    pub fn headers(&self) -> SalvagedFields<'a> {
        SalvagedFields {
            bytes: self.bytes,
            pos: line_at(self.bytes, 0).map_or(self.bytes.len(), |l| l.2),
            left: self.config.headers_limit(),
        }
    }

    /// The first field named `name` (compact forms and case aside).
    pub fn header(&self, name: &str) -> Option<HeaderField<'a>> {
        self.headers()
            .find(|f| names_equal(f.name, name.as_bytes()))
    }

    /// The first value of the typed field `H`, as
    /// [`Head::get`](crate::Head::get) reads it; error offsets count from
    /// the first byte salvaged.
    pub fn get<H: Header + 'a>(&self) -> Option<Result<H::Value<'a>, Error>> {
        let cfg = ParserConfig::strict().allow_loose_addresses(self.config.allow_loose_addresses);
        for f in self
            .headers()
            .filter(|f| names_equal(f.name, H::NAME.as_bytes()))
        {
            let at = span(self.bytes, f.value).0 as u64;
            // A field with no value (`Contact: *`) sends the lookup on.
            if let Some(r) = H::parse(f.value, &cfg).next() {
                return Some(r.map_err(|e| e.shifted(at)));
            }
        }
        None
    }
}

/// The fields [`Salvage::headers`] reads.
#[derive(Clone, Debug)]
pub struct SalvagedFields<'a> {
    bytes: &'a [u8],
    pos: usize,
    left: usize,
}

impl<'a> Iterator for SalvagedFields<'a> {
    type Item = HeaderField<'a>;

    fn next(&mut self) -> Option<HeaderField<'a>> {
        while self.left > 0 {
            let (start, end, next) = line_at(self.bytes, self.pos)?;
            let line = self.bytes.get(start..end).unwrap_or_default();
            if line.is_empty() {
                self.pos = self.bytes.len();
                return None;
            }
            self.pos = next;
            if matches!(line.first(), Some(b' ' | b'\t')) {
                continue; // a folded line of a field that did not read
            }
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = trim(line.get(..colon).unwrap_or_default());
            if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
                continue;
            }
            let mut value_end = end;
            while let Some((s, e, n)) = line_at(self.bytes, self.pos) {
                if !matches!(self.bytes.get(s), Some(b' ' | b'\t')) {
                    break;
                }
                value_end = e;
                self.pos = n;
            }
            let value = self
                .bytes
                .get(start + colon + 1..value_end)
                .unwrap_or_default();
            self.left -= 1;
            return Some(HeaderField {
                name,
                value: trim(value),
            });
        }
        None
    }
}

/// The line starting at `pos`: its start, its end without the line end
/// (LF or CRLF), and where the next line starts; `None` past the end.
fn line_at(b: &[u8], pos: usize) -> Option<(usize, usize, usize)> {
    let rest = b.get(pos..).filter(|r| !r.is_empty())?;
    let (end, next) = match memchr::memchr(b'\n', rest) {
        Some(i) => (pos + i, pos + i + 1),
        None => (b.len(), b.len()),
    };
    let end = if end > pos && b.get(end - 1) == Some(&b'\r') {
        end - 1
    } else {
        end
    };
    Some((pos, end, next))
}

/// The first word of a line and what follows its space.
fn split_word(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let sp = line.iter().position(|&b| b == b' ')?;
    Some((line.get(..sp)?, line.get(sp + 1..)?))
}

fn starts_with_ignore_case(b: &[u8], prefix: &[u8]) -> bool {
    b.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::{CallId, From, To};
    use crate::{CSeq, Via};

    fn lenient(b: &[u8]) -> Salvage<'_> {
        salvage(b, &ParserConfig::lenient())
    }

    #[test]
    fn a_bad_start_line_still_gives_its_method_or_code() {
        let s = lenient(b"INVITE sip:a b@h SIP/2.0\r\nCall-ID: x\r\n\r\n");
        assert!(s.start_line().is_none());
        assert_eq!(s.method().unwrap(), "INVITE");
        assert_eq!(s.code(), None);
        let s = lenient(b"SIP/2.0 486 Busy\x01Here\r\n\r\n");
        assert_eq!(
            salvage(s.as_bytes(), &ParserConfig::strict())
                .code()
                .unwrap()
                .as_u16(),
            486
        );
        assert_eq!(s.method(), None);
        assert_eq!(lenient(b"SIP/2.0 48 x\r\n").code(), None);
        assert_eq!(lenient(b"SIP/2.0 486").code().unwrap().as_u16(), 486);
        assert_eq!(lenient(b"GET / HTTP/1.1\r\n").method(), None);
        assert_eq!(lenient(b"HTTP/1.1 200 OK\r\n").code(), None);
        assert_eq!(lenient(b"nothing").method(), None);
        assert_eq!(lenient(b"").code(), None);
        assert_eq!(
            lenient(b"\r\n\r\nOPTIONS sip:h SIP/2.0\r\n")
                .method()
                .unwrap(),
            "OPTIONS"
        );
    }

    #[test]
    fn fields_are_read_alone_folded_and_bounded() {
        let msg = b"BYE sip:b@h SIP/2.0\r\n\
            no colon here\r\n\
            \x20orphan: folded\r\n\
            bad name: v\r\n\
            i: call-1\r\n\
            From: <sip:alice@a.example>\r\n\
            \t;tag=f1\r\n\
            t: \"B\" <sip:bob@b.example>;tag=t2\n\
            v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
            CSeq: 7 BYE\r\n\
            \r\n\
            Call-ID: in-the-body\r\n";
        let s = lenient(msg);
        let names: Vec<_> = s.headers().map(|f| f.name).collect();
        assert_eq!(names, [&b"i"[..], b"From", b"t", b"v", b"CSeq"]);
        assert_eq!(s.get::<CallId>(), Some(Ok(&b"call-1"[..])));
        let from = s.get::<From>().unwrap().unwrap();
        assert_eq!((from.uri.user, from.tag()), (Some("alice"), Some("f1")));
        assert_eq!(s.get::<To>().unwrap().unwrap().tag(), Some("t2"));
        assert_eq!(s.get::<Via>().unwrap().unwrap().branch(), Some("z9hG4bK1"));
        assert_eq!(s.get::<CSeq>().unwrap().unwrap().number, 7);
        assert!(s.header("Contact").is_none());
        // At most the configured number of fields.
        let few = salvage(msg, &ParserConfig::lenient().max_headers(2));
        assert_eq!(few.headers().count(), 2);
        assert!(few.get::<CSeq>().is_none());
        // At most the head limit.
        let short = salvage(msg, &ParserConfig::lenient().max_head_len(100));
        assert!(short.as_bytes().len() <= 100);
        assert!(short.get::<CSeq>().is_none());
    }

    #[test]
    fn a_value_that_does_not_read_is_an_error_at_its_place() {
        let msg = b"OPTIONS sip:h SIP/2.0\r\nCSeq: x OPTIONS\r\nCSeq: 1 OPTIONS\r\n\r\n";
        let s = lenient(msg);
        let e = s.get::<CSeq>().unwrap().unwrap_err();
        assert_eq!(e.offset(), 29);
        assert!(s.get::<CallId>().is_none());
    }
}
