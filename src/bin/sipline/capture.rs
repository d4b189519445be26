//! Reading SIP out of inputs: raw byte streams and pcap / pcapng captures
//! (Ethernet, Linux cooked SLL and SLL2, raw IP, BSD loopback; IPv4 and IPv6;
//! VLAN tags), UDP datagrams and reassembled TCP streams.
//!
//! Everything found is handed to a [`Sink`]: each message, each malformed
//! message, and what had to be skipped. Memory stays bounded whatever the
//! input size: captures are read block by block, each TCP direction's buffer
//! is capped by the parser's limits, and the number of open flows is capped
//! with the least recently seen evicted (and counted).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::net::IpAddr;
use std::path::Path;

use bytes::BytesMut;
use etherparse::{EtherType, NetSlice, SlicedPacket, TransportSlice};
use pcap_parser::{Block, PcapBlockOwned, PcapError};
use sipline::{parse_datagram, Datagram, Error, Frame, Message, ParserConfig, StreamDecoder};

/// Where something was found. Cheap to make for every packet: the text is
/// only formatted when it is shown.
#[derive(Clone, Copy, Debug)]
pub struct Location<'a> {
    /// The input's name.
    pub file: &'a str,
    /// The capture's frame number (1-based), for captures.
    pub frame: Option<u64>,
    /// Byte offset: in a raw stream, from its start; in a TCP flow, from the
    /// flow's first byte; in a datagram, within it.
    pub offset: u64,
    /// The transport and addresses, for captures.
    pub flow: Option<FlowId>,
}

/// A transport flow: protocol, source and destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowId {
    /// `"udp"` or `"tcp"`.
    pub proto: &'static str,
    /// Source address and port.
    pub src: (IpAddr, u16),
    /// Destination address and port.
    pub dst: (IpAddr, u16),
}

impl std::fmt::Display for FlowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sock = |f: &mut std::fmt::Formatter<'_>, (ip, port): (IpAddr, u16)| match ip {
            IpAddr::V4(a) => write!(f, "{a}:{port}"),
            IpAddr::V6(a) => write!(f, "[{a}]:{port}"),
        };
        write!(f, "{} ", self.proto)?;
        sock(f, self.src)?;
        f.write_str(" -> ")?;
        sock(f, self.dst)
    }
}

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(n) = self.frame {
            write!(f, " frame {n}")?;
        }
        if let Some(flow) = &self.flow {
            write!(f, " ({flow})")?;
        }
        write!(f, " byte {}", self.offset)
    }
}

/// Things that are counted but are not SIP messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// A keep-alive (CRLFs) on a stream or in a datagram.
    KeepAlive,
    /// An IP fragment: not reassembled, counted.
    IpFragment,
    /// A TCP segment already seen (retransmission), dropped.
    TcpRetransmission,
    /// A hole in a TCP stream: the rest of that flow up to the next start
    /// line is skipped, never guessed.
    TcpGap,
    /// A TCP flow evicted because too many were open.
    FlowEvicted,
    /// A TCP flow that ended (or the capture ended) inside a message.
    IncompleteAtEnd,
    /// A frame whose link layer is not one sipline reads.
    UnknownLinkType,
    /// A frame too short or malformed below the transport layer.
    BadFrame,
}

impl Skip {
    /// A short stable name.
    pub fn name(self) -> &'static str {
        match self {
            Skip::KeepAlive => "keep-alives",
            Skip::IpFragment => "ip-fragments-skipped",
            Skip::TcpRetransmission => "tcp-retransmissions-dropped",
            Skip::TcpGap => "tcp-gaps",
            Skip::FlowEvicted => "tcp-flows-evicted",
            Skip::IncompleteAtEnd => "incomplete-at-end",
            Skip::UnknownLinkType => "unknown-link-type-frames",
            Skip::BadFrame => "undecodable-frames",
        }
    }
}

