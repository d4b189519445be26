//! Header fields: the raw fields of a head ([`HeaderField`], [`Headers`],
//! compact forms) and the typed fields a proxy reads from them, each one a
//! [`Header`]: a name and how its value reads. [`Host`] and [`Params`] are
//! what several of them share.
//!
//! [`Head::get`](crate::Head::get) and [`Head::get_all`](crate::Head::get_all)
//! look a typed field up by its type.

pub(crate) mod field;
pub(crate) mod typed;
pub(crate) mod host;
pub(crate) mod via;
pub(crate) mod addr;
pub(crate) mod cseq;
pub(crate) mod call_id;
pub(crate) mod max_forwards;
pub(crate) mod reason;
pub(crate) mod date;

pub use addr::{
    parse_contact, parse_name_addr, parse_name_addrs, parse_uri, Contact, From, NameAddr,
    NameAddrs, RecordRoute, Route, To, Uri,
};
pub use call_id::{parse_call_id, CallId};
pub use cseq::{parse_cseq, CSeq};
pub use date::{parse_date, SipDate};
pub use field::{expand_compact, HeaderField, Headers, COMPACT_FORMS};
pub use host::{Host, Params};
pub use max_forwards::{parse_max_forwards, MaxForwards};
pub use reason::{parse_reason, Reason, Reasons};
pub use typed::Header;
pub use via::{parse_via, Via, Vias};
