//! [`ParserConfig`]: strict or lenient parsing, and every limit.

/// How strictly to parse, and the limits that keep a hostile peer from making
/// the parser buffer without bound.
///
/// Two presets: [`ParserConfig::strict`] is the RFC 3261 grammar exactly;
/// [`ParserConfig::lenient`] adds what real devices send. Each leniency is
/// also a switch of its own, httparse-style:
///
/// | switch | strict | lenient | what it allows |
/// |---|---|---|---|
/// | [`allow_lf_line_ends`](Self::allow_lf_line_ends) | no | yes | a bare LF ends a line |
/// | [`allow_extra_whitespace`](Self::allow_extra_whitespace) | no | yes | runs of SP/HTAB where one SP belongs |
/// | [`allow_missing_reason`](Self::allow_missing_reason) | no | yes | `SIP/2.0 100` + line end, no SP |
/// | [`allow_any_reason_bytes`](Self::allow_any_reason_bytes) | no | yes | any reason-phrase byte but CR, LF, NUL; no UTF-8 check |
/// | [`allow_missing_content_length`](Self::allow_missing_content_length) | no | yes | a stream message without Content-Length has an empty body |
/// | [`allow_missing_empty_line`](Self::allow_missing_empty_line) | no | yes | a datagram's head may end at the datagram's end, without the empty line |
/// | [`allow_junk_between_messages`](Self::allow_junk_between_messages) | no | yes | on a stream, runs of SP, HTAB, NUL and bare CR between messages are skipped |
/// | [`allow_controls_in_values`](Self::allow_controls_in_values) | no | yes | control bytes (NUL included) anywhere in a header value, not only in a quoted-pair |
/// | [`allow_loose_addresses`](Self::allow_loose_addresses) | no | yes | LWS inside `<…>` and an unquoted display name of any text in From/To |
/// | [`allow_loose_sdp`](Self::allow_loose_sdp) | no | yes | SDP lines in any order, required lines missing, a media description without an address |
///
/// **The default is lenient.** sipline sits in proxies and border
/// controllers, where dropping a peer's `200 OK` because its reason phrase
/// holds a `[` breaks a call that every other element would have completed
/// (RFC 4475 lets a liberal element accept these forms). The things that
/// decide behaviour stay strict in both modes: the version is `SIP/2.0`, the
/// code is three digits in `100..=699`, and a NUL in a start line or a bare CR is never
/// accepted. Use strict mode to check that a peer conforms.
///
/// Header field values: in strict mode a control byte (NUL, BEL, DEL …; HTAB
/// excepted) may stand only in a quoted-pair inside a quoted string (RFC 3261
/// §25.1, RFC 4475 "intmeth"), so `X-A: a\0b` is refused; lenient mode
/// accepts any byte but CR and LF. A bare CR ends nothing and is refused in both.
///
/// ```
/// use sipline::{parse_status_line_with, ParserConfig, ErrorKind};
///
/// let line = b"SIP/2.0 200 OK\n";
/// assert!(parse_status_line_with(line, &ParserConfig::lenient())?.is_complete());
/// let err = parse_status_line_with(line, &ParserConfig::strict()).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LineEnd);
///
/// // strict, but for bare-LF line ends:
/// let cfg = ParserConfig::strict().allow_lf_line_ends(true);
/// assert!(parse_status_line_with(line, &cfg)?.is_complete());
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParserConfig {
    pub(crate) allow_lf_line_ends: bool,
    pub(crate) allow_extra_whitespace: bool,
    pub(crate) allow_missing_reason: bool,
    pub(crate) allow_any_reason_bytes: bool,
    pub(crate) allow_missing_content_length: bool,
    pub(crate) allow_missing_empty_line: bool,
    pub(crate) allow_junk_between_messages: bool,
    pub(crate) allow_controls_in_values: bool,
    pub(crate) allow_loose_addresses: bool,
    pub(crate) allow_loose_sdp: bool,
    pub(crate) max_line_len: usize,
    pub(crate) max_head_len: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_body_len: u64,
}

impl ParserConfig {
    /// The default maximum length of a start line, line end included: 4 KiB.
    pub const DEFAULT_MAX_LINE_LEN: usize = 4096;
    /// The default maximum size of a message head (start line, header
    /// fields and the empty line): 64 KiB.
    pub const DEFAULT_MAX_HEAD_LEN: usize = 64 * 1024;
    /// The default maximum number of header fields in one message: 256.
    pub const DEFAULT_MAX_HEADERS: usize = 256;
    /// The default maximum Content-Length: 1 MiB.
    pub const DEFAULT_MAX_BODY_LEN: u64 = 1024 * 1024;