/// What a reader hands out.
pub trait Sink {
    /// A SIP message.
    fn message(&mut self, at: &Location, msg: &Message<'_>, wire_len: usize);
    /// A malformed SIP message.
    fn malformed(&mut self, at: &Location, err: &Error);
    /// Something counted and skipped.
    fn skipped(&mut self, at: &Location, what: Skip);
    /// A packet's timestamp (seconds since the epoch), for the capture's duration.
    fn time(&mut self, _ts: f64) {}
    /// Bytes read from an input.
    fn bytes_read(&mut self, _n: u64) {}
}

/// How inputs are read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Strict or lenient parsing, and its limits.
    pub config: ParserConfig,
    /// Only traffic to or from these ports (empty: SIP recognised on any port
    /// by its start line).
    pub ports: Vec<u16>,
    /// The most TCP flows held open at once.
    pub max_flows: usize,
    /// The most out-of-order bytes held per TCP direction before a gap is declared.
    pub reorder_window: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            config: ParserConfig::default(),
            ports: Vec::new(),
            max_flows: 4096,
            reorder_window: 64 * 1024,
        }
    }
}

/// A problem with an input itself (not with the SIP in it).
#[derive(Debug)]
pub struct InputError {
    /// The input's name.
    pub file: String,
    /// Where in the file, when known.
    pub offset: Option<u64>,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{}: {} at byte {o}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Reads one input (a file, or standard input for `-`), detecting captures
/// by their magic number whatever the name.
pub fn read_input(
    name: &str,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> Result<(), InputError> {
    let err = |offset, message: String| InputError {
        file: name.to_string(),
        offset,
        message,
    };
    let mut reader: Box<dyn Read + Send> = if name == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(Path::new(name)).map_err(|e| err(None, e.to_string()))?)
    };
    // Read a first block whole: the magic number decides the format, and the
    // capture reader wants its file header in its first read.
    let mut first = Vec::with_capacity(64 * 1024);
    (&mut reader)
        .take(64 * 1024)
        .read_to_end(&mut first)
        .map_err(|e| err(Some(0), e.to_string()))?;
    let magic: [u8; 4] = first
        .get(..4)
        .and_then(|m| m.try_into().ok())
        .unwrap_or([0; 4]);
    let got = first.len();
    let chained: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(first).chain(reader));
    if got >= 4 && (PCAP_MAGICS.contains(&magic) || magic == PCAPNG_MAGIC) {
        read_capture(name, chained, opts, sink, progress)
    } else {
        read_stream(name, chained, opts, sink, progress)
    }
}

/// A raw byte stream (a TCP payload dump): framed message by message. A
/// malformed message ends the stream: it cannot be resynchronised safely.
fn read_stream(
    name: &str,
    mut r: Box<dyn Read + Send>,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> Result<(), InputError> {
    let mut dec = StreamDecoder::new(opts.config);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut total = 0u64;
    let loc = |offset| Location {
        file: name,
        frame: None,
        offset,
        flow: None,
    };
    loop {
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(Frame::Message(m))) => {
                    sink.message(&loc(m.offset()), &m.message(), m.as_bytes().len())
                }
                Ok(Some(Frame::KeepAlive { offset })) => {
                    sink.skipped(&loc(offset), Skip::KeepAlive)
                }
                Ok(None) => break,
                Err(e) => {
                    sink.malformed(&loc(e.offset()), &e);
                    return Ok(());
                }
            }
        }
        let start = buf.len();
        buf.resize(start + 64 * 1024, 0);
        let n = loop {
            match r.read(&mut buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(InputError {
                        file: name.to_string(),
                        offset: Some(total),
                        message: e.to_string(),
                    })
                }
            }
        };
        buf.truncate(start + n);
        total += n as u64;
        sink.bytes_read(n as u64);
        progress(total);
        if n == 0 {
            if !dec.is_between_messages(&buf) {
                sink.skipped(&loc(dec.stream_offset()), Skip::IncompleteAtEnd);
            }
            return Ok(());
        }
    }
}

