//! HEP out: every SIP message read, whatever the source (a file, an
//! interface, the HEP collector), sent on as HEPv3 over UDP to HOMER or
//! another collector, with its original addresses, ports, transport and
//! capture time, so that sipline serves as a capture agent.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sipline::{Error, Message};

use crate::decode::hep::{encode, Hep};
use crate::sink::{Location, Sink, Skip, Transport};
use crate::sniff::looks_like_sip;

/// Where HEP goes, and what came of it ([`ReadOptions::hep_send`]).
///
/// [`ReadOptions::hep_send`]: crate::ReadOptions::hep_send
#[derive(Clone, Debug)]
pub struct HepSend {
    /// The collector's UDP address.
    pub addr: SocketAddr,
    /// The capture agent's id (HEP3 chunk 12).
    pub capture_id: u32,
    /// HEP3's capture password (chunk 14), sent with every packet when set.
    pub password: Option<String>,
    /// What was sent and what was not, shared with whoever set this up.
    pub counts: Arc<HepSendCounts>,
}

impl HepSend {
    /// Sends to `addr` as capture agent 0, without a password.
    pub fn new(addr: SocketAddr) -> HepSend {
        HepSend {
            addr,
            capture_id: 0,
            password: None,
            counts: Arc::default(),
        }
    }
}

/// What a [`HepSend`] did, counted as it goes.
#[derive(Debug, Default)]
pub struct HepSendCounts {
    /// Messages sent as HEP.
    pub sent: AtomicU64,
    /// Messages whose send failed (the collector unreachable, say).
    pub failed: AtomicU64,
    /// Messages without addresses (a raw stream): HEP cannot carry them.
    pub without_flow: AtomicU64,
    /// Messages too large for one HEP3 packet.
    pub too_large: AtomicU64,
}

impl HepSendCounts {
    /// `(sent, failed, without_flow, too_large)` now.
    pub fn get(&self) -> (u64, u64, u64, u64) {
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        (
            n(&self.sent),
            n(&self.failed),
            n(&self.without_flow),
            n(&self.too_large),
        )
    }
}

/// A sink that sends each SIP message on as HEP, then hands everything to
/// the sink it wraps.
pub(crate) struct Forwarding<'a> {
    inner: &'a mut dyn Sink,
    cfg: &'a HepSend,
    socket: UdpSocket,
    packet: Vec<u8>,
    bytes: Vec<u8>,
}

impl<'a> Forwarding<'a> {
    /// A socket of the collector's family, bound to any port.
    pub(crate) fn new(cfg: &'a HepSend, inner: &'a mut dyn Sink) -> std::io::Result<Self> {
        let any: SocketAddr = if cfg.addr.is_ipv4() {
            "0.0.0.0:0".parse().map_err(std::io::Error::other)?
        } else {
            "[::]:0".parse().map_err(std::io::Error::other)?
        };
        Ok(Forwarding {
            inner,
            cfg,
            socket: UdpSocket::bind(any)?,
            packet: Vec::new(),
            bytes: Vec::new(),
        })
    }

