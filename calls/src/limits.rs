//! [`CallLimits`]: how much the engine holds, and RFC 3261's timers as it
//! applies them.

/// The limits of a [`CallTracker`](crate::CallTracker).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallLimits {
    /// The most Call-IDs with attempts in progress held at once; beyond it
    /// the least recently active is evicted and counted. Default 100 000.
    /// Each Call-ID holds at most 32 attempts (From tags).
    pub max_calls: usize,
    /// RFC 3261's T1 in seconds (default 0.5): 64·T1 is Timer B/F, the
    /// give-up time of a transaction.
    pub t1: f64,
    /// Two copies of the same bytes on the same flow this close in time
    /// (seconds) are one packet captured twice, not a retransmission
    /// (default 0.010, far below T1).
    pub duplicate_window: f64,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits {
            max_calls: 100_000,
            t1: 0.5,
            duplicate_window: 0.010,
        }
    }
}
