#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sipline::ParserConfig::strict().parse_status_line(data);
});
