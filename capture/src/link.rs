//! From a captured frame to a transport payload: link layers (Ethernet with
//! VLAN tags, Linux cooked SLL and SLL2, raw IP, BSD loopback), IPv4 and
//! IPv6, UDP and TCP, decoded by etherparse.

use std::net::{IpAddr, SocketAddr};

use etherparse::{
    EtherType, Ipv6ExtensionSlice, NetSlice, SlicedPacket, TcpSlice, TransportSlice, UdpSlice,
};
use pcap_parser::Linktype;

use crate::frag::Fragment;

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
}

/// What a frame holds, as far as SIP is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A UDP or TCP packet.
    Packet {
        /// Source address and port.
        src: SocketAddr,
        /// Destination address and port.
        dst: SocketAddr,
        /// The payload.
        payload: TransportPayload<'a>,
    },
    /// An IP fragment, to be reassembled ([`crate::frag`]).
    Fragment(Fragment<'a>),
    /// Something else (ARP, ICMP, another transport): not SIP, not counted.
    Other,
    /// A link type sipline does not read.
    UnknownLinkType,
    /// Too short or malformed below the transport layer.
    Bad,
}

/// Decodes one captured frame of link type `linktype`.
///
/// ```
/// use pcap_parser::Linktype;
/// use sipline_capture::link::{decode, Decoded, TransportPayload};
///
/// let mut frame = Vec::new();
/// etherparse::PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
///     .udp(5060, 5061)
///     .write(&mut frame, b"OPTIONS sip:a@b SIP/2.0\r\n\r\n")
///     .unwrap();
/// let Decoded::Packet { src, payload: TransportPayload::Udp(p), .. } = decode(Linktype::RAW, &frame)
/// else { panic!() };
/// assert_eq!(src.port(), 5060);
/// assert!(p.starts_with(b"OPTIONS"));
/// assert_eq!(decode(Linktype(9999), &frame), Decoded::UnknownLinkType);
/// ```
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
    let Ok(p) = sliced else {
        return Decoded::Bad;
    };
    let (src, dst) = match &p.net {
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
            (src, dst)
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
            (src, dst)
        }
        _ => return Decoded::Other,
    };
    let (sp, dp, payload) = match &p.transport {
        Some(TransportSlice::Udp(u)) => (
            u.source_port(),
            u.destination_port(),
            TransportPayload::Udp(u.payload()),
        ),
        Some(TransportSlice::Tcp(t)) => (t.source_port(), t.destination_port(), tcp_payload(t)),
        _ => return Decoded::Other,
    };
    Decoded::Packet {
        src: SocketAddr::new(src, sp),
        dst: SocketAddr::new(dst, dp),
        payload,
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

/// The transport layer of a reassembled IP payload of `protocol`: source
/// and destination ports and the payload; `None` for a protocol other than
/// UDP and TCP, or a header that does not fit.
pub fn transport(protocol: u8, bytes: &[u8]) -> Option<(u16, u16, TransportPayload<'_>)> {
    match protocol {
        17 => {
            let u = UdpSlice::from_slice(bytes).ok()?;
            Some((
                u.source_port(),
                u.destination_port(),
                TransportPayload::Udp(u.payload()),
            ))
        }
        6 => {
            let t = TcpSlice::from_slice(bytes).ok()?;
            Some((t.source_port(), t.destination_port(), tcp_payload(&t)))
        }
        _ => None,
    }
}
