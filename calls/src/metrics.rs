//! RFC 6076's session metrics from call records: [`Metrics`] over all of
//! them, [`SlicedMetrics`] per caller, callee or peer.

use crate::distribution::{percent, Distribution};
use crate::record::{CallRecord, Outcome};

/// RFC 6076's session metrics (and the industry ones beside them) from
/// call records, as the spec's §3–§4 define them for a passive observer.
/// Feed every record with [`Metrics::add`].
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Attempts by outcome.
    pub by_outcome: std::collections::BTreeMap<Outcome, u64>,
    /// Final codes, one per attempt (the one that decided the outcome).
    pub finals: std::collections::BTreeMap<u16, u64>,
    /// Established calls still up at the end of the capture.
    pub open_at_end: u64,
    /// SRD of established attempts (ms).
    pub srd_success: Distribution,
    /// SRD of failed attempts (ms).
    pub srd_failure: Distribution,
    /// SDD of BYEs answered 2xx (ms).
    pub sdd_success: Distribution,
    /// SDD of BYEs answered otherwise (ms).
    pub sdd_failure: Distribution,
    /// BYEs that drew no final response (Timer F): counted, in neither SDD.
    pub sdd_timeouts: u64,
    /// SDT of established calls that ended (ms).
    pub sdt: Distribution,
    /// PDD (ms): first INVITE to the first 180/183, else the 2xx.
    pub pdd: Distribution,
    known: u64,
    established: u64,
    redirected: u64,
    seer_num: u64,
    isa_num: u64,
    completed: u64,
    scr_den: u64,
    ner_num: u64,
    ner_den: u64,
}

/// The codes SEER counts as effective (RFC 6076 §4.7), any 2xx aside.
const SEER_CODES: [u16; 4] = [480, 486, 600, 603];
/// ISA's guideline codes (RFC 6076 §4.8).
const ISA_CODES: [u16; 4] = [408, 500, 503, 504];
/// NER's effective finals (spec §4, RFC 3398 §8.2.6.1), any 2xx aside.
const NER_CODES: [u16; 6] = [480, 486, 600, 403, 402, 603];

impl Metrics {
    /// Metrics whose distributions keep at most `samples` samples each
    /// ([`Distribution::bounded`]): for a monitor that runs for days.
    pub fn with_max_samples(samples: usize) -> Metrics {
        let d = || Distribution::bounded(samples);
        Metrics {
            srd_success: d(),
            srd_failure: d(),
            sdd_success: d(),
            sdd_failure: d(),
            sdt: d(),
            pdd: d(),
            ..Metrics::default()
        }
    }

    /// Counts one attempt.
    pub fn add(&mut self, r: &CallRecord) {
        *self.by_outcome.entry(r.outcome).or_default() += 1;
        if let Some(c) = r.final_code {
            *self.finals.entry(c).or_default() += 1;
        }
        if matches!(r.outcome, Outcome::Pending | Outcome::Truncated) {
            return;
        }
        self.known += 1;
        let code = r.final_code.unwrap_or(0);
        let two_xx = (200..300).contains(&code);
        match r.outcome {
            Outcome::Established => {
                self.established += 1;
                if let Some(v) = r.srd_ms {
                    self.srd_success.add(v);
                }
            }
            Outcome::Failed => {
                if let Some(v) = r.srd_ms {
                    self.srd_failure.add(v);
                }
            }
            Outcome::Redirected => self.redirected += 1,
            _ => {}
        }
        if two_xx || SEER_CODES.contains(&code) {
            self.seer_num += 1;
        }
        if ISA_CODES.contains(&code) || r.outcome == Outcome::TimedOut {
            self.isa_num += 1;
        }
        if r.open_at_end {
            self.open_at_end += 1;
        } else {
            self.scr_den += 1;
            if r.outcome == Outcome::Established && r.bye_code.is_some_and(|c| c != 408) {
                self.completed += 1;
            }
        }
        match (r.bye_code, r.disconnect_ms) {
            (Some(c), Some(ms)) if (200..300).contains(&c) => self.sdd_success.add(ms),
            (Some(_), Some(ms)) => self.sdd_failure.add(ms),
            _ if r.ended_by.is_some() => self.sdd_timeouts += 1,
            _ => {}
        }
        if let Some(d) = r.duration_ms {
            self.sdt.add(d);
        }
        if let Some(p) = r.pdd_ms {
            self.pdd.add(p);
        }
        // NER: a 487 after alerting is ring-no-answer (effective); before
        // any alerting the call was abandoned, left out of both sides.
        let abandoned = r.outcome == Outcome::Cancelled && r.pdd_ms.is_none();
        if !abandoned {
            self.ner_den += 1;
            if two_xx || NER_CODES.contains(&code) || r.outcome == Outcome::Cancelled {
                self.ner_num += 1;
            }
        }
    }

