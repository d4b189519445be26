//! TCP: the limits of reassembly, the WebSocket frame reader, SIP on one
//! direction's in-order bytes, putting segments in order, and the table of
//! directions that a capture's segments go to.

pub mod limits;
pub mod ws;
pub mod stream;
pub mod reorder;
pub mod reassembler;

pub use limits::TcpLimits;
