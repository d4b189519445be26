//! Capturing on an interface: every packet a Linux packet socket hands over
//! (after the kernel filter of [`bpf`](super::bpf)) pushed into a
//! [`PacketSource`] as a Linux cooked (SLL2) frame, with the kernel's
//! timestamp; the kernel's drops counted as they happen.

use std::time::{Duration, Instant};

use crate::sink::{InputError, Location, Sink, Skip};
use crate::source::input::PacketSource;
use crate::source::live::{Follow, Interface};
use crate::source::options::ReadOptions;

/// What a packet socket error means to the user: missing CAP_NET_RAW is
/// said with how to grant it.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn explain(cfg: &Interface, e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(1 | 13) => format!(
            "capturing on {} needs CAP_NET_RAW ({e}): run as root, or grant it to the \
             binary once: sudo setcap cap_net_raw,cap_net_admin+ep \"$(command -v sipline)\"",
            cfg.device
        ),
        _ => format!("cannot capture on {}: {e}", cfg.device),
    }
}

/// Captures on `cfg`'s interface until `follow`'s stop flag is raised:
/// every SIP message to `sink`, at the time the kernel saw its packet.
/// Packets the kernel dropped (its buffer full) are counted as
/// [`Skip::KernelDropped`], the interface going down as
/// [`Skip::InterfaceDown`]; the capture goes on. On loopback each packet
/// is read once (the kernel shows it sent and received). With
/// [`ReadOptions::ports`], only those ports reach user space; without, RTP
/// and RTCP stay in the kernel. The error is the socket's own (no such
/// interface, no CAP_NET_RAW, not Linux), never the traffic's.
pub fn listen_interface(
    cfg: &Interface,
    opts: &ReadOptions,
    follow: &Follow,
    sink: &mut dyn Sink,
) -> Result<(), InputError> {
    let name = cfg.name();
    let fail = |message: String| InputError {
        file: name.clone(),
        offset: None,
        message,
    };
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (opts, follow, sink);
        Err(fail(format!(
            "cannot capture on {}: capturing on an interface is Linux-only; read a capture file \
             or collect HEP instead",
            cfg.device
        )))
    }
    #[cfg(target_os = "linux")]
    {
        use crate::source::bpf::program;
        use crate::source::packet_socket::{interface_index, PacketSocket};
        use pcap_parser::Linktype;

        let ifindex = if cfg.device == "any" {
            0
        } else {
            interface_index(&cfg.device)
                .ok_or_else(|| fail(format!("no interface named {}", cfg.device)))?
        };
        let lo = interface_index("lo");
        let timeout = follow
            .poll
            .clamp(Duration::from_millis(10), Duration::from_millis(200));
        let socket = PacketSocket::open(ifindex, &program(lo, &opts.ports), cfg.buffer, timeout)
            .map_err(|e| fail(explain(cfg, &e)))?;
        let mut source = PacketSource::new(&name, opts);
        let at = Location {
            file: &name,
            frame: None,
            offset: 0,
            flow: None,
            time: None,
        };
        // A Linux cooked v2 header (20 bytes) written before each packet.
        const SLL2: usize = 20;
        let mut buf = vec![0u8; SLL2 + 256 * 1024];
        let mut checked = Instant::now();
        let mut down = false;
        let count_drops = |socket: &PacketSocket, sink: &mut dyn Sink| {
            if let Ok((_, drops)) = socket.statistics() {
                if drops > 0 {
                    sink.skipped_many(&at, Skip::KernelDropped, drops);
                }
            }
        };
        while !follow.stopped() {
            if checked.elapsed() >= Duration::from_secs(1) {
                count_drops(&socket, sink);
                let (flows, bytes) = source.tcp_held();
                sink.held(flows, bytes);
                checked = Instant::now();
            }
            let (head, body) = buf.split_at_mut(SLL2);
            let r = match socket.recv(body) {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(_) => {
                    // Down, or gone: counted once per time down, then the
                    // capture waits for it.
                    if !down {
                        sink.skipped(&at, Skip::InterfaceDown);
                        down = true;
                    }
                    follow.wait();
                    continue;
                }
            };
            down = false;
            sink.bytes_read(r.wire_len as u64);
            head.fill(0);
            head[..2].copy_from_slice(&r.protocol.to_be_bytes());
            head[4..8].copy_from_slice(&r.ifindex.to_be_bytes());
            head[8..10].copy_from_slice(&r.hatype.to_be_bytes());
            head[10] = r.pkttype;
            let frame = buf.get(..SLL2 + r.len).unwrap_or_default();
            if r.wire_len > r.len {
                let cut = Location {
                    frame: Some(source.frames() + 1),
                    ..at
                };
                sink.skipped(&cut, Skip::PacketCutShort);
            }
            source.push_frame(r.time, Linktype::LINUX_SLL2, frame, sink);
        }
        count_drops(&socket, sink);
        source.finish(sink);
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::summary::Summary;
    use std::net::UdpSocket;
    use std::sync::atomic::Ordering;

    /// Root (or CAP_NET_RAW) is needed to open a packet socket: without
    /// it, the error says so and how to grant it.
    fn capture_allowed() -> bool {
        let probe = listen_interface(
            &Interface::new("lo"),
            &ReadOptions::default(),
            &Follow {
                stop: std::sync::Arc::new(true.into()),
                ..Follow::default()
            },
            &mut Summary::default(),
        );
        match probe {
            Ok(()) => true,
            Err(e) => {
                assert!(e.message.contains("CAP_NET_RAW"), "{e}");
                // As tests/common's `have` does: SIPLINE_REQUIRE naming
                // net-raw (or all) makes the missing right a failure.
                let required = std::env::var("SIPLINE_REQUIRE")
                    .is_ok_and(|l| l.split(',').any(|n| matches!(n.trim(), "all" | "net-raw")));
                assert!(!required, "the required input net-raw is missing: {e}");
                eprintln!(
                    "SKIPPED: the loopback capture test; missing input net-raw ({e}); \
                     SIPLINE_REQUIRE=net-raw makes this a failure"
                );
                false
            }
        }
    }

    #[test]
    fn an_interface_that_is_not_there_is_named() {
        let e = listen_interface(
            &Interface::new("nosuchif0"),
            &ReadOptions::default(),
            &Follow::default(),
            &mut Summary::default(),
        )
        .unwrap_err();
        assert_eq!(e.file, "if:nosuchif0");
        assert_eq!(e.message, "no interface named nosuchif0");
        let denied = std::io::Error::from_raw_os_error(1);
        assert!(explain(&Interface::new("eth0"), &denied).contains("setcap cap_net_raw"));
        let other = std::io::Error::from_raw_os_error(19);
        assert!(explain(&Interface::new("eth0"), &other).starts_with("cannot capture on eth0"));
    }

    #[test]
    fn loopback_sip_is_read_once_and_rtp_stays_in_the_kernel() {
        if !capture_allowed() {
            return;
        }
        let follow = Follow {
            poll: Duration::from_millis(20),
            ..Follow::default()
        };
        let stop = std::sync::Arc::clone(&follow.stop);
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = b.local_addr().unwrap();
        let port = a.local_addr().unwrap().port();
        let call_id = format!("iface-{port}");
        let message = format!(
            "OPTIONS sip:b@{to} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{port}\r\n\
             From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@{to}>\r\nCall-ID: {call_id}\r\n\
             CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        );
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            for _ in 0..5 {
                a.send_to(message.as_bytes(), to).unwrap();
                a.send_to(&[0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0], to)
                    .unwrap();
            }
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
        });
        /// Counts the messages of this test's Call-ID only (other tests
        /// may use loopback meanwhile), and any datagram not SIP.
        #[derive(Default)]
        struct Mine {
            call_id: String,
            seen: u64,
            times: Vec<f64>,
            rtp: u64,
        }
        impl Sink for Mine {
            fn message(&mut self, at: &Location<'_>, m: &sipline::Message<'_>, _: usize) {
                let id = m.head.get::<sipline::header::CallId>().and_then(Result::ok);
                if id == Some(self.call_id.as_bytes()) {
                    self.seen += 1;
                    self.times.extend(at.time);
                }
            }
            fn malformed(&mut self, _: &Location<'_>, _: &sipline::Error) {}
            fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
            fn datagram(&mut self, _: &Location<'_>, p: &[u8], _: bool) -> bool {
                let rtp = p.starts_with(&[0x80, 0x00, 0x00, 0x01]);
                self.rtp += u64::from(rtp);
                rtp
            }
        }
        let mut mine = Mine {
            call_id,
            ..Mine::default()
        };
        listen_interface(
            &Interface::new("lo"),
            &ReadOptions::default(),
            &follow,
            &mut mine,
        )
        .unwrap();
        sender.join().unwrap();
        assert_eq!(mine.seen, 5, "each message once");
        assert_eq!(mine.rtp, 0, "RTP filtered in the kernel");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(
            mine.times.iter().all(|t| (now - t).abs() < 60.0),
            "{:?}",
            mine.times
        );
    }
}
