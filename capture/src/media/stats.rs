//! One RTP stream's figures as an observer sees them (RFC 3550 A.1, A.3,
//! A.8), with capture times as arrival times.

use super::rtp::RtpHeader;

/// RFC 3550 A.1: a jump ahead smaller than this is taken as loss.
const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 A.1: a packet at most this far behind is late, not a restart.
const MAX_MISORDER: u16 = 100;
/// How far behind the highest sequence number a duplicate is recognised
/// (a bitmap of this many bits per stream).
const DUP_WINDOW: u64 = 1024;

/// The figures of one RTP stream.
///
/// ```
/// use sipline_capture::media::{parse_rtp, StreamStats};
///
/// let mut s = StreamStats::default();
/// for (i, seq) in [1u16, 2, 4, 5].into_iter().enumerate() {
///     let mut pkt = vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
///     pkt[2..4].copy_from_slice(&seq.to_be_bytes());
///     pkt[4..8].copy_from_slice(&(u32::from(seq) * 160).to_be_bytes());
///     s.packet(i as f64 * 0.020, &parse_rtp(&pkt).unwrap(), Some(8000));
/// }
/// assert_eq!((s.packets(), s.expected(), s.lost()), (4, 5, 1));
/// ```
#[derive(Clone, Debug, Default)]
pub struct StreamStats {
    packets: u64,
    /// Extended sequence numbers: the first, and the highest seen.
    base: u64,
    /// What earlier sequences (before a restart) expected.
    expected_before: u64,
    max: u64,
    /// A.1's "bad_seq": the sequence number after a large jump, which, if it
    /// comes next, restarts the count.
    bad_seq: Option<u16>,
    seq_errors: u64,
    duplicates: u64,
    /// The sequence numbers seen within `DUP_WINDOW` of `max`, by bit.
    seen: [u64; (DUP_WINDOW / 64) as usize],
    first_time: f64,
    last_time: f64,
    payload_type: u8,
    payload_types: u8,
    /// A.8: the last transit time (timestamp units), the jitter estimate.
    transit: Option<f64>,
    /// The last timestamp, and the timestamps unwrapped from the first's.
    last_ts: u32,
    ts: f64,
    jitter: f64,
    max_jitter: f64,
    jitter_sum: f64,
    jitter_samples: u64,
    max_delta: f64,
    delta_sum: f64,
    clock_rate: Option<u32>,
    bytes: u64,
    /// The jitter buffer modelled: its depth (ms; 0 = the default), the
    /// lowest relative transit seen (ms), the packets it would have come
    /// too late for.
    buffer_ms: f64,
    min_transit_ms: Option<f64>,
    discarded: u64,
    /// What RTCP said of the stream.
    rtcp: RtcpSeen,
}

/// The sender reports a stream keeps to match receiver reports against.
const SR_KEPT: usize = 4;

/// What RTCP said of one stream: its sender's reports (kept to time the
/// round trip), and what its receiver reported.
#[derive(Clone, Debug, Default)]
struct RtcpSeen {
    /// The last sender reports: the middle 32 bits of their NTP time (what
    /// a receiver echoes as LSR) and when each was seen.
    srs: [(u32, f64); SR_KEPT],
    next_sr: usize,
    sender_reports: u64,
    /// Report blocks about the stream.
    reports: u64,
    /// The latest block's cumulative loss and jitter (timestamp units).
    lost: Option<i32>,
    jitter: Option<u32>,
    /// Round trips timed (s): count, sum, largest.
    rtts: u64,
    rtt_sum: f64,
    rtt_max: f64,
    /// The latest XR VoIP Metrics block about the stream.
    xr: Option<super::rtp::VoipMetrics>,
}

/// The depth of the jitter buffer modelled when none is set: 60 ms, a
/// common fixed buffer of phones and gateways.
pub const DEFAULT_BUFFER_MS: f64 = 60.0;

