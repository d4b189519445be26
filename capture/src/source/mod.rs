//! Sources: live ones' settings and captures being written ([`Follow`],
//! [`HepListen`]), how inputs are read ([`ReadOptions`]), pcap and pcapng
//! walked block by block, an input read whole or pushed packet by packet
//! ([`PacketSource`]), the plan that orders several inputs by their first
//! packet, and the HEP collector ([`listen_hep`], [`read_source`]).

pub(crate) mod live;
pub(crate) mod options;
pub(crate) mod pcap;
pub(crate) mod input;
pub(crate) mod plan;
pub(crate) mod hep_listen;

pub use hep_listen::{listen_hep, read_source};
pub use input::{deliver_datagram, read, read_path, PacketSource};
pub use live::{Follow, HepListen};
pub use options::ReadOptions;
pub use pcap::is_capture;
pub use plan::{first_timestamp, plan_inputs};
