//! From a captured frame to a transport payload: link layers (Ethernet with
//! VLAN tags, 802.1Q and 802.1ad, Linux cooked SLL and SLL2, raw IP, BSD
//! loopback), IPv4 and IPv6, UDP and TCP, decoded by etherparse; and the
//! encapsulations of mirrored traffic opened on the way ([`crate::decode::tunnel`]:
//! MPLS, GRE, ERSPAN, VXLAN, IP-in-IP; [`crate::decode::hep`]: HEP).

use std::net::{IpAddr, SocketAddr};

use etherparse::{
    EtherType, Ipv6ExtensionSlice, NetSlice, SlicedPacket, TcpSlice, TransportSlice, UdpSlice,
};
use pcap_parser::Linktype;

use crate::decode::frag::Fragment;
use crate::decode::hep::{self, HEP_PORT};
use crate::decode::sctp;
use crate::decode::tunnel::{gre, mpls, vxlan, Inner, VXLAN_PORT};

/// A TCP segment's header fields that reassembly needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpHeader {
    /// The sequence number of the first payload byte (of the SYN, with SYN set).
    pub seq: u32,
    /// SYN: the connection starts; the payload starts at `seq + 1`.
    pub syn: bool,
    /// FIN: the sender is done.
    pub fin: bool,
    /// RST: the connection is gone.
    pub rst: bool,
}

