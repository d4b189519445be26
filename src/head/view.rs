//! The [`Head`] view: a head's start line and fields, borrowed, with the
//! lookups a proxy makes (raw fields by name and typed values).

use crate::config::ParserConfig;
use crate::error::Error;
use crate::header::addr::{tag_param, Contact, From, NameAddr, RecordRoute, Route, To};
use crate::header::call_id::CallId;
use crate::header::cseq::CSeq;
use crate::header::field::{expand_compact, names_equal, trim, HeaderField, Headers};
use crate::header::host::split_point;
use crate::header::max_forwards::MaxForwards;
use crate::header::reason::Reason;
use crate::header::typed::Header;
use crate::header::via::Via;
use crate::start::start_line::StartLine;

use super::index::HeaderIndex;
use super::span::{slice, span, StartMeta};

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

    /// The first value of the typed field `H`: the first field's value,
    /// or for a list field (Via, Contact, Route, Record-Route, Reason) the
    /// first value of all, the top one. `None` when the head has none.
    ///
    /// The typed lookups give error offsets from the head's first byte, and
    /// read addresses with the address leniency of the configuration that
    /// framed the head.
    ///
    /// ```
    /// use sipline::header::{self, CallId};
    /// use sipline::{parse_head, CSeq, ParserConfig, Via};
    ///
    /// let buf = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b\r\n\
    /// v: SIP/2.0/TCP c;received=192.0.2.1\r\ni: x@y\r\nCSeq: 7 INVITE\r\nl: 0\r\n\r\n";
    /// let head = parse_head(buf, &ParserConfig::default())?.value().unwrap();
    /// assert_eq!(head.get::<Via>().unwrap()?.branch(), Some("z9hG4bK1"));
    /// assert_eq!(head.get::<CallId>(), Some(Ok(&b"x@y"[..])));
    /// assert_eq!(head.get::<CSeq>().unwrap()?.method.as_str(), "INVITE");
    /// assert!(head.get::<header::Route>().is_none());
    /// # Ok::<(), sipline::Error>(())
    /// ```
    #[inline]
    pub fn get<H: Header + 'a>(&self) -> Option<Result<H::Value<'a>, Error>> {
        // The first field, straight from the index; a field with no value
        // (`Contact: *`) sends the lookup on to the next ones.
        let f = self.header(H::NAME)?;
        let at = self.offset_of(f.value) as u64;
        match H::parse(f.value, &self.typed_config()).next() {
            Some(r) => Some(r.map_err(|e| e.shifted(at))),
            None => self.get_all::<H>().next(),
        }
    }

    /// Every value of the typed field `H`, in order: every value of every
    /// field (`Via: a, b` and a second `v: c` give three), the top one
    /// first. A value that does not parse is an error item, and the
    /// field's later values are not read.
    ///
    /// ```
    /// use sipline::{parse_head, ParserConfig, Via};
    ///
    /// let buf = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b\r\n\
    /// v: SIP/2.0/TCP c;received=192.0.2.1\r\nl: 0\r\n\r\n";
    /// let head = parse_head(buf, &ParserConfig::default())?.value().unwrap();
    /// let hosts: Vec<String> = head.get_all::<Via>().map(|v| v.unwrap().host.to_string()).collect();
    /// assert_eq!(hosts, ["a", "b", "c"]);
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn get_all<H: Header + 'a>(
        &self,
    ) -> impl Iterator<Item = Result<H::Value<'a>, Error>> + 'a {
        let (cfg, base) = (self.typed_config(), self.bytes);
        self.headers_named(H::NAME).flat_map(move |f| {
            let at = span(base, f.value).0 as u64;
            H::parse(f.value, &cfg).map(move |r| r.map_err(|e| e.shifted(at)))
        })
    }

    /// How many Via values the head has (`Via: a, b` counts two), found by
    /// their commas outside quoted strings, without parsing them: what a
    /// count of proxy hops needs. On Vias that parse it equals
    /// `get_all::<Via>().count()`; a value that does not parse counts as one.
    ///
    /// ```
    /// use sipline::{parse_head, Parsed, ParserConfig, Via};
    ///
    /// let b = b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP p2;branch=z9hG4bK2, SIP/2.0/UDP p1;x=\"a,b\"\r\nv: SIP/2.0/TCP ua\r\n\r\n";
    /// let Parsed::Complete { value: head, .. } = parse_head(b, &ParserConfig::default())? else { panic!() };
    /// assert_eq!(head.via_count(), 3);
    /// assert_eq!(head.get_all::<Via>().count(), 3);
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

    /// The From tag, found without parsing the From value's URI (a quick
    /// path for transaction and dialog matching; `get::<header::From>()`
    /// checks the whole value). `None` when there is no From or no tag.
    pub fn from_tag(&self) -> Option<&'a str> {
        tag_param(self.header("From")?.value)
    }

    /// The To tag, as [`Head::from_tag`] finds it.
    pub fn to_tag(&self) -> Option<&'a str> {
        tag_param(self.header("To")?.value)
    }

    /// `true` when a Contact field is `*` (§10.2.2: remove every binding).
    pub fn contact_star(&self) -> bool {
        self.headers_named("Contact").any(|f| trim(f.value) == b"*")
    }

    /// Every Via value, in order.
    #[deprecated(since = "0.3.0", note = "use `get_all::<Via>()`")]
    pub fn vias(&self) -> impl Iterator<Item = Result<Via<'a>, Error>> + 'a {
        self.get_all::<Via<'a>>()
    }

    /// The top Via.
    #[deprecated(since = "0.3.0", note = "use `get::<Via>()`")]
    pub fn top_via(&self) -> Option<Result<Via<'a>, Error>> {
        self.get::<Via<'a>>()
    }

    /// The CSeq.
    #[deprecated(since = "0.3.0", note = "use `get::<CSeq>()`")]
    pub fn cseq(&self) -> Option<Result<CSeq<'a>, Error>> {
        self.get::<CSeq<'a>>()
    }

    /// The Call-ID's exact bytes.
    #[deprecated(since = "0.3.0", note = "use `get::<header::CallId>()`")]
    pub fn call_id(&self) -> Option<Result<&'a [u8], Error>> {
        self.get::<CallId>()
    }

    /// The Max-Forwards.
    #[deprecated(since = "0.3.0", note = "use `get::<header::MaxForwards>()`")]
    pub fn max_forwards(&self) -> Option<Result<u8, Error>> {
        self.get::<MaxForwards>()
    }

    /// The From address.
    #[deprecated(since = "0.3.0", note = "use `get::<header::From>()`")]
    pub fn from(&self) -> Option<Result<NameAddr<'a>, Error>> {
        self.get::<From>()
    }

    /// The To address.
    #[deprecated(since = "0.3.0", note = "use `get::<header::To>()`")]
    pub fn to(&self) -> Option<Result<NameAddr<'a>, Error>> {
        self.get::<To>()
    }

    /// Every Contact address (none for `Contact: *`).
    #[deprecated(since = "0.3.0", note = "use `get_all::<Contact>()`")]
    pub fn contacts(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + 'a {
        self.get_all::<Contact<'a>>()
    }

    /// Every Route address, in order.
    #[deprecated(since = "0.3.0", note = "use `get_all::<header::Route>()`")]
    pub fn routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + 'a {
        self.get_all::<Route>()
    }

    /// Every Record-Route address, in order.
    #[deprecated(since = "0.3.0", note = "use `get_all::<header::RecordRoute>()`")]
    pub fn record_routes(&self) -> impl Iterator<Item = Result<NameAddr<'a>, Error>> + 'a {
        self.get_all::<RecordRoute>()
    }

    /// Every Reason value, in order.
    #[deprecated(since = "0.3.0", note = "use `get_all::<Reason>()`")]
    pub fn reasons(&self) -> impl Iterator<Item = Result<Reason<'a>, Error>> + 'a {
        self.get_all::<Reason<'a>>()
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
