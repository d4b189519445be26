//! RTP streams with impairments the test states (loss at random and in
//! bursts, jitter, reordering, duplicates, sequence and timestamp wrap),
//! written to a capture: `sipline_capture::media` gives back what was put
//! in, the capture readers offer every packet as media (`Sink::media`, one
//! thread and the parallel pipeline alike), and the figures read from the
//! capture agree with tshark's `-z rtp,streams` on it (packets and lost
//! exactly, max delta and jitter within 0.01 ms).
//!
//! tshark is required when `SIPLINE_REQUIRE` names `tshark` (CI sets `all`).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::net::SocketAddr;

use sipline_capture::media::{is_rtcp, parse_rtp, MediaLimits, RtpStreams};
use sipline_capture::parallel::{Options, Pipeline, Replay};
use sipline_capture::{read_path, Location, ReadOptions, Sink, Skip};

/// The RTP streams of what a reader offers as media ([`Sink::media`]).
#[derive(Default)]
struct Media {
    streams: RtpStreams,
    sip: usize,
    rtcp: usize,
}

impl Sink for Media {
    fn message(&mut self, _: &Location<'_>, _: &sipline::Message<'_>, _: usize) {
        self.sip += 1;
    }
    fn malformed(&mut self, _: &Location<'_>, _: &sipline::Error) {}
    fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
    fn media(&mut self, at: &Location<'_>, payload: &[u8]) {
        if is_rtcp(payload) {
            self.rtcp += 1;
            return;
        }
        let (Some(flow), Some(time), Ok(h)) = (at.flow, at.time, parse_rtp(payload)) else {
            return;
        };
        let rate = sipline::sdp::static_payload(h.payload_type).map(|(_, r)| r);
        self.streams.packet(time, flow.src, flow.dst, &h, rate);
    }
}

/// Every stream's figures, as text: the counts exactly, the times to the
/// microsecond (a capture holds microseconds; a hand-fed time is finer).
fn figures(streams: &RtpStreams) -> Vec<String> {
    streams
        .streams()
        .into_iter()
        .map(|(k, s)| {
            format!(
                "{k:?} {} {} {} {} {:.3} {:.3} {:.3} {:.6}",
                s.packets(),
                s.expected(),
                s.duplicates(),
                s.seq_errors(),
                s.max_jitter_ms().unwrap_or(-1.0),
                s.mean_jitter_ms().unwrap_or(-1.0),
                s.max_delta_ms(),
                s.span().0
            )
        })
        .collect()
}

/// One stream to generate: its impairments.
struct Spec {
    name: &'static str,
    src: SocketAddr,
    dst: SocketAddr,
    ssrc: u32,
    pt: u8,
    first_seq: u16,
    first_ts: u32,
    packets: u32,
    /// Sent packets dropped (indexes into the sent sequence).
    drop: fn(u32, &mut common::Rng) -> bool,
    /// And every `n`th packet (the third of each `n`; 0: none).
    drop_every: u32,
    /// Up to this many ms added to each packet's arrival.
    jitter_ms: u32,
    /// Every `n`th packet swapped with the next (0: none).
    swap_every: u32,
    /// Every `n`th packet sent twice (0: none).
    dup_every: u32,
}

/// A packet as it arrives: time, from, to, RTP bytes.
type Arrival = (f64, SocketAddr, SocketAddr, Vec<u8>);

fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

/// The arrivals of a stream, and what it should read as: (received,
/// expected, duplicates).
fn generate(s: &Spec, rng: &mut common::Rng, start: f64) -> (Vec<Arrival>, (u64, u64, u64)) {
    let mut sent: Vec<(f64, u32)> = Vec::new();
    for i in 0..s.packets {
        if (s.drop)(i, rng) || (s.drop_every > 0 && i % s.drop_every == 2) {
            continue;
        }
        let noise = if s.jitter_ms > 0 {
            rng.below(s.jitter_ms as usize * 1000) as f64 / 1e6
        } else {
            0.0
        };
        sent.push((start + f64::from(i) * 0.020 + noise, i));
        if s.dup_every > 0 && i % s.dup_every == s.dup_every - 1 {
            sent.push((start + f64::from(i) * 0.020 + noise + 0.001, i));
        }
    }
    // Arrival order: by time (the jitter can reorder), then swaps.
    sent.sort_by(|a, b| a.0.total_cmp(&b.0));
    if s.swap_every > 0 {
        let mut k = s.swap_every as usize;
        while k < sent.len() {
            let (t0, t1) = (sent[k - 1].0, sent[k].0);
            sent.swap(k - 1, k);
            sent[k - 1].0 = t0;
            sent[k].0 = t1;
            k += s.swap_every as usize;
        }
    }
    let received = sent.len() as u64;
    let mut distinct: Vec<u32> = sent.iter().map(|p| p.1).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let dups = received - distinct.len() as u64;
    let expected = u64::from(distinct.last().unwrap() - distinct.first().unwrap() + 1);
    let arrivals = sent
        .into_iter()
        .map(|(t, i)| {
            let seq = s.first_seq.wrapping_add(i as u16);
            let ts = s.first_ts.wrapping_add(i * 160);
            (t, s.src, s.dst, rtp(s.pt, seq, ts, s.ssrc))
        })
        .collect();
    (arrivals, (received, expected, dups))
}

/// A pcap (Ethernet) of UDP datagrams with microsecond times.
fn capture(arrivals: &[Arrival]) -> Vec<u8> {
    let mut f = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for (t, src, dst, payload) in arrivals {
        let (SocketAddr::V4(s), SocketAddr::V4(d)) = (src, dst) else {
            unreachable!()
        };
        let mut frame = Vec::new();
        etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(s.ip().octets(), d.ip().octets(), 64)
            .udp(s.port(), d.port())
            .write(&mut frame, payload)
            .unwrap();
        let secs = t.floor();
        let micros = ((t - secs) * 1e6).round() as u32;
        for v in [secs as u32, micros, frame.len() as u32, frame.len() as u32] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(&frame);
    }
    f
}

fn specs() -> Vec<Spec> {
    let a: SocketAddr = "10.0.0.1:40000".parse().unwrap();
    let b: SocketAddr = "10.0.0.2:50000".parse().unwrap();
    let c: SocketAddr = "10.0.0.3:52000".parse().unwrap();
    let none = |_: u32, _: &mut common::Rng| false;
    vec![
        Spec {
            name: "clean",
            src: a,
            dst: b,
            ssrc: 0x1111,
            pt: 0,
            first_seq: 100,
            first_ts: 1000,
            packets: 500,
            drop: none,
            jitter_ms: 0,
            swap_every: 0,
            dup_every: 0,
            drop_every: 0,
        },
        Spec {
            name: "random 5 % loss, 8 ms jitter",
            src: b,
            dst: a,
            ssrc: 0x2222,
            pt: 8,
            first_seq: 7,
            first_ts: 99,
            packets: 1000,
            drop: |i, r| i > 0 && i < 999 && r.below(100) < 5,
            jitter_ms: 8,
            swap_every: 0,
            dup_every: 0,
            drop_every: 0,
        },
        Spec {
            name: "bursts of 10 every 100",
            src: a,
            dst: c,
            ssrc: 0x3333,
            pt: 0,
            first_seq: 1,
            first_ts: 0,
            packets: 1000,
            drop: |i, _| i % 100 >= 50 && i % 100 < 60,
            jitter_ms: 0,
            swap_every: 0,
            dup_every: 0,
            drop_every: 0,
        },
        Spec {
            name: "sequence and timestamp wrap, reordering",
            src: c,
            dst: a,
            ssrc: 0x4444,
            pt: 8,
            first_seq: 65_000,
            first_ts: u32::MAX - 50_000,
            packets: 1500,
            drop: none,
            jitter_ms: 2,
            swap_every: 37,
            dup_every: 0,
            drop_every: 0,
        },
        Spec {
            name: "duplicates",
            src: c,
            dst: b,
            ssrc: 0x5555,
            pt: 0,
            first_seq: 300,
            first_ts: 5,
            packets: 400,
            drop: none,
            jitter_ms: 0,
            swap_every: 0,
            dup_every: 25,
            drop_every: 0,
        },
    ]
}

#[test]
fn streams_read_what_was_put_in_and_what_tshark_reads() {
    let mut rng = common::Rng(7);
    let mut all = Vec::new();
    let mut want = Vec::new();
    for (i, s) in specs().iter().enumerate() {
        let (arrivals, figures) = generate(s, &mut rng, 1_700_000_000.0 + i as f64 * 0.003);
        want.push((s.name, s.ssrc, figures));
        all.extend(arrivals);
    }
    all.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut streams = RtpStreams::new(MediaLimits::default());
    for (t, src, dst, bytes) in &all {
        let h = parse_rtp(bytes).unwrap();
        streams.packet(*t, *src, *dst, &h, Some(8000));
    }
    assert_eq!(streams.len(), want.len());
    for (name, ssrc, (received, expected, dups)) in &want {
        let (_, s) = streams
            .streams()
            .into_iter()
            .find(|(k, _)| k.ssrc == *ssrc)
            .unwrap();
        assert_eq!(
            (s.packets(), s.expected(), s.duplicates()),
            (*received, *expected, *dups),
            "{name}"
        );
        assert_eq!(s.lost(), *expected as i64 - *received as i64, "{name}");
    }

    let path = common::write_temp("rtp-impairments.pcap", &capture(&all));
    // Read back from the capture, on one thread and through the parallel
    // pipeline: the same streams as fed by hand (capture times are to the
    // microsecond, as the generator's are).
    let name = path.to_str().unwrap();
    let mut one = Media::default();
    read_path(name, &ReadOptions::default(), &mut one).unwrap();
    let opts = Options {
        threads: 2,
        ..Options::default()
    };
    let mut run = Pipeline::start(&opts, || (), Replay(Media::default()));
    read_path(name, &ReadOptions::default(), &mut run).unwrap();
    let Replay(two) = run.finish().unwrap();
    assert_eq!((one.sip, one.rtcp, two.sip), (0, 0, 0));
    assert_eq!(figures(&one.streams), figures(&streams));
    assert_eq!(figures(&two.streams), figures(&streams));
    if !common::have_program(
        &common::TSHARK,
        "tshark",
        &["-v"],
        "tshark's rtp,streams beside sipline's",
    ) {
        return;
    }
    let rows = tshark_streams(&path);
    assert_eq!(rows.len(), want.len(), "{rows:?}");
    agree_with_tshark(&one.streams, rows, |_| {});
}

#[test]
fn bad_packets_say_what_and_where() {
    use sipline_capture::media::{is_rtcp, parse_rtcp, RtcpPacket, RtpError};
    let good = rtp(0, 1, 160, 9);
    assert_eq!(parse_rtp(&good[..11]), Err((RtpError::Short, 11)));
    assert_eq!(parse_rtp(&[]), Err((RtpError::Short, 0)));
    let mut v1 = good.clone();
    v1[0] = 0x40;
    assert_eq!(parse_rtp(&v1), Err((RtpError::Version, 0)));
    // 15 CSRCs in a 20-byte packet.
    let mut csrc = good[..20].to_vec();
    csrc[0] = 0x8f;
    assert_eq!(parse_rtp(&csrc), Err((RtpError::CsrcPastEnd, 12)));
    // An extension of 100 words; one that fits.
    let mut ext = good[..20].to_vec();
    ext[0] = 0x90;
    ext[12..16].copy_from_slice(&[0xbe, 0xde, 0, 100]);
    assert_eq!(parse_rtp(&ext), Err((RtpError::ExtensionPastEnd, 12)));
    ext[15] = 1;
    assert_eq!(parse_rtp(&ext).unwrap().payload.len(), 0);
    // Padding: 0, past the payload, and right.
    let mut pad = good.clone();
    pad[0] = 0xa0;
    *pad.last_mut().unwrap() = 0;
    assert_eq!(parse_rtp(&pad), Err((RtpError::Padding, pad.len() - 1)));
    *pad.last_mut().unwrap() = 200;
    assert_eq!(parse_rtp(&pad).unwrap_err().0, RtpError::Padding);
    *pad.last_mut().unwrap() = 4;
    let h = parse_rtp(&pad).unwrap();
    assert_eq!((h.payload.len(), h.marker, h.csrc_count), (156, false, 0));
    assert_eq!(RtpError::Padding.name(), "rtp-padding");
    assert_eq!(RtpError::Version.to_string(), "RTP version is not 2");

    // RTCP: an SR with one block, then an SDES, then a BYE whose length
    // runs past the datagram.
    let mut sr = vec![0x81, 200, 0, 12];
    for w in [7u32, 0xe000_0000, 0x8000_0000, 160, 50, 8000] {
        sr.extend_from_slice(&w.to_be_bytes());
    }
    for w in [9u32, 0x10ff_fffe, 65_600, 80, 0x1234_5678, 65_536] {
        sr.extend_from_slice(&w.to_be_bytes());
    }
    sr.extend_from_slice(&[0x81, 202, 0, 1, 0, 0, 0, 7]);
    assert!(is_rtcp(&sr) && !is_rtcp(&good));
    let mut packets = parse_rtcp(&sr);
    let Some(Ok(RtcpPacket::SenderReport {
        ssrc,
        ntp,
        packets: sent,
        octets,
        mut blocks,
        ..
    })) = packets.next()
    else {
        panic!()
    };
    assert_eq!((ssrc, ntp >> 32, sent, octets), (7, 0xe000_0000, 50, 8000));
    let b = blocks.next().unwrap();
    // A 24-bit cumulative loss of 0xfffffe is -2 (duplicates).
    assert_eq!(
        (b.ssrc, b.fraction_lost, b.cumulative_lost, b.highest_seq),
        (9, 0x10, -2, 65_600)
    );
    assert_eq!((b.jitter, b.lsr, b.dlsr), (80, 0x1234_5678, 65_536));
    assert!(blocks.next().is_none());
    assert!(matches!(
        packets.next(),
        Some(Ok(RtcpPacket::Other {
            packet_type: 202,
            ..
        }))
    ));
    assert!(packets.next().is_none());
    let mut bad = sr.clone();
    bad.extend_from_slice(&[0x80, 203, 0, 9, 0, 0, 0, 7]);
    let errors: Vec<_> = parse_rtcp(&bad).filter_map(Result::err).collect();
    assert_eq!(errors, [(RtpError::RtcpLength, sr.len() + 2)]);
    // An RR that claims 3 blocks in 1 block's length; a wrong version; a
    // stub.
    let mut rr = vec![0x83, 201, 0, 7, 0, 0, 0, 1];
    rr.extend_from_slice(&[0; 24]);
    assert_eq!(parse_rtcp(&rr).next(), Some(Err((RtpError::RtcpLength, 8))));
    assert_eq!(
        parse_rtcp(&[0x41, 201, 0, 1, 0, 0, 0, 0]).next(),
        Some(Err((RtpError::Version, 0)))
    );
    assert_eq!(
        parse_rtcp(&[0x80, 201]).next(),
        Some(Err((RtpError::Short, 2)))
    );
    assert_eq!(
        parse_rtcp(&[0x80, 200, 0, 0]).next(),
        Some(Err((RtpError::Short, 4)))
    );
}

#[test]
fn streams_are_bounded_and_restart_after_a_jump() {
    use sipline_capture::media::StreamStats;
    let a: SocketAddr = "10.0.0.1:4000".parse().unwrap();
    let mut streams = RtpStreams::new(MediaLimits { max_streams: 2 });
    for ssrc in 0..5u32 {
        let p = rtp(0, 1, 0, ssrc);
        streams.packet(0.0, a, a, &parse_rtp(&p).unwrap(), None);
    }
    assert_eq!(
        (streams.len(), streams.refused(), streams.is_empty()),
        (2, 3, false)
    );
    let (_, s) = streams.streams()[0];
    assert_eq!(
        (s.jitter_ms(), s.mean_jitter_ms(), s.max_jitter_ms()),
        (None, None, None)
    );
    assert_eq!(
        (s.mean_delta_ms(), s.loss_pct(), s.bytes()),
        (0.0, 0.0, 160)
    );

    // A jump of 20 000 then the packet after it: RFC 3550 A.1 restarts the
    // count there; one jump alone is a sequence error.
    let mut s = StreamStats::default();
    let feed = |s: &mut StreamStats, seq: u16, t: f64| {
        s.packet(
            t,
            &parse_rtp(&rtp(8, seq, u32::from(seq) * 160, 1)).unwrap(),
            Some(8000),
        );
    };
    for seq in 1..=10 {
        feed(&mut s, seq, f64::from(seq) * 0.02);
    }
    feed(&mut s, 20_000, 0.22);
    assert_eq!((s.packets(), s.seq_errors(), s.expected()), (11, 1, 10));
    feed(&mut s, 20_001, 0.24);
    // The new sequence starts at the jump: 2 more expected, none lost.
    assert_eq!((s.packets(), s.expected(), s.lost()), (12, 12, 0));
    feed(&mut s, 20_003, 0.26);
    assert_eq!((s.packets(), s.expected(), s.lost()), (13, 14, 1));
    assert!((s.loss_pct() - 100.0 / 14.0).abs() < 1e-9);
    assert_eq!(s.payload_type(), (8, 1));
    feed(&mut s, 19_999, 0.28); // late, before the jump: the new sequence starts earlier
    assert_eq!((s.expected(), s.seq_errors(), s.lost()), (15, 2, 1));
    assert_eq!(s.span(), (0.02, 0.28));
}

#[test]
fn mos_falls_as_loss_rises_as_g107_says() {
    use sipline_capture::media::{codec_impairment, mos, r_factor, StreamStats};
    // G.107 Annex B's mapping at the points it is usually quoted at.
    for (r, want) in [
        (50.0, 2.58),
        (60.0, 3.10),
        (70.0, 3.60),
        (80.0, 4.02),
        (90.0, 4.34),
        (93.2, 4.41),
    ] {
        assert!((mos(r) - want).abs() < 0.006, "R {r}: {}", mos(r));
    }
    assert_eq!(
        (mos(0.0), mos(-3.0), mos(100.0), mos(f64::NAN)),
        (1.0, 1.0, 4.5, 1.0)
    );
    let g711 = codec_impairment("pcmu").unwrap();
    assert_eq!(
        codec_impairment("G729").map(|c| (c.ie, c.bpl)),
        Some((11.0, 19.0))
    );
    assert_eq!(
        codec_impairment("G723").map(|c| (c.ie, c.bpl)),
        Some((15.0, 16.1))
    );
    assert_eq!(codec_impairment("speex"), None);
    // Ie,eff = 95 · 1 / (1 + 25.1) at 1 % random loss; Id at 200 ms.
    assert!((93.2 - r_factor(g711, 1.0, 1.0, 0.0) - 95.0 / 26.1).abs() < 1e-9);
    let id = 0.024 * 200.0 + 0.11 * (200.0 - 177.3);
    assert!((93.2 - r_factor(g711, 0.0, 1.0, 200.0) - id).abs() < 1e-9);
    // Bursty loss hurts more than random loss of the same rate.
    assert!(r_factor(g711, 5.0, 2.0, 0.0) < r_factor(g711, 5.0, 1.0, 0.0));

    // Streams of 1 000 packets, every k-th dropped: the loss measured is
    // the loss put in, and MOS falls with it.
    let a: SocketAddr = "10.0.0.1:4000".parse().unwrap();
    let mut last = f64::INFINITY;
    println!("| loss put in | measured | R (G.711, 80 ms) | MOS |");
    for every in [0u32, 100, 50, 20, 10, 5] {
        let spec = Spec {
            name: "loss",
            src: a,
            dst: a,
            ssrc: every,
            pt: 0,
            first_seq: 0,
            first_ts: 0,
            packets: 1000,
            drop: |_, _| false,
            drop_every: every,
            jitter_ms: 0,
            swap_every: 0,
            dup_every: 0,
        };
        let (arrivals, _) = generate(&spec, &mut common::Rng(1), 0.0);
        let mut s = StreamStats::default();
        for (t, _, _, p) in &arrivals {
            s.packet(*t, &parse_rtp(p).unwrap(), Some(8000));
        }
        let put_in = if every == 0 {
            0.0
        } else {
            100.0 / f64::from(every)
        };
        assert!(
            (s.effective_loss_pct() - put_in).abs() < 0.15,
            "{every}: {}",
            s.effective_loss_pct()
        );
        let r = s.r_factor(g711, 80.0);
        assert!((r - r_factor(g711, s.effective_loss_pct(), 1.0, 80.0)).abs() < 1e-9);
        println!(
            "| {put_in:.0} % | {:.1} % | {r:.1} | {:.2} |",
            s.effective_loss_pct(),
            mos(r)
        );
        assert!(mos(r) < last, "{every}");
        last = mos(r);
    }

    // A 100 ms stall: the packets held behind it come later than a 60 ms
    // buffer plays them (discarded), not lost.
    let mut s = StreamStats::default();
    for i in 0..100u32 {
        let late = if (40..45).contains(&i) {
            0.100 - f64::from(i - 40) * 0.02
        } else {
            0.0
        };
        let t = f64::from(i) * 0.02 + late.max(0.0);
        s.packet(
            t,
            &parse_rtp(&rtp(0, i as u16, i * 160, 1)).unwrap(),
            Some(8000),
        );
    }
    assert_eq!((s.lost(), s.discarded()), (0, 2));
    assert!((s.effective_loss_pct() - 2.0).abs() < 1e-9);
}

/// A row of tshark's `-z rtp,streams`: (source port, SSRC) → (packets,
/// lost, max delta, max jitter, mean jitter).
type TsharkRow = ((u16, u32), (u64, i64, f64, f64, f64));

/// The streams of tshark's `-z rtp,streams` on `path`.
fn tshark_streams(path: &std::path::Path) -> Vec<TsharkRow> {
    let out = std::process::Command::new("tshark")
        .args([
            "-q",
            "-n",
            "-o",
            "rtp.heuristic_rtp:TRUE",
            "-z",
            "rtp,streams",
            "-r",
        ])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut rows = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(port), Some(ssrc)) = (
            f.get(3).and_then(|p| p.parse().ok()),
            f.get(6)
                .and_then(|s| u32::from_str_radix(s.strip_prefix("0x")?, 16).ok()),
        ) else {
            continue;
        };
        // Start, end, src, port, dst, port, SSRC, payload name (one word),
        // packets, lost, (lost %), min/mean/max delta, min/mean/max jitter.
        let n = |i: usize| {
            f.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        rows.push((
            (port, ssrc),
            (n(8) as u64, n(9) as i64, n(13), n(16), n(15)),
        ));
    }
    rows
}