/// The transport layer of a decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportPayload<'a> {
    /// A UDP datagram's payload.
    Udp(&'a [u8]),
    /// A TCP segment's header fields and payload.
    Tcp(TcpHeader, &'a [u8]),
    /// An SCTP packet's chunks ([`crate::decode::sctp::data_chunks`]).
    Sctp(&'a [u8]),
}

/// What a frame holds, as far as SIP is concerned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Decoded<'a> {
    /// A UDP or TCP packet (the innermost, when tunnels were opened).
    Packet {
        /// Source address and port.
        src: SocketAddr,
        /// Destination address and port.
        dst: SocketAddr,
        /// The payload.
        payload: TransportPayload<'a>,
        /// The original capture time, when an encapsulation carries one (HEP).
        time: Option<f64>,
    },
    /// An IP fragment, to be reassembled ([`crate::decode::frag`]).
    Fragment(Fragment<'a>),
    /// Something else (ARP, ICMP, another transport): not SIP, not counted.
    Other,
    /// A link type sipline does not read.
    UnknownLinkType,
    /// Too short or malformed below the transport layer.
    Bad,
}

/// Decodes one captured frame of link type `linktype`.
pub fn decode(linktype: Linktype, data: &[u8]) -> Decoded<'_> {
    let sliced = match linktype {
        Linktype::ETHERNET => SlicedPacket::from_ethernet(data),
        Linktype::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        // Linux cooked v2: the protocol type in the first two bytes, a 20-byte header.
        Linktype::LINUX_SLL2 => match (data.first_chunk::<2>(), data.get(20..)) {
            (Some(proto), Some(rest)) => {
                SlicedPacket::from_ether_type(EtherType(u16::from_be_bytes(*proto)), rest)
            }
            _ => return Decoded::Bad,
        },
        Linktype::RAW | Linktype::IPV4 | Linktype::IPV6 => SlicedPacket::from_ip(data),
        // DLT_RAW as some systems number it (12, 14): IP with no link header.
        Linktype(12) | Linktype(14) => SlicedPacket::from_ip(data),
        // BSD loopback: a 4-byte address family, then IP.
        Linktype::NULL | Linktype::LOOP => match data.get(4..) {
            Some(ip) => SlicedPacket::from_ip(ip),
            None => return Decoded::Bad,
        },
        _ => return Decoded::UnknownLinkType,
    };
    match sliced {
        Ok(p) => from_sliced(&p, 0),
        Err(_) => Decoded::Bad,
    }
}

/// How deep encapsulations may nest (a tunnel in a tunnel …) before a
/// packet is taken as malformed: hostile input must not recurse freely.
const MAX_DEPTH: u8 = 4;

/// An encapsulated packet, decoded like a frame of its own.
fn inner(i: Inner<'_>, depth: u8) -> Decoded<'_> {
    if depth >= MAX_DEPTH {
        return Decoded::Bad;
    }
    let sliced = match i {
        Inner::Ethernet(b) => SlicedPacket::from_ethernet(b),
        Inner::Ip(b) => SlicedPacket::from_ip(b),
    };
    match sliced {
        Ok(p) => from_sliced(&p, depth + 1),
        Err(_) => Decoded::Bad,
    }
}

fn from_sliced<'a>(p: &SlicedPacket<'a>, depth: u8) -> Decoded<'a> {
    let (src, dst, ip_payload) = match &p.net {
        Some(NetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let (src, dst) = (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
            );
            if v4.is_payload_fragmented() {
                return Decoded::Fragment(Fragment {
                    src,
                    dst,
                    id: u32::from(h.identification()),
                    protocol: v4.payload().ip_number.0,
                    offset: usize::from(h.fragments_offset().value()) * 8,
                    more: h.more_fragments(),
                    payload: v4.payload().payload,
                });
            }
            (src, dst, v4.payload())
        }
        Some(NetSlice::Ipv6(v6)) => {
            let h = v6.header();
            let (src, dst) = (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
            );
            if v6.is_payload_fragmented() {
                let frag = v6.extensions().clone().into_iter().find_map(|e| match e {
                    Ipv6ExtensionSlice::Fragment(f) => Some(f),
                    _ => None,
                });
                let Some(f) = frag else {
                    return Decoded::Bad;
                };
                return Decoded::Fragment(Fragment {
                    src,
                    dst,
                    id: f.identification(),
                    protocol: v6.payload().ip_number.0,
                    offset: usize::from(f.fragment_offset().value()) * 8,
                    more: f.more_fragments(),
                    payload: v6.payload().payload,
                });
            }
            (src, dst, v6.payload())
        }
        Some(NetSlice::Arp(_)) => return Decoded::Other,
        None => {
            // MPLS over Ethernet: etherparse stops at the label stack.
            let ether = p
                .link_exts
                .last()
                .and_then(|e| e.ether_payload())
                .or_else(|| p.link.as_ref().and_then(|l| l.ether_payload()));
            return match ether {
                Some(e) if matches!(e.ether_type.0, 0x8847 | 0x8848) => match mpls(e.payload) {
                    Some(ip) => inner(Inner::Ip(ip), depth),
                    None => Decoded::Other,
                },
                _ => Decoded::Other,
            };
        }
    };
    match &p.transport {
        Some(TransportSlice::Udp(u)) => udp(
            SocketAddr::new(src, u.source_port()),
            SocketAddr::new(dst, u.destination_port()),
            u.payload(),
            depth,
        ),
        Some(TransportSlice::Tcp(t)) => Decoded::Packet {
            src: SocketAddr::new(src, t.source_port()),
            dst: SocketAddr::new(dst, t.destination_port()),
            payload: tcp_payload(t),
            time: None,
        },
        _ => tunnel(src, dst, ip_payload.ip_number.0, ip_payload.payload, depth),
    }
}

/// A UDP payload: VXLAN and HEP are opened, anything else is the datagram.
fn udp<'a>(src: SocketAddr, dst: SocketAddr, payload: &'a [u8], depth: u8) -> Decoded<'a> {
    let port = |p: u16| src.port() == p || dst.port() == p;
    if port(VXLAN_PORT) {
        if let Some(eth) = vxlan(payload) {
            return inner(Inner::Ethernet(eth), depth);
        }
    }
    if port(HEP_PORT) || payload.starts_with(b"HEP3") {
        if let Some(h) = hep::parse(payload) {
            // Chunk 11 says what the payload is: 1 is SIP.
            if h.payload_type.is_none_or(|t| t == 1) {
                return Decoded::Packet {
                    src: h.src,
                    dst: h.dst,
                    payload: TransportPayload::Udp(h.payload),
                    time: h.time,
                };
            }
            return Decoded::Other;
        }
    }
    Decoded::Packet {
        src,
        dst,
        payload: TransportPayload::Udp(payload),
        time: None,
    }
}

