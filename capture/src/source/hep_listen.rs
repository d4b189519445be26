//! A HEP collector: HEPv2 and HEPv3 datagrams on a UDP socket, and HEP3
//! over TCP on the same port (what Kamailio's siptrace, OpenSIPS,
//! FreeSWITCH, Asterisk and heplify send), each message read with HEP's
//! own addresses and capture time, as the capture reader reads HEP found
//! in a capture.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use crate::decode::hep;
use crate::sink::{FlowId, InputError, Location, Sink, Skip, Transport};
use crate::source::hep_send::Forwarding;
use crate::source::iface::listen_interface;
use crate::source::input::{read_path, PacketSource};
use crate::source::live::{Follow, HepListen};
use crate::source::options::ReadOptions;

/// The largest datagram read (UDP's own limit).
const MAX_DATAGRAM: usize = 65_535;

/// HEP3 over a TCP connection, cut into its packets by their own length
/// (HEP2 has none, so over TCP only HEP3 is read). Bytes that do not start
/// a HEP3 packet are passed over to the next `HEP3`, counted.
///
/// Bounded: one packet at most (65 535 bytes) is held.
#[derive(Debug, Default)]
pub struct HepStream {
    buf: Vec<u8>,
    /// Passing over junk: more of it is the same run.
    in_junk: bool,
}

/// What [`HepStream::next_frame`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum HepFrame {
    /// A whole HEP3 packet.
    Packet(Vec<u8>),
    /// The start of bytes that are not HEP3, passed over up to the next
    /// `HEP3`.
    Junk,
}

impl HepStream {
    /// Bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next packet, or the start of a run of junk (reported once
    /// however the reads cut it), when the bytes held have one.
    pub fn next_frame(&mut self) -> Option<HepFrame> {
        loop {
            let junk = match memchr::memmem::find(&self.buf, b"HEP3") {
                Some(at) => at,
                // Keep what may be the start of a `HEP3` cut by the read.
                None => self.buf.len().saturating_sub(3),
            };
            let junk = if junk > 0 {
                junk
            } else {
                match self.buf.get(4..).and_then(|b| b.first_chunk::<2>()) {
                    None => return None,
                    Some(len) => {
                        let total = usize::from(u16::from_be_bytes(*len));
                        if total >= 6 {
                            if self.buf.len() < total {
                                return None;
                            }
                            self.in_junk = false;
                            let rest = self.buf.split_off(total);
                            return Some(HepFrame::Packet(std::mem::replace(&mut self.buf, rest)));
                        }
                        // A length that cannot be: this `HEP3` is junk too.
                        4
                    }
                }
            };
            self.buf.drain(..junk);
            if !self.in_junk {
                self.in_junk = true;
                return Some(HepFrame::Junk);
            }
        }
    }

    /// Bytes held: a packet cut by the end of the connection, if any.
    pub fn held(&self) -> usize {
        self.buf.len()
    }
}

/// The most TCP connections a collector holds; more are refused (closed)
/// and counted.
const MAX_CONNECTIONS: usize = 256;

/// A HEP sender's TCP connection.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    frames: HepStream,
}

/// The collector's state while it runs: the source its messages go
/// through, and where it counts what it receives.
struct Collector<'c> {
    cfg: &'c HepListen,
    name: String,
    local: SocketAddr,
    source: PacketSource,
    received: u64,
}

impl Collector<'_> {
    /// Where what came from `from` over `transport` is counted.
    fn at(&self, transport: Transport, from: SocketAddr) -> Location<'_> {
        Location {
            file: &self.name,
            frame: Some(self.received),
            offset: 0,
            flow: Some(FlowId {
                transport,
                src: from,
                dst: self.local,
            }),
            time: None,
        }
    }

    /// One HEP packet from `from`.
    fn packet(
        &mut self,
        bytes: &[u8],
        transport: Transport,
        from: SocketAddr,
        sink: &mut dyn Sink,
    ) {
        self.received += 1;
        sink.bytes_read(bytes.len() as u64);
        match hep::parse(bytes) {
            None => sink.skipped(&self.at(transport, from), Skip::HepMalformed),
            Some(h) if self.cfg.refuses(from, h.auth_key) => {
                sink.skipped(&self.at(transport, from), Skip::HepRefused);
            }
            // Chunk 11 says what the payload is: 1 is SIP.
            Some(h) if h.payload_type.is_some_and(|t| t != 1) => {}
            Some(h) => {
                let transport = match h.ip_protocol {
                    6 => Transport::Tcp,
                    132 => Transport::Sctp,
                    _ => Transport::Udp,
                };
                let flow = FlowId {
                    transport,
                    src: h.src,
                    dst: h.dst,
                };
                self.source.push_message(h.time, flow, h.payload, sink);
            }
        }
    }

    /// Reads what `c` has: whether the connection is still open, and
    /// whether anything came.
    fn read(&mut self, c: &mut Connection, buf: &mut [u8], sink: &mut dyn Sink) -> (bool, bool) {
        let mut came = false;
        let open = loop {
            match c.stream.read(buf) {
                Ok(0) => break false,
                Ok(n) => {
                    came = true;
                    c.frames.push(buf.get(..n).unwrap_or_default());
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break false,
            }
        };
        while let Some(frame) = c.frames.next_frame() {
            match frame {
                HepFrame::Packet(p) => self.packet(&p, Transport::Tcp, c.peer, sink),
                HepFrame::Junk => {
                    self.received += 1;
                    sink.skipped(&self.at(Transport::Tcp, c.peer), Skip::HepMalformed);
                }
            }
        }
        if !open && c.frames.held() > 0 {
            // Cut in the middle of a packet by the end of the connection.
            self.received += 1;
            sink.skipped(&self.at(Transport::Tcp, c.peer), Skip::HepMalformed);
        }
        (open, came)
    }
}

