//! Message heads (start line, header fields, empty line): [`Head`], the
//! resumable line-at-a-time scanner behind every entry point, and
//! [`parse_head`] / [`parse_head_into`].

use ::nom::Err as NomErr;

use crate::addr::{parse_name_addr, parse_name_addrs, tag_param, NameAddr};
use crate::config::ParserConfig;
use crate::cseq::{parse_call_id, parse_cseq, parse_max_forwards, CSeq};
use crate::error::{Error, ErrorKind};
use crate::header::{
    check_field_line, content_length, expand_compact, is_content_length, names_equal, trim,
    HeaderField, Headers,
};
use crate::parsed::Parsed;
use crate::reason::{parse_reason, Reason};
use crate::request_line::{Method, RequestLine};
use crate::simd::find_line_stop;
use crate::start_line::{start_line, StartLine};
use crate::status::StatusCode;
use crate::status_line::{ReasonPhrase, StatusLine};
use crate::via::{parse_via, split_point, Via};

/// A message head: the start line and the header fields, borrowed.
///
/// ```
/// use sipline::{parse_head, ParserConfig};
///
/// let buf = b"SIP/2.0 180 Ringing\r\nv: SIP/2.0/UDP a\r\nCall-ID: x@y\r\nl: 0\r\n\r\n";
/// let head = parse_head(buf, &ParserConfig::default())?.value().unwrap();
/// assert_eq!(head.start_line.status().unwrap().code, 180);
/// assert_eq!(head.header_count(), 3);
/// assert_eq!(head.header("via").unwrap().value, b"SIP/2.0/UDP a");
/// assert_eq!(head.content_length(), Some(0));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Head<'a> {
    /// The request line or status line.
    pub start_line: StartLine<'a>,
    pub(crate) bytes: &'a [u8],
    pub(crate) fields: &'a [u8],
    pub(crate) header_count: usize,
    pub(crate) content_length: Option<u64>,
    pub(crate) loose_addresses: bool,
    pub(crate) index: HeaderIndex,
}

/// Two heads are equal when their bytes and what was read from them are;
/// the configuration they were read with does not count.
impl PartialEq for Head<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.start_line == other.start_line
            && self.bytes == other.bytes
            && self.fields == other.fields
            && self.header_count == other.header_count
            && self.content_length == other.content_length
    }
}

impl Eq for Head<'_> {}

impl<'a> Head<'a> {
    /// The configuration the typed lookups read with: strict, but for the
    /// address leniency of the configuration that framed this head.
    fn typed_config(&self) -> ParserConfig {
        ParserConfig::strict().allow_loose_addresses(self.loose_addresses)
    }

