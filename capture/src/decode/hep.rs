//! HEP, the encapsulation Kamailio, OpenSIPS, FreeSWITCH, Asterisk and
//! heplify send captured SIP to HOMER in (often UDP to port 9060): versions
//! 2 and 3, with the original addresses, ports and timestamp.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The UDP port HEP is usually sent to.
pub const HEP_PORT: u16 = 9060;

/// A HEP packet: the original packet's addresses, protocol, capture time
/// and payload.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hep<'a> {
    /// Original source address and port.
    pub src: SocketAddr,
    /// Original destination address and port.
    pub dst: SocketAddr,
    /// The original IP protocol (17 UDP, 6 TCP, 132 SCTP).
    pub ip_protocol: u8,
    /// The capture time the agent recorded (seconds since the epoch).
    pub time: Option<f64>,
    /// The payload type (HEP3 chunk 11: 1 is SIP); `None` for HEP2.
    pub payload_type: Option<u8>,
    /// The captured payload.
    pub payload: &'a [u8],
    /// HEP3's capture password (chunk 14, "auth key"), when sent.
    pub auth_key: Option<&'a [u8]>,
}

/// Decodes a HEP2 or HEP3 packet; `None` when `b` is not one.
pub fn parse(b: &[u8]) -> Option<Hep<'_>> {
    if b.starts_with(b"HEP3") {
        hep3(b)
    } else {
        hep2(b)
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(*b.get(at..)?.first_chunk::<2>()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(*b.get(at..)?.first_chunk::<4>()?))
}

/// HEP3: "HEP3", a total length, then chunks of vendor, type, length, value.
fn hep3(b: &[u8]) -> Option<Hep<'_>> {
    let total = usize::from(be16(b, 4)?);
    let b = b.get(..total)?;
    let mut at = 6;
    let (mut src4, mut dst4, mut src6, mut dst6) = (None, None, None, None);
    let (mut sport, mut dport, mut proto, mut secs, mut usecs, mut kind, mut payload) =
        (None, None, None, None, None, None, None);
    let mut auth_key = None;
    while at + 6 <= b.len() {
        let vendor = be16(b, at)?;
        let kind_id = be16(b, at + 2)?;
        let len = usize::from(be16(b, at + 4)?);
        if len < 6 {
            return None;
        }
        let value = b.get(at + 6..at + len)?;
        at += len;
        if vendor != 0 {
            continue;
        }
        match kind_id {
            2 => proto = value.first().copied(),
            3 => src4 = <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from),
            4 => dst4 = <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from),
            5 => src6 = <[u8; 16]>::try_from(value).ok().map(Ipv6Addr::from),
            6 => dst6 = <[u8; 16]>::try_from(value).ok().map(Ipv6Addr::from),
            7 => sport = be16(value, 0),
            8 => dport = be16(value, 0),
            9 => secs = be32(value, 0),
            10 => usecs = be32(value, 0),
            11 => kind = value.first().copied(),
            14 => auth_key = Some(value),
            15 => payload = Some(value),
            _ => {}
        }
    }
    let (src, dst): (IpAddr, IpAddr) = match (src4, dst4, src6, dst6) {
        (Some(s), Some(d), _, _) => (s.into(), d.into()),
        (_, _, Some(s), Some(d)) => (s.into(), d.into()),
        _ => return None,
    };
    Some(Hep {
        src: SocketAddr::new(src, sport?),
        dst: SocketAddr::new(dst, dport?),
        ip_protocol: proto.unwrap_or(17),
        time: secs.map(|s| f64::from(s) + f64::from(usecs.unwrap_or(0)) * 1e-6),
        payload_type: kind,
        payload: payload?,
        auth_key,
    })
}

