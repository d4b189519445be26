//! SIP on one direction's in-order bytes: a [`StreamDecoder`] while the
//! bytes are SIP; otherwise a search, line by line, for where a message
//! starts (a capture begun mid-connection, after a gap or a malformed
//! message), counting what it passes over; TLS counted, not read; SIP over
//! WebSocket (RFC 7118) after an HTTP Upgrade, one message per WebSocket
//! message.

use std::collections::BTreeMap;

use bytes::BytesMut;
use sipline::{
    parse_datagram, parse_message, Datagram, Frame, Parsed, ParserConfig, StreamDecoder,
};

use crate::sink::{FlowId, Location, Sink, Skip, Transport};
use crate::sniff::{looks_like_sip, probe_ready};
use crate::tcp::limits::TcpLimits;
use crate::tcp::ws::{frame_header, opens_sip_websocket, unmask_into, Header};

/// The longest HTTP Upgrade head looked at before a direction is judged
/// otherwise.
const WS_HEAD_MAX: usize = 8 * 1024;

/// What a direction's bytes are, as far as we know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FlowState {
    /// Never seen to be SIP: searching, line by line, for where a SIP message
    /// starts (at the first byte when the capture saw the connection open;
    /// anywhere when it began mid-connection), within the probe budget.
    Probing,
    /// SIP: bytes go to the decoder.
    Sip,
    /// Not SIP: bytes are counted and dropped.
    NotSip,
    /// A SIP flow after a gap or a malformed message: searching, line by
    /// line, for where a message starts; the bytes passed over are counted.
    Resyncing,
    /// TLS (its first bytes were a TLS record): not decrypted, its bytes
    /// counted.
    Tls,
    /// SIP over WebSocket, after the HTTP Upgrade (RFC 7118).
    WebSocket,
}

/// Segments held until they are in order, by sequence number, and their
/// bytes.
#[derive(Default)]
pub(super) struct Held {
    pub(super) segments: BTreeMap<u32, Vec<u8>>,
    pub(super) bytes: usize,
}

/// One direction of a TCP connection.
pub(super) struct Flow {
    /// Its addresses are IPv6 (the reassembler's key holds them).
    pub(super) v6: bool,
    pub(super) state: FlowState,
    pub(super) decoder: StreamDecoder,
    pub(super) buf: BytesMut,
    /// While searching: where in `buf` the lines not yet judged start.
    pub(super) search_from: usize,
    /// Bytes passed over before the flow was ever seen to be SIP.
    pub(super) unjudged: u64,
    /// The flow has ended: a search judges what it has.
    pub(super) ended: bool,
    /// While a candidate message is still coming: the buffer length at which
    /// to parse it again.
    pub(super) retry_at: usize,
    /// While searching: how far into `buf` no line end was found.
    pub(super) lf_scanned: usize,
    /// WebSocket: the message being joined from its frames, and where its
    /// first frame started; boxed, as few directions ever hold one.
    pub(super) ws_msg: Option<Box<(Vec<u8>, u64)>>,
    /// The capture saw the connection open (SYN) and no byte has been
    /// judged yet: its first line is the start of the stream.
    pub(super) opened: bool,
    /// The next sequence number expected; `None` until the first segment.
    pub(super) next_seq: Option<u32>,
    /// Segments that arrived ahead of `next_seq`; boxed, and only while
    /// some are held, as a direction's state is kept for up to
    /// `max_flows` directions at once.
    pub(super) held: Option<Box<Held>>,
    /// Bytes of this direction seen in order so far.
    pub(super) delivered: u64,
    /// Where in the direction's bytes the current decoder started.
    pub(super) origin: u64,
    /// Capture time of the last segment.
    pub(super) last_time: Option<f64>,
}

impl Flow {
    /// A direction first seen at capture time `time`: SIP from its first
    /// byte when `all_sip`, else to be judged.
    pub(super) fn new(v6: bool, config: ParserConfig, all_sip: bool, time: Option<f64>) -> Flow {
        Flow {
            v6,
            state: if all_sip {
                FlowState::Sip
            } else {
                FlowState::Probing
            },
            decoder: StreamDecoder::new(config),
            buf: BytesMut::new(),
            search_from: 0,
            unjudged: 0,
            ended: false,
            retry_at: 0,
            lf_scanned: 0,
            ws_msg: None,
            opened: false,
            next_seq: None,
            held: None,
            delivered: 0,
            origin: 0,
            last_time: time,
        }
    }

    /// The bytes this direction holds.
    pub(super) fn memory(&self) -> usize {
        self.buf.len() + self.held_bytes() + self.ws_msg.as_ref().map_or(0, |m| m.0.len())
    }

