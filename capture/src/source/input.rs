//! Reading one input: a file or standard input, recognised as a pcap or
//! pcapng capture by its magic number whatever its name, else read as a raw
//! byte stream of SIP messages.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use pcap_parser::Linktype;
use sipline::{parse_datagram, Datagram, Frame, Frames, StreamError};

use crate::decode::frag::{Defragmenter, Outcome};
use crate::decode::link::{decode, ip_payload, Decoded, TransportPayload};
use crate::decode::sctp::data_chunks;
use crate::sink::{FlowId, InputError, Location, Sink, Skip, Transport};
use crate::sniff::looks_like_sip;
use crate::source::live::{follow_dir, Tail};
use crate::source::options::ReadOptions;
use crate::source::pcap::{is_capture, walk, Packet, Packets};
use crate::tcp::reassembler::{Reassembler, Segment};

/// Reads one input by name: a file, or standard input for `-`. Captures
/// are recognised by their magic number whatever the name. Everything found
/// goes to `sink`; an [`InputError`] says the input itself could not be read
/// to its end (what was read before still went to the sink).
///
/// ```no_run
/// # struct S; impl sipline_capture::Sink for S {
/// #   fn message(&mut self, _: &sipline_capture::Location, _: &sipline::Message, _: usize) {}
/// #   fn malformed(&mut self, _: &sipline_capture::Location, _: &sipline::Error) {}
/// #   fn skipped(&mut self, _: &sipline_capture::Location, _: sipline_capture::Skip) {}
/// # }
/// let mut sink = S;
/// sipline_capture::read_path("trunk.pcapng", &Default::default(), &mut sink)?;
/// # Ok::<(), sipline_capture::InputError>(())
/// ```
///
/// With [`ReadOptions::follow`], a file is read as it is written and a
/// folder as a ring buffer of captures, until the follow stops.
pub fn read_path(name: &str, opts: &ReadOptions, sink: &mut dyn Sink) -> Result<(), InputError> {
    let open_error = |path: &Path, e: std::io::Error| InputError {
        file: path.to_string_lossy().into_owned(),
        offset: None,
        message: e.to_string(),
    };
    if name == "-" {
        return read(name, std::io::stdin(), opts, sink);
    }
    let path = Path::new(name);
    match &opts.follow {
        Some(follow) if path.is_dir() => follow_dir(
            path,
            follow,
            |file, tail| read(file, tail, opts, sink),
            open_error,
        ),
        Some(follow) => loop {
            let file = File::open(name).map_err(|e| open_error(path, e))?;
            let ended = std::sync::Arc::new(std::sync::Mutex::new(None));
            let tail = Tail::new(file, follow.clone(), None)
                .watching(path.to_path_buf(), std::sync::Arc::clone(&ended));
            let result = read(name, tail, opts, sink);
            let why = ended.lock().ok().and_then(|mut e| e.take());
            match why {
                // Truncated or replaced: said, and the file read again from
                // its start (a new capture header, frames from 1).
                Some(why) => {
                    let at = Location {
                        file: name,
                        frame: None,
                        offset: 0,
                        flow: None,
                        time: None,
                    };
                    sink.skipped(&at, why);
                }
                None => return result,
            }
        },
        None => {
            let file = File::open(name).map_err(|e| open_error(path, e))?;
            read(name, file, opts, sink)
        }
    }
}

/// Reads one input from `r`, named `name` in every [`Location`]: a capture
/// when it starts with a pcap or pcapng magic number, else a raw stream.
pub fn read(
    name: &str,
    r: impl Read + Send,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), InputError> {
    let mut r = BufReader::with_capacity(64 * 1024, r);
    let head = loop {
        match r.fill_buf() {
            Ok(head) => break head,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(InputError {
                    file: name.to_string(),
                    offset: Some(0),
                    message: e.to_string(),
                })
            }
        }
    };
    if is_capture(head) {
        let mut feed = Feed {
            source: PacketSource::new(name, opts),
            sink,
        };
        let (frames, result) = walk(name, r, &mut feed);
        feed.source.frames = frames;
        feed.source.finish(feed.sink);
        result
    } else {
        read_stream(name, r, opts, sink)
    }
}

