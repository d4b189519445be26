#![no_main]
//! The call engine on any sequence of messages: the input is cut at each
//! `\x00\x00` into datagrams, each one (when it parses) fed at a capture
//! time taken from its first byte. No panic; every record is consistent
//! (delays not negative, an open call is established, durations only on
//! established calls) and memory stays within the cap.
use sipline::{parse_datagram, Datagram, ParserConfig};
use sipline_calls::{CallLimits, CallTracker, Metrics, Outcome};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut t = CallTracker::new(CallLimits {
        max_calls: 4,
        ..CallLimits::default()
    });
    let mut time = 0.0;
    let mut metrics = Metrics::default();
    for part in data.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        time += f64::from(part[0] % 64) * 0.25;
        if let Ok(Datagram::Message(m)) = parse_datagram(part, &ParserConfig::lenient()) {
            t.message(time, None, &m);
        }
        assert!(t.open() <= 4 * 32, "attempts held: {}", t.open());
        for r in t.drain() {
            metrics.add(&r);
        }
    }
    let (records, regs) = t.finish_all();
    for r in &records {
        metrics.add(r);
        for v in [r.srd_ms, r.pdd_ms, r.duration_ms, r.disconnect_ms]
            .into_iter()
            .flatten()
        {
            assert!(v >= 0.0, "{r:?}");
        }
        if r.open_at_end || r.duration_ms.is_some() {
            assert_eq!(r.outcome, Outcome::Established, "{r:?}");
        }
    }
    for v in [
        metrics.ser(),
        metrics.seer(),
        metrics.isa(),
        metrics.scr(),
        metrics.asr(),
        metrics.ner(),
        regs.ira(),
    ]
    .into_iter()
    .flatten()
    {
        assert!((0.0..=100.0).contains(&v), "{v}");
    }
});
