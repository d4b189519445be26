//! An INVITE attempt while it is followed: its transactions, its times,
//! and how its record is decided.

use sipline::flow::FlowId;
use sipline::Head;

use crate::limits::CallLimits;
use crate::record::{CallRecord, Outcome};

#[derive(Clone, Debug)]
pub(crate) struct Tx {
    /// The transaction's key, hashed (`identity::transaction`).
    pub(crate) key: u64,
    pub(crate) cseq: u32,
    pub(crate) vias: usize,
    pub(crate) primary: bool,
    /// (status, hash of the To tag) of responses seen.
    pub(crate) responses: Vec<(u16, Option<u64>)>,
}

impl Tx {
    /// An INVITE transaction, no response seen yet; `primary` when it is
    /// on the originating leg.
    pub(crate) fn new(key: u64, cseq: u32, vias: usize, primary: bool) -> Tx {
        Tx {
            key,
            cseq,
            vias,
            primary,
            responses: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    pub(crate) rec: CallRecord,
    pub(crate) txs: Vec<Tx>,
    pub(crate) answer_time: Option<f64>,
    pub(crate) first_provisional: Option<f64>,
    pub(crate) first_alerting: Option<f64>,
    pub(crate) final_time: Option<f64>,
    pub(crate) cancel: bool,
    pub(crate) bye: Option<(f64, u64, u32)>,
    /// When the dialog ended without a BYE: a 481 or 408 to a re-INVITE
    /// (RFC 3261 §12.2.1.2, spec §6 rule 9).
    pub(crate) gone: Option<f64>,
    pub(crate) last_activity: f64,
    pub(crate) last_invite: f64,
    pub(crate) last_final: Option<u16>,
    pub(crate) truncated: bool,
}

/// A new attempt: its first transaction, and the record as far as known.
/// `truncated`: made from a response to an INVITE the capture did not see.
#[allow(clippy::too_many_arguments)]
pub(crate) fn new_attempt(
    time: f64,
    head: &Head<'_>,
    call_id: &[u8],
    from_tag: &str,
    flow: Option<FlowId>,
    tx: Tx,
    truncated: bool,
) -> Attempt {
    let uri = |a: Option<Result<sipline::NameAddr<'_>, sipline::Error>>| {
        a.and_then(Result::ok)
            .map(|a| a.uri.to_string())
            .unwrap_or_default()
    };
    let rec = CallRecord {
        call_id: text(call_id),
        from_tag: from_tag.to_string(),
        caller: uri(head.get::<sipline::header::From>()),
        callee: uri(head.get::<sipline::header::To>()),
        start: time,
        outcome: if truncated {
            Outcome::Truncated
        } else {
            Outcome::Pending
        },
        final_code: None,
        final_reason: None,
        q850_cause: None,
        srd_ms: None,
        pdd_ms: None,
        duration_ms: None,
        disconnect_ms: None,
        bye_code: None,
        open_at_end: false,
        ended_by: None,
        invites: u32::from(!truncated),
        auth_challenges: 0,
        redirects: 0,
        retransmissions: 0,
        flow: flow.filter(|_| !truncated).map(|f| f.to_string()),
    };
    Attempt {
        rec,
        txs: vec![tx],
        answer_time: None,
        first_provisional: None,
        first_alerting: None,
        final_time: None,
        cancel: false,
        bye: None,
        gone: None,
        last_activity: time,
        last_invite: time,
        last_final: None,
        truncated,
    }
}

/// An attempt can end now: decided and idle for 64·T1 (a retry or a BYE
/// would have come), or undecided for 64·T1 after its last INVITE.
pub(crate) fn can_end(a: &Attempt, now: f64, give_up: f64) -> bool {
    let idle = now - a.last_activity >= give_up;
    match (a.answer_time, a.bye.as_ref().map(|b| b.0)) {
        // Established: ends with its BYE (answered or given up on).
        (Some(_), Some(bye)) => a.rec.bye_code.is_some() && idle || now - bye >= give_up,
        // Or with a 481/408 inside the dialog; else it stays up.
        (Some(_), None) => a.gone.is_some() && idle,
        (None, _) => idle,
    }
}

/// The record of an attempt, its outcome decided at capture time `now`.
pub(crate) fn finalize(mut a: Attempt, now: f64, limits: &CallLimits, at_end: bool) -> CallRecord {
    let give_up = 64.0 * limits.t1;
    let start = a.rec.start;
    let ms = |t: f64| ((t - start) * 1000.0 * 1000.0).round() / 1000.0;
    let rec = &mut a.rec;
    rec.outcome = match (a.answer_time, a.last_final) {
        _ if a.truncated => Outcome::Truncated,
        (Some(_), _) => Outcome::Established,
        (None, Some(c)) if (300..=399).contains(&c) => Outcome::Redirected,
        (None, Some(401 | 402 | 407)) => Outcome::ChallengeUnanswered,
        (None, Some(487)) if a.cancel => Outcome::Cancelled,
        (None, Some(_)) => Outcome::Failed,
        (None, None) if a.cancel => Outcome::Cancelled,
        (None, None) if now - a.last_invite >= give_up => Outcome::TimedOut,
        (None, None) => Outcome::Pending,
    };
    if !a.truncated {
        let srd_end = match rec.outcome {
            Outcome::Established | Outcome::Failed => a.first_provisional.or(a.final_time),
            _ => None,
        };
        rec.srd_ms = srd_end.map(ms);
        rec.pdd_ms = a.first_alerting.or(a.answer_time).map(ms);
    }
    if let (Some(answer), Some(bye)) = (a.answer_time, a.bye.as_ref().map(|b| b.0)) {
        rec.duration_ms = Some(((bye - answer) * 1000.0 * 1000.0).round() / 1000.0);
    }
    if let Some(d) = rec.disconnect_ms {
        rec.disconnect_ms = Some((d * 1000.0).round() / 1000.0);
    }
    rec.open_at_end =
        at_end && rec.outcome == Outcome::Established && a.bye.is_none() && a.gone.is_none();
    a.rec
}

/// Bytes as text (lossy), for a record.
pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
