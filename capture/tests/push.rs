//! A [`PacketSource`] fed one frame at a time, as a live interface would
//! feed it, reports exactly what reading the same capture as a file
//! reports: the same messages, errors, skips and times, at the same
//! locations. And what a HEP collector pushes (one message, its flow and
//! time) is read as the capture reader reads HEP.

#[path = "../../tests/common/mod.rs"]
mod common;

use sipline::{Error, Message};
use sipline_capture::{
    read_path, FlowId, Linktype, Location, PacketSource, ReadOptions, Sink, Skip, Transport,
};

/// Every event, as text.
#[derive(Default)]
struct Log(Vec<String>);

impl Sink for Log {
    fn message(&mut self, at: &Location<'_>, m: &Message<'_>, wire_len: usize) {
        self.0.push(format!(
            "msg {at} {:?} {} {wire_len} {}",
            at.time,
            m.head.start_line,
            m.body.len()
        ));
    }
    fn malformed(&mut self, at: &Location<'_>, e: &Error) {
        self.0.push(format!("bad {at} {e}"));
    }
    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        self.0.push(format!("skip {at} {}", what.name()));
    }
    fn skipped_bytes(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        self.0.push(format!("skip {at} {} {n}", what.name()));
    }
    fn time(&mut self, ts: f64) {
        self.0.push(format!("time {ts}"));
    }
}

/// The frames of a classic little-endian microsecond pcap: its link type,
/// and each frame's time and bytes.
fn frames(bytes: &[u8]) -> (Linktype, Vec<(f64, &[u8])>) {
    let (header, mut rest) = bytes.split_at(24);
    assert_eq!(header[..4], [0xd4, 0xc3, 0xb2, 0xa1]);
    let link = Linktype(i32::from_le_bytes(header[20..24].try_into().unwrap()));
    let mut out = Vec::new();
    while rest.len() >= 16 {
        let word = |at: usize| u32::from_le_bytes(rest[at..at + 4].try_into().unwrap());
        let (secs, micros, len) = (word(0), word(4), word(8) as usize);
        let time = f64::from(secs) + f64::from(micros) / 1e6;
        out.push((time, &rest[16..16 + len]));
        rest = &rest[16 + len..];
    }
    (link, out)
}

#[test]
fn frames_pushed_one_by_one_read_as_the_file() {
    let root = common::workspace_root();
    let opts = ReadOptions::default();
    for name in [
        "corpus/captures/loopback.pcap",
        "corpus/sipp/calls.pcap",
        "corpus/sipp/proxy.pcap",
    ] {
        let path = root.join(name).display().to_string();
        let mut file = Log::default();
        read_path(&path, &opts, &mut file).unwrap();

        let bytes = std::fs::read(&path).unwrap();
        let (link, frames) = frames(&bytes);
        let mut source = PacketSource::new(&path, &opts);
        let mut pushed = Log::default();
        for (time, data) in &frames {
            source.push_frame(Some(*time), link, data, &mut pushed);
        }
        source.finish(&mut pushed);
        assert_eq!(source.frames(), frames.len() as u64);
        let messages = pushed.0.iter().filter(|e| e.starts_with("msg ")).count();
        assert!(messages > 100, "{name}: {messages}");
        assert_eq!(pushed.0, file.0, "{name}");
    }
}

#[test]
fn messages_pushed_as_a_hep_collector_would() {
    let flow = |transport, src: &str, dst: &str| FlowId {
        transport,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
    };
    let options =
        b"OPTIONS sip:b@h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 2\r\n\r\nhi";
    let mut log = Log::default();
    let mut source = PacketSource::new("hep", &ReadOptions::default());
    // A message captured on TCP comes whole, as HEP carries it.
    let tcp = flow(Transport::Tcp, "192.0.2.1:5060", "192.0.2.2:40000");
    source.push_message(Some(1.5), tcp, options, &mut log);
    // Not SIP at all, sniffed out; malformed SIP, reported at its byte.
    let udp = flow(Transport::Udp, "192.0.2.1:5060", "192.0.2.2:5060");
    source.push_message(None, udp, b"\x16\x03\x01 not SIP", &mut log);
    source.push_message(None, udp, b"SIP/2.0 2000 OK\r\n\r\n", &mut log);
    source.finish(&mut log);
    assert_eq!(
        log.0,
        [
            "time 1.5".to_string(),
            format!(
                "msg hep frame 1 (tcp 192.0.2.1:5060 -> 192.0.2.2:40000) byte 0 Some(1.5) OPTIONS sip:b@h SIP/2.0 {} 2",
                options.len()
            ),
            // The fourth digit of "2000", at byte 11.
            "bad hep frame 3 (udp 192.0.2.1:5060 -> 192.0.2.2:5060) byte 11 status code must be three digits 100-699 at byte 11".to_string(),
        ]
    );
    // With ports named, a flow on none of them is passed over.
    let opts = ReadOptions {
        ports: vec![5070],
        ..ReadOptions::default()
    };
    let mut only = PacketSource::new("hep", &opts);
    let mut log = Log::default();
    only.push_message(None, tcp, options, &mut log);
    assert!(log.0.is_empty(), "{:?}", log.0);
    assert_eq!(only.frames(), 1);
}