/// The kernel's count of datagrams it dropped for `socket` because its
/// receive buffer was full: the `drops` column of `/proc/net/udp` (or
/// `udp6`) on the socket's line, found by its inode.
#[cfg(target_os = "linux")]
fn udp_drops(socket: &UdpSocket) -> Option<u64> {
    use std::os::fd::AsRawFd;
    let link = std::fs::read_link(format!("/proc/self/fd/{}", socket.as_raw_fd())).ok()?;
    let link = link.to_str()?;
    let inode = link.strip_prefix("socket:[")?.strip_suffix(']')?;
    ["/proc/net/udp", "/proc/net/udp6"]
        .iter()
        .find_map(|table| {
            let text = std::fs::read_to_string(table).ok()?;
            text.lines().skip(1).find_map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                if cols.get(9) == Some(&inode) {
                    cols.get(12)?.parse().ok()
                } else {
                    None
                }
            })
        })
}

#[cfg(not(target_os = "linux"))]
fn udp_drops(_: &UdpSocket) -> Option<u64> {
    None
}

/// Collects HEP on `cfg.addr`, UDP and TCP alike (the same port), until
/// `follow`'s stop flag is raised: every SIP message to `sink`, at its
/// original flow and time; what is not HEP, or is refused, counted where it
/// came from ([`Skip::HepMalformed`], [`Skip::HepRefused`]); datagrams
/// the kernel dropped (the socket's buffer full) counted as
/// [`Skip::KernelDropped`] every second; the collector goes on. The error is the sockets' own (they cannot be bound, or fail),
/// never the input's.
pub fn listen_hep(
    cfg: &HepListen,
    opts: &ReadOptions,
    follow: &Follow,
    sink: &mut dyn Sink,
) -> Result<(), InputError> {
    let name = cfg.name();
    let fail = |e: std::io::Error| InputError {
        file: name.clone(),
        offset: None,
        message: e.to_string(),
    };
    cfg.check().map_err(|message| InputError {
        file: name.clone(),
        offset: None,
        message,
    })?;
    let udp = UdpSocket::bind(cfg.addr).map_err(fail)?;
    let local = udp.local_addr().map_err(fail)?;
    // TCP on the port UDP got (the same, when one was asked for).
    let tcp = TcpListener::bind(local).map_err(fail)?;
    udp.set_nonblocking(true).map_err(fail)?;
    // Best effort: the kernel caps it (net.core.rmem_max) without
    // CAP_NET_ADMIN, and the collector works with what it gets.
    #[cfg(target_os = "linux")]
    let _ = crate::source::packet_socket::set_receive_buffer(&udp, cfg.buffer);
    tcp.set_nonblocking(true).map_err(fail)?;
    let mut collector = Collector {
        cfg,
        name: name.clone(),
        local,
        source: PacketSource::new(&name, opts),
        received: 0,
    };
    let mut connections: Vec<Connection> = Vec::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let idle = follow
        .poll
        .clamp(Duration::from_millis(1), Duration::from_millis(20));
    let dropped_at = Location {
        file: &name,
        frame: None,
        offset: 0,
        flow: None,
        time: None,
    };
    let mut dropped = udp_drops(&udp).unwrap_or(0);
    let mut count_drops = |sink: &mut dyn Sink| {
        if let Some(now) = udp_drops(&udp) {
            if now > dropped {
                sink.skipped_many(&dropped_at, Skip::KernelDropped, now - dropped);
            }
            dropped = dropped.max(now);
        }
    };
    let mut checked = std::time::Instant::now();
    while !follow.stopped() {
        if checked.elapsed() >= Duration::from_secs(1) {
            count_drops(sink);
            checked = std::time::Instant::now();
        }
        let mut busy = false;
        loop {
            match udp.recv_from(&mut buf) {
                Ok((n, from)) => {
                    busy = true;
                    let datagram = buf.get(..n).unwrap_or_default();
                    collector.packet(datagram, Transport::Udp, from, sink);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(fail(e)),
            }
        }
        while let Ok((stream, peer)) = tcp.accept() {
            busy = true;
            if connections.len() >= MAX_CONNECTIONS || stream.set_nonblocking(true).is_err() {
                collector.received += 1;
                sink.skipped(&collector.at(Transport::Tcp, peer), Skip::HepRefused);
                continue;
            }
            connections.push(Connection {
                stream,
                peer,
                frames: HepStream::default(),
            });
        }
        connections.retain_mut(|c| {
            let (open, came) = collector.read(c, &mut buf, sink);
            busy |= came;
            open
        });
        if !busy {
            std::thread::sleep(idle);
        }
    }
    count_drops(sink);
    collector.source.finish(sink);
    Ok(())
}

/// Reads the input `name`: the HEP collector of [`ReadOptions::hep`] when
/// `name` is its [`name`](HepListen::name), the interface of
/// [`ReadOptions::iface`] when it is [its](crate::Interface::name), until
/// the follow stops; else
/// [`read_path`] (a file, followed or not, a folder followed, standard
/// input). With [`ReadOptions::hep_send`], every SIP message read is also
/// sent on as HEPv3.
pub fn read_source(name: &str, opts: &ReadOptions, sink: &mut dyn Sink) -> Result<(), InputError> {
    match &opts.hep_send {
        Some(cfg) => {
            let mut forwarding = Forwarding::new(cfg, sink).map_err(|e| InputError {
                file: name.to_string(),
                offset: None,
                message: format!("cannot send HEP to {}: {e}", cfg.addr),
            })?;
            read_one(name, opts, &mut forwarding)
        }
        None => read_one(name, opts, sink),
    }
}

fn read_one(name: &str, opts: &ReadOptions, sink: &mut dyn Sink) -> Result<(), InputError> {
    let follow = || opts.follow.clone().unwrap_or_default();
    if let Some(hep) = opts.hep.as_ref().filter(|h| h.name() == name) {
        return listen_hep(hep, opts, &follow(), sink);
    }
    if let Some(iface) = opts.iface.as_ref().filter(|i| i.name() == name) {
        return listen_interface(iface, opts, &follow(), sink);
    }
    read_path(name, opts, sink)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Summary;
    use std::sync::atomic::Ordering;

    /// A HEP3 datagram of IP protocol `proto` and payload type `kind`.
    fn hep3(proto: u8, kind: u8, payload: &[u8]) -> Vec<u8> {
        let mut chunks = Vec::new();
        let mut chunk = |id: u16, value: &[u8]| {
            chunks.extend_from_slice(&0u16.to_be_bytes());
            chunks.extend_from_slice(&id.to_be_bytes());
            chunks.extend_from_slice(&((6 + value.len()) as u16).to_be_bytes());
            chunks.extend_from_slice(value);
        };
        chunk(2, &[proto]);
        chunk(3, &[192, 0, 2, 1]);
        chunk(4, &[192, 0, 2, 2]);
        chunk(7, &5060u16.to_be_bytes());
        chunk(8, &5080u16.to_be_bytes());
        chunk(11, &[kind]);
        chunk(15, payload);
        let mut out = b"HEP3".to_vec();
        out.extend_from_slice(&((6 + chunks.len()) as u16).to_be_bytes());
        out.extend_from_slice(&chunks);
        out
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_s_drops_are_read_from_its_table() {
        let full = UdpSocket::bind("127.0.0.1:0").unwrap();
        crate::source::packet_socket::set_receive_buffer(&full, 1).unwrap();
        let before = udp_drops(&full).unwrap();
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..200 {
            sender
                .send_to(&[0u8; 1000], full.local_addr().unwrap())
                .unwrap();
        }
        assert!(udp_drops(&full).unwrap() > before);
    }

    #[test]
    fn the_collector_reads_until_stopped_and_names_what_it_passes_over() {
        let addr: SocketAddr = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .unwrap();
        let cfg = HepListen {
            addr,
            allow: Vec::new(),
            password: None,
            buffer: 1 << 20,
        };
        let follow = Follow {
            poll: Duration::from_millis(20),
            ..Follow::default()
        };
        let stop = std::sync::Arc::clone(&follow.stop);
        let run = std::thread::spawn(move || {
            let mut seen = Summary::default();
            let r = listen_hep(&cfg, &ReadOptions::default(), &follow, &mut seen);
            (r, seen)
        });
        std::thread::sleep(Duration::from_millis(200));
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let options = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
        for d in [
            hep3(6, 1, options),
            hep3(132, 1, options),
            hep3(17, 5, b"RTCP, not SIP"),
            b"HEP3 but short".to_vec(),
        ] {
            sender.send_to(&d, addr).unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        let (r, seen) = run.join().unwrap();
        r.unwrap();
        assert_eq!(seen.messages, 2);
        assert_eq!(seen.skipped.get(&Skip::HepMalformed), Some(&1));
        assert!(seen.bytes_read > 0);
    }

    #[test]
    fn a_collector_that_cannot_listen_says_why() {
        let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
        let cfg = HepListen {
            addr: taken.local_addr().unwrap(),
            allow: Vec::new(),
            password: None,
            buffer: 1 << 20,
        };
        let mut seen = Summary::default();
        let e =
            listen_hep(&cfg, &ReadOptions::default(), &Follow::default(), &mut seen).unwrap_err();
        assert_eq!(e.file, cfg.name());
        let wide = HepListen {
            addr: "0.0.0.0:0".parse().unwrap(),
            ..cfg
        };
        let e = listen_hep(
            &wide,
            &ReadOptions::default(),
            &Follow::default(),
            &mut seen,
        )
        .unwrap_err();
        assert!(e.message.contains("allow-list"), "{}", e.message);
        assert!(HepListen {
            password: Some("p".into()),
            ..wide
        }
        .check()
        .is_ok());
    }

    #[test]
    fn hep3_over_tcp_is_cut_by_its_own_lengths_however_it_arrives() {
        let a = hep3(17, 1, b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
        let b = hep3(6, 1, b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n");
        let mut wire = b"junk".to_vec();
        wire.extend_from_slice(&a);
        wire.extend_from_slice(b"HEP3\x00\x02");
        wire.extend_from_slice(&b);
        for step in [1, 2, 7, wire.len()] {
            let mut s = HepStream::default();
            let mut got = Vec::new();
            for piece in wire.chunks(step) {
                s.push(piece);
                while let Some(f) = s.next_frame() {
                    got.push(f);
                }
            }
            let packets: Vec<&Vec<u8>> = got
                .iter()
                .filter_map(|f| match f {
                    HepFrame::Packet(p) => Some(p),
                    HepFrame::Junk => None,
                })
                .collect();
            assert_eq!(packets, [&a, &b], "step {step}");
            // Two runs of junk: the bytes before the first packet, and a
            // `HEP3` with a length that cannot be (up to the next one).
            let runs = got.iter().filter(|f| **f == HepFrame::Junk).count();
            assert_eq!(runs, 2, "step {step}: {got:?}");
            assert_eq!(s.held(), 0);
        }
        let mut cut = HepStream::default();
        cut.push(&a[..a.len() - 1]);
        assert_eq!(cut.next_frame(), None);
        assert_eq!(cut.held(), a.len() - 1);
    }

    #[test]
    fn the_collector_takes_hep3_over_tcp_on_the_same_port() {
        use std::io::Write;
        let addr: SocketAddr = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .unwrap();
        let cfg = HepListen {
            addr,
            allow: Vec::new(),
            password: None,
            buffer: 1 << 20,
        };
        let follow = Follow {
            poll: Duration::from_millis(5),
            ..Follow::default()
        };
        let stop = std::sync::Arc::clone(&follow.stop);
        let run = std::thread::spawn(move || {
            let mut seen = Summary::default();
            let r = listen_hep(&cfg, &ReadOptions::default(), &follow, &mut seen);
            (r, seen)
        });
        std::thread::sleep(Duration::from_millis(200));
        let packet = hep3(6, 1, b"BYE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n");
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        for piece in packet.chunks(9) {
            tcp.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        tcp.write_all(&packet).unwrap();
        // The sender goes away in the middle of a third packet.
        tcp.write_all(&packet[..10]).unwrap();
        drop(tcp);
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
        let (r, seen) = run.join().unwrap();
        r.unwrap();
        assert_eq!(seen.requests.get("BYE"), Some(&2));
        assert_eq!(seen.skipped.get(&Skip::HepMalformed), Some(&1));
    }
}
