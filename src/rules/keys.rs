//! Transaction keys (RFC 3261 §17.1.3, §17.2.3) and dialog identifiers
//! (§12), borrowed from a message head without allocating.

use core::hash::{Hash, Hasher};

use crate::error::{Error, ErrorKind};
use crate::head::view::Head;
use crate::header::cseq::CSeq;
use crate::header::host::Host;
use crate::header::via::Via;
use crate::start::request_line::Method;
use crate::start::start_line::StartLine;

/// The branch prefix of RFC 3261 (§8.1.1.7): a branch that starts with it
/// was built to be unique, and names the transaction alone.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// The top Via's sent-by with the default port filled in (5060; 5061 for
/// TLS, §18.1.1). Hosts compare case-insensitively, ports as numbers.
#[derive(Clone, Copy, Debug)]
pub struct SentBy<'a> {
    /// The host.
    pub host: Host<'a>,
    /// The port, defaulted when the Via has none.
    pub port: u16,
}

impl<'a> SentBy<'a> {
    /// The sent-by of `via`, its port defaulted as §18.1.1 says.
    ///
    /// ```
    /// use sipline::{parse_via, SentBy};
    /// let via = parse_via(b"SIP/2.0/TLS Proxy.example.com").next().unwrap()?;
    /// assert_eq!(SentBy::of(&via).port, 5061);
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn of(via: &Via<'a>) -> SentBy<'a> {
        let default_port = if via.transport.eq_ignore_ascii_case("TLS") {
            5061
        } else {
            5060
        };
        SentBy {
            host: via.host,
            port: via.port.unwrap_or(default_port),
        }
    }
}

impl PartialEq for SentBy<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.port == other.port
            && match (self.host, other.host) {
                (Host::Name(a), Host::Name(b)) => a.eq_ignore_ascii_case(b),
                (a, b) => a == b,
            }
    }
}

impl Eq for SentBy<'_> {}

impl Hash for SentBy<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.port.hash(state);
        match self.host {
            Host::Name(n) => hash_folded(n.as_bytes(), state),
            other => other.hash(state),
        }
    }
}

/// Hashes `b` as if it were lower case, so that hashing agrees with
/// `eq_ignore_ascii_case`.
fn hash_folded<H: Hasher>(b: &[u8], state: &mut H) {
    state.write_usize(b.len());
    // Lowered a chunk at a time: one `write` per 32 bytes, not one per byte.
    let mut buf = [0u8; 32];
    for chunk in b.chunks(buf.len()) {
        let lower = &mut buf[..chunk.len()];
        lower.copy_from_slice(chunk);
        lower.make_ascii_lowercase();
        state.write(lower);
    }
}

/// A token compared as §7.3.1 says tokens compare: case-insensitively.
#[derive(Clone, Copy, Debug)]
pub struct Token<'a>(pub &'a str);

impl PartialEq for Token<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Token<'_> {}

impl Hash for Token<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_folded(self.0.as_bytes(), state);
    }
}

/// What names a transaction, as a passive observer or a stateful element
/// matches it (see the spec's §1.1). A request and each of its responses
/// give equal keys; the ACK for a non-2xx final gives its INVITE's key
/// (method `INVITE`); a CANCEL has its own (method `CANCEL`).
///
/// ```
/// use sipline::{parse_head, ParserConfig, TransactionKey};
///
/// let cfg = ParserConfig::default();
/// let req = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP pc.example.com;branch=z9hG4bK74bf9\r\n\
/// Call-ID: c1\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n\r\n";
/// let resp = b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP PC.example.com:5060;branch=z9hG4bK74BF9;received=192.0.2.1\r\n\
/// Call-ID: c1\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=9\r\n\r\n";
/// let a = parse_head(req, &cfg)?.value().unwrap();
/// let b = parse_head(resp, &cfg)?.value().unwrap();
/// assert_eq!(a.transaction_key()?, b.transaction_key()?);
/// assert!(matches!(a.transaction_key()?, TransactionKey::Rfc3261 { .. }));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionKey<'a> {
    /// The top Via branch starts with the magic cookie (§17.2.3).
    Rfc3261 {
        /// The top Via's branch, cookie included.
        branch: Token<'a>,
        /// The top Via's sent-by.
        sent_by: SentBy<'a>,
        /// The request's method (the CSeq method for a response), ACK as INVITE.
        method: Method<'a>,
    },
    /// No branch, or one without the cookie: an RFC 2543 peer (§17.2.3).
    /// The reduced key a response can match too: Call-ID, From tag, CSeq
    /// number, method and top Via sent-by. A server matching RFC 2543
    /// requests also compares the Request-URI and, but for ACK, the To tag.
    Rfc2543 {
        /// The Call-ID, compared byte for byte.
        call_id: &'a [u8],
        /// The From tag (RFC 2543 did not require one).
        from_tag: Option<Token<'a>>,
        /// The CSeq number.
        cseq: u32,
        /// The method, ACK as INVITE.
        method: Method<'a>,
        /// The top Via's sent-by.
        sent_by: SentBy<'a>,
    },
}

