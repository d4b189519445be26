//! [`ReadOptions`]: how inputs are read.

use sipline::ParserConfig;

use crate::decode::frag::FragLimits;
use crate::source::hep_send::HepSend;
use crate::source::live::{Follow, HepListen, Interface};
use crate::tcp::limits::TcpLimits;

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
    /// Follow each input as it is written ([`read_path`](crate::read_path)
    /// waits at its end for more, `tail -f` style; a folder is a ring
    /// buffer, its files read in the order written) until the stop flag
    /// is raised. `None`: read each input to its end.
    pub follow: Option<Follow>,
    /// A HEP collector, read by [`read_source`](crate::read_source) as the
    /// input named by [`HepListen::name`], until the follow stops.
    pub hep: Option<HepListen>,
    /// An interface, read by [`read_source`](crate::read_source) as the
    /// input named by [`Interface::name`], until the follow stops.
    pub iface: Option<Interface>,
    /// Every SIP message read by [`read_source`](crate::read_source) sent
    /// on as HEPv3 to a collector, besides going to the sink.
    pub hep_send: Option<HepSend>,
}