    /// The whole head: start line, header fields and the empty line.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The head's length in bytes, the empty line included.
    pub const fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Always `false`: a head has at least a start line.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The header fields in order, each once (folded lines joined).
    pub fn headers(&self) -> Headers<'a> {
        Headers::new(self.fields)
    }

    /// The number of header fields.
    pub const fn header_count(&self) -> usize {
        self.header_count
    }

    /// The first field named `name` (case-insensitive, compact forms known:
    /// `"Call-ID"` finds `i:`).
    pub fn header(&self, name: &str) -> Option<HeaderField<'a>> {
        // An indexed name: the slot's first field is the first of its class;
        // when it is the name asked for, that is the answer, with no walk.
        if let Some(slot) = self.index.get(name.as_bytes()) {
            if slot.count == 0 {
                return None;
            }
            let field = slot.field(self.bytes);
            if names_equal(field.name, name.as_bytes()) {
                return Some(field);
            }
        }
        self.headers_named(name).next()
    }

    /// Every field named `name`, in order.
    ///
    /// The scan that framed the head noted where the fields a proxy reads
    /// are (Via, From, To, Call-ID, CSeq, Max-Forwards, Contact, Route,
    /// Record-Route, Content-Type, Reason, Expires, Date, User-Agent,
    /// Server; compact forms included): the walk for one of them starts at its first field, stops
    /// after its last, and costs nothing when it is absent.
    pub fn headers_named<'n>(&self, name: &'n str) -> impl Iterator<Item = HeaderField<'a>> + 'n
    where
        'a: 'n,
    {
        let query = expand_compact(name.as_bytes()).map_or(name.as_bytes(), str::as_bytes);
        let (first, block, count) = match self.index.get(name.as_bytes()) {
            Some(slot) if slot.count == 0 => (None, &[][..], 0),
            // One field of this class: straight from the index, if it is
            // the one asked for.
            Some(slot) if slot.count == 1 => {
                let field = slot.field(self.bytes);
                let hit = expand_compact(field.name)
                    .map_or(field.name, str::as_bytes)
                    .eq_ignore_ascii_case(query);
                (hit.then_some(field), &[][..], 0)
            }
            Some(slot) => (
                None,
                self.bytes
                    .get(slot.name as usize..self.fields_end())
                    .unwrap_or_default(),
                usize::from(slot.count),
            ),
            None => (None, self.fields, usize::MAX),
        };
        first.into_iter().chain(
            Headers::new(block)
                .filter(move |h| {
                    let n = expand_compact(h.name).map_or(h.name, str::as_bytes);
                    n.len() == query.len() && n.eq_ignore_ascii_case(query)
                })
                .take(count),
        )
    }

    /// The Content-Length, when the head has one (several equal fields count
    /// as one; several different ones are an error before a head is made).
    pub const fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Where the header fields end: the offset of the empty line.
    pub(crate) fn fields_end(&self) -> usize {
        self.offset_of(self.fields) + self.fields.len()
    }

    /// The offset of `part` (a slice of this head) from the head's first byte.
    pub(crate) fn offset_of(&self, part: &[u8]) -> usize {
        span(self.bytes, part).0
    }

    /// Every Via value of every Via field (`Via` or `v`), in order: the top
    /// one first. Comma-separated values and repeated fields both count.
    ///
    /// The typed lookups of a head (`vias`, `cseq`, `from`, …) give error
    /// offsets from the head's first byte.
    ///
    /// ```
    /// use sipline::{parse_head, ParserConfig};
    ///
    /// let buf = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b\r\n\
    /// v: SIP/2.0/TCP c;received=192.0.2.1\r\nl: 0\r\n\r\n";
    /// let head = parse_head(buf, &ParserConfig::default())?.value().unwrap();
    /// let hosts: Vec<String> = head.vias().map(|v| v.unwrap().host.to_string()).collect();
    /// assert_eq!(hosts, ["a", "b", "c"]);
    /// assert_eq!(head.top_via().unwrap()?.branch(), Some("z9hG4bK1"));
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'a>, Error>> + 'a {
        let (cfg, base) = (self.typed_config(), self.bytes);
        self.headers_named("Via").flat_map(move |f| {
            let at = span(base, f.value).0 as u64;
            parse_via(f.value, &cfg).map(move |r| r.map_err(|e| e.shifted(at)))
        })
    }

    /// How many Via values the head has (`Via: a, b` counts two), found by
    /// their commas outside quoted strings, without parsing them: what a
    /// count of proxy hops needs. On Vias that parse it equals
    /// `vias().count()`; a value that does not parse counts as one.
    ///
    /// ```
    /// use sipline::{parse_head, Parsed, ParserConfig};
    ///
    /// let b = b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP p2;branch=z9hG4bK2, SIP/2.0/UDP p1;x=\"a,b\"\r\nv: SIP/2.0/TCP ua\r\n\r\n";
    /// let Parsed::Complete { value: head, .. } = parse_head(b, &ParserConfig::default())? else { panic!() };
    /// assert_eq!(head.via_count(), 3);
    /// assert_eq!(head.vias().count(), 3);
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn via_count(&self) -> usize {
        self.headers_named("Via")
            .map(|f| {
                let mut rest = f.value;
                let mut n = 1;
                while let Some(comma) = split_point(rest, b',') {
                    rest = rest.get(comma + 1..).unwrap_or_default();
                    if trim(rest).is_empty() {
                        break;
                    }
                    n += 1;
                }
                n
            })
            .sum()
    }

    /// The top Via, when there is one.
    pub fn top_via(&self) -> Option<Result<Via<'a>, Error>> {
        self.vias().next()
    }

    /// The CSeq, when the head has one (the first field).
    pub fn cseq(&self) -> Option<Result<CSeq<'a>, Error>> {
        self.header("CSeq").map(|f| {
            parse_cseq(f.value, &self.typed_config())
                .map_err(|e| e.shifted(self.offset_of(f.value) as u64))
        })
    }

    /// The Call-ID (`Call-ID` or `i`), when the head has one: its exact bytes.
    pub fn call_id(&self) -> Option<Result<&'a [u8], Error>> {
        self.header("Call-ID").map(|f| {
            parse_call_id(f.value, &self.typed_config())
                .map_err(|e| e.shifted(self.offset_of(f.value) as u64))
        })
    }

    /// The Max-Forwards, when the head has one.
    pub fn max_forwards(&self) -> Option<Result<u8, Error>> {
        self.header("Max-Forwards").map(|f| {
            parse_max_forwards(f.value, &self.typed_config())
                .map_err(|e| e.shifted(self.offset_of(f.value) as u64))
        })
    }

    /// The From address (`From` or `f`), when the head has one.
    ///
    /// ```
    /// use sipline::{parse_head, ParserConfig};
    ///
    /// let buf = b"BYE sip:b@h SIP/2.0\r\nf: <sip:a@h>;tag=x1\r\nt: \"B\" <sip:b@h>;tag=y2\r\n\r\n";
    /// let head = parse_head(buf, &ParserConfig::default())?.value().unwrap();
    /// assert_eq!(head.from().unwrap()?.tag(), Some("x1"));
    /// assert_eq!(head.to().unwrap()?.display_name, Some("B"));
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn from(&self) -> Option<Result<NameAddr<'a>, Error>> {
        self.header("From").map(|f| {
            parse_name_addr(f.value, &self.typed_config())
                .map_err(|e| e.shifted(self.offset_of(f.value) as u64))
        })
    }

    /// The From tag, found without parsing the From value's URI (a quick
    /// path for transaction and dialog matching; [`Head::from`] checks
    /// the whole value). `None` when there is no From or no tag.
    pub fn from_tag(&self) -> Option<&'a str> {
        tag_param(self.header("From")?.value)
    }

    /// The To tag, as [`Head::from_tag`] finds it.
    pub fn to_tag(&self) -> Option<&'a str> {
        tag_param(self.header("To")?.value)
    }

    /// The To address (`To` or `t`), when the head has one.
    pub fn to(&self) -> Option<Result<NameAddr<'a>, Error>> {
        self.header("To").map(|f| {
            parse_name_addr(f.value, &self.typed_config())
                .map_err(|e| e.shifted(self.offset_of(f.value) as u64))
        })
    }

    /// Every Contact address (`Contact` or `m`) of every Contact field, in
    /// order. `Contact: *` yields nothing here: see [`Head::contact_star`].
    pub fn contacts(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + 'a {
        let (cfg, base) = (self.typed_config(), self.bytes);
        self.headers_named("Contact")
            .filter(|f| trim(f.value) != b"*")
            .flat_map(move |f| {
                let at = span(base, f.value).0 as u64;
                parse_name_addrs(f.value, &cfg).map(move |r| r.map_err(|e| e.shifted(at)))
            })
    }

    /// `true` when a Contact field is `*` (§10.2.2: remove every binding).
    pub fn contact_star(&self) -> bool {
        self.headers_named("Contact").any(|f| trim(f.value) == b"*")
    }

    /// Every Route address, in order (the next hop first).
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + 'a {
        let (cfg, base) = (self.typed_config(), self.bytes);
        self.headers_named("Route").flat_map(move |f| {
            let at = span(base, f.value).0 as u64;
            parse_name_addrs(f.value, &cfg).map(move |r| r.map_err(|e| e.shifted(at)))
        })
    }

    /// Every Record-Route address, in order.
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + 'a {
        let (cfg, base) = (self.typed_config(), self.bytes);
        self.headers_named("Record-Route").flat_map(move |f| {
            let at = span(base, f.value).0 as u64;
            parse_name_addrs(f.value, &cfg).map(move |r| r.map_err(|e| e.shifted(at)))
        })
    }

    /// Every Reason value (RFC 3326) of every Reason field, in order.
    pub fn reasons(&self) -> impl Iterator<Item = Result<Reason<'a>, Error>> + 'a {
        let (cfg, base) = (self.typed_config(), self.bytes);
        self.headers_named("Reason").flat_map(move |f| {
            let at = span(base, f.value).0 as u64;
            parse_reason(f.value, &cfg).map(move |r| r.map_err(|e| e.shifted(at)))
        })
    }
}

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
fn span(base: &[u8], part: &[u8]) -> (usize, usize) {
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

/// A finished head scan: everything needed to rebuild the head without
/// looking at its bytes again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeadInfo {
    pub(crate) start: StartMeta,
    pub(crate) fields: (usize, usize),
    pub(crate) head_len: usize,
    pub(crate) header_count: usize,
    pub(crate) content_length: Option<u64>,
    pub(crate) loose_addresses: bool,
    pub(crate) index: HeaderIndex,
}

