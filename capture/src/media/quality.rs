//! Listening quality from what a stream lost and how late it came: the
//! ITU-T G.107 E-model as monitoring tools use it, with G.113 Appendix I's
//! codec values.
//!
//! `R = 93.2 − Id − Ie,eff` (G.107's default `Ro − Is` is 93.2; `A` = 0),
//! with
//! - `Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl / BurstR + Bpl)` (G.107 §7.4),
//!   `Ppl` the percentage of packets lost or discarded by the jitter buffer;
//! - `Id = 0.024 · Ta + 0.11 · (Ta − 177.3) · H(Ta − 177.3)`, the usual
//!   simplification of G.107 §7.3, `Ta` the mean one-way delay in ms;
//! - `MOS = 1 + 0.035 R + R (R − 60)(100 − R) · 7·10⁻⁶` for `0 < R < 100`
//!   (G.107 Annex B; 1 below, 4.5 above).

/// A codec's equipment impairment and packet-loss robustness.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CodecImpairment {
    /// `Ie`: the impairment with no loss.
    pub ie: f64,
    /// `Bpl`: how well it bears loss (larger: better).
    pub bpl: f64,
}

/// The values sipline uses for an encoding name (case-insensitive), from
/// ITU-T G.113 Appendix I where it lists the codec:
///
/// | encoding | Ie | Bpl | source |
/// |---|---:|---:|---|
/// | PCMU, PCMA (G.711) | 0 | 25.1 | G.113 App. I, G.711 with packet-loss concealment (every current endpoint conceals) |
/// | G729 (G.729A + VAD) | 11 | 19.0 | G.113 App. I |
/// | G723 (G.723.1, 6.3 kbit/s) | 15 | 16.1 | G.113 App. I |
/// | G722, opus | 0 | 25.1 | not in the narrowband table: sipline's choice, rated as G.711 with concealment (both are at least as good at the bit rates used for calls; the narrowband scale cannot credit more) |
///
/// `None` for anything else (no MOS is given then).
pub fn codec_impairment(encoding: &str) -> Option<CodecImpairment> {
    let e = |ie, bpl| Some(CodecImpairment { ie, bpl });
    match encoding.to_ascii_uppercase().as_str() {
        "PCMU" | "PCMA" | "G722" | "OPUS" => e(0.0, 25.1),
        "G729" | "G729A" => e(11.0, 19.0),
        "G723" => e(15.0, 16.1),
        _ => None,
    }
}

/// The rating factor R for `loss_pct` percent of packets lost or discarded
/// (bursty when `burst_r` > 1; 1 for random loss) and a mean one-way delay
/// of `delay_ms`.
///
/// ```
/// use sipline_capture::media::{codec_impairment, mos, r_factor};
///
/// let g711 = codec_impairment("PCMA").unwrap();
/// let r = r_factor(g711, 0.0, 1.0, 0.0);
/// assert!((r - 93.2).abs() < 1e-9);
/// assert!((mos(r) - 4.41).abs() < 0.01);
/// assert!(mos(r_factor(g711, 5.0, 1.0, 80.0)) < mos(r_factor(g711, 1.0, 1.0, 80.0)));
/// ```
pub fn r_factor(codec: CodecImpairment, loss_pct: f64, burst_r: f64, delay_ms: f64) -> f64 {
    let ppl = loss_pct.clamp(0.0, 100.0);
    let burst_r = if burst_r.is_finite() && burst_r >= 1.0 {
        burst_r
    } else {
        1.0
    };
    let ie_eff = codec.ie + (95.0 - codec.ie) * ppl / (ppl / burst_r + codec.bpl);
    let ta = delay_ms.max(0.0);
    let id = 0.024 * ta + if ta > 177.3 { 0.11 * (ta - 177.3) } else { 0.0 };
    93.2 - id - ie_eff
}

/// The MOS (listening quality, 1 to 4.5) of a rating factor (G.107 Annex
/// B).
pub fn mos(r: f64) -> f64 {
    if r.is_nan() || r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6
    }
}