    /// The RFC 3261 grammar exactly (§7.1, §25.1).
    pub const fn strict() -> ParserConfig {
        ParserConfig {
            allow_lf_line_ends: false,
            allow_extra_whitespace: false,
            allow_missing_reason: false,
            allow_any_reason_bytes: false,
            allow_missing_content_length: false,
            allow_missing_empty_line: false,
            allow_junk_between_messages: false,
            allow_controls_in_values: false,
            allow_loose_addresses: false,
            allow_loose_sdp: false,
            max_line_len: Self::DEFAULT_MAX_LINE_LEN,
            max_head_len: Self::DEFAULT_MAX_HEAD_LEN,
            max_headers: Self::DEFAULT_MAX_HEADERS,
            max_body_len: Self::DEFAULT_MAX_BODY_LEN,
        }
    }

    /// Every leniency switched on: what real devices send.
    pub const fn lenient() -> ParserConfig {
        ParserConfig {
            allow_lf_line_ends: true,
            allow_extra_whitespace: true,
            allow_missing_reason: true,
            allow_any_reason_bytes: true,
            allow_missing_content_length: true,
            allow_missing_empty_line: true,
            allow_junk_between_messages: true,
            allow_controls_in_values: true,
            allow_loose_addresses: true,
            allow_loose_sdp: true,
            max_line_len: Self::DEFAULT_MAX_LINE_LEN,
            max_head_len: Self::DEFAULT_MAX_HEAD_LEN,
            max_headers: Self::DEFAULT_MAX_HEADERS,
            max_body_len: Self::DEFAULT_MAX_BODY_LEN,
        }
    }

    /// Accept a bare LF as a line end (strict: CRLF only). A bare CR is
    /// never accepted.
    pub const fn allow_lf_line_ends(mut self, allow: bool) -> ParserConfig {
        self.allow_lf_line_ends = allow;
        self
    }

    /// Accept runs of SP and HTAB between the parts of a start line (strict:
    /// exactly one SP). Between the code and the reason phrase one SP or HTAB
    /// is the separator and any further white space belongs to the phrase, as
    /// the grammar says, so strict and lenient give the same phrase.
    pub const fn allow_extra_whitespace(mut self, allow: bool) -> ParserConfig {
        self.allow_extra_whitespace = allow;
        self
    }

    /// Accept a status line with no SP after the code (`SIP/2.0 100` and the
    /// line end). Strict mode requires the SP even when the phrase is empty
    /// (RFC 4475 §3.1.1.13 "noreason").
    pub const fn allow_missing_reason(mut self, allow: bool) -> ParserConfig {
        self.allow_missing_reason = allow;
        self
    }

    /// Accept any reason-phrase byte other than CR, LF and NUL (brackets,
    /// quotes, legacy non-UTF-8 text). Strict mode allows only the ABNF's
    /// characters and also requires valid UTF-8.
    pub const fn allow_any_reason_bytes(mut self, allow: bool) -> ParserConfig {
        self.allow_any_reason_bytes = allow;
        self
    }

    /// On a stream, take a message without Content-Length as having an empty
    /// body (strict: [`ErrorKind::MissingContentLength`](crate::ErrorKind::MissingContentLength),
    /// since RFC 3261 §18.3 makes the field mandatory there). Datagrams never
    /// need it.
    pub const fn allow_missing_content_length(mut self, allow: bool) -> ParserConfig {
        self.allow_missing_content_length = allow;
        self
    }

    /// Accept a datagram that ends right after a complete header line,
    /// without the empty line RFC 3261 §7 requires, as a message with no
    /// body. (Streams always need the empty line: without it the next
    /// message would be read as header fields.)
    pub const fn allow_missing_empty_line(mut self, allow: bool) -> ParserConfig {
        self.allow_missing_empty_line = allow;
        self
    }

    /// On a stream, skip runs of SP, HTAB, NUL and bare CR between messages
    /// (strict: only CRLFs may stand there, RFC 3261 §7.5). Some devices send
    /// spaces or NULs as NAT keep-alives on TCP; without this a lenient reader
    /// would lose the whole connection at the first one.
    /// [`StreamDecoder::junk_bytes`](crate::StreamDecoder::junk_bytes) counts
    /// what was skipped.
    pub const fn allow_junk_between_messages(mut self, allow: bool) -> ParserConfig {
        self.allow_junk_between_messages = allow;
        self
    }