impl HeadInfo {
    /// What `head` was read as, with spans relative to its first byte.
    #[cfg(feature = "std")]
    pub(crate) fn of(head: &Head<'_>) -> HeadInfo {
        HeadInfo {
            start: StartMeta::of(head.bytes, &head.start_line),
            fields: span(head.bytes, head.fields),
            head_len: head.bytes.len(),
            header_count: head.header_count,
            content_length: head.content_length,
            loose_addresses: head.loose_addresses,
            index: head.index,
        }
    }

    pub(crate) fn head<'a>(&self, msg: &'a [u8]) -> Head<'a> {
        Head {
            start_line: self.start.resolve(msg),
            bytes: msg.get(..self.head_len).unwrap_or_default(),
            fields: slice(msg, self.fields),
            header_count: self.header_count,
            content_length: self.content_length,
            loose_addresses: self.loose_addresses,
            index: self.index,
        }
    }
}

/// The header fields a proxy reads, as the scan found them: for each, where
/// its first field's name starts and how many fields it has. Filled by
/// [`StreamDecoder`](crate::StreamDecoder) and kept in the
/// [`SipMessage`](crate::SipMessage).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HeaderIndex {
    slots: [Slot; SLOTS],
    /// `false` when the scan did not index (`parse_head_into`, whose caller
    /// has every field already): lookups then walk the fields.
    built: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Slot {
    /// Where the first field's name starts (from the message's start).
    name: u32,
    /// Where the first field ends (its value's last byte, line end excluded).
    end: u32,
    /// The name's length (indexed names are at most 12 bytes).
    name_len: u8,
    /// How many fields (saturating); 0: absent.
    count: u16,
}

