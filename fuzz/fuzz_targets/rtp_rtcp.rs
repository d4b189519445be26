#![no_main]
//! RTP and RTCP on any bytes (`sipline_capture::media`): no panic; a
//! payload lies inside the packet; RTCP packets come one after another
//! inside the datagram and stop at the first error. The input cut into
//! RTP packets (the first byte says how long each is) feeds one stream:
//! its figures stay consistent (lost = expected - received, duplicates and
//! errors no more than packets, jitter finite and not negative). The same
//! packets through a stream table, every RTCP datagram among them filed
//! with its stream: round trips never negative.
use sipline_capture::media::{
    is_rtcp, parse_rtcp, parse_rtp, xr_voip_metrics, MediaLimits, RtcpPacket, RtpStreams,
    StreamStats,
};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(h) = parse_rtp(data) {
        let (start, end) = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
        let p = h.payload.as_ptr() as usize;
        assert!(h.payload.is_empty() || (p >= start + 12 && p + h.payload.len() <= end));
        assert!(h.payload_type < 128);
    }
    let _ = is_rtcp(data);
    let mut seen_error = false;
    for p in parse_rtcp(data) {
        assert!(!seen_error, "a packet after an error");
        match p {
            Ok(
                RtcpPacket::SenderReport { blocks, .. } | RtcpPacket::ReceiverReport { blocks, .. },
            ) => {
                assert!(blocks.count() <= 31);
            }
            Ok(RtcpPacket::Other { bytes, .. }) => {
                assert!(bytes.len() >= 4 && bytes.len() % 4 == 0);
                for m in xr_voip_metrics(bytes) {
                    if let Err((_, at)) = m {
                        assert!(at <= bytes.len());
                    }
                }
            }
            Err((_, at)) => {
                assert!(at <= data.len());
                seen_error = true;
            }
        }
    }
    let mut s = StreamStats::default();
    let mut table = RtpStreams::new(MediaLimits { max_streams: 4 });
    let (a, b) = (
        "192.0.2.1:4000".parse().unwrap(),
        "192.0.2.2:5000".parse().unwrap(),
    );
    let mut rest = data;
    let mut t = 0.0;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (pkt, more) = tail.split_at(n);
        rest = more;
        t += f64::from(len) / 1000.0;
        // Odd lengths go one way, even the other.
        let (src, dst) = if len % 2 == 0 { (a, b) } else { (b, a) };
        if is_rtcp(pkt) {
            let _ = table.rtcp(t, src, dst, pkt);
        } else if let Ok(h) = parse_rtp(pkt) {
            s.packet(t, &h, Some(8000));
            table.packet(t, src, dst, &h, Some(8000));
        }
    }
    assert!(table.len() <= 4);
    for (_, st) in table.streams() {
        if let Some((mean, max)) = st.rtt_ms() {
            assert!(mean >= 0.0 && max >= mean - 1e-9, "{mean} {max}");
        }
    }
    if s.packets() > 0 {
        assert!(s.expected() >= 1);
        assert_eq!(s.lost(), s.expected() as i64 - s.packets() as i64);
        assert!(s.duplicates() <= s.packets() && s.seq_errors() <= s.packets() + s.duplicates());
        let j = s.jitter_ms().unwrap();
        assert!(j.is_finite() && j >= 0.0 && s.max_jitter_ms().unwrap() >= 0.0);
        assert!(s.max_delta_ms() >= 0.0 && (0.0..=100.0).contains(&s.loss_pct()));
    }
});
