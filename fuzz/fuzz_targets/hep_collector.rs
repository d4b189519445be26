#![no_main]
//! What the HEP collector does with a datagram, on any bytes: HEP is read
//! (or refused, never misread), its addresses and payload lie inside what
//! was received, and its message goes through the push source as the
//! collector hands it on, counted once.
use sipline_capture::__fuzzing::hep;
use sipline_capture::{FlowId, PacketSource, ReadOptions, Summary, Transport};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some(h) = hep::parse(data) else { return };
    let inside = |part: &[u8]| {
        let (start, end) = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
        let p = part.as_ptr() as usize;
        part.is_empty() || (p >= start && p + part.len() <= end)
    };
    assert!(inside(h.payload));
    assert!(h.auth_key.is_none_or(inside));
    let mut source = PacketSource::new("hep:fuzz", &ReadOptions::default());
    let mut seen = Summary::default();
    let flow = FlowId {
        transport: Transport::Udp,
        src: h.src,
        dst: h.dst,
    };
    source.push_message(h.time, flow, h.payload, &mut seen);
    source.finish(&mut seen);
    assert!(seen.messages + seen.malformed + seen.skipped.values().sum::<u64>() <= 1);
});