    /// Bytes that arrived in order.
    pub(super) fn take(
        &mut self,
        fresh: &[u8],
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        let at_start = self.state == FlowState::Probing && self.buf_origin() == self.delivered;
        self.delivered += fresh.len() as u64;
        // The first bytes of a direction never judged: a TLS record header?
        if at_start && self.unjudged == 0 && self.buf.is_empty() {
            if let [0x14..=0x17, 0x03, 0..=0x04, ..] = fresh {
                self.state = FlowState::Tls;
                sink.skipped(at, Skip::TlsFlow);
            }
        }
        match self.state {
            FlowState::NotSip => return,
            FlowState::Tls => {
                let here = Location {
                    offset: self.delivered - fresh.len() as u64,
                    ..*at
                };
                sink.skipped_bytes(&here, Skip::TlsFlow, fresh.len() as u64);
                return;
            }
            _ => self.buf.extend_from_slice(fresh),
        }
        if self.state == FlowState::WebSocket {
            return self.ws_drain(config, at, sink);
        }
        // An HTTP Upgrade to a SIP WebSocket at the start of a direction.
        if self.state == FlowState::Probing
            && self.unjudged == 0
            && self.buf_origin() == 0
            && (self.buf.starts_with(b"GET ") || self.buf.starts_with(b"HTTP/1.1 101"))
        {
            let window = self.buf.get(..WS_HEAD_MAX).unwrap_or(&self.buf);
            match memchr::memmem::find(window, b"\r\n\r\n") {
                None if window.len() < WS_HEAD_MAX => return,
                Some(end) if opens_sip_websocket(window.get(..end + 4).unwrap_or_default()) => {
                    self.drop_front(end + 4);
                    self.state = FlowState::WebSocket;
                    self.opened = false;
                    return self.ws_drain(config, at, sink);
                }
                _ => {}
            }
        }
        if self.state == FlowState::Probing && self.opened {
            // The first bytes after a SYN start the stream: the first line
            // alone decides (the search is for flows seen midway).
            if !probe_ready(&self.buf) {
                return;
            }
            self.opened = false;
            if looks_like_sip(&self.buf) {
                self.state = FlowState::Sip;
                self.origin = self.buf_origin();
            }
        }
        self.run(config, limits, at, sink);
    }

    /// WebSocket frames: each whole text or binary message is one SIP
    /// message (RFC 7118 §5); fragments are joined, control frames passed
    /// over, a close ends the direction.
    pub(super) fn ws_drain(
        &mut self,
        config: &ParserConfig,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        let at = Location {
            flow: at.flow.map(|f| FlowId {
                transport: Transport::Ws,
                ..f
            }),
            ..*at
        };
        loop {
            let h = match frame_header(&self.buf) {
                Header::Incomplete => return,
                Header::Invalid => {
                    // Not WebSocket after all: what is left is not read.
                    self.state = FlowState::Resyncing;
                    self.ws_msg = None;
                    return self.pass_over(self.buf.len(), &at, sink);
                }
                Header::Frame(h) => h,
            };
            let limit = config.head_len_limit() as u64 + config.body_len_limit();
            let total = h.payload_len.saturating_add(h.header_len as u64);
            let joined = self.ws_msg.as_ref().map_or(0, |m| m.0.len());
            if h.payload_len > limit || joined as u64 + h.payload_len > limit {
                // Larger than any message the parser would take.
                self.state = FlowState::Resyncing;
                self.ws_msg = None;
                return self.pass_over(self.buf.len(), &at, sink);
            }
            if (self.buf.len() as u64) < total {
                return;
            }
            let frame_at = self.buf_origin();
            let payload = self
                .buf
                .get(h.header_len..total as usize)
                .unwrap_or_default();
            match h.opcode {
                0..=2 => {
                    let joining = self.ws_msg.get_or_insert_with(Default::default);
                    if h.opcode != 0 {
                        joining.0.clear();
                        joining.1 = frame_at;
                    }
                    unmask_into(payload, h.mask, &mut joining.0);
                    if h.fin {
                        let msg = std::mem::take(&mut joining.0);
                        let mut here = Location {
                            offset: joining.1,
                            ..at
                        };
                        match parse_datagram(&msg, config) {
                            Ok(Datagram::Message(m)) => sink.message(&here, &m, msg.len()),
                            Ok(Datagram::KeepAlive) => sink.skipped(&here, Skip::KeepAlive),
                            Err(e) => {
                                here.offset += e.offset();
                                sink.malformed_bytes(&here, &e, &msg);
                            }
                        }
                    }
                }
                8 => {
                    // Close: nothing SIP follows in this direction.
                    self.drop_front(total as usize);
                    self.state = FlowState::NotSip;
                    self.buf = BytesMut::new();
                    return;
                }
                _ => {} // ping, pong
            }
            self.drop_front(total as usize);
        }
    }