/// The number of slots of a [`HeaderIndex`].
const SLOTS: usize = 15;

/// The slot a header name falls in, from its length and first letter alone
/// (a few instructions per field while scanning). Each indexed name (Via,
/// From, To, Call-ID, CSeq, Max-Forwards, Contact, Route, Record-Route,
/// Content-Type, Reason, Expires, Date, User-Agent, Server, and the compact
/// forms v, f, t, i, m, c) falls in its own slot; other names may share it, which is why a
/// lookup compares the name it finds there.
#[inline]
fn class_of(name: &[u8]) -> Option<usize> {
    let first = name.first()? | 0x20;
    let second = name.get(1).map_or(0, |c| c | 0x20);
    Some(match (name.len(), first) {
        (1, b'v') | (3, b'v') => 0,
        (1, b'f') | (4, b'f') => 1,
        (1, b't') | (2, b't') => 2,
        (1, b'i') => 3,
        (7, b'c') if second == b'a' => 3,
        (4, b'c') => 4,
        (12, b'm') => 5,
        (1, b'm') | (7, b'c') => 6,
        (5, b'r') => 7,
        (12, b'r') => 8,
        (1, b'c') | (12, b'c') => 9,
        (6, b'r') => 10,
        (7, b'e') => 11,
        (4, b'd') => 12,
        (10, b'u') => 13,
        (6, b's') => 14,
        _ => return None,
    })
}

