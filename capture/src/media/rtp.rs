//! RTP and RTCP headers (RFC 3550 §5.1, §6.4), read from one datagram.

use core::fmt;

/// Why a datagram is not the RTP or RTCP packet it was taken for, and the
/// offset of the byte where it stops adding up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtpError {
    /// Shorter than the fixed header (12 bytes for RTP, 8 for an RTCP
    /// sender or receiver report).
    Short,
    /// The version is not 2.
    Version,
    /// The CSRC list runs past the end.
    CsrcPastEnd,
    /// The header extension runs past the end.
    ExtensionPastEnd,
    /// The padding count is 0 or larger than what follows the header.
    Padding,
    /// An RTCP packet's length runs past the datagram, or its report
    /// blocks past its length.
    RtcpLength,
}

impl RtpError {
    /// A short stable name (`rtp-version`, …).
    pub const fn name(self) -> &'static str {
        match self {
            RtpError::Short => "rtp-short",
            RtpError::Version => "rtp-version",
            RtpError::CsrcPastEnd => "rtp-csrc-past-end",
            RtpError::ExtensionPastEnd => "rtp-extension-past-end",
            RtpError::Padding => "rtp-padding",
            RtpError::RtcpLength => "rtcp-length",
        }
    }
}

impl fmt::Display for RtpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RtpError::Short => "shorter than an RTP/RTCP header",
            RtpError::Version => "RTP version is not 2",
            RtpError::CsrcPastEnd => "CSRC list runs past the packet",
            RtpError::ExtensionPastEnd => "header extension runs past the packet",
            RtpError::Padding => "padding count is 0 or past the payload",
            RtpError::RtcpLength => "RTCP length runs past the datagram",
        })
    }
}

impl std::error::Error for RtpError {}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// An RTP packet's header (RFC 3550 §5.1) and its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader<'a> {
    /// The marker bit (a talkspurt's first packet, for audio).
    pub marker: bool,
    /// The payload type (0–127).
    pub payload_type: u8,
    /// The sequence number.
    pub seq: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The synchronisation source.
    pub ssrc: u32,
    /// How many CSRCs follow the fixed header.
    pub csrc_count: u8,
    /// The payload, without padding.
    pub payload: &'a [u8],
}

/// Reads an RTP packet's header: `(error, offset)` when it does not add
/// up.
///
/// ```
/// use sipline_capture::media::parse_rtp;
///
/// let mut pkt = vec![0x80, 0x08, 0x00, 0x2a, 0, 0, 0x01, 0x40, 0xde, 0xad, 0xbe, 0xef];
/// pkt.extend_from_slice(&[0xd5; 160]);
/// let h = parse_rtp(&pkt).unwrap();
/// assert_eq!((h.payload_type, h.seq, h.timestamp, h.ssrc), (8, 42, 320, 0xdeadbeef));
/// assert_eq!(h.payload.len(), 160);
/// ```
pub fn parse_rtp(b: &[u8]) -> Result<RtpHeader<'_>, (RtpError, usize)> {
    let first = *b.first().ok_or((RtpError::Short, 0))?;
    if b.len() < 12 {
        return Err((RtpError::Short, b.len()));
    }
    if first >> 6 != 2 {
        return Err((RtpError::Version, 0));
    }
    let second = b.get(1).copied().unwrap_or(0);
    let csrc_count = first & 0x0f;
    let mut at = 12 + 4 * usize::from(csrc_count);
    if at > b.len() {
        return Err((RtpError::CsrcPastEnd, 12));
    }
    if first & 0x10 != 0 {
        let words = be16(b, at + 2).ok_or((RtpError::ExtensionPastEnd, at))?;
        let end = at + 4 + 4 * usize::from(words);
        if end > b.len() {
            return Err((RtpError::ExtensionPastEnd, at));
        }
        at = end;
    }
    let mut end = b.len();
    if first & 0x20 != 0 {
        let pad = usize::from(b.last().copied().unwrap_or(0));
        if pad == 0 || pad > end - at {
            return Err((RtpError::Padding, b.len() - 1));
        }
        end -= pad;
    }
    Ok(RtpHeader {
        marker: second & 0x80 != 0,
        payload_type: second & 0x7f,
        seq: be16(b, 2).unwrap_or(0),
        timestamp: be32(b, 4).unwrap_or(0),
        ssrc: be32(b, 8).unwrap_or(0),
        csrc_count,
        payload: b.get(at..end).unwrap_or_default(),
    })
}

/// `true` when a version-2 datagram's second byte is an RTCP packet type
/// (192–223: SR 200, RR 201, SDES, BYE, APP, XR 207 …), which is how RTP
/// and RTCP sharing a port are told apart (RFC 5761 §4).
pub fn is_rtcp(b: &[u8]) -> bool {
    matches!(b, [first, 192..=223, ..] if first >> 6 == 2)
}

