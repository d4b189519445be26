//! The encapsulations that mirrored traffic arrives in, decoded by hand
//! where etherparse does not: GRE (RFC 2784, RFC 2890) with ERSPAN types II
//! and III, VXLAN (RFC 7348), MPLS label stacks (RFC 3032). IP-in-IP, 6in4
//! and 4in6 need no header of their own: the inner packet is IP.

/// What an encapsulation carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inner<'a> {
    /// An Ethernet frame.
    Ethernet(&'a [u8]),
    /// An IPv4 or IPv6 packet.
    Ip(&'a [u8]),
}

/// The UDP port of VXLAN (RFC 7348).
pub const VXLAN_PORT: u16 = 4789;

/// A GRE packet's payload (RFC 2784 with the key and sequence number of
/// RFC 2890), ERSPAN type II and III (GRE protocol 0x88BE and 0x22EB)
/// included. `None` for a GRE version or protocol that carries no IP.
pub fn gre(b: &[u8]) -> Option<Inner<'_>> {
    let [flags, version, p0, p1, ..] = *b else {
        return None;
    };
    if version & 0x07 != 0 {
        return None; // version 1 is PPTP's enhanced GRE
    }
    let mut at = 4;
    for bit in [0x80u8, 0x20, 0x10] {
        // checksum (and reserved), key, sequence number: 4 bytes each
        if flags & bit != 0 {
            at += 4;
        }
    }
    let rest = b.get(at..)?;
    match u16::from_be_bytes([p0, p1]) {
        0x0800 | 0x86DD => Some(Inner::Ip(rest)),
        0x6558 => Some(Inner::Ethernet(rest)), // transparent Ethernet bridging
        0x8847 | 0x8848 => mpls(rest).map(Inner::Ip),
        0x88BE => {
            // ERSPAN: type I has no header and no sequence number in GRE.
            if flags & 0x10 == 0 {
                Some(Inner::Ethernet(rest))
            } else {
                Some(Inner::Ethernet(rest.get(8..)?))
            }
        }
        0x22EB => {
            // ERSPAN type III: 12 bytes, and an 8-byte platform
            // subheader when the O flag (last bit of byte 11) is set.
            let o = rest.get(11)? & 0x01 != 0;
            Some(Inner::Ethernet(rest.get(if o { 20 } else { 12 }..)?))
        }
        _ => None,
    }
}

/// A VXLAN packet's inner Ethernet frame (8-byte header, the I flag set).
pub fn vxlan(b: &[u8]) -> Option<&[u8]> {
    if b.first()? & 0x08 == 0 {
        return None;
    }
    b.get(8..)
}

/// The packet under an MPLS label stack: labels of 4 bytes until the one
/// with the bottom-of-stack bit; then IP, told by its version nibble.
pub fn mpls(b: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    // At most 16 labels: anything deeper is not a stack but garbage.
    for _ in 0..16 {
        let bottom = b.get(at + 2)? & 0x01 != 0;
        at += 4;
        if bottom {
            let rest = b.get(at..)?;
            return match rest.first()? >> 4 {
                4 | 6 => Some(rest),
                _ => None, // pseudowire control word or Ethernet: not read
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gre_options_and_erspan() {
        // Key and sequence present: 8 more bytes.
        let mut pkt = vec![0x30, 0x00, 0x08, 0x00];
        pkt.extend_from_slice(&[0; 8]);
        pkt.push(0x45);
        assert_eq!(gre(&pkt), Some(Inner::Ip(&[0x45])));
        // ERSPAN II: sequence number, then an 8-byte header, then Ethernet.
        let mut pkt = vec![0x10, 0x00, 0x88, 0xBE, 0, 0, 0, 1];
        pkt.extend_from_slice(&[0x10, 0, 0, 0, 0, 0, 0, 0]);
        pkt.push(0xEE);
        assert_eq!(gre(&pkt), Some(Inner::Ethernet(&[0xEE])));
        // ERSPAN III with the platform subheader.
        let mut pkt = vec![0x10, 0x00, 0x22, 0xEB, 0, 0, 0, 1];
        let mut hdr = [0u8; 12];
        hdr[11] = 0x01;
        pkt.extend_from_slice(&hdr);
        pkt.extend_from_slice(&[0; 8]);
        pkt.push(0xEE);
        assert_eq!(gre(&pkt), Some(Inner::Ethernet(&[0xEE])));
        // Version 1 (PPTP) and short input.
        assert_eq!(gre(&[0x00, 0x01, 0x08, 0x00, 0x45]), None);
        assert_eq!(gre(&[0x30, 0x00, 0x08, 0x00, 0]), None);
    }

    #[test]
    fn mpls_stacks() {
        assert_eq!(mpls(&[0, 0, 0, 64, 0, 0, 1, 64, 0x60]), Some(&[0x60][..]));
        assert_eq!(mpls(&[0, 0, 1, 64, 0x00]), None, "a control word");
        assert_eq!(mpls(&[0, 0, 0, 64].repeat(20)), None, "no bottom");
        assert_eq!(mpls(&[0, 0]), None);
    }
}

/// The examples of this file's items, run as unit tests: the items are
/// internal to the crate, so their examples cannot be doctests.
#[cfg(test)]
mod examples {
    #[test]
    fn gre() {
        use crate::decode::tunnel::{gre, Inner};
        // No options, protocol IPv4.
        let pkt = [0x00, 0x00, 0x08, 0x00, 0x45, 0x00];
        assert_eq!(gre(&pkt), Some(Inner::Ip(&[0x45, 0x00])));
    }

    #[test]
    fn vxlan() {
        use crate::decode::tunnel::vxlan;
        let pkt = [0x08, 0, 0, 0, 0, 0, 0x2a, 0, 0xff];
        assert_eq!(vxlan(&pkt), Some(&[0xff][..]));
        assert_eq!(vxlan(&[0u8; 9]), None, "no VNI flag");
    }

    #[test]
    fn mpls() {
        use crate::decode::tunnel::mpls;
        // One label (bottom of stack), then an IPv4 header's first byte.
        assert_eq!(mpls(&[0, 0, 0x01, 64, 0x45]), Some(&[0x45][..]));
    }
}
