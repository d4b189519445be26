//! The media section of `stats`: RTP and RTCP found by their headers among
//! the datagrams that are not SIP ([`Sink::media`](sipline_capture::Sink::media)),
//! each RTP stream followed by `sipline_capture::media`, and what they add
//! up to.
//!
//! No stream is tied to a call yet (that needs the SDP of the call's offer
//! and answer): streams are found by their headers, as tshark's RTP
//! heuristic finds them, and only those of at least
//! [`MIN_PACKETS`] packets are reported, so that a stray datagram whose
//! first byte happens to read as RTP version 2 does not make a stream.

use serde_json::{json, Map, Value};
use sipline_capture::media::{
    codec_impairment, is_rtcp, mos, parse_rtcp, parse_rtp, RtpStreams, StreamKey, StreamStats,
};
use sipline_capture::Location;

/// The fewest packets a stream found by its headers needs to be reported.
pub const MIN_PACKETS: u64 = 4;

/// The mean one-way delay the E-model is given: 20 ms of packetisation and
/// the 60 ms jitter buffer modelled (no RTCP round trip is read yet).
pub const ASSUMED_DELAY_MS: f64 = 80.0;

/// G.107's bands of R (Annex B's table of user satisfaction), as
/// `stats --json` names them, highest first.
const R_BANDS: [(f64, &str); 6] = [
    (90.0, "90-100"),
    (80.0, "80-90"),
    (70.0, "70-80"),
    (60.0, "60-70"),
    (50.0, "50-60"),
    (f64::NEG_INFINITY, "0-50"),
];

/// RTP and RTCP seen so far.
#[derive(Debug, Default)]
pub struct MediaSeen {
    streams: RtpStreams,
    rtcp: u64,
    rtcp_errors: u64,
    /// Datagrams that are neither SIP, RTP nor RTCP.
    other: u64,
}

impl MediaSeen {
    /// Takes a datagram that is not SIP.
    pub fn datagram(&mut self, at: &Location<'_>, payload: &[u8]) {
        if is_rtcp(payload) {
            self.rtcp += 1;
            if parse_rtcp(payload).any(|p| p.is_err()) {
                self.rtcp_errors += 1;
            }
            return;
        }
        match (at.flow, parse_rtp(payload)) {
            (Some(flow), Ok(h)) => {
                let rate = sipline::sdp::static_payload(h.payload_type).map(|(_, r)| r);
                self.streams
                    .packet(at.time.unwrap_or(0.0), flow.src, flow.dst, &h, rate);
            }
            _ => self.other += 1,
        }
    }

    /// Whether anything RTP- or RTCP-like was seen.
    pub fn any(&self) -> bool {
        self.rtcp > 0
            || self
                .streams
                .streams()
                .iter()
                .any(|(_, s)| s.packets() >= MIN_PACKETS)
    }

    /// `"media"` of `stats --json`.
    pub fn to_json(&self) -> Value {
        let t = self.totals();
        let bands: Map<String, Value> = R_BANDS
            .iter()
            .map(|(_, name)| {
                let n = t.bands.iter().filter(|b| b == &name).count();
                ((*name).to_string(), json!(n))
            })
            .chain([("no_codec_values".to_string(), json!(t.no_codec))])
            .collect();
        json!({
            "found_by": "rtp-headers",
            "rtp_streams": t.streams,
            "rtp_packets": t.packets,
            "rtp_expected": t.expected,
            "rtp_lost": t.lost,
            "rtp_duplicates": t.duplicates,
            "rtp_late": t.late,
            "rtp_max_jitter_ms": t.max_jitter,
            "r_bands": bands,
            "assumed_delay_ms": ASSUMED_DELAY_MS,
            "rtcp_packets": self.rtcp,
            "rtcp_malformed": self.rtcp_errors,
            "rtp_packets_not_followed": self.streams.refused(),
            "other_datagrams": self.other + t.small,
        })
    }