/// Each of tshark's rows has its stream in `streams` (`each` checks its key
/// too), with the same packets and lost, and max delta, max and mean jitter
/// within 0.01 ms. tshark has no clock rate for a dynamic payload type
/// without the SDP (it prints 0): sipline gives none either.
fn agree_with_tshark(
    streams: &RtpStreams,
    rows: Vec<TsharkRow>,
    mut each: impl FnMut(&sipline_capture::media::StreamKey),
) {
    for ((port, ssrc), (packets, lost, max_delta, max_jitter, mean_jitter)) in rows {
        let (key, s) = streams
            .streams()
            .into_iter()
            .find(|(k, _)| k.src.port() == port && k.ssrc == ssrc)
            .unwrap_or_else(|| panic!("no stream {port} {ssrc:#x}"));
        println!(
            "{key:?}: sipline {} packets, lost {}, max delta {:.3}, jitter max {:?} mean {:?}; \
             tshark {packets}, {lost}, {max_delta}, {max_jitter}, {mean_jitter}",
            s.packets(),
            s.lost(),
            s.max_delta_ms(),
            s.max_jitter_ms(),
            s.mean_jitter_ms()
        );
        each(key);
        assert_eq!((s.packets(), s.lost()), (packets, lost), "{key:?}");
        assert!(
            (s.max_delta_ms() - max_delta).abs() < 0.01,
            "{key:?} {max_delta}"
        );
        match (s.max_jitter_ms(), s.mean_jitter_ms()) {
            (Some(max), Some(mean)) => {
                assert!(
                    (max - max_jitter).abs() < 0.01,
                    "{key:?} {max} {max_jitter}"
                );
                assert!(
                    (mean - mean_jitter).abs() < 0.01,
                    "{key:?} {mean} {mean_jitter}"
                );
            }
            _ => assert_eq!((max_jitter, mean_jitter), (0.0, 0.0), "{key:?}"),
        }
    }
}

