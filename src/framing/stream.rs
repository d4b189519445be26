//! The incremental stream decoder: whole SIP messages out of a TCP/TLS byte
//! stream held in a [`BytesMut`], without copying.

use bytes::{Bytes, BytesMut};

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::framing::message::{stream_body_len, Message};
use crate::head::scan::HeadScan;
use crate::head::view::{Head, HeadInfo};
use crate::start::start_line::StartLine;

/// What the decoder found next in the stream.
// A message carries its head's field index inline (a few hundred bytes);
// boxing it would allocate per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole message.
    Message(OwnedMessage),
    /// A double CRLF between messages: an RFC 5626 §3.5.1 keep-alive ping,
    /// which a server answers with a single CRLF, the pong
    /// ([`KeepAlive::Pong`]).
    KeepAlive {
        /// The offset of the ping in the stream.
        offset: u64,
    },
}

/// The two keep-alives of RFC 5626 §3.5.1 on a stream: what a client sends
/// and what a server answers. The tokio codec encodes them.
///
/// ```
/// use sipline::KeepAlive;
/// assert_eq!(KeepAlive::Ping.as_bytes(), b"\r\n\r\n");
/// assert_eq!(KeepAlive::Pong.as_bytes(), b"\r\n");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeepAlive {
    /// A double CRLF, sent by the client.
    Ping,
    /// A single CRLF, the server's answer to a ping.
    Pong,
}

impl KeepAlive {
    /// The bytes on the wire.
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            KeepAlive::Ping => b"\r\n\r\n",
            KeepAlive::Pong => b"\r\n",
        }
    }
}

/// A whole message that owns its bytes: a [`Bytes`] split off the stream
/// buffer without copying, plus where its parts are.
///
/// ```
/// use bytes::BytesMut;
/// use sipline::{Frame, StreamDecoder};
///
/// let mut buf = BytesMut::from(&b"SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\nSIP/2.0 200 OK\r\nl: 2\r\n\r\nhi"[..]);
/// let mut decoder = StreamDecoder::default();
/// let Some(Frame::Message(first)) = decoder.decode(&mut buf)? else { panic!() };
/// assert_eq!(first.start_line().status().unwrap().code, 180);
/// let Some(Frame::Message(second)) = decoder.decode(&mut buf)? else { panic!() };
/// assert_eq!(second.offset(), 42);
/// assert_eq!(&second.body()[..], b"hi");
/// assert!(buf.is_empty());
/// assert_eq!(decoder.decode(&mut buf)?, None);
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedMessage {
    bytes: Bytes,
    offset: u64,
    info: HeadInfo,
}

impl OwnedMessage {
    /// An owned copy of a message parsed in place (`parse_datagram`,
    /// `parse_message`): its bytes copied once into one [`Bytes`], and what
    /// the scan found kept, so that nothing is parsed again. For handing a
    /// message to another task or thread.
    ///
    /// ```
    /// use sipline::{parse_datagram, Datagram, ParserConfig, OwnedMessage};
    ///
    /// let buf = b"SIP/2.0 180 Ringing\r\nCall-ID: a@b\r\nl: 2\r\n\r\nhi";
    /// let Datagram::Message(m) = parse_datagram(buf, &ParserConfig::default())? else { panic!() };
    /// let owned = OwnedMessage::copied_from(&m);
    /// assert_eq!(owned.head().get::<sipline::header::CallId>().unwrap()?, b"a@b");
    /// assert_eq!(&owned.body()[..], b"hi");
    /// assert_eq!(owned.message(), m);
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn copied_from(message: &Message<'_>) -> OwnedMessage {
        let head = message.head.as_bytes();
        let mut bytes = BytesMut::with_capacity(head.len() + message.body.len());
        bytes.extend_from_slice(head);
        bytes.extend_from_slice(message.body);
        OwnedMessage {
            bytes: bytes.freeze(),
            offset: 0,
            info: HeadInfo::of(&message.head),
        }
    }