/// A report block of an RTCP SR or RR (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportBlock {
    /// The source reported on.
    pub ssrc: u32,
    /// The fraction lost since the last report, out of 256.
    pub fraction_lost: u8,
    /// The cumulative number lost (24-bit, signed: duplicates can make it
    /// negative).
    pub cumulative_lost: i32,
    /// The extended highest sequence number received.
    pub highest_seq: u32,
    /// The interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// The middle 32 bits of the last SR's NTP timestamp (0: none yet).
    pub lsr: u32,
    /// The delay since that SR, in units of 1/65536 s.
    pub dlsr: u32,
}

/// One packet of an RTCP compound datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtcpPacket<'a> {
    /// A sender report (PT 200).
    SenderReport {
        /// The sender.
        ssrc: u32,
        /// Its NTP timestamp (seconds since 1900, 32.32 fixed point).
        ntp: u64,
        /// The RTP timestamp of the same instant.
        rtp_timestamp: u32,
        /// Packets sent.
        packets: u32,
        /// Payload octets sent.
        octets: u32,
        /// Its report blocks.
        blocks: ReportBlocks<'a>,
    },
    /// A receiver report (PT 201).
    ReceiverReport {
        /// The reporter.
        ssrc: u32,
        /// Its report blocks.
        blocks: ReportBlocks<'a>,
    },
    /// Any other packet type (SDES, BYE, APP, XR …), its bytes as sent.
    Other {
        /// The packet type.
        packet_type: u8,
        /// The whole packet, header included.
        bytes: &'a [u8],
    },
}

/// The report blocks of an SR or RR, read as asked (each 24 bytes, checked
/// to fit when the packet was read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportBlocks<'a> {
    bytes: &'a [u8],
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let b = self.bytes.get(..24)?;
        self.bytes = self.bytes.get(24..).unwrap_or_default();
        let lost = be32(b, 4)?;
        // 24 bits, two's complement.
        let cumulative = ((lost << 8) as i32) >> 8;
        Some(ReportBlock {
            ssrc: be32(b, 0)?,
            fraction_lost: (lost >> 24) as u8,
            cumulative_lost: cumulative,
            highest_seq: be32(b, 8)?,
            jitter: be32(b, 12)?,
            lsr: be32(b, 16)?,
            dlsr: be32(b, 20)?,
        })
    }
}

/// The packets of an RTCP compound datagram, in order; an error (and
/// nothing after it) where a length does not add up.
#[derive(Clone, Debug)]
pub struct RtcpPackets<'a> {
    b: &'a [u8],
    at: usize,
    failed: bool,
}

/// Reads an RTCP compound datagram (RFC 3550 §6.1).
///
/// ```
/// use sipline_capture::media::{parse_rtcp, RtcpPacket};
///
/// // An RR with one block: SSRC 7 reports on SSRC 9, 2 lost.
/// let mut rr = vec![0x81, 201, 0, 7, 0, 0, 0, 7, 0, 0, 0, 9, 0x10, 0, 0, 2];
/// rr.extend_from_slice(&[0, 0, 1, 0, 0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0]);
/// let mut packets = parse_rtcp(&rr);
/// let Some(Ok(RtcpPacket::ReceiverReport { ssrc, mut blocks })) = packets.next() else { panic!() };
/// let block = blocks.next().unwrap();
/// assert_eq!((ssrc, block.ssrc, block.cumulative_lost, block.jitter), (7, 9, 2, 80));
/// assert!(packets.next().is_none());
/// ```
pub fn parse_rtcp(b: &[u8]) -> RtcpPackets<'_> {
    RtcpPackets {
        b,
        at: 0,
        failed: false,
    }
}

