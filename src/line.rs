//! Primitives shared by the start-line and header parsers: failing at a
//! position, asking for more, separators and line ends.

use ::nom::{Err, Needed};

use crate::config::ParserConfig;
use crate::error::ErrorKind;
use crate::nom::{SipError, SipResult};

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