/// A raw byte stream (a TCP payload dump): framed message by message. A
/// malformed message ends it: a stream cannot be resynchronised safely.
fn read_stream(
    name: &str,
    r: impl Read,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), InputError> {
    let loc = |offset| Location {
        file: name,
        frame: None,
        offset,
        flow: None,
        time: None,
    };
    let mut frames = Frames::new(r, opts.config);
    let mut counted = 0;
    let mut junk = 0;
    loop {
        let next = frames.next();
        // Bytes are reported as they are read, for progress.
        sink.bytes_read(frames.bytes_read() - counted);
        counted = frames.bytes_read();
        let now = frames.decoder().junk_bytes();
        if now > junk {
            let at = loc(frames.decoder().junk_offset().unwrap_or_default());
            sink.skipped_bytes(&at, Skip::JunkBetweenMessages, now - junk);
            junk = now;
        }
        match next {
            None => return Ok(()),
            Some(Ok(Frame::Message(m))) => {
                sink.message(&loc(m.offset()), &m.message(), m.as_bytes().len())
            }
            Some(Ok(Frame::KeepAlive { offset })) => sink.skipped(&loc(offset), Skip::KeepAlive),
            Some(Err(StreamError::Parse(e)))
                if e.kind() == sipline::ErrorKind::IncompleteMessage =>
            {
                sink.skipped(&loc(e.offset()), Skip::IncompleteAtEnd);
            }
            Some(Err(StreamError::Parse(e))) => {
                sink.malformed_bytes(&loc(e.offset()), &e, frames.pending())
            }
            Some(Err(StreamError::Io(e))) => {
                return Err(InputError {
                    file: name.to_string(),
                    offset: Some(frames.bytes_read()),
                    message: e.to_string(),
                })
            }
        }
    }
}

/// A capture's packets into its [`PacketSource`], and what the source finds
/// into the sink.
struct Feed<'a> {
    source: PacketSource,
    sink: &'a mut dyn Sink,
}

impl Packets for Feed<'_> {
    fn packet(&mut self, p: Packet<'_>) -> std::ops::ControlFlow<()> {
        if let Some(t) = p.time {
            self.sink.time(t);
        }
        let PacketSource { name, reader, .. } = &mut self.source;
        match p.link {
            Some(link) => reader.packet((name, p.frame, p.time), link, p.data, self.sink),
            None => reader.unknown_link(name, p.frame, self.sink),
        }
        std::ops::ControlFlow::Continue(())
    }

    fn bytes_read(&mut self, n: u64) {
        self.sink.bytes_read(n);
    }

    fn cut_short(&mut self, frame: u64, at: u64) {
        let at = Location {
            file: &self.source.name,
            frame: Some(frame),
            offset: at,
            flow: None,
            time: None,
        };
        self.sink.skipped(&at, Skip::PacketCutShort);
    }
}