/// The dialog a message belongs to (§12): its Call-ID and the From and To
/// tags as they stand in this message. Which tag is local and which remote
/// depends on the side: see [`DialogId::local_remote`].
/// [`DialogId::same_dialog`] compares two messages whatever their direction.
///
/// ```
/// use sipline::{parse_head, DialogSide, ParserConfig};
///
/// let cfg = ParserConfig::default();
/// let bye_by_callee = b"BYE sip:a@h SIP/2.0\r\nCall-ID: c1\r\nFrom: <sip:b@h>;tag=9\r\nTo: <sip:a@h>;tag=1\r\n\r\n";
/// let ok = b"SIP/2.0 200 OK\r\nCall-ID: c1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=9\r\n\r\n";
/// let bye = parse_head(bye_by_callee, &cfg)?.value().unwrap().dialog_id()?;
/// let ok = parse_head(ok, &cfg)?.value().unwrap().dialog_id()?;
/// assert!(bye.same_dialog(&ok));
/// assert_eq!(ok.local_remote(DialogSide::Uac), (Some("1"), Some("9")));
/// assert_eq!(ok.local_remote(DialogSide::Uas), (Some("9"), Some("1")));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DialogId<'a> {
    /// The Call-ID, compared byte for byte (§8.1.1.4).
    pub call_id: &'a [u8],
    /// The From tag.
    pub from_tag: Option<&'a str>,
    /// The To tag (absent on a request outside a dialog).
    pub to_tag: Option<&'a str>,
}

/// Which end of a dialog is asking, for [`DialogId::local_remote`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialogSide {
    /// The side that sent the request carrying this From (§12.1.2: the
    /// local tag is the From tag).
    Uac,
    /// The side that received it (§12.1.1: the local tag is the To tag).
    Uas,
}

impl<'a> DialogId<'a> {
    /// `(local tag, remote tag)` as `side` holds them.
    pub const fn local_remote(&self, side: DialogSide) -> (Option<&'a str>, Option<&'a str>) {
        match side {
            DialogSide::Uac => (self.from_tag, self.to_tag),
            DialogSide::Uas => (self.to_tag, self.from_tag),
        }
    }

    /// `true` when both messages are in the same dialog, whichever side
    /// sent each: equal Call-IDs and the same pair of tags in either order
    /// (tags compare case-insensitively, §19.3; a missing tag is null).
    pub fn same_dialog(&self, other: &DialogId<'_>) -> bool {
        let eq = |a: Option<&str>, b: Option<&str>| match (a, b) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        };
        self.call_id == other.call_id
            && ((eq(self.from_tag, other.from_tag) && eq(self.to_tag, other.to_tag))
                || (eq(self.from_tag, other.to_tag) && eq(self.to_tag, other.from_tag)))
    }
}

/// An error for a header that must be there and is not. The offset is the
/// end of the head's fields, where it would have stood.
pub(crate) fn missing(head: &Head<'_>) -> Error {
    Error::at(ErrorKind::MissingHeader, head.fields_end())
}

impl<'a> Head<'a> {
    /// The first value of `H`, which the key needs: a missing field is
    /// [`missing`], a malformed one its error.
    fn required<H: crate::header::Header + 'a>(&self) -> Result<H::Value<'a>, Error> {
        self.get::<H>().ok_or_else(|| missing(self))?
    }

