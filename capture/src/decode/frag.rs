//! IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 §4.5), bounded.
//!
//! Fragments are kept per datagram (source, destination, identification,
//! protocol) until the datagram is whole. Every limit is explicit
//! ([`FragLimits`]): the size of one datagram, how many are pending, the
//! bytes all pending datagrams may hold (the least recently seen is dropped
//! first), and how long, in capture time, a datagram may stay incomplete.
//!
//! **Overlaps**: a fragment that repeats bytes already held, byte for byte (a
//! capture taken on two interfaces, a link-layer duplicate) is ignored; any
//! other overlap drops the whole datagram, for IPv4 as RFC 5722 says for
//! IPv6, since overlapping fragments are an evasion technique and no honest
//! sender makes them. A fragment of a datagram completed within the timeout
//! that comes again is a duplicate too (this risks refusing a new datagram
//! that reuses the identification that soon, the same risk IP reassembly
//! itself runs, RFC 4963). Everything dropped is counted.

use std::net::IpAddr;

use lru::LruCache;

/// One IP fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The identification field (16 bits in IPv4, 32 in IPv6).
    pub id: u32,
    /// The protocol of the payload (17 UDP, 6 TCP …).
    pub protocol: u8,
    /// Where this fragment's payload goes in the datagram, in bytes.
    pub offset: usize,
    /// More fragments follow.
    pub more: bool,
    /// This fragment's part of the payload.
    pub payload: &'a [u8],
}

/// The limits of fragment reassembly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FragLimits {
    /// The largest datagram payload reassembled (IP's own limit is 65 535).
    pub max_datagram: usize,
    /// The most datagrams pending at once; the least recently seen is dropped.
    pub max_pending: usize,
    /// The most bytes all pending datagrams hold together.
    pub memory_budget: usize,
    /// Seconds of capture time a datagram may stay incomplete (Linux's
    /// default for `ipfrag_time` is 30).
    pub timeout: f64,
}

impl Default for FragLimits {
    fn default() -> Self {
        FragLimits {
            max_datagram: 65_535,
            max_pending: 4096,
            memory_budget: 16 << 20,
            timeout: 30.0,
        }
    }
}

/// Why fragments were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// A fragment overlapped another with different bytes.
    Overlap,
    /// The datagram would be larger than the limit, or its fragments
    /// disagree on where it ends.
    TooLarge,
    /// Incomplete for longer than the timeout, evicted for room, or still
    /// incomplete at the end of the input.
    Incomplete,
}

/// What adding a fragment gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Held; the datagram is not whole yet.
    Held,
    /// The datagram is whole: its protocol and payload.
    Complete {
        /// The protocol of the payload.
        protocol: u8,
        /// The reassembled payload (the transport header and its payload).
        payload: Vec<u8>,
    },
    /// Already held byte for byte: ignored.
    Duplicate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    protocol: u8,
}

struct Pending {
    data: Vec<u8>,
    /// The byte ranges held, sorted and disjoint.
    ranges: Vec<(usize, usize)>,
    /// The datagram's length, once the last fragment came.
    end: Option<usize>,
    fragments: u64,
    first_time: Option<f64>,
}

impl Pending {
    fn is_complete(&self) -> bool {
        matches!(self.end, Some(end) if self.ranges == [(0, end)])
    }
}

/// Reassembles fragmented datagrams; reports what it drops through a
/// callback with the number of fragments lost and why.
pub struct Defragmenter {
    limits: FragLimits,
    pending: LruCache<Key, Pending>,
    /// Datagrams completed lately, with their length and when: a fragment
    /// of one that comes again (a duplicate in the capture) is not the start
    /// of a new datagram. Kept for the timeout, as many as `max_pending`.
    completed: LruCache<Key, (usize, Option<f64>)>,
    memory: usize,
}

