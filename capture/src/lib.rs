//! SIP out of traffic captures, on top of the [`sipline`] parser.
//!
//! Reads pcap and pcapng captures (recognised by their magic number) and raw
//! byte streams of SIP messages; decodes Ethernet (with VLAN tags), Linux
//! cooked SLL and SLL2, raw IP and BSD loopback frames, IPv4 and IPv6, UDP
//! and TCP; reassembles each direction of each TCP connection in sequence
//! order; recognises SIP on any port by its first
//! line ([`looks_like_sip`]); and hands every message, malformed message and
//! skipped thing to a [`Sink`] with a [`Location`] that names the input,
//! the frame, the flow and the byte.
//!
//! Memory stays bounded whatever the input: captures are read block by
//! block, each TCP direction holds at most one message (capped by the
//! parser's limits) plus a reorder window, and the directions held are
//! capped in number and in bytes ([`TcpLimits`]), the least recently
//! seen evicted first.
//!
//! ```
//! use sipline_capture::{read, Location, ReadOptions, Sink, Skip};
//!
//! #[derive(Default)]
//! struct Count { messages: usize, malformed: usize }
//! impl Sink for Count {
//!     fn message(&mut self, _: &Location, _: &sipline::Message, _: usize) { self.messages += 1 }
//!     fn malformed(&mut self, at: &Location, e: &sipline::Error) {
//!         assert_eq!(at.to_string(), "dump.txt byte 37");
//!         assert_eq!(e.kind(), sipline::ErrorKind::StatusCode);
//!         self.malformed += 1
//!     }
//!     fn skipped(&mut self, _: &Location, _: Skip) {}
//! }
//!
//! // A raw stream: one good message, then a bad status code.
//! let stream: &[u8] = b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n\r\nSIP/2.0 2000 OK\r\n\r\n";
//! let mut count = Count::default();
//! read("dump.txt", stream, &ReadOptions::default(), &mut count).unwrap();
//! assert_eq!((count.messages, count.malformed), (1, 1));
//! ```
// Denied everywhere but the packet socket's system calls
// (`source/packet_socket.rs`), each with what makes it sound.
#![deny(unsafe_code)]
#![deny(missing_docs)]

// The modules in layer order: each one uses only those above it, and
// inside a folder each file only the files its `mod.rs` declares before it
// (tests/layering.rs at the workspace root checks it). Data flows down the
// list: what readers report (and what they add up to) → SIP recognition → link and IP decoding → TCP
// → sources → the parallel run.
mod sink;
mod summary;
mod sniff;
mod decode;
mod tcp;
pub mod media;
mod source;
pub mod parallel;

pub use decode::frag::FragLimits;
/// The link types of [`PacketSource::push_frame`] (pcap's `LINKTYPE_` numbers),
/// re-exported from pcap-parser.
pub use pcap_parser::Linktype;
pub use sink::{FlowId, InputError, Location, Sink, Skip, Transport};
pub use sniff::{looks_like_sip, probe_ready, PROBE_LEN};
pub use source::{
    deliver_datagram, first_timestamp, is_capture, listen_hep, listen_interface, plan_inputs, read,
    read_path, read_source, Follow, HepListen, HepSend, HepSendCounts, Interface, PacketSource,
    ReadOptions,
};
pub use summary::{CodeCount, LocationBuf, Malformed, Summary, SummaryLimits};
pub use tcp::TcpLimits;

/// The decoders and the TCP reassembler, for the fuzz targets that drive
/// them directly. Internal (feature `fuzzing`): not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzzing {
    pub use crate::decode::{frag, hep, link, sctp, tunnel};
    pub use crate::source::hep_listen::{HepFrame, HepStream};
    pub use crate::tcp::{reassembler, ws};
}
