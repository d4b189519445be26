//! The media of `stats`, `calls` and `export`: RTP and RTCP found by their
//! headers among the datagrams that are not SIP
//! ([`Sink::media`](sipline_capture::Sink::media)), each RTP stream
//! followed by `sipline_capture::media`, tied to its call by the SDP of the
//! call's offers and answers ([`SdpMap`]), and what they add up to, per
//! call and in all.
//!
//! Streams are found by their headers, as tshark's RTP heuristic finds
//! them. A stream sent to an address a call announced is that call's
//! (found by `sdp`); the others (`rtp-headers`) are reported only from
//! [`MIN_PACKETS`] packets, so that a stray datagram whose first byte
//! happens to read as RTP version 2 does not make a stream.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use sipline::Message;
use sipline_calls::{Party, SdpMap, Tie};
use sipline_capture::media::{
    codec_impairment, is_rtcp, mos, parse_rtcp, parse_rtp, RtpStreams, StreamKey, StreamStats,
};
use sipline_capture::Location;

/// The fewest packets a stream found by its headers needs to be reported.
pub const MIN_PACKETS: u64 = 4;

/// The mean one-way delay the E-model is given before the network's: 20 ms
/// of packetisation and the 60 ms jitter buffer modelled ([`delay_ms`] adds
/// half the RTCP round trip where one was timed).
pub const ASSUMED_DELAY_MS: f64 = 80.0;

/// The one-way delay a stream is rated with: [`ASSUMED_DELAY_MS`], plus
/// half the mean round trip RTCP timed for it, when it did.
pub fn delay_ms(s: &StreamStats) -> f64 {
    ASSUMED_DELAY_MS + s.rtt_ms().map_or(0.0, |(mean, _)| mean / 2.0)
}

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

/// The call a stream was tied to by its SDP.
#[derive(Clone, Debug)]
pub struct Tied {
    /// The call's Call-ID and caller's From tag.
    pub call: (String, String),
    /// Who sends the stream.
    pub sender: Party,
    /// The payload types the receiver's section names: (type, encoding, clock rate).
    pub formats: Vec<(u8, String, u32)>,
    /// Those the sender's own last section of the same media names.
    pub own: Vec<(u8, String, u32)>,
    /// Announced with a secure RTP profile.
    pub srtp: bool,
}

impl Tied {
    /// The encoding and clock rate of payload type `pt`: the receiver's
    /// section (RFC 3264 §5.1: a sender uses the numbers its peer listed),
    /// else the sender's own (a peer that sends a type the answer left out,
    /// as SIPp's `uac_pcap` does with its telephone-event), else the static
    /// table.
    fn codec(&self, pt: u8) -> Option<(&str, u32)> {
        self.formats
            .iter()
            .chain(&self.own)
            .find(|f| f.0 == pt)
            .map(|f| (f.1.as_str(), f.2))
            .or_else(|| sipline::sdp::static_payload(pt))
    }
}

/// RTP and RTCP seen so far, and the SDP that ties streams to calls.
#[derive(Debug, Default)]
pub struct MediaSeen {
    streams: RtpStreams,
    rtcp: u64,
    rtcp_errors: u64,
    /// Datagrams that are neither SIP, RTP nor RTCP.
    other: u64,
    sdp: SdpMap,
    ties: HashMap<StreamKey, Tied, foldhash::fast::RandomState>,
    by_call: HashMap<(String, String), Vec<StreamKey>, foldhash::fast::RandomState>,
    /// Streams sent to an address several live calls announced.
    ambiguous: u64,
    /// Some stream reached [`MIN_PACKETS`].
    headers_stream: bool,
}

impl MediaSeen {
    /// Takes a SIP message: the SDP of offers and answers, and the calls'
    /// answers and ends.
    pub fn message(&mut self, at: &Location<'_>, msg: &Message<'_>) {
        self.sdp.message(at.time.unwrap_or(0.0), msg);
    }

    /// Takes a datagram that is not SIP.
    pub fn datagram(&mut self, at: &Location<'_>, payload: &[u8]) {
        if is_rtcp(payload) {
            self.rtcp += 1;
            let failed = match at.flow {
                Some(f) => {
                    let time = at.time.unwrap_or(0.0);
                    self.streams.rtcp(time, f.src, f.dst, payload).is_err()
                }
                None => parse_rtcp(payload).any(|p| p.is_err()),
            };
            self.rtcp_errors += u64::from(failed);
            return;
        }
        let (Some(flow), Ok(h)) = (at.flow, parse_rtp(payload)) else {
            self.other += 1;
            return;
        };
        let time = at.time.unwrap_or(0.0);
        let key = StreamKey {
            src: flow.src,
            dst: flow.dst,
            ssrc: h.ssrc,
        };
        if self.streams.get(&key).is_none()
            && self.streams.len() < self.streams.limits().max_streams
        {
            self.tie(time, key);
        }
        let rate = match sipline::sdp::static_payload(h.payload_type) {
            Some((_, r)) => Some(r),
            // Events share one timestamp across packets: no jitter for them.
            None => self
                .ties
                .get(&key)
                .and_then(|t| t.codec(h.payload_type))
                .filter(|c| !is_event(c.0))
                .map(|c| c.1),
        };
        self.streams.packet(time, flow.src, flow.dst, &h, rate);
        // Looked up only until the first such stream.
        if !self.headers_stream {
            self.headers_stream = self
                .streams
                .get(&key)
                .is_some_and(|s| s.packets() >= MIN_PACKETS);
        }
    }

