#![no_main]
//! The SSE2 scans of the crate's one `unsafe` module give what the plain
//! byte-by-byte references give, on any bytes, from each of the first 17
//! offsets (so that every byte meets every lane and block edge).
use sipline::__fuzzing::{find_line_stop, find_line_stop_scalar, reason_run, reason_run_scalar};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for skip in 0..=16 {
        let Some(hay) = data.get(skip..) else { break };
        assert_eq!(find_line_stop(hay), find_line_stop_scalar(hay));
        for high_ok in [false, true] {
            assert_eq!(reason_run(hay, high_ok), reason_run_scalar(hay, high_ok));
        }
    }
});