    /// A borrowed view: the head with its header fields, and the body.
    pub fn message(&self) -> Message<'_> {
        Message {
            head: self.head(),
            body: self.bytes.get(self.info.head_len..).unwrap_or_default(),
        }
    }

    /// The head, borrowed. Its lookups of the fields a proxy reads (Via,
    /// From, To, Call-ID, CSeq, Max-Forwards, Contact, Route, Record-Route,
    /// Content-Type, Reason, Expires, Date, User-Agent, Server) go straight
    /// to where the
    /// decoder's scan found them, without walking the other fields.
    pub fn head(&self) -> Head<'_> {
        self.info.head(&self.bytes)
    }

    /// The start line, borrowed.
    pub fn start_line(&self) -> StartLine<'_> {
        self.info.start.resolve(&self.bytes)
    }

    /// The whole message as it arrived (head and body).
    pub fn as_bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The whole message, owned.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The body as its own [`Bytes`], sharing the message's memory.
    pub fn body(&self) -> Bytes {
        self.bytes.slice(self.info.head_len.min(self.bytes.len())..)
    }

    /// Where the message started in the stream (after skipped CRLFs).
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The length of the head, the empty line included.
    pub const fn head_len(&self) -> usize {
        self.info.head_len
    }
}

/// Owned copies of many messages in one buffer (their heads, and their
/// bodies when asked), each kept with what its scan found, so that reading
/// one back parses nothing again. For handing messages to another thread
/// in batches: one buffer per batch and no allocation per message (where
/// [`OwnedMessage::copied_from`] makes one per message). Once
/// [`share`](Heads::share)d, each message is also an [`OwnedMessage`]
/// without a copy ([`owned`](Heads::owned)), which may outlive the batch;
/// [`clear`](Heads::clear) then reuses the buffer when no message of it
/// is still held, and starts a new one otherwise.
///
/// ```
/// use sipline::{parse_datagram, Datagram, Heads, ParserConfig};
///
/// let mut heads = Heads::new();
/// for buf in [
///     &b"SIP/2.0 180 Ringing\r\nCall-ID: a@b\r\nl: 0\r\n\r\n"[..],
///     &b"BYE sip:b@h SIP/2.0\r\nCall-ID: a@b\r\nl: 2\r\n\r\nhi"[..],
/// ] {
///     let Datagram::Message(m) = parse_datagram(buf, &ParserConfig::default())? else { panic!() };
///     heads.push_message(&m);
/// }
/// assert_eq!(heads.len(), 2);
/// let bye = heads.get(1).unwrap();
/// assert_eq!(bye.get::<sipline::header::CallId>().unwrap()?, b"a@b");
/// assert_eq!(bye.content_length(), Some(2));
/// assert_eq!(heads.message(1).unwrap().body, b"hi");
/// assert!(heads.iter().all(|h| h.get::<sipline::header::CallId>().is_some()));
///
/// // Shared: a message kept past the batch, its bytes not copied.
/// heads.share();
/// let kept = heads.owned(1).unwrap();
/// heads.clear();
/// assert_eq!(&kept.body()[..], b"hi");
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Heads {
    /// The buffer being filled (empty while `shared` holds the messages).
    open: BytesMut,
    /// The buffer frozen, so that its messages can be handed out as
    /// [`OwnedMessage`]s.
    shared: Option<Bytes>,
    /// Where each message starts in the buffer, its scan, and its body's
    /// length (0 when only the head was kept).
    infos: Vec<(usize, HeadInfo, usize)>,
}

/// Two collections are equal when they hold the same messages, shared or
/// not.
impl PartialEq for Heads {
    fn eq(&self, other: &Self) -> bool {
        self.infos == other.infos && self.bytes() == other.bytes()
    }
}

impl Eq for Heads {}

impl Heads {
    /// No heads.
    pub fn new() -> Heads {
        Heads::default()
    }

