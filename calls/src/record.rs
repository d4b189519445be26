//! What the engine hands out: a record per call attempt ([`CallRecord`],
//! its [`Outcome`]), the REGISTER attempts ([`Registrations`]) and what
//! else it counted ([`CallCounts`]).

use crate::distribution::{percent, Distribution};

/// How an attempt ended (spec §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// A 2xx to the INVITE.
    Established,
    /// A 4xx/5xx/6xx final, not a challenge left unanswered, not a 487
    /// after a CANCEL.
    Failed,
    /// A 3xx final that was not followed.
    Redirected,
    /// A 401, 402 or 407 final that no retry followed.
    ChallengeUnanswered,
    /// A 487 after a CANCEL (or a CANCEL and no final at all).
    Cancelled,
    /// No final response within 64·T1 (Timer B).
    TimedOut,
    /// No final response, and the capture ended less than 64·T1 after the INVITE.
    Pending,
    /// Responses for an INVITE the capture did not see.
    Truncated,
}

impl Outcome {
    /// The name `sipline calls --json` prints.
    pub const fn name(self) -> &'static str {
        match self {
            Outcome::Established => "established",
            Outcome::Failed => "failed",
            Outcome::Redirected => "redirected",
            Outcome::ChallengeUnanswered => "challenge-unanswered",
            Outcome::Cancelled => "cancelled",
            Outcome::TimedOut => "timed-out",
            Outcome::Pending => "pending",
            Outcome::Truncated => "truncated",
        }
    }

    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 8] = [
        Outcome::Established,
        Outcome::Failed,
        Outcome::Redirected,
        Outcome::ChallengeUnanswered,
        Outcome::Cancelled,
        Outcome::TimedOut,
        Outcome::Pending,
        Outcome::Truncated,
    ];
}

/// Who ended an established call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// The side that sent the INVITE.
    Caller,
    /// The side that answered it.
    Callee,
}

impl Party {
    /// `"caller"` or `"callee"`.
    pub const fn name(self) -> &'static str {
        match self {
            Party::Caller => "caller",
            Party::Callee => "callee",
        }
    }
}

/// One call attempt, as `sipline calls` prints it. Times are capture
/// timestamps (seconds since the epoch, UTC); delays in milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct CallRecord {
    /// The Call-ID, as text (lossy).
    pub call_id: String,
    /// The From tag of the INVITE.
    pub from_tag: String,
    /// The From URI.
    pub caller: String,
    /// The To URI.
    pub callee: String,
    /// When the first INVITE was seen.
    pub start: f64,
    /// How the attempt ended.
    pub outcome: Outcome,
    /// The final response that decided the outcome.
    pub final_code: Option<u16>,
    /// Its reason phrase.
    pub final_reason: Option<String>,
    /// The Q.850 cause from a Reason header (on the final, the CANCEL or the BYE).
    pub q850_cause: Option<u16>,
    /// RFC 6076 SRD: first INVITE to the first status indication (the
    /// first non-100 provisional, else the final).
    pub srd_ms: Option<f64>,
    /// First INVITE to the first 180 or 183, else to the 2xx.
    pub pdd_ms: Option<f64>,
    /// RFC 6076 SDT: the 2xx to the BYE (established calls that ended).
    pub duration_ms: Option<f64>,
    /// RFC 6076 SDD: the BYE to its final response.
    pub disconnect_ms: Option<f64>,
    /// The BYE's final response code.
    pub bye_code: Option<u16>,
    /// Established and still up when the capture ended (or when evicted):
    /// no BYE, and no 481/408 to a re-INVITE (which ends the dialog).
    pub open_at_end: bool,
    /// Who sent the BYE.
    pub ended_by: Option<Party>,
    /// INVITE transactions folded into the attempt (challenge retries,
    /// redirect follow-ups).
    pub invites: u32,
    /// 401/407 challenges answered by a retry or left unanswered.
    pub auth_challenges: u32,
    /// Redirect segments (3xx finals) inside the attempt.
    pub redirects: u32,
    /// Retransmitted requests and responses recognised.
    pub retransmissions: u32,
    /// The top Via sent-by of the originating leg's INVITE, and the flow it
    /// was seen on, as text.
    pub flow: Option<String>,
}

/// REGISTER attempts (RFC 6076 §4.1, §4.2; spec §3.2): a REGISTER and
/// the retries that follow a 401/407/423 within 64·T1 are one attempt.
#[derive(Clone, Debug, Default)]
pub struct Registrations {
    /// Attempts with a known outcome (the IRA denominator).
    pub attempts: u64,
    /// Attempts that ended in a failure response (4xx but 401/402/407,
    /// 5xx, 6xx) or no final within 64·T1 (Timer F): IRA's numerator.
    pub failures: u64,
    /// Attempts left on an unanswered challenge (in the denominator only).
    pub challenge_unanswered: u64,
    /// RRD (ms) of the successful ones, the challenge round included.
    pub rrd: Distribution,
}

impl Registrations {
    /// IRA % (§4.2), `None` without attempts.
    pub fn ira(&self) -> Option<f64> {
        percent(self.failures, self.attempts)
    }
}

/// What a tracker has counted besides the records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    /// Copies of a packet captured twice, dropped.
    pub capture_duplicates: u64,
    /// Attempts evicted by [`CallLimits::max_calls`](crate::CallLimits::max_calls).
    pub evicted: u64,
    /// INVITE transactions seen on proxy legs other than the originating one.
    pub other_legs: u64,
    /// Requests and responses that belong to no INVITE attempt seen
    /// (REGISTER, OPTIONS, in-dialog requests of unknown calls …).
    pub not_call: u64,
}
