//! pcap and pcapng captures, block by block with pcap-parser: interfaces,
//! link types and timestamp resolutions as the file declares them. One walk
//! ([`walk`]) serves reading a capture and planning inputs by their first
//! packet.

use std::io::Read;
use std::ops::ControlFlow;

use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{Linktype, PcapBlockOwned, PcapError};

use crate::sink::InputError;

/// The magic numbers of pcap (microsecond and nanosecond, both byte orders)
/// and pcapng files.
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// `true` when `head` (a file's first bytes) is a pcap or pcapng header.
pub fn is_capture(head: &[u8]) -> bool {
    match head.first_chunk::<4>() {
        Some(m) => PCAP_MAGICS.contains(m) || *m == PCAPNG_MAGIC,
        None => false,
    }
}

/// A pcapng interface: its link type, ticks per second (`None` when the
/// file declares an impossible resolution) and offset in seconds.
#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: Linktype,
    ticks_per_second: Option<u64>,
    offset: i64,
}

/// Seconds since the epoch for `ticks` at `per_second` plus `offset`.
///
/// pcap-parser's `decode_ts_f64` adds the offset as a `u64` and keeps the
/// seconds in a `u32`: a negative offset (which pcapng allows) or a date past
/// 2106 would overflow there, so the sum is made in `f64` here.
fn seconds(ticks: u64, per_second: u64, offset: i64) -> f64 {
    let per_second = per_second.max(1);
    offset as f64 + (ticks / per_second) as f64 + (ticks % per_second) as f64 / per_second as f64
}

/// One packet of a capture, as the file gives it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packet<'a> {
    /// Its number in the file, from 1.
    pub(crate) frame: u64,
    /// When it was captured (seconds since the epoch, UTC); `None` when the
    /// file gives no time for it (a Simple Packet Block, an impossible
    /// resolution).
    pub(crate) time: Option<f64>,
    /// Its interface's link type; `None` for an interface the file never
    /// described.
    pub(crate) link: Option<Linktype>,
    /// The bytes captured.
    pub(crate) data: &'a [u8],
}

/// What [`walk`] hands the packets of a capture to.
pub(crate) trait Packets {
    /// One packet; `Break` stops the walk there.
    fn packet(&mut self, p: Packet<'_>) -> ControlFlow<()>;
    /// `n` more bytes of the file were read (block by block, for progress).
    fn bytes_read(&mut self, _n: u64) {}
    /// The file ends in the middle of frame `frame`, which starts at byte
    /// `at`: a capture whose writer was killed. Not an error: what came
    /// before was read.
    fn cut_short(&mut self, _frame: u64, _at: u64) {}
}

/// Walks the pcap or pcapng capture `r` (named `name` in errors), handing
/// every packet to `to` until it answers `Break`. Answers the number of
/// frames seen, and whether the file could be read to its end (or to the
/// `Break`).
pub(crate) fn walk(
    name: &str,
    r: impl Read + Send,
    to: &mut dyn Packets,
) -> (u64, Result<(), InputError>) {
    let err = |offset: u64, message: String| InputError {
        file: name.to_string(),
        offset: Some(offset),
        message,
    };
    let mut blocks = match pcap_parser::create_reader(1 << 20, r) {
        Ok(b) => b,
        Err(e) => return (0, Err(err(0, format!("not a readable capture: {e:?}")))),
    };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut legacy = Interface {
        linktype: Linktype::ETHERNET,
        ticks_per_second: Some(1_000_000),
        offset: 0,
    };
    let mut frame = 0u64;
    let mut pos = 0u64;
    let result = loop {
        match blocks.next() {
            Ok((used, block)) => {
                let packet = match &block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy = Interface {
                            linktype: h.network,
                            ticks_per_second: Some(if h.is_nanosecond_precision() {
                                1_000_000_000
                            } else {
                                1_000_000
                            }),
                            offset: 0,
                        };
                        None
                    }
                    PcapBlockOwned::Legacy(b) => {
                        let per_second = legacy.ticks_per_second.unwrap_or(1_000_000);
                        let ticks = u64::from(b.ts_sec) * per_second + u64::from(b.ts_usec);
                        Some((
                            Some(seconds(ticks, per_second, 0)),
                            Some(legacy.linktype),
                            b.data,
                        ))
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                        interfaces.clear();
                        None
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(Interface {
                            linktype: idb.linktype,
                            ticks_per_second: idb.ts_resolution(),
                            offset: idb.ts_offset(),
                        });
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let iface = interfaces.get(epb.if_id as usize);
                        let time = iface.and_then(|i| {
                            let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                            i.ticks_per_second
                                .map(|per_second| seconds(ticks, per_second, i.offset))
                        });
                        Some((time, iface.map(|i| i.linktype), epb.packet_data()))
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => Some((
                        None,
                        interfaces.first().map(|i| i.linktype),
                        spb.packet_data(),
                    )),
                    PcapBlockOwned::NG(_) => None,
                };
                let flow = match packet {
                    Some((time, link, data)) => {
                        frame += 1;
                        to.packet(Packet {
                            frame,
                            time,
                            link,
                            data,
                        })
                    }
                    None => ControlFlow::Continue(()),
                };
                pos += used as u64;
                to.bytes_read(used as u64);
                blocks.consume(used);
                if flow.is_break() {
                    break Ok(());
                }
            }
            Err(PcapError::Eof) => break Ok(()),
            Err(PcapError::UnexpectedEof) => {
                to.cut_short(frame + 1, pos);
                break Ok(());
            }
            Err(PcapError::Incomplete(_)) => {
                if blocks.refill().is_err() {
                    break Err(err(
                        pos,
                        "capture file ends inside a block (truncated)".into(),
                    ));
                }
            }
            Err(e) => break Err(err(pos, format!("corrupt capture: {e:?}"))),
        }
    };
    (frame, result)
}

