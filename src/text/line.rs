//! The primitives every line parser is built from: the nom error type
//! ([`SipError`], [`SipResult`]), failing at a position, asking for more,
//! separators, line ends, the SIP-Version, and the length limit.

use ::nom::error::{ErrorKind as NomErrorKind, ParseError};
use ::nom::{Err, IResult, Needed};

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};

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
        Error::at(self.kind, whole.len().saturating_sub(self.input.len()))
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

/// The input from byte `at` on (empty past the end).
#[inline]
pub(crate) fn rest(input: &[u8], at: usize) -> &[u8] {
    input.get(at..).unwrap_or(&[])
}

/// An error of `kind` at byte `at` of `input`.
#[inline]
pub(crate) fn fail<T>(input: &[u8], at: usize, kind: ErrorKind) -> SipResult<'_, T> {
    Err(Err::Error(SipError {
        input: rest(input, at),
        kind,
    }))
}

/// Incomplete: at least `n` more bytes are needed.
#[inline]
pub(crate) fn need<'a, T>(n: usize) -> SipResult<'a, T> {
    Err(Err::Incomplete(Needed::new(n)))
}

/// The fewest bytes a line end can take.
#[inline]
pub(crate) const fn min_line_end(cfg: &ParserConfig) -> usize {
    if cfg.allow_lf_line_ends {
        1
    } else {
        2
    }
}

/// One separator (SP, or HTAB too when lenient), and in lenient mode any run
/// of SP/HTAB after it. `tail` is the fewest bytes that must follow.
#[inline]
pub(crate) fn separator<'a>(cfg: &ParserConfig, input: &'a [u8], tail: usize) -> SipResult<'a, ()> {
    match input.first() {
        None => return need(1 + tail),
        Some(b' ') => {}
        Some(b'\t') if cfg.allow_extra_whitespace => {}
        Some(_) => return fail(input, 0, ErrorKind::Separator),
    }
    if !cfg.allow_extra_whitespace {
        return Ok((rest(input, 1), ()));
    }
    let run = input
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(input.len());
    if run == input.len() {
        return need(tail);
    }
    Ok((rest(input, run), ()))
}

/// A line end at the start of `input`: CRLF, or a bare LF when allowed.
#[inline]
pub(crate) fn line_end<'a>(cfg: &ParserConfig, input: &'a [u8]) -> SipResult<'a, ()> {
    match input.first() {
        None => need(min_line_end(cfg)),
        Some(b'\r') => match input.get(1) {
            None => need(1),
            Some(b'\n') => Ok((rest(input, 2), ())),
            Some(_) => fail(input, 1, ErrorKind::LineEnd),
        },
        Some(b'\n') if cfg.allow_lf_line_ends => Ok((rest(input, 1), ())),
        Some(_) => fail(input, 0, ErrorKind::LineEnd),
    }
}

/// Runs `parse` on at most `limit` bytes of `input`; when it still wants more
/// with `limit` bytes available, that is an error of `kind` at byte `limit`.
#[inline]
pub(crate) fn within<'a, T>(
    input: &'a [u8],
    limit: usize,
    kind: ErrorKind,
    parse: impl FnOnce(&'a [u8]) -> SipResult<'a, T>,
) -> SipResult<'a, T> {
    let window = input.get(..limit).unwrap_or(input);
    match parse(window) {
        Ok((left, v)) => Ok((rest(input, window.len().saturating_sub(left.len())), v)),
        Err(Err::Incomplete(_)) if input.len() >= limit => fail(input, limit, kind),
        // Errors point into the window; re-point them into the whole input
        // so that offsets count from its start.
        Err(e) => Err(e.map(|e| SipError {
            input: rest(input, window.len().saturating_sub(e.input.len())),
            kind: e.kind,
        })),
    }
}

const VERSION: &[u8; 7] = b"SIP/2.0";

/// The SIP-Version, matched case-insensitively and byte by byte so that a
/// wrong byte is reported where it stands. `tail` is the fewest bytes that
/// must follow it.
#[inline]
pub(crate) fn sip_version(input: &[u8], tail: usize) -> SipResult<'_, &[u8]> {
    if let Some(v) = input.get(..7) {
        if v == VERSION {
            return version_end(input);
        }
    }
    for (k, &want) in VERSION.iter().enumerate() {
        match input.get(k) {
            None => return need(VERSION.len() - k + tail),
            Some(b) if b.to_ascii_uppercase() == want => {}
            Some(_) => return fail(input, k, ErrorKind::Version),
        }
    }
    version_end(input)
}

/// After the seven version bytes: `SIP/2.00` or `SIP/2.0.1` is another
/// version, not SIP/2.0 followed by a bad separator.
#[inline]
fn version_end(input: &[u8]) -> SipResult<'_, &[u8]> {
    match input.get(7) {
        Some(b) if b.is_ascii_digit() || *b == b'.' => fail(input, 7, ErrorKind::Version),
        _ => Ok((rest(input, 7), input.get(..7).unwrap_or_default())),
    }
}