impl Slot {
    /// The first field of the slot, from the head's bytes: the name, then
    /// the value after the colon, trimmed.
    fn field(self, bytes: &[u8]) -> HeaderField<'_> {
        let start = self.name as usize;
        let name_end = start + usize::from(self.name_len);
        let rest = slice(bytes, (name_end, self.end as usize));
        let colon = memchr::memchr(b':', rest).map_or(rest.len(), |c| c + 1);
        HeaderField {
            name: slice(bytes, (start, name_end)),
            value: trim(rest.get(colon..).unwrap_or_default()),
        }
    }
}

impl HeaderIndex {
    /// The slot of `name`'s class.
    fn get(&self, name: &[u8]) -> Option<Slot> {
        if !self.built {
            return None;
        }
        self.slots.get(class_of(name)?).copied()
    }
}

impl HeaderIndex {
    /// Notes a field: its name's span and where the field ends.
    #[inline]
    fn note(&mut self, msg: &[u8], name: (usize, usize), end: usize) {
        let Some(slot) = class_of(slice(msg, name)).and_then(|k| self.slots.get_mut(k)) else {
            return;
        };
        if slot.count == 0 {
            // Offsets fit: a head is far below 4 GiB (`max_head_len`); a
            // wrong span would only resolve to an empty slice.
            slot.name = name.0 as u32;
            slot.name_len = (name.1 - name.0) as u8;
            slot.end = end as u32;
        }
        slot.count = slot.count.saturating_add(1);
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct FieldAt {
    name: (usize, usize),
    value: usize,
    is_content_length: bool,
    /// A control byte (`chars::is_line_stop`) stands in one of its lines:
    /// only then is the value checked for controls outside quoted-pairs.
    has_control: bool,
}

/// Receives each header field as the head scan finishes it: the spans of its
/// name and of its value (white space around it removed).
pub(crate) trait FieldSink {
    /// `false` for the sink that ignores fields, so that no work is done for it.
    const WANTS: bool;
    fn field(
        &mut self,
        msg: &[u8],
        name: (usize, usize),
        value: (usize, usize),
    ) -> Result<(), Error>;
}

impl FieldSink for () {
    const WANTS: bool = false;
    #[inline(always)]
    fn field(&mut self, _: &[u8], _: (usize, usize), _: (usize, usize)) -> Result<(), Error> {
        Ok(())
    }
}

/// An incremental, line-at-a-time scan of a message head. Each call looks
/// only at bytes it has not looked at before (the search for the next LF
/// resumes where it stopped), so feeding a head one byte at a time costs
/// O(length) overall.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadScan {
    scanned: usize,
    pos: usize,
    start: Option<(StartMeta, usize)>,
    headers: usize,
    field: Option<FieldAt>,
    content_length: Option<u64>,
    early_checked: bool,
    /// The line being scanned holds a control byte before `scanned`.
    control_in_line: bool,
    index: HeaderIndex,
}

/// How many bytes of a partial start line are worth parsing before its line
/// end arrives: enough to reject a wrong version or status code early,
/// little enough that byte-at-a-time feeding stays linear.
const EARLY_START_CHECK: usize = 16;

impl HeadScan {
    /// A scan that indexes the proxy fields as it goes.
    pub(crate) fn new() -> HeadScan {
        let mut scan = HeadScan::default();
        scan.index.built = true;
        scan
    }

    /// A scan that does not index (its caller collects every field).
    pub(crate) fn without_index() -> HeadScan {
        HeadScan::default()
    }

