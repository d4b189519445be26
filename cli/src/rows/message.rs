//! The message row: one SIP message (or one that did not parse) as
//! `export` writes it, its columns declared once; and [`RowMaker`], which
//! makes the rows with a row thread's memos (From/To and top-Via values
//! parsed once per distinct value, addresses formatted once), bounded.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::BuildHasher;

use sipline::SentBy;
use sipline::{Error, Message, StartLine};
use sipline_calls::{message_key_with, MessageParts, ViaIdentity};
use sipline_capture::Location;

use super::record::{record, Lossy, Seconds};
use super::table::{Batch, Field};
use crate::json::Lookup;

record! {
    /// A message's row. HOMER 11's names where it has the column
    /// (`timestamp`, `src_ip`, `dst_ip`, `src_port`, `dst_port`, `protocol`,
    /// `method`, `response_code`, `cid`, `cseq_method`, `caller`, `callee`,
    /// `from_user`, `to_user`, `ruri_user`, `user_agent`, `payload`); the
    /// rest are the CLI's JSON vocabulary. `payload` (the last) only with
    /// `--payload`.
    pub struct MessageRow<'a> {
        timestamp: Seconds = plain,
        src_ip: Option<&'a str> = plain,
        src_port: Option<i32> = plain,
        dst_ip: Option<&'a str> = plain,
        dst_port: Option<i32> = plain,
        protocol: Option<&'a str> = dict,
        file: Option<&'a str> = req_dict,
        frame: Option<i64> = plain,
        offset: Option<i64> = req,
        kind: Option<&'a str> = req_dict,
        method: Option<&'a str> = dict,
        response_code: Option<i32> = plain,
        reason: Lossy<'a> = dict,
        ruri: Lossy<'a> = plain,
        ruri_user: Option<&'a str> = plain,
        cid: Lossy<'a> = plain,
        cseq: Option<i64> = plain,
        cseq_method: Option<&'a str> = dict,
        caller: Option<&'a str> = plain,
        from_user: Option<&'a str> = plain,
        from_host: Option<&'a str> = dict,
        from_tag: Option<&'a str> = plain,
        callee: Option<&'a str> = plain,
        to_user: Option<&'a str> = plain,
        to_host: Option<&'a str> = dict,
        to_tag: Option<&'a str> = plain,
        branch: Option<&'a str> = plain,
        user_agent: Lossy<'a> = dict,
        max_forwards: Option<i32> = plain,
        content_type: Lossy<'a> = dict,
        body_len: Option<i64> = plain,
        msg_len: Option<i64> = plain,
        retransmission: Option<bool> = plain,
        error_kind: Option<&'a str> = dict,
        error: Option<&'a str> = plain,
        payload: Option<&'a str> = plain,
    }
}

/// The columns of message rows without `payload` (the last).
pub fn message_fields(payload: bool) -> &'static [Field] {
    let all = MessageRow::FIELDS;
    if payload {
        all
    } else {
        all.get(..all.len() - 1).unwrap_or(all)
    }
}

/// The column of `retransmission`, which the writer sets once it knows.
pub const RETRANSMISSION_COL: usize = MessageRow::column("retransmission");

/// The fields of a message a row and its retransmission key need, each
/// parsed once.
pub(crate) struct Fields<'a> {
    call_id: Option<&'a [u8]>,
    cseq: Option<sipline::CSeq<'a>>,
    /// From and To, parsed (through [`AddrCache`]).
    from: Option<usize>,
    to: Option<usize>,
    /// The top Via (through [`Memos::branches`]).
    branch: Option<usize>,
    agent: Option<&'a [u8]>,
}

/// A row thread's memos.
#[derive(Default)]
struct Memos {
    addrs: AddrCache,
    /// Top Vias, by the first Via field's value: the branch (`None`: a Via
    /// without one) and what the Via gives the message's identity.
    branches: Memo<TopVia>,
    ips: IpText,
}

