//! [`Error`] and [`ErrorKind`]: what went wrong in the input, and where.

use core::fmt;

/// What was wrong with the input. Match on it; the [`Error`] it sits in says where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The SIP-Version is not `SIP/2.0` (matched case-insensitively, RFC 3261 §7.1).
    Version,
    /// A separator between the parts of a start line is missing or not allowed
    /// (strict mode: exactly one SP).
    Separator,
    /// The status code is not three digits in `100..=699`.
    StatusCode,
    /// A byte that the reason phrase may not hold.
    ReasonPhrase,
    /// The reason phrase is not valid UTF-8 (strict mode).
    Utf8,
    /// The line does not end in CRLF (strict), or holds a bare CR.
    LineEnd,
    /// The line is longer than the configured maximum without ending.
    LineTooLong,
    /// The method of a request line is not a token.
    Method,
    /// The Request-URI holds a byte it may not hold.
    RequestUri,
    /// A header field name is not a token, or the colon after it is missing.
    HeaderName,
    /// More header fields than the configured maximum.
    TooManyHeaders,
    /// The message head is larger than the configured maximum.
    HeadTooLarge,
    /// Content-Length is not a decimal number, or several disagree.
    ContentLength,
    /// Content-Length is larger than the configured maximum body size.
    BodyTooLarge,
    /// A stream message has no Content-Length (RFC 3261 §18.3 makes it mandatory).
    MissingContentLength,
    /// A datagram is shorter than its Content-Length says.
    TruncatedBody,
    /// A datagram or a message/sipfrag body ends inside the message head.
    TruncatedHead,
    /// Input that does not match the grammar at all (raised by nom
    /// combinators composed around sipline's parsers).
    Syntax,
}

impl ErrorKind {
    /// A short stable name, as the CLI prints it (`status-code`, `line-end`, …).
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::Version => "version",
            ErrorKind::Separator => "separator",
            ErrorKind::StatusCode => "status-code",
            ErrorKind::ReasonPhrase => "reason-phrase",
            ErrorKind::Utf8 => "utf8",
            ErrorKind::LineEnd => "line-end",
            ErrorKind::LineTooLong => "line-too-long",
            ErrorKind::Method => "method",
            ErrorKind::RequestUri => "request-uri",
            ErrorKind::HeaderName => "header-name",
            ErrorKind::TooManyHeaders => "too-many-headers",
            ErrorKind::HeadTooLarge => "head-too-large",
            ErrorKind::ContentLength => "content-length",
            ErrorKind::BodyTooLarge => "body-too-large",
            ErrorKind::MissingContentLength => "missing-content-length",
            ErrorKind::TruncatedBody => "truncated-body",
            ErrorKind::TruncatedHead => "truncated-head",
            ErrorKind::Syntax => "syntax",
        }
    }

    /// What the rule is, as the error message states it.
    pub const fn description(self) -> &'static str {
        match self {
            ErrorKind::Version => "SIP version must be SIP/2.0",
            ErrorKind::Separator => "expected a single SP between the parts of the start line",
            ErrorKind::StatusCode => "status code must be three digits 100-699",
            ErrorKind::ReasonPhrase => "byte not allowed in the reason phrase",
            ErrorKind::Utf8 => "reason phrase must be valid UTF-8",
            ErrorKind::LineEnd => "line must end in CRLF (bare CR or LF not allowed)",
            ErrorKind::LineTooLong => "line longer than the configured maximum",
            ErrorKind::Method => "method must be a token",
            ErrorKind::RequestUri => "byte not allowed in the Request-URI",
            ErrorKind::HeaderName => "header field name must be a token followed by a colon",
            ErrorKind::TooManyHeaders => "more header fields than the configured maximum",
            ErrorKind::HeadTooLarge => "message head larger than the configured maximum",
            ErrorKind::ContentLength => "Content-Length must be one decimal value",
            ErrorKind::BodyTooLarge => "Content-Length larger than the configured maximum",
            ErrorKind::MissingContentLength => {
                "Content-Length is required on a stream (RFC 3261 18.3)"
            }
            ErrorKind::TruncatedBody => "datagram shorter than its Content-Length",
            ErrorKind::TruncatedHead => "input ends inside the message head",
            ErrorKind::Syntax => "input does not match the grammar",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parse error: its [`ErrorKind`] and the byte offset, from the start of
/// the buffer given to the parser, where the input went wrong.
///
/// ```
/// use sipline::{parse_status_line, ErrorKind};
///
/// let err = parse_status_line(b"SIP/2.0 4294967301 better not break the receiver\r\n")
///     .unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::StatusCode);
/// assert_eq!(err.offset(), 11);
/// assert_eq!(err.to_string(), "status code must be three digits 100-699 at byte 11");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    kind: ErrorKind,
    offset: usize,
}

impl Error {
    /// An error of `kind` at byte `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Error {
        Error { kind, offset }
    }

    /// What was wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where: the offset of the first byte that no continuation could make right.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The same error with its offset moved by `base` (for an error found in
    /// a slice that starts `base` bytes into a larger buffer).
    pub const fn shifted(self, base: usize) -> Error {
        Error {
            kind: self.kind,
            offset: self.offset.saturating_add(base),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.description(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