/// An IP payload that is not UDP or TCP: SCTP, and the tunnels IP-in-IP,
/// 6in4, 4in6, GRE (and ERSPAN in it), MPLS-in-IP; anything else is not SIP.
fn tunnel(src: IpAddr, dst: IpAddr, protocol: u8, payload: &[u8], depth: u8) -> Decoded<'_> {
    if protocol == 132 {
        return match sctp::packet(payload) {
            Some(p) => Decoded::Packet {
                src: SocketAddr::new(src, p.src_port),
                dst: SocketAddr::new(dst, p.dst_port),
                payload: TransportPayload::Sctp(p.chunks),
                time: None,
            },
            None => Decoded::Bad,
        };
    }
    let found = match protocol {
        4 | 41 => Some(Inner::Ip(payload)),
        47 => gre(payload),
        137 => mpls(payload).map(Inner::Ip),
        _ => None,
    };
    match found {
        Some(i) => inner(i, depth),
        None => Decoded::Other,
    }
}

fn tcp_payload<'a>(t: &TcpSlice<'a>) -> TransportPayload<'a> {
    TransportPayload::Tcp(
        TcpHeader {
            seq: t.sequence_number(),
            syn: t.syn(),
            fin: t.fin(),
            rst: t.rst(),
        },
        t.payload(),
    )
}

/// A reassembled IP payload of `protocol` from `src` to `dst`, decoded as
/// the rest of a packet is: UDP and TCP, and the tunnels that IP carries.
pub fn ip_payload(src: IpAddr, dst: IpAddr, protocol: u8, bytes: &[u8]) -> Decoded<'_> {
    match protocol {
        17 => match UdpSlice::from_slice(bytes) {
            Ok(u) => udp(
                SocketAddr::new(src, u.source_port()),
                SocketAddr::new(dst, u.destination_port()),
                u.payload(),
                0,
            ),
            Err(_) => Decoded::Bad,
        },
        6 => match TcpSlice::from_slice(bytes) {
            Ok(t) => Decoded::Packet {
                src: SocketAddr::new(src, t.source_port()),
                dst: SocketAddr::new(dst, t.destination_port()),
                payload: tcp_payload(&t),
                time: None,
            },
            Err(_) => Decoded::Bad,
        },
        other => tunnel(src, dst, other, bytes, 0),
    }
}