/// One direction of a TCP connection.
type FlowKey = (IpAddr, u16, IpAddr, u16);

struct Flow {
    decoder: StreamDecoder,
    buf: BytesMut,
    /// The next sequence number expected; `None` until the first segment.
    next_seq: Option<u32>,
    /// Segments that arrived ahead of `next_seq`, by sequence number.
    held: BTreeMap<u32, Vec<u8>>,
    held_bytes: usize,
    /// Bytes of this direction seen in order so far.
    delivered: u64,
    /// Where in the direction's bytes the current decoder started.
    origin: u64,
    /// After a gap or an error: waiting for a segment that starts a message.
    lost: bool,
    last_seen: u64,
    is_sip: bool,
    /// Not SIP: its bytes are skipped.
    ignored: bool,
}

/// How much of a new TCP flow is gathered, at most, to recognise SIP.
const PROBE_LEN: usize = 2048;

/// TCP reassembly per direction, in sequence order.
struct Tcp<'o> {
    opts: &'o ReadOptions,
    flows: HashMap<FlowKey, Flow>,
    tick: u64,
}

/// `true` when `data` starts like a SIP message (a status line, or a
/// request line ending in SIP/2.0), so that SIP is recognised on any port.
pub fn looks_like_sip(data: &[u8]) -> bool {
    let data = &data[data
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count()..];
    if data.len() >= 8 && data[..8].eq_ignore_ascii_case(b"SIP/2.0 ") {
        return true;
    }
    let Some(line_end) = memchr::memchr(b'\n', data) else {
        return false;
    };
    let line = data[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&data[..line_end]);
    // `METHOD SP anything SP SIP/x.y`, the method a token: other versions are
    // SIP too (and then malformed), so that they are reported, not ignored.
    let Some(first_sp) = memchr::memchr(b' ', line) else {
        return false;
    };
    let Some(last_sp) = memchr::memrchr(b' ', line) else {
        return false;
    };
    let method = &line[..first_sp];
    let version = &line[last_sp + 1..];
    !method.is_empty()
        && method
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(b))
        && last_sp > first_sp
        && version.len() >= 7
        && version[..4].eq_ignore_ascii_case(b"SIP/")
        && version[4..]
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'.')
}