    fn bytes(&self) -> &[u8] {
        self.shared.as_deref().unwrap_or(&self.open)
    }

    /// The buffer to append to (a shared one is copied once, to append
    /// after it: pushing after [`share`](Heads::share) without a
    /// [`clear`](Heads::clear) is allowed, not the usual way).
    fn open(&mut self) -> &mut BytesMut {
        if let Some(b) = self.shared.take() {
            self.open = BytesMut::from(&b[..]);
        }
        &mut self.open
    }

    /// Copies `head` in, with what its scan found (no body).
    pub fn push(&mut self, head: &Head<'_>) {
        let bytes = self.open();
        let start = bytes.len();
        bytes.extend_from_slice(head.as_bytes());
        self.infos.push((start, HeadInfo::of(head), 0));
    }

    /// Copies `message` in, head and body, with what its scan found.
    pub fn push_message(&mut self, message: &Message<'_>) {
        let bytes = self.open();
        let start = bytes.len();
        bytes.extend_from_slice(message.head.as_bytes());
        bytes.extend_from_slice(message.body);
        self.infos
            .push((start, HeadInfo::of(&message.head), message.body.len()));
    }

    /// How many heads are held.
    pub fn len(&self) -> usize {
        self.infos.len()
    }

    /// `true` when no head is held.
    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// Bytes held, all messages together.
    pub fn bytes_len(&self) -> usize {
        self.bytes().len()
    }

    /// Freezes the buffer, so that [`owned`](Heads::owned) hands messages
    /// out without copying them. Cheap (no copy); pushing again needs a
    /// [`clear`](Heads::clear) first to stay cheap.
    pub fn share(&mut self) {
        if self.shared.is_none() {
            self.shared = Some(std::mem::take(&mut self.open).freeze());
        }
    }

    /// Drops every message. The buffer is kept for the next batch, unless
    /// an [`OwnedMessage`] handed out still holds part of it (then a new
    /// one is started: the messages held stay as they are).
    pub fn clear(&mut self) {
        self.infos.clear();
        if let Some(b) = self.shared.take() {
            // Still held by a message handed out: that one keeps it.
            self.open = b.try_into_mut().unwrap_or_default();
        }
        self.open.clear();
    }

    /// The `i`-th head pushed, borrowed.
    pub fn get(&self, i: usize) -> Option<Head<'_>> {
        let &(start, info, _) = self.infos.get(i)?;
        Some(info.head(self.bytes().get(start..)?))
    }

    /// The `i`-th message pushed, borrowed (an empty body when only its
    /// head was pushed).
    pub fn message(&self, i: usize) -> Option<Message<'_>> {
        let &(start, info, body_len) = self.infos.get(i)?;
        let body_start = start + info.head_len;
        Some(Message {
            head: info.head(self.bytes().get(start..)?),
            body: self.bytes().get(body_start..body_start + body_len)?,
        })
    }

    /// The `i`-th message as an [`OwnedMessage`]: sharing the buffer when
    /// it is [`share`](Heads::share)d, copied otherwise.
    pub fn owned(&self, i: usize) -> Option<OwnedMessage> {
        let &(start, info, body_len) = self.infos.get(i)?;
        match &self.shared {
            Some(b) => {
                let end = start + info.head_len + body_len;
                (end <= b.len()).then(|| OwnedMessage {
                    bytes: b.slice(start..end),
                    offset: 0,
                    info,
                })
            }
            None => self.message(i).map(|m| OwnedMessage::copied_from(&m)),
        }
    }

    /// Every head, in the order pushed.
    pub fn iter(&self) -> impl Iterator<Item = Head<'_>> + '_ {
        let bytes = self.bytes();
        self.infos
            .iter()
            .filter_map(move |&(start, info, _)| Some(info.head(bytes.get(start..)?)))
    }
}

#[derive(Clone, Debug)]
enum State {
    /// Between messages: skipping CRLFs, spotting keep-alives.
    Between,
    /// Inside a head, scanned up to where the scan says.
    Head(HeadScan),
    /// The head is done; waiting for `total` bytes.
    Body { info: HeadInfo, total: usize },
}

