//! A stateless SIP proxy (RFC 3261 §16.11) over UDP and TCP, built only
//! from sipline's public API.
//!
//! - A request is checked with `validate_to_forward()`; one that fails gets
//!   the status owed, written by `Response` (an ACK gets nothing).
//! - The first Route is popped when it names this proxy (§16.4). The next
//!   hop is the next Route, else the Request-URI, else (a Request-URI that
//!   names this proxy) the `--route` table: `USER=ADDR` by the Request-URI's
//!   user, `*=ADDR` for the rest. Hosts are IP addresses: this example
//!   does no DNS.
//! - A loop is answered 482 (§16.3 item 4): a Via with this proxy's
//!   sent-by whose branch is the one it would give the request again to
//!   the same next hop (`stateless_branch_at` on the Via below it). A
//!   spiral (this proxy again, another destination) is forwarded.
//! - `Forward` writes the request on: Max-Forwards decremented, the
//!   sender's Via marked `received` (and `rport` when asked, and always
//!   over TCP, so that the response finds its connection), a Via pushed
//!   whose branch is `stateless_branch()` (so retransmissions, CANCEL and
//!   non-2xx ACK get the same branch, §16.11), Record-Route on initial
//!   requests with `--record-route`.
//! - A request goes on over the transport it came on, or TCP when the
//!   next hop's URI says `transport=tcp` or when it is over 1 300 bytes
//!   (§18.1.1).
//! - A response whose top Via is this proxy's is relayed by
//!   `RelayResponse` to the next Via (`Via::reply_address`: `received`,
//!   `rport`, §18.2.2); over TCP on the connection that address names, the
//!   one the request came on. Other responses are dropped (§18.1.2).
//!
//! ```text
//! cargo run --release --features tokio --example proxy -- 127.0.0.1:5060 --route '*=127.0.0.1:5090'
//! sipp -sn uas -p 5090 -i 127.0.0.1 &
//! sipp -sn uac -r 1000 127.0.0.1:5060
//! ```
//!
//! It runs until its standard input closes, then prints its counts as one
//! line of JSON and exits. A connection that sends what cannot be framed
//! is closed; nothing a peer sends stops the proxy. Bounds: at most
//! `--max-connections` TCP connections (1 024), each with at most 1 024
//! messages waiting to be written. A message that came over TCP waits up
//! to 1 s for room in a full queue (the backpressure of a slow reader
//! passed on to the one connection that sends to it); one that came over
//! UDP is dropped at once (UDP retransmits; the one UDP loop never waits).
//! A peer that does not take a write within 3 s loses its connection, and
//! what waited for it is dropped and counted (`slow_peers`, `dropped`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use sipline::{
    parse_datagram, stateless_branch, stateless_branch_at, Datagram, Forward, Frame, Head, Host,
    ParserConfig, RelayResponse, Response, SentBy, StartLine, StatusCode, StreamDecoder, Via,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::codec::FramedRead;

/// The largest request sent over UDP (§18.1.1: 200 bytes under a
/// 1 500-byte MTU).
const UDP_MAX: usize = 1_300;
/// Messages waiting to be written on one connection.
const QUEUE: usize = 1_024;
/// How long a message that came over TCP waits for room in a full
/// connection queue (the peer reads slower than it is sent to) before it
/// is dropped: the sender's connection is not read meanwhile, which is
/// TCP's backpressure passed on.
const SLOW_PEER: std::time::Duration = std::time::Duration::from_secs(1);
/// How long one write to a peer may take before its connection is closed
/// (Kamailio's `tcp_send_timeout` is 10 s): a peer that stops reading is
/// let go, and what waits for it fails at once.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    responses: AtomicU64,
    forwarded: AtomicU64,
    relayed: AtomicU64,
    answered: AtomicU64,
    loops: AtomicU64,
    dropped: AtomicU64,
    parse_errors: AtomicU64,
    slow_peers: AtomicU64,
    closed: AtomicU64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

struct Proxy {
    local: SocketAddr,
    udp: UdpSocket,
    /// Open TCP connections by peer address: the writer of each.
    tcp: Mutex<HashMap<SocketAddr, mpsc::Sender<Bytes>>>,
    max_connections: usize,
    routes: HashMap<String, SocketAddr>,
    record_route: bool,
    cfg: ParserConfig,
    counts: Counts,
}

impl Proxy {
    /// Whether `host:port` names this proxy.
    fn is_me(&self, host: &Host<'_>, port: Option<u16>) -> bool {
        let ip = match host {
            Host::Ipv4(a) => IpAddr::V4(*a),
            Host::Ipv6(a) => IpAddr::V6(*a),
            Host::Name(n) => return n.eq_ignore_ascii_case("localhost") && self.local_port(port),
        };
        (ip == self.local.ip() || ip.is_unspecified()) && self.local_port(port)
    }