impl StreamStats {
    /// Takes one packet that arrived at `time` (seconds); `clock_rate` (Hz)
    /// is the payload's, for the jitter (none: no jitter).
    pub fn packet(&mut self, time: f64, h: &RtpHeader<'_>, clock_rate: Option<u32>) {
        self.bytes += h.payload.len() as u64;
        if self.packets == 0 {
            self.packets = 1;
            self.base = u64::from(h.seq) + (1 << 16);
            self.max = self.base;
            self.mark(self.base);
            self.first_time = time;
            self.last_time = time;
            self.payload_type = h.payload_type;
            self.payload_types = 1;
            self.clock_rate = clock_rate;
            self.last_ts = h.timestamp;
            self.ts = 0.0;
            self.transit = clock_rate.map(|_| 0.0);
            self.buffer(0.0);
            return;
        }
        self.packets += 1;
        if h.payload_type != self.payload_type {
            self.payload_type = h.payload_type;
            self.payload_types = self.payload_types.saturating_add(1);
        }
        self.sequence(h.seq);
        let delta = time - self.last_time;
        self.max_delta = self.max_delta.max(delta);
        self.delta_sum += delta;
        self.last_time = time;
        if let (Some(rate), Some(prev)) = (self.clock_rate, self.transit) {
            let rate = f64::from(rate);
            // Timestamps wrap at 2^32: each one is read as the nearest to
            // the one before it, from the first.
            self.ts += f64::from(h.timestamp.wrapping_sub(self.last_ts) as i32);
            self.last_ts = h.timestamp;
            let transit = (time - self.first_time) * rate - self.ts;
            let d = transit - prev;
            self.transit = Some(transit);
            self.buffer(transit / rate * 1000.0);
            self.jitter += (d.abs() - self.jitter) / 16.0;
            let ms = self.jitter / rate * 1000.0;
            self.max_jitter = self.max_jitter.max(ms);
            self.jitter_sum += ms;
            self.jitter_samples += 1;
        }
    }

    /// A stream followed with a jitter buffer of `ms` milliseconds modelled
    /// (default [`DEFAULT_BUFFER_MS`]).
    pub fn with_buffer(ms: f64) -> StreamStats {
        StreamStats {
            buffer_ms: ms,
            ..StreamStats::default()
        }
    }

    /// The fixed jitter buffer: a packet whose transit (arrival less
    /// timestamp, ms) is more than the buffer's depth above the lowest seen
    /// so far comes too late to be played.
    fn buffer(&mut self, transit_ms: f64) {
        let depth = if self.buffer_ms > 0.0 {
            self.buffer_ms
        } else {
            DEFAULT_BUFFER_MS
        };
        match self.min_transit_ms {
            Some(min) if transit_ms - min > depth => self.discarded += 1,
            Some(min) if transit_ms >= min => {}
            _ => self.min_transit_ms = Some(transit_ms),
        }
    }

    /// A.1's sequence bookkeeping for one packet after the first.
    fn sequence(&mut self, seq: u16) {
        let max16 = (self.max & 0xffff) as u16;
        let ahead = seq.wrapping_sub(max16);
        if ahead == 0 {
            self.duplicates += 1;
        } else if ahead < MAX_DROPOUT {
            // In order, with a gap permissible: the cycle moves on a wrap.
            self.advance(self.max + u64::from(ahead));
        } else if ahead <= u16::MAX - MAX_MISORDER {
            // A very large jump: a restart if the next packet follows it
            // (A.1). The sequence so far is closed (its expected kept), and
            // the new one starts at the packet of the jump.
            if self.bad_seq == Some(seq) {
                self.expected_before += self.max - self.base + 1;
                let ext = (self.max | 0xffff) + 1 + u64::from(seq) + (1 << 16);
                self.base = ext - 1;
                self.max = ext;
                self.seen = Default::default();
                self.mark(ext - 1);
                self.mark(ext);
                self.bad_seq = None;
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                self.seq_errors += 1;
            }
        } else {
            // Late (reordered) or duplicated.
            let behind = u64::from(max16.wrapping_sub(seq));
            if behind > self.max - self.base {
                // Before the first packet seen: the stream starts earlier.
                self.base = self.max - behind;
            }
            let ext = self.max - behind;
            if self.is_seen(ext) {
                self.duplicates += 1;
            } else {
                self.mark(ext);
            }
            self.seq_errors += 1;
        }
    }

