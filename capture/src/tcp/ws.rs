//! SIP over WebSocket (RFC 7118): the HTTP Upgrade that opens the
//! connection, and the frames after it (RFC 6455 §5).

/// `true` when `head` (an HTTP request or response head, up to its empty
/// line) opens a WebSocket for SIP: a `GET` whose `Upgrade` is `websocket`
/// and whose `Sec-WebSocket-Protocol` offers `sip`, or the `101` that
/// accepts it.
pub fn opens_sip_websocket(head: &[u8]) -> bool {
    let start_ok = head.starts_with(b"GET ") || head.starts_with(b"HTTP/1.1 101");
    if !start_ok {
        return false;
    }
    let mut upgrade = false;
    let mut sip = false;
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default();
        let has = |word: &[u8]| {
            value
                .split(|&b| b == b',')
                .any(|v| v.trim_ascii().eq_ignore_ascii_case(word))
        };
        if name.trim_ascii().eq_ignore_ascii_case(b"Upgrade") && has(b"websocket") {
            upgrade = true;
        }
        if name
            .trim_ascii()
            .eq_ignore_ascii_case(b"Sec-WebSocket-Protocol")
            && has(b"sip")
        {
            sip = true;
        }
    }
    upgrade && sip
}

/// A WebSocket frame's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// The last frame of a message.
    pub fin: bool,
    /// 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
    pub opcode: u8,
    /// The masking key (client to server frames).
    pub mask: Option<[u8; 4]>,
    /// The header's length in bytes.
    pub header_len: usize,
    /// The payload's length in bytes.
    pub payload_len: u64,
}

/// What the front of a buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// A frame header.
    Frame(FrameHeader),
    /// Not all of the header is there yet.
    Incomplete,
    /// Reserved bits or opcodes, or a control frame longer than 125 bytes:
    /// not a WebSocket frame.
    Invalid,
}

/// Reads the frame header at the front of `b`.
pub fn frame_header(b: &[u8]) -> Header {
    let (Some(&b0), Some(&b1)) = (b.first(), b.get(1)) else {
        return Header::Incomplete;
    };
    let opcode = b0 & 0x0F;
    if b0 & 0x70 != 0 || !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
        return Header::Invalid;
    }
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut at) = match b1 & 0x7F {
        126 => match b.get(2..4) {
            Some(n) => (u64::from(u16::from_be_bytes([n[0], n[1]])), 4),
            None => return Header::Incomplete,
        },
        127 => match b.get(2..10).and_then(|n| n.first_chunk::<8>()) {
            Some(n) => (u64::from_be_bytes(*n), 10),
            None => return Header::Incomplete,
        },
        n => (u64::from(n), 2),
    };
    if opcode >= 8 && (payload_len > 125 || b0 & 0x80 == 0) {
        return Header::Invalid;
    }
    let mask = if masked {
        match b.get(at..at + 4).and_then(|m| m.first_chunk::<4>()) {
            Some(m) => {
                at += 4;
                Some(*m)
            }
            None => return Header::Incomplete,
        }
    } else {
        None
    };
    Header::Frame(FrameHeader {
        fin: b0 & 0x80 != 0,
        opcode,
        mask,
        header_len: at,
        payload_len,
    })
}

/// Appends `payload` to `out`, unmasked with `mask`.
pub fn unmask_into(payload: &[u8], mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
    match mask {
        None => out.extend_from_slice(payload),
        Some(m) => out.extend(payload.iter().zip(m.iter().cycle()).map(|(b, k)| b ^ k)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_masks_and_control_frames() {
        let mut f = vec![0x82, 0xFE, 0x01, 0x00, 1, 2, 3, 4];
        f.extend(vec![0; 256]);
        let Header::Frame(h) = frame_header(&f) else {
            panic!()
        };
        assert_eq!(
            (h.opcode, h.header_len, h.payload_len, h.mask),
            (2, 8, 256, Some([1, 2, 3, 4]))
        );
        let mut out = Vec::new();
        unmask_into(
            &[1 ^ b'a', 2 ^ b'b', 3 ^ b'c', 4 ^ b'd', 1 ^ b'e'],
            h.mask,
            &mut out,
        );
        assert_eq!(out, b"abcde");
        // 64-bit length, cut short.
        assert_eq!(frame_header(&[0x82, 0x7F, 0, 0]), Header::Incomplete);
        // A ping longer than 125, a fragmented close: invalid.
        assert_eq!(frame_header(&[0x89, 0x7E, 0, 200]), Header::Invalid);
        assert_eq!(frame_header(&[0x08, 0x00]), Header::Invalid);
    }
}

/// The examples of this file's items, run as unit tests: the items are
/// internal to the crate, so their examples cannot be doctests.
#[cfg(test)]
mod examples {
    #[test]
    fn opens_sip_websocket() {
        use crate::tcp::ws::opens_sip_websocket;
        let req = b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";
        assert!(opens_sip_websocket(req));
        let resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Protocol: sip\r\n\r\n";
        assert!(opens_sip_websocket(resp));
        assert!(
            !opens_sip_websocket(b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"),
            "not SIP"
        );
    }

    #[test]
    fn frame_header() {
        use crate::tcp::ws::{frame_header, Header};
        // FIN, text, unmasked, 2 bytes.
        let Header::Frame(h) = frame_header(&[0x81, 0x02, b'h', b'i']) else {
            panic!()
        };
        assert_eq!(
            (h.fin, h.opcode, h.header_len, h.payload_len),
            (true, 1, 2, 2)
        );
        assert_eq!(frame_header(&[0x81]), Header::Incomplete);
        assert_eq!(frame_header(&[0xF1, 0x00]), Header::Invalid);
    }
}
