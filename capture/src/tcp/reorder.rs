//! Sequence order: each direction's segments put back in order, with
//! retransmissions and overlaps dropped (what was delivered first stands),
//! out-of-order segments held in a bounded window, and a hole that will
//! not fill declared a gap. What comes out in order goes to the SIP stream
//! (`stream.rs`).

use sipline::ParserConfig;

use crate::sink::{Location, Sink, Skip};
use crate::tcp::limits::TcpLimits;
use crate::tcp::stream::{Flow, FlowState};

/// Sequence-number comparison modulo 2^32 (RFC 1982 style).
pub(super) fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl Flow {
    /// Holds `data` at `seq` until it is in order. A re-send at the same
    /// sequence number that carries more (repacketised) replaces the shorter
    /// one; one that carries no more is a duplicate and dropped.
    pub(super) fn hold(&mut self, seq: u32, data: &[u8]) {
        let old = self
            .held
            .as_ref()
            .and_then(|h| h.segments.get(&seq))
            .map_or(0, Vec::len);
        if data.len() > old {
            let held = self.held.get_or_insert_with(Default::default);
            held.bytes = held.bytes - old + data.len();
            held.segments.insert(seq, data.to_vec());
        }
    }

    /// The bytes of the segments held.
    pub(super) fn held_bytes(&self) -> usize {
        self.held.as_ref().map_or(0, |h| h.bytes)
    }

    /// Takes the segment held at `seq` (freeing the store with the last).
    fn unhold(&mut self, seq: u32) -> Vec<u8> {
        let Some(held) = self.held.as_mut() else {
            return Vec::new();
        };
        let data = held.segments.remove(&seq).unwrap_or_default();
        held.bytes -= data.len();
        if held.segments.is_empty() {
            self.held = None;
        }
        data
    }

    /// Moves in-order segments on; declares a gap when the out-of-order
    /// data outgrows the window.
    pub(super) fn deliver(
        &mut self,
        config: &ParserConfig,
        limits: &TcpLimits,
        at: &Location<'_>,
        sink: &mut dyn Sink,
    ) {
        loop {
            let Some(next) = self.next_seq else { return };
            // The held segment that starts last at or behind `next`: it is
            // the one to deliver if any is, else it is stale. Each held
            // segment is looked at once this way (O(log n), not a scan).
            if let Some(seq) = self.last_at_or_behind(next) {
                let data = self.unhold(seq);
                let len = data.len();
                if seq != next && !seq_lt(next, seq.wrapping_add(len as u32)) {
                    // Wholly behind what was delivered: retransmitted.
                    sink.skipped(at, Skip::TcpRetransmission);
                    continue;
                }
                let skip = next.wrapping_sub(seq) as usize;
                let fresh = data.get(skip..).unwrap_or_default();
                self.next_seq = Some(next.wrapping_add(fresh.len() as u32));
                self.take(fresh, config, limits, at, sink);
                continue;
            }
            if self.held_bytes() <= limits.reorder_window {
                return;
            }
            // A hole that will not fill: skip to the earliest held segment.
            let first = self.first_ahead(next);
            // What came before the hole is judged as if the stream ended
            // there; what is left of it is cut off.
            self.ended = true;
            self.run(config, limits, at, sink);
            self.ended = false;
            sink.skipped(at, Skip::TcpGap);
            if self.state == FlowState::Sip {
                self.state = FlowState::Resyncing;
            }
            self.pass_over(self.buf.len(), at, sink);
            self.search_from = 0;
            if let Some(first) = first {
                // The hole's bytes never arrived: the stream moves on past them.
                let hole = first.wrapping_sub(next);
                if self.state == FlowState::Resyncing {
                    let here = Location {
                        offset: self.delivered,
                        ..*at
                    };
                    sink.skipped_bytes(&here, Skip::TcpGap, u64::from(hole));
                }
                self.delivered += u64::from(hole);
            }
            self.next_seq = first;
        }
    }

    /// The greatest held sequence number in the half of the sequence space
    /// at or behind `next` (modulo 2^32).
    pub(super) fn last_at_or_behind(&self, next: u32) -> Option<u32> {
        const HALF: u32 = 1 << 31;
        let held = &self.held.as_ref()?.segments;
        let lowest = next.wrapping_sub(HALF).wrapping_add(1);
        if lowest <= next {
            held.range(lowest..=next).next_back()
        } else {
            held.range(..=next)
                .next_back()
                .or_else(|| held.range(lowest..).next_back())
        }
        .map(|(&s, _)| s)
    }

    /// The earliest held sequence number after `next` (modulo 2^32).
    pub(super) fn first_ahead(&self, next: u32) -> Option<u32> {
        let start = next.wrapping_add(1);
        let held = &self.held.as_ref()?.segments;
        held.range(start..)
            .next()
            .or_else(|| held.range(..start).next())
            .map(|(&s, _)| s)
    }
}
