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
    /// A stream ended inside a message: the offset is where that message
    /// started in the stream.
    IncompleteMessage,
    /// A Via value does not follow §25.1 (sent-protocol, sent-by, parameters).
    Via,
    /// A CSeq value is not a number below 2^31 and a method.
    CSeq,
    /// A Max-Forwards value is not a number from 0 to 255.
    MaxForwards,
    /// A Call-ID value is empty or holds a byte a Call-ID may not.
    CallId,
    /// A URI does not follow §25.1 (SIP/SIPS URI, tel URI, or
    /// `scheme ":" …` for other schemes).
    Uri,
    /// A From, To, Contact, Route or Record-Route value is not a name-addr or
    /// addr-spec followed by parameters (§20.10, §25.1).
    NameAddr,
    /// A Reason value is not `protocol *(; param)` (RFC 3326 §2).
    Reason,
    /// A Date value is not an RFC 1123 date in GMT (§20.17).
    Date,
    /// A header value holds a control byte outside a quoted-pair (strict mode, §25.1).
    HeaderValue,
    /// A header field the operation needs (Via, CSeq, Call-ID, From, To) is
    /// absent; the offset is the end of the header fields.
    MissingHeader,
    /// An SDP line is not a type letter, `=` and a value (RFC 8866 §5), is
    /// blank, holds a NUL, has a type RFC 8866 does not define, or (strict)
    /// lacks its line end. Bare CRs and LF line ends are [`LineEnd`](Self::LineEnd).
    SdpLine,
    /// An SDP line stands out of RFC 8866 §9's order, or a required line
    /// (`v=` first, `o=`, `s=`, `t=`) is missing (strict mode, but for `v=`).
    SdpOrder,
    /// An SDP value does not follow its grammar: `v=` not 0, `o=`, `c=`,
    /// `m=` (a port above 65535, no format …), `t=`, or an attribute
    /// (strict mode checks `rtpmap`, `fmtp`, `rtcp`, `ptime`).
    SdpValue,
    /// A media description has no `c=` and the session has none (RFC 8866
    /// §5.7; strict mode): the offset is its `m=` line.
    SdpConnection,
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
            ErrorKind::IncompleteMessage => "incomplete-message",
            ErrorKind::Via => "via",
            ErrorKind::CSeq => "cseq",
            ErrorKind::MaxForwards => "max-forwards",
            ErrorKind::CallId => "call-id",
            ErrorKind::Uri => "uri",
            ErrorKind::NameAddr => "name-addr",
            ErrorKind::Reason => "reason",
            ErrorKind::Date => "date",
            ErrorKind::HeaderValue => "header-value",
            ErrorKind::MissingHeader => "missing-header",
            ErrorKind::SdpLine => "sdp-line",
            ErrorKind::SdpOrder => "sdp-order",
            ErrorKind::SdpValue => "sdp-value",
            ErrorKind::SdpConnection => "sdp-connection",
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
            ErrorKind::IncompleteMessage => "stream ended inside a message",
            ErrorKind::Via => "Via must be sent-protocol, sent-by and parameters",
            ErrorKind::CSeq => "CSeq must be a number below 2^31 and a method",
            ErrorKind::MaxForwards => "Max-Forwards must be a number from 0 to 255",
            ErrorKind::CallId => "Call-ID must be a word, or two joined by @",
            ErrorKind::Uri => "URI does not follow RFC 3261 25.1",
            ErrorKind::NameAddr => "address must be a name-addr or addr-spec with parameters",
            ErrorKind::Reason => "Reason must be a protocol and parameters (RFC 3326)",
            ErrorKind::Date => "Date must be an RFC 1123 date in GMT",
            ErrorKind::HeaderValue => "control byte outside a quoted-pair in a header value",
            ErrorKind::MissingHeader => "a header field the operation needs is missing",
            ErrorKind::SdpLine => "SDP line must be a type letter, = and a value (RFC 8866 5)",
            ErrorKind::SdpOrder => "SDP line out of RFC 8866 order, or a required line missing",
            ErrorKind::SdpValue => "SDP value does not follow its grammar (RFC 8866)",
            ErrorKind::SdpConnection => "SDP media description has no c= and the session none",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parse error: its [`ErrorKind`] and the byte offset where the input went
