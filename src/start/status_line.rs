//! [`StatusLine`] and its parser (RFC 3261 §7.2, §25.1), strict and lenient.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::parsed::Parsed;
use crate::start::status::StatusCode;
use crate::text::chars::{reason_class, ReasonClass};
use crate::text::line::{
    fail, line_end, min_line_end, need, rest, separator, sip_version, within, SipResult,
};
use crate::text::lossy::write_lossy;
use crate::text::simd::reason_run;

/// The first line of a SIP response: `SIP/2.0 180 Ringing`.
///
/// Everything borrows from the parsed buffer; parsing allocates nothing.
///
/// ```
/// use sipline::{parse_status_line, StatusCode};
///
/// let parsed = parse_status_line(b"SIP/2.0 180 Ringing\r\n")?;
/// let line = parsed.value().expect("complete");
/// assert_eq!(line.version, b"SIP/2.0");
/// assert_eq!(line.code, StatusCode::RINGING);
/// assert_eq!(line.reason.as_str(), Some("Ringing"));
/// assert_eq!(parsed.consumed(), Some(21));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusLine<'a> {
    /// The SIP-Version exactly as sent: `SIP/2.0` in any letter case.
    pub version: &'a [u8],
    /// The status code.
    pub code: StatusCode,
    /// The reason phrase, exactly as sent (it may be empty).
    pub reason: ReasonPhrase<'a>,
}

/// A reason phrase: the exact bytes of the input, with a `&str` view when
/// they are UTF-8. Text for people; never key behaviour on it.
///
/// In strict mode the phrase is always valid UTF-8 (a deliberate tightening:
/// the ABNF also admits stray continuation bytes and overlong forms). In
/// lenient mode it is whatever the peer sent, CR, LF and NUL excepted.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReasonPhrase<'a>(pub(crate) &'a [u8]);

impl<'a> ReasonPhrase<'a> {
    /// The exact bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The phrase as text, when it is valid UTF-8.
    pub fn as_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.0).ok()
    }

    /// `true` for an empty phrase (`SIP/2.0 100 ` and the line end).
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The length in bytes.
    pub const fn len(&self) -> usize {
        self.0.len()
    }

    /// The phrase as text, with U+FFFD for bytes that are not UTF-8.
    #[cfg(feature = "std")]
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'a, str> {
        String::from_utf8_lossy(self.0)
    }
}

impl fmt::Debug for ReasonPhrase<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReasonPhrase(")?;
        write_lossy(f, self.0, true)?;
        f.write_str(")")
    }
}

/// Writes the phrase, with U+FFFD for bytes that are not UTF-8.
impl fmt::Display for ReasonPhrase<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lossy(f, self.0, false)
    }
}

/// `SIP/2.0 180 Ringing`, without the line end. Parsing it back (with a
/// CRLF added) gives the same line when the phrase is UTF-8.
impl fmt::Display for StatusLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lossy(f, self.version, false)?;
        write!(f, " {:03} {}", self.code.as_u16(), self.reason)
    }
}

/// Parses the status line at the start of `buf` with the default (lenient)
/// configuration: the one shortcut of the API, for
/// [`parse_status_line_with`]`(buf, &ParserConfig::default())`.
///
/// Returns [`Parsed::Complete`] with the line and the bytes it took (line end
/// included), [`Parsed::Incomplete`] when `buf` is a prefix of a line that
/// could still be accepted, or an [`Error`] as soon as no further bytes could
/// make it acceptable. Error offsets count from the start of `buf`.
///
/// ```
/// use sipline::{parse_status_line, Parsed, ErrorKind};
///
/// assert!(matches!(parse_status_line(b"SIP/2.0 18")?, Parsed::Incomplete { .. }));
/// let err = parse_status_line(b"SIP/2.0 18x").unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (ErrorKind::StatusCode, 10));
/// # Ok::<(), sipline::Error>(())
/// ```
#[inline]
pub fn parse_status_line(buf: &[u8]) -> Result<Parsed<StatusLine<'_>>, Error> {
    parse_status_line_with(buf, &ParserConfig::lenient())
}

