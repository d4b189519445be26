//! The stream row: one RTP stream, as `export --what streams` writes it.
//! Its columns are declared once, here.

use sipline_capture::media::{StreamKey, StreamStats};

use crate::media::Tied;

use super::record::{record, Seconds};

record! {
    /// An RTP stream's row.
    pub struct StreamRow<'a> {
        src: Option<&'a str> = req,
        dst: Option<&'a str> = req,
        ssrc: Option<i64> = req,
        payload_type: Option<i32> = req,
        codec: Option<&'a str> = dict,
        packets: Option<i64> = req,
        expected: Option<i64> = req,
        lost: Option<i64> = req,
        loss_pct: Option<f64> = req,
        duplicates: Option<i64> = req,
        seq_errors: Option<i64> = req,
        late: Option<i64> = req,
        jitter_ms: Option<f64> = plain,
        max_jitter_ms: Option<f64> = plain,
        mean_jitter_ms: Option<f64> = plain,
        max_delta_ms: Option<f64> = req,
        mean_delta_ms: Option<f64> = req,
        start: Seconds = req,
        end: Seconds = req,
        r_factor: Option<f64> = plain,
        mos: Option<f64> = plain,
        found_by: Option<&'a str> = req_dict,
        call_id: Option<&'a str> = plain,
        from_tag: Option<&'a str> = plain,
        sender: Option<&'a str> = dict,
        srtp: Option<bool> = plain,
        sender_reports: Option<i64> = req,
        rtcp_reports: Option<i64> = req,
        rtcp_lost: Option<i64> = plain,
        rtcp_jitter_ms: Option<f64> = plain,
        rtt_ms: Option<f64> = plain,
        max_rtt_ms: Option<f64> = plain,
        xr_loss_pct: Option<f64> = plain,
        xr_discard_pct: Option<f64> = plain,
        xr_rtt_ms: Option<i32> = plain,
        xr_end_system_ms: Option<i32> = plain,
        xr_r_factor: Option<i32> = plain,
        xr_mos_lq: Option<f64> = plain,
        xr_mos_cq: Option<f64> = plain,
    }
}

/// A count as a 64-bit column (saturating).
fn count(n: u64) -> Option<i64> {
    Some(i64::try_from(n).unwrap_or(i64::MAX))
}

impl<'a> StreamRow<'a> {
    /// The row of stream `s`, its addresses as text (`src`, `dst`), its
    /// codec's name and its E-model rating when known, and the call its
    /// SDP tied it to.
    pub fn of(
        key: &StreamKey,
        s: &StreamStats,
        addrs: &'a (String, String),
        (codec, rating): (Option<&'a str>, Option<(f64, f64)>),
        tie: Option<&'a Tied>,
    ) -> Self {
        let (start, end) = s.span();
        let xr = s.xr();
        StreamRow {
            src: Some(&addrs.0),
            dst: Some(&addrs.1),
            ssrc: Some(i64::from(key.ssrc)),
            payload_type: Some(i32::from(s.payload_type().0)),
            codec,
            packets: count(s.packets()),
            expected: count(s.expected()),
            lost: Some(s.lost()),
            loss_pct: Some(s.loss_pct()),
            duplicates: count(s.duplicates()),
            seq_errors: count(s.seq_errors()),
            late: count(s.discarded()),
            jitter_ms: s.jitter_ms(),
            max_jitter_ms: s.max_jitter_ms(),
            mean_jitter_ms: s.mean_jitter_ms(),
            max_delta_ms: Some(s.max_delta_ms()),
            mean_delta_ms: Some(s.mean_delta_ms()),
            start: Seconds(Some(start)),
            end: Seconds(Some(end)),
            r_factor: rating.map(|r| r.0),
            mos: rating.map(|r| r.1),
            found_by: Some(if tie.is_some() { "sdp" } else { "rtp-headers" }),
            call_id: tie.map(|t| t.call.0.as_str()),
            from_tag: tie.map(|t| t.call.1.as_str()),
            sender: tie.map(|t| t.sender.name()),
            srtp: tie.map(|t| t.srtp),
            sender_reports: count(s.sender_reports()),
            rtcp_reports: count(s.rtcp_reports()),
            rtcp_lost: s.rtcp_lost().map(i64::from),
            rtcp_jitter_ms: s.rtcp_jitter_ms(),
            rtt_ms: s.rtt_ms().map(|r| r.0),
            max_rtt_ms: s.rtt_ms().map(|r| r.1),
            xr_loss_pct: xr.map(|m| f64::from(m.loss_rate) * 100.0 / 256.0),
            xr_discard_pct: xr.map(|m| f64::from(m.discard_rate) * 100.0 / 256.0),
            xr_rtt_ms: xr.and_then(|m| m.round_trip_ms).map(i32::from),
            xr_end_system_ms: xr.and_then(|m| m.end_system_ms).map(i32::from),
            xr_r_factor: xr.and_then(|m| m.r_factor).map(i32::from),
            xr_mos_lq: xr.and_then(|m| m.mos_lq).map(|v| f64::from(v) / 10.0),
            xr_mos_cq: xr.and_then(|m| m.mos_cq).map(|v| f64::from(v) / 10.0),
        }
    }
}
