//! SIP over SCTP (RFC 4168): the DATA chunks of an SCTP packet (RFC 9260
//! §3), each whole user message one SIP message.

/// An SCTP packet: its ports, and the chunks after the common header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// The chunks.
    pub chunks: &'a [u8],
}

/// A DATA chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataChunk<'a> {
    /// The stream identifier.
    pub stream: u16,
    /// The payload protocol identifier (0 for SIP: RFC 4168 registers none).
    pub ppid: u32,
    /// The chunk holds a whole user message (both the B and E flags).
    pub whole: bool,
    /// The user data.
    pub data: &'a [u8],
}

/// The common header of an SCTP packet (12 bytes), or `None` when short.
pub fn packet(b: &[u8]) -> Option<Packet<'_>> {
    Some(Packet {
        src_port: u16::from_be_bytes(*b.first_chunk::<2>()?),
        dst_port: u16::from_be_bytes(*b.get(2..)?.first_chunk::<2>()?),
        chunks: b.get(12..)?,
    })
}

/// The DATA chunks among `chunks`, in order; the walk stops at a chunk
/// whose length does not fit.
pub fn data_chunks(chunks: &[u8]) -> impl Iterator<Item = DataChunk<'_>> {
    let mut rest = chunks;
    std::iter::from_fn(move || loop {
        let [kind, flags, l0, l1, ..] = *rest else {
            return None;
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if len < 4 {
            return None;
        }
        let chunk = rest.get(..len)?;
        rest = rest.get(len.div_ceil(4) * 4..).unwrap_or_default();
        if kind != 0 {
            continue;
        }
        let (Some(stream), Some(ppid), Some(data)) = (
            chunk.get(8..10),
            chunk.get(12..16).and_then(|p| p.first_chunk::<4>()),
            chunk.get(16..),
        ) else {
            return None;
        };
        return Some(DataChunk {
            stream: u16::from_be_bytes([stream[0], stream[1]]),
            ppid: u32::from_be_bytes(*ppid),
            whole: flags & 0x03 == 0x03,
            data,
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut c = vec![0, flags];
        c.extend_from_slice(&((16 + payload.len()) as u16).to_be_bytes());
        c.extend_from_slice(&[0, 0, 0, 9, 0, 2, 0, 0, 0, 0, 0, 0]);
        c.extend_from_slice(payload);
        while c.len() % 4 != 0 {
            c.push(0);
        }
        c
    }

    #[test]
    fn bundled_chunks_and_other_kinds() {
        // SACK (type 3), then two DATA chunks, one a fragment.
        let mut c = vec![3, 0, 0, 8, 0, 0, 0, 0];
        c.extend(data(3, b"abc"));
        c.extend(data(2, b"defgh"));
        let d: Vec<_> = data_chunks(&c).collect();
        assert_eq!(d.len(), 2);
        assert_eq!((d[0].data, d[0].whole), (&b"abc"[..], true));
        assert_eq!((d[1].data, d[1].whole), (&b"defgh"[..], false));
        // A length that runs past the packet ends the walk.
        let mut bad = data(3, b"abc");
        bad[3] = 200;
        assert_eq!(data_chunks(&bad).count(), 0);
        assert_eq!(data_chunks(&[0, 3, 0, 2]).count(), 0, "length under 4");
        assert!(packet(&[0; 11]).is_none());
    }
}

/// The examples of this file's items, run as unit tests: the items are
/// internal to the crate, so their examples cannot be doctests.
#[cfg(test)]
mod examples {
    #[test]
    fn data_chunks() {
        use crate::decode::sctp::data_chunks;
        // One DATA chunk (type 0, flags B|E), TSN, stream 1, seq, PPID 0, "hi", padding.
        let c = [
            0, 3, 0, 18, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, b'h', b'i', 0, 0,
        ];
        let d: Vec<_> = data_chunks(&c).collect();
        assert_eq!((d[0].stream, d[0].whole, d[0].data), (1, true, &b"hi"[..]));
    }
}