/// Parses the status line at the start of `buf` with `config`; see
/// [`parse_status_line`] for the answers.
///
/// ```
/// use sipline::{parse_status_line_with, ErrorKind, ParserConfig};
///
/// let err = parse_status_line_with(b"SIP/2.0 200 OK\n", &ParserConfig::strict()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LineEnd);
/// ```
pub fn parse_status_line_with<'b>(
    buf: &'b [u8],
    config: &ParserConfig,
) -> Result<Parsed<StatusLine<'b>>, Error> {
    if let Some((left, value)) = common_status_line(config, buf) {
        return Ok(Parsed::Complete {
            value,
            consumed: buf.len().saturating_sub(left.len()),
        });
    }
    Parsed::from_nom(buf, status_line(config, buf))
}

/// The streaming nom parser behind every entry point, with the line-length
/// limit applied.
#[inline]
pub(crate) fn status_line<'a>(
    cfg: &ParserConfig,
    input: &'a [u8],
) -> SipResult<'a, StatusLine<'a>> {
    if let Some(done) = common_status_line(cfg, input) {
        return Ok(done);
    }
    within(input, cfg.max_line_len, ErrorKind::LineTooLong, |w| {
        status_line_unbounded(cfg, w)
    })
}

/// How far the fast path scans a phrase byte by byte before it switches to
/// memchr (lenient) for the rest.
const FAST_REASON_MAX: usize = 32;

/// The fast path for the line nearly every peer sends: exactly `SIP/2.0 `,
/// three digits, one SP, a phrase whose first bytes are characters both modes
/// allow (ASCII, no `%`), CRLF. It gives the value the general parser gives, or
/// `None` to let the general parser decide (never an error of its own).
#[inline(always)]
fn common_status_line<'a>(
    cfg: &ParserConfig,
    input: &'a [u8],
) -> Option<(&'a [u8], StatusLine<'a>)> {
    let (head, tail) = input.split_first_chunk::<12>()?;
    let (version, rest) = head.split_first_chunk::<8>()?;
    // "SIP/2.0 " compared as one word.
    if u64::from_ne_bytes(*version) != u64::from_ne_bytes(*b"SIP/2.0 ") {
        return None;
    }
    let [a, b, c, sp] = *rest else { return None };
    let code = StatusCode::from_digits([a, b, c])?;
    if sp != b' ' {
        return None;
    }
    // A short phrase by table; a long one by memchr when any byte but CR,
    // LF and NUL may stand in it (lenient), else by table to its end.
    let plain = |b: &u8| reason_class(*b) != ReasonClass::Plain;
    let window = tail.get(..FAST_REASON_MAX).unwrap_or(tail);
    let n = match window.iter().position(plain) {
        Some(n) => n,
        None if window.len() < FAST_REASON_MAX => return None,
        None => {
            let rest = tail.get(FAST_REASON_MAX..)?;
            let more = if cfg.allow_any_reason_bytes {
                memchr::memchr3(b'\r', b'\n', 0, rest)?
            } else {
                // Sixteen bytes at a time (SSE2 where there is).
                match reason_run(rest, false) {
                    (n, _) if n < rest.len() => n,
                    _ => return None,
                }
            };
            FAST_REASON_MAX + more
        }
    };
    let (reason, after) = tail.split_at_checked(n)?;
    let left = after.strip_prefix(b"\r\n")?;
    if 12 + n + 2 > cfg.max_line_len {
        return None;
    }
    Some((
        left,
        StatusLine {
            version: version.get(..7)?,
            code,
            reason: ReasonPhrase(reason),
        },
    ))
}