/// A source fed one packet at a time: what a live interface or a HEP
/// socket hands over, decoded as a capture file's packets are (link layers,
/// tunnels, HEP, IP fragments, TCP reassembly, SIP recognition), with what
/// it finds going to the sink of each call. Reading a capture file is this,
/// fed by the file.
///
/// Every [`Location`] names the source by `name` and numbers its packets
/// from 1 in the order pushed. Memory is bounded by the [`ReadOptions`]
/// limits, as for a file, however long the source runs.
///
/// ```
/// use sipline_capture::{FlowId, Linktype, Location, PacketSource, ReadOptions, Sink, Skip, Transport};
///
/// #[derive(Default)]
/// struct Seen(Vec<String>);
/// impl Sink for Seen {
///     fn message(&mut self, at: &Location, m: &sipline::Message, _: usize) {
///         self.0.push(format!("{at}: {}", m.head.start_line));
///     }
///     fn malformed(&mut self, _: &Location, _: &sipline::Error) {}
///     fn skipped(&mut self, _: &Location, _: Skip) {}
/// }
///
/// let mut source = PacketSource::new("hep:9060", &ReadOptions::default());
/// let mut seen = Seen::default();
/// // What a HEP collector hands over: one message, its flow and time.
/// let flow = FlowId {
///     transport: Transport::Udp,
///     src: "192.0.2.1:5060".parse().unwrap(),
///     dst: "192.0.2.2:5060".parse().unwrap(),
/// };
/// source.push_message(Some(1.7e9), flow, b"OPTIONS sip:b SIP/2.0\r\nl: 0\r\n\r\n", &mut seen);
/// // A link-layer frame that is not IP: counted, not SIP.
/// source.push_frame(Some(1.7e9), Linktype::ETHERNET, &[0; 14], &mut seen);
/// source.finish(&mut seen);
/// assert_eq!(seen.0, ["hep:9060 frame 1 (udp 192.0.2.1:5060 -> 192.0.2.2:5060) byte 0: OPTIONS sip:b SIP/2.0"]);
/// assert_eq!(source.frames(), 2);
/// ```
pub struct PacketSource {
    name: String,
    reader: Reader,
    frames: u64,
}

impl PacketSource {
    /// A source named `name` in every location, read with `opts`.
    pub fn new(name: &str, opts: &ReadOptions) -> PacketSource {
        PacketSource {
            name: name.to_string(),
            reader: Reader::new(opts),
            frames: 0,
        }
    }

    /// A link-layer frame of link type `link` (Ethernet, Linux cooked SLL
    /// and SLL2, raw IP, BSD loopback), captured at `time` (seconds since the
    /// epoch, UTC).
    pub fn push_frame(
        &mut self,
        time: Option<f64>,
        link: Linktype,
        data: &[u8],
        sink: &mut dyn Sink,
    ) {
        self.frames += 1;
        if let Some(t) = time {
            sink.time(t);
        }
        let at = (self.name.as_str(), self.frames, time);
        self.reader.packet(at, link, data, sink);
    }

    /// One SIP message already taken out of its packet, as a capture agent
    /// sends it (HEP carries one message per packet, over UDP or TCP alike):
    /// its flow, the time it was captured, and its bytes, parsed with
    /// datagram rules (the body is the rest of the payload).
    /// With [`ReadOptions::ports`], a message of a flow on none of them is
    /// passed over, as a packet would be.
    pub fn push_message(
        &mut self,
        time: Option<f64>,
        flow: FlowId,
        payload: &[u8],
        sink: &mut dyn Sink,
    ) {
        self.frames += 1;
        if let Some(t) = time {
            sink.time(t);
        }
        let ports = &self.reader.opts.ports;
        if !ports.is_empty()
            && !ports.contains(&flow.src.port())
            && !ports.contains(&flow.dst.port())
        {
            return;
        }
        let at = Location {
            file: &self.name,
            frame: Some(self.frames),
            offset: 0,
            flow: Some(flow),
            time,
        };
        self.reader
            .one_message(&at, payload, self.reader.opts.ports.is_empty(), sink);
    }

    /// Packets pushed so far.
    pub const fn frames(&self) -> u64 {
        self.frames
    }

    /// TCP directions being reassembled now, and the bytes they hold.
    pub fn tcp_held(&self) -> (usize, usize) {
        (self.reader.tcp.open_flows(), self.reader.tcp.memory())
    }

    /// The source has ended: what TCP flows still hold is reported
    /// (messages cut short), and IP fragments still waiting are counted.
    pub fn finish(&mut self, sink: &mut dyn Sink) {
        self.reader.finish(&self.name, self.frames, sink);
    }
}

