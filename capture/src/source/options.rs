//! [`ReadOptions`]: how inputs are read.

use sipline::ParserConfig;

use crate::decode::frag::FragLimits;
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
}
