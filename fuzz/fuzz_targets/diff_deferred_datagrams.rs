#![no_main]
//! Raw bytes as a capture, read twice: once as is, and once by a sink that
//! takes every datagram over (`Sink::datagram`) and parses it only after
//! the whole capture was read (`deliver_datagram`), as `stats --threads`
//! does on other threads. Putting the deferred datagrams back in their
//! place must give the same events, in the same order, at the same
//! locations.
use sipline::{Error, Message, ParserConfig};
use sipline_capture::{deliver_datagram, read, FlowId, Location, ReadOptions, Sink, Skip};

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Message(String, usize, Loc),
    Malformed(Error, Loc),
    Skipped(Skip, Loc),
    SkippedBytes(Skip, u64, Loc),
    /// A datagram taken over: its payload, location and `sniff`.
    Deferred(Vec<u8>, Loc, bool),
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Loc {
    frame: Option<u64>,
    offset: u64,
    flow: Option<FlowId>,
    time: Option<f64>,
}

impl Loc {
    fn of(at: &Location<'_>) -> Loc {
        assert_eq!(at.file, "fuzz.pcap");
        Loc {
            frame: at.frame,
            offset: at.offset,
            flow: at.flow,
            time: at.time,
        }
    }
}

struct Recorder {
    defer: bool,
    events: Vec<Event>,
}

impl Sink for Recorder {
    fn message(&mut self, at: &Location<'_>, m: &Message<'_>, wire_len: usize) {
        let line = String::from_utf8_lossy(m.head.as_bytes()).into_owned();
        self.events
            .push(Event::Message(line, wire_len, Loc::of(at)));
    }
    fn malformed(&mut self, at: &Location<'_>, e: &Error) {
        self.events.push(Event::Malformed(*e, Loc::of(at)));
    }
    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        self.events.push(Event::Skipped(what, Loc::of(at)));
    }
    fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        self.events.push(Event::SkippedBytes(what, n, Loc::of(at)));
    }
    fn datagram(&mut self, at: &Location<'_>, payload: &[u8], sniff: bool) -> bool {
        if self.defer {
            self.events
                .push(Event::Deferred(payload.to_vec(), Loc::of(at), sniff));
        }
        self.defer
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut opts = ReadOptions::default();
    opts.tcp.max_flows = 8;
    opts.tcp.reorder_window = 4096;
    opts.tcp.memory_budget = 64 * 1024;
    opts.frag.max_pending = 8;
    opts.frag.memory_budget = 64 * 1024;
    let config: ParserConfig = opts.config;
    let mut direct = Recorder {
        defer: false,
        events: Vec::new(),
    };
    let r1 = read("fuzz.pcap", data, &opts, &mut direct).map_err(|e| e.to_string());
    let mut deferred = Recorder {
        defer: true,
        events: Vec::new(),
    };
    let r2 = read("fuzz.pcap", data, &opts, &mut deferred).map_err(|e| e.to_string());
    assert_eq!(r1, r2);
    // Each deferred datagram delivered now, in its place.
    let mut replayed = Recorder {
        defer: false,
        events: Vec::new(),
    };
    for event in deferred.events {
        match event {
            Event::Deferred(payload, loc, sniff) => {
                let mut at = Location {
                    file: "fuzz.pcap",
                    frame: loc.frame,
                    offset: loc.offset,
                    flow: loc.flow,
                    time: loc.time,
                };
                deliver_datagram(&mut at, &payload, sniff, &config, &mut replayed);
            }
            other => replayed.events.push(other),
        }
    }
    assert_eq!(direct.events, replayed.events);
});
