//! A HEP collector: HEPv2 and HEPv3 datagrams on a UDP socket (what
//! Kamailio's siptrace, OpenSIPS, FreeSWITCH, Asterisk and heplify send),
//! each message read with HEP's own addresses and capture time, as the
//! capture reader reads HEP found in a capture.

use std::net::UdpSocket;
use std::time::Duration;

use crate::decode::hep;
use crate::sink::{FlowId, InputError, Location, Sink, Skip, Transport};
use crate::source::input::{read_path, PacketSource};
use crate::source::live::{Follow, HepListen};
use crate::source::options::ReadOptions;

/// The largest datagram read (UDP's own limit).
const MAX_DATAGRAM: usize = 65_535;

/// Collects HEP on `cfg.addr` until `follow`'s stop flag is raised: every
/// SIP message to `sink`, at its original flow and time; a datagram that is
/// not HEP, or is refused, counted where it came from
/// ([`Skip::HepMalformed`], [`Skip::HepRefused`]). The error is the
/// socket's own (it cannot be bound, or fails), never the input's.
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
    let socket = UdpSocket::bind(cfg.addr).map_err(fail)?;
    let local = socket.local_addr().map_err(fail)?;
    socket
        .set_read_timeout(Some(follow.poll.max(Duration::from_millis(10))))
        .map_err(fail)?;
    let mut source = PacketSource::new(&name, opts);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut received = 0u64;
    while !follow.stopped() {
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => return Err(fail(e)),
        };
        received += 1;
        sink.bytes_read(n as u64);
        let datagram = buf.get(..n).unwrap_or_default();
        // Where a datagram that is not taken came from: the sender.
        let at = Location {
            file: &name,
            frame: Some(received),
            offset: 0,
            flow: Some(FlowId {
                transport: Transport::Udp,
                src: from,
                dst: local,
            }),
            time: None,
        };
        match hep::parse(datagram) {
            None => sink.skipped(&at, Skip::HepMalformed),
            Some(h) if cfg.refuses(from, h.auth_key) => sink.skipped(&at, Skip::HepRefused),
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
                source.push_message(h.time, flow, h.payload, sink);
            }
        }
    }
    source.finish(sink);
    Ok(())
}

/// Reads the input `name`: the HEP collector of [`ReadOptions::hep`] when
/// `name` is its [`name`](HepListen::name), until the follow stops; else
/// [`read_path`] (a file, followed or not, a folder followed, standard
/// input).
pub fn read_source(name: &str, opts: &ReadOptions, sink: &mut dyn Sink) -> Result<(), InputError> {
    match &opts.hep {
        Some(hep) if hep.name() == name => {
            listen_hep(hep, opts, &opts.follow.clone().unwrap_or_default(), sink)
        }
        _ => read_path(name, opts, sink),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Summary;
    use std::net::SocketAddr;
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

    #[test]
    fn the_collector_reads_until_stopped_and_names_what_it_passes_over() {
        let addr: SocketAddr = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .unwrap();
        let cfg = HepListen {
            addr,
            allow: Vec::new(),
            password: None,
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
}
