//! Writing messages into a `BytesMut`: a response built from a request
//! (RFC 3261 §8.2.6) and the edits a proxy makes to a request it forwards
//! (§16.6). Lines the edit does not touch are copied as they are.

use core::fmt;

use bytes::{BufMut, BytesMut};

use crate::error::Error;
use crate::head::view::Head;
use crate::header::field::{trim, HeaderField};
use crate::start::start_line::StartLine;
use crate::start::status::StatusCode;
use crate::text::chars::is_token;

/// Why [`Response::write`] or [`Forward::write`] wrote nothing: what was
/// wrong, in the request given or in what the caller asked to write.
///
/// ```
/// use bytes::BytesMut;
/// use sipline::{parse_head, ParserConfig, Response, StatusCode, WriteError};
///
/// let req = parse_head(b"OPTIONS sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n", &ParserConfig::default())?
///     .value()
///     .unwrap();
/// let err = Response::new(&req, StatusCode::OK).write(&mut BytesMut::new()).unwrap_err();
/// assert_eq!(err, WriteError::MissingHeader("To"));
/// assert_eq!(err.to_string(), "the request has no To field, which a response copies");
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The head is a response: only a request is answered or forwarded.
    NotARequest,
    /// The request lacks a field that a response copies (§8.2.6.2): To,
    /// Via, From, Call-ID or CSeq.
    MissingHeader(&'static str),
    /// A field to add has a name that is not a token (§25.1).
    FieldName,
    /// A value to write holds a CR or LF, which would start a line of its
    /// own: which value, and the offset of the byte in it.
    LineBreak {
        /// `"an added field"`, `"the Request-URI"`, `"the Via"` or `"the
        /// Record-Route"`.
        value: &'static str,
        /// The offset of the CR or LF in that value.
        at: usize,
    },
    /// The To tag to add is empty or not a token (§19.3).
    ToTag,
    /// More fields added with [`Response::header`] than a response holds
    /// (8).
    TooManyFields,
    /// Max-Forwards is 0: the request must not be forwarded, and
    /// 483 Too Many Hops is owed (§16.3 item 3). `at`: the value's offset in
    /// the head.
    MaxForwardsZero {
        /// The offset of the Max-Forwards value in the head.
        at: u64,
    },
    /// A field of the request that the edit reads does not parse
    /// (Max-Forwards, the first Route): the parser's error, its offset in
    /// the head.
    Request(Error),
    /// [`RelayResponse`] was given a request: only a response is relayed.
    NotAResponse,
    /// The response to relay has no Via (it names the proxy that relays it).
    NoVia,
    /// The response's first Via value does not parse: the parser's error,
    /// its offset in the head.
    Response(Error),
}

impl WriteError {
    /// The status owed to the request's sender when this is the request's
    /// fault: 483 for [`MaxForwardsZero`](Self::MaxForwardsZero), 400 for a
    /// request that is missing a field or has one that does not parse.
    /// `None` when the fault is the caller's (what it asked to write).
    pub const fn status(&self) -> Option<StatusCode> {
        match self {
            WriteError::MaxForwardsZero { .. } => Some(StatusCode::TOO_MANY_HOPS),
            WriteError::MissingHeader(_) | WriteError::Request(_) => Some(StatusCode::BAD_REQUEST),
            _ => None,
        }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::NotARequest => f.write_str("a response cannot be answered or forwarded"),
            WriteError::MissingHeader(name) => {
                write!(
                    f,
                    "the request has no {name} field, which a response copies"
                )
            }
            WriteError::FieldName => f.write_str("a field to add has a name that is not a token"),
            WriteError::LineBreak { value, at } => {
                write!(f, "{value} to write holds a CR or LF at byte {at}")
            }
            WriteError::ToTag => f.write_str("the To tag to add is empty or not a token"),
            WriteError::TooManyFields => {
                write!(f, "more than {MAX_EXTRA} fields added to a response")
            }
            WriteError::MaxForwardsZero { at } => write!(
                f,
                "Max-Forwards is 0 at byte {at}: not forwarded (483 Too Many Hops is owed)"
            ),
            WriteError::Request(e) => write!(f, "the request does not parse: {e}"),
            WriteError::NotAResponse => f.write_str("a request cannot be relayed as a response"),
            WriteError::NoVia => f.write_str("the response has no Via to remove"),
            WriteError::Response(e) => write!(f, "the response's first Via does not parse: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Request(e) | WriteError::Response(e) => Some(e),
            _ => None,
        }
    }
}