    /// A new stream: the call it belongs to, if its SDP says.
    fn tie(&mut self, time: f64, key: StreamKey) {
        match self.sdp.tie(time, key.src, key.dst) {
            Tie::Call {
                call,
                sender,
                media,
            } => {
                let tied = Tied {
                    call: (call.call_id.clone(), call.caller_tag.clone()),
                    sender,
                    formats: media.formats.clone(),
                    own: call
                        .described
                        .iter()
                        .rev()
                        .filter(|d| d.by == sender)
                        .find_map(|d| d.media.iter().find(|m| m.kind == media.kind))
                        .map(|m| m.formats.clone())
                        .unwrap_or_default(),
                    srtp: media.srtp,
                };
                self.by_call.entry(tied.call.clone()).or_default().push(key);
                self.ties.insert(key, tied);
            }
            Tie::Ambiguous => self.ambiguous += 1,
            Tie::Unknown => {}
        }
    }

    /// Whether anything RTP- or RTCP-like was seen.
    pub fn any(&self) -> bool {
        self.rtcp > 0 || self.any_rtp()
    }

    /// Whether any RTP stream was seen (tied, or of [`MIN_PACKETS`]): asked
    /// for every call row, so kept rather than searched for.
    fn any_rtp(&self) -> bool {
        !self.ties.is_empty() || self.headers_stream
    }

    /// What the call of this Call-ID and caller's From tag sent and heard.
    pub fn call(&self, call_id: &str, caller_tag: &str) -> CallMedia {
        let streams: Vec<(&Tied, &StreamStats)> = self
            .by_call
            .get(&(call_id.to_string(), caller_tag.to_string()))
            .into_iter()
            .flatten()
            .filter_map(|k| Some((self.ties.get(k)?, self.streams.get(k)?)))
            .collect();
        let mut m = CallMedia {
            streams: u32::try_from(streams.len()).unwrap_or(u32::MAX),
            ..CallMedia::default()
        };
        let audio = |t: &Tied, s: &StreamStats| {
            t.codec(s.payload_type().0)
                .is_none_or(|(name, _)| !is_event(name))
        };
        let mut ratings = Vec::new();
        for (i, party) in [Party::Caller, Party::Callee].into_iter().enumerate() {
            let sent: Vec<_> = streams
                .iter()
                .filter(|(t, s)| t.sender == party && audio(t, s))
                .collect();
            let expected: u64 = sent.iter().map(|(_, s)| s.expected()).sum();
            let lost: i64 = sent.iter().map(|(_, s)| s.lost().max(0)).sum();
            if expected > 0 {
                m.loss_pct[i] = Some(round2(lost as f64 * 100.0 / expected as f64));
            }
            m.jitter_ms[i] = sent
                .iter()
                .filter_map(|(_, s)| s.max_jitter_ms())
                .reduce(f64::max)
                .map(round2);
            // The direction's main stream rates it and names the codec.
            if let Some((t, s)) = sent.iter().max_by_key(|(_, s)| s.packets()) {
                let name = t.codec(s.payload_type().0).map(|c| c.0);
                if m.codec.is_none() || party == Party::Caller {
                    m.codec = name.map(str::to_string);
                }
                if let Some(c) = name.and_then(codec_impairment) {
                    ratings.push(s.r_factor(c, delay_ms(s)));
                }
            }
        }
        if let Some(r) = ratings.into_iter().reduce(f64::min) {
            m.r_factor = Some(round2(r));
            m.mos = Some(round2(mos(r)));
        }
        // Heard after the answer: judged only where audio was agreed both
        // ways and the input carries RTP at all.
        let call = self.sdp.call(call_id.as_bytes(), caller_tag);
        if let Some(answered) = call
            .filter(|c| c.audio_both_ways() && self.any_rtp())
            .and_then(|c| c.answered)
        {
            let after = |p| {
                streams
                    .iter()
                    .any(|(t, s)| t.sender == p && audio(t, s) && s.span().1 > answered)
            };
            let heard = match (after(Party::Caller), after(Party::Callee)) {
                (true, true) => "both",
                (true, false) => "from-caller",
                (false, true) => "from-callee",
                (false, false) => "none",
            };
            m.one_way_audio = Some(heard != "both");
            m.heard = Some(heard);
        }
        m
    }

