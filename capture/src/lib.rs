//! SIP out of traffic captures, on top of the [`sipline`] parser.
//!
//! Reads pcap and pcapng captures (recognised by their magic number) and raw
//! byte streams of SIP messages; decodes Ethernet (with VLAN tags), Linux
//! cooked SLL and SLL2, raw IP and BSD loopback frames, IPv4 and IPv6, UDP
//! and TCP; reassembles each direction of each TCP connection in sequence
//! order ([`tcp::Reassembler`]); recognises SIP on any port by its first
//! line ([`looks_like_sip`]); and hands every message, malformed message and
//! skipped thing to a [`Sink`] with a [`Location`] that names the input,
//! the frame, the flow and the byte.
//!
//! Memory stays bounded whatever the input: captures are read block by
//! block, each TCP direction holds at most one message (capped by the
//! parser's limits) plus a reorder window, and the directions held are
//! capped in number and in bytes ([`tcp::TcpLimits`]), the least recently
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod frag;
pub mod hep;
mod input;
pub mod link;
pub mod parallel;
mod pcap;
mod plan;
pub mod sctp;
mod sink;
mod sniff;
pub mod tcp;
pub mod tunnel;
pub mod ws;

pub use input::{deliver_datagram, read, read_path, PacketSource};
pub use pcap::is_capture;
/// The link types of [`PacketSource::push_frame`] (pcap's `LINKTYPE_` numbers),
/// re-exported from pcap-parser.
pub use pcap_parser::Linktype;
pub use plan::{first_timestamp, plan_inputs};
pub use sink::{FlowId, InputError, Location, Sink, Skip, Transport};
pub use sniff::{looks_like_sip, probe_ready, PROBE_LEN};

use frag::FragLimits;
use sipline::ParserConfig;
use tcp::TcpLimits;

/// How inputs are read.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Strict or lenient parsing, and its limits.
    pub config: ParserConfig,
    /// Only traffic to or from these ports, all of it taken as SIP (empty:
    /// SIP recognised on any port by its first line).
    pub ports: Vec<u16>,
    /// The limits of TCP reassembly: directions held, reorder window, memory
    /// budget, idle timeout.
    pub tcp: TcpLimits,
    /// The limits of IP fragment reassembly: datagram size, datagrams
    /// pending, memory budget, timeout.
    pub frag: FragLimits,
}