impl<'a> Iterator for RtcpPackets<'a> {
    type Item = Result<RtcpPacket<'a>, (RtpError, usize)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.at >= self.b.len() {
            return None;
        }
        let at = self.at;
        let fail = |this: &mut Self, e: RtpError, where_: usize| {
            this.failed = true;
            Some(Err((e, where_)))
        };
        let rest = self.b.get(at..).unwrap_or_default();
        if rest.len() < 4 {
            return fail(self, RtpError::Short, self.b.len());
        }
        let first = rest.first().copied().unwrap_or(0);
        if first >> 6 != 2 {
            return fail(self, RtpError::Version, at);
        }
        let pt = rest.get(1).copied().unwrap_or(0);
        let len = 4 * (usize::from(be16(rest, 2).unwrap_or(0)) + 1);
        let Some(pkt) = rest.get(..len) else {
            return fail(self, RtpError::RtcpLength, at + 2);
        };
        self.at = at + len;
        let count = usize::from(first & 0x1f);
        let blocks_at = match pt {
            200 => 28,
            201 => 8,
            _ => {
                return Some(Ok(RtcpPacket::Other {
                    packet_type: pt,
                    bytes: pkt,
                }))
            }
        };
        if pkt.len() < blocks_at {
            return fail(self, RtpError::Short, at + pkt.len());
        }
        let Some(blocks) = pkt.get(blocks_at..blocks_at + 24 * count) else {
            return fail(self, RtpError::RtcpLength, at + blocks_at);
        };
        let blocks = ReportBlocks { bytes: blocks };
        let ssrc = be32(pkt, 4).unwrap_or(0);
        Some(Ok(if pt == 200 {
            RtcpPacket::SenderReport {
                ssrc,
                ntp: (u64::from(be32(pkt, 8).unwrap_or(0)) << 32)
                    | u64::from(be32(pkt, 12).unwrap_or(0)),
                rtp_timestamp: be32(pkt, 16).unwrap_or(0),
                packets: be32(pkt, 20).unwrap_or(0),
                octets: be32(pkt, 24).unwrap_or(0),
                blocks,
            }
        } else {
            RtcpPacket::ReceiverReport { ssrc, blocks }
        }))
    }
}

/// An RTCP XR VoIP Metrics report block (RFC 3611 §4.7): what an endpoint
/// measured of the stream it receives. A value the endpoint did not have
/// (127 for R and MOS, 0 for the round trip) is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoipMetrics {
    /// The source reported on.
    pub ssrc: u32,
    /// Packets lost, out of 256.
    pub loss_rate: u8,
    /// Packets discarded (late or early for the jitter buffer), out of 256.
    pub discard_rate: u8,
    /// The round trip the endpoint measured, in ms.
    pub round_trip_ms: Option<u16>,
    /// Its own delay (jitter buffer, coding, playout), in ms.
    pub end_system_ms: Option<u16>,
    /// Its listening-quality R (0–100).
    pub r_factor: Option<u8>,
    /// Its listening-quality MOS, times 10 (10–50).
    pub mos_lq: Option<u8>,
    /// Its conversational-quality MOS, times 10 (10–50).
    pub mos_cq: Option<u8>,
}

/// The VoIP Metrics blocks of an RTCP XR packet (packet type 207, its
/// bytes as [`RtcpPacket::Other`] gives them); other block types passed
/// over. An error, and nothing after it, where a block's length runs past
/// the packet: its offset in the packet.
///
/// ```
/// use sipline_capture::media::xr_voip_metrics;
///
/// let mut xr = vec![0x80, 207, 0, 10, 0, 0, 0, 1, 7, 0, 0, 8, 0, 0, 0, 9, 5, 0];
/// xr.extend_from_slice(&[0; 6]); // densities, burst and gap durations
/// xr.extend_from_slice(&[0, 40, 0, 30, 0, 0, 0, 0, 90, 127, 43, 41]);
/// xr.extend_from_slice(&[0; 8]); // configuration and jitter buffer
/// let m = xr_voip_metrics(&xr).next().unwrap().unwrap();
/// assert_eq!((m.ssrc, m.loss_rate, m.round_trip_ms, m.r_factor, m.mos_lq), (9, 5, Some(40), Some(90), Some(43)));
/// ```
pub fn xr_voip_metrics(
    packet: &[u8],
) -> impl Iterator<Item = Result<VoipMetrics, (RtpError, usize)>> + '_ {
    let mut at = 8;
    let mut failed = packet.get(1) != Some(&207);
    std::iter::from_fn(move || loop {
        if failed || at + 4 > packet.len() {
            return None;
        }
        let kind = packet.get(at).copied().unwrap_or(0);
        let len = 4 * (usize::from(be16(packet, at + 2).unwrap_or(0)) + 1);
        let Some(block) = packet.get(at..at + len) else {
            failed = true;
            return Some(Err((RtpError::RtcpLength, at + 2)));
        };
        at += len;
        if kind != 7 {
            continue;
        }
        if block.len() < 36 {
            failed = true;
            return Some(Err((RtpError::Short, at - len + block.len())));
        }
        let byte = |i: usize| block.get(i).copied().unwrap_or(0);
        let unless = |v: u8, none: u8| (v != none).then_some(v);
        return Some(Ok(VoipMetrics {
            ssrc: be32(block, 4).unwrap_or(0),
            loss_rate: byte(8),
            discard_rate: byte(9),
            round_trip_ms: be16(block, 16).filter(|v| *v != 0),
            end_system_ms: be16(block, 18).filter(|v| *v != 0),
            r_factor: unless(byte(24), 127),
            mos_lq: unless(byte(26), 127),
            mos_cq: unless(byte(27), 127),
        }));
    })
}
