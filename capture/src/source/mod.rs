//! Sources: live ones' settings and captures being written ([`Follow`],
//! [`HepListen`]), how inputs are read ([`ReadOptions`]), pcap and pcapng
//! walked block by block, an input read whole or pushed packet by packet
//! ([`PacketSource`]), the plan that orders several inputs by their first
//! packet, an interface ([`listen_interface`]: a Linux packet socket and
//! its kernel filter), and the HEP collector ([`listen_hep`],
//! [`read_source`]).

pub(crate) mod live;
pub(crate) mod hep_send;
pub(crate) mod options;
pub(crate) mod pcap;
pub(crate) mod input;
pub(crate) mod plan;
#[cfg(target_os = "linux")]
pub(crate) mod packet_socket;
#[cfg(target_os = "linux")]
pub(crate) mod bpf;
pub(crate) mod iface;
pub(crate) mod hep_listen;

pub use hep_listen::{listen_hep, read_source};
pub use hep_send::{HepSend, HepSendCounts};
pub use iface::listen_interface;
pub use input::{deliver_datagram, read, read_path, PacketSource};
pub use live::{Follow, HepListen, Interface};
pub use options::ReadOptions;
pub use pcap::is_capture;
pub use plan::{first_timestamp, plan_inputs};