/// A response to a request, written as RFC 3261 §8.2.6 says: the status
/// line; every Via field, From, Call-ID and CSeq copied as they are; To
/// copied with a tag added when it has none (not on a 100, §8.2.6.2);
/// Timestamp copied on a 100 (§8.2.6.1); Record-Route copied on a 101–299
/// (§12.1.1); the caller's extra fields; Content-Length; the body.
///
/// ```
/// use bytes::BytesMut;
/// use sipline::{parse_head, ParserConfig, Response, StatusCode};
///
/// let req = b"INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776\r\n\
/// Max-Forwards: 70\r\nTo: Bob <sip:bob@biloxi.com>\r\nFrom: <sip:alice@atlanta.com>;tag=1928\r\n\
/// Call-ID: a84b@pc33\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
/// let head = parse_head(req, &ParserConfig::default())?.value().unwrap();
/// let mut out = BytesMut::new();
/// Response::new(&head, StatusCode::OK)
///     .to_tag("a6c85cf")
///     .header("Contact", b"<sip:bob@192.0.2.4>")
///     .write(&mut out)?;
/// let text = std::str::from_utf8(&out).unwrap();
/// assert!(text.starts_with("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776\r\n"));
/// assert!(text.contains("\r\nTo: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n"));
/// assert!(text.ends_with("Contact: <sip:bob@192.0.2.4>\r\nContent-Length: 0\r\n\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Response<'r, 'x> {
    request: &'r Head<'r>,
    status: StatusCode,
    reason: Option<&'x str>,
    to_tag: Option<&'x str>,
    extra: [Option<(&'x str, &'x [u8])>; MAX_EXTRA],
    too_many: bool,
    body: &'x [u8],
}

/// How many fields [`Response::header`] can add.
const MAX_EXTRA: usize = 8;

/// The fields a response copies from its request (§8.2.6.2).
const COPIED: [&str; 4] = ["Via", "From", "Call-ID", "CSeq"];

impl<'r, 'x> Response<'r, 'x> {
    /// A response with `status` to `request`; the reason phrase is the
    /// registry's unless [`reason`](Self::reason) sets one.
    pub fn new(request: &'r Head<'r>, status: StatusCode) -> Response<'r, 'x> {
        Response {
            request,
            status,
            reason: None,
            to_tag: None,
            extra: [None; MAX_EXTRA],
            too_many: false,
            body: b"",
        }
    }