    fn bit(&self, ext: u64) -> Option<(usize, u64)> {
        let behind = self.max.checked_sub(ext)?;
        (behind < DUP_WINDOW).then(|| ((ext % DUP_WINDOW / 64) as usize, 1 << (ext % 64)))
    }

    fn is_seen(&self, ext: u64) -> bool {
        self.bit(ext)
            .and_then(|(w, b)| self.seen.get(w).map(|word| word & b != 0))
            .unwrap_or(false)
    }

    fn mark(&mut self, ext: u64) {
        if let Some((w, b)) = self.bit(ext) {
            if let Some(word) = self.seen.get_mut(w) {
                *word |= b;
            }
        }
    }

    /// Moves the highest sequence number on to `ext`: the bits of the
    /// numbers passed over are cleared (their slots held numbers now out of
    /// the window), then `ext`'s is set.
    fn advance(&mut self, ext: u64) {
        let from = self.max + 1;
        if ext - self.max >= DUP_WINDOW {
            self.seen = Default::default();
        } else {
            for e in from..=ext {
                if let Some(word) = self.seen.get_mut((e % DUP_WINDOW / 64) as usize) {
                    *word &= !(1 << (e % 64));
                }
            }
        }
        self.max = ext;
        self.mark(ext);
    }

    /// Packets received (duplicates included, as RFC 3550 A.3 counts).
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Packets expected: the highest extended sequence number less the
    /// first, plus one (A.3), summed over the sequences a restart (a jump
    /// that the next packet confirms, A.1) separates.
    pub fn expected(&self) -> u64 {
        if self.packets == 0 {
            0
        } else {
            self.expected_before + self.max - self.base + 1
        }
    }

    /// Expected less received: negative when duplicates outnumber losses
    /// (A.3).
    pub fn lost(&self) -> i64 {
        self.expected() as i64 - self.packets as i64
    }

    /// Lost as a percentage of expected (0 when nothing is lost).
    pub fn loss_pct(&self) -> f64 {
        match self.expected() {
            0 => 0.0,
            e => (self.lost().max(0) as f64) * 100.0 / e as f64,
        }
    }

    /// Packets that came again (the same sequence number within the last
    /// 1 024).
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// Packets out of order, or after a jump too large to be loss.
    pub fn seq_errors(&self) -> u64 {
        self.seq_errors
    }

    /// The jitter estimate now, in milliseconds (A.8); `None` without a
    /// clock rate.
    pub fn jitter_ms(&self) -> Option<f64> {
        let rate = f64::from(self.clock_rate?);
        Some(self.jitter / rate * 1000.0)
    }

    /// The largest jitter estimate seen, in milliseconds.
    pub fn max_jitter_ms(&self) -> Option<f64> {
        self.clock_rate.map(|_| self.max_jitter)
    }

    /// The mean of the jitter estimates after each packet but the first, in
    /// milliseconds.
    pub fn mean_jitter_ms(&self) -> Option<f64> {
        self.clock_rate?;
        Some(match self.jitter_samples {
            0 => 0.0,
            n => self.jitter_sum / n as f64,
        })
    }

    /// The largest gap between two packets in arrival order, in
    /// milliseconds.
    pub fn max_delta_ms(&self) -> f64 {
        self.max_delta * 1000.0
    }

    /// The mean gap between packets in arrival order, in milliseconds.
    pub fn mean_delta_ms(&self) -> f64 {
        match self.packets {
            0 | 1 => 0.0,
            n => self.delta_sum / (n - 1) as f64 * 1000.0,
        }
    }

    /// The first and last arrival times.
    pub fn span(&self) -> (f64, f64) {
        (self.first_time, self.last_time)
    }

    /// The payload type of the last packet, and how many times it changed
    /// (plus one).
    pub fn payload_type(&self) -> (u8, u8) {
        (self.payload_type, self.payload_types)
    }