    /// Scans `msg` (the message from its first byte on). `Ok(None)`: more
    /// bytes are needed. Errors carry offsets within `msg`.
    ///
    /// One pass of [`find_line_stop`] over the head finds each line end, any
    /// bare CR and any control byte in a value; only field names are looked
    /// at byte by byte, and only values that hold a control byte are looked
    /// at again (for quoted-pairs).
    pub(crate) fn advance(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
    ) -> Result<Option<HeadInfo>, Error> {
        self.advance_with(cfg, msg, &mut ())
    }

    /// [`advance`](Self::advance), handing each finished field to `sink`.
    #[inline]
    pub(crate) fn advance_with<S: FieldSink>(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
        sink: &mut S,
    ) -> Result<Option<HeadInfo>, Error> {
        loop {
            let mut from = self.scanned.max(self.pos);
            // The next CR or LF; control bytes on the way are noted.
            let at = loop {
                let hay = msg.get(from..).unwrap_or_default();
                let Some(k) = find_line_stop(hay) else {
                    self.scanned = msg.len();
                    return self.need_more(cfg, msg).map(|()| None);
                };
                match hay.get(k) {
                    Some(b'\r' | b'\n') => break from + k,
                    _ => {
                        self.control_in_line = true;
                        from += k + 1;
                    }
                }
            };
            // The line's content ends at `at`; `lf` is its last byte.
            let (lf, bare_cr) = match (msg.get(at), msg.get(at + 1)) {
                (Some(b'\r'), None) => {
                    self.scanned = at;
                    return self.need_more(cfg, msg).map(|()| None);
                }
                (Some(b'\r'), Some(b'\n')) => (at + 1, false),
                (Some(b'\r'), Some(_)) => (at + 1, true),
                _ => (at, false),
            };
            self.scanned = lf + 1;
            // Whether the line just ended holds a control byte.
            let control = core::mem::take(&mut self.control_in_line);
            let line_start = self.pos;
            let Some((start, start_len)) = self.start else {
                // The start-line parser gives the first error in the line.
                let line = msg.get(..=lf).unwrap_or_default();
                let parsed = match start_line(cfg, line) {
                    Ok((left, sl)) => (StartMeta::of(msg, &sl), line.len() - left.len()),
                    Err(NomErr::Error(e) | NomErr::Failure(e)) => return Err(e.to_error(line)),
                    Err(NomErr::Incomplete(_)) => return Err(Error::at(ErrorKind::LineEnd, lf)),
                };
                self.start = Some(parsed);
                self.pos = parsed.1;
                continue;
            };
            // The start line has its own limit (checked by its parser, as
            // when its line end has not arrived yet); the rest of the head this one.
            if lf >= cfg.max_head_len {
                return Err(Error::at(ErrorKind::HeadTooLarge, cfg.max_head_len));
            }
            let content = msg.get(line_start..at).unwrap_or_default();
            // A bad name is reported before a bare CR or bare LF after it.
            let field = match content.first() {
                None | Some(b' ' | b'\t') => None,
                Some(_) => {
                    Some(check_field_line(content).map_err(|e| e.shifted(line_start as u64))?)
                }
            };
            if bare_cr {
                return Err(Error::at(ErrorKind::LineEnd, lf));
            }
            if at == lf && !cfg.allow_lf_line_ends {
                return Err(Error::at(ErrorKind::LineEnd, lf));
            }
            match (content.first(), field) {
                (None, _) => {
                    self.finish_field(cfg, msg, line_start, sink)?;
                    return Ok(Some(HeadInfo {
                        start,
                        fields: (start_len, line_start),
                        head_len: lf + 1,
                        header_count: self.headers,
                        content_length: self.content_length,
                        loose_addresses: cfg.allow_loose_addresses,
                        index: self.index,
                    }));
                }
                (Some(_), None) => {
                    // A continuation line (folding, RFC 3261 §7.3.1).
                    match self.field.as_mut() {
                        Some(field) => field.has_control |= control,
                        None => return Err(Error::at(ErrorKind::HeaderName, line_start)),
                    }
                }
                (Some(_), Some((name, value_at))) => {
                    self.finish_field(cfg, msg, line_start, sink)?;
                    if self.headers >= cfg.max_headers {
                        return Err(Error::at(ErrorKind::TooManyHeaders, line_start));
                    }
                    self.headers += 1;
                    self.field = Some(FieldAt {
                        name: (line_start, line_start + name.len()),
                        value: line_start + value_at,
                        is_content_length: is_content_length(name),
                        has_control: control,
                    });
                }
            }
            self.pos = lf + 1;
        }
    }