    /// Decodes what is buffered, searching again after an error, until
    /// more bytes are needed.
    pub(super) fn run(
        &mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        loop {
            match self.state {
                FlowState::Sip => {
                    self.drain(at, sink);
                    if self.state != FlowState::Resyncing {
                        return;
                    }
                }
                FlowState::Probing | FlowState::Resyncing => {
                    self.search(config, limits, at, sink);
                    if self.state != FlowState::Sip {
                        return;
                    }
                }
                FlowState::NotSip | FlowState::Tls | FlowState::WebSocket => return,
            }
        }
    }

    /// The stream offset of `buf[0]`.
    pub(super) fn buf_origin(&self) -> u64 {
        self.delivered - self.buf.len() as u64
    }

    /// Searches the buffered lines for where a SIP message starts: a line
    /// that looks like a start line ([`looks_like_sip`]), whose message
    /// frames whole ([`parse_message`]: a valid head, a sane Content-Length,
    /// the body there), and after which comes another message, a line end, or
    /// nothing yet. A status line inside a `message/sipfrag` body, or any
    /// body line that looks like a start line, fails there: what follows it
    /// is not header fields and an empty line, or not a message.
    pub(super) fn search(
        &mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        loop {
            let p = self.search_from;
            let Some(line) = self.buf.get(p..) else {
                return;
            };
            // The search for the line end resumes where it stopped, so a long
            // line arriving in small segments is scanned once.
            let from = self.lf_scanned.saturating_sub(p).min(line.len());
            let found = line
                .get(from..)
                .and_then(|rest| memchr::memchr(b'\n', rest))
                .map(|k| from + k);
            let Some(lf) = found else {
                self.lf_scanned = self.buf.len();
                // No whole line yet: keep at most a head's worth of it.
                if line.len() > config.head_len_limit() {
                    self.pass_over(line.len(), at, sink);
                }
                self.give_up_if_not_sip(limits);
                return;
            };
            // An empty line is judged as a line of its own (never as the
            // start of the candidate after it), whatever follows it yet.
            let empty = matches!(line.get(..=lf), Some(b"\n" | b"\r\n"));
            if !empty && looks_like_sip(line) {
                // A candidate still coming is parsed again only once the
                // buffer has doubled (or the flow ends), so that a message
                // arriving in many small segments costs O(its length).
                if self.buf.len() < self.retry_at && !self.ended {
                    return;
                }
                match self.frames_here(line, config) {
                    // Wait for more bytes before judging this line.
                    None => {
                        self.retry_at = self.buf.len().saturating_mul(2);
                        return;
                    }
                    Some(true) => {
                        self.pass_over(p, at, sink);
                        if self.state == FlowState::Probing && self.unjudged > 0 {
                            // A capture that began inside this connection:
                            // the bytes before its first message are counted.
                            let here = Location {
                                offset: self.buf_origin() - self.unjudged,
                                ..*at
                            };
                            sink.skipped_bytes(&here, Skip::TcpBytesSkipped, self.unjudged);
                        }
                        self.state = FlowState::Sip;
                        self.decoder = StreamDecoder::new(*config);
                        self.origin = self.buf_origin();
                        self.search_from = 0;
                        self.retry_at = 0;
                        return;
                    }
                    Some(false) => {}
                }
            }
            self.retry_at = 0;
            self.search_from = p + lf + 1;
            // Lines judged are dropped, so the buffer holds one line at most
            // (or one candidate message). Line ends before a flow's first
            // message are allowed there (RFC 3261 §7.5), not bytes lost.
            let judged = self.search_from;
            if empty && self.state == FlowState::Probing && self.unjudged == 0 {
                self.drop_front(judged);
            } else {
                self.pass_over(judged, at, sink);
            }
            self.give_up_if_not_sip(limits);
            if self.state == FlowState::NotSip {
                return;
            }
        }
    }

    /// Whether a message that frames starts at the front of `line` and is
    /// followed by something that can follow a message; `None` while that
    /// cannot be told yet.
    pub(super) fn frames_here(&self, line: &[u8], config: &ParserConfig) -> Option<bool> {
        match parse_message(line, config) {
            Ok(Parsed::Complete { consumed, .. }) => {
                // What follows, past any junk between messages (the decoder
                // then applies the configuration's rule to that junk).
                let after = line.get(consumed..).unwrap_or_default();
                let junk = after
                    .iter()
                    .take_while(|b| matches!(b, b' ' | b'\t' | 0))
                    .count();
                let after = after.get(junk..).unwrap_or_default();
                // Nothing yet after it: wait, so that the verdict does not
                // depend on where a segment ended (at the end, accept).
                Some(match after.first() {
                    None if !self.ended => return None,
                    None | Some(b'\r' | b'\n') => true,
                    Some(_) if !probe_ready(after) && !self.ended => return None,
                    Some(_) => looks_like_sip(after),
                })
            }
            Ok(Parsed::Incomplete { .. }) => None,
            Err(_) => Some(false),
        }
    }