impl<'a> Fields<'a> {
    fn of(head: &impl Lookup<'a>, memo: &mut Memos) -> Self {
        let Memos {
            addrs,
            branches,
            ips,
        } = memo;
        addrs.trim();
        branches.trim();
        // User-Agent, else Server (both indexed by the head scan).
        let agent = head
            .header("User-Agent")
            .or_else(|| head.header("Server"))
            .map(|h| h.value);
        Fields {
            call_id: head.get::<sipline::header::CallId>().and_then(Result::ok),
            cseq: head.get::<sipline::CSeq>().and_then(Result::ok),
            from: head.header("From").and_then(|f| {
                addrs.get(f.value, || {
                    head.get::<sipline::header::From>()
                        .and_then(Result::ok)
                        .map(|a| AddrCache::make(a, ips))
                })
            }),
            to: head.header("To").and_then(|t| {
                addrs.get(t.value, || {
                    head.get::<sipline::header::To>()
                        .and_then(Result::ok)
                        .map(|a| AddrCache::make(a, ips))
                })
            }),
            branch: head.header("Via").and_then(|v| {
                branches.get(v.value, || {
                    head.get::<sipline::Via>().and_then(Result::ok).map(|v| {
                        let branch = v.branch();
                        TopVia {
                            identity: ViaIdentity::from_parts(SentBy::of(&v), branch),
                            branch: branch.map(Box::from),
                        }
                    })
                })
            }),
            agent,
        }
    }

    /// The message's identity for retransmission marks
    /// ([`sipline_calls::message_key`]), from the memoised top Via: `None`
    /// without a Call-ID, CSeq or top Via that parse.
    fn key(&self, at: &Location<'_>, start: &StartLine<'_>, memo: &Memos) -> Option<u64> {
        let addrs = &memo.addrs;
        let parts = MessageParts {
            via: memo.branches.item(self.branch)?.identity,
            cseq: self.cseq?,
            call_id: self.call_id?,
            from_tag: addrs.addr(self.from).and_then(|a| a.tag.as_deref()),
            to_tag: addrs.addr(self.to).and_then(|a| a.tag.as_deref()),
        };
        Some(message_key_with(at.flow, start, &parts))
    }
}

/// What a row takes from a top Via.
struct TopVia {
    branch: Option<Box<str>>,
    identity: ViaIdentity,
}

/// A From or To value's parts, as text.
struct Addr {
    uri: Box<str>,
    user: Option<Box<str>>,
    host: Option<Box<str>>,
    tag: Option<Box<str>>,
}

/// Header values parsed lately, by their bytes. A dialog's messages repeat
/// their From and To byte for byte (the To gains its tag once), and a
/// transaction's responses repeat its request's Via; parsing one (URI,
/// host, parameters) costs far more than finding it here. Bounded:
/// emptied past [`Memo::MAX`] values.
struct Memo<T> {
    index: HashMap<u64, usize, foldhash::fast::FixedState>,
    /// Each value as sent (compared in full on a hit) and what it gave.
    items: Vec<(Box<[u8]>, T)>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            index: HashMap::default(),
            items: Vec::new(),
        }
    }
}

impl<T> Memo<T> {
    const MAX: usize = 4096;

    /// Empties the memo once it holds [`Memo::MAX`] values. Called between
    /// messages only: the indices a message's fields hold stay valid until
    /// its row is made.
    fn trim(&mut self) {
        if self.items.len() >= Self::MAX {
            self.index.clear();
            self.items.clear();
        }
    }

    /// The item made of `raw`; `make` makes it when `raw` is not known
    /// (`None`: the value does not parse, and is not kept).
    fn get(&mut self, raw: &[u8], make: impl FnOnce() -> Option<T>) -> Option<usize> {
        let key = foldhash::fast::FixedState::with_seed(7).hash_one(raw);
        if let Some(&i) = self.index.get(&key) {
            if self.items.get(i).is_some_and(|(r, _)| **r == *raw) {
                return Some(i);
            }
        }
        let item = make()?;
        self.items.push((raw.into(), item));
        self.index.insert(key, self.items.len() - 1);
        Some(self.items.len() - 1)
    }

    fn item(&self, i: Option<usize>) -> Option<&T> {
        self.items.get(i?).map(|(_, t)| t)
    }
}

/// From and To addresses, parsed.
type AddrCache = Memo<Addr>;

impl Memo<Addr> {
    /// The address `a` as text (its host through `ips`).
    fn make(a: sipline::NameAddr<'_>, ips: &mut IpText) -> Addr {
        let mut host = String::new();
        Addr {
            uri: a.uri.as_str().into(),
            user: a.uri.user.map(Box::from),
            host: host_text(a.uri.host, ips, &mut host).map(Box::from),
            tag: a.tag().map(Box::from),
        }
    }

    fn addr(&self, i: Option<usize>) -> Option<&Addr> {
        self.item(i)
    }
}