/// SIPp's `uac_pcap` (Debian's sip-tester plays its G.711 A-law pcap and
/// RFC 2833 digits after the answer) against SIPp's `uas` on loopback,
/// captured by dumpcap: the streams the readers find in the capture are
/// tshark's, packet for packet, and all go one way (SIPp's UAS sends no
/// media).
#[test]
fn sipp_rtp_playback_reads_as_tshark_reads_it() {
    // `sipp -v` exits 99: that it starts is what counts.
    let sipp = std::process::Command::new("sipp").arg("-v").output();
    let why = match &sipp {
        Ok(_) => String::new(),
        Err(e) => format!("`sipp` did not start: {e}"),
    };
    let skipped = "SIPp's RTP playback beside tshark";
    if !common::have(&common::SIPP, sipp.is_ok(), &why, skipped)
        || !common::have_program(&common::TSHARK, "dumpcap", &["-v"], skipped)
        || !common::have_program(&common::TSHARK, "tshark", &["-v"], skipped)
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("sipline-rtp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::os::unix::fs::symlink("/usr/share/sip-tester", dir.join("pcap"));
    let (sip_uas, sip_uac) = (common::free_port(), common::free_port());
    let (media_uas, media_uac) = (common::free_port(), common::free_port());
    let cap = dir.join("sipp-rtp.pcap");
    let filter = format!(
        "udp and (port {sip_uas} or port {sip_uac} or port {media_uas} or portrange {media_uac}-{})",
        media_uac + 10
    );
    let dumpcap = common::dumpcap(&filter, &cap);
    let mut uas = std::process::Command::new("sipp")
        .args([
            "-sn",
            "uas",
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-p",
            &sip_uas.to_string(),
        ])
        .args(["-mp", &media_uas.to_string()])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let uac = std::process::Command::new("sipp")
        .args([
            "-sn",
            "uac_pcap",
            "-i",
            "127.0.0.1",
            "-nostdin",
            "-m",
            "1",
            "-timeout",
            "30s",
        ])
        .args(["-p", &sip_uac.to_string(), "-mp", &media_uac.to_string()])
        .arg(format!("127.0.0.1:{sip_uas}"))
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = uas.kill();
    let _ = uas.wait();
    common::stop_dumpcap(dumpcap);
    assert!(
        uac.status.success(),
        "{}",
        String::from_utf8_lossy(&uac.stdout)
    );

    let mut one = Media::default();
    read_path(cap.to_str().unwrap(), &ReadOptions::default(), &mut one).unwrap();
    // INVITE, 180, 200, ACK, BYE, 200.
    assert_eq!(one.sip, 6, "SIP messages");
    let tshark = tshark_streams(&cap);
    // The audio and the digits.
    assert!(tshark.len() >= 2, "{tshark:?}");
    assert_eq!(
        one.streams.len(),
        tshark.len(),
        "{tshark:?}\n{:?}",
        figures(&one.streams)
    );
    agree_with_tshark(&one.streams, tshark, |key| {
        assert_eq!(
            key.dst.port(),
            media_uas,
            "one way: the UAC's media to the UAS"
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// An RTCP sender report from `ssrc` with NTP time `ntp`.
fn sender_report(ssrc: u32, ntp: u64) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&ntp.to_be_bytes());
    for v in [0u32, 100, 16_000] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p
}

/// An RTCP receiver report from `reporter` with one block about `ssrc`.
fn receiver_report(
    reporter: u32,
    ssrc: u32,
    lost: u32,
    jitter: u32,
    lsr: u32,
    dlsr: u32,
) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    for v in [reporter, ssrc, lost & 0x00ff_ffff, 100, jitter, lsr, dlsr] {
        p.extend_from_slice(&v.to_be_bytes());
    }
    p
}

/// An RTCP XR from `reporter` with one VoIP Metrics block about `ssrc`.
fn xr_voip(reporter: u32, ssrc: u32) -> Vec<u8> {
    let mut p = vec![0x80, 207, 0, 10];
    p.extend_from_slice(&reporter.to_be_bytes());
    p.extend_from_slice(&[7, 0, 0, 8]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[
        5, 2, 0, 0, 0, 0, 0, 0, 0, 40, 0, 30, 0, 0, 0, 0, 90, 127, 43, 41,
    ]);
    p.extend_from_slice(&[0; 8]);
    p
}

#[test]
fn rtcp_reports_are_filed_with_their_stream_and_time_the_round_trip() {
    let a: SocketAddr = "10.0.0.1:4000".parse().unwrap();
    let b: SocketAddr = "10.0.0.2:5000".parse().unwrap();
    let (a_rtcp, b_rtcp): (SocketAddr, SocketAddr) = (
        "10.0.0.1:4001".parse().unwrap(),
        "10.0.0.2:5001".parse().unwrap(),
    );
    let start = 1_700_000_000.0;
    let mut arrivals: Vec<Arrival> = (0..100u16)
        .map(|i| {
            (
                start + f64::from(i) * 0.020,
                a,
                b,
                rtp(0, i, u32::from(i) * 160, 0x1234),
            )
        })
        .collect();
    // The sender's report at 0.5 s; the receiver echoes it 0.15 s later,
    // having held it 3 277/65 536 s: a round trip of 99.997 ms.
    let ntp: u64 = (3_900_000_000u64 << 32) | 0x8000_0000;
    let lsr = (ntp >> 16) as u32;
    arrivals.push((start + 0.5, a_rtcp, b_rtcp, sender_report(0x1234, ntp)));
    arrivals.push((
        start + 0.65,
        b_rtcp,
        a_rtcp,
        receiver_report(0x9999, 0x1234, 3, 80, lsr, 3277),
    ));
    // The receiver's own measure of the stream (XR VoIP Metrics, RFC 3611
    // §4.7): loss 5/256, round trip 40 ms, end system 30 ms, R 90, MOS-LQ
    // 4.3, MOS-CQ 4.1; no extended R (127).
    arrivals.push((start + 0.8, b_rtcp, a_rtcp, xr_voip(0x9999, 0x1234)));
    // About a source nobody sends: counted.
    arrivals.push((
        start + 0.7,
        b_rtcp,
        a_rtcp,
        receiver_report(0x9999, 0x7777, 0, 0, 0, 0),
    ));
    arrivals.sort_by(|x, y| x.0.total_cmp(&y.0));

    let mut streams = RtpStreams::new(MediaLimits::default());
    for (t, src, dst, p) in &arrivals {
        if is_rtcp(p) {
            streams.rtcp(*t, *src, *dst, p).unwrap();
        } else {
            streams.packet(*t, *src, *dst, &parse_rtp(p).unwrap(), Some(8000));
        }
    }
    let s = streams.streams()[0].1;
    assert_eq!(
        (s.sender_reports(), s.rtcp_reports(), s.rtcp_lost()),
        (1, 1, Some(3))
    );
    assert!((s.rtcp_jitter_ms().unwrap() - 10.0).abs() < 1e-9);
    let (mean, max) = s.rtt_ms().unwrap();
    let want = (0.15 - 3277.0 / 65536.0) * 1000.0;
    assert!(
        (mean - want).abs() < 1e-3 && (max - want).abs() < 1e-3,
        "{mean} {max}"
    );
    assert_eq!(streams.rtcp_unmatched(), 1);
    let xr = s.xr().unwrap();
    assert_eq!(
        (
            xr.ssrc,
            xr.loss_rate,
            xr.discard_rate,
            xr.round_trip_ms,
            xr.end_system_ms
        ),
        (0x1234, 5, 2, Some(40), Some(30))
    );
    assert_eq!(
        (xr.r_factor, xr.mos_lq, xr.mos_cq),
        (Some(90), Some(43), Some(41))
    );
    // An XR whose block runs past it: the byte of the datagram that says so.
    let mut cut = xr_voip(0x9999, 0x1234);
    cut[3] = 3; // the packet now ends inside the block
    cut.truncate(16);
    let err = streams.rtcp(start + 1.0, b_rtcp, a_rtcp, &cut).unwrap_err();
    assert_eq!(err.1, 8 + 2);
    // A compound whose second packet's length runs past the datagram: the
    // first is read, the error names the length that does not add up.
    let mut bad = sender_report(0x1234, ntp);
    bad.extend_from_slice(&[0x80, 201, 0, 9, 0, 0, 0, 1]);
    let err = streams.rtcp(start + 1.0, a_rtcp, b_rtcp, &bad).unwrap_err();
    assert_eq!(err.1, 28 + 2);
    assert_eq!(streams.streams()[0].1.sender_reports(), 2);

    // tshark times the same round trip, to the millisecond.
    let skipped = "tshark's RTCP round trip";
    if !common::have_program(&common::TSHARK, "tshark", &["-v"], skipped) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("sipline-rtcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rtcp.pcap");
    std::fs::write(&path, capture(&arrivals)).unwrap();
    let prefs = [
        "-o",
        "rtcp.show_roundtrip_calculation:TRUE",
        "-o",
        "rtcp.roundtrip_min_threshhold:0",
    ];
    let theirs = tshark_rtcp_fields(&path, &prefs, &["rtcp.roundtrip-delay"]);
    assert_eq!(theirs.len(), 1, "tshark: {theirs:?}");
    assert!(
        (theirs[0] - want).abs() <= 1.0,
        "tshark {} ms, sipline {want} ms",
        theirs[0]
    );
    // And reads the XR block as sipline does.
    let xr = ["rtdelay", "esdelay", "rfactor", "moslq", "moscq"]
        .map(|f| format!("rtcp.xr.voipmetrics.{f}"));
    let xr: Vec<&str> = xr.iter().map(String::as_str).collect();
    assert_eq!(
        tshark_rtcp_fields(&path, &[], &xr),
        [40.0, 30.0, 90.0, 4.3, 4.1]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The numbers tshark prints for `fields` of the frames that have the
/// first, reading ports 4001 and 5001 as RTCP, with `prefs`.
fn tshark_rtcp_fields(path: &std::path::Path, prefs: &[&str], fields: &[&str]) -> Vec<f64> {
    let mut cmd = std::process::Command::new("tshark");
    cmd.args([
        "-n",
        "-d",
        "udp.port==4001,rtcp",
        "-d",
        "udp.port==5001,rtcp",
    ])
    .args(prefs)
    .args(["-Y", fields[0], "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.arg("-r").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect()
}