    fn send(&mut self, at: &Location<'_>, payload: &[u8]) {
        let counts = &self.cfg.counts;
        let Some(flow) = at.flow else {
            counts.without_flow.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let ip_protocol = match flow.transport {
            Transport::Udp => 17,
            Transport::Sctp => 132,
            // WebSocket rides on TCP.
            _ => 6,
        };
        let hep = Hep {
            src: flow.src,
            dst: flow.dst,
            ip_protocol,
            time: at.time,
            payload_type: Some(1),
            payload,
            auth_key: self.cfg.password.as_deref().map(str::as_bytes),
        };
        if !encode(&mut self.packet, &hep, self.cfg.capture_id) {
            counts.too_large.fetch_add(1, Ordering::Relaxed);
            return;
        }
        match self.socket.send_to(&self.packet, self.cfg.addr) {
            Ok(_) => counts.sent.fetch_add(1, Ordering::Relaxed),
            Err(_) => counts.failed.fetch_add(1, Ordering::Relaxed),
        };
    }
}

impl Sink for Forwarding<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        let mut bytes = std::mem::take(&mut self.bytes);
        bytes.clear();
        bytes.extend_from_slice(msg.head.as_bytes());
        bytes.extend_from_slice(msg.body);
        self.send(at, &bytes);
        self.bytes = bytes;
        self.inner.message(at, msg, wire_len);
    }

    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.inner.malformed(at, err);
    }

    fn malformed_bytes(&mut self, at: &Location<'_>, err: &Error, bytes: &[u8]) {
        self.inner.malformed_bytes(at, err, bytes);
    }

    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        self.inner.skipped(at, what);
    }

    fn skipped_many(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        self.inner.skipped_many(at, what, n);
    }

    fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        self.inner.skipped_bytes(at, what, n);
    }

    fn time(&mut self, ts: f64) {
        self.inner.time(ts);
    }

    /// A datagram the wrapped sink takes over (to parse it on another
    /// thread) is sent as it is when it is SIP; one it leaves to the
    /// reader comes back as a [`message`](Sink::message).
    fn datagram(&mut self, at: &Location<'_>, payload: &[u8], sniff: bool) -> bool {
        let taken = self.inner.datagram(at, payload, sniff);
        if taken && (!sniff || looks_like_sip(payload)) {
            self.send(at, payload);
        }
        taken
    }

    fn bytes_read(&mut self, n: u64) {
        self.inner.bytes_read(n);
    }

    fn held(&mut self, tcp_flows: usize, tcp_bytes: usize) {
        self.inner.held(tcp_flows, tcp_bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::hep::parse;
    use crate::sink::FlowId;

    /// Takes every datagram over, as the parallel run does.
    #[derive(Default)]
    struct Taker(u64);
    impl Sink for Taker {
        fn message(&mut self, _: &Location<'_>, _: &Message<'_>, _: usize) {}
        fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
        fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
        fn datagram(&mut self, _: &Location<'_>, _: &[u8], _: bool) -> bool {
            self.0 += 1;
            true
        }
    }

    #[test]
    fn datagrams_taken_over_are_sent_when_sip_and_counted_when_not_sendable() {
        let collector = UdpSocket::bind("127.0.0.1:0").unwrap();
        collector
            .set_read_timeout(Some(std::time::Duration::from_secs(2)))
            .unwrap();
        let cfg = HepSend {
            password: Some("pw".into()),
            capture_id: 9,
            ..HepSend::new(collector.local_addr().unwrap())
        };
        let mut taker = Taker::default();
        let mut f = Forwarding::new(&cfg, &mut taker).unwrap();
        let flow = FlowId {
            transport: Transport::Sctp,
            src: "192.0.2.1:5060".parse().unwrap(),
            dst: "192.0.2.2:5060".parse().unwrap(),
        };
        let at = Location {
            file: "f",
            frame: Some(1),
            offset: 0,
            flow: Some(flow),
            time: Some(1_700_000_000.25),
        };
        let sip = b"OPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        assert!(f.datagram(&at, sip, true));
        // Not SIP, found by sniffing: taken over, not sent.
        assert!(f.datagram(&at, &[0x80, 0, 0, 1], true));
        // No addresses, or too large for HEP: counted.
        let nowhere = Location { flow: None, ..at };
        assert!(f.datagram(&nowhere, sip, false));
        let mut big = sip.to_vec();
        big.resize(70_000, b'x');
        assert!(f.datagram(&at, &big, false));
        f.skipped_many(&at, Skip::KeepAlive, 2);
        f.skipped_bytes(&at, Skip::TcpGap, 3);
        f.time(1.0);
        f.bytes_read(4);
        f.held(1, 2);
        assert_eq!(taker.0, 4);
        let mut buf = [0u8; 2048];
        let n = collector.recv(&mut buf).unwrap();
        let h = parse(&buf[..n]).unwrap();
        assert_eq!((h.src, h.dst, h.ip_protocol), (flow.src, flow.dst, 132));
        assert_eq!(h.payload, sip);
        assert_eq!(h.auth_key, Some(&b"pw"[..]));
        assert_eq!(cfg.counts.get(), (1, 0, 1, 1));
    }
}