    /// Calls the SDP map holds that were answered with audio agreed both
    /// ways, and of those, how many were heard one way only or not at all
    /// after the answer (none when the input carries no RTP).
    fn one_way(&self) -> (u64, u64) {
        let mut judged = 0;
        let mut one_way = 0;
        for c in self.sdp.calls() {
            if let Some(one) = self.call(&c.call_id, &c.caller_tag).one_way_audio {
                judged += 1;
                one_way += u64::from(one);
            }
        }
        (judged, one_way)
    }

    /// `"media"` of `stats --json`.
    pub fn to_json(&self) -> Value {
        let t = self.totals();
        let sdp = self.sdp.counts();
        let (judged, one_way) = self.one_way();
        let all = self.streams.streams();
        let rtts: Vec<f64> = all
            .iter()
            .filter_map(|(_, s)| s.rtt_ms().map(|r| r.1))
            .collect();
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
            "rtcp_unmatched": self.streams.rtcp_unmatched(),
            "streams_with_rtt": rtts.len(),
            "max_rtt_ms": rtts.iter().copied().reduce(f64::max),
            "streams_with_xr": all.iter().filter(|(_, s)| s.xr().is_some()).count(),
            "other_datagrams": self.other + t.small,
            "rtp_streams_tied_to_calls": self.ties.len(),
            "rtp_streams_ambiguous": self.ambiguous,
            "sdp_descriptions": sdp.descriptions,
            "sdp_malformed": sdp.malformed,
            "calls_with_media": self.by_call.len(),
            "calls_judged_for_audio": judged,
            "calls_one_way_audio": one_way,
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
            "\nMedia (RTP found by its headers, tied to calls by their SDP)\n  {} RTP streams, {} packets, {} lost ({pct:.2} %), {} duplicates, {} late for a 60 ms buffer; {} RTCP packets",
            t.streams, t.packets, t.lost, t.duplicates, t.late, self.rtcp
        );
        let (judged, one_way) = self.one_way();
        let _ = writeln!(
            o,
            "  {} streams tied to {} calls ({} to no call: several calls announced their address); {one_way} of {judged} answered calls heard one way only or not at all",
            self.ties.len(),
            self.by_call.len(),
            self.ambiguous
        );
        if let Some(j) = t.max_jitter {
            let _ = writeln!(o, "  largest jitter {j:.2} ms");
        }
        let rated = t.bands.len();
        if rated > 0 {
            let _ = writeln!(
                o,
                "  listening quality (G.107 R, {ASSUMED_DELAY_MS} ms one-way delay assumed, plus half the RTCP round trip where timed), streams by R:"
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
            .filter(|(key, s)| s.packets() >= MIN_PACKETS || self.ties.contains_key(key))
            .map(|(key, s)| {
                let tie = self.ties.get(key);
                let pt = s.payload_type().0;
                let name = match tie {
                    Some(t) => t.codec(pt).map(|c| c.0),
                    None => sipline::sdp::static_payload(pt).map(|(n, _)| n),
                };
                let rating = name.and_then(codec_impairment).map(|c| {
                    let r = s.r_factor(c, delay_ms(s));
                    (r, mos(r))
                });
                Reported {
                    key,
                    stats: s,
                    codec: name,
                    rating,
                    tie,
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
    pub codec: Option<&'a str>,
    /// Its E-model R and MOS ([`ASSUMED_DELAY_MS`]).
    pub rating: Option<(f64, f64)>,
    /// The call its SDP tied it to.
    pub tie: Option<&'a Tied>,
}

/// What one call sent and heard, as the call rows give it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallMedia {
    /// RTP streams tied to the call.
    pub streams: u32,
    /// The codec of the caller's main audio stream, else the callee's.
    pub codec: Option<String>,
    /// Loss (RFC 3550 A.3, %) of the audio sent by the caller, by the callee.
    pub loss_pct: [Option<f64>; 2],
    /// The largest interarrival jitter (A.8, ms) of that audio.
    pub jitter_ms: [Option<f64>; 2],
    /// The E-model R of the worse direction.
    pub r_factor: Option<f64>,
    /// Its MOS.
    pub mos: Option<f64>,
    /// Audio heard one way only, or not at all, after the answer.
    pub one_way_audio: Option<bool>,
    /// Who was heard after the answer: `both`, `from-caller`,
    /// `from-callee` or `none`.
    pub heard: Option<&'static str>,
}

/// DTMF and comfort noise: not audio to rate.
fn is_event(name: &str) -> bool {
    name.eq_ignore_ascii_case("telephone-event") || name.eq_ignore_ascii_case("CN")
}

/// Two decimals.
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
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
