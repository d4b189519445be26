//! A counting global allocator proves that parsing allocates nothing.

mod common;

use std::sync::atomic::Ordering;

use sipline::{parse_status_line_with, Parsed, ParserConfig};

#[global_allocator]
static GLOBAL: common::Counting = common::Counting;

#[test]
fn parse_status_line_allocates_nothing() {
    let inputs: Vec<&[u8]> = vec![
        b"SIP/2.0 180 Ringing\r\n",
        b"sip/2.0 200 OK\r\nVia: x\r\n",
        "SIP/2.0 480 Nicht erreichbar – später wieder\r\n".as_bytes(),
        b"SIP/2.0 200 caf\xe9\r\n",
        b"SIP/2.0 18",
        b"SIP/2.0 4294967301 better not break the receiver\r\n",
        b"SIP/2.0  100\n",
    ];
    let configs = [ParserConfig::strict(), ParserConfig::lenient()];
    let before = common::ALLOCS.load(Ordering::SeqCst);
    let mut complete = 0;
    for _ in 0..100 {
        for input in &inputs {
            for cfg in &configs {
                if let Ok(Parsed::Complete { value, .. }) = parse_status_line_with(input, cfg) {
                    complete += usize::from(value.code.as_u16() > 0);
                }
                let _ = sipline::nom::status_line(input);
            }
        }
    }
    let after = common::ALLOCS.load(Ordering::SeqCst);
    assert_eq!(after - before, 0, "allocations while parsing");
    assert!(complete > 0);
}
