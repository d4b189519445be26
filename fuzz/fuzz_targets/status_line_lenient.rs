#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sipline::ParserConfig::lenient().parse_status_line(data);
});