/// Text of the addresses seen, so that each is formatted once.
#[derive(Default)]
struct IpText {
    index: HashMap<std::net::IpAddr, usize, foldhash::fast::FixedState>,
    texts: Vec<Box<str>>,
    /// The last two addresses asked for (a row's source and destination
    /// are mostly the previous row's), found without hashing.
    recent: [Option<(std::net::IpAddr, usize)>; 2],
    turn: usize,
}

impl IpText {
    /// The most addresses kept (the cache is emptied past it).
    const MAX: usize = 4096;

    /// The place of `ip`'s text, formatted on its first use.
    fn id(&mut self, ip: std::net::IpAddr) -> usize {
        let hit = self
            .recent
            .iter()
            .flatten()
            .find(|(a, _)| *a == ip)
            .map(|&(_, i)| i);
        let i = match hit {
            Some(i) => i,
            None => {
                if self.texts.len() >= Self::MAX && !self.index.contains_key(&ip) {
                    self.index.clear();
                    self.texts.clear();
                    self.recent = [None, None];
                }
                let texts = &mut self.texts;
                let i = *self.index.entry(ip).or_insert_with(|| {
                    texts.push(ip.to_string().into_boxed_str());
                    texts.len() - 1
                });
                if let Some(slot) = self.recent.get_mut(self.turn) {
                    *slot = Some((ip, i));
                }
                self.turn ^= 1;
                i
            }
        };
        i
    }

    /// The text at a place [`IpText::id`] gave.
    fn text(&self, i: usize) -> &str {
        self.texts.get(i).map_or("", |t| t)
    }

    /// `ip` as text.
    fn get(&mut self, ip: std::net::IpAddr) -> &str {
        let i = self.id(ip);
        self.text(i)
    }
}

/// A host as text in `buf`: a name as sent, an IPv4 address from the
/// cache, an IPv6 reference formatted.
fn host_text<'t>(
    host: Option<sipline::Host<'_>>,
    ips: &mut IpText,
    buf: &'t mut String,
) -> Option<&'t str> {
    buf.clear();
    match host? {
        sipline::Host::Name(n) => buf.push_str(n),
        sipline::Host::Ipv4(a) => buf.push_str(ips.get(a.into())),
        other => {
            let _ = write!(buf, "{other}");
        }
    }
    Some(buf.as_str())
}

/// Builds message rows: one thread's caches and buffers.
#[derive(Default)]
pub struct RowMaker {
    /// Add the raw message.
    payload: bool,
    /// How malformed messages are read for what they still hold.
    config: sipline::ParserConfig,
    /// The payload's text.
    text: String,
    memo: Memos,
}

impl RowMaker {
    /// A row maker; `payload`: rows carry the raw message; `config`: the
    /// run's parser configuration.
    pub fn new(payload: bool, config: sipline::ParserConfig) -> RowMaker {
        RowMaker {
            payload,
            config,
            ..RowMaker::default()
        }
    }

    /// Adds `msg`'s row to `batch`, `retransmission` false; its
    /// transaction key, for the caller to mark retransmissions in order.
    pub fn message(
        &mut self,
        batch: &mut Batch,
        at: &Location<'_>,
        msg: &Message<'_>,
        wire_len: usize,
    ) -> Option<u64> {
        let head = &msg.head;
        let f = Fields::of(head, &mut self.memo);
        let key = f.key(at, &head.start_line, &self.memo);
        if self.payload {
            self.text.clear();
            self.text
                .push_str(&String::from_utf8_lossy(head.as_bytes()));
            self.text.push_str(&String::from_utf8_lossy(msg.body));
        }
        let ips = &mut self.memo.ips;
        let flow = FlowText::of(at, ips);
        let kind = match head.start_line {
            StartLine::Request(_) => "request",
            StartLine::Status(_) => "response",
        };
        let base = MessageRow {
            kind: Some(kind),
            body_len: Some(msg.body.len() as i64),
            msg_len: Some(wire_len as i64),
            retransmission: Some(false),
            payload: self.payload.then_some(self.text.as_str()),
            ..flow.row(at, &self.memo.ips)
        };
        read_columns(base, head, Some(head.start_line), &f, &self.memo).put(batch);
        key
    }