    /// The section of the table.
    pub fn table(&self, o: &mut String) {
        use std::fmt::Write;
        let t = self.totals();
        let pct = if t.expected > 0 {
            t.lost.max(0) as f64 * 100.0 / t.expected as f64
        } else {
            0.0
        };
        let _ = writeln!(
            o,
            "\nMedia (RTP found by its headers; not tied to calls yet)\n  {} RTP streams, {} packets, {} lost ({pct:.2} %), {} duplicates, {} late for a 60 ms buffer; {} RTCP packets",
            t.streams, t.packets, t.lost, t.duplicates, t.late, self.rtcp
        );
        if let Some(j) = t.max_jitter {
            let _ = writeln!(o, "  largest jitter {j:.2} ms");
        }
        let rated = t.bands.len();
        if rated > 0 {
            let _ = writeln!(
                o,
                "  listening quality (G.107 R, {ASSUMED_DELAY_MS} ms one-way delay assumed), streams by R:"
            );
            for (floor, name) in R_BANDS {
                let n = t.bands.iter().filter(|b| **b == name).count();
                let m = mos(if floor.is_finite() { floor } else { 0.0 });
                let _ = writeln!(o, "    R {name:<7} (MOS from {m:.2}) {n:>6}");
            }
        }
    }

    /// The streams reported (at least [`MIN_PACKETS`] packets), by their
    /// first packet: each with its codec's name (for a static payload type)
    /// and its E-model R and MOS when the codec has G.113 values.
    pub fn reported(&self) -> Vec<Reported<'_>> {
        self.streams
            .streams()
            .into_iter()
            .filter(|(_, s)| s.packets() >= MIN_PACKETS)
            .map(|(key, s)| {
                let name = sipline::sdp::static_payload(s.payload_type().0).map(|(n, _)| n);
                let rating = name.and_then(codec_impairment).map(|c| {
                    let r = s.r_factor(c, ASSUMED_DELAY_MS);
                    (r, mos(r))
                });
                Reported {
                    key,
                    stats: s,
                    codec: name,
                    rating,
                }
            })
            .collect()
    }

    fn totals(&self) -> Totals {
        let mut t = Totals {
            small: self
                .streams
                .streams()
                .iter()
                .map(|(_, s)| s.packets())
                .filter(|n| *n < MIN_PACKETS)
                .sum(),
            ..Totals::default()
        };
        for Reported {
            stats: s, rating, ..
        } in self.reported()
        {
            t.streams += 1;
            t.packets += s.packets();
            t.expected += s.expected();
            t.lost += s.lost();
            t.duplicates += s.duplicates();
            t.late += s.discarded();
            if let Some(j) = s.max_jitter_ms() {
                t.max_jitter = Some(t.max_jitter.map_or(j, |m: f64| m.max(j)));
            }
            match rating {
                Some((r, _)) => {
                    let band = R_BANDS
                        .iter()
                        .find(|(floor, _)| r >= *floor)
                        .map_or("0-50", |(_, n)| n);
                    t.bands.push(band);
                }
                None => t.no_codec += 1,
            }
        }
        t
    }
}

/// A stream as reported.
pub struct Reported<'a> {
    /// Who sends, to whom, as which SSRC.
    pub key: &'a StreamKey,
    /// Its figures.
    pub stats: &'a StreamStats,
    /// Its codec's name (static payload types).
    pub codec: Option<&'static str>,
    /// Its E-model R and MOS ([`ASSUMED_DELAY_MS`]).
    pub rating: Option<(f64, f64)>,
}

#[derive(Default)]
struct Totals {
    streams: u64,
    packets: u64,
    expected: u64,
    lost: i64,
    duplicates: u64,
    late: u64,
    max_jitter: Option<f64>,
    bands: Vec<&'static str>,
    no_codec: u64,
    /// Packets of "streams" under [`MIN_PACKETS`].
    small: u64,
}