    /// Removes the first `n` bytes of the buffer, keeping the search's
    /// positions in it right.
    pub(super) fn drop_front(&mut self, n: usize) {
        let n = n.min(self.buf.len());
        let _ = self.buf.split_to(n);
        self.search_from = self.search_from.saturating_sub(n);
        self.lf_scanned = self.lf_scanned.saturating_sub(n);
    }

    /// Drops the first `n` bytes of the buffer as not SIP, and counts them.
    pub(super) fn pass_over(&mut self, n: usize, at: &Location<'_>, sink: &mut dyn Sink) {
        let n = n.min(self.buf.len());
        if n == 0 {
            return;
        }
        let here = Location {
            offset: self.buf_origin(),
            ..*at
        };
        self.drop_front(n);
        match self.state {
            FlowState::Resyncing => sink.skipped_bytes(&here, Skip::TcpBytesSkipped, n as u64),
            _ => self.unjudged += n as u64,
        }
    }

    /// A flow never seen to be SIP that was searched for long enough is
    /// taken as something else for good.
    pub(super) fn give_up_if_not_sip(&mut self, limits: &TcpLimits) {
        if self.state == FlowState::Probing && self.delivered > limits.probe_budget as u64 {
            self.state = FlowState::NotSip;
            self.buf = BytesMut::new();
            self.search_from = 0;
            self.lf_scanned = 0;
        }
    }

    pub(super) fn drain(&mut self, at: &Location<'_>, sink: &mut dyn Sink) {
        let here = |offset: u64| Location {
            offset: self.origin + offset,
            ..*at
        };
        loop {
            let junk = self.decoder.junk_bytes();
            let next = self.decoder.decode(&mut self.buf);
            let skipped = self.decoder.junk_bytes() - junk;
            if skipped > 0 {
                // Where this gap's junk began, however the segments fell.
                let from = self.decoder.junk_offset().unwrap_or_default();
                sink.skipped_bytes(&here(from), Skip::JunkBetweenMessages, skipped);
            }
            match next {
                Ok(Some(Frame::Message(m))) => {
                    sink.message(&here(m.offset()), &m.message(), m.as_bytes().len())
                }
                Ok(Some(Frame::KeepAlive { offset })) => {
                    sink.skipped(&here(offset), Skip::KeepAlive)
                }
                Ok(None) => return,
                Err(e) => {
                    // The message that failed starts where the decoder
                    // stands: its bytes, for the sink to read what it can.
                    let from = (self.origin + self.decoder.stream_offset())
                        .saturating_sub(self.buf_origin());
                    let bytes = usize::try_from(from)
                        .ok()
                        .and_then(|f| self.buf.get(f..))
                        .unwrap_or_default();
                    sink.malformed_bytes(&here(e.offset()), &e, bytes);
                    // Search the rest of this flow for where a message
                    // starts, from the line after the error on.
                    let bad_at = (self.origin + e.offset()).saturating_sub(self.buf_origin());
                    self.state = FlowState::Resyncing;
                    self.search_from = 0;
                    let line_end = self
                        .buf
                        .get(bad_at as usize..)
                        .and_then(|b| memchr::memchr(b'\n', b))
                        .map_or(self.buf.len(), |lf| bad_at as usize + lf + 1);
                    // Up to the end of the bad line, it was reported as malformed.
                    self.drop_front(line_end);
                    return;
                }
            }
        }
    }

    /// The flow ended: what a search was waiting on is judged now, and a
    /// message cut off is reported where it started (a message being
    /// decoded, or the one a search was waiting to see whole).
    pub(super) fn finish(
        mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        if matches!(self.state, FlowState::Probing | FlowState::Resyncing) {
            self.ended = true;
            self.run(config, limits, at, sink);
        }
        let cut_at = match self.state {
            FlowState::Sip if !self.decoder.is_between_messages(&self.buf) => {
                Some(self.origin + self.decoder.stream_offset())
            }
            FlowState::Probing | FlowState::Resyncing
                if probe_ready(&self.buf) && looks_like_sip(&self.buf) =>
            {
                Some(self.buf_origin())
            }
            _ => None,
        };
        if let Some(offset) = cut_at {
            sink.skipped(&Location { offset, ..*at }, Skip::IncompleteAtEnd);
        }
    }
}
