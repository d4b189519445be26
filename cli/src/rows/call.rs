//! The call row: one call attempt of the call engine, as `calls --json`,
//! `calls --csv` and `export --what calls` write it. Its columns are
//! declared once, here.

use sipline_calls::CallRecord;

use crate::media::CallMedia;

use super::record::{and_then, record, Hint, Seconds};
use super::table::{Field, Type};

record! {
    /// A call attempt's row (the column names are `calls --json`'s keys).
    pub struct CallRow<'a> {
        call_id: Option<&'a str> = req,
        from_tag: Option<&'a str> = req,
        caller: Option<&'a str> = req,
        callee: Option<&'a str> = req,
        start: Seconds = req,
        outcome: Option<&'a str> = req_dict,
        final_code: Option<i32> = plain,
        final_reason: Option<&'a str> = dict,
        q850_cause: Option<i32> = plain,
        srd_ms: Option<f64> = plain,
        pdd_ms: Option<f64> = plain,
        duration_ms: Option<f64> = plain,
        disconnect_ms: Option<f64> = plain,
        bye_code: Option<i32> = plain,
        open_at_end: Option<bool> = req,
        ended_by: Option<&'a str> = dict,
        invites: Option<i32> = req,
        auth_challenges: Option<i32> = req,
        redirects: Option<i32> = req,
        retransmissions: Option<i32> = req,
        flow: Option<&'a str> = plain,
        media_streams: Option<i32> = plain,
        codec: Option<&'a str> = dict,
        loss_pct_from_caller: Option<f64> = plain,
        loss_pct_from_callee: Option<f64> = plain,
        jitter_ms_from_caller: Option<f64> = plain,
        jitter_ms_from_callee: Option<f64> = plain,
        r_factor: Option<f64> = plain,
        mos: Option<f64> = plain,
        one_way_audio: Option<bool> = plain,
        heard: Option<&'a str> = dict,
    }
}

/// The columns of a call row with its slice (`calls --by`): [`CallRow`]'s
/// and `slice`.
pub const SLICED_CALL_FIELDS: [Field; CallRow::FIELDS.len() + 1] =
    and_then(CallRow::FIELDS, Field::of("slice", Type::Str, Hint::plain));

/// A count as a 32-bit column (saturating).
fn clamp(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl<'a> CallRow<'a> {
    /// The row of `r`, with what its media sent and heard.
    pub fn of(r: &'a CallRecord, m: &'a CallMedia) -> Self {
        CallRow {
            call_id: Some(&r.call_id),
            from_tag: Some(&r.from_tag),
            caller: Some(&r.caller),
            callee: Some(&r.callee),
            start: Seconds(Some(r.start)),
            outcome: Some(r.outcome.name()),
            final_code: r.final_code.map(i32::from),
            final_reason: r.final_reason.as_deref(),
            q850_cause: r.q850_cause.map(i32::from),
            srd_ms: r.srd_ms,
            pdd_ms: r.pdd_ms,
            duration_ms: r.duration_ms,
            disconnect_ms: r.disconnect_ms,
            bye_code: r.bye_code.map(i32::from),
            open_at_end: Some(r.open_at_end),
            ended_by: r.ended_by.map(|p| p.name()),
            invites: Some(clamp(r.invites)),
            auth_challenges: Some(clamp(r.auth_challenges)),
            redirects: Some(clamp(r.redirects)),
            retransmissions: Some(clamp(r.retransmissions)),
            flow: r.flow.as_deref(),
            media_streams: Some(i32::try_from(m.streams).unwrap_or(i32::MAX)),
            codec: m.codec.as_deref(),
            loss_pct_from_caller: m.loss_pct[0],
            loss_pct_from_callee: m.loss_pct[1],
            jitter_ms_from_caller: m.jitter_ms[0],
            jitter_ms_from_callee: m.jitter_ms[1],
            r_factor: m.r_factor,
            mos: m.mos,
            one_way_audio: m.one_way_audio,
            heard: m.heard,
        }
    }
}