/// The per-input state of a capture: the options, IP fragments and TCP
/// reassembly.
struct Reader {
    opts: ReadOptions,
    tcp: Reassembler,
    defrag: Defragmenter,
}

impl Reader {
    fn new(opts: &ReadOptions) -> Reader {
        Reader {
            opts: opts.clone(),
            tcp: Reassembler::new(opts.config, opts.tcp, !opts.ports.is_empty()),
            defrag: Defragmenter::new(opts.frag),
        }
    }

    /// A frame whose interface has no link type.
    fn unknown_link(&mut self, name: &str, frame: u64, sink: &mut dyn Sink) {
        let at = Location {
            file: name,
            frame: Some(frame),
            offset: 0,
            flow: None,
            time: None,
        };
        sink.skipped(&at, Skip::UnknownLinkType);
    }

    /// One captured frame, taken at `time`.
    fn packet(
        &mut self,
        at: (&str, u64, Option<f64>),
        linktype: Linktype,
        data: &[u8],
        sink: &mut dyn Sink,
    ) {
        let (name, frame, time) = at;
        let mut at = Location {
            file: name,
            frame: Some(frame),
            offset: 0,
            flow: None,
            time,
        };
        let whole;
        let (src, dst, payload) = match decode(linktype, data) {
            Decoded::Packet {
                src,
                dst,
                payload,
                time,
            } => {
                // HEP carries the original capture time.
                if time.is_some() {
                    at.time = time;
                }
                (src, dst, payload)
            }
            Decoded::Fragment(f) => {
                // Only UDP, TCP and tunnels can carry SIP; other fragments
                // (ICMP …) are not held.
                if !matches!(f.protocol, 17 | 6 | 4 | 41 | 47 | 137) {
                    return;
                }
                let mut lost = 0;
                let outcome = self.defrag.add(&f, time, &mut |n, _| lost += n);
                for _ in 0..lost {
                    sink.skipped(&at, Skip::IpFragment);
                }
                let Outcome::Complete { protocol, payload } = outcome else {
                    return;
                };
                whole = payload;
                match ip_payload(f.src, f.dst, protocol, &whole) {
                    Decoded::Packet {
                        src, dst, payload, ..
                    } => (src, dst, payload),
                    Decoded::Other | Decoded::Fragment(_) | Decoded::UnknownLinkType => return,
                    Decoded::Bad => return sink.skipped(&at, Skip::BadFrame),
                }
            }
            Decoded::UnknownLinkType => return sink.skipped(&at, Skip::UnknownLinkType),
            Decoded::Bad => return sink.skipped(&at, Skip::BadFrame),
            Decoded::Other => return,
        };
        let ports = &self.opts.ports;
        if !ports.is_empty() && !ports.contains(&src.port()) && !ports.contains(&dst.port()) {
            return;
        }
        match payload {
            TransportPayload::Udp(payload) => {
                if payload.is_empty() {
                    return;
                }
                at.flow = Some(FlowId {
                    transport: Transport::Udp,
                    src,
                    dst,
                });
                let any_port = ports.is_empty();
                self.one_message(&at, payload, any_port, sink);
            }
            TransportPayload::Sctp(chunks) => {
                at.flow = Some(FlowId {
                    transport: Transport::Sctp,
                    src,
                    dst,
                });
                for chunk in data_chunks(chunks) {
                    if !chunk.whole {
                        sink.skipped(&at, Skip::SctpFragment);
                        continue;
                    }
                    // RFC 4168 registers no PPID: 0 is SIP; others only if they look it.
                    let any_port = ports.is_empty() && chunk.ppid != 0;
                    self.one_message(&at, chunk.data, any_port, sink);
                }
            }
            TransportPayload::Tcp(header, payload) => {
                let seg = Segment {
                    src,
                    dst,
                    header,
                    payload,
                };
                self.tcp.segment(&seg, &at, sink);
            }
        }
    }

