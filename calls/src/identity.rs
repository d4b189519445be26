//! Identity as the engine compares it, hashed once: transactions by the
//! parser's [`TransactionKey`](sipline::TransactionKey) (RFC 3261 §17.1.3,
//! §17.2.3, with the RFC 2543 fallback), Call-IDs byte for byte, tags
//! case-insensitively ([`Token`]), packets by their bytes and flow.
//!
//! The engine keeps 64-bit hashes, never the text: a collision can only
//! merge two transactions of one call whose keys hash alike, and the
//! hasher is seeded the same on every run, so a run is reproducible.

use core::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};

use sipline::flow::FlowId;
use sipline::{CSeq, Head, Token};

/// The one hasher of the engine: foldhash, with a fixed seed.
const STATE: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5119_11e5);

/// `value`, hashed with the engine's hasher.
pub(crate) fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    STATE.hash_one(value)
}

/// The transaction `head` belongs to ([`Head::transaction_key`]), hashed;
/// `cseq` is the head's CSeq, parsed already. `None` when it has none (no
/// or a malformed top Via; for an RFC 2543 peer, no Call-ID or From).
pub(crate) fn transaction<'a>(head: &Head<'a>, cseq: CSeq<'a>) -> Option<u64> {
    let via = head.get::<sipline::Via>()?.ok()?;
    head.transaction_key_of(&via, cseq)
        .ok()
        .map(|k| hash_of(&k))
}

/// A tag, compared as §19.3 says: case-insensitively.
pub(crate) fn tag(tag: &str) -> u64 {
    hash_of(&Token(tag))
}

/// A packet: its bytes and the flow it was seen on. Two copies of one
/// packet on one flow hash alike (capture duplicates need no defence
/// against crafted collisions: a collision only drops a copy of a message
/// that was identical in length and hash within the duplicate window).
pub(crate) fn packet(flow: Option<FlowId>, bytes: &[u8]) -> u64 {
    hash_of(&(flow, bytes))
}

/// A hasher for keys that are hashes already.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64`s are hashed through it; anything else still spreads.
        self.0 = hash_of(&(self.0, bytes));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Hash maps keyed by a hash.
pub(crate) type Prehash = BuildHasherDefault<Prehashed>;