    fn local_port(&self, port: Option<u16>) -> bool {
        port.unwrap_or(5060) == self.local.port()
    }

    /// Where a URI's host and port go, when they are an address.
    fn address(host: &Host<'_>, port: Option<u16>) -> Option<SocketAddr> {
        let ip = match host {
            Host::Ipv4(a) => IpAddr::V4(*a),
            Host::Ipv6(a) => IpAddr::V6(*a),
            Host::Name(_) => return None,
        };
        Some(SocketAddr::new(ip, port.unwrap_or(5060)))
    }

    /// Handles one message from `peer` over `transport`.
    async fn handle(
        self: &Arc<Self>,
        head: &Head<'_>,
        body: &[u8],
        peer: SocketAddr,
        transport: Transport,
    ) {
        match head.start_line {
            StartLine::Request(_) => self.request(head, body, peer, transport).await,
            StartLine::Status(_) => self.response(head, body, transport).await,
        }
    }

    async fn answer(
        self: &Arc<Self>,
        head: &Head<'_>,
        status: StatusCode,
        peer: SocketAddr,
        transport: Transport,
    ) {
        if head
            .start_line
            .request()
            .is_some_and(|r| r.method == *"ACK")
        {
            return;
        }
        let mut out = BytesMut::with_capacity(512);
        if Response::new(head, status).write(&mut out).is_ok() {
            self.counts.answered.fetch_add(1, Ordering::Relaxed);
            self.send(out.freeze(), peer, transport, transport).await;
        }
    }

    async fn request(
        self: &Arc<Self>,
        head: &Head<'_>,
        body: &[u8],
        peer: SocketAddr,
        transport: Transport,
    ) {
        self.counts.requests.fetch_add(1, Ordering::Relaxed);
        let Some(line) = head.start_line.request() else {
            return;
        };
        if let Err(why) = head.validate_to_forward() {
            if let Some(status) = why.status() {
                self.answer(head, status, peer, transport).await;
            }
            return;
        }
        // §16.4: a first Route naming this proxy is popped.
        let mut routes = head.get_all::<sipline::header::Route>();
        let first = routes.next().and_then(Result::ok);
        let pop = first.as_ref().is_some_and(|r| {
            r.uri
                .host
                .as_ref()
                .is_some_and(|h| self.is_me(h, r.uri.port))
        });
        let next_route = if pop {
            routes.next().and_then(Result::ok)
        } else {
            first
        };
        // The next hop, and the transport the URI asks for.
        let (target, tcp_asked) = match &next_route {
            Some(r) => (
                r.uri
                    .host
                    .as_ref()
                    .and_then(|h| Self::address(h, r.uri.port)),
                r.uri
                    .param("transport")
                    .flatten()
                    .is_some_and(|t| t.eq_ignore_ascii_case("tcp")),
            ),
            None => match sipline::parse_uri(line.uri) {
                Ok(u) => {
                    let me = u.host.as_ref().is_some_and(|h| self.is_me(h, u.port));
                    let to = if me {
                        u.user
                            .and_then(|user| self.routes.get(user))
                            .or_else(|| self.routes.get("*"))
                            .copied()
                    } else {
                        u.host.as_ref().and_then(|h| Self::address(h, u.port))
                    };
                    (
                        to,
                        u.param("transport")
                            .flatten()
                            .is_some_and(|t| t.eq_ignore_ascii_case("tcp")),
                    )
                }
                Err(_) => (None, false),
            },
        };
        let Some(target) = target else {
            self.answer(head, StatusCode::NOT_FOUND, peer, transport)
                .await;
            return;
        };
        // The transport it came over, unless the URI asks for TCP or the
        // request is too large for UDP.
        let out_transport =
            if tcp_asked || transport == Transport::Tcp || head.len() + body.len() > UDP_MAX {
                Transport::Tcp
            } else {
                Transport::Udp
            };
        let salt = format!("{target}/{}", out_transport.name());
        let Some(branch) = stateless_branch(head, salt.as_bytes()) else {
            return;
        };
        // §16.3 item 4: a Via of this proxy whose branch is the one it
        // would give the request again, to the same place, is a loop; with
        // another branch, a spiral.
        let looped = head.get_all::<Via>().enumerate().any(|(i, v)| {
            let Ok(v) = v else { return false };
            let s = SentBy::of(&v);
            self.is_me(&s.host, Some(s.port))
                && stateless_branch_at(head, i + 1, salt.as_bytes())
                    .is_some_and(|b| v.branch() == Some(b.as_str()))
        });
        if looped {
            self.counts.loops.fetch_add(1, Ordering::Relaxed);
            self.answer(head, StatusCode::LOOP_DETECTED, peer, transport)
                .await;
            return;
        }
        let via = format!(
            "SIP/2.0/{} {};branch={branch}",
            out_transport.name(),
            self.local
        );
        let record_route = format!("<sip:{};lr>", self.local);
        let mut forward = Forward::new(head).via(via.as_bytes());
        if pop {
            forward = forward.pop_route();
        }
        if self.record_route
            && head.to_tag().is_none()
            && line.method != *"ACK"
            && line.method != *"CANCEL"
        {
            forward = forward.record_route(record_route.as_bytes());
        }
        // §18.2.1 and RFC 3581: where it came from, when the Via does not say.
        if let Some(Ok(top)) = head.get::<Via>() {
            let asked = top.rport().is_some() || transport == Transport::Tcp;
            let same_host = Self::address(&top.host, None).map(|a| a.ip()) == Some(peer.ip());
            if asked || !same_host {
                forward = forward.received(peer.ip(), asked.then_some(peer.port()));
            }
        }
        let mut out = BytesMut::with_capacity(head.len() + body.len() + 256);
        match forward.write(&mut out, body) {
            Ok(()) => {
                self.counts.forwarded.fetch_add(1, Ordering::Relaxed);
                self.send(out.freeze(), target, out_transport, transport)
                    .await;
            }
            Err(e) => match e.status() {
                Some(status) => self.answer(head, status, peer, transport).await,
                None => {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                }
            },
        }
    }