    /// One message in a datagram (UDP, an SCTP DATA chunk), offered to the
    /// sink first ([`Sink::datagram`]).
    fn one_message(&self, at: &Location<'_>, payload: &[u8], sniff: bool, sink: &mut dyn Sink) {
        // A copy: an error's offset must not stay for the next chunk.
        let mut here = *at;
        if !sink.datagram(&here, payload, sniff) {
            deliver_datagram(&mut here, payload, sniff, &self.opts.config, sink);
        }
    }

    /// The capture has ended (after `frames` frames).
    fn finish(&mut self, name: &str, frames: u64, sink: &mut dyn Sink) {
        self.tcp.finish(name, Some(frames), sink);
        let mut lost = 0;
        self.defrag.finish(&mut |n, _| lost += n);
        let at = Location {
            file: name,
            frame: Some(frames),
            offset: 0,
            flow: None,
            time: None,
        };
        for _ in 0..lost {
            sink.skipped(&at, Skip::IpFragment);
        }
    }
}

/// Parses the SIP message in a datagram's payload (UDP, a whole SCTP DATA
/// chunk) and tells `sink` what it is: [`Sink::message`], a keep-alive
/// ([`Sink::skipped`]), or [`Sink::malformed`] with `at.offset` set to the
/// error's byte. With `sniff` (no SIP port was named), a payload that fails
/// to parse is reported only if it starts like SIP: not SIP at all is not
/// malformed SIP, and goes to [`Sink::media`]. This is what the readers do with every datagram; a sink
/// that takes datagrams over ([`Sink::datagram`]) calls it later, on
/// another thread say, with the same result.
///
/// ```
/// use sipline::{Message, ParserConfig};
/// use sipline_capture::{deliver_datagram, Location, Sink, Skip};
///
/// #[derive(Default)]
/// struct Count(u32, u32);
/// impl Sink for Count {
///     fn message(&mut self, _: &Location, _: &Message, _: usize) { self.0 += 1 }
///     fn malformed(&mut self, _: &Location, _: &sipline::Error) { self.1 += 1 }
///     fn skipped(&mut self, _: &Location, _: Skip) {}
/// }
/// let mut at = Location { file: "-", frame: None, offset: 0, flow: None, time: None };
/// let mut n = Count::default();
/// let cfg = ParserConfig::default();
/// deliver_datagram(&mut at, b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n", true, &cfg, &mut n);
/// deliver_datagram(&mut at, b"\x16\x03\x01 not SIP", true, &cfg, &mut n);
/// deliver_datagram(&mut at, b"SIP/2.0 2000 OK\r\n\r\n", true, &cfg, &mut n);
/// assert_eq!((n.0, n.1), (1, 1));
/// ```
pub fn deliver_datagram(
    at: &mut Location<'_>,
    payload: &[u8],
    sniff: bool,
    config: &sipline::ParserConfig,
    sink: &mut dyn Sink,
) {
    // RTP and RTCP (version 2) start with 0x80–0xBF, which no SIP start
    // line or keep-alive does: parse_datagram could only fail on them
    // (the fuzz target `datagram` checks it), after scanning them whole.
    if sniff && payload.first().is_some_and(|b| (0x80..=0xBF).contains(b)) {
        sink.media(at, payload);
        return;
    }
    match parse_datagram(payload, config) {
        Ok(Datagram::Message(m)) => sink.message(at, &m, payload.len()),
        Ok(Datagram::KeepAlive) => sink.skipped(at, Skip::KeepAlive),
        // Not SIP at all is not malformed SIP: media, perhaps.
        Err(_) if sniff && !looks_like_sip(payload) => sink.media(at, payload),
        Err(e) => {
            at.offset = e.offset();
            sink.malformed_bytes(at, &e, payload);
        }
    }
}
