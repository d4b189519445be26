//! [`Head::validate`]: is a framed message fit to process, and if not,
//! which status is its sender owed (RFC 3261 §8.2, §16.3)?

use core::fmt;

use crate::error::{Error, ErrorKind};
use crate::head::view::Head;
use crate::header::addr::uri;
use crate::header::date::parse_date;
use crate::header::field::{names_equal, trim};
use crate::start::start_line::StartLine;
use crate::start::status::StatusCode;

/// Why a message is not fit to process: the rule that fired, the byte it
/// fired at, and the status its sender is owed. Small and `Copy`.
///
/// ```
/// use sipline::{parse_head, InvalidKind, ParserConfig, StatusCode};
///
/// let req = b"OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n\
/// To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n";
/// let head = parse_head(req, &ParserConfig::default())?.value().unwrap();
/// let bad = head.validate().unwrap_err();
/// assert_eq!(bad.kind(), InvalidKind::CSeqMethod);
/// assert_eq!(bad.status(), Some(StatusCode::BAD_REQUEST));
/// assert_eq!(&req[bad.offset() as usize..][..6], b"INVITE");
/// assert_eq!(bad.rule(), "RFC 3261 §8.1.1.5");
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Invalid {
    kind: InvalidKind,
    offset: u32,
    response: bool,
}