    /// The transaction this message belongs to (see [`TransactionKey`]):
    /// RFC 3261's key when the top Via branch carries the magic cookie, the
    /// RFC 2543 fallback otherwise. Errors: a missing or malformed top Via
    /// or CSeq (and Call-ID and From, for the fallback), offsets within the head.
    pub fn transaction_key(&self) -> Result<TransactionKey<'a>, Error> {
        let via = self.required::<crate::header::Via>()?;
        let cseq = self.required::<crate::header::CSeq>()?;
        self.transaction_key_of(&via, cseq)
    }

    /// [`transaction_key`](Self::transaction_key) from the top Via and the
    /// CSeq a caller has parsed already (a call engine reads the CSeq
    /// first, to know whether to look further; an exporter reads the Via
    /// for its branch), so that neither is parsed twice. `top_via` must be
    /// this head's first Via value and `cseq` its CSeq.
    ///
    /// ```
    /// use sipline::{parse_head, ParserConfig};
    ///
    /// let req = b"BYE sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 2 BYE\r\n\r\n";
    /// let head = parse_head(req, &ParserConfig::default())?.value().unwrap();
    /// let (via, cseq) = (head.get::<sipline::Via>().unwrap()?, head.get::<sipline::CSeq>().unwrap()?);
    /// assert_eq!(head.transaction_key_of(&via, cseq)?, head.transaction_key()?);
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn transaction_key_of(
        &self,
        via: &Via<'a>,
        cseq: CSeq<'a>,
    ) -> Result<TransactionKey<'a>, Error> {
        let method = match self.start_line {
            StartLine::Request(r) => r.method,
            StartLine::Status(_) => cseq.method,
        };
        let method = if method == *"ACK" {
            Method("INVITE")
        } else {
            method
        };
        let sent_by = SentBy::of(via);
        match via.branch() {
            Some(b) if b.starts_with(MAGIC_COOKIE) => Ok(TransactionKey::Rfc3261 {
                branch: Token(b),
                sent_by,
                method,
            }),
            _ => {
                let call_id = self.required::<crate::header::CallId>()?;
                let from = self.required::<crate::header::From>()?;
                Ok(TransactionKey::Rfc2543 {
                    call_id,
                    from_tag: from.tag().map(Token),
                    cseq: cseq.number,
                    method,
                    sent_by,
                })
            }
        }
    }

    /// The dialog this message belongs to (see [`DialogId`]). Errors: a
    /// missing or malformed Call-ID, From or To.
    pub fn dialog_id(&self) -> Result<DialogId<'a>, Error> {
        let call_id = self.required::<crate::header::CallId>()?;
        let from = self.required::<crate::header::From>()?;
        let to = self.required::<crate::header::To>()?;
        Ok(DialogId {
            call_id,
            from_tag: from.tag(),
            to_tag: to.tag(),
        })
    }
}

/// A branch for a request a stateless proxy forwards (RFC 3261 §16.11):
/// `z9hG4bK` and 16 hex digits of a hash of what names the request, so
/// that its retransmissions get the same branch, and so do its CANCEL and
/// the ACK of a non-2xx final response (they carry the INVITE's top Via
/// branch, §9.1, §17.1.1.3). `salt` is what else must vary the branch:
/// the Request-URI the proxy sends to, or its next hop (§16.11: the branch
/// varies with the destination). The hash is FNV-1a (64 bits), the same in
/// every process and version, so a restarted proxy keeps its branches.
///
/// What is hashed: the top Via's branch and sent-by when the branch has the
/// magic cookie (§8.1.1.7 makes it unique); else (an RFC 2543 client) the
/// To and From tags, Call-ID, CSeq number, Request-URI and the top Via as
/// sent. `None` for a response or a request with no Via (or a top Via
/// that does not parse).
///
/// ```
/// use sipline::{parse_head, stateless_branch, ParserConfig};
/// let cfg = ParserConfig::default();
/// let invite = parse_head(b"INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33;branch=z9hG4bK77\r\n\
/// CSeq: 1 INVITE\r\n\r\n", &cfg)?.value().unwrap();
/// let cancel = parse_head(b"CANCEL sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33;branch=z9hG4bK77\r\n\
/// CSeq: 1 CANCEL\r\n\r\n", &cfg)?.value().unwrap();
/// let a = stateless_branch(&invite, b"sip:b@192.0.2.4").unwrap();
/// assert!(a.as_str().starts_with("z9hG4bK") && a.as_str().len() == 23);
/// assert_eq!(a, stateless_branch(&cancel, b"sip:b@192.0.2.4").unwrap());
/// assert_ne!(a, stateless_branch(&invite, b"sip:b@192.0.2.5").unwrap());
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn stateless_branch(request: &Head<'_>, salt: &[u8]) -> Option<Branch> {
    stateless_branch_at(request, 0, salt)
}