/// HEP2 (and HEP1): version, header length, family, protocol, ports,
/// addresses, then (version 2) a timestamp and capture id, then the payload.
fn hep2(b: &[u8]) -> Option<Hep<'_>> {
    let version = *b.first()?;
    if version != 1 && version != 2 {
        return None;
    }
    let len = usize::from(*b.get(1)?);
    let family = *b.get(2)?;
    let proto = *b.get(3)?;
    let (sport, dport) = (be16(b, 4)?, be16(b, 6)?);
    let (src, dst, after): (IpAddr, IpAddr, usize) = match family {
        2 => (
            Ipv4Addr::from(*b.get(8..)?.first_chunk::<4>()?).into(),
            Ipv4Addr::from(*b.get(12..)?.first_chunk::<4>()?).into(),
            16,
        ),
        10 => (
            Ipv6Addr::from(*b.get(8..)?.first_chunk::<16>()?).into(),
            Ipv6Addr::from(*b.get(24..)?.first_chunk::<16>()?).into(),
            40,
        ),
        _ => return None,
    };
    if len != after {
        return None;
    }
    // Version 2: a 12-byte time header (seconds, microseconds, capture id).
    let (time, start) = if version == 2 {
        let secs = u32::from_le_bytes(*b.get(after..)?.first_chunk::<4>()?);
        let usecs = u32::from_le_bytes(*b.get(after + 4..)?.first_chunk::<4>()?);
        (Some(f64::from(secs) + f64::from(usecs) * 1e-6), after + 12)
    } else {
        (None, after)
    };
    Some(Hep {
        src: SocketAddr::new(src, sport),
        dst: SocketAddr::new(dst, dport),
        ip_protocol: proto,
        time,
        payload_type: None,
        payload: b.get(start..)?,
        auth_key: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A HEP3 packet built chunk by chunk.
    pub(crate) fn hep3_packet(payload: &[u8]) -> Vec<u8> {
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
        chunk(8, &5080u16.to_be_bytes());
        chunk(9, &1_700_000_000u32.to_be_bytes());
        chunk(10, &500_000u32.to_be_bytes());
        chunk(11, &[1]);
        chunk(15, payload);
        let mut out = b"HEP3".to_vec();
        out.extend_from_slice(&((6 + chunks.len()) as u16).to_be_bytes());
        out.extend_from_slice(&chunks);
        out
    }

    #[test]
    fn hep3_gives_the_original_addresses_time_and_payload() {
        let pkt = hep3_packet(b"SIP/2.0 200 OK\r\n\r\n");
        let h = parse(&pkt).unwrap();
        assert_eq!(h.src, "192.0.2.1:5060".parse().unwrap());
        assert_eq!(h.dst, "192.0.2.2:5080".parse().unwrap());
        assert_eq!((h.ip_protocol, h.payload_type), (17, Some(1)));
        assert_eq!(h.time, Some(1_700_000_000.5));
        assert_eq!(h.payload, b"SIP/2.0 200 OK\r\n\r\n");
        // Cut anywhere, it is refused, never misread.
        for cut in 0..pkt.len() {
            if let Some(h) = parse(&pkt[..cut]) {
                panic!("cut at {cut}: {h:?}");
            }
        }
    }
}

/// The examples of this file's items, run as unit tests: the items are
/// internal to the crate, so their examples cannot be doctests.
#[cfg(test)]
mod examples {
    #[test]
    fn parse() {
        use crate::decode::hep::parse;
        // HEP2: version, length, family (2: IPv4), protocol, ports, addresses,
        // then seconds and microseconds (little-endian) and a capture id.
        let mut pkt = vec![
            2, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc5, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        pkt.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        pkt.extend_from_slice(&250_000u32.to_le_bytes());
        pkt.extend_from_slice(&[0; 4]);
        pkt.extend_from_slice(b"OPTIONS sip:a@b SIP/2.0\r\n\r\n");
        let hep = parse(&pkt).unwrap();
        assert_eq!(hep.src.to_string(), "10.0.0.1:5060");
        assert_eq!(hep.time, Some(1_700_000_000.25));
        assert!(hep.payload.starts_with(b"OPTIONS"));
    }
}