/// The rule an invalid message broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InvalidKind {
    /// A mandatory header field is absent (§8.1.1: To, From, CSeq, Call-ID,
    /// Via; Max-Forwards is checked only when present, §16.3 item 3). → 400
    Missing(&'static str),
    /// A header field that may appear once (§7.3.1: not a comma-separated
    /// list) appears again with another value. → 400
    Repeated(&'static str),
    /// A typed header's value does not parse (§25.1): the error says what. → 400
    Malformed(&'static str, ErrorKind),
    /// The CSeq method differs from the request method (§8.1.1.5). → 400
    CSeqMethod,
    /// The Request-URI is not a URI (§19.1.1, §25.1). → 400
    RequestUri(ErrorKind),
    /// A SIP or SIPS Request-URI carries headers (`?…`), which §19.1.1's
    /// table forbids there (RFC 4475 "escruri"). → 400
    RequestUriHeaders,
    /// Max-Forwards is 0 on a request to forward (§16.3 item 3). → 483
    TooManyHops,
}

impl InvalidKind {
    /// A short stable name (`missing`, `repeated`, `malformed`, …).
    pub const fn name(self) -> &'static str {
        match self {
            InvalidKind::Missing(_) => "missing",
            InvalidKind::Repeated(_) => "repeated",
            InvalidKind::Malformed(..) => "malformed",
            InvalidKind::CSeqMethod => "cseq-method",
            InvalidKind::RequestUri(_) => "request-uri",
            InvalidKind::RequestUriHeaders => "request-uri-headers",
            InvalidKind::TooManyHops => "too-many-hops",
        }
    }
}

impl Invalid {
    fn new(kind: InvalidKind, offset: usize, response: bool) -> Invalid {
        Invalid {
            kind,
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
            response,
        }
    }

    /// The rule that fired.
    pub const fn kind(&self) -> InvalidKind {
        self.kind
    }

    /// The offset in the head of the byte the rule fired at (for a
    /// missing header, the end of the header fields).
    pub const fn offset(&self) -> u64 {
        self.offset as u64
    }

    /// The status owed to the sender of a request: 400 Bad Request, or 483
    /// Too Many Hops. `None` for a response, which is discarded instead
    /// (§18.1.2; RFC 4475 §3.1.2.5, §3.1.2.19).
    pub const fn status(&self) -> Option<StatusCode> {
        if self.response {
            return None;
        }
        Some(match self.kind {
            InvalidKind::TooManyHops => StatusCode::TOO_MANY_HOPS,
            _ => StatusCode::BAD_REQUEST,
        })
    }

    /// The RFC section that states the rule.
    pub const fn rule(&self) -> &'static str {
        match self.kind {
            InvalidKind::Missing(_) => "RFC 3261 §8.1.1",
            InvalidKind::Repeated(_) => "RFC 3261 §7.3.1",
            InvalidKind::Malformed(..) => "RFC 3261 §25.1",
            InvalidKind::CSeqMethod => "RFC 3261 §8.1.1.5",
            InvalidKind::RequestUri(_) => "RFC 3261 §19.1.1",
            InvalidKind::RequestUriHeaders => "RFC 3261 §19.1.1",
            InvalidKind::TooManyHops => "RFC 3261 §16.3",
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            InvalidKind::Missing(h) => write!(f, "no {h} header")?,
            InvalidKind::Repeated(h) => write!(f, "{h} repeated with another value")?,
            InvalidKind::Malformed(h, e) => write!(f, "bad {h}: {}", e.description())?,
            InvalidKind::CSeqMethod => {
                f.write_str("CSeq method differs from the request method")?
            }
            InvalidKind::RequestUri(e) => write!(f, "bad Request-URI: {}", e.description())?,
            InvalidKind::RequestUriHeaders => f.write_str("headers in a SIP Request-URI")?,
            InvalidKind::TooManyHops => f.write_str("Max-Forwards is 0")?,
        }
        write!(f, " ({}) at byte {}", self.rule(), self.offset)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Invalid {}

/// The header fields that must appear in a request (§8.1.1) and a
/// response (§8.2.6.2 copies them), Max-Forwards aside.
const MANDATORY: [&str; 5] = ["Via", "To", "From", "Call-ID", "CSeq"];

/// The header fields that may appear once (not comma-separated lists,
/// §7.3.1): the ones whose repetition smuggles a second meaning.
const SINGLE: [&str; 7] = [
    "Call-ID",
    "CSeq",
    "From",
    "To",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
];

impl Error {
    /// The status a request that failed to parse with this error is owed:
    /// 505 Version Not Supported for a version other than SIP/2.0 (§8.2.2…
    /// §21.5.20, RFC 4475 "badvers"), 513 Message Too Large when a limit was
    /// hit (§21.5.21), 400 Bad Request otherwise. A response that fails to
    /// parse is discarded, never answered.
    ///
    /// ```
    /// use sipline::{parse_datagram, ParserConfig};
    /// let e = parse_datagram(b"INVITE sip:a@b SIP/7.0\r\n\r\n", &ParserConfig::default()).unwrap_err();
    /// assert_eq!(e.status_owed().as_u16(), 505);
    /// ```
    pub const fn status_owed(&self) -> StatusCode {
        match self.kind() {
            ErrorKind::Version => StatusCode::VERSION_NOT_SUPPORTED,
            ErrorKind::LineTooLong
            | ErrorKind::HeadTooLarge
            | ErrorKind::TooManyHeaders
            | ErrorKind::BodyTooLarge => StatusCode::MESSAGE_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl<'a> Head<'a> {
    /// Checks what a UAS or a proxy must check before processing a message
    /// it has framed, and names the status owed when a rule fails (see
    /// [`InvalidKind`] for the rules and their RFC sections):
    ///
    /// 1. the Request-URI is a URI, without headers if it is SIP/SIPS;
    /// 2. To, From, CSeq, Call-ID and Via are present;
    /// 3. none of Call-ID, CSeq, From, To, Max-Forwards, Content-Length,
    ///    Content-Type is repeated with another value;
    /// 4. every Via, CSeq, Call-ID, From, To, Max-Forwards, Contact, Route,
    ///    Record-Route, Reason, Expires and Date value parses;
    /// 5. the CSeq method is the request's method.
    ///
    /// Max-Forwards 0 is left to [`validate_to_forward`](Self::validate_to_forward):
    /// a UAS processes such a request (RFC 4475 "zeromf"). Nothing is
    /// allocated; the first rule to fail is reported.
    pub fn validate(&self) -> Result<(), Invalid> {
        let response = matches!(self.start_line, StartLine::Status(_));
        let bad = |kind, at: usize| Invalid::new(kind, at, response);
        let malformed = |name, e: Error| {
            bad(
                InvalidKind::Malformed(name, e.kind()),
                usize::try_from(e.offset()).unwrap_or(usize::MAX),
            )
        };
        if let StartLine::Request(r) = self.start_line {
            let at = self.offset_of(r.uri);
            let u = uri(r.uri).map_err(|e| bad(InvalidKind::RequestUri(ErrorKind::Uri), at + e))?;
            if u.is_sip() && u.headers.is_some() {
                let q = r.uri.iter().position(|&c| c == b'?').unwrap_or(0);
                return Err(bad(InvalidKind::RequestUriHeaders, at + q));
            }
        }
        for name in MANDATORY {
            if self.header(name).is_none() {
                return Err(bad(InvalidKind::Missing(name), self.fields_end()));
            }
        }
        for name in SINGLE {
            let mut fields = self.headers_named(name);
            if let Some(first) = fields.next() {
                let first = trim(first.value);
                if let Some(other) = fields.find(|f| trim(f.value) != first) {
                    return Err(bad(InvalidKind::Repeated(name), self.offset_of(other.name)));
                }
            }
        }
        for via in self.get_all::<crate::header::Via>() {
            via.map_err(|e| malformed("Via", e))?;
        }
        let cseq = self.get::<crate::header::CSeq>().and_then(Result::ok);
        if let Some(Err(e)) = self.get::<crate::header::CSeq>() {
            return Err(malformed("CSeq", e));
        }
        if let Some(Err(e)) = self.get::<crate::header::CallId>() {
            return Err(malformed("Call-ID", e));
        }
        if let Some(Err(e)) = self.get::<crate::header::From>() {
            return Err(malformed("From", e));
        }
        if let Some(Err(e)) = self.get::<crate::header::To>() {
            return Err(malformed("To", e));
        }
        if let Some(Err(e)) = self.get::<crate::header::MaxForwards>() {
            return Err(malformed("Max-Forwards", e));
        }
        for c in self.get_all::<crate::header::Contact>() {
            c.map_err(|e| malformed("Contact", e))?;
        }
        for r in self.get_all::<crate::header::Route>() {
            r.map_err(|e| malformed("Route", e))?;
        }
        for r in self.get_all::<crate::header::RecordRoute>() {
            r.map_err(|e| malformed("Record-Route", e))?;
        }
        for r in self.get_all::<crate::header::Reason>() {
            r.map_err(|e| malformed("Reason", e))?;
        }
        for f in self.headers_named("Expires") {
            let (at, v) = crate::header::field::trim_at(f.value);
            let ok = !v.is_empty()
                && v.len() <= 10
                && v.iter().all(u8::is_ascii_digit)
                && core::str::from_utf8(v)
                    .ok()
                    .and_then(|d| d.parse::<u32>().ok())
                    .is_some();
            if !ok {
                return Err(bad(
                    InvalidKind::Malformed("Expires", ErrorKind::Syntax),
                    self.offset_of(f.value) + at,
                ));
            }
        }
        for f in self.headers().filter(|f| names_equal(f.name, b"Date")) {
            parse_date(f.value)
                .map_err(|e| malformed("Date", e.shifted(self.offset_of(f.value) as u64)))?;
        }
        if let (StartLine::Request(r), Some(c)) = (self.start_line, cseq) {
            if r.method != c.method {
                let f = self.header("CSeq").map_or(0, |f| self.offset_of(f.value));
                let m = self
                    .header("CSeq")
                    .and_then(|f| {
                        f.value
                            .windows(c.method.as_bytes().len())
                            .position(|w| w == c.method.as_bytes())
                    })
                    .unwrap_or(0);
                return Err(bad(InvalidKind::CSeqMethod, f + m));
            }
        }
        Ok(())
    }

    /// [`validate`](Self::validate), and what a proxy checks before it
    /// forwards a request: Max-Forwards, when present, is not 0 (§16.3 item
    /// 3; owed 483 Too Many Hops).
    pub fn validate_to_forward(&self) -> Result<(), Invalid> {
        self.validate()?;
        if let (StartLine::Request(_), Some(Ok(0))) =
            (self.start_line, self.get::<crate::header::MaxForwards>())
        {
            let at = self
                .header("Max-Forwards")
                .map_or(0, |f| self.offset_of(f.value));
            return Err(Invalid::new(InvalidKind::TooManyHops, at, false));
        }
        Ok(())
    }
}