/// [`stateless_branch`] as the proxy computed it when the Via value at
/// `index` (0: the top) was the request's top Via: what loop detection
/// compares (RFC 3261 §16.3 item 4). When a Via of this proxy's sent-by is
/// at `i`, the request passed here before: it has looped if that Via's
/// branch equals `stateless_branch_at(request, i + 1, salt)` for the same
/// destination, and it is spiralling (sent back on purpose, to another
/// destination) otherwise.
///
/// ```
/// use sipline::{parse_head, stateless_branch, stateless_branch_at, ParserConfig};
/// let cfg = ParserConfig::default();
/// let first = parse_head(b"INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP pc33;branch=z9hG4bK77\r\n\r\n", &cfg)?
///     .value().unwrap();
/// let mine = stateless_branch(&first, b"sip:b@192.0.2.4").unwrap();
/// // The request comes back through another proxy, to the same place.
/// let again = format!("INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP other;branch=z9hG4bK5\r\n\
///     Via: SIP/2.0/UDP me;branch={mine}\r\nVia: SIP/2.0/UDP pc33;branch=z9hG4bK77\r\n\r\n");
/// let again = parse_head(again.as_bytes(), &cfg)?.value().unwrap();
/// assert_eq!(stateless_branch_at(&again, 2, b"sip:b@192.0.2.4"), Some(mine));
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn stateless_branch_at(request: &Head<'_>, index: usize, salt: &[u8]) -> Option<Branch> {
    let StartLine::Request(line) = &request.start_line else {
        return None;
    };
    let top = request.get_all::<Via>().nth(index)?.ok()?;
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    match top.branch().map(|b| (&top, b)) {
        Some((v, b)) if b.starts_with(MAGIC_COOKIE) => {
            h.part(b.as_bytes());
            let s = SentBy::of(v);
            match s.host {
                Host::Name(n) => {
                    for c in n.bytes() {
                        h.byte(c.to_ascii_lowercase());
                    }
                    h.byte(0xff);
                }
                Host::Ipv4(a) => h.part(&a.octets()),
                Host::Ipv6(a) => h.part(&a.octets()),
            }
            h.part(&s.port.to_be_bytes());
        }
        _ => {
            h.part(request.to_tag().unwrap_or_default().as_bytes());
            h.part(request.from_tag().unwrap_or_default().as_bytes());
            h.part(
                request
                    .get::<crate::header::CallId>()
                    .and_then(Result::ok)
                    .unwrap_or_default(),
            );
            let number = request
                .get::<CSeq>()
                .and_then(Result::ok)
                .map_or(0, |c| c.number);
            h.part(&number.to_be_bytes());
            h.part(line.uri);
            use core::fmt::Write as _;
            let _ = write!(h, "{top}");
            h.byte(0xff);
        }
    }
    h.part(salt);
    let mut out = [0u8; 23];
    let (cookie, hex) = out.split_at_mut(MAGIC_COOKIE.len());
    cookie.copy_from_slice(MAGIC_COOKIE.as_bytes());
    let digits = b"0123456789abcdef";
    for (k, slot) in hex.iter_mut().enumerate() {
        let nibble = (h.0 >> (60 - 4 * k)) & 0xf;
        *slot = digits.get(nibble as usize).copied().unwrap_or(b'0');
    }
    Some(Branch(out))
}

/// FNV-1a, 64 bits, over length-prefixed parts.
struct Fnv(u64);

impl core::fmt::Write for Fnv {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            self.byte(b);
        }
        Ok(())
    }
}

impl Fnv {
    fn byte(&mut self, b: u8) {
        self.0 ^= u64::from(b);
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
    fn part(&mut self, bytes: &[u8]) {
        for b in (bytes.len() as u32).to_be_bytes() {
            self.byte(b);
        }
        for &b in bytes {
            self.byte(b);
        }
    }
}

/// A branch made by [`stateless_branch`]: `z9hG4bK` and 16 hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Branch([u8; 23]);

impl Branch {
    /// The branch as text.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or(MAGIC_COOKIE)
    }
}

impl core::fmt::Display for Branch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
