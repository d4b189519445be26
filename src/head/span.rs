//! Where a head's parts sit: spans (offsets from the head's first byte)
//! in place of borrowed slices, so that a finished scan can be kept and the
//! head rebuilt from the same bytes later.

use crate::start::request_line::{Method, RequestLine};
use crate::start::start_line::StartLine;
use crate::start::status::StatusCode;
use crate::start::status_line::{ReasonPhrase, StatusLine};

/// Where the pieces of a parsed start line sit in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StartMeta {
    Request {
        method: (usize, usize),
        uri: (usize, usize),
        version: (usize, usize),
    },
    Status {
        version: (usize, usize),
        code: StatusCode,
        reason: (usize, usize),
    },
}

/// The span of `part` inside `base` (`part` should be a sub-slice of
/// `base`). Saturating on purpose, not nom's `Offset`, which overflows (and
/// panics in debug builds) on a slice from elsewhere, such as a static empty
/// one; such a span then resolves to an empty slice.
pub(crate) fn span(base: &[u8], part: &[u8]) -> (usize, usize) {
    let start = (part.as_ptr() as usize).saturating_sub(base.as_ptr() as usize);
    (start, start.saturating_add(part.len()))
}

/// The bytes of a span (empty when it is out of range).
pub(crate) fn slice(b: &[u8], (s, e): (usize, usize)) -> &[u8] {
    b.get(s..e).unwrap_or_default()
}

impl StartMeta {
    pub(crate) fn of(base: &[u8], line: &StartLine<'_>) -> StartMeta {
        match line {
            StartLine::Request(r) => StartMeta::Request {
                method: span(base, r.method.as_bytes()),
                uri: span(base, r.uri),
                version: span(base, r.version),
            },
            StartLine::Status(s) => StartMeta::Status {
                version: span(base, s.version),
                code: s.code,
                reason: span(base, s.reason.as_bytes()),
            },
        }
    }

    /// The start line again, from the bytes it was found in.
    pub(crate) fn resolve<'a>(&self, b: &'a [u8]) -> StartLine<'a> {
        match *self {
            StartMeta::Request {
                method,
                uri,
                version,
            } => StartLine::Request(RequestLine {
                method: Method(core::str::from_utf8(slice(b, method)).unwrap_or_default()),
                uri: slice(b, uri),
                version: slice(b, version),
            }),
            StartMeta::Status {
                version,
                code,
                reason,
            } => StartLine::Status(StatusLine {
                version: slice(b, version),
                code,
                reason: ReasonPhrase(slice(b, reason)),
            }),
        }
    }
}