/// The time of the first packet of the capture `r`, read with [`walk`]:
/// `None` when it has no packet, or its first packet has no time.
pub(crate) fn first_time(name: &str, r: impl Read + Send) -> Option<f64> {
    struct First(Option<f64>);
    impl Packets for First {
        fn packet(&mut self, p: Packet<'_>) -> ControlFlow<()> {
            self.0 = p.time;
            ControlFlow::Break(())
        }
    }
    let mut first = First(None);
    let _ = walk(name, r, &mut first);
    first.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_take_resolution_and_signed_offset() {
        assert_eq!(seconds(1_500_000, 1_000_000, 0), 1.5);
        assert_eq!(seconds(3_000_000_000, 1_000_000_000, -2), 1.0);
        assert_eq!(seconds(1 << 20, 1 << 10, 0), 1024.0);
        // An impossible resolution of 0 does not divide by zero.
        assert_eq!(seconds(7, 0, 0), 7.0);
        // Past the u32 seconds of 2106: 2200-01-01T00:00:00.25Z, in
        // microseconds (`date -u -d 2200-01-01 +%s` is 7258118400), and the
        // same instant as a pcapng offset of 2^32 s plus the rest in ticks.
        assert_eq!(
            seconds(7_258_118_400_250_000, 1_000_000, 0),
            7_258_118_400.25
        );
        assert_eq!(
            seconds(2_963_151_104_250_000, 1_000_000, 1 << 32),
            7_258_118_400.25
        );
        // The largest ticks and offset: 2^64 - 1 and 2^63 - 1 seconds sum to
        // 3 * 2^63 once rounded to f64, with no overflow on the way.
        assert_eq!(seconds(u64::MAX, 1, i64::MAX), 27_670_116_110_564_327_424.0);
    }

    #[test]
    fn magic_numbers() {
        assert!(is_capture(&[0xd4, 0xc3, 0xb2, 0xa1, 0]));
        assert!(is_capture(&[0x0a, 0x0d, 0x0d, 0x0a]));
        assert!(!is_capture(b"SIP/2.0 200 OK"));
        assert!(!is_capture(&[0xd4, 0xc3]));
    }
}