    /// Adds the row of a malformed message: `kind` "error", what was
    /// wrong, and every column that can still be read of `bytes` (what was
    /// read of it from its first byte, [`sipline::salvage`]): method or
    /// code, Call-ID, CSeq, From and To, branch, agent.
    pub fn malformed(&mut self, batch: &mut Batch, at: &Location<'_>, err: &Error, bytes: &[u8]) {
        let salvaged = sipline::salvage(bytes, &self.config);
        let f = Fields::of(&salvaged, &mut self.memo);
        if self.payload {
            self.text.clear();
            self.text.push_str(&String::from_utf8_lossy(bytes));
        }
        let ips = &mut self.memo.ips;
        let flow = FlowText::of(at, ips);
        let text = err.to_string();
        let start = salvaged.start_line();
        let mut row = MessageRow {
            kind: Some("error"),
            error_kind: Some(err.kind().name()),
            error: Some(&text),
            payload: (self.payload && !bytes.is_empty()).then_some(self.text.as_str()),
            ..flow.row(at, &self.memo.ips)
        };
        if start.is_none() {
            // The start line did not parse: its method or code may still.
            row.method = salvaged.method().map(|m| m.as_str());
            row.response_code = salvaged.code().map(|c| i32::from(c.as_u16()));
        }
        read_columns(row, &salvaged, start, &f, &self.memo).put(batch);
    }
}

/// `base` with the columns read from a head (or what was salvaged of
/// one): the start line's (when there is one; else `base`'s method and
/// code stand), Call-ID, CSeq, From, To, branch, agent, Max-Forwards,
/// Content-Type. `kind` is the caller's.
fn read_columns<'r>(
    base: MessageRow<'r>,
    head: &impl Lookup<'r>,
    start: Option<StartLine<'r>>,
    f: &Fields<'r>,
    memo: &'r Memos,
) -> MessageRow<'r> {
    // The start line's columns when it parsed; else what `base` says.
    let (method, code, reason, ruri) = match start {
        Some(StartLine::Request(r)) => (Some(r.method.as_str()), None, None, Some(r.uri)),
        Some(StartLine::Status(s)) => (
            None,
            Some(i32::from(s.code.as_u16())),
            Some(s.reason.as_bytes()),
            None,
        ),
        None => (base.method, base.response_code, None, None),
    };
    let ruri_user = ruri
        .and_then(|u| sipline::parse_uri(u).ok())
        .and_then(|u| u.user);
    let max_forwards = head
        .get::<sipline::header::MaxForwards>()
        .and_then(Result::ok);
    let (from, to) = (memo.addrs.addr(f.from), memo.addrs.addr(f.to));
    MessageRow {
        method,
        response_code: code,
        reason: Lossy(reason),
        ruri: Lossy(ruri),
        ruri_user,
        cid: Lossy(f.call_id),
        cseq: f.cseq.map(|c| i64::from(c.number)),
        cseq_method: f.cseq.map(|c| c.method.as_str()),
        caller: from.map(|a| &*a.uri),
        from_user: from.and_then(|a| a.user.as_deref()),
        from_host: from.and_then(|a| a.host.as_deref()),
        from_tag: from.and_then(|a| a.tag.as_deref()),
        callee: to.map(|a| &*a.uri),
        to_user: to.and_then(|a| a.user.as_deref()),
        to_host: to.and_then(|a| a.host.as_deref()),
        to_tag: to.and_then(|a| a.tag.as_deref()),
        branch: memo
            .branches
            .item(f.branch)
            .and_then(|v| v.branch.as_deref()),
        user_agent: Lossy(f.agent),
        max_forwards: max_forwards.map(i32::from),
        content_type: Lossy(head.header("Content-Type").map(|h| h.value)),
        ..base
    }
}

/// Where a message was, as the addresses' places in [`IpText`].
struct FlowText {
    src: Option<usize>,
    dst: Option<usize>,
}

impl FlowText {
    fn of(at: &Location<'_>, ips: &mut IpText) -> FlowText {
        FlowText {
            src: at.flow.map(|f| ips.id(f.src.ip())),
            dst: at.flow.map(|f| ips.id(f.dst.ip())),
        }
    }

