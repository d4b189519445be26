//! Captures as operators take them (issue 10): UDP INVITEs fragmented at a
//! 1500-byte MTU, a TCP trunk captured from the middle of a message, junk
//! between messages on TCP. Each capture is built here packet by packet;
//! sipline's counts are checked against what was put in, and against
//! tshark's where tshark reads the same capture.

#[path = "../../tests/common/mod.rs"]
mod common;
mod engines;
mod tshark_fields;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use etherparse::{EtherType, Ethernet2Header, IpFragOffset, IpNumber, Ipv4Header, PacketBuilder};
use serde_json::Value;

/// Issue 14: DuckDB and chdb read what `sipline export` writes of this
/// capture, in every format, and count what `stats --json` counts (skipped,
/// and said so, when the engines are not installed and not required).
/// Issue 25: tshark reads each message's fields as `export` does.
fn engines_count_what_stats_counts(path: &Path) {
    engines_and_tshark_agree(path, &[]);
}

/// [`engines_count_what_stats_counts`], with the messages sipline refuses
/// on purpose (by Call-ID, with why) that tshark reads.
fn engines_and_tshark_agree(path: &Path, refused: &[(&str, &'static str)]) {
    tshark_fields::agree(path, &[], &[], refused);
    let name = path
        .file_stem()
        .map_or("x".into(), |n| n.to_string_lossy().into_owned());
    let dir = std::env::temp_dir().join(format!("sipline-cases-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    engines::engines_count_what_stats_counts(path, &dir);
}

fn stats(path: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// tshark's request and response counts, or `None` (through the tests'
/// helper for outside inputs: a skip line, or a failure when tshark is
/// required) without tshark. A tshark that runs and fails on the file fails
/// the test.
fn tshark_counts(path: &Path) -> Option<BTreeMap<String, u64>> {
    let skipped = format!("tshark's counts of {}", path.display());
    if !common::have_program(&common::TSHARK, "tshark", &["--version"], &skipped) {
        return None;
    }
    let out = Command::new("tshark")
        .args(["-q", "-z", "sip,stat", "-r"])
        .arg(path)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((left, right)) = line.rsplit_once(':') else {
            continue;
        };
        let Some(n) = right
            .trim()
            .strip_suffix("Packets")
            .and_then(|n| n.trim().parse().ok())
        else {
            continue;
        };
        m.insert(left.trim().to_string(), n);
    }
    Some(m)
}

/// An INVITE with an SDP body of about `size` bytes.
fn big_invite(i: usize, size: usize) -> Vec<u8> {
    let mut sdp =
        String::from("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n");
    let mut k = 0;
    while sdp.len() < size {
        sdp.push_str(&format!(
            "a=candidate:{k} 1 udp 2130706431 192.0.2.1 {} typ host\r\n",
            40000 + k
        ));
        k += 1;
    }
    format!(
        "INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK{i}\r\n\
         From: <sip:alice@192.0.2.1>;tag={i}\r\nTo: <sip:bob@192.0.2.2>\r\nCall-ID: frag-{i}\r\n\
         CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

/// A UDP datagram as IPv4 fragments of at most `mtu` bytes on Ethernet.
fn fragments(id: u16, payload: &[u8], mtu: usize) -> Vec<Vec<u8>> {
    let mut udp = Vec::new();
    udp.extend_from_slice(&5060u16.to_be_bytes());
    udp.extend_from_slice(&5060u16.to_be_bytes());
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&0u16.to_be_bytes()); // no checksum (IPv4)
    udp.extend_from_slice(payload);
    let per = (mtu - 20) / 8 * 8;
    udp.chunks(per)
        .enumerate()
        .map(|(k, part)| {
            let mut ip = Ipv4Header::new(
                part.len() as u16,
                64,
                IpNumber::UDP,
                [192, 0, 2, 1],
                [192, 0, 2, 2],
            )
            .unwrap();
            ip.identification = id;
            ip.more_fragments = (k + 1) * per < udp.len();
            ip.fragment_offset = IpFragOffset::try_new((k * per / 8) as u16).unwrap();
            ip.header_checksum = ip.calc_header_checksum();
            let mut frame = Vec::new();
            Ethernet2Header {
                source: [1; 6],
                destination: [2; 6],
                ether_type: EtherType::IPV4,
            }
            .write(&mut frame)
            .unwrap();
            ip.write(&mut frame).unwrap();
            frame.extend_from_slice(part);
            frame
        })
        .collect()
}

#[test]
fn fragmented_invites_are_reassembled() {
    let mut frames = Vec::new();
    for i in 0..5 {
        let mut f = fragments(100 + i as u16, &big_invite(i, 3400), 1500);
        assert_eq!(f.len(), 3);
        if i == 2 {
            f.reverse(); // out of order
        }
        if i == 3 {
            let again = f[1].clone();
            f.push(again); // a duplicate fragment
        }
        frames.extend(f);
    }
    // A sixth datagram whose fragments overlap with different bytes: dropped.
    let mut bad = fragments(200, &big_invite(9, 3400), 1500);
    let mut overlapping = bad[0].clone();
    let n = overlapping.len();
    overlapping[n - 1] ^= 0xff;
    bad.insert(1, overlapping);
    frames.extend(bad);
    let path = common::write_temp("fragments.pcap", &common::pcap(1, &frames));
    let v = stats(&path);
    assert_eq!(v["requests"]["INVITE"], 5, "{v}");
    assert_eq!(v["malformed"], 0);
    // The overlapping datagram's four fragments: the first and the one that
    // overlaps it (dropped together), then the other two (which start the
    // datagram again and never complete it).
    assert_eq!(
        v["not_read"]["ip-fragments-skipped"], 4,
        "{}",
        v["not_read"]
    );
    assert_eq!(v["all_read"], false);
    if let Some(t) = tshark_counts(&path) {
        // tshark reassembles the five; it takes the overlapping one as well
        // (it keeps the first copy of each byte), which sipline refuses.
        assert_eq!(t.get("INVITE"), Some(&6), "{t:?}");
    }
    engines_and_tshark_agree(
        &path,
        &[(
            "frag-9",
            "fragments that overlap with different bytes: RFC 791 leaves it open, \
             RFC 5722 (IPv6) drops the datagram; sipline drops it, tshark keeps the first bytes",
        )],
    );
}

fn tcp(seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(5060, 5060, seq, 65535)
        .ack(1)
        .write(&mut out, payload)
        .unwrap();
    out
}

fn options(i: usize) -> Vec<u8> {
    format!(
        "OPTIONS sip:trunk@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK{i}\r\n\
         Call-ID: mid-{i}\r\nCSeq: {i} OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn a_capture_that_starts_mid_connection_counts_what_follows() {
    // Twenty messages, one per segment; the capture starts 30 bytes into the first.
    let msgs: Vec<Vec<u8>> = (0..20).map(options).collect();
    let mut frames = Vec::new();
    let mut seq = 5000u32;
    for (k, m) in msgs.iter().enumerate() {
        let part = if k == 0 { &m[30..] } else { &m[..] };
        frames.push(tcp(seq, part));
        seq += part.len() as u32;
    }
    let path = common::write_temp("midstream.pcap", &common::pcap(1, &frames));
    let v = stats(&path);
    assert_eq!(v["requests"]["OPTIONS"], 19, "{v}");
    assert_eq!(v["malformed"], 0);
    assert_eq!(
        v["skipped_bytes"]["tcp-bytes-skipped"],
        (msgs[0].len() - 30) as u64
    );
    if let Some(t) = tshark_counts(&path) {
        assert_eq!(t.get("OPTIONS"), Some(&19), "{t:?}");
    }
    tshark_fields::agree(&path, &[], &[], &[]);
}

#[test]
fn junk_between_messages_on_tcp_loses_nothing() {
    let mut stream = Vec::new();
    for i in 0..10 {
        stream.extend_from_slice(&options(i));
        stream.extend_from_slice(if i % 2 == 0 { b"    " } else { b"\0\0\0\0" });
    }
    let path = common::write_temp("junk.pcap", &common::pcap(1, &[tcp(1, &stream)]));
    let v = stats(&path);
    assert_eq!(v["requests"]["OPTIONS"], 10, "{v}");
    assert_eq!(v["malformed"], 0);
    assert_eq!(v["skipped_bytes"]["junk-bytes-between-messages"], 40);
    assert_eq!(v["all_read"], true);
    tshark_fields::agree(&path, &[], &[], &[]);
    // Strict keeps RFC 3261 §7.5: the first junk is malformed.
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "--strict"])
        .arg(&path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["malformed"], 1, "{v}");
}

// --- encapsulations --------------------------------------------------------

const CALL: [&[u8]; 3] = [
    b"INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKenc\r\nCall-ID: enc\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKenc\r\nCall-ID: enc\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKenc\r\nCall-ID: enc\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
];

/// An IPv4 packet carrying a UDP datagram with `msg`.
fn ip_udp(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .udp(5060, 5060)
        .write(&mut out, msg)
        .unwrap();
    out
}

/// An Ethernet frame carrying `ip_udp(msg)`.
fn eth_udp(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([3; 6], [4; 6])
        .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
        .udp(5060, 5060)
        .write(&mut out, msg)
        .unwrap();
    out
}

/// An Ethernet frame of an outer IPv4 packet of `protocol` carrying `inner`.
fn outer_ip(protocol: u8, inner: &[u8]) -> Vec<u8> {
    let mut ip = Ipv4Header::new(
        inner.len() as u16,
        64,
        IpNumber(protocol),
        [198, 51, 100, 1],
        [198, 51, 100, 2],
    )
    .unwrap();
    ip.header_checksum = ip.calc_header_checksum();
    let mut frame = Vec::new();
    Ethernet2Header {
        source: [1; 6],
        destination: [2; 6],
        ether_type: EtherType::IPV4,
    }
    .write(&mut frame)
    .unwrap();
    ip.write(&mut frame).unwrap();
    frame.extend_from_slice(inner);
    frame
}

/// An Ethernet frame of an outer IPv4/UDP datagram to `port` carrying `inner`.
fn outer_udp(port: u16, inner: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([198, 51, 100, 1], [198, 51, 100, 2], 64)
        .udp(40000, port)
        .write(&mut out, inner)
        .unwrap();
    out
}

fn hep3(msg: &[u8]) -> Vec<u8> {
    let mut chunks = Vec::new();
    let mut chunk = |kind: u16, value: &[u8]| {
        chunks.extend_from_slice(&0u16.to_be_bytes());
        chunks.extend_from_slice(&kind.to_be_bytes());
        chunks.extend_from_slice(&((6 + value.len()) as u16).to_be_bytes());
        chunks.extend_from_slice(value);
    };
    chunk(1, &[2]);
    chunk(2, &[17]);
    chunk(3, &[192, 0, 2, 1]);
    chunk(4, &[192, 0, 2, 2]);
    chunk(7, &5060u16.to_be_bytes());
    chunk(8, &5060u16.to_be_bytes());
    chunk(9, &1_700_000_000u32.to_be_bytes());
    chunk(10, &0u32.to_be_bytes());
    chunk(11, &[1]);
    chunk(12, &2001u32.to_be_bytes());
    chunk(15, msg);
    let mut out = b"HEP3".to_vec();
    out.extend_from_slice(&((6 + chunks.len()) as u16).to_be_bytes());
    out.extend_from_slice(&chunks);
    out
}

#[test]
fn encapsulations_are_opened() {
    type Wrap = fn(&[u8]) -> Vec<u8>;
    let cases: [(&str, Wrap); 9] = [
        ("qinq", |m| {
            let mut out = Vec::new();
            PacketBuilder::ethernet2([3; 6], [4; 6])
                .double_vlan(
                    etherparse::VlanId::try_new(100).unwrap(),
                    etherparse::VlanId::try_new(200).unwrap(),
                )
                .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
                .udp(5060, 5060)
                .write(&mut out, m)
                .unwrap();
            out
        }),
        ("mpls", |m| {
            let mut frame = Vec::new();
            Ethernet2Header {
                source: [1; 6],
                destination: [2; 6],
                ether_type: EtherType(0x8847),
            }
            .write(&mut frame)
            .unwrap();
            frame.extend_from_slice(&[0x00, 0x01, 0x01, 0x40]); // label 16, bottom of stack
            frame.extend_from_slice(&ip_udp(m));
            frame
        }),
        ("gre", |m| {
            let mut gre = vec![0x00, 0x00, 0x08, 0x00];
            gre.extend_from_slice(&ip_udp(m));
            outer_ip(47, &gre)
        }),
        ("erspan2", |m| {
            let mut gre = vec![0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 7];
            gre.extend_from_slice(&[0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
            gre.extend_from_slice(&eth_udp(m));
            outer_ip(47, &gre)
        }),
        ("vxlan", |m| {
            let mut vx = vec![0x08, 0, 0, 0, 0, 0, 0x2a, 0];
            vx.extend_from_slice(&eth_udp(m));
            outer_udp(4789, &vx)
        }),
        ("ipip", |m| outer_ip(4, &ip_udp(m))),
        ("6in4", |m| {
            let mut v6 = Vec::new();
            PacketBuilder::ipv6(
                [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
                64,
            )
            .udp(5060, 5060)
            .write(&mut v6, m)
            .unwrap();
            outer_ip(41, &v6)
        }),
        ("gre-in-vxlan", |m| {
            let mut gre = vec![0x00, 0x00, 0x08, 0x00];
            gre.extend_from_slice(&ip_udp(m));
            let mut vx = vec![0x08, 0, 0, 0, 0, 0, 0x2a, 0];
            vx.extend_from_slice(&outer_ip(47, &gre));
            outer_udp(4789, &vx)
        }),
        ("hep3", |m| outer_udp(9060, &hep3(m))),
    ];
    for (name, wrap) in cases {
        let frames: Vec<Vec<u8>> = CALL.iter().map(|m| wrap(m)).collect();
        let path = common::write_temp(&format!("{name}.pcap"), &common::pcap(1, &frames));
        let v = stats(&path);
        assert_eq!(v["requests"]["INVITE"], 1, "{name}: {v}");
        assert_eq!(
            (&v["responses"]["180"], &v["responses"]["200"]),
            (&1.into(), &1.into()),
            "{name}"
        );
        assert_eq!(v["all_read"], true, "{name}");
        if matches!(name, "erspan2" | "gre-in-vxlan" | "hep3") {
            engines_count_what_stats_counts(&path);
        }
        if let Some(t) = tshark_counts(&path) {
            // Debian's tshark has no HEP dissector: it sees UDP to 9060.
            if name != "hep3" {
                assert_eq!(t.get("INVITE"), Some(&1), "{name}: tshark {t:?}");
            }
        }
    }
    // HEP's own addresses and timestamp replace the outer packet's.
    let path = common::write_temp(
        "hep-time.pcap",
        &common::pcap(1, &[outer_udp(9060, &hep3(CALL[0]))]),
    );
    let v = stats(&path);
    assert_eq!(v["totals"]["first_packet"], 1_700_000_000.0);
}

/// An SCTP packet on port 5060 with one DATA chunk per message (PPID 0).
fn sctp(msgs: &[&[u8]], tsn: u32) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&5060u16.to_be_bytes());
    p.extend_from_slice(&5060u16.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0]); // verification tag, checksum
    for (k, m) in msgs.iter().enumerate() {
        p.extend_from_slice(&[0, 0x03]);
        p.extend_from_slice(&((16 + m.len()) as u16).to_be_bytes());
        p.extend_from_slice(&(tsn + k as u32).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, k as u8, 0, 0, 0, 0]);
        p.extend_from_slice(m);
        while p.len() % 4 != 0 {
            p.push(0);
        }
    }
    outer_ip(132, &p)
}

#[test]
fn sip_over_sctp_and_tls_counted() {
    // Two messages bundled in one packet, one in another.
    let path = common::write_temp(
        "sctp.pcap",
        &common::pcap(1, &[sctp(&CALL[..2], 1), sctp(&CALL[2..], 3)]),
    );
    let v = stats(&path);
    assert_eq!(v["requests"]["INVITE"], 1, "{v}");
    assert_eq!(
        (&v["responses"]["180"], &v["responses"]["200"]),
        (&1.into(), &1.into())
    );
    assert_eq!(v["all_read"], true);
    if let Some(t) = tshark_counts(&path) {
        assert_eq!(t.get("INVITE"), Some(&1), "tshark {t:?}");
    }
    engines_count_what_stats_counts(&path);
    // A TLS connection on 5061: not read, and said so.
    let mut hello = vec![0x16, 0x03, 0x01, 0x00, 0x40];
    hello.extend_from_slice(&[0xAB; 64]);
    let frames = [tcp(100, &hello), tcp(169, &[0x17, 0x03, 0x03, 0x00, 0x10])];
    let path = common::write_temp("tls.pcap", &common::pcap(1, &frames));
    let v = stats(&path);
    assert_eq!(v["not_read"]["tls-flows-not-decrypted"], 1, "{v}");
    assert_eq!(v["not_read"]["tls-bytes-not-decrypted"], 74);
    assert_eq!(v["all_read"], false);
}

/// A WebSocket frame: FIN or not, opcode, masked with `mask` or not.
fn ws_frame(fin: bool, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![(u8::from(fin) << 7) | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => f.push(m | n as u8),
        n => {
            f.push(m | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            f.extend_from_slice(&k);
            f.extend(payload.iter().zip(k.iter().cycle()).map(|(b, k)| b ^ k));
        }
        None => f.extend_from_slice(payload),
    }
    f
}

fn tcp_dir(src: ([u8; 4], u16), dst: ([u8; 4], u16), seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(src.0, dst.0, 64)
        .tcp(src.1, dst.1, seq, 65535)
        .ack(1)
        .write(&mut out, payload)
        .unwrap();
    out
}

#[test]
fn sip_over_websocket() {
    let (client, server) = (([10, 0, 0, 1], 40000), ([10, 0, 0, 2], 80));
    let upgrade = b"GET / HTTP/1.1\r\nHost: 10.0.0.2\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
    let accept =
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
    let key = Some([0x37, 0xfa, 0x21, 0x3d]);
    // Client: the INVITE in two frames (text, continuation), a ping between.
    let (a, b) = CALL[0].split_at(40);
    let client_bytes = [
        &upgrade[..],
        &ws_frame(false, 1, key, a),
        &ws_frame(true, 9, key, b"ping"),
        &ws_frame(true, 0, key, b),
    ]
    .concat();
    // Server: 180 and 200, unmasked, in one segment.
    let server_bytes = [
        &accept[..],
        &ws_frame(true, 1, None, CALL[1]),
        &ws_frame(true, 1, None, CALL[2]),
    ]
    .concat();
    let (cut, _) = client_bytes.split_at(upgrade.len() + 10);
    let frames = [
        tcp_dir(client, server, 1, cut),
        tcp_dir(
            client,
            server,
            1 + cut.len() as u32,
            &client_bytes[cut.len()..],
        ),
        tcp_dir(server, client, 1, &server_bytes),
    ];
    let path = common::write_temp("ws.pcap", &common::pcap(1, &frames));
    engines_count_what_stats_counts(&path);
    let v = stats(&path);
    assert_eq!(v["requests"]["INVITE"], 1, "{v}");
    assert_eq!(
        (&v["responses"]["180"], &v["responses"]["200"]),
        (&1.into(), &1.into()),
        "{v}"
    );
    assert_eq!(v["all_read"], true, "{v}");
    assert_eq!(v["malformed"], 0);
    if let Some(t) = tshark_counts(&path) {
        // Debian's tshark (4.0) reads both responses but does not join a
        // message fragmented over two WebSocket frames, so it misses the
        // INVITE that sipline joins (RFC 6455 §5.4).
        assert_eq!(t.get("SIP 180 Ringing"), Some(&1), "tshark {t:?}");
        assert_eq!(t.get("SIP 200 OK"), Some(&1), "tshark {t:?}");
    }
}

fn stats_with_threads(path: &Path, threads: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "--threads", threads])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{threads} threads");
    String::from_utf8(out.stdout).unwrap()
}

/// `stats --threads N` (issue 13): the JSON is the single-threaded one, byte
/// for byte, whatever N. The capture mixes everything the pipeline hands
/// between threads, over many batches: UDP messages with reason phrases
/// whose first-seen order shows in the output, malformed datagrams (the
/// examples keep the first ten, in order), keep-alives, datagrams that are
/// not SIP, TCP messages (framed on the reading thread), SCTP chunks,
/// fragmented INVITEs, and calls. The bundled captures too.
#[test]
fn threads_give_the_single_threaded_counts() {
    let mut frames = Vec::new();
    let mut seq = 1000u32;
    for i in 0..6000usize {
        match i % 8 {
            0 => frames.push(eth_udp(&options(i))),
            1 => frames.push(eth_udp(
                format!(
                    "SIP/2.0 200 Fine {}\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK{i}\r\n\
                     Call-ID: mid-{i}\r\nCSeq: {i} OPTIONS\r\nContent-Length: 0\r\n\r\n",
                    i % 13
                )
                .as_bytes(),
            )),
            2 => frames.push(eth_udp(
                format!("SIP/2.0 {} Bad\r\n\r\n", 1000 + i).as_bytes(),
            )),
            3 => frames.push(eth_udp(b"\r\n\r\n")),
            4 => frames.push(eth_udp(&[0x80, 0x00, 0x12, 0x34, 0, 0, 0, 0])),
            5 => {
                let m = options(i);
                frames.push(tcp(seq, &m));
                seq += m.len() as u32;
            }
            6 => frames.push(sctp(&[CALL[0], b"INVITE bad\r\n\r\n"], i as u32)),
            _ => frames.extend(fragments(i as u16, &big_invite(i, 3400), 1500)),
        }
    }
    for m in CALL {
        frames.push(eth_udp(m));
    }
    let path = common::write_temp("threads.pcap", &common::pcap(1, &frames));
    engines_count_what_stats_counts(&path);
    let one = stats_with_threads(&path, "1");
    let v: Value = serde_json::from_str(&one).unwrap();
    // What was put in is there, so the comparison compares something.
    assert_eq!(v["requests"]["OPTIONS"], 1500, "{v}");
    assert!(v["malformed"].as_u64().unwrap() >= 1500, "{v}");
    assert_eq!(v["skipped"]["keep-alives"], 750);
    assert_eq!(v["requests"]["INVITE"], 750 + 750 + 1);
    assert_eq!(v["calls"]["attempts"].as_u64().map(|n| n > 0), Some(true));
    assert_eq!(v["malformed_examples"].as_array().unwrap().len(), 10);
    for threads in ["2", "4"] {
        assert_eq!(stats_with_threads(&path, threads), one, "{threads} threads");
    }
    let root = common::workspace_root();
    for capture in [
        "corpus/captures/loopback.pcap",
        "corpus/sipp/proxy.pcap",
        "tests/data/loopback.pcapng",
    ] {
        let p = root.join(capture);
        assert_eq!(
            stats_with_threads(&p, "3"),
            stats_with_threads(&p, "1"),
            "{capture}"
        );
    }
}

/// Messages that do not parse, each in a UDP datagram of its own: what
/// tshark still reads of them, `export` reads too (issue 25, item 4).
const MALFORMED: [&[u8]; 6] = [
    // Content-Length not a number.
    b"INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm1\r\n\
      From: \"Alice\" <sip:alice@192.0.2.1>;tag=fa1\r\nTo: <sip:bob@192.0.2.2>\r\n\
      Call-ID: bad-cl@192.0.2.1\r\nCSeq: 11 INVITE\r\nContent-Length: eleven\r\n\r\n",
    // A From whose display name is quotes and backslashes, unquoted (seen
    // in a public capture): the message parses; its From reads leniently.
    b"INVITE sip:816666@voip.example.net SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm2\r\n\
      f: \\\"arik\\\" <sip:816666@voip.example.net>;tag=6433ef9\r\nt: <sip:816666@voip.example.net>\r\n\
      i: arik@192.0.2.1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n",
    // A header line without a colon.
    b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm3\r\n\
      From: <sip:alice@192.0.2.1>;tag=fa3\r\nTo: <sip:bob@192.0.2.2>;tag=tb3\r\n\
      this line has no colon\r\nCall-ID: no-colon@192.0.2.1\r\nCSeq: 3 INVITE\r\nContent-Length: 0\r\n\r\n",
    // A bad status code.
    b"SIP/2.0 2000 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm4\r\n\
      From: <sip:alice@192.0.2.1>;tag=fa4\r\nTo: <sip:bob@192.0.2.2>;tag=tb4\r\n\
      Call-ID: bad-code@192.0.2.1\r\nCSeq: 4 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    // Two Content-Lengths that disagree.
    b"BYE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm5\r\n\
      From: <sip:alice@192.0.2.1>;tag=fa5\r\nTo: <sip:bob@192.0.2.2>;tag=tb5\r\n\
      Call-ID: two-cl@192.0.2.1\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\nl: 4\r\n\r\n",
    // A good one between them, for the count.
    b"OPTIONS sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKm6\r\n\
      From: <sip:alice@192.0.2.1>;tag=fa6\r\nTo: <sip:bob@192.0.2.2>\r\n\
      Call-ID: good@192.0.2.1\r\nCSeq: 6 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
];

#[test]
fn tshark_reads_what_sipline_reads_field_by_field() {
    let frames: Vec<Vec<u8>> = MALFORMED.iter().map(|m| eth_udp(m)).collect();
    let bad = common::write_temp("malformed.pcap", &common::pcap(1, &frames));
    // The rows of the malformed ones keep what can be read (whatever tshark
    // says, and with tshark missing).
    let (out, _, code) = engines::sipline(&[
        "export",
        "--format",
        "jsonl",
        "--strict",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let rows: Vec<Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<_> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["error", "request", "error", "error", "error", "request"]
    );
    let get = |i: usize, k: &str| rows[i][k].clone();
    assert_eq!(get(0, "cid"), "bad-cl@192.0.2.1");
    assert_eq!(get(0, "method"), "INVITE");
    assert_eq!(get(0, "cseq"), 11);
    assert_eq!(get(0, "from_user"), "alice");
    assert_eq!(get(0, "from_tag"), "fa1");
    assert_eq!(get(0, "to_user"), "bob");
    assert_eq!(get(0, "branch"), "z9hG4bKm1");
    assert_eq!(get(0, "error_kind"), "content-length");
    // Strict refuses the display name (RFC 3261 25.1: a display name is
    // tokens or a quoted string); the rest of the message reads.
    assert_eq!(get(1, "from_user"), Value::Null);
    assert_eq!(get(1, "cid"), "arik@192.0.2.1");
    assert_eq!(get(1, "to_user"), "816666");
    assert_eq!(get(2, "response_code"), 486);
    assert_eq!(get(2, "to_tag"), "tb3");
    assert_eq!(
        get(3, "response_code"),
        Value::Null,
        "2000 is no status code"
    );
    assert_eq!(get(3, "cseq_method"), "OPTIONS");
    assert_eq!(get(4, "cseq"), 5);
    let (out, _, _) = engines::sipline(&["export", "--format", "jsonl", bad.to_str().unwrap()]);
    let lenient: Vec<Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lenient[1]["from_user"], "816666");
    assert_eq!(lenient[1]["from_tag"], "6433ef9");
    // Over TCP, the message that fails is read from its first byte, across
    // segments, on one thread or several.
    let mut stream = MALFORMED[5].to_vec();
    stream.extend_from_slice(MALFORMED[0]);
    let (a, b) = stream.split_at(MALFORMED[5].len() + 40);
    let tcp_path = common::write_temp(
        "malformed-tcp.pcap",
        &common::pcap(1, &[tcp(1, a), tcp(1 + a.len() as u32, b)]),
    );
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let (out, _, code) = engines::sipline(&[
            "export",
            "--format",
            "jsonl",
            "--threads",
            threads,
            tcp_path.to_str().unwrap(),
        ]);
        assert_eq!(code, 0);
        outputs.push(out);
    }
    assert_eq!(outputs[0], outputs[1]);
    let tcp_rows: Vec<Value> = String::from_utf8_lossy(&outputs[0])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tcp_rows.len(), 2);
    assert_eq!(tcp_rows[1]["kind"], "error");
    assert_eq!(tcp_rows[1]["cid"], "bad-cl@192.0.2.1");
    assert_eq!(tcp_rows[1]["from_tag"], "fa1");

    let root = common::workspace_root();
    let mut total = 0;
    for (capture, args) in [
        (bad.clone(), &["--strict"][..]),
        (bad.clone(), &[][..]),
        (tcp_path.clone(), &[][..]),
        (root.join("corpus/captures/loopback.pcap"), &[][..]),
        (root.join("corpus/sipp/calls.pcap"), &[][..]),
        (root.join("corpus/sipp/proxy.pcap"), &[][..]),
        (root.join("tests/data/loopback.pcapng"), &[][..]),
    ]
    .into_iter()
    .chain(
        common::shared_corpus("the shared capture in the tshark fields (the bundled ones ran)")
            .map(|s| (s.join("captured/loopback.pcap"), &[][..])),
    ) {
        if let Some(a) = tshark_fields::agree(&capture, args, &[], &[]) {
            assert!(a.frames > 0, "{}: nothing compared", capture.display());
            total += a.values;
        }
    }
    println!("{total} values compared");
}
