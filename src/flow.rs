//! Where a message travelled: its transport and the addresses of its two
//! ends, as a capture reader, a HEP collector or a proxy's socket knows
//! them. The call engine (`sipline-calls`) tells packets apart by them.

use core::fmt;
use core::net::SocketAddr;

/// The transport a message came over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// UDP: one message per datagram.
    Udp,
    /// TCP: a reassembled byte stream.
    Tcp,
    /// SCTP: one message per DATA chunk (RFC 4168).
    Sctp,
    /// WebSocket over TCP: one message per WebSocket message (RFC 7118).
    Ws,
}

impl Transport {
    /// `"udp"`, `"tcp"`, `"sctp"` or `"ws"`.
    pub const fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Sctp => "sctp",
            Transport::Ws => "ws",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A transport flow in one direction: protocol, source and destination.
///
/// ```
/// use sipline::flow::{FlowId, Transport};
/// let flow = FlowId {
///     transport: Transport::Tcp,
///     src: "[::1]:5060".parse().unwrap(),
///     dst: "127.0.0.1:40000".parse().unwrap(),
/// };
/// assert_eq!(flow.to_string(), "tcp [::1]:5060 -> 127.0.0.1:40000");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowId {
    /// UDP or TCP.
    pub transport: Transport,
    /// Source address and port.
    pub src: SocketAddr,
    /// Destination address and port.
    pub dst: SocketAddr,
}

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} -> {}", self.transport, self.src, self.dst)
    }
}
