//! Sources: how inputs are read ([`ReadOptions`]), pcap and pcapng walked
//! block by block, an input read whole or pushed packet by packet
//! ([`PacketSource`]), and the plan that orders several inputs by their
//! first packet.

pub(crate) mod follow;
pub(crate) mod options;
pub(crate) mod pcap;
pub(crate) mod input;
pub(crate) mod plan;

pub use follow::Follow;
pub use input::{deliver_datagram, read, read_path, PacketSource};
pub use options::ReadOptions;
pub use pcap::is_capture;
pub use plan::{first_timestamp, plan_inputs};