    /// Attempts with a known outcome (not pending, not truncated): RFC
    /// 6076's "session requests".
    pub const fn session_requests(&self) -> u64 {
        self.known
    }

    /// SER (§4.6): established ÷ (session requests − redirected) × 100.
    pub fn ser(&self) -> Option<f64> {
        percent(self.established, self.known - self.redirected)
    }

    /// SEER (§4.7): 2xx, 480, 486, 600, 603 ÷ the same denominator × 100.
    pub fn seer(&self) -> Option<f64> {
        percent(self.seer_num, self.known - self.redirected)
    }

    /// ISA (§4.8): 408, 500, 503, 504 and Timer B timeouts ÷ session requests × 100.
    pub fn isa(&self) -> Option<f64> {
        percent(self.isa_num, self.known)
    }

    /// SCR (§4.9): established and ended by a BYE answered other than 408 ÷
    /// session requests not open at the end × 100.
    pub fn scr(&self) -> Option<f64> {
        percent(self.completed, self.scr_den)
    }

    /// ASR (ITU-T E.411; not RFC 6076): established ÷ session requests × 100.
    pub fn asr(&self) -> Option<f64> {
        percent(self.established, self.known)
    }

    /// NER (ITU-T E.411/E.425; not RFC 6076): answered, busy, no answer,
    /// rejected ÷ attempts not abandoned before alerting × 100.
    pub fn ner(&self) -> Option<f64> {
        percent(self.ner_num, self.ner_den)
    }
}

/// How RFC 6076 §5.1 slices the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SliceBy {
    /// By From URI (`user@host`).
    Caller,
    /// By To URI (`user@host`).
    Callee,
    /// By the address the INVITE was sent to (the flow's destination).
    Peer,
}

impl SliceBy {
    /// The slice a record falls in.
    ///
    /// ```
    /// use sipline_calls::SliceBy;
    /// assert_eq!(SliceBy::uri_key("sip:alice@a.example;transport=tcp"), "alice@a.example");
    /// assert_eq!(SliceBy::uri_key("tel:+1-201-555-0123"), "+1-201-555-0123");
    /// ```
    pub fn key(self, r: &CallRecord) -> String {
        match self {
            SliceBy::Caller => Self::uri_key(&r.caller),
            SliceBy::Callee => Self::uri_key(&r.callee),
            SliceBy::Peer => r
                .flow
                .as_deref()
                .and_then(|f| f.rsplit(" -> ").next())
                .unwrap_or("(unknown)")
                .to_string(),
        }
    }

    /// A URI without its scheme, parameters and headers.
    pub fn uri_key(uri: &str) -> String {
        let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
        let end = rest.find([';', '?']).unwrap_or(rest.len());
        rest.get(..end).unwrap_or(rest).to_string()
    }
}

/// [`Metrics`] per slice ([`SliceBy`]), at most `max` slices; attempts
/// beyond go to the slice `"(other)"`, so memory stays bounded.
#[derive(Clone, Debug)]
pub struct SlicedMetrics {
    /// The slicing.
    pub by: SliceBy,
    /// The metrics of each slice.
    pub slices: std::collections::BTreeMap<String, Metrics>,
    max: usize,
}

impl SlicedMetrics {
    /// Slicing `by`, at most `max` slices.
    pub fn new(by: SliceBy, max: usize) -> SlicedMetrics {
        SlicedMetrics {
            by,
            slices: std::collections::BTreeMap::new(),
            max,
        }
    }

    /// Counts one attempt in its slice.
    pub fn add(&mut self, r: &CallRecord) {
        let key = self.by.key(r);
        let key = if self.slices.contains_key(&key) || self.slices.len() < self.max {
            key
        } else {
            "(other)".to_string()
        };
        self.slices.entry(key).or_default().add(r);
    }
}
