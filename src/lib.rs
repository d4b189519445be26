#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The modules in layer order: each one uses only those above it
// (tests/layering.rs checks it; rustfmt.toml keeps the order).
mod error;
mod config;
mod chars;
mod simd;
mod lossy;
mod line;
mod parsed;
mod status;
mod status_line;
mod request_line;
mod start_line;
mod header;
mod via;
mod addr;
mod reason;
mod cseq;
mod head;
mod keys;
mod validate;
mod message;
pub mod flow;
#[cfg(feature = "std")]
mod write;
#[cfg(feature = "std")]
mod stream;
#[cfg(feature = "std")]
mod read;
#[cfg(feature = "tokio")]
mod codec;
pub mod nom;

/// The library guide (`docs/library.md`): its examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
pub struct LibraryGuide;

/// The SSE2 scans of the one module with `unsafe` code and their plain
/// references, for the `simd_scans` fuzz target. Internal (feature
/// `fuzzing`): not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzzing {
    pub use crate::simd::{find_line_stop, find_line_stop_scalar, reason_run, reason_run_scalar};
}

pub use addr::{
    parse_contact, parse_name_addr, parse_name_addrs, parse_uri, Contact, NameAddr, NameAddrs, Uri,
};
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use codec::CodecError;
pub use config::ParserConfig;
pub use cseq::{parse_call_id, parse_cseq, parse_max_forwards, CSeq};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use error::StreamError;
pub use error::{Error, ErrorKind};
pub use head::{parse_head, parse_head_into, Head};
pub use header::{expand_compact, HeaderField, Headers, COMPACT_FORMS};
pub use keys::{DialogId, DialogSide, SentBy, Token, TransactionKey, MAGIC_COOKIE};
pub use message::{parse_datagram, parse_message, parse_sipfrag, Datagram, Message, Sipfrag};
pub use parsed::Parsed;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use read::Frames;
pub use reason::{parse_date, parse_reason, Reason, Reasons, SipDate};
pub use request_line::{parse_request_line, Method, RequestLine};
pub use start_line::{parse_start_line, StartLine};
pub use status::{StatusClass, StatusCode};
pub use status_line::{parse_status_line, parse_status_line_with, ReasonPhrase, StatusLine};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use stream::{Frame, Heads, KeepAlive, SipMessage, StreamDecoder};
pub use validate::{Invalid, InvalidKind};
pub use via::{parse_via, Host, Params, Via, Vias};
#[cfg(feature = "std")]
pub use write::{Forward, Response, WriteError};
