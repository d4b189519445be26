#![no_main]
//! IP fragment reassembly: a datagram cut at fuzzer-chosen 8-byte-aligned
//! points, delivered in a fuzzer-chosen order with duplicates, comes out
//! whole and equal, once; and arbitrary fragments never push the pending
//! state past its limits.
use sipline_capture::__fuzzing::frag::{Defragmenter, FragLimits, Fragment, Outcome};

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

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

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let [seed, step, rest @ ..] = data else {
        return;
    };
    let limits = FragLimits {
        max_datagram: 4096,
        max_pending: 4,
        memory_budget: 8192,
        timeout: 30.0,
    };
    // 1. One datagram, any order, duplicates: whole and equal.
    let datagram = &rest[..rest.len().min(4000)];
    if !datagram.is_empty() {
        let per = (usize::from(*step) % 16 + 1) * 8;
        let mut parts: Vec<(usize, &[u8])> = datagram
            .chunks(per)
            .enumerate()
            .map(|(k, c)| (k * per, c))
            .collect();
        let mut rng = Rng(u64::from(*seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for i in (1..parts.len()).rev() {
            parts.swap(i, rng.below(i + 1));
        }
        for _ in 0..rng.below(3) {
            let p = parts[rng.below(parts.len())];
            parts.insert(rng.below(parts.len() + 1), p);
        }
        let mut d = Defragmenter::new(limits);
        let mut dropped = 0;
        let mut whole = Vec::new();
        for (offset, p) in &parts {
            let more = offset + p.len() < datagram.len();
            match d.add(&frag(1, *offset, more, p), None, &mut |n, _| dropped += n) {
                Outcome::Complete { payload, .. } => whole.push(payload),
                Outcome::Held | Outcome::Duplicate => {}
            }
        }
        assert_eq!(dropped, 0);
        assert_eq!(whole, [datagram.to_vec()]);
        assert_eq!(d.memory(), 0);
    }
    // 2. Arbitrary fragments: the limits hold whatever comes.
    let mut d = Defragmenter::new(limits);
    for chunk in rest.chunks(6) {
        let [id, off_hi, off_lo, flags, len, fill, ..] = *chunk else {
            break;
        };
        let offset = usize::from(u16::from_be_bytes([off_hi, off_lo]) & 0x1fff) * 8;
        let payload = vec![fill; usize::from(len)];
        let _ = d.add(
            &frag(u32::from(id % 8), offset, flags & 1 == 1, &payload),
            Some(f64::from(flags)),
            &mut |_, _| {},
        );
        assert!(d.pending() <= limits.max_pending);
        assert!(d.memory() <= limits.memory_budget + limits.max_datagram);
    }
});