    async fn response(self: &Arc<Self>, head: &Head<'_>, body: &[u8], from: Transport) {
        self.counts.responses.fetch_add(1, Ordering::Relaxed);
        let mut vias = head.get_all::<Via>();
        let mine = vias.next().and_then(Result::ok).is_some_and(|v| {
            let s = SentBy::of(&v);
            self.is_me(&s.host, Some(s.port))
        });
        // The next Via: where the response goes, and how.
        let next = vias.next().and_then(Result::ok);
        let (Some(next), true) = (next, mine) else {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Some(to) = next.reply_address() else {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let transport = if next.transport.eq_ignore_ascii_case("TCP") {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        let mut out = BytesMut::with_capacity(head.len() + body.len());
        if RelayResponse::new(head).write(&mut out, body).is_ok() {
            self.counts.relayed.fetch_add(1, Ordering::Relaxed);
            self.send(out.freeze(), to, transport, from).await;
        } else {
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sends `bytes` to `to`: a datagram, or on the TCP connection with
    /// that peer (opened when there is none). `from`: the transport the
    /// message came in on. From TCP, a full connection queue is waited on
    /// (TCP's backpressure passed on to that one sender); from UDP it is a
    /// drop (UDP retransmits, and the one UDP loop must not wait).
    async fn send(
        self: &Arc<Self>,
        bytes: Bytes,
        to: SocketAddr,
        transport: Transport,
        from: Transport,
    ) {
        match transport {
            Transport::Udp => {
                if self.udp.send_to(&bytes, to).await.is_err() {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
            Transport::Tcp => {
                let writer = self.tcp.lock().ok().and_then(|t| t.get(&to).cloned());
                let writer = match writer {
                    Some(w) => Some(w),
                    None => match TcpStream::connect(to).await {
                        Ok(stream) => self.open(stream, to),
                        Err(_) => None,
                    },
                };
                let sent = match writer {
                    Some(w) => match w.try_send(bytes) {
                        Ok(()) => true,
                        // Full: wait for room rather than lose a message
                        // (over TCP a lost message is a call that never
                        // ends), up to SLOW_PEER.
                        Err(mpsc::error::TrySendError::Full(bytes)) if from == Transport::Tcp => {
                            matches!(
                                tokio::time::timeout(SLOW_PEER, w.send(bytes)).await,
                                Ok(Ok(()))
                            )
                        }
                        Err(_) => false,
                    },
                    None => false,
                };
                if !sent {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Serves a TCP connection: its writer in the table, its reader a task.
    /// `None` when the table is full.
    fn open(self: &Arc<Self>, stream: TcpStream, peer: SocketAddr) -> Option<mpsc::Sender<Bytes>> {
        let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
        {
            let mut table = self.tcp.lock().ok()?;
            if table.len() >= self.max_connections {
                return None;
            }
            table.insert(peer, tx.clone());
        }
        let _ = stream.set_nodelay(true);
        let (read, mut write) = stream.into_split();
        let proxy = Arc::clone(self);
        let weak = tx.downgrade();
        tokio::spawn(async move {
            // What waits is written at once: one write for many messages.
            let mut batch = BytesMut::new();
            while let Some(bytes) = rx.recv().await {
                batch.extend_from_slice(&bytes);
                while batch.len() < 64 * 1024 {
                    match rx.try_recv() {
                        Ok(more) => batch.extend_from_slice(&more),
                        Err(_) => break,
                    }
                }
                let wrote = tokio::time::timeout(SEND_TIMEOUT, write.write_all(&batch)).await;
                if !matches!(wrote, Ok(Ok(()))) {
                    if wrote.is_err() {
                        proxy.counts.slow_peers.fetch_add(1, Ordering::Relaxed);
                        eprintln!("proxy: tcp to {peer}: not read for {SEND_TIMEOUT:?}; connection closed");
                    }
                    // What waits in the queue is lost with the connection.
                    if let Ok(mut table) = proxy.tcp.lock() {
                        let mine = weak.upgrade();
                        if let (Some(t), Some(mine)) = (table.get(&peer), mine) {
                            if t.same_channel(&mine) {
                                table.remove(&peer);
                            }
                        }
                    }
                    rx.close();
                    let lost = std::iter::from_fn(|| rx.try_recv().ok()).count();
                    proxy
                        .counts
                        .dropped
                        .fetch_add(lost as u64 + 1, Ordering::Relaxed);
                    return;
                }
                batch.clear();
            }
        });
        let proxy = Arc::clone(self);
        tokio::spawn(async move {
            let mut frames = FramedRead::new(read, StreamDecoder::new(proxy.cfg));
            while let Some(frame) = frames.next().await {
                match frame {
                    Ok(Frame::Message(m)) => {
                        let body = m.body();
                        proxy.handle(&m.head(), &body, peer, Transport::Tcp).await;
                    }
                    Ok(Frame::KeepAlive { .. }) => {}
                    Err(e) => {
                        // A stream cannot be resynchronised: this connection
                        // only is closed.
                        proxy.counts.parse_errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("proxy: tcp from {peer}: {e}; connection closed");
                        break;
                    }
                }
            }
            proxy.counts.closed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut table) = proxy.tcp.lock() {
                table.remove(&peer);
            }
        });
        Some(tx)
    }
}

async fn serve_tcp(proxy: Arc<Proxy>, listener: TcpListener) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        if proxy.open(stream, peer).is_none() {
            proxy.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn serve_udp(proxy: Arc<Proxy>) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let Ok((n, peer)) = proxy.udp.recv_from(&mut buf).await else {
            continue;
        };
        let Some(datagram) = buf.get(..n) else {
            continue;
        };
        match parse_datagram(datagram, &proxy.cfg) {
            Ok(Datagram::Message(m)) => proxy.handle(&m.head, m.body, peer, Transport::Udp).await,
            Ok(_) => {}
            Err(e) => {
                proxy.counts.parse_errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("proxy: udp from {peer}: {e}");
            }
        }
    }
}

fn usage() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "usage: proxy ADDR [--route USER=ADDR | --route '*=ADDR']... [--record-route] [--max-connections N]",
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let local: SocketAddr = args
        .next()
        .ok_or_else(usage)?
        .parse()
        .map_err(|_| usage())?;
    let mut routes = HashMap::new();
    let mut record_route = false;
    let mut max_connections = 1_024;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--route" => {
                let r = args.next().ok_or_else(usage)?;
                let (user, addr) = r.split_once('=').ok_or_else(usage)?;
                routes.insert(user.to_string(), addr.parse().map_err(|_| usage())?);
            }
            "--record-route" => record_route = true,
            "--max-connections" => {
                max_connections = args
                    .next()
                    .ok_or_else(usage)?
                    .parse()
                    .map_err(|_| usage())?;
            }
            _ => return Err(usage()),
        }
    }
    let listener = TcpListener::bind(local).await?;
    let local = listener.local_addr()?;
    let udp = UdpSocket::bind(local).await?;
    let proxy = Arc::new(Proxy {
        local,
        udp,
        tcp: Mutex::new(HashMap::new()),
        max_connections,
        routes,
        record_route,
        cfg: ParserConfig::default(),
        counts: Counts::default(),
    });
    eprintln!("proxy on tcp and udp {local}");
    tokio::spawn(serve_tcp(Arc::clone(&proxy), listener));
    tokio::spawn(serve_udp(Arc::clone(&proxy)));
    // Until standard input closes.
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    let c = &proxy.counts;
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "{{\"requests\": {}, \"responses\": {}, \"forwarded\": {}, \"relayed\": {}, \"answered\": {}, \"loops\": {}, \"dropped\": {}, \"parse_errors\": {}, \"slow_peers\": {}, \"connections_closed\": {}}}",
        n(&c.requests),
        n(&c.responses),
        n(&c.forwarded),
        n(&c.relayed),
        n(&c.answered),
        n(&c.loops),
        n(&c.dropped),
        n(&c.parse_errors),
        n(&c.slow_peers),
        n(&c.closed)
    );
    Ok(())
}
