//! For any sequence of generated messages (bodies holding status lines,
//! keep-alives between them, folded headers, compact names) and any chunking
//! of their bytes, the decoder yields exactly the frames it yields for the
//! whole buffer: nothing lost, duplicated or merged.

mod common;

use bytes::BytesMut;
use proptest::prelude::*;
use sipline::{Frame, ParserConfig, StreamDecoder};

fn stream(seed: u64, count: usize, pings: &[bool]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut rng = common::Rng(seed | 1);
    let mut bytes = Vec::new();
    let mut msgs = Vec::new();
    for i in 0..count {
        if pings.get(i).copied().unwrap_or(false) {
            bytes.extend_from_slice(b"\r\n\r\n");
        }
        let m = common::generated_message(i, &mut rng);
        bytes.extend_from_slice(&m);
        msgs.push(m);
    }
    (bytes, msgs)
}

fn frames(cfg: ParserConfig, bytes: &[u8], cuts: &[usize]) -> Vec<(u64, Option<Vec<u8>>)> {
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(bytes.len());
    points.sort_unstable();
    let mut at = 0;
    for p in points {
        buf.extend_from_slice(&bytes[at..p]);
        at = p;
        while let Some(f) = dec.decode(&mut buf).expect("valid stream") {
            out.push(match f {
                Frame::Message(m) => (m.offset(), Some(m.as_bytes().to_vec())),
                Frame::KeepAlive { offset } => (offset, None),
            });
        }
    }
    assert!(buf.is_empty());
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_chunking_gives_the_same_frames(
        seed in any::<u64>(),
        count in 1usize..12,
        pings in proptest::collection::vec(any::<bool>(), 12),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let (bytes, msgs) = stream(seed, count, &pings);
        for cfg in [ParserConfig::strict(), ParserConfig::lenient()] {
            let whole = frames(cfg, &bytes, &[]);
            let chunked = frames(cfg, &bytes, &cuts);
            prop_assert_eq!(&whole, &chunked);
            let got: Vec<Vec<u8>> = whole.iter().filter_map(|(_, m)| m.clone()).collect();
            prop_assert_eq!(&got, &msgs);
            let n_pings = pings.iter().take(count).filter(|p| **p).count();
            prop_assert_eq!(whole.len(), count + n_pings);
        }
    }
}
