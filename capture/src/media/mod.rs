//! Media: RTP and RTCP read from datagrams (RFC 3550), and the figures of
//! each RTP stream as an observer sees them (packets, expected, lost,
//! duplicates, sequence errors, inter-arrival jitter, packet gaps).
//!
//! - [`parse_rtp`] and [`parse_rtcp`] read one datagram's headers,
//!   refusing what does not add up (a wrong version, padding or CSRCs past
//!   the end, RTCP lengths that overrun), with the byte where it went wrong.
//! - [`StreamStats`] follows one stream: RFC 3550 A.1's extended sequence
//!   numbers, A.3's expected and lost, A.8's jitter with capture times as
//!   arrival times.
//! - [`r_factor`] and [`mos`]: the ITU-T G.107 E-model, with the codec
//!   values of G.113 Appendix I ([`codec_impairment`]).
//! - [`RtpStreams`] holds the streams of a capture by source, destination
//!   and SSRC, at most [`MediaLimits::max_streams`] at once (the rest
//!   counted).

mod rtp;
mod quality;
mod stats;
mod table;

pub use quality::{codec_impairment, mos, r_factor, CodecImpairment};
pub use rtp::{
    is_rtcp, parse_rtcp, parse_rtp, xr_voip_metrics, ReportBlock, RtcpPacket, RtcpPackets,
    RtpError, RtpHeader, VoipMetrics,
};
pub use stats::{StreamStats, DEFAULT_BUFFER_MS};
pub use table::{MediaLimits, RtpStreams, StreamKey};
