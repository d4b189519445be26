#![no_main]
//! Raw bytes as a capture file (pcap, pcapng or a raw stream, by magic
//! number): whatever they hold, reading never panics, every location names
//! the input, and the reader ends (with or without an input error).
use sipline::{Error, Message};
use sipline_capture::{read, Location, ReadOptions, Sink, Skip};

struct Check {
    events: usize,
}

impl Check {
    fn at(&mut self, at: &Location<'_>) {
        assert_eq!(at.file, "fuzz.pcap");
        self.events += 1;
    }
}

impl Sink for Check {
    fn message(&mut self, at: &Location<'_>, m: &Message<'_>, wire_len: usize) {
        self.at(at);
        assert!(m.head.len() <= wire_len);
    }
    fn malformed(&mut self, at: &Location<'_>, _: &Error) {
        self.at(at);
    }
    fn skipped(&mut self, at: &Location<'_>, _: Skip) {
        self.at(at);
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut any_port = ReadOptions::default();
    any_port.tcp.max_flows = 8;
    any_port.tcp.reorder_window = 4096;
    any_port.tcp.memory_budget = 64 * 1024;
    any_port.frag.max_pending = 8;
    any_port.frag.memory_budget = 64 * 1024;
    let sip_port = ReadOptions {
        ports: vec![5060],
        ..any_port.clone()
    };
    for opts in [any_port, sip_port] {
        let mut check = Check { events: 0 };
        let _ = read("fuzz.pcap", data, &opts, &mut check);
    }
});