/// wrong.
///
/// What the offset counts from depends on who reports it: the functions that
/// parse a buffer (`parse_*`, [`crate::nom`]) count from the start of the
/// buffer they were given; [`StreamDecoder`](crate::StreamDecoder) and
/// [`Frames`](crate::Frames) count from the first byte of the stream. It is a
/// `u64` so that a stream position always fits.
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
    offset: u64,
}

impl Error {
    /// An error of `kind` at byte `offset`.
    pub const fn new(kind: ErrorKind, offset: u64) -> Error {
        Error { kind, offset }
    }

    /// An error of `kind` at index `at` of a buffer.
    #[inline]
    pub(crate) const fn at(kind: ErrorKind, at: usize) -> Error {
        Error {
            kind,
            offset: at as u64,
        }
    }

    /// What was wrong.
    pub const fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Where: the offset of the first byte that no continuation could make
    /// right (see the type's documentation for what it counts from).
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The same error with its offset moved by `base` (for an error found in
    /// a slice that starts `base` bytes into a larger buffer or stream).
    pub const fn shifted(self, base: u64) -> Error {
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

#[cfg(feature = "std")]
impl From<Error> for std::io::Error {
    /// An [`InvalidData`](std::io::ErrorKind::InvalidData) I/O error (or
    /// [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof) for a stream that
    /// ended inside a message) whose source is the parse error.
    fn from(e: Error) -> std::io::Error {
        let kind = match e.kind {
            ErrorKind::IncompleteMessage => std::io::ErrorKind::UnexpectedEof,
            _ => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, e)
    }
}

/// What reading SIP messages from a byte stream can fail with: the stream
/// held something that is not SIP (or ended inside a message), or the
/// transport failed. [`Frames`](crate::Frames) and the tokio codec return it.
///
/// It composes with `?`: it converts into [`std::io::Error`], and
/// [`source`](std::error::Error::source) gives the error underneath.
///
/// ```
/// use sipline::{ErrorKind, Frames, StreamError};
///
/// fn count(input: &[u8]) -> std::io::Result<usize> {
///     let mut n = 0;
///     for frame in Frames::new(input, Default::default()) {
///         frame?; // a StreamError becomes an io::Error
///         n += 1;
///     }
///     Ok(n)
/// }
/// assert_eq!(count(b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n").unwrap(), 1);
/// let err = count(b"SIP/2.0 200 OK\r\nl: 0\r\n").unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
///
/// let mut frames = Frames::new(&b"SIP/2.0 200 OK\r\n"[..], Default::default());
/// let err: StreamError = frames.next().unwrap().unwrap_err();
/// assert_eq!(err.kind(), Some(ErrorKind::IncompleteMessage));
/// assert_eq!(err.offset(), Some(0));
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
#[derive(Debug)]
pub enum StreamError {
    /// The stream held something that is not a SIP message, or ended inside one.
    Parse(Error),
    /// Reading or writing failed.
    Io(std::io::Error),
}

#[cfg(feature = "std")]
impl StreamError {
    /// The parse error's kind, for [`StreamError::Parse`].
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            StreamError::Parse(e) => Some(e.kind()),
            StreamError::Io(_) => None,
        }
    }

    /// The parse error's offset in the stream, for [`StreamError::Parse`].
    pub fn offset(&self) -> Option<u64> {
        match self {
            StreamError::Parse(e) => Some(e.offset()),
            StreamError::Io(_) => None,
        }
    }
}

#[cfg(feature = "std")]
impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Parse(e) => e.fmt(f),
            StreamError::Io(e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StreamError::Parse(e) => Some(e),
            StreamError::Io(e) => Some(e),
        }
    }
}

#[cfg(feature = "std")]
impl From<std::io::Error> for StreamError {
    fn from(e: std::io::Error) -> Self {
        StreamError::Io(e)
    }
}

#[cfg(feature = "std")]
impl From<Error> for StreamError {
    fn from(e: Error) -> Self {
        StreamError::Parse(e)
    }
}

#[cfg(feature = "std")]
impl From<StreamError> for std::io::Error {
    /// The I/O error itself, or the parse error as in `From<Error>`.
    fn from(e: StreamError) -> std::io::Error {
        match e {
            StreamError::Parse(e) => e.into(),
            StreamError::Io(e) => e,
        }
    }
}
