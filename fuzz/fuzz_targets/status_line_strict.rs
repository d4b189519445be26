#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sipline::parse_status_line_with(data, &sipline::ParserConfig::strict());
});