    /// Packets that came too late for the jitter buffer modelled (with a
    /// clock rate only).
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// What the listener misses, as a percentage of expected: lost and
    /// discarded (`Ppl` of the E-model).
    pub fn effective_loss_pct(&self) -> f64 {
        match self.expected() {
            0 => 0.0,
            e => {
                ((self.lost().max(0) as f64 + self.discarded as f64) * 100.0 / e as f64).min(100.0)
            }
        }
    }

    /// The E-model's R for this stream with `codec`'s values and a mean
    /// one-way delay of `delay_ms` (random loss assumed: `BurstR` = 1).
    pub fn r_factor(&self, codec: super::quality::CodecImpairment, delay_ms: f64) -> f64 {
        super::quality::r_factor(codec, self.effective_loss_pct(), 1.0, delay_ms)
    }

    /// Payload bytes received.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// An RTCP sender report of this stream's source, seen at `time`, with
    /// its NTP timestamp (RFC 3550 §6.4.1).
    pub fn sender_report(&mut self, time: f64, ntp: u64) {
        let r = &mut self.rtcp;
        if let Some(slot) = r.srs.get_mut(r.next_sr % SR_KEPT) {
            *slot = ((ntp >> 16) as u32, time);
        }
        r.next_sr = (r.next_sr + 1) % SR_KEPT;
        r.sender_reports += 1;
    }

    /// A report block about this stream, seen at `time` on its way back to
    /// the stream's sender. When it echoes a sender report this stream saw
    /// (`lsr`), the round trip as the capture point sees it is the time
    /// from that report to this block, less the receiver's delay (`dlsr`):
    /// RFC 3550 §6.4.1's A − LSR − DLSR with the capture's clock, the
    /// sender's round trip when the capture is taken beside the sender.
    pub fn report(&mut self, time: f64, block: &super::rtp::ReportBlock) {
        let r = &mut self.rtcp;
        r.reports += 1;
        r.lost = Some(block.cumulative_lost);
        r.jitter = Some(block.jitter);
        if block.lsr == 0 {
            return;
        }
        let Some(&(_, sent)) = r.srs.iter().find(|(lsr, t)| *lsr == block.lsr && *t > 0.0) else {
            return;
        };
        let rtt = time - sent - f64::from(block.dlsr) / 65536.0;
        // A block older than its report, or a receiver's delay longer than
        // what passed: not a round trip (a clock or capture-point artefact).
        if rtt >= 0.0 && time >= sent {
            r.rtts += 1;
            r.rtt_sum += rtt;
            r.rtt_max = r.rtt_max.max(rtt);
        }
    }

    /// An XR VoIP Metrics block about this stream (its receiver's own
    /// measure of it); the latest is kept.
    pub fn voip_metrics(&mut self, m: super::rtp::VoipMetrics) {
        self.rtcp.xr = Some(m);
    }

    /// The latest XR VoIP Metrics block about this stream.
    pub fn xr(&self) -> Option<super::rtp::VoipMetrics> {
        self.rtcp.xr
    }

    /// Sender reports seen from this stream's source.
    pub fn sender_reports(&self) -> u64 {
        self.rtcp.sender_reports
    }

    /// Report blocks seen about this stream.
    pub fn rtcp_reports(&self) -> u64 {
        self.rtcp.reports
    }

    /// The cumulative loss the latest report block gave.
    pub fn rtcp_lost(&self) -> Option<i32> {
        self.rtcp.lost
    }

    /// The jitter the latest report block gave, in ms (with the stream's
    /// clock rate; `None` without one).
    pub fn rtcp_jitter_ms(&self) -> Option<f64> {
        let rate = self.clock_rate.filter(|r| *r > 0)?;
        Some(f64::from(self.rtcp.jitter?) * 1000.0 / f64::from(rate))
    }

    /// The mean and largest round trip timed from RTCP, in ms.
    pub fn rtt_ms(&self) -> Option<(f64, f64)> {
        let r = &self.rtcp;
        (r.rtts > 0).then(|| (r.rtt_sum * 1000.0 / r.rtts as f64, r.rtt_max * 1000.0))
    }
}
