//! Message heads: where a head's parts sit ([`span`]), the index of the
//! fields a proxy reads ([`index`]), the [`Head`] view with its lookups
//! ([`view`]), the resumable scan that frames a head ([`scan`]), and the pass that
//! reads a head already whole without its resumable state ([`whole`]).

pub(crate) mod span;
pub(crate) mod index;
pub(crate) mod view;
pub(crate) mod whole;
pub(crate) mod scan;
pub(crate) mod salvage;

pub use salvage::{salvage, Salvage, SalvagedFields};
pub use scan::{parse_head, parse_head_into};
pub use view::Head;