/// Frames whole SIP messages out of a stream (RFC 3261 §7.5, §18.3;
/// RFC 5626 §3.5.1), incrementally and without copying.
///
/// Call [`decode`](Self::decode) whenever bytes have been appended to the
/// buffer. Each call returns the next message or keep-alive, `None` when more
/// bytes are needed, or an error. Bytes already looked at are not scanned
/// again, so feeding a stream one byte at a time costs O(total bytes).
///
/// Every limit of the [`ParserConfig`] applies before bytes beyond it are
/// needed: a head larger than `max_head_len`, more than `max_headers`
/// fields, or a Content-Length above `max_body_len` is an error as soon as
/// it is seen. After an error the decoder keeps returning it: a byte stream
/// cannot be resynchronised safely, so close the connection.
#[derive(Clone, Debug)]
pub struct StreamDecoder {
    config: ParserConfig,
    state: State,
    offset: u64,
    junk: u64,
    /// Where the junk of the current gap between messages began.
    junk_from: Option<u64>,
    /// Whether `junk_from` belongs to the current gap (cleared by a message).
    junk_in_gap: bool,
    failed: Option<Error>,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        StreamDecoder::new(ParserConfig::default())
    }
}

impl StreamDecoder {
    /// A decoder for a new stream.
    pub fn new(config: ParserConfig) -> StreamDecoder {
        StreamDecoder {
            config,
            state: State::Between,
            offset: 0,
            junk: 0,
            junk_from: None,
            junk_in_gap: false,
            failed: None,
        }
    }

    /// The configuration in use.
    pub const fn config(&self) -> &ParserConfig {
        &self.config
    }

    /// How many bytes of the stream have been taken out of the buffer.
    pub const fn stream_offset(&self) -> u64 {
        self.offset
    }

    /// How many bytes of junk between messages were skipped so far (with
    /// [`ParserConfig::allow_junk_between_messages`]).
    pub const fn junk_bytes(&self) -> u64 {
        self.junk
    }

    /// Where the latest junk between two messages began: the stream offset
    /// of the first junk byte of the most recent gap that held any (it stays
    /// until junk is skipped in a later gap); `None` until there is junk.
    /// When [`junk_bytes`](Self::junk_bytes) grows, this says where that
    /// junk stood, whatever pieces the stream arrived in.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sipline::{Frame, ParserConfig, StreamDecoder};
    ///
    /// let mut dec = StreamDecoder::new(ParserConfig::lenient());
    /// let mut buf = BytesMut::from(&b"\r\n  \r\n\0OPTIONS sip:h SIP/2.0\r\nl: 0\r\n\r\n"[..]);
    /// assert!(matches!(dec.decode(&mut buf), Ok(Some(Frame::Message(_)))));
    /// assert_eq!((dec.junk_bytes(), dec.junk_offset()), (3, Some(2)));
    /// ```
    pub const fn junk_offset(&self) -> Option<u64> {
        self.junk_from
    }

    /// `true` when the decoder is between messages: no partial message is
    /// buffered (CRLFs aside, and junk where it is allowed).
    pub fn is_between_messages(&self, buf: &[u8]) -> bool {
        let junk = self.config.allow_junk_between_messages;
        matches!(self.state, State::Between)
            && buf
                .iter()
                .all(|&b| b == b'\r' || b == b'\n' || (junk && matches!(b, b' ' | b'\t' | 0)))
    }

    /// The next frame from the front of `buf`, removing its bytes. Error
    /// offsets count from the first byte of the stream.
    #[inline]
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Error> {
        // A head fed in small pieces with no new line end, or a body not all
        // there: nothing to do. Kept apart from the general path so that
        // this costs a few instructions.
        if self.failed.is_none() {
            let nothing = match &mut self.state {
                State::Head(scan) => scan.nothing_new(buf),
                State::Body { total, .. } => buf.len() < *total,
                State::Between => false,
            };
            if nothing {
                return Ok(None);
            }
        }
        self.decode_general(buf)
    }

