#![no_main]
//! What the HEP collector does with any bytes. As a datagram: HEP is read
//! (or refused, never misread), its addresses and payload lie inside what
//! was received, and its message goes through the push source as the
//! collector hands it on, counted once. As a TCP stream: cut into HEP3
//! packets the same way whatever the reads, each packet as long as its
//! header says. Sent on (`--hep-send`): what was read, written as HEP3,
//! reads back the same.
use sipline_capture::__fuzzing::{hep, HepFrame, HepStream};
use sipline_capture::{FlowId, PacketSource, ReadOptions, Summary, Transport};

/// The packets of `data` read over TCP in pieces of `step` bytes.
fn packets(data: &[u8], step: usize) -> Vec<Vec<u8>> {
    let mut s = HepStream::default();
    let mut out = Vec::new();
    for piece in data.chunks(step) {
        s.push(piece);
        while let Some(f) = s.next_frame() {
            if let HepFrame::Packet(p) = f {
                assert!(p.starts_with(b"HEP3"));
                assert_eq!(usize::from(u16::from_be_bytes([p[4], p[5]])), p.len());
                out.push(p);
            }
        }
    }
    assert!(s.held() <= data.len());
    out
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let step = usize::from(data.first().copied().unwrap_or(0) % 13) + 1;
    assert_eq!(packets(data, data.len().max(1)), packets(data, step));
    let Some(h) = hep::parse(data) else { return };
    let inside = |part: &[u8]| {
        let (start, end) = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
        let p = part.as_ptr() as usize;
        part.is_empty() || (p >= start && p + part.len() <= end)
    };
    assert!(inside(h.payload));
    assert!(h.auth_key.is_none_or(inside));
    let mut again = Vec::new();
    if hep::encode(&mut again, &h, 1) {
        let back = hep::parse(&again).expect("what encode wrote parses");
        assert_eq!(
            (back.src, back.dst, back.ip_protocol),
            (h.src, h.dst, h.ip_protocol)
        );
        assert_eq!((back.payload, back.auth_key), (h.payload, h.auth_key));
        assert_eq!(back.payload_type, Some(h.payload_type.unwrap_or(1)));
        match (back.time, h.time) {
            (Some(b), Some(t)) if t >= 0.0 && t < f64::from(u32::MAX) => {
                assert!((b - t).abs() <= 1e-6 * t.max(1.0), "{b} {t}")
            }
            _ => {}
        }
    }
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