    /// The fast path of a stream fed in small pieces: `true` when the bytes
    /// that came since the last call hold no CR, LF or control byte and no limit is
    /// reached, so that [`advance`](Self::advance) would only find that it
    /// needs more; they are noted as scanned. What it checks is what
    /// `advance` and `need_more` would check on those bytes. Only the
    /// stream decoder (`std`) feeds a head in pieces.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn nothing_new(&mut self, cfg: &ParserConfig, msg: &[u8]) -> bool {
        let from = self.scanned.max(self.pos);
        let Some(new) = msg.get(from..) else {
            return false;
        };
        // Any control byte (HTAB too: it is rare, and the general path
        // tells it apart) sends the bytes to `advance`.
        if new.len() > 16 || new.iter().any(|&b| b < 0x20 || b == 0x7f) {
            return false;
        }
        let start_ok = match self.start {
            Some(_) => true,
            // The start line's early check is done, and its limit is not reached.
            None => self.early_checked && msg.len() < cfg.max_line_len,
        };
        if !start_ok || msg.len() > cfg.max_head_len {
            return false;
        }
        self.scanned = msg.len();
        true
    }

    /// No line end in what is buffered: check the limits, and the start of a
    /// start line early.
    fn need_more(&mut self, cfg: &ParserConfig, msg: &[u8]) -> Result<(), Error> {
        if self.start.is_none() {
            // The first bytes of the start line are checked as they come, up
            // to EARLY_START_CHECK of them, however the stream was cut.
            if !self.early_checked {
                let window = msg.get(..EARLY_START_CHECK).unwrap_or(msg);
                if let Err(NomErr::Error(e) | NomErr::Failure(e)) = start_line(cfg, window) {
                    return Err(e.to_error(window));
                }
                self.early_checked = window.len() == EARLY_START_CHECK;
            }
            if msg.len() >= cfg.max_line_len {
                // Too long: the parser reports a syntax error before the
                // limit if there is one (as it would once the line end came).
                return match start_line(cfg, msg) {
                    Err(NomErr::Error(e) | NomErr::Failure(e)) => Err(e.to_error(msg)),
                    _ => Err(Error::at(ErrorKind::LineTooLong, cfg.max_line_len)),
                };
            }
        }
        if msg.len() > cfg.max_head_len {
            return Err(Error::at(ErrorKind::HeadTooLarge, cfg.max_head_len));
        }
        Ok(())
    }

    /// The input ends here: when it ends right after a complete line of a
    /// head whose start line was read, the head is taken to end there too
    /// (no empty line, no body).
    pub(crate) fn finish_at_end(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
    ) -> Result<Option<HeadInfo>, Error> {
        let Some((start, start_len)) = self.start else {
            return Ok(None);
        };
        if self.pos != msg.len() {
            return Ok(None);
        }
        self.finish_field(cfg, msg, msg.len(), &mut ())?;
        Ok(Some(HeadInfo {
            start,
            fields: (start_len, msg.len()),
            head_len: msg.len(),
            header_count: self.headers,
            content_length: self.content_length,
            loose_addresses: cfg.allow_loose_addresses,
            index: self.index,
        }))
    }

