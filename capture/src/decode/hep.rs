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

/// Encodes `h` as a HEP3 packet into `out` (cleared first), with the
/// capture agent's id `capture_id` (chunk 12); the auth key, when `h` has
/// one, goes in chunk 14. `false` when it does not fit a HEP3 packet (64
/// KiB in all) or the addresses are of two families; `out` is then empty.
/// [`parse`] gives `h` back (the time to the microsecond).
pub fn encode(out: &mut Vec<u8>, h: &Hep<'_>, capture_id: u32) -> bool {
    out.clear();
    out.extend_from_slice(b"HEP3\0\0");
    let chunk = |out: &mut Vec<u8>, kind: u16, value: &[u8]| -> bool {
        let Ok(len) = u16::try_from(6 + value.len()) else {
            return false;
        };
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&kind.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(value);
        true
    };
    let family: u8 = match (h.src.ip(), h.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            chunk(out, 3, &s.octets());
            chunk(out, 4, &d.octets());
            2
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            chunk(out, 5, &s.octets());
            chunk(out, 6, &d.octets());
            10
        }
        _ => {
            out.clear();
            return false;
        }
    };
    chunk(out, 1, &[family]);
    chunk(out, 2, &[h.ip_protocol]);
    chunk(out, 7, &h.src.port().to_be_bytes());
    chunk(out, 8, &h.dst.port().to_be_bytes());
    if let Some(t) = h.time.filter(|t| t.is_finite() && *t >= 0.0) {
        let mut secs = t.floor();
        let mut usecs = ((t - secs) * 1e6).round();
        if usecs >= 1e6 {
            secs += 1.0;
            usecs = 0.0;
        }
        chunk(
            out,
            9,
            &(secs.min(f64::from(u32::MAX)) as u32).to_be_bytes(),
        );
        chunk(out, 10, &(usecs as u32).to_be_bytes());
    }
    chunk(out, 11, &[h.payload_type.unwrap_or(1)]);
    chunk(out, 12, &capture_id.to_be_bytes());
    if let Some(key) = h.auth_key {
        if !chunk(out, 14, key) {
            out.clear();
            return false;
        }
    }
    let fits = chunk(out, 15, h.payload);
    match u16::try_from(out.len()) {
        Ok(total) if fits => {
            out[4..6].copy_from_slice(&total.to_be_bytes());
            true
        }
        _ => {
            out.clear();
            false
        }
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

    #[test]
    fn encoded_hep3_reads_back_the_same() {
        let mut out = Vec::new();
        for (src, dst, proto, time) in [
            (
                "192.0.2.1:5060",
                "192.0.2.2:5080",
                17,
                Some(1_700_000_000.123_456),
            ),
            (
                "[2001:db8::1]:5061",
                "[2001:db8::2]:40000",
                6,
                Some(0.999_999_7),
            ),
            ("192.0.2.1:1", "192.0.2.2:2", 132, None),
        ] {
            let h = Hep {
                src: src.parse().unwrap(),
                dst: dst.parse().unwrap(),
                ip_protocol: proto,
                time,
                payload_type: Some(1),
                payload: b"OPTIONS sip:x SIP/2.0\r\n\r\n",
                auth_key: Some(b"secret"),
            };
            assert!(encode(&mut out, &h, 7));
            let back = parse(&out).unwrap();
            assert_eq!(back.src, h.src);
            assert_eq!(back.dst, h.dst);
            assert_eq!(back.ip_protocol, proto);
            assert_eq!(back.payload, h.payload);
            assert_eq!(back.auth_key, h.auth_key);
            assert_eq!(back.payload_type, Some(1));
            match (back.time, time) {
                (Some(b), Some(t)) => assert!((b - t).abs() < 1e-6, "{b} {t}"),
                (b, t) => assert_eq!(b, t),
            }
        }
        // Too large, or two families: nothing.
        let big = vec![b'x'; 70_000];
        let h = Hep {
            src: "192.0.2.1:1".parse().unwrap(),
            dst: "192.0.2.2:2".parse().unwrap(),
            ip_protocol: 17,
            time: None,
            payload_type: None,
            payload: &big,
            auth_key: None,
        };
        assert!(!encode(&mut out, &h, 0));
        assert!(out.is_empty());
        let mixed = Hep {
            dst: "[::1]:2".parse().unwrap(),
            payload: b"x",
            ..h
        };
        assert!(!encode(&mut out, &mixed, 0));
    }

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