    /// The reason phrase to write.
    pub const fn reason(mut self, reason: &'x str) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The tag to add to To when the request's To has none (a UAS picks
    /// one per dialog it creates, §19.3). Without one, such a To is copied
    /// as it is, which §8.2.6.2 allows only on a 100.
    pub const fn to_tag(mut self, tag: &'x str) -> Self {
        self.to_tag = Some(tag);
        self
    }

    /// Adds a field after the copied ones (up to 8; more is an error when
    /// writing). `name` must be a token; `value` may not hold CR or LF.
    pub fn header(mut self, name: &'x str, value: &'x [u8]) -> Self {
        match self.extra.iter_mut().find(|s| s.is_none()) {
            Some(slot) => *slot = Some((name, value)),
            // Remembered, and the error when writing.
            None => self.too_many = true,
        }
        self
    }

    /// The body (Content-Length is set from it; add Content-Type with
    /// [`header`](Self::header)).
    pub const fn body(mut self, body: &'x [u8]) -> Self {
        self.body = body;
        self
    }

    /// Appends the response to `out`; on an error, nothing. Errors (see
    /// [`WriteError`]): the request is a response, or lacks a field the
    /// response copies; an added field's name is not a token or its value
    /// holds CR or LF; the To tag is not a token; more than 8 added fields.
    pub fn write(&self, out: &mut BytesMut) -> Result<(), WriteError> {
        let req = self.request;
        if !matches!(req.start_line, StartLine::Request(_)) {
            return Err(WriteError::NotARequest);
        }
        if self.too_many {
            return Err(WriteError::TooManyFields);
        }
        for (name, value) in self.extra.iter().flatten() {
            if name.is_empty() || !name.bytes().all(is_token) {
                return Err(WriteError::FieldName);
            }
            no_line_break("an added field", value)?;
        }
        if let Some(tag) = self.to_tag {
            if tag.is_empty() || !tag.bytes().all(is_token) {
                return Err(WriteError::ToTag);
            }
        }
        let to = req.header("To").ok_or(WriteError::MissingHeader("To"))?;
        for name in COPIED {
            if req.header(name).is_none() {
                return Err(WriteError::MissingHeader(name));
            }
        }
        let code = self.status.as_u16();
        out.reserve(req.len() + self.body.len() + 64);
        out.put_slice(b"SIP/2.0 ");
        out.put_slice(itoa3(code).as_slice());
        out.put_u8(b' ');
        let reason = self
            .reason
            .or(self.status.canonical_reason())
            .unwrap_or_default();
        out.put_slice(reason.as_bytes());
        out.put_slice(b"\r\n");
        let dialog_creating = (101..=299).contains(&code);
        for f in req.headers() {
            let copy = COPIED.iter().any(|n| f.is(n))
                || (code == 100 && f.is("Timestamp"))
                || (dialog_creating && f.is("Record-Route"));
            if copy {
                put_line(out, req, f);
            } else if f.is("To") {
                put_line_without_end(out, req, f);
                // A 100 gets no tag (§8.2.6.2 allows one; §17.2.1: SHOULD NOT).
                if let (Some(tag), false, false) = (self.to_tag, code == 100, has_tag(req, to)) {
                    out.put_slice(b";tag=");
                    out.put_slice(tag.as_bytes());
                }
                out.put_slice(b"\r\n");
            }
        }
        for (name, value) in self.extra.iter().flatten() {
            out.put_slice(name.as_bytes());
            out.put_slice(b": ");
            out.put_slice(value);
            out.put_slice(b"\r\n");
        }
        put_content_length(out, self.body.len());
        out.put_slice(self.body);
        Ok(())
    }
}

/// `true` when the To field already carries a tag.
fn has_tag(req: &Head<'_>, to: HeaderField<'_>) -> bool {
    match req.get::<crate::header::To>() {
        Some(Ok(a)) => a.tag().is_some(),
        // Unparsable: look for the parameter's text, so as not to add a second.
        _ => to.value.windows(4).any(|w| w.eq_ignore_ascii_case(b"tag=")),
    }
}

/// `value` (named `what`) holds no CR or LF.
fn no_line_break(what: &'static str, value: &[u8]) -> Result<(), WriteError> {
    match value.iter().position(|&c| c == b'\r' || c == b'\n') {
        Some(at) => Err(WriteError::LineBreak { value: what, at }),
        None => Ok(()),
    }
}

/// A status code's three digits.
fn itoa3(code: u16) -> [u8; 3] {
    let d = |n: u16| b'0' + (n % 10) as u8;
    [d(code / 100), d(code / 10), d(code)]
}

/// The field's line as it stands in the head (folded lines included),
/// without its line end.
fn put_line_without_end(out: &mut BytesMut, head: &Head<'_>, f: HeaderField<'_>) {
    let bytes = head.as_bytes();
    let start = head.offset_of(f.name);
    let end = head.offset_of(f.value) + f.value.len();
    out.put_slice(bytes.get(start..end.max(start)).unwrap_or_default());
}

/// The field's line, then CRLF.
fn put_line(out: &mut BytesMut, head: &Head<'_>, f: HeaderField<'_>) {
    put_line_without_end(out, head, f);
    out.put_slice(b"\r\n");
}

fn put_content_length(out: &mut BytesMut, n: usize) {
    out.put_slice(b"Content-Length: ");
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.put_slice(digits.get(i..).unwrap_or_default());
    out.put_slice(b"\r\n\r\n");
}

/// The edits a proxy makes to a request it forwards (§16.6), written as a
/// new message: a new Request-URI (item 2, optional), Max-Forwards
/// decremented or added as 70 (item 3), a Record-Route value inserted
/// before the existing ones (item 4, optional), the first Route value
/// removed (§16.4, optional), a Via value pushed on top (item 8). Every
/// other line is copied as it is, and the body follows unchanged.
///
/// ```
/// use bytes::BytesMut;
/// use sipline::{parse_message, Forward, ParserConfig};
///
/// let req = b"INVITE sip:bob@biloxi.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776\r\n\
/// Max-Forwards: 70\r\nRoute: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n\
/// To: <sip:bob@biloxi.com>\r\nFrom: <sip:alice@atlanta.com>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\
/// Content-Length: 2\r\n\r\nhi";
/// let m = parse_message(req, &ParserConfig::default())?.value().unwrap();
/// let mut out = BytesMut::new();
/// Forward::new(&m.head)
///     .via(b"SIP/2.0/UDP p1.example.com;branch=z9hG4bK2d4790.1")
///     .pop_route()
///     .record_route(b"<sip:p1.example.com;lr>")
///     .write(&mut out, m.body)?;
/// let text = std::str::from_utf8(&out).unwrap();
/// assert!(text.contains("\r\nVia: SIP/2.0/UDP p1.example.com;branch=z9hG4bK2d4790.1\r\nVia: SIP/2.0/UDP pc33"));
/// assert!(text.contains("\r\nMax-Forwards: 69\r\n"));
/// assert!(text.contains("\r\nRoute: <sip:p2.example.com;lr>\r\n"));
/// assert!(text.contains("\r\nRecord-Route: <sip:p1.example.com;lr>\r\n"));
/// assert!(text.ends_with("Content-Length: 2\r\n\r\nhi"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Forward<'r, 'x> {
    request: &'r Head<'r>,
    uri: Option<&'x [u8]>,
    via: Option<&'x [u8]>,
    record_route: Option<&'x [u8]>,
    pop_route: bool,
    received: Option<(core::net::IpAddr, Option<u16>)>,
}

impl<'r, 'x> Forward<'r, 'x> {
    /// The request to forward.
    pub const fn new(request: &'r Head<'r>) -> Forward<'r, 'x> {
        Forward {
            request,
            uri: None,
            via: None,
            record_route: None,
            pop_route: false,
            received: None,
        }
    }