fn status_line_unbounded<'a>(cfg: &ParserConfig, input: &'a [u8]) -> SipResult<'a, StatusLine<'a>> {
    let le = min_line_end(cfg);
    let after_code = if cfg.allow_missing_reason { le } else { 1 + le };

    // Fast path: the exact "SIP/2.0 " prefix and three good digits.
    let (i, (version, code)) = match input {
        [b'S', b'I', b'P', b'/', b'2', b'.', b'0', b' ', a, b, c, ..] => {
            match StatusCode::from_digits([*a, *b, *c]) {
                Some(code) => (rest(input, 11), (input.get(..7).unwrap_or_default(), code)),
                None => general_prefix(cfg, input, after_code)?,
            }
        }
        _ => general_prefix(cfg, input, after_code)?,
    };

    let at = |i: &[u8]| input.len() - i.len();
    let (i, reason) = match i.first() {
        None => return need(after_code),
        Some(b' ') => reason_phrase(cfg, rest(i, 1))?,
        Some(b'\t') if cfg.allow_extra_whitespace => reason_phrase(cfg, rest(i, 1))?,
        Some(b'\r' | b'\n') if cfg.allow_missing_reason => {
            // The empty phrase points into the input, where it would stand.
            let empty = i.get(..0).unwrap_or_default();
            let (i, ()) = line_end(cfg, i)?;
            (i, empty)
        }
        Some(b) if b.is_ascii_digit() => return fail(input, at(i), ErrorKind::StatusCode),
        Some(_) => return fail(input, at(i), ErrorKind::Separator),
    };
    Ok((
        i,
        StatusLine {
            version,
            code,
            reason: ReasonPhrase(reason),
        },
    ))
}

/// Version, separator and code, byte by byte.
fn general_prefix<'a>(
    cfg: &ParserConfig,
    input: &'a [u8],
    after_code: usize,
) -> SipResult<'a, (&'a [u8], StatusCode)> {
    let (i, version) = sip_version(input, 1 + 3 + after_code)?;
    let (i, ()) = separator(cfg, i, 3 + after_code)?;
    let (i, code) = status_code(i, after_code)?;
    Ok((i, (version, code)))
}

/// Three digits in `100..=699`; a wrong byte is reported where it stands.
#[inline]
pub(crate) fn status_code(input: &[u8], tail: usize) -> SipResult<'_, StatusCode> {
    let mut d = [0u8; 3];
    for (k, slot) in d.iter_mut().enumerate() {
        let ok = match input.get(k) {
            None => return need(3 - k + tail),
            Some(&b) if k == 0 => (b'1'..=b'6').contains(&b),
            Some(b) => b.is_ascii_digit(),
        };
        match input.get(k) {
            Some(&b) if ok => *slot = b,
            Some(b' ' | b'\t') if k == 0 => return fail(input, 0, ErrorKind::Separator),
            _ => return fail(input, k, ErrorKind::StatusCode),
        }
    }
    match StatusCode::from_digits(d) {
        Some(code) => Ok((rest(input, 3), code)),
        None => fail(input, 0, ErrorKind::StatusCode),
    }
}

/// Checks that `text` is UTF-8; with `more_may_come`, a sequence cut off at
/// the end is not (yet) an error. Returns the offset of the first bad byte.
#[inline]
fn utf8_error(text: &[u8], more_may_come: bool) -> Option<usize> {
    match core::str::from_utf8(text) {
        Ok(_) => None,
        Err(e) if more_may_come && e.error_len().is_none() => None,
        Err(e) => Some(e.valid_up_to()),
    }
}