/// Sequence-number comparison modulo 2^32 (RFC 1982 style).
fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl<'o> Tcp<'o> {
    fn new(opts: &'o ReadOptions) -> Self {
        Tcp {
            opts,
            flows: HashMap::new(),
            tick: 0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn segment(
        &mut self,
        key: FlowKey,
        seq: u32,
        syn: bool,
        fin_or_rst: bool,
        payload: &[u8],
        at: &Location,
        sink: &mut dyn Sink,
    ) {
        self.tick += 1;
        if !self.flows.contains_key(&key) {
            if payload.is_empty() && !syn {
                return;
            }
            if self.flows.len() >= self.opts.max_flows {
                let oldest = self
                    .flows
                    .iter()
                    .min_by_key(|(_, f)| f.last_seen)
                    .map(|(k, _)| *k);
                if let Some(k) = oldest {
                    self.flows.remove(&k);
                    sink.skipped(at, Skip::FlowEvicted);
                }
            }
            self.flows.insert(
                key,
                Flow {
                    decoder: StreamDecoder::new(self.opts.config),
                    buf: BytesMut::new(),
                    next_seq: None,
                    held: BTreeMap::new(),
                    held_bytes: 0,
                    delivered: 0,
                    origin: 0,
                    lost: false,
                    last_seen: 0,
                    is_sip: !self.opts.ports.is_empty(),
                    ignored: false,
                },
            );
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return;
        };
        flow.last_seen = self.tick;
        let seq = if syn { seq.wrapping_add(1) } else { seq };
        let next = *flow.next_seq.get_or_insert(seq);
        if !payload.is_empty() {
            if seq_lt(seq, next) {
                // Overlaps what was delivered: keep only the new tail, if any.
                let dup = next.wrapping_sub(seq) as usize;
                if dup >= payload.len() {
                    sink.skipped(at, Skip::TcpRetransmission);
                } else {
                    Self::hold(flow, next, &payload[dup..]);
                }
            } else {
                Self::hold(flow, seq, payload);
            }
            Self::deliver(flow, self.opts, at, sink);
        }
        if fin_or_rst {
            if let Some(f) = self.flows.remove(&key) {
                Self::finish(f, at, sink);
            }
        }
    }

    fn hold(flow: &mut Flow, seq: u32, data: &[u8]) {
        if !flow.held.contains_key(&seq) {
            flow.held_bytes += data.len();
            flow.held.insert(seq, data.to_vec());
        }
    }

    /// Moves in-order segments to the decoder; declares a gap when the
    /// out-of-order data outgrows the window.
    fn deliver(flow: &mut Flow, opts: &ReadOptions, at: &Location, sink: &mut dyn Sink) {
        loop {
            let Some(next) = flow.next_seq else { return };
            let Some((&seq, _)) = flow.held.iter().find(|(&s, d)| {
                !seq_lt(next, s) && seq_lt(next, s.wrapping_add(d.len() as u32)) || s == next
            }) else {
                if flow.held_bytes > opts.reorder_window {
                    // A hole that will not fill: skip to the earliest held segment.
                    let first = flow.held.keys().copied().min_by(|a, b| {
                        if seq_lt(*a, *b) {
                            std::cmp::Ordering::Less
                        } else {
                            std::cmp::Ordering::Greater
                        }
                    });
                    sink.skipped(at, Skip::TcpGap);
                    flow.next_seq = first;
                    flow.lost = true;
                    flow.buf.clear();
                    continue;
                }
                // Drop held segments wholly behind `next` (retransmitted).
                let stale: Vec<u32> = flow
                    .held
                    .iter()
                    .filter(|(&s, d)| !seq_lt(next, s.wrapping_add(d.len() as u32)) && s != next)
                    .map(|(&s, _)| s)
                    .collect();
                for s in stale {
                    if let Some(d) = flow.held.remove(&s) {
                        flow.held_bytes -= d.len();
                        sink.skipped(at, Skip::TcpRetransmission);
                    }
                }
                return;
            };
            let data = flow.held.remove(&seq).unwrap_or_default();
            flow.held_bytes -= data.len();
            let skip = next.wrapping_sub(seq) as usize;
            let fresh = &data[skip.min(data.len())..];
            flow.next_seq = Some(next.wrapping_add(fresh.len() as u32));
            if flow.ignored {
                flow.delivered += fresh.len() as u64;
                continue;
            }
            if flow.lost {
                // After a gap or an error: resume only where a segment starts a message.
                if looks_like_sip(fresh) {
                    flow.lost = false;
                    flow.is_sip = true;
                    flow.buf.clear();
                    flow.decoder = StreamDecoder::new(opts.config);
                    flow.origin = flow.delivered;
                } else {
                    flow.delivered += fresh.len() as u64;
                    continue;
                }
            }
            if !flow.is_sip {
                // A new flow: gather its first line, then decide whether it is SIP.
                flow.buf.extend_from_slice(fresh);
                flow.delivered += fresh.len() as u64;
                if memchr::memchr(b'\n', &flow.buf).is_none() && flow.buf.len() < PROBE_LEN {
                    continue;
                }
                if looks_like_sip(&flow.buf) {
                    flow.is_sip = true;
                    Self::drain(flow, opts, at, sink);
                } else {
                    flow.ignored = true;
                    flow.buf = BytesMut::new();
                }
                continue;
            }
            flow.buf.extend_from_slice(fresh);
            flow.delivered += fresh.len() as u64;
            Self::drain(flow, opts, at, sink);
        }
    }

    fn drain(flow: &mut Flow, opts: &ReadOptions, at: &Location, sink: &mut dyn Sink) {
        let base = flow.origin;
        loop {
            match flow.decoder.decode(&mut flow.buf) {
                Ok(Some(Frame::Message(m))) => {
                    let loc = Location {
                        offset: base + m.offset(),
                        ..*at
                    };
                    sink.message(&loc, &m.message(), m.as_bytes().len());
                }
                Ok(Some(Frame::KeepAlive { offset })) => {
                    let loc = Location {
                        offset: base + offset,
                        ..*at
                    };
                    sink.skipped(&loc, Skip::KeepAlive);
                }
                Ok(None) => return,
                Err(e) => {
                    let loc = Location {
                        offset: base + e.offset(),
                        ..*at
                    };
                    sink.malformed(&loc, &e);
                    // Skip the rest of this flow until a segment starts a message.
                    flow.lost = true;
                    flow.buf.clear();
                    flow.decoder = StreamDecoder::new(opts.config);
                    return;
                }
            }
        }
    }

    fn finish(flow: Flow, at: &Location, sink: &mut dyn Sink) {
        if flow.is_sip && !flow.lost && !flow.decoder.is_between_messages(&flow.buf) {
            sink.skipped(at, Skip::IncompleteAtEnd);
        }
    }
}

/// A pcap or pcapng capture, block by block.
fn read_capture(
    name: &str,
    r: Box<dyn Read + Send>,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
    progress: &mut dyn FnMut(u64),
) -> Result<(), InputError> {
    let err = |offset: u64, message: String| InputError {
        file: name.to_string(),
        offset: Some(offset),
        message,
    };
    let mut reader = pcap_parser::create_reader(1 << 20, BufReader::with_capacity(1 << 16, r))
        .map_err(|e| err(0, format!("not a readable capture: {e:?}")))?;
    let mut tcp = Tcp::new(opts);
    let mut link: Vec<(i32, u8, i64)> = Vec::new(); // pcapng interfaces: linktype, tsresol, tsoffset
    let mut legacy_link = 1i32;
    let mut frame = 0u64;
    let mut pos = 0u64;
    loop {
        match reader.next() {
            Ok((used, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => legacy_link = h.network.0,
                    PcapBlockOwned::Legacy(b) => {
                        frame += 1;
                        sink.time(b.ts_sec as f64 + b.ts_usec as f64 * 1e-6);
                        packet(name, frame, legacy_link, b.data, opts, &mut tcp, sink);
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => link.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        link.push((idb.linktype.0, idb.if_tsresol, idb.if_tsoffset))
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        frame += 1;
                        let (lt, res, off) =
                            link.get(epb.if_id as usize).copied().unwrap_or((1, 6, 0));
                        let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let unit = if res & 0x80 != 0 {
                            2f64.powi(-i32::from(res & 0x7f))
                        } else {
                            10f64.powi(-i32::from(res))
                        };
                        sink.time(ticks as f64 * unit + off as f64);
                        let data = &epb.data[..(epb.caplen as usize).min(epb.data.len())];
                        packet(name, frame, lt, data, opts, &mut tcp, sink);
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        frame += 1;
                        let lt = link.first().map_or(1, |l| l.0);
                        packet(name, frame, lt, spb.data, opts, &mut tcp, sink);
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                pos += used as u64;
                sink.bytes_read(used as u64);
                progress(pos);
                reader.consume(used);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    return finish_capture(
                        tcp,
                        frame,
                        sink,
                        Err(err(
                            pos,
                            "capture file ends inside a block (truncated)".into(),
                        )),
                    );
                }
            }
            Err(e) => {
                let e = err(pos, format!("corrupt capture: {e:?}"));
                return finish_capture(tcp, frame, sink, Err(e));
            }
        }
    }
    finish_capture(tcp, frame, sink, Ok(()))
}

fn finish_capture(
    tcp: Tcp<'_>,
    frame: u64,
    sink: &mut dyn Sink,
    r: Result<(), InputError>,
) -> Result<(), InputError> {
    for (_, f) in tcp.flows {
        let at = Location {
            file: "",
            frame: Some(frame),
            offset: 0,
            flow: None,
        };
        Tcp::finish(f, &at, sink);
    }
    r
}

fn addr(net: &NetSlice<'_>) -> Option<(IpAddr, IpAddr, bool)> {
    match net {
        NetSlice::Ipv4(v4) => Some((
            IpAddr::V4(v4.header().source_addr()),
            IpAddr::V4(v4.header().destination_addr()),
            v4.is_payload_fragmented(),
        )),
        NetSlice::Ipv6(v6) => Some((
            IpAddr::V6(v6.header().source_addr()),
            IpAddr::V6(v6.header().destination_addr()),
            v6.is_payload_fragmented(),
        )),
        NetSlice::Arp(_) => None,
    }
}

fn packet(
    name: &str,
    frame: u64,
    linktype: i32,
    data: &[u8],
    opts: &ReadOptions,
    tcp: &mut Tcp<'_>,
    sink: &mut dyn Sink,
) {
    let mut at = Location {
        file: name,
        frame: Some(frame),
        offset: 0,
        flow: None,
    };
    let sliced = match linktype {
        1 => SlicedPacket::from_ethernet(data),
        113 => SlicedPacket::from_linux_sll(data),
        // Linux cooked v2: protocol type in the first two bytes, 20-byte header.
        276 if data.len() >= 20 => SlicedPacket::from_ether_type(
            EtherType(u16::from_be_bytes([data[0], data[1]])),
            &data[20..],
        ),
        101 | 228 | 229 | 12 | 14 => SlicedPacket::from_ip(data),
        // BSD loopback: a 4-byte address family, then IP.
        0 | 108 if data.len() >= 4 => SlicedPacket::from_ip(&data[4..]),
        _ => {
            sink.skipped(&at, Skip::UnknownLinkType);
            return;
        }
    };
    let Ok(p) = sliced else {
        sink.skipped(&at, Skip::BadFrame);
        return;
    };
    let Some((src, dst, fragmented)) = p.net.as_ref().and_then(addr) else {
        return;
    };
    if fragmented {
        sink.skipped(&at, Skip::IpFragment);
        return;
    }
    let port_ok = |s: u16, d: u16| {
        opts.ports.is_empty() || opts.ports.contains(&s) || opts.ports.contains(&d)
    };
    match p.transport {
        Some(TransportSlice::Udp(u)) => {
            let (sp, dp) = (u.source_port(), u.destination_port());
            let payload = u.payload();
            if !port_ok(sp, dp) || payload.is_empty() {
                return;
            }
            let is_keepalive = payload
                .iter()
                .all(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'));
            if opts.ports.is_empty() && !is_keepalive && !looks_like_sip(payload) {
                return;
            }
            at.flow = Some(FlowId {
                proto: "udp",
                src: (src, sp),
                dst: (dst, dp),
            });
            match parse_datagram(payload, &opts.config) {
                Ok(Datagram::Message(m)) => sink.message(&at, &m, payload.len()),
                Ok(Datagram::KeepAlive) => sink.skipped(&at, Skip::KeepAlive),
                Err(e) => {
                    at.offset = e.offset();
                    sink.malformed(&at, &e);
                }
            }
        }
        Some(TransportSlice::Tcp(t)) => {
            let (sp, dp) = (t.source_port(), t.destination_port());
            if !port_ok(sp, dp) {
                return;
            }
            at.flow = Some(FlowId {
                proto: "tcp",
                src: (src, sp),
                dst: (dst, dp),
            });
            tcp.segment(
                (src, sp, dst, dp),
                t.sequence_number(),
                t.syn(),
                t.fin() || t.rst(),
                t.payload(),
                &at,
                sink,
            );
        }
        _ => {}
    }
}