    /// [`decode`](Self::decode) when there is something to do.
    #[inline(never)]
    fn decode_general(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Error> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.step(buf) {
            Ok(f) => Ok(f),
            Err(e) => {
                let e = e.shifted(self.offset);
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    /// The stream has ended: the frames still in `buf`, then `Ok(None)` when
    /// it ended between messages (CRLFs aside, which are dropped), or
    /// [`ErrorKind::IncompleteMessage`] at the offset where the unfinished
    /// message started.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sipline::{ErrorKind, StreamDecoder};
    ///
    /// let mut dec = StreamDecoder::default();
    /// let mut buf = BytesMut::from(&b"\r\nSIP/2.0 200 OK\r\nl: 5\r\n\r\nab"[..]);
    /// let err = dec.decode_eof(&mut buf).unwrap_err();
    /// assert_eq!((err.kind(), err.offset()), (ErrorKind::IncompleteMessage, 2));
    /// ```
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Error> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        if self.is_between_messages(buf) {
            self.skip(buf, buf.len());
            return Ok(None);
        }
        let e = Error::new(ErrorKind::IncompleteMessage, self.offset);
        self.failed = Some(e);
        Err(e)
    }

    /// Takes `n` bytes off the front of `buf`.
    fn skip(&mut self, buf: &mut BytesMut, n: usize) {
        let _ = buf.split_to(n.min(buf.len()));
        self.offset += n as u64;
    }

    fn step(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, Error> {
        loop {
            match &mut self.state {
                State::Between => {
                    match &buf[..] {
                        [] => return Ok(None),
                        [b'\r', b'\n', b'\r', b'\n', ..] => {
                            let offset = self.offset;
                            self.skip(buf, 4);
                            return Ok(Some(Frame::KeepAlive { offset }));
                        }
                        // Perhaps the start of a ping: wait for the rest.
                        b"\r" | b"\r\n" | b"\r\n\r" => return Ok(None),
                        // A lone CRLF (a pong, or stray) is ignored (§7.5).
                        [b'\r', b'\n', ..] => self.skip(buf, 2),
                        [b'\n', ..] if self.config.allow_lf_line_ends => self.skip(buf, 1),
                        // Lenient: NAT keep-alives of spaces or NULs, stray CRs.
                        [b' ' | b'\t' | 0 | b'\r', ..]
                            if self.config.allow_junk_between_messages =>
                        {
                            let n = buf
                                .iter()
                                .take_while(|b| matches!(b, b' ' | b'\t' | 0))
                                .count()
                                .max(1);
                            self.junk += n as u64;
                            if !self.junk_in_gap {
                                self.junk_in_gap = true;
                                self.junk_from = Some(self.offset);
                            }
                            self.skip(buf, n);
                        }
                        _ => self.state = State::Head(HeadScan::new()),
                    }
                }
                State::Head(scan) => {
                    let Some(info) = scan.advance_stream(&self.config, buf)? else {
                        return Ok(None);
                    };
                    let body = stream_body_len(&self.config, &info)?;
                    // The limit was checked when Content-Length was read.
                    let total = info
                        .head_len
                        .saturating_add(usize::try_from(body).unwrap_or(usize::MAX));
                    self.state = State::Body { info, total };
                }
                State::Body { info, total } => {
                    if buf.len() < *total {
                        return Ok(None);
                    }
                    let (info, total) = (*info, *total);
                    let bytes = buf.split_to(total).freeze();
                    let offset = self.offset;
                    self.offset += total as u64;
                    self.state = State::Between;
                    self.junk_in_gap = false;
                    return Ok(Some(Frame::Message(OwnedMessage {
                        bytes,
                        offset,
                        info,
                    })));
                }
            }
        }
    }
}