/// The examples of this file's items, run as unit tests: the items are
/// internal to the crate, so their examples cannot be doctests.
#[cfg(test)]
mod examples {
    #[test]
    fn decode() {
        use crate::decode::link::{decode, Decoded, TransportPayload};
        use pcap_parser::Linktype;

        let mut frame = Vec::new();
        etherparse::PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .udp(5060, 5061)
            .write(&mut frame, b"OPTIONS sip:a@b SIP/2.0\r\n\r\n")
            .unwrap();
        let Decoded::Packet {
            src,
            payload: TransportPayload::Udp(p),
            ..
        } = decode(Linktype::RAW, &frame)
        else {
            panic!()
        };
        assert_eq!(src.port(), 5060);
        assert!(p.starts_with(b"OPTIONS"));
        assert_eq!(decode(Linktype(9999), &frame), Decoded::UnknownLinkType);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 UDP packet from 192.0.2.1:5060 to 192.0.2.2:5062.
    fn ipv4_udp(payload: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        etherparse::PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .udp(5060, 5062)
            .write(&mut p, payload)
            .unwrap();
        p
    }

    fn udp_payload(d: Decoded<'_>) -> Option<&[u8]> {
        match d {
            Decoded::Packet {
                payload: TransportPayload::Udp(p),
                ..
            } => Some(p),
            _ => None,
        }
    }

    /// An Ethernet frame of `ether_type` around `payload`.
    fn ethernet(ether_type: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
        f.extend_from_slice(&ether_type.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn link_layers_too_short_or_unknown_are_said_so() {
        let ip = ipv4_udp(b"x");
        assert_eq!(decode(Linktype::LINUX_SLL2, &[0; 10]), Decoded::Bad);
        assert_eq!(decode(Linktype::NULL, &[2, 0]), Decoded::Bad);
        assert_eq!(decode(Linktype::ETHERNET, &[0; 5]), Decoded::Bad);
        assert_eq!(decode(Linktype(147), &ip), Decoded::UnknownLinkType);
        // SLL2: the protocol in its first two bytes, IP after 20 bytes.
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        assert_eq!(
            udp_payload(decode(Linktype::LINUX_SLL2, &sll2)),
            Some(&b"x"[..])
        );
        // BSD loopback and the other raw-IP numbers.
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&ip);
        assert_eq!(udp_payload(decode(Linktype::NULL, &null)), Some(&b"x"[..]));
        assert_eq!(udp_payload(decode(Linktype(12), &ip)), Some(&b"x"[..]));
    }

    #[test]
    fn arp_is_not_sip_and_mpls_over_ethernet_is_opened() {
        let arp = ethernet(
            0x0806,
            &[
                0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0,
                2, 2,
            ],
        );
        assert_eq!(decode(Linktype::ETHERNET, &arp), Decoded::Other);
        // One MPLS label, bottom of stack, then IPv4.
        let mut labelled = vec![0x00, 0x01, 0x01, 0x40];
        labelled.extend_from_slice(&ipv4_udp(b"in mpls"));
        let frame = ethernet(0x8847, &labelled);
        assert_eq!(
            udp_payload(decode(Linktype::ETHERNET, &frame)),
            Some(&b"in mpls"[..])
        );
        // A label stack that never ends is no packet.
        let frame = ethernet(0x8847, &[0x00, 0x01, 0x00, 0x40]);
        assert_eq!(decode(Linktype::ETHERNET, &frame), Decoded::Other);
    }

    #[test]
    fn an_ipv6_fragment_is_handed_on_as_one() {
        let data = [0xaa; 16];
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[44, 64]); // next: fragment header; hop limit
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        // Fragment header: UDP next, offset 0 with more fragments, id 7.
        p.extend_from_slice(&[17, 0, 0x00, 0x01, 0, 0, 0, 7]);
        p.extend_from_slice(&data);
        let Decoded::Fragment(f) = decode(Linktype::RAW, &p) else {
            panic!("{:?}", decode(Linktype::RAW, &p))
        };
        assert_eq!((f.id, f.protocol, f.offset, f.more), (7, 17, 0, true));
        assert_eq!(f.payload, &data[..]);
    }

    #[test]
    fn tunnels_nest_only_so_deep() {
        let ip = ipv4_udp(b"deep");
        assert_eq!(udp_payload(inner(Inner::Ip(&ip), 0)), Some(&b"deep"[..]));
        assert_eq!(inner(Inner::Ip(&ip), MAX_DEPTH), Decoded::Bad);
        assert_eq!(inner(Inner::Ip(&[0x45, 0]), 0), Decoded::Bad);
        // IP-in-IP (protocol 4) is opened; an unknown protocol is not SIP.
        let src = IpAddr::from([192, 0, 2, 9]);
        assert_eq!(
            udp_payload(ip_payload(src, src, 4, &ip)),
            Some(&b"deep"[..])
        );
        assert_eq!(ip_payload(src, src, 99, &ip), Decoded::Other);
        assert_eq!(ip_payload(src, src, 17, &[0; 3]), Decoded::Bad);
        assert_eq!(ip_payload(src, src, 6, &[0; 3]), Decoded::Bad);
        assert_eq!(ip_payload(src, src, 132, &[0; 3]), Decoded::Bad);
    }
}