    /// The field that ended before `end`: take its Content-Length.
    #[inline(always)]
    fn finish_field<S: FieldSink>(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
        end: usize,
        sink: &mut S,
    ) -> Result<(), Error> {
        let Some(field) = self.field.take() else {
            return Ok(());
        };
        if self.index.built {
            self.index.note(msg, field.name, end);
        }
        if S::WANTS {
            let ws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\r' | b'\n'));
            let mut start = field.value;
            while start < end && ws(msg.get(start)) {
                start += 1;
            }
            let mut stop = end;
            while stop > start && ws(msg.get(stop - 1)) {
                stop -= 1;
            }
            sink.field(msg, field.name, (start, stop))?;
        }
        if field.has_control && !cfg.allow_controls_in_values {
            let value = msg.get(field.value..end).unwrap_or_default();
            if let Some(bad) = control_outside_quoted_pair(value) {
                return Err(Error::at(ErrorKind::HeaderValue, field.value + bad));
            }
        }
        if !field.is_content_length {
            return Ok(());
        }
        let value = msg.get(field.value..end).unwrap_or_default();
        let n =
            content_length(value, cfg.max_body_len).map_err(|e| e.shifted(field.value as u64))?;
        match self.content_length {
            Some(m) if m != n => Err(Error::at(ErrorKind::ContentLength, field.value)),
            _ => {
                self.content_length = Some(n);
                Ok(())
            }
        }
    }
}

/// The index of the first control byte of `value` (HTAB, and the CR/LF of
/// folded lines, excepted) that is not the second byte of a quoted-pair in a
/// quoted string (§25.1). One pass of a cheap test; quotes are tracked only
/// when a control byte is present.
fn control_outside_quoted_pair(value: &[u8]) -> Option<usize> {
    let is_ctl = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f;
    value.iter().position(|&b| is_ctl(b))?;
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        match b {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b if is_ctl(b) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses the message head at the start of `buf` (no leading CRLFs).
///
/// Checks the start line, every header line (name, colon, value bytes, line
/// ends, folding) and Content-Length; the header fields are then walked
/// with [`Head::headers`] without allocating.
pub fn parse_head<'b>(buf: &'b [u8], config: &ParserConfig) -> Result<Parsed<Head<'b>>, Error> {
    let mut scan = HeadScan::new();
    Ok(match scan.advance(config, buf)? {
        Some(info) => Parsed::Complete {
            value: info.head(buf),
            consumed: info.head_len,
        },
        None => Parsed::Incomplete { needed: None },
    })
}

/// [`parse_head`] that also fills `fields` with every header field, in
/// order, as the one checking pass finds it (httparse-style: no second walk).
/// Returns the head and how many fields were written; more fields than
/// `fields` holds is [`ErrorKind::TooManyHeaders`].
///
/// ```
/// use sipline::{parse_head_into, HeaderField, ParserConfig};
///
/// let buf = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a\r\nl: 0\r\n\r\n";
/// let mut fields = [HeaderField::EMPTY; 16];
/// let (head, n) = parse_head_into(buf, &ParserConfig::strict(), &mut fields)?.value().unwrap();
/// assert_eq!(n, 2);
/// assert_eq!(fields[0].value, b"SIP/2.0/UDP a");
/// assert!(fields[1].is("Content-Length"));
/// assert_eq!(head.content_length(), Some(0));
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_head_into<'b>(
    buf: &'b [u8],
    config: &ParserConfig,
    fields: &mut [HeaderField<'b>],
) -> Result<Parsed<(Head<'b>, usize)>, Error> {
    struct Fill<'b, 'f> {
        buf: &'b [u8],
        out: &'f mut [HeaderField<'b>],
        n: usize,
    }
    impl FieldSink for Fill<'_, '_> {
        const WANTS: bool = true;
        #[inline]
        fn field(
            &mut self,
            _: &[u8],
            name: (usize, usize),
            value: (usize, usize),
        ) -> Result<(), Error> {
            let Some(slot) = self.out.get_mut(self.n) else {
                return Err(Error::at(ErrorKind::TooManyHeaders, name.0));
            };
            *slot = HeaderField {
                name: slice(self.buf, name),
                value: slice(self.buf, value),
            };
            self.n += 1;
            Ok(())
        }
    }
    let mut fill = Fill {
        buf,
        out: fields,
        n: 0,
    };
    let mut scan = HeadScan::without_index();
    Ok(match scan.advance_with(config, buf, &mut fill)? {
        Some(info) => Parsed::Complete {
            value: (info.head(buf), fill.n),
            consumed: info.head_len,
        },
        None => Parsed::Incomplete { needed: None },
    })
}