/// A raw stream of SIP messages, read as a TCP payload dump: junk and
/// keep-alives between messages counted where they stand, a malformed
/// message reported at its byte (and the stream given up), a message cut
/// at the end counted.
#[test]
fn raw_streams_report_what_they_hold_where_it_stands() {
    use sipline::ParserConfig;
    use sipline_capture::read;
    let lenient = ReadOptions {
        config: ParserConfig::lenient(),
        ..ReadOptions::default()
    };
    let ok = b"OPTIONS sip:b@h SIP/2.0\r\nl: 0\r\n\r\n";
    let stream = [&ok[..], b"\r\n  \r\n\r\n", ok, b"SIP/2.0 2000 OK\r\n\r\n"].concat();
    let mut log = Log::default();
    read("dump", &stream[..], &lenient, &mut log).unwrap();
    let n = ok.len();
    assert_eq!(
        log.0,
        [
            format!("msg dump byte 0 None OPTIONS sip:b@h SIP/2.0 {n} 0"),
            // The CRLF is skipped (RFC 3261 §7.5), the two spaces are junk.
            format!("skip dump byte {} junk-bytes-between-messages 2", n + 2),
            format!("skip dump byte {} keep-alives", n + 4),
            format!("msg dump byte {} None OPTIONS sip:b@h SIP/2.0 {n} 0", n + 8),
            format!(
                "bad dump byte {} status code must be three digits 100-699 at byte {}",
                2 * n + 8 + 11,
                2 * n + 8 + 11
            ),
        ]
    );
    let mut log = Log::default();
    read("dump", &ok[..n - 3], &lenient, &mut log).unwrap();
    assert_eq!(log.0, ["skip dump byte 0 incomplete-at-end"]);
}

/// Frames that are not SIP below the transport: a link type sipline does
/// not read, and an Ethernet frame whose IPv4 header is cut short.
#[test]
fn frames_sipline_cannot_decode_are_counted() {
    let mut log = Log::default();
    let mut source = PacketSource::new("live", &ReadOptions::default());
    source.push_frame(None, Linktype(147), b"anything", &mut log);
    let mut eth = vec![0u8; 12];
    eth.extend_from_slice(&[0x08, 0x00, 0x45, 0x00, 0x00]);
    source.push_frame(None, Linktype::ETHERNET, &eth, &mut log);
    source.finish(&mut log);
    assert_eq!(
        log.0,
        [
            "skip live frame 1 byte 0 unknown-link-type-frames",
            "skip live frame 2 byte 0 undecodable-frames",
        ]
    );
}

/// An input that cannot be read is an error naming it and the byte.
#[test]
fn an_input_that_fails_is_named() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = sipline_capture::read(
        "trunk.pcap",
        Broken,
        &ReadOptions::default(),
        &mut Log::default(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "trunk.pcap: disk on fire at byte 0");
}

/// A capture cut in the middle of its last packet (its writer killed): the
/// packets before it are read as from the whole file, the cut one is
/// counted where it starts, and the input is no error.
#[test]
fn a_capture_cut_in_its_last_packet_is_read_up_to_it() {
    let root = common::workspace_root();
    let whole = std::fs::read(root.join("corpus/captures/loopback.pcap")).unwrap();
    let (_, packets) = frames(&whole);
    let last = packets.last().unwrap().1.len();
    let cut = &whole[..whole.len() - 10];
    let mut summary = sipline_capture::Summary::default();
    sipline_capture::read("cut.pcap", cut, &ReadOptions::default(), &mut summary)
        .expect("a cut last packet is no input error");
    let mut all = sipline_capture::Summary::default();
    sipline_capture::read("whole.pcap", &whole[..], &ReadOptions::default(), &mut all).unwrap();
    assert_eq!(summary.skipped.get(&Skip::PacketCutShort), Some(&1));
    assert!(summary.messages > 0 && summary.messages <= all.messages);
    assert!(!all.skipped.contains_key(&Skip::PacketCutShort));
    assert!(Skip::PacketCutShort.is_loss() && Skip::PacketCutShort.is_problem());
    // Where: the frame that was cut, at its record header.
    struct Cut(Option<(Option<u64>, u64)>);
    impl Sink for Cut {
        fn message(&mut self, _: &Location<'_>, _: &Message<'_>, _: usize) {}
        fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
        fn skipped(&mut self, at: &Location<'_>, what: Skip) {
            if what == Skip::PacketCutShort {
                self.0 = Some((at.frame, at.offset));
            }
        }
    }
    let mut at = Cut(None);
    sipline_capture::read("cut.pcap", cut, &ReadOptions::default(), &mut at).unwrap();
    let start = (whole.len() - 16 - last) as u64;
    assert_eq!(at.0, Some((Some(packets.len() as u64), start)));
}