    /// Marks the request's own top Via with where it came from, as the
    /// server transport that received it does (§18.2.1, RFC 3581 §4):
    /// `;received=` the source address, and `;rport=` the source port when
    /// `rport` is given (an empty `rport` the client sent is replaced;
    /// giving it when the client sent none is what some proxies do over
    /// TCP, so that the response finds the connection). Any `received` or
    /// `rport` it had is replaced. The rest of the Via is copied.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sipline::{parse_message, Forward, ParserConfig};
    ///
    /// let req = b"OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33.example.com;rport;branch=z9hG4bK1, SIP/2.0/UDP p0\r\n\
    /// Max-Forwards: 70\r\nTo: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=1\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
    /// let m = parse_message(req, &ParserConfig::default())?.value().unwrap();
    /// let mut out = BytesMut::new();
    /// Forward::new(&m.head)
    ///     .via(b"SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1")
    ///     .received("192.0.2.7".parse()?, Some(4711))
    ///     .write(&mut out, m.body)?;
    /// let text = std::str::from_utf8(&out).unwrap();
    /// assert!(text.contains("\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1\r\n\
    /// Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1;received=192.0.2.7;rport=4711, SIP/2.0/UDP p0\r\n"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn received(mut self, addr: core::net::IpAddr, rport: Option<u16>) -> Self {
        self.received = Some((addr, rport));
        self
    }

    /// A new Request-URI (§16.6 item 2).
    pub const fn request_uri(mut self, uri: &'x [u8]) -> Self {
        self.uri = Some(uri);
        self
    }

    /// The Via value to push on top (§16.6 item 8): this proxy's sent-by
    /// and a new branch starting with `z9hG4bK`.
    pub const fn via(mut self, value: &'x [u8]) -> Self {
        self.via = Some(value);
        self
    }

    /// A Record-Route value to insert before the existing ones (§16.6 item 4).
    pub const fn record_route(mut self, value: &'x [u8]) -> Self {
        self.record_route = Some(value);
        self
    }

    /// Remove the first Route value (§16.4: it named this proxy).
    pub const fn pop_route(mut self) -> Self {
        self.pop_route = true;
        self
    }

