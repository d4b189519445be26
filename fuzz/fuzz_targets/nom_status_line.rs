#![no_main]
// The composable nom parsers, strict and lenient; the remaining input is
// always a suffix of the input.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok((rest, _)) = sipline::nom::status_line(data) {
        assert!(rest.len() < data.len());
    }
    let mut strict = sipline::nom::status_line_with(sipline::ParserConfig::strict());
    if let Err(nom::Err::Error(e)) = strict(data) {
        assert!(e.input.len() <= data.len());
    }
});
