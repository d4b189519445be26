#![no_main]
//! The whole-head pass (no resumable state) against the resumable scan: on
//! any input (its first 4 KiB), under four configurations, whole and cut
//! in two (at each of the first 32 points, then at 16 spread over the
//! rest: the fuzzer moves the interesting point to the front), the same
//! head, fields, errors and offsets
//! (`sipline::__fuzzing::whole_head_differential`).
use sipline::ParserConfig;

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let input = input.get(..4096).unwrap_or(input);
    let configs = [
        ParserConfig::default(),
        ParserConfig::strict(),
        ParserConfig::lenient(),
        ParserConfig::lenient()
            .max_line_len(64)
            .max_head_len(300)
            .max_headers(4)
            .max_body_len(100),
    ];
    for cfg in &configs {
        let mut split = 1;
        while split < input.len() {
            if let Err(what) = sipline::__fuzzing::whole_head_differential(input, cfg, split) {
                panic!("{what} (split {split})");
            }
            split += if split < 32 {
                1
            } else {
                (input.len() / 16).max(1)
            };
        }
        if let Err(what) = sipline::__fuzzing::whole_head_differential(input, cfg, 0) {
            panic!("{what} (whole)");
        }
    }
});
