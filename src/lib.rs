#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The modules in layer order: each one uses only those above it, and
// inside a folder each file only the files its `mod.rs` declares before it
// (tests/layering.rs checks it; rustfmt.toml keeps the order). The folders
// are the stages a message goes through: bytes → start line → header
// fields → head → rules → framing → writing.
mod error;
mod config;
mod text;
mod parsed;
mod start;
pub mod header;
mod head;
mod rules;
mod framing;
pub mod sdp;
pub mod flow;
#[cfg(feature = "std")]
mod write;
pub mod nom;

/// The library guide (`docs/library.md`): its examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
pub struct LibraryGuide;

/// The SSE2 scans of the one module with `unsafe` code and their plain
/// references, for the `simd_scans` fuzz target, and the whole-head pass's
/// differential check, for `whole_head` and the tests. Internal (feature
/// `fuzzing`): not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzzing {
    /// The whole-head pass against the resumable scan (`src/head/whole.rs`).
    pub use crate::head::whole::differential as whole_head_differential;
    pub use crate::text::simd::{
        find_line_stop, find_line_stop_scalar, reason_run, reason_run_scalar,
    };
}

pub use config::ParserConfig;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use error::StreamError;
pub use error::{Error, ErrorKind};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use framing::codec::CodecError;
pub use framing::message::{
    parse_datagram, parse_message, parse_sipfrag, Datagram, Message, Sipfrag,
};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use framing::read::Frames;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use framing::stream::{Frame, Heads, KeepAlive, OwnedMessage, StreamDecoder};
pub use head::{parse_head, parse_head_into, salvage, Head, Salvage, SalvagedFields};
pub use header::{expand_compact, HeaderField, Headers, COMPACT_FORMS};
pub use header::{parse_call_id, parse_cseq, parse_max_forwards, CSeq};
pub use header::{
    parse_contact, parse_name_addr, parse_name_addrs, parse_uri, Contact, NameAddr, NameAddrs, Uri,
};
pub use header::{parse_date, parse_reason, Reason, Reasons, SipDate};
pub use header::{parse_via, Host, Params, Via, Vias};
pub use parsed::Parsed;
pub use rules::keys::{
    stateless_branch, stateless_branch_at, Branch, DialogId, DialogSide, SentBy, Token,
    TransactionKey, MAGIC_COOKIE,
};
pub use rules::validate::{Invalid, InvalidKind};
pub use start::request_line::{parse_request_line, Method, RequestLine};
pub use start::start_line::{parse_start_line, StartLine};
pub use start::status::{StatusClass, StatusCode};
pub use start::status_line::{parse_status_line, parse_status_line_with, ReasonPhrase, StatusLine};
#[cfg(feature = "std")]
pub use write::{Forward, RelayResponse, Response, WriteError};

/// The owned message's former name.
#[cfg(feature = "std")]
#[deprecated(
    since = "0.3.0",
    note = "renamed `OwnedMessage` (`Message` is the borrowed one)"
)]
pub type SipMessage = OwnedMessage;