    /// Appends the forwarded request and `body` to `out`; on an error,
    /// nothing. Errors (see [`WriteError`]): not a request; Max-Forwards of
    /// 0 (483 owed) or unparsable; a Route to pop that does not parse; a
    /// value to write holding CR or LF.
    pub fn write(&self, out: &mut BytesMut, body: &[u8]) -> Result<(), WriteError> {
        let req = self.request;
        let StartLine::Request(line) = req.start_line else {
            return Err(WriteError::NotARequest);
        };
        for (what, v) in [
            ("the Request-URI", self.uri),
            ("the Via", self.via),
            ("the Record-Route", self.record_route),
        ] {
            no_line_break(what, v.unwrap_or_default())?;
        }
        let max_forwards = match req.get::<crate::header::MaxForwards>() {
            Some(Ok(0)) => {
                let at = req
                    .header("Max-Forwards")
                    .map_or(0, |f| req.offset_of(f.value));
                return Err(WriteError::MaxForwardsZero { at: at as u64 });
            }
            Some(Ok(n)) => n - 1,
            Some(Err(e)) => return Err(WriteError::Request(e)),
            None => 70,
        };
        // The bytes of the first Route field that stay once its first value
        // is gone (None: the whole field goes).
        let mut route_rest: Option<Option<&[u8]>> = None;
        if self.pop_route {
            if let Some(f) = req.header("Route") {
                let mut values = crate::header::addr::parse_name_addrs(
                    f.value,
                    &crate::config::ParserConfig::lenient(),
                );
                values
                    .next()
                    .transpose()
                    .map_err(|e| WriteError::Request(e.shifted(req.offset_of(f.value) as u64)))?;
                let rest = values.remaining();
                route_rest = Some((!trim(rest).is_empty()).then_some(trim(rest)));
            }
        }
        // Checked before anything is written: on an error, nothing.
        if let (Some(_), Some(f)) = (self.received, req.header("Via")) {
            if let Some(Err(e)) = crate::header::parse_via(f.value).next() {
                return Err(WriteError::Request(
                    e.shifted(req.offset_of(f.value) as u64),
                ));
            }
        }
        out.reserve(req.len() + body.len() + 128);
        // Start line.
        out.put_slice(line.method.as_bytes());
        out.put_u8(b' ');
        out.put_slice(self.uri.unwrap_or(line.uri));
        out.put_slice(b" SIP/2.0\r\n");
        let mut via_done = self.via.is_none();
        let mut rr_done = self.record_route.is_none();
        let mut mf_done = false;
        let mut route_done = route_rest.is_none();
        let mut received_done = self.received.is_none();
        for f in req.headers() {
            if !via_done && f.is("Via") {
                put_field(out, "Via", self.via.unwrap_or_default());
                via_done = true;
            }
            if !received_done && f.is("Via") {
                received_done = true;
                if let Some((addr, rport)) = self.received {
                    if put_received_via(out, f.value, addr, rport) {
                        continue;
                    }
                }
            }
            if !rr_done && f.is("Record-Route") {
                put_field(out, "Record-Route", self.record_route.unwrap_or_default());
                rr_done = true;
            }
            if f.is("Max-Forwards") {
                if !mf_done {
                    put_number_field(out, "Max-Forwards", max_forwards);
                    mf_done = true;
                }
                continue;
            }
            if !route_done && f.is("Route") {
                route_done = true;
                if let Some(Some(rest)) = route_rest {
                    put_field(out, "Route", rest);
                }
                continue;
            }
            if f.is("Content-Length") {
                continue;
            }
            put_line(out, req, f);
        }
        if !via_done {
            put_field(out, "Via", self.via.unwrap_or_default());
        }
        if !rr_done {
            put_field(out, "Record-Route", self.record_route.unwrap_or_default());
        }
        if !mf_done {
            put_number_field(out, "Max-Forwards", max_forwards);
        }
        put_content_length(out, body.len());
        out.put_slice(body);
        Ok(())
    }
}

