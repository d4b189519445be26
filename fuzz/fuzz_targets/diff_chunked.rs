#![no_main]
//! Whole versus chunked: the fuzzer picks the split points (the first byte
//! says how many, each next byte a chunk size) and the stream. The decoder
//! must give the same frames and the same error either way.
use bytes::BytesMut;
use sipline::{Error, Frame, ParserConfig, StreamDecoder};

fn run(cfg: ParserConfig, data: &[u8], sizes: &[u8]) -> (Vec<Frame>, Option<Error>) {
    let mut dec = StreamDecoder::new(cfg);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut at = 0;
    let mut k = 0;
    while at < data.len() {
        let n = if sizes.is_empty() {
            data.len()
        } else {
            usize::from(sizes[k % sizes.len()]).max(1)
        };
        k += 1;
        let end = (at + n).min(data.len());
        buf.extend_from_slice(&data[at..end]);
        at = end;
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(f)) => frames.push(f),
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len());
    let (sizes, data) = rest.split_at(n);
    for cfg in [
        ParserConfig::strict(),
        ParserConfig::lenient().max_line_len(64).max_head_len(300),
    ] {
        let whole = run(cfg, data, &[]);
        let chunked = run(cfg, data, sizes);
        let bytewise = run(cfg, data, &[1]);
        assert_eq!(whole, chunked, "sizes {sizes:?}");
        assert_eq!(whole, bytewise);
    }
});