    /// Accept control bytes (0x00–0x1F but HTAB, and DEL) anywhere in a
    /// header value (strict: only as the second byte of a quoted-pair inside
    /// a quoted string, §25.1: [`ErrorKind::HeaderValue`](crate::ErrorKind::HeaderValue)).
    /// A responder that copies values back to a peer wants strict.
    pub const fn allow_controls_in_values(mut self, allow: bool) -> ParserConfig {
        self.allow_controls_in_values = allow;
        self
    }

    /// The typed address headers (From, To, Contact, Route, Record-Route)
    /// accept LWS just inside the angle brackets (`< sip:a@b >`, RFC 4475
    /// "badaspec") and, in From and To, a display name of unquoted text that
    /// is not tokens (`Bell, Alexander <sip:…>`, RFC 4475 "baddn"). Strict:
    /// [`ErrorKind::NameAddr`](crate::ErrorKind::NameAddr).
    pub const fn allow_loose_addresses(mut self, allow: bool) -> ParserConfig {
        self.allow_loose_addresses = allow;
        self
    }

    /// A session description ([`parse_sdp`](crate::sdp::parse_sdp)) may
    /// hold its lines in any order after `v=`, lack `o=`, `s=` or `t=`,
    /// hold blank lines, types that RFC 8866 does not define, and a media
    /// description with no `c=` where the session has none (its
    /// [`connection`](crate::sdp::Media::connection) is then `None`), and
    /// its last line may lack its line end. Attribute values are checked
    /// only in strict mode. Strict: RFC 8866 §9's order and lines exactly
    /// ([`ErrorKind::SdpOrder`](crate::ErrorKind::SdpOrder),
    /// [`ErrorKind::SdpLine`](crate::ErrorKind::SdpLine),
    /// [`ErrorKind::SdpConnection`](crate::ErrorKind::SdpConnection)).
    pub const fn allow_loose_sdp(mut self, allow: bool) -> ParserConfig {
        self.allow_loose_sdp = allow;
        self
    }

    /// The longest start line, line end included, before the parser gives up
    /// with [`ErrorKind::LineTooLong`](crate::ErrorKind::LineTooLong) instead
    /// of asking for more bytes. At least 16; default
    /// [`DEFAULT_MAX_LINE_LEN`](Self::DEFAULT_MAX_LINE_LEN).
    pub const fn max_line_len(mut self, len: usize) -> ParserConfig {
        self.max_line_len = if len < 16 { 16 } else { len };
        self
    }

    /// The largest message head (start line, header fields and the empty
    /// line) before [`ErrorKind::HeadTooLarge`](crate::ErrorKind::HeadTooLarge).
    /// At least 64; default [`DEFAULT_MAX_HEAD_LEN`](Self::DEFAULT_MAX_HEAD_LEN).
    pub const fn max_head_len(mut self, len: usize) -> ParserConfig {
        self.max_head_len = if len < 64 { 64 } else { len };
        self
    }

    /// The most header fields in one message before
    /// [`ErrorKind::TooManyHeaders`](crate::ErrorKind::TooManyHeaders);
    /// default [`DEFAULT_MAX_HEADERS`](Self::DEFAULT_MAX_HEADERS).
    pub const fn max_headers(mut self, n: usize) -> ParserConfig {
        self.max_headers = n;
        self
    }

    /// The largest Content-Length accepted, checked as soon as the header is
    /// read and before any of the body is buffered
    /// ([`ErrorKind::BodyTooLarge`](crate::ErrorKind::BodyTooLarge));
    /// default [`DEFAULT_MAX_BODY_LEN`](Self::DEFAULT_MAX_BODY_LEN).
    pub const fn max_body_len(mut self, len: u64) -> ParserConfig {
        self.max_body_len = len;
        self
    }

    /// The configured maximum head size.
    pub const fn head_len_limit(&self) -> usize {
        self.max_head_len
    }

    /// The configured maximum number of header fields.
    pub const fn headers_limit(&self) -> usize {
        self.max_headers
    }

    /// The configured maximum Content-Length.
    pub const fn body_len_limit(&self) -> u64 {
        self.max_body_len
    }

    /// `true` when no leniency is switched on.
    pub const fn is_strict(&self) -> bool {
        !(self.allow_lf_line_ends
            || self.allow_extra_whitespace
            || self.allow_missing_reason
            || self.allow_any_reason_bytes
            || self.allow_missing_content_length
            || self.allow_missing_empty_line
            || self.allow_junk_between_messages
            || self.allow_controls_in_values
            || self.allow_loose_addresses
            || self.allow_loose_sdp)
    }

    /// The configured maximum start-line length.
    pub const fn line_len_limit(&self) -> usize {
        self.max_line_len
    }
}

impl Default for ParserConfig {
    /// [`ParserConfig::lenient`].
    fn default() -> Self {
        ParserConfig::lenient()
    }
}