/// The Via field `value` with its first value marked `received` (and
/// `rport`); `false` (and nothing written) when that value does not parse.
fn put_received_via(
    out: &mut BytesMut,
    value: &[u8],
    addr: core::net::IpAddr,
    rport: Option<u16>,
) -> bool {
    use core::fmt::Write as _;
    let mut vias = crate::header::parse_via(value);
    let Some(Ok(first)) = vias.next() else {
        return false;
    };
    let rest = trim(vias.remaining());
    let _ = write!(
        out,
        "Via: {}/{}/{} {}",
        first.protocol, first.version, first.transport, first.host
    );
    if let Some(p) = first.port {
        let _ = write!(out, ":{p}");
    }
    for (name, v) in first.params() {
        if name.eq_ignore_ascii_case("received") || name.eq_ignore_ascii_case("rport") {
            continue;
        }
        let _ = match v {
            Some(v) => write!(out, ";{name}={v}"),
            None => write!(out, ";{name}"),
        };
    }
    // §25.1: `received` holds an IPv6 address without brackets.
    let _ = write!(out, ";received={addr}");
    if let Some(p) = rport {
        let _ = write!(out, ";rport={p}");
    }
    if !rest.is_empty() {
        out.put_slice(b", ");
        out.put_slice(rest);
    }
    out.put_slice(b"\r\n");
    true
}

/// A response relayed by a proxy towards the client (RFC 3261 §16.7 item
/// 3, and §16.11 for a stateless proxy): the first Via value, the proxy's
/// own, removed; every other line copied as it is; the body unchanged.
/// Send it to where the Via now on top says
/// ([`Via::reply_address`](crate::Via::reply_address)), or on the
/// connection the request came on.
///
/// ```
/// use bytes::BytesMut;
/// use sipline::{parse_message, ParserConfig, RelayResponse};
///
/// let resp = b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1, SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1\r\n\
/// To: <sip:b@example.com>;tag=2\r\nFrom: <sip:a@example.com>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
/// let m = parse_message(resp, &ParserConfig::default())?.value().unwrap();
/// let mut out = BytesMut::new();
/// RelayResponse::new(&m.head).write(&mut out, m.body)?;
/// let text = std::str::from_utf8(&out).unwrap();
/// assert!(text.contains("\r\nVia: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1\r\nTo:"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RelayResponse<'r> {
    response: &'r Head<'r>,
}

impl<'r> RelayResponse<'r> {
    /// The response to relay.
    pub const fn new(response: &'r Head<'r>) -> RelayResponse<'r> {
        RelayResponse { response }
    }

    /// Appends the response without its first Via value, and `body`, to
    /// `out`; on an error, nothing. Errors: not a response
    /// ([`WriteError::NotAResponse`]); no Via ([`WriteError::NoVia`]); a
    /// first Via value that does not parse ([`WriteError::Response`]).
    pub fn write(&self, out: &mut BytesMut, body: &[u8]) -> Result<(), WriteError> {
        let head = self.response;
        let StartLine::Status(_) = head.start_line else {
            return Err(WriteError::NotAResponse);
        };
        let Some(via) = head.header("Via") else {
            return Err(WriteError::NoVia);
        };
        let mut values = crate::header::parse_via(via.value);
        if let Some(Err(e)) = values.next() {
            return Err(WriteError::Response(
                e.shifted(head.offset_of(via.value) as u64),
            ));
        }
        let rest = trim(values.remaining());
        out.reserve(head.len() + body.len());
        let mut first_via = true;
        if let Some(line) = head.as_bytes().split_inclusive(|b| *b == b'\n').next() {
            out.put_slice(line);
        }
        for f in head.headers() {
            if first_via && f.is("Via") {
                first_via = false;
                if !rest.is_empty() {
                    put_field(out, "Via", rest);
                }
                continue;
            }
            if f.is("Content-Length") {
                continue;
            }
            put_line(out, head, f);
        }
        put_content_length(out, body.len());
        out.put_slice(body);
        Ok(())
    }
}

fn put_field(out: &mut BytesMut, name: &str, value: &[u8]) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

fn put_number_field(out: &mut BytesMut, name: &str, n: u8) {
    out.put_slice(name.as_bytes());
    out.put_slice(b": ");
    let d = [b'0' + n / 100, b'0' + (n / 10) % 10, b'0' + n % 10];
    let skip = if n >= 100 {
        0
    } else if n >= 10 {
        1
    } else {
        2
    };
    out.put_slice(d.get(skip..).unwrap_or_default());
    out.put_slice(b"\r\n");
}