/// The reason phrase and the line end after it.
#[inline]
fn reason_phrase<'a>(cfg: &ParserConfig, input: &'a [u8]) -> SipResult<'a, &'a [u8]> {
    let le = min_line_end(cfg);
    if cfg.allow_any_reason_bytes {
        return match memchr::memchr3(b'\r', b'\n', 0, input) {
            None => need(le),
            Some(p) => match input.get(p) {
                Some(0) => fail(input, p, ErrorKind::ReasonPhrase),
                _ => {
                    let (i, ()) = line_end(cfg, rest(input, p))?;
                    Ok((i, input.get(..p).unwrap_or_default()))
                }
            },
        };
    }
    let mut p = 0;
    let mut non_ascii = false;
    loop {
        // The run of bytes allowed as they are, sixteen at a time.
        let (run, high) = reason_run(input.get(p..).unwrap_or_default(), true);
        p += run;
        non_ascii |= high;
        let Some(&b) = input.get(p) else {
            if non_ascii {
                if let Some(bad) = utf8_error(input, true) {
                    return fail(input, bad, ErrorKind::Utf8);
                }
            }
            return need(le);
        };
        match reason_class(b) {
            // `reason_run` stopped at a byte of neither class; the arm keeps
            // the match total without a panic.
            ReasonClass::Plain | ReasonClass::High => {
                non_ascii |= b >= 0x80;
                p += 1;
            }
            ReasonClass::Percent => {
                for k in 1..=2 {
                    match input.get(p + k) {
                        None => return need(3 - k + le),
                        Some(h) if h.is_ascii_hexdigit() => {}
                        Some(_) => {
                            // Bad UTF-8 before the escape is the first error,
                            // as it is when the input is cut before the escape.
                            if non_ascii {
                                let text = input.get(..p).unwrap_or_default();
                                if let Some(bad) = utf8_error(text, false) {
                                    return fail(input, bad, ErrorKind::Utf8);
                                }
                            }
                            return fail(input, p + k, ErrorKind::ReasonPhrase);
                        }
                    }
                }
                p += 3;
            }
            class => {
                let text = input.get(..p).unwrap_or_default();
                if non_ascii {
                    if let Some(bad) = utf8_error(text, false) {
                        return fail(input, bad, ErrorKind::Utf8);
                    }
                }
                if class == ReasonClass::Bad {
                    return fail(input, p, ErrorKind::ReasonPhrase);
                }
                let (i, ()) = line_end(cfg, rest(input, p))?;
                return Ok((i, text));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path gives exactly what the general parser gives.
    #[test]
    fn fast_path_agrees_with_the_general_parser() {
        use proptest::prelude::*;
        let general = |cfg: &ParserConfig, line: &[u8]| {
            let owned = line.to_vec();
            let r = within(&owned, cfg.max_line_len, ErrorKind::LineTooLong, |w| {
                status_line_unbounded(cfg, w)
            });
            r.map(|(left, v)| (left.len(), v.code, v.reason.as_bytes().to_vec()))
                .map_err(|_| ())
        };
        let lines = proptest::collection::vec(
            prop_oneof![
                Just(b"SIP/2.0 ".to_vec()),
                Just(b"sip/2.0 ".to_vec()),
                Just(b"\r\n".to_vec()),
                "[0-9]{1,4}".prop_map(String::into_bytes),
                "[ -~\t]{0,12}".prop_map(String::into_bytes),
                Just(vec![0xC3, 0xA9]),
                Just(b"%41".to_vec()),
            ],
            0..8,
        )
        .prop_map(|v| v.concat());
        let mut runner = proptest::test_runner::TestRunner::default();
        runner
            .run(&lines, |line| {
                for cfg in [
                    ParserConfig::strict(),
                    ParserConfig::lenient(),
                    ParserConfig::lenient().max_line_len(16),
                ] {
                    if let Some((left, v)) = common_status_line(&cfg, &line) {
                        let fast = (left.len(), v.code, v.reason.as_bytes().to_vec());
                        prop_assert_eq!(general(&cfg, &line), Ok(fast));
                    }
                }
                Ok(())
            })
            .unwrap();
        for line in [
            &b"SIP/2.0 180 Ringing\r\n"[..],
            b"SIP/2.0 200 \r\nx",
            b"SIP/2.0 699 a b\tc\r\n",
        ] {
            let cfg = ParserConfig::strict();
            let (left, v) = common_status_line(&cfg, line).expect("fast path taken");
            let fast = (left.len(), v.code, v.reason.as_bytes().to_vec());
            assert_eq!(general(&cfg, line), Ok(fast));
        }
    }
}
