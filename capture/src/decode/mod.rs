//! Link-layer and IP decoding: IP fragments put back together, tunnels
//! (GRE, VXLAN, IP-in-IP …) opened, HEP's own addresses read, SCTP's DATA
//! chunks found, and a frame decoded down to its UDP, TCP or SCTP payload.

pub mod frag;
pub mod tunnel;
pub mod hep;
pub mod sctp;
pub mod link;
