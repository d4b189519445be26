//! The RTP streams of a capture: one [`StreamStats`] per source,
//! destination and SSRC, bounded in number.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::rtp::{parse_rtcp, xr_voip_metrics, RtcpPacket, RtpError, RtpHeader};
use super::stats::StreamStats;

/// What bounds the media streams held at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaLimits {
    /// Streams held at once; a packet of a new stream past this is counted
    /// ([`RtpStreams::refused`]), not followed. Default 100 000.
    pub max_streams: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            max_streams: 100_000,
        }
    }
}

/// A stream: who sends, to whom, as which SSRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    /// The sender.
    pub src: SocketAddr,
    /// The receiver.
    pub dst: SocketAddr,
    /// The synchronisation source.
    pub ssrc: u32,
}

/// The RTP streams seen so far.
///
/// ```
/// use sipline_capture::media::{parse_rtp, MediaLimits, RtpStreams};
///
/// let mut streams = RtpStreams::new(MediaLimits { max_streams: 1 });
/// let (a, b) = ("192.0.2.1:4000".parse().unwrap(), "192.0.2.2:5000".parse().unwrap());
/// let pkt = [0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7];
/// streams.packet(0.0, a, b, &parse_rtp(&pkt).unwrap(), Some(8000));
/// streams.packet(0.0, b, a, &parse_rtp(&pkt).unwrap(), Some(8000)); // a second stream: refused
/// assert_eq!((streams.len(), streams.refused()), (1, 1));
/// ```
#[derive(Debug, Default)]
pub struct RtpStreams {
    limits: MediaLimits,
    streams: HashMap<StreamKey, StreamStats, foldhash::fast::RandomState>,
    /// The first stream held of each sender address and SSRC: where RTCP
    /// about that source goes (its sender reports come from another port,
    /// its receivers' reports go to it).
    by_source: HashMap<(IpAddr, u32), StreamKey, foldhash::fast::RandomState>,
    refused: u64,
    rtcp_unmatched: u64,
}

impl RtpStreams {
    /// No streams yet.
    pub fn new(limits: MediaLimits) -> RtpStreams {
        RtpStreams {
            limits,
            streams: HashMap::default(),
            by_source: HashMap::default(),
            refused: 0,
            rtcp_unmatched: 0,
        }
    }

    /// Takes one RTP packet from `src` to `dst` at `time`.
    pub fn packet(
        &mut self,
        time: f64,
        src: SocketAddr,
        dst: SocketAddr,
        h: &RtpHeader<'_>,
        clock_rate: Option<u32>,
    ) {
        let key = StreamKey {
            src,
            dst,
            ssrc: h.ssrc,
        };
        let room = self.streams.len() < self.limits.max_streams;
        match self.streams.get_mut(&key) {
            Some(s) => s.packet(time, h, clock_rate),
            None if room => {
                self.by_source.entry((src.ip(), h.ssrc)).or_insert(key);
                self.streams
                    .entry(key)
                    .or_default()
                    .packet(time, h, clock_rate);
            }
            None => self.refused += 1,
        }
    }

    /// Takes an RTCP compound datagram from `src` to `dst` at `time`: a
    /// sender report is filed with the stream its SSRC sends from `src`'s
    /// address, a report block (and an XR VoIP Metrics block) with the
    /// stream of the block's SSRC that `dst`'s address sends (RTCP goes back
    /// to the media's sender). What
    /// concerns no stream held is counted ([`rtcp_unmatched`](Self::rtcp_unmatched)).
    /// The packets before a malformed one are read; its error is returned.
    pub fn rtcp(
        &mut self,
        time: f64,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) -> Result<(), (RtpError, usize)> {
        for packet in parse_rtcp(payload) {
            let blocks = match packet? {
                RtcpPacket::SenderReport {
                    ssrc, ntp, blocks, ..
                } => {
                    match self.stream_of(src.ip(), ssrc) {
                        Some(s) => s.sender_report(time, ntp),
                        None => self.rtcp_unmatched += 1,
                    }
                    blocks
                }
                RtcpPacket::ReceiverReport { blocks, .. } => blocks,
                RtcpPacket::Other {
                    packet_type: 207,
                    bytes,
                } => {
                    // Errors name the byte of the datagram, not of the packet.
                    let base = (bytes.as_ptr() as usize).saturating_sub(payload.as_ptr() as usize);
                    for m in xr_voip_metrics(bytes) {
                        let m = m.map_err(|(e, at)| (e, base + at))?;
                        match self.stream_of(dst.ip(), m.ssrc) {
                            Some(s) => s.voip_metrics(m),
                            None => self.rtcp_unmatched += 1,
                        }
                    }
                    continue;
                }
                RtcpPacket::Other { .. } => continue,
            };
            for block in blocks {
                match self.stream_of(dst.ip(), block.ssrc) {
                    Some(s) => s.report(time, &block),
                    None => self.rtcp_unmatched += 1,
                }
            }
        }
        Ok(())
    }

    fn stream_of(&mut self, sender: IpAddr, ssrc: u32) -> Option<&mut StreamStats> {
        let key = self.by_source.get(&(sender, ssrc))?;
        self.streams.get_mut(key)
    }

    /// Sender reports and report blocks about no stream held.
    pub fn rtcp_unmatched(&self) -> u64 {
        self.rtcp_unmatched
    }

    /// The stream of `key`, when it is held.
    pub fn get(&self, key: &StreamKey) -> Option<&StreamStats> {
        self.streams.get(key)
    }

    /// The limits it was made with.
    pub const fn limits(&self) -> MediaLimits {
        self.limits
    }

    /// How many streams are held.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// `true` when none is.
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Packets of streams not followed, past [`MediaLimits::max_streams`].
    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// The streams, ordered by their first packet's time (then key).
    pub fn streams(&self) -> Vec<(&StreamKey, &StreamStats)> {
        let mut v: Vec<_> = self.streams.iter().collect();
        v.sort_by(|a, b| a.1.span().0.total_cmp(&b.1.span().0).then(a.0.cmp(b.0)));
        v
    }
}