    /// A row with the location's columns filled: time, addresses,
    /// protocol, file, frame, offset.
    fn row<'a>(&self, at: &Location<'a>, ips: &'a IpText) -> MessageRow<'a> {
        MessageRow {
            timestamp: Seconds(at.time),
            src_ip: self.src.map(|i| ips.text(i)),
            src_port: at.flow.map(|f| f.src.port().into()),
            dst_ip: self.dst.map(|i| ips.text(i)),
            dst_port: at.flow.map(|f| f.dst.port().into()),
            protocol: at.flow.map(|f| f.transport.name()),
            file: Some(at.file),
            frame: at.frame.and_then(|n| i64::try_from(n).ok()),
            offset: i64::try_from(at.offset).ok(),
            ..MessageRow::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_formatted_once_and_bounded() {
        let mut ips = IpText::default();
        let a: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8::2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(ips.get(a), "192.0.2.1");
            assert_eq!(ips.get(b), "2001:db8::2");
        }
        assert_eq!(ips.texts.len(), 2);
        for n in 0..5000u32 {
            let ip = std::net::IpAddr::from(n.to_be_bytes());
            assert_eq!(ips.get(ip), ip.to_string());
        }
        assert!(ips.texts.len() <= IpText::MAX);
        assert_eq!(ips.get(a), "192.0.2.1");
    }

    #[test]
    fn addresses_are_parsed_once_per_value_and_bounded() {
        let cfg = sipline::ParserConfig::lenient();
        let (mut cache, mut ips) = (AddrCache::default(), IpText::default());
        let v = b"\"A\" <sip:alice@192.0.2.1:5060>;tag=t1";
        let mut parse = |raw: &[u8]| {
            sipline::parse_name_addr(raw, &cfg)
                .ok()
                .map(|a| AddrCache::make(a, &mut ips))
        };
        let i = cache.get(v, || parse(v)).unwrap();
        // Known now: the parser is not asked again.
        assert_eq!(cache.get(v, || None), Some(i));
        let a = cache.addr(Some(i)).unwrap();
        assert_eq!(
            (
                &*a.uri,
                a.user.as_deref(),
                a.host.as_deref(),
                a.tag.as_deref()
            ),
            (
                "sip:alice@192.0.2.1:5060",
                Some("alice"),
                Some("192.0.2.1"),
                Some("t1")
            )
        );
        // Another value is another entry; one that does not parse is none.
        let w = b"<sip:bob@example.com>";
        let j = cache.get(w, || parse(w));
        assert_ne!(j, Some(i));
        assert_eq!(cache.addr(j).and_then(|a| a.tag.as_deref()), None);
        assert_eq!(cache.get(b"<bad", || None), None);
        for n in 0..5000 {
            let raw = format!("<sip:u{n}@h>");
            cache.trim();
            let k = cache.get(raw.as_bytes(), || parse(raw.as_bytes()));
            assert_eq!(cache.addr(k).map(|a| &*a.uri), Some(&raw[1..raw.len() - 1]));
        }
        assert!(cache.items.len() <= AddrCache::MAX);
    }

    /// A message's From and To stay its own when the memo fills up in
    /// between (it is emptied between messages, never inside one).
    #[test]
    fn a_full_memo_keeps_the_fields_of_the_message() {
        let mut memo = Memos::default();
        for n in 0..AddrCache::MAX - 1 {
            let raw = format!("<sip:u{n}@h>");
            memo.addrs.get(raw.as_bytes(), || {
                Some(Addr {
                    uri: raw.clone().into(),
                    user: None,
                    host: None,
                    tag: None,
                })
            });
        }
        let buf = b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\
            From: <sip:from@h>;tag=1\r\nTo: <sip:to@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n\r\n";
        let head = sipline::parse_head(buf, &sipline::ParserConfig::lenient())
            .ok()
            .and_then(|p| p.value())
            .unwrap();
        for _ in 0..2 {
            let f = Fields::of(&head, &mut memo);
            assert_eq!(memo.addrs.addr(f.from).map(|a| &*a.uri), Some("sip:from@h"));
            assert_eq!(memo.addrs.addr(f.to).map(|a| &*a.uri), Some("sip:to@h"));
            assert_eq!(
                memo.branches
                    .item(f.branch)
                    .and_then(|v| v.branch.as_deref()),
                Some("z9hG4bKx")
            );
        }
        assert!(memo.addrs.items.len() <= 3, "emptied once full");
    }

    #[test]
    fn schema() {
        let names: Vec<_> = MessageRow::FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(names[33..], ["error_kind", "error", "payload"]);
        assert_eq!(names[RETRANSMISSION_COL], "retransmission");
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert_eq!(message_fields(false).len(), names.len() - 1);
        assert_eq!(MessageRow::column("no such column"), usize::MAX);
    }
}