impl Defragmenter {
    /// A reassembler with these limits.
    pub fn new(limits: FragLimits) -> Defragmenter {
        Defragmenter {
            limits,
            pending: LruCache::unbounded(),
            completed: LruCache::unbounded(),
            memory: 0,
        }
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// How many datagrams are pending.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    #[cfg(any(test, feature = "fuzzing"))]
    /// How many bytes the pending datagrams hold.
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// Adds a fragment seen at capture time `now`. `dropped(n, why)` is told
    /// of every datagram given up, with how many fragments it had.
    pub fn add(
        &mut self,
        f: &Fragment<'_>,
        now: Option<f64>,
        dropped: &mut dyn FnMut(u64, Dropped),
    ) -> Outcome {
        if let Some(now) = now {
            self.expire(now, dropped);
        }
        let key = Key {
            src: f.src,
            dst: f.dst,
            id: f.id,
            protocol: f.protocol,
        };
        let (start, end) = (f.offset, f.offset.saturating_add(f.payload.len()));
        if end > self.limits.max_datagram {
            let had = self.remove(&key).map_or(0, |p| p.fragments);
            dropped(had + 1, Dropped::TooLarge);
            return Outcome::Held;
        }
        if !self.pending.contains(&key) {
            if let Some(&(len, done)) = self.completed.peek(&key) {
                let recent = match (now, done) {
                    (Some(now), Some(done)) => now - done <= self.limits.timeout,
                    _ => true,
                };
                if recent && end <= len {
                    return Outcome::Duplicate;
                }
            }
            while self.pending.len() >= self.limits.max_pending.max(1) {
                self.evict_lru(dropped);
            }
            self.pending.push(
                key,
                Pending {
                    data: Vec::new(),
                    ranges: Vec::new(),
                    end: None,
                    fragments: 0,
                    first_time: now,
                },
            );
        }
        let Some(p) = self.pending.get_mut(&key) else {
            return Outcome::Held;
        };
        // An exact repeat is ignored; any other overlap drops the datagram.
        let overlap = p.ranges.iter().find(|&&(a, b)| start < b && a < end);
        if let Some(&(a, b)) = overlap {
            // Held ranges are merged: a repeat lies within one, byte for byte.
            if a <= start && end <= b && p.data.get(start..end) == Some(f.payload) {
                return Outcome::Duplicate;
            }
            let had = self.remove(&key).map_or(0, |p| p.fragments);
            dropped(had + 1, Dropped::Overlap);
            return Outcome::Held;
        }
        let ends_here = if f.more { None } else { Some(end) };
        let conflict = match (p.end, ends_here) {
            (Some(e), Some(n)) => e != n,
            (Some(e), None) => end > e,
            (None, Some(n)) => p.ranges.last().is_some_and(|&(_, b)| b > n),
            (None, None) => false,
        };
        if conflict {
            let had = self.remove(&key).map_or(0, |p| p.fragments);
            dropped(had + 1, Dropped::TooLarge);
            return Outcome::Held;
        }
        let Some(p) = self.pending.get_mut(&key) else {
            return Outcome::Held;
        };
        let before = p.data.len();
        if p.data.len() < end {
            p.data.resize(end, 0);
        }
        if let Some(slot) = p.data.get_mut(start..end) {
            slot.copy_from_slice(f.payload);
        }
        let at = p.ranges.partition_point(|&(a, _)| a < start);
        p.ranges.insert(at, (start, end));
        // Merge touching ranges.
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(p.ranges.len());
        for &(a, b) in &p.ranges {
            match merged.last_mut() {
                Some(last) if last.1 == a => last.1 = b,
                _ => merged.push((a, b)),
            }
        }
        p.ranges = merged;
        p.end = p.end.or(ends_here);
        p.fragments += 1;
        self.memory = self.memory - before + p.data.len();
        if p.is_complete() {
            let p = self.remove(&key);
            if let Some(p) = &p {
                while self.completed.len() >= self.limits.max_pending.max(1) {
                    self.completed.pop_lru();
                }
                self.completed.push(key, (p.data.len(), now));
            }
            return match p {
                Some(p) => Outcome::Complete {
                    protocol: f.protocol,
                    payload: p.data,
                },
                None => Outcome::Held,
            };
        }
        while self.memory > self.limits.memory_budget && self.pending.len() > 1 {
            self.evict_lru(dropped);
        }
        Outcome::Held
    }

    /// The input has ended: every datagram still incomplete is dropped.
    pub fn finish(&mut self, dropped: &mut dyn FnMut(u64, Dropped)) {
        while let Some((_, p)) = self.pending.pop_lru() {
            dropped(p.fragments, Dropped::Incomplete);
        }
        self.memory = 0;
    }

    fn remove(&mut self, key: &Key) -> Option<Pending> {
        let p = self.pending.pop(key)?;
        self.memory = self.memory.saturating_sub(p.data.len());
        Some(p)
    }

    fn evict_lru(&mut self, dropped: &mut dyn FnMut(u64, Dropped)) {
        if let Some((_, p)) = self.pending.pop_lru() {
            self.memory = self.memory.saturating_sub(p.data.len());
            dropped(p.fragments, Dropped::Incomplete);
        }
    }

    /// Drops the datagrams incomplete for longer than the timeout (the
    /// least recently seen come first, so the scan stops at the first that
    /// is still in time).
    fn expire(&mut self, now: f64, dropped: &mut dyn FnMut(u64, Dropped)) {
        while let Some((_, p)) = self.pending.peek_lru() {
            match p.first_time {
                Some(t) if now - t > self.limits.timeout => self.evict_lru(dropped),
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(id: u32, offset: usize, more: bool, payload: &[u8]) -> Fragment<'_> {
        Fragment {
            src: "192.0.2.1".parse().unwrap(),
            dst: "192.0.2.2".parse().unwrap(),
            id,
            protocol: 17,
            offset,
            more,
            payload,
        }
    }

    fn add_all(
        d: &mut Defragmenter,
        frags: &[Fragment<'_>],
    ) -> (Vec<Outcome>, Vec<(u64, Dropped)>) {
        let mut dropped = Vec::new();
        let out = frags
            .iter()
            .map(|f| d.add(f, None, &mut |n, why| dropped.push((n, why))))
            .collect();
        (out, dropped)
    }

    #[test]
    fn any_order_reassembles_and_duplicates_are_ignored() {
        let data: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let parts: Vec<Fragment<'_>> = data
            .chunks(1480)
            .enumerate()
            .map(|(k, c)| frag(1, k * 1480, k * 1480 + c.len() < data.len(), c))
            .collect();
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut d = Defragmenter::new(FragLimits::default());
            let mut frags: Vec<_> = order.iter().map(|&i| parts[i]).collect();
            frags.insert(1, frags[0]);
            let (mut out, dropped) = add_all(&mut d, &frags);
            assert_eq!(out[1], Outcome::Duplicate);
            // Once whole, a repeat of any of its fragments is a duplicate too.
            let (again, _) = add_all(&mut d, &[parts[1]]);
            assert_eq!(again, [Outcome::Duplicate]);
            out.truncate(frags.len());
            assert_eq!(
                out.last().unwrap(),
                &Outcome::Complete {
                    protocol: 17,
                    payload: data.clone()
                }
            );
            assert!(dropped.is_empty());
            assert_eq!((d.pending(), d.memory()), (0, 0));
        }
    }

    #[test]
    fn overlaps_with_other_bytes_drop_the_datagram() {
        let mut d = Defragmenter::new(FragLimits::default());
        let (out, dropped) = add_all(
            &mut d,
            &[frag(2, 0, true, &[1; 16]), frag(2, 8, false, &[2; 16])],
        );
        assert_eq!(out, [Outcome::Held, Outcome::Held]);
        assert_eq!(dropped, [(2, Dropped::Overlap)]);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn every_limit_holds() {
        // One datagram's size.
        let limits = FragLimits {
            max_datagram: 100,
            ..FragLimits::default()
        };
        let mut d = Defragmenter::new(limits);
        let (_, dropped) = add_all(
            &mut d,
            &[frag(3, 0, true, &[0; 64]), frag(3, 64, true, &[0; 64])],
        );
        assert_eq!(dropped, [(2, Dropped::TooLarge)]);
        // Datagrams pending, and bytes held.
        let limits = FragLimits {
            max_pending: 2,
            memory_budget: 150,
            ..FragLimits::default()
        };
        let mut d = Defragmenter::new(limits);
        let (_, dropped) = add_all(
            &mut d,
            &[
                frag(4, 0, true, &[0; 64]),
                frag(5, 0, true, &[0; 64]),
                frag(6, 0, true, &[0; 64]),
            ],
        );
        assert_eq!(dropped, [(1, Dropped::Incomplete)]);
        assert_eq!(d.pending(), 2);
        let (_, dropped) = add_all(&mut d, &[frag(6, 64, true, &[0; 64])]);
        assert_eq!(dropped, [(1, Dropped::Incomplete)], "over the byte budget");
        assert!(d.memory() <= 150);
        // Time, by capture time.
        let mut d = Defragmenter::new(FragLimits::default());
        let mut dropped = Vec::new();
        d.add(&frag(7, 0, true, &[0; 8]), Some(100.0), &mut |n, w| {
            dropped.push((n, w))
        });
        d.add(&frag(8, 0, true, &[0; 8]), Some(131.0), &mut |n, w| {
            dropped.push((n, w))
        });
        assert_eq!(dropped, [(1, Dropped::Incomplete)]);
        assert_eq!(d.pending(), 1);
        d.finish(&mut |n, w| dropped.push((n, w)));
        assert_eq!(dropped.len(), 2);
    }

    #[test]
    fn a_conflicting_end_drops_the_datagram() {
        let mut d = Defragmenter::new(FragLimits::default());
        let (_, dropped) = add_all(
            &mut d,
            &[frag(9, 16, false, &[0; 8]), frag(9, 32, false, &[0; 8])],
        );
        assert_eq!(dropped, [(2, Dropped::TooLarge)]);
    }
}

/// The examples of this file's items, run as unit tests: the items are
/// internal to the crate, so their examples cannot be doctests.
#[cfg(test)]
mod examples {
    #[test]
    fn defragmenter() {
        use crate::decode::frag::{Defragmenter, FragLimits, Fragment, Outcome};

        let mut defrag = Defragmenter::new(FragLimits::default());
        let frag = |offset, more, payload| Fragment {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            id: 7,
            protocol: 17,
            offset,
            more,
            payload,
        };
        let mut dropped = Vec::new();
        let mut on_drop = |n, why| dropped.push((n, why));
        assert_eq!(
            defrag.add(&frag(8, false, b"world"), None, &mut on_drop),
            Outcome::Held
        );
        let whole = defrag.add(&frag(0, true, b"hello, a"), None, &mut on_drop);
        assert_eq!(
            whole,
            Outcome::Complete {
                protocol: 17,
                payload: b"hello, aworld".to_vec()
            }
        );
        assert!(dropped.is_empty());
    }
}
